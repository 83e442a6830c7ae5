//! Yaji benchmarks. `yaji-bench api --yaji PATH` seeds a database (100,000
//! members, 1,000,000 posts by default), runs `yaji serve` from PATH and a bare
//! axum endpoint as separate processes, and measures each workload twice:
//! peak throughput (closed loop) and p99 latency at 50% of that peak (open
//! loop, latency counted from the scheduled send time). It prints a Markdown
//! table whose last line is `ratio=<feed rps / bare rps>`.

mod analytics;
mod assistant;
mod gatherings;
mod load;
mod moderation;
mod points;
mod seed;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::load::{Stats, Target};

// The same allocator as `yaji`, so the bare endpoint and the load generator get it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    cmd: String,
    yaji: String,
    members: usize,
    posts: usize,
    secs: u64,
    conns: usize,
    database_url: Option<String>,
    listen: String,
    keep: Option<String>,
}

fn args() -> Result<Args> {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        cmd: it.next().unwrap_or_default(),
        yaji: "target/release/yaji".into(),
        members: 100_000,
        posts: 1_000_000,
        secs: 8,
        conns: 32,
        database_url: None,
        listen: "127.0.0.1:0".into(),
        keep: None,
    };
    while let Some(flag) = it.next() {
        let v = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--yaji" => a.yaji = v,
            "--members" => a.members = v.parse()?,
            "--posts" => a.posts = v.parse()?,
            "--secs" => a.secs = v.parse()?,
            "--conns" => a.conns = v.parse()?,
            "--database-url" => a.database_url = Some(v),
            "--listen" => a.listen = v,
            "--keep" => a.keep = Some(v),
            _ => bail!("unknown flag {flag}"),
        }
    }
    Ok(a)
}

fn main() -> Result<()> {
    let a = args()?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match a.cmd.as_str() {
        "bare" => rt.block_on(bare(&a.listen)),
        "api" => rt.block_on(api(a)),
        "moderation" => moderation::run(a.posts.min(100_000_000)),
        "assistant" => rt.block_on(assistant::run(a.database_url.clone(), a.members, a.secs, a.conns.min(64))),
        "analytics" => analytics::run(a.posts, a.members as u32, a.secs as i32),
        "points" => rt.block_on(points::run(a.database_url.clone(), a.posts, a.members)),
        "gatherings" => rt.block_on(gatherings::run(a.database_url.clone(), a.members)),
        "probe" => rt.block_on(probe(a.database_url.as_deref().context("probe needs --database-url")?)),
        _ => bail!("usage: yaji-bench api [--yaji PATH] [--members N] [--posts N] [--secs S] [--conns C] [--database-url URL] | bare --listen ADDR | moderation [--posts N] | assistant [--members N] [--secs WINDOW] [--conns WORKERS] [--database-url URL] | points [--posts LEDGER_ROWS] [--members N] [--database-url URL] | gatherings [--members N] [--database-url URL] | probe --database-url URL"),
    }
}

/// `yaji-bench probe --database-url URL`: per-execution cost of queries
/// through the storage layer, to tell driver overhead from SQL cost
/// (compare with the same SQL in the database's own shell).
async fn probe(url: &str) -> Result<()> {
    let db = yaji_store::Db::connect(url).await?;
    let mut c = db.read().await?;
    let time =
        |label: &str, t: Instant, n: u32| println!("{label}: {:.1} us", t.elapsed().as_secs_f64() / n as f64 * 1e6);
    let t = Instant::now();
    for _ in 0..2000 {
        yaji_store::repo::community::by_slug(&mut c, "bench").await?;
    }
    time("community by slug (1 row)", t, 2000);
    for limit in [2i64, 21] {
        let t = Instant::now();
        for _ in 0..2000 {
            yaji_store::repo::content::feed(&mut c, 1, &yaji_domain::content::Feed::Latest, None, limit).await?;
        }
        time(&format!("feed page ({limit} rows)"), t, 2000);
    }
    let t = Instant::now();
    for _ in 0..2000 {
        yaji_store::repo::content::pinned(&mut c, 1).await?;
    }
    time("pinned posts (0 rows)", t, 2000);
    let join = "SELECT p.id, u.username, t.name FROM posts p JOIN users u ON u.id = p.author_id LEFT JOIN topics t ON t.id = p.topic_id WHERE p.community_id = $1 AND p.pinned = 1 AND p.deleted_at IS NULL ORDER BY p.created_at DESC, p.id DESC LIMIT 5";
    let t = Instant::now();
    for _ in 0..2000 {
        yaji_store::sql::query(join).bind(1i64).execute(&mut c).await?;
    }
    time("3-column join, 0 rows, through yaji_store::sql", t, 2000);
    if let Some(path) = url.strip_prefix("sqlite://") {
        // The same statements on a bare rusqlite connection: what the query layer adds.
        let raw = rusqlite::Connection::open(path.split('?').next().unwrap_or(path))?;
        // As the store sets it: without it the pinned join is re-parsed on every run.
        raw.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        let t = Instant::now();
        for _ in 0..2000 {
            let mut st = raw.prepare_cached(join)?;
            let mut rows = st.query([1i64])?;
            while rows.next()?.is_some() {}
        }
        time("3-column join, 0 rows, bare rusqlite", t, 2000);
        let feed = yaji_store::repo::content::feed_sql(&yaji_domain::content::Feed::Latest);
        let t = Instant::now();
        for _ in 0..2000 {
            let mut st = raw.prepare_cached(&feed)?;
            let mut rows = st.query(rusqlite::params![1i64, None::<i64>, i64::MAX, i64::MAX, 21i64])?;
            while let Some(r) = rows.next()? {
                for i in 0..r.as_ref().column_count() {
                    let _ = r.get_ref(i)?;
                }
            }
        }
        time("feed page (21 rows), bare rusqlite", t, 2000);
    }
    Ok(())
}

