//! Awards storage (migrations/0019_awards.sql): awards, their nominees and
//! one vote per member.

use crate::sql::{query, query_as, query_scalar, Conn};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct AwardRow {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub closes_at: i64,
    pub created_at: i64,
    /// Members who voted.
    pub voters: i64,
}

const AWARD: &str = "a.id, a.community_id, a.title, a.closes_at, a.created_at, \
    (SELECT COUNT(*) FROM award_votes v WHERE v.award_id = a.id) AS voters";

pub async fn insert(
    conn: &mut Conn,
    community_id: i64,
    title: &str,
    closes_at: i64,
    by: i64,
    now: i64,
) -> crate::Result<i64> {
    query_scalar(
        "INSERT INTO awards (community_id, title, closes_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .binds((community_id, title, closes_at, by, now))
    .fetch_one(conn)
    .await
}

pub async fn add_nominee(conn: &mut Conn, award_id: i64, user_id: i64, position: i64) -> crate::Result<()> {
    query("INSERT INTO award_nominees (award_id, user_id, position) VALUES ($1, $2, $3)")
        .binds((award_id, user_id, position))
        .execute(conn)
        .await?;
    Ok(())
}

/// Newest first.
pub async fn list(conn: &mut Conn, community_id: i64, limit: i64) -> crate::Result<Vec<AwardRow>> {
    query_as(&format!("SELECT {AWARD} FROM awards a WHERE a.community_id = $1 ORDER BY a.id DESC LIMIT $2"))
        .binds((community_id, limit))
        .fetch_all(conn)
        .await
}

pub async fn get(conn: &mut Conn, community_id: i64, id: i64) -> crate::Result<Option<AwardRow>> {
    query_as(&format!("SELECT {AWARD} FROM awards a WHERE a.community_id = $1 AND a.id = $2"))
        .binds((community_id, id))
        .fetch_optional(conn)
        .await
}

/// (user id, username, display name, avatar, votes), in nomination order.
pub type NomineeRow = (i64, String, String, Option<String>, i64);

pub async fn nominees(conn: &mut Conn, award_id: i64) -> crate::Result<Vec<NomineeRow>> {
    query_as(
        "SELECT u.id, u.username, u.display_name, u.avatar_url,
           (SELECT COUNT(*) FROM award_votes v WHERE v.award_id = n.award_id AND v.nominee_id = n.user_id)
         FROM award_nominees n JOIN users u ON u.id = n.user_id WHERE n.award_id = $1 ORDER BY n.position",
    )
    .bind(award_id)
    .fetch_all(conn)
    .await
}

/// Records or changes the member's vote.
pub async fn vote(conn: &mut Conn, award_id: i64, voter_id: i64, nominee_id: i64, now: i64) -> crate::Result<()> {
    query(
        "INSERT INTO award_votes (award_id, voter_id, nominee_id, voted_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (award_id, voter_id) DO UPDATE SET nominee_id = excluded.nominee_id, voted_at = excluded.voted_at",
    )
    .binds((award_id, voter_id, nominee_id, now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn my_vote(conn: &mut Conn, award_id: i64, voter_id: i64) -> crate::Result<Option<i64>> {
    query_scalar("SELECT nominee_id FROM award_votes WHERE award_id = $1 AND voter_id = $2")
        .binds((award_id, voter_id))
        .fetch_optional(conn)
        .await
}
