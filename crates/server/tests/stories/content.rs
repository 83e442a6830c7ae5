//! Content: per-member write limits, comment paging.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use yaji_testkit::*;

story! {
    /// With the product's default limits, one member racing fifty posts gets
    /// exactly five through in a minute, and sixty comments exactly twenty:
    /// the count and the insert cannot be raced past the limit.
    #[tokio::test]
    async fn racing_writers_stop_exactly_at_the_limits(b) {
        let t = TestApp::spawn_default_limits(b).await;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let sam = t.user("sam").await;
        sam.post("/api/v1/communities/club/join", json!({})).await;
        let posts = join_all(
            (0..50).map(|i| sam.post("/api/v1/communities/club/posts", json!({"body": format!("post {i}")}))),
        )
        .await;
        let ok = posts.iter().filter(|r| r.0 == StatusCode::CREATED).count();
        let limited = posts.iter().filter(|r| r.0 == StatusCode::TOO_MANY_REQUESTS).count();
        assert_eq!((ok, limited), (5, 45), "{b:?} {posts:?}");
        assert_error(posts.iter().find(|r| r.0 == StatusCode::TOO_MANY_REQUESTS).unwrap(), 429, "rate_limited", None);
        let r = reqwest::Client::new()
            .post(t.url("/api/v1/communities/club/posts"))
            .bearer_auth(&sam.token)
            .json(&json!({"body": "one more"}))
            .send()
            .await
            .unwrap();
        let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
        assert_eq!(t.count("SELECT COUNT(*) FROM posts").await, 5);

        let (_, p) = owner.post("/api/v1/communities/club/posts", json!({"body": "talk here"})).await;
        let path = format!("/api/v1/posts/{}/comments", p["id"]);
        // The owner comments (the automod's flood rule leaves staff alone, so
        // only the write limit speaks).
        let comments = join_all((0..60).map(|i| owner.post(&path, json!({"body": format!("c{i}")})))).await;
        let ok = comments.iter().filter(|r| r.0 == StatusCode::CREATED).count();
        assert_eq!(ok, 20, "{b:?} {:?}", comments.iter().map(|r| r.0).collect::<Vec<_>>());
        assert_eq!(t.count("SELECT comment_count FROM posts WHERE id = (SELECT MAX(id) FROM posts)").await, 20);
        // Another member is not held up by Sam's limit.
        let kim = t.user("kim").await;
        kim.post("/api/v1/communities/club/join", json!({})).await;
        assert_eq!(kim.post("/api/v1/communities/club/posts", json!({"body": "hi"})).await.0, StatusCode::CREATED);
        t.cleanup().await;
    }
}

story! {
    /// Five new communities a day per person (site administrators are not
    /// limited); muted members may still report, within the hourly limit.
    #[tokio::test]
    async fn communities_and_reports_have_limits_too(b) {
        let t = TestApp::spawn_default_limits(b).await;
        t.user("root").await; // the first account is the site administrator
        let ann = t.user("ann").await;
        let made = join_all((0..8).map(|i| ann.post("/api/v1/communities", community(&format!("c{i}x"), "open")))).await;
        assert_eq!(made.iter().filter(|r| r.0 == StatusCode::CREATED).count(), 5, "{made:?}");
        assert_eq!(t.count("SELECT COUNT(*) FROM communities").await, 5);
        // Which five won the race differs by database; report in one of them.
        let slug = made.iter().find(|r| r.0 == StatusCode::CREATED).unwrap().1["slug"].as_str().unwrap().to_string();
        t.app.make_site_admin("ann").await.unwrap();
        assert_eq!(ann.post("/api/v1/communities", community("admin-made", "open")).await.0, StatusCode::CREATED);

        let mia = t.user("mia").await;
        mia.post(&format!("/api/v1/communities/{slug}/join"), json!({})).await;
        ann.post(&format!("/api/v1/communities/{slug}/members/mia/mute"), json!({"minutes": 60})).await;
        // 25 posts to report, from five writers (each within the post limit).
        let mut ids = vec![];
        for w in 0..5 {
            let writer = t.user(&format!("writer{w}")).await;
            writer.post(&format!("/api/v1/communities/{slug}/join"), json!({})).await;
            for i in 0..5 {
                let (_, p) = writer.post(&format!("/api/v1/communities/{slug}/posts"), json!({"body": format!("p{w}-{i}")})).await;
                ids.push(p["id"].as_i64().unwrap_or_else(|| panic!("{p}")));
            }
        }
        let mut codes = vec![];
        for id in ids {
            let (st, _) =
                mia.post(&format!("/api/v1/communities/{slug}/reports"), json!({"kind": "post", "id": id, "reason": "rude"})).await;
            codes.push(st.as_u16());
        }
        assert_eq!(codes.iter().filter(|c| **c == 201).count(), 20, "a muted member still reports: {codes:?}");
        assert!(codes[20..].iter().all(|c| *c == 429), "{codes:?}");
        t.cleanup().await;
    }
}

