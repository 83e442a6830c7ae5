//! Points storage: the ledger, its cached balances and period totals, and
//! the settings row (migrations/0014_points.sql).

use crate::sql::{query, query_as, query_scalar, Conn};

/// Sums are cast: PostgreSQL sums BIGINT as NUMERIC.
const ENTRY: &str =
    "id, user_id, amount, rule, event_id, subject_kind, subject_id, from_user_id, reason, reverses_id, created_at";

#[derive(Debug, Clone, serde::Deserialize)]
pub struct EntryRow {
    pub id: i64,
    pub user_id: i64,
    pub amount: i64,
    pub rule: String,
    pub event_id: Option<i64>,
    pub subject_kind: Option<String>,
    pub subject_id: Option<i64>,
    pub from_user_id: Option<i64>,
    pub reason: String,
    pub reverses_id: Option<i64>,
    pub created_at: i64,
}

pub struct NewEntry<'a> {
    pub community_id: i64,
    pub user_id: i64,
    pub amount: i64,
    pub rule: &'a str,
    pub event_id: Option<i64>,
    pub subject: Option<(&'a str, i64)>,
    pub from_user_id: Option<i64>,
    pub reason: &'a str,
    pub reverses_id: Option<i64>,
    pub day: i64,
    pub created_at: i64,
}

pub async fn settings(conn: &mut Conn, community_id: i64) -> crate::Result<Option<String>> {
    query_scalar("SELECT settings FROM points_settings WHERE community_id = $1")
        .bind(community_id)
        .fetch_optional(conn)
        .await
}

pub async fn put_settings(conn: &mut Conn, community_id: i64, json: &str) -> crate::Result<()> {
    query(
        "INSERT INTO points_settings (community_id, settings) VALUES ($1, $2)
         ON CONFLICT (community_id) DO UPDATE SET settings = excluded.settings",
    )
    .binds((community_id, json))
    .execute(conn)
    .await?;
    Ok(())
}

/// The member's (balance, top level), creating the row. On PostgreSQL the
/// upsert also locks it, so one member's awards are decided one at a time
/// (caps are read after this).
pub async fn lock_balance(conn: &mut Conn, community_id: i64, user_id: i64) -> crate::Result<(i64, i64)> {
    query_as(
        "INSERT INTO points_balances (community_id, user_id, balance, top_level) VALUES ($1, $2, 0, 0)
         ON CONFLICT (community_id, user_id) DO UPDATE SET balance = points_balances.balance
         RETURNING balance, top_level",
    )
    .binds((community_id, user_id))
    .fetch_one(conn)
    .await
}

/// Points `rule` and all rules paid the member on `day` (awards as paid, reversals not netted).
pub async fn paid_on(
    conn: &mut Conn,
    community_id: i64,
    user_id: i64,
    day: i64,
    rule: &str,
) -> crate::Result<(i64, i64)> {
    query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN rule = $4 THEN amount ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(amount), 0) AS BIGINT)
         FROM points_ledger WHERE community_id = $1 AND user_id = $2 AND day = $3
           AND event_id IS NOT NULL AND amount > 0",
    )
    .binds((community_id, user_id, day, rule))
    .fetch_one(conn)
    .await
}

/// When `rule` last paid the member.
pub async fn last_paid(conn: &mut Conn, community_id: i64, user_id: i64, rule: &str) -> crate::Result<Option<i64>> {
    query_scalar("SELECT MAX(created_at) FROM points_ledger WHERE community_id = $1 AND user_id = $2 AND rule = $3")
        .binds((community_id, user_id, rule))
        .fetch_one(conn)
        .await
}

/// Appends a row; `None` when this (event, rule, member) or this reversal is already there.
pub async fn insert(conn: &mut Conn, e: &NewEntry<'_>) -> crate::Result<Option<i64>> {
    let (sk, sid) = e.subject.map_or((None, None), |(k, id)| (Some(k), Some(id)));
    query_scalar(
        "INSERT INTO points_ledger (community_id, user_id, amount, rule, event_id, subject_kind, subject_id,
             from_user_id, reason, reverses_id, day, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING RETURNING id",
    )
    .binds((e.community_id, e.user_id, e.amount, e.rule, e.event_id, sk))
    .binds((sid, e.from_user_id, e.reason, e.reverses_id, e.day, e.created_at))
    .fetch_optional(conn)
    .await
}

