//! The durable job queue (see migrations/0003_jobs.sql).

use crate::sql::{query, query_as, query_scalar, Conn};

use crate::Backend;

pub struct NewJob<'a> {
    pub kind: &'a str,
    pub payload: &'a str,
    /// Jobs with the same key are one job: enqueuing it again changes nothing.
    pub dedupe_key: Option<&'a str>,
    pub community_id: Option<i64>,
    pub run_at: i64,
    pub max_attempts: i64,
}

/// Jobs this process has inserted (any database), so a use case can wake
/// the workers only when it queued one (`App::wake_workers_if_queued`).
static ENQUEUED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub(crate) fn count_enqueued(n: u64) {
    if n > 0 {
        ENQUEUED.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The number of jobs inserted by this process so far.
pub fn enqueued() -> u64 {
    ENQUEUED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Enqueues a job in the caller's transaction; `None` if its dedupe key exists.
pub async fn enqueue(conn: &mut Conn, j: &NewJob<'_>, now: i64) -> crate::Result<Option<i64>> {
    let id = query_scalar(
        "INSERT INTO jobs (kind, payload, dedupe_key, community_id, run_at, max_attempts, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id",
    )
    .binds((j.kind, j.payload, j.dedupe_key, j.community_id, j.run_at, j.max_attempts, now))
    .fetch_optional(conn)
    .await?;
    count_enqueued(u64::from(id.is_some()));
    Ok(id)
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub community_id: Option<i64>,
    pub status: String,
    pub run_at: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    pub worker: Option<String>,
    pub last_error: String,
    pub outcome: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

const COLS: &str = "id, kind, payload, community_id, status, run_at, attempts, max_attempts, worker, last_error, outcome, created_at, finished_at";

/// Claims up to `limit` due jobs (and jobs whose lease ran out) for `worker`
/// until `lease_until`. On PostgreSQL concurrent workers skip each other's rows
/// (`FOR UPDATE SKIP LOCKED`); on SQLite the single writer serializes claims.
pub async fn claim(
    conn: &mut Conn,
    backend: Backend,
    worker: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> crate::Result<Vec<JobRow>> {
    let lock = match backend {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, worker = $1, locked_until = $2
         WHERE id IN (
           SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $3) OR (status = 'running' AND locked_until < $3)
           ORDER BY run_at, id LIMIT $4 {lock})
         RETURNING {COLS}"
    );
    let mut rows: Vec<JobRow> =
        query_as(&sql).bind(worker).bind(lease_until).bind(now).bind(limit).fetch_all(conn).await?;
    rows.sort_by_key(|r| (r.run_at, r.id));
    Ok(rows)
}

/// Marks a claimed job done; false if this worker no longer holds it (its lease
/// ran out and another worker took it), in which case the caller rolls back.
pub async fn complete(conn: &mut Conn, id: i64, worker: &str, outcome: &str, now: i64) -> crate::Result<bool> {
    let r = query(
        "UPDATE jobs SET status = 'done', outcome = $1, finished_at = $2, locked_until = NULL
         WHERE id = $3 AND worker = $4 AND status = 'running'",
    )
    .binds((outcome, now, id, worker))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records a failed attempt: back to the queue at `retry_at`, or dead when `retry_at` is `None`.
pub async fn fail(
    conn: &mut Conn,
    id: i64,
    worker: &str,
    error: &str,
    retry_at: Option<i64>,
    now: i64,
) -> crate::Result<bool> {
    let r = match retry_at {
        Some(at) => query(
            "UPDATE jobs SET status = 'queued', run_at = $1, last_error = $2, locked_until = NULL
             WHERE id = $3 AND worker = $4 AND status = 'running'",
        )
        .bind(at),
        None => query(
            "UPDATE jobs SET status = 'dead', finished_at = $1, last_error = $2, locked_until = NULL
             WHERE id = $3 AND worker = $4 AND status = 'running'",
        )
        .bind(now),
    }
    .binds((error, id, worker))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Jobs by status, newest first (the dead-letter list is `status = 'dead'`).
pub async fn list(conn: &mut Conn, status: &str, limit: i64) -> crate::Result<Vec<JobRow>> {
    query_as(&format!("SELECT {COLS} FROM jobs WHERE status = $1 ORDER BY id DESC LIMIT $2"))
        .binds((status, limit))
        .fetch_all(conn)
        .await
}

/// Puts a dead job back in the queue with a fresh set of attempts.
pub async fn retry(conn: &mut Conn, id: i64, now: i64) -> crate::Result<bool> {
    let r = query(
        "UPDATE jobs SET status = 'queued', run_at = $1, attempts = 0, finished_at = NULL WHERE id = $2 AND status = 'dead'",
    )
    .binds((now, id))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Whether `claim` would find anything: a due job, or one whose lease ran out.
pub async fn claimable(conn: &mut Conn, now: i64) -> crate::Result<bool> {
    Ok(query_scalar::<i64>(
        "SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $1) OR (status = 'running' AND locked_until < $1) LIMIT 1",
    )
    .bind(now)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// When the next queued job is due, if any (the worker sleeps until then).
pub async fn next_due(conn: &mut Conn) -> crate::Result<Option<i64>> {
    query_scalar("SELECT MIN(run_at) FROM jobs WHERE status = 'queued'").fetch_one(conn).await
}

/// Deletes finished jobs older than `before`; dead ones stay for the administrators.
pub async fn prune_done(conn: &mut Conn, before: i64) -> crate::Result<u64> {
    let r = query("DELETE FROM jobs WHERE status = 'done' AND finished_at < $1").bind(before).execute(conn).await?;
    Ok(r.rows_affected())
}

pub async fn counts(conn: &mut Conn) -> crate::Result<Vec<(String, i64)>> {
    query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status ORDER BY status").fetch_all(conn).await
}

/// Savepoints around one job inside a batch transaction (same SQL on both databases).
pub async fn savepoint(conn: &mut Conn) -> crate::Result<()> {
    query("SAVEPOINT job").execute(conn).await?;
    Ok(())
}

pub async fn rollback_to_savepoint(conn: &mut Conn) -> crate::Result<()> {
    query("ROLLBACK TO SAVEPOINT job").execute(conn).await?;
    Ok(())
}

pub async fn release_savepoint(conn: &mut Conn) -> crate::Result<()> {
    query("RELEASE SAVEPOINT job").execute(conn).await?;
    Ok(())
}
