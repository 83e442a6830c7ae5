//! The durable job queue's worker. Use cases enqueue jobs in their own
//! transaction (so a crash between commit and delivery loses nothing); workers
//! — inside `yaji serve`, or alone in `yaji worker` — claim due jobs, run each
//! in its own transaction together with marking it done (so a job whose effect
//! is a database write happens exactly once, even if a worker dies mid-batch),
//! and retry failures with exponential backoff until they land in the
//! dead-letter list.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use utoipa::ToSchema;
use yaji_store::repo::jobs as repo;
use yaji_store::Conn;

use crate::platform::context::Viewer;
use crate::{now, rfc3339, App, AppError, AppResult};

/// How long a claimed job belongs to its worker before others may take it.
const LEASE_MS: i64 = super::MINUTE_MS;
/// How often an idle worker looks for due jobs written by other processes.
const POLL: Duration = Duration::from_millis(200);
const BATCH: i64 = 32;
/// How often a worker prunes finished jobs.
const PRUNE_EVERY: Duration = Duration::from_secs(3_600);

/// Wakes this process's workers when a use case enqueues something.
#[derive(Default)]
pub(crate) struct JobSignal(Notify, std::sync::atomic::AtomicU64);

/// Every job, by kind: the one list of background work. Each capability
/// performs its own (see [`App::perform`]); the payload column holds the
/// variant's fields as JSON and the `kind` column its tag. Fields added later
/// carry `#[serde(default)]` so jobs queued by an older version still run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Job {
    /// Greet a member who just joined, in their language, with the rules link (membership).
    Welcome {
        community_id: i64,
        user_id: i64,
        #[serde(default)]
        joined_at: i64,
    },
    /// Match a question post against the community's FAQ and answer, or list it as unanswered (faq).
    FaqAnswer { community_id: i64, post_id: i64 },
    /// Match a question asked in a comment against the FAQ (faq).
    FaqAnswerComment { community_id: i64, comment_id: i64 },
    /// If nobody answered the question by now, tell the moderators (faq).
    #[serde(rename = "faq_unanswered")]
    FaqUnansweredCheck {
        community_id: i64,
        post_id: i64,
        #[serde(default)]
        at: i64,
    },
    /// An event reached a rule listening to it (automation; queued by the
    /// outbox's `INSERT … SELECT` in `repo::automation::dispatch`).
    Automation { rule_id: i64, event_id: i64 },
    /// A timer rule (schedule, date, daily sweep) is due at `at`; stale when
    /// the rule's version moved on (automation).
    AutomationTimer {
        #[serde(default)]
        community_id: i64,
        rule_id: i64,
        version: i64,
        at: i64,
    },
    /// A rule's webhook action: deliver `payload` to the webhook (webhooks, external effect).
    RuleWebhook {
        #[serde(default)]
        community_id: i64,
        webhook_id: i64,
        payload: serde_json::Value,
        #[serde(default)]
        key: String,
    },
    /// Deliver an event to a webhook subscribed to it (webhooks, external
    /// effect; queued by the outbox).
    Webhook { webhook_id: i64, event_id: i64 },
    /// See whether a member just finished the newcomer checklist (onboarding).
    #[serde(rename = "checklist")]
    ChecklistCheck {
        community_id: i64,
        user_id: i64,
        #[serde(default)]
        post_id: i64,
    },
    /// Publish a scheduled post due at `at` (calendar).
    PublishScheduled {
        #[serde(default)]
        community_id: i64,
        id: i64,
        version: i64,
        at: i64,
    },
    /// Tell a community's members that its rules changed (and whether they
    /// must accept them), once per published version.
    RulesNotice {
        community_id: i64,
        version: i64,
        #[serde(default)]
        publisher: i64,
    },
    /// Remind a challenge's participant who has not checked in on `day`
    /// (local) at their `minute`; re-arms for the next day (challenges).
    CheckinReminder { community_id: i64, challenge_id: i64, user_id: i64, day: String, minute: i64, at: i64 },
    /// Remind everyone registered for a gathering `minutes` before its start
    /// (once per registration); stale when the gathering moved (gatherings).
    EventReminder { community_id: i64, event_id: i64, minutes: i64, starts_at: i64, at: i64 },
    /// After a gathering: mark the no-shows and ask attendees for feedback (gatherings).
    EventClose { community_id: i64, event_id: i64, at: i64 },
    /// At a bounty's deadline: settle what its escrow still holds (Q&A).
    BountyExpiry { community_id: i64, post_id: i64, at: i64 },
    /// One pass of the mailer (notifications, external effect; re-arms itself).
    EmailSweep {
        #[serde(default)]
        at: i64,
    },
}

