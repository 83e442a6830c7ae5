use crate::sql::{query, query_as, query_scalar, Binds, Conn};
use yaji_domain::community::CommunitySettings;
use yaji_domain::member::{MemberState, Role};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct CommunityRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub target_members: String,
    pub core_value: String,
    pub visibility: String,
    pub join_policy: String,
    pub entry_questions: String,
    pub time_zone: String,
    pub announcement: String,
    pub rules_version: i64,
    pub owner_id: i64,
    pub member_count: i64,
    pub post_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Version of the moderation settings (0: never saved, built-in defaults).
    pub moderation_version: i64,
    /// Version of the FAQ (bumped on every change; 0: no FAQ).
    pub faq_version: i64,
    /// Whether newcomers see the checklist (新人任务). The capabilities' other
    /// settings are in their own tables (`faq_settings`, `onboarding_settings`).
    pub checklist_enabled: i64,
    /// Members who accepted an older rules version may not post, comment or
    /// react until they accept (0: no version is required).
    pub rules_required_version: i64,
}

const COLS: &str = "c.id, c.slug, c.name, c.description, c.target_members, c.core_value, c.visibility, c.join_policy, \
    c.entry_questions, c.time_zone, c.announcement, c.rules_version, c.owner_id, c.member_count, c.post_count, c.created_at, c.updated_at, \
    c.moderation_version, c.faq_version, c.checklist_enabled, c.rules_required_version";

/// The settings columns, in the order both statements below name them.
fn settings_args(s: &CommunitySettings) -> impl Binds<'_> {
    let questions = serde_json::to_string(&s.entry_questions).unwrap_or_else(|_| "[]".into());
    let (v, j) = (s.visibility.as_str(), s.join_policy.as_str());
    (&s.name, &s.description, &s.target_members, &s.core_value, v, j, questions, &s.time_zone, &s.announcement)
}

