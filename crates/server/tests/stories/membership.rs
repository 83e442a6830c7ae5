//! Membership: invites under each join policy and who may make them.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use yaji_testkit::*;

story! {
    /// A member's link to an approval community leads to the application; a
    /// staff link lets the person in. Muted members make no links, and the
    /// links of a member who is banned, removed or leaves stop working.
    async fn invites_follow_the_makers_standing(t: TestApp) {
        let owner = t.user("owner").await;
        let mut body = community("circle", "approval");
        body["entry_questions"] = json!(["Why join?"]);
        owner.post("/api/v1/communities", body).await;
        let mia = t.user("mia").await;
        let (_, staff_inv) = owner.post("/api/v1/communities/circle/invites", json!({})).await;
        let (st, out) = mia.post("/api/v1/communities/circle/join", json!({"invite_code": staff_inv["code"]})).await;
        assert_eq!((st, out["status"].as_str()), (StatusCode::OK, Some("joined")), "{out}");

        // Mia's own link is an application, not a way around the admins.
        let (st, mia_inv) = mia.post("/api/v1/communities/circle/invites", json!({})).await;
        assert_eq!(st, StatusCode::CREATED);
        let code = mia_inv["code"].as_str().unwrap().to_string();
        let ned = t.user("ned").await;
        let (_, target) = ned.get(&format!("/api/v1/invites/{code}")).await;
        assert_eq!(target["invite"]["applies"], true, "{target}");
        assert_error(
            &ned.post("/api/v1/communities/circle/join", json!({"invite_code": code})).await,
            422,
            "answer_count",
            Some("answers"),
        );
        let (st, out) =
            ned.post("/api/v1/communities/circle/join", json!({"invite_code": code, "answers": ["books"]})).await;
        assert_eq!((st, out["status"].as_str()), (StatusCode::ACCEPTED, Some("pending")), "{out}");
        t.user("pia").await;
        let browser = Browser::new(&t);
        browser.log_in("pia").await;
        let (_, page) = browser.page(&format!("/invite/{code}")).await;
        assert!(page.contains("name=\"answer_0\""), "the landing page shows the application form");

        // Muted: no new links.
        owner.post("/api/v1/communities/circle/members/mia/mute", json!({"minutes": 60})).await;
        assert_error(&mia.post("/api/v1/communities/circle/invites", json!({})).await, 403, "muted", None);
        owner.call(reqwest::Method::DELETE, "/api/v1/communities/circle/members/mia/mute", None).await;

        // Banned: every link she made is dead, on the landing page and at the door.
        let (_, open_inv) = mia.post("/api/v1/communities/circle/invites", json!({})).await;
        owner.post("/api/v1/communities/circle/members/mia/ban", json!({"reason": "spam"})).await;
        let (_, target) = ned.get(&format!("/api/v1/invites/{}", open_inv["code"].as_str().unwrap())).await;
        assert_eq!(target["invite"]["revoked"], true, "{target}");
        let zoe = t.user("zoe").await;
        assert_error(
            &zoe.post("/api/v1/communities/circle/join", json!({"invite_code": open_inv["code"], "answers": ["x"]})).await,
            409,
            "invite_exhausted",
            Some("invite_code"),
        );
        assert_eq!(t.count("SELECT COUNT(*) FROM invites WHERE revoked_at IS NULL AND created_by = (SELECT id FROM users WHERE username = 'mia')").await, 0);
    }
}

story! {
    /// In an open or invite-only community a member's link lets people in
    /// (and records who invited them) until the member leaves or is removed.
    async fn member_links_work_until_the_member_goes(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("vip", "invite_only")).await;
        let (_, inv) = owner.post("/api/v1/communities/vip/invites", json!({})).await;
        let kai = t.user("kai").await;
        kai.post("/api/v1/communities/vip/join", json!({"invite_code": inv["code"]})).await;
        let (_, kai_inv) = kai.post("/api/v1/communities/vip/invites", json!({})).await;
        let (_, kai_inv2) = kai.post("/api/v1/communities/vip/invites", json!({})).await;
        let lu = t.user("luna").await;
        let (st, out) = lu.post("/api/v1/communities/vip/join", json!({"invite_code": kai_inv["code"]})).await;
        assert_eq!((st, out["status"].as_str()), (StatusCode::OK, Some("joined")), "{out}");
        let (_, m) = owner.get("/api/v1/communities/vip/members?q=luna").await;
        assert_eq!(m[0]["invited_by"], kai.id);
        // Kai is removed: his other link stops working.
        owner.post("/api/v1/communities/vip/members/kai/remove", json!({"reason": "r"})).await;
        let max = t.user("max").await;
        assert_error(
            &max.post("/api/v1/communities/vip/join", json!({"invite_code": kai_inv2["code"]})).await,
            409,
            "invite_exhausted",
            Some("invite_code"),
        );
        // Lu leaves: hers too.
        let (_, lu_inv) = lu.post("/api/v1/communities/vip/invites", json!({})).await;
        lu.post("/api/v1/communities/vip/leave", json!({})).await;
        assert_error(
            &max.post("/api/v1/communities/vip/join", json!({"invite_code": lu_inv["code"]})).await,
            409,
            "invite_exhausted",
            Some("invite_code"),
        );
    }
}

