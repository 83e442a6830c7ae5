//! Gatherings through the API: the stable paths, capacity and the waitlist
//! under racing registrations and cancellations, bad input naming its
//! field, the door (tickets of other events, door staff, self check-in),
//! reminders sent once, no-shows and feedback after the end, recurring
//! events, visitors and audiences, the calendar file read by a real
//! iCalendar parser, and who may call what.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use yaji_testkit::*;

/// A local time in Asia/Shanghai `days` from today: "2026-12-10T19:00".
fn at(days: i64, hm: &str) -> String {
    let d = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive() + chrono::Duration::days(days);
    format!("{d}T{hm}")
}

async fn setup(t: &TestApp, members: usize) -> (User, Vec<User>) {
    let owner = t.user("owner").await;
    owner.post("/api/v1/communities", community("club", "open")).await;
    // A crowd signs up at the door with the organizer's pass (one address, no per-address limit).
    let pass = if members > 15 {
        let (_, e) = owner
            .post(
                "/api/v1/communities/club/events",
                json!({"title": "开放日", "starts_at": at(40, "10:00"), "ends_at": at(40, "12:00")}),
            )
            .await;
        e["signup_pass"].as_str().map(str::to_string)
    } else {
        None
    };
    let mut out = vec![];
    for i in 0..members {
        let u = t.user_with(&format!("m{i:03}"), pass.as_deref()).await;
        u.post("/api/v1/communities/club/join", json!({})).await;
        out.push(u);
    }
    (owner, out)
}

async fn create(owner: &User, body: Value) -> i64 {
    let (s, e) = owner.post("/api/v1/communities/club/events", body).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    e["id"].as_i64().unwrap()
}

fn statuses(regs: &Value) -> Vec<String> {
    regs.as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap().to_string()).collect()
}

story! {
    async fn capacity_holds_and_the_waitlist_moves_up_once_under_races(t: TestApp) {
        let (owner, members) = setup(&t, 40).await;
        // The stable fields only.
        let body = json!({"title": "围炉夜话", "description": "**茶** 与书", "starts_at": format!("{}:00+08:00", at(5, "19:00")),
            "ends_at": format!("{}:00+08:00", at(5, "21:00")), "capacity": 10});
        assert_error(&members[0].post("/api/v1/communities/club/events", body.clone()).await, 403, "insufficient_role", None);
        let id = create(&owner, body).await;
        let (_, e) = members[0].get(&format!("/api/v1/events/{id}")).await;
        assert_eq!((e["capacity"].as_i64(), e["registration"].as_str(), e["status"].as_str()), (Some(10), Some("open"), Some("upcoming")));
        assert!(e["description_html"].as_str().unwrap().contains("<strong>茶</strong>"));
        assert_eq!(e["local_start"].as_str().unwrap(), at(5, "19:00").replace('T', " "));

        // Forty members register at once, each twice: ten registered, thirty waitlisted, nothing doubled.
        let path = format!("/api/v1/events/{id}/registrations");
        let answers = join_all(members.iter().flat_map(|m| [m.post(&path, json!({})), m.post(&path, json!({}))])).await;
        assert!(answers.iter().all(|(s, _)| *s == StatusCode::CREATED), "{answers:?}");
        for (_, r) in &answers {
            assert!(r["ticket_code"].as_str().unwrap().len() == 8, "{r}");
        }
        let (s, regs) = owner.get(&path).await;
        assert_eq!(s, StatusCode::OK);
        let st = statuses(&regs);
        assert_eq!((st.len(), st.iter().filter(|s| *s == "registered").count(), st.iter().filter(|s| *s == "waitlisted").count()), (40, 10, 30));
        assert_eq!(t.count(&format!("SELECT taken FROM events WHERE id = {id}")).await, 10);
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'registration_created'").await, 40);
        // Members do not see the list; answers and e-mail are for staff.
        assert_error(&members[0].get(&path).await, 403, "insufficient_role", None);

        // Waitlist order is first come first served.
        let waiting: Vec<i64> = t
            .pairs(&format!("SELECT user_id, id FROM event_registrations WHERE event_id = {id} AND status = 'waitlisted' ORDER BY queued_at, id"))
            .await
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        // Five registered members cancel at once, twice each: five promoted, once each, in order.
        let registered: Vec<&User> = members.iter().filter(|m| {
            regs.as_array().unwrap().iter().any(|r| r["user_id"].as_i64() == Some(m.id) && r["status"] == "registered")
        }).take(5).collect();
        let mine = format!("/api/v1/events/{id}/registrations/mine");
        let cancels = join_all(registered.iter().flat_map(|m| [m.delete(&mine), m.delete(&mine)])).await;
        assert!(cancels.iter().all(|(s, r)| *s == StatusCode::OK && r["status"] == "cancelled"), "{cancels:?}");
        assert_eq!(t.count(&format!("SELECT taken FROM events WHERE id = {id}")).await, 10);
        let promoted = t.pairs("SELECT CAST(payload AS TEXT) IS NOT NULL, actor_id FROM activity_events WHERE kind = 'registration_promoted' ORDER BY id").await;
        let promoted: Vec<i64> = promoted.into_iter().map(|(_, u)| u).collect();
        assert_eq!(promoted, waiting[..5].to_vec(), "the first five on the waitlist, once each");
        assert_eq!(t.count("SELECT COUNT(*) FROM notifications WHERE kind = 'registration_promoted'").await, 5);
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM event_registrations WHERE event_id = {id} AND status = 'registered'")).await, 10);

        // A raised capacity moves the waitlist up at once; a lowered one cannot go under the seats taken.
        let mut change = json!({"title": "围炉夜话", "starts_at": at(5, "19:00"), "ends_at": at(5, "21:00"), "capacity": 12});
        let (s, e) = owner.put(&format!("/api/v1/events/{id}"), change.clone()).await;
        assert_eq!((s, e["taken"].as_i64()), (StatusCode::OK, Some(12)));
        change["capacity"] = json!(8);
        assert_error(&owner.put(&format!("/api/v1/events/{id}"), change).await, 422, "below_registered", Some("capacity"));
    }
}

