//! Member-voted awards (API and web): staff open a vote among members,
//! each member has one vote (racing and changed votes count once), the
//! tally is hidden until the close, then winners show and votes stop.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use yaji_testkit::*;

fn tally(v: &Value) -> Vec<(String, Option<i64>, bool)> {
    v["nominees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (n["member"]["username"].as_str().unwrap().to_string(), n["votes"].as_i64(), n["winner"].as_bool().unwrap())
        })
        .collect()
}

/// A local close time a week ahead, as the form writes it.
fn next_week() -> String {
    (chrono::Utc::now() + chrono::Duration::days(7))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

story! {
    async fn members_vote_once_and_see_results_at_the_close(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let mut voters = vec![];
        for i in 0..18 {
            let u = t.user(&format!("m{i:02}")).await;
            u.post("/api/v1/communities/club/join", json!({})).await;
            voters.push(u);
        }
        let url = "/api/v1/communities/club/awards";
        let body = |nominees: Value| json!({"title": "Best guest of December", "nominees": nominees, "closes_at": next_week()});

        // Staff only; nominees must be members; a close in the past is refused.
        assert_error(&voters[0].post(url, body(json!(["m00", "m01"]))).await, 403, "insufficient_role", None);
        assert_error(&owner.post(url, body(json!(["m00", "stranger"]))).await, 422, "not_a_member", Some("nominees"));
        assert_error(&owner.post(url, body(json!(["m00"]))).await, 422, "invalid_length", Some("nominees"));
        let past = json!({"title": "x", "nominees": ["m00", "m01"], "closes_at": "2020-01-01T10:00"});
        assert_error(&owner.post(url, past).await, 422, "out_of_range", Some("closes_at"));
        let (s, a) = owner.post(url, body(json!(["m00", "@m01", "m02"]))).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        let id = a["id"].as_i64().unwrap();
        let vote = format!("{url}/{id}/vote");

        // Eighteen members vote at once, each twice (the second changes it): one vote each.
        let first = join_all(voters.iter().enumerate().map(|(i, u)| u.post(&vote, json!({"nominee": if i % 2 == 0 { "m00" } else { "m01" }})))).await;
        assert!(first.iter().all(|(s, _)| *s == StatusCode::OK), "{first:?}");
        let second = join_all(voters.iter().enumerate().map(|(i, u)| u.post(&vote, json!({"nominee": if i < 11 { "m02" } else { "m01" }})))).await;
        assert!(second.iter().all(|(s, _)| *s == StatusCode::OK));
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM award_votes WHERE award_id = {id}")).await, 18);
        assert_error(&voters[0].post(&vote, json!({"nominee": "owner"})).await, 422, "not_nominated", Some("nominee"));
        // Open: counts hidden, own vote shown.
        let (_, open) = voters[0].get(&format!("{url}/{id}")).await;
        assert_eq!((open["open"].as_bool(), open["voters"].as_i64(), open["my_vote"].as_str()), (Some(true), Some(18), Some("m02")));
        assert!(tally(&open).iter().all(|(_, v, w)| v.is_none() && !w), "{open}");
        let outsider = t.user("zed").await;
        assert_error(&outsider.post(&vote, json!({"nominee": "m00"})).await, 403, "members_only", None);

        // Closed: the tally and the winner; no more votes.
        t.exec(&format!("UPDATE awards SET closes_at = 1 WHERE id = {id}")).await;
        let (_, closed) = owner.get(&format!("{url}/{id}")).await;
        assert_eq!(
            tally(&closed),
            [("m00".to_string(), Some(0), false), ("m01".to_string(), Some(7), false), ("m02".to_string(), Some(11), true)]
        );
        assert_error(&voters[1].post(&vote, json!({"nominee": "m01"})).await, 409, "award_closed", None);
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'award_opened'").await, 1);

        // The web: the vote page and the list.
        let b = Browser::new(&t);
        b.log_in("m03").await;
        let (_, page) = b.page(&format!("/c/club/awards/{id}")).await;
        assert!(page.contains("Best guest of December") && page.contains("m02") && !page.contains(r#"type="radio""#), "{page}");
        let (s, list) = b.page("/c/club/awards").await;
        assert_eq!(s, StatusCode::OK);
        assert!(list.contains(&format!("/c/club/awards/{id}")) && !list.contains(r#"name="nominees""#), "members do not open votes");
    }
}

story! {
    async fn votes_are_opened_and_cast_on_the_web(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        for n in ["ann", "bob"] {
            t.user(n).await.post("/api/v1/communities/club/join", json!({})).await;
        }
        let o = Browser::new(&t);
        o.log_in("owner").await;
        let (_, list) = o.page("/c/club/awards").await;
        let csrf = csrf_of(&list);
        let r = o.post_form(&csrf, "/c/club/awards", &[("title", "Best host"), ("nominees", "ann\nbob"), ("closes_at", "")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("Best host"), "the form keeps the title");
        let close = next_week();
        let r = o.post_form(&csrf, "/c/club/awards", &[("title", "Best host"), ("nominees", "ann\nbob"), ("closes_at", &close)]).await;
        let at = r.headers()["location"].to_str().unwrap().to_string();
        assert!(at.ends_with("?notice=award_opened"), "{at}");
        let page_url = at.trim_end_matches("?notice=award_opened").to_string();

        let a = Browser::new(&t);
        a.log_in("ann").await;
        let (_, page) = a.page(&page_url).await;
        assert!(page.contains(r#"type="radio" name="nominee" value="bob""#), "{page}");
        let r = a.post_form(&csrf_of(&page), &format!("{page_url}/vote"), &[("nominee", "bob")]).await;
        assert_eq!(r.headers()["location"].to_str().unwrap(), format!("{page_url}?notice=voted"));
        let (_, page) = a.page(&page_url).await;
        assert!(page.contains(r#"value="bob" id="n2" checked"#), "{page}");
    }
}
