use super::*;
use chrono::{Duration, NaiveDateTime, Offset};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The reference: every calendar day from the start, one by one.
fn naive_streak(s: &Schedule, done: &std::collections::HashSet<NaiveDate>, today: NaiveDate) -> Streak {
    let (mut run, mut longest) = (0, 0);
    let mut day = s.starts_on;
    while day <= today {
        let scheduled = day >= s.starts_on
            && s.ends_on.is_none_or(|e| day <= e)
            && s.days & (1 << day.weekday().num_days_from_monday()) != 0;
        if scheduled {
            if done.contains(&day) {
                run += 1;
                longest = longest.max(run);
            } else if day != today {
                run = 0;
            }
        }
        day += Duration::days(1);
    }
    Streak { current: run, longest }
}

/// The local date of an instant by adding the zone's UTC offset at that
/// instant (a second way to the same answer as [`local`]).
fn naive_local_date(ms: i64, tz: Tz) -> NaiveDate {
    let utc = chrono::DateTime::from_timestamp_millis(ms).unwrap().naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc).fix().local_minus_utc();
    (utc + Duration::seconds(i64::from(offset))).date()
}

#[test]
fn streaks_match_a_day_by_day_reference_across_zones_and_dst() {
    let zones: [Tz; 5] = [
        chrono_tz::Asia::Shanghai,
        chrono_tz::America::New_York,
        chrono_tz::Europe::London,
        chrono_tz::Australia::Sydney,
        chrono_tz::Australia::Lord_Howe,
    ];
    let masks = [EVERY_DAY, WEEKDAYS, 0b010_1010, 0b100_0001];
    for seed in 0..60u64 {
        let mut r = StdRng::seed_from_u64(seed);
        let tz = zones[seed as usize % zones.len()];
        // Spans the spring and autumn changes of both hemispheres.
        let starts_on = d("2026-02-20") + Duration::days(r.random_range(0..30));
        let ends_on = (r.random_range(0..3) > 0).then(|| starts_on + Duration::days(r.random_range(20..260)));
        let s = Schedule { starts_on, ends_on, days: masks[r.random_range(0..masks.len())] };
        let keep = r.random_range(50..100);
        let mut instants = vec![];
        let mut day = starts_on;
        while day <= starts_on + Duration::days(270) {
            if r.random_range(0..100) < keep {
                // A random local time that day, often right at its edges.
                let minute = match r.random_range(0..4) {
                    0 => 0,
                    1 => 23 * 60 + 59,
                    _ => r.random_range(0..1440),
                };
                let local_t =
                    NaiveDateTime::new(day, chrono::NaiveTime::from_hms_opt(minute / 60, minute % 60, 30).unwrap());
                if let Some(t) = tz.from_local_datetime(&local_t).earliest() {
                    instants.push(t.timestamp_millis());
                }
            }
            day += Duration::days(1);
        }
        let mut dates: Vec<NaiveDate> = instants.iter().map(|ms| local(*ms, tz).0).collect();
        for (ms, date) in instants.iter().zip(&dates) {
            assert_eq!(*date, naive_local_date(*ms, tz), "{tz} {ms}");
        }
        dates.retain(|x| s.runs_on(*x));
        dates.sort();
        dates.dedup();
        let set: std::collections::HashSet<NaiveDate> = dates.iter().copied().collect();
        for k in (0..280).step_by(3) {
            let today = starts_on + Duration::days(k);
            let done: Vec<NaiveDate> = dates.iter().copied().filter(|x| *x <= today).collect();
            let want = naive_streak(&s, &set.iter().copied().filter(|x| *x <= today).collect(), today);
            assert_eq!(streak(&s, &done, today), want, "seed {seed} {tz} today {today} schedule {s:?}");
        }
    }
}