story! {
    async fn bad_input_names_the_field_and_writes_nothing(t: TestApp) {
        let (owner, members) = setup(&t, 2).await;
        let url = "/api/v1/communities/club/events";
        let before = t.event_count().await;
        assert_error(&owner.post(url, json!({"title": "x", "starts_at": at(3, "19:00"), "ends_at": at(3, "18:00")})).await, 422, "end_before_start", Some("ends_at"));
        assert_error(&owner.post(url, json!({"title": "x", "starts_at": "tonight", "ends_at": at(3, "18:00")})).await, 422, "invalid_datetime", Some("starts_at"));
        assert_error(&owner.post(url, json!({"title": "", "starts_at": at(3, "19:00"), "ends_at": at(3, "20:00")})).await, 422, "invalid_length", Some("title"));
        assert_error(&owner.post(url, json!({"title": "x", "starts_at": at(3, "19:00"), "ends_at": at(3, "20:00"), "capacity": -3})).await, 422, "out_of_range", Some("capacity"));
        assert_error(&owner.post(url, json!({"title": "x", "starts_at": at(3, "19:00"), "ends_at": at(3, "20:00"), "room_id": 999})).await, 422, "unknown_room", Some("room_id"));
        assert_eq!(t.event_count().await, before, "nothing half-written");
        assert_eq!(t.count("SELECT COUNT(*) FROM events").await, 0);

        // Registration closed; too many guests; a required answer missing.
        let id = create(&owner, json!({"title": "茶会", "starts_at": at(3, "19:00"), "ends_at": at(3, "21:00"),
            "max_guests": 1, "questions": [{"label": "忌口", "kind": "text", "required": true},
            {"label": "茶", "kind": "single", "options": ["绿茶", "红茶"]}]})).await;
        let reg = format!("/api/v1/events/{id}/registrations");
        assert_error(&members[0].post(&reg, json!({"guests": 2})).await, 422, "too_many_guests", Some("guests"));
        assert_error(&members[0].post(&reg, json!({})).await, 422, "required", Some("answers"));
        assert_error(&members[0].post(&reg, json!({"answers": {"0": "无", "1": "白茶"}})).await, 422, "invalid_answer", Some("answers"));
        let (s, r) = members[0].post(&reg, json!({"answers": {"0": "不吃辣", "1": "红茶"}, "guests": 1})).await;
        assert_eq!((s, r["status"].as_str(), r["guests"].as_i64()), (StatusCode::CREATED, Some("registered"), Some(1)));
        assert!(r["answers"].is_null(), "a member's own view carries no staff fields");
        assert_eq!(t.count(&format!("SELECT taken FROM events WHERE id = {id}")).await, 2, "guests take seats");
        // Staff see the answers; the CSV neutralizes formula cells.
        t.exec(&format!("UPDATE event_registrations SET answers = '{{\"0\":[\"=HYPERLINK(1)\"]}}' WHERE event_id = {id}")).await;
        let (_, regs) = owner.get(&reg).await;
        assert_eq!(regs[0]["answers"]["0"][0], "=HYPERLINK(1)");
        let csv = owner.client.get(t.url(&format!("/api/v1/events/{id}/registrations/export"))).bearer_auth(&owner.token).send().await.unwrap();
        assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = csv.text().await.unwrap();
        assert!(csv.contains("'=HYPERLINK(1)") && csv.contains("忌口"), "{csv}");

        let closed = create(&owner, json!({"title": "已截止", "starts_at": at(3, "19:00"), "ends_at": at(3, "21:00"),
            "closes_at": at(0, "00:00")})).await;
        assert_error(&members[1].post(&format!("/api/v1/events/{closed}/registrations"), json!({})).await, 409, "registration_closed", None);
    }
}

