//! Repositories: plain functions over a connection, one module per
//! capability (the same names as `yaji_app`'s modules).

pub mod activity;
pub mod automation;
pub mod awards;
pub mod badges;
pub mod calendar;
pub mod challenges;
pub mod community;
pub mod content;
pub mod faq;
pub mod gatherings;
pub mod import;
pub mod jobs;
pub mod limits;
pub mod lotteries;
pub mod membership;
pub mod moderation;
pub mod notifications;
pub mod onboarding;
pub mod points;
pub mod polls;
pub mod qa;
pub mod segments;
pub mod user;
pub mod venues;
pub mod webhooks;
