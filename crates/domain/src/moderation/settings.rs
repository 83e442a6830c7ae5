//! A community's moderation settings: what is checked and what happens.
//! Stored as one JSON document per community; validated here.

use serde::{Deserialize, Serialize};

use crate::error::{invalid, Invalid};

/// What a rule does, from mildest to harshest. Content is published only
/// under `Allow`; `Hold` sends it to the review queue; `Hide` and above hide
/// it; `Warn` and above also count a strike against the author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    #[default]
    Allow,
    Hold,
    Hide,
    Warn,
    Mute,
    Remove,
    Ban,
}

crate::community::str_enum!(ActionKind {
    Allow => "allow", Hold => "hold", Hide => "hide", Warn => "warn", Mute => "mute", Remove => "remove", Ban => "ban"
});

impl ActionKind {
    pub const ALL: [ActionKind; 7] = [
        ActionKind::Allow,
        ActionKind::Hold,
        ActionKind::Hide,
        ActionKind::Warn,
        ActionKind::Mute,
        ActionKind::Remove,
        ActionKind::Ban,
    ];
    /// Whether the content stays out of feeds.
    pub fn withholds(self) -> bool {
        self != ActionKind::Allow
    }
    /// Whether it counts against the author on the escalation ladder.
    pub fn is_strike(self) -> bool {
        self >= ActionKind::Warn
    }
}

/// An action with its duration where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sanction {
    pub action: ActionKind,
    /// Minutes of a mute; ignored for other actions.
    #[serde(default = "default_mute_minutes")]
    pub mute_minutes: u32,
}

fn default_mute_minutes() -> u32 {
    60
}

impl Sanction {
    pub const ALLOW: Sanction = Sanction { action: ActionKind::Allow, mute_minutes: 60 };
    pub const fn new(action: ActionKind) -> Self {
        Sanction { action, mute_minutes: 60 }
    }
    pub const fn mute(minutes: u32) -> Self {
        Sanction { action: ActionKind::Mute, mute_minutes: minutes }
    }
    /// The harsher of two; a longer mute is harsher than a shorter one.
    pub fn max(self, other: Sanction) -> Sanction {
        if (other.action, other.mute_minutes) > (self.action, self.mute_minutes) {
            other
        } else {
            self
        }
    }
}

/// A detector that can be switched on and given an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detector {
    pub enabled: bool,
    #[serde(flatten)]
    pub sanction: Sanction,
}

