//! Check-in challenges (打卡): staff create them, members join and check in
//! once a day (a tap, or a note that is a post like any other), with
//! make-up cards for a missed day, streaks, milestones that grant badges and
//! tags, reminders at an hour each member picks, leaderboards, organizer
//! statistics and a certificate for those who finish.
//!
//! A check-in is decided under a lock on the member's row in
//! `challenge_members`, and the unique (challenge, member, day) index keeps
//! one per day whatever races; the member's standing (streaks, totals) is
//! recomputed from their check-ins in the same transaction.

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaji_domain::activity::{
    ChallengeCreated, ChallengeJoined, ChallengeUpdated, CheckinMade, Event, MemberTagged, StreakReached, Subject,
};
use yaji_domain::challenges::{self as domain, ChallengeDef, ChallengeInput, Refusal};
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_store::repo::challenges as repo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::content::PostInput;
use crate::platform::context::Ctx;
use crate::platform::events::{finish, record_with, Facts};
use crate::platform::jobs::{enqueue, Job};
use crate::platform::notifications::notify;
use crate::views::PersonView;
use crate::{now, App, AppError, AppResult};

mod boards;
pub(crate) mod standing;

pub use boards::{Board, CalendarDay, CalendarView, Certificate, ChallengeStats, DayStat, FeedItem, RankEntry};
use standing::{day, def_of, restand, standing};
pub use standing::{MyStanding, StreakView};

/// A challenge as members and staff read it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChallengeView {
    pub id: i64,
    pub community_slug: String,
    pub title: String,
    pub description: String,
    pub description_html: String,
    /// Local dates in the community's time zone.
    pub starts_on: String,
    pub ends_on: Option<String>,
    /// The weekdays it runs, 1 (Monday) to 7 (Sunday).
    pub days: Vec<u32>,
    /// The daily window, "05:00–09:00", if any.
    pub window: Option<String>,
    /// `none`, `optional` or `required`: whether a check-in carries a note.
    pub proof: String,
    /// What the number counts ("pages", "km"), when check-ins carry one.
    pub number_label: Option<String>,
    pub makeup_cards: i64,
    /// Points a make-up card costs (0: free).
    pub makeup_price: i64,
    /// Streak milestones in days.
    pub milestones: Vec<i64>,
    /// The tag each milestone gives, where it gives one: `[[21, "习惯达人"]]`.
    pub milestone_tags: Vec<(i64, String)>,
    /// Check-ins that finish the challenge (none for an open-ended one without a goal).
    pub goal_days: Option<i64>,
    pub share_to_feed: bool,
    #[schema(value_type = Object)]
    pub join: domain::JoinRule,
    /// `upcoming`, `running` or `ended`.
    pub status: String,
    /// Today in the community's time zone.
    pub today: String,
    /// Today's day number (scheduled days since the start), 0 before it.
    pub day_number: i64,
    /// Scheduled days in all (none when open-ended).
    pub total_days: Option<i64>,
    pub time_zone: String,
    pub members: i64,
    /// Members who checked in today.
    pub checked_in_today: i64,
    /// The viewer's standing, once they joined.
    pub me: Option<MyStanding>,
    /// Whether the viewer may change it and see its statistics.
    pub can_manage: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckinView {
    pub id: i64,
    /// The local day it counts for.
    pub day: String,
    pub day_number: i64,
    pub made_up: bool,
    pub number: Option<f64>,
    /// The note's post, when the check-in carries one.
    pub post_id: Option<i64>,
    pub current: i64,
    pub longest: i64,
    /// Milestones (days) this check-in reached.
    pub milestones: Vec<i64>,
    /// Points the make-up card cost.
    pub points_spent: i64,
    pub finished: bool,
}

/// What a member sends to check in.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CheckinInput {
    /// The note (Markdown), when the challenge asks for or allows one.
    #[serde(default)]
    pub body: Option<String>,
    /// An image for the note, by its https address.
    #[serde(default)]
    pub image_url: Option<String>,
    /// The number counted (pages, km), when the challenge counts one.
    #[serde(default)]
    pub number: Option<f64>,
    /// Use a make-up card for the last missed day instead of today.
    #[serde(default)]
    pub makeup: bool,
}

