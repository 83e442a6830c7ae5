//! Moderation storage: settings documents, speaking rights, withheld content,
//! strikes, flags (rule holds and reports) and the audit view of the log.

use yaji_domain::content::ContentState;

use crate::sql::{query, query_as, query_scalar, Conn};

/// The stored settings document of a community, if it was ever saved.
pub async fn settings(conn: &mut Conn, community_id: i64) -> crate::Result<Option<String>> {
    query_scalar("SELECT settings FROM moderation_settings WHERE community_id = $1")
        .bind(community_id)
        .fetch_optional(conn)
        .await
}

/// Saves the settings and bumps the community's version; returns the new version.
pub async fn save_settings(conn: &mut Conn, community_id: i64, json: &str, by: i64, now: i64) -> crate::Result<i64> {
    query(
        "INSERT INTO moderation_settings (community_id, settings, updated_at, updated_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (community_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by",
    )
    .binds((community_id, json, now, by))
    .execute(&mut *conn)
    .await?;
    query_scalar(
        "UPDATE communities SET moderation_version = moderation_version + 1 WHERE id = $1 RETURNING moderation_version",
    )
    .bind(community_id)
    .fetch_one(conn)
    .await
}

/// Sets or lifts (`until = None`) a mute. Returns false when there is no active membership.
pub async fn set_mute(
    conn: &mut Conn,
    community_id: i64,
    user_id: i64,
    until: Option<i64>,
    reason: &str,
) -> crate::Result<bool> {
    let r = query(
        "UPDATE memberships SET muted_until = $1, mute_reason = $2 WHERE community_id = $3 AND user_id = $4 AND state = 'active'",
    )
    .binds((until, reason, community_id, user_id))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_needs_approval(conn: &mut Conn, community_id: i64, user_id: i64, on: bool) -> crate::Result<bool> {
    let r = query(
        "UPDATE memberships SET needs_approval = $1 WHERE community_id = $2 AND user_id = $3 AND state = 'active'",
    )
    .binds((i64::from(on), community_id, user_id))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn add_strike(conn: &mut Conn, community_id: i64, user_id: i64, rule: &str, at: i64) -> crate::Result<()> {
    query("INSERT INTO strikes (community_id, user_id, rule, at) VALUES ($1, $2, $3, $4)")
        .binds((community_id, user_id, rule, at))
        .execute(conn)
        .await?;
    Ok(())
}

/// Strikes at or after `since` (the decay window).
pub async fn live_strikes(conn: &mut Conn, community_id: i64, user_id: i64, since: i64) -> crate::Result<i64> {
    query_scalar("SELECT COUNT(*) FROM strikes WHERE community_id = $1 AND user_id = $2 AND at >= $3")
        .binds((community_id, user_id, since))
        .fetch_one(conn)
        .await
}

/// Posts and comments a member has written in a community (for newcomer limits).
pub async fn contributions(conn: &mut Conn, community_id: i64, user_id: i64) -> crate::Result<i64> {
    query_scalar(
        "SELECT (SELECT COUNT(*) FROM posts WHERE author_id = $2 AND community_id = $1)
              + (SELECT COUNT(*) FROM comments WHERE author_id = $2 AND community_id = $1)",
    )
    .binds((community_id, user_id))
    .fetch_one(conn)
    .await
}

/// Sets a post's or comment's moderation state; returns the previous state.
pub async fn set_content_state(
    conn: &mut Conn,
    kind: &str,
    id: i64,
    state: ContentState,
) -> crate::Result<Option<ContentState>> {
    let table = match kind {
        "post" => "posts",
        "comment" => "comments",
        _ => return Ok(None),
    };
    let before: Option<ContentState> = query_scalar(&format!("SELECT moderation FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    if before.is_some() {
        query(&format!("UPDATE {table} SET moderation = $1 WHERE id = $2"))
            .binds((state.as_str(), id))
            .execute(conn)
            .await?;
    }
    Ok(before)
}

pub struct NewFlag<'a> {
    pub community_id: i64,
    pub target_kind: &'a str,
    pub target_id: i64,
    pub target_user_id: i64,
    pub source: &'a str,
    pub reporter_id: Option<i64>,
    pub rules: &'a str,
    pub reason: &'a str,
    pub excerpt: &'a str,
    pub created_at: i64,
}

/// Inserts a flag; `None` when this reporter already reported this target.
pub async fn insert_flag(conn: &mut Conn, f: &NewFlag<'_>) -> crate::Result<Option<i64>> {
    let r = query_scalar(
        "INSERT INTO mod_flags (community_id, target_kind, target_id, target_user_id, source, reporter_id, rules, reason, excerpt, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING id",
    )
    .binds((f.community_id, f.target_kind, f.target_id, f.target_user_id, f.source, f.reporter_id, f.rules, f.reason, f.excerpt, f.created_at))
    .fetch_optional(conn)
    .await?;
    Ok(r)
}

/// Distinct members with an open report on a target.
pub async fn open_reporters(conn: &mut Conn, kind: &str, id: i64) -> crate::Result<i64> {
    query_scalar(
        "SELECT COUNT(DISTINCT reporter_id) FROM mod_flags
         WHERE target_kind = $1 AND target_id = $2 AND source = 'report' AND resolved_at IS NULL",
    )
    .binds((kind, id))
    .fetch_one(conn)
    .await
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct FlagRow {
    pub id: i64,
    pub target_kind: String,
    pub target_id: i64,
    pub target_user_id: i64,
    pub target_username: String,
    pub target_display_name: String,
    pub source: String,
    pub reporter_username: Option<String>,
    pub rules: String,
    pub reason: String,
    pub excerpt: String,
    pub created_at: i64,
}

/// Open flags of a community, oldest first.
pub async fn queue(conn: &mut Conn, community_id: i64, limit: i64) -> crate::Result<Vec<FlagRow>> {
    query_as(
        "SELECT f.id, f.target_kind, f.target_id, f.target_user_id, u.username AS target_username,
            u.display_name AS target_display_name, f.source, r.username AS reporter_username, f.rules, f.reason,
            f.excerpt, f.created_at
         FROM mod_flags f JOIN users u ON u.id = f.target_user_id LEFT JOIN users r ON r.id = f.reporter_id
         WHERE f.community_id = $1 AND f.resolved_at IS NULL
         ORDER BY f.created_at, f.id LIMIT $2",
    )
    .binds((community_id, limit))
    .fetch_all(conn)
    .await
}

/// Targets waiting in the review queue (a post with three reports is one), counted up to `max`.
pub async fn open_target_count(conn: &mut Conn, community_id: i64, max: i64) -> crate::Result<i64> {
    query_scalar(
        "SELECT COUNT(*) FROM (SELECT DISTINCT target_kind, target_id FROM mod_flags
         WHERE community_id = $1 AND resolved_at IS NULL LIMIT $2) q",
    )
    .binds((community_id, max))
    .fetch_one(conn)
    .await
}

/// Resolves every open flag on a target; returns (flags resolved, target author).
pub async fn resolve_target(
    conn: &mut Conn,
    community_id: i64,
    kind: &str,
    id: i64,
    by: i64,
    resolution: &str,
    now: i64,
) -> crate::Result<(u64, Option<i64>)> {
    let author: Option<i64> = query_scalar(
        "SELECT target_user_id FROM mod_flags WHERE community_id = $1 AND target_kind = $2 AND target_id = $3
         AND resolved_at IS NULL LIMIT 1",
    )
    .binds((community_id, kind, id))
    .fetch_optional(&mut *conn)
    .await?;
    let r = query(
        "UPDATE mod_flags SET resolved_at = $1, resolved_by = $2, resolution = $3
         WHERE community_id = $4 AND target_kind = $5 AND target_id = $6 AND resolved_at IS NULL",
    )
    .binds((now, by, resolution, community_id, kind, id))
    .execute(conn)
    .await?;
    Ok((r.rows_affected(), author))
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct StrikeRow {
    pub rule: String,
    pub at: i64,
}

pub async fn strikes_of(conn: &mut Conn, community_id: i64, user_id: i64, limit: i64) -> crate::Result<Vec<StrikeRow>> {
    query_as("SELECT rule, at FROM strikes WHERE community_id = $1 AND user_id = $2 ORDER BY at DESC LIMIT $3")
        .binds((community_id, user_id, limit))
        .fetch_all(conn)
        .await
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub kind: String,
    pub actor_username: Option<String>,
    pub subject_kind: String,
    pub subject_id: i64,
    pub occurred_at: i64,
    pub payload: String,
    /// What the subject is called: a member's display name, a post's title
    /// (or its first words), a comment's first words.
    pub target_name: Option<String>,
    /// The member's username (member subjects).
    pub target_username: Option<String>,
    /// The post a comment belongs to (comment subjects).
    pub target_post_id: Option<i64>,
}

/// Activity events of the given kinds in a community, newest first, before event id `before`.
pub async fn audit(
    conn: &mut Conn,
    community_id: i64,
    kinds: &[&str],
    before: i64,
    limit: i64,
) -> crate::Result<Vec<AuditRow>> {
    // Kinds are compile-time constants of the activity vocabulary, never user input.
    let list = kinds.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(",");
    query_as(&format!(
        "SELECT e.id, e.kind, u.username AS actor_username, e.subject_kind, e.subject_id, e.occurred_at, e.payload,
                COALESCE(tu.display_name, NULLIF(tp.title, ''), SUBSTR(tp.body, 1, 40), SUBSTR(tc.body, 1, 40)) AS target_name,
                tu.username AS target_username, tc.post_id AS target_post_id
         FROM activity_events e LEFT JOIN users u ON u.id = e.actor_id
         LEFT JOIN users tu ON e.subject_kind = 'user' AND tu.id = e.subject_id
         LEFT JOIN posts tp ON e.subject_kind = 'post' AND tp.id = e.subject_id
         LEFT JOIN comments tc ON e.subject_kind = 'comment' AND tc.id = e.subject_id
         WHERE e.community_id = $1 AND e.kind IN ({list}) AND e.id < $2
         ORDER BY e.id DESC LIMIT $3"
    ))
    .binds((community_id, before, limit))
    .fetch_all(conn)
    .await
}
