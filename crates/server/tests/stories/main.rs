//! The server's story tests, one test binary (one link) with a module per
//! area. Each story runs on SQLite and on PostgreSQL (`yaji_testkit::story!`).

mod accounts;
mod analytics;
mod api;
mod automation;
mod awards;
mod badges;
mod challenges;
mod challenges_web;
mod content;
mod email;
mod gatherings;
mod gatherings_web;
mod jobs;
mod lotteries;
mod lotteries_web;
mod membership;
mod moderation;
mod onboarding;
mod platform;
mod points;
mod points_web;
mod polls;
mod qa;
mod segments;
mod segments_web;
mod topic_access;
mod venues;
mod web;
