//! Moderation: the rule engine that checks every post and comment, the
//! settings operators tune, and the escalation ladder. Pure; the app layer
//! loads settings and history, asks here, and persists the outcome.

mod engine;
pub mod lists;
pub mod normalize;
mod settings;

pub use engine::{
    compile_custom_regex, fingerprint, Author, Class, Context, Evaluation, Hit, Recent, Rule, RuleSet, Scratch,
};
pub use settings::{
    domain_allowed, ladder_step, ActionKind, CustomRule, Detector, Detectors, ModerationSettings, NewcomerLimits,
    PatternKind, Sanction, MAX_MUTE_MINUTES,
};