pub(crate) fn tz_of(ctx: &Ctx) -> Tz {
    ctx.c.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
}

fn refusal(r: Refusal, def: &ChallengeDef) -> AppError {
    let message = match r {
        Refusal::NotStarted => format!("the challenge starts on {}", def.schedule.starts_on),
        Refusal::Ended => "the challenge has ended".to_string(),
        Refusal::DayOff => "today is not one of the challenge's days".to_string(),
        Refusal::OutsideWindow => {
            format!("check-ins are open {}", def.window.map(|w| w.label()).unwrap_or_default())
        }
        Refusal::NothingToMakeUp => "there is no earlier challenge day to make up".to_string(),
    };
    AppError::conflict(r.code(), None, message)
}

/// Loads a challenge and its community's context for `viewer`; 404 for
/// those who may not read the community.
pub(crate) async fn load(
    conn: &mut Conn,
    id: i64,
    viewer: Option<Viewer>,
) -> AppResult<(repo::ChallengeRow, ChallengeDef, Ctx)> {
    let row = repo::get(conn, id).await?.ok_or(AppError::NotFound("challenge"))?;
    let ctx = Ctx::load_id(conn, row.community_id, viewer).await?;
    if !ctx.can(Action::ReadContent) {
        return Err(AppError::NotFound("challenge"));
    }
    let def = def_of(&row)?;
    Ok((row, def, ctx))
}

fn status(def: &ChallengeDef, today: NaiveDate) -> &'static str {
    if today < def.schedule.starts_on {
        "upcoming"
    } else if def.schedule.ends_on.is_some_and(|e| today > e) {
        "ended"
    } else {
        "running"
    }
}

async fn view(
    conn: &mut Conn,
    row: &repo::ChallengeRow,
    def: &ChallengeDef,
    ctx: &Ctx,
    me: Option<&repo::MemberRow>,
    now: i64,
) -> AppResult<ChallengeView> {
    let tz = tz_of(ctx);
    let (today, minute) = domain::local(now, tz);
    let checked_in_today = repo::count_on(conn, row.id, &today.to_string()).await?;
    let s = &def.schedule;
    Ok(ChallengeView {
        id: row.id,
        community_slug: ctx.c.slug.clone(),
        title: row.title.clone(),
        description: def.description.clone(),
        description_html: yaji_domain::text::markdown_to_html(&def.description),
        starts_on: s.starts_on.to_string(),
        ends_on: s.ends_on.map(|d| d.to_string()),
        days: (1..=7).filter(|d| s.days & (1 << (d - 1)) != 0).collect(),
        window: def.window.map(|w| w.label()),
        proof: def.proof.as_str().to_string(),
        number_label: def.number_label.clone(),
        makeup_cards: def.makeup_cards,
        makeup_price: def.makeup_price,
        milestones: def.milestones.iter().map(|m| m.days).collect(),
        milestone_tags: def.milestones.iter().filter_map(|m| m.tag.clone().map(|t| (m.days, t))).collect(),
        goal_days: def.goal_days,
        share_to_feed: def.share_to_feed,
        join: def.join.clone(),
        status: status(def, today).to_string(),
        today: today.to_string(),
        day_number: domain::day_number(s, today.min(s.ends_on.unwrap_or(today))),
        total_days: s.total_days(),
        time_zone: ctx.c.time_zone.clone(),
        members: row.members,
        checked_in_today,
        me: me.map(|m| standing(def, m, tz, today, minute)),
        can_manage: ctx.can(Action::ManageChallenges),
    })
}

pub(crate) fn person(id: i64, username: String, display_name: String, avatar_url: Option<String>) -> PersonView {
    PersonView { id, username, display_name, avatar_url, level: None }
}