story! {
    /// A post carries its first 100 comments and a cursor; the rest come a page
    /// at a time, in order, none twice, none lost, on the API and the page.
    async fn comments_page_by_cursor(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let (_, p) = owner.post("/api/v1/communities/club/posts", json!({"body": "a long thread"})).await;
        let id = p["id"].as_i64().unwrap();
        for i in 0..130 {
            owner.post(&format!("/api/v1/posts/{id}/comments"), json!({"body": format!("comment number {i}")})).await;
        }
        let (_, d) = owner.get(&format!("/api/v1/posts/{id}")).await;
        assert_eq!(d["comments"].as_array().unwrap().len(), 100);
        let mut seen: Vec<String> = d["comments"].as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap().to_string()).collect();
        let mut cursor = d["comments_next_cursor"].as_str().map(str::to_string);
        while let Some(k) = cursor {
            let (st, page) = owner.get(&format!("/api/v1/posts/{id}/comments?cursor={k}&limit=7")).await;
            assert_eq!(st, StatusCode::OK);
            assert!(page["comments"].as_array().unwrap().len() <= 7);
            seen.extend(page["comments"].as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap().to_string()));
            cursor = page["next_cursor"].as_str().map(str::to_string);
        }
        let want: Vec<String> = (0..130).map(|i| format!("comment number {i}")).collect();
        assert_eq!(seen, want, "every comment once, in order");
        let (_, first) = owner.get(&format!("/api/v1/posts/{id}/comments")).await;
        assert_eq!(first["comments"].as_array().unwrap().len(), 50, "default page");
        assert_error(&owner.get(&format!("/api/v1/posts/{id}/comments?limit=0")).await, 422, "out_of_range", Some("limit"));
        assert_error(&owner.get(&format!("/api/v1/posts/{id}/comments?cursor=nope")).await, 422, "invalid_cursor", Some("cursor"));
        assert_error(&owner.get("/api/v1/posts/999999/comments").await, 404, "not_found", None);
        // The page links to the next comments.
        let c = Browser::new(&t);
        let (_, html) = c.page(&format!("/p/{id}")).await;
        assert!(html.contains("comment number 99") && !html.contains("comment number 100<"), "first 100 only");
        let i = html.find("comments_after=").expect("a link to more comments");
        let link = html[i - 20..].split('"').find(|s| s.contains("comments_after=")).unwrap().replace("&amp;", "&");
        let (st, more) = c.page(&link).await;
        assert_eq!(st, StatusCode::OK);
        assert!(more.contains("comment number 100") && more.contains("comment number 129"), "{link}");
    }
}

