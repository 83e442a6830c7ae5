//! `yaji-bench points`: a community whose ledger holds EVENTS awards (default
//! 10,000,000) for MEMBERS members (default 1,000,000) over 90 days, with the
//! balances and period totals they imply. Measures, one request at a time:
//! the leaderboard use case (this week, this month, all time) against the raw
//! ranking query it wraps, a member's points page, and staff adjustments (a
//! ledger row, the balance, the period totals and the audit event in one
//! transaction) against a bare ledger insert, and the month's board read
//! while a writer awards points without pause. Prints a Markdown table whose
//! last line is `ratio=<all-time leaderboard p50 / raw query p50>`.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Result;
use rand::{Rng, SeedableRng};
use yaji_app::accounts::Viewer;
use yaji_app::points::Period;
use yaji_app::{App, AppConfig, HashCost};
use yaji_domain::points::{day_start_ms, periods};
use yaji_store::repo::points as repo;
use yaji_store::Db;

const DAY: i64 = 86_400_000;
/// Rule, points: what the generated awards are, in rough real-life proportions.
const AWARDS: [(&str, i64); 5] =
    [("reaction_received", 1), ("reaction_received", 1), ("comment", 2), ("reply_received", 1), ("post", 5)];

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
}

struct Timing {
    name: String,
    p50: f64,
    p99: f64,
}

async fn time<F, Fut>(name: &str, n: usize, mut f: F) -> Result<Timing>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut ms = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        f(i).await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Timing { name: name.into(), p50: pct(&mut ms, 0.5), p99: pct(&mut ms, 0.99) })
}

