use chrono_tz::Asia::Shanghai;
use serde_json::json;

use super::ics::{calendar, IcsEvent};
use super::*;
use crate::time::instant;
use crate::DAY_MS;

fn input(start: &str, end: &str) -> EventInput {
    EventInput { title: "读书会".into(), starts_at: start.into(), ends_at: end.into(), ..Default::default() }
}

#[test]
fn an_event_reads_local_and_rfc3339_times_and_defaults_sensibly() {
    let d = input("2026-12-10T19:00", "2026-12-10T21:00+08:00").validate(Shanghai).unwrap();
    assert_eq!(d.ends_at - d.starts_at, 2 * HOUR_MS);
    assert_eq!((d.capacity, d.audience, d.max_guests, d.price), (None, Audience::Public, 0, 0));
    assert_eq!(d.reminders, vec![1440, 60]);
}

#[test]
fn bad_events_name_the_field() {
    let err = |i: EventInput| i.validate(Shanghai).unwrap_err();
    assert_eq!(err(input("2026-12-10T19:00", "2026-12-10T18:00")).field, "ends_at");
    assert_eq!(err(input("2026-12-10T19:00", "2026-12-10T18:00")).code, "end_before_start");
    assert_eq!(err(input("tomorrow", "2026-12-10T18:00")).field, "starts_at");
    assert_eq!(
        err(EventInput { capacity: Some(-1), ..input("2026-12-10T19:00", "2026-12-10T20:00") }).field,
        "capacity"
    );
    assert_eq!(err(EventInput { title: " ".into(), ..input("2026-12-10T19:00", "2026-12-10T20:00") }).field, "title");
    let tagged = EventInput { audience: Some("tagged".into()), ..input("2026-12-10T19:00", "2026-12-10T20:00") };
    assert_eq!(err(tagged).field, "audience_tags");
    let late =
        EventInput { closes_at: Some("2026-12-11T10:00".into()), ..input("2026-12-10T19:00", "2026-12-10T20:00") };
    assert_eq!(err(late).code, "after_end");
    let paid = EventInput { price: Some(100), ..input("2026-12-10T19:00", "2026-12-10T20:00") };
    assert_eq!(err(paid).field, "price");
    let q =
        Question {
            label: "口味".into(), kind: QuestionKind::Single, options: vec!["绿茶".into()], required: false
        };
    let one_option = EventInput { questions: vec![q], ..input("2026-12-10T19:00", "2026-12-10T20:00") };
    assert_eq!(err(one_option).code, "invalid_options");
}

#[test]
fn weekly_occurrences_keep_the_wall_clock_time_across_daylight_saving() {
    let tz: Tz = "America/New_York".parse().unwrap();
    // DST ends on 1 November 2026 in New York.
    let start = instant("t", "2026-10-22T19:00", tz).unwrap();
    let r = Repeat { every: "weekly".into(), count: Some(4), until: None, except: vec![] };
    let occ = occurrences(start, &r, tz).unwrap();
    assert_eq!(occ.len(), 4);
    for o in &occ {
        assert_eq!(local(*o, tz).format("%H:%M").to_string(), "19:00");
    }
    assert_eq!(occ[1] - occ[0], 7 * DAY_MS);
    assert_eq!(occ[2] - occ[1], 7 * DAY_MS + HOUR_MS, "the week the clocks go back is an hour longer");
    // Spring forward: 8 March 2027, 02:30 does not exist and moves to 03:30.
    let start = instant("t", "2027-03-07T02:30", tz).unwrap();
    let r = Repeat { every: "weekly".into(), count: Some(2), until: None, except: vec![] };
    let occ = occurrences(start, &r, tz).unwrap();
    assert_eq!(occ.len(), 2);
    assert_eq!(local(occ[1], tz).format("%m-%d %H:%M").to_string(), "03-14 03:30");
}

