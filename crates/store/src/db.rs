use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use crate::sql::{Conn, Inner};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Pg(#[from] sqlx::Error),
    #[error("database: no row returned")]
    RowNotFound,
    #[error("database: decoding a row: {0}")]
    Decode(String),
    #[error("migration {version}: {source}")]
    Migration { version: i64, source: Box<DbError> },
    #[error("{0}")]
    Config(String),
    /// The commit shared by a group of SQLite use cases failed (see `Writer`).
    #[error("database: commit: {0}")]
    Commit(String),
}

impl DbError {
    /// True when the statement broke a UNIQUE or PRIMARY KEY constraint.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            DbError::Pg(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }

    /// True when PostgreSQL broke a deadlock by failing this transaction
    /// (SQLSTATE 40P01): two inserts that an exclusion constraint keeps apart
    /// can each wait for the other. Running the use case again decides it.
    pub fn is_deadlock(&self) -> bool {
        matches!(self, DbError::Pg(sqlx::Error::Database(e)) if e.code().as_deref() == Some("40P01"))
    }

    /// True when the statement broke the constraint `name`: on PostgreSQL the
    /// named constraint (an exclusion constraint, say), on SQLite a trigger
    /// that aborted with `RAISE(ABORT, 'name')`.
    pub fn is_constraint(&self, name: &str) -> bool {
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, Some(msg))) => {
                e.code == rusqlite::ErrorCode::ConstraintViolation && msg == name
            }
            DbError::Pg(sqlx::Error::Database(e)) => e.constraint() == Some(name),
            _ => false,
        }
    }
}

/// The part of a migration for one database: lines after `-- @postgres`
/// or `-- @sqlite` belong to that database only, until `-- @both`.
fn dialect(sql: &str, backend: Backend) -> String {
    let mut keep = true;
    let mut out = String::with_capacity(sql.len());
    for line in sql.lines() {
        match line.trim() {
            "-- @postgres" => keep = backend == Backend::Postgres,
            "-- @sqlite" => keep = backend == Backend::Sqlite,
            "-- @both" => keep = true,
            _ if keep => {
                out.push_str(line);
                out.push('\n');
            }
            _ => {}
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database handle. On SQLite: one writer connection behind an async
/// mutex, so in-process writers queue without `SQLITE_BUSY`, and a few reader
/// connections that proceed in parallel under WAL. On PostgreSQL: one pool.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Backends>,
}

enum Backends {
    Sqlite {
        writer: Arc<tokio::sync::Mutex<Writer>>,
        /// Wakes the group committer (`spawn_committer`).
        commit: std::sync::mpsc::SyncSender<()>,
        readers: Arc<Readers>,
        generation: AtomicU64,
    },
    Postgres(PgPool),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({:?})", self.backend())
    }
}

/// The SQLite writer connection and its group commit. Use cases take the
/// connection in turn (a fair queue); each runs inside its own savepoint of
/// one shared transaction, releases it when done and waits for the COMMIT,
/// which the committer thread makes when its own turn comes: after every use
/// case that queued before it. Under load one COMMIT (one write of each page
/// the group touched to the WAL) serves many use cases; alone, a use case
/// waits for one thread hand-off. A use case that fails or is dropped rolls
/// back to its savepoint and leaves the others' work alone; if the COMMIT
/// fails, every use case of the group gets the error (nothing of theirs was
/// answered as done before it).
pub(crate) struct Writer {
    conn: Conn,
    /// The shared transaction is open.
    open: bool,
    /// Use cases whose work waits in the open transaction.
    pending: Vec<tokio::sync::oneshot::Sender<Result<(), String>>>,
}

/// Idle SQLite reader connections; the semaphore counts the idle ones.
struct Readers {
    idle: Mutex<Vec<Conn>>,
    available: Arc<Semaphore>,
}

/// A reader connection, back in the pool when dropped.
pub struct ReadConn {
    conn: Option<Conn>,
    home: Option<(Arc<Readers>, OwnedSemaphorePermit)>,
}

impl std::ops::Deref for ReadConn {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl std::ops::DerefMut for ReadConn {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("connection present until drop")
    }
}

impl Drop for ReadConn {
    fn drop(&mut self) {
        if let (Some(conn), Some((readers, _permit))) = (self.conn.take(), self.home.as_ref()) {
            readers.idle.lock().push(conn);
        }
    }
}

/// Schema migrations, one source for both dialects (see the SQL file header).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../migrations/0001_foundation.sql")),
    (2, "moderation", include_str!("../migrations/0002_moderation.sql")),
    (3, "jobs", include_str!("../migrations/0003_jobs.sql")),
    (4, "faq", include_str!("../migrations/0004_faq.sql")),
    (5, "automation", include_str!("../migrations/0005_automation.sql")),
    (6, "email", include_str!("../migrations/0006_email.sql")),
    (7, "import", include_str!("../migrations/0007_import.sql")),
    (8, "capability_settings", include_str!("../migrations/0008_capability_settings.sql")),
    (9, "write_limits", include_str!("../migrations/0009_write_limits.sql")),
    (10, "setup_guide", include_str!("../migrations/0010_setup_guide.sql")),
    (11, "rules_acceptance", include_str!("../migrations/0011_rules_acceptance.sql")),
    (12, "comment_threads", include_str!("../migrations/0012_comment_threads.sql")),
    (13, "comment_reactions", include_str!("../migrations/0013_comment_reactions.sql")),
    (14, "points", include_str!("../migrations/0014_points.sql")),
    (15, "segments", include_str!("../migrations/0015_segments.sql")),
    (16, "badges", include_str!("../migrations/0016_badges.sql")),
    (17, "topic_access", include_str!("../migrations/0017_topic_access.sql")),
    (18, "monthly_tops", include_str!("../migrations/0018_monthly_tops.sql")),
    (19, "awards", include_str!("../migrations/0019_awards.sql")),
    (20, "challenges", include_str!("../migrations/0020_challenges.sql")),
    (21, "lotteries", include_str!("../migrations/0021_lotteries.sql")),
    (22, "gatherings", include_str!("../migrations/0022_gatherings.sql")),
    (23, "venues", include_str!("../migrations/0023_venues.sql")),
    (24, "light_accounts", include_str!("../migrations/0024_light_accounts.sql")),
    (25, "gathering_funnel", include_str!("../migrations/0025_gathering_funnel.sql")),
    (26, "qa", include_str!("../migrations/0026_qa.sql")),
    (27, "polls", include_str!("../migrations/0027_polls.sql")),
];

