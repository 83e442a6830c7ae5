//! Questions: the Q&A side of a post — its accepted answer and the bounty
//! escrow (`held`), read and changed under a lock on the question's row.

use crate::sql::{query, query_as, query_scalar, Conn};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct QuestionRow {
    pub post_id: i64,
    pub community_id: i64,
    pub asker_id: i64,
    pub bounty: i64,
    pub held: i64,
    pub deadline: Option<i64>,
    pub fallback: String,
    pub accepted_comment_id: Option<i64>,
    pub accepted_by: Option<i64>,
    pub accepted_at: Option<i64>,
    pub paid: i64,
    pub paid_to: Option<i64>,
    pub first_answer_at: Option<i64>,
    pub settled_at: Option<i64>,
    pub created_at: i64,
}

const COLS: &str =
    "post_id, community_id, asker_id, bounty, held, deadline, fallback, accepted_comment_id, accepted_by,
    accepted_at, paid, paid_to, first_answer_at, settled_at, created_at";

pub async fn insert(
    conn: &mut Conn,
    (post_id, community_id, asker_id): (i64, i64, i64),
    (bounty, deadline, fallback): (i64, Option<i64>, &str),
    now: i64,
) -> crate::Result<()> {
    query(
        "INSERT INTO questions (post_id, community_id, asker_id, bounty, held, deadline, fallback, created_at)
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
    )
    .binds((post_id, community_id, asker_id, bounty))
    .binds((deadline, fallback, now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, post_id: i64) -> crate::Result<Option<QuestionRow>> {
    query_as(&format!("SELECT {COLS} FROM questions WHERE post_id = $1")).bind(post_id).fetch_optional(conn).await
}

/// Reads the question under a write lock on its row (PostgreSQL; SQLite's
/// write transaction is exclusive already): accepts and settlements of one
/// question happen one after another.
pub async fn lock(conn: &mut Conn, post_id: i64) -> crate::Result<Option<QuestionRow>> {
    query("UPDATE questions SET held = held WHERE post_id = $1").bind(post_id).execute(conn).await?;
    get(conn, post_id).await
}

/// Records the accepted answer (or clears it) and what the escrow holds after.
pub async fn set_accepted(
    conn: &mut Conn,
    post_id: i64,
    accepted: Option<(i64, i64, i64)>,
    held: i64,
) -> crate::Result<()> {
    let (comment, by, at) = match accepted {
        Some((c, b, a)) => (Some(c), Some(b), Some(a)),
        None => (None, None, None),
    };
    query("UPDATE questions SET accepted_comment_id = $2, accepted_by = $3, accepted_at = $4, held = $5 WHERE post_id = $1")
        .binds((post_id, comment, by, at))
        .bind(held)
        .execute(conn)
        .await?;
    Ok(())
}

/// What an acceptance paid out of the escrow, and to whom.
pub async fn set_paid(conn: &mut Conn, post_id: i64, paid: i64, to: i64) -> crate::Result<()> {
    query("UPDATE questions SET paid = $2, paid_to = $3 WHERE post_id = $1")
        .binds((post_id, paid, to))
        .execute(conn)
        .await?;
    Ok(())
}

/// The escrow is paid out or settled: it holds nothing any more.
pub async fn settle(conn: &mut Conn, post_id: i64, now: i64) -> crate::Result<()> {
    query("UPDATE questions SET held = 0, settled_at = $2 WHERE post_id = $1")
        .binds((post_id, now))
        .execute(conn)
        .await?;
    Ok(())
}

/// Notes the first answer's time (for "time to first answer").
pub async fn note_answer(conn: &mut Conn, post_id: i64, at: i64) -> crate::Result<()> {
    query("UPDATE questions SET first_answer_at = $2 WHERE post_id = $1 AND first_answer_at IS NULL")
        .binds((post_id, at))
        .execute(conn)
        .await?;
    Ok(())
}

/// A question's visible answers: (comment, author, reactions, written at).
pub async fn answers(conn: &mut Conn, post_id: i64) -> crate::Result<Vec<(i64, i64, i64, i64)>> {
    query_as(
        "SELECT id, author_id, reaction_count, created_at FROM comments
         WHERE post_id = $1 AND deleted_at IS NULL AND moderation = 'visible' ORDER BY created_at, id",
    )
    .bind(post_id)
    .fetch_all(conn)
    .await
}

/// Questions whose bounty is due by `now` and still held.
pub async fn due(conn: &mut Conn, now: i64, limit: i64) -> crate::Result<Vec<i64>> {
    query_scalar("SELECT post_id FROM questions WHERE held > 0 AND deadline <= $1 ORDER BY deadline LIMIT $2")
        .binds((now, limit))
        .fetch_all(conn)
        .await
}

/// Q&A figures for a community since `since`: questions asked, answered
/// (accepted), and the minutes to the first answer and to the accepted one.
pub async fn timings(
    conn: &mut Conn,
    community_id: i64,
    since: i64,
) -> crate::Result<Vec<(i64, Option<i64>, Option<i64>)>> {
    query_as(
        "SELECT q.created_at, q.first_answer_at, q.accepted_at FROM questions q JOIN posts p ON p.id = q.post_id
         WHERE q.community_id = $1 AND q.created_at >= $2 AND p.deleted_at IS NULL ORDER BY q.created_at",
    )
    .binds((community_id, since))
    .fetch_all(conn)
    .await
}

/// Members whose answers were accepted most since `since`: (username, display name, count).
pub async fn top_answerers(
    conn: &mut Conn,
    community_id: i64,
    since: i64,
    limit: i64,
) -> crate::Result<Vec<(String, String, i64)>> {
    query_as(
        "SELECT u.username, u.display_name, COUNT(*) AS n FROM questions q
         JOIN comments c ON c.id = q.accepted_comment_id JOIN users u ON u.id = c.author_id
         WHERE q.community_id = $1 AND q.accepted_at >= $2 AND c.deleted_at IS NULL AND u.username <> 'yaji:assistant'
         GROUP BY u.username, u.display_name ORDER BY n DESC, u.username LIMIT $3",
    )
    .binds((community_id, since, limit))
    .fetch_all(conn)
    .await
}
