//! Membership storage: joining and leaving, roles, the member directory,
//! join requests, invites and member tags.

use crate::sql::{query, query_as, query_scalar, Conn};

pub struct Joining<'a> {
    pub community_id: i64,
    pub user_id: i64,
    pub role: &'a str,
    pub rules_version: i64,
    pub invited_by: Option<i64>,
    pub invite_id: Option<i64>,
    pub now: i64,
}

/// Makes the user an active member, creating or reviving the row (someone who
/// left or was removed comes back with a fresh join time and the new inviter).
/// Returns false, changing nothing, if they were already active (a concurrent join won).
pub async fn upsert_active(conn: &mut Conn, j: &Joining<'_>) -> crate::Result<bool> {
    let r = query(
        "INSERT INTO memberships (community_id, user_id, role, state, rules_version_accepted, invited_by, invite_id, joined_at, state_changed_at, state_reason)
         VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, $7, '')
         ON CONFLICT (community_id, user_id) DO UPDATE SET role = excluded.role, state = 'active',
            rules_version_accepted = excluded.rules_version_accepted, invited_by = excluded.invited_by,
            invite_id = excluded.invite_id, joined_at = excluded.joined_at, state_changed_at = excluded.state_changed_at, state_reason = ''
         WHERE memberships.state <> 'active'",
    )
    .binds((j.community_id, j.user_id, j.role, j.rules_version, j.invited_by, j.invite_id, j.now))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Changes a membership's state; returns false if the row was not in `from`.
