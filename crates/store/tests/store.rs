//! Storage conformance: the same behaviour on SQLite and PostgreSQL.

use std::collections::BTreeSet;

use yaji_store::{repo, Db};
use yaji_testkit::{story, Backend, TestDb};

/// One migration source must give both databases the same tables, columns and indexes.
#[tokio::test]
async fn sqlite_and_postgres_schemas_match() {
    let (lite, pg) = (TestDb::new(Backend::Sqlite).await, TestDb::new(Backend::Postgres).await);
    let (lite, pg) = (&lite.db, &pg.db);
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
    // The one intended difference: what keeps bookings apart is an exclusion
    // constraint (an index) on PostgreSQL and triggers on SQLite; both exist.
    let mut c = lite.read().await.unwrap();
    let triggers: BTreeSet<String> =
        yaji_store::sql::query_scalar("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            .fetch_all(&mut c)
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_eq!(
        triggers,
        BTreeSet::from(["bookings_no_overlap_insert".to_string(), "bookings_no_overlap_update".to_string()])
    );
    drop(c);
    let mut pg_idx = pg_idx;
    assert!(pg_idx.remove("bookings_no_overlap"), "the exclusion constraint's index");
    assert_eq!(lite_cols, pg_cols);
    assert_eq!(lite_idx, pg_idx);
    assert!(lite_cols.len() > 80, "{}", lite_cols.len());
    drop(p);
    pg.close().await;
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

story! {
    #[tokio::test]
    async fn dropped_transactions_leave_nothing(b) {
        dropped_transaction_rolls_back(&TestDb::new(b).await.db).await;
    }
}

story! {
    #[tokio::test]
    async fn migrations_are_idempotent(b) {
        let t = TestDb::new(b).await;
        t.db.migrate().await.unwrap();
        let mut c = t.db.read().await.unwrap();
        let n: i64 =
            yaji_store::sql::query_scalar("SELECT COUNT(*) FROM schema_migrations").fetch_one(&mut c).await.unwrap();
        let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")).unwrap().count() as i64;
        assert_eq!(n, files, "one row per migration file");
    }
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
    let pg = TestDb::new(Backend::Postgres).await;
    let mut c = pg.db.read().await.unwrap();
    let mode: String =
        yaji_store::sql::query_scalar("SELECT current_setting('plan_cache_mode')").fetch_one(&mut c).await.unwrap();
    assert_eq!(mode, "force_generic_plan");
}
