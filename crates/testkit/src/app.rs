//! The real application on port 0 over a fresh database, and an API client.

use std::net::SocketAddr;

use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{json, Value};
use yaji_app::platform::limits::Limits;
use yaji_app::{App, AppConfig, HashCost};
use yaji_store::Db;

use crate::{Backend, TestDb};

pub struct TestApp {
    pub backend: Backend,
    pub base: String,
    pub app: App,
    pub db: Db,
    /// The database URL, for a second connection as another process would open.
    pub db_url: String,
    /// The database (dropped with the app).
    pub store: TestDb,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Default::default()).await
    }

    /// [`TestApp::spawn`] whose webhooks may reach these internal addresses.
    pub async fn spawn_with(backend: Backend, webhook_allow: yaji_app::webhooks::AllowPrivate) -> TestApp {
        Self::spawn_cfg(backend, webhook_allow, None).await
    }

    /// [`TestApp::spawn`] with webhook and mail settings.
    pub async fn spawn_cfg(
        backend: Backend,
        webhook_allow: yaji_app::webhooks::AllowPrivate,
        mail: Option<yaji_app::notifications::email::MailConfig>,
    ) -> TestApp {
        // Stories that are not about write limits post as fast as they like; the
        // limit check still runs on every write, far from its ceiling.
        let n = 1_000_000;
        let limits = Limits {
            posts_per_minute: n,
            posts_per_hour: n,
            comments_per_minute: n,
            comments_per_hour: n,
            communities_per_day: n,
            reports_per_hour: n,
        };
        let cfg = AppConfig { hash_cost: HashCost::Fast, session_days: 30, webhook_allow, mail, limits };
        Self::spawn_app(backend, cfg, yaji_server::ServerConfig::default()).await
    }

    /// The product's own defaults for write limits (stories about the limits).
    pub async fn spawn_default_limits(backend: Backend) -> TestApp {
        let cfg = AppConfig { hash_cost: HashCost::Fast, ..Default::default() };
        Self::spawn_app(backend, cfg, yaji_server::ServerConfig::default()).await
    }

    /// The app with any configuration, served on a free port.
    pub async fn spawn_app(backend: Backend, cfg: AppConfig, server: yaji_server::ServerConfig) -> TestApp {
        let store = TestDb::new(backend).await;
        let db = store.db.clone();
        let app = App::new(db.clone(), cfg);
        let router = yaji_server::router(app.clone(), server);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr: SocketAddr = listener.local_addr().expect("its address");
        tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.expect("serve");
        });
        let db_url = store.url.clone();
        TestApp { backend, base: format!("http://{addr}"), app, db, db_url, store }
    }

    /// Closes the pools; the database itself goes when the `TestApp` is dropped.
    pub async fn cleanup(self) {
        self.db.close().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Logs `username` in through the API on `client` (keep its cookies to
    /// stay signed in): the answer, with `csrf_token`.
    pub async fn log_in(&self, client: &Client, username: &str) -> Value {
        let r = client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": crate::PASSWORD}))
            .send()
            .await
            .unwrap();
        r.json().await.unwrap()
    }

    /// Registers over HTTP, logs in, and creates a bearer token over HTTP.
    pub async fn user(&self, username: &str) -> User {
        self.user_with(username, None).await
    }

    /// Calls the API as `who` (its bearer token), or anonymously with none:
    /// the permission matrices try one call as several kinds of caller.
    pub async fn call_as(
        &self,
        who: Option<&User>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Client::new().request(method.parse().expect("an HTTP method"), self.url(path));
        if let Some(u) = who {
            req = req.bearer_auth(&u.token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        decode(req.send().await.unwrap()).await
    }

    /// [`TestApp::user`] signing up with a gathering's door pass (more than
    /// 20 sign-ups from one address need one).
    pub async fn user_with(&self, username: &str, event_pass: Option<&str>) -> User {
        let client = Client::builder().cookie_store(true).build().unwrap();
        let r = client
            .post(self.url("/api/v1/auth/register"))
            .json(&json!({"username": username, "password": crate::PASSWORD, "display_name": username, "event_pass": event_pass}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "register {username}: {}", r.text().await.unwrap());
        let login = self.log_in(&client, username).await;
        let csrf = login["csrf_token"].as_str().unwrap().to_string();
        let tok: Value = client
            .post(self.url("/api/v1/me/tokens"))
            .header("x-csrf-token", &csrf)
            .json(&json!({"name": "tests"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        User {
            name: username.to_string(),
            id: login["user"]["id"].as_i64().unwrap(),
            token: tok["secret"].as_str().unwrap().to_string(),
            base: self.base.clone(),
            client: Client::new(),
        }
    }

    pub async fn events(&self, community_id: Option<i64>) -> Vec<yaji_store::repo::activity::ActivityRow> {
        let mut c = self.db.read().await.unwrap();
        yaji_store::repo::activity::list(&mut c, community_id, 0, 1_000_000).await.unwrap()
    }

    /// Runs every due job, in batches, until none is left.
    pub async fn drain(&self) -> usize {
        let mut total = 0;
        loop {
            let n = self.app.work_batch("test", 16).await.unwrap();
            if n == 0 {
                return total;
            }
            total += n;
        }
    }

    /// Makes queued jobs of a kind due now (timers, retries), as if time had passed.
    pub async fn make_due(&self, kind: &str) {
        let mut tx = self.db.write().await.unwrap();
        yaji_store::sql::query("UPDATE jobs SET run_at = 0 WHERE status = 'queued' AND kind = $1")
            .bind(kind)
            .execute(tx.conn())
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    /// Runs one SQL statement (test setup: backdating, inspection).
    pub async fn exec(&self, sql: &str) {
        let mut tx = self.db.write().await.unwrap();
        yaji_store::sql::query(sql).execute(tx.conn()).await.unwrap();
        tx.commit().await.unwrap();
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let mut c = self.db.read().await.unwrap();
        yaji_store::sql::query_scalar(sql).fetch_one(&mut c).await.unwrap()
    }

    /// Rows of two integers.
    /// Points balances that differ from the sum of their member's ledger
    /// rows (0 when the books hold).
    pub async fn balances_off_ledger(&self) -> i64 {
        self.count(
            "SELECT COUNT(*) FROM points_balances b WHERE b.balance <> \
             (SELECT COALESCE(SUM(l.amount), 0) FROM points_ledger l WHERE l.community_id = b.community_id AND l.user_id = b.user_id)",
        )
        .await
    }

    pub async fn pairs(&self, sql: &str) -> Vec<(i64, i64)> {
        let mut c = self.db.read().await.unwrap();
        yaji_store::sql::query_as(sql).fetch_all(&mut c).await.unwrap()
    }

    pub async fn event_count(&self) -> i64 {
        let mut c = self.db.read().await.unwrap();
        yaji_store::repo::activity::max_id(&mut c).await.unwrap()
    }
}

/// An API client authenticated by a bearer token.
pub struct User {
    pub name: String,
    pub id: i64,
    pub token: String,
    pub base: String,
    pub client: Client,
}

impl User {
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{}", self.base, path)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        decode(req.send().await.unwrap()).await
    }
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }
}

pub async fn decode(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Asserts an API error's status, code and (optionally) field.
#[track_caller]
pub fn assert_error(got: &(StatusCode, Value), status: u16, code: &str, field: Option<&str>) {
    assert_eq!(got.0.as_u16(), status, "{:?}", got.1);
    assert_eq!(got.1["error"]["code"], code, "{:?}", got.1);
    if let Some(f) = field {
        assert_eq!(got.1["error"]["field"], f, "{:?}", got.1);
    }
}

pub fn community(slug: &str, policy: &str) -> Value {
    json!({"slug": slug, "name": format!("Community {slug}"), "join_policy": policy, "visibility": "public"})
}