story! {
    /// Staff decide many applications at once. Racing batches over the same
    /// queue decide each application exactly once: every member is counted
    /// once, and requests decided by someone else or of another community are
    /// reported as skipped, not failed.
    async fn batches_of_applications_are_decided_once(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("circle", "approval")).await;
        owner.post("/api/v1/communities", community("other", "approval")).await;
        let mut applicants = Vec::new();
        for i in 0..12 {
            let u = t.user(&format!("ap{i}")).await;
            let (st, _) = u.post("/api/v1/communities/circle/join", json!({})).await;
            assert_eq!(st, StatusCode::ACCEPTED);
            applicants.push(u);
        }
        applicants[0].post("/api/v1/communities/other/join", json!({})).await;
        let (_, queue) = owner.get("/api/v1/communities/circle/join-requests").await;
        let mut ids: Vec<i64> = queue.as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len(), 12);
        let (_, other) = owner.get("/api/v1/communities/other/join-requests").await;
        let foreign = other[0]["id"].as_i64().unwrap();

        // Bad input: nothing chosen, too many, not staff.
        let path = "/api/v1/communities/circle/join-requests/decide";
        assert_error(&owner.post(path, json!({"ids": [], "approve": true})).await, 422, "required", Some("ids"));
        let many: Vec<i64> = (1..=201).collect();
        assert_error(&owner.post(path, json!({"ids": many, "approve": true})).await, 422, "too_many", Some("ids"));
        assert_error(&applicants[1].post(path, json!({"ids": ids, "approve": true})).await, 403, "insufficient_role", None);

        // One is rejected alone first; then 60 batches race over all of them.
        owner.post(&format!("/api/v1/join-requests/{}/reject", ids[11]), json!({"reason": "later"})).await;
        ids.push(foreign);
        let results = join_all((0..60).map(|_| owner.post(path, json!({"ids": ids, "approve": true})))).await;
        let mut decided = Vec::new();
        for (st, out) in &results {
            assert_eq!(*st, StatusCode::OK, "{out}");
            decided.extend(out["decided"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()));
            let skipped = out["skipped"].as_array().unwrap();
            assert!(skipped.iter().any(|s| s["id"] == foreign && s["code"] == "not_found"), "{out}");
            assert!(skipped.iter().any(|s| s["id"] == ids[11] && s["code"] == "already_decided"), "{out}");
        }
        decided.sort();
        let mut expected = ids[..11].to_vec();
        expected.sort();
        assert_eq!(decided, expected, "each application decided by exactly one batch");
        let (_, c) = owner.get("/api/v1/communities/circle").await;
        assert_eq!(c["member_count"], 12, "the owner and eleven approved applicants");
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'join_approved'").await, 11);
        assert_eq!(t.count("SELECT COUNT(*) FROM notifications WHERE kind = 'join_approved'").await, 11);
    }
}

