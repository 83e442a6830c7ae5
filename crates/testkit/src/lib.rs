//! Yaji's test kit, shared by every crate's integration tests:
//!
//! - [`TestDb`]: a fresh database — a temporary SQLite file, or a PostgreSQL
//!   database created on the server named by `YAJI_TEST_DATABASE_URL` — that
//!   is dropped when the value is dropped, also when the test panics;
//! - [`TestApp`]: the real application on port 0 over a [`TestDb`], with
//!   helpers to drain the job queue and inspect the database;
//! - [`User`] (an API client with a bearer token) and [`Browser`] (a cookie
//!   client that signs up, logs in and submits forms with their CSRF token);
//! - [`story!`]: writes one test body once and generates a `sqlite` and a
//!   `postgres` test from it, so a failure names its database.

mod app;
mod browser;
mod db;

pub use app::{assert_error, community, decode, TestApp, User};
pub use browser::{csrf_of, Browser};
pub use db::{postgres_admin_url, with_database, Backend, TestDb};

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery";

/// One story test, run on each database: expands to a module named after the
/// test with a `sqlite` and a `postgres` test (`member_story::postgres`).
///
/// Two forms. `async fn name(t: TestApp)` gets a running server on a fresh
/// database, cleaned up after the body (`#[tokio::test]` is added). `async fn
/// name(b)` gets the [`Backend`] and sets up what it needs itself; its
/// attributes must include the test attribute. Other attributes (docs) go on
/// both tests.
///
/// ```ignore
/// story! {
///     async fn member_story(t: TestApp) {
///         let owner = t.user("owner").await;
///         // ...
///     }
/// }
/// ```
#[macro_export]
macro_rules! story {
    // A story over a running server: spawned on the backend, cleaned up after.
    ($(#[$attr:meta])* async fn $name:ident($t:ident: TestApp) $body:block) => {
        $crate::story! {
            $(#[$attr])*
            #[tokio::test]
            async fn $name(backend) {
                let $t = $crate::TestApp::spawn(backend).await;
                $body
                $t.cleanup().await;
            }
        }
    };
    ($(#[$attr:meta])* async fn $name:ident($b:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn story($b: $crate::Backend) $body

            $(#[$attr])*
            async fn sqlite() {
                story($crate::Backend::Sqlite).await
            }

            $(#[$attr])*
            async fn postgres() {
                story($crate::Backend::Postgres).await
            }
        }
    };
}