story! {
    async fn the_door_admits_each_ticket_once_and_only_at_its_own_event(t: TestApp) {
        let (owner, members) = setup(&t, 4).await;
        let soon = |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
        // Automation listens: whoever is checked in at a gathering gets a tag; whoever registers, another.
        let rules = "/api/v1/communities/club/automation/rules";
        for (kind, tag) in [("checked_in", "到场过"), ("registration_created", "报过名")] {
            let (s, r) = owner.post(rules, json!({"name": kind, "trigger": {"kind": kind}, "actions": [{"kind": "add_tag", "tag": tag}]})).await;
            assert_eq!(s, StatusCode::CREATED, "{r}");
        }
        let id = create(&owner, json!({"title": "读书会", "starts_at": soon(1), "ends_at": soon(3), "capacity": 2, "self_checkin": true})).await;
        let other = create(&owner, json!({"title": "另一场", "starts_at": soon(1), "ends_at": soon(3)})).await;
        let reg = format!("/api/v1/events/{id}/registrations");
        let mut codes = vec![];
        for m in &members[..3] {
            let (_, r) = m.post(&reg, json!({})).await;
            codes.push(r["ticket_code"].as_str().unwrap().to_string());
        }
        let (_, elsewhere) = members[3].post(&format!("/api/v1/events/{other}/registrations"), json!({})).await;
        let door = format!("/api/v1/events/{id}/check-ins");
        // Members cannot check people in; door staff named for this event can.
        assert_error(&members[3].post(&door, json!({"code": codes[0]})).await, 403, "insufficient_role", None);
        let (s, _) = owner.put(&format!("/api/v1/events/{id}/staff"), json!({"username": "m003", "role": "door"})).await;
        assert_eq!(s, StatusCode::OK);
        // Typed in lower case with a dash: still the ticket.
        let typed = format!("{}-{}", &codes[0][..4], &codes[0][4..]).to_lowercase();
        let (s, d) = members[3].post(&door, json!({"code": typed})).await;
        assert_eq!((s, d["outcome"].as_str(), d["admit"].as_bool(), d["username"].as_str()), (StatusCode::OK, Some("checked_in"), Some(true), Some("m000")));
        let (_, d) = owner.post(&door, json!({"code": codes[0]})).await;
        assert_eq!((d["outcome"].as_str(), d["admit"].as_bool()), (Some("already_checked_in"), Some(true)));
        // The third registered person is on the waitlist: not admitted.
        let (_, d) = owner.post(&door, json!({"code": codes[2]})).await;
        assert_eq!((d["outcome"].as_str(), d["status"].as_str(), d["admit"].as_bool()), (Some("not_admitted"), Some("waitlisted"), Some(false)));
        // Another event's ticket: named, never checked in here.
        let (_, d) = owner.post(&door, json!({"code": elsewhere["ticket_code"]})).await;
        assert_eq!((d["outcome"].as_str(), d["other_event"].as_str()), (Some("wrong_event"), Some("另一场")));
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM event_registrations WHERE event_id = {other} AND status = 'attended'")).await, 0);
        let (_, d) = owner.post(&door, json!({"code": "ZZZZ2222"})).await;
        assert_eq!((d["outcome"].as_str(), d["arrived"].as_i64(), d["expected"].as_i64()), (Some("unknown_code"), Some(1), Some(2)));
        // Self check-in with the code shown at the venue.
        let code: String = {
            let c = t.count(&format!("SELECT COUNT(*) FROM events WHERE id = {id} AND self_code IS NOT NULL")).await;
            assert_eq!(c, 1);
            let mut conn = t.db.read().await.unwrap();
            yaji_store::sql::query_scalar(&format!("SELECT self_code FROM events WHERE id = {id}")).fetch_one(&mut conn).await.unwrap()
        };
        let selfc = format!("/api/v1/events/{id}/self-check-in");
        assert_error(&members[1].post(&selfc, json!({"code": "WRONG1"})).await, 422, "wrong_code", Some("code"));
        let (s, d) = members[1].post(&selfc, json!({"code": code})).await;
        assert_eq!((s, d["outcome"].as_str()), (StatusCode::OK, Some("checked_in")));
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'checked_in'").await, 2);
        t.drain().await;
        let tagged = |tag: &str| format!("SELECT COUNT(*) FROM member_tags WHERE tag = '{tag}'");
        assert_eq!((t.count(&tagged("到场过")).await, t.count(&tagged("报过名")).await), (2, 4));
        // Points for coming, to the person checked in (not the door staff).
        let paid = t.pairs("SELECT user_id, amount FROM points_ledger WHERE rule = 'event_attended' ORDER BY user_id").await;
        assert_eq!(paid, vec![(members[0].id, 10), (members[1].id, 10)]);
    }
}

story! {
    async fn reminders_go_once_to_registered_people_and_no_shows_are_marked_after(t: TestApp) {
        let (owner, members) = setup(&t, 4).await;
        let soon = |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
        let id = create(&owner, json!({"title": "茶会", "starts_at": soon(3), "ends_at": soon(5), "capacity": 2, "reminders": [120]})).await;
        let reg = format!("/api/v1/events/{id}/registrations");
        for m in &members[..4] {
            m.post(&reg, json!({})).await;
        }
        // One registered cancels (the first waitlisted moves up); then one on the waitlist gives up too.
        members[0].delete(&format!("/api/v1/events/{id}/registrations/mine")).await;
        members[3].delete(&format!("/api/v1/events/{id}/registrations/mine")).await;
        t.make_due("event_reminder").await;
        t.drain().await;
        t.make_due("event_reminder").await;
        t.drain().await;
        let reminded = t.pairs("SELECT user_id, COUNT(*) FROM notifications WHERE kind = 'event_reminder' GROUP BY user_id ORDER BY user_id").await;
        assert_eq!(reminded, vec![(members[1].id, 1), (members[2].id, 1)], "registered people, once each; never the cancelled");

        // After the end: the one not checked in is a no-show, the attendee is asked for feedback.
        let (_, d) = owner.post(&format!("/api/v1/events/{id}/check-ins"), json!({"code": "x"})).await;
        assert_eq!(d["outcome"], "unknown_code");
        let (_, r1) = members[1].get(&format!("/api/v1/events/{id}/registrations/mine")).await;
        owner.post(&format!("/api/v1/events/{id}/check-ins"), json!({"code": r1["ticket_code"]})).await;
        t.exec(&format!("UPDATE events SET starts_at = starts_at - 86400000, ends_at = ends_at - 86400000 WHERE id = {id}")).await;
        t.make_due("event_close").await;
        t.drain().await;
        let (_, regs) = owner.get(&reg).await;
        let by_user = |u: i64| regs.as_array().unwrap().iter().find(|r| r["user_id"].as_i64() == Some(u)).unwrap()["status"].as_str().unwrap().to_string();
        assert_eq!((by_user(members[1].id), by_user(members[2].id)), ("attended".into(), "no_show".into()));
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'no_show'").await, 1);
        assert_eq!(t.count("SELECT COUNT(*) FROM notifications WHERE kind = 'event_feedback'").await, 1);
        // Closing again changes nothing.
        t.make_due("event_close").await;
        t.drain().await;
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'no_show'").await, 1);
        // Feedback: attendees only, 1 to 5.
        let fb = format!("/api/v1/events/{id}/feedback");
        assert_error(&members[2].post(&fb, json!({"rating": 5})).await, 403, "not_attended", None);
        assert_error(&members[1].post(&fb, json!({"rating": 9})).await, 422, "out_of_range", Some("rating"));
        let (s, _) = members[1].post(&fb, json!({"rating": 4, "comment": "很好"})).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (_, e) = members[1].get(&format!("/api/v1/events/{id}")).await;
        assert_eq!((e["status"].as_str(), e["attendance"]["attended"].as_i64(), e["attendance"]["no_show"].as_i64(), e["attendance"]["attendance_rate"].as_i64()),
            (Some("over"), Some(1), Some(1), Some(50)));
        assert_eq!(e["attendance"]["average_rating"].as_f64(), Some(4.0));
    }
}

