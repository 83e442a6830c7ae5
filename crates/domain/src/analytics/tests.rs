//! Every figure against a straightforward computation on randomized logs.

use std::collections::{HashMap, HashSet};

use super::*;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

fn random_log(seed: u64, members: u64, days: i32, events: usize) -> Vec<(u32, Day)> {
    let mut r = StdRng::seed_from_u64(seed);
    (0..events)
        .map(|_| {
            // Skew: a few members do most of it.
            let m = if r.random_range(0..4) == 0 {
                r.random_range(0..members)
            } else {
                r.random_range(0..members.max(10) / 10)
            };
            (m as u32, 20_000 + r.random_range(0..days as u64) as Day)
        })
        .collect()
}

fn naive_active(log: &[(u32, Day)]) -> HashMap<Day, HashSet<u32>> {
    let mut m: HashMap<Day, HashSet<u32>> = HashMap::new();
    for (u, d) in log {
        m.entry(*d).or_default().insert(*u);
    }
    m
}

#[test]
fn dau_wau_mau_match_a_naive_count() {
    for seed in 1..6 {
        let log = random_log(seed, 500, 60, 4_000);
        let mut a = ActivityLog::new();
        // Out of order on purpose.
        for (u, d) in log.iter().rev() {
            a.record(*u, *d);
        }
        let active = naive_active(&log);
        let window = |d: Day, n: i32| -> u64 {
            let mut s: HashSet<u32> = HashSet::new();
            for x in d - n + 1..=d {
                if let Some(set) = active.get(&x) {
                    s.extend(set);
                }
            }
            s.len() as u64
        };
        let (from, to) = (19_990, 20_070);
        assert_eq!(a.trailing_many(from, to, &[7, 30]), vec![a.wau(from, to), a.mau(from, to)]);
        for (series, n) in [(a.dau(from, to), 1), (a.wau(from, to), 7), (a.mau(from, to), 30)] {
            for (i, p) in series.iter().enumerate() {
                assert_eq!(p.count, window(from + i as i32, n), "seed {seed} window {n} day {i}");
            }
        }
    }
}

#[test]
fn retention_matches_a_naive_loop() {
    for seed in 7..12 {
        let log = random_log(seed, 300, 45, 3_000);
        let mut a = ActivityLog::new();
        for (u, d) in &log {
            a.record(*u, *d);
        }
        let active = naive_active(&log);
        let mut first: HashMap<u32, Day> = HashMap::new();
        for (u, d) in &log {
            let f = first.entry(*u).or_insert(*d);
            *f = (*f).min(*d);
        }
        let last = 20_044;
        let daily = a.retention_daily(20_000, 20_044, 30, last);
        for c in &daily {
            let start = day_of(NaiveDate::parse_from_str(&c.cohort_start, "%Y-%m-%d").unwrap());
            let cohort: HashSet<u32> = first.iter().filter(|(_, f)| **f == start).map(|(u, _)| *u).collect();
            assert_eq!(c.size, cohort.len() as u64);
            assert_eq!(c.retained[0], c.size, "everyone is active on their first day");
            for (k, n) in c.retained.iter().enumerate() {
                let on = active.get(&(start + k as i32)).map_or(0, |s| s.intersection(&cohort).count());
                assert_eq!(*n, on as u64, "seed {seed} cohort {} k {k}", c.cohort_start);
            }
            assert!(start + c.retained.len() as i32 - 1 <= last);
        }
        assert_eq!(daily.iter().map(|c| c.size).sum::<u64>(), first.len() as u64);

        let weekly = a.retention_weekly(20_000, 20_044, 12, last);
        for c in &weekly {
            let monday = day_of(NaiveDate::parse_from_str(&c.cohort_start, "%Y-%m-%d").unwrap());
            assert_eq!(date_of(monday).format("%a").to_string(), "Mon");
            let cohort: HashSet<u32> =
                first.iter().filter(|(_, f)| week_start(**f) == monday).map(|(u, _)| *u).collect();
            assert_eq!(c.size, cohort.len() as u64);
            for (k, n) in c.retained.iter().enumerate() {
                let w = monday + 7 * k as i32;
                let on: HashSet<u32> = (w..w + 7)
                    .filter_map(|d| active.get(&d))
                    .flatten()
                    .filter(|u| cohort.contains(u))
                    .copied()
                    .collect();
                assert_eq!(*n, on.len() as u64, "seed {seed} week {} k {k}", c.cohort_start);
            }
        }
    }
}