pub async fn set_state(
    conn: &mut Conn,
    community_id: i64,
    user_id: i64,
    from: &str,
    to: &str,
    reason: &str,
    now: i64,
) -> crate::Result<bool> {
    let r = query(
        "UPDATE memberships SET state = $1, state_reason = $2, state_changed_at = $3 WHERE community_id = $4 AND user_id = $5 AND state = $6",
    )
    .binds((to, reason, now, community_id, user_id, from))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records a ban for someone who never joined (or whose row is gone).
pub async fn insert_banned(
    conn: &mut Conn,
    community_id: i64,
    user_id: i64,
    reason: &str,
    now: i64,
) -> crate::Result<()> {
    query(
        "INSERT INTO memberships (community_id, user_id, role, state, joined_at, state_changed_at, state_reason)
         VALUES ($1, $2, 'member', 'banned', $3, $3, $4)",
    )
    .binds((community_id, user_id, now, reason))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_role(conn: &mut Conn, community_id: i64, user_id: i64, role: &str) -> crate::Result<()> {
    query("UPDATE memberships SET role = $1 WHERE community_id = $2 AND user_id = $3")
        .binds((role, community_id, user_id))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn accept_rules(conn: &mut Conn, community_id: i64, user_id: i64, version: i64) -> crate::Result<()> {
    query("UPDATE memberships SET rules_version_accepted = $1 WHERE community_id = $2 AND user_id = $3")
        .binds((version, community_id, user_id))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct MemberListRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub role: String,
    pub state: String,
    pub joined_at: i64,
    pub invited_by: Option<i64>,
    pub muted_until: Option<i64>,
    pub needs_approval: i64,
}

/// The member directory: active members (or another state), optionally by role
/// and a name search (substring of username or display name, case-insensitive).
pub async fn members(
    conn: &mut Conn,
    community_id: i64,
    state: &str,
    role: Option<&str>,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> crate::Result<Vec<MemberListRow>> {
    let pattern = search.map(|s| format!("%{}%", escape_like(&s.to_lowercase())));
    query_as(
        "SELECT m.user_id, u.username, u.display_name, u.avatar_url, m.role, m.state, m.joined_at, m.invited_by,
            m.muted_until, m.needs_approval
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.community_id = $1 AND m.state = $2 AND ($3 IS NULL OR m.role = $3)
           AND ($4 IS NULL OR LOWER(u.username) LIKE $4 ESCAPE '\\' OR LOWER(u.display_name) LIKE $4 ESCAPE '\\')
         ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'moderator' THEN 2 ELSE 3 END, m.joined_at, m.user_id
         LIMIT $5 OFFSET $6",
    )
    .binds((community_id, state, role, pattern, limit, offset))
    .fetch_all(conn)
    .await
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct JoinRequestRow {
    pub id: i64,
    pub community_id: i64,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub answers: String,
    pub rules_version: i64,
    pub status: String,
    pub reason: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

const JR_COLS: &str = "r.id, r.community_id, r.user_id, u.username, u.display_name, r.answers, r.rules_version, r.status, r.reason, r.created_at, r.decided_at";

pub async fn insert_join_request(
    conn: &mut Conn,
    community_id: i64,
    user_id: i64,
    answers: &[String],
    rules_version: i64,
    now: i64,
) -> crate::Result<i64> {
    let q = query_scalar(
        "INSERT INTO join_requests (community_id, user_id, answers, rules_version, status, created_at) VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id",
    )
    .binds((community_id, user_id, serde_json::to_string(answers).unwrap_or_else(|_| "[]".into()), rules_version))
    .bind(now);
    q.fetch_one(conn).await
}

pub async fn pending_request_of(conn: &mut Conn, community_id: i64, user_id: i64) -> crate::Result<Option<i64>> {
    query_scalar("SELECT id FROM join_requests WHERE community_id = $1 AND user_id = $2 AND status = 'pending'")
        .binds((community_id, user_id))
        .fetch_optional(conn)
        .await
}

pub async fn join_request(conn: &mut Conn, id: i64) -> crate::Result<Option<JoinRequestRow>> {
    query_as(&format!("SELECT {JR_COLS} FROM join_requests r JOIN users u ON u.id = r.user_id WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn join_requests(
    conn: &mut Conn,
    community_id: i64,
    status: &str,
    limit: i64,
) -> crate::Result<Vec<JoinRequestRow>> {
    query_as(&format!(
        "SELECT {JR_COLS} FROM join_requests r JOIN users u ON u.id = r.user_id
         WHERE r.community_id = $1 AND r.status = $2 ORDER BY r.created_at, r.id LIMIT $3"
    ))
    .binds((community_id, status, limit))
    .fetch_all(conn)
    .await
}

/// Pending join requests, counted up to `max` (the tab shows "99+" beyond).
pub async fn pending_request_count(conn: &mut Conn, community_id: i64, max: i64) -> crate::Result<i64> {
    query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM join_requests WHERE community_id = $1 AND status = 'pending' LIMIT $2) p",
    )
    .binds((community_id, max))
    .fetch_one(conn)
    .await
}

/// The applicant's own requests in a community, newest first.
pub async fn my_join_requests(conn: &mut Conn, community_id: i64, user_id: i64) -> crate::Result<Vec<JoinRequestRow>> {
    query_as(&format!(
        "SELECT {JR_COLS} FROM join_requests r JOIN users u ON u.id = r.user_id
         WHERE r.community_id = $1 AND r.user_id = $2 ORDER BY r.id DESC LIMIT 10"
    ))
    .binds((community_id, user_id))
    .fetch_all(conn)
    .await
}

/// Decides a pending request; false if it was no longer pending (someone else decided).
pub async fn decide_join_request(
    conn: &mut Conn,
    id: i64,
    status: &str,
    reason: &str,
    by: i64,
    now: i64,
) -> crate::Result<bool> {
    let r = query("UPDATE join_requests SET status = $1, reason = $2, decided_by = $3, decided_at = $4 WHERE id = $5 AND status = 'pending'")
        .binds((status, reason, by, now, id))
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct InviteRow {
    pub id: i64,
    pub community_id: i64,
    pub code: String,
    pub created_by: i64,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

const INV_COLS: &str = "id, community_id, code, created_by, max_uses, uses, expires_at, revoked_at, created_at";

/// How many invite links a community has had (revoked ones included).
pub async fn invite_count(conn: &mut Conn, community_id: i64) -> crate::Result<i64> {
    query_scalar("SELECT COUNT(*) FROM invites WHERE community_id = $1").bind(community_id).fetch_one(conn).await
}

pub async fn insert_invite(
    conn: &mut Conn,
    community_id: i64,
    code: &str,
    by: i64,
    max_uses: Option<i64>,
    expires_at: Option<i64>,
    now: i64,
) -> crate::Result<i64> {
    let q = query_scalar(
        "INSERT INTO invites (community_id, code, created_by, max_uses, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .binds((community_id, code, by, max_uses, expires_at))
    .bind(now);
    q.fetch_one(conn).await
}

pub async fn invite_by_code(conn: &mut Conn, code: &str) -> crate::Result<Option<InviteRow>> {
    query_as(&format!("SELECT {INV_COLS} FROM invites WHERE code = $1")).bind(code).fetch_optional(conn).await
}

/// Consumes one use if the invite is still usable; the check and the
/// increment are one statement, so concurrent joins cannot exceed max_uses.
pub async fn use_invite(conn: &mut Conn, id: i64, now: i64) -> crate::Result<bool> {
    let r = query(
        "UPDATE invites SET uses = uses + 1 WHERE id = $1 AND revoked_at IS NULL
           AND (max_uses IS NULL OR uses < max_uses) AND (expires_at IS NULL OR expires_at > $2)",
    )
    .binds((id, now))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Revokes every live invite a person made in a community (they left, were
/// removed or were banned: their links stop working).
pub async fn revoke_invites_of(conn: &mut Conn, community_id: i64, created_by: i64, now: i64) -> crate::Result<u64> {
    let q =
        query("UPDATE invites SET revoked_at = $3 WHERE community_id = $1 AND created_by = $2 AND revoked_at IS NULL")
            .binds((community_id, created_by, now));
    Ok(q.execute(conn).await?.rows_affected())
}

pub async fn invites_by(conn: &mut Conn, community_id: i64, created_by: Option<i64>) -> crate::Result<Vec<InviteRow>> {
    query_as(&format!(
        "SELECT {INV_COLS} FROM invites WHERE community_id = $1 AND ($2 IS NULL OR created_by = $2) ORDER BY id DESC LIMIT 100"
    ))
    .binds((community_id, created_by))
    .fetch_all(conn)
    .await
}

pub async fn add_tag(conn: &mut Conn, community_id: i64, user_id: i64, tag: &str, now: i64) -> crate::Result<bool> {
    let r = query(
        "INSERT INTO member_tags (community_id, user_id, tag, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .binds((community_id, user_id, tag, now))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn remove_tag(conn: &mut Conn, community_id: i64, user_id: i64, tag: &str) -> crate::Result<bool> {
    let r = query("DELETE FROM member_tags WHERE community_id = $1 AND user_id = $2 AND tag = $3")
        .binds((community_id, user_id, tag))
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn tags_of(conn: &mut Conn, community_id: i64, user_id: i64) -> crate::Result<Vec<String>> {
    query_scalar("SELECT tag FROM member_tags WHERE community_id = $1 AND user_id = $2 ORDER BY tag")
        .binds((community_id, user_id))
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

#[derive(Debug, Clone, serde::Deserialize)]
pub struct ActiveMemberRow {
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

/// Active members, or one of them, with their tags and last activity (what
/// automation conditions and the checklist progress read).
pub async fn active_members(
    conn: &mut Conn,
    community_id: i64,
    only: Option<i64>,
) -> crate::Result<Vec<ActiveMemberRow>> {
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
    .binds((community_id, only))
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
