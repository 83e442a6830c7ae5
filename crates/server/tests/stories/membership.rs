//! Membership: invites under each join policy and who may make them.

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