#[test]
fn local_days_follow_the_time_zone() {
    // 2026-11-22T16:30Z is already the 23rd in Shanghai, still the 22nd in New York.
    let t = chrono::DateTime::parse_from_rfc3339("2026-11-22T16:30:00Z").unwrap().timestamp_millis();
    assert_eq!(date_of(local_day(t, chrono_tz::Asia::Shanghai)).to_string(), "2026-11-23");
    assert_eq!(date_of(local_day(t, chrono_tz::America::New_York)).to_string(), "2026-11-22");
    assert_eq!(date_of(week_start(day_of(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()))).to_string(), "2026-11-16");
    assert_eq!(date_of(week_start(day_of(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()))).to_string(), "2026-11-23");
    assert_eq!(week_start(-3), -3);
    assert_eq!(week_start(-4), -10);
}

#[test]
fn a_member_who_leaves_and_rejoins_keeps_their_first_cohort() {
    let mut a = ActivityLog::new();
    a.record(1, 100);
    a.record(1, 140); // back after a month away
    a.record(2, 140);
    let c = a.retention_daily(100, 140, 41, 140);
    assert_eq!(c.len(), 2);
    assert_eq!((c[0].size, c[0].retained[40]), (1, 1));
    assert_eq!(c[1].size, 1);
    // An earlier event arriving late moves the member to the earlier cohort.
    a.record(2, 120);
    let c = a.retention_daily(100, 140, 1, 140);
    assert_eq!(
        c.iter().map(|c| c.cohort_start.clone()).collect::<Vec<_>>(),
        vec![date_of(100).to_string(), date_of(120).to_string()]
    );
}

#[test]
fn posting_and_interaction_rates_match_a_naive_count() {
    let mut r = StdRng::seed_from_u64(5);
    let mut a = ActivityLog::new();
    let mut events: Vec<(u32, Day, u8)> = Vec::new();
    for i in 0..3_000 {
        let (m, d, k) =
            (r.random_range(0..200) as u32, 20_000 + r.random_range(0..20) as Day, r.random_range(0..4) as u8);
        let what = match k {
            0 => Contribution::Post { id: i, topic: None, question: false },
            1 => Contribution::Comment { post: r.random_range(0..i as u64 + 1) as i64 },
            2 => Contribution::Reaction { post: r.random_range(0..i as u64 + 1) as i64 },
            _ => Contribution::Other,
        };
        a.record_event(m, At { ms: i64::from(d) * 86_400_000, day: d, hour_of_week: 0 }, what);
        events.push((m, d, k));
    }
    for (i, (_, rate)) in a.posting_rate(20_000, 20_019).iter().enumerate() {
        let d = 20_000 + i as Day;
        let active: HashSet<u32> = events.iter().filter(|e| e.1 == d).map(|e| e.0).collect();
        let posters: HashSet<u32> = events.iter().filter(|e| e.1 == d && e.2 == 0).map(|e| e.0).collect();
        assert!((rate - posters.len() as f64 / active.len() as f64).abs() < 1e-12);
    }
    for (i, (_, rate)) in a.interaction_rate(20_000, 20_019).iter().enumerate() {
        let d = 20_000 + i as Day;
        let n = |k: u8| events.iter().filter(|e| e.1 == d && e.2 == k).count() as f64;
        let want = (n(1) + n(2)) / n(0);
        assert!((rate - want).abs() < 1e-12);
    }
}

