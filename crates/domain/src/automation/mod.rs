//! Automation rules: trigger + conditions + actions, written by a community's
//! operators and carried out by the assistant. This module validates rule
//! definitions, decides whether a rule applies to a member or a piece of
//! content, renders message templates and computes schedules; the app layer
//! does the loading and the writing.

mod cron;
pub mod repeat;
pub mod templates;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use self::cron::{local_to_utc, next_fire, Cron};
use crate::error::{invalid, FieldError, Invalid};
use crate::member::Role;
use crate::moderation::normalize::normalize_word;

pub const MAX_ACTIONS: usize = 10;
pub const MAX_MESSAGE_CHARS: usize = 5_000;
pub const MAX_KEYWORDS: usize = 50;
pub const MAX_TAG_CHARS: usize = 30;
/// Local hour at which daily sweeps (inactivity, anniversaries) run.
pub const SWEEP_HOUR: u32 = 10;

/// What makes a rule fire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    MemberJoined,
    JoinApproved,
    PostCreated,
    CommentCreated,
    /// A new post or comment contains one of the keywords (normalized, case-insensitive).
    KeywordMatched {
        keywords: Vec<String>,
    },
    /// A member has been silent for `days` days (checked daily; once per silence).
    MemberInactive {
        days: u32,
    },
    /// The day a member joined, one or more years ago (checked daily).
    JoinAnniversary,
    /// A five-field cron expression in the community's time zone.
    Schedule {
        cron: String,
    },
    /// Once, at a local date and time (`2026-12-25T09:00`) in the community's time zone.
    Date {
        at: String,
    },
    /// A member finished the newcomer checklist.
    ChecklistCompleted,
    /// A member's points reached a level for the first time (1-based;
    /// absent: any level).
    LevelReached {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        level: Option<u32>,
    },
    /// A member earned a badge.
    BadgeEarned,
    /// A member's streak in a check-in challenge reached a milestone (in
    /// days; absent: any milestone).
    StreakReached {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        days: Option<u32>,
    },
    /// Someone registered for a gathering (registered, waitlisted or pending).
    RegistrationCreated,
    /// Someone was checked in at a gathering.
    CheckedIn,
    /// Someone registered did not come (marked after the gathering).
    NoShow,
}

/// How a trigger is driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drive {
    /// By an activity event of one of these kinds.
    Events(&'static [&'static str]),
    /// By a timer the app schedules.
    Timer,
}

impl Trigger {
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::MemberJoined => "member_joined",
            Trigger::JoinApproved => "join_approved",
            Trigger::PostCreated => "post_created",
            Trigger::CommentCreated => "comment_created",
            Trigger::KeywordMatched { .. } => "keyword_matched",
            Trigger::MemberInactive { .. } => "member_inactive",
            Trigger::JoinAnniversary => "join_anniversary",
            Trigger::Schedule { .. } => "schedule",
            Trigger::Date { .. } => "date",
            Trigger::ChecklistCompleted => "checklist_completed",
            Trigger::LevelReached { .. } => "level_reached",
            Trigger::BadgeEarned => "badge_earned",
            Trigger::StreakReached { .. } => "streak_reached",
            Trigger::RegistrationCreated => "registration_created",
            Trigger::CheckedIn => "checked_in",
            Trigger::NoShow => "no_show",
        }
    }

    pub fn drive(&self) -> Drive {
        match self {
            Trigger::MemberJoined => Drive::Events(&["member_joined"]),
            Trigger::JoinApproved => Drive::Events(&["join_approved"]),
            Trigger::PostCreated => Drive::Events(&["post_created"]),
            Trigger::CommentCreated => Drive::Events(&["comment_created"]),
            Trigger::KeywordMatched { .. } => Drive::Events(&["post_created", "comment_created"]),
            Trigger::ChecklistCompleted => Drive::Events(&["checklist_completed"]),
            Trigger::LevelReached { .. } => Drive::Events(&["level_reached"]),
            Trigger::BadgeEarned => Drive::Events(&["badge_earned"]),
            Trigger::StreakReached { .. } => Drive::Events(&["streak_reached"]),
            Trigger::RegistrationCreated => Drive::Events(&["registration_created"]),
            Trigger::CheckedIn => Drive::Events(&["checked_in"]),
            Trigger::NoShow => Drive::Events(&["no_show"]),
            Trigger::MemberInactive { .. }
            | Trigger::JoinAnniversary
            | Trigger::Schedule { .. }
            | Trigger::Date { .. } => Drive::Timer,
        }
    }

    /// The events this trigger listens to as a `,a,b,` list for a SQL `LIKE` match.
    pub fn event_list(&self) -> String {
        match self.drive() {
            Drive::Events(kinds) => format!(",{},", kinds.join(",")),
            Drive::Timer => String::new(),
        }
    }

    /// Whether the trigger is about one member (and so has one recipient per firing).
    pub fn per_member(&self) -> bool {
        !matches!(self, Trigger::Schedule { .. } | Trigger::Date { .. })
    }

    /// Whether firings concern a post or comment (so text/topic conditions apply).
    pub fn has_content(&self) -> bool {
        matches!(self, Trigger::PostCreated | Trigger::CommentCreated | Trigger::KeywordMatched { .. })
    }
}

