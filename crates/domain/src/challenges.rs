//! Check-in challenges (打卡): a community's daily habit with a schedule (the
//! days it runs, between a start and an optional end, in the community's time
//! zone), an optional daily window, proof if the organizer asks for it, and
//! make-up cards (补卡) for a missed day. Streaks count consecutive
//! *scheduled* days done: a weekday challenge's Friday and Monday are
//! neighbours. Everything here works on local dates; the instant of a
//! check-in becomes a date once, through the zone's rules (DST included).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, TimeZone, Timelike};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{bounded, invalid, Invalid};

/// Every day of the week (bit 0: Monday … bit 6: Sunday).
pub const EVERY_DAY: u8 = 0b111_1111;
/// Monday to Friday.
pub const WEEKDAYS: u8 = 0b001_1111;
/// The streak milestones a challenge has unless the organizer says otherwise.
pub const DEFAULT_MILESTONES: [i64; 3] = [7, 21, 100];
/// The longest a challenge may run (three years).
pub const MAX_SPAN_DAYS: i64 = 3 * 366;
pub const MAX_MAKEUP_CARDS: i64 = 100;
/// Most points one make-up card may cost.
pub const MAX_MAKEUP_PRICE: i64 = 10_000;

/// When a challenge runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub starts_on: NaiveDate,
    /// Open-ended when absent.
    pub ends_on: Option<NaiveDate>,
    /// Weekday mask: bit 0 Monday … bit 6 Sunday; never empty.
    pub days: u8,
}

impl Schedule {
    pub fn runs_on(&self, d: NaiveDate) -> bool {
        d >= self.starts_on
            && self.ends_on.is_none_or(|e| d <= e)
            && self.days & (1 << d.weekday().num_days_from_monday()) != 0
    }

    /// The next scheduled day after `d`, if the challenge has one.
    pub fn next_after(&self, d: NaiveDate) -> Option<NaiveDate> {
        let mut x = d.max(self.starts_on - chrono::Duration::days(1));
        for _ in 0..8 {
            x = x.succ_opt()?;
            if self.ends_on.is_some_and(|e| x > e) {
                return None;
            }
            if self.runs_on(x) {
                return Some(x);
            }
        }
        None
    }

    /// The last scheduled day before `d`, if any.
    pub fn previous_before(&self, d: NaiveDate) -> Option<NaiveDate> {
        let mut x = match self.ends_on {
            Some(e) if d > e => e.succ_opt()?,
            _ => d,
        };
        for _ in 0..8 {
            x = x.pred_opt()?;
            if x < self.starts_on {
                return None;
            }
            if self.runs_on(x) {
                return Some(x);
            }
        }
        None
    }

    /// Scheduled days in `[from, to]`.
    pub fn count_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let from = from.max(self.starts_on);
        let to = match self.ends_on {
            Some(e) => to.min(e),
            None => to,
        };
        if to < from {
            return 0;
        }
        let span = (to - from).num_days() + 1;
        let (weeks, rest) = (span / 7, span % 7);
        let mut n = weeks * i64::from(self.days.count_ones());
        let mut d = from + chrono::Duration::days(weeks * 7);
        for _ in 0..rest {
            if self.days & (1 << d.weekday().num_days_from_monday()) != 0 {
                n += 1;
            }
            d = d.succ_opt().unwrap_or(d);
        }
        n
    }

    /// Every scheduled day, when the challenge has an end.
    pub fn total_days(&self) -> Option<i64> {
        self.ends_on.map(|e| self.count_between(self.starts_on, e))
    }
}

/// A daily window in local minutes since midnight: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: u32,
    pub end: u32,
}

impl Window {
    pub fn contains(&self, minute: u32) -> bool {
        (self.start..self.end).contains(&minute)
    }

    pub fn label(&self) -> String {
        format!("{:02}:{:02}–{:02}:{:02}", self.start / 60, self.start % 60, self.end / 60, self.end % 60)
    }
}

