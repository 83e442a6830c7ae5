//! Communities: identity, positioning, visibility, join policy, rules.

use serde::{Deserialize, Serialize};

use crate::error::{invalid, Invalid};
use crate::text::{self, MAX_NAME_CHARS, MAX_SHORT_TEXT_CHARS};

/// URL name of a community: 2–40 chars, lowercase ASCII letters, digits and
/// single dashes, not starting or ending with a dash, not a reserved word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunitySlug(String);

const RESERVED_SLUGS: &[&str] = &["new", "api", "admin", "settings", "login", "logout", "static", "assets"];

impl CommunitySlug {
    pub fn parse(raw: &str) -> Invalid<Self> {
        let s = raw.trim().to_ascii_lowercase();
        let ok = (2..=40).contains(&s.len())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if !ok {
            return Err(invalid(
                "slug",
                "invalid_slug",
                "slug must be 2-40 characters: lowercase letters, digits and single dashes",
            ));
        }
        if RESERVED_SLUGS.contains(&s.as_str()) {
            return Err(invalid("slug", "reserved_slug", format!("slug '{s}' is reserved")));
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Anyone can read content; joining is needed to take part.
    Public,
    /// Name and description are visible; content is for members only.
    Private,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinPolicy {
    Open,
    /// Applicants answer the entry questions; an admin approves or rejects.
    Approval,
    InviteOnly,
}

macro_rules! str_enum {
    ($t:ty { $($v:ident => $s:literal),* $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str { match self { $(Self::$v => $s),* } }
            pub fn parse(field: &'static str, raw: &str) -> Invalid<Self> {
                match raw.trim() {
                    $($s => Ok(Self::$v),)*
                    _ => Err(invalid(field, "invalid_choice", format!("{field} must be one of: {}", [$($s),*].join(", ")))),
                }
            }
        }
    };
}
pub(crate) use str_enum;

str_enum!(Visibility { Public => "public", Private => "private" });
str_enum!(JoinPolicy { Open => "open", Approval => "approval", InviteOnly => "invite_only" });

pub const MAX_ENTRY_QUESTIONS: usize = 5;

/// Everything an admin sets about a community (besides rules, which are versioned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunitySettings {
    pub name: String,
    pub description: String,
    pub target_members: String,
    pub core_value: String,
    pub visibility: Visibility,
    pub join_policy: JoinPolicy,
    pub entry_questions: Vec<String>,
    pub time_zone: String,
    pub announcement: String,
}

/// Raw settings as they arrive from a form or JSON (absent fields empty).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsInput {
    pub name: String,
    pub description: String,
    pub target_members: String,
    pub core_value: String,
    pub visibility: String,
    pub join_policy: String,
    pub entry_questions: Vec<String>,
    pub time_zone: String,
    pub announcement: String,
}

impl CommunitySettings {
    pub fn parse(i: &SettingsInput) -> Invalid<Self> {
        let entry_questions = parse_entry_questions(&i.entry_questions)?;
        let join_policy = JoinPolicy::parse("join_policy", &i.join_policy)?;
        Ok(Self {
            name: text::required_line("name", &i.name, MAX_NAME_CHARS)?,
            description: text::optional_text("description", &i.description, MAX_SHORT_TEXT_CHARS)?,
            target_members: text::optional_text("target_members", &i.target_members, 500)?,
            core_value: text::optional_text("core_value", &i.core_value, 500)?,
            visibility: Visibility::parse("visibility", &i.visibility)?,
            join_policy,
            entry_questions,
            time_zone: text::time_zone("time_zone", &i.time_zone)?,
            announcement: text::optional_text("announcement", &i.announcement, MAX_SHORT_TEXT_CHARS)?,
        })
    }
}

fn parse_entry_questions(raw: &[String]) -> Invalid<Vec<String>> {
    let qs: Vec<String> = raw.iter().map(|q| q.trim()).filter(|q| !q.is_empty()).map(String::from).collect();
    if qs.len() > MAX_ENTRY_QUESTIONS {
        return Err(invalid("entry_questions", "too_many", format!("at most {MAX_ENTRY_QUESTIONS} entry questions")));
    }
    for q in &qs {
        text::required_line("entry_questions", q, 300)?;
    }
    Ok(qs)
}

/// Checks a join application's answers against the entry questions: one
/// non-empty answer of at most 1000 characters per question.
pub fn parse_answers(questions: &[String], answers: &[String]) -> Invalid<Vec<String>> {
    if answers.len() != questions.len() {
        return Err(invalid(
            "answers",
            "answer_count",
            format!("expected {} answers, got {}", questions.len(), answers.len()),
        ));
    }
    answers
        .iter()
        .map(|a| {
            let a = text::optional_text("answers", a, 1000)?;
            if a.is_empty() {
                return Err(invalid("answers", "required", "every entry question needs an answer"));
            }
            Ok(a)
        })
        .collect()
}

/// Reason given when rejecting, removing or banning: optional, ≤ 500 chars.
pub fn reason(raw: &str) -> Invalid<String> {
    text::optional_text("reason", raw, 500)
}

/// Name of a topic (content tag) within a community.
pub fn topic_name(raw: &str) -> Invalid<String> {
    let s = text::required_line("name", raw, 40)?;
    if s.contains(['#', '/', '?']) {
        return Err(invalid("name", "invalid_characters", "topic names cannot contain # / ?"));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SettingsInput {
        SettingsInput {
            name: "读书会".into(),
            visibility: "public".into(),
            join_policy: "approval".into(),
            time_zone: "Asia/Shanghai".into(),
            entry_questions: vec!["Why?".into(), " ".into()],
            ..Default::default()
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(CommunitySlug::parse("Book-Club").unwrap().as_str(), "book-club");
        for bad in ["a", "-ab", "ab-", "a--b", "a_b", "读书", "new", &"a".repeat(41)] {
            assert!(CommunitySlug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_parse_and_limits() {
        let s = CommunitySettings::parse(&input()).unwrap();
        assert_eq!(s.entry_questions, vec!["Why?".to_string()]);
        assert_eq!(s.join_policy, JoinPolicy::Approval);
        let mut i = input();
        i.entry_questions = (0..6).map(|n| format!("q{n}")).collect();
        assert_eq!(CommunitySettings::parse(&i).unwrap_err().field, "entry_questions");
        let mut i = input();
        i.visibility = "secret".into();
        assert_eq!(CommunitySettings::parse(&i).unwrap_err().field, "visibility");
        let mut i = input();
        i.name = "x".repeat(101);
        assert_eq!(CommunitySettings::parse(&i).unwrap_err().code, "too_long");
    }

    #[test]
    fn answers() {
        let qs = vec!["a".to_string(), "b".to_string()];
        assert!(parse_answers(&qs, &["x".into()]).is_err());
        assert!(parse_answers(&qs, &["x".into(), " ".into()]).is_err());
        assert!(parse_answers(&qs, &["x".into(), "y".into()]).is_ok());
    }
}