#[test]
fn decoding_reads_the_payloads_the_app_writes() {
    let d = decode("post_created", 7, r#"{"topic_id":3,"question":true,"moderation":"visible"}"#);
    assert_eq!(d.what, Contribution::Post { id: 7, topic: Some(3), question: true });
    assert_eq!(decode("post_created", 7, "null").what, Contribution::Post { id: 7, topic: None, question: false });
    assert_eq!(decode("comment_created", 9, r#"{"post_id":7}"#).what, Contribution::Comment { post: 7 });
    assert_eq!(decode("reaction_added", 7, r#"{"emoji":"👍"}"#).what, Contribution::Reaction { post: 7 });
    assert_eq!(
        decode("member_joined", 5, r#"{"invited_by":4,"invite_id":1}"#).what,
        Contribution::Joined { invited_by: Some(4), rules: true }
    );
    assert_eq!(
        decode("member_joined", 5, r#"{"invited_by":null}"#).what,
        Contribution::Joined { invited_by: None, rules: true }
    );
    let approved = decode("join_approved", 2, r#"{"user_id":11,"reason":null}"#);
    assert_eq!((approved.what, approved.admitted), (Contribution::Other, Some(11)));
    assert_eq!(decode("invite_created", 1, "null").what, Contribution::InviteSent);
    assert_eq!(decode("checkin", 1, "garbage").what, Contribution::Other);
}

#[test]
fn imported_content_counts_for_the_day_only() {
    // `yaji import activity` writes subject 0 and no post reference.
    let mut a = ActivityLog::new();
    let at = At { ms: 0, day: 5, hour_of_week: 0 };
    for (m, kind) in [(1, "post_created"), (2, "post_created"), (3, "comment_created"), (4, "reaction_added")] {
        a.record_event(m, at, decode(kind, 0, r#"{"imported":true}"#).what);
    }
    assert_eq!(a.interaction_rate(5, 5)[0].1, 1.0);
    assert_eq!(a.posting_rate(5, 5)[0].1, 0.5);
    assert_eq!(a.response(5, 5).0.posts, 0, "no post is known to reply to");
    assert!(a.contributors(5, 5, 10).1.is_empty());
    // Posts without replies or reactions: contributors, but nobody to rank as a KOL.
    a.record_event(1, at, Contribution::Post { id: 9, topic: None, question: false });
    let (top, kols) = a.contributors(5, 5, 10);
    assert_eq!((top.len(), kols.len()), (1, 0));
}

#[test]
fn hours_of_the_week_follow_the_time_zone() {
    // 2026-11-22T16:30Z: Monday 00:30 in Shanghai (hour 0), Sunday 11:30 in New York (6 × 24 + 11).
    let t = chrono::DateTime::parse_from_rfc3339("2026-11-22T16:30:00Z").unwrap().timestamp_millis();
    assert_eq!(At::local(t, chrono_tz::Asia::Shanghai).hour_of_week, 0);
    assert_eq!(At::local(t, chrono_tz::America::New_York).hour_of_week, 6 * 24 + 11);
    assert_eq!(At::local(t, chrono_tz::Asia::Shanghai).day, local_day(t, chrono_tz::Asia::Shanghai));
}

#[test]
fn page_rank_of_known_graphs() {
    // Everyone replies to 0: 0 ranks first; 1..3 are symmetric.
    let r = page_rank(4, &[(1, 0), (2, 0), (3, 0)]);
    assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-6, "ranks are f32 in the rounds");
    assert!(r[0] > r[1] && (r[1] - r[2]).abs() < 1e-12 && (r[2] - r[3]).abs() < 1e-12);
    // A cycle: all equal.
    let r = page_rank(3, &[(0, 1), (1, 2), (2, 0)]);
    assert!(r.iter().all(|x| (x - 1.0 / 3.0).abs() < 1e-6));
    // Being replied to by someone important counts more than by a nobody.
    // 1 and 6 get one reply each; 1's comes from 0, whom three others reply to.
    let r = page_rank(7, &[(2, 0), (3, 0), (4, 0), (0, 1), (5, 6)]);
    assert!(r[1] > r[6] && r[6] > r[5]);
    assert!(page_rank(0, &[]).is_empty());
}

/// A dense power iteration over an adjacency matrix: the textbook definition.
fn naive_page_rank(n: usize, links: &[(usize, usize)]) -> Vec<f64> {
    let mut w = vec![vec![0.0; n]; n];
    for &(s, t) in links {
        w[s][t] += 1.0;
    }
    let mut r = vec![1.0 / n as f64; n];
    for _ in 0..200 {
        let mut next = vec![0.15 / n as f64; n];
        for s in 0..n {
            let out: f64 = w[s].iter().sum();
            for t in 0..n {
                next[t] += 0.85 * r[s] * if out == 0.0 { 1.0 / n as f64 } else { w[s][t] / out };
            }
        }
        r = next;
    }
    r
}

#[test]
fn page_rank_matches_the_dense_definition() {
    let mut r = StdRng::seed_from_u64(42);
    for _ in 0..5 {
        let n = 2 + r.random_range(0..30) as usize;
        let links: Vec<(usize, usize)> = (0..r.random_range(0..120))
            .map(|_| (r.random_range(0..n as u64) as usize, r.random_range(0..n as u64) as usize))
            .filter(|(s, t)| s != t)
            .collect();
        let fast = page_rank(n, &links.iter().map(|&(s, t)| (s as u32, t as u32)).collect::<Vec<_>>());
        let slow = naive_page_rank(n, &links);
        for (a, b) in fast.iter().zip(&slow) {
            // Stopped at an L1 change of 1e-6: within 1e-5 of the fixed point.
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }
}

#[test]
fn retention_is_the_same_on_several_threads() {
    let log = random_log(99, 2_000, 40, 20_000);
    let mut a = ActivityLog::new();
    for (u, d) in &log {
        a.record(*u, *d);
    }
    let one = a.retention_daily_on(20_000, 20_039, 30, 20_039, Some(1));
    assert!(one.iter().map(|c| c.retained.iter().sum::<u64>()).sum::<u64>() > 2_000);
    for threads in [2, 3, 8] {
        assert_eq!(a.retention_daily_on(20_000, 20_039, 30, 20_039, Some(threads)), one);
    }
}

#[test]
fn figures_agree_with_the_single_figures() {
    let log = random_log(3, 400, 60, 8_000);
    let mut a = ActivityLog::new();
    for (i, (u, d)) in log.iter().enumerate() {
        let what = if i % 5 == 0 {
            Contribution::Post { id: i as i64, topic: None, question: false }
        } else {
            Contribution::Other
        };
        a.record_event(*u, At { ms: i64::from(*d) * 86_400_000, day: *d, hour_of_week: 0 }, what);
    }
    let f = a.figures(20_020, 20_059, 10, 50, &Reuse::default());
    assert_eq!(f.dau, a.dau(20_020, 20_059));
    assert_eq!([f.wau, f.mau], [a.wau(20_020, 20_059), a.mau(20_020, 20_059)]);
    assert_eq!((f.tiers, f.silent), a.tiers(20_020, 20_059, 50));
    let newest_first = |mut v: Vec<Cohort>| {
        v.reverse();
        v
    };
    assert_eq!(f.retention_daily, newest_first(a.retention_daily(20_030, 20_059, 30, 20_059)));
    // Weekly cohorts: every week of the range, not only its last twelve.
    assert_eq!(f.retention_weekly, newest_first(a.retention_weekly(20_020, 20_059, 12, 20_059)));
    assert_eq!(
        f.retention_weekly.last().map(|c| c.cohort_start.as_str()),
        Some("2024-10-21"),
        "the week the range starts in"
    );
    assert_eq!(f.topics, a.topics(20_020, 20_059));
}

#[test]
fn retention_over_more_cohorts_than_one_pass_holds() {
    let log = random_log(17, 3_000, 320, 30_000);
    let mut a = ActivityLog::new();
    for (u, d) in &log {
        a.record(*u, *d);
    }
    let rows = a.retention_daily_on(20_000, 20_319, 5, 20_319, None);
    assert!(rows.len() > 254);
    for c in &rows {
        let start = day_of(NaiveDate::parse_from_str(&c.cohort_start, "%Y-%m-%d").unwrap());
        let cohort = &a.cohorts[&start];
        for (k, n) in c.retained.iter().enumerate() {
            let want = a.active_on(start + k as i32).map_or(0, |d| d.intersection_len(cohort));
            assert_eq!(*n, want, "cohort {} k {k}", c.cohort_start);
        }
    }
}

#[test]
fn retention_cells_kept_as_events_arrive_match_the_bitmaps() {
    // In time order, reversed, and shuffled (first days move earlier, weeks are filled out of order).
    let log = random_log(23, 1_500, 80, 25_000);
    let mut sorted = log.clone();
    sorted.sort_by_key(|(_, d)| *d);
    let reversed: Vec<_> = sorted.iter().rev().copied().collect();
    for (name, order) in [("random", &log), ("sorted", &sorted), ("reversed", &reversed)] {
        let mut a = ActivityLog::new();
        for (u, d) in order {
            a.record(*u, *d);
        }
        for (from, to, last) in [(20_000, 20_079, 20_079), (20_020, 20_049, 20_049), (20_030, 20_060, 20_045)] {
            assert_eq!(
                a.retention_daily(from, to, DAILY_OFFSETS, last),
                a.retention_daily_on(from, to, DAILY_OFFSETS, last, Some(1)),
                "{name} daily {from}..{to} last {last}"
            );
            assert_eq!(
                a.retention_daily(from, to, 7, last),
                a.retention_daily_on(from, to, 7, last, Some(1)),
                "{name} daily, 7 offsets"
            );
            assert_eq!(
                a.retention_weekly(from, to, WEEKLY_OFFSETS, last),
                a.retention_weekly_scan(from, to, WEEKLY_OFFSETS, last),
                "{name} weekly {from}..{to} last {last}"
            );
        }
        // Past the kept offsets the bitmaps answer.
        let long = a.retention_daily(20_000, 20_010, 60, 20_079);
        assert_eq!(long, a.retention_daily_on(20_000, 20_010, 60, 20_079, Some(1)));
        assert_eq!(long[0].retained.len(), 60);
    }
}

#[test]
fn reversed_ranges_are_empty() {
    let mut a = ActivityLog::new();
    a.record_event(
        1,
        At { ms: 0, day: 10, hour_of_week: 0 },
        Contribution::Post { id: 1, topic: None, question: true },
    );
    a.record_event(2, At { ms: 1, day: 10, hour_of_week: 0 }, Contribution::Comment { post: 1 });
    a.record_event(
        2,
        At { ms: 2, day: 10, hour_of_week: 0 },
        Contribution::Joined { invited_by: Some(1), rules: true },
    );
    assert!(a.retention_daily(11, 10, 30, 5).is_empty());
    assert!(a.topics(11, 10).is_empty() && a.contributors(11, 10, 5).0.is_empty());
    assert_eq!(a.funnel(11, 10)[0].count, 0);
    assert_eq!((a.referral(11, 10, 5).invites_sent, a.response(11, 10).0.posts), (0, 0));
    assert!(a.tiers(11, 10, 5).0.is_empty() && a.active_between(11, 10).is_empty());
    assert_eq!(a.funnel(10, 10)[0].count, 1);
}

mod rich;

#[test]
fn a_resumed_tier_walk_gives_the_figures_of_a_fresh_one() {
    let log = random_log(41, 600, 70, 12_000);
    let mut a = ActivityLog::new();
    for (u, d) in &log {
        a.record(*u, *d);
    }
    let (from, to) = (20_030, 20_069);
    let walk_figures = |a: &ActivityLog, reuse: &Reuse| {
        let f = a.figures(from, to, 10, 40, reuse);
        ((f.tiers, f.silent, f.wau, f.mau), f.reuse)
    };
    let (fresh, reuse) = walk_figures(&a, &Reuse::default());
    let checkpoint = reuse.walk.clone().expect("a checkpoint");
    // New activity on the last day only: old members, and newcomers (some with large ids).
    for m in [1, 2, 3, 599, 700, 5_000] {
        a.record(m, to);
    }
    let (resumed, again) = walk_figures(&a, &reuse);
    assert!(std::sync::Arc::ptr_eq(again.walk.as_ref().unwrap(), &checkpoint), "resumed");
    assert_ne!(resumed, fresh, "the new activity shows");
    assert_eq!(resumed, walk_figures(&a, &Reuse::default()).0);
    // Activity before the last day: the checkpoint no longer holds.
    a.record(6_000, to - 3);
    let (redone, again) = walk_figures(&a, &reuse);
    assert!(!std::sync::Arc::ptr_eq(again.walk.as_ref().unwrap(), &checkpoint), "walked again");
    assert_eq!(redone, walk_figures(&a, &Reuse::default()).0);
    assert_ne!(redone, resumed);
    // Another range never resumes from it.
    let other = a.figures(from + 1, to, 10, 40, &again);
    assert!(!std::sync::Arc::ptr_eq(other.reuse.walk.as_ref().unwrap(), again.walk.as_ref().unwrap()));
    assert_eq!(other.tiers, a.tiers(from + 1, to, 40).0);
}

#[test]
fn tier_members_agree_with_the_walk_and_split_everyone() {
    for seed in 1..5 {
        let log = random_log(seed, 400, 90, 6_000);
        let mut a = ActivityLog::new();
        for (u, d) in &log {
            a.record(*u, *d);
        }
        let (from, to) = (20_000, 20_100);
        let (tiers, _) = a.tiers(from, to, 0);
        for p in tiers.iter().step_by(7) {
            let sets = a.tier_members(p.day);
            let counts: Vec<u64> = sets.iter().map(|b| b.len()).collect();
            assert_eq!(counts, [p.new, p.active, p.core, p.silent, p.churned], "seed {seed} day {}", p.day);
            let all = sets.iter().fold(roaring::RoaringBitmap::new(), |acc, b| acc | b);
            assert_eq!(all.len(), counts.iter().sum::<u64>(), "each member in one tier");
        }
    }
}
