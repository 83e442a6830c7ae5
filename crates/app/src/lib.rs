//! Yaji use cases. Each public method of [`App`] is one use case: it loads
//! state, asks the domain core for a decision, writes the change together with
//! exactly one activity event in one transaction, and commits. The HTTP API,
//! the web pages and the CLI all call these; none of them touch SQL.

// Shared services (events and subscribers, jobs, notifications, context,
// caches, CSV, time): see `platform`.
pub mod platform;

// Capabilities, one module each, named as in every other layer.
pub mod accounts;
pub mod analytics;
pub mod automation;
pub mod awards;
pub mod badges;
pub mod calendar;
pub mod challenges;
pub mod communities;
pub mod content;
pub mod demo;
pub mod faq;
pub mod gatherings;
pub mod import;
pub mod lotteries;
pub mod membership;
pub mod moderation;
pub mod notifications;
pub mod onboarding;
pub mod points;
pub mod polls;
pub mod profiles;
pub mod qa;
pub mod segments;
pub mod staff_work;
pub mod throttle;
pub mod topic_access;
pub mod venues;
pub mod views;
pub mod webhooks;

use std::sync::Arc;

mod error;

pub use error::{AppError, AppResult};
pub(crate) use platform::events::{finish, finish_with, Facts};
pub(crate) use platform::now;
pub use platform::rfc3339;
use yaji_store::Db;

/// How expensive password hashing is. `Standard` is argon2id with OWASP's
/// recommended parameters; `Fast` exists for test suites and demo seeding only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCost {
    Standard,
    Fast,
}

#[derive(Debug, Clone)]
pub struct AppConfig {
    pub hash_cost: HashCost,
    pub session_days: i64,
    /// Private, loopback or link-local addresses webhooks may reach anyway
    /// (an administrator's explicit choice; empty by default).
    pub webhook_allow: webhooks::AllowPrivate,
    /// SMTP delivery of notifications; `None`: no email.
    pub mail: Option<notifications::email::MailConfig>,
    /// Per-member write limits.
    pub limits: platform::limits::Limits,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            hash_cost: HashCost::Standard,
            session_days: 30,
            webhook_allow: Default::default(),
            mail: None,
            limits: Default::default(),
        }
    }
}

/// The application: cheap to clone, shared by every front end.
#[derive(Clone)]
pub struct App {
    pub(crate) db: Db,
    pub(crate) cfg: Arc<AppConfig>,
    pub(crate) throttle: Arc<throttle::LoginThrottle>,
    pub(crate) backoff: Arc<throttle::Backoff>,
    pub(crate) moderation: Arc<moderation::ModerationState>,
    pub(crate) jobs: Arc<platform::jobs::JobSignal>,
    pub(crate) faq: Arc<faq::FaqCache>,
    pub(crate) analytics: Arc<analytics::AnalyticsCache>,
    /// Exact read caches, one database generation long (see `cache`).
    pub(crate) caches: Arc<platform::cache::Caches>,
    /// The HTTP client for webhooks, with the SSRF guard built in.
    pub(crate) http: reqwest::Client,
    /// Proof of owning the server for the first-run setup: made at start,
    /// shown on the console and in the log, never stored.
    pub(crate) setup_token: Arc<String>,
}

impl App {
    pub fn new(db: Db, cfg: AppConfig) -> App {
        let http = webhooks::client(&cfg.webhook_allow);
        App {
            http,
            db,
            cfg: Arc::new(cfg),
            throttle: Arc::new(throttle::LoginThrottle::default()),
            backoff: Arc::default(),
            moderation: Arc::default(),
            jobs: Arc::default(),
            faq: Arc::default(),
            analytics: Arc::default(),
            caches: Arc::default(),
            setup_token: Arc::new(accounts::random_token(18)),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Readiness: the database answers.
    pub async fn health(&self) -> AppResult<()> {
        let mut c = self.db.read().await?;
        yaji_store::sql::query("SELECT 1").execute(&mut c).await?;
        Ok(())
    }
}

/// Events a subscriber writes itself (a level reached while paying points):
/// appended and handed to the notifications and the outbox, not back to the
/// subscriber that wrote them.
pub(crate) async fn deliver_derived(
    conn: &mut yaji_store::Conn,
    e: &yaji_domain::activity::Event,
    now: i64,
) -> AppResult<()> {
    let id = yaji_store::repo::activity::record(conn, e, now).await?;
    let r = platform::events::Recorded { id, event: e, facts: Default::default() };
    crate::notifications::on_event(conn, &r, now).await?;
    crate::automation::on_event(conn, &r, now).await?;
    Ok(())
}

/// The in-transaction subscribers, in order. A new capability that reacts to
/// events adds one line here (and its `on_event` in its own module). Events
/// recorded by jobs carry no [`Facts`]: the content subscribers skip them
/// (the assistant's posts are not screened for questions, mentions or tasks).
pub(crate) async fn deliver(
    conn: &mut yaji_store::Conn,
    r: &platform::events::Recorded<'_>,
    now: i64,
) -> AppResult<()> {
    crate::faq::on_event(conn, r, now).await?;
    crate::onboarding::on_event(conn, r, now).await?;
    crate::notifications::on_event(conn, r, now).await?;
    crate::points::on_event(conn, r, now).await?;
    crate::qa::on_event(conn, r, now).await?;
    // After points: a points badge sees the balance this event paid.
    crate::badges::on_event(conn, r, now).await?;
    // The outbox: one job per rule and webhook listening to this kind.
    crate::automation::on_event(conn, r, now).await?;
    Ok(())
}
