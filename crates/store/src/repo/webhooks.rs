//! Outgoing webhooks and their delivery log (see migrations/0005_automation.sql).

use crate::sql::{query, query_as, query_scalar, Conn};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct WebhookRow {
    pub id: i64,
    pub community_id: i64,
    pub url: String,
    pub secret: String,
    pub events: String,
    pub enabled: i64,
    pub created_at: i64,
}

pub async fn insert_webhook(
    conn: &mut Conn,
    community_id: i64,
    url: &str,
    secret: &str,
    events: &str,
    by: i64,
    now: i64,
) -> crate::Result<i64> {
    query_scalar(
        "INSERT INTO webhooks (community_id, url, secret, events, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .binds((community_id, url, secret, events, by, now))
    .fetch_one(conn)
    .await
}

pub async fn webhooks(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<WebhookRow>> {
    query_as(
        "SELECT id, community_id, url, secret, events, enabled, created_at FROM webhooks
         WHERE community_id = $1 AND deleted_at IS NULL ORDER BY id",
    )
    .bind(community_id)
    .fetch_all(conn)
    .await
}

pub async fn webhook(conn: &mut Conn, id: i64) -> crate::Result<Option<WebhookRow>> {
    query_as(
        "SELECT id, community_id, url, secret, events, enabled, created_at FROM webhooks WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn delete_webhook(conn: &mut Conn, id: i64, now: i64) -> crate::Result<()> {
    query("UPDATE webhooks SET deleted_at = $2, enabled = 0 WHERE id = $1").bind(id).bind(now).execute(conn).await?;
    Ok(())
}

pub struct NewDelivery<'a> {
    pub webhook_id: i64,
    pub community_id: i64,
    pub job_id: i64,
    pub event_kind: &'a str,
    pub attempt: i64,
    pub status: &'a str,
    pub response_status: Option<i64>,
    pub error: &'a str,
    pub duration_ms: i64,
}

pub async fn insert_delivery(conn: &mut Conn, d: &NewDelivery<'_>, now: i64) -> crate::Result<()> {
    query(
        "INSERT INTO webhook_deliveries (webhook_id, community_id, job_id, event_kind, attempt, status, response_status, error, duration_ms, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .binds((d.webhook_id, d.community_id, d.job_id, d.event_kind, d.attempt, d.status, d.response_status, d.error, d.duration_ms, now))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i64,
    pub job_id: Option<i64>,
    pub event_kind: String,
    pub attempt: i64,
    pub status: String,
    pub response_status: Option<i64>,
    pub error: String,
    pub duration_ms: i64,
    pub created_at: i64,
}

pub async fn deliveries(conn: &mut Conn, community_id: i64, limit: i64) -> crate::Result<Vec<DeliveryRow>> {
    query_as(
        "SELECT id, webhook_id, job_id, event_kind, attempt, status, response_status, error, duration_ms, created_at
         FROM webhook_deliveries WHERE community_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .binds((community_id, limit))
    .fetch_all(conn)
    .await
}
