//! The durable job queue, on SQLite and (when configured) PostgreSQL.

use reqwest::StatusCode;
use serde_json::json;
use yaji_store::repo::jobs;
use yaji_testkit::*;

async fn welcomes(t: &TestApp, user_id: i64) -> i64 {
    let mut c = t.db.read().await.unwrap();
    yaji_store::sql::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND kind = 'welcome'")
        .bind(user_id)
        .fetch_one(&mut c)
        .await
        .unwrap()
}

async fn drain(t: &TestApp, worker: &str) -> usize {
    let mut total = 0;
    loop {
        // Batches of two, so concurrent workers interleave their claims.
        let n = t.app.work_batch(worker, 2).await.unwrap();
        if n == 0 {
            return total;
        }
        total += n;
    }
}

story! {
    async fn joining_enqueues_a_welcome_delivered_once(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let alice = t.user("alice").await;
        let queued = jobs::enqueued();
        alice.post("/api/v1/communities/club/join", json!({})).await;
        // The job was committed with the join; nothing ran it yet. The process
        // counts it (what tells posts and comments whether to wake the workers).
        assert_eq!(welcomes(&t, alice.id).await, 0);
        assert!(jobs::enqueued() > queued);
        let (_, queued) = owner.get("/api/v1/admin/jobs?status=queued").await;
        assert_eq!(queued.as_array().unwrap().len(), 1, "{b:?} {queued}");
        assert_eq!(drain(&t, "w1").await, 1);
        assert_eq!(drain(&t, "w1").await, 0, "done jobs do not run again");
        assert_eq!(welcomes(&t, alice.id).await, 1);
        let (_, notes) = alice.get("/api/v1/me/notifications").await;
        assert_eq!(notes[0]["kind"], "welcome");
        assert_eq!(notes[0]["detail"]["rules_link"], "/c/club/rules");

        // A member muted (or gone) by send time is skipped.
        let bob = t.user("bob").await;
        bob.post("/api/v1/communities/club/join", json!({})).await;
        owner.post("/api/v1/communities/club/members/bob/mute", json!({"minutes": 5})).await;
        drain(&t, "w1").await;
        assert_eq!(welcomes(&t, bob.id).await, 0);
        let (_, done) = owner.get("/api/v1/admin/jobs?status=done").await;
        assert_eq!(done[0]["outcome"], "skipped: muted", "{done}");
        // Only site administrators see the queue.
        assert_error(&alice.get("/api/v1/admin/jobs").await, 403, "site_admin_only", None);
    }
}

story! {
    async fn failing_jobs_back_off_then_land_in_the_dead_letter_list(t: TestApp) {
        let b = t.backend;
        let admin = t.user("admin").await;
        let now = yaji_store::now_millis();
        {
            let mut tx = t.db.write().await.unwrap();
            let j = jobs::NewJob {
                kind: "no_such_kind",
                payload: "{}",
                dedupe_key: Some("k1"),
                community_id: None,
                run_at: now,
                max_attempts: 2,
            };
            assert!(jobs::enqueue(tx.conn(), &j, now).await.unwrap().is_some());
            assert!(jobs::enqueue(tx.conn(), &j, now).await.unwrap().is_none(), "same key, same job");
            tx.commit().await.unwrap();
        }
        assert_eq!(t.app.work_once("w").await.unwrap(), 1);
        let (_, queued) = admin.get("/api/v1/admin/jobs?status=queued").await;
        assert_eq!(queued[0]["attempts"], 1, "{b:?} {queued}");
        assert!(queued[0]["last_error"].as_str().unwrap().contains("unknown job kind"));
        // Backed off: not due again yet.
        assert_eq!(t.app.work_once("w").await.unwrap(), 0);
        {
            let mut tx = t.db.write().await.unwrap();
            yaji_store::sql::query("UPDATE jobs SET run_at = 0").execute(&mut *tx.conn()).await.unwrap();
            tx.commit().await.unwrap();
        }
        assert_eq!(t.app.work_once("w").await.unwrap(), 1);
        let (_, dead) = admin.get("/api/v1/admin/jobs").await;
        assert_eq!(dead.as_array().unwrap().len(), 1, "{b:?} {dead}");
        assert_eq!(dead[0]["attempts"], 2);
        let id = dead[0]["id"].as_i64().unwrap();
        let (s, _) = admin.post(&format!("/api/v1/admin/jobs/{id}/retry"), json!({})).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert!(admin.get("/api/v1/admin/jobs").await.1.as_array().unwrap().is_empty());
        assert_error(&admin.post(&format!("/api/v1/admin/jobs/{id}/retry"), json!({})).await, 404, "not_found", None);
    }
}

story! {
    async fn two_workers_never_run_the_same_job(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let mut ids = vec![];
        for i in 0..15 {
            let u = t.user(&format!("member{i}")).await;
            u.post("/api/v1/communities/club/join", json!({})).await;
            ids.push(u.id);
        }
        let (a, b2) = tokio::join!(drain(&t, "worker-a"), drain(&t, "worker-b"));
        assert_eq!(a + b2, 15, "{b:?}: every job ran once ({a} + {b2})");
        for id in ids {
            assert_eq!(welcomes(&t, id).await, 1, "{b:?} user {id}");
        }
    }
}