/// Whether a member may join under the challenge's rule; 403 `not_eligible` saying why.
async fn eligible(app: &App, conn: &mut Conn, ctx: &Ctx, def: &ChallengeDef, user_id: i64) -> AppResult<()> {
    let no = |why: &str| Err(AppError::forbidden("not_eligible", format!("this challenge is open to {why}")));
    if let Some(seg) = def.join.segment_id {
        if crate::segments::members_of(app, conn, ctx, seg, Some(&[user_id])).await?.is_empty() {
            return no("a chosen group of members");
        }
    }
    if let Some(tag) = &def.join.tag {
        if !crate::membership::tags_of(conn, ctx.c.id, user_id).await?.contains(tag) {
            return no(&format!("members tagged {tag}"));
        }
    }
    if let Some(l) = def.join.min_level {
        if crate::points::level_of(conn, ctx.c.id, user_id).await? < l {
            return no(&format!("members of level {l} and up"));
        }
    }
    Ok(())
}

/// Arms the member's next reminder (a job per day, keyed so each day is queued once).
async fn arm_reminder(
    conn: &mut Conn,
    ctx: &Ctx,
    def: &ChallengeDef,
    (id, user_id): (i64, i64),
    minute: i64,
    done_today: bool,
    now: i64,
) -> AppResult<()> {
    let tz = tz_of(ctx);
    let (today, now_minute) = domain::local(now, tz);
    if let Some(d) = domain::next_reminder(&def.schedule, today, now_minute, minute as u32, done_today) {
        let at = domain::instant(d, minute as u32, tz);
        let job =
            Job::CheckinReminder { community_id: ctx.c.id, challenge_id: id, user_id, day: d.to_string(), minute, at };
        enqueue(conn, job, now).await?;
    }
    Ok(())
}

/// Reads a reminder time as a minute of the day ("" or none: no reminder).
fn reminder(remind_at: Option<&str>) -> AppResult<Option<i64>> {
    match remind_at.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Ok(Some(i64::from(domain::remind_minute(s)?))),
        None => Ok(None),
    }
}