/// The local date and minute of the day of an instant.
pub fn local(ms: i64, tz: Tz) -> (NaiveDate, u32) {
    let t = tz.timestamp_millis_opt(ms).earliest().map(|t| t.naive_local()).unwrap_or_default();
    (t.date(), t.hour() * 60 + t.minute())
}

/// The instant (ms) local `day` at `minute` begins in `tz`; in a DST gap,
/// the first instant after it.
pub fn instant(day: NaiveDate, minute: u32, tz: Tz) -> i64 {
    let mut t = day.and_hms_opt(minute / 60 % 24, minute % 60, 0).unwrap_or_default();
    for _ in 0..4 {
        if let Some(x) = tz.from_local_datetime(&t).earliest() {
            return x.timestamp_millis();
        }
        t += chrono::Duration::minutes(30);
    }
    tz.from_utc_datetime(&t).timestamp_millis()
}

/// The next day a reminder at local `minute` is due, from local `today` at
/// `now_minute`: today when it runs, the minute is still ahead and today is
/// not done; else the next scheduled day.
pub fn next_reminder(
    s: &Schedule,
    today: NaiveDate,
    now_minute: u32,
    minute: u32,
    done_today: bool,
) -> Option<NaiveDate> {
    if s.runs_on(today) && now_minute < minute && !done_today {
        return Some(today);
    }
    s.next_after(today)
}

/// Reads a reminder time ("07:30") as a local minute of the day.
pub fn remind_minute(s: &str) -> Invalid<u32> {
    let m = minute("remind_at", s)?;
    if m >= 24 * 60 {
        return Err(invalid("remind_at", "invalid_time", "remind_at is a time like 07:30"));
    }
    Ok(m)
}

/// What a check-in must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Proof {
    /// One tap.
    None,
    /// A note (and a number, if the challenge counts one) when the member wants.
    Optional,
    /// A note is required.
    Required,
}

impl Proof {
    pub fn parse(s: &str) -> Invalid<Proof> {
        match s {
            "none" => Ok(Proof::None),
            "optional" => Ok(Proof::Optional),
            "required" => Ok(Proof::Required),
            _ => Err(invalid("proof", "invalid_choice", "proof is none, optional or required")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Proof::None => "none",
            Proof::Optional => "optional",
            Proof::Required => "required",
        }
    }
}

/// Who may join (every condition set must hold; none: every member).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_level: Option<i64>,
}

impl JoinRule {
    pub fn is_open(&self) -> bool {
        self.segment_id.is_none() && self.tag.is_none() && self.min_level.is_none()
    }
}

/// A milestone: reaching a streak of `days` (the first time) emits
/// `streak_reached`, gives the built-in badge for 7/21/100 days, and the tag if set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    pub days: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// The days a challenge runs, as an API client names them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum DaysInput {
    /// `every_day` or `weekdays`.
    Named(String),
    /// ISO weekday numbers, 1 = Monday … 7 = Sunday.
    List(Vec<u8>),
}

/// A challenge as an organizer sends it (dates and times local).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChallengeInput {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: Option<String>,
    #[serde(default)]
    pub days: Option<DaysInput>,
    /// "05:00"; with `window_end`, the hours a check-in counts in.
    #[serde(default)]
    pub window_start: Option<String>,
    #[serde(default)]
    pub window_end: Option<String>,
    #[serde(default)]
    pub proof: Option<String>,
    /// What the number a check-in carries measures ("公里", "pages"); none: no number.
    #[serde(default)]
    pub number_label: Option<String>,
    #[serde(default)]
    pub makeup_cards: Option<i64>,
    #[serde(default)]
    pub makeup_price: Option<i64>,
    #[serde(default)]
    pub milestones: Option<Vec<Milestone>>,
    /// Check-ins needed to finish (the certificate); default: every scheduled day of a dated challenge.
    #[serde(default)]
    pub goal_days: Option<i64>,
    #[serde(default)]
    pub join: Option<JoinRule>,
    /// Proof posts also appear in the community feed.
    #[serde(default)]
    pub share_to_feed: Option<bool>,
}