story! {
    async fn an_expired_lease_is_claimed_again_and_the_late_worker_cannot_finish(t: TestApp) {
        let backend = t.db.backend();
        let mut tx = t.db.write().await.unwrap();
        let j =
            jobs::NewJob { kind: "x", payload: "{}", dedupe_key: None, community_id: None, run_at: 0, max_attempts: 3 };
        jobs::enqueue(tx.conn(), &j, 0).await.unwrap();
        let first = jobs::claim(tx.conn(), backend, "a", 1_000, 61_000, 10).await.unwrap();
        assert_eq!(first.len(), 1);
        assert!(jobs::claim(tx.conn(), backend, "b", 2_000, 62_000, 10).await.unwrap().is_empty(), "leased");
        // Worker a died; after its lease, b takes the job.
        let again = jobs::claim(tx.conn(), backend, "b", 61_001, 121_001, 10).await.unwrap();
        assert_eq!((again.len(), again[0].attempts), (1, 2));
        assert!(!jobs::complete(tx.conn(), first[0].id, "a", "late", 61_002).await.unwrap(), "a lost the lease");
        assert!(jobs::complete(tx.conn(), first[0].id, "b", "ok", 61_003).await.unwrap());
        tx.commit().await.unwrap();
    }
}

story! {
    async fn faq_answers_questions_and_lists_the_rest_for_moderators(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let alice = t.user("alice").await;
        alice.post("/api/v1/communities/club/join", json!({})).await;
        assert_error(
            &owner.post("/api/v1/communities/club/faq", json!({"questions": [], "answer": "x"})).await,
            422,
            "out_of_range",
            Some("questions"),
        );
        let (s, e) = owner
            .post(
                "/api/v1/communities/club/faq",
                json!({"questions": ["会员费多少钱", "how much is the membership fee"], "answer": "年费 **365** 元。"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b:?} {e}");
        assert_error(
            &alice.post("/api/v1/communities/club/faq", json!({"questions": ["x"], "answer": "y"})).await,
            403,
            "insufficient_role",
            None,
        );
        drain(&t, "w").await;

        // A question the FAQ answers: the assistant replies, marked automatic.
        let (_, q) = alice.post("/api/v1/communities/club/posts", json!({"body": "请问会员费多少钱？"})).await;
        // Not a question: no job.
        alice.post("/api/v1/communities/club/posts", json!({"body": "今天读完了第三章。"})).await;
        assert_eq!(drain(&t, "w").await, 1, "{b:?}: one FAQ job");
        let (_, d) = alice.get(&format!("/api/v1/posts/{}", q["id"])).await;
        let c = &d["comments"][0];
        assert_eq!(c["automatic"], true, "{b:?} {d}");
        assert!(c["body_html"].as_str().unwrap().contains("<strong>365</strong>"));
        let reply = c["faq_reply_id"].as_i64().expect("the asker may rate it");
        assert_error(
            &owner.post(&format!("/api/v1/faq-replies/{reply}/feedback"), json!({"helpful": true})).await,
            403,
            "not_author",
            None,
        );
        let (s, _) = alice.post(&format!("/api/v1/faq-replies/{reply}/feedback"), json!({"helpful": true})).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_error(
            &alice.post(&format!("/api/v1/faq-replies/{reply}/feedback"), json!({"helpful": false})).await,
            409,
            "already_decided",
            None,
        );
        let (_, entries) = owner.get("/api/v1/communities/club/faq").await;
        assert_eq!((entries[0]["answered_count"].clone(), entries[0]["helpful_count"].clone()), (json!(1), json!(1)));

        // A member's question in a comment is answered under the same post, addressed to them;
        // the owner's question in a thread is left alone.
        let bob = t.user("bob").await;
        bob.post("/api/v1/communities/club/join", json!({})).await;
        let (_, chat) = alice.post("/api/v1/communities/club/posts", json!({"body": "新人报到"})).await;
        bob.post(&format!("/api/v1/posts/{}/comments", chat["id"]), json!({"body": "How much is the membership fee?"}))
            .await;
        owner
            .post(&format!("/api/v1/posts/{}/comments", chat["id"]), json!({"body": "会员费多少钱？大家知道吗"}))
            .await;
        drain(&t, "w").await;
        let (_, d) = bob.get(&format!("/api/v1/posts/{}", chat["id"])).await;
        let auto: Vec<&serde_json::Value> =
            d["comments"].as_array().unwrap().iter().filter(|c| c["automatic"] == true).collect();
        assert_eq!(auto.len(), 1, "{b:?} {d}");
        assert!(auto[0]["body"].as_str().unwrap().starts_with("@bob "), "{d}");
        let reply = auto[0]["faq_reply_id"].as_i64().unwrap();
        let (s, _) = bob.post(&format!("/api/v1/faq-replies/{reply}/feedback"), json!({"helpful": true})).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "the comment's asker rates the answer");

        // A question it cannot answer waits in the unanswered list; moderators hear of it after the delay.
        let (_, q2) = alice.post("/api/v1/communities/club/posts", json!({"body": "周末有人一起去爬山吗？"})).await;
        drain(&t, "w").await;
        let (_, open) = owner.get("/api/v1/communities/club/faq/unanswered").await;
        assert_eq!(open[0]["post_id"], q2["id"], "{b:?} {open}");
        {
            let mut tx = t.db.write().await.unwrap();
            yaji_store::sql::query("UPDATE jobs SET run_at = 0 WHERE kind = 'faq_unanswered'")
                .execute(&mut *tx.conn())
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        drain(&t, "w").await;
        let (_, notes) = owner.get("/api/v1/me/notifications").await;
        assert_eq!(notes[0]["kind"], "unanswered_question", "{b:?} {notes}");
        assert_eq!(notes[0]["detail"]["post_id"], q2["id"]);
        // Once a member answers, it leaves the list.
        owner.post(&format!("/api/v1/posts/{}/comments", q2["id"]), json!({"body": "我去！"})).await;
        assert!(owner.get("/api/v1/communities/club/faq/unanswered").await.1.as_array().unwrap().is_empty());

        let (s, v) = owner
            .call(
                reqwest::Method::PUT,
                "/api/v1/communities/club/faq/settings",
                Some(json!({"threshold": 2.0, "unanswered_minutes": 5})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    }
}

story! {
    async fn replies_mentions_and_join_decisions_reach_the_inbox(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "approval")).await;
        let alice = t.user("alice").await;
        let (_, out) = alice.post("/api/v1/communities/club/join", json!({"accept_rules": true, "answers": []})).await;
        let rid = out["request_id"].as_i64().unwrap();
        owner.post(&format!("/api/v1/join-requests/{rid}/approve"), json!({"reason": "welcome"})).await;
        let (_, notes) = alice.get("/api/v1/me/notifications").await;
        assert!(notes.as_array().unwrap().iter().any(|n| n["kind"] == "join_approved"), "{b:?} {notes}");

        let (_, p) = alice.post("/api/v1/communities/club/posts", json!({"body": "hello @owner, and @nobody"})).await;
        let (_, notes) = owner.get("/api/v1/me/notifications").await;
        assert_eq!(notes[0]["kind"], "mention", "{b:?} {notes}");
        // A reply that also @mentions the author is one notice (a reply), not two.
        owner.post(&format!("/api/v1/posts/{}/comments", p["id"]), json!({"body": "hi @alice"})).await;
        alice.post(&format!("/api/v1/posts/{}/comments", p["id"]), json!({"body": "own reply, no notice"})).await;
        let (_, notes) = alice.get("/api/v1/me/notifications").await;
        let replies: Vec<_> = notes.as_array().unwrap().iter().filter(|n| n["kind"] == "reply").collect();
        assert_eq!(replies.len(), 1, "{b:?} {notes}");
        assert_eq!(replies[0]["detail"]["by"], "owner");
        assert_eq!(replies[0]["read"], false);
        assert!(!notes.as_array().unwrap().iter().any(|n| n["kind"] == "mention"), "{b:?} {notes}");
        let (s, _) = alice.post("/api/v1/me/notifications/read", json!({})).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(alice.get("/api/v1/me/notifications").await.1[0]["read"], true);

        // Opening the inbox page reads what it shows; the page still highlights them this once.
        let (_, notes) = owner.get("/api/v1/me/notifications").await;
        assert_eq!(notes[0]["read"], false, "{b:?} {notes}");
        let web = Browser::new(&t);
        web.log_in("owner").await;
        let (_, inbox) = web.page("/notifications").await;
        assert!(inbox.contains("unread"), "{b:?}");
        assert!(!inbox.contains("class=\"count\""), "the bell on the inbox page shows nothing waiting");
        let (_, notes) = owner.get("/api/v1/me/notifications").await;
        assert!(notes.as_array().unwrap().iter().all(|n| n["read"] == true), "{b:?} {notes}");
    }
}

story! {
    async fn finished_jobs_are_pruned_after_a_week_but_dead_ones_stay(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        for name in ["ann", "ada"] {
            t.user(name).await.post("/api/v1/communities/club/join", json!({})).await;
        }
        drain(&t, "w").await;
        let old = yaji_store::now_millis() - 8 * 86_400_000;
        t.exec(&format!(
            "UPDATE jobs SET finished_at = {old} WHERE id = (SELECT MIN(id) FROM jobs WHERE status = 'done')"
        ))
        .await;
        t.exec("UPDATE jobs SET status = 'dead', finished_at = 0 WHERE id = (SELECT MAX(id) FROM jobs WHERE status = 'done')").await;
        assert_eq!(t.app.prune_jobs().await.unwrap(), 1, "{b:?}");
        assert_eq!(t.count("SELECT COUNT(*) FROM jobs WHERE status = 'dead'").await, 1);
    }
}
