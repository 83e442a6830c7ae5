//! Gathering and venue pages: staff create a gathering from the form (bad
//! times named on the form), a member registers in two taps with an answer
//! and sees the ticket with its QR code, the door page checks the ticket in
//! (and says so the second time), a room's day shows free slots and books
//! one, the community page lists what is coming, and the sign-up link lets a
//! newcomer in.

use reqwest::StatusCode;
use serde_json::json;
use yaji_testkit::*;

fn local(days: i64, hm: &str) -> String {
    let d = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive() + chrono::Duration::days(days);
    format!("{d}T{hm}")
}

fn soon(hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(hours))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

story! {
    async fn create_register_show_the_ticket_and_check_it_in_at_the_door(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        t.user("ann").await.post("/api/v1/communities/club/join", json!({})).await;
        let o = Browser::new(&t);
        o.log_in("owner").await;
        let (s, list) = o.page("/c/club/events").await;
        assert_eq!(s, StatusCode::OK);
        let csrf = csrf_of(&list);
        let (start, end) = (soon(1), soon(3));
        let bad = o.post_form(&csrf, "/c/club/events", &[("title", "围炉夜话"), ("starts_at", &end), ("ends_at", &start)]).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text().await.unwrap().contains("has-error"));
        let fields = [("title", "围炉夜话"), ("starts_at", start.as_str()), ("ends_at", end.as_str()), ("capacity", "8"),
            ("questions", "*怎么称呼你\n茶: 绿茶, 红茶"), ("reminders", "60"), ("show_attendees", "1")];
        let r = o.post_form(&csrf, "/c/club/events", &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let at = r.headers()["location"].to_str().unwrap().split('?').next().unwrap().to_string();
        let id: i64 = at.trim_start_matches("/events/").parse().unwrap();
        let (_, e) = owner.get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(e["questions"][1], json!({"label": "茶", "kind": "single", "options": ["绿茶", "红茶"], "required": false}));

        // The member: the page offers the form; a missing required answer is named; then registered.
        let a = Browser::new(&t);
        a.log_in("ann").await;
        let (_, page) = a.page(&format!("/events/{id}")).await;
        assert!(page.contains("围炉夜话") && page.contains("name=\"q0\""));
        let csrf = csrf_of(&page);
        let r = a.post_form(&csrf, &format!("/events/{id}/register"), &[("q1", "红茶")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = a.post_form(&csrf, &format!("/events/{id}/register"), &[("q0", "小安"), ("q1", "红茶")]).await;
        assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/events/{id}?notice=registration_registered"));
        let (_, page) = a.page(&format!("/events/{id}")).await;
        assert!(page.contains(&format!("/events/{id}/ticket.svg")));
        let (s, qr) = a.page(&format!("/events/{id}/ticket.svg")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(qr.starts_with("<?xml") && qr.contains("<svg"), "{}", &qr[..qr.len().min(80)]);
        assert_eq!(t.count(&format!("SELECT COUNT(*) FROM event_registrations WHERE event_id = {id}")).await, 1);
        let (_, regs) = owner.get(&format!("/api/v1/events/{id}/registrations")).await;
        let ticket = regs[0]["ticket_code"].as_str().unwrap().to_string();
        assert_eq!(regs[0]["answers"], json!({"0": ["小安"], "1": ["红茶"]}));

        // The door, without script: the form posts the code, the page answers.
        let (s, door) = o.page(&format!("/events/{id}/door")).await;
        assert_eq!(s, StatusCode::OK);
        let csrf = csrf_of(&door);
        let r = o.post_form(&csrf, &format!("/events/{id}/door"), &[("code", &ticket.to_lowercase())]).await;
        let html = r.text().await.unwrap();
        assert!(html.contains("door-result ok") && html.contains("ann"), "checked in");
        let r = o.post_form(&csrf, &format!("/events/{id}/door"), &[("code", &ticket)]).await;
        let html = r.text().await.unwrap();
        assert!(html.contains("door-result ok") && (html.contains("已经签到过") || html.contains("Already checked in")));
        // Members may not open the door page.
        let (s, _) = a.page(&format!("/events/{id}/door")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // The attendee list shows her as attended; the CSV downloads.
        let (_, list) = o.page(&format!("/events/{id}/registrations")).await;
        assert!(list.contains("小安"));
        let (s, csv) = o.page(&format!("/events/{id}/registrations.csv")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(csv.contains("attended"));
        // The community page lists the gathering.
        let (_, home) = a.page("/c/club").await;
        assert!(home.contains(&format!("/events/{id}")));
        // The calendar file for the event.
        let (s, ics) = a.page(&format!("/events/{id}/event.ics")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(ics.contains("BEGIN:VEVENT"));
    }
}

story! {
    async fn a_room_day_shows_free_slots_and_books_one(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        t.user("ann").await.post("/api/v1/communities/club/join", json!({})).await;
        let o = Browser::new(&t);
        o.log_in("owner").await;
        let (_, page) = o.page("/c/club/venues").await;
        let csrf = csrf_of(&page);
        let r = o.post_form(&csrf, "/c/club/venues", &[("venue_name", "茶空间")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, v) = owner.get("/api/v1/communities/club/venues").await;
        let venue = v[0]["id"].as_i64().unwrap();
        let bad = o.post_form(&csrf, &format!("/venues/{venue}/rooms"), &[("name", "茶室"), ("hours", "22:00-08:00")]).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = o.post_form(&csrf, &format!("/venues/{venue}/rooms"), &[("name", "茶室"), ("capacity", "10"), ("rules", "members 14 2h")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let room: i64 = r.headers()["location"].to_str().unwrap().split('?').next().unwrap().trim_start_matches("/rooms/").parse().unwrap();

        let a = Browser::new(&t);
        a.log_in("ann").await;
        let date = &local(2, "00:00")[..10];
        let (_, day) = a.page(&format!("/rooms/{room}?date={date}")).await;
        assert!(day.contains("slot free") && day.contains("name=\"start\""));
        let csrf = csrf_of(&day);
        let r = a.post_form(&csrf, &format!("/rooms/{room}/book"), &[("date", date), ("start", "10:00"), ("minutes", "60"), ("purpose", "练琴")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, day) = a.page(&format!("/rooms/{room}?date={date}")).await;
        assert!(day.contains("slot taken") && day.contains("练琴"));
        // The same slot again: refused on the page, naming the conflict.
        let r = a.post_form(&csrf, &format!("/rooms/{room}/book"), &[("date", date), ("start", "10:30"), ("minutes", "60")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("has-error"));
        // My bookings lists it; the week grid counts the free slots.
        let (_, mine) = a.page("/c/club/bookings").await;
        assert!(mine.contains("茶室") && mine.contains("练琴"));
        let (_, week) = a.page("/c/club/venues").await;
        assert!(week.contains("free-n some"));
    }
}

story! {
    async fn the_sign_up_link_lets_newcomers_in_from_the_door(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let (_, e) = owner.post("/api/v1/communities/club/events", json!({"title": "开放日", "starts_at": local(1, "10:00"), "ends_at": local(1, "12:00")})).await;
        let pass = e["signup_pass"].as_str().unwrap().to_string();
        let b = Browser::new(&t);
        let (s, page) = b.page(&format!("/signup?pass={pass}&next=/events/{}", e["id"])).await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains(&format!("value=\"{pass}\"")));
        let csrf = csrf_of(&page);
        let r = b.post_form(&csrf, &format!("/signup?next=/events/{}", e["id"]), &[("username", "newbie"), ("password", PASSWORD), ("event_pass", &pass)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    }
}

story! {
    async fn formats_and_proposals_from_the_pages(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        t.user("ann").await.post("/api/v1/communities/club/join", json!({})).await;
        let o = Browser::new(&t);
        o.log_in("owner").await;
        let (s, page) = o.page("/c/club/events/templates").await;
        assert_eq!(s, StatusCode::OK);
        let csrf = csrf_of(&page);
        let r = o.post_form(&csrf, "/c/club/events/templates", &[("title", "品茶会"), ("duration_minutes", "90"), ("materials", "茶具")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let at = r.headers()["location"].to_str().unwrap().split('?').next().unwrap().to_string();
        let (s, tpl) = o.page(&at).await;
        assert!(s == StatusCode::OK && tpl.contains("茶具"));
        let start = local(4, "15:00");
        let r = o.post_form(&csrf, &format!("{at}/use"), &[("starts_at", &start)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(r.headers()["location"].to_str().unwrap().contains("notice=event_created"));
        // A member proposes from the list page; staff see it waiting and approve it.
        let a = Browser::new(&t);
        a.log_in("ann").await;
        let (_, list) = a.page("/c/club/events").await;
        assert!(list.contains("/c/club/events/propose"));
        let (s, e) = (local(6, "19:00"), local(6, "21:00"));
        let r = a.post_form(&csrf_of(&list), "/c/club/events/propose", &[("title", "夜读会"), ("starts_at", &s), ("ends_at", &e)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let id: i64 = r.headers()["location"].to_str().unwrap().split('?').next().unwrap().trim_start_matches("/events/").parse().unwrap();
        let (_, list) = o.page("/c/club/events").await;
        assert!(list.contains("夜读会") && list.contains(&format!("/events/{id}/approve")));
        let r = o.post_form(&csrf, &format!("/events/{id}/approve"), &[]).await;
        assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/events/{id}?notice=proposal_approved"));
    }
}

story! {
    async fn a_visitor_registers_with_name_and_email_and_finishes_the_account_later(t: TestApp) {
        let owner = t.user("owner").await;
        owner.post("/api/v1/communities", community("club", "open")).await;
        let (_, e) = owner
            .post("/api/v1/communities/club/events", json!({"title": "开放茶会", "starts_at": format!("{}:00+08:00", soon(30)), "ends_at": format!("{}:00+08:00", soon(32))}))
            .await;
        let id = e["id"].as_i64().unwrap();
        let v = Browser::new(&t);
        let (s, page) = v.page(&format!("/events/{id}?via=poster")).await;
        assert_eq!(s, StatusCode::OK);
        let action = format!("/events/{id}/register-visitor");
        assert!(page.contains(&action) && page.contains(r#"name="email""#), "{page}");
        let csrf = csrf_of(&page);
        // A bad address comes back on the page with what was typed.
        let r = v.post_form(&csrf, &action, &[("display_name", "小王"), ("email", "wang"), ("via", "poster")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(html.contains("flash err") && html.contains(r#"value="小王""#), "{html}");
        let r = v.post_form(&csrf, &action, &[("display_name", "小王"), ("email", "wang@example.com"), ("via", "poster")]).await;
        assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/events/{id}?notice=registration_registered"));
        let (_, page) = v.page(&format!("/events/{id}")).await;
        assert!(page.contains("ticket-code") && page.contains("/settings/profile#finish"), "{page}");

        // Someone else with that address is offered a sign-in link instead.
        let other = Browser::new(&t);
        let (_, page) = other.page(&format!("/events/{id}")).await;
        let r = other.post_form(&csrf_of(&page), &action, &[("display_name", "小王"), ("email", "WANG@example.com")]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(r.text().await.unwrap().contains(r#"action="/login/link""#));

        // The profile offers to finish the account; then the password works.
        let (_, profile) = v.page("/settings/profile").await;
        assert!(profile.contains(r#"action="/settings/finish""#) && !profile.contains(r#"action="/settings/password""#), "{profile}");
        let csrf = csrf_of(&profile);
        let r = v.post_form(&csrf, "/settings/finish", &[("username", "x"), ("password", "tea and books 123")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = v.post_form(&csrf, "/settings/finish", &[("username", "xiaowang"), ("password", "tea and books 123")]).await;
        assert_eq!(r.headers()["location"], "/settings/profile?notice=account_finished");
        let (_, profile) = v.page("/settings/profile").await;
        assert!(profile.contains("@xiaowang") && profile.contains(r#"action="/settings/password""#));

        // Before booking a room: continue with a name and an email from the login page.
        let (_, login) = Browser::new(&t).page("/login?next=/c/club").await;
        assert!(login.contains("/login/light?next=&#x2f;c&#x2f;club") && login.contains("/login/link?next=&#x2f;c&#x2f;club"), "{login}");
        let w = Browser::new(&t);
        let (_, page) = w.page("/login/light?next=/c/club").await;
        let r = w.post_form(&csrf_of(&page), "/login/light", &[("display_name", "阿梅"), ("email", "mei@example.com"), ("next", "/c/club")]).await;
        assert_eq!(r.headers()["location"], "/c/club?notice=welcome");
        assert_eq!(t.count("SELECT COUNT(*) FROM users WHERE light = 1").await, 1);
        // Without mail set up, asking for a link says so on the form.
        let (_, page) = w.page("/login/link").await;
        let r = w.post_form(&csrf_of(&page), "/login/link", &[("email", "mei@example.com")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