/// All conditions must hold; an empty list means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Conditions {
    pub roles: Vec<Role>,
    /// The member has at least one of these tags.
    pub tags_any: Vec<String>,
    /// The member has none of these tags.
    pub tags_none: Vec<String>,
    /// Days since joining, inclusive bounds.
    pub min_member_days: Option<u32>,
    pub max_member_days: Option<u32>,
    /// The post or comment contains one of these (case-insensitive).
    pub text_contains: Vec<String>,
    /// The post is in one of these topics (by name).
    pub topics: Vec<String>,
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Post in the community as the assistant; with `reply`, comment under the triggering post instead.
    Post {
        #[serde(default)]
        title: String,
        body: String,
        #[serde(default)]
        reply: bool,
    },
    /// A private notification to the member, in the member's language when
    /// `translations` has it (keys `zh-CN`, `en`), else `message`.
    Notify {
        message: String,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        translations: BTreeMap<String, String>,
    },
    AddTag {
        tag: String,
    },
    RemoveTag {
        tag: String,
    },
    NotifyModerators {
        message: String,
    },
    /// Mute the member through the moderation capability, for 1 minute to a year.
    Mute {
        minutes: u32,
    },
    /// POST the firing as signed JSON to one of the community's webhooks.
    Webhook {
        webhook_id: i64,
    },
}

/// The languages a message may be translated into (the UI's).
pub const LANGUAGES: [&str; 2] = ["zh-CN", "en"];

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Post { .. } => "post",
            Action::Notify { .. } => "notify",
            Action::AddTag { .. } => "add_tag",
            Action::RemoveTag { .. } => "remove_tag",
            Action::NotifyModerators { .. } => "notify_moderators",
            Action::Mute { .. } => "mute",
            Action::Webhook { .. } => "webhook",
        }
    }
    /// Actions that act on the member the firing is about (one per recipient).
    pub fn per_recipient(&self) -> bool {
        matches!(self, Action::Notify { .. } | Action::AddTag { .. } | Action::RemoveTag { .. } | Action::Mute { .. })
    }
}

/// A rule as operators write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDef {
    pub name: String,
    pub trigger: Trigger,
    #[serde(default)]
    pub conditions: Conditions,
    pub actions: Vec<Action>,
}

fn clean_list(v: &mut Vec<String>, field: &'static str, max_chars: usize) -> Invalid<()> {
    for s in v.iter_mut() {
        *s = s.trim().to_string();
        if s.chars().count() > max_chars {
            return Err(invalid(field, "too_long", format!("'{s}' is longer than {max_chars} characters")));
        }
    }
    v.retain(|s| !s.is_empty());
    v.dedup();
    if v.len() > MAX_KEYWORDS {
        return Err(invalid(field, "too_many", format!("at most {MAX_KEYWORDS} entries")));
    }
    Ok(())
}

