//! Yaji storage: one body of SQL for SQLite and PostgreSQL through sqlx's `Any`
//! driver. Functions take a `&mut AnyConnection` so the caller decides the
//! transaction; every use case in `yaji-app` runs in exactly one [`WriteTx`].

mod db;
pub mod repo;

pub use db::{now_millis, redact, Backend, Db, DbError, WriteTx};
pub use sqlx::AnyConnection;

pub type Result<T> = std::result::Result<T, DbError>;
