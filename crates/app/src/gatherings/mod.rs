//! Gatherings (雅集): staff create events (once, or repeating weekly or
//! monthly), people register in two taps (visitors too, for public ones),
//! waitlists fill and move up by themselves, tickets are checked at the door,
//! reminders go out before the start, and after the end the no-shows are
//! marked and attendees asked for feedback.
//!
//! Every change of an event's seats happens under a lock on its row
//! (`repo::lock`), in the transaction that writes the registration and its
//! activity event: capacity holds whatever races, and a freed seat goes to
//! the first on the waitlist exactly once.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaji_domain::activity::{Event, EventChanged, EventCreated, Kind, RegistrationCreated, RegistrationMoved, Subject};
use yaji_domain::gatherings::{self as domain, Audience, EventDef, EventInput, Question, RegStatus};
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_store::repo::gatherings as repo;
use yaji_store::Conn;

use crate::accounts::{insert_light, LightInput, Session, Viewer};
use crate::platform::context::Ctx;
use crate::platform::events::{finish, record_event};
use crate::platform::jobs::{enqueue, Job};
use crate::platform::notifications::notify;
use crate::throttle::{LIGHT_PER_IP, SIGNUP_PER_EVENT};
use crate::views::PersonView;
use crate::{now, rfc3339, App, AppError, AppResult};

mod door;
mod feeds;
mod funnel;
pub(crate) mod invite;
mod jobs;
pub(crate) mod pass;
mod people;
pub(crate) mod roll;
mod templates;

pub use door::{DoorView, RegistrationView, StaffAction};
pub use feeds::{Attendance, EventNumbers, GatheringStats};
pub use funnel::{FunnelView, ViaCount};
pub use people::HostView;
pub use templates::{PastGathering, TemplateView};

/// A gathering as people read it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub community_slug: String,
    pub community_name: String,
    pub title: String,
    pub description: String,
    pub description_html: String,
    pub cover_url: Option<String>,
    /// Whether it happens online (the link is shown to registered people).
    pub online: bool,
    pub online_url: Option<String>,
    pub location: String,
    pub room_id: Option<i64>,
    /// RFC 3339 (UTC).
    pub starts_at: String,
    pub ends_at: String,
    /// In the community's time zone: "2026-12-10 19:00".
    pub local_start: String,
    pub local_end: String,
    pub time_zone: String,
    /// `public`, `members` or `tagged`.
    pub audience: String,
    pub audience_tags: Vec<String>,
    pub capacity: Option<i64>,
    /// Seats taken (registered and attended, guests included).
    pub taken: i64,
    /// Seats asked for on the waitlist.
    pub waiting: i64,
    pub spots_left: Option<i64>,
    pub opens_at: Option<String>,
    pub closes_at: Option<String>,
    pub approval: bool,
    pub max_guests: i64,
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<Question>,
    pub reminders: Vec<i64>,
    pub self_checkin: bool,
    pub show_attendees: bool,
    /// Ticket price in the smallest currency unit (0: free).
    pub price: i64,
    /// `upcoming`, `live`, `over` or `canceled`.
    pub status: String,
    /// `open`, `waitlist` (full: new registrations wait), `not_open`, `closed`.
    pub registration: String,
    pub series_id: Option<i64>,
    pub template_id: Option<i64>,
    pub hosts: Vec<HostView>,
    /// The viewer's registration.
    pub me: Option<RegistrationView>,
    /// The viewer saved it.
    pub bookmarked: bool,
    /// Whether the viewer may change it and see who registered.
    pub can_manage: bool,
    /// Whether the viewer may check people in.
    pub can_door: bool,
    /// Who is going, when the organizer shows it (and to staff).
    pub going: Vec<PersonView>,
    /// Attendance figures once it is over.
    pub attendance: Option<Attendance>,
    /// "Add to Google Calendar".
    pub google_calendar_url: String,
    /// Staff: the sign-up pass for newcomers at the door (`/signup?pass=…`),
    /// which lets a crowd sign up from one venue Wi-Fi.
    pub signup_pass: Option<String>,
    /// Staff and door staff: the code shown at the venue for self check-in.
    pub self_checkin_code: Option<String>,
    /// A member's proposal that staff have not approved yet.
    pub proposal: bool,
    /// The recap post of a past gathering.
    pub recap_post_id: Option<i64>,
}