impl Job {
    /// The `kind` and `payload` columns: the variant's tag, and its fields
    /// without the tag, from one serialization.
    pub(crate) fn columns(&self) -> (String, String) {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut m)) => {
                let kind = match m.remove("kind") {
                    Some(serde_json::Value::String(k)) => k,
                    _ => String::new(),
                };
                (kind, serde_json::Value::Object(m).to_string())
            }
            _ => (String::new(), "{}".into()),
        }
    }

    /// The `kind` column alone (for messages).
    pub(crate) fn kind(&self) -> String {
        self.columns().0
    }

    /// Reads a queued job from its row's kind and payload.
    pub(crate) fn decode(kind: &str, payload: &str) -> AppResult<Job> {
        let mut v = match serde_json::from_str(payload) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        v.insert("kind".into(), kind.into());
        serde_json::from_value(serde_json::Value::Object(v)).map_err(|e| match e.to_string() {
            m if m.starts_with("unknown variant") => AppError::Internal(format!("unknown job kind '{kind}'")),
            m => AppError::Internal(format!("job kind '{kind}': {m}")),
        })
    }

    /// Its effect leaves the database (HTTP, SMTP): it runs outside the batch
    /// transaction, at least once, with an idempotency key the receiver can use.
    pub(crate) fn is_external(&self) -> bool {
        matches!(self, Job::Webhook { .. } | Job::RuleWebhook { .. } | Job::EmailSweep { .. })
    }

    /// The dedupe key (one queued job per key), when it is due, its community
    /// and how often it is tried.
    fn schedule(&self, now: i64) -> (String, i64, Option<i64>, i64) {
        match self {
            Job::Welcome { community_id, user_id, joined_at } => {
                (format!("welcome:{community_id}:{user_id}:{joined_at}"), now, Some(*community_id), 8)
            }
            Job::FaqAnswer { community_id, post_id } => (format!("faq_answer:{post_id}"), now, Some(*community_id), 8),
            Job::FaqAnswerComment { community_id, comment_id } => {
                (format!("faq_answer_comment:{comment_id}"), now, Some(*community_id), 8)
            }
            Job::FaqUnansweredCheck { community_id, post_id, at } => {
                (format!("faq_unanswered:{post_id}"), *at, Some(*community_id), 8)
            }
            Job::Automation { rule_id, event_id } => (format!("auto:{rule_id}:e{event_id}"), now, None, 8),
            Job::AutomationTimer { community_id, rule_id, version, at } => {
                (format!("timer:{rule_id}:{version}:{at}"), *at, Some(*community_id), 8)
            }
            Job::RuleWebhook { community_id, webhook_id, key, .. } => {
                (format!("rule_webhook:{webhook_id}:{key}"), now, Some(*community_id), 8)
            }
            Job::Webhook { webhook_id, event_id } => (format!("hook:{webhook_id}:e{event_id}"), now, None, 8),
            Job::ChecklistCheck { community_id, user_id, post_id } => {
                (format!("checklist:{community_id}:{user_id}:{post_id}"), now, Some(*community_id), 8)
            }
            Job::PublishScheduled { community_id, id, version, at } => {
                (format!("publish:{id}:{version}:{at}"), *at, Some(*community_id), 8)
            }
            Job::RulesNotice { community_id, version, .. } => {
                (format!("rules_notice:{community_id}:{version}"), now, Some(*community_id), 8)
            }
            Job::CheckinReminder { community_id, challenge_id, user_id, day, minute, at } => {
                (format!("checkin_reminder:{challenge_id}:{user_id}:{day}:{minute}"), *at, Some(*community_id), 8)
            }
            Job::EventReminder { community_id, event_id, minutes, starts_at, at } => {
                (format!("event_reminder:{event_id}:{minutes}:{starts_at}"), *at, Some(*community_id), 8)
            }
            Job::EventClose { community_id, event_id, at } => {
                (format!("event_close:{event_id}:{at}"), *at, Some(*community_id), 8)
            }
            Job::BountyExpiry { community_id, post_id, at } => {
                (format!("bounty_expiry:{post_id}:{at}"), *at, Some(*community_id), 8)
            }
            Job::EmailSweep { at } => (format!("email_sweep:{at}"), *at, None, 3),
        }
    }
}

