//! `bench/run.sh analytics`: a generated activity log (10,000,000 events from
//! 1,000,000 members over 90 days, skewed: few heavy posters, many lurkers)
//! through the analytics engine, and the same figures from DuckDB (PyPI) in
//! SQL over the same events, in the same run.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use yaji_domain::analytics::{ActivityLog, At, Contribution, Day, Reuse};

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A generated event: member, day, kind, and the post it is about (or the post's own id).
struct Ev {
    member: u32,
    day: Day,
    kind: u8,
    post: u32,
}

const JOIN: u8 = 0;
const POST: u8 = 1;
const COMMENT: u8 = 2;
const REACTION: u8 = 3;
const INVITE: u8 = 4;
const OTHER: u8 = 5;

pub fn run(events: usize, members: u32, days: Day) -> Result<()> {
    let first_day: Day = 20_000;
    let last = first_day + days - 1;
    // Members join over the period (more later: a growing community), a fifth
    // through an invite; each other event picks a member with a heavy skew (u^4)
    // and a day on or after their join. Kinds: 8% posts, 25% comments, 50%
    // reactions (on a recent post, popular ones more), 1% invites, the rest
    // other activity (check-ins, votes…).
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let joins: Vec<Day> =
        (0..members).map(|_| first_day + ((rng.random::<f64>().sqrt()) * days as f64) as Day).collect();
    let mut log: Vec<Ev> = Vec::with_capacity(events);
    for m in 0..members.min(events as u32) {
        log.push(Ev { member: m, day: joins[m as usize], kind: JOIN, post: 0 });
    }
    while log.len() < events {
        let m = (rng.random::<f64>().powi(4) * members as f64) as u32 % members;
        let j = joins[m as usize];
        let d = (j + (rng.random::<f64>() * (last - j + 1) as f64) as Day).min(last);
        let kind = match rng.random::<f64>() {
            x if x < 0.08 => POST,
            x if x < 0.33 => COMMENT,
            x if x < 0.83 => REACTION,
            x if x < 0.84 => INVITE,
            _ => OTHER,
        };
        log.push(Ev { member: m, day: d, kind, post: 0 });
    }
    // In time order, as the log is read: posts get ids, replies point at earlier posts.
    log.sort_by_key(|e| (e.day, e.kind != JOIN));
    let mut posts: Vec<u32> = Vec::new();
    for e in log.iter_mut() {
        match e.kind {
            POST => {
                e.post = posts.len() as u32;
                posts.push(e.post);
            }
            COMMENT | REACTION if !posts.is_empty() => {
                let window = posts.len().min(20_000);
                e.post = posts[posts.len() - 1 - (rng.random::<f64>().powi(3) * window as f64) as usize % window];
            }
            COMMENT | REACTION => e.kind = OTHER,
            _ => {}
        }
    }
    let posts_made = posts.len() as u32;
    drop(posts);
    let dir = std::env::temp_dir().join(format!("yaji-analytics-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("events.csv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&csv)?);
        writeln!(w, "member,day")?;
        for e in &log {
            writeln!(w, "{},{}", e.member, e.day)?;
        }
    }

    let rss_before = rss_mib();
    let t = Instant::now();
    let mut engine = ActivityLog::new();
    for (i, e) in log.iter().enumerate() {
        // Post ids start at 1 (0 is an unknown post). A time of day from the event's position, spread over the day with an evening lean.
        let frac = ((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 11) as f64 / (1u64 << 53) as f64;
        let ms = i64::from(e.day) * 86_400_000 + (frac.powf(0.7) * 86_399_999.0) as i64;
        let at = At::local(ms, chrono_tz::UTC);
        let what = match e.kind {
            JOIN => {
                let inviter = (e.member % 5 == 0).then_some(e.member / 7).filter(|b| joins[*b as usize] <= e.day);
                Contribution::Joined { invited_by: inviter, rules: true }
            }
            POST => Contribution::Post {
                id: i64::from(e.post) + 1,
                topic: Some(i64::from(e.post % 7)),
                question: e.post % 4 == 0,
            },
            COMMENT => Contribution::Comment { post: i64::from(e.post) + 1 },
            REACTION => Contribution::Reaction { post: i64::from(e.post) + 1 },
            INVITE => Contribution::InviteSent,
            _ => Contribution::Other,
        };
        engine.record_event(e.member, at, what);
    }
    let build = t.elapsed();
    // Measured while the generated events are still held, so only the engine's growth counts.
    let rss_engine = rss_mib() - rss_before;
    drop(log);

    let time = |f: &mut dyn FnMut()| {
        let mut best = f64::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            f();
            best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        }
        best
    };
    let mut cells = 0usize;
    let retention =
        time(&mut || cells = engine.retention_daily(last - 29, last, 30, last).iter().map(|c| c.retained.len()).sum());
    // The same matrix computed from the day bitmaps (how it was done before the
    // cells; still the path for rows longer than 30): the like-for-like figure.
    let retention_scan = time(&mut || {
        std::hint::black_box(engine.retention_daily_scan(last - 29, last, 30, last));
    });
    let mut mau_last = 0;
    let series = time(&mut || {
        let _ = engine.dau(last - 89, last);
        let mut w = engine.trailing_many(last - 89, last, &[7, 30]);
        mau_last = w.pop().and_then(|s| s.last().map(|p| p.count)).unwrap_or(0);
    });
    // Every figure the dashboard shows for the last 30 days, as the app computes them.
    let (from, to) = (last - 29, last);
    let mut parts: Vec<(&str, f64)> = Vec::new();
    let mut reuse = None;
    let first_view = time(&mut || {
        let f = engine.figures(from, to, 20, 200, &Reuse::default());
        std::hint::black_box(dashboard_json(&f));
        reuse = Some(f.reuse);
    });
    // The steady state: events keep arriving (here 2,000 more comments and
    // reactions on the last day before each request, as a live community
    // adds in 15 minutes), every figure is computed again; the range's KOL
    // ranking is reused while its links grew by under 1 %, and the tier walk
    // resumes before the last day (nothing before it changed).
    let reuse = reuse.expect("computed");
    let ranking = reuse.kol.clone().expect("ranked");
    let mut extra = 0u32;
    let mut reused = true;
    let dashboard = time(&mut || {
        for i in 0..2_000u32 {
            extra += 1;
            let member = (extra.wrapping_mul(2_654_435_761)) % members;
            let ms = i64::from(last) * 86_400_000 + 86_000_000 + i64::from(extra % 300_000);
            let post = i64::from(posts_made.saturating_sub(1 + extra % posts_made.clamp(1, 5_000))) + 1;
            let what = if i % 3 == 0 { Contribution::Comment { post } } else { Contribution::Reaction { post } };
            engine.record_event(member, At::local(ms, chrono_tz::UTC), what);
        }
        parts.clear();
        let t = Instant::now();
        let f = engine.figures(from, to, 20, 200, &reuse);
        reused &= f.reuse.kol.as_ref().is_some_and(|k| std::sync::Arc::ptr_eq(k, &ranking));
        reused &= f.reuse.walk.as_ref().zip(reuse.walk.as_ref()).is_some_and(|(a, b)| std::sync::Arc::ptr_eq(a, b));
        parts.push(("figures (four parts in parallel)", t.elapsed().as_secs_f64() * 1000.0));
        let t = Instant::now();
        std::hint::black_box(dashboard_json(&f));
        parts.push(("JSON", t.elapsed().as_secs_f64() * 1000.0));
    });
    anyhow::ensure!(reused, "the KOL ranking or the tier walk was not reused");
    // Each part alone from scratch (nothing reused), for where the time goes.
    let mut alone: Vec<(&str, f64)> = Vec::new();
    alone.push((
        "· posting and interaction rates",
        time(&mut || {
            std::hint::black_box((engine.posting_rate(from, to), engine.interaction_rate(from, to)));
        }),
    ));
    alone.push((
        "· retention daily + weekly",
        time(&mut || {
            std::hint::black_box((
                engine.retention_daily(from, to, 30, to),
                engine.retention_weekly(to - 83, to, 12, to),
            ));
        }),
    ));
    alone.push((
        "· tiers, silent members, WAU/MAU (one walk)",
        time(&mut || {
            std::hint::black_box(engine.tiers(from, to, 200));
        }),
    ));
    alone.push((
        "· funnel and referral",
        time(&mut || {
            std::hint::black_box((engine.funnel(from, to), engine.referral(from, to, 20)));
        }),
    ));
    alone.push((
        "· response, topics, hour of week (one pass)",
        time(&mut || {
            std::hint::black_box(engine.topics(from, to));
        }),
    ));
    alone.push((
        "· contributors' counts and tables (ranking reused)",
        time(&mut || {
            std::hint::black_box(engine.contributors_ranked(from, to, 20, &ranking));
        }),
    ));
    alone.push((
        "· KOL ranking: PageRank of the range's graph (first view, or links grown > 1 %)",
        time(&mut || {
            std::hint::black_box(engine.kol_ranking(from, to));
        }),
    ));

    let out = Command::new("python3")
        .arg("bench/analytics_duckdb.py")
        .arg(&csv)
        .arg(last.to_string())
        .output()
        .context("running python3 bench/analytics_duckdb.py (pip install duckdb)")?;
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        anyhow::bail!("DuckDB baseline failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let duck: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let f = |k: &str| duck[k].as_f64().unwrap_or(f64::NAN);
    anyhow::ensure!(
        duck["mau_last"].as_u64() == Some(mau_last),
        "MAU differs from DuckDB: {} vs {}",
        mau_last,
        duck["mau_last"]
    );

    println!(
        "| analytics: {events} events, {members} members, {days} days | Yaji engine | DuckDB (same data, same run) |"
    );
    println!("|---|---:|---:|");
    println!(
        "| build structures | {:.0} ms | {:.0} ms (+ {:.0} ms CSV load) |",
        build.as_secs_f64() * 1000.0,
        f("build_ms"),
        f("load_ms")
    );
    println!(
        "| retention 30×30 ({cells} cells), kept as events arrive | {retention:.3} ms | {:.1} ms |",
        f("retention_ms")
    );
    println!(
        "| retention 30×30 recomputed from the day bitmaps | {retention_scan:.1} ms ({:.1}× faster) | {:.1} ms |",
        f("retention_ms") / retention_scan,
        f("retention_ms")
    );
    println!(
        "| DAU + WAU + MAU series, 90 days | {series:.1} ms | {:.0} ms |",
        f("dau_ms") + f("wau_ms") + f("mau_ms")
    );
    println!(
        "| full dashboard JSON (30 days, every figure), events arriving, KOL ranking reused, tier walk resumed | {dashboard:.1} ms | — |"
    );
    println!("| full dashboard JSON, first view of the range (KOL ranking computed) | {first_view:.1} ms | — |");
    for (name, ms) in parts.iter().chain(&alone) {
        println!("| {name} | {ms:.1} ms | — |");
    }
    println!("| engine memory (RSS growth) | {rss_engine:.0} MiB | — |");
    println!("| MAU on the last day (both agree) | {mau_last} | {} |", duck["mau_last"]);
    println!("ratio={:.1}", f("retention_ms") / retention);
    Ok(())
}

/// The dashboard's JSON, as the API returns it (without names).
fn dashboard_json(f: &yaji_domain::analytics::Figures) -> String {
    serde_json::json!({
        "dau": f.dau, "wau": f.wau, "mau": f.mau, "posting_rate": f.posting_rate, "interaction_rate": f.interaction_rate,
        "retention_daily": f.retention_daily, "retention_weekly": f.retention_weekly,
        "tiers": f.tiers.iter().map(|t| (t.date(), t.new, t.active, t.core, t.silent, t.churned)).collect::<Vec<_>>(),
        "silent": f.silent, "funnel": f.funnel, "referral": f.referral, "response": f.response, "topics": f.topics,
        "hour_of_week": f.hour_of_week, "top_contributors": f.top_contributors, "kols": f.kols,
    })
    .to_string()
}
