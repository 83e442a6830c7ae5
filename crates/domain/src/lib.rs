//! Yaji's domain core: pure types and rules, no I/O.
//!
//! Everything here is deterministic and unit-tested; services in `yaji-app`
//! load state, ask these functions for decisions and persist the outcome.

pub mod activity;
pub mod analytics;
pub mod automation;
pub mod community;
pub mod content;
pub mod email;
pub mod error;
pub mod faq;
pub mod member;
pub mod moderation;
pub mod notification;
pub mod permission;
pub mod text;
pub mod user;

pub use error::{FieldError, Invalid};

/// Milliseconds since the Unix epoch, UTC. Storage keeps every time in this form.
pub type Millis = i64;
