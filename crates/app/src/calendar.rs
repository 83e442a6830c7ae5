//! The content calendar: a post written now and published later, once or on
//! a repeating schedule, and a month view of everything the community has
//! scheduled (calendar posts and timer rules).

use chrono::{Datelike, NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaji_domain::activity::{Event, PostScheduled, Subject};
use yaji_domain::automation::{self as auto, Cron, RuleDef, Trigger};
use yaji_domain::content::PostDraft;
use yaji_domain::error::invalid;
use yaji_domain::member::{MemberState, Role};
use yaji_domain::permission::Action;
use yaji_store::repo::calendar as repo;
use yaji_store::repo::community as crepo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::automation::tz_of;
use crate::communities::Ctx;
use crate::platform::jobs::Job;
use crate::{finish, now, rfc3339, App, AppError, AppResult};

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ScheduleInput {
    pub title: Option<String>,
    /// Markdown.
    pub body: String,
    pub topic_id: Option<i64>,
    /// When to publish: RFC 3339 (`2026-12-01T09:00:00+08:00`) or a local
    /// time in the community's time zone (`2026-12-01T09:00`).
    pub publish_at: String,
    /// Optional five-field cron (community time zone) to publish again and again.
    #[serde(default)]
    pub repeat: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduledView {
    pub id: i64,
    pub title: Option<String>,
    pub body: String,
    pub topic_id: Option<i64>,
    pub author: String,
    /// Next publication (UTC).
    pub publish_at: String,
    pub repeat: String,
    /// scheduled | published | canceled
    pub status: String,
    pub published_count: i64,
    pub last_post_id: Option<i64>,
    pub last_error: String,
}

impl From<repo::ScheduledRow> for ScheduledView {
    fn from(s: repo::ScheduledRow) -> Self {
        ScheduledView {
            id: s.id,
            title: s.title,
            body: s.body,
            topic_id: s.topic_id,
            author: s.author_name,
            publish_at: rfc3339(s.publish_at),
            repeat: s.repeat_cron,
            status: s.status,
            published_count: s.published_count,
            last_post_id: s.last_post_id,
            last_error: s.last_error,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarItem {
    /// scheduled_post | rule
    pub kind: String,
    pub id: i64,
    pub title: String,
    /// Local time in the community's time zone, `HH:MM`.
    pub time: String,
    pub at: String,
    pub repeating: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarDay {
    /// `YYYY-MM-DD`, local.
    pub date: String,
    pub items: Vec<CalendarItem>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarView {
    /// `YYYY-MM`.
    pub month: String,
    pub time_zone: String,
    /// Weekday of the 1st (0 = Monday), for laying out a grid.
    pub first_weekday: u32,
    pub days: Vec<CalendarDay>,
    pub scheduled: Vec<ScheduledView>,
}

/// Parses RFC 3339 or a local time in `tz`.
fn parse_when(raw: &str, tz: Tz) -> AppResult<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw.trim()) {
        return Ok(t.timestamp_millis());
    }
    let local = auto::parse_local(raw)
        .map_err(|_| invalid("publish_at", "invalid_datetime", "use RFC 3339 or a local time like 2026-12-01T09:00"))?;
    auto::local_to_utc(local, tz).ok_or_else(|| {
        invalid("publish_at", "invalid_datetime", "that local time does not exist (daylight saving)").into()
    })
}

/// Firings of `cron` within [from, to), at most 62.
fn firings(cron: &Cron, tz: Tz, from: i64, to: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut t = from - 1;
    while let Some(next) = auto::next_fire(cron, tz, t) {
        if next >= to || out.len() >= 62 {
            break;
        }
        out.push(next);
        t = next;
    }
    out
}

impl App {
    /// Writes a post now to publish later (moderators and up).
    pub async fn schedule_post(&self, viewer: Viewer, slug: &str, input: &ScheduleInput) -> AppResult<ScheduledView> {
        let draft = PostDraft::parse(input.title.as_deref(), &input.body)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ScheduleContent)?;
        if let Some(t) = input.topic_id {
            if crepo::topic(tx.conn(), t).await?.filter(|t| t.community_id == ctx.c.id).is_none() {
                return Err(invalid("topic_id", "unknown_topic", "no such topic in this community").into());
            }
        }
        let tz = tz_of(&ctx.c);
        let at = parse_when(&input.publish_at, tz)?;
        if at < now - crate::platform::MINUTE_MS {
            return Err(invalid("publish_at", "in_the_past", "the publication time has passed").into());
        }
        let repeat = input.repeat.as_deref().map(str::trim).unwrap_or("");
        if !repeat.is_empty() {
            Cron::parse(repeat).map_err(|e| invalid("repeat", e.code, e.message))?;
        }
        let new = repo::NewScheduled {
            community_id: ctx.c.id,
            author_id: viewer.id,
            topic_id: input.topic_id,
            title: draft.title.as_deref(),
            body: &draft.body,
            publish_at: at,
            repeat_cron: repeat,
        };
        let id = repo::insert_scheduled(tx.conn(), &new, now).await?;
        crate::platform::jobs::enqueue(
            tx.conn(),
            Job::PublishScheduled { community_id: ctx.c.id, id, version: 1, at },
            now,
        )
        .await?;
        let scheduled = PostScheduled {
            scheduled_id: id,
            publish_at: Some(rfc3339(at)),
            repeat: Some(repeat.to_string()),
            canceled: false,
        };
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id), &scheduled);
        finish(tx, ev, now).await?;
        self.wake_workers();
        let mut c = self.db.read().await?;
        Ok(repo::scheduled(&mut c, id).await?.ok_or(AppError::NotFound("scheduled post"))?.into())
    }

    /// Cancels a scheduled post (its pending publication becomes stale).
    pub async fn cancel_scheduled(&self, viewer: Viewer, slug: &str, id: i64) -> AppResult<()> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ScheduleContent)?;
        let s = repo::scheduled(tx.conn(), id)
            .await?
            .filter(|s| s.community_id == ctx.c.id)
            .ok_or(AppError::NotFound("scheduled post"))?;
        if s.status != "scheduled" {
            return Err(AppError::conflict("not_scheduled", None, format!("this post is already {}", s.status)));
        }
        repo::set_scheduled_state(tx.conn(), id, "canceled", s.publish_at, now).await?;
        let canceled = PostScheduled { scheduled_id: id, canceled: true, ..Default::default() };
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id), &canceled);
        finish(tx, ev, now).await
    }

    /// A month of the calendar (`YYYY-MM`, default this month in the community's time zone).
    pub async fn calendar(&self, viewer: Viewer, slug: &str, month: Option<&str>) -> AppResult<CalendarView> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::ScheduleContent)?;
        let tz = tz_of(&ctx.c);
        let today = tz.timestamp_millis_opt(now()).earliest().map(|t| t.date_naive()).unwrap_or_default();
        let first = match month.map(str::trim).filter(|m| !m.is_empty()) {
            Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                .map_err(|_| invalid("month", "invalid_month", "month is YYYY-MM"))?,
            None => today.with_day(1).unwrap_or(today),
        };
        let next = if first.month() == 12 {
            NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
        }
        .ok_or_else(|| invalid("month", "invalid_month", "month out of range"))?;
        let ms = |d: NaiveDate| auto::local_to_utc(d.and_hms_opt(0, 0, 0).unwrap_or_default(), tz).unwrap_or(0);
        let (from, to) = (ms(first), ms(next));
        let mut items: Vec<(i64, CalendarItem)> = Vec::new();
        let item = |kind: &str, id: i64, title: String, at: i64, repeating: bool| {
            let local =
                tz.timestamp_millis_opt(at).earliest().map(|t| t.format("%H:%M").to_string()).unwrap_or_default();
            (at, CalendarItem { kind: kind.into(), id, title, time: local, at: rfc3339(at), repeating })
        };
        let scheduled = repo::calendar(&mut c, ctx.c.id, from, to).await?;
        for s in &scheduled {
            let title = s.title.clone().unwrap_or_else(|| yaji_domain::text::excerpt(&s.body, 40));
            if s.repeat_cron.is_empty() || s.status != "scheduled" {
                if (from..to).contains(&s.publish_at) {
                    items.push(item("scheduled_post", s.id, title, s.publish_at, false));
                }
            } else if let Ok(cron) = Cron::parse(&s.repeat_cron) {
                let start = from.max(s.publish_at);
                if (from..to).contains(&s.publish_at) {
                    items.push(item("scheduled_post", s.id, title.clone(), s.publish_at, true));
                }
                for at in firings(&cron, tz, start + 1, to) {
                    items.push(item("scheduled_post", s.id, title.clone(), at, true));
                }
            }
        }
        for r in crate::automation::enabled_rules(&mut c, ctx.c.id).await? {
            let Ok(def) = serde_json::from_str::<RuleDef>(&r.definition) else { continue };
            let now = now();
            match &def.trigger {
                Trigger::Schedule { cron } => {
                    if let Ok(cron) = Cron::parse(cron) {
                        for at in firings(&cron, tz, from.max(now), to) {
                            items.push(item("rule", r.id, r.name.clone(), at, true));
                        }
                    }
                }
                Trigger::Date { at } => {
                    if let Some(at) = auto::parse_local(at).ok().and_then(|l| auto::local_to_utc(l, tz)) {
                        if (from..to).contains(&at) {
                            items.push(item("rule", r.id, r.name.clone(), at, false));
                        }
                    }
                }
                _ => {}
            }
        }
        items.sort_by_key(|(at, i)| (*at, i.id));
        let mut days: Vec<CalendarDay> = Vec::new();
        let mut d = first;
        while d < next {
            days.push(CalendarDay { date: d.to_string(), items: vec![] });
            d = d.succ_opt().unwrap_or(next);
        }
        for (at, it) in items {
            let local = tz.timestamp_millis_opt(at).earliest().map(|t| t.date_naive()).unwrap_or(first);
            if let Some(day) = days.get_mut(local.day0() as usize) {
                day.items.push(it);
            }
        }
        Ok(CalendarView {
            month: first.format("%Y-%m").to_string(),
            time_zone: ctx.c.time_zone.clone(),
            first_weekday: first.weekday().num_days_from_monday(),
            days,
            scheduled: scheduled.into_iter().filter(|s| s.status == "scheduled").map(ScheduledView::from).collect(),
        })
    }

    /// Job: publish a scheduled post and, if it repeats, schedule the next time.
    pub(crate) async fn publish_scheduled_job(
        &self,
        conn: &mut Conn,
        id: i64,
        version: i64,
        at: i64,
    ) -> AppResult<String> {
        let now = now();
        let Some(s) = repo::scheduled(conn, id).await?.filter(|s| s.status == "scheduled" && s.version == version)
        else {
            return Ok("skipped: canceled or rescheduled".into());
        };
        let ctx = Ctx::load_id(conn, s.community_id, None).await?;
        // The author must still be allowed to schedule posts at publication time.
        let author_ok = crepo::membership(conn, s.community_id, s.author_id)
            .await?
            .is_some_and(|m| m.state == MemberState::Active && m.role != Role::Member);
        if !author_ok {
            repo::set_scheduled_state(conn, id, "canceled", s.publish_at, now).await?;
            repo::record_publication(conn, id, None, "the author is no longer a moderator here", now).await?;
            return Ok("canceled: author no longer a moderator".into());
        }
        let title = s.title.clone().unwrap_or_default();
        let post_id =
            crate::content::publish_post(conn, ctx.c.id, s.author_id, &title, &s.body, s.topic_id, now).await?;
        repo::record_publication(conn, id, Some(post_id), "", now).await?;
        let next = Cron::parse(&s.repeat_cron).ok().and_then(|c| auto::next_fire(&c, tz_of(&ctx.c), at.max(now)));
        match next {
            Some(next) => {
                let v = repo::set_scheduled_state(conn, id, "scheduled", next, now).await?;
                crate::platform::jobs::enqueue(
                    conn,
                    Job::PublishScheduled { community_id: ctx.c.id, id, version: v, at: next },
                    now,
                )
                .await?;
            }
            None => {
                repo::set_scheduled_state(conn, id, "published", s.publish_at, now).await?;
            }
        }
        Ok(format!("published post {post_id}"))
    }
}