pub async fn insert(conn: &mut Conn, slug: &str, s: &CommunitySettings, owner_id: i64, now: i64) -> crate::Result<i64> {
    query_scalar(
        "INSERT INTO communities (slug, name, description, target_members, core_value, visibility, join_policy,
            entry_questions, time_zone, announcement, owner_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(slug)
    .binds(settings_args(s))
    .binds((owner_id, now))
    .fetch_one(conn)
    .await
}

pub async fn update(conn: &mut Conn, id: i64, s: &CommunitySettings, now: i64) -> crate::Result<()> {
    query(
        "UPDATE communities SET name = $1, description = $2, target_members = $3, core_value = $4, visibility = $5,
            join_policy = $6, entry_questions = $7, time_zone = $8, announcement = $9, updated_at = $10 WHERE id = $11",
    )
    .binds(settings_args(s))
    .binds((now, id))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_slug(conn: &mut Conn, slug: &str) -> crate::Result<Option<CommunityRow>> {
    query_as(&format!("SELECT {COLS} FROM communities c WHERE c.slug = $1")).bind(slug).fetch_optional(conn).await
}

pub async fn by_id(conn: &mut Conn, id: i64) -> crate::Result<Option<CommunityRow>> {
    query_as(&format!("SELECT {COLS} FROM communities c WHERE c.id = $1")).bind(id).fetch_optional(conn).await
}

/// Communities for discovery, most members first. `public_only`: public ones and
/// private ones that take applications (a private circle that wants members must
/// be findable); otherwise all. Private ones show their card only.
pub async fn list(conn: &mut Conn, public_only: bool, limit: i64, offset: i64) -> crate::Result<Vec<CommunityRow>> {
    query_as(&format!(
        "SELECT {COLS} FROM communities c
         WHERE ($1 = 0 OR c.visibility = 'public' OR c.join_policy = 'approval')
         ORDER BY c.member_count DESC, c.id LIMIT $2 OFFSET $3"
    ))
    .binds((public_only as i64, limit, offset))
    .fetch_all(conn)
    .await
}

/// Communities where the user is an active member.
pub async fn list_for_member(conn: &mut Conn, user_id: i64) -> crate::Result<Vec<CommunityRow>> {
    query_as(&format!(
        "SELECT {COLS} FROM communities c JOIN memberships m ON m.community_id = c.id
         WHERE m.user_id = $1 AND m.state = 'active' ORDER BY c.name"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await
}

pub async fn add_member_count(conn: &mut Conn, id: i64, delta: i64) -> crate::Result<()> {
    query("UPDATE communities SET member_count = member_count + $1 WHERE id = $2")
        .binds((delta, id))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn add_post_count(conn: &mut Conn, id: i64, delta: i64) -> crate::Result<()> {
    query("UPDATE communities SET post_count = post_count + $1 WHERE id = $2").binds((delta, id)).execute(conn).await?;
    Ok(())
}

// ---- rules ----

#[derive(Debug, Clone, serde::Deserialize)]
pub struct RulesRow {
    pub version: i64,
    pub body: String,
    pub body_html: String,
    pub created_by: i64,
    pub created_at: i64,
}

/// Publishes a new rules version and makes it current; with `require`,
/// members must accept it before they write again. Returns the version.
pub async fn publish_rules(
    conn: &mut Conn,
    community_id: i64,
    body: &str,
    html: &str,
    by: i64,
    require: bool,
    now: i64,
) -> crate::Result<i64> {
    let version: i64 = query_scalar(
        "UPDATE communities SET rules_version = rules_version + 1, updated_at = $1,
             rules_required_version = CASE WHEN $3 = 1 THEN rules_version + 1 ELSE rules_required_version END
         WHERE id = $2 RETURNING rules_version",
    )
    .binds((now, community_id, require as i64))
    .fetch_one(&mut *conn)
    .await?;
    query("INSERT INTO community_rules (community_id, version, body, body_html, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .binds((community_id, version, body, html, by, now))
        .execute(conn)
        .await?;
    Ok(version)
}

/// Active members' ids (for fan-out notices), the one to leave out excepted.
pub async fn active_member_ids(conn: &mut Conn, community_id: i64, except: i64) -> crate::Result<Vec<i64>> {
    query_scalar("SELECT user_id FROM memberships WHERE community_id = $1 AND state = 'active' AND user_id <> $2 ORDER BY user_id")
        .binds((community_id, except))
        .fetch_all(conn)
        .await
}

pub async fn rules(conn: &mut Conn, community_id: i64, version: i64) -> crate::Result<Option<RulesRow>> {
    query_as("SELECT version, body, body_html, created_by, created_at FROM community_rules WHERE community_id = $1 AND version = $2")
        .binds((community_id, version))
        .fetch_optional(conn)
        .await
}

pub async fn rules_history(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<RulesRow>> {
    query_as("SELECT version, body, body_html, created_by, created_at FROM community_rules WHERE community_id = $1 ORDER BY version DESC")
        .bind(community_id)
        .fetch_all(conn)
        .await
}

// ---- memberships ----

#[derive(Debug, Clone, serde::Deserialize)]
pub struct MembershipRow {
    pub community_id: i64,
    pub user_id: i64,
    /// Decoded here: a stored value that is not a role or state fails the read.
    pub role: Role,
    pub state: MemberState,
    pub rules_version_accepted: i64,
    pub invited_by: Option<i64>,
    pub joined_at: i64,
    pub state_changed_at: i64,
    pub state_reason: String,
    /// Muted until this time (far future: until lifted).
    pub muted_until: Option<i64>,
    pub mute_reason: String,
    pub needs_approval: i64,
}

pub async fn membership(conn: &mut Conn, community_id: i64, user_id: i64) -> crate::Result<Option<MembershipRow>> {
    query_as(
        "SELECT community_id, user_id, role, state, rules_version_accepted, invited_by, joined_at, state_changed_at, state_reason,
            muted_until, mute_reason, needs_approval
         FROM memberships WHERE community_id = $1 AND user_id = $2",
    )
    .binds((community_id, user_id))
    .fetch_optional(conn)
    .await
}

/// How to find a community.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    Slug(&'a str),
    Id(i64),
}

#[derive(serde::Deserialize)]
struct WithMembership {
    #[serde(flatten)]
    c: CommunityRow,
    m_role: Option<Role>,
    m_state: Option<MemberState>,
    m_rules_version_accepted: Option<i64>,
    m_invited_by: Option<i64>,
    m_joined_at: Option<i64>,
    m_state_changed_at: Option<i64>,
    m_state_reason: Option<String>,
    m_muted_until: Option<i64>,
    m_mute_reason: Option<String>,
    m_needs_approval: Option<i64>,
}

/// A community and, when `user_id` is given, that person's membership row, in
/// one round trip (every community-scoped use case starts here).
pub async fn with_membership(
    conn: &mut Conn,
    key: Key<'_>,
    user_id: Option<i64>,
) -> crate::Result<Option<(CommunityRow, Option<MembershipRow>)>> {
    let filter = match key {
        Key::Slug(_) => "c.slug = $1",
        Key::Id(_) => "c.id = $1",
    };
    let sql = format!(
        "SELECT {COLS}, m.role AS m_role, m.state AS m_state, m.rules_version_accepted AS m_rules_version_accepted,
            m.invited_by AS m_invited_by, m.joined_at AS m_joined_at, m.state_changed_at AS m_state_changed_at,
            m.state_reason AS m_state_reason, m.muted_until AS m_muted_until, m.mute_reason AS m_mute_reason,
            m.needs_approval AS m_needs_approval
         FROM communities c LEFT JOIN memberships m ON m.community_id = c.id AND m.user_id = $2 WHERE {filter}"
    );
    let q = query_as::<WithMembership>(&sql);
    let q = match key {
        Key::Slug(s) => q.bind(s),
        Key::Id(i) => q.bind(i),
    };
    let row = q.bind(user_id.unwrap_or(-1)).fetch_optional(conn).await?;
    Ok(row.map(|r| {
        let m = match (r.m_role, r.m_state) {
            (Some(role), Some(state)) => Some(MembershipRow {
                community_id: r.c.id,
                user_id: user_id.unwrap_or(-1),
                role,
                state,
                rules_version_accepted: r.m_rules_version_accepted.unwrap_or(0),
                invited_by: r.m_invited_by,
                joined_at: r.m_joined_at.unwrap_or(0),
                state_changed_at: r.m_state_changed_at.unwrap_or(0),
                state_reason: r.m_state_reason.unwrap_or_default(),
                muted_until: r.m_muted_until,
                mute_reason: r.m_mute_reason.unwrap_or_default(),
                needs_approval: r.m_needs_approval.unwrap_or(0),
            }),
            _ => None,
        };
        (r.c, m)
    }))
}

/// All of a user's membership rows, for listing many communities at once.
pub async fn memberships_of(conn: &mut Conn, user_id: i64) -> crate::Result<Vec<MembershipRow>> {
    query_as(
        "SELECT community_id, user_id, role, state, rules_version_accepted, invited_by, joined_at, state_changed_at, state_reason,
            muted_until, mute_reason, needs_approval
         FROM memberships WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await
}

// ---- topics ----

#[derive(Debug, Clone, serde::Deserialize)]
pub struct TopicRow {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub created_at: i64,
    pub read_min_level: Option<i64>,
    pub read_tag: Option<String>,
    pub post_min_level: Option<i64>,
    pub post_tag: Option<String>,
}

const TOPIC: &str = "id, community_id, name, created_at, read_min_level, read_tag, post_min_level, post_tag";

/// Sets who may read and post in a topic (NULL: open).
pub async fn set_topic_access(
    conn: &mut Conn,
    id: i64,
    read: (Option<i64>, Option<&str>),
    post: (Option<i64>, Option<&str>),
) -> crate::Result<()> {
    query("UPDATE topics SET read_min_level = $2, read_tag = $3, post_min_level = $4, post_tag = $5 WHERE id = $1")
        .binds((id, read.0, read.1, post.0, post.1))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_topic(conn: &mut Conn, community_id: i64, name: &str, now: i64) -> crate::Result<i64> {
    let q = query_scalar("INSERT INTO topics (community_id, name, created_at) VALUES ($1, $2, $3) RETURNING id")
        .binds((community_id, name))
        .bind(now);
    q.fetch_one(conn).await
}

pub async fn topics(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<TopicRow>> {
    query_as(&format!("SELECT {TOPIC} FROM topics WHERE community_id = $1 ORDER BY name"))
        .bind(community_id)
        .fetch_all(conn)
        .await
}

pub async fn topic(conn: &mut Conn, id: i64) -> crate::Result<Option<TopicRow>> {
    query_as(&format!("SELECT {TOPIC} FROM topics WHERE id = $1")).bind(id).fetch_optional(conn).await
}

/// The id of the community's topic with this name, creating it if missing.
pub async fn ensure_topic(conn: &mut Conn, community_id: i64, name: &str, now: i64) -> crate::Result<i64> {
    query("INSERT INTO topics (community_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .binds((community_id, name, now))
        .execute(&mut *conn)
        .await?;
    query_scalar("SELECT id FROM topics WHERE community_id = $1 AND name = $2")
        .binds((community_id, name))
        .fetch_one(conn)
        .await
}

/// Usernames, display names and membership state (if any) in a community of
/// the given users, for tables that show people by id.
pub async fn people(
    conn: &mut Conn,
    community_id: i64,
    ids: &[i64],
) -> crate::Result<Vec<(i64, String, String, Option<String>)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    // Integers only: safe to inline, and one statement for both databases.
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    query_as(&format!(
        "SELECT u.id, u.username, u.display_name, m.state FROM users u
         LEFT JOIN memberships m ON m.user_id = u.id AND m.community_id = $1
         WHERE u.id IN ({list})"
    ))
    .bind(community_id)
    .fetch_all(conn)
    .await
}