story! {
    async fn weekly_gatherings_are_separate_events_and_audiences_decide_who_registers(t: TestApp) {
        let (owner, members) = setup(&t, 2).await;
        let id = create(&owner, json!({"title": "周三读书", "starts_at": at(2, "19:30"), "ends_at": at(2, "21:00"), "capacity": 1,
            "repeat": {"every": "weekly", "count": 4, "except": [at(16, "00:00")[..10]]}})).await;
        let series = t.pairs(&format!("SELECT id, starts_at FROM events WHERE series_id = {id} ORDER BY starts_at")).await;
        assert_eq!(series.len(), 3, "four weeks, one skipped");
        assert_eq!(series[1].1 - series[0].1, 7 * 86_400_000);
        // Each occurrence has its own capacity.
        for (e, _) in &series {
            let (_, r) = members[0].post(&format!("/api/v1/events/{e}/registrations"), json!({})).await;
            assert_eq!(r["status"], "registered");
        }
        let (_, list) = members[1].get("/api/v1/communities/club/events").await;
        assert_eq!(list.as_array().unwrap().len(), 3);

        // Visitors (signed in, not members) register for public gatherings, not members-only ones.
        let visitor = t.user("visitor").await;
        let (s, r) = visitor.post(&format!("/api/v1/events/{}/registrations", series[0].0), json!({})).await;
        assert_eq!((s, r["status"].as_str()), (StatusCode::CREATED, Some("waitlisted")));
        let members_only = create(&owner, json!({"title": "会员专场", "starts_at": at(3, "19:00"), "ends_at": at(3, "20:00"), "audience": "members"})).await;
        assert_error(&visitor.post(&format!("/api/v1/events/{members_only}/registrations"), json!({})).await, 404, "not_found", None);
        assert_error(&t.call_as(None, "GET", &format!("/api/v1/events/{members_only}"), None).await, 401, "unauthenticated", None);
        let tagged = create(&owner, json!({"title": "导师局", "starts_at": at(3, "19:00"), "ends_at": at(3, "20:00"), "audience": "tagged", "audience_tags": ["导师"]})).await;
        assert_error(&members[1].post(&format!("/api/v1/events/{tagged}/registrations"), json!({})).await, 403, "not_eligible", None);
        let (s, _) = owner.put("/api/v1/communities/club/members/m001/tags/%E5%AF%BC%E5%B8%88", json!({})).await;
        assert!(s.is_success(), "{s}");
        let (s, _) = members[1].post(&format!("/api/v1/events/{tagged}/registrations"), json!({})).await;
        assert_eq!(s, StatusCode::CREATED);
        // Anonymous people see public gatherings and cannot register.
        let (s, _) = t.call_as(None, "GET", &format!("/api/v1/events/{}", series[0].0), None).await;
        assert_eq!(s, StatusCode::OK);
        let r = t.call_as(None, "POST", &format!("/api/v1/events/{}/registrations", series[0].0), Some(json!({}))).await;
        assert_error(&r, 401, "unauthenticated", None);
    }
}

story! {
    async fn the_calendar_file_reads_back_in_a_real_icalendar_parser(t: TestApp) {
        let (owner, _) = setup(&t, 0).await;
        let id = create(&owner, json!({"title": "茶会, 品鉴; 新茶", "description": "第一行\n第二行", "starts_at": at(4, "19:00"),
            "ends_at": at(4, "21:00"), "location": "静安 · 一楼"})).await;
        let r = reqwest::get(t.url(&format!("/api/v1/events/{id}/ics"))).await.unwrap();
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
        let body = r.text().await.unwrap();
        let cal: icalendar::Calendar = body.parse().expect("a calendar parser reads it");
        let ev = cal.components.iter().find_map(|c| c.as_event()).expect("one VEVENT");
        use icalendar::Component;
        assert_eq!(ev.get_summary(), Some("茶会, 品鉴; 新茶"));
        assert_eq!(ev.get_description(), Some("第一行\n第二行"));
        assert!(ev.get_uid().is_some() && ev.property_value("DTSTAMP").is_some());
        match ev.get_start() {
            Some(icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::WithTimezone { date_time, tzid })) => {
                assert_eq!(tzid, "Asia/Shanghai");
                assert_eq!(date_time.format("%Y-%m-%dT%H:%M").to_string(), at(4, "19:00"));
            }
            other => panic!("DTSTART with TZID expected, got {other:?}"),
        }
        assert!(body.contains("BEGIN:VTIMEZONE") && body.contains("TZID:Asia/Shanghai"));
        // The community's feed lists its public gatherings.
        let feed = reqwest::get(t.url("/api/v1/communities/club/events.ics")).await.unwrap().text().await.unwrap();
        let cal: icalendar::Calendar = feed.parse().unwrap();
        assert_eq!(cal.components.iter().filter_map(|c| c.as_event()).count(), 1);
    }
}

