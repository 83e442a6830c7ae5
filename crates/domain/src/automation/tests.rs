use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::templates::{build, KEYS};
use super::*;

fn rule(trigger: Trigger, actions: Vec<Action>) -> RuleDef {
    RuleDef { name: "r".into(), trigger, conditions: Conditions::default(), actions }
}

fn notify(m: &str) -> Action {
    Action::Notify { message: m.into(), translations: Default::default() }
}

#[test]
fn templates_render_variables_and_literal_braces() {
    let mut vars = BTreeMap::new();
    vars.insert("name", "小王".to_string());
    vars.insert("community", "茶馆".to_string());
    assert_eq!(render("{name}，欢迎来到{community} {{ok}}", &vars), "小王，欢迎来到茶馆 {ok}");
    assert_eq!(render("{days_inactive} days", &vars), " days");
}

#[test]
fn unknown_variables_and_broken_braces_are_refused_with_the_field() {
    let e = rule(Trigger::MemberJoined, vec![notify("hi {nmae}")]).validate().unwrap_err();
    assert_eq!((e.field, e.code), ("actions.message", "unknown_variable"));
    assert!(e.message.contains("{name}"), "{}", e.message);
    let e = rule(Trigger::MemberJoined, vec![notify("hi {name")]).validate().unwrap_err();
    assert_eq!(e.code, "invalid_template");
    // {days_inactive} belongs to the inactivity trigger only.
    assert!(rule(Trigger::MemberJoined, vec![notify("{days_inactive}")]).validate().is_err());
    assert!(rule(Trigger::MemberInactive { days: 14 }, vec![notify("{days_inactive}")]).validate().is_ok());
}

#[test]
fn rules_are_checked_field_by_field() {
    let e = rule(Trigger::MemberJoined, vec![]).validate().unwrap_err();
    assert_eq!(e.field, "actions");
    let e = rule(
        Trigger::Schedule { cron: "0 9 * *".into() },
        vec![Action::Post { title: String::new(), body: "x".into(), reply: false }],
    )
    .validate()
    .unwrap_err();
    assert_eq!((e.field, e.code), ("trigger.cron", "invalid_cron"));
    // A schedule has no member to notify or tag.
    let e = rule(Trigger::Schedule { cron: "0 9 * * 1".into() }, vec![notify("x")]).validate().unwrap_err();
    assert_eq!((e.field, e.code), ("actions", "not_applicable"));
    let e = rule(Trigger::MemberInactive { days: 0 }, vec![notify("x")]).validate().unwrap_err();
    assert_eq!(e.field, "trigger.days");
    let e = rule(Trigger::KeywordMatched { keywords: vec!["  ".into()] }, vec![notify("x")]).validate().unwrap_err();
    assert_eq!(e.field, "trigger.keywords");
    assert!(check_url("ftp://x").is_err());
    assert!(check_url("https://user:pw@example.com/").unwrap_err().contains("credentials"));
    assert!(check_url("https://hooks.example.com/yaji?x=1").is_ok());
    let e = rule(Trigger::MemberJoined, vec![Action::AddTag { tag: "a,b".into() }]).validate().unwrap_err();
    assert_eq!(e.field, "actions.tag");
    let e = rule(
        Trigger::Date { at: "tomorrow".into() },
        vec![Action::Post { title: String::new(), body: "x".into(), reply: false }],
    )
    .validate()
    .unwrap_err();
    assert_eq!(e.field, "trigger.at");
    let mut r = rule(Trigger::MemberJoined, vec![notify("x")]);
    r.conditions.text_contains = vec!["ad".into()];
    assert_eq!(r.validate().unwrap_err().code, "not_applicable");
    let r = rule(Trigger::MemberJoined, vec![Action::Post { title: String::new(), body: "x".into(), reply: true }]);
    assert_eq!(r.validate().unwrap_err().field, "actions.reply");
}

#[test]
fn conditions_combine_role_tags_age_text_and_topic() {
    let day = 86_400_000;
    let tags = vec!["vip".to_string()];
    let m = MemberFacts { role: Role::Member, tags: &tags, joined_at: 0 };
    let mut c = Conditions::default();
    assert!(c.member_ok(&m, 3 * day));
    c.roles = vec![Role::Moderator];
    assert!(!c.member_ok(&m, 3 * day));
    c.roles = vec![Role::Member];
    c.tags_any = vec!["vip".into()];
    c.tags_none = vec!["muted-before".into()];
    c.min_member_days = Some(3);
    c.max_member_days = Some(7);
    assert!(c.member_ok(&m, 3 * day));
    assert!(!c.member_ok(&m, 2 * day));
    assert!(!c.member_ok(&m, 8 * day));
    c.tags_none = vec!["vip".into()];
    assert!(!c.member_ok(&m, 3 * day));

    let mut c =
        Conditions { text_contains: vec!["加微信".into()], topics: vec!["Q&A".into()], ..Default::default() };
    assert!(c.content_ok(&ContentFacts { text: "想要资料的 加 微 信", topic: Some("q&a") }));
    assert!(!c.content_ok(&ContentFacts { text: "想要资料的 加 微 信", topic: Some("闲聊") }));
    c.topics.clear();
    assert!(!c.content_ok(&ContentFacts { text: "hello", topic: None }));
    assert!(Trigger::KeywordMatched { keywords: vec!["Refund".into()] }.text_ok("how do I get a REFUND?"));
}