/// Readers per process: SQLite statements run on the calling thread, so more
/// connections than runtime threads only help while a use case holds one
/// across an await; 16 on 2 cores measured slower (global mutex contention).
const SQLITE_READERS: usize = 8;

impl Db {
    /// Connects from a URL: `sqlite://PATH[?mode=rwc]` or `postgres://...`.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                return Err(DbError::Config("the SQLite URL names no file".into()));
            }
            let writer = sqlite_open(path)?;
            if let Inner::Lite(c) = &writer.inner {
                // Checkpoints happen on a thread of their own (below), not in the
                // commit of whichever request crossed the threshold: a checkpoint
                // ends in an fsync, and the writer and its async worker would wait for it.
                c.pragma_update(None, "wal_autocheckpoint", 0)?;
            }
            let writer = Arc::new(tokio::sync::Mutex::new(Writer { conn: writer, open: false, pending: vec![] }));
            let mut idle = Vec::with_capacity(SQLITE_READERS);
            for _ in 0..SQLITE_READERS {
                idle.push(sqlite_open(path)?);
            }
            let readers =
                Arc::new(Readers { idle: Mutex::new(idle), available: Arc::new(Semaphore::new(SQLITE_READERS)) });
            let commit = spawn_committer(Arc::downgrade(&writer))?;
            let db =
                Db { inner: Arc::new(Backends::Sqlite { writer, commit, readers, generation: AtomicU64::new(1) }) };
            spawn_checkpointer(path, Arc::downgrade(&db.inner))?;
            Ok(db)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // Every statement is prepared once per connection; left to itself PostgreSQL
            // re-plans the feed's joins on each run (a custom plan is estimated cheaper
            // for the cursor's values), which cost half the server's time per feed read.
            // Generic plans are made once per connection. SQLite already plans without
            // the bound values (the stability guarantee, below), so every statement
            // is written to be served well by a value-independent plan.
            let opts: PgConnectOptions = url
                .parse::<PgConnectOptions>()?
                .options([("plan_cache_mode", "force_generic_plan")])
                .disable_statement_logging();
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts)
                .await?;
            Ok(Db { inner: Arc::new(Backends::Postgres(pool)) })
        } else {
            Err(DbError::Config(format!("unsupported database URL scheme in {:?}", redact(url))))
        }
    }

    pub fn backend(&self) -> Backend {
        match &*self.inner {
            Backends::Sqlite { .. } => Backend::Sqlite,
            Backends::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations, each in its own transaction. Safe to run
    /// concurrently from several processes: the version row's primary key
    /// makes a second runner fail and roll back.
    pub async fn migrate(&self) -> Result<(), DbError> {
        let id_type = match self.backend() {
            Backend::Sqlite => "INTEGER PRIMARY KEY",
            Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        };
        {
            let mut tx = self.write().await?;
            tx.conn()
                .execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
                .await?;
            tx.commit().await?;
        }
        for (version, name, sql) in MIGRATIONS {
            let mut tx = self.write().await?;
            let done: Option<i64> =
                crate::sql::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(*version)
                    .fetch_optional(tx.conn())
                    .await?;
            if done.is_some() {
                tx.rollback().await?;
                continue;
            }
            let sql = dialect(sql, self.backend()).replace("@ID@", id_type);
            let wrap = |source| DbError::Migration { version: *version, source: Box::new(source) };
            tx.conn().execute_batch(&sql).await.map_err(wrap)?;
            crate::sql::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                .binds((*version, *name, now_millis()))
                .execute(tx.conn())
                .await
                .map_err(wrap)?;
            tx.commit().await.map_err(wrap)?;
            tracing::info!(version, name, "applied migration");
        }
        Ok(())
    }

    /// A connection for reads outside any transaction.
    pub async fn read(&self) -> Result<ReadConn, DbError> {
        match &*self.inner {
            Backends::Sqlite { readers, .. } => {
                let permit = readers
                    .available
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|_| DbError::Config("database closed".into()))?;
                let conn = readers.idle.lock().pop().expect("a permit means an idle connection");
                Ok(ReadConn { conn: Some(conn), home: Some((readers.clone(), permit)) })
            }
            Backends::Postgres(pool) => Ok(ReadConn {
                conn: Some(Conn { inner: Inner::Pg(pool.acquire().await?), seen_version: 0 }),
                home: None,
            }),
        }
    }

    /// A number that changes whenever anything was committed to the database,
    /// by this process or any other, for caches of what a read returned: a value
    /// cached under generation `g` is current while this still returns `g`.
    /// Ask on the connection the read then uses, before reading. `None` on
    /// PostgreSQL, where other nodes commit unseen: nothing is cached there.
    ///
    /// SQLite's `PRAGMA data_version` on a connection changes when any other
    /// connection commits; each reader remembers the value it last saw, and the
    /// first to see a change moves the shared generation on.
    pub async fn generation(&self, conn: &mut Conn) -> Result<Option<u64>, DbError> {
        let Backends::Sqlite { generation, .. } = &*self.inner else { return Ok(None) };
        let Inner::Lite(c) = &conn.inner else { return Ok(None) };
        let version: i64 = c.prepare_cached("PRAGMA data_version")?.query_row([], |r| r.get(0))?;
        if version != conn.seen_version {
            conn.seen_version = version;
            return Ok(Some(generation.fetch_add(1, Ordering::SeqCst) + 1));
        }
        Ok(Some(generation.load(Ordering::SeqCst)))
    }

    /// Starts the one write transaction of a use case.
    pub async fn write(&self) -> Result<WriteTx, DbError> {
        match &*self.inner {
            Backends::Sqlite { writer, commit, .. } => {
                let mut guard = writer.clone().lock_owned().await;
                if !guard.open {
                    // IMMEDIATE takes the write lock up front, so another process's
                    // writer makes us wait (busy_timeout) instead of failing at our first write.
                    guard.conn.execute_batch("BEGIN IMMEDIATE").await?;
                    guard.open = true;
                }
                if let Err(e) = guard.conn.execute_batch("SAVEPOINT use_case").await {
                    // The open transaction must still end.
                    drop(guard);
                    let _ = commit.try_send(());
                    return Err(e);
                }
                Ok(WriteTx { conn: Some(TxConn::Lite(guard, commit.clone())) })
            }
            Backends::Postgres(pool) => {
                let mut conn = Conn { inner: Inner::Pg(pool.acquire().await?), seen_version: 0 };
                conn.execute_batch("BEGIN").await?;
                Ok(WriteTx { conn: Some(TxConn::Pg(conn)) })
            }
        }
    }

    pub async fn close(&self) {
        match &*self.inner {
            Backends::Sqlite { readers, .. } => readers.available.close(),
            Backends::Postgres(pool) => pool.close().await,
        }
    }
}

