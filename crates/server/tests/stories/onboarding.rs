//! Onboarding for operators: a new community from a template, and the setup
//! guide whose steps follow the community's state.

use reqwest::StatusCode;
use serde_json::json;
use yaji_testkit::*;

/// The `value` of the form field `name` in a page (inputs) or its text (textareas).
fn field_value(html: &str, name: &str) -> String {
    if let Some(i) = html.find(&format!(r#"name="{name}" value=""#)) {
        let rest = &html[i + name.len() + 15..];
        return rest.split('"').next().unwrap_or_default().to_string();
    }
    let i = html.find(&format!(r#"name="{name}">"#)).unwrap_or_else(|| panic!("no field {name}"));
    let rest = &html[i + name.len() + 8..];
    rest.split("</textarea>").next().unwrap_or_default().to_string()
}

story! {
    /// An operator picks the reading-club template, creates the community
    /// with what it filled in, and works through the setup guide; members
    /// never see it, and hiding it hides it for all staff.
    async fn a_community_from_a_template_and_its_setup_guide(t: TestApp) {
        let owner = t.user("owner").await;
        let browser = Browser::new(&t);
        browser.log_in("owner").await;
        let (st, form) = browser.page("/c/new?template=reading_club").await;
        assert_eq!(st, StatusCode::OK);
        assert!(form.contains(r#"href="/c/new?template=running_club""#), "every template is offered");
        let unescape = |s: String| s.replace("&#x2f;", "/").replace("&amp;", "&").replace("&#39;", "'");
        let fields: Vec<(String, String)> = [
            "name", "description", "target_members", "core_value", "announcement", "entry_questions", "rules", "topics",
        ]
        .iter()
        .map(|k| (k.to_string(), unescape(field_value(&form, k))))
        .collect();
        assert!(fields.iter().all(|(_, v)| !v.is_empty()), "the template fills every field: {fields:?}");
        let mut post: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        post.extend([("slug", "books"), ("visibility", "private"), ("join_policy", "approval"), ("time_zone", "Asia/Shanghai")]);
        let r = browser.post_form(&csrf_of(&form), "/c/new", &post).await;
        let to = r.headers().get("location").map(|l| l.to_str().unwrap().to_string());
        assert_eq!(to.as_deref(), Some("/c/books"), "{}", r.text().await.unwrap_or_default());
        let (_, topics) = owner.get("/api/v1/communities/books/topics").await;
        assert_eq!(topics.as_array().unwrap().len(), 3, "the template's topics: {topics}");

        // Described, rules, questions and topics are done; welcome, first post, invite are not.
        let (_, guide) = owner.get("/api/v1/communities/books/setup-guide").await;
        let open: Vec<&str> =
            guide["steps"].as_array().unwrap().iter().filter(|s| s["done"] == false).map(|s| s["step"].as_str().unwrap()).collect();
        assert_eq!(open, ["welcome", "first_post", "invite"], "{guide}");
        assert_eq!(guide["done"], 4);
        let (_, page) = browser.page("/c/books").await;
        assert!(page.contains("setup-guide") && page.contains(r#"action="/c/books/assistant/templates/welcome""#));

        // Each step is done by doing it, not by ticking it.
        browser.post_form(&csrf_of(&page), "/c/books/assistant/templates/welcome", &[]).await;
        owner.post("/api/v1/communities/books/posts", json!({"title": "开场", "body": "欢迎大家"})).await;
        let (_, guide) = owner.get("/api/v1/communities/books/setup-guide").await;
        assert_eq!(guide["done"], 6, "{guide}");

        // A member sees no guide, and may not hide it.
        let (_, inv) = owner.post("/api/v1/communities/books/invites", json!({})).await;
        let mia = t.user("mia").await;
        mia.post("/api/v1/communities/books/join", json!({"invite_code": inv["code"], "accept_rules": true})).await;
        let (_, none) = mia.get("/api/v1/communities/books/setup-guide").await;
        assert_eq!(none, serde_json::Value::Null);
        assert_error(&mia.post("/api/v1/communities/books/setup-guide/dismiss", json!({})).await, 403, "insufficient_role", None);

        // Everything done: the guide goes away by itself.
        let (_, done) = owner.get("/api/v1/communities/books/setup-guide").await;
        assert_eq!(done, serde_json::Value::Null, "all seven steps done");
    }
}

story! {
    /// Hiding the guide hides it; a bad topic on creation names the field.
    async fn the_guide_can_be_hidden_and_topics_are_checked(t: TestApp) {
        let owner = t.user("owner").await;
        let mut body = community("plain", "open");
        body["topics"] = json!(["ok", "bad/topic"]);
        assert_error(&owner.post("/api/v1/communities", body).await, 422, "invalid_characters", Some("topics"));
        owner.post("/api/v1/communities", community("plain", "open")).await;
        let (_, guide) = owner.get("/api/v1/communities/plain/setup-guide").await;
        assert!(guide["steps"].as_array().is_some_and(|s| !s.iter().any(|s| s["step"] == "questions")), "{guide}");
        let browser = Browser::new(&t);
        browser.log_in("owner").await;
        let (_, page) = browser.page("/c/plain").await;
        let r = browser.post_form(&csrf_of(&page), "/c/plain/setup/dismiss", &[]).await;
        assert_eq!(r.headers()["location"], "/c/plain?notice=setup_hidden");
        let (_, page) = browser.page("/c/plain").await;
        assert!(!page.contains("setup-guide"));
        let (_, none) = owner.get("/api/v1/communities/plain/setup-guide").await;
        assert_eq!(none, serde_json::Value::Null);
    }
}