/// Moves the cached balance and the period totals by `amount`; returns the new balance.
pub async fn add_to_totals(
    conn: &mut Conn,
    community_id: i64,
    user_id: i64,
    amount: i64,
    periods: &[&str],
) -> crate::Result<i64> {
    let balance = query_scalar(
        "UPDATE points_balances SET balance = balance + $3 WHERE community_id = $1 AND user_id = $2 RETURNING balance",
    )
    .binds((community_id, user_id, amount))
    .fetch_one(&mut *conn)
    .await?;
    for p in periods {
        query(
            "INSERT INTO points_periods (community_id, period, user_id, points) VALUES ($1, $2, $3, $4)
             ON CONFLICT (community_id, period, user_id) DO UPDATE SET points = points_periods.points + excluded.points",
        )
        .binds((community_id, *p, user_id, amount))
        .execute(&mut *conn)
        .await?;
    }
    Ok(balance)
}

pub async fn set_top_level(conn: &mut Conn, community_id: i64, user_id: i64, level: i64) -> crate::Result<()> {
    query("UPDATE points_balances SET top_level = $3 WHERE community_id = $1 AND user_id = $2")
        .binds((community_id, user_id, level))
        .execute(conn)
        .await?;
    Ok(())
}

/// Awards this content earned that nothing has taken back yet.
pub async fn standing_earned(conn: &mut Conn, community_id: i64, subject: (&str, i64)) -> crate::Result<Vec<EntryRow>> {
    query_as(&format!(
        "SELECT {ENTRY} FROM points_ledger l WHERE community_id = $1 AND subject_kind = $2 AND subject_id = $3
           AND event_id IS NOT NULL AND amount > 0
           AND NOT EXISTS (SELECT 1 FROM points_ledger r WHERE r.reverses_id = l.id) ORDER BY id"
    ))
    .binds((community_id, subject.0, subject.1))
    .fetch_all(conn)
    .await
}

/// The standing award `from` gave through `rule` on this content, newest first.
pub async fn standing_given(
    conn: &mut Conn,
    community_id: i64,
    rule: &str,
    subject: (&str, i64),
    from: Option<i64>,
) -> crate::Result<Option<EntryRow>> {
    query_as(&format!(
        "SELECT {ENTRY} FROM points_ledger l WHERE community_id = $1 AND rule = $2 AND subject_kind = $3 AND subject_id = $4
           AND ($5 IS NULL OR from_user_id = $5) AND event_id IS NOT NULL AND amount > 0
           AND NOT EXISTS (SELECT 1 FROM points_ledger r WHERE r.reverses_id = l.id) ORDER BY id DESC LIMIT 1"
    ))
    .binds((community_id, rule, subject.0, subject.1, from))
    .fetch_optional(conn)
    .await
}

/// A member's rows, newest first, before `before_id`.
pub async fn history(
    conn: &mut Conn,
    community_id: i64,
    user_id: i64,
    before_id: i64,
    limit: i64,
) -> crate::Result<Vec<EntryRow>> {
    query_as(&format!(
        "SELECT {ENTRY} FROM points_ledger WHERE community_id = $1 AND user_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4"
    ))
    .binds((community_id, user_id, before_id, limit))
    .fetch_all(conn)
    .await
}

pub async fn balance(conn: &mut Conn, community_id: i64, user_id: i64) -> crate::Result<Option<(i64, i64)>> {
    query_as("SELECT balance, top_level FROM points_balances WHERE community_id = $1 AND user_id = $2")
        .binds((community_id, user_id))
        .fetch_optional(conn)
        .await
}

