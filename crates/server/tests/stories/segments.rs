//! Segments (JSON API): staff preview a rule, save it, page its members and
//! act on all of them at once — members who turned community messages off
//! are left out, a segment that changed since the preview is refused, racing
//! awards keep the ledger equal to the balances, and each action is audited.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use yaji_testkit::*;

fn names(v: &Value) -> Vec<String> {
    v["members"].as_array().unwrap().iter().map(|m| m["user"]["username"].as_str().unwrap().to_string()).collect()
}

const SEGS: &str = "/api/v1/communities/club/segments";

story! {
    async fn segments_preview_save_page_and_act(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let mut members = vec![];
        for n in ["ann", "bob", "cat", "dan"] {
            let u = t.user(n).await;
            u.post("/api/v1/communities/club/join", json!({})).await;
            members.push(u);
        }
        for n in ["ann", "bob"] {
            let (s, _) = owner.put(&format!("/api/v1/communities/club/members/{n}/tags/reader"), json!({})).await;
            assert_eq!(s, StatusCode::OK);
        }
        let ann = &members[0];

        // Members may not see or build segments.
        assert_error(&ann.get(SEGS).await, 403, "insufficient_role", None);
        assert_error(&ann.post(&format!("{SEGS}/preview"), json!({})).await, 403, "insufficient_role", None);

        // Preview: every active member without conditions, the tagged two with one; bad rules are named.
        let (s, all) = owner.post(&format!("{SEGS}/preview"), json!({})).await;
        assert_eq!((s, all["count"].as_i64()), (StatusCode::OK, Some(5)), "{all}");
        let rule = json!({"tags_any": ["reader"], "roles": ["member"]});
        let (_, p) = owner.post(&format!("{SEGS}/preview"), rule.clone()).await;
        assert_eq!((p["count"].as_i64(), names(&p)), (Some(2), vec!["ann".to_string(), "bob".into()]));
        let bad = json!({"tags_any": ["reader"], "tags_none": ["reader"]});
        assert_error(&owner.post(&format!("{SEGS}/preview"), bad).await, 422, "contradiction", Some("tags_none"));
        assert_error(&owner.post(&format!("{SEGS}/preview"), json!({"roles": ["king"]})).await, 422, "invalid_choice", Some("roles"));
        assert_error(&owner.post(&format!("{SEGS}/preview"), json!({"inactive_days": 0})).await, 422, "out_of_range", Some("inactive_days"));

        // Save; the name is unique in the community.
        let (s, seg) = owner.post(SEGS, json!({"name": "Readers", "rule": rule})).await;
        assert_eq!(s, StatusCode::CREATED, "{seg}");
        let id = seg["id"].as_i64().unwrap();
        assert_eq!(seg["members"], 2);
        assert_error(&owner.post(SEGS, json!({"name": " Readers ", "rule": {}})).await, 409, "name_taken", Some("name"));
        assert_error(&owner.post(SEGS, json!({"name": "", "rule": {}})).await, 422, "invalid_length", Some("name"));
        let (_, list) = owner.get(SEGS).await;
        assert_eq!(list.as_array().unwrap().len(), 1);

        // Members page by page.
        let (_, p1) = owner.get(&format!("{SEGS}/{id}/members?limit=1")).await;
        assert_eq!((p1["count"].as_i64(), names(&p1)), (Some(2), vec!["ann".to_string()]));
        let cursor = p1["next_cursor"].as_str().unwrap();
        let (_, p2) = owner.get(&format!("{SEGS}/{id}/members?limit=1&cursor={cursor}")).await;
        assert_eq!(names(&p2), ["bob"]);
        assert!(p2["next_cursor"].is_null());
        assert_error(&owner.get(&format!("{SEGS}/{id}/members?cursor=x")).await, 422, "invalid_cursor", Some("cursor"));

        // Bob turned community messages off: the message reaches Ann only.
        let (s, _) = members[1]
            .put("/api/v1/me/email", json!({"quiet_start": 0, "quiet_end": 0, "modes": {"community_message": "off"}}))
            .await;
        assert_eq!(s, StatusCode::OK);
        let msg = json!({"action": "message", "text": "Book club moves to Friday", "expected": 2});
        let (s, out) = owner.post(&format!("{SEGS}/{id}/actions"), msg).await;
        assert_eq!((s, out), (StatusCode::OK, json!({"done": 1, "skipped": 1})));
        let sent = "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'community_message' AND u.username = ";
        assert_eq!((t.count(&format!("{sent}'ann'")).await, t.count(&format!("{sent}'bob'")).await), (1, 0));

        // Cat is tagged meanwhile: acting on the count previewed before is refused, nothing done.
        owner.put("/api/v1/communities/club/members/cat/tags/reader", json!({})).await;
        let stale = json!({"action": "tag", "tag": "veteran", "expected": 2});
        assert_error(&owner.post(&format!("{SEGS}/{id}/actions"), stale).await, 409, "segment_changed", Some("expected"));
        assert_eq!(t.count("SELECT COUNT(*) FROM member_tags WHERE tag = 'veteran'").await, 0);
        let tag = json!({"action": "tag", "tag": "veteran", "expected": 3});
        assert_eq!(owner.post(&format!("{SEGS}/{id}/actions"), tag.clone()).await.1, json!({"done": 3, "skipped": 0}));
        assert_eq!(owner.post(&format!("{SEGS}/{id}/actions"), tag).await.1, json!({"done": 0, "skipped": 3}));
        assert_error(&owner.post(&format!("{SEGS}/{id}/actions"), json!({"action": "award", "amount": 5, "reason": ""})).await, 422, "required", Some("reason"));

        // Racing awards on the segment: each pays all three once; the ledger equals the balances.
        let award = json!({"action": "award", "amount": 3, "reason": "reading week"});
        let url = format!("{SEGS}/{id}/actions");
        let outs = join_all((0..40).map(|_| owner.post(&url, award.clone()))).await;
        assert!(outs.iter().all(|(s, o)| *s == StatusCode::OK && o["done"] == 3), "{outs:?}");
        let paid = t.count("SELECT COUNT(*) FROM points_ledger WHERE rule = 'manual' AND amount = 3").await;
        assert_eq!(paid, 120);
        let off = t.balances_off_ledger().await;
        assert_eq!(off, 0);

        // Every action is in the audit log, with its counts.
        let acted = t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'segment_acted'").await;
        assert_eq!(acted, 43);

        // Points now tell the segment apart: redefine it, then delete it.
        let (s, seg) = owner.put(&format!("{SEGS}/{id}"), json!({"name": "Keen readers", "rule": {"tags_any": ["reader"], "min_points": 121}})).await;
        assert_eq!((s, seg["members"].as_i64()), (StatusCode::OK, Some(0)), "{seg}");
        let (_, seg) = owner.put(&format!("{SEGS}/{id}"), json!({"name": "Keen readers", "rule": {"tags_any": ["reader"], "min_points": 120}})).await;
        assert_eq!(seg["members"], 3);
        assert_eq!(owner.delete(&format!("{SEGS}/{id}")).await.0, StatusCode::NO_CONTENT);
        assert_error(&owner.get(&format!("{SEGS}/{id}")).await, 404, "not_found", None);
    }
}

