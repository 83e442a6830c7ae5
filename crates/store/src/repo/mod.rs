//! Repositories: plain functions over a connection, grouped by context.

pub mod activity;
pub mod automation;
pub mod community;
pub mod content;
pub mod email;
pub mod faq;
pub mod import;
pub mod jobs;
pub mod moderation;
pub mod user;
