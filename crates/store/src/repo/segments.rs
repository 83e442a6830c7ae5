//! Segments storage: saved segments (migrations/0015_segments.sql) and the
//! query that finds their members among a community's active members.

use crate::sql::{query, query_as, query_scalar, Conn};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct SegmentRow {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub rule: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const SEGMENT: &str = "id, community_id, name, rule, created_at, updated_at";

pub async fn list(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<SegmentRow>> {
    query_as(&format!("SELECT {SEGMENT} FROM segments WHERE community_id = $1 ORDER BY name"))
        .bind(community_id)
        .fetch_all(conn)
        .await
}

pub async fn get(conn: &mut Conn, community_id: i64, id: i64) -> crate::Result<Option<SegmentRow>> {
    query_as(&format!("SELECT {SEGMENT} FROM segments WHERE community_id = $1 AND id = $2"))
        .binds((community_id, id))
        .fetch_optional(conn)
        .await
}

/// Inserts a segment; `Ok(None)` when the community already has one by that name.
pub async fn insert(
    conn: &mut Conn,
    community_id: i64,
    name: &str,
    rule: &str,
    by: i64,
    now: i64,
) -> crate::Result<Option<i64>> {
    query_scalar(
        "INSERT INTO segments (community_id, name, rule, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (community_id, name) DO NOTHING RETURNING id",
    )
    .binds((community_id, name, rule, by, now))
    .fetch_optional(conn)
    .await
}

/// Renames or redefines a segment: `Ok(false)` when another has that name.
pub async fn update(conn: &mut Conn, id: i64, name: &str, rule: &str, now: i64) -> crate::Result<bool> {
    let taken: Option<i64> = query_scalar(
        "SELECT id FROM segments WHERE community_id = (SELECT community_id FROM segments WHERE id = $1) AND name = $2 AND id <> $1",
    )
    .binds((id, name))
    .fetch_optional(&mut *conn)
    .await?;
    if taken.is_some() {
        return Ok(false);
    }
    query("UPDATE segments SET name = $2, rule = $3, updated_at = $4 WHERE id = $1")
        .binds((id, name, rule, now))
        .execute(conn)
        .await?;
    Ok(true)
}

pub async fn delete(conn: &mut Conn, id: i64) -> crate::Result<()> {
    query("DELETE FROM segments WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

/// Who a segment holds, in storage terms (the app resolves levels to points
/// and days to times). Every condition must hold.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub tags_any: Vec<String>,
    pub tags_none: Vec<String>,
    pub min_points: Option<i64>,
    pub roles: Vec<String>,
    pub joined_after: Option<i64>,
    pub joined_before: Option<i64>,
    pub active_after: Option<i64>,
    pub inactive_since: Option<i64>,
    /// Leave out members who turned this notification kind off.
    pub unless_off: Option<String>,
    /// Only these users (what the analytics tiers picked), when set.
    pub only: Option<Vec<i64>>,
}

/// What counts as activity for segments (and the automation's last-active).
const ACTIVE_KINDS: &str = "'post_created', 'comment_created', 'reaction_added', 'comment_reaction_added'";

enum Arg {
    Int(i64),
    Text(String),
}

/// The WHERE clause over `memberships m` and its arguments from `$2` on.
fn clause(f: &Filter, sqlite: bool) -> (String, Vec<Arg>) {
    let mut sql = String::from("m.community_id = $1 AND m.state = 'active'");
    let mut args: Vec<Arg> = vec![];
    let mut next = |args: &mut Vec<Arg>, a: Arg| {
        args.push(a);
        format!("${}", args.len() + 1)
    };
    let list = |args: &mut Vec<Arg>, items: &[String], next: &mut dyn FnMut(&mut Vec<Arg>, Arg) -> String| {
        items.iter().map(|t| next(args, Arg::Text(t.clone()))).collect::<Vec<_>>().join(", ")
    };
    if !f.tags_any.is_empty() {
        let l = list(&mut args, &f.tags_any, &mut next);
        sql += &format!(" AND EXISTS (SELECT 1 FROM member_tags t WHERE t.community_id = m.community_id AND t.user_id = m.user_id AND t.tag IN ({l}))");
    }
    if !f.tags_none.is_empty() {
        let l = list(&mut args, &f.tags_none, &mut next);
        sql += &format!(" AND NOT EXISTS (SELECT 1 FROM member_tags t WHERE t.community_id = m.community_id AND t.user_id = m.user_id AND t.tag IN ({l}))");
    }
    if !f.roles.is_empty() {
        let l = list(&mut args, &f.roles, &mut next);
        sql += &format!(" AND m.role IN ({l})");
    }
    if let Some(p) = f.min_points {
        let a = next(&mut args, Arg::Int(p));
        sql += &format!(" AND COALESCE((SELECT b.balance FROM points_balances b WHERE b.community_id = m.community_id AND b.user_id = m.user_id), 0) >= {a}");
    }
    if let Some(t) = f.joined_after {
        let a = next(&mut args, Arg::Int(t));
        sql += &format!(" AND m.joined_at >= {a}");
    }
    if let Some(t) = f.joined_before {
        let a = next(&mut args, Arg::Int(t));
        sql += &format!(" AND m.joined_at < {a}");
    }
    let active = |a: &str| {
        format!("EXISTS (SELECT 1 FROM activity_events e WHERE e.community_id = m.community_id AND e.actor_id = m.user_id AND e.occurred_at >= {a} AND e.kind IN ({ACTIVE_KINDS}))")
    };
    if let Some(t) = f.active_after {
        let a = next(&mut args, Arg::Int(t));
        sql += &format!(" AND {}", active(&a));
    }
    if let Some(t) = f.inactive_since {
        let a = next(&mut args, Arg::Int(t));
        sql += &format!(" AND NOT {}", active(&a));
    }
    if let Some(kind) = &f.unless_off {
        let a = next(&mut args, Arg::Text(kind.clone()));
        sql += &format!(" AND NOT EXISTS (SELECT 1 FROM email_preferences p WHERE p.user_id = m.user_id AND p.kind = {a} AND p.mode = 'off')");
    }
    if let Some(ids) = &f.only {
        // One JSON array parameter, however many ids: no statement grows with the list.
        let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let a = next(&mut args, Arg::Text(json));
        sql += &if sqlite {
            format!(" AND m.user_id IN (SELECT value FROM json_each({a}))")
        } else {
            format!(" AND m.user_id IN (SELECT jsonb_array_elements_text({a}::jsonb)::bigint)")
        };
    }
    (sql, args)
}

fn bound<'q, O>(mut q: crate::sql::Query<'q, O>, community_id: i64, args: Vec<Arg>) -> crate::sql::Query<'q, O> {
    q = q.bind(community_id);
    for a in args {
        q = match a {
            Arg::Int(n) => q.bind(n),
            Arg::Text(s) => q.bind(s),
        };
    }
    q
}

/// How many active members match.
pub async fn count(conn: &mut Conn, community_id: i64, f: &Filter) -> crate::Result<i64> {
    let (w, args) = clause(f, conn.is_sqlite());
    bound(query_scalar(&format!("SELECT COUNT(*) FROM memberships m WHERE {w}")), community_id, args)
        .fetch_one(conn)
        .await
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct SegmentMemberRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub role: String,
    pub joined_at: i64,
    pub balance: i64,
}

/// Matching members by user id after `after`, at most `limit`.
pub async fn members(
    conn: &mut Conn,
    community_id: i64,
    f: &Filter,
    after: i64,
    limit: i64,
) -> crate::Result<Vec<SegmentMemberRow>> {
    let (w, mut args) = clause(f, conn.is_sqlite());
    let (a, l) = (args.len() + 2, args.len() + 3);
    args.push(Arg::Int(after));
    args.push(Arg::Int(limit));
    bound(
        query_as(&format!(
            "SELECT m.user_id, u.username, u.display_name, u.avatar_url, m.role, m.joined_at,
                COALESCE(b.balance, 0) AS balance
             FROM memberships m JOIN users u ON u.id = m.user_id
             LEFT JOIN points_balances b ON b.community_id = m.community_id AND b.user_id = m.user_id
             WHERE {w} AND m.user_id > ${a} ORDER BY m.user_id LIMIT ${l}"
        )),
        community_id,
        args,
    )
    .fetch_all(conn)
    .await
}
