//! The moderation rules form ↔ settings: every choice is a select (action,
//! and for mutes how long), the escalation ladder is a row of them, custom
//! rules are table rows. Fields the form leaves out keep their saved values.

use yaji_app::AppError;
use yaji_domain::error::invalid;
use yaji_domain::moderation::{
    ActionKind, CustomRule, Detector, ModerationSettings, PatternKind, Sanction, MAX_MUTE_MINUTES,
};

use super::form::{commas, field, lines, Form};

/// The detectors on the rules page, in display order.
pub(super) const DETECTORS: [&str; 11] = [
    "abuse_words",
    "default_banned_words",
    "links",
    "group_invites",
    "phones",
    "contact_ids",
    "ad_phrases",
    "flood",
    "junk",
    "mass_mentions",
    "newcomer",
];

/// Steps of the escalation ladder the form offers.
pub(super) const LADDER_STEPS: usize = 6;

/// Blank custom-rule rows under the saved ones, for adding.
const BLANK_RULE_ROWS: usize = 2;

fn detector_mut<'a>(s: &'a mut ModerationSettings, name: &str) -> Option<(&'a mut bool, &'a mut Sanction)> {
    let d = &mut s.detectors;
    let det = |d: &'a mut Detector| Some((&mut d.enabled, &mut d.sanction));
    match name {
        "abuse_words" => det(&mut d.abuse_words),
        "default_banned_words" => det(&mut d.default_banned_words),
        "links" => det(&mut d.links),
        "group_invites" => det(&mut d.group_invites),
        "phones" => det(&mut d.phones),
        "contact_ids" => det(&mut d.contact_ids),
        "ad_phrases" => det(&mut d.ad_phrases),
        "flood" => det(&mut d.flood),
        "junk" => det(&mut d.junk),
        "mass_mentions" => det(&mut d.mass_mentions),
        "newcomer" => Some((&mut s.newcomer.enabled, &mut s.newcomer.sanction)),
        _ => None,
    }
}

/// A sanction into the picker's two fields `<name>_action` and `<name>_minutes`.
fn put_sanction(f: &mut Form, name: &str, s: Sanction) {
    f.insert(format!("{name}_action"), s.action.as_str().into());
    let minutes = if s.action == ActionKind::Mute { s.mute_minutes } else { 60 };
    f.insert(format!("{name}_minutes"), minutes.to_string());
}

/// The picker's fields back into a sanction; errors name `error_field`.
fn read_sanction(f: &Form, name: &str, error_field: &'static str) -> Result<Sanction, AppError> {
    let action = ActionKind::parse(error_field, field(f, &format!("{name}_action")).trim())
        .map_err(|_| invalid(error_field, "invalid_choice", "choose what happens"))?;
    let mute_minutes = match field(f, &format!("{name}_minutes")).trim() {
        "" => 60,
        m => m
            .parse::<u32>()
            .ok()
            .filter(|m| (1..=MAX_MUTE_MINUTES).contains(m))
            .ok_or_else(|| invalid(error_field, "out_of_range", "a mute lasts 1 minute to 365 days"))?,
    };
    Ok(Sanction { action, mute_minutes })
}

/// The form's view of settings.
pub(super) fn settings_form(s: &ModerationSettings) -> Form {
    let mut f = Form::new();
    f.insert("enabled".into(), if s.enabled { "on".into() } else { String::new() });
    f.insert("banned_words".into(), s.banned_words.join("\n"));
    put_sanction(&mut f, "banned_words", s.banned_words_sanction);
    f.insert("allowed_domains".into(), s.allowed_domains.join("\n"));
    let mut copy = s.clone();
    for name in DETECTORS {
        if let Some((on, sanction)) = detector_mut(&mut copy, name) {
            f.insert(format!("{name}_on"), if *on { "on".into() } else { String::new() });
            put_sanction(&mut f, name, *sanction);
        }
    }
    let d = &s.detectors;
    for (k, v) in [
        ("ad_phrase_threshold", d.ad_phrase_threshold),
        ("flood_max_messages", d.flood_max_messages),
        ("flood_window_secs", d.flood_window_secs),
        ("flood_max_repeats", d.flood_max_repeats),
        ("max_mentions", d.max_mentions),
        ("newcomer_days", s.newcomer.days),
        ("newcomer_posts", s.newcomer.posts),
        ("strike_decay_days", s.strike_decay_days),
        ("report_threshold", s.report_threshold),
    ] {
        f.insert(k.into(), v.to_string());
    }
    for (i, step) in s.ladder.iter().take(LADDER_STEPS).enumerate() {
        put_sanction(&mut f, &format!("ladder_{i}"), *step);
    }
    for (i, r) in s.custom_rules.iter().enumerate() {
        let p = format!("cr{i}");
        f.insert(format!("{p}_name"), r.name.clone());
        f.insert(format!("{p}_kind"), if r.kind == PatternKind::Regex { "regex" } else { "words" }.into());
        let pattern = if r.kind == PatternKind::Regex { r.patterns.join("") } else { r.patterns.join(", ") };
        f.insert(format!("{p}_pattern"), pattern);
        f.insert(format!("{p}_on"), if r.enabled { "on".into() } else { String::new() });
        put_sanction(&mut f, &p, r.sanction);
    }
    f.insert("custom_rows".into(), (s.custom_rules.len() + BLANK_RULE_ROWS).to_string());
    f
}

