//! Email addresses, preferences, quiet hours, the mailer's pending list, and
//! site secrets (see migrations/0006_email.sql).

use crate::sql::{query, query_as, query_scalar, Conn};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct EmailSettingsRow {
    pub email: Option<String>,
    pub quiet_start: i64,
    pub quiet_end: i64,
}

pub async fn settings(conn: &mut Conn, user_id: i64) -> crate::Result<Option<EmailSettingsRow>> {
    query_as("SELECT email, quiet_start, quiet_end FROM users WHERE id = $1").bind(user_id).fetch_optional(conn).await
}

pub async fn preferences(conn: &mut Conn, user_id: i64) -> crate::Result<Vec<(String, String)>> {
    query_as("SELECT kind, mode FROM email_preferences WHERE user_id = $1 ORDER BY kind")
        .bind(user_id)
        .fetch_all(conn)
        .await
}

pub async fn save_settings(
    conn: &mut Conn,
    user_id: i64,
    email: Option<&str>,
    quiet_start: i64,
    quiet_end: i64,
) -> crate::Result<()> {
    query("UPDATE users SET email = $2, quiet_start = $3, quiet_end = $4 WHERE id = $1")
        .binds((user_id, email, quiet_start, quiet_end))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_preference(conn: &mut Conn, user_id: i64, kind: &str, mode: &str) -> crate::Result<()> {
    query(
        "INSERT INTO email_preferences (user_id, kind, mode) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, kind) DO UPDATE SET mode = excluded.mode",
    )
    .binds((user_id, kind, mode))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct PendingRow {
    pub id: i64,
    pub user_id: i64,
    pub community_name: Option<String>,
    pub kind: String,
    pub payload: String,
    pub created_at: i64,
    pub email: String,
    pub username: String,
    pub locale: String,
    pub time_zone: String,
    pub quiet_start: i64,
    pub quiet_end: i64,
    pub digest_daily_at: i64,
    pub digest_weekly_at: i64,
    /// The member's mode for this kind, if they set one.
    pub mode: Option<String>,
}

/// Notifications not yet considered for email, of members with an address, by
/// (member, id), after the given (member, id) cursor.
pub async fn pending(conn: &mut Conn, after: (i64, i64), limit: i64) -> crate::Result<Vec<PendingRow>> {
    query_as(
        "SELECT n.id, n.user_id, c.name AS community_name, n.kind, n.payload, n.created_at, u.email, u.username, u.locale,
                u.time_zone, u.quiet_start, u.quiet_end, u.digest_daily_at, u.digest_weekly_at, p.mode
         FROM notifications n
         JOIN users u ON u.id = n.user_id
         LEFT JOIN communities c ON c.id = n.community_id
         LEFT JOIN email_preferences p ON p.user_id = n.user_id AND p.kind = n.kind
         WHERE n.emailed_at IS NULL AND u.email IS NOT NULL AND (n.user_id > $1 OR (n.user_id = $1 AND n.id > $2))
         ORDER BY n.user_id, n.id LIMIT $3",
    )
    .binds((after.0, after.1, limit))
    .fetch_all(conn)
    .await
}

/// Marks notifications as handled by the mailer (sent, digested or skipped).
pub async fn mark_emailed(conn: &mut Conn, ids: &[i64], now: i64) -> crate::Result<()> {
    for chunk in ids.chunks(200) {
        let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        query(&format!("UPDATE notifications SET emailed_at = $1 WHERE id IN ({list})"))
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn set_digest_sent(conn: &mut Conn, user_id: i64, weekly: bool, now: i64) -> crate::Result<()> {
    let col = if weekly { "digest_weekly_at" } else { "digest_daily_at" };
    query(&format!("UPDATE users SET {col} = $2 WHERE id = $1")).bind(user_id).bind(now).execute(conn).await?;
    Ok(())
}

/// A site-wide secret, created with `fresh` on first use (the first writer wins).
pub async fn secret(conn: &mut Conn, name: &str, fresh: &str) -> crate::Result<String> {
    query("INSERT INTO site_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .binds((name, fresh))
        .execute(&mut *conn)
        .await?;
    query_scalar("SELECT value FROM site_secrets WHERE name = $1").bind(name).fetch_one(conn).await
}
