//! `yaji-bench gatherings`: MEMBERS members (default 10,000) all register at
//! once for one gathering with 1,000 seats, through the registration use case
//! (event row lock, seat count, waitlist, ticket, activity event, one
//! transaction each); then the same members try to book contended rooms at
//! once (five rooms, 28 half-hour slots a day, each attempt 1–2 hours at a
//! random start) through the booking use case, where the database refuses
//! overlaps. The baseline, measured in the same run at the same concurrency,
//! is the bare work each must at least do: one INSERT of a registration row,
//! one INSERT of a booking row. Prints throughput, p50 and p99 for each, and
//! the count of overbooked seats and double-booked ranges, which must be 0.
//! The last line is `ratio=<registrations/s ÷ bare inserts/s>`.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{ensure, Result};
use rand::{Rng, SeedableRng};
use tokio::sync::Semaphore;
use yaji_app::accounts::Viewer;
use yaji_app::gatherings::RegisterInput;
use yaji_app::venues::{BookingInput, VenueInput};
use yaji_app::{App, AppConfig, AppError, HashCost};
use yaji_domain::gatherings::EventInput;
use yaji_domain::venues::RoomInput;
use yaji_store::sql::{query, query_scalar};
use yaji_store::Db;

const CAPACITY: i64 = 1_000;
const ROOMS: usize = 5;
/// Requests in flight at once (the connection pool and the runtime bound it
/// anyway; every member's request is queued at once).
const IN_FLIGHT: usize = 256;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1))).copied().unwrap_or(0.0)
}

struct Run {
    name: &'static str,
    per_sec: f64,
    p50: f64,
    p99: f64,
    ok: usize,
}

/// Runs `n` tasks at once (IN_FLIGHT at a time), timing each; `f(i)` says whether it succeeded.
async fn burst<F, Fut>(name: &'static str, n: usize, f: F) -> Result<Run>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<bool>> + Send,
{
    let f = Arc::new(f);
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (f, gate) = (f.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let t = Instant::now();
            let ok = f(i).await?;
            Ok::<_, anyhow::Error>((t.elapsed().as_secs_f64() * 1000.0, ok))
        }));
    }
    let mut ms = Vec::with_capacity(n);
    let mut ok = 0;
    for t in tasks {
        let (m, good) = t.await??;
        ms.push(m);
        ok += usize::from(good);
    }
    let secs = start.elapsed().as_secs_f64();
    Ok(Run { name, per_sec: n as f64 / secs, p50: pct(&mut ms, 0.5), p99: pct(&mut ms, 0.99), ok })
}

async fn count(db: &Db, sql: &str) -> Result<i64> {
    let mut c = db.read().await?;
    Ok(query_scalar(sql).fetch_one(&mut c).await?)
}

