//! Venue booking (场馆预约): admins set up venues and rooms (hours, slots,
//! buffers, blackout dates, rules by role or tag); members (and visitors,
//! where a room's rule says anyone) book time ranges, staff approve where
//! rules ask, and a booking becomes a gathering in one step.
//!
//! A booking is written by one INSERT that the database refuses when it
//! overlaps another holding booking of the room (see migration 0023): no
//! check-then-insert race can double-book. The check before it only makes
//! the common refusal cheap and names the conflicting range.

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaji_domain::activity::{BookingChanged, Event, Kind, Subject, VenueChanged};
use yaji_domain::error::invalid;
use yaji_domain::permission::Action;
use yaji_domain::venues::{self as domain, Booker, BookingRule, RoomDef, RoomInput, Slot, Who};
use yaji_domain::{DAY_MS, MINUTE_MS};
use yaji_store::repo::venues as repo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::gatherings::EventView;
use crate::platform::context::Ctx;
use crate::platform::events::{finish, record_event};
use crate::platform::notifications::notify;
use crate::{now, rfc3339, App, AppError, AppResult};

pub(crate) mod rooms;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct VenueInput {
    pub name: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VenueView {
    pub id: i64,
    pub community_slug: String,
    pub name: String,
    pub address: String,
    pub description: String,
    pub rooms: Vec<RoomView>,
    pub can_manage: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoomView {
    pub id: i64,
    pub venue_id: i64,
    pub venue_name: String,
    pub community_slug: String,
    pub name: String,
    pub capacity: i64,
    pub description: String,
    pub photo_url: Option<String>,
    /// Opening hours per weekday, Monday first: "08:00-22:00", or "" when closed.
    pub hours: Vec<String>,
    pub slot_minutes: i64,
    pub min_minutes: i64,
    pub max_minutes: i64,
    pub buffer_minutes: i64,
    pub blackout: Vec<String>,
    pub cancel_hours: i64,
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<BookingRule>,
    pub time_zone: String,
    /// Whether the viewer may book it (and whether staff must approve).
    pub can_book: bool,
    pub needs_approval: bool,
    pub can_manage: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BookingView {
    pub id: i64,
    pub room_id: i64,
    pub room_name: String,
    /// RFC 3339 (UTC).
    pub starts_at: String,
    pub ends_at: String,
    pub local_start: String,
    pub local_end: String,
    /// pending, confirmed, cancelled, declined
    pub status: String,
    /// Who booked and why: shown to them and to staff.
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub purpose: Option<String>,
    pub series_id: Option<i64>,
    pub event_id: Option<i64>,
    pub mine: bool,
    /// Whether the viewer may still cancel it.
    pub can_cancel: bool,
}

/// What someone sends to book a room.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct BookingInput {
    /// RFC 3339, or local (`2026-12-10T09:00`) in the community's time zone.
    pub starts_at: String,
    pub ends_at: String,
    #[serde(default)]
    pub purpose: Option<String>,
    /// Book the same time for this many weeks (1–26); nothing is written if
    /// any week is taken, and the answer lists those weeks.
    #[serde(default)]
    pub repeat_weeks: Option<i64>,
}

/// One room's day: its slots, free or taken.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayView {
    pub room_id: i64,
    pub date: String,
    /// 0 (Monday) to 6.
    pub weekday: u32,
    #[schema(value_type = Vec<Object>)]
    pub slots: Vec<Slot>,
    pub free: i64,
}

fn def_of(row: &repo::RoomRow) -> AppResult<RoomDef> {
    serde_json::from_str(&row.def).map_err(|e| AppError::Internal(format!("room {}: {e}", row.id)))
}

fn label(ms: i64, tz: Tz) -> String {
    yaji_domain::time::local(ms, tz).format("%Y-%m-%d %H:%M").to_string()
}

/// A room with its community, for `viewer`; 404 when they may not see it.
struct LoadedRoom {
    row: repo::RoomRow,
    def: RoomDef,
    ctx: Ctx,
    tags: Vec<String>,
}

impl LoadedRoom {
    fn booker(&self) -> Booker<'_> {
        Booker { signed_in: self.ctx.actor.signed_in, role: self.ctx.role(), tags: &self.tags }
    }
    fn rule(&self) -> Option<&BookingRule> {
        domain::rule_for(&self.def, &self.booker())
    }
    fn staff(&self) -> bool {
        self.ctx.can(Action::ManageBookings)
    }
}

