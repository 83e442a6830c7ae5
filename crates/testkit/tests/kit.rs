//! The kit's own promises: databases are fresh and gone after the test, also
//! after a panic, and `story!` runs a body on both databases.

use yaji_testkit::{story, Backend, TestDb};

async fn exists(name: &str) -> bool {
    let admin = yaji_testkit::postgres_admin_url();
    let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_one(&mut c)
        .await
        .unwrap();
    n.0 == 1
}

#[tokio::test]
async fn postgres_databases_are_dropped_even_when_the_test_panics() {
    let (tx, rx) = std::sync::mpsc::channel();
    let panicked = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let db = TestDb::new(Backend::Postgres).await;
            tx.send(db.postgres_name().unwrap().to_string()).unwrap();
            panic!("a failing test");
        })
    })
    .join();
    assert!(panicked.is_err());
    let name = rx.recv().unwrap();
    assert!(!exists(&name).await, "{name} outlived its test");

    let db = TestDb::new(Backend::Postgres).await;
    let name = db.postgres_name().unwrap().to_string();
    assert!(exists(&name).await);
    drop(db);
    assert!(!exists(&name).await);
}

#[tokio::test]
async fn sqlite_files_go_with_the_value() {
    let db = TestDb::new(Backend::Sqlite).await;
    let dir = db.dir.path().to_path_buf();
    assert!(dir.join("yaji.db").exists());
    drop(db);
    assert!(!dir.exists());
}

story! {
    #[tokio::test]
    async fn a_story_runs_on_its_backend(b) {
        let t = TestDb::new(b).await;
        assert_eq!(t.backend, b);
        assert_eq!(t.url.starts_with("postgres"), b == Backend::Postgres);
    }
}