enum TxConn {
    Lite(OwnedMutexGuard<Writer>, std::sync::mpsc::SyncSender<()>),
    Pg(Conn),
}

/// An open write transaction. Commit it explicitly; if it is dropped first
/// (an error, or the request was cancelled) it is rolled back: at once on
/// SQLite, by closing the connection on PostgreSQL.
pub struct WriteTx {
    conn: Option<TxConn>,
}

impl WriteTx {
    pub fn conn(&mut self) -> &mut Conn {
        match self.conn.as_mut().expect("transaction already finished") {
            TxConn::Lite(g, _) => &mut g.conn,
            TxConn::Pg(c) => c,
        }
    }

    /// Commits: on SQLite, releases this use case's savepoint and returns
    /// once the shared COMMIT that includes it is done.
    pub async fn commit(mut self) -> Result<(), DbError> {
        match self.conn.as_mut() {
            Some(TxConn::Lite(g, _)) => {
                g.conn.execute_batch("RELEASE use_case").await?;
                let (done, wait) = tokio::sync::oneshot::channel();
                g.pending.push(done);
                // Dropping the guard hands the connection on and wakes the committer.
                let Some(TxConn::Lite(g, commit)) = self.conn.take() else { unreachable!("matched above") };
                drop(g);
                let _ = commit.try_send(());
                match wait.await {
                    Ok(r) => r.map_err(DbError::Commit),
                    Err(_) => Err(DbError::Commit("the database was closed".into())),
                }
            }
            _ => self.end("COMMIT").await,
        }
    }

