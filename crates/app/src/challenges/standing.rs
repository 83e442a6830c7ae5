//! A participant's standing (streaks, totals, what they can do today),
//! computed from their check-ins, and the reads other capabilities use (a
//! segment's streak condition, a lottery's streak rule). No use case here
//! imports another capability, so those may import this.

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;
use yaji_domain::challenges::{self as domain, ChallengeDef};
use yaji_store::repo::challenges as repo;
use yaji_store::Conn;

use crate::{now, AppError, AppResult};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyStanding {
    pub current: i64,
    pub longest: i64,
    pub checkins: i64,
    pub number_sum: f64,
    pub done_today: bool,
    /// Whether today is a day one can check in now (scheduled, in the window).
    pub can_check_in: bool,
    /// Why not, when not: `not_started`, `ended`, `day_off`, `outside_window`.
    pub refusal: Option<String>,
    /// The missed day a make-up card would cover, if one is left and that day is open.
    pub makeup_day: Option<String>,
    pub makeups_left: i64,
    /// The reminder time, "07:30", if set.
    pub remind_at: Option<String>,
    pub finished: bool,
}

/// The stable streak answer: `{"current","longest"}` and a little more.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StreakView {
    pub current: i64,
    pub longest: i64,
    pub checkins: i64,
    /// The last day done, local.
    pub last_day: Option<String>,
}

pub(super) fn def_of(row: &repo::ChallengeRow) -> AppResult<ChallengeDef> {
    serde_json::from_str(&row.def).map_err(|e| AppError::Internal(format!("challenge {}: {e}", row.id)))
}

pub(super) fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

pub(super) fn hhmm(m: i64) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// The current streak as of `today` from a stored one: it is stored as of
/// the last check-in, and a scheduled day missed since ends it.
pub(super) fn current(def: &ChallengeDef, last_day: Option<&str>, stored: i64, today: NaiveDate) -> i64 {
    match last_day.and_then(day) {
        Some(last) if def.schedule.next_after(last).is_none_or(|n| n >= today) => stored,
        _ => 0,
    }
}

pub(super) fn standing(def: &ChallengeDef, m: &repo::MemberRow, tz: Tz, today: NaiveDate, minute: u32) -> MyStanding {
    let done_today = m.last_day.as_deref().and_then(day) == Some(today);
    let (can, why) = match domain::day_for(def, today, minute, false) {
        Ok(_) => (!done_today, None),
        Err(r) => (false, Some(r.code().to_string())),
    };
    let makeups_left = (def.makeup_cards - m.makeups_used).max(0);
    let makeup_day = domain::day_for(def, today, minute, true)
        .ok()
        .filter(|d| makeups_left > 0 && *d >= domain::local(m.joined_at, tz).0)
        .map(|d| d.to_string());
    MyStanding {
        current: current(def, m.last_day.as_deref(), m.current_streak, today),
        longest: m.longest_streak,
        checkins: m.checkins,
        number_sum: m.number_sum,
        done_today,
        can_check_in: can,
        refusal: why,
        makeup_day,
        makeups_left,
        remind_at: m.remind_minute.map(hhmm),
        finished: m.finished_at.is_some(),
    }
}

/// Recomputes a member's standing from all their check-ins and writes it
/// back (under the caller's lock on their row); returns the streak and when
/// they finished, if they have.
pub(super) async fn restand(
    conn: &mut Conn,
    def: &ChallengeDef,
    id: i64,
    user_id: i64,
    today: NaiveDate,
    finished_at: Option<i64>,
    now: i64,
) -> AppResult<(domain::Streak, Option<i64>)> {
    let days = repo::days_of(conn, id, user_id).await?;
    let done: Vec<NaiveDate> = days.iter().filter_map(|(s, _)| day(s)).collect();
    let streak = domain::streak(&def.schedule, &done, today);
    let checkins = days.len() as i64;
    let finished_at = finished_at.or((def.goal_days.is_some_and(|g| checkins >= g)).then_some(now));
    let last = done.last().map(|d| d.to_string());
    let st = repo::Standing {
        checkins,
        number_sum: repo::number_sum(conn, id, user_id).await?,
        current_streak: streak.current,
        longest_streak: streak.longest,
        last_day: last.as_deref(),
        makeups_used: days.iter().filter(|(_, made_up)| *made_up != 0).count() as i64,
        finished_at,
    };
    repo::set_standing(conn, id, user_id, &st).await?;
    Ok((streak, finished_at))
}

/// A member's longest streak in a challenge (0 if they never took part):
/// what other capabilities' rules read (a lottery open to 7-day streaks).
pub(crate) async fn longest_streak(conn: &mut Conn, id: i64, user_id: i64) -> AppResult<i64> {
    Ok(repo::member(conn, id, user_id).await?.map_or(0, |m| m.longest_streak))
}

/// The members of a community's challenge whose current streak is at least
/// `days` (every participant with none): what a segment's streak condition
/// reads. Empty for a challenge of another community.
pub(crate) async fn streak_holders(
    conn: &mut Conn,
    community_id: i64,
    id: i64,
    days: Option<i64>,
) -> AppResult<Vec<i64>> {
    let Some(row) = repo::get(conn, id).await?.filter(|r| r.community_id == community_id) else { return Ok(vec![]) };
    let def = def_of(&row)?;
    let tz: Tz = yaji_store::repo::community::by_id(conn, community_id)
        .await?
        .and_then(|c| c.time_zone.parse().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let (today, _) = domain::local(now(), tz);
    let rows = repo::ranked(conn, id, repo::Order::Streak, i64::MAX).await?;
    Ok(rows
        .into_iter()
        .filter(|r| days.is_none_or(|d| current(&def, r.last_day.as_deref(), r.current_streak, today) >= d))
        .map(|r| r.user_id)
        .collect())
}

/// A community's challenges, (id, title), for choosers (segments, lotteries).
pub(crate) async fn titles(conn: &mut Conn, community_id: i64) -> AppResult<Vec<(i64, String)>> {
    Ok(repo::list(conn, community_id, "9999-12-31").await?.into_iter().map(|r| (r.id, r.title)).collect())
}

/// Whether a post is a check-in's note (which earns the check-in rule, not the post rule).
pub(crate) async fn is_note(conn: &mut Conn, post_id: i64) -> AppResult<bool> {
    Ok(repo::is_note(conn, post_id).await?)
}

/// The community a challenge belongs to.
pub(crate) async fn community_of(conn: &mut Conn, id: i64) -> AppResult<Option<i64>> {
    Ok(repo::community_of(conn, id).await?)
}
