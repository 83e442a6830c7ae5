//! Setting up a new community: the steps an operator is guided through
//! (which are done follows from the community's state, never from ticks the
//! operator sets) and the templates a community can start from.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::community::SettingsInput;

/// One thing a new community needs before members arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetupStep {
    /// A description and an announcement: what the place is for.
    Describe,
    /// A first version of the rules.
    Rules,
    /// Entry questions (approval communities only).
    Questions,
    /// Topics that sort the feed.
    Topics,
    /// A welcome for newcomers: the assistant's welcome rule or the checklist.
    Welcome,
    /// The first post, so the first visitor does not meet an empty room.
    FirstPost,
    /// An invite link, or a second member.
    Invite,
}

/// What the steps are judged on, read from the community as it is.
#[derive(Debug, Clone, Default)]
pub struct SetupFacts {
    pub has_description: bool,
    pub has_announcement: bool,
    pub rules_version: i64,
    pub approval: bool,
    pub entry_questions: usize,
    pub topics: usize,
    pub welcome_on: bool,
    pub posts: i64,
    pub members: i64,
    pub invites: i64,
}

/// The steps that apply to this community, in the order to do them, each
/// with whether it is done.
pub fn steps(f: &SetupFacts) -> Vec<(SetupStep, bool)> {
    use SetupStep::*;
    let mut out = vec![(Describe, f.has_description && f.has_announcement), (Rules, f.rules_version > 0)];
    if f.approval {
        out.push((Questions, f.entry_questions > 0));
    }
    out.extend([
        (Topics, f.topics > 0),
        (Welcome, f.welcome_on),
        (FirstPost, f.posts > 0),
        (Invite, f.invites > 0 || f.members > 1),
    ]);
    out
}

/// A starting point for a new community: the form comes pre-filled, in the
/// operator's language; everything stays editable. The texts are data
/// (`setup_templates.json`, one entry per key with `zh` and `en`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Template {
    #[serde(default)]
    pub key: String,
    /// Name, description, audience, value, policy, entry questions, announcement.
    #[serde(flatten)]
    pub settings: SettingsInput,
    pub rules: String,
    pub topics: Vec<String>,
}

#[derive(Deserialize)]
struct Translations {
    zh: Template,
    en: Template,
}

/// Template keys, in the order the new-community page offers them.
pub const TEMPLATE_KEYS: [&str; 4] = ["reading_club", "running_club", "brand", "venue"];

fn all() -> &'static HashMap<String, Translations> {
    static ALL: OnceLock<HashMap<String, Translations>> = OnceLock::new();
    ALL.get_or_init(|| serde_json::from_str(include_str!("setup_templates.json")).expect("valid setup_templates.json"))
}

/// The template for `key` in Chinese (`zh`) or English.
pub fn template(key: &str, zh: bool) -> Option<Template> {
    let t = all().get(key)?;
    let mut t = if zh { t.zh.clone() } else { t.en.clone() };
    t.key = key.to_string();
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::community::CommunitySettings;

    #[test]
    fn questions_apply_only_to_approval_communities() {
        let open = steps(&SetupFacts::default());
        assert!(!open.iter().any(|(s, _)| *s == SetupStep::Questions));
        assert!(open.iter().all(|(_, done)| !done), "a bare community has everything to do");
        let approval = steps(&SetupFacts { approval: true, entry_questions: 2, ..Default::default() });
        assert!(approval.contains(&(SetupStep::Questions, true)));
    }

    #[test]
    fn describing_needs_both_description_and_announcement() {
        let f = SetupFacts { has_description: true, ..Default::default() };
        assert_eq!(steps(&f)[0], (SetupStep::Describe, false));
        let f = SetupFacts { has_description: true, has_announcement: true, ..Default::default() };
        assert_eq!(steps(&f)[0], (SetupStep::Describe, true));
    }

    #[test]
    fn a_second_member_counts_as_invited() {
        let done = |f: SetupFacts| steps(&f).into_iter().find(|(s, _)| *s == SetupStep::Invite).unwrap().1;
        assert!(!done(SetupFacts { members: 1, ..Default::default() }));
        assert!(done(SetupFacts { members: 2, ..Default::default() }));
        assert!(done(SetupFacts { members: 1, invites: 1, ..Default::default() }));
    }

    #[test]
    fn every_template_is_valid_settings_in_both_languages() {
        for key in TEMPLATE_KEYS {
            for zh in [true, false] {
                let t = template(key, zh).expect("known key");
                let input = SettingsInput { time_zone: "Asia/Shanghai".into(), ..t.settings.clone() };
                CommunitySettings::parse(&input).unwrap_or_else(|e| panic!("{key} zh={zh}: {e:?}"));
                let approval = t.settings.join_policy == "approval";
                assert_eq!(approval, !t.settings.entry_questions.is_empty(), "{key}: questions iff approval");
                assert!(!t.topics.is_empty() && !t.rules.is_empty());
            }
        }
        assert!(template("nope", true).is_none());
        assert_eq!(all().len(), TEMPLATE_KEYS.len(), "every template in the file is offered");
    }
}
