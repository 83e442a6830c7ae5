//! Shared services every capability uses, and nothing capability-specific:
//! the event log and its in-transaction subscribers (`events`), the durable
//! job queue (`jobs`), notifications (`notifications`), the community context
//! and its permission checks (`context`), the exact read caches (`cache`),
//! CSV output (`csv`), per-member write limits (`limits`) and time.

pub(crate) mod cache;
pub(crate) mod context;
pub mod csv;
pub(crate) mod events;
pub mod jobs;
pub mod limits;
pub(crate) mod notifications;

/// Time constants (every stored time is UTC milliseconds).
pub use yaji_domain::{DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, WEEK_MS};

/// Now, as stored: UTC milliseconds.
pub(crate) fn now() -> i64 {
    yaji_store::now_millis()
}

/// Formats stored milliseconds as RFC 3339 UTC for API output.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
