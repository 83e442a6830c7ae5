//! Yaji storage: one body of SQL for SQLite and PostgreSQL through a small
//! query layer ([`sql`]) over rusqlite and sqlx's PostgreSQL driver. Functions
//! take a `&mut Conn` so the caller decides the transaction; every use case in
//! `yaji-app` runs in exactly one [`WriteTx`].

mod db;
pub mod repo;
pub mod sql;

pub use db::{now_millis, redact, Backend, Db, DbError, ReadConn, WriteTx};
pub use sql::Conn;

pub type Result<T> = std::result::Result<T, DbError>;
