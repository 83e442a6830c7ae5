//! What per-member write limits count.

use crate::sql::{query, query_as, Conn};

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

/// How many rows of `what` the user wrote after `since`, counting at most
/// `max` (the newest), and when the oldest of those was written: when the
/// count is `max`, that row leaving the window frees the next slot. Bounded by
/// `max`, the cost does not grow with a member's history.
pub async fn recent(
    conn: &mut Conn,
    what: Counted,
    user_id: i64,
    since: i64,
    max: i64,
) -> crate::Result<(i64, Option<i64>)> {
    let (table, who) = match what {
        Counted::Posts => ("posts", "author_id"),
        Counted::Comments => ("comments", "author_id"),
        Counted::Communities => ("communities", "owner_id"),
        Counted::Reports => ("mod_flags", "reporter_id"),
    };
    let sql = format!(
        "SELECT COUNT(*), MIN(created_at) FROM (SELECT created_at FROM {table}
           WHERE {who} = $1 AND created_at > $2 ORDER BY created_at DESC LIMIT $3) newest"
    );
    query_as(&sql).binds((user_id, since, max)).fetch_one(conn).await
}