/// A member tag: 1–30 characters, no commas or control characters.
pub fn tag(raw: &str) -> Invalid<String> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > MAX_TAG_CHARS || t.chars().any(|c| c.is_control() || c == ',') {
        return Err(invalid("tag", "invalid_tag", format!("a tag is 1-{MAX_TAG_CHARS} characters without commas")));
    }
    Ok(t.to_string())
}

impl RuleDef {
    /// Checks and normalizes a rule; the error names the field and why.
    pub fn validate(mut self) -> Invalid<RuleDef> {
        self.name = self.name.trim().to_string();
        if self.name.is_empty() || self.name.chars().count() > 80 {
            return Err(invalid("name", "invalid_length", "a rule's name is 1-80 characters"));
        }
        match &mut self.trigger {
            Trigger::KeywordMatched { keywords } => {
                clean_list(keywords, "trigger.keywords", 50)?;
                if keywords.is_empty() {
                    return Err(invalid("trigger.keywords", "required", "list at least one keyword"));
                }
            }
            Trigger::LevelReached { level: Some(l) } if !(2..=crate::points::MAX_LEVELS as u32).contains(l) => {
                return Err(invalid("trigger.level", "out_of_range", "a level from 2 up (everyone starts at 1)"));
            }
            Trigger::StreakReached { days: Some(d) } if !(1..=3650).contains(d) => {
                return Err(invalid("trigger.days", "out_of_range", "a streak of 1 to 3650 days"));
            }
            Trigger::MemberInactive { days } if !(1..=365).contains(days) => {
                return Err(invalid("trigger.days", "out_of_range", "days must be between 1 and 365"));
            }
            Trigger::Schedule { cron } => {
                Cron::parse(cron)?;
            }
            Trigger::Date { at } => {
                parse_local(at)?;
            }
            _ => {}
        }
        let c = &mut self.conditions;
        clean_list(&mut c.text_contains, "conditions.text_contains", 100)?;
        clean_list(&mut c.topics, "conditions.topics", 40)?;
        for (list, field) in [(&mut c.tags_any, "conditions.tags_any"), (&mut c.tags_none, "conditions.tags_none")] {
            for t in list.iter_mut() {
                *t = tag(t).map_err(|e| FieldError { field, ..e })?;
            }
            list.dedup();
        }
        if let (Some(lo), Some(hi)) = (c.min_member_days, c.max_member_days) {
            if lo > hi {
                return Err(invalid(
                    "conditions.max_member_days",
                    "out_of_range",
                    "max_member_days is below min_member_days",
                ));
            }
        }
        let content_conditions = !c.text_contains.is_empty() || !c.topics.is_empty();
        if content_conditions && !self.trigger.has_content() {
            return Err(invalid(
                "conditions.text_contains",
                "not_applicable",
                "text and topic conditions need a post, comment or keyword trigger",
            ));
        }
        if self.actions.is_empty() || self.actions.len() > MAX_ACTIONS {
            return Err(invalid("actions", "invalid_length", format!("a rule has 1-{MAX_ACTIONS} actions")));
        }
        let vars = self.variables();
        for (i, a) in self.actions.iter_mut().enumerate() {
            let n = i + 1;
            if a.per_recipient() && !self.trigger.per_member() {
                return Err(invalid(
                    "actions",
                    "not_applicable",
                    format!(
                        "action {n} ({}) needs a member: scheduled rules can post, notify moderators or call a webhook",
                        a.kind()
                    ),
                ));
            }
            match a {
                Action::Post { title, body, reply } => {
                    *title = title.trim().to_string();
                    check_template(body, "actions.body", n, vars)?;
                    check_template(title, "actions.title", n, vars)?;
                    if title.chars().count() > 200 {
                        return Err(invalid(
                            "actions.title",
                            "too_long",
                            format!("action {n}: title over 200 characters"),
                        ));
                    }
                    if *reply && !self.trigger.has_content() {
                        return Err(invalid(
                            "actions.reply",
                            "not_applicable",
                            format!("action {n}: only rules about a post can reply"),
                        ));
                    }
                }
                Action::Notify { message, translations } => {
                    check_template(message, "actions.message", n, vars)?;
                    translations.retain(|_, text| !text.trim().is_empty());
                    for (lang, text) in translations.iter_mut() {
                        if !LANGUAGES.contains(&lang.as_str()) {
                            return Err(invalid(
                                "actions.translations",
                                "invalid_choice",
                                format!("action {n}: translations are for zh-CN or en, not '{lang}'"),
                            ));
                        }
                        check_template(text, "actions.translations", n, vars)?;
                    }
                }
                Action::NotifyModerators { message } => check_template(message, "actions.message", n, vars)?,
                Action::AddTag { tag: t } | Action::RemoveTag { tag: t } => {
                    *t = tag(t).map_err(|e| FieldError { field: "actions.tag", ..e })?
                }
                Action::Mute { minutes } if !(1..=60 * 24 * 365).contains(minutes) => {
                    return Err(invalid("actions.minutes", "out_of_range", format!("action {n}: 1 minute to a year")));
                }
                Action::Mute { .. } => {}
                // Whether the webhook exists in this community is the app's check.
                Action::Webhook { .. } => {}
            }
        }
        Ok(self)
    }

