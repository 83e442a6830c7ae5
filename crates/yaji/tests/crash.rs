//! Exactly-once under a crash: `yaji worker` is killed with SIGKILL in the
//! middle of its jobs, started again, and every recipient must end up with
//! exactly one notification: 1,000 welcome jobs, and the reminders of 200
//! gatherings to their 1,000 registered people (never to the cancelled).
//! On SQLite and on PostgreSQL.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use yaji_store::repo::jobs;
use yaji_store::Db;

const MEMBERS: i64 = 1_000;

fn worker(url: &str, dir: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_yaji"))
        .args(["worker", "--data-dir"])
        .arg(dir)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("start yaji worker")
}

async fn count(db: &Db, sql: &str) -> i64 {
    let mut c = db.read().await.unwrap();
    yaji_store::sql::query_scalar(sql).fetch_one(&mut c).await.unwrap()
}

async fn seed(db: &Db) {
    db.migrate().await.unwrap();
    let mut tx = db.write().await.unwrap();
    let c = tx.conn();
    c.execute_batch(
        "INSERT INTO users (username, display_name, password_hash, created_at) VALUES ('owner', 'Owner', '!', 0)",
    )
    .await
    .unwrap();
    c.execute_batch(
        "INSERT INTO communities (slug, name, description, visibility, join_policy, time_zone, owner_id, created_at, updated_at)
         VALUES ('club', 'Club', '', 'public', 'open', 'Asia/Shanghai', 1, 0, 0)",
    )
    .await
    .unwrap();
    let users: Vec<String> = (0..MEMBERS).map(|i| format!("('m{i}', 'Member {i}', '!', 0)")).collect();
    c.execute_batch(
        format!("INSERT INTO users (username, display_name, password_hash, created_at) VALUES {}", users.join(","))
            .as_str(),
    )
    .await
    .unwrap();
    let members: Vec<String> = (0..MEMBERS).map(|i| format!("(1, {}, 'member', 'active', 0, 0)", i + 2)).collect();
    c.execute_batch(
        format!(
            "INSERT INTO memberships (community_id, user_id, role, state, joined_at, state_changed_at) VALUES {}",
            members.join(",")
        )
        .as_str(),
    )
    .await
    .unwrap();
    for i in 0..MEMBERS {
        let payload = format!("{{\"community_id\":1,\"user_id\":{}}}", i + 2);
        let key = format!("welcome:1:{}:0", i + 2);
        let j = jobs::NewJob {
            kind: "welcome",
            payload: &payload,
            dedupe_key: Some(&key),
            community_id: Some(1),
            run_at: 0,
            max_attempts: 8,
        };
        jobs::enqueue(c, &j, 0).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// Runs a worker over the seeded jobs, kills it after `kill_after` are done,
/// lets the leases lapse and runs another to the end (`total` jobs done).
async fn kill_and_recover(db: &Db, url: &str, dir: &std::path::Path, total: i64, kill_after: i64) -> i64 {
    let mut w = worker(url, dir);
    let start = Instant::now();
    loop {
        let done = count(db, "SELECT COUNT(*) FROM jobs WHERE status = 'done'").await;
        if done >= kill_after {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "worker made no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    w.kill().unwrap(); // SIGKILL, mid-batch
    w.wait().unwrap();
    let done = count(db, "SELECT COUNT(*) FROM jobs WHERE status = 'done'").await;
    assert!(done < total, "killed before the end ({done} done)");

    // Jobs the dead worker held come back when their lease ends; age it instead of waiting a minute.
    {
        let mut tx = db.write().await.unwrap();
        tx.conn().execute_batch("UPDATE jobs SET locked_until = 0 WHERE status = 'running'").await.unwrap();
        tx.commit().await.unwrap();
    }
    let mut w = worker(url, dir);
    let start = Instant::now();
    while count(db, "SELECT COUNT(*) FROM jobs WHERE status = 'done'").await < total {
        assert!(start.elapsed() < Duration::from_secs(120), "recovery did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    w.kill().unwrap();
    w.wait().unwrap();
    done
}

async fn crash_and_recover(url: &str, dir: &std::path::Path) {
    let db = Db::connect(url).await.unwrap();
    seed(&db).await;
    let done = kill_and_recover(&db, url, dir, MEMBERS, 100).await;
    let notes = count(&db, "SELECT COUNT(*) FROM notifications WHERE kind = 'welcome'").await;
    let distinct = count(&db, "SELECT COUNT(DISTINCT user_id) FROM notifications WHERE kind = 'welcome'").await;
    assert_eq!((notes, distinct), (MEMBERS, MEMBERS), "every member welcomed exactly once (killed after {done})");
    db.close().await;
}

#[tokio::test]
async fn welcome_jobs_run_exactly_once_across_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("yaji.db").display());
    crash_and_recover(&url, dir.path()).await;

    // The same on PostgreSQL, in a database the kit drops afterwards.
    let pg = yaji_testkit::TestDb::empty(yaji_testkit::Backend::Postgres).await;
    crash_and_recover(&pg.url, dir.path()).await;
}

const EVENTS: i64 = 200;
const PER_EVENT: i64 = 6;

/// 200 gatherings starting in two hours, six registrations each (one of
/// them cancelled), and each gathering's one-hour reminder job due now.
async fn seed_gatherings(db: &Db) {
    seed(db).await;
    let mut tx = db.write().await.unwrap();
    let c = tx.conn();
    c.execute_batch("DELETE FROM jobs").await.unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let starts = now + 2 * 3_600_000;
    let def = serde_json::to_string(
        &yaji_domain::gatherings::EventInput {
            title: "茶会".into(),
            starts_at: chrono::DateTime::from_timestamp_millis(starts).unwrap().to_rfc3339(),
            ends_at: chrono::DateTime::from_timestamp_millis(starts + 3_600_000).unwrap().to_rfc3339(),
            reminders: Some(vec![60]),
            ..Default::default()
        }
        .validate(chrono_tz::Asia::Shanghai)
        .unwrap(),
    )
    .unwrap();
    for e in 1..=EVENTS {
        c.execute_batch(&format!(
            "INSERT INTO events (community_id, title, starts_at, ends_at, def, created_by, created_at, updated_at)
             VALUES (1, '茶会', {starts}, {}, '{def}', 1, 0, 0)",
            starts + 3_600_000
        ))
        .await
        .unwrap();
        let regs: Vec<String> = (0..PER_EVENT)
            .map(|k| {
                let user = 2 + (e * PER_EVENT + k) % MEMBERS;
                let status = if k == 0 { "cancelled" } else { "registered" };
                format!("({e}, {user}, '{status}', 'T{e:04}K{k}', {now}, {now}, {now})")
            })
            .collect();
        c.execute_batch(&format!(
            "INSERT INTO event_registrations (event_id, user_id, status, ticket_code, queued_at, created_at, updated_at) VALUES {}",
            regs.join(",")
        ))
        .await
        .unwrap();
        let payload = format!("{{\"community_id\":1,\"event_id\":{e},\"minutes\":60,\"starts_at\":{starts},\"at\":0}}");
        let key = format!("event_reminder:{e}:60:{starts}");
        let j = jobs::NewJob {
            kind: "event_reminder",
            payload: &payload,
            dedupe_key: Some(&key),
            community_id: Some(1),
            run_at: 0,
            max_attempts: 8,
        };
        jobs::enqueue(c, &j, 0).await.unwrap();
    }
    tx.commit().await.unwrap();
}

async fn reminders_crash_and_recover(url: &str, dir: &std::path::Path) {
    let db = Db::connect(url).await.unwrap();
    seed_gatherings(&db).await;
    let done = kill_and_recover(&db, url, dir, EVENTS, 20).await;
    let expected = EVENTS * (PER_EVENT - 1);
    let notes = count(&db, "SELECT COUNT(*) FROM notifications WHERE kind = 'event_reminder'").await;
    let claimed = count(&db, "SELECT COUNT(*) FROM event_reminders").await;
    let cancelled = count(
        &db,
        "SELECT COUNT(*) FROM event_reminders m JOIN event_registrations r ON r.id = m.registration_id
         WHERE r.status = 'cancelled'",
    )
    .await;
    assert_eq!(
        (notes, claimed, cancelled),
        (expected, expected, 0),
        "each registered person reminded once (killed after {done})"
    );
    db.close().await;
}

#[tokio::test]
async fn gathering_reminders_go_exactly_once_across_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("yaji.db").display());
    reminders_crash_and_recover(&url, dir.path()).await;
    let pg = yaji_testkit::TestDb::empty(yaji_testkit::Backend::Postgres).await;
    reminders_crash_and_recover(&pg.url, dir.path()).await;
}