/// The sum of a member's ledger (what the cached balance must equal).
pub async fn ledger_sum(conn: &mut Conn, community_id: i64, user_id: i64) -> crate::Result<i64> {
    query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM points_ledger WHERE community_id = $1 AND user_id = $2",
    )
    .binds((community_id, user_id))
    .fetch_one(conn)
    .await
}

/// (user id, username, display name, avatar, points, balance), highest first;
/// `period` `None` is all time (points = balance).
pub type Ranked = (i64, String, String, Option<String>, i64, i64);

/// The ranking queries write their (constant) LIMIT into the SQL: under
/// PostgreSQL's generic plans a `LIMIT $n` is estimated at a tenth of the
/// rows, and the planner then fans out parallel workers that cost 10 ms for 50 rows.
pub async fn leaderboard(
    conn: &mut Conn,
    community_id: i64,
    period: Option<&str>,
    limit: i64,
) -> crate::Result<Vec<Ranked>> {
    match period {
        None => {
            query_as(&format!(
                "SELECT u.id, u.username, u.display_name, u.avatar_url, b.balance, b.balance FROM points_balances b
             JOIN users u ON u.id = b.user_id
             WHERE b.community_id = $1 AND b.balance > 0 ORDER BY b.balance DESC, b.user_id LIMIT {limit}"
            ))
            .bind(community_id)
            .fetch_all(conn)
            .await
        }
        Some(p) => {
            query_as(&format!(
                "SELECT u.id, u.username, u.display_name, u.avatar_url, t.points, COALESCE(b.balance, 0) FROM points_periods t
             JOIN users u ON u.id = t.user_id
             LEFT JOIN points_balances b ON b.community_id = t.community_id AND b.user_id = t.user_id
             WHERE t.community_id = $1 AND t.period = $2 AND t.points > 0 ORDER BY t.points DESC, t.user_id LIMIT {limit}"
            ))
            .binds((community_id, p))
            .fetch_all(conn)
            .await
        }
    }
}

/// Drops a community's ledger and caches before a recompute rebuilds them.
pub async fn clear(conn: &mut Conn, community_id: i64) -> crate::Result<()> {
    for table in ["points_periods", "points_balances"] {
        query(&format!("DELETE FROM {table} WHERE community_id = $1")).bind(community_id).execute(&mut *conn).await?;
    }
    // Reversals first: they point at the rows they take back.
    query("DELETE FROM points_ledger WHERE community_id = $1 AND reverses_id IS NOT NULL")
        .bind(community_id)
        .execute(&mut *conn)
        .await?;
    query("DELETE FROM points_ledger WHERE community_id = $1").bind(community_id).execute(conn).await?;
    Ok(())
}

/// How many ledger rows the community has.
pub async fn count(conn: &mut Conn, community_id: i64) -> crate::Result<u64> {
    let n: i64 = query_scalar("SELECT COUNT(*) FROM points_ledger WHERE community_id = $1")
        .bind(community_id)
        .fetch_one(conn)
        .await?;
    Ok(n as u64)
}

/// (user id, balance) of these members who have a balance.
pub async fn balances_of(conn: &mut Conn, community_id: i64, ids: &[i64]) -> crate::Result<Vec<(i64, i64)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    // Integers only: safe to inline, and one statement for both databases.
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    query_as(&format!("SELECT user_id, balance FROM points_balances WHERE community_id = $1 AND user_id IN ({list})"))
        .bind(community_id)
        .fetch_all(conn)
        .await
}

