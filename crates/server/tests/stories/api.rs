//! End-to-end tests of the JSON API, on SQLite and (when configured) PostgreSQL.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use yaji_testkit::*;

story! {
    /// register → create community with approval → apply → approve → post →
    /// comment → react → essence → remove member, checking the activity log.
    async fn member_story(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        let alice = t.user("alice").await;

        let mut body = community("book-club", "approval");
        body["entry_questions"] = json!(["Which book changed you?"]);
        body["rules"] = json!("1. Be kind.\n2. No ads.");
        let (s, c) = owner.post("/api/v1/communities", body).await;
        assert_eq!(s, StatusCode::CREATED, "{b:?} {c}");
        assert_eq!(c["rules_version"], 1);
        assert_eq!(c["membership"]["role"], "owner");
        let cid = c["id"].as_i64().unwrap();

        // Joining needs the rules accepted and one answer per question.
        assert_error(
            &alice.post("/api/v1/communities/book-club/join", json!({"answers": ["Dune"]})).await,
            422,
            "rules_not_accepted",
            Some("accept_rules"),
        );
        assert_error(
            &alice.post("/api/v1/communities/book-club/join", json!({"accept_rules": true})).await,
            422,
            "answer_count",
            Some("answers"),
        );
        let (s, out) =
            alice.post("/api/v1/communities/book-club/join", json!({"accept_rules": true, "answers": ["Dune"]})).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{out}");
        assert_eq!(out["status"], "pending");
        let rid = out["request_id"].as_i64().unwrap();
        assert_error(
            &alice.post("/api/v1/communities/book-club/join", json!({"accept_rules": true, "answers": ["Dune"]})).await,
            409,
            "request_pending",
            None,
        );
        // Not yet a member: cannot post.
        assert_error(
            &alice.post("/api/v1/communities/book-club/posts", json!({"body": "hi"})).await,
            403,
            "members_only",
            None,
        );

        let (s, queue) = owner.get("/api/v1/communities/book-club/join-requests").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(queue[0]["answers"][0]["question"], "Which book changed you?");
        assert_eq!(queue[0]["answers"][0]["answer"], "Dune");
        assert_error(
            &alice.post(&format!("/api/v1/join-requests/{rid}/approve"), json!({})).await,
            403,
            "insufficient_role",
            None,
        );
        let (s, decided) = owner.post(&format!("/api/v1/join-requests/{rid}/approve"), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{decided}");
        assert_eq!(decided["status"], "approved");
        assert_error(
            &owner.post(&format!("/api/v1/join-requests/{rid}/reject"), json!({"reason": "late"})).await,
            409,
            "already_decided",
            None,
        );
        let (_, mine) = alice.get("/api/v1/communities/book-club/join-requests/mine").await;
        assert_eq!(mine[0]["status"], "approved");
        let (_, c) = alice.get("/api/v1/communities/book-club").await;
        assert_eq!(c["membership"]["state"], "active");
        assert_eq!(c["membership"]["rules_version_accepted"], 1);
        assert_eq!(c["member_count"], 2);

        let (s, post) = alice
            .post(
                "/api/v1/communities/book-club/posts",
                json!({"title": "Hello", "body": "My **first** post <script>x</script>"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{post}");
        let pid = post["id"].as_i64().unwrap();
        assert!(post["body_html"].as_str().unwrap().contains("<strong>first</strong>"));
        assert!(!post["body_html"].as_str().unwrap().contains("<script"));

        let (s, cm) = owner.post(&format!("/api/v1/posts/{pid}/comments"), json!({"body": "Welcome!"})).await;
        assert_eq!(s, StatusCode::CREATED, "{cm}");
        let (s, rx) = alice.post(&format!("/api/v1/posts/{pid}/reactions"), json!({"emoji": "🎉"})).await;
        assert_eq!(s, StatusCode::OK, "{rx}");
        assert_eq!(rx[0]["emoji"], "🎉");
        assert_eq!(rx[0]["mine"], true);
        assert_error(
            &alice.post(&format!("/api/v1/posts/{pid}/essence"), json!({})).await,
            403,
            "insufficient_role",
            None,
        );
        let (s, p) = owner.post(&format!("/api/v1/posts/{pid}/essence"), json!({})).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(p["essence"], true);
        let (_, feed) = alice.get("/api/v1/communities/book-club/posts?feed=essence").await;
        assert_eq!(feed["posts"][0]["id"], pid);

        let (_, detail) = alice.get(&format!("/api/v1/posts/{pid}")).await;
        assert_eq!(detail["comments"][0]["body"], "Welcome!");
        assert_eq!(detail["post"]["comment_count"], 1);
        assert_eq!(detail["post"]["reaction_count"], 1);

        let (s, _) = owner.post("/api/v1/communities/book-club/members/alice/remove", json!({"reason": "test"})).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_error(
            &alice.post("/api/v1/communities/book-club/posts", json!({"body": "still here?"})).await,
            403,
            "members_only",
            None,
        );
        let (_, c) = owner.get("/api/v1/communities/book-club").await;
        assert_eq!(c["member_count"], 1);

        let kinds: Vec<String> = t.events(Some(cid)).await.into_iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                "community_created",
                "join_requested",
                "join_approved",
                "post_created",
                "badge_earned", // first post
                "comment_created",
                "reaction_added",
                "essence_set",
                "badge_earned", // essence author
                "member_removed"
            ],
            "{b:?}"
        );
    }
}

story! {
    /// Each state-changing action writes exactly one activity event; refused
    /// actions and no-ops write none.
    async fn each_action_writes_exactly_one_event(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        let bob = t.user("bob").await;
        let carol = t.user("carol").await;
        let (_, c) = owner.post("/api/v1/communities", community("club", "open")).await;
        let cid = c["id"].as_i64().unwrap();
        let (_, inv) = owner.post("/api/v1/communities/club/invites", json!({"max_uses": 5})).await;
        let code = inv["code"].as_str().unwrap().to_string();

        macro_rules! one {
            ($kind:expr, $call:expr, $status:expr) => {{
                let before = t.event_count().await;
                let got = $call;
                assert_eq!(got.0.as_u16(), $status, "{b:?} {}: {:?}", $kind, got.1);
                let evs = t.events(None).await;
                // Events subscribers derive (a badge a first post earns) are not the action's own.
                let derived = ["badge_earned", "level_reached"];
                let new: Vec<_> = evs.iter().filter(|e| e.id > before && !derived.contains(&e.kind.as_str())).collect();
                assert_eq!(new.len(), if $kind == "" { 0 } else { 1 }, "{b:?} {}: {:?}", $kind, new);
                if $kind != "" {
                    assert_eq!(new[0].kind, $kind);
                }
                got
            }};
        }
        one!("member_joined", bob.post("/api/v1/communities/club/join", json!({})).await, 200);
        one!("", bob.post("/api/v1/communities/club/join", json!({})).await, 409);
        one!("member_joined", carol.post("/api/v1/communities/club/join", json!({"invite_code": code})).await, 200);
        let (_, topic) =
            one!("topic_created", owner.post("/api/v1/communities/club/topics", json!({"name": "books"})).await, 201);
        let (_, post) = one!(
            "post_created",
            bob.post("/api/v1/communities/club/posts", json!({"body": "x", "topic_id": topic["id"]})).await,
            201
        );
        let pid = post["id"].as_i64().unwrap();
        one!(
            "post_edited",
            bob.call(reqwest::Method::PATCH, &format!("/api/v1/posts/{pid}"), Some(json!({"body": "y"}))).await,
            200
        );
        let (_, cm) = one!(
            "comment_created",
            carol.post(&format!("/api/v1/posts/{pid}/comments"), json!({"body": "c"})).await,
            201
        );
        one!(
            "reaction_added",
            carol.post(&format!("/api/v1/posts/{pid}/reactions"), json!({"emoji": "👍"})).await,
            200
        );
        one!("", carol.post(&format!("/api/v1/posts/{pid}/reactions"), json!({"emoji": "👍"})).await, 200);
        one!("reaction_removed", carol.delete(&format!("/api/v1/posts/{pid}/reactions?emoji=%F0%9F%91%8D")).await, 200);
        let cr = format!("/api/v1/comments/{}/reactions", cm["id"]);
        one!("comment_reaction_added", bob.post(&cr, json!({"emoji": "🙏"})).await, 200);
        one!("", bob.post(&cr, json!({"emoji": "🙏"})).await, 200);
        one!("comment_reaction_removed", bob.delete(&format!("{cr}?emoji=%F0%9F%99%8F")).await, 200);
        one!("post_pinned", owner.post(&format!("/api/v1/posts/{pid}/pin"), json!({})).await, 200);
        one!("", owner.post(&format!("/api/v1/posts/{pid}/pin"), json!({})).await, 200);
        one!("post_unpinned", owner.delete(&format!("/api/v1/posts/{pid}/pin")).await, 200);
        one!("essence_set", owner.post(&format!("/api/v1/posts/{pid}/essence"), json!({})).await, 200);
        one!("essence_unset", owner.delete(&format!("/api/v1/posts/{pid}/essence")).await, 200);
        one!("comment_deleted", carol.delete(&format!("/api/v1/comments/{}", cm["id"])).await, 204);
        one!(
            "role_changed",
            owner
                .call(
                    reqwest::Method::PUT,
                    "/api/v1/communities/club/members/bob/role",
                    Some(json!({"role": "moderator"}))
                )
                .await,
            204
        );
        one!(
            "rules_published",
            owner.call(reqwest::Method::PUT, "/api/v1/communities/club/rules", Some(json!({"body": "Be nice"}))).await,
            201
        );
        let (s, history) = owner.get("/api/v1/communities/club/rules/history").await;
        assert_eq!((s, history[0]["version"].as_i64()), (StatusCode::OK, Some(1)));
        assert_error(&carol.get("/api/v1/communities/club/rules/history").await, 403, "insufficient_role", None);
        one!("rules_accepted", carol.post("/api/v1/communities/club/rules/accept", json!({"version": 1})).await, 204);
        one!(
            "community_updated",
            owner.call(reqwest::Method::PATCH, "/api/v1/communities/club", Some(json!({"announcement": "hi"}))).await,
            200
        );
        one!("invite_created", carol.post("/api/v1/communities/club/invites", json!({})).await, 201);
        one!("post_deleted", bob.delete(&format!("/api/v1/posts/{pid}")).await, 204);
        one!(
            "member_banned",
            bob.post("/api/v1/communities/club/members/carol/ban", json!({"reason": "spam"})).await,
            204
        );
        one!("", carol.post("/api/v1/communities/club/join", json!({})).await, 403);
        one!("member_unbanned", owner.post("/api/v1/communities/club/members/carol/unban", json!({})).await, 204);
        one!("member_left", bob.post("/api/v1/communities/club/leave", json!({})).await, 204);
        one!(
            "profile_updated",
            bob.call(reqwest::Method::PATCH, "/api/v1/me", Some(json!({"bio": "hello"}))).await,
            200
        );
        // Counters stayed consistent with the changes above.
        let (_, c2) = owner.get("/api/v1/communities/club").await;
        assert_eq!(c2["member_count"], 1, "{b:?}");
        assert_eq!(c2["post_count"], 0, "{b:?}");
        // The referral tree: carol was invited by the owner.
        let evs = t.events(Some(cid)).await;
        let carol_join = evs.iter().find(|e| e.kind == "member_joined" && e.actor_id == Some(carol.id)).unwrap();
        assert!(carol_join.payload.contains(&format!("\"invited_by\":{}", owner.id)), "{}", carol_join.payload);
    }
}

story! {
    /// Every limit answers with the right status, code and field, and nothing is half-written.
    async fn bad_input_gets_clear_errors(t: TestApp) {
        let b = t.backend;
        let u = t.user("user1").await;
        let long = "x".repeat(101);
        assert_error(
            &u.post("/api/v1/communities", json!({"slug": "ok-slug", "name": long})).await,
            422,
            "too_long",
            Some("name"),
        );
        assert_error(
            &u.post("/api/v1/communities", json!({"slug": "Bad Slug!", "name": "n"})).await,
            422,
            "invalid_slug",
            Some("slug"),
        );
        assert_error(&u.post("/api/v1/communities", json!({"slug": "ok"})).await, 422, "invalid_field", Some("name"));
        assert_error(
            &u.post("/api/v1/communities", json!({"slug": "ok", "name": "n", "visibility": "secret"})).await,
            422,
            "invalid_choice",
            Some("visibility"),
        );
        assert_error(
            &u.post("/api/v1/communities", json!({"slug": "ok", "name": "n", "time_zone": "Mars/Olympus"})).await,
            422,
            "invalid_time_zone",
            Some("time_zone"),
        );
        let six: Vec<String> = (0..6).map(|i| format!("q{i}")).collect();
        assert_error(
            &u.post("/api/v1/communities", json!({"slug": "ok", "name": "n", "entry_questions": six})).await,
            422,
            "too_many",
            Some("entry_questions"),
        );
        // Rules over 100 KB: refused after the slug was valid, and no community was left behind.
        assert_error(
            &u.post("/api/v1/communities", json!({"slug": "half", "name": "n", "rules": "r".repeat(100 * 1024 + 1)}))
                .await,
            422,
            "too_long",
            Some("rules"),
        );
        assert_error(&u.get("/api/v1/communities/half").await, 404, "not_found", None);

        let (s, _) = u.post("/api/v1/communities", community("dup", "open")).await;
        assert_eq!(s, StatusCode::CREATED);
        assert_error(&u.post("/api/v1/communities", community("dup", "open")).await, 409, "slug_taken", Some("slug"));
        assert_error(&u.post("/api/v1/communities/dup/join", json!({})).await, 409, "already_member", None);

        // Post body: 100 KB is fine, one byte more is not.
        let (s, _) = u.post("/api/v1/communities/dup/posts", json!({"body": "b".repeat(100 * 1024)})).await;
        assert_eq!(s, StatusCode::CREATED);
        assert_error(
            &u.post("/api/v1/communities/dup/posts", json!({"body": "b".repeat(100 * 1024 + 1)})).await,
            422,
            "too_large",
            Some("body"),
        );
        assert_error(
            &u.post("/api/v1/communities/dup/posts", json!({"body": "  "})).await,
            422,
            "required",
            Some("body"),
        );
        assert_error(
            &u.post("/api/v1/communities/dup/posts", json!({"body": "x", "topic_id": 999})).await,
            422,
            "unknown_topic",
            Some("topic_id"),
        );
        // Request body over 1 MB.
        let big = json!({"body": "b".repeat(1024 * 1024 + 10)});
        assert_error(&u.post("/api/v1/communities/dup/posts", big).await, 413, "payload_too_large", None);
        // Malformed JSON and wrong content type.
        let r = u
            .client
            .post(format!("{}/api/v1/communities", t.base))
            .bearer_auth(&u.token)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_error(&decode(r).await, 400, "malformed_json", None);
        let r = u
            .client
            .post(format!("{}/api/v1/communities", t.base))
            .bearer_auth(&u.token)
            .body("slug=x")
            .send()
            .await
            .unwrap();
        assert_error(&decode(r).await, 415, "unsupported_media_type", None);
        // Bad paths, queries, cursors.
        assert_error(&u.get("/api/v1/posts/abc").await, 400, "invalid_path", None);
        assert_error(&u.get("/api/v1/communities/dup/posts?cursor=zzz").await, 422, "invalid_cursor", Some("cursor"));
        assert_error(&u.get("/api/v1/communities/dup/posts?limit=0").await, 422, "out_of_range", Some("limit"));
        assert_error(&u.get("/api/v1/communities/dup/posts?limit=x").await, 400, "invalid_query", None);
        assert_error(&u.get("/api/v1/posts/999999").await, 404, "not_found", None);
        assert_error(&u.get("/api/v1/no-such-endpoint").await, 404, "not_found", None);
        // Text with NUL characters is refused, not passed to the database.
        assert_error(
            &u.post("/api/v1/communities/dup/posts", json!({"body": "a\u{0}b"})).await,
            422,
            "invalid_characters",
            Some("body"),
        );
        // FAQ phrasings refuse NUL like every other field; nothing is written.
        for q in ["a\u{0}b", "two\nlines"] {
            let body = json!({"questions": ["how much", q], "answer": "Free."});
            assert_error(&u.post("/api/v1/communities/dup/faq", body).await, 422, "invalid_characters", Some("questions"));
        }
        assert_eq!(t.count("SELECT COUNT(*) FROM faq_entries").await, 0);
        let (s, _) = u.get("/api/v1/communities/dup/members?q=%00").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        // Strings PostgreSQL would refuse never reach it: they are simply not found.
        assert_error(&u.get("/api/v1/communities/du%00p").await, 404, "not_found", None);
        assert_error(&u.get("/api/v1/invites/a%00b").await, 404, "not_found", None);
        let r = reqwest::Client::new()
            .post(t.url("/api/v1/auth/login"))
            .json(&json!({"username": "us\u{0}er", "password": "x"}))
            .send()
            .await
            .unwrap();
        assert_error(&decode(r).await, 401, "invalid_credentials", None);
        // Unauthenticated and unknown tokens.
        let anon = reqwest::Client::new();
        let r =
            anon.post(format!("{}/api/v1/communities", t.base)).json(&community("anon", "open")).send().await.unwrap();
        assert_error(&decode(r).await, 401, "unauthenticated", None);
        let r = anon.get(format!("{}/api/v1/me", t.base)).bearer_auth("yaji_nope").send().await.unwrap();
        assert_error(&decode(r).await, 401, "invalid_token", None);
        // Using a token records when (to the minute); revoking it locks it out.
        let (_, tokens) = u.get("/api/v1/me/tokens").await;
        let mut used = None;
        for _ in 0..50 {
            let (_, tokens) = u.get("/api/v1/me/tokens").await;
            used = tokens[0]["last_used_at"].as_str().map(str::to_string);
            if used.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(used.is_some(), "{b:?} {tokens}");
        let id = tokens[0]["id"].as_i64().unwrap();
        assert_eq!(u.delete(&format!("/api/v1/me/tokens/{id}")).await.0, StatusCode::NO_CONTENT);
        assert_error(&u.get("/api/v1/me").await, 401, "invalid_token", None);
    }
}

story! {
    async fn login_errors_are_uniform_and_rate_limited(t: TestApp) {
        t.user("victim").await;
        let c = reqwest::Client::new();
        let attempt = |u: &'static str| {
            let c = c.clone();
            let url = t.url("/api/v1/auth/login");
            async move {
                decode(c.post(url).json(&json!({"username": u, "password": "wrong password!"})).send().await.unwrap())
                    .await
            }
        };
        let unknown = attempt("nobody-here").await;
        let wrong = attempt("victim").await;
        assert_eq!(unknown, wrong, "unknown user and wrong password must look the same");
        assert_error(&wrong, 401, "invalid_credentials", None);
        for _ in 0..9 {
            attempt("victim").await;
        }
        let r = c
            .post(t.url("/api/v1/auth/login"))
            .json(&json!({"username": "victim", "password": "correct horse battery"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry > 0 && retry <= 900, "{retry}");
        assert_error(&decode(r).await, 429, "rate_limited", None);
    }
}

#[tokio::test]
async fn csrf_protects_cookie_sessions_only() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    t.user("sam").await;
    let c = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let (_, login) = decode(
        c.post(t.url("/api/v1/auth/login"))
            .json(&json!({"username": "sam", "password": "correct horse battery"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let csrf = login["csrf_token"].as_str().unwrap();
    let without =
        decode(c.post(t.url("/api/v1/communities")).json(&community("x1", "open")).send().await.unwrap()).await;
    assert_error(&without, 403, "csrf_failed", None);
    let wrong = decode(
        c.post(t.url("/api/v1/communities"))
            .header("x-csrf-token", "nope")
            .json(&community("x1", "open"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&wrong, 403, "csrf_failed", None);
    let ok = c
        .post(t.url("/api/v1/communities"))
        .header("x-csrf-token", csrf)
        .json(&community("x1", "open"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::CREATED);
    // Web forms: a POST without the form token is refused with a page.
    let r = c.post(t.url("/c/new")).form(&[("slug", "x2"), ("name", "n")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Session cookie attributes.
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/auth/login"))
        .json(&json!({"username": "sam", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    t.cleanup().await;
}

story! {
    async fn roles_never_act_upward_and_private_content_is_for_members(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        let admin = t.user("admin1").await;
        let moder = t.user("mod1").await;
        let member = t.user("member1").await;
        let outsider = t.user("outsider").await;
        let mut body = community("secret", "open");
        body["visibility"] = json!("private");
        owner.post("/api/v1/communities", body).await;
        for u in [&admin, &moder, &member] {
            assert_eq!(u.post("/api/v1/communities/secret/join", json!({})).await.0, StatusCode::OK);
        }
        owner
            .call(
                reqwest::Method::PUT,
                "/api/v1/communities/secret/members/admin1/role",
                Some(json!({"role": "admin"})),
            )
            .await;
        admin
            .call(
                reqwest::Method::PUT,
                "/api/v1/communities/secret/members/mod1/role",
                Some(json!({"role": "moderator"})),
            )
            .await;
        assert_error(
            &admin
                .call(
                    reqwest::Method::PUT,
                    "/api/v1/communities/secret/members/member1/role",
                    Some(json!({"role": "admin"})),
                )
                .await,
            403,
            "insufficient_role",
            None,
        );
        assert_error(
            &moder.post("/api/v1/communities/secret/members/admin1/remove", json!({})).await,
            403,
            "target_outranks",
            None,
        );
        assert_error(
            &admin.post("/api/v1/communities/secret/members/owner/ban", json!({})).await,
            403,
            "target_outranks",
            None,
        );
        assert_error(
            &member.post("/api/v1/communities/secret/members/mod1/remove", json!({})).await,
            403,
            "insufficient_role",
            None,
        );
        assert_eq!(
            moder.post("/api/v1/communities/secret/members/member1/remove", json!({"reason": "r"})).await.0,
            StatusCode::NO_CONTENT
        );
        assert_error(&owner.post("/api/v1/communities/secret/leave", json!({})).await, 403, "owner_cannot_leave", None);
        // The directory tells each viewer what they may do to whom (from the same permission core).
        let (_, dir) = admin.get("/api/v1/communities/secret/members").await;
        let actions = |name: &str| {
            dir.as_array().unwrap().iter().find(|m| m["user"]["username"] == name).unwrap()["actions"].clone()
        };
        assert_eq!(actions("mod1")["remove"], true, "{b:?}");
        assert_eq!(actions("mod1")["assign_roles"], json!(["moderator", "member"]));
        assert_eq!(actions("owner")["ban"], false);
        assert_eq!(actions("admin1")["remove"], false, "never on yourself");
        let (_, dir) = moder.get("/api/v1/communities/secret/members").await;
        assert!(dir.as_array().unwrap().iter().all(|m| m["actions"]["assign_roles"] == json!([])));
        // Private: the card is visible, the content is not.
        let (s, card) = outsider.get("/api/v1/communities/secret").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(card["abilities"]["read"], false);
        assert_error(&outsider.get("/api/v1/communities/secret/posts").await, 403, "members_only", None);
        assert_error(&outsider.get("/api/v1/communities/secret/members").await, 403, "members_only", None);
        let (_, p) = owner.post("/api/v1/communities/secret/posts", json!({"body": "inside"})).await;
        // A private post is not there for those who may not read it: the same
        // answer as for an id never used, for outsiders and visitors, on every route.
        let hidden = outsider.get(&format!("/api/v1/posts/{}", p["id"])).await;
        assert_eq!(hidden, outsider.get("/api/v1/posts/99999999").await);
        assert_error(&hidden, 404, "not_found", None);
        let anon_post = decode(reqwest::get(t.url(&format!("/api/v1/posts/{}", p["id"]))).await.unwrap()).await;
        assert_error(&anon_post, 404, "not_found", None);
        for (path, body) in [("comments", json!({"body": "hi"})), ("reactions", json!({"emoji": "👍"}))] {
            let r = outsider.post(&format!("/api/v1/posts/{}/{path}", p["id"]), body.clone()).await;
            assert_eq!(r, outsider.post(&format!("/api/v1/posts/99999999/{path}"), body).await, "{path}");
        }
        let web = reqwest::get(t.url(&format!("/p/{}", p["id"]))).await.unwrap();
        assert_eq!(web.status(), StatusCode::NOT_FOUND, "the page too");
        let anon = decode(reqwest::get(t.url("/api/v1/communities/secret/posts")).await.unwrap()).await;
        assert_error(&anon, 401, "unauthenticated", None);
        // A removed member no longer sees the post; members can't curate;
        // authors can't be edited by others.
        assert_error(&member.post(&format!("/api/v1/posts/{}/pin", p["id"]), json!({})).await, 404, "not_found", None);
        let (_, card) = outsider.post("/api/v1/communities/secret/join", json!({})).await;
        assert_eq!(card["status"], "joined", "{card}");
        assert_error(
            &outsider.post(&format!("/api/v1/posts/{}/pin", p["id"]), json!({})).await,
            403,
            "insufficient_role",
            None,
        );
        assert_error(
            &admin
                .call(reqwest::Method::PATCH, &format!("/api/v1/posts/{}", p["id"]), Some(json!({"body": "hijack"})))
                .await,
            403,
            "not_author",
            None,
        );
    }
}

story! {
    async fn invites_respect_limits_and_record_the_inviter(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("vip", "invite_only")).await;
        let friend = t.user("friend").await;
        assert_error(&friend.post("/api/v1/communities/vip/join", json!({})).await, 403, "invite_required", None);
        let (_, inv) =
            owner.post("/api/v1/communities/vip/invites", json!({"max_uses": 2, "expires_in_hours": 24})).await;
        let code = inv["code"].as_str().unwrap();
        assert_error(
            &friend.post("/api/v1/communities/vip/join", json!({"invite_code": "bogus"})).await,
            422,
            "invalid_invite",
            Some("invite_code"),
        );
        // Five people race for two places.
        let mut users = vec![];
        for i in 0..5 {
            users.push(t.user(&format!("racer{i}")).await);
        }
        let results =
            join_all(users.iter().map(|u| u.post("/api/v1/communities/vip/join", json!({"invite_code": code})))).await;
        let ok = results.iter().filter(|r| r.0 == StatusCode::OK).count();
        let exhausted = results
            .iter()
            .filter(|r| r.0 == StatusCode::CONFLICT && r.1["error"]["code"] == "invite_exhausted")
            .count();
        assert_eq!((ok, exhausted), (2, 3), "{b:?} {results:?}");
        let (_, members) = owner.get("/api/v1/communities/vip/members?role=member").await;
        assert_eq!(members.as_array().unwrap().len(), 2);
        assert!(members.as_array().unwrap().iter().all(|m| m["invited_by"] == owner.id));
        let (_, target) = friend.get(&format!("/api/v1/invites/{code}")).await;
        assert_eq!(target["invite"]["uses"], 2);
        assert_error(
            &owner.post("/api/v1/communities/vip/invites", json!({"max_uses": 0})).await,
            422,
            "out_of_range",
            Some("max_uses"),
        );
        assert_error(
            &friend.post("/api/v1/communities/vip/join", json!({"invite_code": "a\u{0}b"})).await,
            422,
            "invalid_invite",
            Some("invite_code"),
        );
    }
}

story! {
    async fn concurrent_comments_keep_counts_exact(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("busy", "open")).await;
        let (_, p) = owner.post("/api/v1/communities/busy/posts", json!({"body": "discuss"})).await;
        let pid = p["id"].as_i64().unwrap();
        let before = t.event_count().await;
        let path = format!("/api/v1/posts/{pid}/comments");
        let results = join_all((0..40).map(|i| owner.post(&path, json!({"body": format!("c{i}")})))).await;
        assert!(results.iter().all(|r| r.0 == StatusCode::CREATED), "{b:?} {results:?}");
        let (_, d) = owner.get(&format!("/api/v1/posts/{pid}")).await;
        assert_eq!(d["post"]["comment_count"], 40);
        assert_eq!(d["comments"].as_array().unwrap().len(), 40);
        assert_eq!(t.event_count().await - before, 40);
    }
}

story! {
    async fn feeds_paginate_edit_history_and_soft_delete(t: TestApp) {
        let b = t.backend;
        let u = t.user("writer").await;
        u.post("/api/v1/communities", community("feed", "open")).await;
        let mut ids = vec![];
        for i in 0..25 {
            let (_, p) = u.post("/api/v1/communities/feed/posts", json!({"body": format!("post {i}")})).await;
            ids.push(p["id"].as_i64().unwrap());
        }
        let mut seen = vec![];
        let mut cursor: Option<String> = None;
        loop {
            let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
            let (s, page) = u.get(&format!("/api/v1/communities/feed/posts?limit=10{q}")).await;
            assert_eq!(s, StatusCode::OK);
            seen.extend(page["posts"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        ids.reverse();
        assert_eq!(seen, ids, "{b:?}: newest first, each once");

        let pid = ids[0];
        let r = u
            .call(
                reqwest::Method::PATCH,
                &format!("/api/v1/posts/{pid}"),
                Some(json!({"title": "New", "body": "edited"})),
            )
            .await;
        assert_eq!(r.1["body"], "edited");
        assert!(r.1["edited_at"].is_string());
        let (_, revs) = u.get(&format!("/api/v1/posts/{pid}/revisions")).await;
        assert_eq!(revs[0]["body"], "post 24");
        assert_eq!(u.delete(&format!("/api/v1/posts/{pid}")).await.0, StatusCode::NO_CONTENT);
        assert_error(&u.get(&format!("/api/v1/posts/{pid}")).await, 404, "not_found", None);
        let (_, page) = u.get("/api/v1/communities/feed/posts?limit=1").await;
        assert_eq!(page["posts"][0]["id"], ids[1]);
    }
}

story! {
    async fn member_directory_searches_and_filters(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("dir", "open")).await;
        for name in ["lin.xiaoyu", "emma_chen", "lin.hao"] {
            let u = t.user(name).await;
            u.post("/api/v1/communities/dir/join", json!({})).await;
        }
        let (_, r) = owner.get("/api/v1/communities/dir/members?q=LIN").await;
        let names: Vec<_> =
            r.as_array().unwrap().iter().map(|m| m["user"]["username"].as_str().unwrap().to_string()).collect();
        assert_eq!(names, ["lin.xiaoyu", "lin.hao"], "{b:?}");
        // LIKE wildcards in the search are literal.
        let (_, r) = owner.get("/api/v1/communities/dir/members?q=_").await;
        assert_eq!(r.as_array().unwrap().len(), 1, "{b:?} {r}");
        let (_, r) = owner.get("/api/v1/communities/dir/members?role=owner").await;
        assert_eq!(r[0]["user"]["username"], "owner");
        assert_error(
            &owner.get("/api/v1/communities/dir/members?role=king").await,
            422,
            "invalid_choice",
            Some("role"),
        );
    }
}

#[tokio::test]
async fn openapi_documents_every_api_route() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let doc: serde_json::Value = reqwest::get(t.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"].as_str().unwrap().chars().next(), Some('3'));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/communities",
        "/api/v1/communities/{slug}",
        "/api/v1/communities/{slug}/posts",
        "/api/v1/posts/{id}",
        "/api/v1/posts/{id}/comments",
        "/api/v1/communities/{slug}/join",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    // Every documented operation answers something other than "no such route".
    let u = t.user("probe").await;
    for (path, ops) in paths {
        let concrete = path
            .replace("{slug}", "none")
            .replace("{id}", "1")
            .replace("{username}", "nobody")
            .replace("{code}", "zzz");
        for method in ops.as_object().unwrap().keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (s, body) = u.call(m.clone(), &concrete, None).await;
            assert_ne!(s, StatusCode::METHOD_NOT_ALLOWED, "{m} {path}");
            assert!(s != StatusCode::NOT_FOUND || body["error"]["message"] != "no such API endpoint", "{m} {path}");
        }
    }
    t.cleanup().await;
}

#[tokio::test]
async fn demo_seeds_a_living_bilingual_community_deterministically() {
    let mut reports = vec![];
    // One clock for every run: the demo drops what it would schedule after "now".
    let now = yaji_store::now_millis();
    for b in Backend::ALL.into_iter().chain([Backend::Sqlite]) {
        let t = TestApp::spawn(b).await;
        let r = t.app.seed_demo_at(now, true).await.unwrap().expect("fresh database gets the demo");
        assert!(r.communities >= 3 && r.members >= 200, "{r:?}");
        assert!(r.posts + r.comments + r.reactions >= 1000, "{r:?}");
        assert!(t.app.seed_demo(true).await.unwrap().is_none(), "second run changes nothing");
        let list: serde_json::Value = reqwest::get(t.url("/api/v1/communities")).await.unwrap().json().await.unwrap();
        let policies: std::collections::BTreeSet<_> = list["communities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["join_policy"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(policies.len(), 3, "open, approval and invite-only communities");
        // History spans the past 90 days, with Chinese and English content.
        let evs = t.events(None).await;
        let span = evs.iter().map(|e| e.occurred_at).max().unwrap() - evs.iter().map(|e| e.occurred_at).min().unwrap();
        assert!(span > 85 * 86_400_000, "{span}");
        let feed: serde_json::Value =
            reqwest::get(t.url("/api/v1/communities/tea-house/posts?limit=100")).await.unwrap().json().await.unwrap();
        let text: String =
            feed["posts"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap_or("")).collect();
        assert!(
            text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
                && text.chars().any(|c| c.is_ascii_alphabetic())
        );
        reports.push((r.posts, r.comments, r.reactions, evs.len()));
        t.cleanup().await;
    }
    assert!(reports.windows(2).all(|w| w[0] == w[1]), "same seed, same data: {reports:?}");
}

story! {
    /// Ten simultaneous applications from one person leave exactly one pending request.
    async fn concurrent_applications_leave_one_pending_request(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("gate", "approval")).await;
        let eager = t.user("eager").await;
        let results = join_all((0..10).map(|_| eager.post("/api/v1/communities/gate/join", json!({})))).await;
        let accepted = results.iter().filter(|r| r.0 == StatusCode::ACCEPTED).count();
        let pending =
            results.iter().filter(|r| r.0 == StatusCode::CONFLICT && r.1["error"]["code"] == "request_pending").count();
        assert_eq!((accepted, pending), (1, 9), "{b:?} {results:?}");
        let (_, queue) = owner.get("/api/v1/communities/gate/join-requests").await;
        assert_eq!(queue.as_array().unwrap().len(), 1);
        let kinds: Vec<String> =
            t.events(None).await.into_iter().map(|e| e.kind).filter(|k| k == "join_requested").collect();
        assert_eq!(kinds.len(), 1, "{b:?}");
    }
}

story! {
    /// Visitors who are not logged in get feed and post pages from a cache (SQLite), which
    /// must never show what was true before a commit: the server's own writes, a
    /// write from another connection (as the CLI next to a server makes), and a
    /// community turning private all show at once.
    #[tokio::test]
    async fn anonymous_feed_cache_is_never_stale(b) {
        let t = TestApp::spawn(b).await;
        let u = t.user("host").await;
        u.post("/api/v1/communities", community("cached", "open")).await;
        u.post("/api/v1/communities/cached/posts", json!({"body": "first"})).await;
        let anon = reqwest::Client::new();
        let feed = || async {
            let r = anon.get(format!("{}/api/v1/communities/cached/posts", t.base)).send().await.unwrap();
            let status = r.status();
            let v: serde_json::Value = r.json().await.unwrap();
            let bodies: Vec<String> = v["posts"]
                .as_array()
                .map(|a| a.iter().map(|p| p["excerpt"].as_str().unwrap_or_default().to_string()).collect())
                .unwrap_or_default();
            (status, bodies)
        };
        assert_eq!(feed().await, (StatusCode::OK, vec!["first".to_string()]), "{b:?}");
        assert_eq!(feed().await, (StatusCode::OK, vec!["first".to_string()]), "{b:?}: served again");

        u.post("/api/v1/communities/cached/posts", json!({"body": "second"})).await;
        assert_eq!(feed().await.1, vec!["second".to_string(), "first".to_string()], "{b:?}: own write");

        let other = yaji_store::Db::connect(&t.db_url).await.unwrap();
        let mut tx = other.write().await.unwrap();
        yaji_store::sql::query("UPDATE posts SET excerpt = 'changed elsewhere' WHERE excerpt = 'first'")
            .execute(tx.conn())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        other.close().await;
        assert_eq!(
            feed().await.1,
            vec!["second".to_string(), "changed elsewhere".to_string()],
            "{b:?}: other connection"
        );

        // The post page too: a new comment shows at once.
        let (_, p) = u.post("/api/v1/communities/cached/posts", json!({"body": "with comments"})).await;
        let post_url = format!("{}/api/v1/posts/{}", t.base, p["id"]);
        let comments = || async {
            let v: serde_json::Value = anon.get(&post_url).send().await.unwrap().json().await.unwrap();
            v["comments"].as_array().map(Vec::len).unwrap_or(usize::MAX)
        };
        assert_eq!(comments().await, 0, "{b:?}");
        assert_eq!(comments().await, 0, "{b:?}");
        u.post(&format!("/api/v1/posts/{}/comments", p["id"]), json!({"body": "a reply"})).await;
        assert_eq!(comments().await, 1, "{b:?}: new comment");

        let (s, _) =
            u.call(reqwest::Method::PATCH, "/api/v1/communities/cached", Some(json!({"visibility": "private"}))).await;
        assert_eq!(s, StatusCode::OK, "{b:?}");
        let (status, bodies) = feed().await;
        assert!(status.is_client_error() && bodies.is_empty(), "{b:?}: private now, got {status}");
    }
}

story! {
    /// Members' reads are served from caches too (SQLite): their session or
    /// token, their standing in the community, the feed page. None of them may
    /// outlive a commit — a ban, a revoked token, a deleted session, a profile
    /// change from another connection — nor a session's expiry, which no commit marks.
    #[tokio::test]
    async fn member_caches_are_never_stale(b) {
        let t = TestApp::spawn(b).await;
        let host = t.user("host").await;
        let mut body = community("inner", "open");
        body["visibility"] = json!("private");
        assert_eq!(host.post("/api/v1/communities", body).await.0, StatusCode::CREATED, "{b:?}");
        host.post("/api/v1/communities/inner/posts", json!({"body": "members only"})).await;
        let m = t.user("member").await;
        assert_eq!(m.post("/api/v1/communities/inner/join", json!({"accept_rules": true})).await.0, StatusCode::OK);
        for round in 0..2 {
            let (s, v) = m.get("/api/v1/communities/inner/posts").await;
            assert_eq!((s, v["posts"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{b:?} round {round}");
        }
        // A visitor shares no cached page with members of a private community.
        let anon = reqwest::Client::new();
        let r = anon.get(t.url("/api/v1/communities/inner/posts")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{b:?}");

        host.post("/api/v1/communities/inner/members/member/ban", json!({"reason": "spam"})).await;
        assert_eq!(m.get("/api/v1/communities/inner/posts").await.0, StatusCode::FORBIDDEN, "{b:?}: banned");

        // Another process (the CLI, a second server) writes to the same database.
        let run = |sql: String| write_elsewhere(&t.db_url, sql);
        assert_eq!(m.get("/api/v1/me").await.1["display_name"], "member", "{b:?}");
        run(format!("UPDATE users SET display_name = 'Renamed' WHERE id = {}", m.id)).await;
        assert_eq!(m.get("/api/v1/me").await.1["display_name"], "Renamed", "{b:?}: profile changed elsewhere");
        run(format!("UPDATE api_tokens SET revoked_at = 1 WHERE user_id = {}", m.id)).await;
        assert_error(&m.get("/api/v1/me").await, 401, "invalid_token", None);

        // A browser session: deleted elsewhere, and expired with nothing committed.
        let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let login = || async {
            let r = browser
                .post(t.url("/api/v1/auth/login"))
                .json(&json!({"username": "host", "password": "correct horse battery"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        };
        let me = || async { browser.get(t.url("/api/v1/me")).send().await.unwrap().status() };
        login().await;
        assert_eq!(me().await, StatusCode::OK, "{b:?}");
        assert_eq!(me().await, StatusCode::OK, "{b:?}");
        run(format!("DELETE FROM sessions WHERE user_id = {}", host.id)).await;
        assert_eq!(me().await, StatusCode::UNAUTHORIZED, "{b:?}: session deleted elsewhere");

        login().await;
        let soon = yaji_store::now_millis() + 1_000;
        run(format!("UPDATE sessions SET expires_at = {soon} WHERE user_id = {}", host.id)).await;
        assert_eq!(me().await, StatusCode::OK, "{b:?}");
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        assert_eq!(me().await, StatusCode::UNAUTHORIZED, "{b:?}: expired");
        t.cleanup().await;
    }
}

/// One statement committed over a connection of its own, as another process would.
async fn write_elsewhere(url: &str, sql: String) {
    let db = yaji_store::Db::connect(url).await.unwrap();
    let mut tx = db.write().await.unwrap();
    yaji_store::sql::query(&sql).execute(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
    db.close().await;
}

story! {
    /// Removal and ban take one path whoever acts (a moderator here, the
    /// automod in the moderation stories): the member count drops once and the
    /// member is told, with the reason.
    #[tokio::test]
    async fn removed_and_banned_members_are_told_why(b) {
        let t = TestApp::spawn(b).await;
        let owner = t.user("owner").await;
        let (alice, bob) = (t.user("alice").await, t.user("bob").await);
        owner.post("/api/v1/communities", community("club", "open")).await;
        for m in [&alice, &bob] {
            let (s, _) = m.post("/api/v1/communities/club/join", json!({"accept_rules": true})).await;
            assert_eq!(s, StatusCode::OK, "{b:?}");
        }
        let (s, _) = owner.post("/api/v1/communities/club/members/alice/remove", json!({"reason": "off topic"})).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b:?}");
        let (s, _) = owner.post("/api/v1/communities/club/members/bob/ban", json!({"reason": "spam"})).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b:?}");
        for (who, kind, reason) in [(&alice, "member_removed", "off topic"), (&bob, "member_banned", "spam")] {
            let (_, notes) = who.get("/api/v1/me/notifications").await;
            let note = notes.as_array().unwrap().iter().find(|n| n["kind"] == kind).unwrap_or_else(|| panic!("{notes}"));
            assert_eq!(note["detail"]["reason"], reason, "{b:?}");
        }
        let (_, c) = owner.get("/api/v1/communities/club").await;
        assert_eq!(c["member_count"], 1, "{b:?}: only the owner is left");
        // Banning someone already removed changes their state but not the count again.
        let (s, _) = owner.post("/api/v1/communities/club/members/alice/ban", json!({"reason": "again"})).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b:?}");
        let (_, c) = owner.get("/api/v1/communities/club").await;
        assert_eq!(c["member_count"], 1, "{b:?}");
    }
}
