//! Yaji use cases. Each public method of [`App`] is one use case: it loads
//! state, asks the domain core for a decision, writes the change together with
//! exactly one activity event in one transaction, and commits. The HTTP API,
//! the web pages and the CLI all call these; none of them touch SQL.

pub mod accounts;
pub mod analytics;
pub mod automation;
mod cache;
pub mod calendar;
pub mod communities;
pub mod content;
pub mod demo;
pub mod email;
mod error;
pub mod faq;
pub mod import;
pub mod jobs;
pub mod membership;
pub mod moderation;
pub mod onboarding;
pub mod throttle;
pub mod views;
pub mod webhooks;

use std::sync::Arc;

pub use error::{AppError, AppResult};
use yaji_domain::activity::Event;
use yaji_store::{Db, WriteTx};

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
    pub mail: Option<email::MailConfig>,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig { hash_cost: HashCost::Standard, session_days: 30, webhook_allow: Default::default(), mail: None }
    }
}

/// The application: cheap to clone, shared by every front end.
#[derive(Clone)]
pub struct App {
    pub(crate) db: Db,
    pub(crate) cfg: Arc<AppConfig>,
    pub(crate) throttle: Arc<throttle::LoginThrottle>,
    pub(crate) moderation: Arc<moderation::ModerationState>,
    pub(crate) jobs: Arc<jobs::JobSignal>,
    pub(crate) faq: Arc<faq::FaqCache>,
    pub(crate) analytics: Arc<analytics::AnalyticsCache>,
    /// Exact read caches, one database generation long (see `cache`).
    pub(crate) caches: Arc<cache::Caches>,
    /// The HTTP client for webhooks, with the SSRF guard built in.
    pub(crate) http: reqwest::Client,
}

impl App {
    pub fn new(db: Db, cfg: AppConfig) -> App {
        let http = webhooks::client(&cfg.webhook_allow);
        App {
            http,
            db,
            cfg: Arc::new(cfg),
            throttle: Arc::new(throttle::LoginThrottle::default()),
            moderation: Arc::default(),
            jobs: Arc::default(),
            faq: Arc::default(),
            analytics: Arc::default(),
            caches: Arc::default(),
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

/// The one way a use case ends: append its activity event and commit.
pub(crate) async fn finish(mut tx: WriteTx, event: Event, now: i64) -> AppResult<()> {
    automation::record_event(tx.conn(), &event, now).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) fn now() -> i64 {
    yaji_store::now_millis()
}

/// Formats stored milliseconds as RFC 3339 UTC for API output.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