story! {
    /// The home feed gathers the newest posts of the reader's communities,
    /// names the community of each, pages with a cursor, and forgets a
    /// community the reader left.
    async fn the_home_feed_spans_my_communities(t: TestApp) {
        let owner = t.user("owner").await;
        for slug in ["tea", "run", "other"] {
            owner.post("/api/v1/communities", community(slug, "open")).await;
        }
        let mia = t.user("mia").await;
        for slug in ["tea", "run"] {
            mia.post(&format!("/api/v1/communities/{slug}/join"), json!({})).await;
        }
        for i in 0..3 {
            for slug in ["tea", "run", "other"] {
                owner.post(&format!("/api/v1/communities/{slug}/posts"), json!({"body": format!("{slug} {i}")})).await;
            }
        }
        let (st, page) = mia.get("/api/v1/me/feed?limit=4").await;
        assert_eq!(st, StatusCode::OK, "{page}");
        let bodies = |p: &serde_json::Value| -> Vec<String> {
            p["items"].as_array().unwrap().iter().map(|i| i["post"]["excerpt"].as_str().unwrap().to_string()).collect()
        };
        assert_eq!(bodies(&page), ["run 2", "tea 2", "run 1", "tea 1"]);
        assert_eq!(page["items"][0]["community_slug"], "run");
        let cursor = page["next_cursor"].as_str().unwrap().to_string();
        let (_, rest) = mia.get(&format!("/api/v1/me/feed?limit=4&cursor={cursor}")).await;
        assert_eq!(bodies(&rest), ["run 0", "tea 0"]);
        assert_eq!(rest["next_cursor"], serde_json::Value::Null);
        assert_error(&mia.get("/api/v1/me/feed?cursor=nope").await, 422, "invalid_cursor", Some("cursor"));

        mia.post("/api/v1/communities/run/leave", json!({})).await;
        let (_, page) = mia.get("/api/v1/me/feed").await;
        assert!(bodies(&page).iter().all(|b| b.starts_with("tea")), "left communities drop out");
        let browser = Browser::new(&t);
        browser.log_in("mia").await;
        let (_, home) = browser.page("/").await;
        assert!(home.contains(r#"id="feed""#) && home.contains("tea 2"), "the home page shows the feed");
    }
}

story! {
    /// Replies form one-level threads: a reply to a reply joins the same
    /// thread, the person replied to is told once, and the page nests them.
    async fn comments_have_threads_and_replies_notify(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let (mia, ned) = (t.user("mia").await, t.user("ned").await);
        for u in [&mia, &ned] {
            u.post("/api/v1/communities/club/join", json!({})).await;
        }
        let (_, post) = owner.post("/api/v1/communities/club/posts", json!({"body": "what are you reading?"})).await;
        let pid = post["id"].as_i64().unwrap();
        let path = format!("/api/v1/posts/{pid}/comments");
        let (_, top) = mia.post(&path, json!({"body": "Dream of the Red Chamber"})).await;
        let top_id = top["id"].as_i64().unwrap();
        let (st, reply) = ned.post(&path, json!({"body": "which edition?", "reply_to": top_id})).await;
        assert_eq!((st, reply["parent_id"].as_i64()), (StatusCode::CREATED, Some(top_id)), "{reply}");
        // Mia answers Ned's reply: it stays in the same thread, and Ned is told.
        let (_, again) = mia.post(&path, json!({"body": "@ned the Zhiyan", "reply_to": reply["id"]})).await;
        assert_eq!(again["parent_id"].as_i64(), Some(top_id));
        let replies = |uid: i64| format!("SELECT COUNT(*) FROM notifications WHERE user_id = {uid} AND kind = 'reply'");
        assert_eq!(t.count(&replies(mia.id)).await, 1, "Mia heard of Ned's reply");
        assert_eq!(t.count(&replies(ned.id)).await, 1, "Ned heard of Mia's answer once, not also as a mention");
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM notifications WHERE user_id = {} AND kind = 'mention'", ned.id)).await, 0);
        // A reply to a comment of another post is refused with the field.
        let (_, other) = owner.post("/api/v1/communities/club/posts", json!({"body": "other"})).await;
        let other_path = format!("/api/v1/posts/{}/comments", other["id"]);
        assert_error(&mia.post(&other_path, json!({"body": "x", "reply_to": top_id})).await, 422, "not_found", Some("reply_to"));

        let browser = Browser::new(&t);
        browser.log_in("ned").await;
        let (_, page) = browser.page(&format!("/p/{pid}")).await;
        let (top_at, reply_at) = (page.find(&format!(r#"id="c{top_id}""#)).unwrap(), page.find(r#"class="comment reply""#).unwrap());
        assert!(top_at < reply_at, "replies follow their thread");
        assert!(page.contains(&format!(r#"name="reply_to" value="{top_id}""#)), "every comment has a reply box");
    }
}

story! {
    /// Members react to comments as to posts: each (member, emoji) counts once
    /// even when sent many times at once, taking it back counts down, the post
    /// page shows the counts and the button, and outsiders may not react.
    async fn comments_take_reactions(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let (mia, ned, out) = (t.user("mia").await, t.user("ned").await, t.user("out").await);
        for u in [&mia, &ned] {
            u.post("/api/v1/communities/club/join", json!({})).await;
        }
        let (_, post) = owner.post("/api/v1/communities/club/posts", json!({"body": "favourite tea?"})).await;
        let pid = post["id"].as_i64().unwrap();
        let (_, cm) = mia.post(&format!("/api/v1/posts/{pid}/comments"), json!({"body": "Longjing"})).await;
        let cid = cm["id"].as_i64().unwrap();
        let path = format!("/api/v1/comments/{cid}/reactions");
        let racing = join_all((0..40).map(|_| ned.post(&path, json!({"emoji": "👍"})))).await;
        assert!(racing.iter().all(|(s, _)| *s == StatusCode::OK), "{racing:?}");
        let (_, r) = owner.post(&path, json!({"emoji": "👍"})).await;
        assert_eq!(r, json!([{"emoji": "👍", "count": 2, "mine": true}]));
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'comment_reaction_added'").await, 2);
        assert_eq!(t.count(&format!("SELECT reaction_count FROM comments WHERE id = {cid}")).await, 2);
        let (_, r) = ned.delete(&format!("{path}?emoji=%F0%9F%91%8D")).await;
        assert_eq!(r, json!([{"emoji": "👍", "count": 1, "mine": false}]));
        assert_error(&ned.post(&path, json!({"emoji": "💩"})).await, 422, "invalid_choice", Some("emoji"));
        assert_eq!(out.post(&path, json!({"emoji": "👍"})).await.0, StatusCode::FORBIDDEN, "only members react");
        assert_eq!(ned.post("/api/v1/comments/999999/reactions", json!({"emoji": "👍"})).await.0, StatusCode::NOT_FOUND);
        let (_, page) = ned.get(&format!("/api/v1/posts/{pid}")).await;
        assert_eq!(page["comments"][0]["reactions"], json!([{"emoji": "👍", "count": 1, "mine": false}]));

        // The post page: Ned taps 🎉 under Mia's comment and lands back on it.
        let browser = Browser::new(&t);
        browser.log_in("ned").await;
        let (_, html) = browser.page(&format!("/p/{pid}")).await;
        assert!(html.contains(&format!(r#"action="/comments/{cid}/react""#)), "the comment has reaction buttons");
        let pid_s = pid.to_string();
        let r = browser
            .post_form(&csrf_of(&html), &format!("/comments/{cid}/react"), &[("post", &pid_s), ("emoji", "🎉"), ("on", "1")])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], format!("/p/{pid}#c{cid}").as_str());
        let (_, html) = browser.page(&format!("/p/{pid}")).await;
        assert!(html.contains("🎉 1</button>"), "the count shows");
    }
}
