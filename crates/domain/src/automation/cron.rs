//! Five-field cron expressions (`minute hour day-of-month month day-of-week`)
//! evaluated in a community's time zone. Fields take `*`, numbers, ranges
//! `a-b`, steps `*/n` or `a-b/n` and lists `a,b`; day-of-week 0 and 7 are
//! Sunday. As in Vixie cron, when both day fields are restricted a day
//! matching either one fires.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};
use chrono_tz::Tz;

use crate::error::{invalid, Invalid};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    days_restricted: bool,
    weekdays_restricted: bool,
}

fn field(raw: &str, lo: u32, hi: u32, name: &str) -> Result<(u64, bool), String> {
    let mut bits = 0u64;
    for part in raw.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0).ok_or(format!("bad step in {name}"))?),
            None => (part, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (num(a, name)?, num(b, name)?)
        } else {
            let a = num(range, name)?;
            // `5/15` means from 5 to the end in steps of 15.
            (a, if part.contains('/') { hi } else { a })
        };
        if a < lo || b > hi || a > b {
            return Err(format!("{name} must be within {lo}-{hi}"));
        }
        let mut v = a;
        while v <= b {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok((bits, raw != "*"))
}

fn num(s: &str, name: &str) -> Result<u32, String> {
    s.parse().map_err(|_| format!("'{s}' is not a number in {name}"))
}

impl Cron {
    pub fn parse(expr: &str) -> Invalid<Cron> {
        let f: Vec<&str> = expr.split_whitespace().collect();
        let err = |m: String| invalid("trigger.cron", "invalid_cron", m);
        if f.len() != 5 {
            return Err(err(
                "a schedule has five fields: minute hour day-of-month month day-of-week, e.g. '0 9 * * 1'".into(),
            ));
        }
        let (minutes, _) = field(f[0], 0, 59, "minute").map_err(err)?;
        let (hours, _) = field(f[1], 0, 23, "hour").map_err(err)?;
        let (days, days_restricted) = field(f[2], 1, 31, "day of month").map_err(err)?;
        let (months, _) = field(f[3], 1, 12, "month").map_err(err)?;
        let (mut weekdays, weekdays_restricted) = field(f[4], 0, 7, "day of week").map_err(err)?;
        if weekdays & (1 << 7) != 0 {
            weekdays |= 1;
        }
        Ok(Cron { minutes, hours, days, months, weekdays, days_restricted, weekdays_restricted })
    }

    fn day_ok(&self, d: NaiveDate) -> bool {
        if self.months & (1 << d.month()) == 0 {
            return false;
        }
        let dom = self.days & (1 << d.day()) != 0;
        let dow = self.weekdays & (1 << d.weekday().num_days_from_sunday()) != 0;
        match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => dom || dow,
            (true, false) => dom,
            (false, true) => dow,
            (false, false) => true,
        }
    }

    /// The first local minute strictly after `after` that matches, within five years.
    pub fn next_local(&self, after: NaiveDateTime) -> Option<NaiveDateTime> {
        let start = after.with_second(0)?.with_nanosecond(0)? + Duration::minutes(1);
        let mut day = start.date();
        for _ in 0..(366 * 5) {
            if self.day_ok(day) {
                let from = if day == start.date() { (start.hour(), start.minute()) } else { (0, 0) };
                for h in from.0..24 {
                    if self.hours & (1 << h) == 0 {
                        continue;
                    }
                    let m0 = if h == from.0 { from.1 } else { 0 };
                    if let Some(m) = (m0..60).find(|m| self.minutes & (1 << m) != 0) {
                        return Some(day.and_time(NaiveTime::from_hms_opt(h, m, 0)?));
                    }
                }
            }
            day = day.succ_opt()?;
        }
        None
    }
}

/// The next firing strictly after `after_ms` (UTC millis) in time zone `tz`;
/// a local time skipped by a daylight-saving jump moves to the next match, a
/// repeated one fires at its first instance.
pub fn next_fire(cron: &Cron, tz: Tz, after_ms: i64) -> Option<i64> {
    let after = chrono::DateTime::from_timestamp_millis(after_ms)?.with_timezone(&tz).naive_local();
    let mut local = cron.next_local(after)?;
    for _ in 0..1_000 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            let ms = t.timestamp_millis();
            if ms > after_ms {
                return Some(ms);
            }
        }
        local = cron.next_local(local)?;
    }
    None
}

/// A local date-time in `tz` as UTC millis (the first instance when ambiguous).
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> Option<i64> {
    tz.from_local_datetime(&local).earliest().map(|t| t.timestamp_millis())
}
