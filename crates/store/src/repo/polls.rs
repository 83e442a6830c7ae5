//! Polls: their definition and the members' ballots (one row each, by key).

use crate::sql::{query, query_as, Conn};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct PollRow {
    pub post_id: i64,
    pub community_id: i64,
    pub def: String,
    pub closes_at: Option<i64>,
    pub created_at: i64,
}

pub async fn insert(
    conn: &mut Conn,
    (post_id, community_id): (i64, i64),
    def: &str,
    closes_at: Option<i64>,
    now: i64,
) -> crate::Result<()> {
    query("INSERT INTO polls (post_id, community_id, def, closes_at, created_at) VALUES ($1, $2, $3, $4, $5)")
        .binds((post_id, community_id, def, closes_at))
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, post_id: i64) -> crate::Result<Option<PollRow>> {
    query_as("SELECT post_id, community_id, def, closes_at, created_at FROM polls WHERE post_id = $1")
        .bind(post_id)
        .fetch_optional(conn)
        .await
}

/// Casts or replaces a member's ballot (one per member, by the key):
/// whether it was their first.
pub async fn vote(conn: &mut Conn, post_id: i64, user_id: i64, picks: &str, now: i64) -> crate::Result<bool> {
    let r = query(
        "INSERT INTO poll_votes (post_id, user_id, picks, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (post_id, user_id) DO NOTHING",
    )
    .binds((post_id, user_id, picks, now))
    .execute(conn)
    .await?;
    if r.rows_affected() == 1 {
        return Ok(true);
    }
    query("UPDATE poll_votes SET picks = $3, updated_at = $4 WHERE post_id = $1 AND user_id = $2")
        .binds((post_id, user_id, picks, now))
        .execute(conn)
        .await?;
    Ok(false)
}

/// Every ballot: (voter's username, display name, picks as JSON), oldest first.
pub async fn ballots(conn: &mut Conn, post_id: i64) -> crate::Result<Vec<(i64, String, String, String)>> {
    query_as(
        "SELECT v.user_id, u.username, u.display_name, v.picks FROM poll_votes v JOIN users u ON u.id = v.user_id
         WHERE v.post_id = $1 ORDER BY v.created_at, v.user_id",
    )
    .bind(post_id)
    .fetch_all(conn)
    .await
}

/// Closes a poll at `at` (its author or staff closing it early).
pub async fn close(conn: &mut Conn, post_id: i64, at: i64) -> crate::Result<()> {
    query("UPDATE polls SET closes_at = $2 WHERE post_id = $1").binds((post_id, at)).execute(conn).await?;
    Ok(())
}