#[test]
fn monthly_occurrences_skip_short_months_and_exceptions() {
    let start = instant("t", "2027-01-31T10:00", Shanghai).unwrap();
    let r = Repeat {
        every: "monthly".into(),
        count: None,
        until: Some("2027-08-31".parse().unwrap()),
        except: vec!["2027-05-31".parse().unwrap()],
    };
    let days: Vec<String> = occurrences(start, &r, Shanghai)
        .unwrap()
        .iter()
        .map(|o| local(*o, Shanghai).format("%m-%d").to_string())
        .collect();
    assert_eq!(days, ["01-31", "03-31", "07-31", "08-31"]);
    let bad = Repeat { every: "daily".into(), count: Some(3), ..Default::default() };
    assert_eq!(occurrences(start, &bad, Shanghai).unwrap_err().field, "repeat.every");
    let none = Repeat { every: "weekly".into(), ..Default::default() };
    assert_eq!(occurrences(start, &none, Shanghai).unwrap_err().field, "repeat.count");
}

#[test]
fn registrations_fill_capacity_then_wait() {
    assert_eq!(place(Some(10), 8, 2, false), RegStatus::Registered);
    assert_eq!(place(Some(10), 9, 2, false), RegStatus::Waitlisted, "guests count against capacity");
    assert_eq!(place(None, 1_000_000, 1, false), RegStatus::Registered);
    assert_eq!(place(Some(10), 0, 1, true), RegStatus::Pending);
}

#[test]
fn promotion_takes_the_first_who_fit_in_order() {
    // Two seats free: the first needs three, the next two need one each.
    assert_eq!(promotions(Some(10), 8, &[(1, 3), (2, 1), (3, 1), (4, 1)]), vec![2, 3]);
    assert_eq!(promotions(Some(10), 10, &[(1, 1)]), Vec::<i64>::new());
    assert_eq!(promotions(None, 10, &[(1, 1), (2, 5)]), vec![1, 2]);
}

#[test]
fn the_registration_window_and_guests_are_checked() {
    let mut d = input("2026-12-10T19:00", "2026-12-10T21:00").validate(Shanghai).unwrap();
    d.opens_at = Some(d.starts_at - 10 * DAY_MS);
    d.closes_at = Some(d.starts_at - HOUR_MS);
    d.max_guests = 1;
    let before = d.starts_at - 11 * DAY_MS;
    assert_eq!(may_register(&d, false, 0, before), Err(Refusal::NotOpenYet));
    assert_eq!(may_register(&d, false, 0, d.starts_at), Err(Refusal::Closed));
    assert_eq!(may_register(&d, false, 0, d.ends_at), Err(Refusal::Over));
    assert_eq!(may_register(&d, true, 0, before), Err(Refusal::Canceled));
    assert_eq!(may_register(&d, false, 2, d.starts_at - 2 * HOUR_MS), Err(Refusal::TooManyGuests));
    assert_eq!(may_register(&d, false, 1, d.starts_at - 2 * HOUR_MS), Ok(()));
}

#[test]
fn answers_are_checked_against_the_questions() {
    let qs = vec![
        Question { label: "称呼".into(), kind: QuestionKind::Text, options: vec![], required: true },
        Question {
            label: "茶".into(),
            kind: QuestionKind::Single,
            options: vec!["绿".into(), "红".into()],
            required: false,
        },
        Question {
            label: "时段".into(),
            kind: QuestionKind::Multiple,
            options: vec!["早".into(), "晚".into()],
            required: false,
        },
    ];
    let raw = |v: serde_json::Value| serde_json::from_value::<BTreeMap<String, serde_json::Value>>(v).unwrap();
    let ok = answers(&qs, &raw(json!({"0": "小林", "1": "红", "2": ["早", "晚"]}))).unwrap();
    assert_eq!(ok[&2], vec!["早", "晚"]);
    assert_eq!(answers(&qs, &raw(json!({"1": "红"}))).unwrap_err().code, "required");
    assert_eq!(answers(&qs, &raw(json!({"0": "x", "1": ["绿", "红"]}))).unwrap_err().code, "invalid_answer");
    assert_eq!(answers(&qs, &raw(json!({"0": "x", "2": ["白"]}))).unwrap_err().code, "invalid_answer");
}