/// What someone sends to register. All optional.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RegisterInput {
    /// Answers by question index: `{"0": "text", "1": ["a", "b"]}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub guests: Option<i64>,
    /// Attribution of a shared link (`?via=`), counted in the funnel.
    #[serde(default)]
    pub via: Option<String>,
}

pub(crate) fn def_of(row: &repo::EventRow) -> AppResult<EventDef> {
    serde_json::from_str(&row.def).map_err(|e| AppError::Internal(format!("event {}: {e}", row.id)))
}

fn local_label(ms: i64, tz: Tz) -> String {
    yaji_domain::time::local(ms, tz).format("%Y-%m-%d %H:%M").to_string()
}

/// An event with its community's context, as `viewer` may see it.
pub(crate) struct Loaded {
    pub row: repo::EventRow,
    pub def: EventDef,
    pub ctx: Ctx,
    /// The viewer's role on the event's own staff (host, cohost, door).
    pub staff_role: Option<String>,
    /// The viewer carries one of a tagged event's tags.
    pub has_tag: bool,
}

impl Loaded {
    pub fn tz(&self) -> Tz {
        self.ctx.tz()
    }
    pub fn can_manage(&self) -> bool {
        self.ctx.can(Action::ManageEvents)
    }
    pub fn door_staff(&self) -> bool {
        self.staff_role.is_some()
    }
    pub fn allow_door(&self) -> AppResult<()> {
        self.ctx.allow(Action::CheckInAttendees { door_staff: self.door_staff() })
    }
}

/// Loads an event for `viewer`; 404 for those who may not see it (a tagged
/// event says 403 `not_eligible` to members without the tag).
pub(crate) async fn load(conn: &mut Conn, id: i64, viewer: Option<Viewer>) -> AppResult<Loaded> {
    let row = repo::get(conn, id).await?.ok_or(AppError::NotFound("event"))?;
    loaded(conn, row, viewer).await
}

/// [`load`] for a row already read (lists).
async fn loaded(conn: &mut Conn, row: repo::EventRow, viewer: Option<Viewer>) -> AppResult<Loaded> {
    let id = row.id;
    let ctx = Ctx::load_id(conn, row.community_id, viewer).await?;
    let def = def_of(&row)?;
    let has_tag = match viewer {
        Some(v) if def.audience == Audience::Tagged => {
            crate::membership::tags_of(conn, ctx.c.id, v.id).await?.iter().any(|t| def.audience_tags.contains(t))
        }
        _ => false,
    };
    let staff_role = match viewer {
        Some(v) => repo::staff_role(conn, id, v.id).await?,
        None => None,
    };
    // A member's proposal: for staff and its proposer until approved.
    if row.proposal_open && !ctx.can(Action::ManageEvents) && row.proposed_by != viewer.map(|v| v.id) {
        return Err(AppError::NotFound("event"));
    }
    // Hosts and door staff see their event whatever its audience.
    if staff_role.is_none() {
        match ctx.allow(Action::SeeEvent { audience: def.audience, has_tag }) {
            Ok(()) => {}
            Err(AppError::Forbidden { code: "not_eligible", message }) => {
                return Err(AppError::Forbidden { code: "not_eligible", message })
            }
            Err(AppError::Unauthenticated) if def.audience != Audience::Public => {
                return Err(AppError::Unauthenticated)
            }
            Err(_) => return Err(AppError::NotFound("event")),
        }
    }
    Ok(Loaded { row, def, ctx, staff_role, has_tag })
}

