//! Writing imported activity: communities, members and memberships created
//! as needed, events keyed so a second import of the same line is a no-op.

use crate::sql::{query, query_scalar, Conn};

/// A community by slug, created (owned by `owner`, public, open) if missing.
pub async fn ensure_community(conn: &mut Conn, slug: &str, name: &str, owner: i64, now: i64) -> crate::Result<i64> {
    query(
        "INSERT INTO communities (slug, name, visibility, join_policy, time_zone, owner_id, created_at, updated_at)
         VALUES ($1, $2, 'public', 'open', 'Asia/Shanghai', $3, $4, $4) ON CONFLICT (slug) DO NOTHING",
    )
    .binds((slug, name, owner, now))
    .execute(&mut *conn)
    .await?;
    query_scalar("SELECT id FROM communities WHERE slug = $1").bind(slug).fetch_one(conn).await
}

/// A user by username, created without a usable password if missing.
pub async fn ensure_user(conn: &mut Conn, username: &str, display_name: &str, now: i64) -> crate::Result<i64> {
    query(
        "INSERT INTO users (username, display_name, password_hash, created_at) VALUES ($1, $2, '!', $3)
         ON CONFLICT (username) DO NOTHING",
    )
    .binds((username, display_name, now))
    .execute(&mut *conn)
    .await?;
    query_scalar("SELECT id FROM users WHERE username = $1").bind(username).fetch_one(conn).await
}

/// An active membership from `at` on (an earlier event moves the join earlier).
pub async fn ensure_membership(conn: &mut Conn, community_id: i64, user_id: i64, at: i64) -> crate::Result<()> {
    query(
        "INSERT INTO memberships (community_id, user_id, role, state, joined_at, state_changed_at)
         VALUES ($1, $2, 'member', 'active', $3, $3)
         ON CONFLICT (community_id, user_id) DO UPDATE SET joined_at =
             CASE WHEN excluded.joined_at < memberships.joined_at THEN excluded.joined_at ELSE memberships.joined_at END",
    )
    .binds((community_id, user_id, at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends an imported event; `false` if this line was imported before.
pub async fn insert_event(
    conn: &mut Conn,
    kind: &str,
    community_id: i64,
    actor_id: i64,
    at: i64,
    key: &str,
) -> crate::Result<bool> {
    let r = query(
        "INSERT INTO activity_events (kind, community_id, actor_id, subject_kind, subject_id, occurred_at, payload, import_key)
         VALUES ($1, $2, $3, 'import', 0, $4, '{\"imported\":true}', $5) ON CONFLICT DO NOTHING",
    )
    .binds((kind, community_id, actor_id, at, key))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn refresh_member_count(conn: &mut Conn, community_id: i64) -> crate::Result<()> {
    query(
        "UPDATE communities SET member_count = (SELECT COUNT(*) FROM memberships WHERE community_id = $1 AND state = 'active')
         WHERE id = $1",
    )
    .bind(community_id)
    .execute(conn)
    .await?;
    Ok(())
}
