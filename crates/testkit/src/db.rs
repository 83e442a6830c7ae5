//! Fresh databases for tests, removed on drop.

use yaji_store::Db;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
}

/// The PostgreSQL server tests create their databases on
/// (`YAJI_TEST_DATABASE_URL`, by default the local one the test command uses).
pub fn postgres_admin_url() -> String {
    std::env::var("YAJI_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url.split_once('?').map(|(b, q)| (b, format!("?{q}"))).unwrap_or((url, String::new()));
    let cut = base.rfind('/').filter(|i| *i > base.find("://").unwrap_or(0) + 2).unwrap_or(base.len());
    format!("{}/{db}{query}", &base[..cut])
}

/// A fresh, migrated database of one backend. Dropping it deletes it: the
/// SQLite file goes with its temporary directory, the PostgreSQL database is
/// dropped (with `FORCE`, so open connections do not keep it), also when the
/// test panics.
pub struct TestDb {
    pub backend: Backend,
    pub db: Db,
    /// For a second connection, as another process would open.
    pub url: String,
    /// The temporary directory (SQLite file, or scratch space for PostgreSQL tests).
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let t = Self::empty(backend).await;
        t.db.migrate().await.expect("migrations apply");
        t
    }

    /// A fresh database without the schema (for migration and CLI tests).
    pub async fn empty(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (url, pg) = match backend {
            Backend::Sqlite => (format!("sqlite://{}?mode=rwc", dir.path().join("yaji.db").display()), None),
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("yaji_test_{}", unique());
                let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL must be reachable at YAJI_TEST_DATABASE_URL: {e}"));
                sqlx::Executor::execute(&mut c, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("CREATE DATABASE");
                (with_database(&admin, &name), Some((admin, name)))
            }
        };
        let db = Db::connect(&url).await.expect("connect to the test database");
        TestDb { backend, db, url, dir, pg }
    }
}

impl TestDb {
    /// The PostgreSQL database's name (`None` on SQLite).
    pub fn postgres_name(&self) -> Option<&str> {
        self.pg.as_ref().map(|(_, n)| n.as_str())
    }
}

fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{}_{}_{}", std::process::id(), nanos % 1_000_000_000, N.fetch_add(1, Ordering::Relaxed))
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else { return };
        // Drop runs inside the test's runtime (or while it unwinds), where
        // blocking on a future is not allowed: a thread with its own runtime does it.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            rt.block_on(async {
                if let Ok(mut c) = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::Executor::execute(&mut c, sql.as_str()).await;
                }
            });
        })
        .join();
    }
}