fn status_of(row: &repo::EventRow, now: i64) -> &'static str {
    if row.canceled {
        "canceled"
    } else if now >= row.ends_at {
        "over"
    } else if now >= row.starts_at {
        "live"
    } else {
        "upcoming"
    }
}

fn registration_state(l: &Loaded, now: i64) -> &'static str {
    match domain::may_register(&l.def, l.row.canceled, 0, now) {
        Err(domain::Refusal::NotOpenYet) => "not_open",
        Err(_) => "closed",
        Ok(()) if l.row.capacity.is_some_and(|c| l.row.taken >= c) => "waitlist",
        Ok(()) => "open",
    }
}

async fn view(conn: &mut Conn, l: &Loaded, viewer: Option<Viewer>, now: i64) -> AppResult<EventView> {
    let (row, def, tz) = (&l.row, &l.def, l.tz());
    let me = match viewer {
        Some(v) => repo::reg_of(conn, row.id, v.id).await?.map(|r| door::reg_view(r, false)),
        None => None,
    };
    let registered = me.as_ref().is_some_and(|m| matches!(m.status.as_str(), "registered" | "attended"));
    let bookmarked = match viewer {
        Some(v) => repo::bookmarked(conn, row.id, v.id).await?,
        None => false,
    };
    let can_manage = l.can_manage();
    let can_door = l.ctx.can(Action::CheckInAttendees { door_staff: l.door_staff() });
    let going = if def.show_attendees || can_manage { people::going(conn, row.id).await? } else { vec![] };
    let attendance =
        if now >= row.ends_at || can_manage { Some(feeds::attendance_of(conn, row.id).await?) } else { None };
    let ics = ics_event(row, def, "");
    Ok(EventView {
        id: row.id,
        community_slug: l.ctx.c.slug.clone(),
        community_name: l.ctx.c.name.clone(),
        title: row.title.clone(),
        description: def.description.clone(),
        description_html: yaji_domain::text::markdown_to_html(&def.description),
        cover_url: def.cover_url.clone(),
        online: def.online_url.is_some(),
        online_url: def.online_url.clone().filter(|_| registered || can_manage || l.door_staff()),
        location: def.location.clone(),
        room_id: row.room_id,
        starts_at: rfc3339(row.starts_at),
        ends_at: rfc3339(row.ends_at),
        local_start: local_label(row.starts_at, tz),
        local_end: local_label(row.ends_at, tz),
        time_zone: l.ctx.c.time_zone.clone(),
        audience: def.audience.as_str().to_string(),
        audience_tags: def.audience_tags.clone(),
        capacity: row.capacity,
        taken: row.taken,
        waiting: repo::waiting(conn, row.id).await?,
        spots_left: row.capacity.map(|c| (c - row.taken).max(0)),
        opens_at: def.opens_at.map(rfc3339),
        closes_at: def.closes_at.map(rfc3339),
        approval: def.approval,
        max_guests: def.max_guests,
        questions: def.questions.clone(),
        reminders: def.reminders.clone(),
        self_checkin: def.self_checkin,
        show_attendees: def.show_attendees,
        price: def.price,
        status: status_of(row, now).to_string(),
        registration: registration_state(l, now).to_string(),
        series_id: row.series_id,
        template_id: row.template_id,
        hosts: people::hosts(conn, row.id).await?,
        me,
        can_manage,
        bookmarked,
        can_door,
        going,
        attendance,
        google_calendar_url: yaji_domain::gatherings::ics::google_link(&ics),
        signup_pass: row.signup_code.as_ref().filter(|_| can_manage).map(|c| format!("{}-{c}", row.id)),
        self_checkin_code: row.self_code.clone().filter(|_| can_door),
        proposal: row.proposal_open,
        recap_post_id: row.recap_post_id,
    })
}