/// A checked challenge definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChallengeDef {
    pub title: String,
    pub description: String,
    pub schedule: Schedule,
    pub window: Option<Window>,
    pub proof: Proof,
    pub number_label: Option<String>,
    pub makeup_cards: i64,
    pub makeup_price: i64,
    pub milestones: Vec<Milestone>,
    pub goal_days: Option<i64>,
    pub join: JoinRule,
    pub share_to_feed: bool,
}

fn date(field: &'static str, s: &str) -> Invalid<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| invalid(field, "invalid_date", format!("{field} is a date like 2026-12-01")))
}

fn minute(field: &'static str, s: &str) -> Invalid<u32> {
    let bad = || invalid(field, "invalid_time", format!("{field} is a time like 05:00"));
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 24 || m > 59 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Parses a days mask from its input form.
pub fn days_mask(d: &DaysInput) -> Invalid<u8> {
    let bad = || invalid("days", "invalid_choice", "days is every_day, weekdays or a list of 1 (Monday) to 7 (Sunday)");
    match d {
        DaysInput::Named(s) if s == "every_day" => Ok(EVERY_DAY),
        DaysInput::Named(s) if s == "weekdays" => Ok(WEEKDAYS),
        DaysInput::Named(_) => Err(bad()),
        DaysInput::List(l) => {
            let mut mask = 0u8;
            for n in l {
                if !(1..=7).contains(n) {
                    return Err(bad());
                }
                mask |= 1 << (n - 1);
            }
            if mask == 0 {
                return Err(invalid("days", "required", "pick at least one day"));
            }
            Ok(mask)
        }
    }
}

impl ChallengeInput {
    pub fn validate(self) -> Invalid<ChallengeDef> {
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 80 {
            return Err(invalid("title", "invalid_length", "a title is 1-80 characters"));
        }
        let description = self.description.unwrap_or_default().trim().to_string();
        if description.chars().count() > 5000 {
            return Err(invalid("description", "too_long", "at most 5000 characters"));
        }
        let starts_on = date("starts_on", &self.starts_on)?;
        let ends_on = match self.ends_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(date("ends_on", s)?),
            None => None,
        };
        if let Some(e) = ends_on {
            if e < starts_on {
                return Err(invalid("ends_on", "out_of_range", "the end is before the start"));
            }
            if (e - starts_on).num_days() > MAX_SPAN_DAYS {
                return Err(invalid("ends_on", "out_of_range", "a challenge runs at most three years"));
            }
        }
        let days = match &self.days {
            Some(d) => days_mask(d)?,
            None => EVERY_DAY,
        };
        let schedule = Schedule { starts_on, ends_on, days };
        if schedule.next_after(starts_on - chrono::Duration::days(1)).is_none() {
            return Err(invalid("days", "no_days", "none of those days falls between the start and the end"));
        }
        let some = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let window = match (some(&self.window_start), some(&self.window_end)) {
            (None, None) => None,
            (Some(a), Some(b)) => {
                let (start, end) = (minute("window_start", &a)?, minute("window_end", &b)?);
                if end <= start {
                    return Err(invalid("window_end", "out_of_range", "the window ends after it starts, the same day"));
                }
                Some(Window { start, end })
            }
            (None, Some(_)) => return Err(invalid("window_start", "required", "a window has a start and an end")),
            (Some(_), None) => return Err(invalid("window_end", "required", "a window has a start and an end")),
        };
        let proof = match some(&self.proof) {
            Some(p) => Proof::parse(&p)?,
            None => Proof::None,
        };
        let number_label = some(&self.number_label);
        if number_label.as_ref().is_some_and(|l| l.chars().count() > 20) {
            return Err(invalid("number_label", "invalid_length", "at most 20 characters"));
        }
        let makeup_cards = bounded("makeup_cards", self.makeup_cards, 1, 0..=MAX_MAKEUP_CARDS, "cards")?;
        let makeup_price = bounded("makeup_price", self.makeup_price, 0, 0..=MAX_MAKEUP_PRICE, "points")?;
        let mut milestones = match self.milestones {
            Some(m) => m,
            None => DEFAULT_MILESTONES.iter().map(|&days| Milestone { days, tag: None }).collect(),
        };
        if milestones.len() > 10 {
            return Err(invalid("milestones", "too_many", "at most 10 milestones"));
        }
        for m in &mut milestones {
            if !(1..=3650).contains(&m.days) {
                return Err(invalid("milestones", "out_of_range", "a milestone is 1 to 3650 days"));
            }
            m.tag = match m.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                Some(t) => Some(crate::automation::tag(t).map_err(|e| invalid("milestones", e.code, e.message))?),
                None => None,
            };
        }
        milestones.sort_by_key(|m| m.days);
        milestones.dedup_by_key(|m| m.days);
        let total = schedule.total_days();
        let goal_days = match (self.goal_days, total) {
            (Some(g), t) if g < 1 || t.is_some_and(|t| g > t) => {
                return Err(invalid("goal_days", "out_of_range", "the goal is 1 up to the challenge's scheduled days"))
            }
            (Some(g), _) => Some(g),
            (None, t) => t,
        };
        let mut join = self.join.unwrap_or_default();
        join.tag = match join.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Some(crate::automation::tag(t).map_err(|e| invalid("join.tag", e.code, e.message))?),
            None => None,
        };
        if join.min_level.is_some_and(|l| !(1..=crate::points::MAX_LEVELS as i64).contains(&l)) {
            return Err(invalid("join.min_level", "out_of_range", "a level from 1 up"));
        }
        Ok(ChallengeDef {
            title,
            description,
            schedule,
            window,
            proof,
            number_label,
            makeup_cards,
            makeup_price,
            milestones,
            goal_days,
            join,
            share_to_feed: self.share_to_feed.unwrap_or(false),
        })
    }
}

