//! Notifications storage: the inbox, and who an @mention reaches. Email
//! delivery of notifications is in `email`.

pub mod email;

use crate::sql::{query, query_as, query_scalar, Conn};

pub async fn notify(
    conn: &mut Conn,
    user_id: i64,
    community_id: Option<i64>,
    kind: &str,
    payload: &str,
    now: i64,
) -> crate::Result<()> {
    // Members without an email address are marked as mailed at once, so the mailer never scans them.
    query(
        "INSERT INTO notifications (user_id, community_id, kind, payload, created_at, emailed_at)
         SELECT $1, $2, $3, $4, $5, CASE WHEN u.email IS NULL THEN 0 ELSE NULL END FROM users u WHERE u.id = $1",
    )
    .binds((user_id, community_id, kind, payload, now))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct NotificationRow {
    pub id: i64,
    pub community_slug: Option<String>,
    pub community_name: Option<String>,
    pub kind: String,
    pub payload: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

pub async fn notifications(conn: &mut Conn, user_id: i64, limit: i64) -> crate::Result<Vec<NotificationRow>> {
    query_as(
        "SELECT n.id, c.slug AS community_slug, c.name AS community_name, n.kind, n.payload, n.created_at, n.read_at
         FROM notifications n LEFT JOIN communities c ON c.id = n.community_id
         WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT $2",
    )
    .binds((user_id, limit))
    .fetch_all(conn)
    .await
}

/// Marks the user's unread notifications read, those up to `through_id` (all: `i64::MAX`).
pub async fn mark_notifications_read(conn: &mut Conn, user_id: i64, through_id: i64, now: i64) -> crate::Result<u64> {
    let r = query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL AND id <= $3")
        .binds((now, user_id, through_id))
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

pub async fn unread_count(conn: &mut Conn, user_id: i64) -> crate::Result<i64> {
    query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user_id)
        .fetch_one(conn)
        .await
}

/// Active members of a community among these usernames (for @mentions).
pub async fn members_named(conn: &mut Conn, community_id: i64, names: &[String]) -> crate::Result<Vec<i64>> {
    let mut ids = vec![];
    for n in names {
        let id: Option<i64> = query_scalar(
            "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id
             WHERE u.username = $1 AND m.community_id = $2 AND m.state = 'active'",
        )
        .binds((n, community_id))
        .fetch_optional(&mut *conn)
        .await?;
        ids.extend(id);
    }
    Ok(ids)
}