/// The calendar entry of an event; `base` is the site's address for its link.
pub(crate) fn ics_event(row: &repo::EventRow, def: &EventDef, base: &str) -> yaji_domain::gatherings::ics::IcsEvent {
    yaji_domain::gatherings::ics::IcsEvent {
        uid: format!("yaji-event-{}-{}", row.id, row.created_at),
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        updated_at: row.updated_at,
        title: row.title.clone(),
        description: def.description.clone(),
        location: def.location.clone(),
        url: format!("{base}/events/{}", row.id),
        canceled: row.canceled,
    }
}

/// Arms the reminder jobs of an event (one per offset; a moved event arms
/// new ones and the old ones find the times changed and do nothing).
async fn arm(conn: &mut Conn, community_id: i64, id: i64, def: &EventDef, now: i64) -> AppResult<()> {
    for &m in &def.reminders {
        let at = def.starts_at - m * yaji_domain::MINUTE_MS;
        if at > now {
            enqueue(
                conn,
                Job::EventReminder { community_id, event_id: id, minutes: m, starts_at: def.starts_at, at },
                now,
            )
            .await?;
        }
    }
    let at = def.ends_at + domain::NO_SHOW_AFTER;
    enqueue(conn, Job::EventClose { community_id, event_id: id, at }, now).await?;
    Ok(())
}

fn self_code(def: &EventDef) -> Option<String> {
    def.self_checkin.then(|| domain::ticket_code(rand::random()).chars().take(6).collect())
}

/// Checks that a room belongs to the community.
async fn check_room(conn: &mut Conn, ctx: &Ctx, room_id: Option<i64>) -> AppResult<()> {
    if let Some(r) = room_id {
        if !crate::venues::rooms::room_in(conn, ctx.c.id, r).await? {
            return Err(yaji_domain::error::invalid("room_id", "unknown_room", "no such room in this community").into());
        }
    }
    Ok(())
}