    pub async fn rollback(mut self) -> Result<(), DbError> {
        match self.conn.take() {
            Some(TxConn::Lite(g, commit)) => {
                rollback_use_case(g, &commit);
                Ok(())
            }
            other => {
                self.conn = other;
                self.end("ROLLBACK").await
            }
        }
    }

    async fn end(&mut self, sql: &str) -> Result<(), DbError> {
        let r = self.conn().execute_batch(sql).await;
        if r.is_ok() {
            self.conn = None;
        }
        // On error the connection stays, and Drop rolls back (or closes).
        r
    }
}

/// Undoes one use case's work (its savepoint), leaving the group's.
fn rollback_use_case(mut g: OwnedMutexGuard<Writer>, commit: &std::sync::mpsc::SyncSender<()>) {
    if let Inner::Lite(c) = &mut g.conn.inner {
        // A failure that ended the whole transaction (disk full, I/O) left no savepoint: the COMMIT will say so.
        if !c.is_autocommit() {
            if let Err(e) = c.execute_batch("ROLLBACK TO use_case; RELEASE use_case") {
                tracing::error!(error = %e, "rolling back an abandoned use case");
            }
        }
    }
    drop(g);
    // The open transaction must end even if no other use case comes.
    let _ = commit.try_send(());
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        match self.conn.take() {
            Some(TxConn::Lite(g, commit)) => rollback_use_case(g, &commit),
            Some(TxConn::Pg(Conn { inner: Inner::Pg(mut c), .. })) => c.close_on_drop(),
            _ => {}
        }
    }
}