impl Detector {
    const fn on(action: ActionKind) -> Self {
        Detector { enabled: true, sanction: Sanction::new(action) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Detectors {
    /// Built-in insult list (class `abuse`).
    pub abuse_words: Detector,
    /// Built-in banned-topic list (class `banned_word`).
    pub default_banned_words: Detector,
    /// Links to domains not on the allowlist.
    pub links: Detector,
    /// Links that invite people into another group (Telegram, Discord, WeChat, QQ…).
    pub group_invites: Detector,
    /// Mainland mobile and international phone numbers.
    pub phones: Detector,
    /// WeChat / QQ / Telegram IDs introduced by their usual phrases.
    pub contact_ids: Detector,
    /// "scan the QR code / add me / red envelope / part-time job" and friends.
    pub ad_phrases: Detector,
    /// Sum of phrase weights at which `ad_phrases` fires.
    pub ad_phrase_threshold: u32,
    /// More than `flood_max_messages` in `flood_window_secs`, or the same text `flood_max_repeats` times.
    pub flood: Detector,
    pub flood_max_messages: u32,
    pub flood_window_secs: u32,
    pub flood_max_repeats: u32,
    /// Messages that are mostly emoji or one character repeated.
    pub junk: Detector,
    /// Mentions of more than `max_mentions` people in one message.
    pub mass_mentions: Detector,
    pub max_mentions: u32,
}

/// Discourse-style limits while a member is new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewcomerLimits {
    pub enabled: bool,
    /// A member is new during their first `days` days …
    pub days: u32,
    /// … or until they have written `posts` posts and comments.
    pub posts: u32,
    #[serde(flatten)]
    pub sanction: Sanction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatternKind {
    Words,
    Regex,
}

/// An operator's own rule: a word list or a regular expression, with an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomRule {
    pub name: String,
    pub kind: PatternKind,
    /// One word per entry for `words`; one entry, the expression, for `regex`.
    pub patterns: Vec<String>,
    #[serde(flatten)]
    pub sanction: Sanction,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// Every field is optional in JSON: what is left out takes its default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModerationSettings {
    /// Master switch: off means every message is allowed.
    pub enabled: bool,
    /// The community's own banned words (class `banned_word`).
    pub banned_words: Vec<String>,
    pub banned_words_sanction: Sanction,
    /// Domains members may link to: matched exactly or on a dot boundary
    /// (`example.com` allows `docs.example.com`, never `badexample.com`).
    pub allowed_domains: Vec<String>,
    pub detectors: Detectors,
    pub newcomer: NewcomerLimits,
    pub custom_rules: Vec<CustomRule>,
    /// Step n applies to a member's n-th strike inside the decay window; the
    /// last step repeats. Empty: rules' own actions only.
    pub ladder: Vec<Sanction>,
    /// Strikes older than this stop counting.
    pub strike_decay_days: u32,
    /// Reports from this many different members hide the content until reviewed.
    pub report_threshold: u32,
}

impl Default for ModerationSettings {
    fn default() -> Self {
        use ActionKind::*;
        ModerationSettings {
            enabled: true,
            banned_words: vec![],
            banned_words_sanction: Sanction::new(Hide),
            allowed_domains: vec![],
            detectors: Detectors {
                abuse_words: Detector::on(Warn),
                default_banned_words: Detector::on(Hide),
                links: Detector::on(Hold),
                group_invites: Detector::on(Warn),
                phones: Detector::on(Hold),
                contact_ids: Detector::on(Warn),
                ad_phrases: Detector::on(Warn),
                ad_phrase_threshold: 2,
                flood: Detector { enabled: true, sanction: Sanction::mute(10) },
                flood_max_messages: 5,
                flood_window_secs: 10,
                flood_max_repeats: 3,
                junk: Detector::on(Hide),
                mass_mentions: Detector::on(Hold),
                max_mentions: 5,
            },
            newcomer: NewcomerLimits { enabled: true, days: 3, posts: 3, sanction: Sanction::new(Hold) },
            custom_rules: vec![],
            ladder: vec![Sanction::new(Warn), Sanction::mute(60), Sanction::mute(24 * 60), Sanction::new(Remove)],
            strike_decay_days: 30,
            report_threshold: 3,
        }
    }
}

impl Default for Detectors {
    fn default() -> Self {
        ModerationSettings::default().detectors
    }
}

impl Default for NewcomerLimits {
    fn default() -> Self {
        ModerationSettings::default().newcomer
    }
}

pub const MAX_WORDS: usize = 5_000;
pub const MAX_CUSTOM_RULES: usize = 50;
pub const MAX_REGEX_LEN: usize = 500;
pub const MAX_MUTE_MINUTES: u32 = 365 * 24 * 60;

impl ModerationSettings {
    /// Checks limits and ranges; regular expressions are checked when the
    /// rule set is compiled (see [`super::RuleSet::compile`]).
    pub fn validate(&self) -> Invalid<()> {
        let words = self.banned_words.len() + self.custom_rules.iter().map(|r| r.patterns.len()).sum::<usize>();
        if words > MAX_WORDS {
            return Err(invalid("banned_words", "too_many", format!("at most {MAX_WORDS} words in all lists")));
        }
        if self.custom_rules.len() > MAX_CUSTOM_RULES {
            return Err(invalid("custom_rules", "too_many", format!("at most {MAX_CUSTOM_RULES} custom rules")));
        }
        for d in &self.allowed_domains {
            let ok = !d.is_empty()
                && d.len() <= 253
                && d.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                && !d.starts_with('.')
                && !d.ends_with('.');
            if !ok {
                return Err(invalid("allowed_domains", "invalid_domain", format!("'{d}' is not a domain name")));
            }
        }
        for (i, r) in self.custom_rules.iter().enumerate() {
            let n = i + 1;
            if r.name.trim().is_empty() || r.name.chars().count() > 100 {
                return Err(invalid(
                    "custom_rules",
                    "invalid_name",
                    format!("rule {n}: name must be 1-100 characters"),
                ));
            }
            if r.patterns.iter().all(|p| p.trim().is_empty()) {
                return Err(invalid("custom_rules", "required", format!("rule {n} ({}): needs a pattern", r.name)));
            }
            if r.kind == PatternKind::Regex && r.patterns.len() != 1 {
                return Err(invalid("custom_rules", "invalid_regex", format!("rule {n} ({}): one expression", r.name)));
            }
            if r.patterns.iter().any(|p| p.len() > MAX_REGEX_LEN) {
                return Err(invalid("custom_rules", "too_long", format!("rule {n}: patterns ≤ {MAX_REGEX_LEN} bytes")));
            }
        }
        let sanctions = [self.banned_words_sanction, self.newcomer.sanction]
            .into_iter()
            .chain(self.ladder.iter().copied())
            .chain(self.custom_rules.iter().map(|r| r.sanction));
        for s in sanctions {
            if s.action == ActionKind::Mute && !(1..=MAX_MUTE_MINUTES).contains(&s.mute_minutes) {
                return Err(invalid("mute_minutes", "out_of_range", "a mute lasts 1 minute to 365 days"));
            }
        }
        if self.ladder.len() > 10 {
            return Err(invalid("ladder", "too_many", "at most 10 ladder steps"));
        }
        let d = &self.detectors;
        if d.flood_window_secs == 0 || d.flood_window_secs > 3600 || d.flood_max_messages < 2 || d.flood_max_repeats < 2
        {
            return Err(invalid(
                "detectors",
                "out_of_range",
                "flood: window 1-3600 s, at least 2 messages and 2 repeats",
            ));
        }
        if d.max_mentions == 0 || d.ad_phrase_threshold == 0 {
            return Err(invalid("detectors", "out_of_range", "thresholds must be at least 1"));
        }
        if self.report_threshold == 0 || self.report_threshold > 100 {
            return Err(invalid("report_threshold", "out_of_range", "report threshold must be 1-100"));
        }
        if self.strike_decay_days == 0 || self.strike_decay_days > 3650 {
            return Err(invalid("strike_decay_days", "out_of_range", "strikes decay after 1-3650 days"));
        }
        Ok(())
    }

    /// Whether a host is on the allowlist: equal, or a subdomain on a dot boundary.
    pub fn domain_allowed(&self, host: &str) -> bool {
        domain_allowed(&self.allowed_domains, host)
    }
}

pub fn domain_allowed(allowed: &[String], host: &str) -> bool {
    let host = host.trim_end_matches('.');
    allowed.iter().any(|d| {
        host.eq_ignore_ascii_case(d)
            || (host.len() > d.len()
                && host.as_bytes()[host.len() - d.len() - 1] == b'.'
                && host[host.len() - d.len()..].eq_ignore_ascii_case(d))
    })
}

/// The escalation ladder: the sanction for a member's `n`-th live strike (1-based).
pub fn ladder_step(ladder: &[Sanction], n: u32) -> Option<Sanction> {
    if n == 0 || ladder.is_empty() {
        return None;
    }
    Some(ladder[(n as usize - 1).min(ladder.len() - 1)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let s = ModerationSettings::default();
        s.validate().unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<ModerationSettings>(&json).unwrap(), s);
    }

    #[test]
    fn allowlist_matches_on_dot_boundaries_only() {
        let a = vec!["example.com".to_string()];
        assert!(domain_allowed(&a, "example.com"));
        assert!(domain_allowed(&a, "docs.example.com"));
        assert!(domain_allowed(&a, "Docs.Example.COM"));
        assert!(!domain_allowed(&a, "badexample.com"));
        assert!(!domain_allowed(&a, "example.com.evil.net"));
        assert!(!domain_allowed(&a, "com"));
    }

    #[test]
    fn ladder_repeats_its_last_step() {
        let l = ModerationSettings::default().ladder;
        assert_eq!(ladder_step(&l, 0), None);
        assert_eq!(ladder_step(&l, 1).unwrap().action, ActionKind::Warn);
        assert_eq!(ladder_step(&l, 2).unwrap(), Sanction::mute(60));
        assert_eq!(ladder_step(&l, 3).unwrap(), Sanction::mute(1440));
        assert_eq!(ladder_step(&l, 4).unwrap().action, ActionKind::Remove);
        assert_eq!(ladder_step(&l, 9).unwrap().action, ActionKind::Remove);
    }

    #[test]
    fn validation_names_the_field() {
        let mut s = ModerationSettings::default();
        s.allowed_domains.push("not a domain".into());
        assert_eq!(s.validate().unwrap_err().field, "allowed_domains");
        let mut s = ModerationSettings::default();
        s.ladder.push(Sanction::mute(0));
        assert_eq!(s.validate().unwrap_err().field, "mute_minutes");
    }

    #[test]
    fn harsher_sanction_wins() {
        assert_eq!(Sanction::new(ActionKind::Hold).max(Sanction::mute(5)), Sanction::mute(5));
        assert_eq!(Sanction::mute(60).max(Sanction::mute(5)), Sanction::mute(60));
        assert_eq!(Sanction::new(ActionKind::Ban).max(Sanction::mute(5)).action, ActionKind::Ban);
    }
}
