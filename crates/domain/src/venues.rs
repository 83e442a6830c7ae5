//! Venue booking (场馆预约): rooms with opening hours, slot lengths, buffers,
//! blackout dates and booking rules by role or tag.
//!
//! Whether a range is a valid booking of a room is decided here; whether it
//! is free is decided by the database (an exclusion constraint on
//! PostgreSQL, a trigger on SQLite) so that no race can double-book. A
//! booking blocks its room from its start to its end plus the room's buffer.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{bounded, invalid, Invalid};
use crate::member::Role;
use crate::time::{at_local, local};
use crate::{DAY_MS, HOUR_MS, MINUTE_MS, WEEK_MS};

/// Opening hours of one weekday, minutes after local midnight (`close` may be 1440).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hours {
    pub open: u32,
    pub close: u32,
}

/// Who a booking rule is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Who {
    /// Anyone signed in, members or not (visitors with a light account).
    Anyone,
    Members,
    /// Members holding this tag.
    Tag(String),
    /// Members of this role and up.
    Role(Role),
}

/// A booking rule: the first rule that matches a person applies; staff
/// (moderators and up) book under no rule and never need approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRule {
    pub who: Who,
    /// How far ahead one may book, in days.
    pub days_ahead: i64,
    /// Hours one may hold per week (Monday–Sunday, local); none: no limit.
    #[serde(default)]
    pub hours_per_week: Option<i64>,
    /// Staff approve each booking.
    #[serde(default)]
    pub approval: bool,
}

/// A room's definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomDef {
    pub capacity: i64,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub photo_url: Option<String>,
    /// Monday first; none: closed that day.
    pub hours: [Option<Hours>; 7],
    pub slot_minutes: i64,
    pub min_minutes: i64,
    pub max_minutes: i64,
    pub buffer_minutes: i64,
    #[serde(default)]
    pub blackout: Vec<NaiveDate>,
    /// Cancelling is possible up to this many hours before the start.
    #[serde(default)]
    pub cancel_hours: i64,
    pub rules: Vec<BookingRule>,
}

/// What admins send to create or change a room (all optional but the name).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RoomInput {
    pub name: String,
    #[serde(default)]
    pub capacity: Option<i64>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub photo_url: Option<String>,
    /// Per weekday, Monday first: `"08:00-22:00"`, or `""` for closed. One
    /// entry means every day. Default: every day 08:00–22:00.
    #[serde(default)]
    pub hours: Option<Vec<String>>,
    #[serde(default)]
    pub slot_minutes: Option<i64>,
    #[serde(default)]
    pub min_minutes: Option<i64>,
    #[serde(default)]
    pub max_minutes: Option<i64>,
    #[serde(default)]
    pub buffer_minutes: Option<i64>,
    #[serde(default)]
    pub blackout: Vec<NaiveDate>,
    #[serde(default)]
    pub cancel_hours: Option<i64>,
    /// Default: members book up to 30 days ahead, no approval.
    #[serde(default)]
    pub rules: Option<Vec<BookingRule>>,
}

pub const DEFAULT_HOURS: Hours = Hours { open: 8 * 60, close: 22 * 60 };

fn hhmm(field: &'static str, s: &str) -> Invalid<u32> {
    let (h, m) = s.trim().split_once(':').ok_or_else(|| invalid(field, "invalid_time", "times are HH:MM"))?;
    let (h, m): (u32, u32) = (
        h.parse().map_err(|_| invalid(field, "invalid_time", "times are HH:MM"))?,
        m.parse().map_err(|_| invalid(field, "invalid_time", "times are HH:MM"))?,
    );
    if h > 24 || m > 59 || (h == 24 && m > 0) {
        return Err(invalid(field, "invalid_time", "times are 00:00 to 24:00"));
    }
    Ok(h * 60 + m)
}