/// What a member sends with a check-in.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProofInput<'a> {
    pub body: Option<&'a str>,
    /// An image by its https address, shown under the note.
    pub image_url: Option<&'a str>,
    pub number: Option<f64>,
}

/// A check-in's note (with its image) and number, checked against what the
/// challenge asks. A challenge without notes drops the text it is sent.
pub fn proof(def: &ChallengeDef, p: ProofInput<'_>) -> Invalid<(Option<String>, Option<f64>)> {
    let body = p.body.map(str::trim).filter(|b| !b.is_empty()).map(str::to_string);
    if body.as_ref().is_some_and(|b| b.chars().count() > 2000) {
        return Err(invalid("body", "too_long", "a check-in note is at most 2000 characters"));
    }
    let image = match p.image_url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(_) if def.proof == Proof::None => {
            return Err(invalid("image_url", "not_counted", "this challenge takes no notes or images"))
        }
        Some(u)
            if u.starts_with("https://")
                && u.len() <= 500
                && !u.contains(|c: char| c.is_whitespace() || "()<>\"'".contains(c)) =>
        {
            Some(u)
        }
        Some(_) => return Err(invalid("image_url", "invalid_url", "an image is an https:// address")),
        None => None,
    };
    if def.proof == Proof::Required && body.is_none() && image.is_none() {
        return Err(invalid("body", "required", "this challenge asks for a note with each check-in"));
    }
    let number = match (p.number, &def.number_label) {
        (Some(n), Some(_)) if !n.is_finite() || !(0.0..=1_000_000.0).contains(&n) => {
            return Err(invalid("number", "out_of_range", "a number from 0 to 1,000,000"))
        }
        (Some(n), Some(_)) => Some((n * 100.0).round() / 100.0),
        (Some(_), None) => return Err(invalid("number", "not_counted", "this challenge counts no number")),
        (None, _) => None,
    };
    let note = match (body, image) {
        _ if def.proof == Proof::None => None,
        (Some(b), Some(i)) => Some(format!("{b}\n\n![]({i})")),
        (None, Some(i)) => Some(format!("![]({i})")),
        (b, None) => b,
    };
    Ok((note, number))
}