impl App {
    /// Creates a gathering (moderators and up); with `repeat`, one event per
    /// occurrence, each with its own registrations. Returns the first.
    pub async fn create_event(&self, viewer: Viewer, slug: &str, input: EventInput) -> AppResult<EventView> {
        let repeat = input.repeat.clone();
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManageEvents)?;
        let tz = ctx.tz();
        let def = input.validate(tz)?;
        check_room(tx.conn(), &ctx, def.room_id).await?;
        let starts = match &repeat {
            Some(r) => domain::occurrences(def.starts_at, r, tz)?,
            None => vec![def.starts_at],
        };
        let first = self.insert_events(tx.conn(), &ctx, viewer, &def, &starts, (None, None), now).await?;
        tx.commit().await?;
        self.wake_workers();
        self.event(Some(viewer), first).await
    }

    /// Writes one event per start (the first names the series), each with its
    /// activity event and reminders, inside the caller's transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn insert_events(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        viewer: Viewer,
        def: &EventDef,
        starts: &[i64],
        (booking_id, proposed_by): (Option<i64>, Option<i64>),
        now: i64,
    ) -> AppResult<i64> {
        let length = def.ends_at - def.starts_at;
        let mut first = None;
        for &s in starts {
            let shift = s - def.starts_at;
            let d = EventDef {
                starts_at: s,
                ends_at: s + length,
                opens_at: def.opens_at.map(|o| o + shift),
                closes_at: def.closes_at.map(|c| c + shift),
                ..def.clone()
            };
            let json = serde_json::to_string(&d).map_err(|e| AppError::Internal(e.to_string()))?;
            let code = self_code(&d);
            let id = repo::insert(
                conn,
                repo::NewEvent {
                    community_id: ctx.c.id,
                    series_id: first,
                    template_id: d.template_id,
                    room_id: d.room_id,
                    booking_id,
                    title: &d.title,
                    starts_at: d.starts_at,
                    ends_at: d.ends_at,
                    capacity: d.capacity,
                    def: &json,
                    self_code: code.as_deref(),
                    signup_code: Some(&domain::ticket_code(rand::random())),
                    proposed_by,
                    by: viewer.id,
                    now,
                },
            )
            .await?;
            if starts.len() > 1 && first.is_none() {
                repo::set_series(conn, id, id).await?;
            }
            let first_id = *first.get_or_insert(id);
            arm(conn, ctx.c.id, id, &d, now).await?;
            let series_id = (starts.len() > 1).then_some(first_id);
            let payload =
                EventCreated { title: d.title.clone(), starts_at: d.starts_at, series_id, template_id: d.template_id };
            record_event(conn, &Event::of(Some(ctx.c.id), viewer.id, Subject::Gathering(id), &payload), now).await?;
        }
        first.ok_or_else(|| yaji_domain::error::invalid("repeat", "no_occurrences", "no occurrence is left").into())
    }

    /// Changes a gathering (moderators and up). Capacity may not drop below
    /// the seats taken; a raised capacity moves the waitlist up at once.
    pub async fn update_event(&self, viewer: Viewer, id: i64, input: EventInput) -> AppResult<EventView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let l = load(tx.conn(), id, Some(viewer)).await?;
        l.ctx.allow(Action::ManageEvents)?;
        let row = repo::lock(tx.conn(), id).await?.ok_or(AppError::NotFound("event"))?;
        let def = input.validate(l.tz())?;
        check_room(tx.conn(), &l.ctx, def.room_id).await?;
        if def.capacity.is_some_and(|c| c < row.taken) {
            return Err(yaji_domain::error::invalid(
                "capacity",
                "below_registered",
                format!("{} seats are taken: capacity cannot be lower", row.taken),
            )
            .into());
        }
        let json = serde_json::to_string(&def).map_err(|e| AppError::Internal(e.to_string()))?;
        let code = if def.self_checkin { row.self_code.clone().or_else(|| self_code(&def)) } else { None };
        let e = repo::NewEvent {
            community_id: row.community_id,
            series_id: row.series_id,
            template_id: row.template_id,
            room_id: def.room_id,
            booking_id: row.booking_id,
            title: &def.title,
            starts_at: def.starts_at,
            ends_at: def.ends_at,
            capacity: def.capacity,
            def: &json,
            self_code: code.as_deref(),
            signup_code: None,
            proposed_by: row.proposed_by,
            by: viewer.id,
            now,
        };
        repo::update(tx.conn(), id, &e).await?;
        if def.starts_at != row.starts_at || def.ends_at != row.ends_at || def.reminders != l.def.reminders {
            arm(tx.conn(), row.community_id, id, &def, now).await?;
        }
        let row = repo::get(tx.conn(), id).await?.ok_or(AppError::NotFound("event"))?;
        promote(tx.conn(), &row, &def, now).await?;
        let ev = changed(Kind::EventUpdated, row.community_id, viewer.id, id, &def.title);
        finish(tx, ev, now).await?;
        self.wake_workers();
        self.event(Some(viewer), id).await
    }

    /// Cancels a gathering (moderators and up): everyone registered or
    /// waiting is told; registration closes.
    pub async fn cancel_event(&self, viewer: Viewer, id: i64) -> AppResult<EventView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let l = load(tx.conn(), id, Some(viewer)).await?;
        l.ctx.allow(Action::ManageEvents)?;
        if l.row.canceled {
            tx.commit().await?;
            return self.event(Some(viewer), id).await;
        }
        repo::lock(tx.conn(), id).await?;
        repo::cancel(tx.conn(), id, now).await?;
        for r in repo::regs(tx.conn(), id).await? {
            if RegStatus::parse("status", &r.status).is_ok_and(|s| s.active()) {
                let detail = serde_json::json!({"title": l.row.title, "link": format!("/events/{id}")});
                notify(tx.conn(), r.user_id, Some(l.ctx.c.id), NotificationKind::EventCanceled, &detail, now).await?;
            }
        }
        let ev = changed(Kind::EventCanceled, l.ctx.c.id, viewer.id, id, &l.row.title);
        finish(tx, ev, now).await?;
        self.event(Some(viewer), id).await
    }

    /// A community's gatherings the viewer may see: upcoming (soonest first) or past.
    pub async fn events(&self, viewer: Option<Viewer>, slug: &str, past: bool) -> AppResult<Vec<EventView>> {
        self.some_events(viewer, slug, past, (100, false)).await
    }

    /// The first `n` gatherings the viewer may see that are not cancelled
    /// (the community page shows the next few).
    pub async fn next_events(&self, viewer: Option<Viewer>, slug: &str, n: usize) -> AppResult<Vec<EventView>> {
        self.some_events(viewer, slug, false, (n, true)).await
    }

    /// Up to `n` gatherings the viewer may see, leaving out cancelled ones where asked.
    async fn some_events(
        &self,
        viewer: Option<Viewer>,
        slug: &str,
        past: bool,
        (n, skip_canceled): (usize, bool),
    ) -> AppResult<Vec<EventView>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, viewer).await?;
        let now = now();
        let mut out = vec![];
        for row in repo::list(&mut c, ctx.c.id, now, past, 100).await? {
            if out.len() >= n {
                break;
            }
            if skip_canceled && row.canceled {
                continue;
            }
            match loaded(&mut c, row, viewer).await {
                Ok(l) => out.push(view(&mut c, &l, viewer, now).await?),
                Err(AppError::NotFound(_) | AppError::Forbidden { .. } | AppError::Unauthenticated) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    pub async fn event(&self, viewer: Option<Viewer>, id: i64) -> AppResult<EventView> {
        let mut c = self.db.read().await?;
        let l = load(&mut c, id, viewer).await?;
        view(&mut c, &l, viewer, now()).await
    }

    /// Registers the viewer: registered while seats last (guests count),
    /// then waitlisted; pending where staff approve. Registering again
    /// while registered changes nothing; after cancelling, it registers anew.
    pub async fn register_for_event(
        &self,
        viewer: Viewer,
        id: i64,
        input: RegisterInput,
    ) -> AppResult<RegistrationView> {
        let now = now();
        let mut tx = self.db.write().await?;
        match register_in(tx.conn(), id, viewer, input, now).await? {
            (Some(ev), mine) => {
                finish(tx, ev, now).await?;
                Ok(door::reg_view(mine, false))
            }
            (None, _) => {
                tx.commit().await?;
                self.my_registration(viewer, id).await
            }
        }
    }

    /// A visitor registers for a public gathering with a name and an email:
    /// a light account, its session and the registration, in one
    /// transaction (a refused registration leaves no account behind). The
    /// crowd at the door shares the gathering's budget, not the address's.
    pub async fn register_visitor(
        &self,
        signed_in: Option<Viewer>,
        id: i64,
        who: LightInput<'_>,
        input: RegisterInput,
        client: &str,
    ) -> AppResult<(Session, RegistrationView)> {
        if signed_in.is_some() {
            return Err(AppError::conflict("signed_in", None, "you are signed in: register as yourself"));
        }
        let budgets = [(format!("light:{client}"), &LIGHT_PER_IP), (format!("light-event:{id}"), &SIGNUP_PER_EVENT)];
        self.take_budgets(&budgets)?;
        let r = async {
            let now = now();
            let mut tx = self.db.write().await?;
            let l = load(tx.conn(), id, None).await?;
            if l.def.audience != Audience::Public {
                return Err(AppError::Unauthenticated);
            }
            let user = insert_light(tx.conn(), &who, now).await?;
            let viewer = user.viewer();
            let (ev, mine) = register_in(tx.conn(), id, viewer, input, now).await?;
            let session = self.session_in(tx.conn(), user, now).await?;
            match ev {
                Some(ev) => finish(tx, ev, now).await?,
                None => tx.commit().await?,
            }
            Ok((session, door::reg_view(mine, false)))
        }
        .await;
        if r.is_err() {
            self.give_back_budgets(&budgets);
        }
        r
    }

    /// The viewer's registration with its ticket.
    pub async fn my_registration(&self, viewer: Viewer, id: i64) -> AppResult<RegistrationView> {
        let mut c = self.db.read().await?;
        load(&mut c, id, Some(viewer)).await?;
        let r = repo::reg_of(&mut c, id, viewer.id).await?.ok_or(AppError::NotFound("registration"))?;
        Ok(door::reg_view(r, false))
    }

    /// Cancels the viewer's registration; a freed seat goes to the waitlist
    /// in the same transaction.
    pub async fn cancel_registration(&self, viewer: Viewer, id: i64) -> AppResult<RegistrationView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let l = load(tx.conn(), id, Some(viewer)).await?;
        let row = repo::lock(tx.conn(), id).await?.ok_or(AppError::NotFound("event"))?;
        let r = repo::reg_of(tx.conn(), id, viewer.id).await?.ok_or(AppError::NotFound("registration"))?;
        let status = RegStatus::parse("status", &r.status)?;
        if !status.active() {
            tx.commit().await?;
            return self.my_registration(viewer, id).await;
        }
        if status == RegStatus::Attended || now >= row.ends_at {
            return Err(AppError::conflict("event_over", None, "the gathering is over"));
        }
        cancel_one(tx.conn(), &row, &l.def, (&r, status), now).await?;
        finish(tx, moved(Kind::RegistrationCancelled, &row, viewer.id, &r, RegStatus::Cancelled, false), now).await?;
        self.my_registration(viewer, id).await
    }
}