story! {
    /// The queue page: tick applications, approve them together, see how many.
    async fn the_queue_page_approves_the_ticked_applications(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("circle", "approval")).await;
        for name in ["ann", "bob", "cyd"] {
            t.user(name).await.post("/api/v1/communities/circle/join", json!({})).await;
        }
        let (_, queue) = owner.get("/api/v1/communities/circle/join-requests").await;
        let id = |i: usize| queue[i]["id"].as_i64().unwrap().to_string();
        let (_, work) = owner.get("/api/v1/me/pending-work").await;
        assert_eq!(work, json!([{"slug": "circle", "name": "Community circle", "pending": {"join_requests": 3, "review_queue": 0}}]));
        let (_, none) = t.user("dee").await.get("/api/v1/me/pending-work").await;
        assert_eq!(none, json!([]), "members have no staff work");
        let browser = Browser::new(&t);
        browser.log_in("owner").await;
        let (_, inbox) = browser.page("/notifications").await;
        assert!(inbox.contains(r#"href="/c/circle/requests""#), "the inbox lists the waiting applications");
        assert!(inbox.contains(r#"<span class="count">3</span>"#), "the bell counts them");
        let (_, page) = browser.page("/c/circle/requests").await;
        assert!(page.contains(r#"form="bulk""#) && page.contains("data-select-all"), "checkboxes and select-all");
        let (a, b) = (id(0), id(1));
        let r = browser
            .post_form(&csrf_of(&page), "/c/circle/requests/decide", &[("id", &a), ("id", &b), ("approve", "1")])
            .await;
        let to = r.headers()["location"].to_str().unwrap().to_string();
        assert!(to.contains("notice=requests_approved") && to.contains("n=2"), "{to}");
        let (_, after) = browser.page(&to).await;
        assert!(after.contains("2 applications approved") || after.contains("已通过 2 条申请"), "the count is shown");
        let (_, left) = owner.get("/api/v1/communities/circle/join-requests").await;
        assert_eq!(left.as_array().unwrap().len(), 1);
    }
}

story! {
    /// A new rules version reaches every member; when publishing requires it,
    /// members accept it before they write again (and can still read).
    async fn published_rules_reach_members_and_may_require_acceptance(t: TestApp) {
        let owner = t.user("owner").await;
        let mut body = community("club", "open");
        body["rules"] = json!("1. Be kind.");
        owner.post("/api/v1/communities", body).await;
        let mia = t.user("mia").await;
        mia.post("/api/v1/communities/club/join", json!({"accept_rules": true})).await;
        let (_, post) = owner.post("/api/v1/communities/club/posts", json!({"body": "hello"})).await;
        let post_id = post["id"].as_i64().unwrap();

        // A plain new version: everyone is told, nobody is stopped.
        let (st, _) = owner.call(reqwest::Method::PUT, "/api/v1/communities/club/rules", Some(json!({"body": "1. Be kind.\n2. No ads."}))).await;
        assert_eq!(st, StatusCode::CREATED);
        t.drain().await;
        let (_, notes) = mia.get("/api/v1/me/notifications").await;
        let note = notes.as_array().unwrap().iter().find(|n| n["kind"] == "rules_changed").expect("told").clone();
        assert_eq!((note["detail"]["version"].clone(), note["detail"]["required"].clone()), (json!(2), json!(false)));
        assert_eq!(t.count("SELECT COUNT(*) FROM notifications WHERE kind = 'rules_changed'").await, 1, "not the publisher");
        let (st, _) = mia.post(&format!("/api/v1/posts/{post_id}/comments"), json!({"body": "ok"})).await;
        assert_eq!(st, StatusCode::CREATED);

        // Version 3 must be accepted: reading works, writing waits.
        let (_, _) = owner
            .call(reqwest::Method::PUT, "/api/v1/communities/club/rules", Some(json!({"body": "3 rules", "require_acceptance": true})))
            .await;
        let (_, c) = mia.get("/api/v1/communities/club").await;
        assert_eq!(c["membership"]["rules_pending"], true, "{c}");
        let (st, _) = mia.get(&format!("/api/v1/posts/{post_id}")).await;
        assert_eq!(st, StatusCode::OK);
        for (path, body) in [("/api/v1/communities/club/posts", json!({"body": "x"})), (&*format!("/api/v1/posts/{post_id}/comments"), json!({"body": "y"}))] {
            assert_error(&mia.post(path, body).await, 403, "rules_acceptance_required", None);
        }
        let browser = Browser::new(&t);
        browser.log_in("mia").await;
        let (_, page) = browser.page("/c/club").await;
        assert!(page.contains(r#"href="/c/club/rules""#) && page.contains("flash warn"), "the banner leads to the rules");
        let (_, rules) = browser.page("/c/club/rules").await;
        assert!(rules.contains(r#"action="/c/club/rules/accept""#));
        // Accepting an outdated version is refused; the current one lets her speak.
        assert_error(&mia.post("/api/v1/communities/club/rules/accept", json!({"version": 2})).await, 409, "rules_changed", Some("version"));
        let r = browser.post_form(&csrf_of(&rules), "/c/club/rules/accept", &[("version", "3")]).await;
        assert_eq!(r.headers()["location"], "/c/club?notice=rules_accepted");
        let (st, _) = mia.post("/api/v1/communities/club/posts", json!({"body": "back"})).await;
        assert_eq!(st, StatusCode::CREATED);
        // Newcomers accept the current rules on joining and are not stopped.
        let ned = t.user("ned").await;
        ned.post("/api/v1/communities/club/join", json!({"accept_rules": true})).await;
        let (st, _) = ned.post("/api/v1/communities/club/posts", json!({"body": "hi"})).await;
        assert_eq!(st, StatusCode::CREATED);
    }
}