// Every endpoint by who calls it: anonymous, a signed-in outsider, a
// member, door staff of the event, a moderator.
story! {
    async fn every_endpoint_answers_each_kind_of_caller(t: TestApp) {
        let (owner, members) = setup(&t, 3).await;
        let moderator = &members[2];
        let (s, _) = owner.put("/api/v1/communities/club/members/m002/role", json!({"role": "moderator"})).await;
        assert!(s.is_success());
        let soon = |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
        let id = create(&owner, json!({"title": "x", "starts_at": soon(1), "ends_at": soon(2)})).await;
        owner.put(&format!("/api/v1/events/{id}/staff"), json!({"username": "m001", "role": "door"})).await;
        let (_, r) = members[0].post(&format!("/api/v1/events/{id}/registrations"), json!({})).await;
        let reg = r["id"].as_i64().unwrap();
        let outsider = t.user("outsider").await;
        let ev = json!({"title": "y", "starts_at": soon(1), "ends_at": soon(2)});
        // (method, path, body, [anon, outsider, member, door staff, moderator])
        let table: Vec<(&str, String, Value, [u16; 5])> = vec![
            ("GET", "/api/v1/communities/club/events".into(), json!(null), [200, 200, 200, 200, 200]),
            ("POST", "/api/v1/communities/club/events".into(), ev.clone(), [401, 403, 403, 403, 201]),
            ("GET", format!("/api/v1/events/{id}"), json!(null), [200, 200, 200, 200, 200]),
            ("PUT", format!("/api/v1/events/{id}"), ev.clone(), [401, 403, 403, 403, 200]),
            ("GET", format!("/api/v1/events/{id}/registrations"), json!(null), [401, 403, 403, 200, 200]),
            ("GET", format!("/api/v1/events/{id}/registrations/export"), json!(null), [401, 403, 403, 403, 200]),
            ("POST", format!("/api/v1/events/{id}/registrations/{reg}/actions"), json!({"action": "waitlist"}), [401, 403, 403, 403, 200]),
            ("POST", format!("/api/v1/events/{id}/registrations/add"), json!({"username": "m001"}), [401, 403, 403, 403, 201]),
            ("POST", format!("/api/v1/events/{id}/check-ins"), json!({"code": "AAAA2222"}), [401, 403, 403, 200, 200]),
            ("PUT", format!("/api/v1/events/{id}/staff"), json!({"username": "m000", "role": "cohost"}), [401, 403, 403, 403, 200]),
            ("GET", format!("/api/v1/events/{id}/ics"), json!(null), [200, 200, 200, 200, 200]),
            ("GET", "/api/v1/communities/club/events/funnel".into(), json!(null), [401, 403, 403, 403, 403]),
            ("POST", format!("/api/v1/events/{id}/registrations"), json!({}), [401, 201, 201, 201, 201]),
            ("POST", format!("/api/v1/events/{id}/visitor-registrations"), json!({"display_name": "访客", "email": "v@example.com"}), [201, 409, 409, 409, 409]),
            ("GET", format!("/api/v1/events/{id}/registrations/mine"), json!(null), [401, 200, 200, 200, 200]),
            ("DELETE", format!("/api/v1/events/{id}/registrations/mine"), json!(null), [401, 200, 200, 200, 200]),
            ("POST", format!("/api/v1/events/{id}/feedback"), json!({"rating": 5}), [401, 403, 403, 403, 403]),
            ("POST", format!("/api/v1/events/{id}/cancel"), json!(null), [401, 403, 403, 403, 200]),
        ];
        let callers: [Option<&User>; 5] = [None, Some(&outsider), Some(&members[0]), Some(&members[1]), Some(moderator)];
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
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert_eq!(owner.get(&format!("/api/v1/events/{id}")).await.1["status"], "canceled");
    }
}

story! {
    async fn fifty_newcomers_on_one_wifi_sign_up_with_the_organizers_pass(t: TestApp) {
        let (owner, _) = setup(&t, 0).await;
        let id = create(&owner, json!({"title": "开放日", "starts_at": at(1, "10:00"), "ends_at": at(1, "12:00")})).await;
        let (_, e) = owner.get(&format!("/api/v1/events/{id}")).await;
        let pass = e["signup_pass"].as_str().unwrap().to_string();
        assert!(pass.starts_with(&format!("{id}-")));
        // Members see no pass.
        let m = t.user("member").await;
        assert!(m.get(&format!("/api/v1/events/{id}")).await.1["signup_pass"].is_null());
        // Fifty newcomers from one address with the pass: all in, and they register.
        let names: Vec<String> = (0..50).map(|i| format!("new{i:02}")).collect();
        let newcomers = join_all(names.iter().map(|n| t.user_with(n, Some(&pass)))).await;
        for n in &newcomers[..5] {
            let (s, r) = n.post(&format!("/api/v1/events/{id}/registrations"), json!({})).await;
            assert_eq!((s, r["status"].as_str()), (StatusCode::CREATED, Some("registered")));
        }
        // Without the pass, one address still gets 20 an hour (two already used: owner, member).
        let plain = |i: usize| {
            let url = t.url("/api/v1/auth/register");
            async move {
                decode(reqwest::Client::new().post(url).json(&json!({"username": format!("bot{i:02}"), "password": PASSWORD})).send().await.unwrap()).await
            }
        };
        let bots = join_all((0..25).map(plain)).await;
        let made = bots.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
        let limited = bots.iter().filter(|(s, v)| s.as_u16() == 429 && v["error"]["code"] == "rate_limited").count();
        assert_eq!((made, limited), (18, 7));
        // A made-up or foreign pass is refused by name.
        let fake = reqwest::Client::new().post(t.url("/api/v1/auth/register"))
            .json(&json!({"username": "faker", "password": PASSWORD, "event_pass": format!("{id}-AAAA2222")})).send().await.unwrap();
        assert_error(&decode(fake).await, 422, "invalid_pass", Some("event_pass"));
    }
}

