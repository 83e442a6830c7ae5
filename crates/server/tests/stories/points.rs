//! Points (JSON API): the ledger follows activity, takes back what removed
//! content earned, stays equal to the balances under racing writers, and a
//! recompute from the activity log gives what live awarding gave.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use yaji_testkit::*;

async fn balance(u: &User, slug: &str, name: &str) -> i64 {
    let (s, p) = u.get(&format!("/api/v1/communities/{slug}/members/{name}/points")).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    p["balance"].as_i64().unwrap()
}

/// Every balance equals the sum of its member's ledger rows, and each
/// period's total the sum of the rows it holds.
async fn assert_ledger_matches(t: &TestApp) {
    let off = t.balances_off_ledger().await;
    assert_eq!(off, 0, "balances that differ from their ledger");
    let missing = t
        .count(
            "SELECT COUNT(*) FROM (SELECT DISTINCT community_id, user_id FROM points_ledger) l \
             WHERE NOT EXISTS (SELECT 1 FROM points_balances b WHERE b.community_id = l.community_id AND b.user_id = l.user_id)",
        )
        .await;
    assert_eq!(missing, 0, "ledger rows without a balance");
}

fn rules(v: &Value) -> Vec<String> {
    v["history"].as_array().unwrap().iter().map(|e| e["rule"].as_str().unwrap().to_string()).collect()
}