pub async fn run(url: Option<String>, events: usize, members: usize) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("yaji-bench-points-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = url.unwrap_or_else(|| format!("sqlite://{}/yaji.db?mode=rwc", dir.display()));
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let backend = if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    let tz = chrono_tz::Asia::Shanghai;
    let now = yaji_store::now_millis();
    let seeding = Instant::now();
    crate::seed::club_with_members(&db, members, true).await?;

    // The ledger: skewed recipients (a few very active members, a long tail),
    // 90 local days ending today; balances and period totals summed alongside.
    let today = periods(now, tz).day;
    let days: Vec<(i64, i64, String, String)> = (today - 89..=today)
        .map(|d| {
            let start = day_start_ms(d, tz);
            let p = periods(start, tz);
            (d, start, p.week, p.month)
        })
        .collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    let mut balances = vec![0i64; members];
    let mut totals: HashMap<(usize, u32), i64> = HashMap::new();
    let mut period_names: Vec<String> = vec![];
    let mut period_index: HashMap<String, u32> = HashMap::new();
    let mut index_of = |name: &str, names: &mut Vec<String>| -> u32 {
        *period_index.entry(name.to_string()).or_insert_with(|| {
            names.push(name.to_string());
            names.len() as u32 - 1
        })
    };
    let mut written = 0;
    while written < events {
        let mut tx = db.write().await?;
        let c = tx.conn();
        for _ in 0..100 {
            let n = 1000.min(events - written);
            if n == 0 {
                break;
            }
            let mut rows = Vec::with_capacity(n);
            for k in 0..n {
                let e = written + k;
                let member = ((members as f64) * rng.random::<f64>().powf(3.0)) as usize % members;
                let (rule, amount) = AWARDS[rng.random_range(0..AWARDS.len())];
                // Later days are busier (a growing community).
                let di = ((days.len() as f64) * rng.random::<f64>().sqrt()) as usize % days.len();
                let (day, start, week, month) = &days[di];
                let at = start + rng.random_range(0..DAY);
                balances[member] += amount;
                for p in [week, month] {
                    let i = index_of(p, &mut period_names);
                    *totals.entry((member, i)).or_default() += amount;
                }
                rows.push(format!(
                    "(1, {}, {amount}, '{rule}', {e}, 'post', {e}, NULL, '', NULL, {day}, {at})",
                    member + 2
                ));
            }
            c.execute_batch(
                format!(
                    "INSERT INTO points_ledger (community_id, user_id, amount, rule, event_id, subject_kind, subject_id, from_user_id, reason, reverses_id, day, created_at) VALUES {}",
                    rows.join(",")
                )
                .as_str(),
            )
            .await?;
            written += n;
        }
        tx.commit().await?;
    }
    let mut tx = db.write().await?;
    let c = tx.conn();
    let with_points: Vec<(usize, i64)> = balances.iter().copied().enumerate().filter(|(_, b)| *b != 0).collect();
    for chunk in with_points.chunks(2000) {
        let rows: Vec<String> = chunk.iter().map(|(m, b)| format!("(1, {}, {b}, 0)", m + 2)).collect();
        c.execute_batch(
            format!(
                "INSERT INTO points_balances (community_id, user_id, balance, top_level) VALUES {}",
                rows.join(",")
            )
            .as_str(),
        )
        .await?;
    }
    let totals: Vec<((usize, u32), i64)> = totals.into_iter().collect();
    for chunk in totals.chunks(2000) {
        let rows: Vec<String> =
            chunk.iter().map(|((m, p), v)| format!("(1, '{}', {}, {v})", period_names[*p as usize], m + 2)).collect();
        c.execute_batch(
            format!("INSERT INTO points_periods (community_id, period, user_id, points) VALUES {}", rows.join(","))
                .as_str(),
        )
        .await?;
    }
    tx.commit().await?;
    {
        let mut c = db.read().await?;
        if db.backend() == yaji_store::Backend::Sqlite {
            c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").await?;
        }
        c.execute_batch("ANALYZE").await?;
    }
    let seeded = seeding.elapsed().as_secs_f64();

    let app = App::new(db.clone(), AppConfig { hash_cost: HashCost::Fast, session_days: 30, ..Default::default() });
    let viewer = Viewer { id: 2, site_admin: false };
    let owner = Viewer { id: 1, site_admin: false };
    let runs = 1000;
    let raw = time("raw ranking query (all time, top 50)", runs, |_| {
        let db = db.clone();
        async move {
            let mut c = db.read().await?;
            repo::leaderboard(&mut c, 1, None, 50).await?;
            Ok(())
        }
    })
    .await?;
    let mut rows = vec![];
    for (name, period) in [("all time", Period::All), ("this month", Period::Month), ("this week", Period::Week)] {
        let app = &app;
        rows.push(
            time(&format!("leaderboard use case, {name}"), runs, |_| async move {
                let b = app.leaderboard(Some(viewer), "club", period).await?;
                anyhow::ensure!(b.entries.len() == 50, "a full board");
                Ok(())
            })
            .await?,
        );
    }
    let app_ref = &app;
    rows.push(
        time("a member's points page (balance, level, 100 history rows)", runs, |i| async move {
            // The most active members have the longest histories.
            app_ref.member_points(Some(owner), "club", &format!("m{}", i % 100)).await?;
            Ok(())
        })
        .await?,
    );
    let writes = 2000;
    // The owner's rows: the bare inserts leave members' ledgers equal to their balances.
    let bare = time("bare ledger insert (own transaction)", writes, |_| {
        let db = db.clone();
        async move {
            let mut tx = db.write().await?;
            tx.conn()
                .execute_batch(
                    format!("INSERT INTO points_ledger (community_id, user_id, amount, rule, reason, day, created_at) VALUES (1, 1, 1, 'manual', 'bench', {today}, {now})")
                        .as_str(),
                )
                .await?;
            tx.commit().await?;
            Ok(())
        }
    })
    .await?;
    let adjust = time("staff adjustment use case", writes, |i| async move {
        app_ref.adjust_points(owner, "club", &format!("m{}", (i * 7919) % members), 3, "bench").await?;
        Ok(())
    })
    .await?;
    // Reads while awards arrive: one writer awards points without pause
    // while the month's board is read.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (app, stop) = (app.clone(), stop.clone());
        tokio::spawn(async move {
            let (mut n, t) = (0usize, Instant::now());
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                app.adjust_points(owner, "club", &format!("m{}", (n * 104_729) % members), 1, "bench").await?;
                n += 1;
            }
            Ok::<_, anyhow::Error>(n as f64 / t.elapsed().as_secs_f64())
        })
    };
    let during = time("leaderboard use case, this month, while awards arrive", runs, |_| async move {
        app_ref.leaderboard(Some(viewer), "club", Period::Month).await?;
        Ok(())
    })
    .await?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let awards_per_s = writer.await??;
    {
        let mut c = db.read().await?;
        let sum = repo::ledger_sum(&mut c, 1, 2).await?;
        let bal = repo::balance(&mut c, 1, 2).await?.map_or(0, |b| b.0);
        anyhow::ensure!(sum == bal, "member 2: ledger {sum} vs balance {bal}");
    }

    println!("## points ({backend}, {events} ledger rows, {members} members, seeded in {seeded:.0} s)\n");
    println!("| operation | p50 ms | p99 ms | p50 vs baseline |");
    println!("|---|---:|---:|---:|");
    println!("| {} (baseline) | {:.2} | {:.2} | 1.0 |", raw.name, raw.p50, raw.p99);
    for r in &rows {
        println!("| {} | {:.2} | {:.2} | {:.1} |", r.name, r.p50, r.p99, r.p50 / raw.p50);
    }
    println!("| {} (baseline) | {:.2} | {:.2} | 1.0 |", bare.name, bare.p50, bare.p99);
    println!("| {} | {:.2} | {:.2} | {:.1} |", adjust.name, adjust.p50, adjust.p99, adjust.p50 / bare.p50);
    println!("| {} | {:.2} | {:.2} | {:.1} |", during.name, during.p50, during.p99, during.p50 / raw.p50);
    println!();
    println!(
        "Awards per second, one writer: {:.0} staff adjustments (ledger row, balance, periods, audit event) vs {:.0} bare inserts; {awards_per_s:.0}/s while the board was read.",
        1000.0 / adjust.p50,
        1000.0 / bare.p50
    );
    println!();
    println!("ratio={:.2}", rows[0].p50 / raw.p50);
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
