//! Lotteries storage (migrations/0021_lotteries.sql): lotteries with their
//! committed secret, entries with tickets, and the winners of a draw.

use crate::sql::{query, query_as, query_scalar, Conn};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct LotteryRow {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub def: String,
    pub opens_at: i64,
    pub closes_at: i64,
    pub secret: String,
    pub commitment: String,
    pub operator_value: String,
    pub entries_hash: Option<String>,
    pub seed: Option<String>,
    pub drawn_at: Option<i64>,
    pub result_post_id: Option<i64>,
    pub created_at: i64,
    /// Entries made.
    pub entries: i64,
}

const LOTTERY: &str =
    "l.id, l.community_id, l.title, l.def, l.opens_at, l.closes_at, l.secret, l.commitment, l.operator_value, l.entries_hash, \
    l.seed, l.drawn_at, l.result_post_id, l.created_at, \
    (SELECT COUNT(*) FROM lottery_entries e WHERE e.lottery_id = l.id) AS entries";

pub struct NewLottery<'a> {
    pub community_id: i64,
    pub title: &'a str,
    pub def: &'a str,
    pub opens_at: i64,
    pub closes_at: i64,
    pub secret: &'a str,
    pub commitment: &'a str,
    pub created_by: i64,
    pub created_at: i64,
}

pub async fn insert(conn: &mut Conn, l: &NewLottery<'_>) -> crate::Result<i64> {
    query_scalar(
        "INSERT INTO lotteries (community_id, title, def, opens_at, closes_at, secret, commitment, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .binds((l.community_id, l.title, l.def, l.opens_at, l.closes_at, l.secret))
    .binds((l.commitment, l.created_by, l.created_at))
    .fetch_one(conn)
    .await
}

pub async fn get(conn: &mut Conn, id: i64) -> crate::Result<Option<LotteryRow>> {
    query_as(&format!("SELECT {LOTTERY} FROM lotteries l WHERE l.id = $1")).bind(id).fetch_optional(conn).await
}

/// Takes the lottery's row for the rest of the transaction (PostgreSQL row
/// lock; SQLite's single writer already serializes): draws happen one at a time.
pub async fn lock(conn: &mut Conn, id: i64) -> crate::Result<Option<LotteryRow>> {
    query("UPDATE lotteries SET title = title WHERE id = $1").bind(id).execute(&mut *conn).await?;
    get(conn, id).await
}

/// A community's lotteries, newest first.
pub async fn list(conn: &mut Conn, community_id: i64, limit: i64) -> crate::Result<Vec<LotteryRow>> {
    query_as(&format!("SELECT {LOTTERY} FROM lotteries l WHERE l.community_id = $1 ORDER BY l.id DESC LIMIT $2"))
        .binds((community_id, limit))
        .fetch_all(conn)
        .await
}

/// Moves the entry window (the demo's finished lottery closed a week ago).
pub async fn set_window(conn: &mut Conn, id: i64, opens_at: i64, closes_at: i64) -> crate::Result<()> {
    query("UPDATE lotteries SET opens_at = $2, closes_at = $3 WHERE id = $1")
        .binds((id, opens_at, closes_at))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_operator_value(conn: &mut Conn, id: i64, value: &str) -> crate::Result<()> {
    query("UPDATE lotteries SET operator_value = $2 WHERE id = $1").binds((id, value)).execute(conn).await?;
    Ok(())
}

/// Records an entry as the member's `seq`-th; `None` when that number is taken
/// (a racing request got it first).
pub async fn enter(
    conn: &mut Conn,
    id: i64,
    user_id: i64,
    seq: i64,
    ticket: &str,
    now: i64,
) -> crate::Result<Option<i64>> {
    query_scalar(
        "INSERT INTO lottery_entries (lottery_id, user_id, seq, ticket, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .binds((id, user_id, seq, ticket, now))
    .fetch_optional(conn)
    .await
}

/// How many entries the member made.
pub async fn entries_of(conn: &mut Conn, id: i64, user_id: i64) -> crate::Result<Vec<String>> {
    query_scalar("SELECT ticket FROM lottery_entries WHERE lottery_id = $1 AND user_id = $2 ORDER BY seq")
        .binds((id, user_id))
        .fetch_all(conn)
        .await
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct EntryRow {
    pub id: i64,
    pub user_id: i64,
    pub ticket: String,
    pub eligible: Option<i64>,
}

/// Every entry in entry order.
pub async fn entries(conn: &mut Conn, id: i64) -> crate::Result<Vec<EntryRow>> {
    query_as("SELECT id, user_id, ticket, eligible FROM lottery_entries WHERE lottery_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(conn)
        .await
}

pub async fn set_drawn(
    conn: &mut Conn,
    id: i64,
    (entries_hash, seed): (&str, &str),
    by: i64,
    now: i64,
) -> crate::Result<()> {
    query("UPDATE lotteries SET entries_hash = $2, seed = $3, drawn_at = $4, drawn_by = $5 WHERE id = $1")
        .binds((id, entries_hash, seed, now, by))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records, at the draw, which entries could win.
pub async fn set_eligible(conn: &mut Conn, entry_id: i64, eligible: bool) -> crate::Result<()> {
    query("UPDATE lottery_entries SET eligible = $2 WHERE id = $1")
        .binds((entry_id, i64::from(eligible)))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_result_post(conn: &mut Conn, id: i64, post_id: i64) -> crate::Result<()> {
    query("UPDATE lotteries SET result_post_id = $2 WHERE id = $1").binds((id, post_id)).execute(conn).await?;
    Ok(())
}

pub async fn add_winner(
    conn: &mut Conn,
    id: i64,
    rank: i64,
    (entry_id, user_id): (i64, i64),
    prize: &str,
) -> crate::Result<()> {
    query("INSERT INTO lottery_winners (lottery_id, rank, entry_id, user_id, prize) VALUES ($1, $2, $3, $4, $5)")
        .binds((id, rank, entry_id, user_id, prize))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct WinnerRow {
    pub rank: i64,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub ticket: String,
    pub prize: String,
    pub delivered_at: Option<i64>,
}

pub async fn winners(conn: &mut Conn, id: i64) -> crate::Result<Vec<WinnerRow>> {
    query_as(
        "SELECT w.rank, w.user_id, u.username, u.display_name, u.avatar_url, e.ticket, w.prize, w.delivered_at
         FROM lottery_winners w JOIN users u ON u.id = w.user_id JOIN lottery_entries e ON e.id = w.entry_id
         WHERE w.lottery_id = $1 ORDER BY w.rank",
    )
    .bind(id)
    .fetch_all(conn)
    .await
}

/// Marks a prize delivered; `false` when there is no such winner or it already was.
pub async fn deliver(conn: &mut Conn, id: i64, rank: i64, now: i64) -> crate::Result<bool> {
    let n = query(
        "UPDATE lottery_winners SET delivered_at = $3 WHERE lottery_id = $1 AND rank = $2 AND delivered_at IS NULL",
    )
    .binds((id, rank, now))
    .execute(conn)
    .await?;
    Ok(n.rows_affected() == 1)
}
