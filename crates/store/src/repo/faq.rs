//! FAQ entries, the assistant's replies and unanswered questions.

use crate::sql::{query, query_as, query_scalar, Conn};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct EntryRow {
    pub id: i64,
    pub community_id: i64,
    /// JSON array of phrasings.
    pub questions: String,
    pub answer: String,
    pub answered_count: i64,
    pub helpful_count: i64,
    pub unhelpful_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str =
    "id, community_id, questions, answer, answered_count, helpful_count, unhelpful_count, created_at, updated_at";

pub async fn entries(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<EntryRow>> {
    query_as(&format!("SELECT {COLS} FROM faq_entries WHERE community_id = $1 AND deleted_at IS NULL ORDER BY id"))
        .bind(community_id)
        .fetch_all(conn)
        .await
}

pub async fn entry(conn: &mut Conn, id: i64) -> crate::Result<Option<EntryRow>> {
    query_as(&format!("SELECT {COLS} FROM faq_entries WHERE id = $1 AND deleted_at IS NULL"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

async fn bump(conn: &mut Conn, community_id: i64) -> crate::Result<()> {
    query("UPDATE communities SET faq_version = faq_version + 1 WHERE id = $1")
        .bind(community_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert(conn: &mut Conn, community_id: i64, questions: &str, answer: &str, now: i64) -> crate::Result<i64> {
    let id = query_scalar(
        "INSERT INTO faq_entries (community_id, questions, answer, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .binds((community_id, questions, answer, now))
    .fetch_one(&mut *conn)
    .await?;
    bump(conn, community_id).await?;
    Ok(id)
}

pub async fn update(conn: &mut Conn, e: &EntryRow, questions: &str, answer: &str, now: i64) -> crate::Result<()> {
    query("UPDATE faq_entries SET questions = $1, answer = $2, updated_at = $3 WHERE id = $4")
        .binds((questions, answer, now, e.id))
        .execute(&mut *conn)
        .await?;
    bump(conn, e.community_id).await
}

pub async fn delete(conn: &mut Conn, e: &EntryRow, now: i64) -> crate::Result<()> {
    query("UPDATE faq_entries SET deleted_at = $1 WHERE id = $2").bind(now).bind(e.id).execute(&mut *conn).await?;
    bump(conn, e.community_id).await
}

pub struct NewReply {
    pub community_id: i64,
    pub entry_id: i64,
    pub post_id: i64,
    pub comment_id: i64,
    pub asker_id: i64,
    /// Confidence in thousandths.
    pub score: i64,
    pub created_at: i64,
}

pub async fn insert_reply(conn: &mut Conn, r: &NewReply) -> crate::Result<i64> {
    let id = query_scalar(
        "INSERT INTO faq_replies (community_id, entry_id, post_id, comment_id, asker_id, score, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .binds((r.community_id, r.entry_id, r.post_id, r.comment_id, r.asker_id, r.score, r.created_at))
    .fetch_one(&mut *conn)
    .await?;
    query("UPDATE faq_entries SET answered_count = answered_count + 1 WHERE id = $1")
        .bind(r.entry_id)
        .execute(conn)
        .await?;
    Ok(id)
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReplyRow {
    pub id: i64,
    pub entry_id: i64,
    pub post_id: i64,
    pub comment_id: i64,
    pub asker_id: i64,
    pub feedback: Option<String>,
}

/// The assistant's replies on a post (for "did this help?").
pub async fn replies_on(conn: &mut Conn, post_id: i64) -> crate::Result<Vec<ReplyRow>> {
    query_as("SELECT id, entry_id, post_id, comment_id, asker_id, feedback FROM faq_replies WHERE post_id = $1")
        .bind(post_id)
        .fetch_all(conn)
        .await
}

pub async fn reply(conn: &mut Conn, id: i64) -> crate::Result<Option<ReplyRow>> {
    query_as("SELECT id, entry_id, post_id, comment_id, asker_id, feedback FROM faq_replies WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Records the asker's feedback once; returns false if already given.
pub async fn set_feedback(conn: &mut Conn, r: &ReplyRow, helpful: bool) -> crate::Result<bool> {
    let done = query("UPDATE faq_replies SET feedback = $1 WHERE id = $2 AND feedback IS NULL")
        .binds((if helpful { "helpful" } else { "unhelpful" }, r.id))
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1;
    if done {
        let col = if helpful { "helpful_count" } else { "unhelpful_count" };
        query(&format!("UPDATE faq_entries SET {col} = {col} + 1 WHERE id = $1"))
            .bind(r.entry_id)
            .execute(conn)
            .await?;
    }
    Ok(done)
}

pub async fn insert_unanswered(
    conn: &mut Conn,
    community_id: i64,
    post_id: i64,
    asker_id: i64,
    best: Option<(i64, i64)>,
    now: i64,
) -> crate::Result<()> {
    query(
        "INSERT INTO faq_unanswered (community_id, post_id, asker_id, best_entry_id, best_score, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .binds((community_id, post_id, asker_id, best.map(|b| b.0), best.map_or(0, |b| b.1), now))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct UnansweredRow {
    pub id: i64,
    pub post_id: i64,
    pub asker_id: i64,
    pub asker_username: String,
    pub title: Option<String>,
    pub excerpt: String,
    pub best_entry_id: Option<i64>,
    pub best_score: i64,
    pub created_at: i64,
    pub notified_at: Option<i64>,
}

/// Open questions, oldest first; a question counts as answered once anyone but the asker commented.
pub async fn unanswered(conn: &mut Conn, community_id: i64, limit: i64) -> crate::Result<Vec<UnansweredRow>> {
    query_as(
        "SELECT q.id, q.post_id, q.asker_id, u.username AS asker_username, p.title, p.excerpt, q.best_entry_id,
            q.best_score, q.created_at, q.notified_at
         FROM faq_unanswered q JOIN posts p ON p.id = q.post_id JOIN users u ON u.id = q.asker_id
         WHERE q.community_id = $1 AND q.answered_at IS NULL AND p.deleted_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.post_id = q.post_id AND c.author_id <> q.asker_id
                           AND c.deleted_at IS NULL AND c.moderation = 'visible')
         ORDER BY q.created_at, q.id LIMIT $2",
    )
    .binds((community_id, limit))
    .fetch_all(conn)
    .await
}

/// Whether someone other than the asker answered the question's post.
pub async fn answered_by_member(conn: &mut Conn, post_id: i64, asker_id: i64) -> crate::Result<bool> {
    Ok(query_scalar::<i64>(
        "SELECT id FROM comments WHERE post_id = $1 AND author_id <> $2 AND deleted_at IS NULL AND moderation = 'visible' LIMIT 1",
    )
    .binds((post_id, asker_id))
    .fetch_optional(conn)
    .await?
    .is_some())
}

pub async fn mark_unanswered(conn: &mut Conn, post_id: i64, answered: bool, now: i64) -> crate::Result<()> {
    let col = if answered { "answered_at" } else { "notified_at" };
    query(&format!("UPDATE faq_unanswered SET {col} = $1 WHERE post_id = $2"))
        .binds((now, post_id))
        .execute(conn)
        .await?;
    Ok(())
}

/// The FAQ settings of a community: (threshold x1000, unanswered minutes);
/// the defaults until an operator saves them.
pub async fn settings(conn: &mut Conn, community_id: i64) -> crate::Result<(i64, i64)> {
    let row: Option<(i64, i64)> =
        query_as("SELECT threshold, unanswered_minutes FROM faq_settings WHERE community_id = $1")
            .bind(community_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.unwrap_or((DEFAULT_THRESHOLD, DEFAULT_UNANSWERED_MINUTES)))
}

/// Defaults of [`settings`].
pub const DEFAULT_THRESHOLD: i64 = 400;
pub const DEFAULT_UNANSWERED_MINUTES: i64 = 30;

pub async fn set_settings(conn: &mut Conn, community_id: i64, threshold: i64, minutes: i64) -> crate::Result<()> {
    query(
        "INSERT INTO faq_settings (community_id, threshold, unanswered_minutes) VALUES ($1, $2, $3)
         ON CONFLICT (community_id) DO UPDATE SET threshold = excluded.threshold, unanswered_minutes = excluded.unanswered_minutes",
    )
    .binds((community_id, threshold, minutes))
    .execute(conn)
    .await?;
    Ok(())
}