/// Enqueues a job in the caller's transaction. The use case calls
/// [`App::wake_workers`] (or `wake_workers_if_queued`) after commit.
pub(crate) async fn enqueue(conn: &mut Conn, job: Job, now: i64) -> AppResult<()> {
    let (key, run_at, community_id, max_attempts) = job.schedule(now);
    let (kind, payload) = job.columns();
    let new =
        repo::NewJob { kind: &kind, payload: &payload, dedupe_key: Some(&key), community_id, run_at, max_attempts };
    repo::enqueue(conn, &new, now).await?;
    Ok(())
}

/// The wait before retry `attempt` (1-based): 5 s, 10 s, 20 s … capped at 1 h.
pub fn backoff_ms(attempt: i64) -> i64 {
    let exp = (attempt - 1).clamp(0, 20) as u32;
    (5_000i64.saturating_mul(1i64 << exp)).min(super::HOUR_MS)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: String,
    pub outcome: String,
    pub community_id: Option<i64>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub run_at: String,
    pub created_at: String,
    pub finished_at: Option<String>,
}

impl From<repo::JobRow> for JobView {
    fn from(j: repo::JobRow) -> Self {
        JobView {
            id: j.id,
            kind: j.kind,
            status: j.status,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            outcome: j.outcome,
            community_id: j.community_id,
            payload: serde_json::from_str(&j.payload).unwrap_or_default(),
            run_at: rfc3339(j.run_at),
            created_at: rfc3339(j.created_at),
            finished_at: j.finished_at.map(rfc3339),
        }
    }
}

impl App {
    /// Wakes this process's idle workers (use cases call it after enqueuing).
    pub fn wake_workers(&self) {
        self.jobs.0.notify_waiters();
    }

    /// [`App::wake_workers`] if any job was queued in this process since the
    /// last such call: the hot paths (posts, comments) queue one only when a
    /// rule or webhook listens, and an idle worker woken for nothing reads the
    /// queue twice and costs a thread wake-up (~15 % of a comment's time).
    pub(crate) fn wake_workers_if_queued(&self) {
        let n = yaji_store::repo::jobs::enqueued();
        if self.jobs.1.swap(n, std::sync::atomic::Ordering::Relaxed) != n {
            self.wake_workers();
        }
    }

    /// Claims one batch of due jobs and runs them; returns how many ran.
    pub async fn work_once(&self, worker: &str) -> AppResult<usize> {
        self.work_batch(worker, BATCH).await
    }