/// Reads `"08:00-22:00"` (or with an en dash); empty: closed.
pub fn parse_hours(s: &str) -> Invalid<Option<Hours>> {
    let s = s.trim();
    if s.is_empty() || s == "closed" {
        return Ok(None);
    }
    let (a, b) = s
        .split_once('-')
        .or_else(|| s.split_once('–'))
        .ok_or_else(|| invalid("hours", "invalid_hours", "opening hours look like 08:00-22:00"))?;
    let (open, close) = (hhmm("hours", a)?, hhmm("hours", b)?);
    if close <= open {
        return Err(invalid("hours", "invalid_hours", "a room closes after it opens"));
    }
    Ok(Some(Hours { open, close }))
}

pub fn hours_label(h: Option<Hours>) -> String {
    match h {
        Some(h) => format!("{:02}:{:02}-{:02}:{:02}", h.open / 60, h.open % 60, h.close / 60, h.close % 60),
        None => String::new(),
    }
}

impl RoomInput {
    pub fn validate(self) -> Invalid<(String, RoomDef)> {
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(invalid("name", "invalid_length", "a name is 1-80 characters"));
        }
        let capacity = bounded("capacity", self.capacity, 10, 1..=10_000, "people")?;
        let description = self.description.unwrap_or_default().trim().to_string();
        if description.chars().count() > 2000 {
            return Err(invalid("description", "too_long", "at most 2000 characters"));
        }
        let photo_url = self.photo_url.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if photo_url.as_ref().is_some_and(|u| !u.starts_with("https://") || u.len() > 500) {
            return Err(invalid("photo_url", "invalid_url", "a photo is an https address"));
        }
        let hours = match self.hours {
            None => [Some(DEFAULT_HOURS); 7],
            Some(v) if v.len() == 1 => [parse_hours(&v[0])?; 7],
            Some(v) if v.len() == 7 => {
                let mut h = [None; 7];
                for (i, s) in v.iter().enumerate() {
                    h[i] = parse_hours(s)?;
                }
                h
            }
            Some(_) => {
                return Err(invalid("hours", "invalid_hours", "one entry for every day, or seven (Monday first)"))
            }
        };
        let slot = bounded("slot_minutes", self.slot_minutes, 30, 5..=240, "minutes")?;
        if 1440 % slot != 0 {
            return Err(invalid("slot_minutes", "invalid_slot", "a slot divides the day evenly (15, 30, 60 …)"));
        }
        let min = bounded("min_minutes", self.min_minutes, slot, slot..=1440, "minutes")?;
        let max = bounded("max_minutes", self.max_minutes, 240.max(min), min..=1440, "minutes")?;
        let buffer = bounded("buffer_minutes", self.buffer_minutes, 0, 0..=240, "minutes")?;
        let cancel_hours = bounded("cancel_hours", self.cancel_hours, 0, 0..=720, "hours")?;
        let rules = self.rules.unwrap_or_else(|| {
            vec![BookingRule { who: Who::Members, days_ahead: 30, hours_per_week: None, approval: false }]
        });
        if rules.len() > 10 {
            return Err(invalid("rules", "too_many", "at most 10 booking rules"));
        }
        for r in &rules {
            if !(0..=365).contains(&r.days_ahead) || r.hours_per_week.is_some_and(|h| !(1..=168).contains(&h)) {
                return Err(invalid("rules", "out_of_range", "0-365 days ahead and 1-168 hours a week"));
            }
        }
        Ok((
            name,
            RoomDef {
                capacity,
                description,
                photo_url,
                hours,
                slot_minutes: slot,
                min_minutes: min,
                max_minutes: max,
                buffer_minutes: buffer,
                blackout: self.blackout,
                cancel_hours,
                rules,
            },
        ))
    }
}

/// The person asking to book, as the rules see them.
#[derive(Debug, Clone, Default)]
pub struct Booker<'a> {
    pub signed_in: bool,
    pub role: Option<Role>,
    pub tags: &'a [String],
}

impl Booker<'_> {
    pub fn staff(&self) -> bool {
        self.role.is_some_and(|r| r >= Role::Moderator)
    }
}