story! {
    async fn segments_pick_members_by_analytics_tier(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        for n in ["ann", "bob", "cat", "dan"] {
            t.user(n).await.post("/api/v1/communities/club/join", json!({})).await;
        }
        let cid = t.count("SELECT id FROM communities WHERE slug = 'club'").await;
        let id = |n: &str| format!("(SELECT id FROM users WHERE username = '{n}')");
        const DAY: i64 = 86_400_000;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
        // Everyone's real events (joins) go 100 days back: churned unless more follows.
        t.exec(&format!("UPDATE activity_events SET occurred_at = {} WHERE community_id = {cid}", now - 100 * DAY)).await;
        let at = |who: &str, days_ago: i64| {
            format!(
                "INSERT INTO activity_events (kind, community_id, actor_id, subject_kind, subject_id, occurred_at, payload)
                 VALUES ('post_created', {cid}, {}, 'post', 0, {}, '{{}}')",
                id(who),
                now - days_ago * DAY
            )
        };
        // ann: 13 of the last 30 days → core; bob: last seen 20 days ago → silent;
        // cat: nothing since → churned; dan: first seen 2 days ago → new.
        let mut sql: Vec<String> = (0..13).map(|k| at("ann", k)).collect();
        sql.push(at("bob", 20));
        t.exec(&format!("DELETE FROM activity_events WHERE actor_id = {}", id("dan"))).await;
        sql.push(at("dan", 2));
        for s in sql {
            t.exec(&s).await;
        }
        let preview = |tiers: Value| {
            let owner = &owner;
            async move { owner.post(&format!("{SEGS}/preview"), json!({"tiers": tiers})).await }
        };
        let (s, core) = preview(json!(["core"])).await;
        assert_eq!((s, names(&core)), (StatusCode::OK, vec!["ann".to_string()]), "{core}");
        let (_, quiet) = preview(json!(["silent", "churned"])).await;
        let mut q = names(&quiet);
        q.sort();
        assert_eq!(q, ["bob", "cat", "owner"]);
        assert_eq!(names(&preview(json!(["new"])).await.1), ["dan"]);
        assert_eq!(preview(json!(["active"])).await.1["count"], 0);
        assert_error(&preview(json!(["sleepy"])).await, 422, "unknown_tier", Some("tiers"));

        // The same split as the analytics dashboard's tiers today.
        let (_, d) = owner.get("/api/v1/communities/club/analytics").await;
        let last = d["tiers"].as_array().unwrap().last().unwrap().clone();
        for tier in ["new", "active", "core", "silent", "churned"] {
            let (_, p) = preview(json!([tier])).await;
            assert_eq!(p["count"], last[tier], "{tier}: {last}");
        }

        // A saved segment keeps the condition and acts on today's members of the tier.
        let (s, seg) = owner.post(SEGS, json!({"name": "Quiet", "rule": {"tiers": ["silent"]}})).await;
        assert_eq!((s, seg["members"].as_i64()), (StatusCode::CREATED, Some(1)), "{seg}");
        let sid = seg["id"].as_i64().unwrap();
        let (s, out) = owner
            .post(&format!("{SEGS}/{sid}/actions"), json!({"action": "tag", "tag": "winback", "expected": 1}))
            .await;
        assert_eq!((s, out["done"].as_i64()), (StatusCode::OK, Some(1)), "{out}");
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM member_tags WHERE tag = 'winback' AND user_id = {}", id("bob"))).await, 1);
    }
}