    /// [`App::work_once`] with a batch size (small batches make workers interleave).
    pub async fn work_batch(&self, worker: &str, limit: i64) -> AppResult<usize> {
        let now = now();
        {
            // A read first, so an idle worker does not take the writer every poll.
            let mut c = self.db.read().await?;
            if !repo::claimable(&mut c, now).await? {
                return Ok(0);
            }
        }
        let mut tx = self.db.write().await?;
        let jobs = repo::claim(tx.conn(), self.db.backend(), worker, now, now + LEASE_MS, limit).await?;
        tx.commit().await?;
        let n = jobs.len();
        let (external, internal): (Vec<_>, Vec<_>) = jobs
            .into_iter()
            .map(|row| (Job::decode(&row.kind, &row.payload), row))
            .partition(|(job, _)| job.as_ref().is_ok_and(Job::is_external));
        if !internal.is_empty() {
            self.run_batch(worker, internal).await?;
        }
        // Concurrently: a batch of deliveries to a dead host costs one timeout, not one each
        // (which could also outlive the lease and let another worker take them again).
        let external = external.into_iter().filter_map(|(job, row)| Some((job.ok()?, row)));
        for r in futures_util::future::join_all(external.map(|(job, row)| self.run_external(worker, job, row))).await {
            r?;
        }
        Ok(n)
    }

