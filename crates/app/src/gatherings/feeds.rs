//! What flows out of gatherings: calendar files (one event, or a community's
//! subscribable feed of its public gatherings), attendance figures, and the
//! path from visitor to returning attendee to member.

use serde::Serialize;
use utoipa::ToSchema;
use yaji_domain::gatherings::{ics, Audience};
use yaji_domain::permission::Action;
use yaji_domain::DAY_MS;
use yaji_store::repo::gatherings::{self as repo, Scope};
use yaji_store::Conn;

use super::funnel::{self, FunnelView};
use super::{def_of, ics_event, load, Loaded};
use crate::accounts::Viewer;
use crate::platform::context::Ctx;
use crate::{now, App, AppResult};

/// Attendance of one gathering.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Attendance {
    pub registered: i64,
    pub waitlisted: i64,
    pub attended: i64,
    pub no_show: i64,
    pub cancelled: i64,
    /// Seats of attended people, guests included.
    pub attended_seats: i64,
    /// Attended / (attended + no-show), in percent; none before anyone came or missed.
    pub attendance_rate: Option<i64>,
    pub average_rating: Option<f64>,
    pub ratings: i64,
}

pub(crate) async fn attendance_of(conn: &mut Conn, id: i64) -> AppResult<Attendance> {
    let mut a = Attendance::default();
    for (status, n, guests) in repo::counts(conn, id).await? {
        match status.as_str() {
            "registered" => a.registered = n,
            "waitlisted" => a.waitlisted = n,
            "attended" => {
                a.attended = n;
                a.attended_seats = n + guests
            }
            "no_show" => a.no_show = n,
            "cancelled" => a.cancelled = n,
            _ => {}
        }
    }
    let seen = a.attended + a.no_show;
    a.attendance_rate = (seen > 0).then(|| a.attended * 100 / seen);
    let ratings: Vec<i64> = repo::regs(conn, id).await?.iter().filter_map(|r| r.rating).collect();
    a.ratings = ratings.len() as i64;
    a.average_rating = (!ratings.is_empty()).then(|| ratings.iter().sum::<i64>() as f64 / ratings.len() as f64);
    Ok(a)
}

/// One gathering's numbers in the analytics table.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventNumbers {
    pub id: i64,
    pub title: String,
    pub starts_at: String,
    pub registrations: i64,
    pub attended: i64,
    pub no_show: i64,
    pub attendance_rate: Option<i64>,
}

/// Gatherings in a period: attendance, no-shows, registrations per event,
/// the path to membership, and room use by hour of the week.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GatheringStats {
    pub from: String,
    pub to: String,
    pub events: Vec<EventNumbers>,
    pub registrations: i64,
    pub attended: i64,
    pub no_show: i64,
    /// Percent of those expected (attended + no-show) who came.
    pub attendance_rate: Option<i64>,
    pub no_show_rate: Option<i64>,
    pub registrations_per_event: Option<f64>,
    pub funnel: FunnelView,
    pub rooms: i64,
    /// 168 cells, Monday 00h first: minutes booked (confirmed) in that local hour over the period.
    pub room_minutes: Vec<i64>,
}

fn rate(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| part * 100 / whole)
}

fn ics_of(l: &Loaded, base: &str) -> String {
    ics::calendar(&[ics_event(&l.row, &l.def, base)], l.ctx.tz(), None, now())
}

impl App {
    /// One gathering as an iCalendar file.
    pub async fn event_ics(&self, viewer: Option<Viewer>, id: i64, base: &str) -> AppResult<String> {
        let mut c = self.db.read().await?;
        let l = load(&mut c, id, viewer).await?;
        Ok(ics_of(&l, base))
    }

    /// A community's subscribable calendar: its public gatherings from 90
    /// days back on (calendar apps subscribe without signing in).
    pub async fn community_ics(&self, slug: &str, base: &str) -> AppResult<String> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, None).await?;
        let now = now();
        let mut events = vec![];
        for row in repo::between(&mut c, ctx.c.id, now - 90 * DAY_MS, now + 400 * DAY_MS).await? {
            let def = def_of(&row)?;
            if def.audience != Audience::Public {
                continue;
            }
            events.push(ics_event(&row, &def, base));
        }
        Ok(ics::calendar(&events, ctx.tz(), Some(&ctx.c.name), now))
    }

    /// Gatherings over `[from, to]` (local dates; default the last 90 days), for those who see analytics.
    pub async fn gathering_stats(
        &self,
        viewer: Viewer,
        slug: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> AppResult<GatheringStats> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::ViewAnalytics)?;
        let tz = ctx.tz();
        let now = now();
        let today = yaji_domain::time::local(now, tz).date();
        let day = |field: &'static str, v: Option<&str>, default: chrono::NaiveDate| match v
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| yaji_domain::error::invalid(field, "invalid_date", "a date like 2026-12-31")),
            None => Ok(default),
        };
        let (f, t) = (day("from", from, today - chrono::Days::new(89))?, day("to", to, today)?);
        let start = yaji_domain::time::at_local("from", f.and_hms_opt(0, 0, 0).unwrap_or_default(), tz)?;
        let end =
            yaji_domain::time::at_local("to", (t + chrono::Days::new(1)).and_hms_opt(0, 0, 0).unwrap_or_default(), tz)?;
        let rows = repo::attendance(&mut c, ctx.c.id, start, end).await?;
        let (registrations, attended, no_show) =
            rows.iter().fold((0, 0, 0), |(r, a, n), e| (r + e.registrations, a + e.attended, n + e.no_show));
        let events = rows
            .into_iter()
            .map(|e| EventNumbers {
                id: e.id,
                title: e.title,
                starts_at: crate::rfc3339(e.starts_at),
                registrations: e.registrations,
                attended: e.attended,
                no_show: e.no_show,
                attendance_rate: rate(e.attended, e.attended + e.no_show),
            })
            .collect::<Vec<_>>();
        let (rooms, room_minutes) = crate::venues::rooms::utilization(&mut c, &ctx, start, end).await?;
        Ok(GatheringStats {
            from: f.to_string(),
            to: t.to_string(),
            registrations_per_event: (!events.is_empty()).then(|| registrations as f64 / events.len() as f64),
            events,
            registrations,
            attended,
            no_show,
            attendance_rate: rate(attended, attended + no_show),
            no_show_rate: rate(no_show, attended + no_show),
            funnel: funnel::funnel(&mut c, ctx.c.id, Scope::Community(ctx.c.id), now).await?,
            rooms,
            room_minutes,
        })
    }

    /// The visitor → attendee → regular → member path (staff with analytics).
    pub async fn gathering_funnel(&self, viewer: Viewer, slug: &str) -> AppResult<FunnelView> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::ViewAnalytics)?;
        funnel::funnel(&mut c, ctx.c.id, Scope::Community(ctx.c.id), now()).await
    }
}