async fn load_room(conn: &mut Conn, id: i64, viewer: Option<Viewer>) -> AppResult<LoadedRoom> {
    let row = repo::room(conn, id).await?.filter(|r| !r.archived).ok_or(AppError::NotFound("room"))?;
    let ctx = Ctx::load_id(conn, row.community_id, viewer).await?;
    let def = def_of(&row)?;
    // Members see the community's rooms; a room anyone may book is public.
    let public = def.rules.iter().any(|r| r.who == Who::Anyone);
    if !public && !ctx.can(Action::ReadContent) {
        return Err(AppError::NotFound("room"));
    }
    let tags = match viewer {
        Some(v) if ctx.membership.is_some() => crate::membership::tags_of(conn, ctx.c.id, v.id).await?,
        _ => vec![],
    };
    Ok(LoadedRoom { row, def, ctx, tags })
}

fn room_view(l: &LoadedRoom) -> RoomView {
    let rule = l.rule();
    RoomView {
        id: l.row.id,
        venue_id: l.row.venue_id,
        venue_name: l.row.venue_name.clone(),
        community_slug: l.ctx.c.slug.clone(),
        name: l.row.name.clone(),
        capacity: l.row.capacity,
        description: l.def.description.clone(),
        photo_url: l.def.photo_url.clone(),
        hours: l.def.hours.iter().map(|h| domain::hours_label(*h)).collect(),
        slot_minutes: l.def.slot_minutes,
        min_minutes: l.def.min_minutes,
        max_minutes: l.def.max_minutes,
        buffer_minutes: l.def.buffer_minutes,
        blackout: l.def.blackout.iter().map(|d| d.to_string()).collect(),
        cancel_hours: l.def.cancel_hours,
        rules: l.def.rules.clone(),
        time_zone: l.ctx.c.time_zone.clone(),
        can_book: l.ctx.can(Action::BookRoom { rule: rule.is_some() }),
        needs_approval: !l.staff() && rule.is_some_and(|r| r.approval),
        can_manage: l.ctx.can(Action::ManageVenues),
    }
}

fn booking_view(
    b: repo::BookingRow,
    viewer: Option<Viewer>,
    staff: bool,
    def: &RoomDef,
    tz: Tz,
    now: i64,
) -> BookingView {
    let mine = viewer.is_some_and(|v| v.id == b.user_id);
    let show = mine || staff;
    let holding = matches!(b.status.as_str(), "pending" | "confirmed");
    let can_cancel =
        holding && (staff || (mine && b.starts_at - now >= def.cancel_hours * 3_600_000 && b.starts_at > now));
    BookingView {
        id: b.id,
        room_id: b.room_id,
        room_name: b.room_name,
        starts_at: rfc3339(b.starts_at),
        ends_at: rfc3339(b.ends_at),
        local_start: label(b.starts_at, tz),
        local_end: label(b.ends_at, tz),
        status: b.status,
        username: show.then_some(b.username),
        display_name: show.then_some(b.display_name),
        purpose: show.then_some(b.purpose),
        series_id: b.series_id,
        event_id: b.event_id,
        mine,
        can_cancel,
    }
}

