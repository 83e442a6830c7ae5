//! Automation rules, templates, the newcomer checklist, the content calendar
//! and outgoing webhooks, end to end over the API, on SQLite and (when
//! configured) PostgreSQL.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use reqwest::StatusCode;
use serde_json::{json, Value};
use yaji_testkit::*;

async fn notes_of(t: &TestApp, user_id: i64, kind: &str) -> i64 {
    t.count(&format!("SELECT COUNT(*) FROM notifications WHERE user_id = {user_id} AND kind = '{kind}'")).await
}

async fn setup(t: &TestApp, policy: &str) -> (User, User) {
    let owner = t.user("owner").await;
    let (st, _) = owner.post("/api/v1/communities", community("club", policy)).await;
    assert_eq!(st, StatusCode::CREATED);
    let alice = t.user("alice").await;
    alice.post("/api/v1/communities/club/join", json!({})).await;
    t.drain().await;
    (owner, alice)
}

story! {
    async fn a_rule_fires_once_per_occurrence_and_recipient_and_records_its_runs(t: TestApp) {
        let b = t.backend;
        let (owner, alice) = setup(&t, "open").await;
        let rule = json!({
            "name": "Refund questions",
            "trigger": {"kind": "keyword_matched", "keywords": ["退款", "refund"]},
            "conditions": {"roles": ["member"]},
            "actions": [
                {"kind": "notify", "message": "{name}，退款请看置顶帖 / see the pinned post"},
                {"kind": "add_tag", "tag": "asked-refund"},
                {"kind": "notify_moderators", "message": "{name} asked about refunds"},
                {"kind": "post", "body": "Refunds: see the pinned post.", "reply": true}
            ]
        });
        let (st, r) = owner.post("/api/v1/communities/club/automation/rules", rule).await;
        assert_eq!(st, StatusCode::CREATED, "{r}");
        let rule_id = r["id"].as_i64().unwrap();
        assert_eq!(r["trigger_kind"], "keyword_matched");

        // No keyword: no firing, no run.
        alice.post("/api/v1/communities/club/posts", json!({"body": "hello everyone"})).await;
        // Keyword (full-width, spaced: the moderation normalizer applies).
        let queued = yaji_store::repo::jobs::enqueued();
        let (_, post) = alice.post("/api/v1/communities/club/posts", json!({"body": "怎么 退 款？"})).await;
        // The rule's job is counted as queued (so the post wakes the workers).
        assert!(yaji_store::repo::jobs::enqueued() > queued);
        t.drain().await;
        assert_eq!(notes_of(&t, alice.id, "automation").await, 1, "{b:?}");
        assert_eq!(notes_of(&t, owner.id, "automation_mods").await, 1);
        let (_, notes) = alice.get("/api/v1/me/notifications").await;
        let note = notes.as_array().unwrap().iter().find(|n| n["kind"] == "automation").unwrap();
        assert_eq!(note["detail"]["message"], "alice，退款请看置顶帖 / see the pinned post");
        let (_, tags) = owner.get("/api/v1/communities/club/tags").await;
        assert_eq!(tags, json!([{"tag": "asked-refund", "members": 1}]));
        let (_, detail) = alice.get(&format!("/api/v1/posts/{}", post["id"])).await;
        assert_eq!(detail["comments"][0]["body"], "Refunds: see the pinned post.", "{detail}");
        // The assistant's reply does not trigger the rule again.
        let (_, runs) = owner.get("/api/v1/communities/club/automation/runs").await;
        let runs = runs.as_array().unwrap();
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!(runs[0]["status"], "done");
        assert_eq!(runs[0]["recipients"][0]["name"], "alice");

        // The same occurrence again (a retry, a duplicate job): nothing runs twice.
        let event_id: i64 = t
            .count(&format!(
                "SELECT MAX(id) FROM activity_events WHERE kind = 'post_created' AND subject_id = {}",
                post["id"]
            ))
            .await;
        t.exec(&format!(
            "INSERT INTO jobs (kind, payload, dedupe_key, community_id, run_at, max_attempts, created_at)
             VALUES ('automation', '{{\"rule_id\":{rule_id},\"event_id\":{event_id}}}', 'dup', 1, 0, 8, 0)"
        ))
        .await;
        t.drain().await;
        assert_eq!(notes_of(&t, alice.id, "automation").await, 1);
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM comments WHERE post_id = {}", post["id"])).await, 1);

        // Run history filters by rule and status.
        let (_, skipped) =
            owner.get(&format!("/api/v1/communities/club/automation/runs?rule_id={rule_id}&status=skipped")).await;
        assert_eq!(skipped.as_array().unwrap().len(), 0);
        assert_error(
            &owner.get("/api/v1/communities/club/automation/runs?status=nope").await,
            422,
            "invalid_choice",
            Some("status"),
        );
        // Members cannot see or write rules.
        assert_error(&alice.get("/api/v1/communities/club/automation/rules").await, 403, "insufficient_role", None);
    }
}