/// The rule that applies to a person; none: they may not book this room.
pub fn rule_for<'a>(def: &'a RoomDef, b: &Booker<'_>) -> Option<&'a BookingRule> {
    def.rules.iter().find(|r| match &r.who {
        Who::Anyone => b.signed_in,
        Who::Members => b.role.is_some(),
        Who::Tag(t) => b.role.is_some() && b.tags.contains(t),
        Who::Role(min) => b.role.is_some_and(|r| r >= *min),
    })
}

/// Checks a range against the room's hours, slots and lengths; errors name
/// `starts_at` or `ends_at`.
pub fn check_range(def: &RoomDef, tz: Tz, start: i64, end: i64, now: i64) -> Invalid<()> {
    if end <= start {
        return Err(invalid("ends_at", "end_before_start", "the end must come after the start"));
    }
    if start < now {
        return Err(invalid("starts_at", "in_the_past", "a booking starts in the future"));
    }
    let minutes = (end - start) / MINUTE_MS;
    if minutes < def.min_minutes {
        return Err(invalid("ends_at", "too_short", format!("book at least {} minutes", def.min_minutes)));
    }
    if minutes > def.max_minutes {
        return Err(invalid("ends_at", "too_long", format!("book at most {} minutes", def.max_minutes)));
    }
    let (a, b) = (local(start, tz), local(end, tz));
    let minute_of = |t: NaiveDateTime| t.hour() * 60 + t.minute();
    if (start % MINUTE_MS) != 0 || i64::from(minute_of(a)) % def.slot_minutes != 0 || minutes % def.slot_minutes != 0 {
        return Err(invalid(
            "starts_at",
            "off_slot",
            format!("bookings start and end on the {}-minute grid", def.slot_minutes),
        ));
    }
    if def.blackout.contains(&a.date()) {
        return Err(invalid("starts_at", "blackout", format!("the room is closed on {}", a.date())));
    }
    let Some(h) = def.hours[a.weekday().num_days_from_monday() as usize] else {
        return Err(invalid("starts_at", "closed", "the room is closed that day"));
    };
    // An end at midnight belongs to the day it closes.
    let end_minute = if b.date() > a.date() && minute_of(b) == 0 { 1440 } else { minute_of(b) };
    if (b.date() > a.date() && end_minute != 1440) || minute_of(a) < h.open || end_minute > h.close {
        return Err(invalid(
            "starts_at",
            "outside_hours",
            format!("the room is open {} that day", hours_label(Some(h))),
        ));
    }
    Ok(())
}

/// Checks how far ahead and how many hours a week a rule allows.
pub fn check_rule(rule: &BookingRule, start: i64, now: i64, hours_this_week: i64, minutes: i64) -> Invalid<()> {
    if start - now > rule.days_ahead * DAY_MS + DAY_MS {
        return Err(invalid("starts_at", "too_far_ahead", format!("book at most {} days ahead", rule.days_ahead)));
    }
    if let Some(max) = rule.hours_per_week {
        if hours_this_week * 60 + minutes > max * 60 {
            return Err(invalid("ends_at", "weekly_limit", format!("at most {max} hours a week")));
        }
    }
    Ok(())
}

/// The local week (Monday 00:00 to the next Monday) an instant falls in, as ms.
pub fn week_of(ms: i64, tz: Tz) -> (i64, i64) {
    let d = local(ms, tz).date();
    let monday = d - chrono::Days::new(u64::from(d.weekday().num_days_from_monday()));
    let start = at_local("starts_at", monday.and_hms_opt(0, 0, 0).unwrap_or_default(), tz).unwrap_or(ms);
    (start, start + WEEK_MS)
}

/// The range a booking keeps the room: its time plus the buffer after it.
pub fn block(def: &RoomDef, start: i64, end: i64) -> (i64, i64) {
    (start, end + def.buffer_minutes * MINUTE_MS)
}

