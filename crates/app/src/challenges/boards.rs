//! What a challenge's readers see beyond its page: a member's streak and
//! month, the leaderboards, the organizer's statistics, the notes and the
//! certificate.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaji_domain::challenges::{self as domain, DayState};
use yaji_domain::permission::Action;
use yaji_store::repo::challenges as repo;

use super::standing::{current, day, standing, StreakView};
use super::{load, person, tz_of};
use crate::accounts::Viewer;
use crate::views::PersonView;
use crate::{now, rfc3339, App, AppError, AppResult};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RankEntry {
    pub rank: i64,
    pub member: PersonView,
    pub current: i64,
    pub longest: i64,
    pub checkins: i64,
    pub number_sum: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarDay {
    pub date: String,
    pub day: u32,
    /// `done`, `made_up`, `missed`, `today`, `upcoming` or `off`.
    pub state: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarView {
    pub member: PersonView,
    /// "2026-12".
    pub month: String,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// Blank cells before the 1st in a Monday-first week.
    pub lead: u32,
    pub days: Vec<CalendarDay>,
    pub streak: StreakView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayStat {
    pub day: String,
    pub day_number: i64,
    /// Members who checked in that day.
    pub checked_in: i64,
    /// Share of participants who checked in that day.
    pub rate: f64,
    /// Share of participants still going that day (their last check-in is on or after it).
    pub still_going: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChallengeStats {
    pub participants: i64,
    pub finished: i64,
    /// Finishers over participants, when the challenge has a goal.
    pub completion_rate: Option<f64>,
    pub checkins: i64,
    /// Scheduled days up to today (or the end), first to last.
    pub days: Vec<DayStat>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedItem {
    pub member: PersonView,
    pub day: String,
    pub day_number: i64,
    pub made_up: bool,
    pub number: Option<f64>,
    pub post_id: Option<i64>,
    pub body_html: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Certificate {
    pub member: PersonView,
    pub challenge_id: i64,
    pub title: String,
    pub community_name: String,
    pub checkins: i64,
    pub longest: i64,
    pub number_sum: f64,
    pub number_label: Option<String>,
    pub starts_on: String,
    pub finished_on: String,
}

/// Leaderboards' order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Board {
    #[default]
    Streak,
    Total,
    Number,
}

impl Board {
    pub fn parse(s: &str) -> AppResult<Board> {
        match s {
            "" | "streak" => Ok(Board::Streak),
            "total" => Ok(Board::Total),
            "number" => Ok(Board::Number),
            _ => Err(yaji_domain::error::invalid("by", "invalid_choice", "by is streak, total or number").into()),
        }
    }
}

impl App {
    /// A member's streak in a challenge (stable: `{"current","longest"}`).
    pub async fn challenge_streak(&self, viewer: Option<Viewer>, id: i64, username: &str) -> AppResult<StreakView> {
        let mut c = self.db.read().await?;
        let (_, def, ctx) = load(&mut c, id, viewer).await?;
        let u = ctx.member_named(&mut c, username).await?;
        let m = repo::member(&mut c, id, u.id).await?.ok_or(AppError::NotFound("participant"))?;
        let (today, minute) = domain::local(now(), tz_of(&ctx));
        let s = standing(&def, &m, tz_of(&ctx), today, minute);
        Ok(StreakView { current: s.current, longest: m.longest_streak, checkins: m.checkins, last_day: m.last_day })
    }

    /// A member's month: done, made up, missed days. `month` is "2026-12" (default: this month).
    pub async fn challenge_calendar(
        &self,
        viewer: Option<Viewer>,
        id: i64,
        username: &str,
        month: Option<&str>,
    ) -> AppResult<CalendarView> {
        let mut c = self.db.read().await?;
        let (_, def, ctx) = load(&mut c, id, viewer).await?;
        let u = ctx.member_named(&mut c, username).await?;
        let m = repo::member(&mut c, id, u.id).await?.ok_or(AppError::NotFound("participant"))?;
        let (today, minute) = domain::local(now(), tz_of(&ctx));
        let first = match month.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => day(&format!("{s}-01"))
                .ok_or_else(|| yaji_domain::error::invalid("month", "invalid_month", "month is like 2026-12"))?,
            None => today.with_day(1).unwrap_or(today),
        };
        let done: BTreeMap<NaiveDate, bool> = repo::days_of(&mut c, id, u.id)
            .await?
            .into_iter()
            .filter_map(|(s, made_up)| day(&s).map(|d| (d, made_up != 0)))
            .collect();
        let days = domain::month_calendar(&def.schedule, &done, today, first.year(), first.month())
            .into_iter()
            .map(|(d, st)| CalendarDay {
                date: d.to_string(),
                day: d.day(),
                state: match st {
                    DayState::Done => "done",
                    DayState::MadeUp => "made_up",
                    DayState::Missed => "missed",
                    DayState::Today => "today",
                    DayState::Upcoming => "upcoming",
                    DayState::Off => "off",
                }
                .to_string(),
            })
            .collect();
        let prev_month = first.pred_opt().map(|d| d.with_day(1).unwrap_or(d));
        let next_month = first.checked_add_months(chrono::Months::new(1));
        let s = &def.schedule;
        let prev = prev_month.filter(|p| p.checked_add_months(chrono::Months::new(1)).is_some_and(|e| e > s.starts_on));
        let next = next_month.filter(|n| *n <= today.max(s.starts_on) && s.ends_on.is_none_or(|e| *n <= e));
        let st = standing(&def, &m, tz_of(&ctx), today, minute);
        Ok(CalendarView {
            member: person(u.id, u.username, u.display_name, u.avatar_url),
            month: first.format("%Y-%m").to_string(),
            prev: prev.map(|p| p.format("%Y-%m").to_string()),
            next: next.map(|n| n.format("%Y-%m").to_string()),
            lead: first.weekday().num_days_from_monday(),
            days,
            streak: StreakView {
                current: st.current,
                longest: m.longest_streak,
                checkins: m.checkins,
                last_day: m.last_day,
            },
        })
    }

    /// The challenge's leaderboard: by current streak, total check-ins or the summed number.
    pub async fn challenge_leaderboard(&self, viewer: Option<Viewer>, id: i64, by: Board) -> AppResult<Vec<RankEntry>> {
        let mut c = self.db.read().await?;
        let (_, def, ctx) = load(&mut c, id, viewer).await?;
        let order = match by {
            Board::Streak => repo::Order::Streak,
            Board::Total => repo::Order::Total,
            Board::Number => repo::Order::Number,
        };
        let (today, _) = domain::local(now(), tz_of(&ctx));
        let mut rows = repo::ranked(&mut c, id, order, 200).await?;
        // A streak broken since the last check-in counts as 0.
        for r in &mut rows {
            r.current_streak = current(&def, r.last_day.as_deref(), r.current_streak, today);
        }
        if by == Board::Streak {
            rows.sort_by_key(|r| std::cmp::Reverse((r.current_streak, r.longest_streak)));
        }
        let mut out: Vec<RankEntry> = rows
            .into_iter()
            .take(50)
            .enumerate()
            .map(|(i, r)| RankEntry {
                rank: i as i64 + 1,
                member: person(r.user_id, r.username, r.display_name, r.avatar_url),
                current: r.current_streak,
                longest: r.longest_streak,
                checkins: r.checkins,
                number_sum: r.number_sum,
            })
            .collect();
        crate::points::label_levels(&mut c, ctx.c.id, out.iter_mut().map(|e| &mut e.member)).await?;
        Ok(out)
    }

    /// Organizer statistics (moderators and up): participants per day,
    /// completion rate, and how many are still going by day (drop-off).
    pub async fn challenge_stats(&self, viewer: Viewer, id: i64) -> AppResult<ChallengeStats> {
        let mut c = self.db.read().await?;
        let (row, def, ctx) = load(&mut c, id, Some(viewer)).await?;
        ctx.allow(Action::ManageChallenges)?;
        let (today, _) = domain::local(now(), tz_of(&ctx));
        let per_day: BTreeMap<String, i64> = repo::per_day(&mut c, id).await?.into_iter().collect();
        let lasts: Vec<NaiveDate> =
            repo::last_days(&mut c, id).await?.iter().filter_map(|l| l.as_deref().and_then(day)).collect();
        let participants = row.members;
        let share = |n: i64| if participants > 0 { n as f64 / participants as f64 } else { 0.0 };
        let s = &def.schedule;
        let end = s.ends_on.map_or(today, |e| e.min(today));
        let mut days = vec![];
        let mut d = if s.runs_on(s.starts_on) { Some(s.starts_on) } else { s.next_after(s.starts_on) };
        while let Some(x) = d.filter(|x| *x <= end) {
            let n = per_day.get(&x.to_string()).copied().unwrap_or(0);
            let going = lasts.iter().filter(|l| **l >= x).count() as i64;
            days.push(DayStat {
                day: x.to_string(),
                day_number: domain::day_number(s, x),
                checked_in: n,
                rate: share(n),
                still_going: share(going),
            });
            d = s.next_after(x);
        }
        let finished = repo::finishers(&mut c, id).await?;
        Ok(ChallengeStats {
            participants,
            finished,
            completion_rate: def.goal_days.map(|_| share(finished)),
            checkins: per_day.values().sum(),
            days,
        })
    }

    /// The newest check-ins with a note members can see, before check-in `before`.
    pub async fn challenge_feed(
        &self,
        viewer: Option<Viewer>,
        id: i64,
        before: Option<i64>,
    ) -> AppResult<Vec<FeedItem>> {
        let mut c = self.db.read().await?;
        let (_, def, ctx) = load(&mut c, id, viewer).await?;
        let rows = repo::feed(&mut c, id, before.unwrap_or(i64::MAX), 30).await?;
        let mut out: Vec<FeedItem> = rows
            .into_iter()
            .map(|r| FeedItem {
                day_number: day(&r.day).map_or(0, |d| domain::day_number(&def.schedule, d)),
                member: person(r.user_id, r.username, r.display_name, r.avatar_url),
                day: r.day,
                made_up: r.made_up != 0,
                number: r.number,
                post_id: r.post_id,
                body_html: r.body_html.unwrap_or_default(),
                created_at: rfc3339(r.created_at),
            })
            .collect();
        crate::points::label_levels(&mut c, ctx.c.id, out.iter_mut().map(|e| &mut e.member)).await?;
        Ok(out)
    }

    /// The completion certificate of a member who finished; 404 before.
    pub async fn challenge_certificate(
        &self,
        viewer: Option<Viewer>,
        id: i64,
        username: &str,
    ) -> AppResult<Certificate> {
        let mut c = self.db.read().await?;
        let (row, def, ctx) = load(&mut c, id, viewer).await?;
        let u = ctx.member_named(&mut c, username).await?;
        let m = repo::member(&mut c, id, u.id).await?.ok_or(AppError::NotFound("certificate"))?;
        let Some(at) = m.finished_at else { return Err(AppError::NotFound("certificate")) };
        let (finished_on, _) = domain::local(at, tz_of(&ctx));
        Ok(Certificate {
            member: person(u.id, u.username, u.display_name, u.avatar_url),
            challenge_id: id,
            title: row.title,
            community_name: ctx.c.name.clone(),
            checkins: m.checkins,
            longest: m.longest_streak,
            number_sum: m.number_sum,
            number_label: def.number_label,
            starts_on: def.schedule.starts_on.to_string(),
            finished_on: finished_on.to_string(),
        })
    }
}
