//! Badges (JSON API): built-in badges are earned once by activity (also
//! under racing posts), custom ones by a rule over counts or by staff with a
//! reason, revocations are audited, turned-off badges are not earned.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use yaji_testkit::*;

fn keys(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| b["key"].as_str().map_or_else(|| b["name"].as_str().unwrap().to_string(), str::to_string))
        .collect()
}

async fn badges_of(u: &User, name: &str) -> Vec<String> {
    let (s, v) = u.get(&format!("/api/v1/communities/club/members/{name}/badges?locale=en")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut k = keys(&v);
    k.sort();
    k
}

const BADGES: &str = "/api/v1/communities/club/badges";

story! {
    async fn badges_are_earned_granted_and_revoked(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let ann = t.user("ann").await;
        let bob = t.user("bob").await;
        for u in [&ann, &bob] {
            u.post("/api/v1/communities/club/join", json!({})).await;
        }

        // A first post earns the built-in badge once, with a notice and an event.
        let (_, p) = ann.post("/api/v1/communities/club/posts", json!({"body": "hello all"})).await;
        ann.post("/api/v1/communities/club/posts", json!({"body": "and again"})).await;
        assert_eq!(badges_of(&bob, "ann").await, ["first_post"]);
        let (_, zh) = bob.get("/api/v1/communities/club/members/ann/badges").await;
        assert_eq!(zh[0]["name"], "初来乍到");
        assert_eq!(t.count("SELECT COUNT(*) FROM notifications WHERE kind = 'badge_earned'").await, 1);
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'badge_earned'").await, 1);
        // Essence earns the essence author badge for the post's author.
        owner.post(&format!("/api/v1/posts/{}/essence", p["id"]), json!({})).await;
        assert_eq!(badges_of(&bob, "ann").await, ["essence_author", "first_post"]);

        // Custom badges: admins define them; names are unique, fields checked.
        assert_error(&ann.post(BADGES, json!({"name": "Host"})).await, 403, "insufficient_role", None);
        let (s, host) = owner.post(BADGES, json!({"name": "Host", "description": "Hosted a gathering", "icon": "megaphone"})).await;
        assert_eq!(s, StatusCode::CREATED, "{host}");
        assert!(host["rule"].is_null());
        assert_error(&owner.post(BADGES, json!({"name": "Host"})).await, 409, "name_taken", Some("name"));
        assert_error(&owner.post(BADGES, json!({"name": "X", "icon": "skull"})).await, 422, "invalid_choice", Some("icon"));
        assert_error(&owner.post(BADGES, json!({"name": "X", "counter": "posts"})).await, 422, "out_of_range", Some("at_least"));
        let (_, chatty) = owner.post(BADGES, json!({"name": "Chatty", "icon": "message-circle", "counter": "comments", "at_least": 2})).await;
        let (_, century) = owner.post(BADGES, json!({"name": "Century", "counter": "points", "at_least": 100})).await;
        // A new rule applies at once to members who already meet it.
        let (_, writer) = owner.post(BADGES, json!({"name": "Writer", "counter": "posts", "at_least": 2})).await;
        assert_eq!(writer["holders"], 1, "{writer}");
        assert_eq!(badges_of(&bob, "ann").await, ["Writer", "essence_author", "first_post"]);
        owner.delete(&format!("{BADGES}/{}", writer["id"])).await;
        let (_, all) = owner.get(BADGES).await;
        assert_eq!(keys(&all), ["first_post", "prolific", "conversationalist", "essence_author", "top_contributor", "streak_7", "streak_21", "streak_30", "streak_100", "event_regular", "first_answer", "Host", "Chatty", "Century"]);

        // A rule over counts: the second comment earns it.
        let pid = p["id"].as_i64().unwrap();
        bob.post(&format!("/api/v1/posts/{pid}/comments"), json!({"body": "welcome"})).await;
        assert_eq!(badges_of(&ann, "bob").await, Vec::<String>::new());
        bob.post(&format!("/api/v1/posts/{pid}/comments"), json!({"body": "see you friday"})).await;
        assert_eq!(badges_of(&ann, "bob").await, ["Chatty"]);
        // Points: a staff award that crosses 100 earns Century.
        owner.post("/api/v1/communities/club/members/bob/points", json!({"amount": 100, "reason": "ran the meetup"})).await;
        assert_eq!(badges_of(&ann, "bob").await, ["Century", "Chatty"]);
        assert!(century["id"].as_i64().is_some() && chatty["id"].as_i64().is_some());

        // Staff grant a custom badge with a reason; not twice, not a built-in, not as a member.
        let grant = |id: &Value, reason: &str| json!({"badge_id": id, "reason": reason});
        let url = "/api/v1/communities/club/members/bob/badges";
        let (s, list) = owner.post(url, grant(&host["id"], "hosted the tea evening")).await;
        assert_eq!(s, StatusCode::CREATED, "{list}");
        assert_eq!((list[0]["name"].as_str(), list[0]["granted"].as_bool()), (Some("Host"), Some(true)));
        assert_error(&owner.post(url, grant(&host["id"], "again")).await, 409, "already_held", Some("badge"));
        assert_error(&owner.post(url, grant(&host["id"], " ")).await, 422, "required", Some("reason"));
        let first_post = all[0]["id"].clone();
        assert_error(&owner.post(url, grant(&first_post, "why not")).await, 422, "builtin", Some("badge"));
        assert_error(&ann.post(url, grant(&host["id"], "me too")).await, 403, "insufficient_role", None);

        // Revoking needs a reason and is audited.
        let revoke = format!("{url}/{}", host["id"]);
        assert_eq!(owner.delete(&format!("{revoke}?reason=")).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(owner.delete(&format!("{revoke}?reason=mistake")).await.0, StatusCode::NO_CONTENT);
        assert_eq!(owner.delete(&format!("{revoke}?reason=mistake")).await.0, StatusCode::NOT_FOUND);
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'badge_revoked'").await, 1);

        // A badge turned off is not earned; built-ins are not deleted, custom ones are, with their awards.
        let fp = first_post.as_i64().unwrap();
        assert_eq!(owner.put(&format!("{BADGES}/{fp}/enabled"), json!({"enabled": false})).await.0, StatusCode::NO_CONTENT);
        bob.post("/api/v1/communities/club/posts", json!({"body": "my first post"})).await;
        assert!(!badges_of(&ann, "bob").await.contains(&"first_post".to_string()));
        assert_error(&owner.delete(&format!("{BADGES}/{fp}")).await, 422, "builtin", Some("badge"));
        assert_eq!(owner.delete(&format!("{BADGES}/{}", chatty["id"])).await.0, StatusCode::NO_CONTENT);
        assert_eq!(badges_of(&ann, "bob").await, ["Century"]);

        // The profile card shows them, with the level (Bob has 100+ points: Lv2).
        let (_, profile) = ann.get("/api/v1/users/bob?locale=en").await;
        let club = &profile["communities"][0];
        assert_eq!((club["level"].as_str(), club["badges"][0]["name"].as_str()), (Some("Lv2"), Some("Century")), "{profile}");
        let b = Browser::new(&t);
        let (_, page) = b.page("/u/bob").await;
        assert!(page.contains("profile-badges") && page.contains("Century"), "{page}");
    }
}

story! {
    /// Racing first posts (four each from five members at once) earn each
    /// member the badge once: one row, one notice each.
    async fn racing_posts_earn_a_badge_once(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let mut members = vec![];
        for n in ["cat", "dan", "eve", "fay", "gus"] {
            let u = t.user(n).await;
            u.post("/api/v1/communities/club/join", json!({})).await;
            members.push(u);
        }
        let posts = members.iter().flat_map(|u| {
            (0..4).map(move |i| u.post("/api/v1/communities/club/posts", json!({"body": format!("{} {i}", ["walk", "tea", "book", "run"][i])})))
        });
        let outs = join_all(posts).await;
        assert!(outs.iter().all(|(s, _)| *s == StatusCode::CREATED), "{outs:?}");
        for u in &members {
            assert_eq!(badges_of(u, &u.name).await, ["first_post"]);
        }
        assert_eq!(t.count("SELECT COUNT(*) FROM member_badges").await, 5);
        assert_eq!(t.count("SELECT COUNT(*) FROM notifications WHERE kind = 'badge_earned'").await, 5);
    }
}

story! {
    async fn coming_to_three_gatherings_makes_a_regular(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let ann = t.user("ann").await;
        ann.post("/api/v1/communities/club/join", json!({})).await;
        // A custom rule over the same count: two gatherings.
        let (s, b) = owner.post(BADGES, json!({"name": "Two evenings", "icon": "party-popper", "counter": "events", "at_least": 2})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let soon = |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
        for i in 0..3 {
            let (_, e) = owner
                .post("/api/v1/communities/club/events", json!({"title": format!("读书会 {i}"), "starts_at": soon(1), "ends_at": soon(2)}))
                .await;
            let id = e["id"].as_i64().unwrap();
            let (_, r) = ann.post(&format!("/api/v1/events/{id}/registrations"), json!({})).await;
            let (s, d) = owner.post(&format!("/api/v1/events/{id}/check-ins"), json!({"code": r["ticket_code"]})).await;
            assert_eq!((s, d["outcome"].as_str()), (StatusCode::OK, Some("checked_in")), "{d}");
            t.drain().await;
            let held = badges_of(&ann, "ann").await;
            let expect: &[&str] = match i {
                0 => &[],
                1 => &["Two evenings"],
                _ => &["Two evenings", "event_regular"],
            };
            assert_eq!(held, expect, "after gathering {i}");
        }
        assert_error(&owner.post(BADGES, json!({"name": "x", "counter": "tickets", "at_least": 2})).await, 422, "invalid_choice", Some("counter"));
    }
}
