//! Badges storage (migrations/0016_badges.sql): a community's badges, who
//! earned which, and the counts badge rules compare against.

use crate::sql::{query, query_as, query_scalar, Conn};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct BadgeRow {
    pub id: i64,
    pub community_id: i64,
    pub builtin: Option<String>,
    pub name: String,
    pub description: String,
    pub icon: String,
    pub counter: Option<String>,
    pub at_least: Option<i64>,
    pub enabled: i64,
    /// Members who hold it.
    pub holders: i64,
}

const BADGE: &str =
    "b.id, b.community_id, b.builtin, b.name, b.description, b.icon, b.counter, b.at_least, b.enabled, \
    (SELECT COUNT(*) FROM member_badges m WHERE m.badge_id = b.id) AS holders";

/// How many built-in badges the community has rows for.
pub async fn builtin_count(conn: &mut Conn, community_id: i64) -> crate::Result<i64> {
    query_scalar("SELECT COUNT(*) FROM badges WHERE community_id = $1 AND builtin IS NOT NULL")
        .bind(community_id)
        .fetch_one(conn)
        .await
}

/// Adds a built-in badge unless the community has it.
pub async fn add_builtin(
    conn: &mut Conn,
    community_id: i64,
    key: &str,
    icon: &str,
    rule: Option<(&str, i64)>,
    now: i64,
) -> crate::Result<()> {
    query(
        "INSERT INTO badges (community_id, builtin, name, icon, counter, at_least, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (community_id, builtin) DO NOTHING",
    )
    .binds((community_id, key, format!("#{key}"), icon, rule.map(|r| r.0), rule.map(|r| r.1), now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Built-ins first (in creation order), then custom badges by name.
pub async fn list(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<BadgeRow>> {
    query_as(&format!(
        "SELECT {BADGE} FROM badges b WHERE b.community_id = $1 ORDER BY CASE WHEN b.builtin IS NULL THEN 1 ELSE 0 END, b.id"
    ))
    .bind(community_id)
    .fetch_all(conn)
    .await
}

pub async fn builtin(conn: &mut Conn, community_id: i64, key: &str) -> crate::Result<Option<BadgeRow>> {
    query_as(&format!("SELECT {BADGE} FROM badges b WHERE b.community_id = $1 AND b.builtin = $2"))
        .binds((community_id, key))
        .fetch_optional(conn)
        .await
}

pub async fn get(conn: &mut Conn, community_id: i64, id: i64) -> crate::Result<Option<BadgeRow>> {
    query_as(&format!("SELECT {BADGE} FROM badges b WHERE b.community_id = $1 AND b.id = $2"))
        .binds((community_id, id))
        .fetch_optional(conn)
        .await
}

/// A custom badge's fields.
pub struct Custom<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub icon: &'a str,
    pub rule: Option<(&'a str, i64)>,
}

/// Inserts a custom badge; `Ok(None)` when the name is taken.
pub async fn insert(conn: &mut Conn, community_id: i64, b: &Custom<'_>, now: i64) -> crate::Result<Option<i64>> {
    query_scalar(
        "INSERT INTO badges (community_id, name, description, icon, counter, at_least, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (community_id, name) DO NOTHING RETURNING id",
    )
    .binds((community_id, b.name, b.description, b.icon, b.rule.map(|r| r.0), b.rule.map(|r| r.1), now))
    .fetch_optional(conn)
    .await
}

/// Redefines a custom badge: `Ok(false)` when another has that name.
pub async fn update(conn: &mut Conn, community_id: i64, id: i64, b: &Custom<'_>) -> crate::Result<bool> {
    let taken: Option<i64> = query_scalar("SELECT id FROM badges WHERE community_id = $1 AND name = $2 AND id <> $3")
        .binds((community_id, b.name, id))
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some() {
        return Ok(false);
    }
    query("UPDATE badges SET name = $2, description = $3, icon = $4, counter = $5, at_least = $6 WHERE id = $1")
        .binds((id, b.name, b.description, b.icon, b.rule.map(|r| r.0), b.rule.map(|r| r.1)))
        .execute(conn)
        .await?;
    Ok(true)
}

pub async fn set_enabled(conn: &mut Conn, id: i64, on: bool) -> crate::Result<()> {
    query("UPDATE badges SET enabled = $2 WHERE id = $1").binds((id, i64::from(on))).execute(conn).await?;
    Ok(())
}

/// Deletes a badge and every award of it.
pub async fn delete(conn: &mut Conn, id: i64) -> crate::Result<()> {
    query("DELETE FROM member_badges WHERE badge_id = $1").bind(id).execute(&mut *conn).await?;
    query("DELETE FROM badges WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

/// Enabled badges with a rule that the member does not hold yet.
pub async fn unearned_rules(conn: &mut Conn, community_id: i64, user_id: i64) -> crate::Result<Vec<BadgeRow>> {
    query_as(&format!(
        "SELECT {BADGE} FROM badges b WHERE b.community_id = $1 AND b.enabled = 1 AND b.counter IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM member_badges m WHERE m.badge_id = b.id AND m.user_id = $2) ORDER BY b.id"
    ))
    .binds((community_id, user_id))
    .fetch_all(conn)
    .await
}

/// Records that the member earned the badge; `Ok(false)` if they already had it.
pub async fn award(
    conn: &mut Conn,
    badge: (i64, i64),
    user_id: i64,
    granted_by: Option<i64>,
    reason: &str,
    now: i64,
) -> crate::Result<bool> {
    let r = query(
        "INSERT INTO member_badges (badge_id, community_id, user_id, granted_by, reason, earned_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (badge_id, user_id) DO NOTHING",
    )
    .binds((badge.0, badge.1, user_id, granted_by, reason, now))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn revoke(conn: &mut Conn, badge_id: i64, user_id: i64) -> crate::Result<bool> {
    let r = query("DELETE FROM member_badges WHERE badge_id = $1 AND user_id = $2")
        .binds((badge_id, user_id))
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct EarnedRow {
    pub badge_id: i64,
    pub builtin: Option<String>,
    pub name: String,
    pub description: String,
    pub icon: String,
    pub granted_by: Option<i64>,
    pub reason: String,
    pub earned_at: i64,
}

/// The member's badges, newest first.
pub async fn earned(conn: &mut Conn, community_id: i64, user_id: i64) -> crate::Result<Vec<EarnedRow>> {
    query_as(
        "SELECT b.id AS badge_id, b.builtin, b.name, b.description, b.icon, m.granted_by, m.reason, m.earned_at
         FROM member_badges m JOIN badges b ON b.id = m.badge_id
         WHERE m.community_id = $1 AND m.user_id = $2 ORDER BY m.earned_at DESC, b.id DESC",
    )
    .binds((community_id, user_id))
    .fetch_all(conn)
    .await
}

/// A member's count for a badge rule (`counter` as domain::badges::Counter names it).
pub async fn count(conn: &mut Conn, community_id: i64, user_id: i64, counter: &str) -> crate::Result<i64> {
    let sql = match counter {
        "posts" => {
            "SELECT COUNT(*) FROM posts WHERE community_id = $1 AND author_id = $2 AND deleted_at IS NULL AND moderation = 'visible'"
        }
        "comments" => {
            "SELECT COUNT(*) FROM comments WHERE community_id = $1 AND author_id = $2 AND deleted_at IS NULL AND moderation = 'visible'"
        }
        "essence" => {
            "SELECT COUNT(*) FROM posts WHERE community_id = $1 AND author_id = $2 AND deleted_at IS NULL AND essence = 1"
        }
        "points" => {
            "SELECT COALESCE(MAX(balance), 0) FROM points_balances WHERE community_id = $1 AND user_id = $2"
        }
        "events" => {
            "SELECT COUNT(*) FROM event_registrations r JOIN events e ON e.id = r.event_id
             WHERE e.community_id = $1 AND r.user_id = $2 AND r.status = 'attended'"
        }
        "answers" => {
            "SELECT COUNT(*) FROM questions q JOIN comments c ON c.id = q.accepted_comment_id
             WHERE q.community_id = $1 AND c.author_id = $2 AND c.deleted_at IS NULL"
        }
        _ => return Ok(0),
    };
    query_scalar(sql).binds((community_id, user_id)).fetch_one(conn).await
}

/// Gives the badge to every active member whose count already meets its
/// rule (a new rule, a badge turned back on, built-ins new to a community),
/// in one statement per badge. Returns how many members earned it.
pub async fn backfill(
    conn: &mut Conn,
    community_id: i64,
    badge_id: i64,
    (counter, at_least): (&str, i64),
    now: i64,
) -> crate::Result<u64> {
    let who = match counter {
        "posts" => {
            "SELECT author_id AS uid FROM posts WHERE community_id = $1 AND deleted_at IS NULL AND moderation = 'visible'
             GROUP BY author_id HAVING COUNT(*) >= $3"
        }
        "comments" => {
            "SELECT author_id AS uid FROM comments WHERE community_id = $1 AND deleted_at IS NULL AND moderation = 'visible'
             GROUP BY author_id HAVING COUNT(*) >= $3"
        }
        "essence" => {
            "SELECT author_id AS uid FROM posts WHERE community_id = $1 AND deleted_at IS NULL AND essence = 1
             GROUP BY author_id HAVING COUNT(*) >= $3"
        }
        "points" => "SELECT user_id AS uid FROM points_balances WHERE community_id = $1 AND balance >= $3",
        "events" => {
            "SELECT r.user_id AS uid FROM event_registrations r JOIN events e ON e.id = r.event_id
             WHERE e.community_id = $1 AND r.status = 'attended' GROUP BY r.user_id HAVING COUNT(*) >= $3"
        }
        "answers" => {
            "SELECT c.author_id AS uid FROM questions q JOIN comments c ON c.id = q.accepted_comment_id
             WHERE q.community_id = $1 AND c.deleted_at IS NULL GROUP BY c.author_id HAVING COUNT(*) >= $3"
        }
        _ => return Ok(0),
    };
    // `WHERE true` lets SQLite read the ON CONFLICT clause after a SELECT.
    let r = query(&format!(
        "INSERT INTO member_badges (badge_id, community_id, user_id, reason, earned_at)
         SELECT $2, $1, x.uid, '', $4 FROM ({who}) x
         JOIN memberships ms ON ms.community_id = $1 AND ms.user_id = x.uid AND ms.state = 'active'
         WHERE true ON CONFLICT (badge_id, user_id) DO NOTHING"
    ))
    .binds((community_id, badge_id, at_least, now))
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}