/// A weekly repeat of a booking: `count` occurrences at the same local times.
pub fn weekly(start: i64, end: i64, count: i64, tz: Tz) -> Invalid<Vec<(i64, i64)>> {
    if !(1..=26).contains(&count) {
        return Err(invalid("repeat_weeks", "out_of_range", "repeat for 1 to 26 weeks"));
    }
    let (a, b) = (local(start, tz), local(end, tz));
    (0..count)
        .map(|i| {
            let shift = chrono::Days::new(7 * i as u64);
            Ok((at_local("starts_at", a + shift, tz)?, at_local("ends_at", b + shift, tz)?))
        })
        .collect()
}

/// One cell of a day grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub starts_at: i64,
    pub ends_at: i64,
    /// Local "HH:MM".
    pub label: String,
    /// Whether a booking (or its buffer) takes it.
    pub taken: bool,
    /// Whether it is gone by (or, for an open room, still bookable).
    pub past: bool,
}

/// The day's slots of a room (its opening hours), marking those taken by
/// the `blocks` (each a booking's blocked range).
pub fn day_slots(def: &RoomDef, tz: Tz, day: NaiveDate, blocks: &[(i64, i64)], now: i64) -> Vec<Slot> {
    let Some(h) = def.hours[day.weekday().num_days_from_monday() as usize] else { return vec![] };
    if def.blackout.contains(&day) {
        return vec![];
    }
    let mut out = vec![];
    let mut m = h.open as i64;
    while m + def.slot_minutes <= h.close as i64 {
        let t = day.and_hms_opt(0, 0, 0).unwrap_or_default() + chrono::Duration::minutes(m);
        if let Ok(s) = at_local("starts_at", t, tz) {
            let e = s + def.slot_minutes * MINUTE_MS;
            out.push(Slot {
                starts_at: s,
                ends_at: e,
                label: format!("{:02}:{:02}", m / 60, m % 60),
                taken: blocks.iter().any(|&(a, b)| a < e && s < b),
                past: s < now,
            });
        }
        m += def.slot_minutes;
    }
    out
}

