//! Automation rules and their runs, member tags, the newcomer checklist, the
//! content calendar and outgoing webhooks (see migrations/0005_automation.sql).

use crate::sql::{query, query_as, query_scalar, Conn};

/// Enqueues, in the event's own transaction, one job per enabled rule that
/// listens to this event kind and one per webhook subscribed to it. One
/// statement; nothing is written for communities without either.
pub async fn dispatch(conn: &mut Conn, event_id: i64, community_id: i64, kind: &str, now: i64) -> crate::Result<u64> {
    // The pattern is built in SQL, not bound whole: SQLite re-prepares a
    // statement on every new binding of a bare LIKE pattern parameter.
    let r = query(
        "INSERT INTO jobs (kind, payload, dedupe_key, community_id, run_at, max_attempts, created_at)
         SELECT 'automation', '{\"rule_id\":' || id || ',\"event_id\":' || $1 || '}', 'auto:' || id || ':e' || $1,
                community_id, $2, 8, $2
         FROM automation_rules WHERE community_id = $3 AND enabled = 1 AND deleted_at IS NULL AND trigger_events LIKE '%,' || $4 || ',%'
         UNION ALL
         SELECT 'webhook', '{\"webhook_id\":' || id || ',\"event_id\":' || $1 || '}', 'hook:' || id || ':e' || $1,
                community_id, $2, 8, $2
         FROM webhooks WHERE community_id = $3 AND enabled = 1 AND deleted_at IS NULL AND (events = '*' OR events LIKE '%,' || $4 || ',%')
         ON CONFLICT DO NOTHING",
    )
    .bind(event_id)
    .bind(now)
    .bind(community_id)
    .bind(kind)
    .execute(conn)
    .await?;
    super::jobs::count_enqueued(r.rows_affected());
    Ok(r.rows_affected())
}

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
    .bind(r.community_id)
    .bind(r.name)
    .bind(r.template)
    .bind(r.trigger_kind)
    .bind(r.trigger_events)
    .bind(r.definition)
    .bind(r.enabled as i64)
    .bind(r.created_by)
    .bind(now)
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
    .bind(id)
    .bind(r.name)
    .bind(r.trigger_kind)
    .bind(r.trigger_events)
    .bind(r.definition)
    .bind(r.enabled as i64)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn delete_rule(conn: &mut Conn, id: i64, now: i64) -> crate::Result<()> {
    query("UPDATE automation_rules SET deleted_at = $2, enabled = 0, version = version + 1 WHERE id = $1")
        .bind(id)
        .bind(now)
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
    .bind(community_id)
    .bind(template)
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
    .bind(rule_id)
    .bind(occurrence)
    .bind(recipient_id)
    .bind(action_index)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Whether anything was delivered for this recipient since `since` (the inactivity sweep's "once per silence").
pub async fn delivered_since(conn: &mut Conn, rule_id: i64, recipient_id: i64, since: i64) -> crate::Result<bool> {
    Ok(query_scalar::<i64>(
        "SELECT COUNT(*) FROM automation_deliveries WHERE rule_id = $1 AND recipient_id = $2 AND created_at >= $3",
    )
    .bind(rule_id)
    .bind(recipient_id)
    .bind(since)
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
    .bind(r.community_id)
    .bind(r.rule_id)
    .bind(r.occurrence)
    .bind(r.trigger_kind)
    .bind(r.status)
    .bind(r.recipients)
    .bind(r.recipient_count)
    .bind(r.error)
    .bind(now)
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
    .bind(community_id)
    .bind(rule_id)
    .bind(status)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await
}

// --- members as automation sees them -------------------------------------

#[derive(Debug, Clone, serde::Deserialize)]
pub struct MemberRow {
    pub user_id: i64,
    pub display_name: String,
    pub username: String,
    pub locale: String,
    pub role: String,
    pub joined_at: i64,
    pub muted_until: Option<i64>,
    /// Tags joined with commas (tags cannot contain one).
    pub tags: Option<String>,
    /// Last post, comment or reaction in this community (or the join).
    pub last_active_at: i64,
    pub checklist_completed_at: Option<i64>,
    pub assistant_opt_out: i64,
}

/// Active members, or one of them; with their tags and last activity.
pub async fn members(conn: &mut Conn, community_id: i64, only: Option<i64>) -> crate::Result<Vec<MemberRow>> {
    query_as(
        "SELECT m.user_id, u.display_name, u.username, u.locale, m.role, m.joined_at, m.muted_until,
            (SELECT STRING_AGG(t.tag, ',') FROM member_tags t WHERE t.community_id = m.community_id AND t.user_id = m.user_id) AS tags,
            COALESCE((SELECT MAX(e.occurred_at) FROM activity_events e
                      WHERE e.community_id = m.community_id AND e.actor_id = m.user_id
                        AND e.kind IN ('post_created', 'comment_created', 'reaction_added', 'member_joined')), m.joined_at) AS last_active_at,
            m.checklist_completed_at, m.assistant_opt_out
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.community_id = $1 AND m.state = 'active' AND ($2 IS NULL OR m.user_id = $2)
         ORDER BY m.user_id",
    )
    .bind(community_id)
    .bind(only)
    .fetch_all(conn)
    .await
}

pub async fn add_tag(conn: &mut Conn, community_id: i64, user_id: i64, tag: &str, now: i64) -> crate::Result<bool> {
    let r = query(
        "INSERT INTO member_tags (community_id, user_id, tag, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(community_id)
    .bind(user_id)
    .bind(tag)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn remove_tag(conn: &mut Conn, community_id: i64, user_id: i64, tag: &str) -> crate::Result<bool> {
    let r = query("DELETE FROM member_tags WHERE community_id = $1 AND user_id = $2 AND tag = $3")
        .bind(community_id)
        .bind(user_id)
        .bind(tag)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn tags_of(conn: &mut Conn, community_id: i64, user_id: i64) -> crate::Result<Vec<String>> {
    query_scalar("SELECT tag FROM member_tags WHERE community_id = $1 AND user_id = $2 ORDER BY tag")
        .bind(community_id)
        .bind(user_id)
        .fetch_all(conn)
        .await
}

/// Every tag in use in a community with how many members carry it.
pub async fn tag_counts(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<(String, i64)>> {
    query_as("SELECT tag, COUNT(*) FROM member_tags WHERE community_id = $1 GROUP BY tag ORDER BY tag")
        .bind(community_id)
        .fetch_all(conn)
        .await
}

/// Moderators and above of a community.
pub async fn staff(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<i64>> {
    query_scalar(
        "SELECT user_id FROM memberships WHERE community_id = $1 AND state = 'active' AND role IN ('moderator', 'admin', 'owner')",
    )
    .bind(community_id)
    .fetch_all(conn)
    .await
}

pub async fn set_opt_out(conn: &mut Conn, community_id: i64, user_id: i64, out: bool) -> crate::Result<()> {
    query("UPDATE memberships SET assistant_opt_out = $3 WHERE community_id = $1 AND user_id = $2")
        .bind(community_id)
        .bind(user_id)
        .bind(out as i64)
        .execute(conn)
        .await?;
    Ok(())
}

// --- newcomer checklist ---------------------------------------------------

pub async fn set_checklist(
    conn: &mut Conn,
    community_id: i64,
    enabled: bool,
    intro_topic_id: Option<i64>,
) -> crate::Result<()> {
    query("UPDATE communities SET checklist_enabled = $2, checklist_intro_topic_id = $3 WHERE id = $1")
        .bind(community_id)
        .bind(enabled as i64)
        .bind(intro_topic_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// (posts in the intro topic, other posts) by a member, counting only visible ones.
pub async fn post_counts(
    conn: &mut Conn,
    community_id: i64,
    user_id: i64,
    intro_topic_id: Option<i64>,
) -> crate::Result<(i64, i64)> {
    query_as(
        "SELECT COALESCE(SUM(CASE WHEN topic_id = $3 THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN topic_id = $3 THEN 0 ELSE 1 END), 0)
         FROM posts WHERE community_id = $1 AND author_id = $2 AND deleted_at IS NULL AND moderation = 'visible'",
    )
    .bind(community_id)
    .bind(user_id)
    .bind(intro_topic_id.unwrap_or(-1))
    .fetch_one(conn)
    .await
}

/// Marks the checklist complete; `false` if it already was.
pub async fn complete_checklist(conn: &mut Conn, community_id: i64, user_id: i64, now: i64) -> crate::Result<bool> {
    let r = query(
        "UPDATE memberships SET checklist_completed_at = $3
         WHERE community_id = $1 AND user_id = $2 AND checklist_completed_at IS NULL",
    )
    .bind(community_id)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

// --- content calendar -----------------------------------------------------

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
    .bind(s.community_id)
    .bind(s.author_id)
    .bind(s.topic_id)
    .bind(s.title)
    .bind(s.body)
    .bind(s.publish_at)
    .bind(s.repeat_cron)
    .bind(now)
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
    .bind(community_id)
    .bind(from)
    .bind(to)
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
    .bind(id)
    .bind(status)
    .bind(publish_at)
    .bind(now)
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
    .bind(id)
    .bind(post_id)
    .bind(error)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

// --- webhooks --------------------------------------------------------------

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
    .bind(community_id)
    .bind(url)
    .bind(secret)
    .bind(events)
    .bind(by)
    .bind(now)
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
    .bind(d.webhook_id)
    .bind(d.community_id)
    .bind(d.job_id)
    .bind(d.event_kind)
    .bind(d.attempt)
    .bind(d.status)
    .bind(d.response_status)
    .bind(d.error)
    .bind(d.duration_ms)
    .bind(now)
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
    .bind(community_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}