/// Why a check-in cannot be made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotStarted,
    Ended,
    /// Today is not one of the challenge's days.
    DayOff,
    /// Outside the daily window.
    OutsideWindow,
    /// A make-up needs a missed scheduled day before today.
    NothingToMakeUp,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotStarted => "not_started",
            Refusal::Ended => "ended",
            Refusal::DayOff => "day_off",
            Refusal::OutsideWindow => "outside_window",
            Refusal::NothingToMakeUp => "nothing_to_make_up",
        }
    }
}

/// The day a check-in made at local `today`/`minute` counts for: today, or
/// with `makeup`, the last scheduled day before today (补卡 covers only that
/// one day, the day just gone, and ignores the window).
pub fn day_for(def: &ChallengeDef, today: NaiveDate, minute: u32, makeup: bool) -> Result<NaiveDate, Refusal> {
    let s = &def.schedule;
    if makeup {
        let missed = s.previous_before(today).ok_or(Refusal::NothingToMakeUp)?;
        // Only while it is the day just gone: no scheduled day since, and
        // after the end, only the day after it.
        let until = s.next_after(missed).unwrap_or(missed + chrono::Duration::days(1));
        return if today <= until { Ok(missed) } else { Err(Refusal::NothingToMakeUp) };
    }
    if today < s.starts_on {
        return Err(Refusal::NotStarted);
    }
    if s.ends_on.is_some_and(|e| today > e) {
        return Err(Refusal::Ended);
    }
    if !s.runs_on(today) {
        return Err(Refusal::DayOff);
    }
    if def.window.is_some_and(|w| !w.contains(minute)) {
        return Err(Refusal::OutsideWindow);
    }
    Ok(today)
}

/// Current and longest streak.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Streak {
    pub current: i64,
    pub longest: i64,
}

/// Streaks over the days done (sorted, distinct, scheduled), as of local
/// `today`: a run continues while each done day is the next scheduled day
/// after the one before. The current run is the one ending on the last day
/// done, if no scheduled day between it and today was missed (today itself
/// is not missed until it ends). O(days done).
pub fn streak(s: &Schedule, done: &[NaiveDate], today: NaiveDate) -> Streak {
    let mut out = Streak::default();
    let mut run = 0;
    let mut prev: Option<NaiveDate> = None;
    for &d in done.iter().filter(|d| **d <= today) {
        run = match prev {
            Some(p) if s.next_after(p) == Some(d) => run + 1,
            _ => 1,
        };
        out.longest = out.longest.max(run);
        prev = Some(d);
    }
    if let Some(last) = prev {
        if s.next_after(last).is_none_or(|n| n >= today) {
            out.current = run;
        }
    }
    out
}

/// Milestones crossed when the longest streak went from `before` to `after`.
pub fn crossed(milestones: &[Milestone], before: i64, after: i64) -> Vec<&Milestone> {
    milestones.iter().filter(|m| before < m.days && m.days <= after).collect()
}

/// One day of a member's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayState {
    Done,
    MadeUp,
    Missed,
    /// Scheduled today, not done yet.
    Today,
    Upcoming,
    /// Not a challenge day.
    Off,
}

/// A month's days (`year`, `month`) for a member: done, made up, missed,
/// today, upcoming or off. `done` maps each day done to whether it was made up.
pub fn month_calendar(
    s: &Schedule,
    done: &BTreeMap<NaiveDate, bool>,
    today: NaiveDate,
    year: i32,
    month: u32,
) -> Vec<(NaiveDate, DayState)> {
    let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else { return vec![] };
    first
        .iter_days()
        .take_while(|d| d.month() == month)
        .map(|d| {
            let state = match done.get(&d) {
                Some(true) => DayState::MadeUp,
                Some(false) => DayState::Done,
                None if !s.runs_on(d) => DayState::Off,
                None if d < today => DayState::Missed,
                None if d == today => DayState::Today,
                None => DayState::Upcoming,
            };
            (d, state)
        })
        .collect()
}

/// The challenge's day number (1-based) of a date, counting scheduled days.
pub fn day_number(s: &Schedule, d: NaiveDate) -> i64 {
    s.count_between(s.starts_on, d)
}

#[cfg(test)]
mod tests;