fn number(f: &Form, k: &'static str) -> Result<u32, AppError> {
    field(f, k).trim().parse().map_err(|_| invalid(k, "invalid_number", format!("{k} must be a whole number")).into())
}

/// Parses the rules form over the current settings (so what the form leaves out is kept).
pub(super) fn parse_form(f: &Form, mut s: ModerationSettings) -> Result<ModerationSettings, AppError> {
    s.enabled = field(f, "enabled") == "on";
    s.banned_words = lines(field(f, "banned_words"));
    s.banned_words_sanction = read_sanction(f, "banned_words", "banned_words")?;
    s.allowed_domains = lines(field(f, "allowed_domains")).into_iter().map(|d| d.to_lowercase()).collect();
    for name in DETECTORS {
        let on = field(f, &format!("{name}_on")) == "on";
        let sanction = read_sanction(f, name, "detectors")?;
        if let Some((e, sa)) = detector_mut(&mut s, name) {
            *e = on;
            *sa = sanction;
        }
    }
    s.detectors.ad_phrase_threshold = number(f, "ad_phrase_threshold")?;
    s.detectors.flood_max_messages = number(f, "flood_max_messages")?;
    s.detectors.flood_window_secs = number(f, "flood_window_secs")?;
    s.detectors.flood_max_repeats = number(f, "flood_max_repeats")?;
    s.detectors.max_mentions = number(f, "max_mentions")?;
    s.newcomer.days = number(f, "newcomer_days")?;
    s.newcomer.posts = number(f, "newcomer_posts")?;
    s.strike_decay_days = number(f, "strike_decay_days")?;
    s.report_threshold = number(f, "report_threshold")?;
    // The ladder ends at the first step left empty.
    s.ladder = (0..LADDER_STEPS)
        .map(|i| format!("ladder_{i}"))
        .take_while(|p| !field(f, &format!("{p}_action")).trim().is_empty())
        .map(|p| read_sanction(f, &p, "ladder"))
        .collect::<Result<_, _>>()?;
    let rows: usize = field(f, "custom_rows").parse().unwrap_or(0);
    let mut custom = Vec::new();
    for i in 0..rows.min(200) {
        let p = format!("cr{i}");
        let (name, pattern) = (field(f, &format!("{p}_name")).trim(), field(f, &format!("{p}_pattern")).trim());
        if name.is_empty() && pattern.is_empty() || field(f, &format!("{p}_delete")) == "on" {
            continue;
        }
        let kind = match field(f, &format!("{p}_kind")) {
            "regex" => PatternKind::Regex,
            _ => PatternKind::Words,
        };
        let patterns = match kind {
            PatternKind::Words => commas(pattern),
            PatternKind::Regex => vec![pattern.to_string()],
        };
        custom.push(CustomRule {
            name: name.to_string(),
            kind,
            patterns,
            sanction: read_sanction(f, &p, "custom_rules")?,
            enabled: field(f, &format!("{p}_on")) == "on",
        });
    }
    s.custom_rules = custom;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_round_trips_settings() {
        let mut s = ModerationSettings {
            banned_words: vec!["竞品".into(), "spam word".into()],
            allowed_domains: vec!["example.com".into()],
            custom_rules: vec![CustomRule {
                name: "orders".into(),
                kind: PatternKind::Regex,
                patterns: vec![r"ORD-\d+|PO-\d+".into()],
                sanction: Sanction::mute(30),
                enabled: false,
            }],
            ..ModerationSettings::default()
        };
        s.detectors.links.enabled = false;
        s.ladder = vec![Sanction::mute(10), Sanction::mute(4320)];
        let f = settings_form(&s);
        assert_eq!(field(&f, "custom_rows"), "3", "the saved rule and two blank rows");
        assert_eq!(parse_form(&f, ModerationSettings::default()).unwrap(), s);
    }

    #[test]
    fn bad_form_values_name_their_field() {
        let mut f = settings_form(&ModerationSettings::default());
        f.insert("ladder_1_action".into(), "mute".into());
        f.insert("ladder_1_minutes".into(), "0".into());
        let AppError::Invalid(e) = parse_form(&f, ModerationSettings::default()).unwrap_err() else { panic!() };
        assert_eq!((e.field, e.code), ("ladder", "out_of_range"));
        f.insert("ladder_1_action".into(), "shout".into());
        let AppError::Invalid(e) = parse_form(&f, ModerationSettings::default()).unwrap_err() else { panic!() };
        assert_eq!((e.field, e.code), ("ladder", "invalid_choice"));
    }

    #[test]
    fn blank_and_deleted_rule_rows_are_dropped() {
        let mut f = settings_form(&ModerationSettings::default());
        for (k, v) in [
            ("custom_rows", "2"),
            ("cr0_name", "gone"),
            ("cr0_pattern", "x"),
            ("cr0_action", "hold"),
            ("cr0_delete", "on"),
        ] {
            f.insert(k.into(), v.into());
        }
        assert!(parse_form(&f, ModerationSettings::default()).unwrap().custom_rules.is_empty());
    }
}
