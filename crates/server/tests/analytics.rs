//! Analytics figures against an independent SQL computation over the same
//! activity log, on SQLite and (when configured) PostgreSQL.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;

/// A randomized history: 40 members over 50 days, skewed, written straight into the log.
async fn seed(t: &TestApp, community_id: i64, members: &[i64], base_day: i64) {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut values = Vec::new();
    for _ in 0..1_500 {
        let m = if next() % 3 == 0 {
            members[(next() % members.len() as u64) as usize]
        } else {
            members[(next() % 8) as usize]
        };
        let day = base_day + (next() % 50) as i64;
        let at = day * DAY + (next() % DAY as u64) as i64;
        values.push(format!("('post_created', {community_id}, {m}, 'post', 0, {at}, '{{}}')"));
    }
    for chunk in values.chunks(300) {
        t.exec(&format!(
            "INSERT INTO activity_events (kind, community_id, actor_id, subject_kind, subject_id, occurred_at, payload) VALUES {}",
            chunk.join(",")
        ))
        .await;
    }
}

async fn distinct(t: &TestApp, cid: i64, from_day: i64, to_day: i64) -> i64 {
    t.count(&format!(
        "SELECT COUNT(DISTINCT actor_id) FROM activity_events WHERE community_id = {cid} AND actor_id IS NOT NULL
         AND occurred_at >= {} AND occurred_at < {}",
        from_day * DAY,
        (to_day + 1) * DAY
    ))
    .await
}

fn day_of(date: &Value) -> i64 {
    let d = chrono::NaiveDate::parse_from_str(date.as_str().unwrap(), "%Y-%m-%d").unwrap();
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days()
}

#[tokio::test]
async fn dashboard_figures_match_sql_over_the_same_log() {
    for b in backends() {
        let t = TestApp::spawn(b).await;
        let owner = t.user("owner").await;
        let (_, c) = owner.post("/api/v1/communities", community("club", "open")).await;
        let cid = c["id"].as_i64().unwrap();
        let mut members = vec![owner.id];
        // Members written directly (sign-up is rate limited per address).
        for i in 0..39 {
            t.exec(&format!(
                "INSERT INTO users (username, display_name, password_hash, created_at) VALUES ('member{i}', 'm{i}', '!', 0)"
            ))
            .await;
            members.push(t.count(&format!("SELECT id FROM users WHERE username = 'member{i}'")).await);
        }
        t.exec("INSERT INTO users (username, display_name, password_hash, created_at) VALUES ('latecomer', 'late', '!', 0)").await;
        // Move the real events (joins, today) out of the way: the history below is what counts.
        t.exec(&format!("UPDATE activity_events SET occurred_at = {} WHERE community_id = {cid}", 19_990 * DAY)).await;
        seed(&t, cid, &members, 20_000).await;

        let (st, d) = owner.get("/api/v1/communities/club/analytics?from=2024-10-01&to=2024-11-10&tz=UTC").await;
        assert_eq!(st, StatusCode::OK, "{d}");
        for (key, window) in [("dau", 1), ("wau", 7), ("mau", 30)] {
            for p in d[key].as_array().unwrap() {
                let day = day_of(&p["date"]);
                assert_eq!(
                    p["count"].as_i64().unwrap(),
                    distinct(&t, cid, day - window + 1, day).await,
                    "{b:?} {key} {}",
                    p["date"]
                );
            }
        }
        // Daily retention: cohort = day of first event; retained[k] = cohort members active on day + k.
        for c in d["retention_daily"].as_array().unwrap() {
            let start = day_of(&c["cohort_start"]);
            let cohort = format!(
                "SELECT actor_id FROM activity_events WHERE community_id = {cid} AND actor_id IS NOT NULL
                 GROUP BY actor_id HAVING MIN(occurred_at) >= {} AND MIN(occurred_at) < {}",
                start * DAY,
                (start + 1) * DAY
            );
            assert_eq!(c["size"].as_i64().unwrap(), t.count(&format!("SELECT COUNT(*) FROM ({cohort}) c")).await);
            for (k, n) in c["retained"].as_array().unwrap().iter().enumerate() {
                let day = start + k as i64;
                let sql = format!(
                    "SELECT COUNT(DISTINCT actor_id) FROM activity_events WHERE community_id = {cid} AND occurred_at >= {}
                     AND occurred_at < {} AND actor_id IN ({cohort})",
                    day * DAY,
                    (day + 1) * DAY
                );
                assert_eq!(n.as_i64().unwrap(), t.count(&sql).await, "{b:?} cohort {} k {k}", c["cohort_start"]);
            }
        }
        assert!(!d["retention_weekly"].as_array().unwrap().is_empty());
        // Posting rate: members who posted / active members; interaction rate: (comments + reactions) / posts.
        for (i, p) in d["posting_rate"].as_array().unwrap().iter().enumerate() {
            let day = day_of(&p["date"]);
            let (lo, hi) = (day * DAY, (day + 1) * DAY);
            let posters = t
                .count(&format!(
                    "SELECT COUNT(DISTINCT actor_id) FROM activity_events WHERE community_id = {cid} AND kind = 'post_created'
                     AND occurred_at >= {lo} AND occurred_at < {hi}"
                ))
                .await;
            let active = distinct(&t, cid, day, day).await;
            let want = if active == 0 { 0.0 } else { posters as f64 / active as f64 };
            assert!((p["value"].as_f64().unwrap() - want).abs() < 1e-9, "{b:?} {}", p["date"]);
            assert_eq!(d["interaction_rate"][i]["value"], 0.0, "the seeded history has no comments or reactions");
        }

        // New events are picked up by the next request (the engine reads the log incrementally).
        let (_, d1) = owner.get("/api/v1/communities/club/analytics?from=2024-11-13&to=2024-11-13&tz=UTC").await;
        assert_eq!(d1["dau"][0]["count"].as_i64().unwrap(), distinct(&t, cid, 20_040, 20_040).await);
        let late = t.count("SELECT id FROM users WHERE username = 'latecomer'").await;
        let at = 20_040 * DAY + 1_000;
        t.exec(&format!(
            "INSERT INTO activity_events (kind, community_id, actor_id, subject_kind, subject_id, occurred_at, payload)
             VALUES ('comment_created', {cid}, {late}, 'comment', 0, {at}, '{{}}')"
        ))
        .await;
        let (_, d2) = owner.get("/api/v1/communities/club/analytics?from=2024-11-13&to=2024-11-13&tz=UTC").await;
        assert_eq!(d2["dau"][0]["count"].as_i64().unwrap(), d1["dau"][0]["count"].as_i64().unwrap() + 1);
        assert_eq!(d2["members"].as_i64().unwrap(), d1["members"].as_i64().unwrap() + 1);

        // Bad input and permissions.
        assert_error(
            &owner.get("/api/v1/communities/club/analytics?from=yesterday").await,
            422,
            "invalid_date",
            Some("from"),
        );
        assert_error(
            &owner.get("/api/v1/communities/club/analytics?tz=Mars/Base").await,
            422,
            "invalid_time_zone",
            Some("tz"),
        );
        let member = t.user("lurker").await;
        member.post("/api/v1/communities/club/join", json!({})).await;
        assert_error(&member.get("/api/v1/communities/club/analytics").await, 403, "insufficient_role", None);
        t.cleanup().await;
    }
}
