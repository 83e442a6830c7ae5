//! Gated topics (JSON API): a topic that opens for reading at a level and
//! for posting with a tag; every read and write path asks the permission
//! function — post, comments, reactions, comment, new post, moving a post
//! in — and staff always pass.

use reqwest::StatusCode;
use serde_json::json;
use yaji_testkit::*;

story! {
    async fn level_and_tag_gated_topics(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let ann = t.user("ann").await;
        ann.post("/api/v1/communities/club/join", json!({})).await;
        let (_, topic) = owner.post("/api/v1/communities/club/topics", json!({"name": "guests"})).await;
        let tid = topic["id"].as_i64().unwrap();
        let access = format!("/api/v1/communities/club/topics/{tid}/access");

        // Admins only; levels from 1 (1 is everyone), tags as member tags.
        assert_error(&ann.put(&access, json!({"read_min_level": 2})).await, 403, "insufficient_role", None);
        assert_error(&owner.put(&access, json!({"post_min_level": 0})).await, 422, "out_of_range", Some("post_min_level"));
        let (s, v) = owner.put(&access, json!({"read_min_level": 2, "post_tag": " guest "})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!((v["read_min_level"].as_i64(), v["post_tag"].as_str()), (Some(2), Some("guest")));
        assert!(v.get("read_tag").is_none() && v.get("post_min_level").is_none(), "{v}");
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'topic_access_changed'").await, 1);

        // Staff pass every gate.
        let (s, p) = owner.post("/api/v1/communities/club/posts", json!({"body": "Q&A with our guest", "topic_id": tid})).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let pid = p["id"].as_i64().unwrap();

        // Ann is Lv1: she sees the post listed without its excerpt, and nothing else.
        let (_, feed) = ann.get("/api/v1/communities/club/posts").await;
        let listed = feed["posts"].as_array().unwrap().iter().find(|x| x["id"] == pid).unwrap().clone();
        assert_eq!((listed["gated"].as_bool(), listed["excerpt"].as_str()), (Some(true), Some("")), "{listed}");
        let locked = ann.get(&format!("/api/v1/posts/{pid}")).await;
        assert_error(&locked, 403, "topic_locked", None);
        assert!(locked.1["error"]["message"].as_str().unwrap().contains("Lv2"), "{locked:?}");
        assert_error(&ann.get(&format!("/api/v1/posts/{pid}/comments")).await, 403, "topic_locked", None);
        assert_error(&ann.post(&format!("/api/v1/posts/{pid}/reactions"), json!({"emoji": "👍"})).await, 403, "topic_locked", None);
        assert_error(&ann.post(&format!("/api/v1/posts/{pid}/comments"), json!({"body": "hi"})).await, 403, "topic_locked", None);
        let mine = json!({"body": "my question", "topic_id": tid});
        assert_error(&ann.post("/api/v1/communities/club/posts", mine.clone()).await, 403, "topic_locked", None);
        // Visitors neither.
        let visitor = reqwest::Client::new();
        let r = visitor.get(t.url(&format!("/api/v1/posts/{pid}"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        // At Lv2 she reads, reacts; posting still needs the tag, and the refusal names it.
        owner.post("/api/v1/communities/club/members/ann/points", json!({"amount": 60, "reason": "welcome gift"})).await;
        assert_eq!(ann.get(&format!("/api/v1/posts/{pid}")).await.0, StatusCode::OK);
        assert_eq!(ann.post(&format!("/api/v1/posts/{pid}/reactions"), json!({"emoji": "👍"})).await.0, StatusCode::OK);
        let refused = ann.post(&format!("/api/v1/posts/{pid}/comments"), json!({"body": "hi"})).await;
        assert_error(&refused, 403, "topic_locked", None);
        assert!(refused.1["error"]["message"].as_str().unwrap().contains("guest"), "{refused:?}");
        // Moving her own post into the topic is posting there.
        let (_, own) = ann.post("/api/v1/communities/club/posts", json!({"body": "elsewhere"})).await;
        let moved = ann.patch(&format!("/api/v1/posts/{}", own["id"]), json!({"body": "elsewhere", "topic_id": tid})).await;
        assert_error(&moved, 403, "topic_locked", None);

        // With the tag she posts, comments and moves posts in.
        owner.put("/api/v1/communities/club/members/ann/tags/guest", json!({})).await;
        assert_eq!(ann.post(&format!("/api/v1/posts/{pid}/comments"), json!({"body": "hi"})).await.0, StatusCode::CREATED);
        assert_eq!(ann.post("/api/v1/communities/club/posts", mine).await.0, StatusCode::CREATED);
        let moved = ann.patch(&format!("/api/v1/posts/{}", own["id"]), json!({"body": "elsewhere", "topic_id": tid})).await;
        assert_eq!(moved.0, StatusCode::OK, "{moved:?}");

        // Opening the topic again opens it for everyone.
        let (_, v) = owner.put(&access, json!({})).await;
        assert!(v.get("read_min_level").is_none());
        let (_, feed) = t.user("cat").await.get("/api/v1/communities/club/posts").await;
        assert!(feed["posts"].as_array().unwrap().iter().all(|x| x.get("gated").is_none()), "{feed}");
    }
}

story! {
    /// The web: admins set the gates on the settings page; a member sees the
    /// lock in the feed, is refused the post page, and the composer keeps
    /// what was typed when the topic is shut.
    async fn gated_topics_on_the_web(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        t.user("ann").await.post("/api/v1/communities/club/join", json!({})).await;
        let (_, topic) = owner.post("/api/v1/communities/club/topics", json!({"name": "guests"})).await;
        let tid = topic["id"].as_i64().unwrap();

        let o = Browser::new(&t);
        o.log_in("owner").await;
        let (_, settings) = o.page("/c/club/settings").await;
        let csrf = csrf_of(&settings);
        assert!(settings.contains(&format!("/c/club/topics/{tid}/access")));
        let form = [("read_min_level", "3"), ("read_tag", ""), ("post_min_level", ""), ("post_tag", "")];
        let r = o.post_form(&csrf, &format!("/c/club/topics/{tid}/access"), &form).await;
        assert_eq!(r.headers()["location"], "/c/club/settings?notice=topic_access_saved#topics");
        let (_, p) = owner.post("/api/v1/communities/club/posts", json!({"body": "secret tea notes", "topic_id": tid})).await;

        let a = Browser::new(&t);
        a.log_in("ann").await;
        let (_, feed) = a.page("/c/club").await;
        assert!(feed.contains("Lv3+") && !feed.contains("secret tea notes"), "{feed}");
        let (s, page) = a.page(&format!("/p/{}", p["id"])).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert!(!page.contains("secret tea notes"));
        let r = a.post_form(&csrf_of(&feed), "/c/club/posts", &[("body", "my draft stays"), ("topic_id", &tid.to_string())]).await;
        let status = r.status();
        let html = r.text().await.unwrap();
        assert!(status.is_client_error() && html.contains("my draft stays") && html.contains("field-error"), "{status} {html}");
    }
}
