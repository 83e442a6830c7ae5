//! Check-in challenges through the API: the stable paths, one check-in per
//! member per day under racing taps, make-up cards and their price,
//! proof posts kept out of the feed, milestones that grant badges and tags,
//! eligibility rules, reminders sent once a day, leaderboards and statistics.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use yaji_testkit::*;

/// Today in the community's time zone (Asia/Shanghai by default), shifted by `days`.
fn local(days: i64) -> String {
    (chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive() + chrono::Duration::days(days))
        .to_string()
}

async fn setup(t: &TestApp, members: usize) -> (User, Vec<User>) {
    let owner = t.user("owner").await;
    owner.post("/api/v1/communities", community("club", "open")).await;
    let mut out = vec![];
    for i in 0..members {
        let u = t.user(&format!("m{i:02}")).await;
        u.post("/api/v1/communities/club/join", json!({})).await;
        out.push(u);
    }
    (owner, out)
}

async fn create(owner: &User, body: Value) -> i64 {
    let (s, c) = owner.post("/api/v1/communities/club/challenges", body).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}

/// Backdates a member's joining and adds check-ins on earlier days (`days` back from today).
async fn history(t: &TestApp, id: i64, user: i64, days: &[i64]) {
    t.exec(&format!("UPDATE challenge_members SET joined_at = 0 WHERE challenge_id = {id} AND user_id = {user}")).await;
    for d in days {
        t.exec(&format!(
            "INSERT INTO checkins (challenge_id, user_id, day, made_up, created_at) VALUES ({id}, {user}, '{}', 0, 1)",
            local(-d)
        ))
        .await;
    }
}

