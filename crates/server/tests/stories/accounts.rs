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

story! {
    /// Changing a password proves the current one, and ends every other
    /// session and every API token; the browser that changed it stays in.
    async fn a_password_change_ends_other_sessions_and_tokens(t: TestApp) {
        let sam = t.user("sam").await;
        let (here, there) = (Browser::new(&t), Browser::new(&t));
        here.log_in("sam").await;
        there.log_in("sam").await;
        let (_, profile) = here.page("/settings/profile").await;
        // The sign-up session of `t.user` is the other one besides `there`.
        assert!(profile.contains("2 other browsers besides") || profile.contains("2 个浏览器"), "{profile}");

        let change = |current: &'static str, new: &'static str| {
            let here = &here;
            let profile = profile.clone();
            async move {
                here.post_form(&csrf_of(&profile), "/settings/password", &[("current_password", current), ("new_password", new)]).await
            }
        };
        let r = change("wrong password 1", "brand new password 9").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("has-error"));
        let r = change(PASSWORD, "short").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = change(PASSWORD, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "the same password is no change");
        assert_eq!(sam.get("/api/v1/me").await.0, StatusCode::OK, "failed attempts change nothing");

        let r = change(PASSWORD, "brand new password 9").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/settings/profile?notice=password_changed");
        assert_eq!(here.page("/settings/profile").await.0, StatusCode::OK, "this browser stays signed in");
        let r = there.get(t.url("/settings/profile")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "the other browser is signed out");
        assert_error(&sam.get("/api/v1/me").await, 401, "invalid_token", None);
        assert_eq!(t.count("SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL").await, 0);
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM sessions WHERE user_id = {}", sam.id)).await, 1);

        // Old password out, new one in.
        let c = reqwest::Client::new();
        let login = |p: &'static str| c.post(t.url("/api/v1/auth/login")).json(&serde_json::json!({"username": "sam", "password": p})).send();
        assert_eq!(login(PASSWORD).await.unwrap().status(), StatusCode::UNAUTHORIZED);
        assert_eq!(login("brand new password 9").await.unwrap().status(), StatusCode::OK);
    }
}

story! {
    /// Through the API: a token that changes the password is revoked with the
    /// rest; wrong current passwords are throttled like logins.
    async fn the_api_changes_passwords_and_throttles_guessing(t: TestApp) {
        let sam = t.user("sam").await;
        let (st, body) = sam.put("/api/v1/me/password", serde_json::json!({"current_password": "nope nope nope", "new_password": "brand new password 9"})).await;
        assert_error(&(st, body), 422, "wrong_password", Some("current_password"));
        let (st, body) = sam.put("/api/v1/me/password", serde_json::json!({"current_password": PASSWORD, "new_password": "x"})).await;
        assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("new_password")));
        for _ in 0..9 {
            sam.put("/api/v1/me/password", serde_json::json!({"current_password": "nope nope nope", "new_password": "brand new password 9"})).await;
        }
        let limited = sam.put("/api/v1/me/password", serde_json::json!({"current_password": PASSWORD, "new_password": "brand new password 9"})).await;
        assert_error(&limited, 429, "rate_limited", None);
        let other = t.user("kim").await;
        let (st, _) = other.put("/api/v1/me/password", serde_json::json!({"current_password": PASSWORD, "new_password": "brand new password 9"})).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        assert_error(&other.get("/api/v1/me").await, 401, "invalid_token", None);
    }
}

story! {
    /// "Sign out everywhere else" ends the other sessions, not this one; a
    /// password reset from the command line ends them all, tokens included.
    async fn signing_out_elsewhere_and_resets_end_sessions(t: TestApp) {
        let sam = t.user("sam").await;
        let (here, there) = (Browser::new(&t), Browser::new(&t));
        here.log_in("sam").await;
        there.log_in("sam").await;
        let (_, profile) = here.page("/settings/profile").await;
        let r = here.post_form(&csrf_of(&profile), "/settings/sessions/end", &[]).await;
        assert_eq!(r.headers()["location"], "/settings/profile?notice=sessions_ended");
        assert_eq!(here.page("/settings/profile").await.0, StatusCode::OK);
        assert_eq!(there.get(t.url("/settings/profile")).send().await.unwrap().status(), StatusCode::SEE_OTHER);
        assert_eq!(sam.get("/api/v1/me").await.0, StatusCode::OK, "API tokens are not sessions");
        let (_, n) = sam.get("/api/v1/me/sessions").await;
        assert_eq!(n["other_sessions"], 1, "from a token, every session is another one");

        t.app.set_password("sam", "reset password 77").await.unwrap();
        assert_eq!(here.get(t.url("/settings/profile")).send().await.unwrap().status(), StatusCode::SEE_OTHER);
        assert_error(&sam.get("/api/v1/me").await, 401, "invalid_token", None);
        assert_eq!(t.count("SELECT COUNT(*) FROM sessions").await, 0);
    }
}

