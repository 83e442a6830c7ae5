//! The web UI through plain HTTP: language negotiation, security headers,
//! form flows with CSRF tokens, escaping, redirects.

use reqwest::StatusCode;
use yaji_testkit::*;

#[tokio::test]
async fn language_follows_accept_language_then_the_switch() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let c = Browser::new(&t);
    let zh = c.get(t.url("/")).header("accept-language", "zh-CN,zh;q=0.9").send().await.unwrap().text().await.unwrap();
    let en = c.get(t.url("/")).header("accept-language", "en-US,en;q=0.9").send().await.unwrap().text().await.unwrap();
    assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains("发现社群"));
    assert!(en.contains("<html lang=\"en\">") && en.contains("Discover communities"));
    // The switch is remembered in a cookie and wins over the header.
    let r = c.get(t.url("/lang/en?next=/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let again = c.get(t.url("/")).header("accept-language", "zh-CN").send().await.unwrap().text().await.unwrap();
    assert!(again.contains("<html lang=\"en\">"));
    // The redirect never leaves the site.
    let r = c.get(t.url("/lang/zh-CN?next=//evil.example")).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/");
    t.cleanup().await;
}

#[tokio::test]
async fn html_pages_carry_security_headers() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    for path in ["/", "/login", "/signup", "/no-such-page"] {
        let r = reqwest::get(t.url(path)).await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        let body = r.text().await.unwrap();
        assert!(!body.contains("<script>") && !body.contains("style=\""), "{path}: inline script or style");
    }
    t.cleanup().await;
}