fn venue_input(v: VenueInput) -> AppResult<(String, String, String)> {
    let name = v.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(invalid("name", "invalid_length", "a name is 1-80 characters").into());
    }
    let address = v.address.unwrap_or_default().trim().to_string();
    let description = v.description.unwrap_or_default().trim().to_string();
    if address.chars().count() > 300 || description.chars().count() > 2000 {
        return Err(invalid("address", "too_long", "an address is at most 300 characters, a description 2000").into());
    }
    Ok((name, address, description))
}

/// How one try at booking ends badly: refused, or caught in a deadlock to run again.
enum Booking {
    App(AppError),
    Deadlock,
}

impl<E: Into<AppError>> From<E> for Booking {
    fn from(e: E) -> Booking {
        Booking::App(e.into())
    }
}

fn taken(ranges: &[repo::BookingRow]) -> AppError {
    AppError::Taken {
        message: "that time is taken".into(),
        ranges: ranges.iter().map(|b| (rfc3339(b.block_start), rfc3339(b.block_end))).collect(),
    }
}

impl App {
    /// Creates a venue (admins).
    pub async fn create_venue(&self, viewer: Viewer, slug: &str, input: VenueInput) -> AppResult<VenueView> {
        let (name, address, description) = venue_input(input)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManageVenues)?;
        let id = repo::insert_venue(tx.conn(), ctx.c.id, (&name, &address, &description), now).await?;
        let ev =
            Event::of(Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id), &VenueChanged { venue_id: id, name });
        finish(tx, ev, now).await?;
        self.venue(Some(viewer), id).await
    }

    pub async fn update_venue(&self, viewer: Viewer, id: i64, input: VenueInput) -> AppResult<VenueView> {
        let (name, address, description) = venue_input(input)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let v = repo::venue(tx.conn(), id).await?.ok_or(AppError::NotFound("venue"))?;
        let ctx = Ctx::load_id(tx.conn(), v.community_id, Some(viewer)).await?;
        ctx.allow(Action::ManageVenues)?;
        repo::update_venue(tx.conn(), id, (&name, &address, &description)).await?;
        let ev =
            Event::of(Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id), &VenueChanged { venue_id: id, name });
        finish(tx, ev, now).await?;
        self.venue(Some(viewer), id).await
    }

    /// A venue with the rooms the viewer may see.
    pub async fn venue(&self, viewer: Option<Viewer>, id: i64) -> AppResult<VenueView> {
        let mut c = self.db.read().await?;
        let v = repo::venue(&mut c, id).await?.ok_or(AppError::NotFound("venue"))?;
        let ctx = Ctx::load_id(&mut c, v.community_id, viewer).await?;
        let mut rooms = vec![];
        for r in repo::rooms(&mut c, id).await? {
            match load_room(&mut c, r.id, viewer).await {
                Ok(l) => rooms.push(room_view(&l)),
                Err(AppError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if rooms.is_empty() && !ctx.can(Action::ReadContent) {
            return Err(AppError::NotFound("venue"));
        }
        Ok(VenueView {
            id,
            community_slug: ctx.c.slug.clone(),
            name: v.name,
            address: v.address,
            description: v.description,
            rooms,
            can_manage: ctx.can(Action::ManageVenues),
        })
    }

    /// A community's venues and rooms.
    pub async fn venues(&self, viewer: Option<Viewer>, slug: &str) -> AppResult<Vec<VenueView>> {
        let ids: Vec<i64> = {
            let mut c = self.db.read().await?;
            let ctx = Ctx::load(&mut c, slug, viewer).await?;
            repo::venues(&mut c, ctx.c.id).await?.into_iter().map(|v| v.id).collect()
        };
        let mut out = vec![];
        for id in ids {
            match self.venue(viewer, id).await {
                Ok(v) => out.push(v),
                Err(AppError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Adds a room to a venue (admins). Opening hours default to every day 08:00–22:00.
    pub async fn create_room(&self, viewer: Viewer, venue_id: i64, input: RoomInput) -> AppResult<RoomView> {
        let (name, def) = input.validate()?;
        let now = now();
        let mut tx = self.db.write().await?;
        let v = repo::venue(tx.conn(), venue_id).await?.ok_or(AppError::NotFound("venue"))?;
        let ctx = Ctx::load_id(tx.conn(), v.community_id, Some(viewer)).await?;
        ctx.allow(Action::ManageVenues)?;
        let json = serde_json::to_string(&def).map_err(|e| AppError::Internal(e.to_string()))?;
        let id = repo::insert_room(tx.conn(), venue_id, ctx.c.id, (&name, def.capacity, &json), now).await?;
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::Room(id), &VenueChanged { venue_id, name });
        finish(tx, ev, now).await?;
        self.room(Some(viewer), id).await
    }

    /// Changes a room (admins); bookings made stay.
    pub async fn update_room(&self, viewer: Viewer, id: i64, input: RoomInput) -> AppResult<RoomView> {
        let (name, def) = input.validate()?;
        let now = now();
        let mut tx = self.db.write().await?;
        let l = load_room(tx.conn(), id, Some(viewer)).await?;
        l.ctx.allow(Action::ManageVenues)?;
        let json = serde_json::to_string(&def).map_err(|e| AppError::Internal(e.to_string()))?;
        repo::update_room(tx.conn(), id, (&name, def.capacity, &json)).await?;
        let ev =
            Event::of(Some(l.ctx.c.id), viewer.id, Subject::Room(id), &VenueChanged { venue_id: l.row.venue_id, name });
        finish(tx, ev, now).await?;
        self.room(Some(viewer), id).await
    }

    pub async fn room(&self, viewer: Option<Viewer>, id: i64) -> AppResult<RoomView> {
        let mut c = self.db.read().await?;
        Ok(room_view(&load_room(&mut c, id, viewer).await?))
    }

    /// A room's bookings in `[from, to)` (RFC 3339 or local; default: the next 7 days).
    pub async fn room_bookings(
        &self,
        viewer: Option<Viewer>,
        id: i64,
        from: Option<&str>,
        to: Option<&str>,
    ) -> AppResult<Vec<BookingView>> {
        let mut c = self.db.read().await?;
        let l = load_room(&mut c, id, viewer).await?;
        let tz = l.ctx.tz();
        let now = now();
        let from = match from.filter(|s| !s.trim().is_empty()) {
            Some(s) => yaji_domain::time::instant("from", s, tz)?,
            None => now - DAY_MS,
        };
        let to = match to.filter(|s| !s.trim().is_empty()) {
            Some(s) => yaji_domain::time::instant("to", s, tz)?,
            None => from + 8 * DAY_MS,
        };
        if to <= from || to - from > 92 * DAY_MS {
            return Err(invalid("to", "invalid_range", "to comes after from, at most 92 days later").into());
        }
        let staff = l.staff();
        Ok(repo::bookings(&mut c, id, (from, to))
            .await?
            .into_iter()
            .map(|b| booking_view(b, viewer, staff, &l.def, tz, now))
            .collect())
    }

    /// One room's day grid: its slots, free or taken (by a booking or its buffer).
    pub async fn room_day(&self, viewer: Option<Viewer>, id: i64, date: Option<&str>) -> AppResult<DayView> {
        let mut c = self.db.read().await?;
        let l = load_room(&mut c, id, viewer).await?;
        let tz = l.ctx.tz();
        let now = now();
        let day = match date.filter(|s| !s.trim().is_empty()) {
            Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| invalid("date", "invalid_date", "a date like 2026-12-10"))?,
            None => yaji_domain::time::local(now, tz).date(),
        };
        let start = yaji_domain::time::at_local("date", day.and_hms_opt(0, 0, 0).unwrap_or_default(), tz)?;
        let blocks: Vec<(i64, i64)> = repo::bookings(&mut c, id, (start - DAY_MS, start + 2 * DAY_MS))
            .await?
            .iter()
            .filter(|b| matches!(b.status.as_str(), "pending" | "confirmed"))
            .map(|b| (b.block_start, b.block_end))
            .collect();
        let slots = domain::day_slots(&l.def, tz, day, &blocks, now);
        let free = slots.iter().filter(|s| !s.taken && !s.past).count() as i64;
        Ok(DayView { room_id: id, date: day.to_string(), weekday: day.weekday().num_days_from_monday(), slots, free })
    }

    /// Books a room: the range must fit the room (hours, grid, lengths) and
    /// the viewer's rule (how far ahead, hours a week). 409
    /// `booking_conflict` with the taken ranges when it overlaps; a weekly
    /// repeat writes nothing unless every week is free.
    pub async fn book_room(&self, viewer: Viewer, id: i64, input: BookingInput) -> AppResult<Vec<BookingView>> {
        // PostgreSQL may fail one of two racing overlapping inserts as a
        // deadlock (each waits on the other's index entry); a second run sees
        // the winner and answers 409, or finds the range free after all.
        let mut tries = 0;
        loop {
            match self.book_room_once(viewer, id, &input).await {
                Err(Booking::Deadlock) if tries < 4 => tries += 1,
                Err(Booking::Deadlock) => return Err(AppError::Internal("booking: repeated deadlocks".into())),
                Err(Booking::App(e)) => return Err(e),
                Ok(v) => return Ok(v),
            }
        }
    }

    async fn book_room_once(&self, viewer: Viewer, id: i64, input: &BookingInput) -> Result<Vec<BookingView>, Booking> {
        let input = input.clone();
        let now = now();
        let purpose = input.purpose.unwrap_or_default().trim().to_string();
        if purpose.chars().count() > 200 {
            return Err(invalid("purpose", "too_long", "at most 200 characters").into());
        }
        let mut tx = self.db.write().await?;
        let l = load_room(tx.conn(), id, Some(viewer)).await?;
        let rule = l.rule().cloned();
        l.ctx.allow(Action::BookRoom { rule: rule.is_some() })?;
        let tz = l.ctx.tz();
        let start = yaji_domain::time::instant("starts_at", &input.starts_at, tz)?;
        let end = yaji_domain::time::instant("ends_at", &input.ends_at, tz)?;
        let ranges = match input.repeat_weeks {
            Some(n) if n > 1 => domain::weekly(start, end, n, tz)?,
            _ => vec![(start, end)],
        };
        for &(s, e) in &ranges {
            domain::check_range(&l.def, tz, s, e, now)?;
        }
        let staff = l.staff();
        if let (Some(rule), false) = (&rule, staff) {
            // Hours a week are counted under the room's lock, so two tabs cannot both use the last hour.
            if rule.hours_per_week.is_some() {
                repo::lock_room(tx.conn(), id).await?;
            }
            for &(s, e) in &ranges {
                let week = domain::week_of(s, tz);
                let held = repo::minutes_held(tx.conn(), id, viewer.id, week).await?;
                let same_week =
                    ranges.iter().filter(|r| r.0 >= week.0 && r.0 < s).map(|r| (r.1 - r.0) / MINUTE_MS).sum::<i64>();
                domain::check_rule(
                    rule,
                    s,
                    now,
                    (held + same_week) / 60,
                    (e - s) / MINUTE_MS + (held + same_week) % 60,
                )?;
            }
        }
        let status = if !staff && rule.as_ref().is_some_and(|r| r.approval) { "pending" } else { "confirmed" };
        // Report every taken week before writing anything.
        let mut conflicts = vec![];
        for &(s, e) in &ranges {
            conflicts.extend(repo::conflicts(tx.conn(), id, domain::block(&l.def, s, e)).await?);
        }
        if !conflicts.is_empty() {
            return Err(taken(&conflicts).into());
        }
        let mut ids = vec![];
        for &(s, e) in &ranges {
            let b = repo::NewBooking {
                room_id: id,
                user_id: viewer.id,
                range: (s, e),
                block: domain::block(&l.def, s, e),
                status,
                purpose: &purpose,
                series_id: ids.first().copied(),
                now,
            };
            let bid = match repo::insert_booking(tx.conn(), &b).await {
                Ok(bid) => bid,
                Err(err) if err.is_deadlock() => return Err(Booking::Deadlock),
                Err(err) if err.is_constraint(repo::OVERLAP) => {
                    // Someone took it between our look and our write: the database said no.
                    // SQLite's transaction goes on (read the winner in it); PostgreSQL's is over.
                    let now_taken = match repo::conflicts(tx.conn(), id, b.block).await {
                        Ok(t) => t,
                        Err(_) => {
                            tx.rollback().await.ok();
                            let mut c = self.db.read().await?;
                            repo::conflicts(&mut c, id, b.block).await?
                        }
                    };
                    return Err(taken(&now_taken).into());
                }
                Err(err) => return Err(AppError::from(err).into()),
            };
            if ranges.len() > 1 && ids.is_empty() {
                repo::set_booking_series(tx.conn(), bid, bid).await?;
            }
            ids.push(bid);
            let p = BookingChanged { room_id: id, starts_at: s, ends_at: e, status: status.into(), user_id: viewer.id };
            record_event(
                tx.conn(),
                &Event::of_kind(Kind::BookingCreated, Some(l.ctx.c.id), viewer.id, Subject::Booking(bid), &p),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        let mut c = self.db.read().await?;
        let mut out = vec![];
        for bid in ids {
            let b = repo::booking(&mut c, bid).await?.ok_or(AppError::NotFound("booking"))?;
            out.push(booking_view(b, Some(viewer), staff, &l.def, tz, now));
        }
        Ok(out)
    }

    async fn load_booking(
        &self,
        conn: &mut Conn,
        id: i64,
        viewer: Viewer,
    ) -> AppResult<(repo::BookingRow, LoadedRoom)> {
        let b = repo::booking(conn, id).await?.ok_or(AppError::NotFound("booking"))?;
        let l = load_room(conn, b.room_id, Some(viewer)).await?;
        if b.user_id != viewer.id && !l.staff() {
            return Err(AppError::NotFound("booking"));
        }
        Ok((b, l))
    }

    /// Cancels a booking: its booker up to the room's deadline, staff any time.
    pub async fn cancel_booking(&self, viewer: Viewer, id: i64) -> AppResult<BookingView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let (b, l) = self.load_booking(tx.conn(), id, viewer).await?;
        let tz = l.ctx.tz();
        let view = booking_view(b.clone(), Some(viewer), l.staff(), &l.def, tz, now);
        if !matches!(b.status.as_str(), "pending" | "confirmed") {
            return Ok(view);
        }
        if !view.can_cancel {
            return Err(AppError::conflict(
                "cancel_deadline",
                None,
                format!("bookings can be cancelled up to {} hours before the start", l.def.cancel_hours),
            ));
        }
        repo::set_booking_status(tx.conn(), id, "cancelled", now).await?;
        let p = BookingChanged {
            room_id: b.room_id,
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            status: "cancelled".into(),
            user_id: b.user_id,
        };
        finish(tx, Event::of_kind(Kind::BookingCancelled, Some(l.ctx.c.id), viewer.id, Subject::Booking(id), &p), now)
            .await?;
        let mut c = self.db.read().await?;
        let b = repo::booking(&mut c, id).await?.ok_or(AppError::NotFound("booking"))?;
        Ok(booking_view(b, Some(viewer), l.staff(), &l.def, tz, now))
    }

    /// Staff approve or decline a pending booking; the booker is told.
    pub async fn decide_booking(&self, viewer: Viewer, id: i64, approve: bool) -> AppResult<BookingView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let (b, l) = self.load_booking(tx.conn(), id, viewer).await?;
        l.ctx.allow(Action::ManageBookings)?;
        if b.status != "pending" {
            return Err(AppError::conflict("not_pending", None, "only a pending booking can be decided"));
        }
        let status = if approve { "confirmed" } else { "declined" };
        repo::set_booking_status(tx.conn(), id, status, now).await?;
        let detail = serde_json::json!({"room": b.room_name, "status": status, "starts": label(b.starts_at, l.ctx.tz()), "link": format!("/rooms/{}", b.room_id)});
        notify(
            tx.conn(),
            b.user_id,
            Some(l.ctx.c.id),
            yaji_domain::notification::NotificationKind::BookingDecided,
            &detail,
            now,
        )
        .await?;
        let p = BookingChanged {
            room_id: b.room_id,
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            status: status.into(),
            user_id: b.user_id,
        };
        finish(tx, Event::of_kind(Kind::BookingDecided, Some(l.ctx.c.id), viewer.id, Subject::Booking(id), &p), now)
            .await?;
        let mut c = self.db.read().await?;
        let b = repo::booking(&mut c, id).await?.ok_or(AppError::NotFound("booking"))?;
        Ok(booking_view(b, Some(viewer), true, &l.def, l.ctx.tz(), now))
    }

    /// The viewer's bookings in a community, from today on.
    pub async fn my_bookings(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<BookingView>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        let now = now();
        let mut out = vec![];
        for b in repo::mine(&mut c, viewer.id, ctx.c.id, now - DAY_MS).await? {
            let room = repo::room(&mut c, b.room_id).await?.ok_or(AppError::NotFound("room"))?;
            out.push(booking_view(b, Some(viewer), false, &def_of(&room)?, ctx.tz(), now));
        }
        Ok(out)
    }

    /// Bookings waiting for approval (staff).
    pub async fn pending_bookings(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<BookingView>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::ManageBookings)?;
        let now = now();
        let mut out = vec![];
        for b in repo::pending(&mut c, ctx.c.id).await? {
            let room = repo::room(&mut c, b.room_id).await?.ok_or(AppError::NotFound("room"))?;
            out.push(booking_view(b, Some(viewer), true, &def_of(&room)?, ctx.tz(), now));
        }
        Ok(out)
    }

    /// Turns a booking into a gathering (its booker or staff; creating
    /// gatherings needs staff): room, times and the room's capacity carried over.
    pub async fn booking_to_event(&self, viewer: Viewer, id: i64, title: Option<&str>) -> AppResult<EventView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let (b, l) = self.load_booking(tx.conn(), id, viewer).await?;
        l.ctx.allow(Action::ManageEvents)?;
        if b.status != "confirmed" {
            return Err(AppError::conflict("not_confirmed", None, "only a confirmed booking becomes a gathering"));
        }
        if let Some(e) = b.event_id {
            tx.commit().await?;
            return self.event(Some(viewer), e).await;
        }
        let tz = l.ctx.tz();
        let title = title.map(str::trim).filter(|t| !t.is_empty()).unwrap_or(if b.purpose.is_empty() {
            &l.row.name
        } else {
            &b.purpose
        });
        let input = yaji_domain::gatherings::EventInput {
            title: title.to_string(),
            starts_at: rfc3339(b.starts_at),
            ends_at: rfc3339(b.ends_at),
            capacity: Some(l.row.capacity),
            location: Some(format!("{} · {}", l.row.venue_name, l.row.name)),
            room_id: Some(b.room_id),
            ..Default::default()
        };
        let def = input.validate(tz)?;
        let event_id =
            self.insert_events(tx.conn(), &l.ctx, viewer, &def, &[def.starts_at], (Some(id), None), now).await?;
        repo::set_booking_event(tx.conn(), id, event_id).await?;
        tx.commit().await?;
        self.wake_workers();
        self.event(Some(viewer), event_id).await
    }
}