impl App {
    /// Creates a challenge (moderators and up). Dates are local to the community.
    pub async fn create_challenge(
        &self,
        viewer: Viewer,
        slug: &str,
        input: ChallengeInput,
    ) -> AppResult<ChallengeView> {
        let def = input.validate()?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManageChallenges)?;
        if let Some(seg) = def.join.segment_id {
            yaji_store::repo::segments::get(tx.conn(), ctx.c.id, seg)
                .await?
                .ok_or_else(|| yaji_domain::error::invalid("join.segment_id", "unknown_segment", "no such segment"))?;
        }
        let json = serde_json::to_string(&def).map_err(|e| AppError::Internal(e.to_string()))?;
        let (starts, ends) = (def.schedule.starts_on.to_string(), def.schedule.ends_on.map(|d| d.to_string()));
        let id =
            repo::insert(tx.conn(), ctx.c.id, &def.title, &json, (&starts, ends.as_deref()), viewer.id, now).await?;
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::Challenge(id), &ChallengeCreated { title: def.title });
        finish(tx, ev, now).await?;
        self.challenge(Some(viewer), id).await
    }

    /// Changes a challenge (moderators and up); check-ins made stay.
    pub async fn update_challenge(&self, viewer: Viewer, id: i64, input: ChallengeInput) -> AppResult<ChallengeView> {
        let def = input.validate()?;
        let now = now();
        let mut tx = self.db.write().await?;
        let (_, _, ctx) = load(tx.conn(), id, Some(viewer)).await?;
        ctx.allow(Action::ManageChallenges)?;
        let json = serde_json::to_string(&def).map_err(|e| AppError::Internal(e.to_string()))?;
        let (starts, ends) = (def.schedule.starts_on.to_string(), def.schedule.ends_on.map(|d| d.to_string()));
        repo::update(tx.conn(), id, &def.title, &json, (&starts, ends.as_deref())).await?;
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::Challenge(id), &ChallengeUpdated { title: def.title });
        finish(tx, ev, now).await?;
        self.challenge(Some(viewer), id).await
    }

    /// A community's challenges: running and upcoming first, then ended.
    pub async fn challenges(&self, viewer: Option<Viewer>, slug: &str) -> AppResult<Vec<ChallengeView>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, viewer).await?;
        ctx.allow(Action::ReadContent)?;
        let now = now();
        let (today, _) = domain::local(now, tz_of(&ctx));
        let mut out = vec![];
        for row in repo::list(&mut c, ctx.c.id, &today.to_string()).await? {
            let def = def_of(&row)?;
            let me = match viewer {
                Some(v) => repo::member(&mut c, row.id, v.id).await?,
                None => None,
            };
            out.push(view(&mut c, &row, &def, &ctx, me.as_ref(), now).await?);
        }
        Ok(out)
    }

    pub async fn challenge(&self, viewer: Option<Viewer>, id: i64) -> AppResult<ChallengeView> {
        let mut c = self.db.read().await?;
        let (row, def, ctx) = load(&mut c, id, viewer).await?;
        let me = match viewer {
            Some(v) => repo::member(&mut c, id, v.id).await?,
            None => None,
        };
        view(&mut c, &row, &def, &ctx, me.as_ref(), now()).await
    }

    /// Joins a challenge (members the join rule lets in), optionally with a
    /// daily reminder time; joining again changes nothing.
    pub async fn join_challenge(&self, viewer: Viewer, id: i64, remind_at: Option<&str>) -> AppResult<ChallengeView> {
        let minute = reminder(remind_at)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let (row, def, ctx) = load(tx.conn(), id, Some(viewer)).await?;
        ctx.allow(Action::TakePart)?;
        let (today, _) = domain::local(now, tz_of(&ctx));
        if def.schedule.ends_on.is_some_and(|e| today > e) {
            return Err(AppError::conflict("ended", None, "the challenge has ended"));
        }
        if repo::member(tx.conn(), id, viewer.id).await?.is_some() {
            tx.commit().await?;
            return self.challenge(Some(viewer), id).await;
        }
        eligible(self, tx.conn(), &ctx, &def, viewer.id).await?;
        repo::join(tx.conn(), id, viewer.id, minute, now).await?;
        if let Some(m) = minute {
            arm_reminder(tx.conn(), &ctx, &def, (id, viewer.id), m, false, now).await?;
        }
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::Challenge(id), &ChallengeJoined { title: row.title });
        finish(tx, ev, now).await?;
        self.wake_workers();
        self.challenge(Some(viewer), id).await
    }

    /// Leaves a challenge; the check-ins made stay in its history.
    pub async fn leave_challenge(&self, viewer: Viewer, id: i64) -> AppResult<()> {
        let mut tx = self.db.write().await?;
        load(tx.conn(), id, Some(viewer)).await?;
        repo::leave(tx.conn(), id, viewer.id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets (or clears, with none) the member's daily reminder time.
    pub async fn set_challenge_reminder(
        &self,
        viewer: Viewer,
        id: i64,
        remind_at: Option<&str>,
    ) -> AppResult<ChallengeView> {
        let minute = reminder(remind_at)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let (_, def, ctx) = load(tx.conn(), id, Some(viewer)).await?;
        let m = repo::member(tx.conn(), id, viewer.id)
            .await?
            .ok_or_else(|| AppError::conflict("not_joined", None, "join the challenge first"))?;
        repo::set_reminder(tx.conn(), id, viewer.id, minute).await?;
        if let Some(minute) = minute {
            let (today, _) = domain::local(now, tz_of(&ctx));
            let done = m.last_day.as_deref().and_then(day) == Some(today);
            arm_reminder(tx.conn(), &ctx, &def, (id, viewer.id), minute, done, now).await?;
        }
        tx.commit().await?;
        self.wake_workers();
        self.challenge(Some(viewer), id).await
    }

    /// Checks in for today, or with `makeup` for the last missed day (a
    /// make-up card). 409 `already_checked_in` when that day is done.
    pub async fn check_in(&self, viewer: Viewer, id: i64, input: CheckinInput) -> AppResult<CheckinView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let (row, def, ctx) = load(tx.conn(), id, Some(viewer)).await?;
        ctx.allow(Action::TakePart)?;
        let tz = tz_of(&ctx);
        let (today, minute) = domain::local(now, tz);
        let Some(m) = repo::lock_member(tx.conn(), id, viewer.id).await? else {
            return Err(AppError::conflict("not_joined", None, "join the challenge first"));
        };
        let d = domain::day_for(&def, today, minute, input.makeup).map_err(|r| refusal(r, &def))?;
        if input.makeup && m.makeups_used >= def.makeup_cards {
            return Err(AppError::conflict("no_makeup_cards", None, "no make-up cards left in this challenge"));
        }
        // A make-up card covers a day of one's own challenge, not one before joining.
        if input.makeup && d < domain::local(m.joined_at, tz).0 {
            return Err(AppError::conflict("before_joined", None, "that day was before you joined"));
        }
        let p = domain::ProofInput {
            body: input.body.as_deref(),
            image_url: input.image_url.as_deref(),
            number: input.number,
        };
        let (note, number) = domain::proof(&def, p)?;
        let new = repo::NewCheckin {
            challenge_id: id,
            user_id: viewer.id,
            day: &d.to_string(),
            made_up: input.makeup,
            number,
            created_at: now,
        };
        let Some(checkin_id) = repo::insert_checkin(tx.conn(), &new).await? else {
            let what = if input.makeup { "that day's check-in is already done" } else { "today's check-in is done" };
            return Err(AppError::conflict("already_checked_in", None, what));
        };
        let price = match input.makeup && def.makeup_price > 0 {
            true if crate::points::settings_of(tx.conn(), ctx.c.id).await?.enabled => {
                crate::points::spend(tx.conn(), &ctx.c, viewer.id, def.makeup_price, crate::points::SPEND_MAKEUP, now)
                    .await?;
                def.makeup_price
            }
            _ => 0,
        };
        let day_number = domain::day_number(&def.schedule, d);
        let post_id = match note {
            Some(body) => {
                let title = format!("{} #{day_number}", row.title);
                let input = PostInput { title: Some(&title), body: &body, topic_id: None };
                let w = self.write_post(tx.conn(), &ctx, viewer, input, true, now).await?;
                if !def.share_to_feed {
                    yaji_store::repo::content::set_unlisted(tx.conn(), w.row.id).await?;
                }
                repo::set_proof_post(tx.conn(), checkin_id, w.row.id).await?;
                let facts = Facts { ctx: Some(&ctx), ..Default::default() };
                record_with(tx.conn(), &w.event, facts, now).await?;
                Some(w.row.id)
            }
            None => None,
        };
        let (streak, finished_at) = restand(tx.conn(), &def, id, viewer.id, today, m.finished_at, now).await?;
        let reached: Vec<domain::Milestone> =
            domain::crossed(&def.milestones, m.longest_streak, streak.longest).into_iter().cloned().collect();
        for ms in &reached {
            self.milestone(tx.conn(), &ctx, &row, viewer.id, ms, now).await?;
        }
        if let Some(minute) = m.remind_minute.filter(|_| d == today) {
            arm_reminder(tx.conn(), &ctx, &def, (id, viewer.id), minute, true, now).await?;
        }
        let payload =
            CheckinMade { day: d.to_string(), made_up: input.makeup, number, post_id, price, streak: streak.current };
        finish(tx, Event::of(Some(ctx.c.id), viewer.id, Subject::Challenge(id), &payload), now).await?;
        self.wake_workers_if_queued();
        Ok(CheckinView {
            id: checkin_id,
            day: d.to_string(),
            day_number,
            made_up: input.makeup,
            number,
            post_id,
            current: streak.current,
            longest: streak.longest,
            milestones: reached.iter().map(|m| m.days).collect(),
            points_spent: price,
            finished: finished_at.is_some(),
        })
    }

    /// A streak milestone: the event, a notice, the built-in badge for 7,
    /// 21 or 100 days, and the milestone's tag.
    async fn milestone(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        row: &repo::ChallengeRow,
        user_id: i64,
        ms: &domain::Milestone,
        now: i64,
    ) -> AppResult<()> {
        let payload = StreakReached { challenge_id: row.id, title: row.title.clone(), days: ms.days };
        crate::deliver_derived(conn, &Event::of(Some(ctx.c.id), None, Subject::User(user_id), &payload), now).await?;
        let detail = serde_json::json!({
            "community": ctx.c.name, "challenge": row.title, "days": ms.days,
            "message": format!("{} · {}", row.title, ms.days), "link": format!("/challenges/{}", row.id),
        });
        notify(conn, user_id, Some(ctx.c.id), NotificationKind::StreakReached, &detail, now).await?;
        if let Some(key) = yaji_domain::badges::streak_badge(ms.days) {
            let reason = format!("{} · {}", row.title, ms.days);
            crate::badges::grant_builtin(conn, &ctx.c, key, user_id, &reason, now).await?;
        }
        if let Some(tag) = &ms.tag {
            if crate::membership::set_tag(conn, ctx.c.id, user_id, tag, true, now).await? {
                let ev = Event::of(
                    Some(ctx.c.id),
                    None,
                    Subject::User(user_id),
                    &MemberTagged { tag: tag.clone(), rule_id: None },
                );
                crate::deliver_derived(conn, &ev, now).await?;
            }
        }
        Ok(())
    }

    /// Records a participant's earlier check-ins as they were kept elsewhere
    /// (a group's spreadsheet, the demo): `(day, number)` pairs on scheduled
    /// days up to today, without notes, points or milestones; days already
    /// done are skipped. Returns how many were added.
    pub(crate) async fn import_checkins(
        &self,
        id: i64,
        user_id: i64,
        days: &[(NaiveDate, Option<f64>)],
    ) -> AppResult<usize> {
        let now = now();
        let mut tx = self.db.write().await?;
        let (_, def, ctx) = load(tx.conn(), id, Some(Viewer { id: user_id, site_admin: false })).await?;
        let (today, _) = domain::local(now, tz_of(&ctx));
        let Some(m) = repo::lock_member(tx.conn(), id, user_id).await? else {
            return Err(AppError::conflict("not_joined", None, "not a participant"));
        };
        let mut added = 0;
        for (d, number) in days.iter().filter(|(d, _)| *d <= today && def.schedule.runs_on(*d)) {
            let day = d.to_string();
            let new = repo::NewCheckin {
                challenge_id: id,
                user_id,
                day: &day,
                made_up: false,
                number: *number,
                created_at: now,
            };
            added += usize::from(repo::insert_checkin(tx.conn(), &new).await?.is_some());
        }
        if let Some(first) = days.iter().map(|(d, _)| *d).min() {
            repo::joined_by(tx.conn(), id, user_id, domain::instant(first, 0, tz_of(&ctx))).await?;
        }
        restand(tx.conn(), &def, id, user_id, today, m.finished_at, now).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// The reminder job: tells a member who has not checked in on `day`,
    /// once (the reminders table keeps it to one per day), then arms the
    /// next day's. Stale when the member left or moved their reminder.
    pub(crate) async fn checkin_reminder_job(
        &self,
        conn: &mut Conn,
        id: i64,
        user_id: i64,
        on: &str,
        minute: i64,
    ) -> AppResult<String> {
        let now = now();
        let Some(row) = repo::get(conn, id).await? else { return Ok("skipped: challenge gone".into()) };
        let Some(m) = repo::member(conn, id, user_id).await? else { return Ok("skipped: left".into()) };
        if m.remind_minute != Some(minute) {
            return Ok("skipped: reminder moved".into());
        }
        let ctx = Ctx::load_id(conn, row.community_id, None).await?;
        let def = def_of(&row)?;
        let Some(d) = day(on) else { return Ok("skipped: bad day".into()) };
        let done = repo::days_of(conn, id, user_id).await?.iter().any(|(s, _)| s == on);
        let outcome = if done {
            "skipped: checked in".to_string()
        } else if !repo::claim_reminder(conn, id, user_id, on, now).await? {
            "skipped: already reminded".to_string()
        } else {
            let detail = serde_json::json!({
                "community": ctx.c.name, "challenge": row.title, "day": on,
                "message": row.title, "link": format!("/challenges/{id}"),
            });
            notify(conn, user_id, Some(ctx.c.id), NotificationKind::CheckinReminder, &detail, now).await?;
            "reminded".to_string()
        };
        if let Some(next) = def.schedule.next_after(d) {
            let tz = tz_of(&ctx);
            let at = domain::instant(next, minute as u32, tz);
            let job = Job::CheckinReminder {
                community_id: ctx.c.id,
                challenge_id: id,
                user_id,
                day: next.to_string(),
                minute,
                at,
            };
            enqueue(conn, job, now).await?;
        }
        Ok(outcome)
    }
}
