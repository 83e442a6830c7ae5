//! Venue pages: a community's venues with a week grid of free slots per
//! room (admins add venues and rooms there), a room's day with its slots and
//! the booking form, and "my bookings" (with the approvals waiting, for staff).

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use minijinja::context;
use serde::Serialize;
use yaji_app::venues::{BookingInput, DayView, VenueInput};
use yaji_app::AppError;
use yaji_domain::member::Role;
use yaji_domain::venues::{BookingRule, RoomInput, Who};

use super::form::{commas, field, opt_i64, safe_next, with_notice, Form};
use super::{Page, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/venues", get(venues_page).post(create_venue))
        .route("/venues/{id}/rooms", post(create_room))
        .route("/rooms/{id}", get(room_page).post(update_room))
        .route("/rooms/{id}/book", post(book))
        .route("/c/{slug}/bookings", get(bookings_page))
        .route("/bookings/{id}/cancel", post(cancel))
        .route("/bookings/{id}/decide", post(decide))
        .route("/bookings/{id}/event", post(to_event))
}

pub(super) const TEMPLATES: &[(&str, &str)] =
    templates!["venues/list.html", "venues/room.html", "venues/bookings.html", "venues/room_fields.html"];

/// Reads booking rules, one per line: who (`anyone`, `members`, `tag:名`,
/// `role:moderator`), days ahead, then optionally `4h` (hours a week) and
/// `approval`: `members 14 2h approval`.
fn rules_of(text: &str) -> Result<Option<Vec<BookingRule>>, AppError> {
    let bad = || yaji_domain::error::invalid("rules", "invalid_rule", "a rule reads like: members 14 2h approval");
    let mut out = vec![];
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut words = line.split_whitespace();
        let who = match words.next().ok_or_else(bad)? {
            "anyone" | "任何人" => Who::Anyone,
            "members" | "成员" => Who::Members,
            w => match w.split_once([':', '：']) {
                Some(("tag" | "标签", t)) if !t.is_empty() => Who::Tag(t.to_string()),
                Some(("role" | "角色", r)) => Who::Role(Role::parse("rules", r)?),
                _ => return Err(bad().into()),
            },
        };
        let mut rule = BookingRule { who, days_ahead: 30, hours_per_week: None, approval: false };
        for w in words {
            if let Ok(d) = w.parse::<i64>() {
                rule.days_ahead = d;
            } else if let Some(h) = w.strip_suffix(['h', 'H']).and_then(|h| h.parse::<i64>().ok()) {
                rule.hours_per_week = Some(h);
            } else if matches!(w, "approval" | "审核") {
                rule.approval = true;
            } else {
                return Err(bad().into());
            }
        }
        out.push(rule);
    }
    Ok(if out.is_empty() { None } else { Some(out) })
}

