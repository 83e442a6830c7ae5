//! Challenges storage (migrations/0020_challenges.sql): challenges, who
//! joined them with their standing, check-ins, and the reminders sent.

use crate::sql::{query, query_as, query_scalar, Conn};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct ChallengeRow {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub def: String,
    pub created_by: i64,
    pub created_at: i64,
    /// Members who joined.
    pub members: i64,
}

const CHALLENGE: &str = "c.id, c.community_id, c.title, c.def, c.created_by, c.created_at, \
    (SELECT COUNT(*) FROM challenge_members m WHERE m.challenge_id = c.id) AS members";

pub async fn insert(
    conn: &mut Conn,
    community_id: i64,
    title: &str,
    def: &str,
    (starts_on, ends_on): (&str, Option<&str>),
    by: i64,
    now: i64,
) -> crate::Result<i64> {
    query_scalar(
        "INSERT INTO challenges (community_id, title, def, starts_on, ends_on, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .binds((community_id, title, def, starts_on, ends_on, by, now))
    .fetch_one(conn)
    .await
}

pub async fn update(
    conn: &mut Conn,
    id: i64,
    title: &str,
    def: &str,
    (starts_on, ends_on): (&str, Option<&str>),
) -> crate::Result<()> {
    query("UPDATE challenges SET title = $2, def = $3, starts_on = $4, ends_on = $5 WHERE id = $1")
        .binds((id, title, def, starts_on, ends_on))
        .execute(conn)
        .await?;
    Ok(())
}

/// A community's challenges, running and upcoming first (by start), then ended ones.
pub async fn list(conn: &mut Conn, community_id: i64, today: &str) -> crate::Result<Vec<ChallengeRow>> {
    query_as(&format!(
        "SELECT {CHALLENGE} FROM challenges c WHERE c.community_id = $1
         ORDER BY CASE WHEN c.ends_on IS NOT NULL AND c.ends_on < $2 THEN 1 ELSE 0 END, c.starts_on DESC, c.id DESC LIMIT 100"
    ))
    .binds((community_id, today))
    .fetch_all(conn)
    .await
}

pub async fn get(conn: &mut Conn, id: i64) -> crate::Result<Option<ChallengeRow>> {
    query_as(&format!("SELECT {CHALLENGE} FROM challenges c WHERE c.id = $1")).bind(id).fetch_optional(conn).await
}

/// The community a challenge belongs to.
pub async fn community_of(conn: &mut Conn, id: i64) -> crate::Result<Option<i64>> {
    query_scalar("SELECT community_id FROM challenges WHERE id = $1").bind(id).fetch_optional(conn).await
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct MemberRow {
    pub user_id: i64,
    pub joined_at: i64,
    pub remind_minute: Option<i64>,
    pub checkins: i64,
    pub number_sum: f64,
    pub current_streak: i64,
    pub longest_streak: i64,
    pub last_day: Option<String>,
    pub makeups_used: i64,
    pub finished_at: Option<i64>,
}

const MEMBER: &str = "user_id, joined_at, remind_minute, checkins, number_sum, current_streak, longest_streak, \
    last_day, makeups_used, finished_at";

/// Joins; `false` when already in.
pub async fn join(conn: &mut Conn, id: i64, user_id: i64, remind: Option<i64>, now: i64) -> crate::Result<bool> {
    let n = query(
        "INSERT INTO challenge_members (challenge_id, user_id, joined_at, remind_minute) VALUES ($1, $2, $3, $4)
         ON CONFLICT (challenge_id, user_id) DO NOTHING",
    )
    .binds((id, user_id, now, remind))
    .execute(conn)
    .await?;
    Ok(n.rows_affected() == 1)
}

pub async fn leave(conn: &mut Conn, id: i64, user_id: i64) -> crate::Result<bool> {
    // Check-ins stay (they are history, and the points they paid stand).
    let n = query("DELETE FROM challenge_members WHERE challenge_id = $1 AND user_id = $2")
        .binds((id, user_id))
        .execute(conn)
        .await?;
    Ok(n.rows_affected() == 1)
}

pub async fn member(conn: &mut Conn, id: i64, user_id: i64) -> crate::Result<Option<MemberRow>> {
    query_as(&format!("SELECT {MEMBER} FROM challenge_members WHERE challenge_id = $1 AND user_id = $2"))
        .binds((id, user_id))
        .fetch_optional(conn)
        .await
}

/// Takes the member's row for the rest of the transaction (PostgreSQL row
/// lock; SQLite's single writer already serializes), so their check-ins are
/// decided one at a time. `None`: not a participant.
pub async fn lock_member(conn: &mut Conn, id: i64, user_id: i64) -> crate::Result<Option<MemberRow>> {
    query_as(&format!(
        "UPDATE challenge_members SET checkins = checkins WHERE challenge_id = $1 AND user_id = $2 RETURNING {MEMBER}"
    ))
    .binds((id, user_id))
    .fetch_optional(conn)
    .await
}

/// Moves the joining back to `at` when earlier (history imported from before).
pub async fn joined_by(conn: &mut Conn, id: i64, user_id: i64, at: i64) -> crate::Result<()> {
    query("UPDATE challenge_members SET joined_at = $3 WHERE challenge_id = $1 AND user_id = $2 AND joined_at > $3")
        .binds((id, user_id, at))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_reminder(conn: &mut Conn, id: i64, user_id: i64, minute: Option<i64>) -> crate::Result<()> {
    query("UPDATE challenge_members SET remind_minute = $3 WHERE challenge_id = $1 AND user_id = $2")
        .binds((id, user_id, minute))
        .execute(conn)
        .await?;
    Ok(())
}

pub struct NewCheckin<'a> {
    pub challenge_id: i64,
    pub user_id: i64,
    pub day: &'a str,
    pub made_up: bool,
    pub number: Option<f64>,
    pub created_at: i64,
}

/// Records a check-in; `None` when that day is already done.
pub async fn insert_checkin(conn: &mut Conn, c: &NewCheckin<'_>) -> crate::Result<Option<i64>> {
    query_scalar(
        "INSERT INTO checkins (challenge_id, user_id, day, made_up, number, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (challenge_id, user_id, day) DO NOTHING RETURNING id",
    )
    .binds((c.challenge_id, c.user_id, c.day, i64::from(c.made_up), c.number, c.created_at))
    .fetch_optional(conn)
    .await
}

pub async fn set_proof_post(conn: &mut Conn, checkin_id: i64, post_id: i64) -> crate::Result<()> {
    query("UPDATE checkins SET post_id = $2 WHERE id = $1").binds((checkin_id, post_id)).execute(conn).await?;
    Ok(())
}

/// Whether a post is a check-in's note.
pub async fn is_note(conn: &mut Conn, post_id: i64) -> crate::Result<bool> {
    let n: i64 = query_scalar("SELECT COUNT(*) FROM checkins WHERE post_id = $1").bind(post_id).fetch_one(conn).await?;
    Ok(n > 0)
}

/// The member's days done ('YYYY-MM-DD', ascending) with whether each was made up.
pub async fn days_of(conn: &mut Conn, id: i64, user_id: i64) -> crate::Result<Vec<(String, i64)>> {
    query_as("SELECT day, made_up FROM checkins WHERE challenge_id = $1 AND user_id = $2 ORDER BY day")
        .binds((id, user_id))
        .fetch_all(conn)
        .await
}

/// The standing derived from the check-ins, written back whole.
pub struct Standing<'a> {
    pub checkins: i64,
    pub number_sum: f64,
    pub current_streak: i64,
    pub longest_streak: i64,
    pub last_day: Option<&'a str>,
    pub makeups_used: i64,
    pub finished_at: Option<i64>,
}

pub async fn set_standing(conn: &mut Conn, id: i64, user_id: i64, s: &Standing<'_>) -> crate::Result<()> {
    query(
        "UPDATE challenge_members SET checkins = $3, number_sum = $4, current_streak = $5, longest_streak = $6,
            last_day = $7, makeups_used = $8, finished_at = $9 WHERE challenge_id = $1 AND user_id = $2",
    )
    .binds((id, user_id, s.checkins, s.number_sum, s.current_streak, s.longest_streak, s.last_day))
    .bind(s.makeups_used)
    .bind(s.finished_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The member's number total.
pub async fn number_sum(conn: &mut Conn, id: i64, user_id: i64) -> crate::Result<f64> {
    let n: Option<f64> = query_scalar(
        "SELECT SUM(number) FROM checkins WHERE challenge_id = $1 AND user_id = $2 AND number IS NOT NULL",
    )
    .binds((id, user_id))
    .fetch_one(conn)
    .await?;
    Ok(n.unwrap_or(0.0))
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct RankedRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub current_streak: i64,
    pub longest_streak: i64,
    pub checkins: i64,
    pub number_sum: f64,
    pub last_day: Option<String>,
}

/// What a leaderboard orders by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Streak,
    Total,
    Number,
}

/// Participants by `order`, best first (ties: earlier joiners first).
pub async fn ranked(conn: &mut Conn, id: i64, order: Order, limit: i64) -> crate::Result<Vec<RankedRow>> {
    let by = match order {
        Order::Streak => "m.current_streak DESC, m.longest_streak DESC",
        Order::Total => "m.checkins DESC, m.current_streak DESC",
        Order::Number => "m.number_sum DESC, m.checkins DESC",
    };
    query_as(&format!(
        "SELECT m.user_id, u.username, u.display_name, u.avatar_url, m.current_streak, m.longest_streak, m.checkins,
            m.number_sum, m.last_day
         FROM challenge_members m JOIN users u ON u.id = m.user_id
         WHERE m.challenge_id = $1 ORDER BY {by}, m.joined_at, m.user_id LIMIT $2"
    ))
    .binds((id, limit))
    .fetch_all(conn)
    .await
}

/// (day, participants who checked in that day), ascending.
pub async fn per_day(conn: &mut Conn, id: i64) -> crate::Result<Vec<(String, i64)>> {
    // Participants only: a member who left takes their days out of the rates.
    query_as(
        "SELECT k.day, COUNT(*) AS n FROM checkins k
         JOIN challenge_members m ON m.challenge_id = k.challenge_id AND m.user_id = k.user_id
         WHERE k.challenge_id = $1 GROUP BY k.day ORDER BY k.day",
    )
    .bind(id)
    .fetch_all(conn)
    .await
}

/// Participants who checked in on `day`.
pub async fn count_on(conn: &mut Conn, id: i64, day: &str) -> crate::Result<i64> {
    query_scalar(
        "SELECT COUNT(*) FROM checkins k
         JOIN challenge_members m ON m.challenge_id = k.challenge_id AND m.user_id = k.user_id
         WHERE k.challenge_id = $1 AND k.day = $2",
    )
    .binds((id, day))
    .fetch_one(conn)
    .await
}

/// Each participant's last day done (NULL: none yet).
pub async fn last_days(conn: &mut Conn, id: i64) -> crate::Result<Vec<Option<String>>> {
    query_scalar("SELECT last_day FROM challenge_members WHERE challenge_id = $1").bind(id).fetch_all(conn).await
}

pub async fn finishers(conn: &mut Conn, id: i64) -> crate::Result<i64> {
    query_scalar("SELECT COUNT(*) FROM challenge_members WHERE challenge_id = $1 AND finished_at IS NOT NULL")
        .bind(id)
        .fetch_one(conn)
        .await
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct FeedRow {
    pub checkin_id: i64,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub day: String,
    pub made_up: i64,
    pub number: Option<f64>,
    pub post_id: Option<i64>,
    pub body_html: Option<String>,
    pub created_at: i64,
}

/// The newest check-ins with proof members can see (the proof post visible),
/// before check-in `before`.
pub async fn feed(conn: &mut Conn, id: i64, before: i64, limit: i64) -> crate::Result<Vec<FeedRow>> {
    query_as(
        "SELECT k.id AS checkin_id, k.user_id, u.username, u.display_name, u.avatar_url, k.day, k.made_up, k.number,
            k.post_id, p.body_html, k.created_at
         FROM checkins k JOIN users u ON u.id = k.user_id
         JOIN posts p ON p.id = k.post_id AND p.deleted_at IS NULL AND p.moderation = 'visible'
         WHERE k.challenge_id = $1 AND k.id < $2 ORDER BY k.id DESC LIMIT $3",
    )
    .binds((id, before, limit))
    .fetch_all(conn)
    .await
}

/// Claims the day's reminder; `false` when it was already sent.
pub async fn claim_reminder(conn: &mut Conn, id: i64, user_id: i64, day: &str, now: i64) -> crate::Result<bool> {
    let n = query(
        "INSERT INTO checkin_reminders (challenge_id, user_id, day, sent_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (challenge_id, user_id, day) DO NOTHING",
    )
    .binds((id, user_id, day, now))
    .execute(conn)
    .await?;
    Ok(n.rows_affected() == 1)
}