story! {
    async fn a_segment_is_invited_to_a_gathering(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        owner.post("/api/v1/communities", community("other", "open")).await;
        let mut users = vec![];
        for n in ["ann", "bob", "cat", "dan"] {
            let u = t.user(n).await;
            u.post("/api/v1/communities/club/join", json!({})).await;
            users.push(u);
        }
        let (ann, bob, cat) = (&users[0], &users[1], &users[2]);
        for n in ["ann", "bob", "cat"] {
            owner.put(&format!("/api/v1/communities/club/members/{n}/tags/reader"), json!({})).await;
        }
        let (_, seg) = owner.post(SEGS, json!({"name": "Readers", "rule": {"tags_any": ["reader"]}})).await;
        let url = format!("{SEGS}/{}/actions", seg["id"]);
        let at = |d: i64| (chrono::Utc::now() + chrono::Duration::days(d)).to_rfc3339();
        let event = |c: &'static str, title: &'static str| {
            let owner = &owner;
            async move {
                let body = json!({"title": title, "starts_at": at(3), "ends_at": at(4)});
                owner.post(&format!("/api/v1/communities/{c}/events"), body).await.1["id"].as_i64().unwrap()
            }
        };
        let id = event("club", "读书会").await;
        // Ann registered already; Cat turned invitations off: only Bob is invited.
        ann.post(&format!("/api/v1/events/{id}/registrations"), json!({})).await;
        cat.put("/api/v1/me/email", json!({"quiet_start": 0, "quiet_end": 0, "modes": {"event_invitation": "off"}})).await;
        let (s, out) = owner.post(&url, json!({"action": "invite", "event_id": id, "note": "周五见", "expected": 3})).await;
        assert_eq!((s, out), (StatusCode::OK, json!({"done": 1, "skipped": 2})));
        let sent = t.count("SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'event_invitation' AND u.username = 'bob'").await;
        assert_eq!((sent, t.count("SELECT COUNT(*) FROM notifications WHERE kind = 'event_invitation'").await), (1, 1));
        // The invitation links with attribution; registering through it counts in the funnel.
        let (_, inbox) = bob.get("/api/v1/me/notifications").await;
        let link = inbox.to_string();
        assert!(link.contains(&format!("/events/{id}?via=invite")), "{inbox}");
        bob.post(&format!("/api/v1/events/{id}/registrations"), json!({"via": "invite"})).await;
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM event_registrations WHERE event_id = {id} AND via = 'invite'")).await, 1);
        // Another community's gathering, a cancelled one, a missing one: named, nothing sent.
        let elsewhere = event("other", "别处").await;
        assert_error(&owner.post(&url, json!({"action": "invite", "event_id": elsewhere})).await, 422, "not_found", Some("event_id"));
        let gone = event("club", "取消了").await;
        owner.post(&format!("/api/v1/events/{gone}/cancel"), json!({})).await;
        assert_error(&owner.post(&url, json!({"action": "invite", "event_id": gone})).await, 422, "closed", Some("event_id"));
        assert_eq!(t.count("SELECT COUNT(*) FROM notifications WHERE kind = 'event_invitation'").await, 1);
        let acted = t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'segment_acted'").await;
        assert_eq!(acted, 1);
    }
}
