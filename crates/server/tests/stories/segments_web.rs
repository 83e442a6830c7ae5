//! Segments (web pages): the builder previews before saving and keeps what
//! was typed on errors, the segment page lists members and takes a bulk
//! action, a stale count is refused with a way back, members are kept out.

use reqwest::StatusCode;
use serde_json::json;
use yaji_testkit::*;

story! {
    async fn segment_pages_build_preview_and_act(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        for n in ["ann", "bob"] {
            t.user(n).await.post("/api/v1/communities/club/join", json!({})).await;
        }
        owner.put("/api/v1/communities/club/members/ann/tags/reader", json!({})).await;

        let a = Browser::new(&t);
        a.log_in("ann").await;
        assert_eq!(a.page("/c/club/segments").await.0, StatusCode::FORBIDDEN);
        let (_, members) = a.page("/c/club/members").await;
        assert!(!members.contains("/c/club/segments"), "no segments tab for members");

        let o = Browser::new(&t);
        o.log_in("owner").await;
        let (s, list) = o.page("/c/club/segments").await;
        assert_eq!(s, StatusCode::OK);
        assert!(list.contains(r#"href="/c/club/segments/new""#) && list.contains("class=\"on\""), "{list}");
        let (s, new) = o.page("/c/club/segments/new").await;
        assert_eq!(s, StatusCode::OK);
        assert!(new.contains(r#"name="tags_any" value="reader""#), "tags in use are offered");
        let csrf = csrf_of(&new);

        // Preview shows who matches without saving.
        let fields = [("name", "Readers"), ("tags_any", "reader"), ("roles", "member"), ("do", "preview")];
        let r = o.post_form(&csrf, "/c/club/segments", &fields).await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("id=\"preview\"") && html.contains("@ann") && !html.contains("@bob"), "{html}");
        assert!(html.contains(r#"value="reader" checked"#) && html.contains(r#"value="Readers""#), "the form keeps its values");
        assert_eq!(t.count("SELECT COUNT(*) FROM segments").await, 0);

        // A contradiction comes back named, with what was typed.
        let bad = [("name", "Readers"), ("tags_any", "reader"), ("tags_none", "reader"), ("do", "save")];
        let r = o.post_form(&csrf, "/c/club/segments", &bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("has-error"));
        let r = o.post_form(&csrf, "/c/club/segments", &[("name", "Readers"), ("joined_within_days", "soon"), ("do", "save")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // Save, then act from the segment page.
        let save = [("name", "Readers"), ("tags_any", "reader"), ("do", "save")];
        let r = o.post_form(&csrf, "/c/club/segments", &save).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let at = r.headers()["location"].to_str().unwrap().to_string();
        assert!(at.ends_with("?notice=saved"), "{at}");
        let page_url = at.trim_end_matches("?notice=saved").to_string();
        let (_, seg) = o.page(&page_url).await;
        assert!(seg.contains("@ann") && seg.contains(r#"name="expected" value="1""#), "{seg}");
        let act = format!("{page_url}/act");
        let r = o.post_form(&csrf, &act, &[("action", "award"), ("amount", "7"), ("reason", "host of the month"), ("expected", "1")]).await;
        assert_eq!(r.headers()["location"].to_str().unwrap(), format!("{page_url}?n=1&notice=segment_acted"));
        let (_, p) = owner.get("/api/v1/communities/club/members/ann/points").await;
        assert_eq!(p["balance"], 7);

        // With a gathering coming up, the segment can be invited to it; a missing choice is named.
        let at = |d: i64| (chrono::Utc::now() + chrono::Duration::days(d)).to_rfc3339();
        let (_, e) = owner.post("/api/v1/communities/club/events", json!({"title": "茶会", "starts_at": at(2), "ends_at": at(3)})).await;
        let (_, seg) = o.page(&page_url).await;
        assert!(seg.contains(r#"<option value="invite""#) && seg.contains("茶会"), "{seg}");
        let r = o.post_form(&csrf, &act, &[("action", "invite"), ("event_id", ""), ("expected", "1")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let eid = e["id"].to_string();
        let r = o.post_form(&csrf, &act, &[("action", "invite"), ("event_id", &eid), ("note", "带上书"), ("expected", "1")]).await;
        assert_eq!(r.headers()["location"].to_str().unwrap(), format!("{page_url}?n=1&notice=segment_acted"));
        let (_, inbox) = a.page("/notifications").await;
        assert!(inbox.contains("茶会") && inbox.contains("带上书") && inbox.contains("?via=invite"), "{inbox}");

        // Bob is tagged meanwhile: the old count is refused, nothing is sent, the page says to look again.
        owner.put("/api/v1/communities/club/members/bob/tags/reader", json!({})).await;
        let r = o.post_form(&csrf, &act, &[("action", "message"), ("text", "see you friday"), ("expected", "1")]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let html = r.text().await.unwrap();
        assert!(html.contains("flash warn") && html.contains("see you friday"), "{html}");
        assert_eq!(t.count("SELECT COUNT(*) FROM notifications WHERE kind = 'community_message'").await, 0);

        // Every member as CSV, for a spreadsheet.
        let (s, csv) = o.page(&format!("{page_url}/members.csv")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(csv.starts_with("\u{feff}username,display_name,role,joined_at,points") && csv.contains("ann,ann,member"), "{csv}");
        assert_eq!(a.page(&format!("{page_url}/members.csv")).await.0, StatusCode::FORBIDDEN);

        // The list shows it with its members; deleting leaves the members alone.
        let (_, list) = o.page("/c/club/segments").await;
        assert!(list.contains("Readers"));
        let r = o.post_form(&csrf, &format!("{page_url}/delete"), &[]).await;
        assert_eq!(r.headers()["location"], "/c/club/segments?notice=segment_deleted");
        assert_eq!(t.count("SELECT COUNT(*) FROM member_tags WHERE tag = 'reader'").await, 2);
    }
}