/// Freezes the month's top `limit` (by the month's points, ties by member
/// id) unless it is frozen already; racing freezes keep one list.
pub async fn freeze_month(conn: &mut Conn, community_id: i64, month: &str, limit: i64, now: i64) -> crate::Result<()> {
    // The outer WHERE also lets SQLite read the ON CONFLICT clause after a SELECT.
    query(
        "INSERT INTO points_monthly (community_id, month, rank, user_id, points, frozen_at)
         SELECT $1, $2, ROW_NUMBER() OVER (ORDER BY t.points DESC, t.user_id), t.user_id, t.points, $4
         FROM (SELECT user_id, points FROM points_periods WHERE community_id = $1 AND period = $2 AND points > 0
               ORDER BY points DESC, user_id LIMIT $3) t
         WHERE NOT EXISTS (SELECT 1 FROM points_monthly m WHERE m.community_id = $1 AND m.month = $2)
         ON CONFLICT (community_id, month, rank) DO NOTHING",
    )
    .binds((community_id, month, limit, now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the month's list is frozen (a month without points has no list to freeze).
pub async fn is_frozen(conn: &mut Conn, community_id: i64, month: &str) -> crate::Result<bool> {
    let n: i64 = query_scalar("SELECT COUNT(*) FROM points_monthly WHERE community_id = $1 AND month = $2")
        .binds((community_id, month))
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// A frozen month's list, by rank, as [`Ranked`] rows (balance as of now).
pub async fn frozen_month(conn: &mut Conn, community_id: i64, month: &str) -> crate::Result<Vec<Ranked>> {
    query_as(
        "SELECT u.id, u.username, u.display_name, u.avatar_url, m.points, COALESCE(b.balance, 0) FROM points_monthly m
         JOIN users u ON u.id = m.user_id
         LEFT JOIN points_balances b ON b.community_id = m.community_id AND b.user_id = m.user_id
         WHERE m.community_id = $1 AND m.month = $2 ORDER BY m.rank",
    )
    .binds((community_id, month))
    .fetch_all(conn)
    .await
}

/// Members ranked by how many active members joined with their invites
/// since `since`, as [`Ranked`] rows (the count in the points column).
pub async fn top_inviters(conn: &mut Conn, community_id: i64, since: i64, limit: i64) -> crate::Result<Vec<Ranked>> {
    query_as(&format!(
        "SELECT u.id, u.username, u.display_name, u.avatar_url, COUNT(*) AS n, COALESCE(MAX(b.balance), 0)
         FROM memberships m
         JOIN memberships i ON i.community_id = m.community_id AND i.user_id = m.invited_by AND i.state = 'active'
         JOIN users u ON u.id = m.invited_by
         LEFT JOIN points_balances b ON b.community_id = m.community_id AND b.user_id = m.invited_by
         WHERE m.community_id = $1 AND m.state = 'active' AND m.joined_at >= $2
         GROUP BY u.id, u.username, u.display_name, u.avatar_url ORDER BY n DESC, u.id LIMIT {limit}"
    ))
    .binds((community_id, since))
    .fetch_all(conn)
    .await
}

/// Members ranked by how they helped since `since`: the comments others
/// wrote on their posts (replies received) plus five for each of their
/// comments accepted as the answer to someone's question, as [`Ranked`] rows.
pub async fn top_helpful(conn: &mut Conn, community_id: i64, since: i64, limit: i64) -> crate::Result<Vec<Ranked>> {
    query_as(&format!(
        "SELECT u.id, u.username, u.display_name, u.avatar_url, CAST(SUM(h.w) AS BIGINT) AS n, COALESCE(MAX(b.balance), 0)
         FROM (
           SELECT p.author_id AS uid, 1 AS w FROM comments c JOIN posts p ON p.id = c.post_id
           WHERE c.community_id = $1 AND c.author_id <> p.author_id AND c.created_at >= $2
             AND c.deleted_at IS NULL AND c.moderation = 'visible' AND p.deleted_at IS NULL
           UNION ALL
           SELECT c.author_id AS uid, 5 AS w FROM questions q JOIN comments c ON c.id = q.accepted_comment_id
           WHERE q.community_id = $1 AND q.accepted_at >= $2 AND c.deleted_at IS NULL
         ) h
         JOIN memberships i ON i.community_id = $1 AND i.user_id = h.uid AND i.state = 'active'
         JOIN users u ON u.id = h.uid
         LEFT JOIN points_balances b ON b.community_id = $1 AND b.user_id = h.uid
         GROUP BY u.id, u.username, u.display_name, u.avatar_url ORDER BY n DESC, u.id LIMIT {limit}"
    ))
    .binds((community_id, since))
    .fetch_all(conn)
    .await
}
