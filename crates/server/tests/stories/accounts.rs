//! Accounts: first-run setup, passwords and sessions, sign-in throttling,
//! where a sign-in leads.

use reqwest::StatusCode;
use serde_json::Value;
use yaji_testkit::*;

story! {
    /// `/setup` asks for the token only the server's console and log show: a
    /// visitor who finds a site with no administrator cannot claim it.
    async fn setup_requires_the_token_from_the_console(t: TestApp) {
        let c = Browser::new(&t);
        let (_, home) = c.page("/").await;
        assert!(home.contains("/setup"), "the banner points the operator at setup");
        let (_, setup) = c.page("/setup").await;
        assert!(setup.contains("name=\"setup_token\""));
        let admin = [("username", "root"), ("display_name", "Root"), ("password", "admin password 1")];
        for token in ["", "guess", &t.app.setup_token()[1..]] {
            let mut fields = admin.to_vec();
            fields.push(("setup_token", token));
            let r = c.post_form(&csrf_of(&setup), "/setup", &fields).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "token {token:?}");
            let page = r.text().await.unwrap();
            assert!(page.contains("has-error"), "the form says what is wrong");
            assert!(!page.contains(t.app.setup_token()), "the form never echoes the token");
        }
        assert_eq!(t.count("SELECT COUNT(*) FROM users").await, 0, "nothing was created");
        let mut fields = admin.to_vec();
        let token = t.app.setup_token().to_string();
        fields.push(("setup_token", &token));
        let r = c.post_form(&csrf_of(&setup), "/setup", &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let me: Value = c.get(t.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["is_site_admin"], true);
        // Once an administrator exists, /setup is closed, even with the token.
        let other = Browser::new(&t);
        let r = other.get(t.url("/setup")).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/");
        let (_, login) = other.page("/login").await;
        let r = other.post_form(&csrf_of(&login), "/setup", &[("username", "second"), ("password", "admin password 2"), ("setup_token", &token)]).await;
        assert_eq!(r.headers()["location"], "/login");
        assert_eq!(t.count("SELECT COUNT(*) FROM users WHERE is_site_admin = 1").await, 1);
        let (_, home) = other.page("/").await;
        assert!(!home.contains("href=\"/setup\""), "no banner once set up");
    }
}

story! {
    /// `next=` leads only to a path on this site, read as a browser reads it:
    /// a tab or newline inside `/\t/host` would make it `//host`.
    async fn sign_in_leads_only_to_this_site(t: TestApp) {
        t.user("sam").await;
        for (next, want) in [
            ("/%09/evil.example", "/"),
            ("/%0a/evil.example/x", "/"),
            ("/%5Cevil.example", "/"),
            ("//evil.example", "/"),
            ("https://evil.example/", "/"),
            ("/%01%00x", "/%01%00x"),
            ("/c/club?feed=essence", "/c/club?feed=essence"),
        ] {
            let c = Browser::new(&t);
            let (st, html) = c.page(&format!("/login?next={next}")).await;
            assert_eq!(st, StatusCode::OK, "{next}");
            let r = c.post_form(&csrf_of(&html), &format!("/login?next={next}"), &[("username", "sam"), ("password", PASSWORD)]).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next}");
            assert_eq!(r.headers()["location"], want, "{next}");
            // Already signed in, the login page redirects the same way.
            let r = c.get(t.url(&format!("/login?next={next}"))).send().await.unwrap();
            assert_eq!(r.headers()["location"], want, "{next} (signed in)");
            let r = c.get(t.url(&format!("/lang/en?next={next}"))).send().await.unwrap();
            assert_eq!(r.headers()["location"], want, "{next} (language switch)");
        }
    }
}
