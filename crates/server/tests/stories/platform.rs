//! The HTTP platform: where writes may come from, cookies behind a proxy,
//! who may read /metrics.

use reqwest::StatusCode;
use serde_json::json;
use yaji_testkit::*;

story! {
    /// Behind the CSRF token, a cookie-authenticated write that names its
    /// origin must name this site (Origin, else Referer); bearer-token API
    /// calls carry no ambient credential and are not asked.
    async fn writes_from_another_site_are_refused(t: TestApp) {
        let sam = t.user("sam").await;
        let c = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let login = t.log_in(&c, "sam").await;
        let csrf = login["csrf_token"].as_str().unwrap().to_string();
        let ours = t.base.clone();
        let write = |slug: &'static str, header: Option<(&'static str, String)>| {
            let mut r = c.post(t.url("/api/v1/communities")).header("x-csrf-token", &csrf).json(&community(slug, "open"));
            if let Some((k, v)) = header {
                r = r.header(k, v);
            }
            async move { decode(r.send().await.unwrap()).await }
        };
        for (slug, h) in [
            ("evil1", ("origin", "https://evil.example".to_string())),
            ("evil2", ("origin", "null".to_string())),
            ("evil3", ("referer", "https://evil.example/page".to_string())),
            ("evil4", ("origin", "http://127.0.0.1:1".to_string())),
        ] {
            let r = write(slug, Some(h.clone())).await;
            assert_error(&r, 403, "csrf_failed", None);
            assert!(r.1["error"]["message"].as_str().unwrap().contains("another site"), "{h:?}");
        }
        assert_eq!(write("good1", Some(("origin", ours.clone()))).await.0, StatusCode::CREATED);
        assert_eq!(write("good2", Some(("referer", format!("{ours}/c/new")))).await.0, StatusCode::CREATED);
        assert_eq!(write("good3", None).await.0, StatusCode::CREATED, "no Origin: the token alone decides");
        assert_eq!(t.count("SELECT COUNT(*) FROM communities WHERE slug LIKE 'evil%'").await, 0);
        // A web form posted from another site gets the error page, and nothing happens.
        let b = Browser::new(&t);
        b.log_in("sam").await;
        let (_, page) = b.page("/c/new").await;
        let r = b
            .post(t.url("/c/new"))
            .header("origin", "https://evil.example")
            .form(&[("_csrf", csrf_of(&page).as_str()), ("slug", "evil5"), ("name", "Evil")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // Bearer tokens are not ambient: no Origin check.
        let r = reqwest::Client::new()
            .post(t.url("/api/v1/communities"))
            .bearer_auth(&sam.token)
            .header("origin", "https://tools.example")
            .json(&community("scripted", "open"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
}

story! {
    /// Behind a trusted proxy that says the site is HTTPS, the session cookie
    /// is `Secure`; a forged header from anyone else changes nothing.
    #[tokio::test]
    async fn session_cookies_are_secure_behind_an_https_proxy(b) {
        let cfg = yaji_server::ServerConfig {
            trusted_proxies: yaji_server::TrustedProxies::parse("127.0.0.1").unwrap(),
            ..Default::default()
        };
        let t = TestApp::spawn_app(b, yaji_app::AppConfig { hash_cost: yaji_app::HashCost::Fast, ..Default::default() }, cfg).await;
        t.user("sam").await;
        let login = |proto: Option<&'static str>| {
            let mut r = reqwest::Client::new()
                .post(t.url("/api/v1/auth/login"))
                .json(&json!({"username": "sam", "password": PASSWORD}));
            if let Some(p) = proto {
                r = r.header("x-forwarded-proto", p);
            }
            async move {
                let r = r.send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                r.headers()["set-cookie"].to_str().unwrap().to_string()
            }
        };
        assert!(login(Some("https")).await.contains("; Secure"), "HTTPS at the proxy");
        assert!(!login(None).await.contains("Secure"), "plain HTTP");
        t.cleanup().await;
        // Not a trusted proxy: the header is ignored.
        let t = TestApp::spawn(b).await;
        t.user("sam").await;
        let r = reqwest::Client::new()
            .post(t.url("/api/v1/auth/login"))
            .header("x-forwarded-proto", "https")
            .json(&json!({"username": "sam", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert!(!r.headers()["set-cookie"].to_str().unwrap().contains("Secure"));
        t.cleanup().await;
    }
}

story! {
    /// `/metrics` can require a bearer token, or live on its own address and
    /// not beside the site at all.
    #[tokio::test]
    async fn metrics_can_be_protected_or_moved(b) {
        let cfg = yaji_server::ServerConfig { metrics_token: Some("scrape-secret-1".into()), ..Default::default() };
        let t = TestApp::spawn_app(b, yaji_app::AppConfig { hash_cost: yaji_app::HashCost::Fast, ..Default::default() }, cfg).await;
        let get = |auth: Option<&'static str>| {
            let mut r = reqwest::Client::new().get(t.url("/metrics"));
            if let Some(a) = auth {
                r = r.header("authorization", a);
            }
            async move { r.send().await.unwrap() }
        };
        assert_eq!(get(None).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(get(Some("Bearer wrong")).await.status(), StatusCode::UNAUTHORIZED);
        let ok = get(Some("Bearer scrape-secret-1")).await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert!(ok.text().await.unwrap().contains("yaji_http_requests_total"));
        t.cleanup().await;

        // Separate: the site answers 404 at /metrics; the metrics router serves it.
        let app_db = TestDb::new(b).await;
        let app = yaji_app::App::new(app_db.db.clone(), Default::default());
        let cfg = yaji_server::ServerConfig { metrics_separate: true, ..Default::default() };
        let (site, metrics) = yaji_server::routers(app, cfg);
        let serve = |r: axum::Router| async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            tokio::spawn(async move {
                axum::serve(l, r.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap()
            });
            format!("http://{addr}")
        };
        let (site, metrics) = (serve(site).await, serve(metrics).await);
        assert_eq!(reqwest::get(format!("{site}/metrics")).await.unwrap().status(), StatusCode::NOT_FOUND);
        reqwest::get(format!("{site}/healthz")).await.unwrap();
        let m = reqwest::get(format!("{metrics}/metrics")).await.unwrap();
        assert_eq!(m.status(), StatusCode::OK);
        assert!(m.text().await.unwrap().contains("route=\"/healthz\""), "one set of counters");
        app_db.db.close().await;
    }
}