story! {
    /// Posting, commenting and receiving replies and reactions pay by the
    /// default rules; reacting to yourself or with a second emoji pays
    /// nothing more; a removed post takes back what it earned; staff adjust
    /// with a reason (audited); history is the member's and staff's only.
    #[tokio::test]
    async fn points_follow_activity_and_removals(b) {
        let t = TestApp::spawn(b).await;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let ann = t.user("ann").await;
        let bob = t.user("bob").await;
        for u in [&ann, &bob] {
            u.post("/api/v1/communities/club/join", json!({})).await;
        }
        let (_, p) = ann.post("/api/v1/communities/club/posts", json!({"body": "my first walk"})).await;
        let pid = p["id"].as_i64().unwrap();
        assert_eq!(balance(&ann, "club", "ann").await, 5, "a post pays 5");
        bob.post(&format!("/api/v1/posts/{pid}/comments"), json!({"body": "lovely"})).await;
        assert_eq!(balance(&bob, "club", "bob").await, 2, "a comment pays 2");
        assert_eq!(balance(&ann, "club", "ann").await, 6, "a reply received pays 1");
        // Two emoji from Bob pay once; Ann's own reaction pays nothing.
        bob.post(&format!("/api/v1/posts/{pid}/reactions"), json!({"emoji": "👍"})).await;
        bob.post(&format!("/api/v1/posts/{pid}/reactions"), json!({"emoji": "❤️"})).await;
        ann.post(&format!("/api/v1/posts/{pid}/reactions"), json!({"emoji": "👍"})).await;
        assert_eq!(balance(&ann, "club", "ann").await, 7);
        // Essence pays the author 20.
        owner.post(&format!("/api/v1/posts/{pid}/essence"), json!({})).await;
        assert_eq!(balance(&ann, "club", "ann").await, 27);
        let (_, mine) = ann.get("/api/v1/communities/club/members/ann/points").await;
        assert_eq!(rules(&mine), ["essence", "reaction_received", "reply_received", "post"], "{mine}");
        assert_eq!(mine["level"]["label"], "Lv1");
        assert_eq!(mine["next_level"]["min_points"], 50);
        assert_eq!(mine["to_next"], 23);
        // Others see the balance, not the history.
        let (_, seen) = bob.get("/api/v1/communities/club/members/ann/points").await;
        assert_eq!((seen["balance"].as_i64(), seen["history"].as_array().unwrap().len()), (Some(27), 0));

        // The owner deletes the post: its post, reaction and essence awards are taken back,
        // Bob keeps what his comment earned him.
        assert_eq!(owner.delete(&format!("/api/v1/posts/{pid}")).await.0, StatusCode::NO_CONTENT);
        assert_eq!(balance(&ann, "club", "ann").await, 1, "only the reply received stays");
        assert_eq!(balance(&bob, "club", "bob").await, 2);
        let (_, mine) = ann.get("/api/v1/communities/club/members/ann/points").await;
        assert_eq!(rules(&mine).iter().filter(|r| *r == "reversal").count(), 3, "{mine}");

        // Staff adjust, with a reason; members may not; bad input is named.
        assert_error(&bob.post("/api/v1/communities/club/members/ann/points", json!({"amount": 5, "reason": "x"})).await, 403, "insufficient_role", None);
        assert_error(&owner.post("/api/v1/communities/club/members/ann/points", json!({"amount": 0, "reason": "x"})).await, 422, "out_of_range", Some("amount"));
        assert_error(&owner.post("/api/v1/communities/club/members/ann/points", json!({"amount": 5, "reason": " "})).await, 422, "required", Some("reason"));
        assert_error(&owner.post("/api/v1/communities/club/members/nobody/points", json!({"amount": 5, "reason": "x"})).await, 404, "not_found", None);
        let (s, adj) = owner.post("/api/v1/communities/club/members/ann/points", json!({"amount": 60, "reason": "hosted the tea walk"})).await;
        assert_eq!((s, adj["balance"].as_i64()), (StatusCode::OK, Some(61)), "{adj}");
        assert_eq!(adj["level"]["number"], 2);
        assert_eq!(adj["history"][0]["reason"], "hosted the tea walk");
        // Reaching Lv2 told Ann once, and the audit has the adjustment.
        assert_eq!(t.count("SELECT COUNT(*) FROM notifications WHERE kind = 'level_reached'").await, 1);
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'level_reached'").await, 1);
        let (_, less) = owner.post("/api/v1/communities/club/members/ann/points", json!({"amount": -20, "reason": "double-booked"})).await;
        assert_eq!(less["balance"], 41);
        owner.post("/api/v1/communities/club/members/ann/points", json!({"amount": 20, "reason": "sorted"})).await;
        assert_eq!(t.count("SELECT COUNT(*) FROM notifications WHERE kind = 'level_reached'").await, 1, "a level is announced once");

        // Levels from the second up show next to names: feeds, comments, the directory.
        let (_, again) = ann.post("/api/v1/communities/club/posts", json!({"body": "back again"})).await;
        bob.post(&format!("/api/v1/posts/{}/comments", again["id"]), json!({"body": "welcome back"})).await;
        let (_, feed) = bob.get("/api/v1/communities/club/posts").await;
        assert_eq!(feed["posts"][0]["author"]["level"], "Lv2", "{feed}");
        let (_, post) = bob.get(&format!("/api/v1/posts/{}", again["id"])).await;
        assert_eq!(post["post"]["author"]["level"], "Lv2");
        assert!(post["comments"][0]["author"].get("level").is_none(), "Lv1 is everyone's: not shown");
        let (_, dir) = bob.get("/api/v1/communities/club/members?q=ann").await;
        assert_eq!(dir[0]["user"]["level"], "Lv2", "{dir}");
        owner.post("/api/v1/communities/club/members/ann/points", json!({"amount": -6, "reason": "tidy"})).await;

        // Leaderboards: all time, this week, this month; bad periods are named.
        let (_, lb) = bob.get("/api/v1/communities/club/leaderboard?period=week").await;
        assert_eq!(lb["entries"][0]["username"], "ann", "{lb}");
        assert_eq!(lb["entries"][0]["points"], 61);
        assert_eq!(lb["entries"][1]["username"], "bob");
        let (_, all) = bob.get("/api/v1/communities/club/leaderboard").await;
        assert_eq!(all["entries"], lb["entries"]);
        assert_error(&bob.get("/api/v1/communities/club/leaderboard?period=year").await, 422, "invalid_choice", Some("period"));
        assert_ledger_matches(&t).await;
        t.cleanup().await;
    }
}