/// The group committer: a thread that, each time it is woken, waits its turn
/// for the writer (behind every use case already queued) and commits the
/// shared transaction, then tells each waiting use case how it went. It ends
/// when the database is dropped.
fn spawn_committer(
    writer: std::sync::Weak<tokio::sync::Mutex<Writer>>,
) -> Result<std::sync::mpsc::SyncSender<()>, DbError> {
    // One slot: wake-ups that come while one is pending add nothing.
    let (wake, woken) = std::sync::mpsc::sync_channel::<()>(1);
    std::thread::Builder::new()
        .name("yaji-group-commit".into())
        .spawn(move || {
            while woken.recv().is_ok() {
                let Some(writer) = writer.upgrade() else { return };
                let mut w = writer.blocking_lock();
                if !w.open {
                    continue;
                }
                let Inner::Lite(c) = &mut w.conn.inner else { return };
                let r = if c.is_autocommit() {
                    Err("the transaction was rolled back by an earlier error".to_string())
                } else {
                    c.execute_batch("COMMIT").map_err(|e| e.to_string())
                };
                if r.is_err() && !c.is_autocommit() {
                    let _ = c.execute_batch("ROLLBACK");
                }
                w.open = false;
                for done in w.pending.drain(..) {
                    let _ = done.send(r.clone());
                }
            }
        })
        .map_err(|e| DbError::Config(format!("starting the commit thread: {e}")))?;
    Ok(wake)
}

/// Copies the WAL back into the database file once a second while the
/// database is open (a PASSIVE checkpoint: readers and the writer go on).
fn spawn_checkpointer(path: &str, db: std::sync::Weak<Backends>) -> Result<(), DbError> {
    let Conn { inner: Inner::Lite(c), .. } = sqlite_open(path)? else { unreachable!("opened as SQLite") };
    std::thread::Builder::new()
        .name("yaji-wal-checkpoint".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_millis(CHECKPOINT_EVERY_MS));
            if db.strong_count() == 0 {
                return;
            }
            if let Err(e) = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "WAL checkpoint");
            }
        })
        .map_err(|e| DbError::Config(format!("starting the checkpoint thread: {e}")))?;
    Ok(())
}

const CHECKPOINT_EVERY_MS: u64 = 1000;

fn sqlite_open(path: &str) -> Result<Conn, DbError> {
    use rusqlite::OpenFlags as F;
    let c = rusqlite::Connection::open_with_flags(
        path,
        F::SQLITE_OPEN_READ_WRITE | F::SQLITE_OPEN_CREATE | F::SQLITE_OPEN_NO_MUTEX | F::SQLITE_OPEN_URI,
    )?;
    sqlite_setup(&c)?;
    c.set_prepared_statement_cache_capacity(256);
    Ok(Conn { inner: Inner::Lite(c), seen_version: 0 })
}

/// Per-connection SQLite settings: WAL so readers never block the writer,
/// NORMAL sync (durable at checkpoints, safe with WAL), a busy timeout for
/// writers in other processes (the CLI while a server runs), foreign keys.
///
/// The query planner stability guarantee (QPSG) is on: without it SQLite
/// re-prepares a cached statement whenever a parameter it once compared with
/// a partial index's constant or a LIKE pattern is bound again, which is every
/// execution (measured: half the CPU of a feed request went to re-parsing).
/// Plans then depend on the SQL text only, as PostgreSQL's generic plans do.
fn sqlite_setup(c: &rusqlite::Connection) -> Result<(), DbError> {
    c.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    c.busy_timeout(Duration::from_secs(10))?;
    c.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -16000;",
    )?;
    Ok(())
}

