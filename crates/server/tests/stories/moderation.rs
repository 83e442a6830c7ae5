//! Moderation end to end over the JSON API, on SQLite and (when configured) PostgreSQL.

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yaji_testkit::*;

async fn setup(t: &TestApp) -> (User, User, User) {
    let owner = t.user("owner").await;
    let moder = t.user("mod").await;
    let member = t.user("member").await;
    let (s, c) = owner.post("/api/v1/communities", community("club", "open")).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    for u in [&moder, &member] {
        let (s, v) = u.post("/api/v1/communities/club/join", json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, v) =
        owner.call(Method::PUT, "/api/v1/communities/club/members/mod/role", Some(json!({"role": "moderator"}))).await;
    assert!(s.is_success(), "{v}");
    (owner, moder, member)
}

async fn post(u: &User, body: &str) -> (StatusCode, Value) {
    u.post("/api/v1/communities/club/posts", json!({ "body": body })).await
}

async fn feed_ids(u: &User) -> Vec<i64> {
    let (_, f) = u.get("/api/v1/communities/club/posts").await;
    f["posts"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

story! {
    async fn muted_members_read_but_every_write_is_refused_with_the_end_time(t: TestApp) {
        let b = t.backend;
        let (owner, moder, member) = setup(&t).await;
        let (_, p) = post(&owner, "welcome").await;
        let pid = p["id"].as_i64().unwrap();
        let (_, mine) = post(&member, "my first post").await;
        let mine = mine["id"].as_i64().unwrap();

        let (s, v) = moder
            .post("/api/v1/communities/club/members/member/mute", json!({"minutes": 30, "reason": "cool down"}))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b:?} {v}");
        let writes = [
            member.post("/api/v1/communities/club/posts", json!({"body": "hello"})).await,
            member.post(&format!("/api/v1/posts/{pid}/comments"), json!({"body": "hi"})).await,
            member.post(&format!("/api/v1/posts/{pid}/reactions"), json!({"emoji": "👍"})).await,
            member.call(Method::PATCH, &format!("/api/v1/posts/{mine}"), Some(json!({"body": "edited"}))).await,
        ];
        for w in &writes {
            assert_error(w, 403, "muted", None);
            assert!(w.1["error"]["message"].as_str().unwrap().contains("until 20"), "{b:?} {:?}", w.1);
        }
        // Still a member who can read.
        let (s, _) = member.get(&format!("/api/v1/posts/{pid}")).await;
        assert_eq!(s, StatusCode::OK);
        let (_, me) = member.get("/api/v1/communities/club").await;
        assert_eq!(me["membership"]["state"], "active");
        // The member was told.
        let (_, notes) = member.get("/api/v1/me/notifications").await;
        assert_eq!(notes[0]["kind"], "member_muted", "{notes}");
        assert_eq!(notes[0]["detail"]["reason"], "cool down");

        // Until lifted; then lifted.
        let (s, _) = moder.post("/api/v1/communities/club/members/member/mute", json!({"reason": "again"})).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let w = post(&member, "x").await;
        assert!(w.1["error"]["message"].as_str().unwrap().contains("lifts it"), "{:?}", w.1);
        let (s, _) = moder.delete("/api/v1/communities/club/members/member/mute").await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(post(&member, "back again").await.0, StatusCode::CREATED);
        assert_error(&moder.delete("/api/v1/communities/club/members/member/mute").await, 409, "not_muted", None);

        // Never against one's own role or above.
        assert_error(
            &moder.post("/api/v1/communities/club/members/owner/mute", json!({})).await,
            403,
            "target_outranks",
            None,
        );
        assert_error(
            &member.post("/api/v1/communities/club/members/mod/mute", json!({})).await,
            403,
            "insufficient_role",
            None,
        );
        assert_error(
            &moder.post("/api/v1/communities/club/members/member/mute", json!({"minutes": 0})).await,
            422,
            "out_of_range",
            Some("minutes"),
        );
    }
}

story! {
    async fn escalation_ladder_across_strikes(t: TestApp) {
        let b = t.backend;
        let (owner, moder, member) = setup(&t).await;
        let ad = "兼职日结，加微信 abc12345";
        // 1st strike: warn (content hidden, member notified with the rule and the text).
        let (s, p1) = post(&member, ad).await;
        assert_eq!(s, StatusCode::CREATED, "{b:?} {p1}");
        assert_eq!(p1["moderation"], "hidden");
        let (_, notes) = member.get("/api/v1/me/notifications").await;
        assert_eq!(notes[0]["kind"], "member_warned", "{notes}");
        assert_eq!(notes[0]["detail"]["text"], ad);
        assert!(notes[0]["detail"]["rule"].as_str().unwrap().starts_with("ad."));
        assert!(!feed_ids(&owner).await.contains(&p1["id"].as_i64().unwrap()));
        // 2nd: mute 1 h.
        assert_eq!(post(&member, ad).await.1["moderation"], "hidden");
        assert_error(&post(&member, "hello").await, 403, "muted", None);
        moder.delete("/api/v1/communities/club/members/member/mute").await;
        // 3rd: mute 24 h.
        post(&member, ad).await;
        let (_, notes) = member.get("/api/v1/me/notifications").await;
        assert_eq!(notes[0]["detail"]["minutes"], 1440, "{notes}");
        moder.delete("/api/v1/communities/club/members/member/mute").await;
        // 4th: removed from the community.
        post(&member, ad).await;
        let (_, me) = member.get("/api/v1/communities/club").await;
        assert_eq!(me["membership"]["state"], "removed", "{b:?} {me}");

        // Each automated step is in the audit log, actor-less, with the strike number.
        let (_, audit) = owner.get("/api/v1/communities/club/moderation/audit").await;
        let kinds: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        for k in ["content_flagged", "member_warned", "member_muted", "member_unmuted", "member_removed"] {
            assert!(kinds.contains(&k), "{b:?} {k} in {kinds:?}");
        }
        let removed = audit.as_array().unwrap().iter().find(|e| e["kind"] == "member_removed").unwrap();
        assert_eq!(removed["actor"], Value::Null);
        assert_eq!(removed["detail"]["strike"], 4);
        // Targets are named, not numbered.
        assert_eq!((removed["subject_kind"].as_str(), removed["target_username"].as_str()), (Some("user"), Some("member")));
        assert!(removed["target_name"].as_str().is_some_and(|n| !n.is_empty()), "{removed}");
        let flagged = audit.as_array().unwrap().iter().find(|e| e["kind"] == "content_flagged").unwrap();
        assert!(flagged["target_name"].as_str().is_some_and(|n| !n.is_empty() && !n.contains('#')), "{flagged}");
        let unmuted = audit.as_array().unwrap().iter().find(|e| e["kind"] == "member_unmuted").unwrap();
        assert_eq!(unmuted["actor"], "mod");

        // CSV export: header, BOM, one row per entry.
        let r = reqwest::Client::new()
            .get(t.url("/api/v1/communities/club/moderation/audit?format=csv"))
            .bearer_auth(&owner.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        let csv = r.text().await.unwrap();
        assert!(csv.starts_with("\u{feff}id,time,kind,actor"), "{csv}");
        assert_eq!(csv.lines().count(), audit.as_array().unwrap().len() + 1);
        assert!(csv.contains(",automod,"));
    }
}

story! {
    async fn reports_reach_the_threshold_and_the_queue_resolves_them(t: TestApp) {
        let b = t.backend;
        let (owner, moder, member) = setup(&t).await;
        let carol = t.user("carol").await;
        carol.post("/api/v1/communities/club/join", json!({})).await;
        let mut settings = owner.get("/api/v1/communities/club/moderation").await.1["settings"].clone();
        settings["report_threshold"] = json!(2);
        let (s, v) = owner.call(Method::PUT, "/api/v1/communities/club/moderation", Some(settings)).await;
        assert_eq!(s, StatusCode::OK, "{v}");

        let (_, p) = post(&member, "a perfectly fine post").await;
        let pid = p["id"].as_i64().unwrap();
        let report = json!({"kind": "post", "id": pid, "reason": "spam"});
        let (s, r) = owner.post("/api/v1/communities/club/reports", report.clone()).await;
        assert_eq!((s, r["hidden"].clone()), (StatusCode::CREATED, json!(false)), "{b:?} {r}");
        assert_error(
            &owner.post("/api/v1/communities/club/reports", report.clone()).await,
            409,
            "already_reported",
            None,
        );
        assert_error(&member.post("/api/v1/communities/club/reports", report.clone()).await, 422, "own_content", None);
        let (_, r) = carol.post("/api/v1/communities/club/reports", report).await;
        assert_eq!(r["hidden"], true);
        assert!(!feed_ids(&carol).await.contains(&pid));
        assert_eq!(carol.get(&format!("/api/v1/posts/{pid}")).await.0, StatusCode::NOT_FOUND);
        // The author still sees it, marked.
        assert_eq!(member.get(&format!("/api/v1/posts/{pid}")).await.1["post"]["moderation"], "hidden");

        // One queue item with both reports; members cannot see the queue.
        assert_error(&member.get("/api/v1/communities/club/moderation/queue").await, 403, "insufficient_role", None);
        let (_, q) = moder.get("/api/v1/communities/club/moderation/queue").await;
        assert_eq!(q.as_array().unwrap().len(), 1, "{q}");
        assert_eq!(q[0]["flags"].as_array().unwrap().len(), 2);
        assert_eq!(q[0]["author"]["username"], "member");

        let (s, v) = moder
            .post(
                "/api/v1/communities/club/moderation/queue/resolve",
                json!({"targets": [{"kind": "post", "id": pid}], "decision": "approve", "reason": "fine"}),
            )
            .await;
        assert_eq!((s, v["resolved"].clone()), (StatusCode::OK, json!(1)), "{v}");
        assert!(feed_ids(&carol).await.contains(&pid));
        assert!(moder.get("/api/v1/communities/club/moderation/queue").await.1.as_array().unwrap().is_empty());
        assert_error(
            &moder
                .post(
                    "/api/v1/communities/club/moderation/queue/resolve",
                    json!({"targets": [{"kind": "post", "id": pid}], "decision": "approve"}),
                )
                .await,
            404,
            "not_found",
            None,
        );
    }
}

story! {
    async fn held_content_waits_for_review_and_bulk_actions_apply_in_one_go(t: TestApp) {
        let (owner, moder, member) = setup(&t).await;
        // Restricted member: posts need approval.
        let (s, v) = moder
            .call(
                Method::PUT,
                "/api/v1/communities/club/members/member/restriction",
                Some(json!({"needs_approval": true, "reason": "new account"})),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        let (_, p1) = post(&member, "first").await;
        let (_, p2) = post(&member, "second").await;
        assert_eq!(p1["moderation"], "held");
        let (_, owner_post) = post(&owner, "announcement").await;
        let (_, c) =
            member.post(&format!("/api/v1/posts/{}/comments", owner_post["id"]), json!({"body": "a comment"})).await;
        assert_eq!(c["moderation"], "held");
        assert_eq!(owner.get(&format!("/api/v1/posts/{}", owner_post["id"])).await.1["post"]["comment_count"], 0);
        let ids = [p1["id"].as_i64().unwrap(), p2["id"].as_i64().unwrap()];
        assert!(feed_ids(&owner).await.iter().all(|i| !ids.contains(i)));

        let (_, q) = moder.get("/api/v1/communities/club/moderation/queue").await;
        assert_eq!(q.as_array().unwrap().len(), 3, "{q}");
        assert_eq!(q[0]["flags"][0]["reason"], "member.needs_approval");
        let (_, v) = moder
            .post(
                "/api/v1/communities/club/moderation/queue/resolve",
                json!({"targets": [{"kind": "post", "id": ids[0]}, {"kind": "post", "id": ids[1]},
                                   {"kind": "comment", "id": c["id"]}], "decision": "approve"}),
            )
            .await;
        assert_eq!(v["resolved"], 3);
        let feed = feed_ids(&owner).await;
        assert!(ids.iter().all(|i| feed.contains(i)));
        assert_eq!(owner.get(&format!("/api/v1/posts/{}", owner_post["id"])).await.1["post"]["comment_count"], 1);

        // Reject-and-mute from the queue; nothing half-written when one target is bad.
        moder
            .call(
                Method::PUT,
                "/api/v1/communities/club/members/member/restriction",
                Some(json!({"needs_approval": false})),
            )
            .await;
        let (_, spam) = post(&member, "see https://spam.example.cn/x now").await;
        assert_eq!(spam["moderation"], "held", "{spam}");
        let bad = json!({"targets": [{"kind": "post", "id": spam["id"]}, {"kind": "post", "id": 999999}], "decision": "mute", "minutes": 5});
        assert_error(
            &moder.post("/api/v1/communities/club/moderation/queue/resolve", bad).await,
            404,
            "not_found",
            None,
        );
        assert_eq!(moder.get("/api/v1/communities/club/moderation/queue").await.1.as_array().unwrap().len(), 1);
        let ok = json!({"targets": [{"kind": "post", "id": spam["id"]}], "decision": "mute", "minutes": 5, "reason": "link spam"});
        assert_eq!(moder.post("/api/v1/communities/club/moderation/queue/resolve", ok).await.1["resolved"], 1);
        assert_error(&post(&member, "hi").await, 403, "muted", None);
    }
}

story! {
    async fn rules_are_edited_tested_and_validated(t: TestApp) {
        let b = t.backend;
        let (owner, moder, member) = setup(&t).await;
        let bad =
            json!({"custom_rules": [{"name": "broken", "kind": "regex", "patterns": ["(unclosed"], "action": "hold"}]});
        let got = owner.call(Method::PUT, "/api/v1/communities/club/moderation", Some(bad)).await;
        assert_error(&got, 422, "invalid_regex", Some("custom_rules"));
        assert!(got.1["error"]["message"].as_str().unwrap().contains("unclosed group"), "{:?}", got.1);
        // Moderators see and test the rules; only admins change them.
        let good = json!({
            "banned_words": ["竞品课"],
            "allowed_domains": ["example.com"],
            "custom_rules": [{"name": "order", "kind": "regex", "patterns": [r"\bORD-\d{4}\b"], "action": "hide"}]
        });
        assert_error(
            &moder.call(Method::PUT, "/api/v1/communities/club/moderation", Some(good.clone())).await,
            403,
            "insufficient_role",
            None,
        );
        let (s, v) = owner.call(Method::PUT, "/api/v1/communities/club/moderation", Some(good)).await;
        assert_eq!(s, StatusCode::OK, "{b:?} {v}");
        assert_eq!(v["version"], 1);
        assert_eq!(v["settings"]["detectors"]["links"]["action"], "hold", "defaults fill the rest");

        let (s, r) = moder
            .post(
                "/api/v1/communities/club/moderation/test",
                json!({"text": "报名 竞 品 课 ord-1234，看 docs.example.com", "strikes": 1}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let rules: Vec<&str> = r["hits"].as_array().unwrap().iter().map(|h| h["rule"].as_str().unwrap()).collect();
        assert_eq!(rules, ["banned_word.community", "custom.order"], "{r}");
        assert_eq!(r["hits"][0]["text"], "竞 品 课");
        assert_eq!(r["hits"][0]["span"], json!([3, 8]));
        assert_eq!(r["action"], "hide");
        let (_, r) = moder
            .post("/api/v1/communities/club/moderation/test", json!({"text": "加微信 abc123", "strikes": 1}))
            .await;
        assert_eq!(
            (r["rule_action"].clone(), r["action"].clone(), r["mute_minutes"].clone()),
            (json!("warn"), json!("mute"), json!(60))
        );
        assert_error(
            &member.post("/api/v1/communities/club/moderation/test", json!({"text": "x"})).await,
            403,
            "insufficient_role",
            None,
        );

        // The new words apply to posts at once.
        assert_eq!(post(&member, "推荐 竞品课").await.1["moderation"], "hidden");
        assert_eq!(post(&member, "ORD-1234 到了").await.1["moderation"], "hidden");
        let (_, clean) = post(&member, "docs at https://docs.example.com/a").await;
        assert_eq!(clean["moderation"], "visible");
        // Editing clean text into a banned one is caught too.
        let (_, edited) = member
            .call(Method::PATCH, &format!("/api/v1/posts/{}", clean["id"]), Some(json!({"body": "改成 竞品课 广告"})))
            .await;
        assert_eq!(edited["moderation"], "hidden", "{edited}");
        assert!(!feed_ids(&owner).await.contains(&clean["id"].as_i64().unwrap()));
    }
}

story! {
    async fn flooding_mutes_after_the_limit(t: TestApp) {
        let b = t.backend;
        let (_, _, member) = setup(&t).await;
        for i in 0..5 {
            let (s, p) = post(&member, &format!("message number {i} about tea")).await;
            assert_eq!((s, p["moderation"].clone()), (StatusCode::CREATED, json!("visible")), "{b:?} {p}");
        }
        let (_, p) = post(&member, "and one more about tea").await;
        assert_eq!(p["moderation"], "hidden", "{b:?} the sixth in 10 s is a flood");
        assert_error(&post(&member, "hello?").await, 403, "muted", None);
    }
}

story! {
    async fn contact_details_asked_for_by_staff_are_not_ads(t: TestApp) {
        let b = t.backend;
        let (owner, _, member) = setup(&t).await;
        let carol = t.user("carol").await;
        carol.post("/api/v1/communities/club/join", json!({})).await;
        let (_, signup) = post(&owner, "周六茶会报名：请留下手机号").await;
        let (_, c) =
            member.post(&format!("/api/v1/posts/{}/comments", signup["id"]), json!({"body": "张三 13812345678"})).await;
        assert_eq!(c["moderation"], "visible", "{b:?} {c}");
        let (_, other) = post(&carol, "周末去哪喝茶？").await;
        let (_, c) = member
            .post(&format!("/api/v1/posts/{}/comments", other["id"]), json!({"body": "打我电话 13812345678"}))
            .await;
        assert_eq!(c["moderation"], "held", "{b:?} {c}");
    }
}

story! {
    /// Moderators act on many members at once; those they may not act on are
    /// skipped with the reason; racing removals of the same members count
    /// each removal once.
    async fn bulk_member_actions_skip_whom_they_must_and_count_once(t: TestApp) {
        let (owner, moder, _member) = setup(&t).await;
        let mut names = Vec::new();
        for i in 0..8 {
            let u = t.user(&format!("bulk{i}")).await;
            u.post("/api/v1/communities/club/join", json!({})).await;
            names.push(format!("bulk{i}"));
        }
        let (_, c) = owner.get("/api/v1/communities/club").await;
        let before = c["member_count"].as_i64().unwrap();
        let path = "/api/v1/communities/club/members/bulk";

        // Tags: everyone named; the moderator's own role is no obstacle for tags.
        let (st, out) = moder.post(path, json!({"usernames": [&names[0], &names[1], "mod"], "action": "tag", "tag": "vip"})).await;
        assert_eq!(st, StatusCode::OK, "{out}");
        assert_eq!(out["done"].as_array().unwrap().len(), 3, "{out}");
        // Mutes skip the owner (above the moderator) and people who are not members.
        let (_, out) = moder.post(path, json!({"usernames": [&names[0], "owner", "nobody-here"], "action": "mute", "minutes": 60, "reason": "cool down"})).await;
        assert_eq!(out["done"], json!([&names[0]]));
        let codes: Vec<_> = out["skipped"].as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap().to_string()).collect();
        assert_eq!(codes, ["target_outranks", "not_member"]);
        assert_eq!(t.count("SELECT COUNT(*) FROM notifications WHERE kind = 'member_muted'").await, 1);
        // Bad input names its field.
        assert_error(&moder.post(path, json!({"usernames": [&names[0]], "action": "warn"})).await, 422, "required", Some("reason"));
        assert_error(&moder.post(path, json!({"usernames": [], "action": "unmute"})).await, 422, "required", Some("usernames"));
        assert_error(&moder.post(path, json!({"usernames": [&names[0]], "action": "mute", "minutes": 0})).await, 422, "out_of_range", Some("minutes"));

        // Thirty racing removals of the same five members: five removals, counted once.
        let five: Vec<&String> = names[3..8].iter().collect();
        let results = join_all((0..30).map(|_| moder.post(path, json!({"usernames": five, "action": "remove", "reason": "spam ring"})))).await;
        let removed: usize = results.iter().map(|(st, out)| {
            assert_eq!(*st, StatusCode::OK, "{out}");
            out["done"].as_array().unwrap().len()
        }).sum();
        assert_eq!(removed, 5, "each member removed by exactly one batch");
        let (_, c) = owner.get("/api/v1/communities/club").await;
        assert_eq!(c["member_count"].as_i64().unwrap(), before - 5);
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'member_removed'").await, 5);

        // The directory: checkboxes and one bar; the form applies a tag to the ticked.
        let browser = Browser::new(&t);
        browser.log_in("mod").await;
        let (_, page) = browser.page("/c/club/members").await;
        assert!(page.contains(r#"form="bulk-members""#) && page.contains(r#"data-when="action=tag,untag""#));
        let r = browser
            .post_form(&csrf_of(&page), "/c/club/members/bulk", &[("member", &names[1]), ("member", &names[2]), ("action", "tag"), ("tag", "早鸟")])
            .await;
        let to = r.headers()["location"].to_str().unwrap().to_string();
        assert!(to.contains("notice=members_bulk_done") && to.contains("n=2"), "{to}");
        let (_, tags) = owner.get("/api/v1/communities/club/tags").await;
        assert!(tags.as_array().unwrap().iter().any(|t| t["tag"] == "早鸟" && t["members"] == 2), "{tags}");
    }
}
