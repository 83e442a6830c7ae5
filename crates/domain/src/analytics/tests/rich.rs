//! The content, member and growth figures against straightforward loops over
//! a randomized log of timed events in a time zone (so local days and hours
//! cross the UTC boundary), with members who leave and rejoin.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, TimeZone, Timelike};

use super::super::*;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use super::naive_page_rank;

#[derive(Clone, Copy, Debug)]
enum What {
    Join {
        invited_by: Option<u32>,
        rules: bool,
    },
    /// Let in by an admin: joins without acting.
    Admitted {
        rules: bool,
    },
    Rules,
    Invite,
    Post {
        id: i64,
        topic: Option<i64>,
        question: bool,
    },
    Comment {
        post: i64,
    },
    Reaction {
        post: i64,
    },
    Other,
}

#[derive(Clone, Copy, Debug)]
struct Ev {
    member: u32,
    ms: i64,
    what: What,
}

const TZ: chrono_tz::Tz = chrono_tz::America::New_York;
/// 2026-09-01T00:00Z.
const T0: i64 = 1_788_220_800_000;

fn local(ms: i64) -> (Day, u8) {
    let t = TZ.timestamp_millis_opt(ms).unwrap();
    (day_of(t.date_naive()), (t.weekday().num_days_from_monday() * 24 + t.hour()) as u8)
}

fn random_events(seed: u64) -> Vec<Ev> {
    let mut r = StdRng::seed_from_u64(seed);
    let members = 120u32;
    let span = 70 * 86_400_000i64;
    let mut evs = Vec::new();
    let mut posts: Vec<(i64, i64)> = Vec::new();
    // Joins first (some through an earlier member's invite, some twice: leave and rejoin).
    let mut joined_at: Vec<i64> = (0..members).map(|_| T0 + r.random_range(0..span as u64 / 2) as i64).collect();
    joined_at.sort_unstable();
    for m in 0..members {
        let at = joined_at[m as usize];
        let invited_by = (m > 0 && r.random_range(0..3) == 0).then(|| r.random_range(0..u64::from(m)) as u32);
        let what = if r.random_range(0..6) == 0 {
            What::Admitted { rules: r.random_range(0..2) == 0 }
        } else {
            What::Join { invited_by, rules: r.random_range(0..4) != 0 }
        };
        evs.push(Ev { member: m, ms: at, what });
        if r.random_range(0..8) == 0 {
            evs.push(Ev {
                member: m,
                ms: at + r.random_range(0..span as u64 / 2) as i64,
                what: What::Join { invited_by: None, rules: true },
            });
        }
    }
    let mut next_post = 1;
    for _ in 0..2_500 {
        // Skewed: a fifth of the members do most of it.
        let m = if r.random_range(0..3) == 0 {
            r.random_range(0..u64::from(members))
        } else {
            r.random_range(0..u64::from(members) / 5)
        } as u32;
        // Some members drop out within days of joining (they churn).
        let dropout = m % 6 == 5 && m >= 24;
        let stay = if dropout { 5 * 86_400_000 } else { span as u64 / 2 };
        let ms = joined_at[m as usize] + r.random_range(0..stay) as i64;
        let what = match if dropout { 9 } else { r.random_range(0..10) } {
            0 | 1 => {
                next_post += 1;
                posts.push((next_post, ms));
                let topic = [None, Some(1), Some(2), Some(3)][r.random_range(0..4) as usize];
                What::Post { id: next_post, topic, question: r.random_range(0..3) == 0 }
            }
            2..=4 if !posts.is_empty() => {
                What::Comment { post: posts[r.random_range(0..posts.len() as u64) as usize].0 }
            }
            5..=7 if !posts.is_empty() => {
                What::Reaction { post: posts[r.random_range(0..posts.len() as u64) as usize].0 }
            }
            8 if r.random_range(0..4) == 0 => What::Invite,
            8 if r.random_range(0..3) == 0 => What::Rules,
            _ => What::Other,
        };
        // Replies come after their post.
        let ms = match what {
            What::Comment { post } | What::Reaction { post } => {
                posts.iter().find(|p| p.0 == post).unwrap().1 + r.random_range(0..3 * 86_400_000) as i64
            }
            _ => ms,
        };
        evs.push(Ev { member: m, ms, what });
    }
    evs.sort_by_key(|e| e.ms);
    evs
}