story! {
    /// Wrong passwords slow down the pair (account, source) with growing
    /// delays; the owner signing in from elsewhere is never held up, and many
    /// members behind one address sign in freely.
    async fn guessing_slows_the_guesser_not_the_account(t: TestApp) {
        t.user("victim").await;
        let (attacker, home, venue) = ("203.0.113.66", "198.51.100.7", "192.0.2.1");
        let mut waits = vec![];
        for _ in 0..12 {
            match t.app.login("victim", "wrong password!", attacker).await {
                Err(yaji_app::AppError::BadCredentials) => waits.push(0),
                Err(yaji_app::AppError::RateLimited { retry_after_secs }) => {
                    waits.push(retry_after_secs);
                    break;
                }
                other => panic!("{:?}", other.map(|s| s.user.username)),
            }
        }
        assert_eq!(&waits[..6], &[0; 6], "the first failures cost nothing: {waits:?}");
        assert!(waits.last().is_some_and(|w| *w >= 1), "then the guesser waits: {waits:?}");
        // The right password from the attacker's address waits too…
        assert!(matches!(
            t.app.login("victim", PASSWORD, attacker).await,
            Err(yaji_app::AppError::RateLimited { .. })
        ));
        // …but the owner, from anywhere else, signs in at once.
        assert!(t.app.login("victim", PASSWORD, home).await.is_ok());
        // Forty members behind one NAT sign in, each once: nothing is blocked.
        for i in 0..40 {
            let name = format!("member{i}");
            let r = yaji_app::accounts::Registration {
                username: &name,
                password: PASSWORD,
                display_name: "",
                locale: "",
                time_zone: "",
            };
            t.app.create_user(r, false).await.unwrap();
        }
        for i in 0..40 {
            assert!(t.app.login(&format!("member{i}"), PASSWORD, venue).await.is_ok(), "member{i}");
        }
        // Spraying many accounts from one address meets the per-address ceiling.
        let mut limited = false;
        for i in 0..150 {
            if let Err(yaji_app::AppError::RateLimited { .. }) =
                t.app.login(&format!("member{}", i % 40), "wrong password!", "192.0.2.99").await
            {
                limited = true;
                break;
            }
        }
        assert!(limited, "the per-address ceiling stops spraying");
        assert!(t.app.login("member1", PASSWORD, venue).await.is_ok(), "other addresses are unaffected");
    }
}

story! {
    /// `/u/<name>` shows who someone is, the communities of theirs the reader
    /// may see (those in common first) and their posts the reader may read:
    /// nothing from a private community leaks to outsiders.
    async fn member_profiles_show_what_the_reader_may_see(t: TestApp) {
        let mia = t.user("mia").await;
        mia.patch("/api/v1/me", serde_json::json!({"bio": "Tea and books"})).await;
        mia.post("/api/v1/communities", community("tea", "open")).await;
        let mut private = community("inner", "open");
        private["visibility"] = serde_json::json!("private");
        mia.post("/api/v1/communities", private).await;
        mia.post("/api/v1/communities/tea/posts", serde_json::json!({"title": "Oolong notes", "body": "public thoughts"})).await;
        mia.post("/api/v1/communities/inner/posts", serde_json::json!({"title": "Members only", "body": "secret plans"})).await;

        let kim = t.user("kim").await;
        kim.post("/api/v1/communities/tea/join", serde_json::json!({})).await;
        let (st, p) = kim.get("/api/v1/users/mia").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(p["bio"], "Tea and books");
        let slugs: Vec<&str> = p["communities"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
        assert_eq!(slugs, ["tea"], "the private community is not listed to outsiders");
        assert_eq!(p["communities"][0]["in_common"], true);
        assert_eq!(p["communities"][0]["role"], "owner");
        let titles: Vec<&str> =
            p["recent_posts"].as_array().unwrap().iter().map(|r| r["post"]["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["Oolong notes"]);

        // A member of the private community sees it and its posts.
        kim.post("/api/v1/communities/inner/join", serde_json::json!({})).await;
        let (_, p) = kim.get("/api/v1/users/mia").await;
        assert_eq!(p["communities"].as_array().unwrap().len(), 2);
        assert_eq!(p["recent_posts"].as_array().unwrap().len(), 2);

        // Visitors get the page; unknown names are 404.
        let page = reqwest::get(t.url("/u/mia")).await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains("Tea and books") && html.contains("Oolong notes") && !html.contains("Members only"));
        assert_eq!(reqwest::get(t.url("/u/nobody-here")).await.unwrap().status(), StatusCode::NOT_FOUND);
        assert_error(&kim.get("/api/v1/users/no%00body").await, 404, "not_found", None);
        // Names on a post link to the profile.
        let b = Browser::new(&t);
        let (_, feed) = b.page("/c/tea").await;
        let id = feed.split("/p/").nth(1).unwrap().split('"').next().unwrap().to_string();
        let (_, post) = b.page(&format!("/p/{id}")).await;
        assert!(post.contains("href=\"/u/mia\""));
    }
}

story! {
    /// Signed in, the language switch is a form: it changes the profile's
    /// language too (notices and email follow), and the profile shows it.
    async fn the_language_switch_follows_into_the_profile(t: TestApp) {
        let mia = t.user("mia").await;
        let browser = Browser::new(&t);
        browser.log_in("mia").await;
        let (_, home) = browser.page("/").await;
        assert!(home.contains(r#"action="/lang/en?next="#), "a form, not a link, when signed in");
        let r = browser.post_form(&csrf_of(&home), "/lang/en?next=/settings/profile", &[]).await;
        assert_eq!(r.headers()["location"], "/settings/profile");
        let (_, me) = mia.get("/api/v1/me").await;
        assert_eq!(me["locale"], "en");
        let (_, profile) = browser.page("/settings/profile").await;
        assert!(profile.contains(r#"<html lang="en">"#) && profile.contains(r#"<option value="en" selected"#), "{profile}");
    }
}