    /// Whether any of the rule's messages uses `{var}`.
    pub fn uses(&self, var: &str) -> bool {
        let needle = format!("{{{var}}}");
        self.actions.iter().any(|a| match a {
            Action::Post { title, body, .. } => title.contains(&needle) || body.contains(&needle),
            Action::Notify { message, translations } => {
                message.contains(&needle) || translations.values().any(|t| t.contains(&needle))
            }
            Action::NotifyModerators { message } => message.contains(&needle),
            _ => false,
        })
    }

    /// The template variables this rule's messages may use.
    pub fn variables(&self) -> &'static [&'static str] {
        match self.trigger {
            Trigger::MemberInactive { .. } => &["name", "community", "rules_link", "checklist_link", "days_inactive"],
            Trigger::JoinAnniversary => &["name", "community", "rules_link", "checklist_link", "years"],
            // Timed posts may announce last month's frozen top contributors.
            Trigger::Schedule { .. } | Trigger::Date { .. } => {
                &["community", "rules_link", "checklist_link", "date", "last_month", "top_contributors"]
            }
            _ => &["name", "community", "rules_link", "checklist_link"],
        }
    }
}

/// A webhook URL: absolute http(s) with a host, no credentials. Whether the
/// host may be reached is decided at delivery time, after DNS.
pub fn check_url(raw: &str) -> Result<(), String> {
    let lower = raw.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or("the URL must start with http:// or https://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        return Err("the URL has no host".into());
    }
    if authority.contains('@') {
        return Err("credentials in the URL are not allowed; use the signing secret".into());
    }
    if raw.len() > 2_000 || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the URL is too long or contains spaces".into());
    }
    Ok(())
}

/// Parses `2026-12-25T09:00` (local time, no zone).
pub fn parse_local(at: &str) -> Invalid<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(at.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(at.trim(), "%Y-%m-%d %H:%M"))
        .map_err(|_| invalid("trigger.at", "invalid_datetime", "use a local date and time like 2026-12-25T09:00"))
}

/// Splits a template into literal text and `{variable}` names; `{{` and `}}` are literal braces.
fn parts(template: &str) -> Result<Vec<(bool, &str)>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        let (lit, tail) = rest.split_at(i);
        if !lit.is_empty() {
            out.push((false, lit));
        }
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push((false, &tail[..1]));
            rest = &tail[2..];
        } else if let Some(body) = tail.strip_prefix('{') {
            let end = body.find('}').ok_or("an opening { has no closing }")?;
            out.push((true, &body[..end]));
            rest = &body[end + 1..];
        } else {
            return Err("a closing } has no opening {; write }} for a literal brace".into());
        }
    }
    if !rest.is_empty() {
        out.push((false, rest));
    }
    Ok(out)
}

