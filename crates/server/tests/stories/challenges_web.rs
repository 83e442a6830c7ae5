//! Challenge pages: staff create one from the form (errors named, what was
//! typed kept), a member joins and checks in with two taps, a second tap is
//! told the day is done, the month shows the day, staff see statistics and
//! members do not.

use reqwest::StatusCode;
use serde_json::json;
use yaji_testkit::*;

fn today() -> String {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string()
}

story! {
    async fn challenge_pages_create_join_check_in_and_show_the_month(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        t.user("ann").await.post("/api/v1/communities/club/join", json!({})).await;

        let o = Browser::new(&t);
        o.log_in("owner").await;
        let (s, list) = o.page("/c/club/challenges").await;
        assert_eq!(s, StatusCode::OK);
        assert!(list.contains(r#"action="/c/club/challenges""#), "staff see the form");
        let csrf = csrf_of(&list);
        let today = today();
        let bad = [("title", "晨读"), ("starts_on", today.as_str()), ("window_start", "09:00"), ("window_end", "07:00"), ("days", "1")];
        let r = o.post_form(&csrf, "/c/club/challenges", &bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(html.contains("has-error") && html.contains(r#"value="晨读""#), "{html}");
        let mut good: Vec<(&str, &str)> = vec![("title", "晨读"), ("starts_on", &today), ("proof", "optional"), ("number_label", "页"), ("milestones", "7, 21=习惯达人")];
        for d in ["1", "2", "3", "4", "5", "6", "7"] {
            good.push(("days", d));
        }
        let r = o.post_form(&csrf, "/c/club/challenges", &good).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let at = r.headers()["location"].to_str().unwrap().to_string();
        assert!(at.ends_with("?notice=challenge_created"), "{at}");
        let page = at.trim_end_matches("?notice=challenge_created").to_string();
        let id: i64 = page.trim_start_matches("/challenges/").parse().unwrap();
        let (_, ch) = owner.get(&format!("/api/v1/challenges/{id}")).await;
        assert_eq!((ch["milestones"].clone(), ch["number_label"].as_str()), (json!([7, 21]), Some("页")));

        // A member: no form to create, joins, checks in (two taps), is told a second is not needed.
        let a = Browser::new(&t);
        a.log_in("ann").await;
        let (_, list) = a.page("/c/club/challenges").await;
        assert!(!list.contains(r#"action="/c/club/challenges""#) && list.contains("晨读"));
        let (_, p) = a.page(&page).await;
        let csrf = csrf_of(&p);
        assert!(p.contains(&format!(r#"action="/challenges/{id}/join""#)));
        let r = a.post_form(&csrf, &format!("/challenges/{id}/join"), &[("remind_at", "")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, p) = a.page(&page).await;
        assert!(p.contains(&format!(r#"action="/challenges/{id}/checkin""#)), "{p}");
        let r = a.post_form(&csrf, &format!("/challenges/{id}/checkin"), &[("body", "读了《论语》学而篇"), ("number", "12")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(r.headers()["location"].to_str().unwrap().ends_with("?notice=checked_in"));
        let (_, p) = a.page(&page).await;
        assert!(p.contains("st-today") || p.contains("st-done"), "the month is shown");
        assert!(p.contains("学而篇") && p.contains("12 页"), "the note is in the challenge's feed");
        assert!(!p.contains(&format!(r#"action="/challenges/{id}/checkin" class="checkin-form""#)));
        let r = a.post_form(&csrf, &format!("/challenges/{id}/checkin"), &[("number", "abc")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = a.post_form(&csrf, &format!("/challenges/{id}/checkin"), &[]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(r.text().await.unwrap().contains("flash err"));
        let (s, cal) = a.page(&format!("/challenges/{id}/members/ann")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(cal.contains("st-done"), "{cal}");

        // Statistics are for staff; the certificate only for finishers.
        assert_eq!(a.page(&format!("/challenges/{id}/stats")).await.0, StatusCode::FORBIDDEN);
        let (s, stats) = o.page(&format!("/challenges/{id}/stats")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(stats.contains("<svg class=\"chart\"") && stats.contains("bar-checked"), "{stats}");
        assert_eq!(a.page(&format!("/challenges/{id}/members/ann/certificate")).await.0, StatusCode::NOT_FOUND);
        // The edit form starts from the saved challenge.
        let (s, edit) = o.page(&format!("/challenges/{id}/edit")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(edit.contains(r#"value="7, 21=习惯达人""#) && edit.contains(r#"value="页""#), "{edit}");
        assert_eq!(a.page(&format!("/challenges/{id}/edit")).await.0, StatusCode::FORBIDDEN);
        // The analytics dashboard shows participation.
        let (_, dash) = o.page("/c/club/analytics").await;
        assert!(dash.contains(&format!("/challenges/{id}/stats")) && dash.contains("晨读"), "{dash}");
    }
}