/// The baseline: axum answering a fixed JSON body, nothing else.
async fn bare(listen: &str) -> Result<()> {
    let body = r#"{"posts":[],"pinned":[],"next_cursor":null}"#;
    let app = axum::Router::new()
        .route("/", axum::routing::get(move || async move { ([("content-type", "application/json")], body) }));
    let l = tokio::net::TcpListener::bind(listen).await?;
    println!("{}", l.local_addr()?);
    axum::serve(l, app).await?;
    Ok(())
}

fn free_addr() -> Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    fn rss_mib(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.0.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            })
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

async fn wait_healthy(addr: SocketAddr, path: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if load::get_ok(addr, path).await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("server at {addr} did not become healthy")
}

async fn measure(name: &str, t: &Target, a: &Args) -> Result<(Stats, Stats)> {
    // Warm up caches and connections.
    load::closed_loop(t, a.conns, Duration::from_secs(1)).await?;
    let peak = load::closed_loop(t, a.conns, Duration::from_secs(a.secs)).await?;
    let half = load::open_loop(t, a.conns, peak.rps() / 2.0, Duration::from_secs(a.secs)).await?;
    eprintln!("  {name}: {:.0} req/s peak, p99 {:.2} ms at {:.0} req/s", peak.rps(), half.p99_ms(), half.rps());
    Ok((peak, half))
}

async fn api(a: Args) -> Result<()> {
    // `--keep DIR` seeds into DIR and leaves it there (for profiling); reused if already seeded.
    let dir = a
        .keep
        .as_ref()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("yaji-bench-{}", std::process::id())));
    std::fs::create_dir_all(&dir)?;
    let url = a.database_url.clone().unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("yaji.db").display()));
    eprintln!("seeding {} members and {} posts into {}", a.members, a.posts, yaji_store::redact(&url));
    let t0 = Instant::now();
    let seeded = seed::seed(&url, a.members, a.posts).await?;
    let seed_secs = t0.elapsed().as_secs_f64();
    eprintln!("  seeded in {seed_secs:.1} s");

    let bare_addr = free_addr()?;
    let bare = Proc(
        Command::new(std::env::current_exe()?)
            .args(["bare", "--listen", &bare_addr.to_string()])
            .stdout(Stdio::null())
            .spawn()?,
    );
    let yaji_addr = free_addr()?;
    // One member writes every benchmark comment, thousands a second: far past any
    // per-member write limit, so the limits are off here (docs/benchmarks.md).
    std::fs::write(dir.join("yaji.toml"), "[limits]\ncomments_per_minute = 0\ncomments_per_hour = 0\n")?;
    let mut cmd = Command::new(&a.yaji);
    cmd.args(["serve", "--data-dir", &dir.display().to_string(), "--listen", &yaji_addr.to_string()])
        .env("YAJI_LOG", "warn")
        .stdout(Stdio::null());
    if let Some(u) = &a.database_url {
        cmd.env("DATABASE_URL", u);
    }
    let server = Proc(cmd.spawn().with_context(|| format!("starting {}", a.yaji))?);
    wait_healthy(bare_addr, "/").await?;
    wait_healthy(yaji_addr, "/healthz").await?;

    let bare_t = Target::get(bare_addr, "/");
    let feed_t = Target::get(yaji_addr, "/api/v1/communities/bench/posts");
    let feed_member_t = Target::get_as(yaji_addr, "/api/v1/communities/bench/posts", &seeded.token);
    let post_t = Target::get(yaji_addr, &format!("/api/v1/posts/{}", seeded.post_with_comments));
    let comment_t = Target::post_comments(yaji_addr, seeded.recent_posts.clone(), &seeded.token);

    let (bare_peak, bare_half) = measure("bare axum endpoint", &bare_t, &a).await?;
    let (feed_peak, feed_half) = measure("community feed (JSON)", &feed_t, &a).await?;
    let (feedm_peak, feedm_half) = measure("community feed (JSON, logged in)", &feed_member_t, &a).await?;
    let (post_peak, post_half) = measure("post with 50 comments", &post_t, &a).await?;
    let (cm_peak, cm_half) = measure("create a comment", &comment_t, &a).await?;
    let rss = server.rss_mib();
    drop(server);
    drop(bare);
    if a.keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }

    let backend = if a.database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    println!(
        "| workload ({backend}, {} members, {} posts) | peak req/s | ratio to bare | p99 at 50% load | errors |",
        a.members, a.posts
    );
    println!("|---|---:|---:|---:|---:|");
    let base = bare_peak.rps();
    for (name, peak, half) in [
        ("bare axum endpoint (fixed JSON)", &bare_peak, &bare_half),
        ("GET community feed (JSON, 20 posts), anonymous", &feed_peak, &feed_half),
        ("GET community feed, logged in (bearer token)", &feedm_peak, &feedm_half),
        ("GET post with 50 comments", &post_peak, &post_half),
        ("POST create a comment", &cm_peak, &cm_half),
    ] {
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} ms | {} |",
            peak.rps(),
            peak.rps() / base,
            half.p99_ms(),
            peak.errors + half.errors
        );
    }
    println!();
    println!("seed: {seed_secs:.1} s; server peak RSS: {rss:.0} MiB; {} connections, {} s per run", a.conns, a.secs);
    println!("ratio={:.3}", feed_peak.rps() / base);
    Ok(())
}
