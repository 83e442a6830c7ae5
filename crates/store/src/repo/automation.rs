//! Automation rules, their deliveries and runs, and members as rules see
//! them (see migrations/0005_automation.sql).

use crate::sql::{query, query_as, query_scalar, Conn};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct RuleRow {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub template: Option<String>,
    pub trigger_kind: String,
    pub definition: String,
    pub enabled: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const RULE_COLS: &str =
    "id, community_id, name, template, trigger_kind, definition, enabled, version, created_at, updated_at";

pub struct NewRule<'a> {
    pub community_id: i64,
    pub name: &'a str,
    pub template: Option<&'a str>,
    pub trigger_kind: &'a str,
    pub trigger_events: &'a str,
    pub definition: &'a str,
    pub enabled: bool,
    pub created_by: i64,
}

pub async fn insert_rule(conn: &mut Conn, r: &NewRule<'_>, now: i64) -> crate::Result<i64> {
    query_scalar(
        "INSERT INTO automation_rules (community_id, name, template, trigger_kind, trigger_events, definition, enabled, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .binds((r.community_id, r.name, r.template, r.trigger_kind, r.trigger_events, r.definition, r.enabled as i64, r.created_by, now))
    .fetch_one(conn)
    .await
}

/// Replaces a rule's definition; returns the new version.
pub async fn update_rule(conn: &mut Conn, id: i64, r: &NewRule<'_>, now: i64) -> crate::Result<i64> {
    query_scalar(
        "UPDATE automation_rules SET name = $2, trigger_kind = $3, trigger_events = $4, definition = $5, enabled = $6,
             version = version + 1, updated_at = $7
         WHERE id = $1 RETURNING version",
    )
    .binds((id, r.name, r.trigger_kind, r.trigger_events, r.definition, r.enabled as i64, now))
    .fetch_one(conn)
    .await
}

pub async fn delete_rule(conn: &mut Conn, id: i64, now: i64) -> crate::Result<()> {
    query("UPDATE automation_rules SET deleted_at = $2, enabled = 0, version = version + 1 WHERE id = $1")
        .binds((id, now))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn rules(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<RuleRow>> {
    query_as(&format!(
        "SELECT {RULE_COLS} FROM automation_rules WHERE community_id = $1 AND deleted_at IS NULL ORDER BY id"
    ))
    .bind(community_id)
    .fetch_all(conn)
    .await
}

pub async fn rule(conn: &mut Conn, id: i64) -> crate::Result<Option<RuleRow>> {
    query_as(&format!("SELECT {RULE_COLS} FROM automation_rules WHERE id = $1 AND deleted_at IS NULL"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Whether the community has an enabled rule made from this template.
pub async fn template_enabled(conn: &mut Conn, community_id: i64, template: &str) -> crate::Result<bool> {
    Ok(query_scalar::<i64>(
        "SELECT COUNT(*) FROM automation_rules WHERE community_id = $1 AND template = $2 AND enabled = 1 AND deleted_at IS NULL",
    )
    .binds((community_id, template))
    .fetch_one(conn)
    .await?
        > 0)
}

/// Records that action `action_index` of a rule ran for a recipient in an
/// occurrence; `false` if it already had (so it must not run again).
pub async fn claim_delivery(
    conn: &mut Conn,
    rule_id: i64,
    occurrence: &str,
    recipient_id: i64,
    action_index: i64,
    now: i64,
) -> crate::Result<bool> {
    let r = query(
        "INSERT INTO automation_deliveries (rule_id, occurrence, recipient_id, action_index, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .binds((rule_id, occurrence, recipient_id, action_index, now))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Whether anything was delivered for this recipient since `since` (the inactivity sweep's "once per silence").
pub async fn delivered_since(conn: &mut Conn, rule_id: i64, recipient_id: i64, since: i64) -> crate::Result<bool> {
    Ok(query_scalar::<i64>(
        "SELECT COUNT(*) FROM automation_deliveries WHERE rule_id = $1 AND recipient_id = $2 AND created_at >= $3",
    )
    .binds((rule_id, recipient_id, since))
    .fetch_one(conn)
    .await?
        > 0)
}

pub struct NewRun<'a> {
    pub community_id: i64,
    pub rule_id: i64,
    pub occurrence: &'a str,
    pub trigger_kind: &'a str,
    pub status: &'a str,
    pub recipients: &'a str,
    pub recipient_count: i64,
    pub error: &'a str,
}

pub async fn insert_run(conn: &mut Conn, r: &NewRun<'_>, now: i64) -> crate::Result<i64> {
    query_scalar(
        "INSERT INTO automation_runs (community_id, rule_id, occurrence, trigger_kind, status, recipients, recipient_count, error, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .binds((r.community_id, r.rule_id, r.occurrence, r.trigger_kind, r.status, r.recipients, r.recipient_count, r.error, now))
    .fetch_one(conn)
    .await
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct RunRow {
    pub id: i64,
    pub rule_id: i64,
    pub rule_name: String,
    pub occurrence: String,
    pub trigger_kind: String,
    pub status: String,
    pub recipients: String,
    pub recipient_count: i64,
    pub error: String,
    pub created_at: i64,
}

/// Run history, newest first, optionally for one rule and/or one status.
pub async fn runs(
    conn: &mut Conn,
    community_id: i64,
    rule_id: Option<i64>,
    status: Option<&str>,
    before: i64,
    limit: i64,
) -> crate::Result<Vec<RunRow>> {
    query_as(
        "SELECT r.id, r.rule_id, a.name AS rule_name, r.occurrence, r.trigger_kind, r.status, r.recipients,
                r.recipient_count, r.error, r.created_at
         FROM automation_runs r JOIN automation_rules a ON a.id = r.rule_id
         WHERE r.community_id = $1 AND ($2 IS NULL OR r.rule_id = $2) AND ($3 IS NULL OR r.status = $3) AND r.id < $4
         ORDER BY r.id DESC LIMIT $5",
    )
    .binds((community_id, rule_id, status, before, limit))
    .fetch_all(conn)
    .await
}

// --- webhooks --------------------------------------------------------------
