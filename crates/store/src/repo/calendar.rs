//! The content calendar: scheduled and repeating posts (see
//! migrations/0005_automation.sql).

use crate::sql::{query, query_as, query_scalar, Conn};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct ScheduledRow {
    pub id: i64,
    pub community_id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub topic_id: Option<i64>,
    pub title: Option<String>,
    pub body: String,
    pub publish_at: i64,
    pub repeat_cron: String,
    pub status: String,
    pub version: i64,
    pub published_count: i64,
    pub last_post_id: Option<i64>,
    pub last_error: String,
    pub created_at: i64,
}

const SCHED_COLS: &str =
    "s.id, s.community_id, s.author_id, u.display_name AS author_name, s.topic_id, s.title, s.body, \
    s.publish_at, s.repeat_cron, s.status, s.version, s.published_count, s.last_post_id, s.last_error, s.created_at";

pub struct NewScheduled<'a> {
    pub community_id: i64,
    pub author_id: i64,
    pub topic_id: Option<i64>,
    pub title: Option<&'a str>,
    pub body: &'a str,
    pub publish_at: i64,
    pub repeat_cron: &'a str,
}

pub async fn insert_scheduled(conn: &mut Conn, s: &NewScheduled<'_>, now: i64) -> crate::Result<i64> {
    query_scalar(
        "INSERT INTO scheduled_posts (community_id, author_id, topic_id, title, body, publish_at, repeat_cron, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .binds((s.community_id, s.author_id, s.topic_id, s.title, s.body, s.publish_at, s.repeat_cron, now))
    .fetch_one(conn)
    .await
}

pub async fn scheduled(conn: &mut Conn, id: i64) -> crate::Result<Option<ScheduledRow>> {
    query_as(&format!("SELECT {SCHED_COLS} FROM scheduled_posts s JOIN users u ON u.id = s.author_id WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Scheduled posts of a community whose next publication falls in [from, to), plus every repeating one.
pub async fn calendar(conn: &mut Conn, community_id: i64, from: i64, to: i64) -> crate::Result<Vec<ScheduledRow>> {
    query_as(&format!(
        "SELECT {SCHED_COLS} FROM scheduled_posts s JOIN users u ON u.id = s.author_id
         WHERE s.community_id = $1 AND s.status <> 'canceled'
           AND ((s.publish_at >= $2 AND s.publish_at < $3) OR (s.repeat_cron <> '' AND s.status = 'scheduled'))
         ORDER BY s.publish_at, s.id"
    ))
    .binds((community_id, from, to))
    .fetch_all(conn)
    .await
}

/// Sets a scheduled post's status and next time; bumps its version (stale timers stop).
pub async fn set_scheduled_state(
    conn: &mut Conn,
    id: i64,
    status: &str,
    publish_at: i64,
    now: i64,
) -> crate::Result<i64> {
    query_scalar(
        "UPDATE scheduled_posts SET status = $2, publish_at = $3, version = version + 1, updated_at = $4 WHERE id = $1 RETURNING version",
    )
    .binds((id, status, publish_at, now))
    .fetch_one(conn)
    .await
}

pub async fn record_publication(
    conn: &mut Conn,
    id: i64,
    post_id: Option<i64>,
    error: &str,
    now: i64,
) -> crate::Result<()> {
    query(
        "UPDATE scheduled_posts SET published_count = published_count + CASE WHEN $2 IS NULL THEN 0 ELSE 1 END,
             last_post_id = COALESCE($2, last_post_id), last_error = $3, updated_at = $4 WHERE id = $1",
    )
    .binds((id, post_id, error, now))
    .execute(conn)
    .await?;
    Ok(())
}
