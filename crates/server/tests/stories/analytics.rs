//! Analytics figures against an independent SQL computation over the same
//! activity log, on SQLite and (when configured) PostgreSQL.

use reqwest::StatusCode;
use serde_json::{json, Value};
use yaji_testkit::*;

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

story! {
    async fn dashboard_figures_match_sql_over_the_same_log(t: TestApp) {
        let b = t.backend;
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
    }
}

story! {
    /// The content, member and growth figures of a community used through the API
    /// (real payloads: invites, topics, a question, replies, reactions, a member who
    /// leaves and rejoins, one who leaves for good), against SQL over the content tables.
    async fn content_and_growth_figures_match_sql(t: TestApp) {
        let b = t.backend;
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let (_, topic) = owner.post("/api/v1/communities/club/topics", json!({"name": "tea"})).await;
        let topic_id = topic["id"].as_i64().unwrap();
        let (_, inv) = owner.post("/api/v1/communities/club/invites", json!({})).await;
        let code = inv["code"].as_str().unwrap();
        let (ana, bo, cai, dee) = (t.user("ana").await, t.user("bob").await, t.user("cai").await, t.user("dee").await);
        for u in [&ana, &bo] {
            let (st, _) = u.post("/api/v1/communities/club/join", json!({"invite_code": code})).await;
            assert_eq!(st, StatusCode::OK);
        }
        for u in [&cai, &dee] {
            u.post("/api/v1/communities/club/join", json!({})).await;
        }
        // dee leaves and comes back: one join in the funnel.
        dee.post("/api/v1/communities/club/leave", json!({})).await;
        dee.post("/api/v1/communities/club/join", json!({})).await;

        let mut ids = vec![];
        for (u, title, topic) in [
            (&ana, "How do I brew oolong?", Some(topic_id)),
            (&ana, "Tasting notes", Some(topic_id)),
            (&bo, "Hello all", None),
        ] {
            let body = json!({"title": title, "body": format!("{title} — details"), "topic_id": topic});
            ids.push(u.post("/api/v1/communities/club/posts", body).await.1["id"].as_i64().unwrap());
        }
        let (question, note, hello) = (ids[0], ids[1], ids[2]);
        bo.post(&format!("/api/v1/posts/{question}/comments"), json!({"body": "Hot water, short steeps."})).await;
        ana.post(&format!("/api/v1/posts/{note}/comments"), json!({"body": "Adding more later."})).await;
        owner.post(&format!("/api/v1/posts/{hello}/comments"), json!({"body": "Welcome!"})).await;
        for (u, p) in [(&cai, question), (&bo, question), (&ana, hello), (&bo, note)] {
            u.post(&format!("/api/v1/posts/{p}/reactions"), json!({"emoji": "👍"})).await;
        }
        cai.post("/api/v1/communities/club/leave", json!({})).await;
        // dee and cai went quiet 20 days ago (cai has left since; dee is still a member).
        t.exec(&format!(
            "UPDATE activity_events SET occurred_at = occurred_at - {} WHERE actor_id IN ({}, {})",
            20 * DAY,
            dee.id,
            cai.id
        ))
        .await;

        let (st, d) = owner.get("/api/v1/communities/club/analytics").await;
        assert_eq!(st, StatusCode::OK, "{d}");

        // Contributors, against the posts, comments and reactions tables.
        for row in d["top_contributors"].as_array().unwrap().iter().chain(d["kols"].as_array().unwrap()) {
            let id = row["user_id"].as_i64().unwrap();
            let tr = &t;
            let q = |sql: String| async move { tr.count(&sql).await };
            assert_eq!(
                row["posts"].as_i64().unwrap(),
                q(format!("SELECT COUNT(*) FROM posts WHERE author_id = {id}")).await
            );
            assert_eq!(
                row["comments"].as_i64().unwrap(),
                q(format!("SELECT COUNT(*) FROM comments WHERE author_id = {id}")).await
            );
            let replies = format!(
                "SELECT COUNT(*) FROM comments c JOIN posts p ON p.id = c.post_id WHERE p.author_id = {id} AND c.author_id <> {id}"
            );
            assert_eq!(row["replies_received"].as_i64().unwrap(), q(replies).await, "{b:?} {row}");
            let reactions = format!(
                "SELECT COUNT(*) FROM reactions r JOIN posts p ON p.id = r.post_id WHERE p.author_id = {id} AND r.user_id <> {id}"
            );
            assert_eq!(row["reactions_received"].as_i64().unwrap(), q(reactions).await, "{b:?} {row}");
        }
        assert_eq!(d["top_contributors"][0]["username"], "ana");
        assert_eq!(d["kols"][0]["username"], "ana", "answered and reacted to by the most: {}", d["kols"]);

        // Response: posts with a comment by someone else, and the median wait for it.
        let waits = t
            .pairs(
                "SELECT p.id, MIN(c.created_at) - p.created_at FROM posts p JOIN comments c
                 ON c.post_id = p.id AND c.author_id <> p.author_id GROUP BY p.id, p.created_at ORDER BY 2",
            )
            .await;
        let r = &d["response"]["posts"];
        assert_eq!(r["posts"].as_i64().unwrap(), t.count("SELECT COUNT(*) FROM posts").await);
        assert_eq!(r["answered"].as_i64().unwrap(), waits.len() as i64);
        let median = (waits[0].1 + waits[1].1) as f64 / 2.0 / 60_000.0;
        assert!((r["median_minutes"].as_f64().unwrap() - median).abs() < 1e-9);
        assert_eq!(
            (d["response"]["questions"]["posts"].as_i64(), d["response"]["questions"]["answered"].as_i64()),
            (Some(1), Some(1))
        );

        // Per topic and per hour of the week.
        let tea = d["topics"].as_array().unwrap().iter().find(|x| x["topic_id"] == topic_id).unwrap();
        assert_eq!(tea["name"], "tea");
        assert_eq!(
            tea["posts"].as_i64().unwrap(),
            t.count(&format!("SELECT COUNT(*) FROM posts WHERE topic_id = {topic_id}")).await
        );
        let tea_interactions = t
            .count(&format!(
                "SELECT (SELECT COUNT(*) FROM comments c JOIN posts p ON p.id = c.post_id WHERE p.topic_id = {topic_id})
                      + (SELECT COUNT(*) FROM reactions r JOIN posts p ON p.id = r.post_id WHERE p.topic_id = {topic_id})"
            ))
            .await;
        assert_eq!(tea["interactions"].as_i64().unwrap(), tea_interactions);
        let cells = d["hour_of_week"].as_array().unwrap();
        assert_eq!(cells.len(), 168);
        assert_eq!(cells.iter().map(|c| c["posts"].as_i64().unwrap()).sum::<i64>(), 3);

        // Funnel and referral, against memberships and invites.
        let funnel: Vec<i64> = d["funnel"].as_array().unwrap().iter().map(|s| s["count"].as_i64().unwrap()).collect();
        assert_eq!(funnel[0], 4, "ana, bo, cai, dee — dee once: {funnel:?}");
        assert_eq!(funnel[2], 2, "ana and bo posted");
        assert_eq!(d["referral"]["invites_sent"].as_i64().unwrap(), t.count("SELECT COUNT(*) FROM invites").await);
        assert_eq!(
            d["referral"]["invited_joins"].as_i64().unwrap(),
            t.count("SELECT COUNT(*) FROM memberships WHERE invited_by IS NOT NULL").await
        );
        let top = &d["referral"]["top_inviters"][0];
        assert_eq!(
            (top["username"].as_str(), top["invited"].as_i64(), top["tree"].as_i64()),
            (Some("owner"), Some(2), Some(2))
        );

        // Tiers on the last day, and the silent members still in the community.
        let last = d["tiers"].as_array().unwrap().last().unwrap().clone();
        let total: i64 = ["new", "active", "core", "silent", "churned"].iter().map(|k| last[k].as_i64().unwrap()).sum();
        assert_eq!(total, d["members"].as_i64().unwrap());
        assert_eq!(last["silent"].as_i64().unwrap(), 2, "{last}");
        let silent: Vec<&str> =
            d["silent_members"].as_array().unwrap().iter().map(|m| m["username"].as_str().unwrap()).collect();
        assert_eq!(silent, vec!["dee"], "cai has left");

        // Every table downloads as CSV; an unknown one is refused.
        for table in [
            "tiers",
            "funnel",
            "referral",
            "topics",
            "hour_of_week",
            "top_contributors",
            "kols",
            "silent_members",
            "rates",
        ] {
            let r = owner
                .client
                .get(format!("{}/c/club/analytics.csv?table={table}", owner.base))
                .bearer_auth(&owner.token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{table}");
            let text = r.text().await.unwrap();
            assert!(text.lines().count() >= 2, "{table}: {text}");
        }
        let r = owner
            .client
            .get(format!("{}/c/club/analytics.csv?table=passwords", owner.base))
            .bearer_auth(&owner.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
