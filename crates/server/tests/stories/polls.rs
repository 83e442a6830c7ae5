//! Polls (JSON API and the post page): created with their post through the
//! stable path, one ballot per member whatever the races, votes changed
//! until the close, hidden results staying hidden (API and HTML), public
//! polls naming voters and anonymous ones never, and a ranked poll's runoff.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use yaji_testkit::*;

const POSTS: &str = "/api/v1/communities/club/posts";

fn votes(p: &Value) -> Vec<Option<i64>> {
    p["options"].as_array().unwrap().iter().map(|o| o["votes"].as_i64()).collect()
}

story! {
    async fn polls_count_each_member_once_and_hide_what_they_should(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let mut members = vec![];
        for i in 0..8 {
            let u = t.user(&format!("m00{i}")).await;
            u.post("/api/v1/communities/club/join", json!({})).await;
            members.push(u);
        }
        let outsider = t.user("outsider").await;
        // Bad polls name the field; nothing is written.
        let bad = json!({"body": "投票", "poll": {"question": "哪天？", "kind": "single", "options": ["周五"]}});
        assert_error(&members[0].post(POSTS, bad).await, 422, "invalid_options", Some("poll.options"));
        let past = json!({"body": "投票", "poll": {"question": "哪天？", "options": ["周五", "周六"], "closes_at": "2020-01-01T00:00:00Z"}});
        assert_error(&members[0].post(POSTS, past).await, 422, "in_the_past", Some("poll.closes_at"));
        assert_eq!(t.count("SELECT COUNT(*) FROM posts").await, 0);

        let (s, post) = members[0]
            .post(POSTS, json!({"body": "下次读书会哪天？", "poll": {"question": "哪天合适？", "kind": "single", "options": ["周五", "周六", "周日"]}}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{post}");
        let id = post["id"].as_i64().unwrap();
        let url = format!("/api/v1/posts/{id}/poll");
        let vote = format!("/api/v1/posts/{id}/poll/votes");
        // Results after voting (the default): hidden from those who have not voted.
        let (_, p) = members[1].get(&url).await;
        assert_eq!((votes(&p), p["voters"].clone(), p["results_visible"].as_bool()), (vec![None, None, None], Value::Null, Some(false)));
        assert_error(&members[1].post(&vote, json!({"option_ids": [0, 1]})).await, 422, "too_many", Some("option_ids"));
        assert_error(&members[1].post(&vote, json!({"option_ids": [7]})).await, 422, "unknown_option", Some("option_ids"));
        assert_error(&outsider.post(&vote, json!({"option_ids": [0]})).await, 403, "members_only", None);

        // Each member fires ten racing votes: one ballot each, the last one standing.
        let calls: Vec<(usize, i64)> = (0..8).flat_map(|m| (0..10).map(move |k| (m, (k % 3) as i64))).collect();
        let outs = join_all(calls.iter().map(|(m, o)| members[*m].post(&vote, json!({"option_ids": [o]})))).await;
        assert!(outs.iter().all(|(s, _)| *s == StatusCode::OK), "{:?}", outs.iter().find(|(s, _)| *s != StatusCode::OK));
        let (_, p) = members[1].get(&url).await;
        assert_eq!(p["voters"].as_i64(), Some(8));
        assert_eq!(votes(&p).iter().map(|v| v.unwrap()).sum::<i64>(), 8);
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM poll_votes WHERE post_id = {id}")).await, 8);
        // Changing one's vote moves it.
        members[1].post(&vote, json!({"option_ids": [2]})).await;
        let (_, p) = members[1].get(&url).await;
        assert_eq!(p["my_vote"], json!([2]));
        assert!(p["options"][0]["voters"].as_array().unwrap().is_empty(), "anonymous by default");
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'poll_voted' AND actor_id IS NOT NULL").await, 0);

        // Results only after the close: hidden even to voters, in the API and on the page.
        let (_, secret) = members[0]
            .post(POSTS, json!({"body": "匿名打分", "poll": {"question": "满意吗？", "kind": "scale", "results": "after_close", "anonymous": false}}))
            .await;
        let sid = secret["id"].as_i64().unwrap();
        let (_, p) = members[2].post(&format!("/api/v1/posts/{sid}/poll/votes"), json!({"option_ids": [4]})).await;
        assert_eq!((p["results_visible"].as_bool(), votes(&p)[4]), (Some(false), None));
        let b = Browser::new(&t);
        b.log_in("m002").await;
        let (_, html) = b.page(&format!("/p/{sid}")).await;
        assert!(html.contains("poll-card") && !html.contains("poll-count"), "{html}");
        // Closed: no more votes; everyone sees the counts and, for a public poll, who voted.
        t.exec(&format!("UPDATE polls SET closes_at = 1 WHERE post_id = {sid}")).await;
        assert_error(&members[3].post(&format!("/api/v1/posts/{sid}/poll/votes"), json!({"option_ids": [1]})).await, 409, "poll_closed", None);
        let (_, p) = outsider.get(&format!("/api/v1/posts/{sid}/poll")).await;
        assert_eq!((p["closed"].as_bool(), votes(&p)[4], p["options"][4]["voters"].clone()), (Some(true), Some(1), json!(["m002"])));
        let (_, html) = b.page(&format!("/p/{sid}")).await;
        assert!(html.contains("poll-count"), "{html}");

        // A ranked poll: the runoff's rounds and winner.
        let (_, ranked) = members[0]
            .post(POSTS, json!({"body": "下本读什么", "poll": {"question": "排个序", "kind": "ranked", "options": ["茶经", "红楼梦", "浮生六记"], "results": "always"}}))
            .await;
        let rid = ranked["id"].as_i64().unwrap();
        let ballots = [[0, 1, 2], [0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 1, 0], [2, 1, 0]];
        for (m, b) in members.iter().zip(ballots) {
            let (s, v) = m.post(&format!("/api/v1/posts/{rid}/poll/votes"), json!({"option_ids": b})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let (_, p) = outsider.get(&format!("/api/v1/posts/{rid}/poll")).await;
        // First preferences 3-2-2: of the two last, tied, the later-listed goes; its ballots make 红楼梦 win 4-3.
        assert_eq!(p["rounds"][0]["counts"], json!([3, 2, 2]));
        assert_eq!(p["rounds"][0]["eliminated"], 2);
        assert_eq!(p["winner"], 1, "{p}");

        // Ranking from the page: the selects' numbers order the ballot.
        let (_, html) = b.page(&format!("/p/{rid}")).await;
        assert!(html.contains("rank_0"), "{html}");
        let r = b.post_form(&csrf_of(&html), &format!("/p/{rid}/poll"), &[("rank_2", "1"), ("rank_0", "2"), ("rank_1", "")]).await;
        assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/p/{rid}?notice=poll_voted#poll"));
        let (_, p) = members[2].get(&format!("/api/v1/posts/{rid}/poll")).await;
        assert_eq!(p["my_vote"], json!([2, 0]));
        // Its author closes it early; others may not.
        assert_error(&members[3].post(&format!("/api/v1/posts/{rid}/poll/close"), json!({})).await, 403, "insufficient_role", None);
        let (s, p) = members[0].post(&format!("/api/v1/posts/{rid}/poll/close"), json!({})).await;
        assert_eq!((s, p["closed"].as_bool()), (StatusCode::OK, Some(true)));
        assert_error(&members[3].post(&format!("/api/v1/posts/{rid}/poll/votes"), json!({"option_ids": [0]})).await, 409, "poll_closed", None);
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'poll_closed'").await, 1);
    }
}
