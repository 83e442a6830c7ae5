//! `yaji`: the one binary. CLI parsing and wiring only; behaviour lives in
//! the app, store and server crates.

mod config;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use yaji_app::{accounts::Registration, App, AppConfig, AppError};
use yaji_domain::moderation::{ModerationSettings, RuleSet};
use yaji_store::Db;

use crate::config::Settings;

// Many small short-lived allocations per request on every worker thread: mimalloc's
// per-thread heaps avoid the lock and consolidation costs of glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "yaji", version, about = "Yaji (雅集): self-hosted community operations platform")]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Default)]
pub struct Common {
    /// Data directory (SQLite database, config). Default ./yaji-data
    #[arg(long, global = true, env = "YAJI_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL (or SQLite) URL; overrides the SQLite file in the data directory
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Optional TOML configuration file. Default: <data-dir>/yaji.toml if present
    #[arg(long, global = true, env = "YAJI_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (JSON API, web UI, metrics)
    Serve(ServeArgs),
    /// Apply database migrations and exit
    Migrate,
    /// Fill the database with the demo communities (no-op if already there)
    Demo,
    /// Administration tasks
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Moderation tools
    #[command(subcommand)]
    Moderation(ModerationCommand),
    /// Run a job worker alone (welcome messages and other background jobs) until SIGTERM
    Worker,
    /// FAQ tools
    #[command(subcommand)]
    Faq(FaqCommand),
    /// Import data from elsewhere
    #[command(subcommand)]
    Import(ImportCommand),
    /// Lottery tools
    #[command(subcommand)]
    Lottery(LotteryCommand),
    /// Print a community's analytics (DAU/WAU/MAU, stickiness, retention cohorts) as JSON
    Analytics {
        /// The community's slug
        #[arg(long)]
        community: String,
        /// First local day, YYYY-MM-DD (default: 29 days before --to)
        #[arg(long)]
        from: Option<String>,
        /// Last local day, YYYY-MM-DD (default: today)
        #[arg(long)]
        to: Option<String>,
        /// Time zone for days and weeks (default: the community's)
        #[arg(long)]
        tz: Option<String>,
        /// Print JSON (the only format today)
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum LotteryCommand {
    /// Recompute a drawn lottery from its published result and check every
    /// step: the secret against the commitment, the entries hash, the seed and
    /// the winners (algorithm yaji-lottery-v1, see docs/challenges.md). Needs
    /// no database. Exits 1 if anything differs.
    Verify {
        /// The result: a file of the JSON from `GET /api/v1/lotteries/{id}/result`,
        /// `-` for stdin, or that URL itself (http or https)
        source: String,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// An activity log as JSON lines `{"community","member","kind","at"}` (RFC 3339
    /// times; kinds post, comment, reaction, checkin, join, …). Communities and
    /// members are created as needed; importing the same file twice changes nothing.
    Activity {
        /// The file (`-` for stdin)
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum FaqCommand {
    /// Match questions (`{"id","text"}` per line on stdin) against an FAQ file
    /// (`{"id","questions":[...],"answer"}` per line); prints
    /// `{"id","match","score"}` per line, `match` null below the threshold.
    Match {
        /// The FAQ as JSON lines; no database needed
        #[arg(long, required_unless_present = "community")]
        faq: Option<PathBuf>,
        /// Use this community's FAQ from the database instead
        #[arg(long, conflicts_with = "faq")]
        community: Option<String>,
        /// Confidence needed to answer (0-1)
        #[arg(long, default_value_t = yaji_domain::faq::DEFAULT_THRESHOLD)]
        threshold: f64,
    },
}

#[derive(Subcommand)]
enum ModerationCommand {
    /// Classify messages in bulk without a running server: reads JSON lines
    /// `{"id","text","author_age_days"}` on stdin, prints one
    /// `{"id","action","rules":[{"rule","class","span"}]}` per line. Without
    /// --community (and --settings) the built-in default rules with every detector on.
    Check {
        /// Use this community's rules from the database
        #[arg(long)]
        community: Option<String>,
        /// Use a settings document (JSON, as in the API) instead; no database needed
        #[arg(long, conflicts_with = "community")]
        settings: Option<PathBuf>,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on. Default 127.0.0.1:8080
    #[arg(long, env = "YAJI_LISTEN")]
    listen: Option<String>,
    /// Seed the demo communities on first start
    #[arg(long, env = "YAJI_DEMO")]
    demo: bool,
    /// Do not run the job worker in this process (run `yaji worker` elsewhere)
    #[arg(long, env = "YAJI_NO_WORKER")]
    no_worker: bool,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user (with --admin: a site administrator)
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long, env = "YAJI_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "")]
        display_name: String,
        #[arg(long)]
        admin: bool,
    },
    /// Print a new bearer API token for a user
    CreateToken {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Set a user's password
    ResetPassword {
        #[arg(long)]
        username: String,
        #[arg(long, env = "YAJI_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Make an existing user a site administrator
    MakeAdmin {
        #[arg(long)]
        username: String,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let settings = Settings::resolve(&cli.common)?;
    config::init_logging(&settings);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(run(cli.command, settings))
}

async fn open(settings: &Settings) -> Result<App> {
    if settings.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating {}", settings.data_dir.display()))?;
    }
    let db = Db::connect(&settings.database_url)
        .await
        .with_context(|| format!("connecting to {}", yaji_store::redact(&settings.database_url)))?;
    db.migrate().await.context("migrating the database")?;
    Ok(App::new(
        db,
        AppConfig {
            webhook_allow: settings.webhook_allow.clone(),
            mail: settings.mail.clone(),
            limits: settings.limits,
            ..AppConfig::default()
        },
    ))
}

/// `yaji lottery verify`: reads a published result and recomputes it.
async fn verify_lottery(source: &str) -> Result<()> {
    let text = if source.starts_with("http://") || source.starts_with("https://") {
        let r = reqwest::get(source).await.with_context(|| format!("fetching {source}"))?;
        anyhow::ensure!(r.status().is_success(), "fetching {source}: HTTP {}", r.status());
        r.text().await?
    } else if source == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(source).with_context(|| format!("reading {source}"))?
    };
    let published: yaji_domain::lotteries::Published =
        serde_json::from_str(&text).context("not a lottery result (GET /api/v1/lotteries/{id}/result)")?;
    let v = yaji_domain::lotteries::verify(&published).map_err(|e| anyhow::anyhow!(e))?;
    let mark = |ok: bool| if ok { "ok  " } else { "FAIL" };
    println!("{} secret matches the commitment {}", mark(v.commitment_ok), published.commitment);
    println!("{} entries hash over {} entries", mark(v.entries_hash_ok), published.entries.len());
    println!("{} seed = sha256(secret, entries hash, {:?})", mark(v.seed_ok), published.operator_value);
    println!("{} winners as published:", mark(v.winners_ok));
    for (ticket, prize) in &v.winners {
        println!("       {prize}: ticket {ticket}");
    }
    anyhow::ensure!(v.ok(), "the published result does not verify");
    println!("verified");
    Ok(())
}

fn app_err(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid(f) => anyhow::anyhow!("{}: {}", f.field, f.message),
        other => anyhow::anyhow!("{other}"),
    }
}

async fn run(cmd: Command, settings: Settings) -> Result<()> {
    match cmd {
        Command::Serve(args) => {
            let app = open(&settings).await?;
            if args.demo || settings.demo {
                let report = app.seed_demo(true).await.map_err(app_err)?;
                if let Some(r) = report {
                    tracing::info!(
                        communities = r.communities,
                        members = r.members,
                        posts = r.posts,
                        comments = r.comments,
                        reactions = r.reactions,
                        "seeded demo data"
                    );
                }
            }
            let listen = args.listen.unwrap_or_else(|| settings.listen.clone());
            let listener =
                tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("listening on {listen}"))?;
            let addr = listener.local_addr()?;
            let cfg = yaji_server::ServerConfig {
                trusted_proxies: settings.trusted_proxies.clone(),
                secure_cookies: settings.secure_cookies,
                metrics_token: settings.metrics_token.clone(),
                metrics_separate: settings.metrics_listen.is_some(),
            };
            let (router, metrics_router) = yaji_server::routers(app.clone(), cfg);
            if let Some(addr) = &settings.metrics_listen {
                let l = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("listening on {addr}"))?;
                println!("Metrics at http://{}/metrics", l.local_addr()?);
                tokio::spawn(async move { yaji_server::serve(l, metrics_router).await });
            }
            println!("Yaji is running at http://{addr}/  (database: {})", yaji_store::redact(&settings.database_url));
            if app.needs_setup().await.unwrap_or(false) {
                // The token proves ownership of the server: it is shown where only the
                // operator looks, and stops working once an administrator exists.
                println!(
                    "First visit: open http://{addr}/setup and enter the setup token {} to create the site administrator.",
                    app.setup_token()
                );
                tracing::warn!(
                    setup_token = app.setup_token(),
                    "no site administrator yet: /setup asks for this token"
                );
            }
            // The job worker runs beside the server and stops after it.
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let worker = (!args.no_worker).then(|| {
                let app = app.clone();
                let name = format!("serve-{}", std::process::id());
                tokio::spawn(async move { app.run_worker(name, async { stopped.await.unwrap_or(()) }).await })
            });
            yaji_server::serve(listener, router).await?;
            let _ = stop.send(());
            if let Some(w) = worker {
                let _ = w.await;
            }
            app.db().close().await;
            Ok(())
        }
        Command::Moderation(ModerationCommand::Check { community, settings: file }) => {
            let rules = match (community, file) {
                (Some(slug), _) => open(&settings).await?.community_rule_set(&slug).await.map_err(app_err)?,
                (None, Some(path)) => {
                    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                    let s: ModerationSettings =
                        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
                    std::sync::Arc::new(
                        RuleSet::compile(&s).map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?,
                    )
                }
                (None, None) => std::sync::Arc::new(RuleSet::defaults()),
            };
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            let errors =
                yaji_app::moderation::check_lines(&rules, stdin.lock(), &mut std::io::BufWriter::new(stdout.lock()))?;
            if errors > 0 {
                eprintln!("{errors} line(s) could not be read; see the \"error\" objects in the output");
            }
            Ok(())
        }
        Command::Import(ImportCommand::Activity { file }) => import_activity(&settings, &file).await,
        Command::Lottery(LotteryCommand::Verify { source }) => verify_lottery(&source).await,
        Command::Analytics { community, from, to, tz, json: _ } => {
            let app = open(&settings).await?;
            let d =
                app.analytics_cli(&community, from.as_deref(), to.as_deref(), tz.as_deref()).await.map_err(app_err)?;
            println!("{}", serde_json::to_string_pretty(&d)?);
            Ok(())
        }
        Command::Faq(FaqCommand::Match { faq, community, threshold }) => {
            let mut entries = vec![];
            if let Some(slug) = community {
                entries = open(&settings).await?.faq_file(&slug).await.map_err(app_err)?;
            }
            if let Some(faq) = faq {
                let text = std::fs::read_to_string(&faq).with_context(|| format!("reading {}", faq.display()))?;
                for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                    let e: yaji_domain::faq::FaqEntry =
                        serde_json::from_str(line).with_context(|| format!("{}: line {}", faq.display(), n + 1))?;
                    entries.push(e);
                }
            }
            let index = yaji_domain::faq::FaqIndex::build(&entries);
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            yaji_app::faq::match_lines(&index, threshold, std::io::stdin().lock(), &mut out)?;
            Ok(())
        }
        Command::Worker => {
            let app = open(&settings).await?;
            app.run_worker(format!("worker-{}", std::process::id()), yaji_server::shutdown_signal()).await;
            app.db().close().await;
            Ok(())
        }
        Command::Migrate => {
            open(&settings).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Demo => {
            let app = open(&settings).await?;
            match app.seed_demo(false).await.map_err(app_err)? {
                Some(r) => println!(
                    "demo ready: {} communities, {} members, {} posts, {} comments, {} reactions",
                    r.communities, r.members, r.posts, r.comments, r.reactions
                ),
                None => println!("demo data already present; nothing to do"),
            }
            Ok(())
        }
        Command::Admin(a) => {
            let app = open(&settings).await?;
            match a {
                AdminCommand::CreateUser { username, password, display_name, admin } => {
                    let r = Registration {
                        username: &username,
                        password: &password,
                        display_name: &display_name,
                        locale: "",
                        time_zone: "",
                    };
                    let u = match app.create_user(r, admin).await {
                        Ok(u) => u,
                        // Re-running with --admin promotes an existing account instead of failing.
                        Err(AppError::Conflict { code: "username_taken", .. }) if admin => {
                            app.make_site_admin(&username).await.map_err(app_err)?
                        }
                        Err(e) => return Err(app_err(e)),
                    };
                    println!(
                        "user {} (id {}){}",
                        u.username,
                        u.id,
                        if u.is_site_admin { " is a site administrator" } else { "" }
                    );
                }
                AdminCommand::CreateToken { username, name } => {
                    let t = app.create_token_for(&username, &name).await.map_err(app_err)?;
                    println!("{}", t.secret);
                }
                AdminCommand::ResetPassword { username, password } => {
                    app.set_password(&username, &password).await.map_err(app_err)?;
                    println!("password changed for {username}");
                }
                AdminCommand::MakeAdmin { username } => {
                    let u = app.make_site_admin(&username).await.map_err(app_err)?;
                    println!("{} is now a site administrator", u.username);
                }
            }
            Ok(())
        }
    }
}

/// Streams the file in batches of 2,000 lines, one transaction each, with a
/// progress bar on stderr and every rejected line reported with its number.
async fn import_activity(settings: &Settings, file: &std::path::Path) -> Result<()> {
    use std::io::BufRead;
    let app = open(settings).await?;
    let (reader, size): (Box<dyn BufRead>, u64) = if file.as_os_str() == "-" {
        (Box::new(std::io::BufReader::new(std::io::stdin())), 0)
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        let size = f.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(std::io::BufReader::new(f)), size)
    };
    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {per_sec} eta {eta} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut state = yaji_app::import::ImportState::default();
    let (mut imported, mut duplicates, mut rejected) = (0u64, 0u64, 0usize);
    let mut batch: Vec<(usize, String)> = Vec::with_capacity(2_000);
    let mut lines = reader.lines().enumerate();
    loop {
        let next = lines.next();
        if let Some((i, line)) = &next {
            let line = line.as_ref().map_err(|e| anyhow::anyhow!("reading line {}: {e}", i + 1))?.clone();
            bar.inc(line.len() as u64 + 1);
            batch.push((i + 1, line));
        }
        if batch.len() >= 2_000 || (next.is_none() && !batch.is_empty()) {
            let r = app.import_activity_batch(&mut state, &batch).await.map_err(app_err)?;
            imported += r.imported;
            duplicates += r.duplicates;
            for (n, why) in &r.rejected {
                rejected += 1;
                bar.suspend(|| eprintln!("line {n}: rejected: {why}"));
            }
            bar.set_message(format!("{imported} imported, {duplicates} already there, {rejected} rejected"));
            batch.clear();
        }
        if next.is_none() {
            break;
        }
    }
    app.finish_import(&state).await.map_err(app_err)?;
    bar.finish_and_clear();
    println!(
        "{imported} events imported, {duplicates} already there, {rejected} lines rejected; {} communities, {} members",
        state.counts().0,
        state.counts().1
    );
    if rejected > 0 {
        std::process::exit(2);
    }
    Ok(())
}