story! {
    async fn formats_make_gatherings_and_members_propose_what_staff_approve(t: TestApp) {
        let (owner, members) = setup(&t, 2).await;
        // A format: agenda, materials, usual host; a gathering from it in one step.
        let url = "/api/v1/communities/club/event-templates";
        assert_error(&members[0].post(url, json!({"title": "品茶会"})).await, 403, "insufficient_role", None);
        assert_error(&owner.post(url, json!({"title": "品茶会", "duration_minutes": 5})).await, 422, "out_of_range", Some("duration_minutes"));
        let (s, tpl) = owner.post(url, json!({"title": "品茶会", "description": "温杯、投茶、分享", "materials": "茶具一套",
            "host": "m000", "capacity": 8, "duration_minutes": 90})).await;
        assert_eq!(s, StatusCode::CREATED, "{tpl}");
        let tid = tpl["id"].as_i64().unwrap();
        let (s, e) = owner.post(&format!("/api/v1/event-templates/{tid}/events"), json!({"starts_at": at(6, "15:00")})).await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        assert_eq!((e["capacity"].as_i64(), e["template_id"].as_i64(), e["hosts"][0]["username"].as_str()), (Some(8), Some(tid), Some("m000")));
        assert!(e["description"].as_str().unwrap().contains("茶具一套"));
        assert_eq!(e["local_end"].as_str().unwrap(), at(6, "16:30").replace('T', " "));
        let (_, tpl) = owner.get(&format!("/api/v1/event-templates/{tid}")).await;
        assert_eq!(tpl["gatherings"].as_array().unwrap().len(), 1);
        // A recap post links back, from the gathering and from the format.
        let (_, post) = owner.post("/api/v1/communities/club/posts", json!({"title": "回顾", "body": "那天的茶"})).await;
        let eid = e["id"].as_i64().unwrap();
        assert_error(&owner.put(&format!("/api/v1/events/{eid}/recap"), json!({"post_id": 999_999})).await, 422, "unknown_post", Some("post_id"));
        let (s, e) = owner.put(&format!("/api/v1/events/{eid}/recap"), json!({"post_id": post["id"]})).await;
        assert_eq!((s, e["recap_post_id"].clone()), (StatusCode::OK, post["id"].clone()));
        let (_, tpl) = owner.get(&format!("/api/v1/event-templates/{tid}")).await;
        assert_eq!(tpl["gatherings"][0]["recap_post_id"], post["id"]);

        // A member proposes; others cannot see it or register until staff approve; the proposer hosts it.
        let (s, p) = members[0].post("/api/v1/communities/club/events/proposals", json!({"title": "夜读会", "starts_at": at(9, "19:00"), "ends_at": at(9, "21:00")})).await;
        assert_eq!((s, p["proposal"].as_bool()), (StatusCode::CREATED, Some(true)), "{p}");
        let pid = p["id"].as_i64().unwrap();
        assert_eq!(members[1].get(&format!("/api/v1/events/{pid}")).await.0, StatusCode::NOT_FOUND);
        assert!(!members[1].get("/api/v1/communities/club/events").await.1.to_string().contains("夜读会"));
        assert_error(&members[0].post(&format!("/api/v1/events/{pid}/registrations"), json!({})).await, 409, "not_approved", None);
        let (_, waiting) = owner.get("/api/v1/communities/club/events/proposals").await;
        assert_eq!(waiting.as_array().unwrap().len(), 1);
        assert_error(&members[0].post(&format!("/api/v1/events/{pid}/approve"), json!({})).await, 403, "insufficient_role", None);
        let (s, e) = owner.post(&format!("/api/v1/events/{pid}/approve"), json!({})).await;
        assert_eq!((s, e["proposal"].as_bool(), e["hosts"][0]["username"].as_str()), (StatusCode::OK, Some(false), Some("m000")));
        assert_eq!(t.count("SELECT COUNT(*) FROM notifications WHERE kind = 'proposal_approved'").await, 1);
        let (s, _) = members[1].post(&format!("/api/v1/events/{pid}/registrations"), json!({})).await;
        assert_eq!(s, StatusCode::CREATED);
        // The host has the door for it.
        let (_, e) = members[0].get(&format!("/api/v1/events/{pid}")).await;
        assert_eq!(e["can_door"].as_bool(), Some(true));
        assert_error(&owner.post(&format!("/api/v1/events/{pid}/approve"), json!({})).await, 409, "not_a_proposal", None);
    }
}

story! {
    async fn a_lottery_for_those_who_came_to_a_gathering(t: TestApp) {
        let (owner, members) = setup(&t, 3).await;
        let soon = |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
        let id = create(&owner, json!({"title": "茶会", "starts_at": soon(1), "ends_at": soon(2)})).await;
        let mut codes = vec![];
        for m in &members {
            let (_, r) = m.post(&format!("/api/v1/events/{id}/registrations"), json!({})).await;
            codes.push(r["ticket_code"].as_str().unwrap().to_string());
        }
        owner.post(&format!("/api/v1/events/{id}/check-ins"), json!({"code": codes[0]})).await;
        // A segment of those who came (the regulars to invite, thank, reward).
        let preview = "/api/v1/communities/club/segments/preview";
        let (s, seg) = owner.post(preview, json!({"attended_events": 1, "attended_within_days": 30})).await;
        assert_eq!((s, seg["count"].as_i64()), (StatusCode::OK, Some(1)), "{seg}");
        assert_eq!(seg["members"][0]["user"]["username"], "m000");
        assert_eq!(owner.post(preview, json!({"attended_events": 2})).await.1["count"].as_i64(), Some(0));
        assert_error(&owner.post(preview, json!({"attended_within_days": 30})).await, 422, "required", Some("attended_events"));
        let url = "/api/v1/communities/club/lotteries";
        let lottery = |attended: bool, event: i64| json!({"title": "到场抽奖", "prizes": [{"name": "茶饼", "quantity": 1}],
            "entries_close_at": soon(3), "eligibility": {"event_id": event, "event_attended": attended}});
        assert_error(&owner.post(url, lottery(true, 999)).await, 422, "unknown_event", Some("eligibility.event_id"));
        for (attended, want) in [(true, 1), (false, 3)] {
            let (s, l) = owner.post(url, lottery(attended, id)).await;
            assert_eq!(s, StatusCode::CREATED, "{l}");
            let lid = l["id"].as_i64().unwrap();
            for m in &members {
                m.post(&format!("/api/v1/lotteries/{lid}/entries"), json!({})).await;
            }
            let (_, e) = owner.get(&format!("/api/v1/lotteries/{lid}/eligible")).await;
            assert_eq!((e["count"].as_i64(), e["entrants"].as_i64()), (Some(want), Some(3)), "{e}");
        }
    }
}