/// The activity event of a registration's move.
pub(crate) fn moved(
    kind: Kind,
    row: &repo::EventRow,
    actor: i64,
    r: &repo::RegRow,
    to: RegStatus,
    by_staff: bool,
) -> Event {
    let p = RegistrationMoved {
        registration_id: r.id,
        user_id: r.user_id,
        status: to.as_str().into(),
        guests: r.guests,
        by_staff,
    };
    Event::of_kind(kind, Some(row.community_id), actor, Subject::Gathering(row.id), &p)
}

/// The activity event of a change to a gathering (`event_updated`, `event_canceled`).
pub(crate) fn changed(kind: Kind, community_id: i64, actor: i64, id: i64, title: &str) -> Event {
    Event::of_kind(kind, Some(community_id), actor, Subject::Gathering(id), &EventChanged { title: title.to_string() })
}

/// The registration itself, in the caller's transaction: the event to
/// append (none when the viewer holds an active registration already) and
/// the viewer's registration as it stands.
async fn register_in(
    conn: &mut Conn,
    id: i64,
    viewer: Viewer,
    input: RegisterInput,
    now: i64,
) -> AppResult<(Option<Event>, repo::RegRow)> {
    let l = load(conn, id, Some(viewer)).await?;
    l.ctx.allow(Action::RegisterForEvent { audience: l.def.audience, has_tag: l.has_tag })?;
    let guests = input.guests.unwrap_or(0);
    if l.row.proposal_open {
        return Err(AppError::conflict(
            "not_approved",
            None,
            "the gathering is a proposal staff have not approved yet",
        ));
    }
    domain::may_register(&l.def, l.row.canceled, guests, now).map_err(|r| refusal(r, &l.def))?;
    let answers = domain::answers(&l.def.questions, &input.answers)?;
    let answers = serde_json::to_string(&answers).map_err(|e| AppError::Internal(e.to_string()))?;
    let via = input.via.map(|v| {
        v.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').take(40).collect::<String>()
    });
    let row = repo::lock(conn, id).await?.ok_or(AppError::NotFound("event"))?;
    let existing = repo::reg_of(conn, id, viewer.id).await?;
    if let Some(r) = existing.clone() {
        if RegStatus::parse("status", &r.status).is_ok_and(|s| s.active()) {
            return Ok((None, r));
        }
    }
    let seats = domain::seats(guests);
    let status = domain::place(row.capacity, row.taken, seats, l.def.approval && !l.can_manage());
    let code = domain::ticket_code(rand::random());
    let reg = repo::NewReg {
        event_id: id,
        user_id: viewer.id,
        status: status.as_str(),
        guests,
        answers: &answers,
        ticket_code: &code,
        source: "self",
        via: via.as_deref().filter(|v| !v.is_empty()),
        now,
    };
    let reg_id = match &existing {
        Some(r) => {
            repo::renew_reg(conn, r.id, &reg).await?;
            r.id
        }
        None => repo::insert_reg(conn, reg).await?,
    };
    if status.holds_seats() {
        repo::add_taken(conn, id, seats).await?;
    }
    let payload = RegistrationCreated {
        registration_id: reg_id,
        user_id: viewer.id,
        status: status.as_str().to_string(),
        guests,
        source: "self".into(),
        via,
    };
    let mine = repo::reg(conn, reg_id).await?.ok_or(AppError::NotFound("registration"))?;
    Ok((Some(Event::of(Some(row.community_id), viewer.id, Subject::Gathering(id), &payload)), mine))
}

