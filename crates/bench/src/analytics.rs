//! `bench/run.sh analytics`: a generated activity log (10,000,000 events from
//! 1,000,000 members over 90 days, skewed: few heavy posters, many lurkers)
//! through the analytics engine, and the same figures from DuckDB (PyPI) in
//! SQL over the same events, in the same run.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use yaji_domain::analytics::{ActivityLog, Day};

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// xorshift64*: fast and reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub fn run(events: usize, members: u32, days: Day) -> Result<()> {
    let first_day: Day = 20_000;
    let last = first_day + days - 1;
    // Members join over the period (more later: a growing community); each
    // event picks a member with a heavy skew (u^4) and a day on or after their join.
    let mut rng = Rng(0x5eed);
    let joins: Vec<Day> = (0..members).map(|_| first_day + ((rng.unit().sqrt()) * days as f64) as Day).collect();
    let mut log: Vec<(u32, Day)> = Vec::with_capacity(events);
    for _ in 0..events {
        let m = (rng.unit().powi(4) * members as f64) as u32 % members;
        let j = joins[m as usize];
        let d = j + (rng.unit() * (last - j + 1) as f64) as Day;
        log.push((m, d.min(last)));
    }
    let dir = std::env::temp_dir().join(format!("yaji-analytics-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("events.csv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&csv)?);
        writeln!(w, "member,day")?;
        for (m, d) in &log {
            writeln!(w, "{m},{d}")?;
        }
    }

    let rss_before = rss_mib();
    let t = Instant::now();
    let mut engine = ActivityLog::new();
    for (m, d) in &log {
        engine.record(*m, *d);
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
    let mut mau_last = 0;
    let series = time(&mut || {
        let _ = engine.dau(last - 89, last);
        let mut w = engine.trailing_many(last - 89, last, &[7, 30]);
        mau_last = w.pop().and_then(|s| s.last().map(|p| p.count)).unwrap_or(0);
    });
    let dashboard = time(&mut || {
        let dau = engine.dau(last - 29, last);
        let mut w = engine.trailing_many(last - 29, last, &[7, 30]);
        let (mau, wau) = (w.pop(), w.pop());
        let daily = engine.retention_daily(last - 29, last, 30, last);
        let weekly = engine.retention_weekly(last - 83, last, 12, last);
        let json = serde_json::json!({"dau": dau, "wau": wau, "mau": mau, "retention_daily": daily, "retention_weekly": weekly});
        std::hint::black_box(json.to_string());
    });

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
    println!("| retention 30×30 ({cells} cells) | {retention:.2} ms | {:.1} ms |", f("retention_ms"));
    println!(
        "| DAU + WAU + MAU series, 90 days | {series:.1} ms | {:.0} ms |",
        f("dau_ms") + f("wau_ms") + f("mau_ms")
    );
    println!("| full dashboard JSON (30 days) | {dashboard:.1} ms | — |");
    println!("| engine memory (RSS growth) | {rss_engine:.0} MiB | — |");
    println!("| MAU on the last day (both agree) | {mau_last} | {} |", duck["mau_last"]);
    println!("ratio={:.1}", f("retention_ms") / retention);
    Ok(())
}