fn engine(evs: &[Ev]) -> ActivityLog {
    let mut a = ActivityLog::new();
    for e in evs {
        let at = At::local(e.ms, TZ);
        match e.what {
            What::Admitted { rules } => a.record_join(e.member, at.day, None, rules),
            w => {
                let what = match w {
                    What::Join { invited_by, rules } => Contribution::Joined { invited_by, rules },
                    What::Rules => Contribution::RulesAccepted,
                    What::Invite => Contribution::InviteSent,
                    What::Post { id, topic, question } => Contribution::Post { id, topic, question },
                    What::Comment { post } => Contribution::Comment { post },
                    What::Reaction { post } => Contribution::Reaction { post },
                    _ => Contribution::Other,
                };
                a.record_event(e.member, at, what);
            }
        }
    }
    a
}

/// The naive model: plain sets and maps.
struct Naive<'a> {
    evs: &'a [Ev],
    active: HashMap<u32, Vec<Day>>,
    posts: HashMap<i64, (u32, i64, Option<i64>, bool)>,
}

impl<'a> Naive<'a> {
    fn new(evs: &'a [Ev]) -> Self {
        let mut active: HashMap<u32, Vec<Day>> = HashMap::new();
        let mut posts = HashMap::new();
        for e in evs {
            if !matches!(e.what, What::Admitted { .. }) {
                active.entry(e.member).or_default().push(local(e.ms).0);
            }
            if let What::Post { id, topic, question } = e.what {
                posts.insert(id, (e.member, e.ms, topic, question));
            }
        }
        for v in active.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        Naive { evs, active, posts }
    }
    fn active_on(&self, m: u32, lo: Day, hi: Day) -> usize {
        self.active.get(&m).map_or(0, |v| v.iter().filter(|d| (lo..=hi).contains(*d)).count())
    }
    fn first_reply(&self, post: i64) -> Option<i64> {
        let author = self.posts[&post].0;
        self.evs
            .iter()
            .filter(|e| matches!(e.what, What::Comment { post: p } if p == post) && e.member != author)
            .map(|e| e.ms)
            .min()
    }
    fn interactions(&self, post: i64) -> u64 {
        self.evs
            .iter()
            .filter(|e| matches!(e.what, What::Comment { post: p } | What::Reaction { post: p } if p == post))
            .count() as u64
    }
}