story! {
    /// Rules and levels are the admins'; every field is checked; turning a
    /// rule off stops it paying; a recompute applies the new rules to the
    /// past and gives what live awarding gives, twice in a row.
    #[tokio::test]
    async fn settings_and_recompute(b) {
        let t = TestApp::spawn(b).await;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let ann = t.user("ann").await;
        ann.post("/api/v1/communities/club/join", json!({})).await;
        let (s, set) = owner.get("/api/v1/communities/club/points/settings").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(set["rules"]["post"]["points"], 5);
        assert_error(&ann.get("/api/v1/communities/club/points/settings").await, 403, "insufficient_role", None);
        let mut bad = set.clone();
        bad["levels"][1]["min_points"] = json!(0);
        assert_error(&owner.put("/api/v1/communities/club/points/settings", bad).await, 422, "invalid", Some("levels"));
        let mut bad = set.clone();
        bad["rules"]["post"]["points"] = json!(-1);
        assert_error(&owner.put("/api/v1/communities/club/points/settings", bad).await, 422, "out_of_range", Some("rules"));

        for i in 0..3 {
            ann.post("/api/v1/communities/club/posts", json!({"body": format!("note {i}")})).await;
        }
        assert_eq!(balance(&ann, "club", "ann").await, 15);
        let mut new = set.clone();
        new["rules"]["post"]["points"] = json!(10);
        new["rules"]["post"]["daily_cap"] = json!(0);
        new["levels"][1]["name"] = json!("常客");
        let (s, saved) = owner.put("/api/v1/communities/club/points/settings", new).await;
        assert_eq!((s, &saved["levels"][1]["name"]), (StatusCode::OK, &json!("常客")));
        ann.post("/api/v1/communities/club/posts", json!({"body": "note 3"})).await;
        assert_eq!(balance(&ann, "club", "ann").await, 25, "new rules apply from now on");
        // Live awarding after the change equals a replay with the same rules.
        let live = t.pairs("SELECT user_id, balance FROM points_balances ORDER BY user_id").await;
        let (s, r) = owner.post("/api/v1/communities/club/points/recompute", json!({})).await;
        assert_eq!((s, r["rows"].as_i64()), (StatusCode::OK, Some(4)), "{r}");
        assert_eq!(balance(&ann, "club", "ann").await, 40, "the replay pays the past at 10");
        owner.post("/api/v1/communities/club/points/recompute", json!({})).await;
        assert_eq!(balance(&ann, "club", "ann").await, 40, "a replay pays nothing twice");
        assert_ne!(live, t.pairs("SELECT user_id, balance FROM points_balances ORDER BY user_id").await);
        let (_, me) = ann.get("/api/v1/communities/club/members/ann/points").await;
        assert_eq!(me["level"]["label"], "Lv1", "{me}");
        assert_error(&ann.post("/api/v1/communities/club/points/recompute", json!({})).await, 403, "insufficient_role", None);
        assert_ledger_matches(&t).await;
        t.cleanup().await;
    }
}

story! {
    /// Hundreds of racing writers — posts, comments, reactions taken and
    /// taken back, staff awards and deductions — leave every balance equal to
    /// its ledger; a recompute from the activity log then gives exactly the
    /// balances live awarding gave.
    #[tokio::test]
    async fn racing_awards_keep_the_ledger_and_recompute_agrees(b) {
        let t = TestApp::spawn(b).await;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        // Caps off so that the order of racing writes cannot change who earns what.
        let (_, mut set) = owner.get("/api/v1/communities/club/points/settings").await;
        for rule in set["rules"].as_object_mut().unwrap().values_mut() {
            rule["daily_cap"] = json!(0);
        }
        set["member_daily_cap"] = json!(0);
        owner.put("/api/v1/communities/club/points/settings", set).await;
        let mut members = vec![];
        for i in 0..12 {
            let u = t.user(&format!("mem{i}")).await;
            u.post("/api/v1/communities/club/join", json!({})).await;
            members.push(u);
        }
        let posts = join_all(members.iter().map(|u| u.post("/api/v1/communities/club/posts", json!({"body": "hello all"})))).await;
        let pids: Vec<i64> = posts.iter().map(|p| p.1["id"].as_i64().unwrap()).collect();
        let mut calls = vec![];
        for (i, u) in members.iter().enumerate() {
            for (j, pid) in pids.iter().enumerate() {
                let pid = *pid;
                calls.push(Box::pin(async move {
                    let react = format!("/api/v1/posts/{pid}/reactions");
                    u.post(&react, json!({"emoji": "👍"})).await;
                    if (i + j) % 3 == 0 {
                        u.delete(&format!("{react}?emoji=%F0%9F%91%8D")).await;
                    }
                    if (i + j) % 4 == 0 {
                        u.post(&format!("/api/v1/posts/{pid}/comments"), json!({"body": format!("reply {i}")})).await;
                    }
                }) as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>);
            }
        }
        for (i, _) in members.iter().enumerate() {
            let owner = &owner;
            calls.push(Box::pin(async move {
                let amount = if i % 2 == 0 { 7 } else { -3 };
                owner.post(&format!("/api/v1/communities/club/members/mem{i}/points"), json!({"amount": amount, "reason": "race"})).await;
            }));
        }
        assert!(calls.len() >= 150);
        join_all(calls).await;
        // Staff delete two posts while their reactions are being counted.
        let gone: Vec<String> = pids[..2].iter().map(|p| format!("/api/v1/posts/{p}")).collect();
        join_all(gone.iter().map(|p| owner.delete(p))).await;
        assert_ledger_matches(&t).await;
        let live = t.pairs("SELECT user_id, balance FROM points_balances ORDER BY user_id").await;
        assert!(live.iter().filter(|(_, b)| *b > 0).count() >= 10, "{live:?}");
        let week = t.pairs("SELECT user_id, points FROM points_periods WHERE period LIKE 'w%' ORDER BY user_id").await;
        owner.post("/api/v1/communities/club/points/recompute", json!({})).await;
        assert_eq!(t.pairs("SELECT user_id, balance FROM points_balances ORDER BY user_id").await, live, "{b:?}");
        assert_eq!(t.pairs("SELECT user_id, points FROM points_periods WHERE period LIKE 'w%' ORDER BY user_id").await, week);
        assert_ledger_matches(&t).await;
        t.cleanup().await;
    }
}

