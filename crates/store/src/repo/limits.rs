//! What per-member write limits count.

use crate::sql::{query, query_scalar, Conn};

/// A kind of row a member writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Posts,
    Comments,
    Communities,
    Reports,
}

/// Serializes one user's writers until the transaction ends (a row lock on
/// PostgreSQL; SQLite has one writer anyway), so a count then an insert
/// cannot be raced past the limit.
pub async fn lock_user(conn: &mut Conn, user_id: i64) -> crate::Result<()> {
    query("UPDATE users SET id = id WHERE id = $1").bind(user_id).execute(conn).await?;
    Ok(())
}

/// How many rows of `what` the user wrote after `since`.
pub async fn recent(conn: &mut Conn, what: Counted, user_id: i64, since: i64) -> crate::Result<i64> {
    let sql = match what {
        Counted::Posts => "SELECT COUNT(*) FROM posts WHERE author_id = $1 AND created_at > $2",
        Counted::Comments => "SELECT COUNT(*) FROM comments WHERE author_id = $1 AND created_at > $2",
        Counted::Communities => "SELECT COUNT(*) FROM communities WHERE owner_id = $1 AND created_at > $2",
        Counted::Reports => "SELECT COUNT(*) FROM mod_flags WHERE reporter_id = $1 AND created_at > $2",
    };
    query_scalar(sql).binds((user_id, since)).fetch_one(conn).await
}

/// When the oldest of the user's `what` rows after `since` was written.
pub async fn oldest_since(conn: &mut Conn, what: Counted, user_id: i64, since: i64) -> crate::Result<Option<i64>> {
    let sql = match what {
        Counted::Posts => "SELECT MIN(created_at) FROM posts WHERE author_id = $1 AND created_at > $2",
        Counted::Comments => "SELECT MIN(created_at) FROM comments WHERE author_id = $1 AND created_at > $2",
        Counted::Communities => "SELECT MIN(created_at) FROM communities WHERE owner_id = $1 AND created_at > $2",
        Counted::Reports => "SELECT MIN(created_at) FROM mod_flags WHERE reporter_id = $1 AND created_at > $2",
    };
    query_scalar(sql).binds((user_id, since)).fetch_one(conn).await
}