story! {
    async fn muted_opted_out_and_departed_recipients_are_skipped(t: TestApp) {
        let b = t.backend;
        let (owner, _alice) = setup(&t, "open").await;
        let rule = json!({"name": "hi", "trigger": {"kind": "member_joined"},
            "actions": [{"kind": "notify", "message": "hi {name}"}]});
        owner.post("/api/v1/communities/club/automation/rules", rule).await;
        let (bob, carol, dan) = (t.user("bob").await, t.user("carol").await, t.user("dan").await);
        for u in [&bob, &carol, &dan] {
            u.post("/api/v1/communities/club/join", json!({})).await;
        }
        // By send time: bob is muted, carol opted out, dan left.
        owner.post("/api/v1/communities/club/members/bob/mute", json!({"minutes": 5})).await;
        let (st, _) = carol.put("/api/v1/communities/club/assistant-opt-out", json!({"opt_out": true})).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        dan.post("/api/v1/communities/club/leave", json!({})).await;
        t.drain().await;
        for u in [&bob, &carol, &dan] {
            assert_eq!(notes_of(&t, u.id, "automation").await, 0, "{b:?} {}", u.name);
        }
        let (_, runs) = owner.get("/api/v1/communities/club/automation/runs?status=skipped").await;
        let outcomes: Vec<String> = runs
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["recipients"][0]["outcome"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(outcomes.len(), 3, "{runs}");
        for want in ["skipped: muted", "skipped: opted out", "skipped: not a member"] {
            assert!(outcomes.iter().any(|o| o == want), "{want} in {outcomes:?}");
        }
    }
}

story! {
    async fn rules_are_validated_by_field_and_dry_run_shows_the_audience(t: TestApp) {
        let b = t.backend;
        let (owner, alice) = setup(&t, "open").await;
        let bad = |rule: Value| {
            let owner = &owner;
            async move { owner.post("/api/v1/communities/club/automation/rules", rule).await }
        };
        let e = bad(json!({"name": "x", "trigger": {"kind": "member_joined"}, "actions": [{"kind": "notify", "message": "{nmae}"}]})).await;
        assert_error(&e, 422, "unknown_variable", Some("actions.message"));
        let e = bad(json!({"name": "x", "trigger": {"kind": "schedule", "cron": "99 * * * *"}, "actions": [{"kind": "post", "body": "x"}]})).await;
        assert_error(&e, 422, "invalid_cron", Some("trigger.cron"));
        let e = bad(json!({"name": "x", "trigger": {"kind": "teleport"}, "actions": []})).await;
        assert_error(&e, 422, "invalid_rule", Some("rule"));
        let e = bad(json!({"name": "x", "trigger": {"kind": "member_joined"}, "actions": [{"kind": "webhook", "webhook_id": 999}]})).await;
        assert_error(&e, 422, "unknown_webhook", Some("actions.webhook_id"));
        assert_eq!(t.count("SELECT COUNT(*) FROM automation_rules").await, 0, "nothing half-written");

        let bob = t.user("bob").await;
        bob.post("/api/v1/communities/club/join", json!({})).await;
        let (st, tags) = owner.put("/api/v1/communities/club/members/alice/tags/vip", json!({})).await;
        assert_eq!((st, tags), (StatusCode::OK, json!(["vip"])));
        assert_error(
            &owner.put("/api/v1/communities/club/members/alice/tags/a,b", json!({})).await,
            422,
            "invalid_tag",
            Some("tag"),
        );
        let rule = json!({"name": "VIP hello", "trigger": {"kind": "member_joined"}, "conditions": {"tags_any": ["vip"]},
            "actions": [{"kind": "notify", "message": "Hello {name}, welcome to {community}: {rules_link}"}]});
        let (st, dry) = owner.post("/api/v1/communities/club/automation/dry-run", rule).await;
        assert_eq!(st, StatusCode::OK, "{dry}");
        assert_eq!(dry["audience"], 1, "{b:?} {dry}");
        assert_eq!(dry["members"][0]["username"], "alice");
        assert_eq!(dry["preview"][0]["text"], "Hello alice, welcome to Community club: /c/club/rules");
        // A schedule's dry run lists its next firings.
        let rule = json!({"name": "weekly", "trigger": {"kind": "schedule", "cron": "0 9 * * 1"},
            "actions": [{"kind": "post", "title": "Topic {date}", "body": "What are you reading?"}]});
        let (_, dry) = owner.post("/api/v1/communities/club/automation/dry-run", rule).await;
        assert_eq!(dry["next_fires"].as_array().unwrap().len(), 5, "{dry}");
        assert!(dry["next_fires"][0].as_str().unwrap().ends_with("T01:00:00Z"), "09:00 Shanghai: {dry}");
        assert_error(
            &alice.post("/api/v1/communities/club/automation/dry-run", json!({})).await,
            422,
            "invalid_rule",
            None,
        );
    }
}

story! {
    async fn templates_work_in_both_languages_and_replace_the_built_in_welcome(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("en-club", "open")).await;
        owner.post("/api/v1/communities", community("zh-club", "approval")).await;
        let (_, list) = owner.get("/api/v1/communities/en-club/automation/templates?locale=en").await;
        assert_eq!(list.as_array().unwrap().len(), 9);
        assert_eq!(list[0]["name"], "Welcome newcomers");
        assert_eq!(list[0]["enabled"], false);
        let (st, r) = owner.post("/api/v1/communities/en-club/automation/templates/welcome?locale=en", json!({})).await;
        assert_eq!(st, StatusCode::CREATED, "{r}");
        assert_eq!(r["trigger_kind"], "member_joined");
        let (_, r) = owner.post("/api/v1/communities/zh-club/automation/templates/welcome", json!({})).await;
        assert_eq!(r["name"], "欢迎新成员");
        assert_eq!(r["trigger_kind"], "join_approved", "approval communities welcome on approval");
        assert_error(
            &owner.post("/api/v1/communities/zh-club/automation/templates/nope", json!({})).await,
            404,
            "not_found",
            None,
        );

        // Dave reads English; the welcome reaches him in English in both clubs.
        let dave = t.user("dave").await;
        dave.call(reqwest::Method::PATCH, "/api/v1/me", Some(json!({"locale": "en"}))).await;
        dave.post("/api/v1/communities/en-club/join", json!({})).await;
        dave.post("/api/v1/communities/zh-club/join", json!({"answers": []})).await;
        let (_, reqs) = owner.get("/api/v1/communities/zh-club/join-requests").await;
        let rid = reqs[0]["id"].as_i64().unwrap();
        owner.post(&format!("/api/v1/join-requests/{rid}/approve"), json!({})).await;
        t.drain().await;
        let (_, notes) = dave.get("/api/v1/me/notifications").await;
        let msgs: Vec<&str> = notes
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "automation")
            .filter_map(|n| n["detail"]["message"].as_str())
            .collect();
        assert_eq!(msgs.len(), 2, "{notes}");
        assert!(msgs.iter().any(|m| m.starts_with("Welcome to Community en-club, dave!")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.starts_with("Welcome to Community zh-club, dave!")), "{msgs:?}");
        // Zoe reads Chinese: the English club's welcome reaches her in Chinese.
        let zoe = t.user("zoe").await;
        zoe.post("/api/v1/communities/en-club/join", json!({})).await;
        t.drain().await;
        let (_, notes) = zoe.get("/api/v1/me/notifications").await;
        let welcome = notes.as_array().unwrap().iter().find(|n| n["kind"] == "automation").expect("welcomed");
        assert_eq!(welcome["detail"]["message"].as_str().unwrap().split('！').next(), Some("zoe，欢迎加入Community en-club"));
        // The inbox shows the rules link as a link.
        let browser = Browser::new(&t);
        browser.log_in("zoe").await;
        let (_, inbox) = browser.page("/notifications").await;
        assert!(inbox.contains(r#"<a href="/c/en-club/rules""#), "links are links");
        // The template's rule replaced the built-in welcome notification.
        assert_eq!(notes_of(&t, dave.id, "welcome").await, 0);
        let (_, tags) = owner.get("/api/v1/communities/zh-club/tags").await;
        assert_eq!(tags[0]["tag"], "新人");
    }
}

story! {
    async fn timers_fire_rearm_and_sweep_inactive_members_once_per_silence(t: TestApp) {
        let b = t.backend;
        let (owner, alice) = setup(&t, "open").await;
        let rule = json!({"name": "Daily", "trigger": {"kind": "schedule", "cron": "0 9 * * *"},
            "actions": [{"kind": "post", "title": "Good morning {date}", "body": "Rules: {rules_link}"}]});
        let (_, r) = owner.post("/api/v1/communities/club/automation/rules", rule).await;
        let rule_id = r["id"].as_i64().unwrap();
        assert_eq!(t.count("SELECT COUNT(*) FROM jobs WHERE kind = 'automation_timer' AND status = 'queued'").await, 1);
        t.make_due("automation_timer").await;
        t.drain().await;
        let (_, feed) = alice.get("/api/v1/communities/club/posts").await;
        assert!(feed["posts"][0]["title"].as_str().unwrap().starts_with("Good morning "), "{b:?} {feed}");
        assert_eq!(feed["posts"][0]["excerpt"], "Rules: /c/club/rules");
        // Re-armed for the next day; editing the rule makes that timer stale.
        assert_eq!(t.count("SELECT COUNT(*) FROM jobs WHERE kind = 'automation_timer' AND status = 'queued'").await, 1);
        let rule = json!({"name": "Daily", "trigger": {"kind": "schedule", "cron": "0 10 * * *"}, "enabled": false,
            "actions": [{"kind": "post", "body": "x"}]});
        owner.put(&format!("/api/v1/communities/club/automation/rules/{rule_id}"), rule).await;
        t.make_due("automation_timer").await;
        t.drain().await;
        assert_eq!(t.count("SELECT COUNT(*) FROM posts").await, 1, "stale timer did nothing");

        // Inactivity: alice has been silent for 20 days.
        let old = yaji_store::now_millis() - 20 * 86_400_000;
        t.exec(&format!("UPDATE memberships SET joined_at = {old} WHERE user_id = {}", alice.id)).await;
        t.exec(&format!("UPDATE activity_events SET occurred_at = {old} WHERE actor_id = {}", alice.id)).await;
        let rule = json!({"name": "Nudge", "trigger": {"kind": "member_inactive", "days": 14}, "conditions": {"roles": ["member"]},
            "actions": [{"kind": "notify", "message": "{name}: {days_inactive} days"}]});
        let (_, dry) = owner.post("/api/v1/communities/club/automation/dry-run", rule.clone()).await;
        assert_eq!(dry["audience"], 1, "{dry}");
        assert_eq!(dry["preview"][0]["text"], "alice: 20 days");
        owner.post("/api/v1/communities/club/automation/rules", rule).await;
        t.make_due("automation_timer").await;
        t.drain().await;
        assert_eq!(notes_of(&t, alice.id, "automation").await, 1);
        // Next day's sweep: still silent, but already nudged for this silence.
        t.make_due("automation_timer").await;
        t.drain().await;
        assert_eq!(notes_of(&t, alice.id, "automation").await, 1);
    }
}

story! {
    async fn the_newcomer_checklist_completes_once_and_fires_its_rule(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        owner.post("/api/v1/communities/club/rules", json!({"body": "Be kind."})).await;
        owner.post("/api/v1/communities/club/automation/templates/welcome", json!({})).await;
        let (st, _) = owner.post("/api/v1/communities/club/automation/templates/newcomer_checklist", json!({})).await;
        assert_eq!(st, StatusCode::CREATED);
        let eve = t.user("eve").await;
        eve.post("/api/v1/communities/club/join", json!({"accept_rules_version": 1})).await;
        t.drain().await;
        let (_, cl) = eve.get("/api/v1/communities/club/checklist").await;
        assert_eq!(cl["enabled"], true, "{b:?} {cl}");
        assert_eq!(cl["intro_topic"], "自我介绍");
        assert_eq!(
            cl["tasks"],
            json!([{"key": "rules", "done": true}, {"key": "intro", "done": false}, {"key": "first_post", "done": false}])
        );
        let e = eve
            .post(
                "/api/v1/communities/club/checklist/intro",
                json!({"name": "", "city": "杭州", "occupation": "设计师", "hope": "x"}),
            )
            .await;
        assert_error(&e, 422, "invalid_length", Some("name"));
        let (st, intro) = eve
            .post(
                "/api/v1/communities/club/checklist/intro",
                json!({"name": "小伊", "city": "杭州", "occupation": "设计师", "hope": "认识同好"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{intro}");
        assert!(intro["body"].as_str().unwrap().contains("**城市**：杭州"));
        t.drain().await;
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'checklist_completed'").await, 0);
        eve.post("/api/v1/communities/club/posts", json!({"body": "My first real post"})).await;
        eve.post("/api/v1/communities/club/posts", json!({"body": "And a second one"})).await;
        t.drain().await;
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'checklist_completed'").await, 1, "once");
        let (_, cl) = eve.get("/api/v1/communities/club/checklist").await;
        assert!(cl["completed_at"].is_string(), "{cl}");
        // The completion rule congratulated eve and took the newcomer tag off again.
        let (_, notes) = eve.get("/api/v1/me/notifications").await;
        assert!(
            notes
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["detail"]["message"].as_str().is_some_and(|m| m.contains("恭喜完成新人任务"))),
            "{notes}"
        );
        let (_, progress) = owner.get("/api/v1/communities/club/checklist/progress").await;
        let row = progress.as_array().unwrap().iter().find(|p| p["username"] == "eve").unwrap().clone();
        assert_eq!((row["intro"].clone(), row["first_post"].clone()), (json!(true), json!(true)));
        assert_eq!(row["tags"], json!([]), "{row}");
        assert_error(&eve.get("/api/v1/communities/club/checklist/progress").await, 403, "insufficient_role", None);
    }
}

story! {
    async fn the_calendar_publishes_on_time_and_repeats(t: TestApp) {
        let b = t.backend;
        let (owner, alice) = setup(&t, "open").await;
        let soon = chrono::Utc::now() + chrono::Duration::milliseconds(300);
        let at = soon.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let (st, s) = owner
            .post(
                "/api/v1/communities/club/calendar",
                json!({"title": "Launch", "body": "We are live", "publish_at": at}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{s}");
        assert_eq!(t.drain().await, 0, "not due yet");
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        t.drain().await;
        let (_, feed) = alice.get("/api/v1/communities/club/posts").await;
        assert_eq!(feed["posts"][0]["title"], "Launch", "{b:?} {feed}");
        assert_eq!(feed["posts"][0]["author"]["username"], "owner");

        // Repeating: every Monday 09:00 in the community's time zone.
        let (st, s) = owner
            .post(
                "/api/v1/communities/club/calendar",
                json!({"body": "Weekly digest", "publish_at": "2030-01-07T09:00", "repeat": "0 9 * * 1"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{s}");
        assert_eq!(s["publish_at"], "2030-01-07T01:00:00Z");
        let (_, cal) = owner.get("/api/v1/communities/club/calendar?month=2030-01").await;
        let items: Vec<&Value> =
            cal["days"].as_array().unwrap().iter().flat_map(|d| d["items"].as_array().unwrap()).collect();
        assert_eq!(items.len(), 4, "Mondays 7, 14, 21, 28: {cal}");
        assert_eq!(cal["days"][6]["items"][0]["time"], "09:00");
        t.make_due("publish_scheduled").await;
        t.drain().await;
        let (_, cal) = owner.get("/api/v1/communities/club/calendar?month=2030-01").await;
        let next = cal["scheduled"].as_array().unwrap().iter().find(|x| x["id"] == s["id"]).unwrap().clone();
        assert_eq!(next["published_count"], 1);
        assert_eq!(next["publish_at"], "2030-01-14T01:00:00Z", "re-armed for the next Monday");
        let (st, _) = owner.delete(&format!("/api/v1/communities/club/calendar/{}", s["id"])).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        t.make_due("publish_scheduled").await;
        t.drain().await;
        assert_eq!(
            t.count("SELECT COUNT(*) FROM posts WHERE body = 'Weekly digest'").await,
            1,
            "canceled stays canceled"
        );

        let e = owner
            .post("/api/v1/communities/club/calendar", json!({"body": "x", "publish_at": "2001-01-01T09:00"}))
            .await;
        assert_error(&e, 422, "in_the_past", Some("publish_at"));
        let e = owner
            .post(
                "/api/v1/communities/club/calendar",
                json!({"body": "x", "publish_at": "2031-01-01T09:00", "repeat": "every day"}),
            )
            .await;
        assert_error(&e, 422, "invalid_cron", Some("repeat"));
        let e = alice
            .post("/api/v1/communities/club/calendar", json!({"body": "x", "publish_at": "2031-01-01T09:00"}))
            .await;
        assert_error(&e, 403, "insufficient_role", None);
    }
}

/// A webhook receiver on loopback that records requests and answers with queued statuses.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    answers: Arc<Mutex<Vec<u16>>>,
}

impl Receiver {
    async fn start(&self) -> String {
        let me = self.clone();
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(move |h: HeaderMap, body: Bytes| {
                    let me = me.clone();
                    async move {
                        me.got.lock().unwrap().push((h, body));
                        let code = me.answers.lock().unwrap().pop().unwrap_or(200);
                        AxStatus::from_u16(code).unwrap()
                    }
                }),
            )
            .route(
                "/redirect",
                axum::routing::post(|| async {
                    axum::response::Redirect::temporary("http://169.254.169.254/latest/meta-data")
                }),
            );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        format!("http://{addr}")
    }
    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }
}

story! {
    #[tokio::test]
    async fn webhooks_are_signed_retried_and_logged(b) {
        let allow = yaji_app::webhooks::AllowPrivate::parse("127.0.0.1").unwrap();
        let t = TestApp::spawn_with(b, allow).await;
        let (owner, alice) = setup(&t, "open").await;
        let rx = Receiver::default();
        let base = rx.start().await;
        let e = owner
            .post("/api/v1/communities/club/webhooks", json!({"url": "ftp://x", "events": ["post_created"]}))
            .await;
        assert_error(&e, 422, "invalid_url", Some("url"));
        let e = owner
            .post("/api/v1/communities/club/webhooks", json!({"url": format!("{base}/hook"), "events": ["nope"]}))
            .await;
        assert_error(&e, 422, "unknown_event", Some("events"));
        let (st, hook) = owner
            .post(
                "/api/v1/communities/club/webhooks",
                json!({"url": format!("{base}/hook"), "events": ["post_created"]}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{hook}");
        let secret = hook["secret"].as_str().unwrap().to_string();
        // The first attempt gets a 500, the retry succeeds.
        rx.answers.lock().unwrap().push(500);
        let (_, post) = alice.post("/api/v1/communities/club/posts", json!({"body": "webhook me"})).await;
        alice.post(&format!("/api/v1/posts/{}/comments", post["id"]), json!({"body": "not subscribed"})).await;
        t.drain().await;
        assert_eq!(rx.count(), 1, "{b:?}");
        t.make_due("webhook").await;
        t.drain().await;
        assert_eq!(rx.count(), 2);
        let (headers, body) = rx.got.lock().unwrap()[1].clone();
        let ts: i64 = headers["x-yaji-timestamp"].to_str().unwrap().parse().unwrap();
        let sig = headers["x-yaji-signature"].to_str().unwrap();
        assert_eq!(sig, yaji_app::webhooks::signature(&secret, ts, &body), "verifiable with the secret");
        assert_ne!(sig, yaji_app::webhooks::signature("wrong", ts, &body));
        let payload: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(payload["kind"], "post_created");
        assert_eq!(payload["payload"]["subject"]["id"], post["id"]);
        assert_eq!(headers["x-yaji-delivery"], rx.got.lock().unwrap()[0].0["x-yaji-delivery"], "same id on retry");
        let (_, log) = owner.get("/api/v1/communities/club/webhooks/deliveries").await;
        let statuses: Vec<(&str, i64)> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["status"].as_str().unwrap(), d["response_status"].as_i64().unwrap()))
            .collect();
        assert_eq!(statuses, vec![("delivered", 200), ("failed", 500)]);

        // A rule's webhook action carries the firing.
        let rule = json!({"name": "tell CRM", "trigger": {"kind": "member_joined"},
            "actions": [{"kind": "webhook", "webhook_id": hook["id"]}]});
        owner.post("/api/v1/communities/club/automation/rules", rule).await;
        let bob = t.user("bob").await;
        bob.post("/api/v1/communities/club/join", json!({})).await;
        t.drain().await;
        let last: Value = serde_json::from_slice(&rx.got.lock().unwrap().last().unwrap().1).unwrap();
        assert_eq!(last["kind"], "automation_fired", "{last}");
        assert_eq!(last["payload"]["member"]["username"], "bob");

        // Redirects are checked too: to a link-local address is refused.
        let (_, hook2) = owner
            .post(
                "/api/v1/communities/club/webhooks",
                json!({"url": format!("{base}/redirect"), "events": ["member_left"]}),
            )
            .await;
        bob.post("/api/v1/communities/club/leave", json!({})).await;
        t.drain().await;
        let (_, log) = owner.get("/api/v1/communities/club/webhooks/deliveries").await;
        let d = log.as_array().unwrap().iter().find(|d| d["webhook_id"] == hook2["id"]).unwrap().clone();
        assert_eq!(d["status"], "refused", "{d}");
        assert!(d["error"].as_str().unwrap().contains("169.254.169.254"), "{d}");
        t.cleanup().await;
    }
}

story! {
    async fn the_ssrf_guard_refuses_internal_addresses_by_default(t: TestApp) {
        let b = t.backend;
        let (owner, alice) = setup(&t, "open").await;
        let rx = Receiver::default();
        let base = rx.start().await;
        let port = base.rsplit(':').next().unwrap().to_string();
        for url in [
            format!("{base}/hook"),
            format!("http://localhost:{port}/hook"),
            "http://10.0.0.1/hook".into(),
            "http://[::1]/hook".into(),
            // IPv6 forms that reach IPv4 or site-local space (6to4, site-local,
            // IPv4-compatible, IPv4-translated).
            "http://[2002:7f00:1::1]/hook".into(),
            "http://[fec0::1]/hook".into(),
            "http://[::7f00:1]/hook".into(),
            "http://[::ffff:0:7f00:1]/hook".into(),
        ] {
            let (st, _) = owner.post("/api/v1/communities/club/webhooks", json!({"url": url, "events": ["*"]})).await;
            assert_eq!(st, StatusCode::CREATED);
        }
        alice.post("/api/v1/communities/club/posts", json!({"body": "hello"})).await;
        t.drain().await;
        assert_eq!(rx.count(), 0, "{b:?}: nothing reached the loopback receiver");
        let (_, log) = owner.get("/api/v1/communities/club/webhooks/deliveries").await;
        let log: Vec<&Value> = log.as_array().unwrap().iter().filter(|d| d["event_kind"] == "post_created").collect();
        assert_eq!(log.len(), 8, "{log:?}");
        assert!(log.iter().all(|d| d["status"] == "refused"), "{log:?}");
        assert!(
            log.iter().any(|d| d["error"].as_str().unwrap().contains("resolves only to internal addresses")),
            "{log:?}"
        );
        // Refused deliveries are final: no retry is queued.
        assert_eq!(t.count("SELECT COUNT(*) FROM jobs WHERE kind = 'webhook' AND status = 'queued'").await, 0);
    }
}
