//! Onboarding storage: the newcomer checklist and members' "no assistant
//! messages" switch (see migrations/0005_automation.sql).

use crate::sql::{query, query_as, query_scalar, Conn};

pub async fn set_opt_out(conn: &mut Conn, community_id: i64, user_id: i64, out: bool) -> crate::Result<()> {
    query("UPDATE memberships SET assistant_opt_out = $3 WHERE community_id = $1 AND user_id = $2")
        .binds((community_id, user_id, out as i64))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_checklist(
    conn: &mut Conn,
    community_id: i64,
    enabled: bool,
    intro_topic_id: Option<i64>,
) -> crate::Result<()> {
    query("UPDATE communities SET checklist_enabled = $2 WHERE id = $1")
        .binds((community_id, enabled as i64))
        .execute(&mut *conn)
        .await?;
    set_setting(conn, community_id, "intro_topic_id", intro_topic_id).await
}

/// Writes one column of the community's onboarding settings row, creating it.
async fn set_setting(conn: &mut Conn, community_id: i64, column: &'static str, v: Option<i64>) -> crate::Result<()> {
    query(&format!(
        "INSERT INTO onboarding_settings (community_id, {column}) VALUES ($1, $2)
         ON CONFLICT (community_id) DO UPDATE SET {column} = excluded.{column}"
    ))
    .binds((community_id, v))
    .execute(conn)
    .await?;
    Ok(())
}

/// The topic introductions go to, if one was chosen.
pub async fn intro_topic(conn: &mut Conn, community_id: i64) -> crate::Result<Option<i64>> {
    let t: Option<Option<i64>> = query_scalar("SELECT intro_topic_id FROM onboarding_settings WHERE community_id = $1")
        .bind(community_id)
        .fetch_optional(conn)
        .await?;
    Ok(t.flatten())
}

/// When staff hid the setup guide, if they did.
pub async fn setup_dismissed_at(conn: &mut Conn, community_id: i64) -> crate::Result<Option<i64>> {
    let t: Option<Option<i64>> =
        query_scalar("SELECT setup_dismissed_at FROM onboarding_settings WHERE community_id = $1")
            .bind(community_id)
            .fetch_optional(conn)
            .await?;
    Ok(t.flatten())
}

pub async fn dismiss_setup(conn: &mut Conn, community_id: i64, now: i64) -> crate::Result<()> {
    set_setting(conn, community_id, "setup_dismissed_at", Some(now)).await
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
    .binds((community_id, user_id, intro_topic_id.unwrap_or(-1)))
    .fetch_one(conn)
    .await
}

/// Marks the checklist complete; `false` if it already was.
pub async fn complete_checklist(conn: &mut Conn, community_id: i64, user_id: i64, now: i64) -> crate::Result<bool> {
    let r = query(
        "UPDATE memberships SET checklist_completed_at = $3
         WHERE community_id = $1 AND user_id = $2 AND checklist_completed_at IS NULL",
    )
    .binds((community_id, user_id, now))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
