use crate::sql::{query, query_as, query_scalar, Conn};
use yaji_domain::activity::Event;

/// Appends one event. Called inside the use case's transaction.
pub async fn record(conn: &mut Conn, e: &Event, at: i64) -> crate::Result<i64> {
    let q = query_scalar(
        "INSERT INTO activity_events (kind, community_id, actor_id, subject_kind, subject_id, occurred_at, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .binds((e.kind.as_str(), e.community_id, e.actor_id, e.subject.kind(), e.subject.id(), at))
    .bind(e.payload.to_string());
    q.fetch_one(conn).await
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct ActivityRow {
    pub id: i64,
    pub kind: String,
    pub community_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub subject_kind: String,
    pub subject_id: i64,
    pub occurred_at: i64,
    pub payload: String,
}

/// Events of a community, newest first, for audit views and tests.
pub async fn list(
    conn: &mut Conn,
    community_id: Option<i64>,
    after_id: i64,
    limit: i64,
) -> crate::Result<Vec<ActivityRow>> {
    query_as(
        "SELECT id, kind, community_id, actor_id, subject_kind, subject_id, occurred_at, payload FROM activity_events
         WHERE ($1 IS NULL OR community_id = $1) AND id > $2 ORDER BY id LIMIT $3",
    )
    .binds((community_id, after_id, limit))
    .fetch_all(conn)
    .await
}

pub async fn max_id(conn: &mut Conn) -> crate::Result<i64> {
    Ok(query_scalar::<Option<i64>>("SELECT MAX(id) FROM activity_events").fetch_one(conn).await?.unwrap_or(0))
}

pub async fn get(conn: &mut Conn, id: i64) -> crate::Result<Option<ActivityRow>> {
    query_as(
        "SELECT id, kind, community_id, actor_id, subject_kind, subject_id, occurred_at, payload FROM activity_events WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A member-performed event as readers that follow the log see it:
/// (id, actor_id, occurred_at, kind, subject_id, payload).
pub type ActorEvent = (i64, i64, i64, String, i64, String);

/// Member-performed events of a community after `after_id`, in id order,
/// handed to `f` one by one, so a long history never sits in memory.
pub async fn actors_since(
    conn: &mut Conn,
    community_id: i64,
    after_id: i64,
    f: impl FnMut(ActorEvent) -> crate::Result<()>,
) -> crate::Result<()> {
    query_as(
        "SELECT id, actor_id, occurred_at, kind, subject_id, payload FROM activity_events
         WHERE community_id = $1 AND id > $2 AND actor_id IS NOT NULL ORDER BY id",
    )
    .binds((community_id, after_id))
    .fetch_each(conn, f)
    .await
}

/// Member-performed events with id ≤ `upto` that occurred at or after `since`:
/// on PostgreSQL a transaction can commit after a later id was already read,
/// so readers that follow the log by id look back over a recent window too.
pub async fn actors_recent(
    conn: &mut Conn,
    community_id: i64,
    upto: i64,
    since: i64,
) -> crate::Result<Vec<ActorEvent>> {
    query_as(
        "SELECT id, actor_id, occurred_at, kind, subject_id, payload FROM activity_events
         WHERE community_id = $1 AND occurred_at >= $3 AND id <= $2 AND actor_id IS NOT NULL",
    )
    .binds((community_id, upto, since))
    .fetch_all(conn)
    .await
}

/// Enqueues, in the event's own transaction, one job per enabled rule that
/// listens to this event kind and one per webhook subscribed to it. One
/// statement; nothing is written for communities without either.
pub async fn dispatch(conn: &mut Conn, event_id: i64, community_id: i64, kind: &str, now: i64) -> crate::Result<u64> {
    // The pattern is built in SQL, not bound whole: SQLite re-prepares a
    // statement on every new binding of a bare LIKE pattern parameter.
    let r = query(
        "INSERT INTO jobs (kind, payload, dedupe_key, community_id, run_at, max_attempts, created_at)
         SELECT 'automation', '{\"rule_id\":' || id || ',\"event_id\":' || $1 || '}', 'auto:' || id || ':e' || $1,
                community_id, $2, 8, $2
         FROM automation_rules WHERE community_id = $3 AND enabled = 1 AND deleted_at IS NULL AND trigger_events LIKE '%,' || $4 || ',%'
         UNION ALL
         SELECT 'webhook', '{\"webhook_id\":' || id || ',\"event_id\":' || $1 || '}', 'hook:' || id || ':e' || $1,
                community_id, $2, 8, $2
         FROM webhooks WHERE community_id = $3 AND enabled = 1 AND deleted_at IS NULL AND (events = '*' OR events LIKE '%,' || $4 || ',%')
         ON CONFLICT DO NOTHING",
    )
    .binds((event_id, now, community_id, kind))
    .execute(conn)
    .await?;
    super::jobs::count_enqueued(r.rows_affected());
    Ok(r.rows_affected())
}