#[test]
fn a_check_in_at_23_59_counts_for_that_day_and_dst_nights_do_not_break_streaks() {
    let bj = chrono_tz::Asia::Shanghai;
    // 2026-12-01 23:59 Beijing is 15:59 UTC.
    let ms = chrono::DateTime::parse_from_rfc3339("2026-12-01T15:59:00Z").unwrap().timestamp_millis();
    assert_eq!(local(ms, bj), (d("2026-12-01"), 23 * 60 + 59));
    assert_eq!(local(ms + 60_000, bj).0, d("2026-12-02"));
    // New York springs forward on 2026-03-08: 23:30 every night around it is ten days in a row.
    let ny = chrono_tz::America::New_York;
    let s = Schedule { starts_on: d("2026-03-03"), ends_on: None, days: EVERY_DAY };
    let dates: Vec<NaiveDate> = (0..10)
        .map(|k| {
            let t = NaiveDateTime::new(
                d("2026-03-03") + Duration::days(k),
                chrono::NaiveTime::from_hms_opt(23, 30, 0).unwrap(),
            );
            local(ny.from_local_datetime(&t).unwrap().timestamp_millis(), ny).0
        })
        .collect();
    assert_eq!(streak(&s, &dates, d("2026-03-12")), Streak { current: 10, longest: 10 });
    // Today not done yet keeps yesterday's streak; a missed yesterday ends it.
    assert_eq!(streak(&s, &dates, d("2026-03-13")).current, 10);
    assert_eq!(streak(&s, &dates, d("2026-03-14")), Streak { current: 0, longest: 10 });
}

#[test]
fn schedules_skip_days_off() {
    let s = Schedule { starts_on: d("2026-11-30"), ends_on: Some(d("2026-12-31")), days: WEEKDAYS };
    // Friday 2026-12-04 → Monday 2026-12-07.
    assert_eq!(s.next_after(d("2026-12-04")), Some(d("2026-12-07")));
    assert_eq!(s.previous_before(d("2026-12-07")), Some(d("2026-12-04")));
    assert_eq!(s.previous_before(d("2026-11-30")), None);
    assert_eq!(s.next_after(d("2026-12-31")), None);
    assert_eq!(s.total_days(), Some(24));
    let fri_mon = [d("2026-12-03"), d("2026-12-04"), d("2026-12-07")];
    assert_eq!(streak(&s, &fri_mon, d("2026-12-07")), Streak { current: 3, longest: 3 });
    // Over the weekend the streak still stands.
    assert_eq!(streak(&s, &fri_mon[..2], d("2026-12-06")).current, 2);
    let mut r = StdRng::seed_from_u64(7);
    for _ in 0..200 {
        let s = Schedule { starts_on: d("2026-01-01"), ends_on: None, days: r.random_range(1..=EVERY_DAY) };
        let a = d("2025-12-01") + Duration::days(r.random_range(0..100));
        let b = a + Duration::days(r.random_range(0..100));
        let naive = a.iter_days().take_while(|x| *x <= b).filter(|x| s.runs_on(*x)).count() as i64;
        assert_eq!(s.count_between(a, b), naive, "{s:?} {a} {b}");
    }
}

fn input() -> ChallengeInput {
    ChallengeInput { title: "晨读".into(), starts_on: "2026-12-01".into(), ..Default::default() }
}