/// Cancels a registration under the event's lock, freeing its seats for the waitlist.
pub(crate) async fn cancel_one(
    conn: &mut Conn,
    row: &repo::EventRow,
    def: &EventDef,
    (r, status): (&repo::RegRow, RegStatus),
    now: i64,
) -> AppResult<()> {
    repo::set_status(conn, r.id, RegStatus::Cancelled.as_str(), now).await?;
    if status.holds_seats() {
        repo::add_taken(conn, row.id, -domain::seats(r.guests)).await?;
        let row = repo::get(conn, row.id).await?.ok_or(AppError::NotFound("event"))?;
        promote(conn, &row, def, now).await?;
    }
    Ok(())
}

/// Moves waitlisted people up while seats allow (under the event's lock),
/// each with their activity event and a notice.
pub(crate) async fn promote(conn: &mut Conn, row: &repo::EventRow, def: &EventDef, now: i64) -> AppResult<()> {
    if row.canceled || now >= row.ends_at {
        return Ok(());
    }
    let waitlist = repo::waitlist(conn, row.id).await?;
    let order: Vec<(i64, i64)> = waitlist.iter().map(|&(id, _, g)| (id, domain::seats(g))).collect();
    for reg_id in domain::promotions(row.capacity, row.taken, &order) {
        let r = repo::reg(conn, reg_id).await?.ok_or(AppError::NotFound("registration"))?;
        repo::set_status(conn, reg_id, RegStatus::Registered.as_str(), now).await?;
        repo::add_taken(conn, row.id, domain::seats(r.guests)).await?;
        let detail = serde_json::json!({"title": def.title, "link": format!("/events/{}", row.id)});
        notify(conn, r.user_id, Some(row.community_id), NotificationKind::RegistrationPromoted, &detail, now).await?;
        record_event(conn, &moved(Kind::RegistrationPromoted, row, r.user_id, &r, RegStatus::Registered, false), now)
            .await?;
    }
    Ok(())
}

fn refusal(r: domain::Refusal, def: &EventDef) -> AppError {
    let message = match r {
        domain::Refusal::NotOpenYet => "registration has not opened yet".to_string(),
        domain::Refusal::Closed => "registration has closed".to_string(),
        domain::Refusal::Over => "the gathering is over".to_string(),
        domain::Refusal::Canceled => "the gathering was cancelled".to_string(),
        domain::Refusal::TooManyGuests => format!("bring at most {} guests", def.max_guests),
    };
    match r {
        domain::Refusal::TooManyGuests => yaji_domain::error::invalid("guests", "too_many_guests", message).into(),
        r => AppError::conflict(r.code(), None, message),
    }
}