story! {
    async fn racing_taps_check_in_once_a_day_and_streaks_read_back(t: TestApp) {
        let (owner, members) = setup(&t, 6).await;
        let url = "/api/v1/communities/club/challenges";
        // Stable fields only; staff only; dates checked.
        let body = json!({"title": "21 天读书", "starts_on": local(0), "ends_on": local(20)});
        assert_error(&members[0].post(url, body.clone()).await, 403, "insufficient_role", None);
        let bad = json!({"title": "x", "starts_on": local(3), "ends_on": local(1)});
        assert_error(&owner.post(url, bad).await, 422, "out_of_range", Some("ends_on"));
        assert_error(&owner.post(url, json!({"title": "x", "starts_on": "soon", "ends_on": null})).await, 422, "invalid_date", Some("starts_on"));
        let id = create(&owner, body).await;
        let (_, c) = owner.get(&format!("/api/v1/challenges/{id}")).await;
        assert_eq!((c["status"].as_str(), c["total_days"].as_i64(), c["day_number"].as_i64()), (Some("running"), Some(21), Some(1)));
        assert_eq!(c["milestones"], json!([7, 21, 100]));

        let checkins = format!("/api/v1/challenges/{id}/checkins");
        assert_error(&members[0].post(&checkins, json!({})).await, 409, "not_joined", None);
        for m in &members {
            let (s, v) = m.post(&format!("/api/v1/challenges/{id}/join"), json!({})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        // Each member taps twelve times at once: one check-in each, the rest 409.
        let path = checkins.as_str();
        let taps = members.iter().flat_map(|m| (0..12).map(move |_| m.post(path, json!({"body": null}))));
        let answers = join_all(taps).await;
        let made = answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
        let refused = answers.iter().filter(|(s, v)| *s == StatusCode::CONFLICT && v["error"]["code"] == "already_checked_in").count();
        assert_eq!((made, refused), (6, 66), "{answers:?}");
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM checkins WHERE challenge_id = {id}")).await, 6);
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'checkin_made'").await, 6);
        // Points: the check-in rule paid each once.
        assert_eq!(t.count("SELECT COUNT(*) FROM points_ledger WHERE rule = 'check_in' AND amount = 2").await, 6);

        let (s, streak) = owner.get(&format!("/api/v1/challenges/{id}/members/m00/streak")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!((streak["current"].as_i64(), streak["longest"].as_i64()), (Some(1), Some(1)));
        assert_eq!(owner.get(&format!("/api/v1/challenges/{id}/members/owner/streak")).await.0, StatusCode::NOT_FOUND);

        // Leaderboards and statistics.
        let (_, board) = owner.get(&format!("/api/v1/challenges/{id}/leaderboard?by=total")).await;
        assert_eq!(board.as_array().unwrap().len(), 6);
        assert_error(&owner.get(&format!("/api/v1/challenges/{id}/leaderboard?by=nope")).await, 422, "invalid_choice", Some("by"));
        assert_error(&members[0].get(&format!("/api/v1/challenges/{id}/stats")).await, 403, "insufficient_role", None);
        let (_, stats) = owner.get(&format!("/api/v1/challenges/{id}/stats")).await;
        assert_eq!((stats["participants"].as_i64(), stats["checkins"].as_i64()), (Some(6), Some(6)));
        assert_eq!(stats["days"][0]["checked_in"].as_i64(), Some(6));
        assert_eq!(stats["completion_rate"].as_f64(), Some(0.0));
    }
}

story! {
    async fn make_up_cards_cover_the_last_missed_day_within_allowance_and_price(t: TestApp) {
        let (owner, members) = setup(&t, 2).await;
        let id = create(&owner, json!({
            "title": "晨读", "starts_on": local(-6), "ends_on": local(30), "makeup_cards": 1, "makeup_price": 5,
        }))
        .await;
        let (rich, poor) = (&members[0], &members[1]);
        for m in &members {
            m.post(&format!("/api/v1/challenges/{id}/join"), json!({})).await;
            // Done 4, 3 and 2 days ago; yesterday missed.
            history(&t, id, m.id, &[4, 3, 2]).await;
        }
        let checkins = format!("/api/v1/challenges/{id}/checkins");
        let (s, today) = rich.post(&checkins, json!({})).await;
        assert_eq!((s, today["current"].as_i64(), today["longest"].as_i64()), (StatusCode::CREATED, Some(1), Some(3)), "{today}");

        // A card costs 5 points: refused without them, and nothing is written.
        assert_error(&poor.post(&checkins, json!({"makeup": true})).await, 409, "insufficient_points", None);
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM checkins WHERE user_id = {}", poor.id)).await, 3);
        owner.post(&format!("/api/v1/communities/club/members/{}/points", rich.name), json!({"amount": 12, "reason": "早起奖励"})).await;
        let (s, made_up) = rich.post(&checkins, json!({"makeup": true})).await;
        assert_eq!(s, StatusCode::CREATED, "{made_up}");
        assert_eq!((made_up["day"].as_str(), made_up["made_up"].as_bool()), (Some(local(-1).as_str()), Some(true)));
        // The gap is filled: 4, 3, 2 days ago, yesterday and today.
        assert_eq!((made_up["current"].as_i64(), made_up["longest"].as_i64(), made_up["points_spent"].as_i64()), (Some(5), Some(5), Some(5)));
        let (_, p) = rich.get(&format!("/api/v1/communities/club/members/{}/points", rich.name)).await;
        assert_eq!(p["balance"].as_i64(), Some(12 + 2 + 2 - 5), "{p}");
        assert_eq!(t.count("SELECT COUNT(*) FROM points_ledger WHERE rule = 'makeup' AND amount = -5").await, 1);
        // One card only, and the day is done anyway.
        assert_error(&rich.post(&checkins, json!({"makeup": true})).await, 409, "no_makeup_cards", None);
        let (_, cal) = rich.get(&format!("/api/v1/challenges/{id}/members/{}/calendar", rich.name)).await;
        let state = |d: String| cal["days"].as_array().unwrap().iter().find(|x| x["date"] == d.as_str()).map(|x| x["state"].clone());
        if local(-1)[..7] == local(0)[..7] {
            assert_eq!(state(local(-1)), Some(json!("made_up")), "{cal}");
            assert_eq!(state(local(0)), Some(json!("done")));
        }
        // The ledger still sums to the balance after a recompute.
        owner.post("/api/v1/communities/club/points/recompute", json!({})).await;
        let (_, again) = rich.get(&format!("/api/v1/communities/club/members/{}/points", rich.name)).await;
        assert_eq!(again["balance"], p["balance"]);
    }
}

story! {
    async fn notes_are_posts_kept_in_the_challenge_and_numbers_sum(t: TestApp) {
        let (owner, members) = setup(&t, 2).await;
        let id = create(&owner, json!({
            "title": "跑步打卡", "starts_on": local(0), "ends_on": null, "proof": "required", "number_label": "km",
        }))
        .await;
        let checkins = format!("/api/v1/challenges/{id}/checkins");
        for m in &members {
            m.post(&format!("/api/v1/challenges/{id}/join"), json!({})).await;
        }
        assert_error(&members[0].post(&checkins, json!({})).await, 422, "required", Some("body"));
        assert_error(&members[0].post(&checkins, json!({"body": "ok", "number": -3})).await, 422, "out_of_range", Some("number"));
        let (s, a) = members[0].post(&checkins, json!({"body": "**5 公里**，配速 6 分", "number": 5.2})).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        assert_error(&members[1].post(&checkins, json!({"body": "3k", "image_url": "javascript:alert(1)"})).await, 422, "invalid_url", Some("image_url"));
        let (s, b) = members[1].post(&checkins, json!({"body": "3k easy", "image_url": "https://img.example.cn/run.jpg", "number": 3})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        // A new member's link is held for review, as any post's would be; the challenge's feed waits for it.
        let held = t.count(&format!("SELECT COUNT(*) FROM posts WHERE id = {} AND moderation = 'held'", b["post_id"])).await;
        assert_eq!(held, 1);
        assert_eq!(owner.get(&format!("/api/v1/challenges/{id}/feed")).await.1.as_array().unwrap().len(), 1);
        let approve = json!({"targets": [{"kind": "post", "id": b["post_id"]}], "decision": "approve"});
        let (s, r) = owner.post("/api/v1/communities/club/moderation/queue/resolve", approve).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let post_id = a["post_id"].as_i64().unwrap();
        // The note is a post, but not in the community feed (the challenge's feed has it).
        let (_, feed) = owner.get("/api/v1/communities/club/posts").await;
        assert!(!feed.to_string().contains("配速"), "{feed}");
        let (_, cf) = owner.get(&format!("/api/v1/challenges/{id}/feed")).await;
        assert_eq!(cf.as_array().unwrap().len(), 2);
        assert!(cf[1]["body_html"].as_str().unwrap().contains("<strong>5 公里</strong>"), "{cf}");
        assert!(cf[0]["body_html"].as_str().unwrap().contains(r#"<img src="https://img.example.cn/run.jpg""#), "{cf}");
        // No post points for the proof: the check-in rule pays instead.
        assert_eq!(t.count("SELECT COUNT(*) FROM points_ledger WHERE rule = 'post'").await, 0);
        let (_, board) = owner.get(&format!("/api/v1/challenges/{id}/leaderboard?by=number")).await;
        assert_eq!((board[0]["member"]["username"].as_str(), board[0]["number_sum"].as_f64()), (Some("m00"), Some(5.2)));
        // Removing the note takes the check-in's points back; the day stays done.
        members[0].delete(&format!("/api/v1/posts/{post_id}")).await;
        let (_, p) = members[0].get("/api/v1/communities/club/members/m00/points").await;
        assert_eq!(p["balance"].as_i64(), Some(0), "{p}");
        let (_, st) = owner.get(&format!("/api/v1/challenges/{id}/members/m00/streak")).await;
        assert_eq!(st["current"].as_i64(), Some(1));
        assert_eq!(owner.get(&format!("/api/v1/challenges/{id}/feed")).await.1.as_array().unwrap().len(), 1);
    }
}

story! {
    async fn milestones_grant_badges_and_tags_and_finishers_get_a_certificate(t: TestApp) {
        let (owner, members) = setup(&t, 1).await;
        let id = create(&owner, json!({
            "title": "七日练字", "starts_on": local(-6), "ends_on": local(0),
            "milestones": [{"days": 7, "tag": "七日达人"}, {"days": 3}],
        }))
        .await;
        let m = &members[0];
        // Automation listens: a rule for 7-day streaks, one for any milestone.
        let rules = "/api/v1/communities/club/automation/rules";
        let bad = json!({"name": "x", "trigger": {"kind": "streak_reached", "days": 0}, "actions": [{"kind": "add_tag", "tag": "x"}]});
        assert_error(&owner.post(rules, bad).await, 422, "out_of_range", Some("trigger.days"));
        for (name, trigger, tag) in [("week", json!({"kind": "streak_reached", "days": 7}), "一周坚持"), ("any", json!({"kind": "streak_reached"}), "打卡达人")] {
            let (s, r) = owner.post(rules, json!({"name": name, "trigger": trigger, "actions": [{"kind": "add_tag", "tag": tag}]})).await;
            assert_eq!(s, StatusCode::CREATED, "{r}");
        }
        m.post(&format!("/api/v1/challenges/{id}/join"), json!({})).await;
        assert_eq!(m.get(&format!("/api/v1/challenges/{id}/members/m00/certificate")).await.0, StatusCode::NOT_FOUND);
        history(&t, id, m.id, &[6, 5, 4, 3, 2, 1]).await;
        let (s, c) = m.post(&format!("/api/v1/challenges/{id}/checkins"), json!({})).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        // The standing jumps from nothing to 7: both milestones at once.
        assert_eq!((c["current"].as_i64(), c["milestones"].clone(), c["finished"].as_bool()), (Some(7), json!([3, 7]), Some(true)));
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'streak_reached'").await, 2);
        let (_, badges) = m.get("/api/v1/communities/club/members/m00/badges").await;
        assert!(badges.to_string().contains("streak_7"), "{badges}");
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM member_tags WHERE user_id = {} AND tag = '七日达人'", m.id)).await, 1);
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM notifications WHERE user_id = {} AND kind = 'streak_reached'", m.id)).await, 2);
        t.drain().await;
        let tagged = |tag: &str| format!("SELECT COUNT(*) FROM member_tags WHERE user_id = {} AND tag = '{tag}'", m.id);
        assert_eq!((t.count(&tagged("一周坚持")).await, t.count(&tagged("打卡达人")).await), (1, 1));
        let (s, cert) = owner.get(&format!("/api/v1/challenges/{id}/members/m00/certificate")).await;
        assert_eq!((s, cert["checkins"].as_i64(), cert["longest"].as_i64()), (StatusCode::OK, Some(7), Some(7)));
        let (_, stats) = owner.get(&format!("/api/v1/challenges/{id}/stats")).await;
        assert_eq!((stats["finished"].as_i64(), stats["completion_rate"].as_f64()), (Some(1), Some(1.0)));
        assert_eq!(stats["days"].as_array().unwrap().len(), 7);
    }
}

story! {
    async fn join_rules_let_in_only_the_chosen_members(t: TestApp) {
        let (owner, members) = setup(&t, 3).await;
        let id = create(&owner, json!({"title": "核心成员挑战", "starts_on": local(0), "ends_on": null, "join": {"tag": "核心"}})).await;
        let join = format!("/api/v1/challenges/{id}/join");
        assert_error(&members[0].post(&join, json!({})).await, 403, "not_eligible", None);
        owner.put("/api/v1/communities/club/members/m00/tags/核心", json!({})).await;
        assert_eq!(members[0].post(&join, json!({})).await.0, StatusCode::OK);
        // A segment rule: members tagged 读书会.
        let (s, seg) = owner.post("/api/v1/communities/club/segments", json!({"name": "读书会", "rule": {"tags_any": ["读书会"]}})).await;
        assert_eq!(s, StatusCode::CREATED, "{seg}");
        let seg_id = seg["id"].as_i64().unwrap();
        let id2 = create(&owner, json!({"title": "读书会挑战", "starts_on": local(0), "ends_on": null, "join": {"segment_id": seg_id}})).await;
        owner.put("/api/v1/communities/club/members/m01/tags/读书会", json!({})).await;
        assert_eq!(members[1].post(&format!("/api/v1/challenges/{id2}/join"), json!({})).await.0, StatusCode::OK);
        assert_error(&members[2].post(&format!("/api/v1/challenges/{id2}/join"), json!({})).await, 403, "not_eligible", None);
        let bad = json!({"title": "x", "starts_on": local(0), "ends_on": null, "join": {"segment_id": 999999}});
        assert_error(&owner.post("/api/v1/communities/club/challenges", bad).await, 422, "unknown_segment", Some("join.segment_id"));
        // Outsiders cannot take part at all.
        let stranger = t.user("stranger").await;
        assert_error(&stranger.post(&join, json!({})).await, 403, "members_only", None);
    }
}

story! {
    async fn reminders_come_once_a_day_and_not_after_checking_in(t: TestApp) {
        let (owner, members) = setup(&t, 2).await;
        let id = create(&owner, json!({"title": "冥想", "starts_on": local(0), "ends_on": local(10)})).await;
        let (a, b) = (&members[0], &members[1]);
        assert_error(&a.post(&format!("/api/v1/challenges/{id}/join"), json!({"remind_at": "25:00"})).await, 422, "invalid_time", Some("remind_at"));
        for m in &members {
            let (s, v) = m.post(&format!("/api/v1/challenges/{id}/join"), json!({"remind_at": "23:59"})).await;
            assert_eq!((s, v["me"]["remind_at"].as_str()), (StatusCode::OK, Some("23:59")), "{v}");
        }
        assert_eq!(t.count("SELECT COUNT(*) FROM jobs WHERE kind = 'checkin_reminder' AND status = 'queued'").await, 2);
        // b checks in; then the reminders come due.
        b.post(&format!("/api/v1/challenges/{id}/checkins"), json!({})).await;
        t.make_due("checkin_reminder").await;
        t.drain().await;
        let reminded = |u: i64| format!("SELECT COUNT(*) FROM notifications WHERE user_id = {u} AND kind = 'checkin_reminder'");
        let today = |u: i64| format!("{} AND payload LIKE '%\"day\":\"{}\"%'", reminded(u), local(0));
        // (Making every queued reminder due also ran tomorrow's, armed by b's check-in.)
        assert_eq!((t.count(&today(a.id)).await, t.count(&today(b.id)).await), (1, 0));
        // Running the same day's job again (a retry, a second worker) sends nothing more.
        t.exec("UPDATE jobs SET status = 'queued', run_at = 0 WHERE kind = 'checkin_reminder' AND status = 'done'").await;
        t.drain().await;
        assert_eq!(t.count(&reminded(a.id)).await, 1);
        // Each run armed the next day's reminder; clearing the time makes it stale.
        assert!(t.count("SELECT COUNT(*) FROM jobs WHERE kind = 'checkin_reminder' AND status = 'queued'").await >= 1);
        a.put(&format!("/api/v1/challenges/{id}/reminder"), json!({"remind_at": null})).await;
        t.make_due("checkin_reminder").await;
        t.drain().await;
        assert_eq!(t.count(&reminded(a.id)).await, 1);
    }
}

story! {
    async fn segments_pick_members_by_their_current_streak(t: TestApp) {
        let (owner, members) = setup(&t, 4).await;
        let id = create(&owner, json!({"title": "晨跑", "starts_on": local(-10), "ends_on": null})).await;
        for m in &members[..3] {
            m.post(&format!("/api/v1/challenges/{id}/join"), json!({})).await;
        }
        // m00: four days before today, then today; m01: five days that ended three days ago, stored as
        // the app left them then (current 5), broken since; m02: today only.
        history(&t, id, members[0].id, &[4, 3, 2, 1]).await;
        members[0].post(&format!("/api/v1/challenges/{id}/checkins"), json!({})).await;
        history(&t, id, members[1].id, &[7, 6, 5, 4, 3]).await;
        t.exec(&format!(
            "UPDATE challenge_members SET current_streak = 5, longest_streak = 5, checkins = 5, last_day = '{}' WHERE user_id = {}",
            local(-3),
            members[1].id
        ))
        .await;
        members[2].post(&format!("/api/v1/challenges/{id}/checkins"), json!({})).await;
        let preview = |rule: serde_json::Value| owner.post("/api/v1/communities/club/segments/preview", rule);
        let names = |v: &serde_json::Value| {
            let mut n: Vec<String> = v["members"].as_array().unwrap().iter().map(|m| m["user"]["username"].as_str().unwrap().to_string()).collect();
            n.sort();
            n
        };
        let (s, all) = preview(json!({"challenge_id": id})).await;
        assert_eq!(s, StatusCode::OK, "{all}");
        assert_eq!(names(&all), ["m00", "m01", "m02"]);
        let (_, two) = preview(json!({"challenge_id": id, "streak_days": 2})).await;
        assert_eq!(names(&two), ["m00"], "m01's five days broke three days ago");
        let (_, one) = preview(json!({"challenge_id": id, "streak_days": 1})).await;
        assert_eq!(names(&one), ["m00", "m02"]);
        assert_error(&preview(json!({"streak_days": 3})).await, 422, "required", Some("challenge_id"));
    }
}
