//! Q&A (JSON API): questions through the stable posts path with a bounty
//! held from the asker, the Q&A feeds, who may accept what, racing accepts
//! that pay once, staff undoing an acceptance, bounties settling at their
//! deadline (back, or to the best-rated answer), and the ledger equal to
//! the balances — and to a recompute — afterwards.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use yaji_testkit::*;

const POSTS: &str = "/api/v1/communities/club/posts";

async fn balance(u: &User, name: &str) -> i64 {
    let (_, p) = u.get(&format!("/api/v1/communities/club/members/{name}/points")).await;
    p["balance"].as_i64().unwrap()
}

fn ids(feed: &Value) -> Vec<i64> {
    feed["posts"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

async fn ledger_matches(t: &TestApp) {
    let off = t.balances_off_ledger().await;
    assert_eq!(off, 0, "every balance is the sum of its ledger");
    assert_eq!(t.count("SELECT COUNT(*) FROM points_balances WHERE balance < 0").await, 0);
}

story! {
    async fn questions_bounties_and_accepted_answers(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let mut people = vec![];
        for n in ["ann", "bob", "cat"] {
            let u = t.user(n).await;
            u.post("/api/v1/communities/club/join", json!({})).await;
            people.push(u);
        }
        let (ann, bob, cat) = (&people[0], &people[1], &people[2]);
        owner.post("/api/v1/communities/club/members/ann/points", json!({"amount": 100, "reason": "welcome"})).await;

        // A bounty beyond the balance is refused, naming the field; nothing is written.
        let ask = json!({"kind": "question", "title": "哪里买好茶？", "body": "想找靠谱的老白茶", "bounty": 150});
        assert_error(&ann.post(POSTS, ask).await, 409, "insufficient_points", Some("bounty"));
        assert_eq!(t.count("SELECT COUNT(*) FROM posts").await, 0);
        assert_error(&ann.post(POSTS, json!({"kind": "poem", "body": "x"})).await, 422, "invalid_choice", Some("kind"));
        assert_error(&ann.post(POSTS, json!({"kind": "question", "body": "x", "bounty": 5, "bounty_days": 0})).await, 422, "out_of_range", Some("bounty_days"));

        let before = balance(ann, "ann").await;
        let (s, q) = ann.post(POSTS, json!({"kind": "question", "title": "哪里买好茶？", "body": "想找靠谱的老白茶", "bounty": 60})).await;
        assert_eq!(s, StatusCode::CREATED, "{q}");
        assert_eq!((q["kind"].as_str(), q["bounty"].as_i64(), q["accepted_comment_id"].clone()), (Some("question"), Some(60), Value::Null));
        let qid = q["id"].as_i64().unwrap();
        t.drain().await;
        // Held from the balance (the post itself earns its usual points).
        let post_points = t.count("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM points_ledger WHERE rule = 'post'").await;
        assert_eq!(balance(ann, "ann").await, before - 60 + post_points);

        let mut comments = vec![];
        for (u, text) in [(bob, "茶博会"), (cat, "老茶馆"), (ann, "谢谢")] {
            let (_, c) = u.post(&format!("/api/v1/posts/{qid}/comments"), json!({"body": text})).await;
            comments.push(c["id"].as_i64().unwrap());
        }
        let (_, plain) = bob.post(POSTS, json!({"body": "今天的茶会很好"})).await;
        let plain = plain["id"].as_i64().unwrap();
        let (_, open) = ann.get(&format!("{POSTS}?feed=unanswered")).await;
        assert_eq!(ids(&open), [qid]);
        assert_error(&ann.get(&format!("{POSTS}?feed=puzzles")).await, 422, "invalid_choice", Some("feed"));

        // Who accepts what.
        assert_error(&cat.post(&format!("/api/v1/comments/{}/accept", comments[0]), json!({})).await, 403, "insufficient_role", None);
        assert_error(&ann.post(&format!("/api/v1/comments/{}/accept", comments[2]), json!({})).await, 422, "own_answer", Some("comment"));
        let (_, pc) = bob.post(&format!("/api/v1/posts/{plain}/comments"), json!({"body": "是的"})).await;
        assert_error(&bob.post(&format!("/api/v1/comments/{}/accept", pc["id"]), json!({})).await, 409, "not_a_question", None);

        // Racing accepts of two answers: one wins, the bounty is paid once.
        let urls: Vec<String> = (0..20).map(|i| format!("/api/v1/comments/{}/accept", comments[i % 2])).collect();
        let outs = join_all(urls.iter().map(|u| ann.post(u, json!({})))).await;
        let won: Vec<_> = outs.iter().filter(|(s, _)| *s == StatusCode::OK).collect();
        assert_eq!(won.len(), 1, "{outs:?}");
        assert!(outs.iter().all(|(s, v)| *s == StatusCode::OK || v["error"]["code"] == "already_accepted"), "{outs:?}");
        let accepted = won[0].1["accepted_comment_id"].as_i64().unwrap();
        let (_, post) = ann.get(&format!("/api/v1/posts/{qid}")).await;
        assert_eq!(post["post"]["accepted_comment_id"].as_i64(), Some(accepted));
        assert_eq!(t.count("SELECT COUNT(*) FROM points_ledger WHERE rule = 'bounty_paid' AND amount = 60").await, 1);
        t.drain().await;
        assert_eq!(t.count("SELECT COUNT(*) FROM points_ledger WHERE rule = 'answer_accepted'").await, 1);
        let (_, done) = ann.get(&format!("{POSTS}?feed=answered")).await;
        assert_eq!(ids(&done), [qid]);
        ledger_matches(&t).await;
        // The answerer earns the first-answer badge and leads "most helpful" (an accepted answer counts five replies).
        let winner_name = if accepted == comments[0] { "bob" } else { "cat" };
        let (_, badges) = ann.get(&format!("/api/v1/communities/club/members/{winner_name}/badges")).await;
        assert!(badges.to_string().contains("first_answer"), "{badges}");
        let (_, board) = ann.get("/api/v1/communities/club/leaderboard?period=all&board=helpful").await;
        assert_eq!(board["entries"][0]["username"].as_str(), Some(winner_name), "{board}");

        // Staff undo it: points and bounty go back; then the other answer is accepted.
        let winner = if accepted == comments[0] { ("bob", bob) } else { ("cat", cat) };
        let had = balance(winner.1, winner.0).await;
        assert_error(&ann.delete(&format!("/api/v1/comments/{accepted}/accept")).await, 403, "insufficient_role", None);
        let (s, p) = owner.delete(&format!("/api/v1/comments/{accepted}/accept")).await;
        assert_eq!((s, p["accepted_comment_id"].clone()), (StatusCode::OK, Value::Null), "{p}");
        t.drain().await;
        assert_eq!(balance(winner.1, winner.0).await, had - 60 - 15);
        let other = if accepted == comments[0] { comments[1] } else { comments[0] };
        let (s, _) = ann.post(&format!("/api/v1/comments/{other}/accept"), json!({})).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(t.count("SELECT COUNT(*) FROM points_ledger WHERE rule = 'bounty_paid' AND amount = 60").await, 2);
        assert_eq!(t.count("SELECT COUNT(*) FROM points_ledger WHERE rule = 'bounty_reversed' AND amount = -60").await, 1);

        // Bounties at their deadline: to the best-rated answer, or back to the asker.
        let (_, best) = ann.post(POSTS, json!({"kind": "question", "body": "推荐一本茶书？", "bounty": 10, "bounty_fallback": "best_answer"})).await;
        let (_, back) = ann.post(POSTS, json!({"kind": "question", "body": "周末有人喝茶吗？", "bounty": 5})).await;
        let (_, answer) = cat.post(&format!("/api/v1/posts/{}/comments", best["id"]), json!({"body": "《茶经》"})).await;
        bob.post(&format!("/api/v1/comments/{}/reactions", answer["id"]), json!({"emoji": "👍"})).await;
        let cat_had = balance(cat, "cat").await;
        let ann_had = balance(ann, "ann").await;
        t.exec("UPDATE questions SET deadline = 1 WHERE held > 0").await;
        t.make_due("bounty_expiry").await;
        t.drain().await;
        assert_eq!(balance(cat, "cat").await, cat_had + 10);
        assert_eq!(balance(ann, "ann").await, ann_had + 5);
        assert_eq!(t.count("SELECT COUNT(*) FROM questions WHERE held > 0").await, 0);
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'bounty_settled'").await, 2);
        // Settled once: running the jobs again moves nothing.
        t.make_due("bounty_expiry").await;
        t.drain().await;
        assert_eq!(balance(cat, "cat").await, cat_had + 10);
        ledger_matches(&t).await;

        // The ledger rebuilt from the activity log gives the same balances.
        let all = "SELECT user_id, balance FROM points_balances ORDER BY user_id";
        let live = t.pairs(all).await;
        let (s, _) = owner.post("/api/v1/communities/club/points/recompute", json!({})).await;
        assert!(s.is_success());
        assert_eq!(t.pairs(all).await, live);

        // The figures: three asked, one answered, who answered.
        let (s, st) = owner.get("/api/v1/communities/club/qa/stats").await;
        assert_eq!(s, StatusCode::OK, "{st}");
        assert_eq!((st["asked"].as_i64(), st["answered"].as_i64(), st["answered_rate"].as_i64()), (Some(3), Some(1), Some(33)));
        assert_eq!(st["median_first_answer_minutes"].as_i64(), Some(0));
        assert_eq!(st["weeks"].as_array().unwrap().len(), 12);
        let second = if accepted == comments[0] { "cat" } else { "bob" };
        assert_eq!(st["top_answerers"][0]["username"].as_str(), Some(second), "{st}");
        assert_error(&ann.get("/api/v1/communities/club/qa/stats").await, 403, "insufficient_role", None);
        // An answered question becomes an FAQ entry in one step (admins).
        assert_error(&ann.post(&format!("/api/v1/posts/{qid}/faq-entry"), json!({})).await, 403, "insufficient_role", None);
        assert_error(&owner.post(&format!("/api/v1/posts/{}/faq-entry", back["id"]), json!({})).await, 409, "not_answered", None);
        let (s, entry) = owner.post(&format!("/api/v1/posts/{qid}/faq-entry"), json!({})).await;
        assert_eq!(s, StatusCode::CREATED, "{entry}");
        assert!(entry.to_string().contains("哪里买好茶"), "{entry}");
    }
}

story! {
    async fn ask_accept_and_undo_from_the_pages(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        for n in ["ann", "bob"] {
            t.user(n).await.post("/api/v1/communities/club/join", json!({})).await;
        }
        owner.post("/api/v1/communities/club/members/ann/points", json!({"amount": 50, "reason": "welcome"})).await;
        let a = Browser::new(&t);
        a.log_in("ann").await;
        let (_, page) = a.page("/c/club").await;
        assert!(page.contains(r#"name="kind" value="question""#) && page.contains("?feed=questions"), "{page}");
        let csrf = csrf_of(&page);
        // Too big a bounty: the composer comes back with the text and the field named.
        let ask = [("title", "去哪里喝茶"), ("body", "周末想找个安静的茶馆"), ("kind", "question"), ("bounty", "500"), ("bounty_days", "3")];
        let r = a.post_form(&csrf, "/c/club/posts", &ask).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(html.contains("周末想找个安静的茶馆") && html.contains(r#"class="has-error""#), "{html}");
        let ask = [("title", "去哪里喝茶"), ("body", "周末想找个安静的茶馆"), ("kind", "question"), ("bounty", "20"), ("bounty_days", "3")];
        let r = a.post_form(&csrf, "/c/club/posts", &ask).await;
        let at = r.headers()["location"].to_str().unwrap().to_string();
        let post = at.trim_start_matches("/p/").split('?').next().unwrap().parse::<i64>().unwrap();
        let b = Browser::new(&t);
        b.log_in("bob").await;
        let (_, page) = b.page(&format!("/p/{post}")).await;
        assert!(page.contains("badge open-q") && page.contains("badge bounty"), "{page}");
        let r = b.post_form(&csrf_of(&page), &format!("/p/{post}/comments"), &[("body", "试试城南的老茶馆")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        // Bob sees no accept button; Ann does, and accepting puts the answer first.
        let (_, page) = b.page(&format!("/p/{post}")).await;
        assert!(!page.contains("/accept\""), "{page}");
        let (_, page) = a.page(&format!("/p/{post}")).await;
        let i = page.find("/accept\"").expect("an accept button");
        let comment: i64 = page[..i].rsplit("/comments/").next().unwrap().parse().unwrap();
        let r = a.post_form(&csrf_of(&page), &format!("/comments/{comment}/accept"), &[]).await;
        assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/p/{post}?notice=answer_accepted#c{comment}"));
        let (_, page) = b.page(&format!("/p/{post}")).await;
        assert!(page.contains("comment accepted") && page.contains("badge answered"), "{page}");
        let (_, feed) = b.page("/c/club?feed=answered").await;
        assert!(feed.contains(&format!("/p/{post}")), "{feed}");
        // Staff take it back from the page.
        let o = Browser::new(&t);
        o.log_in("owner").await;
        let (_, page) = o.page(&format!("/p/{post}")).await;
        let r = o.post_form(&csrf_of(&page), &format!("/comments/{comment}/unaccept"), &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, feed) = b.page("/c/club?feed=unanswered").await;
        assert!(feed.contains(&format!("/p/{post}")), "{feed}");
    }
}

story! {
    async fn accepts_racing_the_deadline_move_each_bounty_once(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let (ann, bob) = (t.user("ann").await, t.user("bob").await);
        for u in [&ann, &bob] {
            u.post("/api/v1/communities/club/join", json!({})).await;
        }
        owner.post("/api/v1/communities/club/members/ann/points", json!({"amount": 100, "reason": "welcome"})).await;
        let mut answers = vec![];
        let asks = ["老白茶怎么存放？", "紫砂壶要开壶吗？", "Which grinder for matcha?", "普洱生茶多久能喝？", "How hot for green tea?"];
        for (i, body) in asks.iter().enumerate() {
            let (_, q) = ann.post(POSTS, json!({"kind": "question", "body": body, "bounty": 5})).await;
            let (_, c) = bob.post(&format!("/api/v1/posts/{}/comments", q["id"]), json!({"body": format!("第 {i} 个问题的回答：先温杯再投茶，水温九十度左右")})).await;
            answers.push(c["id"].as_i64().unwrap_or_else(|| panic!("{q} {c}")));
        }
        t.drain().await;
        // Every deadline has passed: the settling jobs and the asker's accepts race.
        t.exec("UPDATE questions SET deadline = 1").await;
        t.make_due("bounty_expiry").await;
        let urls: Vec<String> = answers.iter().map(|c| format!("/api/v1/comments/{c}/accept")).collect();
        let accepts = join_all(urls.iter().map(|u| ann.post(u, json!({}))));
        let (outs, _) = futures::join!(accepts, t.drain());
        assert!(outs.iter().all(|(s, _)| *s == StatusCode::OK), "{outs:?}");
        t.drain().await;
        let paid = t.count("SELECT COUNT(*) FROM points_ledger WHERE rule = 'bounty_paid'").await;
        let back = t.count("SELECT COUNT(*) FROM points_ledger WHERE rule = 'bounty_returned'").await;
        assert_eq!(paid + back, 5, "each bounty moved once: {paid} paid, {back} returned");
        assert_eq!(t.count("SELECT COUNT(*) FROM questions WHERE held <> 0").await, 0);
        ledger_matches(&t).await;
    }
}
