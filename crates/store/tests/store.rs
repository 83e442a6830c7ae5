//! Storage conformance: the same behaviour on SQLite and PostgreSQL.

use std::collections::BTreeSet;

use sqlx::Connection;
use yaji_store::{repo, Db};

async fn sqlite() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display())).await.unwrap();
    db.migrate().await.unwrap();
    (db, dir)
}

fn pg_url() -> Option<String> {
    std::env::var("YAJI_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
}

/// A fresh PostgreSQL database; returns (db, admin url, name).
async fn postgres(admin: &str, name: &str) -> Db {
    let mut c = sqlx::PgConnection::connect(admin).await.unwrap();
    sqlx::Executor::execute(&mut c, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await.unwrap();
    sqlx::Executor::execute(&mut c, format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    let url = format!("{}/{name}", &admin[..admin.rfind('/').unwrap()]);
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    db
}

async fn drop_pg(admin: &str, name: &str) {
    let mut c = sqlx::PgConnection::connect(admin).await.unwrap();
    let _ = sqlx::Executor::execute(&mut c, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
}

/// One migration source must give both databases the same tables, columns and indexes.
#[tokio::test]
async fn sqlite_and_postgres_schemas_match() {
    let Some(admin) = pg_url() else { return };
    let (lite, _dir) = sqlite().await;
    let pg = postgres(&admin, "yaji_test_parity").await;
    let mut c = lite.read().await.unwrap();
    let lite_cols: BTreeSet<(String, String)> = yaji_store::sql::query_as(
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let lite_idx: BTreeSet<String> = yaji_store::sql::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let mut p = pg.read().await.unwrap();
    let pg_cols: BTreeSet<(String, String)> =
        yaji_store::sql::query_as("SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns WHERE table_schema = 'public'")
            .fetch_all(&mut p)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let pg_idx: BTreeSet<String> = yaji_store::sql::query_scalar(
        "SELECT CAST(indexname AS TEXT) FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'",
    )
    .fetch_all(&mut p)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(lite_cols, pg_cols);
    assert_eq!(lite_idx, pg_idx);
    assert!(lite_cols.len() > 80, "{}", lite_cols.len());
    drop(p);
    pg.close().await;
    drop_pg(&admin, "yaji_test_parity").await;
}

async fn dropped_transaction_rolls_back(db: &Db) {
    let user = repo::user::NewUser {
        username: "ghost",
        display_name: "Ghost",
        password_hash: "x",
        locale: "en",
        time_zone: "UTC",
        is_site_admin: false,
        created_at: 1,
    };
    {
        let mut tx = db.write().await.unwrap();
        repo::user::insert(tx.conn(), &user).await.unwrap();
        // Dropped without commit: a cancelled request.
    }
    let mut c = db.read().await.unwrap();
    assert!(!repo::user::any_user(&mut c).await.unwrap());
    drop(c);
    // The pool recovers and the next use case commits normally.
    let mut tx = db.write().await.unwrap();
    repo::user::insert(tx.conn(), &user).await.unwrap();
    tx.commit().await.unwrap();
    let mut c = db.read().await.unwrap();
    assert!(repo::user::any_user(&mut c).await.unwrap());
}

#[tokio::test]
async fn dropped_transactions_leave_nothing() {
    let (lite, _dir) = sqlite().await;
    dropped_transaction_rolls_back(&lite).await;
    if let Some(admin) = pg_url() {
        let pg = postgres(&admin, "yaji_test_rollback").await;
        dropped_transaction_rolls_back(&pg).await;
        pg.close().await;
        drop_pg(&admin, "yaji_test_rollback").await;
    }
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let (lite, _dir) = sqlite().await;
    lite.migrate().await.unwrap();
    let mut c = lite.read().await.unwrap();
    let n: i64 =
        yaji_store::sql::query_scalar("SELECT COUNT(*) FROM schema_migrations").fetch_one(&mut c).await.unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")).unwrap().count() as i64;
    assert_eq!(n, files, "one row per migration file");
}

#[tokio::test]
async fn unsupported_urls_are_refused_with_a_clear_error() {
    let e = Db::connect("mysql://root@localhost/x").await.unwrap_err();
    assert!(e.to_string().contains("unsupported database URL"), "{e}");
}

/// PostgreSQL connections plan each prepared statement once (generic plans):
/// re-planning the feed's joins per run was half the server's time per read.
#[tokio::test]
async fn postgres_plans_statements_once_per_connection() {
    let Some(admin) = pg_url() else { return };
    let pg = postgres(&admin, "yaji_test_plans").await;
    let mut c = pg.read().await.unwrap();
    let mode: String =
        yaji_store::sql::query_scalar("SELECT current_setting('plan_cache_mode')").fetch_one(&mut c).await.unwrap();
    assert_eq!(mode, "force_generic_plan");
    drop(c);
    pg.close().await;
    drop_pg(&admin, "yaji_test_plans").await;
}
