//! Points (web pages): the leaderboard, a member's points with the staff
//! form, and the admins' rules and levels, in both languages.

use reqwest::StatusCode;
use serde_json::json;
use yaji_testkit::*;

story! {
    async fn points_pages_show_rank_history_and_take_staff_forms(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let ann = t.user("ann").await;
        ann.post("/api/v1/communities/club/join", json!({})).await;
        ann.post("/api/v1/communities/club/posts", json!({"body": "tea at four"})).await;

        // Ann sees herself on the board and her own history; the tab is there.
        let a = Browser::new(&t);
        a.log_in("ann").await;
        let (s, board) = a.page("/c/club/leaderboard?period=week").await;
        assert_eq!(s, StatusCode::OK);
        assert!(board.contains(r#"leaderboard" class="on""#), "the community tab, on");
        assert!(board.contains("/c/club/members/ann/points") && board.contains(r#"class="member-row me""#), "{board}");
        assert!(board.contains(r#"<strong class="pts">5</strong>"#));
        let (s, _) = a.page("/c/club/leaderboard?period=year").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (_, mine) = a.page("/c/club/members/ann/points").await;
        assert!(mine.contains("class=\"ledger\"") && mine.contains("+5"), "own history");
        assert!(!mine.contains("name=\"amount\""), "members do not adjust");
        // Members may not open the settings.
        let (s, _) = a.page("/c/club/settings/points").await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // The owner awards through the form; a blank reason comes back named.
        let o = Browser::new(&t);
        o.log_in("owner").await;
        let (_, page) = o.page("/c/club/members/ann/points").await;
        let csrf = csrf_of(&page);
        let r = o.post_form(&csrf, "/c/club/members/ann/points", &[("direction", "award"), ("amount", "50"), ("reason", " ")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("has-error"));
        let r = o.post_form(&csrf, "/c/club/members/ann/points", &[("direction", "deduct"), ("amount", "2"), ("reason", "typo")]).await;
        assert_eq!(r.headers()["location"], "/c/club/members/ann/points?notice=points_adjusted");
        let r = o.post_form(&csrf, "/c/club/members/ann/points", &[("direction", "award"), ("amount", "50"), ("reason", "host")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, p) = ann.get("/api/v1/communities/club/members/ann/points").await;
        assert_eq!(p["balance"], 53);
        // The audit log has both, with their amounts.
        let (_, audit) = o.page("/c/club/moderation/audit").await;
        assert!(audit.contains("· -2") && audit.contains("· +50"), "{audit}");

        // Settings: a level out of order is named; a valid save sticks.
        let (s, set) = o.page("/c/club/settings/points").await;
        assert_eq!(s, StatusCode::OK);
        let csrf = csrf_of(&set);
        let mut fields: Vec<(&str, &str)> = vec![("enabled", "on"), ("post.points", "8"), ("member_daily_cap", "0")];
        fields.extend([("level_name", "新芽"), ("level_min", "0"), ("level_name", "常客"), ("level_min", "0")]);
        let r = o.post_form(&csrf, "/c/club/settings/points", &fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(html.contains("has-error") && html.contains("value=\"常客\""), "the form keeps what was typed");
        fields.truncate(3);
        fields.extend([("level_name", "新芽"), ("level_min", "0"), ("level_name", "常客"), ("level_min", "40"), ("level_name", ""), ("level_min", "")]);
        let r = o.post_form(&csrf, "/c/club/settings/points", &fields).await;
        assert_eq!(r.headers()["location"], "/c/club/settings/points?notice=saved");
        let (_, s) = owner.get("/api/v1/communities/club/points/settings").await;
        assert_eq!((s["rules"]["post"]["points"].as_i64(), s["levels"].as_array().unwrap().len()), (Some(8), 2), "{s}");
        assert_eq!(s["rules"]["comment"]["points"], 0, "a blank field is 0");
        let r = o.post_form(&csrf, "/c/club/settings/points/recompute", &[]).await;
        assert_eq!(r.headers()["location"], "/c/club/settings/points?notice=points_recomputed");
        let (_, p) = ann.get("/api/v1/communities/club/members/ann/points").await;
        assert_eq!((p["balance"].as_i64(), &p["level"]["label"]), (Some(56), &json!("Lv2 常客")), "8 for the post + 48 by staff");
        // Level names show on the board, in English too.
        let (_, board) = a.page("/c/club/leaderboard?lang=en").await;
        assert!(board.contains("Lv2 常客"));
    }
}