#[test]
fn ticket_codes_avoid_look_alikes_and_forgive_typing() {
    let c = ticket_code([0, 1, 2, 3, 250, 251, 252, 253]);
    assert_eq!(c.len(), 8);
    assert!(c.chars().all(|ch| TICKET_ALPHABET.contains(&(ch as u8))));
    assert!(!c.contains(['0', 'O', '1', 'I', 'L']));
    assert_eq!(normalize_code(" ab-cd 2345 "), "ABCD2345");
    assert_eq!(normalize_code("https://x.org/events/3/door?code=abcd2345"), "ABCD2345");
}

#[test]
fn the_door_admits_registered_people_once() {
    assert_eq!(door(RegStatus::Registered), DoorOutcome::Admitted);
    assert_eq!(door(RegStatus::Attended), DoorOutcome::AlreadyIn);
    assert_eq!(door(RegStatus::Waitlisted), DoorOutcome::NotAdmitted(RegStatus::Waitlisted));
    assert_eq!(door(RegStatus::Cancelled), DoorOutcome::NotAdmitted(RegStatus::Cancelled));
}

fn ev(start: i64, end: i64) -> IcsEvent {
    IcsEvent {
        uid: "event-1@yaji.example".into(),
        starts_at: start,
        ends_at: end,
        updated_at: start,
        title: "茶会; 品鉴, 新茶".into(),
        description: "第一行\n第二行 ".repeat(20),
        location: "静安 · 一楼茶室".into(),
        url: "https://yaji.example/events/1".into(),
        canceled: false,
    }
}

#[test]
fn ics_escapes_folds_and_names_the_zone() {
    let s = instant("t", "2026-12-10T19:00", Shanghai).unwrap();
    let out = calendar(&[ev(s, s + 2 * HOUR_MS)], Shanghai, None, s);
    assert!(out.contains("DTSTART;TZID=Asia/Shanghai:20261210T190000\r\n"));
    assert!(out.contains("SUMMARY:茶会\\; 品鉴\\, 新茶\r\n"));
    assert!(out.contains("TZOFFSETTO:+0800"));
    for l in out.split("\r\n") {
        assert!(l.len() <= 75, "folded at 75 octets: {l:?}");
    }
    assert!(out.ends_with("END:VCALENDAR\r\n"));
}

#[test]
fn ics_lists_the_clock_changes_of_a_zone_with_daylight_saving() {
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    let s = instant("t", "2026-10-30T19:00", tz).unwrap();
    let out = calendar(&[ev(s, s + HOUR_MS)], tz, Some("Club"), s);
    // 2026: summer time from 29 March 02:00 (+0100 → +0200), back on 25 October 03:00.
    assert!(
        out.contains("BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200"),
        "{out}"
    );
    assert!(
        out.contains("BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100"),
        "{out}"
    );
    assert!(out.contains("X-WR-CALNAME:Club"));
}

#[test]
fn a_template_makes_an_event_with_its_agenda_materials_and_setup() {
    let t = TemplateInput {
        title: "茶会".into(),
        description: Some("流程：温杯、投茶、分享".into()),
        materials: Some("茶具一套".into()),
        duration_minutes: Some(90),
        capacity: Some(12),
        ..Default::default()
    }
    .validate()
    .unwrap();
    let start = instant("t", "2026-12-10T19:00", Shanghai).unwrap();
    let e = t.event(7, start).validate(Shanghai).unwrap();
    assert_eq!((e.ends_at - e.starts_at, e.capacity, e.template_id), (90 * MINUTE_MS, Some(12), Some(7)));
    assert!(e.description.contains("茶具一套") && !e.description.contains("场地布置"));
    assert_eq!(
        TemplateInput { title: "x".into(), duration_minutes: Some(5), ..Default::default() }
            .validate()
            .unwrap_err()
            .field,
        "duration_minutes"
    );
}