#[test]
fn a_challenge_is_checked_field_by_field() {
    let def = input().validate().unwrap();
    assert_eq!(def.schedule.days, EVERY_DAY);
    assert_eq!(def.milestones.iter().map(|m| m.days).collect::<Vec<_>>(), DEFAULT_MILESTONES);
    assert_eq!(def.goal_days, None, "open-ended: no goal unless set");
    let dated = ChallengeInput { ends_on: Some("2026-12-21".into()), ..input() }.validate().unwrap();
    assert_eq!(dated.goal_days, Some(21));
    let bad = |i: ChallengeInput| i.validate().unwrap_err();
    assert_eq!(bad(ChallengeInput { title: " ".into(), ..input() }).field, "title");
    assert_eq!(bad(ChallengeInput { starts_on: "12/01".into(), ..input() }).field, "starts_on");
    assert_eq!(bad(ChallengeInput { ends_on: Some("2026-11-01".into()), ..input() }).field, "ends_on");
    assert_eq!(bad(ChallengeInput { days: Some(DaysInput::List(vec![8])), ..input() }).field, "days");
    assert_eq!(bad(ChallengeInput { days: Some(DaysInput::Named("weekends".into())), ..input() }).field, "days");
    // Saturday only, but the challenge is Tuesday to Thursday.
    let e = bad(ChallengeInput {
        starts_on: "2026-12-01".into(),
        ends_on: Some("2026-12-03".into()),
        days: Some(DaysInput::List(vec![6])),
        ..input()
    });
    assert_eq!((e.field, e.code), ("days", "no_days"));
    assert_eq!(bad(ChallengeInput { window_start: Some("9:00".into()), ..input() }).field, "window_end");
    let w = |a: &str, b: &str| ChallengeInput { window_start: Some(a.into()), window_end: Some(b.into()), ..input() };
    assert_eq!(bad(w("09:00", "05:00")).field, "window_end");
    assert_eq!(bad(w("25:00", "26:00")).field, "window_start");
    assert_eq!(w("05:00", "09:00").validate().unwrap().window, Some(Window { start: 300, end: 540 }));
    assert_eq!(bad(ChallengeInput { proof: Some("photo".into()), ..input() }).field, "proof");
    assert_eq!(bad(ChallengeInput { makeup_cards: Some(-1), ..input() }).field, "makeup_cards");
    assert_eq!(
        bad(ChallengeInput { goal_days: Some(30), ends_on: Some("2026-12-21".into()), ..input() }).field,
        "goal_days"
    );
    let m = ChallengeInput { milestones: Some(vec![Milestone { days: 0, tag: None }]), ..input() };
    assert_eq!(bad(m).field, "milestones");
}

#[test]
fn check_ins_land_on_today_or_with_a_card_on_the_day_before() {
    let def = ChallengeInput {
        ends_on: Some("2026-12-31".into()),
        days: Some(DaysInput::Named("weekdays".into())),
        window_start: Some("05:00".into()),
        window_end: Some("09:00".into()),
        ..input()
    }
    .validate()
    .unwrap();
    let monday = d("2026-12-07");
    assert_eq!(day_for(&def, monday, 6 * 60, false), Ok(monday));
    assert_eq!(day_for(&def, monday, 9 * 60, false), Err(Refusal::OutsideWindow));
    assert_eq!(day_for(&def, d("2026-12-05"), 6 * 60, false), Err(Refusal::DayOff));
    assert_eq!(day_for(&def, d("2026-11-30"), 6 * 60, false), Err(Refusal::NotStarted));
    assert_eq!(day_for(&def, d("2027-01-01"), 6 * 60, false), Err(Refusal::Ended));
    // A make-up on Monday covers Friday, whatever the hour.
    assert_eq!(day_for(&def, monday, 22 * 60, true), Ok(d("2026-12-04")));
    assert_eq!(day_for(&def, d("2026-12-01"), 0, true), Err(Refusal::NothingToMakeUp));
    // After the end, the last day can still be made up the next day.
    assert_eq!(day_for(&def, d("2027-01-01"), 0, true), Ok(d("2026-12-31")));
    // …but not weeks later; on Saturday, Friday is still the day just gone.
    assert_eq!(day_for(&def, d("2027-01-05"), 0, true), Err(Refusal::NothingToMakeUp));
    assert_eq!(day_for(&def, d("2026-12-12"), 0, true), Ok(d("2026-12-11")));
}

