//! Email through a real SMTP server (aiosmtpd from PyPI, started here on
//! loopback, writing a Maildir we read back): per-kind modes, quiet hours,
//! digests, both languages, one-click unsubscribe.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use yaji_app::notifications::email::MailConfig;
use yaji_testkit::*;

/// An SMTP server on loopback for the length of a test.
struct Smtp {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Smtp {
    fn start() -> Smtp {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/test.sh installs it: pip install aiosmtpd)");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(15), "aiosmtpd did not start; is it installed?");
            std::thread::sleep(Duration::from_millis(50));
        }
        Smtp { child, port, dir }
    }

    /// Every message received so far, oldest first.
    fn messages(&self) -> Vec<String> {
        let new: PathBuf = self.dir.path().join("mail").join("new");
        let mut files: Vec<_> =
            std::fs::read_dir(&new).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        files.sort_by_key(|p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files.iter().map(|p: &PathBuf| read(p)).collect()
    }
}

fn read(p: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(p).unwrap()).replace("\r\n", "\n")
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A decoded header or body: lettre encodes non-ASCII subjects (RFC 2047) and bodies (quoted-printable or base64).
fn decoded(msg: &str) -> String {
    let (head, body) = msg.split_once("\n\n").unwrap_or((msg, ""));
    let mut out = String::new();
    for line in head.lines() {
        out.push_str(&decode_words(line));
        out.push('\n');
    }
    out.push('\n');
    if head.to_ascii_lowercase().contains("content-transfer-encoding: base64") {
        let b64: String = body.lines().collect();
        use base64::Engine;
        out.push_str(&String::from_utf8_lossy(
            &base64::engine::general_purpose::STANDARD.decode(b64.trim()).unwrap_or_default(),
        ));
    } else if head.to_ascii_lowercase().contains("quoted-printable") {
        out.push_str(&qp(body));
    } else {
        out.push_str(body);
    }
    out
}