/// Utilization: booked hours per hour of the week (Monday 00:00 = 0), from booked ranges.
pub fn hour_of_week(ranges: &[(i64, i64)], tz: Tz) -> [i64; 168] {
    let mut out = [0i64; 168];
    for &(s, e) in ranges {
        let mut t = s - s.rem_euclid(HOUR_MS);
        while t < e {
            let l = local(t.max(s), tz);
            let i = l.weekday().num_days_from_monday() as usize * 24 + l.hour() as usize;
            let overlap = (t + HOUR_MS).min(e) - t.max(s);
            out[i] += overlap / MINUTE_MS;
            t += HOUR_MS;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Shanghai;

    fn room() -> RoomDef {
        RoomInput { name: "茶室".into(), buffer_minutes: Some(15), ..Default::default() }.validate().unwrap().1
    }

    fn at(s: &str) -> i64 {
        crate::time::instant("t", s, Shanghai).unwrap()
    }

    #[test]
    fn defaults_open_every_day_eight_to_ten() {
        let r = room();
        assert!(r.hours.iter().all(|h| *h == Some(DEFAULT_HOURS)));
        assert_eq!((r.slot_minutes, r.min_minutes, r.max_minutes), (30, 30, 240));
        assert_eq!(r.rules[0].who, Who::Members);
    }

    #[test]
    fn ranges_outside_hours_off_grid_or_too_long_are_refused_naming_the_field() {
        let r = room();
        let now = at("2026-12-01T00:00");
        assert!(check_range(&r, Shanghai, at("2026-12-10T09:00"), at("2026-12-10T11:00"), now).is_ok());
        let code = |s, e| check_range(&r, Shanghai, at(s), at(e), now).unwrap_err();
        assert_eq!(code("2026-12-10T11:00", "2026-12-10T10:00").field, "ends_at");
        assert_eq!(code("2026-12-10T07:00", "2026-12-10T08:00").code, "outside_hours");
        assert_eq!(code("2026-12-10T21:30", "2026-12-10T22:30").code, "outside_hours");
        assert_eq!(code("2026-12-10T09:10", "2026-12-10T10:10").code, "off_slot");
        assert_eq!(code("2026-12-10T09:00", "2026-12-10T14:00").code, "too_long");
        assert_eq!(code("2026-11-10T09:00", "2026-11-10T10:00").code, "in_the_past");
        let closed =
            RoomInput { name: "x".into(), blackout: vec!["2026-12-10".parse().unwrap()], ..Default::default() };
        let closed = closed.validate().unwrap().1;
        assert_eq!(
            check_range(&closed, Shanghai, at("2026-12-10T09:00"), at("2026-12-10T10:00"), now).unwrap_err().code,
            "blackout"
        );
    }

    #[test]
    fn the_buffer_extends_what_a_booking_blocks() {
        let r = room();
        let (a, b) = block(&r, at("2026-12-10T09:00"), at("2026-12-10T10:00"));
        assert_eq!((a, b), (at("2026-12-10T09:00"), at("2026-12-10T10:15")));
    }

    #[test]
    fn rules_match_in_order_and_staff_need_none() {
        let mut r = room();
        r.rules = vec![
            BookingRule { who: Who::Tag("vip".into()), days_ahead: 60, hours_per_week: None, approval: false },
            BookingRule { who: Who::Members, days_ahead: 7, hours_per_week: Some(2), approval: true },
        ];
        let vip = ["vip".to_string()];
        let member = Booker { signed_in: true, role: Some(Role::Member), tags: &[] };
        let tagged = Booker { signed_in: true, role: Some(Role::Member), tags: &vip };
        let visitor = Booker { signed_in: true, role: None, tags: &[] };
        assert_eq!(rule_for(&r, &tagged).unwrap().days_ahead, 60);
        assert!(rule_for(&r, &member).unwrap().approval);
        assert!(rule_for(&r, &visitor).is_none());
        assert!(Booker { signed_in: true, role: Some(Role::Moderator), tags: &[] }.staff());
        let rule = rule_for(&r, &member).unwrap();
        let now = at("2026-12-01T00:00");
        assert_eq!(check_rule(rule, at("2026-12-20T09:00"), now, 0, 60).unwrap_err().code, "too_far_ahead");
        assert_eq!(check_rule(rule, at("2026-12-03T09:00"), now, 1, 90).unwrap_err().code, "weekly_limit");
        assert!(check_rule(rule, at("2026-12-03T09:00"), now, 1, 60).is_ok());
    }

    #[test]
    fn weekly_repeats_keep_the_wall_clock_time_across_a_clock_change() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let s = crate::time::instant("t", "2026-10-20T18:00", tz).unwrap();
        let e = crate::time::instant("t", "2026-10-20T19:00", tz).unwrap();
        let occ = weekly(s, e, 3, tz).unwrap();
        for (a, _) in &occ {
            assert_eq!(local(*a, tz).format("%H:%M").to_string(), "18:00");
        }
        // Summer time ends on 25 October: the second occurrence is 7 days and one hour later.
        assert_eq!(occ[1].0 - occ[0].0, 7 * DAY_MS + HOUR_MS);
    }

    #[test]
    fn a_day_grid_marks_taken_and_free_slots() {
        let r = room();
        let day: NaiveDate = "2026-12-10".parse().unwrap();
        let blocks = [block(&r, at("2026-12-10T09:00"), at("2026-12-10T10:00"))];
        let slots = day_slots(&r, Shanghai, day, &blocks, at("2026-12-01T00:00"));
        assert_eq!(slots.len(), 28);
        let taken: Vec<&str> = slots.iter().filter(|s| s.taken).map(|s| s.label.as_str()).collect();
        assert_eq!(taken, ["09:00", "09:30", "10:00"], "the buffer takes the slot after");
    }

    #[test]
    fn utilization_counts_minutes_per_hour_of_the_week() {
        // Thursday 09:30–11:00 local.
        let u = hour_of_week(&[(at("2026-12-10T09:30"), at("2026-12-10T11:00"))], Shanghai);
        assert_eq!((u[3 * 24 + 9], u[3 * 24 + 10], u[3 * 24 + 11]), (30, 60, 0));
    }
}