story! {
    async fn a_visitor_registers_with_a_name_and_an_email(t: TestApp) {
        let (owner, members) = setup(&t, 1).await;
        let soon = |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
        let body = json!({"title": "开放茶会", "starts_at": soon(30), "ends_at": soon(32), "capacity": 40,
            "questions": [{"label": "怎么知道的", "kind": "single", "options": ["朋友", "海报"], "required": true}]});
        let id = create(&owner, body).await;
        let members_only = create(&owner, json!({"title": "会员日", "starts_at": soon(30), "ends_at": soon(32), "audience": "members"})).await;
        let url = format!("/api/v1/events/{id}/visitor-registrations");
        let visit = |path: String, body: Value| {
            let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
            let u = t.url(&path);
            async move {
                let r = client.post(u).json(&body).send().await.unwrap();
                (client, decode(r).await)
            }
        };
        let light = "SELECT COUNT(*) FROM users WHERE light = 1";
        // A missing answer, a bad address, no name: named, and no account is left behind.
        let (_, got) = visit(url.clone(), json!({"display_name": "小王", "email": "wang@example.com"})).await;
        assert_error(&got, 422, "required", Some("answers"));
        let (_, got) = visit(url.clone(), json!({"display_name": "小王", "email": "wang", "answers": {"0": ["朋友"]}})).await;
        assert_error(&got, 422, "invalid_email", Some("email"));
        let (_, got) = visit(url.clone(), json!({"display_name": " ", "email": "wang@example.com", "answers": {"0": ["朋友"]}})).await;
        assert_error(&got, 422, "required", Some("display_name"));
        assert_eq!(t.count(light).await, 0);
        // Members-only gatherings want an account.
        let (_, got) = visit(format!("/api/v1/events/{members_only}/visitor-registrations"), json!({"display_name": "小王", "email": "wang@example.com"})).await;
        assert_error(&got, 401, "unauthenticated", None);

        // Registered and signed in, in one step.
        let (wang, (s, r)) = visit(url.clone(), json!({"display_name": "小王", "email": "Wang@Example.com", "answers": {"0": ["朋友"]}, "via": "poster"})).await;
        assert_eq!((s, r["registration"]["status"].as_str()), (StatusCode::CREATED, Some("registered")), "{r}");
        assert_eq!(r["registration"]["ticket_code"].as_str().map(str::len), Some(8));
        let me: Value = wang.get(t.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
        assert_eq!((me["light"].as_bool(), me["display_name"].as_str()), (Some(true), Some("小王")));
        let mine = wang.get(t.url(&format!("/api/v1/events/{id}/registrations/mine"))).send().await.unwrap();
        assert_eq!(mine.status(), StatusCode::OK);
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM event_registrations WHERE event_id = {id} AND via = 'poster'")).await, 1);
        // The same address again, or a member's: sign in instead.
        let (_, got) = visit(url.clone(), json!({"display_name": "冒名", "email": "wang@EXAMPLE.com", "answers": {"0": ["朋友"]}})).await;
        assert_error(&got, 409, "email_has_account", Some("email"));
        members[0].put("/api/v1/me/email", json!({"email": "m0@example.com", "quiet_start": 22, "quiet_end": 8, "modes": {}})).await;
        let (_, got) = visit(url.clone(), json!({"display_name": "m", "email": "m0@example.com", "answers": {"0": ["朋友"]}})).await;
        assert_error(&got, 409, "email_has_account", Some("email"));
        // No password: the generated name signs in with nothing.
        let login = json!({"username": me["username"], "password": "anything at all"});
        assert_eq!(reqwest::Client::new().post(t.url("/api/v1/auth/login")).json(&login).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
        // Sign-in links need mail, which this site has not configured.
        let (_, got) = visit("/api/v1/auth/sign-in-link".into(), json!({"email": "wang@example.com"})).await;
        assert_error(&got, 409, "mail_not_configured", Some("email"));

        // Finishing the account: a name and a password of their own.
        let csrf = r["csrf_token"].as_str().unwrap();
        let finish = |body: Value| wang.post(t.url("/api/v1/me/finish")).header("x-csrf-token", csrf).json(&body).send();
        assert_error(&decode(finish(json!({"username": "owner", "password": "tea and books 123"})).await.unwrap()).await, 409, "username_taken", Some("username"));
        let done = decode(finish(json!({"username": "xiaowang", "password": "tea and books 123"})).await.unwrap()).await;
        assert_eq!((done.0, done.1["light"].as_bool(), done.1["username"].as_str()), (StatusCode::OK, Some(false), Some("xiaowang")));
        assert_error(&decode(finish(json!({"username": "xiaowang2", "password": "tea and books 123"})).await.unwrap()).await, 409, "not_light", None);
        let login = json!({"username": "xiaowang", "password": "tea and books 123"});
        assert_eq!(reqwest::Client::new().post(t.url("/api/v1/auth/login")).json(&login).send().await.unwrap().status(), StatusCode::OK);

        // A hall of newcomers on one Wi-Fi: sixty an hour from one address, then a pause.
        let open = create(&owner, json!({"title": "市集", "starts_at": soon(30), "ends_at": soon(32)})).await;
        let url = format!("/api/v1/events/{open}/visitor-registrations");
        for i in 0..59 {
            let (_, got) = visit(url.clone(), json!({"display_name": format!("客{i}"), "email": format!("g{i}@example.com")})).await;
            assert_eq!(got.0, StatusCode::CREATED, "{i}: {got:?}");
        }
        let (_, got) = visit(url.clone(), json!({"display_name": "多一个", "email": "g99@example.com"})).await;
        assert_error(&got, 429, "rate_limited", None);
        assert_eq!(t.count(light).await, 59, "xiaowang finished; 59 visitors");
    }
}

story! {
    async fn bookmarks_visits_and_the_funnel_of_a_gathering_and_its_format(t: TestApp) {
        let (owner, members) = setup(&t, 3).await;
        let soon = |m: i64| (chrono::Utc::now() + chrono::Duration::minutes(m)).to_rfc3339();
        let (_, tpl) = owner.post("/api/v1/communities/club/event-templates", json!({"title": "品茶会", "duration_minutes": 60})).await;
        let tid = tpl["id"].as_i64().unwrap();
        let (_, a) = owner.post(&format!("/api/v1/event-templates/{tid}/events"), json!({"starts_at": soon(60)})).await;
        let a = a["id"].as_i64().unwrap();
        let b = create(&owner, json!({"title": "读书会", "starts_at": soon(120), "ends_at": soon(180)})).await;

        // Visitors are counted once each, with the first link's attribution; staff previews are not.
        let anon = Browser::new(&t);
        for _ in 0..2 {
            assert_eq!(anon.page(&format!("/events/{a}?via=poster")).await.0, StatusCode::OK);
        }
        let m0 = Browser::new(&t);
        m0.log_in("m000").await;
        m0.page(&format!("/events/{a}")).await;
        let o = Browser::new(&t);
        o.log_in("owner").await;
        o.page(&format!("/events/{a}")).await;
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM event_visits WHERE event_id = {a} AND via = 'poster'")).await, 1);

        // Saving: idempotent, undoable, listed for the member, each change in the activity log.
        let mark = format!("/api/v1/events/{a}/bookmark");
        let (s, e) = members[0].put(&mark, json!({})).await;
        assert_eq!((s, e["bookmarked"].as_bool()), (StatusCode::OK, Some(true)));
        members[0].put(&mark, json!({})).await;
        members[1].put(&mark, json!({})).await;
        let (_, e) = members[1].delete(&mark).await;
        assert_eq!(e["bookmarked"].as_bool(), Some(false));
        let (_, saved) = members[0].get("/api/v1/me/saved-events").await;
        assert_eq!(saved.as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect::<Vec<_>>(), [a]);
        assert_eq!(t.count("SELECT COUNT(*) FROM activity_events WHERE kind = 'event_bookmarked'").await, 3);
        assert_error(&t.call_as(None, "PUT", &mark, None).await, 401, "unauthenticated", None);

        // Two come to the format's gathering (one through the poster); one of them comes again to another.
        let mut codes = vec![];
        for (m, via) in [(&members[0], None), (&members[1], Some("poster"))] {
            let (_, r) = m.post(&format!("/api/v1/events/{a}/registrations"), json!({"via": via})).await;
            codes.push(r["ticket_code"].clone());
        }
        for c in &codes {
            owner.post(&format!("/api/v1/events/{a}/check-ins"), json!({"code": c})).await;
        }
        let (_, r) = members[0].post(&format!("/api/v1/events/{b}/registrations"), json!({})).await;
        owner.post(&format!("/api/v1/events/{b}/check-ins"), json!({"code": r["ticket_code"]})).await;

        let (s, f) = owner.get(&format!("/api/v1/events/{a}/funnel")).await;
        assert_eq!(s, StatusCode::OK, "{f}");
        let steps: Vec<i64> = ["visitors", "bookmarked", "registered", "attended", "came_back", "third_time"]
            .iter()
            .map(|k| f[k].as_i64().unwrap())
            .collect();
        assert_eq!(steps, [2, 1, 2, 2, 1, 0], "{f}");
        assert_eq!(f["via"], json!([{"via": "poster", "registrations": 1}]));
        // The second gathering's own funnel: one came, nobody after.
        let (_, fb) = owner.get(&format!("/api/v1/events/{b}/funnel")).await;
        assert_eq!((fb["attended"].as_i64(), fb["came_back"].as_i64(), fb["visitors"].as_i64()), (Some(1), Some(0), Some(0)));
        // The format's funnel is its gatherings'.
        let (_, tpl) = owner.get(&format!("/api/v1/event-templates/{tid}")).await;
        assert_eq!((tpl["funnel"]["registered"].as_i64(), tpl["funnel"]["came_back"].as_i64()), (Some(2), Some(1)), "{tpl}");
        // Members do not read funnels.
        assert_error(&members[2].get(&format!("/api/v1/events/{a}/funnel")).await, 403, "insufficient_role", None);
        // The pages: staff see the funnel on the gathering; the member's saved list.
        let (_, page) = o.page(&format!("/events/{a}")).await;
        assert!(page.contains(r#"id="funnel""#) && page.contains("poster · 1"), "{page}");
        let (_, page) = m0.page(&format!("/events/{a}")).await;
        assert!(!page.contains(r#"id="funnel""#) && page.contains(r#"aria-pressed="true""#));
        let (_, saved) = m0.page("/events/saved").await;
        assert!(saved.contains(&format!("/events/{a}")) && saved.contains("品茶会"), "{saved}");
    }
}