fn check_template(t: &mut String, field: &'static str, n: usize, vars: &[&str]) -> Invalid<()> {
    *t = t.trim().to_string();
    if field != "actions.title" && t.is_empty() {
        return Err(invalid(field, "required", format!("action {n}: the message is empty")));
    }
    if t.chars().count() > MAX_MESSAGE_CHARS {
        return Err(invalid(field, "too_long", format!("action {n}: over {MAX_MESSAGE_CHARS} characters")));
    }
    for (is_var, s) in parts(t).map_err(|m| invalid(field, "invalid_template", format!("action {n}: {m}")))? {
        if is_var && !vars.contains(&s) {
            return Err(invalid(
                field,
                "unknown_variable",
                format!("action {n}: unknown variable {{{s}}}; this trigger offers {}", braced(vars)),
            ));
        }
    }
    Ok(())
}

fn braced(vars: &[&str]) -> String {
    vars.iter().map(|v| format!("{{{v}}}")).collect::<Vec<_>>().join(", ")
}

/// Fills a validated template. Unknown or missing variables render as empty text.
pub fn render(template: &str, vars: &BTreeMap<&str, String>) -> String {
    match parts(template) {
        Ok(ps) => {
            ps.into_iter().map(|(is_var, s)| if is_var { vars.get(s).map_or("", String::as_str) } else { s }).collect()
        }
        Err(_) => template.to_string(),
    }
}

/// What the app knows about a member when a rule is checked.
#[derive(Debug, Clone)]
pub struct MemberFacts<'a> {
    pub role: Role,
    pub tags: &'a [String],
    pub joined_at: i64,
}

/// What the app knows about the post or comment a firing concerns.
#[derive(Debug, Clone, Default)]
pub struct ContentFacts<'a> {
    pub text: &'a str,
    pub topic: Option<&'a str>,
}

/// Substring match after the moderation normalizer (case, width, script,
/// spacing tricks), so "加 微 信" contains "加微信".
fn contains_folded(text: &str, needle: &str) -> bool {
    let n = normalize_word(needle);
    if n.is_empty() {
        return text.to_lowercase().contains(&needle.to_lowercase());
    }
    normalize_word(text).contains(&n)
}

impl Conditions {
    /// Whether a member satisfies the member conditions at time `now`.
    pub fn member_ok(&self, m: &MemberFacts<'_>, now: i64) -> bool {
        let days = ((now - m.joined_at).max(0) / crate::DAY_MS) as u32;
        (self.roles.is_empty() || self.roles.contains(&m.role))
            && (self.tags_any.is_empty() || self.tags_any.iter().any(|t| m.tags.contains(t)))
            && !self.tags_none.iter().any(|t| m.tags.contains(t))
            && self.min_member_days.is_none_or(|d| days >= d)
            && self.max_member_days.is_none_or(|d| days <= d)
    }

    /// Whether a post or comment satisfies the text and topic conditions.
    pub fn content_ok(&self, c: &ContentFacts<'_>) -> bool {
        (self.text_contains.is_empty() || self.text_contains.iter().any(|w| contains_folded(c.text, w)))
            && (self.topics.is_empty()
                || c.topic.is_some_and(|t| self.topics.iter().any(|x| x.eq_ignore_ascii_case(t))))
    }
}

impl Trigger {
    /// For keyword triggers: whether the text matches.
    /// Whether the event's payload is the one the trigger waits for (the
    /// level reached, the streak's days).
    pub fn payload_ok(&self, payload: &serde_json::Value) -> bool {
        match self {
            // The event's level is 0-based.
            Trigger::LevelReached { level: Some(l) } => payload["level"].as_i64() == Some(i64::from(*l) - 1),
            Trigger::StreakReached { days: Some(d) } => payload["days"].as_i64() == Some(i64::from(*d)),
            _ => true,
        }
    }

    pub fn text_ok(&self, text: &str) -> bool {
        match self {
            Trigger::KeywordMatched { keywords } => keywords.iter().any(|k| contains_folded(text, k)),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests;