fn qp(s: &str) -> String {
    let joined = s.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn decode_words(line: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find("=?") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 2..];
        let parts: Vec<&str> = tail.splitn(3, '?').collect();
        if parts.len() == 3 {
            if let Some(end) = parts[2].find("?=") {
                let text = &parts[2][..end];
                let bytes = if parts[1].eq_ignore_ascii_case("b") {
                    base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_default()
                } else {
                    qp(&text.replace('_', " ")).into_bytes()
                };
                out.push_str(&String::from_utf8_lossy(&bytes));
                // Whitespace between two encoded words is not text (RFC 2047).
                let after = &parts[2][end + 2..];
                rest = if after.trim_start().starts_with("=?") { after.trim_start() } else { after };
                continue;
            }
        }
        out.push_str("=?");
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Milliseconds of a UTC instant.
fn at(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_millis()
}

/// An app that mails through `smtp`, with an owner and the community `club`.
async fn mail_app(b: Backend, smtp: &Smtp) -> (TestApp, User) {
    let mail = MailConfig {
        smtp_url: format!("smtp://127.0.0.1:{}", smtp.port),
        from: "Yaji <noreply@yaji.test>".into(),
        public_url: "http://yaji.test".into(),
    };
    let t = TestApp::spawn_cfg(b, Default::default(), Some(mail)).await;
    let owner = t.user("owner").await;
    owner.post("/api/v1/communities", community("club", "open")).await;
    (t, owner)
}

#[tokio::test]
async fn notifications_become_email_with_modes_quiet_hours_digests_and_unsubscribe() {
    let smtp = Smtp::start();
    for b in Backend::ALL {
        let before = smtp.messages().len();
        let (t, owner) = mail_app(b, &smtp).await;
        let (alice, bob, carol) = (t.user("alice").await, t.user("bob").await, t.user("carol").await);
        for u in [&alice, &bob, &carol] {
            u.post("/api/v1/communities/club/join", json!({})).await;
        }
        // Bad input names its field; nothing saved.
        let e = alice
            .put("/api/v1/me/email", json!({"email": "not-an-address", "quiet_start": 22, "quiet_end": 8, "modes": {}}))
            .await;
        assert_error(&e, 422, "invalid_email", Some("email"));
        let e = alice
            .put("/api/v1/me/email", json!({"email": "a@example.com", "quiet_start": 25, "quiet_end": 8, "modes": {}}))
            .await;
        assert_error(&e, 422, "out_of_range", Some("quiet_start"));
        let e = alice
            .put(
                "/api/v1/me/email",
                json!({"email": "a@example.com", "quiet_start": 22, "quiet_end": 8, "modes": {"reply": "hourly"}}),
            )
            .await;
        assert_error(&e, 422, "invalid_choice", Some("modes"));
        let (st, prefs) = alice
            .put(
                "/api/v1/me/email",
                // Badge notices (a first post earns one) stay in the inbox here: this story counts replies and mentions.
                json!({"email": "alice@example.com", "quiet_start": 22, "quiet_end": 8, "modes": {"mention": "daily", "badge_earned": "off"}}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{prefs}");
        assert_eq!(prefs["modes"]["reply"], "immediate");
        assert_eq!(prefs["modes"]["mention"], "daily");
        carol.patch("/api/v1/me", json!({"locale": "en"})).await;
        carol
            .put(
                "/api/v1/me/email",
                json!({"email": "carol@example.com", "quiet_start": 0, "quiet_end": 0, "modes": {"badge_earned": "off"}}),
            )
            .await;

        let (_, post) = alice.post("/api/v1/communities/club/posts", json!({"body": "Where shall we meet?"})).await;
        let (_, cpost) = carol.post("/api/v1/communities/club/posts", json!({"body": "Hello from Carol"})).await;
        bob.post(&format!("/api/v1/posts/{}/comments", post["id"]), json!({"body": "At the tea house 茶馆"})).await;
        bob.post(&format!("/api/v1/posts/{}/comments", cpost["id"]), json!({"body": "Hi Carol"})).await;
        // bob has no address: his mention never reaches the mailer's list (alice gets a second reply).
        owner.post(&format!("/api/v1/posts/{}/comments", post["id"]), json!({"body": "@bob see you there"})).await;

        // 03:00 in Shanghai: quiet hours for alice; carol has none.
        let r = t.app.run_mail_sweep(at("2030-01-01T19:00:00Z")).await.unwrap();
        assert_eq!((r.emails_sent, r.waiting), (1, 2), "{b:?} {r:?}");
        // 10:00 in Shanghai: alice's replies go out, in one email.
        let r = t.app.run_mail_sweep(at("2030-01-02T02:00:00Z")).await.unwrap();
        assert_eq!((r.emails_sent, r.notifications_mailed), (1, 2), "{r:?}");
        let msgs: Vec<String> = smtp.messages()[before..].iter().map(|m| decoded(m)).collect();
        assert_eq!(msgs.len(), 2);
        let (to_carol, to_alice) = (&msgs[0], &msgs[1]);
        assert!(
            to_carol.contains("To: carol@example.com") && to_carol.contains("Subject: New reply · Community club"),
            "{to_carol}"
        );
        assert!(to_carol.contains("bob: Hi Carol") && to_carol.contains("Unsubscribe from all email"), "{to_carol}");
        assert!(to_alice.contains("To: alice@example.com") && to_alice.contains("Subject: 2 条新通知"), "{to_alice}");
        assert!(
            to_alice.contains("bob: At the tea house 茶馆") && to_alice.contains("owner: @bob see you there"),
            "{to_alice}"
        );
        assert!(to_alice.contains("退订全部邮件"), "{to_alice}");
        assert!(to_alice.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{to_alice}");
        // Nothing is sent twice.
        let r = t.app.run_mail_sweep(at("2030-01-02T02:05:00Z")).await.unwrap();
        assert_eq!(r.emails_sent, 0);

        // Mentions are on the daily digest for alice: the first sweep after 08:00 sends it, then not again that day.
        owner.post("/api/v1/communities/club/posts", json!({"body": "Agenda for @alice"})).await;
        let r = t.app.run_mail_sweep(at("2030-01-02T03:00:00Z")).await.unwrap();
        assert_eq!(r.emails_sent, 1, "{r:?}");
        owner.post("/api/v1/communities/club/posts", json!({"body": "More for @alice"})).await;
        let r = t.app.run_mail_sweep(at("2030-01-02T04:00:00Z")).await.unwrap();
        assert_eq!((r.emails_sent, r.waiting), (0, 1), "the next digest is tomorrow");
        let r = t.app.run_mail_sweep(at("2030-01-03T01:00:00Z")).await.unwrap();
        assert_eq!(r.emails_sent, 1);
        let digest = decoded(smtp.messages().last().unwrap());
        assert!(digest.contains("Subject: 每日摘要：1 条通知") && digest.contains("More for @alice"), "{digest}");

        // Turning a kind off stops it.
        alice
            .put(
                "/api/v1/me/email",
                json!({"email": "alice@example.com", "quiet_start": 22, "quiet_end": 8, "modes": {"reply": "off"}}),
            )
            .await;
        bob.post(&format!("/api/v1/posts/{}/comments", post["id"]), json!({"body": "Also bring tea"})).await;
        let r = t.app.run_mail_sweep(at("2030-01-03T02:00:00Z")).await.unwrap();
        assert_eq!((r.emails_sent, r.skipped), (0, 1));

        // One-click unsubscribe from the email's header (RFC 8058): POST, no session.
        let header = to_carol.lines().find(|l| l.starts_with("List-Unsubscribe: ")).unwrap();
        let url =
            header.trim_start_matches("List-Unsubscribe: <").trim_end_matches('>').replace("http://yaji.test", &t.base);
        let bad = url.replace("&t=", "&t=00");
        let r = reqwest::Client::new().post(&bad).body("List-Unsubscribe=One-Click").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = reqwest::Client::new().post(&url).body("List-Unsubscribe=One-Click").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let (_, prefs) = carol.get("/api/v1/me/email").await;
        assert!(prefs["modes"].as_object().unwrap().values().all(|m| m == "off"), "{prefs}");
        bob.post(&format!("/api/v1/posts/{}/comments", cpost["id"]), json!({"body": "Carol?"})).await;
        let r = t.app.run_mail_sweep(at("2030-01-03T02:30:00Z")).await.unwrap();
        assert_eq!(r.emails_sent, 0);
        // The page the body links to asks first, in the reader's language.
        let page_url = url.replace("/api/v1/unsubscribe", "/unsubscribe");
        let html = reqwest::Client::new()
            .get(&page_url)
            .header("accept-language", "en")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("Stop all email from this site?"));
        t.cleanup().await;
    }
}

/// A visitor who registered with a name and an email comes back by a
/// one-time sign-in link: mailed at once, opened as a page with a button
/// (a mail scanner that opens it signs no one in), used once.
#[tokio::test]
async fn light_accounts_come_back_by_a_sign_in_link() {
    let smtp = Smtp::start();
    for b in Backend::ALL {
        let before = smtp.messages().len();
        let (t, owner) = mail_app(b, &smtp).await;
        let soon = |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
        let (_, e) = owner
            .post(
                "/api/v1/communities/club/events",
                json!({"title": "茶会", "starts_at": soon(30), "ends_at": soon(32)}),
            )
            .await;
        let id = e["id"].as_i64().unwrap();
        let visitor = Browser::new(&t);
        let r = visitor
            .post(t.url(&format!("/api/v1/events/{id}/visitor-registrations")))
            .json(&json!({"display_name": "小王", "email": "Wang@Example.com"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);

        // An address nobody has: the same answer, nothing sent.
        let ask = |email: &str| {
            reqwest::Client::new()
                .post(t.url("/api/v1/auth/sign-in-link"))
                .json(&json!({"email": email, "next": format!("/events/{id}")}))
                .send()
        };
        assert_eq!(ask("nobody@example.com").await.unwrap().status(), StatusCode::ACCEPTED);
        assert_eq!(smtp.messages().len(), before);
        assert_eq!(ask("wang@example.com").await.unwrap().status(), StatusCode::ACCEPTED);
        let msgs = smtp.messages();
        assert_eq!(msgs.len(), before + 1, "{b:?}");
        let msg = decoded(&msgs[before]);
        assert!(msg.contains("To: wang@example.com") && msg.contains("小王"), "{msg}");
        let link = msg.lines().find(|l| l.starts_with("http://yaji.test/login/link/")).unwrap().to_string();
        let token = link.trim_start_matches("http://yaji.test/login/link/").split('?').next().unwrap().to_string();
        assert!(link.ends_with(&format!("?next=%2Fevents%2F{id}")), "{link}");
        // The secret is stored only as its hash.
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM sign_in_links WHERE token_hash = '{token}'")).await, 0);

        // Opening the link shows a button; only pressing it signs in, once.
        let phone = Browser::new(&t);
        let path = link.trim_start_matches("http://yaji.test");
        let (s, html) = phone.page(path).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            t.count("SELECT COUNT(*) FROM sign_in_links WHERE used_at IS NOT NULL").await,
            0,
            "a GET uses nothing"
        );
        let r = phone.post_form(&csrf_of(&html), path, &[]).await;
        assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/events/{id}?notice=signed_in"));
        let (_, page) = phone.page(&format!("/events/{id}")).await;
        assert!(page.contains("ticket-code"), "signed in as the visitor, the ticket shows");
        let again = reqwest::Client::new()
            .post(t.url("/api/v1/auth/sign-in-link/use"))
            .json(&json!({"token": token}))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::CONFLICT);
        // Five links an hour per account at most; asking more answers the same and sends nothing.
        for _ in 0..6 {
            ask("wang@example.com").await.unwrap();
        }
        assert_eq!(smtp.messages().len(), before + 5);
        t.cleanup().await;
    }
}