    /// Runs a claimed batch in one transaction, each job inside its own
    /// savepoint: a job's effect and its "done" mark commit together, a failing
    /// job rolls back alone and is rescheduled, and the batch costs one commit
    /// (one fsync on PostgreSQL) instead of one per job. If the process dies
    /// before the commit, nothing of the batch happened and the leases expire.
    async fn run_batch(&self, worker: &str, jobs: Vec<(AppResult<Job>, repo::JobRow)>) -> AppResult<()> {
        let mut tx = self.db.write().await?;
        for (decoded, job) in jobs {
            repo::savepoint(tx.conn()).await?;
            let result = match decoded {
                Ok(j) => self.perform(tx.conn(), j).await,
                Err(e) => Err(e),
            };
            let now = now();
            let keep = match result {
                // A worker that lost its lease must not record the effect.
                Ok(outcome) => repo::complete(tx.conn(), job.id, worker, &outcome, now).await?,
                Err(e) => {
                    repo::rollback_to_savepoint(tx.conn()).await?;
                    self.fail_job(tx.conn(), worker, &job, e, now).await?;
                    true
                }
            };
            if !keep {
                repo::rollback_to_savepoint(tx.conn()).await?;
            }
            repo::release_savepoint(tx.conn()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a failure: retry later with backoff, or the dead-letter list.
    pub(crate) async fn fail_job(
        &self,
        conn: &mut Conn,
        worker: &str,
        job: &repo::JobRow,
        e: AppError,
        now: i64,
    ) -> AppResult<()> {
        let retry_at = (job.attempts < job.max_attempts).then(|| now + backoff_ms(job.attempts));
        let msg = match e {
            AppError::Internal(m) => m,
            other => other.to_string(),
        };
        if retry_at.is_none() {
            tracing::warn!(job = job.id, kind = job.kind, error = %msg, "job failed for good: dead-letter list");
        }
        // A failing rule leaves a "failed" run in its history.
        self.automation_job_failed(conn, job, &msg, retry_at.is_none(), now).await?;
        repo::fail(conn, job.id, worker, &msg, retry_at, now).await?;
        Ok(())
    }

    /// Runs a job with an external effect: the effect first, outside any
    /// transaction, then its record and the job's mark in one short one.
    async fn run_external(&self, worker: &str, job: Job, row: repo::JobRow) -> AppResult<()> {
        let (webhook_id, event_id, payload) = match job {
            Job::EmailSweep { .. } => return self.mail_sweep_job(worker, &row).await,
            Job::Webhook { webhook_id, event_id } => (webhook_id, Some(event_id), serde_json::Value::Null),
            Job::RuleWebhook { webhook_id, payload, .. } => (webhook_id, None, payload),
            other => return Err(AppError::Internal(format!("job '{}' has no external effect", other.kind()))),
        };
        let attempt = self.deliver_webhook(&row, webhook_id, event_id, payload).await;
        let now = now();
        let mut tx = self.db.write().await?;
        match attempt {
            Ok(Some(d)) => {
                self.record_delivery(tx.conn(), &row, &d, now).await?;
                match d.retry {
                    false => {
                        repo::complete(tx.conn(), row.id, worker, &d.summary(), now).await?;
                    }
                    true => self.fail_job(tx.conn(), worker, &row, AppError::Internal(d.summary()), now).await?,
                }
            }
            Ok(None) => {
                repo::complete(tx.conn(), row.id, worker, "skipped: webhook gone or off", now).await?;
            }
            Err(e) => self.fail_job(tx.conn(), worker, &row, e, now).await?,
        }
        tx.commit().await?;
        Ok(())
    }

    /// Runs one job's effect in the given transaction; returns its outcome.
    /// Each capability performs its own jobs.
    async fn perform(&self, conn: &mut Conn, job: Job) -> AppResult<String> {
        match job {
            Job::Welcome { community_id, user_id, .. } => self.welcome_job(conn, community_id, user_id).await,
            Job::FaqAnswer { post_id, .. } => self.faq_answer_job(conn, post_id).await,
            Job::FaqUnansweredCheck { post_id, .. } => self.faq_unanswered_job(conn, post_id).await,
            Job::FaqAnswerComment { comment_id, .. } => self.faq_answer_comment_job(conn, comment_id).await,
            Job::Automation { rule_id, event_id } => self.automation_event_job(conn, rule_id, event_id).await,
            Job::AutomationTimer { rule_id, version, at, .. } => {
                self.automation_timer_job(conn, rule_id, version, at).await
            }
            Job::ChecklistCheck { community_id, user_id, .. } => self.checklist_job(conn, community_id, user_id).await,
            Job::PublishScheduled { id, version, at, .. } => self.publish_scheduled_job(conn, id, version, at).await,
            Job::CheckinReminder { challenge_id, user_id, day, minute, .. } => {
                self.checkin_reminder_job(conn, challenge_id, user_id, &day, minute).await
            }
            Job::EventReminder { event_id, minutes, starts_at, .. } => {
                self.event_reminder_job(conn, event_id, minutes, starts_at).await
            }
            Job::EventClose { event_id, .. } => self.event_close_job(conn, event_id).await,
            Job::BountyExpiry { post_id, .. } => self.bounty_expiry_job(conn, post_id).await,
            Job::RulesNotice { community_id, version, publisher } => {
                crate::notifications::rules_notice_job(conn, community_id, version, publisher).await
            }
            external @ (Job::Webhook { .. } | Job::RuleWebhook { .. } | Job::EmailSweep { .. }) => {
                Err(AppError::Internal(format!("job '{}' runs outside the batch", external.kind())))
            }
        }
    }

    /// Runs a worker until `shutdown` resolves: drains due jobs, then sleeps
    /// until woken by an enqueue in this process or the next poll.
    pub async fn run_worker(&self, name: String, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        tracing::info!(worker = name, "job worker started");
        if let Err(e) = self.arm_mailer().await {
            tracing::error!(error = %e, "arming the mailer");
        }
        let mut pruned_at = std::time::Instant::now() - PRUNE_EVERY;
        loop {
            if pruned_at.elapsed() >= PRUNE_EVERY {
                pruned_at = std::time::Instant::now();
                if let Err(e) = self.prune_jobs().await {
                    tracing::error!(worker = name, error = %e, "pruning finished jobs");
                }
            }
            let notified = self.jobs.0.notified();
            match self.work_once(&name).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(worker = name, error = %e, "job worker"),
            }
            // Sleep until the next scheduled job is due (so it starts on time),
            // a wake-up from this process, or the next poll for other processes' jobs.
            let wait = self.until_next_due().await.unwrap_or(POLL);
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(wait) => {}
                _ = &mut shutdown => break,
            }
        }
        tracing::info!(worker = name, "job worker stopped");
    }

    /// Deletes jobs finished more than a week ago (their effects and runs stay).
    pub async fn prune_jobs(&self) -> AppResult<u64> {
        let mut tx = self.db.write().await?;
        let n = repo::prune_done(tx.conn(), now() - super::WEEK_MS).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn until_next_due(&self) -> AppResult<Duration> {
        let mut c = self.db.read().await?;
        let next = repo::next_due(&mut c).await?;
        let ms = next.map_or(POLL.as_millis() as i64, |t| (t - now()).clamp(0, POLL.as_millis() as i64));
        Ok(Duration::from_millis(ms as u64))
    }

    /// Jobs by status for site administrators: `dead` is the dead-letter list.
    pub async fn jobs(&self, viewer: Viewer, status: &str) -> AppResult<Vec<JobView>> {
        require_site_admin(viewer)?;
        let status = match status {
            "" | "dead" => "dead",
            s @ ("queued" | "running" | "done") => s,
            _ => {
                return Err(yaji_domain::error::invalid(
                    "status",
                    "invalid_choice",
                    "status must be queued, running, done or dead",
                )
                .into())
            }
        };
        let mut c = self.db.read().await?;
        Ok(repo::list(&mut c, status, 200).await?.into_iter().map(JobView::from).collect())
    }

    /// Puts a dead job back in the queue.
    pub async fn retry_job(&self, viewer: Viewer, id: i64) -> AppResult<()> {
        require_site_admin(viewer)?;
        let mut tx = self.db.write().await?;
        if !repo::retry(tx.conn(), id, now()).await? {
            return Err(AppError::NotFound("dead job"));
        }
        tx.commit().await?;
        self.wake_workers();
        Ok(())
    }
}

fn require_site_admin(viewer: Viewer) -> AppResult<()> {
    if viewer.site_admin {
        Ok(())
    } else {
        Err(AppError::forbidden("site_admin_only", "only site administrators can see the job queue"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_round_trip_through_kind_and_payload() {
        let jobs = [
            Job::Welcome { community_id: 1, user_id: 2, joined_at: 3 },
            Job::RulesNotice { community_id: 1, version: 2, publisher: 3 },
            Job::FaqAnswer { community_id: 1, post_id: 2 },
            Job::FaqAnswerComment { community_id: 1, comment_id: 2 },
            Job::FaqUnansweredCheck { community_id: 1, post_id: 2, at: 3 },
            Job::Automation { rule_id: 1, event_id: 2 },
            Job::AutomationTimer { community_id: 1, rule_id: 2, version: 3, at: 4 },
            Job::RuleWebhook { community_id: 1, webhook_id: 2, payload: serde_json::json!({"a": 1}), key: "k".into() },
            Job::Webhook { webhook_id: 1, event_id: 2 },
            Job::ChecklistCheck { community_id: 1, user_id: 2, post_id: 3 },
            Job::PublishScheduled { community_id: 1, id: 2, version: 3, at: 4 },
            Job::EmailSweep { at: 5 },
        ];
        let mut kinds = std::collections::HashSet::new();
        for j in jobs {
            let (kind, payload) = j.columns();
            assert!(kinds.insert(kind.clone()), "{j:?}");
            assert!(!payload.contains("\"kind\""), "the tag lives in its own column");
            assert_eq!(Job::decode(&kind, &payload).unwrap(), j);
        }
        // The kinds and payloads earlier versions queued (and the outbox's SQL writes) still decode.
        assert_eq!(
            Job::decode("checklist", r#"{"community_id":1,"user_id":2}"#).unwrap(),
            Job::ChecklistCheck { community_id: 1, user_id: 2, post_id: 0 }
        );
        assert_eq!(
            Job::decode("automation", r#"{"rule_id":7,"event_id":9}"#).unwrap(),
            Job::Automation { rule_id: 7, event_id: 9 }
        );
        assert_eq!(Job::decode("email_sweep", "{}").unwrap(), Job::EmailSweep { at: 0 });
        match Job::decode("no_such_job", "{}") {
            Err(AppError::Internal(m)) => assert_eq!(m, "unknown job kind 'no_such_job'"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_ms(1), 5_000);
        assert_eq!(backoff_ms(2), 10_000);
        assert_eq!(backoff_ms(4), 40_000);
        assert_eq!(backoff_ms(30), 3_600_000);
    }
}