fn median_minutes(mut v: Vec<i64>) -> Option<f64> {
    v.sort_unstable();
    let n = v.len();
    (n > 0).then(|| if n % 2 == 1 { v[n / 2] as f64 } else { (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0 } / 60_000.0)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn every_figure_matches_a_naive_loop() {
    for seed in 1..5 {
        let evs = random_events(seed);
        let a = engine(&evs);
        let n = Naive::new(&evs);
        let first_day = local(T0).0;
        let (from, to) = (first_day + 20, first_day + 55);

        // DAU on local days.
        for (i, p) in a.dau(from, to).iter().enumerate() {
            let d = from + i as Day;
            assert_eq!(p.count as usize, n.active.values().filter(|v| v.contains(&d)).count());
        }

        // Tiers on every day, and the silent members on the last.
        let (tiers, silent) = a.tiers(from, to, 1_000);
        assert_eq!(tiers.len(), (to - from + 1) as usize);
        for t in &tiers {
            let d = t.day;
            let mut want = [0u64; 5];
            for (m, days) in &n.active {
                let Some(&first) = days.first().filter(|f| **f <= d) else { continue };
                let last = *days.iter().filter(|x| **x <= d).max().unwrap();
                let i = if first > d - 7 {
                    0
                } else if last <= d - 30 {
                    4
                } else if last <= d - 14 {
                    3
                } else if n.active_on(*m, d - 29, d) >= 12 {
                    2
                } else {
                    1
                };
                want[i] += 1;
            }
            assert_eq!([t.new, t.active, t.core, t.silent, t.churned], want, "seed {seed} day {d}");
        }
        let mut want_silent: Vec<(u8, Day, u32)> = n
            .active
            .iter()
            .filter_map(|(m, days)| {
                let last = *days.iter().filter(|x| **x <= to).max()?;
                (to - 29..=to - 14).contains(&last).then(|| (n.active_on(*m, to - 29, to) as u8, last, *m))
            })
            .collect();
        want_silent.sort_by(|x, y| y.0.cmp(&x.0).then(y.1.cmp(&x.1)).then(x.2.cmp(&y.2)));
        let got: Vec<(u8, Day, u32)> = silent
            .iter()
            .map(|s| {
                (
                    s.active_days,
                    day_of(chrono::NaiveDate::parse_from_str(&s.last_active, "%Y-%m-%d").unwrap()),
                    s.member,
                )
            })
            .collect();
        assert_eq!(got, want_silent, "seed {seed}");

        // Funnel.
        let mut first_join: BTreeMap<u32, (i64, Option<u32>, bool)> = BTreeMap::new();
        for e in &evs {
            let (inv, rules) = match e.what {
                What::Join { invited_by, rules } => (invited_by, rules),
                What::Admitted { rules } => (None, rules),
                _ => continue,
            };
            first_join.entry(e.member).or_insert((e.ms, inv, rules));
        }
        let accepted_later: HashSet<u32> =
            evs.iter().filter(|e| matches!(e.what, What::Rules)).map(|e| e.member).collect();
        let joined: Vec<(u32, Day, bool)> = first_join
            .iter()
            .map(|(m, (ms, _, rules))| (*m, local(*ms).0, *rules || accepted_later.contains(m)))
            .filter(|(_, d, _)| (from..=to).contains(d))
            .collect();
        let posted =
            |m: u32| evs.iter().any(|e| e.member == m && matches!(e.what, What::Post { .. }) && local(e.ms).0 <= to);
        let steps = [
            joined.len(),
            joined.iter().filter(|j| j.2).count(),
            joined.iter().filter(|j| j.2 && posted(j.0)).count(),
            joined
                .iter()
                .filter(|j| j.2 && posted(j.0) && j.1 + 7 <= to && n.active_on(j.0, j.1 + 7, (j.1 + 13).min(to)) > 0)
                .count(),
        ];
        assert_eq!(a.funnel(from, to).iter().map(|s| s.count as usize).collect::<Vec<_>>(), steps, "seed {seed}");

        // Referral.
        let ref_ = a.referral(from, to, 1_000);
        let sent: Vec<u32> = evs
            .iter()
            .filter(|e| matches!(e.what, What::Invite) && (from..=to).contains(&local(e.ms).0))
            .map(|e| e.member)
            .collect();
        let invited: Vec<u32> = first_join
            .values()
            .filter(|(ms, inv, _)| inv.is_some() && (from..=to).contains(&local(*ms).0))
            .map(|(_, inv, _)| inv.unwrap())
            .collect();
        let active_range = n.active.keys().filter(|m| n.active_on(**m, from, to) > 0).count() as u64;
        assert_eq!(
            (ref_.invites_sent, ref_.invited_joins, ref_.active_members),
            (sent.len() as u64, invited.len() as u64, active_range)
        );
        let acc = if sent.is_empty() { 0.0 } else { invited.len() as f64 / sent.len() as f64 };
        assert!(close(ref_.acceptance_rate, acc));
        assert!(close(ref_.k, sent.len() as f64 / active_range as f64 * acc));
        let below = |m: u32| -> u64 {
            // Descendants in the referral tree (inviters always joined earlier: no cycles).
            let mut count = 0;
            let mut stack = vec![m];
            while let Some(x) = stack.pop() {
                for (c, (_, inv, _)) in &first_join {
                    if *inv == Some(x) {
                        count += 1;
                        stack.push(*c);
                    }
                }
            }
            count
        };
        let mut inviters: Vec<(u64, u64, u64, u32)> = sent
            .iter()
            .chain(&invited)
            .copied()
            .collect::<HashSet<u32>>()
            .into_iter()
            .map(|m| {
                (
                    invited.iter().filter(|x| **x == m).count() as u64,
                    below(m),
                    sent.iter().filter(|x| **x == m).count() as u64,
                    m,
                )
            })
            .collect();
        inviters.sort_by(|x, y| (y.0, y.2).cmp(&(x.0, x.2)).then(x.3.cmp(&y.3)));
        let got: Vec<(u64, u64, u64, u32)> =
            ref_.top_inviters.iter().map(|i| (i.invited, i.tree, i.invites_sent, i.member)).collect();
        assert_eq!(got, inviters, "seed {seed}");

        // Posts of the range, response times, topics and the heatmap.
        let range_posts: Vec<i64> =
            n.posts.iter().filter(|(_, p)| (from..=to).contains(&local(p.1).0)).map(|(id, _)| *id).collect();
        let (all, questions) = a.response(from, to);
        for (got, only_q) in [(all, false), (questions, true)] {
            let ps: Vec<i64> = range_posts.iter().copied().filter(|id| !only_q || n.posts[id].3).collect();
            let waits: Vec<i64> = ps.iter().filter_map(|id| Some(n.first_reply(*id)? - n.posts[id].1)).collect();
            assert_eq!((got.posts, got.answered), (ps.len() as u64, waits.len() as u64));
            assert_eq!(got.median_minutes, median_minutes(waits));
        }
        let topics = a.topics(from, to);
        let mut seen_topics = 0;
        for t in &topics {
            let ps: Vec<i64> = range_posts.iter().copied().filter(|id| n.posts[id].2 == t.topic).collect();
            let posters: HashSet<u32> = ps.iter().map(|id| n.posts[id].0).collect();
            let inter = evs
                .iter()
                .filter(|e| (from..=to).contains(&local(e.ms).0))
                .filter(|e| matches!(e.what, What::Comment { post } | What::Reaction { post } if n.posts[&post].2 == t.topic))
                .count() as u64;
            let waits: Vec<i64> = ps.iter().filter_map(|id| Some(n.first_reply(*id)? - n.posts[id].1)).collect();
            assert_eq!((t.posts, t.posters, t.interactions), (ps.len() as u64, posters.len() as u64, inter));
            assert!(close(t.posting_rate, posters.len() as f64 / active_range as f64));
            assert!(close(t.response_rate, if ps.is_empty() { 0.0 } else { waits.len() as f64 / ps.len() as f64 }));
            assert_eq!(t.median_first_reply_minutes, median_minutes(waits));
            seen_topics += ps.len();
        }
        assert_eq!(seen_topics, range_posts.len());
        let heat = a.hour_of_week(from, to);
        assert_eq!(heat.len(), 168);
        for c in &heat {
            let ps: Vec<&i64> =
                range_posts.iter().filter(|id| local(n.posts[id].1).1 == c.weekday * 24 + c.hour).collect();
            let inter: u64 = ps.iter().map(|id| n.interactions(**id)).sum();
            assert_eq!((c.posts, c.interactions), (ps.len() as u64, inter), "{}:{}", c.weekday, c.hour);
        }

        // Contributors and KOL scores.
        let mut stats: HashMap<u32, [u64; 4]> = HashMap::new();
        let mut nodes: Vec<u32> = Vec::new();
        let mut links = Vec::new();
        let node = |m: u32, nodes: &mut Vec<u32>| match nodes.iter().position(|x| *x == m) {
            Some(i) => i,
            None => {
                nodes.push(m);
                nodes.len() - 1
            }
        };
        for e in evs.iter().filter(|e| (from..=to).contains(&local(e.ms).0)) {
            match e.what {
                What::Post { .. } => stats.entry(e.member).or_default()[0] += 1,
                What::Comment { post } | What::Reaction { post } => {
                    let author = n.posts[&post].0;
                    let reaction = matches!(e.what, What::Reaction { .. });
                    if !reaction {
                        stats.entry(e.member).or_default()[1] += 1;
                    }
                    if author != e.member {
                        stats.entry(author).or_default()[if reaction { 3 } else { 2 }] += 1;
                        let s = node(e.member, &mut nodes);
                        let t = node(author, &mut nodes);
                        links.push((s, t));
                    }
                }
                _ => {}
            }
        }
        let rank = naive_page_rank(nodes.len(), &links);
        let score = |m: u32| nodes.iter().position(|x| *x == m).map_or(0.0, |i| rank[i] * nodes.len() as f64);
        let (by_posts, kols) = a.contributors(from, to, 10);
        let mut want: Vec<(u64, u64, u64, u32)> = stats.iter().map(|(m, s)| (s[0], s[2], s[3], *m)).collect();
        want.sort_by(|x, y| (y.0, y.1, y.2).cmp(&(x.0, x.1, x.2)).then(x.3.cmp(&y.3)));
        want.truncate(10);
        assert_eq!(
            by_posts.iter().map(|c| (c.posts, c.replies_received, c.reactions_received, c.member)).collect::<Vec<_>>(),
            want
        );
        for c in by_posts.iter().chain(&kols) {
            assert_eq!(stats[&c.member], [c.posts, c.comments, c.replies_received, c.reactions_received]);
            assert!((c.kol_score - score(c.member)).abs() < 1e-4, "{} vs {}", c.kol_score, score(c.member));
        }
        // The log exercises every branch, so the comparisons above say something.
        assert!(tiers.iter().all(|t| t.new + t.active + t.core + t.silent + t.churned > 0));
        for tier in [|t: &TierPoint| t.new, |t: &TierPoint| t.core, |t: &TierPoint| t.silent, |t: &TierPoint| t.churned]
        {
            assert!(tiers.iter().any(|t| tier(t) > 0), "{:?}", tiers.last());
        }
        assert!(!silent.is_empty() && steps[3] > 0 && steps[1] < steps[0]);
        assert!(
            ref_.invites_sent > 0 && ref_.invited_joins > 0 && ref_.top_inviters.iter().any(|i| i.tree > i.invited)
        );
        assert!(topics.len() == 4 && heat.iter().filter(|c| c.posts > 0).count() > 20);
        assert!(a.response(from, to).1.answered > 0 && kols[0].kol_score > 1.0);
        assert!(kols.windows(2).all(|w| w[0].kol_score >= w[1].kol_score));
        let cut = kols.last().unwrap().kol_score;
        assert!(stats.keys().filter(|m| !kols.iter().any(|k| k.member == **m)).all(|m| score(*m) <= cut + 1e-4));
    }
}

#[test]
fn contributor_counts_do_not_depend_on_the_order_events_arrive_in() {
    let evs = random_events(11);
    // Posts first (a link to a post the log has not seen counts for its day only),
    // each part reversed: every post and link lands on a day already summed.
    let copy = |e: &Ev| Ev { member: e.member, ms: e.ms, what: e.what };
    let is_post = |e: &&Ev| matches!(e.what, What::Post { .. });
    let reversed: Vec<Ev> =
        evs.iter().rev().filter(is_post).chain(evs.iter().rev().filter(|e| !is_post(e))).map(copy).collect();
    let (a, b) = (engine(&evs), engine(&reversed));
    let first_day = local(T0).0;
    for (from, to) in [(first_day, first_day + 80), (first_day + 20, first_day + 55), (first_day + 60, first_day + 61)]
    {
        let (x, y) = (a.contributors(from, to, 15), b.contributors(from, to, 15));
        assert!(!x.0.is_empty());
        assert_eq!(x.0.len(), y.0.len());
        for (p, q) in x.0.iter().zip(&y.0).chain(x.1.iter().zip(&y.1)) {
            assert_eq!(
                (p.member, p.posts, p.comments, p.replies_received, p.reactions_received),
                (q.member, q.posts, q.comments, q.replies_received, q.reactions_received)
            );
            assert!((p.kol_score - q.kol_score).abs() < 1e-4);
        }
        assert_eq!(a.links_between(from, to), b.links_between(from, to));
    }
}

#[test]
fn a_kol_ranking_is_reused_while_the_range_grows_by_under_one_percent() {
    let evs = random_events(5);
    let first_day = local(T0).0;
    let (from, to) = (first_day, first_day + 80);
    let mut a = engine(&evs);
    let ranking = std::sync::Arc::new(a.kol_ranking(from, to));
    assert!(ranking.links > 500 && ranking.reusable(&a, from, to));
    assert!(!ranking.reusable(&a, from, to - 1), "another range");
    // A post by a newcomer and replies to it, fewer than 1 % of the links.
    let at = |k: i64| At::local(T0 + 40 * 86_400_000 + k, TZ);
    a.record_event(900, at(0), Contribution::Post { id: 90_000, topic: None, question: false });
    let replies = (ranking.links / KOL_REUSE_GROWTH) as u32;
    for m in 0..replies {
        a.record_event(m, at(1 + i64::from(m)), Contribution::Comment { post: 90_000 });
    }
    assert!(ranking.reusable(&a, from, to));
    let f = a.figures(from, to, 500, 10, &Reuse { kol: Some(ranking.clone()), walk: None });
    assert!(std::sync::Arc::ptr_eq(f.reuse.kol.as_ref().unwrap(), &ranking), "reused");
    // The counts are current; the newcomer's score is the old ranking's (none).
    let newcomer = f.top_contributors.iter().find(|c| c.member == 900).expect("counted now");
    assert_eq!((newcomer.replies_received, newcomer.kol_score), (u64::from(replies), 0.0));
    // One more link passes the bound: ranked again, and the newcomer has a score.
    a.record_event(1, at(10_000), Contribution::Reaction { post: 90_000 });
    assert!(!ranking.reusable(&a, from, to));
    let f = a.figures(from, to, 500, 10, &Reuse { kol: Some(ranking.clone()), walk: None });
    assert!(!std::sync::Arc::ptr_eq(f.reuse.kol.as_ref().unwrap(), &ranking));
    let again = f.reuse.kol.as_ref().unwrap();
    assert!(again.links == ranking.links + u64::from(replies) + 1 && again.score(900) > 0.0);
    assert_eq!(f.kols, a.contributors(from, to, 500).1);
}