pub fn now_millis() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Hides the password in a database URL before it reaches a log or an error.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cached statement runs again without being parsed again, even when its
    /// parameter once matched a partial index's constant (see `sqlite_setup`).
    #[test]
    fn cached_statements_are_not_reprepared() {
        let dir = tempfile::tempdir().unwrap();
        let conn = sqlite_open(dir.path().join("t.db").to_str().unwrap()).unwrap();
        let Inner::Lite(c) = &conn.inner else { unreachable!() };
        c.execute_batch("CREATE TABLE t (k BIGINT, flag BIGINT); CREATE INDEX t_flag ON t(k) WHERE flag = 1;").unwrap();
        let runs = |sql: &str, arg: &dyn rusqlite::ToSql| {
            let mut st = c.prepare_cached(sql).unwrap();
            st.raw_bind_parameter(1, arg).unwrap();
            let mut rows = st.raw_query();
            while rows.next().unwrap().is_some() {}
            drop(rows);
            st.get_status(rusqlite::StatementStatus::RePrepare)
        };
        for k in [1i64, 1, 2, 1] {
            assert_eq!(runs("SELECT k FROM t WHERE k = $1 AND flag = 1", &k), 0);
        }
        for p in ["1%", "2%"] {
            assert_eq!(runs("SELECT k FROM t WHERE CAST(k AS TEXT) LIKE $1", &p), 0);
        }
    }

    /// Concurrent use cases share commits: each one's work is kept or undone
    /// on its own, is visible to readers once its `commit` returns, and a
    /// group that only rolled back still ends its transaction (another
    /// process can write).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn use_cases_share_commits_but_not_failures() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.db");
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", file.display())).await.unwrap();
        let mut tx = db.write().await.unwrap();
        tx.conn().execute_batch("CREATE TABLE t (k BIGINT PRIMARY KEY)").await.unwrap();
        tx.commit().await.unwrap();
        let count = |db: Db| async move {
            let mut c = db.read().await.unwrap();
            crate::sql::query_scalar::<i64>("SELECT COUNT(*) FROM t").fetch_one(&mut c).await.unwrap()
        };
        // 200 use cases at once: even ones commit, odd ones fail after writing
        // (half by rollback, half by being dropped), every 10th breaks a key.
        let tasks: Vec<_> = (0..200i64)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    let mut tx = db.write().await.unwrap();
                    crate::sql::query("INSERT INTO t (k) VALUES ($1)").bind(i).execute(tx.conn()).await.unwrap();
                    if i % 10 == 4 {
                        // A duplicate key: the statement fails, the use case gives up.
                        let dup = crate::sql::query("INSERT INTO t (k) VALUES ($1)").bind(i).execute(tx.conn()).await;
                        assert!(dup.unwrap_err().is_unique_violation());
                        return false;
                    }
                    tokio::task::yield_now().await;
                    match i % 4 {
                        1 => tx.rollback().await.map(|_| false).unwrap(),
                        3 => false,
                        _ => {
                            tx.commit().await.unwrap();
                            // Committed means readable.
                            let mut c = db.read().await.unwrap();
                            let n: i64 = crate::sql::query_scalar("SELECT COUNT(*) FROM t WHERE k = $1")
                                .bind(i)
                                .fetch_one(&mut c)
                                .await
                                .unwrap();
                            assert_eq!(n, 1);
                            true
                        }
                    }
                })
            })
            .collect();
        let mut kept = 0;
        for t in tasks {
            kept += i64::from(t.await.unwrap());
        }
        assert_eq!(kept, 80);
        assert_eq!(count(db.clone()).await, 80);
        let mut c = db.read().await.unwrap();
        let odd: i64 = crate::sql::query_scalar("SELECT COUNT(*) FROM t WHERE k % 2 = 1 OR k % 10 = 4")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(odd, 0);
        drop(c);
        // Only a rollback: the shared transaction still ends, so another connection can write.
        let tx = db.write().await.unwrap();
        tx.rollback().await.unwrap();
        let other = rusqlite::Connection::open(&file).unwrap();
        other.busy_timeout(Duration::from_secs(5)).unwrap();
        other.execute_batch("BEGIN IMMEDIATE; INSERT INTO t (k) VALUES (1000); COMMIT;").unwrap();
        assert_eq!(count(db.clone()).await, 81);
    }

    /// The writer leaves checkpoints to the background thread, which copies
    /// committed pages into the database file within a few seconds.
    #[tokio::test]
    async fn wal_is_checkpointed_off_the_write_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.db");
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", file.display())).await.unwrap();
        let mut tx = db.write().await.unwrap();
        tx.conn().execute_batch("CREATE TABLE t (v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO t SELECT printf('%0100d', i) FROM n;").await.unwrap();
        tx.commit().await.unwrap();
        let size = || std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        assert!(size() < 100_000, "no checkpoint at commit: {} bytes", size());
        let started = std::time::Instant::now();
        while size() < 200_000 {
            assert!(started.elapsed() < Duration::from_secs(10), "the WAL was never checkpointed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[test]
    fn migrations_keep_the_lines_for_their_database() {
        let sql = "A;\n-- @postgres\nP;\n-- @sqlite\nS;\n-- @both\nB;\n";
        assert_eq!(dialect(sql, Backend::Postgres), "A;\nP;\nB;\n");
        assert_eq!(dialect(sql, Backend::Sqlite), "A;\nS;\nB;\n");
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
