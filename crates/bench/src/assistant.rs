//! `yaji-bench assistant`: N members join within a window (default 100,000 in
//! 60 s): each join's welcome job is committed as a join would commit it, while
//! one worker (as in `yaji serve`) processes them. Reports jobs per second, the
//! lag from join to welcome (p50/p99), and the scheduler's precision on 10,000
//! jobs scheduled over the following seconds (time from due to done).

use std::time::{Duration, Instant};

use anyhow::Result;
use yaji_app::{App, AppConfig, HashCost};
use yaji_store::repo::jobs;
use yaji_store::Db;

fn pct(v: &mut [i64], p: f64) -> i64 {
    v.sort_unstable();
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
}

pub async fn run(url: Option<String>, members: usize, window_secs: u64, workers: usize) -> Result<()> {
    let dir = tempfile_dir()?;
    let url = url.unwrap_or_else(|| format!("sqlite://{dir}/yaji.db?mode=rwc"));
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let backend = if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    crate::seed::club_with_members(&db, members, false).await?;
    let app = App::new(db.clone(), AppConfig { hash_cost: HashCost::Fast, session_days: 30, ..Default::default() });
    // Several workers stand for several nodes (PostgreSQL); SQLite has one writer anyway.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let handles: Vec<_> = (0..workers.max(1))
        .map(|k| {
            let app = app.clone();
            let mut rx = stopped.clone();
            tokio::spawn(async move {
                app.run_worker(format!("bench-{k}"), async move {
                    let _ = rx.wait_for(|s| *s).await;
                })
                .await
            })
        })
        .collect();

    // Joins arrive evenly over the window, in 10 ms ticks; each tick's jobs commit in one transaction.
    let start = Instant::now();
    let ticks = window_secs * 100;
    let mut next = 0usize;
    for tick in 1..=ticks {
        let upto = (members as u64 * tick / ticks) as usize;
        let now = yaji_store::now_millis();
        let mut tx = db.write().await?;
        for i in next..upto {
            let payload = format!("{{\"community_id\":1,\"user_id\":{}}}", i + 2);
            let key = format!("welcome:1:{}:0", i + 2);
            let j = jobs::NewJob {
                kind: "welcome",
                payload: &payload,
                dedupe_key: Some(&key),
                community_id: Some(1),
                run_at: now,
                max_attempts: 8,
            };
            jobs::enqueue(tx.conn(), &j, now).await?;
        }
        tx.commit().await?;
        app.wake_workers();
        next = upto;
        let due = start + Duration::from_millis(tick * 10);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
    let produced = start.elapsed();
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            let mut c = db.read().await?;
            anyhow::Ok(yaji_store::sql::query_scalar::<i64>(sql).fetch_one(&mut c).await?)
        }
    };
    while count("SELECT COUNT(*) FROM jobs WHERE status <> 'done'").await? > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drained = start.elapsed();
    let mut lags: Vec<i64> = {
        let mut c = db.read().await?;
        yaji_store::sql::query_scalar("SELECT finished_at - created_at FROM jobs WHERE kind = 'welcome'")
            .fetch_all(&mut c)
            .await?
    };

    // Scheduler precision: 10,000 jobs due over the next 10 s.
    let n_sched = 10_000usize.min(members);
    let base = yaji_store::now_millis() + 1_000;
    {
        let mut tx = db.write().await?;
        for i in 0..n_sched {
            let payload = format!("{{\"community_id\":1,\"user_id\":{}}}", i + 2);
            let key = format!("scheduled:{i}");
            let at = base + (i as i64 * 10_000 / n_sched as i64);
            let j = jobs::NewJob {
                kind: "welcome",
                payload: &payload,
                dedupe_key: Some(&key),
                community_id: Some(1),
                run_at: at,
                max_attempts: 8,
            };
            jobs::enqueue(tx.conn(), &j, base - 1_000).await?;
        }
        tx.commit().await?;
    }
    while count("SELECT COUNT(*) FROM jobs WHERE status <> 'done'").await? > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut late: Vec<i64> = {
        let mut c = db.read().await?;
        yaji_store::sql::query_scalar("SELECT finished_at - run_at FROM jobs WHERE dedupe_key LIKE 'scheduled:%'")
            .fetch_all(&mut c)
            .await?
    };
    let _ = stop.send(true);
    for h in handles {
        let _ = h.await;
    }
    let welcomes = count("SELECT COUNT(*) FROM notifications WHERE kind = 'welcome'").await?;

    let arrival = members as f64 / produced.as_secs_f64();
    let rate = members as f64 / drained.as_secs_f64();
    println!("| assistant ({backend}, {} worker(s)) | value |", workers.max(1));
    println!("|---|---:|");
    println!("| members joining | {members} in {:.1} s ({arrival:.0}/s) |", produced.as_secs_f64());
    println!("| welcome jobs processed per second (all done after {:.1} s) | {rate:.0} |", drained.as_secs_f64());
    println!(
        "| lag join → welcome p50 / p99 / max | {} / {} / {} ms |",
        pct(&mut lags, 0.5),
        pct(&mut lags, 0.99),
        pct(&mut lags, 1.0)
    );
    println!(
        "| scheduler: {n_sched} jobs due over 10 s, due → done p50 / p99 / max | {} / {} / {} ms |",
        pct(&mut late, 0.5),
        pct(&mut late, 0.99),
        pct(&mut late, 1.0)
    );
    println!("| welcome notifications written | {welcomes} (expected {}) |", members + n_sched);
    println!("ratio={:.3}", rate / arrival);
    db.close().await;
    Ok(())
}

fn tempfile_dir() -> Result<String> {
    let d = std::env::temp_dir().join(format!("yaji-bench-assistant-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d.display().to_string())
}