story! {
    /// A month's top contributors: live during the month, frozen once it is
    /// over (later changes to its totals do not move it), announced by the
    /// monthly template's post, the top three given the month's badge.
    async fn monthly_top_contributors_are_frozen_and_announced(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let mut members = vec![];
        for (name, posts) in [("ann", 3), ("bob", 2), ("cat", 1), ("dan", 0)] {
            let u = t.user(name).await;
            u.post("/api/v1/communities/club/join", json!({})).await;
            for i in 0..posts {
                u.post("/api/v1/communities/club/posts", json!({"body": format!("{name} note {i}")})).await;
            }
            members.push(u);
        }
        let ann = &members[0];
        let names = |v: &Value| -> Vec<(String, i64)> {
            v["entries"].as_array().unwrap().iter().map(|e| (e["username"].as_str().unwrap().to_string(), e["points"].as_i64().unwrap())).collect()
        };

        // Last month (default) had nothing; a month not begun is refused.
        let (s, last) = ann.get("/api/v1/communities/club/leaderboard/monthly").await;
        assert_eq!((s, last["frozen"].as_bool(), names(&last).len()), (StatusCode::OK, Some(true), 0), "{last}");
        assert_error(&ann.get("/api/v1/communities/club/leaderboard/monthly?month=2999-01").await, 422, "in_future", Some("month"));
        assert_error(&ann.get("/api/v1/communities/club/leaderboard/monthly?month=soon").await, 422, "invalid_format", Some("month"));

        // Last month's totals appear (as if earned then): the first read freezes them.
        let last_key = format!("m{}", last["month"].as_str().unwrap());
        t.exec(&format!(
            "INSERT INTO points_periods (community_id, period, user_id, points) VALUES (1, '{last_key}', {}, 40), (1, '{last_key}', {}, 50)",
            members[0].id, members[1].id
        ))
        .await;
        let (_, frozen) = ann.get("/api/v1/communities/club/leaderboard/monthly").await;
        assert_eq!(names(&frozen), [("bob".to_string(), 50), ("ann".to_string(), 40)]);
        t.exec(&format!("UPDATE points_periods SET points = 1 WHERE period = '{last_key}'")).await;
        let (_, again) = ann.get("/api/v1/communities/club/leaderboard/monthly").await;
        assert_eq!(names(&again), names(&frozen), "a finished month does not move");
        let top = "SELECT COUNT(*) FROM member_badges m JOIN badges b ON b.id = m.badge_id WHERE b.builtin = 'top_contributor'";
        assert_eq!(t.count(top).await, 2);

        // The template posts on the 1st; run its timer now: it announces the month before the timer's date.
        let (s, _) = owner.post("/api/v1/communities/club/automation/templates/monthly_top?locale=en", json!({})).await;
        assert_eq!(s, StatusCode::CREATED);
        t.make_due("automation_timer").await;
        t.drain().await;
        let (_, feed) = ann.get("/api/v1/communities/club/posts").await;
        let post = &feed["posts"][0];
        assert!(post["title"].as_str().unwrap().starts_with("Top contributors · "), "{post}");
        let (_, full) = ann.get(&format!("/api/v1/posts/{}", post["id"])).await;
        let body = full["post"]["body"].as_str().unwrap();
        assert!(body.contains("1. ann (@ann) · 15") && body.contains("2. bob (@bob) · 10") && body.contains("3. cat (@cat) · 5"), "{body}");
        assert!(!body.contains("dan"), "no points, not listed");
        // Ann, Bob (again: once per member) and Cat hold the badge.
        assert_eq!(t.count(top).await, 3);
    }
}