story! {
    async fn join_with_rules_and_approval_through_forms(t: TestApp) {
        let owner = t.user("owner").await;
        let mut body = community("circle", "approval");
        body["entry_questions"] = serde_json::json!(["Why join?"]);
        body["rules"] = serde_json::json!("Be <b>kind</b>");
        owner.post("/api/v1/communities", body).await;

        let c = Browser::new(&t);
        c.sign_up("webby").await;
        let (s, html) = c.page("/c/circle/join").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Why join?") && html.contains("accept_rules"));
        assert!(!html.contains("<b>kind</b>"), "rules are sanitized");
        let csrf = csrf_of(&html);
        // Without accepting the rules: the form comes back with the error.
        let r = c.post_form(&csrf, "/c/circle/join", &[("answer_0", "books")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = c.post_form(&csrf, "/c/circle/join", &[("answer_0", "books"), ("accept_rules", "1")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/c/circle/join?notice=applied");
        // Applied: the page says so and offers no second form; a second submit lands there too.
        let (_, waiting) = c.page("/c/circle/join").await;
        assert!(!waiting.contains("name=\"answer_0\"") && waiting.contains("flash info"), "no second form");
        let r = c.post_form(&csrf, "/c/circle/join", &[("answer_0", "books"), ("accept_rules", "1")]).await;
        assert_eq!(r.headers()["location"], "/c/circle/join?notice=applied", "a double submit is not a dead end");
        // The owner sees the waiting application counted on the staff menu.
        let oc = Browser::new(&t);
        oc.log_in("owner").await;
        let (_, feed) = oc.page("/c/circle").await;
        assert!(feed.contains(r#"<span class="count">1</span>"#), "the join-requests count");
        // On another staff page the menu is named after it: the application is a dot, not its count.
        let (_, audit) = oc.page("/c/circle/moderation/audit").await;
        let summary = audit.split("<summary>").nth(1).and_then(|s| s.split("</summary>").next()).unwrap_or_default();
        assert!(summary.contains(r#"class="dot""#) && !summary.contains(r#"class="count""#), "{summary}");

        // The owner approves from the queue page.
        let (_, queue) = owner.get("/api/v1/communities/circle/join-requests").await;
        let rid = queue[0]["id"].as_i64().unwrap();
        let oc = Browser::new(&t);
        let (_, login) = oc.page("/login").await;
        oc.post_form(&csrf_of(&login), "/login", &[("username", "owner"), ("password", "correct horse battery")]).await;
        let (s, qpage) = oc.page("/c/circle/requests").await;
        assert_eq!(s, StatusCode::OK);
        assert!(qpage.contains("books"));
        let r = oc.post_form(&csrf_of(&qpage), &format!("/requests/{rid}/decide"), &[("approve", "1")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);

        // The applicant now posts through the composer; markup is escaped.
        let (_, feed) = c.page("/c/circle").await;
        let r = c.post_form(&csrf_of(&feed), "/c/circle/posts", &[("title", "<img src=x onerror=alert(1)>"), ("body", "hello <script>alert(1)</script>")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        let (_, post) = c.page(&loc).await;
        assert!(post.contains("&lt;img src=x onerror=alert(1)&gt;"), "title escaped");
        assert!(!post.contains("<script>alert"), "body sanitized");
    }
}

#[tokio::test]
async fn login_page_refuses_foreign_redirects_and_unknown_pages_are_404() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    t.user("sam").await;
    let c = Browser::new(&t);
    let (_, html) = c.page("/login?next=https://evil.example/").await;
    let r = c
        .post_form(
            &csrf_of(&html),
            "/login?next=https://evil.example/",
            &[("username", "sam"), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(r.headers()["location"], "/");
    let fresh = Browser::new(&t);
    let (_, html) = fresh.page("/login").await;
    let r = fresh.post_form(&csrf_of(&html), "/login", &[("username", "sam"), ("password", "nope nope nope")]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (s, _) = c.page("/c/nowhere").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Pages that need an account send visitors to log in, then back.
    let r = Browser::new(&t).get(t.url("/settings/profile")).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/login?next=%2Fsettings%2Fprofile");
    t.cleanup().await;
}

story! {
    async fn moderators_ban_and_admins_unban_through_the_directory(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let troll = t.user("troll").await;
        troll.post("/api/v1/communities/club/join", serde_json::json!({})).await;

        let c = Browser::new(&t);
        c.log_in("owner").await;
        let (_, dir) = c.page("/c/club/members").await;
        assert!(dir.contains("/c/club/members/troll/sanction"), "moderation actions are offered");
        assert!(!dir.contains("/c/club/members/owner/sanction"), "never on yourself");
        let r = c.post_form(&csrf_of(&dir), "/c/club/members/troll/sanction", &[("reason", "spam links"), ("action", "ban")]).await;
        assert_eq!(r.headers()["location"], "/c/club/members?notice=banned");
        let (_, banned) = c.page("/c/club/members?state=banned").await;
        assert!(banned.contains("@troll") && banned.contains("/c/club/members/troll/unban"));
        assert_error(&troll.post("/api/v1/communities/club/join", serde_json::json!({})).await, 403, "banned", None);
        let r = c.post_form(&csrf_of(&banned), "/c/club/members/troll/unban", &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(troll.post("/api/v1/communities/club/join", serde_json::json!({})).await.0, StatusCode::OK, "{b:?}");
        // Plain members see the directory but no ban list.
        let (s, _) = troll.get("/api/v1/communities/club/members?state=banned").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn edited_posts_link_to_their_history() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let u = t.user("writer").await;
    u.post("/api/v1/communities", community("notes", "open")).await;
    let (_, p) = u.post("/api/v1/communities/notes/posts", serde_json::json!({"body": "first **draft**"})).await;
    let id = p["id"].as_i64().unwrap();
    u.call(reqwest::Method::PATCH, &format!("/api/v1/posts/{id}"), Some(serde_json::json!({"body": "final text"})))
        .await;
    let c = Browser::new(&t);
    let (_, post) = c.page(&format!("/p/{id}")).await;
    assert!(post.contains(&format!("/p/{id}/history")));
    let (s, history) = c.page(&format!("/p/{id}/history")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(history.contains("final text") && history.contains("first <strong>draft</strong>"), "{history}");
    // The author deletes it from the post page and lands back on the feed.
    c.log_in("writer").await;
    let (_, post) = c.page(&format!("/p/{id}")).await;
    let r = c.post_form(&csrf_of(&post), &format!("/p/{id}/delete"), &[]).await;
    assert_eq!(r.headers()["location"], "/c/notes?notice=deleted");
    assert_eq!(c.page(&format!("/p/{id}")).await.0, StatusCode::NOT_FOUND);
    t.cleanup().await;
}

#[tokio::test]
async fn invite_creators_see_the_link_to_share() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    t.user("host").await;
    let host = t.user("host2").await;
    host.post("/api/v1/communities", community("salon", "invite_only")).await;
    let c = Browser::new(&t);
    c.log_in("host2").await;
    let (_, feed) = c.page("/c/salon").await;
    let r = c.post_form(&csrf_of(&feed), "/c/salon/invites", &[]).await;
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with("/invite/"), "{loc}");
    let (_, inv) = c.page(&loc).await;
    let path = loc.split('?').next().unwrap();
    let code = path.trim_start_matches("/invite/");
    assert!(inv.contains("data-copy=") && inv.contains(code), "the creator gets the link and a copy button");
    // A newcomer following the link joins the invite-only community.
    let guest = Browser::new(&t);
    guest.sign_up("guest").await;
    let (_, landing) = guest.page(path).await;
    let r = guest.post_form(&csrf_of(&landing), "/c/salon/join", &[("invite_code", code)]).await;
    assert_eq!(r.headers()["location"], "/c/salon?notice=joined");
    t.cleanup().await;
}

story! {
    async fn discovery_lists_public_communities_only(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        let mut hidden = community("hidden-circle", "open");
        hidden["visibility"] = serde_json::json!("private");
        owner.post("/api/v1/communities", hidden).await;
        owner.post("/api/v1/communities", community("open-club", "open")).await;
        let (_, home) = Browser::new(&t).page("/").await;
        assert!(home.contains("/c/open-club") && !home.contains("/c/hidden-circle"), "{b:?}");
        let all: serde_json::Value = reqwest::get(t.url("/api/v1/communities")).await.unwrap().json().await.unwrap();
        assert_eq!(all["communities"].as_array().unwrap().len(), 2);
    }
}

story! {
    async fn muting_through_the_directory_blocks_every_web_write(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let troll = t.user("troll").await;
        troll.post("/api/v1/communities/club/join", serde_json::json!({})).await;
        let (_, p) = owner.post("/api/v1/communities/club/posts", serde_json::json!({"body": "welcome"})).await;
        let pid = p["id"].as_i64().unwrap();
        let (_, own) = troll.post("/api/v1/communities/club/posts", serde_json::json!({"body": "mine"})).await;
        let own = own["id"].as_i64().unwrap();

        let mc = Browser::new(&t);
        mc.log_in("owner").await;
        let (_, dir) = mc.page("/c/club/members").await;
        assert!(dir.contains("/c/club/members/troll/speech"), "speaking rights are offered");
        let r = mc.post_form(&csrf_of(&dir), "/c/club/members/troll/speech", &[("action", "mute"), ("minutes", "60"), ("reason", "cool down")]).await;
        assert_eq!(r.headers()["location"], "/c/club/members?notice=muted", "{b:?}");
        let (_, dir) = mc.page("/c/club/members").await;
        assert!(dir.contains("state-hidden"), "the directory shows the mute");

        let c = Browser::new(&t);
        c.log_in("troll").await;
        let (_, feed) = c.page("/c/club").await;
        assert!(feed.contains("flash err") && !feed.contains("action=\"/c/club/posts\""), "banner, no composer");
        let csrf = csrf_of(&feed);
        let writes = [
            ("/c/club/posts".to_string(), vec![("body", "hello")]),
            (format!("/p/{pid}/comments"), vec![("body", "hi")]),
            (format!("/p/{pid}/react"), vec![("emoji", "👍"), ("on", "1")]),
            (format!("/p/{own}/edit"), vec![("body", "edited")]),
        ];
        for (path, fields) in writes {
            let mut form: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
            form.extend(fields);
            let r = c.post(t.url(&path)).form(&form).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{b:?} {path}");
        }
        let (_, notes) = c.page("/notifications").await;
        assert!(notes.contains("cool down"), "the member sees why");
        // Reading still works.
        assert_eq!(c.page(&format!("/p/{pid}")).await.0, StatusCode::OK);
    }
}

story! {
    async fn moderation_pages_in_both_languages(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let member = t.user("member").await;
        member.post("/api/v1/communities/club/join", serde_json::json!({})).await;
        let (_, held) =
            member.post("/api/v1/communities/club/posts", serde_json::json!({"body": "see https://spam.cn/x"})).await;
        assert_eq!(held["moderation"], "held");

        let c = Browser::new(&t);
        c.log_in("owner").await;
        for (lang, queue_word) in [("en", "Review queue"), ("zh-CN", "审核队列")] {
            c.get(t.url(&format!("/lang/{lang}"))).send().await.unwrap();
            let (s, q) = c.page("/c/club/moderation/queue").await;
            assert_eq!(s, StatusCode::OK);
            assert!(q.contains(queue_word) && q.contains("spam.cn"), "{lang}");
            let (s, rules) = c.page("/c/club/moderation").await;
            assert_eq!(s, StatusCode::OK, "{lang}");
            assert!(rules.contains("name=\"banned_words\""));
        }
        // The test box highlights what matched.
        let (_, rules) = c.page("/c/club/moderation").await;
        let r = c.post_form(&csrf_of(&rules), "/c/club/moderation/test", &[("text", "快 加 微 信 abc123")]).await;
        let html = r.text().await.unwrap();
        // Rules are named in plain words, not by their ids.
        assert!(html.contains("<mark title=\"微信 &#x2f; QQ &#x2f; Telegram 号\">加 微 信 abc123</mark>"), "{html}");
        assert!(!html.contains("ad.contact_id"), "no rule ids on the page");
        // Saving the form: a bad custom rule is a field error, a good one is saved.
        let mut form = vec![("_csrf".to_string(), csrf_of(&rules))];
        let keep = [
            "ad_phrase_threshold",
            "flood_max_messages",
            "flood_window_secs",
            "flood_max_repeats",
            "max_mentions",
            "newcomer_days",
            "newcomer_posts",
            "strike_decay_days",
            "report_threshold",
        ];
        for k in keep {
            let i = rules.find(&format!("name=\"{k}\" value=\"")).unwrap() + k.len() + 15;
            form.push((k.to_string(), rules[i..].split('"').next().unwrap().to_string()));
        }
        for d in [
            "abuse_words",
            "default_banned_words",
            "links",
            "group_invites",
            "phones",
            "contact_ids",
            "ad_phrases",
            "flood",
            "junk",
            "mass_mentions",
            "newcomer",
        ] {
            form.push((format!("{d}_on"), "on".into()));
            form.push((format!("{d}_action"), "hold".into()));
        }
        form.push(("enabled".into(), "on".into()));
        form.push(("banned_words_action".into(), "hide".into()));
        form.push(("banned_words".into(), "竞品课".into()));
        // The ladder: warn, then a day's mute; the third step left empty ends it.
        form.push(("ladder_0_action".into(), "warn".into()));
        form.push(("ladder_1_action".into(), "mute".into()));
        form.push(("ladder_1_minutes".into(), "1440".into()));
        form.push(("ladder_2_action".into(), String::new()));
        form.push(("ladder_3_action".into(), "ban".into()));
        for (k, v) in [("custom_rows", "2"), ("cr0_name", "broken"), ("cr0_kind", "regex"), ("cr0_action", "hold"), ("cr0_on", "on")] {
            form.push((k.into(), v.into()));
        }
        form.push(("cr0_pattern".into(), "(unclosed".into()));
        let r = c.post(t.url("/c/club/moderation")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("unclosed group"));
        form.pop();
        form.push(("cr0_pattern".into(), "ORD-[0-9]+".into()));
        let r = c.post(t.url("/c/club/moderation")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b:?} {}", r.text().await.unwrap());
        let (_, s) = owner.get("/api/v1/communities/club/moderation").await;
        assert_eq!(s["settings"]["banned_words"], serde_json::json!(["竞品课"]));
        assert_eq!(s["settings"]["custom_rules"][0]["patterns"], serde_json::json!(["ORD-[0-9]+"]));
        assert_eq!(s["settings"]["custom_rules"].as_array().unwrap().len(), 1, "the blank row adds nothing");
        let ladder: Vec<_> = s["settings"]["ladder"].as_array().unwrap().iter().map(|x| (x["action"].clone(), x["mute_minutes"].clone())).collect();
        assert_eq!(ladder, [(serde_json::json!("warn"), serde_json::json!(60)), (serde_json::json!("mute"), serde_json::json!(1440))]);
        // The saved form reads back as selects, not codes.
        let (_, rules) = c.page("/c/club/moderation").await;
        assert!(rules.contains(r#"<option value="1440" selected>"#) && rules.contains(r#"name="cr0_name" value="broken""#));
    }
}

story! {
    async fn faq_page_and_did_it_help_in_both_languages(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let asker = t.user("asker").await;
        asker.post("/api/v1/communities/club/join", serde_json::json!({})).await;

        let oc = Browser::new(&t);
        oc.log_in("owner").await;
        let (_, page_html) = oc.page("/c/club/faq").await;
        let r = oc.post_form(&csrf_of(&page_html), "/c/club/faq", &[("questions", "会员费多少钱\nhow much is the membership fee"), ("answer", "年费 365 元。")]).await;
        assert_eq!(r.headers()["location"], "/c/club/faq?notice=saved", "{b:?}");
        for (lang, word) in [("en", "FAQ auto-reply"), ("zh-CN", "关键词自动回复")] {
            oc.get(t.url(&format!("/lang/{lang}"))).send().await.unwrap();
            let (s, html) = oc.page("/c/club/faq").await;
            assert_eq!(s, StatusCode::OK);
            assert!(html.contains(word) && html.contains("会员费多少钱"), "{lang}");
        }

        let (_, q) =
            asker.post("/api/v1/communities/club/posts", serde_json::json!({"body": "请问会员费多少钱？"})).await;
        while t.app.work_once("w").await.unwrap() > 0 {}
        let ac = Browser::new(&t);
        ac.log_in("asker").await;
        let (_, post) = ac.page(&format!("/p/{}", q["id"])).await;
        assert!(post.contains("年费 365 元") && post.contains("/feedback"), "automatic answer with feedback buttons");
        let action = post.split("action=\"/faq-replies/").nth(1).unwrap().split('"').next().unwrap().to_string();
        let r = ac.post_form(&csrf_of(&post), &format!("/faq-replies/{action}"), &[("helpful", "1"), ("back", &format!("/p/{}", q["id"]))]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, entries) = owner.get("/api/v1/communities/club/faq").await;
        assert_eq!(entries[0]["helpful_count"], 1, "{b:?}");
    }
}

story! {
    async fn operators_run_the_assistant_from_the_web_in_both_languages(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let mia = t.user("mia").await;
        mia.post("/api/v1/communities/club/join", serde_json::json!({})).await;
        let c = Browser::new(&t);
        c.log_in("owner").await;
        for (lang, words) in
            [("en", ["Templates", "Run history", "Newcomer checklist"]), ("zh-CN", ["模板", "执行记录", "新人任务"])]
        {
            c.get(t.url(&format!("/lang/{lang}"))).send().await.unwrap();
            for (path, word) in [
                ("/c/club/assistant", words[0]),
                ("/c/club/assistant/runs", words[1]),
                ("/c/club/assistant/checklist", words[2]),
            ] {
                let (st, html) = c.page(path).await;
                assert_eq!(st, StatusCode::OK, "{lang} {path}");
                assert!(html.contains(word), "{lang} {path} has {word}");
            }
            let (st, _) = c.page("/c/club/calendar").await;
            assert_eq!(st, StatusCode::OK);
            let (st, _) = c.page("/c/club/assistant/webhooks").await;
            assert_eq!(st, StatusCode::OK);
        }
        // One click: the newcomer checklist template (in Chinese, the current language).
        let (_, html) = c.page("/c/club/assistant").await;
        let r = c.post_form(&csrf_of(&html), "/c/club/assistant/templates/newcomer_checklist", &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, rules) = owner.get("/api/v1/communities/club/automation/rules").await;
        assert_eq!(rules[0]["name"], "新人任务完成");

        // The rule editor: a bad schedule is shown next to its field, nothing saved.
        let form = |extra: &[(&str, &str)]| {
            let mut f: Vec<(String, String)> = vec![
                ("_csrf".into(), csrf_of(&html)),
                ("name".into(), "Weekly topic".into()),
                ("trigger".into(), "schedule".into()),
                ("sched_every".into(), "week".into()),
                ("sched_time".into(), "09:00".into()),
                ("a0_kind".into(), "post".into()),
                ("a0_title".into(), "Topic {date}".into()),
                ("a0_text".into(), "What are you reading?".into()),
                ("enabled".into(), "on".into()),
            ];
            for (k, v) in extra {
                f.retain(|(key, _)| key != k);
                f.push((k.to_string(), v.to_string()));
            }
            f
        };
        let r = c.post(t.url("/c/club/assistant")).form(&form(&[("do", "save")])).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = r.text().await.unwrap();
        assert!(body.contains("field-error") && body.contains("此项必填"), "{body}");
        assert_eq!(t.count("SELECT COUNT(*) FROM automation_rules").await, 1);
        // Dry run, then save.
        let r = c
            .post(t.url("/c/club/assistant"))
            .form(&form(&[("sched_wd_1", "on"), ("do", "dry_run")]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body = r.text().await.unwrap();
        assert!(body.contains("id=\"dry-run\"") && body.contains("What are you reading?"), "dry run preview");
        let r = c
            .post(t.url("/c/club/assistant"))
            .form(&form(&[("sched_wd_1", "on"), ("do", "save")]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, rules) = owner.get("/api/v1/communities/club/automation/rules").await;
        let weekly = rules.as_array().unwrap().iter().find(|r| r["name"] == "Weekly topic").unwrap().clone();
        let (st, edit) = c.page(&format!("/c/club/assistant/rules/{}", weekly["id"])).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(weekly["definition"]["trigger"]["cron"], "0 9 * * 1", "{weekly}");
        assert!(edit.contains(r#"name="sched_wd_1" checked"#), "the editor shows the schedule as picked");
        assert!(edit.contains(r#"data-when="a0_kind=post""#), "fields say which action they belong to");

        // A member's checklist page and introduction form.
        let mc = Browser::new(&t);
        mc.log_in("mia").await;
        let (st, cl) = mc.page("/c/club/checklist").await;
        assert_eq!(st, StatusCode::OK);
        assert!(cl.contains("自我介绍") || cl.contains("Introduce yourself"));
        let r = mc.post_form(&csrf_of(&cl), "/c/club/checklist/intro", &[("name", "Mia"), ("city", "Chengdu"), ("occupation", "teacher"), ("hope", "friends")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, cl) = mia.get("/api/v1/communities/club/checklist").await;
        assert_eq!(cl["tasks"][1]["done"], true, "{cl}");
        // Members do not reach the operators' pages.
        let (st, _) = mc.page("/c/club/assistant").await;
        assert_eq!(st, StatusCode::FORBIDDEN);

        // The calendar form schedules a post in the community's time zone.
        let (_, cal) = c.page("/c/club/calendar").await;
        let r = c.post_form(&csrf_of(&cal), "/c/club/calendar", &[("title", "Launch"), ("body", "We are live"), ("publish_at", "2031-03-02T09:00"), ("repeat", "")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, march) = c.page("/c/club/calendar?month=2031-03").await;
        assert!(march.contains("09:00 Launch"), "shown on its day");
    }
}

story! {
    async fn the_analytics_dashboard_renders_in_both_languages_with_csv(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        owner.post("/api/v1/communities/club/posts", serde_json::json!({"body": "hello"})).await;
        // A member also active 40 days ago: the previous period's MAU on its last day is 1, today's 2.
        let elder = t.user("elder").await;
        elder.post("/api/v1/communities/club/join", serde_json::json!({})).await;
        let at = chrono::Utc::now().timestamp_millis() - 40 * 86_400_000;
        t.exec(&format!(
            "INSERT INTO activity_events (kind, community_id, actor_id, subject_kind, subject_id, occurred_at, payload)
             SELECT 'post_created', id, {}, 'post', 0, {at}, '{{}}' FROM communities WHERE slug = 'club'",
            elder.id
        ))
        .await;
        let c = Browser::new(&t);
        c.log_in("owner").await;
        for (lang, word, same) in [
            ("en", "Retention by day of first activity", "+100% vs previous period"),
            ("zh-CN", "按首次活动日的留存", "+100% 较上一周期"),
        ] {
            c.get(t.url(&format!("/lang/{lang}"))).send().await.unwrap();
            let (st, html) = c.page("/c/club/analytics").await;
            assert_eq!(st, StatusCode::OK, "{lang}");
            assert!(html.contains(word) && html.contains("<polyline class=\"series dau\""), "{lang}");
            assert!(html.contains(same), "{lang}: MAU against the previous period");
        }
        let r = c.get(t.url("/c/club/analytics.csv?table=retention_daily")).send().await.unwrap();
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        let body = r.text().await.unwrap();
        assert!(body.starts_with("\u{feff}cohort_start,size,p0"), "{body}");
        let series = c.get(t.url("/c/club/analytics.csv")).send().await.unwrap().text().await.unwrap();
        assert!(series.lines().nth(1).unwrap().contains(','), "{series}");
        let (st, _) = c.page("/c/club/analytics?from=nonsense").await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        // Members do not see it.
        let mia = t.user("mia").await;
        mia.post("/api/v1/communities/club/join", serde_json::json!({})).await;
        let mc = Browser::new(&t);
        mc.log_in("mia").await;
        let (st, _) = mc.page("/c/club/analytics").await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
}

story! {
    async fn members_report_a_post_and_a_comment_from_the_post_page(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let troll = t.user("troll").await;
        troll.post("/api/v1/communities/club/join", serde_json::json!({})).await;
        let mia = t.user("mia").await;
        mia.post("/api/v1/communities/club/join", serde_json::json!({})).await;
        let (_, p) = troll.post("/api/v1/communities/club/posts", serde_json::json!({"body": "my first words here"})).await;
        let pid = p["id"].as_i64().unwrap();
        let (_, cm) = troll.post(&format!("/api/v1/posts/{pid}/comments"), serde_json::json!({"body": "and a reply"})).await;
        let cid = cm["id"].as_i64().unwrap();

        let c = Browser::new(&t);
        c.log_in("mia").await;
        let (_, html) = c.page(&format!("/p/{pid}")).await;
        for (kind, id) in [("post", pid), ("comment", cid)] {
            assert!(html.contains(&format!(r#"name="kind" value="{kind}"><input type="hidden" name="id" value="{id}">"#)), "{b:?} {kind}");
        }
        let back = format!("/p/{pid}#c{cid}");
        let id = cid.to_string();
        let r = c.post_form(&csrf_of(&html), "/c/club/report", &[("kind", "comment"), ("id", &id), ("back", &back), ("reason", "spam")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b:?}");
        assert!(r.headers()["location"].to_str().unwrap().starts_with(&format!("/p/{pid}")), "back to the post");
        let id = pid.to_string();
        let r = c.post_form(&csrf_of(&html), "/c/club/report", &[("kind", "post"), ("id", &id), ("back", "//evil.example"), ("reason", "spam")]).await;
        assert!(r.headers()["location"].to_str().unwrap().starts_with("/c/club"), "a foreign back address is not followed");

        let (_, queue) = owner.get("/api/v1/communities/club/moderation/queue").await;
        assert_eq!(queue.as_array().map(Vec::len), Some(2), "{b:?} {queue}");
        // The author is not offered a report of their own post.
        let tc = Browser::new(&t);
        tc.log_in("troll").await;
        let (_, own) = tc.page(&format!("/p/{pid}")).await;
        assert!(!own.contains("/c/club/report"), "{b:?}");
    }
}

story! {
    /// Visitors see the button their path takes: Apply for approval communities,
    /// none for invite-only ones; a private circle taking applications is discoverable.
    async fn visitors_see_apply_or_nothing_and_find_private_circles_that_take_applications(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "approval")).await;
        owner.post("/api/v1/communities", community("inner", "invite_only")).await;
        let mut circle = community("circle", "approval");
        circle["visibility"] = serde_json::json!("private");
        owner.post("/api/v1/communities", circle).await;
        let mut hidden = community("hidden", "invite_only");
        hidden["visibility"] = serde_json::json!("private");
        owner.post("/api/v1/communities", hidden).await;

        let v = Browser::new(&t);
        let (_, club) = v.page("/c/club").await;
        assert!(club.contains("/login?next=/c/club/join") && (club.contains("申请加入") || club.contains("Apply")), "{b:?}");
        let (_, inner) = v.page("/c/inner").await;
        assert!(!inner.contains("/login?next=/c/inner/join"), "{b:?} no Join button for invite-only");
        let (_, home) = v.page("/").await;
        assert!(home.contains("/c/circle") && !home.contains("/c/hidden"), "{b:?}");
        // A visitor reading a post is offered a way in, back to the same post.
        let (_, p) = owner.post("/api/v1/communities/club/posts", serde_json::json!({"body": "open house"})).await;
        let (_, post) = v.page(&format!("/p/{}", p["id"])).await;
        assert!(post.contains(&format!("/login?next=/p/{}", p["id"])), "{b:?}");
    }
}

story! {
    /// A sign-up form with several mistakes names each of them, and keeps a
    /// password that was fine so the person does not type it again.
    async fn sign_up_names_every_bad_field_and_keeps_a_good_password(t: TestApp) {
        let b = t.backend;
        let c = Browser::new(&t);
        let (_, html) = c.page("/signup").await;
        let r = c.post_form(&csrf_of(&html), "/signup", &[("username", "陈语嫣"), ("password", "short"), ("display_name", "陈语嫣")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b:?}");
        let page = r.text().await.unwrap();
        assert_eq!(page.matches("field-error").count(), 2, "{b:?} username and password: {page}");
        assert!(page.contains("昵称") || page.contains("Display name"), "the hint points to the display name");
        let r = c.post_form(&csrf_of(&html), "/signup", &[("username", "陈语嫣"), ("password", "a fine long password"), ("display_name", "陈语嫣")]).await;
        let page = r.text().await.unwrap();
        assert_eq!(page.matches("field-error").count(), 1, "{b:?}");
        assert!(page.contains(r#"value="a fine long password""#), "{b:?} the good password stays");
        assert!(page.contains(r#"value="陈语嫣""#), "the display name stays");
    }
}
