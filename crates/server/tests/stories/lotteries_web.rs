//! Lottery pages: staff create one from the form (errors named), a member
//! enters with one tap and sees their ticket, a second tap is refused on
//! the page, staff draw after the close and everyone can open the verify
//! page, which carries what the browser needs to recompute the draw.

use reqwest::StatusCode;
use serde_json::json;
use yaji_testkit::*;

fn in_two_hours() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(2))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

story! {
    async fn lottery_pages_create_enter_draw_and_verify(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        t.user("ann").await.post("/api/v1/communities/club/join", json!({})).await;
        let o = Browser::new(&t);
        o.log_in("owner").await;
        let (s, list) = o.page("/c/club/lotteries").await;
        assert_eq!(s, StatusCode::OK);
        let csrf = csrf_of(&list);
        let close = in_two_hours();
        let r = o.post_form(&csrf, "/c/club/lotteries", &[("title", "年终抽奖"), ("prizes", ""), ("entries_close_at", &close)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("has-error"));
        let fields = [("title", "年终抽奖"), ("prizes", "茶饼 × 1\n书签 x 2"), ("entries_close_at", close.as_str()), ("min_points", "")];
        let r = o.post_form(&csrf, "/c/club/lotteries", &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let at = r.headers()["location"].to_str().unwrap().trim_end_matches("?notice=lottery_created").to_string();
        let id: i64 = at.trim_start_matches("/lotteries/").parse().unwrap();
        let (_, l) = owner.get(&format!("/api/v1/lotteries/{id}")).await;
        assert_eq!(l["prizes"], json!([{"name": "茶饼", "quantity": 1}, {"name": "书签", "quantity": 2}]));

        let a = Browser::new(&t);
        a.log_in("ann").await;
        let (_, p) = a.page(&at).await;
        assert!(!p.contains("/draw\""), "members see no draw button");
        let csrf_a = csrf_of(&p);
        let r = a.post_form(&csrf_a, &format!("/lotteries/{id}/enter"), &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, p) = a.page(&at).await;
        let ticket = t.count(&format!("SELECT COUNT(*) FROM lottery_entries WHERE lottery_id = {id}")).await;
        assert_eq!(ticket, 1);
        assert!(p.contains("badge mono"), "the ticket is shown");
        let r = a.post_form(&csrf_a, &format!("/lotteries/{id}/enter"), &[]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert_eq!(a.post_form(&csrf_a, &format!("/lotteries/{id}/draw"), &[]).await.status(), StatusCode::FORBIDDEN);

        // Too early to draw; after the close, one draw and a verify page for anyone.
        let r = o.post_form(&csrf, &format!("/lotteries/{id}/draw"), &[]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        t.exec(&format!("UPDATE lotteries SET closes_at = 1 WHERE id = {id}")).await;
        let r = o.post_form(&csrf, &format!("/lotteries/{id}/draw"), &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, p) = a.page(&at).await;
        assert!(p.contains("@ann") && p.contains(&format!("/lotteries/{id}/verify")), "{p}");
        let visitor = Browser::new(&t);
        let (s, v) = visitor.page(&format!("/lotteries/{id}/verify")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(v.contains(&format!(r#"data-verify-lottery="/api/v1/lotteries/{id}/result""#)) && v.contains("yaji-lottery-v1"), "{v}");
    }
}
