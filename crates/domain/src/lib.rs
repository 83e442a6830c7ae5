//! Yaji's domain core: pure types and rules, no I/O.
//!
//! Everything here is deterministic and unit-tested; services in `yaji-app`
//! load state, ask these functions for decisions and persist the outcome.

pub mod activity;
pub mod analytics;
pub mod automation;
pub mod awards;
pub mod badges;
pub mod batch;
pub mod challenges;
pub mod community;
pub mod content;
pub mod email;
pub mod error;
pub mod faq;
pub mod gatherings;
pub mod lotteries;
pub mod member;
pub mod moderation;
pub mod net;
pub mod notification;
pub mod permission;
pub mod points;
pub mod polls;
pub mod qa;
pub mod segments;
pub mod setup;
pub mod text;
pub mod time;
pub mod user;
pub mod venues;

pub use error::{FieldError, Invalid};

/// Milliseconds since the Unix epoch, UTC. Storage keeps every time in this form.
pub type Millis = i64;

/// Milliseconds in a second, minute, hour, day and week (every layer uses these).
pub const SECOND_MS: Millis = 1_000;
pub const MINUTE_MS: Millis = 60 * SECOND_MS;
pub const HOUR_MS: Millis = 60 * MINUTE_MS;
pub const DAY_MS: Millis = 24 * HOUR_MS;
pub const WEEK_MS: Millis = 7 * DAY_MS;