fn rules_text(rules: &[BookingRule]) -> String {
    rules
        .iter()
        .map(|r| {
            let who = match &r.who {
                Who::Anyone => "anyone".to_string(),
                Who::Members => "members".to_string(),
                Who::Tag(t) => format!("tag:{t}"),
                Who::Role(r) => format!("role:{}", r.as_str()),
            };
            let hours = r.hours_per_week.map(|h| format!(" {h}h")).unwrap_or_default();
            format!("{who} {}{hours}{}", r.days_ahead, if r.approval { " approval" } else { "" })
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn room_input(f: &Form) -> Result<RoomInput, AppError> {
    let hours = field(f, "hours").trim();
    Ok(RoomInput {
        name: field(f, "name").to_string(),
        capacity: opt_i64(f, "capacity")?,
        description: Some(field(f, "description").to_string()),
        photo_url: Some(field(f, "photo_url").to_string()),
        hours: (!hours.is_empty()).then(|| commas(&hours.replace(['；', ';'], ","))),
        slot_minutes: opt_i64(f, "slot_minutes")?,
        min_minutes: opt_i64(f, "min_minutes")?,
        max_minutes: opt_i64(f, "max_minutes")?,
        buffer_minutes: opt_i64(f, "buffer_minutes")?,
        blackout: commas(field(f, "blackout"))
            .iter()
            .map(|d| {
                d.parse().map_err(|_| yaji_domain::error::invalid("blackout", "invalid_date", "dates like 2026-12-31"))
            })
            .collect::<Result<_, _>>()?,
        cancel_hours: opt_i64(f, "cancel_hours")?,
        rules: rules_of(field(f, "rules"))?,
    })
}

/// One room's week: free slots per day.
#[derive(Serialize)]
struct WeekRow {
    room_id: i64,
    name: String,
    capacity: i64,
    days: Vec<(String, i64, i64)>,
}

async fn venues_view(page: &Page, slug: &str, form: Form, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let start: Option<NaiveDate> =
        page.path.split_once("start=").and_then(|(_, s)| s.get(..10)).and_then(|s| s.parse().ok());
    let r = async {
        let c = app.community(viewer, slug).await?;
        let venues = app.venues(viewer, slug).await?;
        let today: NaiveDate = match venues.first().and_then(|v| v.rooms.first()) {
            Some(r) => app.room_day(viewer, r.id, None).await?.date.parse().unwrap_or_default(),
            None => chrono::Utc::now().date_naive(),
        };
        let from = start.unwrap_or(today);
        let days: Vec<NaiveDate> = (0..7).map(|i| from + chrono::Days::new(i)).collect();
        let mut weeks = HashMap::new();
        for v in &venues {
            let mut rows = vec![];
            for r in &v.rooms {
                let mut cells = vec![];
                for d in &days {
                    let day: DayView = app.room_day(viewer, r.id, Some(&d.to_string())).await?;
                    cells.push((d.to_string(), day.free, day.slots.len() as i64));
                }
                rows.push(WeekRow { room_id: r.id, name: r.name.clone(), capacity: r.capacity, days: cells });
            }
            weeks.insert(v.id.to_string(), rows);
        }
        let days: Vec<(String, u32)> =
            days.iter().map(|d| (d.to_string(), chrono::Datelike::weekday(d).num_days_from_monday())).collect();
        let prev = (from - chrono::Days::new(7)).max(today).to_string();
        let next = (from + chrono::Days::new(7)).to_string();
        Ok::<_, AppError>((c, venues, weeks, days, prev, next, from > today))
    }
    .await;
    let (c, venues, weeks, days, prev, next, can_prev) = or_fail!(page, r);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let ctx = context! { c, venues, weeks, days, prev, next, can_prev, form, errors, sub => "venues" };
    page.render(status, "venues/list.html", ctx)
}

async fn venues_page(page: Page, Path(slug): Path<String>) -> Response {
    venues_view(&page, &slug, Form::new(), HashMap::new()).await
}

async fn create_venue(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let input = VenueInput {
        name: field(&f, "venue_name").to_string(),
        address: Some(field(&f, "address").to_string()),
        description: Some(field(&f, "venue_description").to_string()),
    };
    match async { page.state.app.create_venue(page.auth.require()?, &slug, input).await }.await {
        Ok(_) => with_notice(&format!("/c/{slug}/venues"), "venue_created"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => {
                let errors = errors.into_iter().map(|(k, v)| (format!("venue_{k}"), v)).collect();
                venues_view(&page, &slug, f, errors).await
            }
            None => page.fail(e),
        },
    }
}

async fn create_room(page: Page, Path(venue): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let app = &page.state.app;
    let r = async { app.create_room(page.auth.require()?, venue, room_input(&f)?).await }.await;
    match r {
        Ok(room) => with_notice(&format!("/rooms/{}", room.id), "room_created"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => match app.venue(page.auth.viewer(), venue).await {
                Ok(v) => venues_view(&page, &v.community_slug, f, errors).await,
                Err(e) => page.fail(e),
            },
            None => page.fail(e),
        },
    }
}

#[derive(serde::Deserialize)]
struct DayQuery {
    date: Option<String>,
    /// A free slot tapped on the grid ("14:00"), chosen in the form.
    start: Option<String>,
}

async fn room_view(
    page: &Page,
    id: i64,
    (date, start): (Option<&str>, Option<&str>),
    form: Option<Form>,
    errors: HashMap<String, String>,
) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let room = app.room(viewer, id).await?;
        let c = app.community(viewer, &room.community_slug).await?;
        let day = app.room_day(viewer, id, date).await?;
        let today = app.room_day(viewer, id, None).await?.date;
        let d: NaiveDate = day.date.parse().unwrap_or_default();
        let t: NaiveDate = today.parse().unwrap_or_default();
        let nav: Vec<String> = (0..14).map(|i| (t + chrono::Days::new(i)).to_string()).collect();
        let from = format!("{}T00:00", day.date);
        let to = format!("{}T00:00", d + chrono::Days::new(1));
        let bookings = app.room_bookings(viewer, id, Some(&from), Some(&to)).await?;
        Ok::<_, AppError>((room, c, day, nav, bookings))
    }
    .await;
    let (room, c, day, nav, bookings) = or_fail!(page, r);
    let form = form.unwrap_or_else(|| {
        Form::from([
            ("name".into(), room.name.clone()),
            ("capacity".into(), room.capacity.to_string()),
            ("description".into(), room.description.clone()),
            ("photo_url".into(), room.photo_url.clone().unwrap_or_default()),
            ("hours".into(), room.hours.join(", ")),
            ("slot_minutes".into(), room.slot_minutes.to_string()),
            ("min_minutes".into(), room.min_minutes.to_string()),
            ("max_minutes".into(), room.max_minutes.to_string()),
            ("buffer_minutes".into(), room.buffer_minutes.to_string()),
            ("cancel_hours".into(), room.cancel_hours.to_string()),
            ("blackout".into(), room.blackout.join(", ")),
            ("rules".into(), rules_text(&room.rules)),
        ])
    });
    let lengths: Vec<i64> = (1..=room.max_minutes / room.slot_minutes)
        .map(|n| n * room.slot_minutes)
        .filter(|m| *m >= room.min_minutes)
        .take(16)
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let ctx = context! { room, c, day, nav, bookings, lengths, form, errors, start, sub => "venues" };
    page.render(status, "venues/room.html", ctx)
}

async fn room_page(page: Page, Path(id): Path<i64>, Query(q): Query<DayQuery>) -> Response {
    room_view(&page, id, (q.date.as_deref(), q.start.as_deref()), None, HashMap::new()).await
}

async fn update_room(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let r = async { page.state.app.update_room(page.auth.require()?, id, room_input(&f)?).await }.await;
    match r {
        Ok(_) => with_notice(&format!("/rooms/{id}"), "room_saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => room_view(&page, id, (None, None), Some(f), errors).await,
            None => page.fail(e),
        },
    }
}

/// Books from the day grid: a start time and a length in minutes.
async fn book(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let date = field(&f, "date").to_string();
    let r = async {
        let start = format!("{date}T{}", field(&f, "start"));
        let minutes = opt_i64(&f, "minutes")?.unwrap_or(0);
        let start_local = chrono::NaiveDateTime::parse_from_str(&start, "%Y-%m-%dT%H:%M")
            .map_err(|_| yaji_domain::error::invalid("starts_at", "invalid_datetime", "choose a start time"))?;
        let end = (start_local + chrono::Duration::minutes(minutes)).format("%Y-%m-%dT%H:%M").to_string();
        let repeat = opt_i64(&f, "repeat_weeks")?;
        let input = BookingInput {
            starts_at: start,
            ends_at: end,
            purpose: Some(field(&f, "purpose").to_string()),
            repeat_weeks: repeat,
        };
        page.state.app.book_room(page.auth.require()?, id, input).await
    }
    .await;
    match r {
        Ok(b) => with_notice(
            &format!("/rooms/{id}?date={date}"),
            if b[0].status == "pending" { "booking_pending" } else { "booking_made" },
        ),
        Err(e) => match page.field_errors(&e) {
            Some(mut errors) => {
                if let Some(m) = errors.remove("ends_at") {
                    errors.insert("starts_at".into(), m);
                }
                let d = Some(date.clone()).filter(|d| !d.is_empty());
                room_view(&page, id, (d.as_deref(), None), None, errors).await
            }
            None => match page.refusal(e) {
                Ok((_, msg)) => {
                    room_view(&page, id, (Some(&date), None), None, HashMap::from([("starts_at".into(), msg)])).await
                }
                Err(e) => page.fail(e),
            },
        },
    }
}

async fn bookings_page(page: Page, Path(slug): Path<String>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let v = page.auth.require()?;
        let c = app.community(viewer, &slug).await?;
        let mine = app.my_bookings(v, &slug).await?;
        let pending = if c.abilities.moderate { app.pending_bookings(v, &slug).await? } else { vec![] };
        Ok::<_, AppError>((c, mine, pending))
    }
    .await;
    let (c, mine, pending) = or_fail!(page, r);
    page.ok("venues/bookings.html", context! { c, mine, pending, sub => "bookings" })
}

fn back(f: &Form) -> String {
    safe_next(Some(field(f, "back")))
}

async fn cancel(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let r = async { page.state.app.cancel_booking(page.auth.require()?, id).await }.await;
    page.done(r, |_| back(&f), "booking_cancelled")
}

async fn decide(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let approve = field(&f, "approve") == "1";
    let r = async { page.state.app.decide_booking(page.auth.require()?, id, approve).await }.await;
    page.done(r, |_| back(&f), if approve { "booking_approved" } else { "booking_declined" })
}

async fn to_event(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let title = Some(field(&f, "title")).filter(|t| !t.trim().is_empty());
    let r = async { page.state.app.booking_to_event(page.auth.require()?, id, title).await }.await;
    page.done(r, |e| format!("/events/{}/edit", e.id), "event_created")
}