#[test]
fn cron_next_fire_in_the_community_time_zone() {
    let c = Cron::parse("0 9 * * 1").unwrap();
    // 2026-11-22 is a Sunday; the next Monday 09:00 in Shanghai is 01:00 UTC.
    let after = chrono::DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z").unwrap().timestamp_millis();
    let next = next_fire(&c, chrono_tz::Asia::Shanghai, after).unwrap();
    assert_eq!(crate::automation::tests::iso(next), "2026-11-23T01:00:00Z");
    // Strictly after: firing at the due minute schedules the following week.
    assert_eq!(iso(next_fire(&c, chrono_tz::Asia::Shanghai, next).unwrap()), "2026-11-30T01:00:00Z");
    let every15 = Cron::parse("*/15 8-9 * * *").unwrap();
    let t = chrono::DateTime::parse_from_rfc3339("2026-11-22T09:50:00Z").unwrap().timestamp_millis();
    assert_eq!(iso(next_fire(&every15, chrono_tz::UTC, t).unwrap()), "2026-11-23T08:00:00Z");
    // Day-of-month OR day-of-week when both are restricted; 7 is Sunday.
    let c = Cron::parse("30 7 1 * 7").unwrap();
    let local = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap().and_hms_opt(0, 0, 0).unwrap();
    assert_eq!(c.next_local(local).unwrap().to_string(), "2026-11-29 07:30:00");
    // A time skipped by daylight saving moves on instead of vanishing.
    let c = Cron::parse("30 2 * * *").unwrap();
    let t = chrono::DateTime::parse_from_rfc3339("2026-03-08T00:00:00Z").unwrap().timestamp_millis();
    let next = next_fire(&c, chrono_tz::America::New_York, t).unwrap();
    assert_eq!(iso(next), "2026-03-09T06:30:00Z");
    for bad in ["60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "*/0 * * * *", "a * * * *"] {
        assert!(Cron::parse(bad).is_err(), "{bad}");
    }
}

pub(super) fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[test]
fn every_template_is_a_valid_rule_in_both_languages() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    for key in KEYS {
        for zh in [true, false] {
            let r = build(key, zh, false, today).unwrap_or_else(|| panic!("{key}"));
            r.clone().validate().unwrap_or_else(|e| panic!("{key} zh={zh}: {e}"));
            // What the operator sees and edits is in their language (private
            // messages also carry both languages, for each member's own).
            let mut shown = r.actions.clone();
            for a in shown.iter_mut() {
                if let Action::Notify { translations, .. } = a {
                    assert_eq!(translations.len(), 2, "{key}: both languages");
                    translations.clear();
                }
            }
            let text = serde_json::to_string(&shown).unwrap();
            assert_eq!(text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), zh, "{key}: {text}");
        }
    }
    assert_eq!(build("welcome", true, true, today).unwrap().trigger, Trigger::JoinApproved);
    assert_eq!(
        build("festival_spring", true, false, today).unwrap().trigger,
        Trigger::Date { at: "2027-02-06T09:00".into() }
    );
    assert!(build("nope", true, false, today).is_none());
}

#[test]
fn rules_round_trip_as_json() {
    let json = r#"{"name":"Nudge","trigger":{"kind":"member_inactive","days":14},
        "conditions":{"roles":["member"],"tags_none":["vip"]},
        "actions":[{"kind":"notify","message":"{name}: {days_inactive} days"},{"kind":"add_tag","tag":"quiet"}]}"#;
    let r: RuleDef = serde_json::from_str(json).unwrap();
    let r = r.validate().unwrap();
    assert_eq!(r.trigger.kind(), "member_inactive");
    assert_eq!(r.trigger.drive(), Drive::Timer);
    assert_eq!(Trigger::KeywordMatched { keywords: vec![] }.event_list(), ",post_created,comment_created,");
}

#[test]
fn milestone_triggers_wait_for_their_days() {
    let week = Trigger::StreakReached { days: Some(7) };
    assert!(week.payload_ok(&serde_json::json!({"days": 7})));
    assert!(!week.payload_ok(&serde_json::json!({"days": 3})));
    assert!(Trigger::StreakReached { days: None }.payload_ok(&serde_json::json!({"days": 100})));
    assert_eq!(week.event_list(), ",streak_reached,");
}
