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
        let off = t
            .count(
                "SELECT COUNT(*) FROM points_balances b WHERE b.balance <> \
                 (SELECT COALESCE(SUM(l.amount), 0) FROM points_ledger l WHERE l.community_id = b.community_id AND l.user_id = b.user_id)",
            )
            .await;
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