#[test]
fn proof_follows_the_challenge() {
    let required = ChallengeInput { proof: Some("required".into()), number_label: Some("公里".into()), ..input() }
        .validate()
        .unwrap();
    let p = |body, number| ProofInput { body, image_url: None, number };
    assert_eq!(proof(&required, p(Some("  "), None)).unwrap_err().field, "body");
    assert_eq!(proof(&required, p(Some("5 km"), Some(5.256))).unwrap(), (Some("5 km".into()), Some(5.26)));
    assert_eq!(proof(&required, p(Some("x"), Some(-1.0))).unwrap_err().field, "number");
    // An image counts as the note; only https addresses, nothing that breaks out of the Markdown.
    let img = |body, url| ProofInput { body, image_url: Some(url), number: None };
    assert_eq!(
        proof(&required, img(None, "https://x.cn/a.jpg")).unwrap().0.as_deref(),
        Some("![](https://x.cn/a.jpg)")
    );
    assert_eq!(
        proof(&required, img(Some("run"), "https://x.cn/a.jpg")).unwrap().0.as_deref(),
        Some("run\n\n![](https://x.cn/a.jpg)")
    );
    for bad in ["http://x.cn/a.jpg", "https://x.cn/a b.jpg", "https://x.cn/a).jpg", "javascript:alert(1)"] {
        assert_eq!(proof(&required, img(None, bad)).unwrap_err().field, "image_url", "{bad}");
    }
    let tap = input().validate().unwrap();
    assert_eq!(proof(&tap, p(Some("ignored"), None)).unwrap(), (None, None));
    assert_eq!(proof(&tap, p(None, Some(3.0))).unwrap_err().code, "not_counted");
    assert_eq!(proof(&tap, img(None, "https://x.cn/a.jpg")).unwrap_err().code, "not_counted");
}

#[test]
fn milestones_fire_once_when_crossed_and_calendars_mark_each_day() {
    let ms: Vec<Milestone> = DEFAULT_MILESTONES.iter().map(|&days| Milestone { days, tag: None }).collect();
    assert_eq!(crossed(&ms, 6, 7).len(), 1);
    assert_eq!(crossed(&ms, 7, 8).len(), 0);
    // A make-up joining two runs can cross two at once.
    assert_eq!(crossed(&ms, 5, 25).iter().map(|m| m.days).collect::<Vec<_>>(), [7, 21]);
    let s = Schedule { starts_on: d("2026-12-01"), ends_on: None, days: WEEKDAYS };
    let done = BTreeMap::from([(d("2026-12-01"), false), (d("2026-12-02"), true)]);
    let cal = month_calendar(&s, &done, d("2026-12-04"), 2026, 12);
    assert_eq!(cal.len(), 31);
    let state = |day: u32| cal[day as usize - 1].1;
    assert_eq!(
        [state(1), state(2), state(3), state(4), state(5), state(7)],
        [DayState::Done, DayState::MadeUp, DayState::Missed, DayState::Today, DayState::Off, DayState::Upcoming]
    );
    assert_eq!(day_number(&s, d("2026-12-07")), 5);
}

#[test]
fn reminders_fall_on_the_next_scheduled_day_at_the_local_minute() {
    let s = Schedule { starts_on: d("2026-03-02"), ends_on: Some(d("2026-03-31")), days: WEEKDAYS };
    // Friday 06:00, reminder at 07:30, not done: today.
    assert_eq!(next_reminder(&s, d("2026-03-06"), 360, 450, false), Some(d("2026-03-06")));
    // Already done, or past the minute: the next weekday (Monday).
    assert_eq!(next_reminder(&s, d("2026-03-06"), 360, 450, true), Some(d("2026-03-09")));
    assert_eq!(next_reminder(&s, d("2026-03-06"), 460, 450, false), Some(d("2026-03-09")));
    assert_eq!(next_reminder(&s, d("2026-03-31"), 460, 450, false), None);
    // 07:30 in Shanghai is 23:30 UTC the day before.
    let sh: chrono_tz::Tz = "Asia/Shanghai".parse().unwrap();
    assert_eq!(instant(d("2026-03-06"), 450, sh), 1_772_753_400_000);
    // 02:30 does not exist in New York on 2026-03-08: the reminder comes at 03:00 EDT.
    let ny: chrono_tz::Tz = "America/New_York".parse().unwrap();
    assert_eq!(instant(d("2026-03-08"), 150, ny), instant(d("2026-03-08"), 180, ny));
    assert_eq!(remind_minute("07:30").unwrap(), 450);
    assert!(remind_minute("24:00").is_err() && remind_minute("7h").is_err());
}
