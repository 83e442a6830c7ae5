//! Venue booking through the API: the stable paths, rooms open 08:00–22:00
//! by default, bad ranges named by field, 1,000 racing attempts at
//! overlapping ranges that end with no overlap (the database refuses it),
//! weekly repeats that report every taken week before writing anything,
//! buffers, booking rules and approval, cancellation deadlines, and a
//! booking turned into a gathering.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use yaji_testkit::*;

/// A local time in Asia/Shanghai `days` from today.
fn at(days: i64, hm: &str) -> String {
    let d = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive() + chrono::Duration::days(days);
    format!("{d}T{hm}")
}

async fn setup(t: &TestApp, members: usize, room: Value) -> (User, Vec<User>, i64) {
    let owner = t.user("owner").await;
    owner.post("/api/v1/communities", community("club", "open")).await;
    let mut out = vec![];
    for i in 0..members {
        let u = t.user(&format!("m{i:02}")).await;
        u.post("/api/v1/communities/club/join", json!({})).await;
        out.push(u);
    }
    let (s, v) = owner.post("/api/v1/communities/club/venues", json!({"name": "雅集茶空间"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, r) = owner.post(&format!("/api/v1/venues/{}/rooms", v["id"]), room).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    (owner, out, r["id"].as_i64().unwrap())
}

async fn book(who: &User, path: &str, d: i64, s: &str, e: &str) -> (StatusCode, Value) {
    who.post(path, json!({"starts_at": at(d, s), "ends_at": at(d, e), "purpose": "练琴"})).await
}

fn rfc(local: &str) -> String {
    format!("{local}:00+08:00")
}

story! {
    async fn a_thousand_racing_attempts_never_double_book_a_room(t: TestApp) {
        let (_, members, room) = setup(&t, 10, json!({"name": "一楼茶室", "capacity": 12, "max_minutes": 180})).await;
        let (_, r) = members[0].get(&format!("/api/v1/rooms/{room}")).await;
        assert_eq!(r["hours"][0], "08:00-22:00", "open every day 08:00–22:00 by default");
        // 1,000 attempts: starts on every half hour from 09:00 to 13:30, 1 to 3 hours long, all on one day.
        let path = format!("/api/v1/rooms/{room}/bookings");
        let attempts: Vec<(usize, String, String)> = (0..1000)
            .map(|i| {
                let start = 9 * 60 + (i * 7 % 10) as i64 * 30;
                let len = 60 + (i * 3 % 3) as i64 * 60;
                let hm = |m: i64| format!("{:02}:{:02}", m / 60, m % 60);
                (i % 10, rfc(&at(3, &hm(start))), rfc(&at(3, &hm(start + len))))
            })
            .collect();
        let answers = join_all(attempts.iter().map(|(who, s, e)| members[*who].post(&path, json!({"starts_at": s, "ends_at": e})))).await;
        let made = answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
        let refused = answers.iter().filter(|(s, v)| *s == StatusCode::CONFLICT && v["error"]["code"] == "booking_conflict").count();
        assert_eq!(made + refused, 1000, "{:?}", answers.iter().find(|(s, _)| *s != StatusCode::CREATED && *s != StatusCode::CONFLICT));
        assert!(made >= 2, "some bookings fit ({made})");
        let overlaps = t.count(&format!(
            "SELECT COUNT(*) FROM bookings a JOIN bookings b ON a.room_id = b.room_id AND a.id < b.id
             WHERE a.room_id = {room} AND a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')
             AND a.block_start < b.block_end AND b.block_start < a.block_end")).await;
        assert_eq!(overlaps, 0);
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'booking_created'").await, made as i64);
        // A refusal names the range that is taken.
        let (_, v) = answers.iter().find(|(s, _)| *s == StatusCode::CONFLICT).unwrap();
        assert_eq!(v["error"]["field"], "starts_at");
        assert!(v["error"]["conflicts"][0]["starts_at"].as_str().unwrap().ends_with('Z'), "{v}");
        // The stable listing: every booking of the day, each with its status.
        let (s, list) = members[0].get(&format!("/api/v1/rooms/{room}/bookings?from={}&to={}", rfc(&at(3, "00:00")).replace('+', "%2B"), rfc(&at(4, "00:00")).replace('+', "%2B"))).await;
        assert_eq!((s, list.as_array().unwrap().len()), (StatusCode::OK, made));
        // Only the booker and staff see who booked.
        let others = list.as_array().unwrap().iter().filter(|b| b["mine"] == false).count();
        assert!(list.as_array().unwrap().iter().filter(|b| b["mine"] == false).all(|b| b["username"].is_null()), "{others}");
    }
}

story! {
    async fn ranges_rules_buffers_repeats_and_deadlines(t: TestApp) {
        let room_def = json!({"name": "琴房", "capacity": 6, "buffer_minutes": 30, "cancel_hours": 24,
            "hours": ["09:00-18:00", "09:00-18:00", "09:00-18:00", "09:00-18:00", "09:00-18:00", "", ""],
            "rules": [{"who": {"kind": "tag", "value": "琴友"}, "days_ahead": 60},
                      {"who": {"kind": "members"}, "days_ahead": 14, "hours_per_week": 2, "approval": true}]});
        let (owner, members, room) = setup(&t, 3, room_def).await;
        let path = format!("/api/v1/rooms/{room}/bookings");
        // Find the next Monday at least two days out (the room is closed at weekends).
        let mut d = 2;
        while chrono::NaiveDate::parse_from_str(&at(d, "00:00")[..10], "%Y-%m-%d").unwrap().format("%u").to_string() != "1" {
            d += 1;
        }
        assert_error(&book(&members[0], &path, d, "08:00", "09:00").await, 422, "outside_hours", Some("starts_at"));
        assert_error(&book(&members[0], &path, d, "10:15", "11:15").await, 422, "off_slot", Some("starts_at"));
        assert_error(&book(&members[0], &path, d, "11:00", "10:00").await, 422, "end_before_start", Some("ends_at"));
        assert_error(&book(&members[0], &path, d, "09:00", "14:00").await, 422, "too_long", Some("ends_at"));
        let sat = json!({"starts_at": at(d + 5, "10:00"), "ends_at": at(d + 5, "11:00")});
        assert_error(&members[0].post(&path, sat).await, 422, "closed", Some("starts_at"));
        let far = json!({"starts_at": at(d + 21, "10:00"), "ends_at": at(d + 21, "11:00")});
        assert_error(&members[0].post(&path, far).await, 422, "too_far_ahead", Some("starts_at"));

        // Members' bookings wait for approval; two hours a week at most.
        let (s, b) = book(&members[0], &path, d, "10:00", "11:00").await;
        assert_eq!((s, b["status"].as_str(), b["occurrences"].as_array().map(Vec::len)), (StatusCode::CREATED, Some("pending"), Some(1)), "{b}");
        let first = b["id"].as_i64().unwrap();
        // The buffer keeps 11:00–11:30 free of another booking.
        assert_error(&book(&members[1], &path, d, "11:00", "12:00").await, 409, "booking_conflict", Some("starts_at"));
        let (s, _) = book(&members[1], &path, d, "11:30", "12:30").await;
        assert_eq!(s, StatusCode::CREATED);
        assert_error(&book(&members[0], &path, d, "14:00", "15:30").await, 422, "weekly_limit", Some("ends_at"));
        // Staff approve; the booker is told.
        assert_error(&members[1].post(&format!("/api/v1/bookings/{first}/decision"), json!({"approve": true})).await, 404, "not_found", None);
        let (s, b) = owner.post(&format!("/api/v1/bookings/{first}/decision"), json!({"approve": true})).await;
        assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("confirmed")));
        assert_eq!(t.count("SELECT COUNT(*) FROM notifications WHERE kind = 'booking_decided'").await, 1);

        // Tagged members book under their own rule: no approval, further ahead.
        let (s, _) = owner.put("/api/v1/communities/club/members/m02/tags/%E7%90%B4%E5%8F%8B", json!({})).await;
        assert!(s.is_success());
        let (s, b) = members[2].post(&path, json!({"starts_at": at(d + 28, "15:00"), "ends_at": at(d + 28, "16:00")})).await;
        assert_eq!((s, b["status"].as_str()), (StatusCode::CREATED, Some("confirmed")), "{b}");
        // A weekly repeat reports every taken week and writes nothing.
        let before = t.count("SELECT COUNT(*) FROM bookings").await;
        let body = json!({"starts_at": at(d, "15:00"), "ends_at": at(d, "16:00"), "repeat_weeks": 6});
        let r = members[2].post(&path, body).await;
        assert_error(&r, 409, "booking_conflict", Some("starts_at"));
        assert_eq!(r.1["error"]["conflicts"].as_array().unwrap().len(), 1);
        assert_eq!(t.count("SELECT COUNT(*) FROM bookings").await, before);
        let (s, b) = members[2].post(&path, json!({"starts_at": at(d, "16:00"), "ends_at": at(d, "17:00"), "repeat_weeks": 3})).await;
        assert_eq!((s, b["occurrences"].as_array().map(Vec::len)), (StatusCode::CREATED, Some(3)), "{b}");

        // Cancelling: the booker until 24 hours before, staff any time; a cancelled slot is free again.
        let (s, c) = members[0].delete(&format!("/api/v1/bookings/{first}")).await;
        if d >= 2 {
            assert_eq!((s, c["status"].as_str()), (StatusCode::OK, Some("cancelled")));
        }
        let (s, _) = book(&members[1], &path, d, "09:00", "10:00").await;
        assert_eq!(s, StatusCode::CREATED);
        // Outsiders may not book a members' room; anyone may, where a rule says so.
        let outsider = t.user("outsider").await;
        assert_error(&book(&outsider, &path, d, "13:00", "14:00").await, 403, "members_only", None);

        // A confirmed booking becomes a gathering: room, times, capacity carried over.
        let (_, mine) = members[2].get("/api/v1/communities/club/bookings/mine").await;
        let bid = mine[0]["id"].as_i64().unwrap();
        assert_error(&members[2].post(&format!("/api/v1/bookings/{bid}/event"), json!({})).await, 403, "insufficient_role", None);
        let (s, e) = owner.post(&format!("/api/v1/bookings/{bid}/event"), json!({"title": "古琴雅集"})).await;
        assert_eq!((s, e["capacity"].as_i64(), e["room_id"].as_i64(), e["title"].as_str()), (StatusCode::CREATED, Some(6), Some(room), Some("古琴雅集")), "{e}");
        assert_eq!(e["starts_at"], mine[0]["starts_at"]);
    }
}

// Every venue endpoint by who calls it: anonymous, a signed-in outsider, a
// member, a moderator, an admin.
story! {
    async fn every_venue_endpoint_answers_each_kind_of_caller(t: TestApp) {
        let (owner, members, room) = setup(&t, 3, json!({"name": "茶室", "capacity": 8})).await;
        for (who, role) in [("m01", "moderator"), ("m02", "admin")] {
            let (s, _) = owner.put(&format!("/api/v1/communities/club/members/{who}/role"), json!({"role": role})).await;
            assert!(s.is_success());
        }
        let outsider = t.user("outsider").await;
        let (_, v) = owner.get("/api/v1/communities/club/venues").await;
        let venue = v[0]["id"].as_i64().unwrap();
        let slot = |h: u32| json!({"starts_at": at(3, &format!("{h:02}:00")), "ends_at": at(3, &format!("{:02}:00", h + 1))});
        // A booking of the member's, for the cancel and decision rows.
        let (_, b) = members[0].post(&format!("/api/v1/rooms/{room}/bookings"), slot(8)).await;
        let bid = b["id"].as_i64().unwrap();
        // (method, path, body, [anon, outsider, member, moderator, admin])
        let table: Vec<(&str, String, Value, [u16; 5])> = vec![
            ("GET", "/api/v1/communities/club/venues".into(), json!(null), [200, 200, 200, 200, 200]),
            ("POST", "/api/v1/communities/club/venues".into(), json!({"name": "新馆"}), [401, 403, 403, 403, 201]),
            ("GET", format!("/api/v1/venues/{venue}"), json!(null), [200, 200, 200, 200, 200]),
            ("PUT", format!("/api/v1/venues/{venue}"), json!({"name": "馆"}), [401, 403, 403, 403, 200]),
            ("POST", format!("/api/v1/venues/{venue}/rooms"), json!({"name": "琴房", "capacity": 4}), [401, 403, 403, 403, 201]),
            ("GET", format!("/api/v1/rooms/{room}"), json!(null), [200, 200, 200, 200, 200]),
            ("PUT", format!("/api/v1/rooms/{room}"), json!({"name": "茶室", "capacity": 8}), [401, 403, 403, 403, 200]),
            ("GET", format!("/api/v1/rooms/{room}/bookings"), json!(null), [200, 200, 200, 200, 200]),
            ("GET", format!("/api/v1/rooms/{room}/day"), json!(null), [200, 200, 200, 200, 200]),
            ("GET", "/api/v1/communities/club/bookings/mine".into(), json!(null), [401, 200, 200, 200, 200]),
            ("GET", "/api/v1/communities/club/bookings/pending".into(), json!(null), [401, 403, 403, 200, 200]),
            ("POST", format!("/api/v1/bookings/{bid}/decision"), json!({"approve": true}), [401, 404, 403, 409, 409]),
            ("POST", format!("/api/v1/bookings/{bid}/event"), json!({}), [401, 404, 403, 201, 201]),
        ];
        let callers: [Option<&User>; 5] = [None, Some(&outsider), Some(&members[0]), Some(&members[1]), Some(&members[2])];
        let mut failures = vec![];
        for (method, path, body, want) in &table {
            for (who, (caller, want)) in callers.iter().zip(want).enumerate() {
                let body = if body.is_null() { None } else { Some(body.clone()) };
                let (s, v) = t.call_as(*caller, method, path, body).await;
                if s.as_u16() != *want {
                    failures.push(format!("{method} {path} as caller {who}: want {want}, got {s} {v}"));
                }
            }
        }
        // Booking: members and staff by the default rule; outsiders not; anonymous must sign in.
        for (who, (caller, want)) in callers.iter().zip([401u16, 403, 201, 201, 201]).enumerate() {
            let (s, v) = t.call_as(*caller, "POST", &format!("/api/v1/rooms/{room}/bookings"), Some(slot(10 + 2 * who as u32))).await;
            if s.as_u16() != want {
                failures.push(format!("POST bookings as caller {who}: want {want}, got {s} {v}"));
            }
        }
        // Cancelling: only the booker (and staff); others do not see it.
        for (who, (caller, want)) in callers.iter().zip([401u16, 404, 200, 200, 200]).enumerate() {
            let (s, v) = t.call_as(*caller, "DELETE", &format!("/api/v1/bookings/{bid}"), None).await;
            if s.as_u16() != want {
                failures.push(format!("DELETE booking as caller {who}: want {want}, got {s} {v}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
