//! Lotteries through the API: the stable paths, one entry each under racing
//! requests, the draw after the close, idempotent under concurrent clicks,
//! the result verified by an implementation written here from the
//! documented algorithm (not the server's code), eligibility rules, entry
//! costs in points, prizes delivered.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use yaji_testkit::*;

fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// `yaji-lottery-v1` from its description in docs/challenges.md, in a
/// different shape: u128 arithmetic for the rejection bound, an explicit
/// removal loop. Returns (ticket, prize) pairs.
fn independent_draw(r: &Value) -> Vec<(String, String)> {
    let secret = r["secret"].as_str().unwrap();
    assert_eq!(sha(secret.as_bytes()), r["commitment"].as_str().unwrap(), "the secret matches the commitment");
    let entries = r["entries"].as_array().unwrap();
    let tickets: Vec<&str> = entries.iter().map(|e| e["ticket"].as_str().unwrap()).collect();
    let hash = sha(tickets.join("\n").as_bytes());
    assert_eq!(hash, r["entries_hash"].as_str().unwrap());
    let seed = sha(format!("{secret}\n{hash}\n{}", r["operator_value"].as_str().unwrap()).as_bytes());
    assert_eq!(seed, r["seed"].as_str().unwrap());
    let seed_bytes = hex::decode(&seed).unwrap();
    let mut counter: u64 = 0;
    let mut uniform = |n: usize| -> usize {
        let bound: u128 = (1u128 << 64) - ((1u128 << 64) % n as u128);
        loop {
            let mut input = seed_bytes.clone();
            input.extend_from_slice(&counter.to_be_bytes());
            counter += 1;
            let d = Sha256::digest(&input);
            let x = u64::from_be_bytes(d[..8].try_into().unwrap()) as u128;
            if x < bound {
                return (x % n as u128) as usize;
            }
        }
    };
    let mut pool: Vec<(String, i64)> = entries
        .iter()
        .filter(|e| e["eligible"].as_bool().unwrap())
        .map(|e| (e["ticket"].as_str().unwrap().to_string(), e["holder"].as_i64().unwrap()))
        .collect();
    let mut out = vec![];
    for p in r["prizes"].as_array().unwrap() {
        for _ in 0..p["quantity"].as_i64().unwrap() {
            if pool.is_empty() {
                return out;
            }
            let (ticket, holder) = pool[uniform(pool.len())].clone();
            let mut kept = vec![];
            for e in pool {
                if e.1 != holder {
                    kept.push(e);
                }
            }
            pool = kept;
            out.push((ticket, p["name"].as_str().unwrap().to_string()));
        }
    }
    out
}

fn in_an_hour() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(1))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

async fn setup(t: &TestApp, n: usize) -> (User, Vec<User>) {
    let owner = t.user("owner").await;
    owner.post("/api/v1/communities", community("club", "open")).await;
    let mut members = vec![];
    for i in 0..n {
        let u = t.user(&format!("m{i:02}")).await;
        u.post("/api/v1/communities/club/join", json!({})).await;
        members.push(u);
    }
    (owner, members)
}