pub async fn run(url: Option<String>, members: usize) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("yaji-bench-gatherings-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = url.unwrap_or_else(|| format!("sqlite://{}/yaji.db?mode=rwc", dir.display()));
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let backend = if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    crate::seed::club_with_members(&db, members, true).await?;
    let app = App::new(db.clone(), AppConfig { hash_cost: HashCost::Fast, ..Default::default() });
    let owner = Viewer { id: 1, site_admin: false };
    let soon = |days: i64, h: u32| {
        let d =
            chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive() + chrono::Duration::days(days);
        format!("{d}T{h:02}:00")
    };
    let event = app
        .create_event(
            owner,
            "club",
            EventInput {
                title: "年会".into(),
                starts_at: soon(7, 19),
                ends_at: soon(7, 21),
                capacity: Some(CAPACITY),
                ..Default::default()
            },
        )
        .await?;
    // A scratch event for the baseline's bare inserts.
    let scratch = app
        .create_event(
            owner,
            "club",
            EventInput { title: "scratch".into(), starts_at: soon(8, 19), ends_at: soon(8, 21), ..Default::default() },
        )
        .await?;

    let a = app.clone();
    let id = event.id;
    let register = burst("register (use case)", members, move |i| {
        let a = a.clone();
        async move {
            let v = Viewer { id: i as i64 + 2, site_admin: false };
            let r = a.register_for_event(v, id, RegisterInput::default()).await?;
            Ok(r.status == "registered")
        }
    })
    .await?;
    let d = db.clone();
    let sid = scratch.id;
    let bare = burst("bare registration INSERT", members, move |i| {
        let d = d.clone();
        async move {
            let mut tx = d.write().await?;
            query(
                "INSERT INTO event_registrations (event_id, user_id, status, ticket_code, queued_at, created_at, updated_at)
                 VALUES ($1, $2, 'registered', $3, 0, 0, 0)",
            )
            .binds((sid, i as i64 + 2, format!("B{i:07}")))
            .execute(tx.conn())
            .await?;
            tx.commit().await?;
            Ok(true)
        }
    })
    .await?;
    let registered = count(
        &db,
        &format!("SELECT COUNT(*) FROM event_registrations WHERE event_id = {id} AND status = 'registered'"),
    )
    .await?;
    let taken = count(&db, &format!("SELECT taken FROM events WHERE id = {id}")).await?;
    let overbooked = (registered - CAPACITY).max(0) + (taken - registered).abs();

    // Rooms: five, open 08:00–22:00 on half-hour slots; everyone tries one day at once.
    let venue = app.create_venue(owner, "club", VenueInput { name: "馆".into(), ..Default::default() }).await?;
    let mut rooms = vec![];
    for r in 0..ROOMS {
        let room =
            app.create_room(owner, venue.id, RoomInput { name: format!("房间{r}"), ..Default::default() }).await?;
        rooms.push(room.id);
    }
    let day = soon(3, 0)[..10].to_string();
    let mut rng = rand::rngs::StdRng::seed_from_u64(19);
    let attempts: Arc<Vec<(i64, String, String)>> = Arc::new(
        (0..members)
            .map(|_| {
                let room = rooms[rng.random_range(0..ROOMS)];
                let start = 8 * 60 + rng.random_range(0..26) * 30;
                let len = 60 * rng.random_range(1..=2);
                let hm = |m: i64| format!("{day}T{:02}:{:02}", m / 60, m % 60);
                (room, hm(start), hm((start + len).min(22 * 60)))
            })
            .collect(),
    );
    let a = app.clone();
    let tries = attempts.clone();
    let book = burst("book (use case)", members, move |i| {
        let (a, tries) = (a.clone(), tries.clone());
        async move {
            let (room, s, e) = &tries[i];
            let v = Viewer { id: i as i64 + 2, site_admin: false };
            let input = BookingInput { starts_at: s.clone(), ends_at: e.clone(), purpose: None, repeat_weeks: None };
            match a.book_room(v, *room, input).await {
                Ok(_) => Ok(true),
                Err(AppError::Taken { .. }) => Ok(false),
                Err(e) => Err(e.into()),
            }
        }
    })
    .await?;
    // The baseline: a bare INSERT of each attempt into a room of its own (the constraint still applies).
    let scratch_rooms: Vec<i64> = {
        let mut v = vec![];
        for r in 0..ROOMS {
            v.push(
                app.create_room(owner, venue.id, RoomInput { name: format!("空房{r}"), ..Default::default() })
                    .await?
                    .id,
            );
        }
        v
    };
    let d = db.clone();
    let tries = attempts.clone();
    let raw_rooms = Arc::new((rooms.clone(), scratch_rooms));
    let bare_book = burst("bare booking INSERT", members, move |i| {
        let (d, tries, raw_rooms) = (d.clone(), tries.clone(), raw_rooms.clone());
        async move {
            let (room, s, e) = &tries[i];
            let room = raw_rooms.1[raw_rooms.0.iter().position(|r| r == room).unwrap_or(0)];
            let ms = |t: &str| {
                yaji_domain::time::instant("t", t, chrono_tz::Asia::Shanghai).unwrap_or_default()
            };
            // A deadlock between two overlapping inserts (PostgreSQL) is decided by trying again.
            loop {
                let mut tx = d.write().await?;
                let r = query(
                    "INSERT INTO bookings (room_id, user_id, starts_at, ends_at, block_start, block_end, status, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $3, $4, 'confirmed', 0, 0)",
                )
                .binds((room, i as i64 + 2, ms(s), ms(e)))
                .execute(tx.conn())
                .await;
                match r {
                    Ok(_) => match tx.commit().await {
                        Err(e) if e.is_deadlock() => continue,
                        r => return r.map(|_| true).map_err(Into::into),
                    },
                    Err(e) if e.is_deadlock() => continue,
                    Err(e) if e.is_constraint(yaji_store::repo::venues::OVERLAP) => return Ok(false),
                    Err(e) => return Err(e.into()),
                }
            }
        }
    })
    .await?;
    let mut double = 0;
    for r in &rooms {
        let mut c = db.read().await?;
        double += yaji_store::repo::venues::overlaps(&mut c, *r).await?;
    }
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);

    println!("## Gatherings on {backend}: {members} members at once, 1 gathering of {CAPACITY} seats, {ROOMS} rooms\n");
    println!("| workload | per second | p50 ms | p99 ms | succeeded |");
    println!("|---|---:|---:|---:|---:|");
    for r in [&register, &bare, &book, &bare_book] {
        println!("| {} | {:.0} | {:.2} | {:.2} | {} |", r.name, r.per_sec, r.p50, r.p99, r.ok);
    }
    println!("\nregistered {registered} of {members} (capacity {CAPACITY}); overbooked seats: {overbooked}; double-booked ranges: {double}");
    println!("bookings made {} of {members} attempts ({ROOMS} rooms, one day)", book.ok);
    ensure!(overbooked == 0 && double == 0, "capacity or a room was overbooked");
    ensure!(registered == CAPACITY.min(members as i64), "every seat taken");
    println!("ratio={:.3}", register.per_sec / bare.per_sec);
    Ok(())
}