story! {
    /// The other boards: top inviters (members who joined with one's invite)
    /// and the most helpful (replies others wrote on one's posts).
    async fn inviters_and_helpful_boards(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let ann = t.user("ann").await;
        ann.post("/api/v1/communities/club/join", json!({})).await;
        let (_, inv) = ann.post("/api/v1/communities/club/invites", json!({"max_uses": 5})).await;
        let code = inv["code"].as_str().unwrap().to_string();
        for n in ["bob", "cat"] {
            t.user(n).await.post("/api/v1/communities/club/join", json!({"invite_code": code})).await;
        }
        let (_, p) = owner.post("/api/v1/communities/club/posts", json!({"body": "who reads poetry?"})).await;
        for u in [&ann, &owner] {
            u.post(&format!("/api/v1/posts/{}/comments", p["id"]), json!({"body": "me"})).await;
        }
        let board = |v: &Value| -> Vec<(String, i64)> {
            v["entries"].as_array().unwrap().iter().map(|e| (e["username"].as_str().unwrap().to_string(), e["points"].as_i64().unwrap())).collect()
        };
        let (_, inviters) = ann.get("/api/v1/communities/club/leaderboard?period=week&board=inviters").await;
        assert_eq!((inviters["board"].as_str(), board(&inviters)), (Some("inviters"), vec![("ann".to_string(), 2)]));
        let (_, helpful) = ann.get("/api/v1/communities/club/leaderboard?board=helpful").await;
        assert_eq!(board(&helpful), [("owner".to_string(), 1)], "their own comment does not count");
        assert_error(&ann.get("/api/v1/communities/club/leaderboard?board=likes").await, 422, "invalid_choice", Some("board"));
        let b = Browser::new(&t);
        let (s, page) = b.page("/c/club/leaderboard?period=month&board=inviters").await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains(r#"<strong class="pts">2</strong>"#), "{page}");
    }
}

story! {
    /// Reaching a level and earning a badge trigger automation: here, Lv2
    /// tags the member (which could open a tag-gated topic), a first-post
    /// badge sends a note.
    async fn levels_and_badges_trigger_automation(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let ann = t.user("ann").await;
        ann.post("/api/v1/communities/club/join", json!({})).await;
        let rules = "/api/v1/communities/club/automation/rules";
        let bad = json!({"name": "Lv1", "trigger": {"kind": "level_reached", "level": 1}, "actions": [{"kind": "add_tag", "tag": "x"}]});
        assert_error(&owner.post(rules, bad).await, 422, "out_of_range", Some("trigger.level"));
        for (name, trigger, action) in [
            ("Regulars", json!({"kind": "level_reached", "level": 2}), json!({"kind": "add_tag", "tag": "regular"})),
            ("Lv3", json!({"kind": "level_reached", "level": 3}), json!({"kind": "add_tag", "tag": "lv3"})),
            ("Badge note", json!({"kind": "badge_earned"}), json!({"kind": "notify", "message": "Well done, {name}!"})),
        ] {
            let (s, r) = owner.post(rules, json!({"name": name, "trigger": trigger, "actions": [action]})).await;
            assert_eq!(s, StatusCode::CREATED, "{r}");
        }
        ann.post("/api/v1/communities/club/posts", json!({"body": "hello"})).await;
        owner.post("/api/v1/communities/club/members/ann/points", json!({"amount": 60, "reason": "welcome"})).await;
        t.drain().await;
        let tags = "SELECT COUNT(*) FROM member_tags WHERE tag = ";
        assert_eq!((t.count(&format!("{tags}'regular'")).await, t.count(&format!("{tags}'lv3'")).await), (1, 0));
        assert_eq!(t.count("SELECT COUNT(*) FROM notifications WHERE kind = 'automation'").await, 1, "one badge, one note");
    }
}