story! {
    async fn draws_verify_independently_and_a_second_click_draws_nothing_new(t: TestApp) {
        let (owner, members) = setup(&t, 16).await;
        let url = "/api/v1/communities/club/lotteries";
        let body = json!({"title": "年终抽奖", "prizes": [{"name": "一等奖 · 茶饼", "quantity": 1}, {"name": "二等奖 · 书签", "quantity": 3}], "entries_close_at": in_an_hour()});
        assert_error(&members[0].post(url, body.clone()).await, 403, "insufficient_role", None);
        assert_error(&owner.post(url, json!({"title": "x", "prizes": [], "entries_close_at": in_an_hour()})).await, 422, "invalid_length", Some("prizes"));
        assert_error(&owner.post(url, json!({"title": "x", "prizes": [{"name": "a", "quantity": 1}], "entries_close_at": "2020-01-01T00:00"})).await, 422, "out_of_range", Some("entries_close_at"));
        let (s, l) = owner.post(url, body).await;
        assert_eq!(s, StatusCode::CREATED, "{l}");
        let id = l["id"].as_i64().unwrap();
        let commitment = l["commitment"].as_str().unwrap().to_string();
        assert_eq!(commitment.len(), 64);

        // Everyone enters twice at once: one entry each (the default), the rest refused.
        let entries = format!("/api/v1/lotteries/{id}/entries");
        let path = entries.as_str();
        let tries = join_all(members.iter().flat_map(|m| [m.post(path, json!({})), m.post(path, json!({}))])).await;
        let made = tries.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
        let refused = tries.iter().filter(|(s, v)| *s == StatusCode::CONFLICT && v["error"]["code"] == "entry_limit").count();
        assert_eq!((made, refused), (16, 16), "{tries:?}");
        // Staff may enter, but cannot win unless the lottery says so.
        assert_eq!(owner.post(path, json!({})).await.0, StatusCode::CREATED);
        let (_, before) = owner.get(&format!("/api/v1/lotteries/{id}/result")).await;
        assert!(before["secret"].is_null() && before["entries"].as_array().unwrap().is_empty(), "nothing leaks before the draw");
        assert_error(&owner.post(&format!("/api/v1/lotteries/{id}/draw"), json!({})).await, 409, "entries_open", None);

        // After the close: preview, then ten concurrent clicks draw once.
        t.exec(&format!("UPDATE lotteries SET closes_at = 1 WHERE id = {id}")).await;
        assert_error(&members[0].post(path, json!({})).await, 409, "entries_closed", None);
        let (_, prev) = owner.get(&format!("/api/v1/lotteries/{id}/eligible")).await;
        assert_eq!((prev["count"].as_i64(), prev["entrants"].as_i64()), (Some(16), Some(17)), "{prev}");
        assert_error(&members[0].post(&format!("/api/v1/lotteries/{id}/draw"), json!({})).await, 403, "insufficient_role", None);
        owner.put(&format!("/api/v1/lotteries/{id}/operator-value"), json!({"value": "福彩 3D 2026337: 4 1 8"})).await;
        let draw = format!("/api/v1/lotteries/{id}/draw");
        let clicks = join_all((0..10).map(|_| owner.post(&draw, json!({})))).await;
        assert!(clicks.iter().all(|(s, _)| *s == StatusCode::OK), "{clicks:?}");
        assert!(clicks.iter().all(|(_, r)| r["winners"] == clicks[0].1["winners"]));
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM lottery_winners WHERE lottery_id = {id}")).await, 4);
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'lottery_drawn'").await, 1);
        assert_eq!(t.count("SELECT COUNT(*) FROM lotteries WHERE result_post_id IS NOT NULL").await, 1);
        assert_error(&owner.put(&format!("/api/v1/lotteries/{id}/operator-value"), json!({"value": "x"})).await, 409, "already_drawn", None);

        // Anyone can verify: the published result, recomputed here.
        let visitor = t.user("visitor").await;
        let (_, r) = visitor.get(&format!("/api/v1/lotteries/{id}/result")).await;
        assert_eq!(r["commitment"].as_str(), Some(commitment.as_str()), "the commitment did not move");
        assert_eq!(r["entries"].as_array().unwrap().len(), 17);
        let winners: Vec<(String, String)> = r["winners"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| (w["ticket"].as_str().unwrap().to_string(), w["prize"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(independent_draw(&r), winners);
        assert!(r["winners"].as_array().unwrap().iter().all(|w| w["username"] != "owner"), "staff cannot win");
        // Each winner holds the ticket they were given; winners are told.
        for w in r["winners"].as_array().unwrap() {
            let m = members.iter().find(|m| m.name == w["username"].as_str().unwrap()).unwrap();
            let (_, mine) = m.get(&format!("/api/v1/lotteries/{id}")).await;
            assert_eq!(mine["my_tickets"][0], w["ticket"]);
            assert_eq!(t.count(&format!("SELECT COUNT(*) FROM notifications WHERE user_id = {} AND kind = 'lottery_won'", m.id)).await, 1);
        }
        // A tampered result does not verify.
        let mut bad = r.clone();
        bad["operator_value"] = json!("福彩 3D 2026337: 4 1 9");
        let caught = std::panic::catch_unwind(|| independent_draw(&bad));
        assert!(caught.is_err(), "a changed public value changes the seed");

        // Prizes delivered, by staff.
        let (_, l) = owner.post(&format!("/api/v1/lotteries/{id}/winners/1/delivered"), json!({})).await;
        assert_eq!(l["winners"][0]["delivered"], true);
        assert_error(&members[0].post(&format!("/api/v1/lotteries/{id}/winners/2/delivered"), json!({})).await, 403, "insufficient_role", None);
    }
}

story! {
    async fn eligibility_and_entry_costs_decide_who_can_win(t: TestApp) {
        let (owner, members) = setup(&t, 6).await;
        // Points: m00..m02 have 20, the others none.
        for m in &members[..3] {
            owner.post(&format!("/api/v1/communities/club/members/{}/points", m.name), json!({"amount": 20, "reason": "活跃"})).await;
        }
        let url = "/api/v1/communities/club/lotteries";
        let body = json!({
            "title": "积分抽奖", "prizes": [{"name": "徽章", "quantity": 5}], "entries_close_at": in_an_hour(),
            "cost": 5, "max_entries": 2, "eligibility": {"min_points": 10},
        });
        let (s, l) = owner.post(url, body).await;
        assert_eq!(s, StatusCode::CREATED, "{l}");
        let id = l["id"].as_i64().unwrap();
        let path = format!("/api/v1/lotteries/{id}/entries");
        // No points, no entry (and nothing written).
        assert_error(&members[4].post(&path, json!({})).await, 409, "insufficient_points", None);
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM lottery_entries WHERE lottery_id = {id}")).await, 0);
        // m00 enters twice (10 points, 10 left: still eligible); m01 once (15 left); m02 twice then tries a third.
        for (i, n) in [(0, 2), (1, 1), (2, 2)] {
            for _ in 0..n {
                let (s, e) = members[i].post(&path, json!({})).await;
                assert_eq!((s, e["points_spent"].as_i64()), (StatusCode::CREATED, Some(5)), "{e}");
            }
        }
        assert_error(&members[2].post(&path, json!({})).await, 409, "entry_limit", None);
        assert_eq!(t.count("SELECT COUNT(*) FROM points_ledger WHERE rule = 'lottery_entry' AND amount = -5").await, 5);
        // m02 spends more points elsewhere: 10 → falls below the minimum at the draw.
        owner.post(&format!("/api/v1/communities/club/members/{}/points", members[2].name), json!({"amount": -5, "reason": "兑换"})).await;
        t.exec(&format!("UPDATE lotteries SET closes_at = 1 WHERE id = {id}")).await;
        let (_, prev) = owner.get(&format!("/api/v1/lotteries/{id}/eligible")).await;
        assert_eq!((prev["count"].as_i64(), prev["entrants"].as_i64()), (Some(2), Some(3)), "{prev}");
        let (s, r) = owner.post(&format!("/api/v1/lotteries/{id}/draw"), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let mut names: Vec<&str> = r["winners"].as_array().unwrap().iter().map(|w| w["username"].as_str().unwrap()).collect();
        names.sort_unstable();
        assert_eq!(names, ["m00", "m01"], "five prizes, two eligible members, one prize each");
        assert_eq!(r["entries"].as_array().unwrap().iter().filter(|e| e["eligible"] == false).count(), 2);
        assert_eq!(independent_draw(&r).len(), 2);
        // The ledger still sums to the balances after a recompute (entries replayed as spent).
        let (_, p0) = members[0].get("/api/v1/communities/club/members/m00/points").await;
        owner.post("/api/v1/communities/club/points/recompute", json!({})).await;
        let (_, p1) = members[0].get("/api/v1/communities/club/members/m00/points").await;
        assert_eq!((p0["balance"].as_i64(), p1["balance"].as_i64()), (Some(10), Some(10)));
        // A streak rule names a challenge of this community.
        let bad = json!({"title": "x", "prizes": [{"name": "a", "quantity": 1}], "entries_close_at": in_an_hour(), "eligibility": {"challenge_id": 999, "streak_days": 7}});
        assert_error(&owner.post(url, bad).await, 422, "unknown_challenge", Some("eligibility.challenge_id"));
    }
}
