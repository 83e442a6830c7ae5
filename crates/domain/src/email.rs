//! When a notification becomes an email: per-kind modes, quiet hours in the
//! member's time zone, and daily/weekly digests. Pure; the mailer asks here
//! for each pending notification.

use chrono::{Datelike, Duration, NaiveDateTime, Timelike, Weekday};

use crate::error::{invalid, Invalid};

/// Local hour at which digests go out (or the end of quiet hours, if later).
pub const DIGEST_HOUR: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Off,
    Immediate,
    Daily,
    Weekly,
}

crate::community::str_enum!(Mode { Off => "off", Immediate => "immediate", Daily => "daily", Weekly => "weekly" });

/// Quiet hours `[start, end)` in local hours; they may wrap midnight. Equal bounds: never quiet.
pub fn is_quiet(hour: u32, start: u32, end: u32) -> bool {
    match start.cmp(&end) {
        std::cmp::Ordering::Equal => false,
        std::cmp::Ordering::Less => (start..end).contains(&hour),
        std::cmp::Ordering::Greater => hour >= start || hour < end,
    }
}

pub fn quiet_hours(start: i64, end: i64) -> Invalid<(u32, u32)> {
    let ok = |h: i64| (0..24).contains(&h);
    if !ok(start) {
        return Err(invalid("quiet_start", "out_of_range", "an hour from 0 to 23"));
    }
    if !ok(end) {
        return Err(invalid("quiet_end", "out_of_range", "an hour from 0 to 23"));
    }
    Ok((start as u32, end as u32))
}

/// What to do with one pending notification now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Mail it now (with the other immediate ones of this sweep).
    Send,
    /// Put it in the digest that goes out now.
    Digest,
    /// Not yet (quiet hours, or the digest is not due).
    Wait,
    /// The member does not want it by email.
    Skip,
}

/// Whether a digest of `period` (daily or weekly) is due at local time `now`
/// when the last one went out at local time `last` (None: never).
pub fn digest_due(weekly: bool, now: NaiveDateTime, last: Option<NaiveDateTime>) -> bool {
    if now.hour() < DIGEST_HOUR {
        return false;
    }
    let today = now.date();
    let period_start = if weekly {
        if today.weekday() != Weekday::Mon && last.is_none() {
            // The first weekly digest waits for a Monday.
            return false;
        }
        today - Duration::days(i64::from(today.weekday().num_days_from_monday()))
    } else {
        today
    };
    last.is_none_or(|l| l.date() < period_start)
}

/// Decides for one notification given the member's mode and local time.
pub fn decide(
    mode: Mode,
    now: NaiveDateTime,
    quiet: (u32, u32),
    last_daily: Option<NaiveDateTime>,
    last_weekly: Option<NaiveDateTime>,
) -> Decision {
    if mode == Mode::Off {
        return Decision::Skip;
    }
    if is_quiet(now.hour(), quiet.0, quiet.1) {
        return Decision::Wait;
    }
    match mode {
        Mode::Immediate => Decision::Send,
        Mode::Daily if digest_due(false, now, last_daily) => Decision::Digest,
        Mode::Weekly if digest_due(true, now, last_weekly) => Decision::Digest,
        _ => Decision::Wait,
    }
}

/// A plausible email address: one `@`, a dot in the domain, no spaces, ≤ 254 chars.
pub fn address(raw: &str) -> Invalid<String> {
    let a = raw.trim();
    let ok = a.len() <= 254
        && !a.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
        && a.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && !d.contains('@') && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        });
    if ok {
        Ok(a.to_string())
    } else {
        Err(invalid("email", "invalid_email", "enter an address like name@example.com"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn quiet_hours_wrap_midnight() {
        assert!(is_quiet(23, 22, 8) && is_quiet(3, 22, 8) && !is_quiet(8, 22, 8) && !is_quiet(12, 22, 8));
        assert!(is_quiet(13, 12, 14) && !is_quiet(14, 12, 14));
        assert!(!is_quiet(3, 5, 5), "equal bounds: no quiet hours");
        assert!(quiet_hours(24, 1).is_err() && quiet_hours(1, -1).is_err());
    }

    #[test]
    fn modes_quiet_hours_and_digests_decide_together() {
        let q = (22, 8);
        // 2026-11-23 is a Monday.
        assert_eq!(decide(Mode::Immediate, at("2026-11-23 07:59"), q, None, None), Decision::Wait);
        assert_eq!(decide(Mode::Immediate, at("2026-11-23 08:00"), q, None, None), Decision::Send);
        assert_eq!(decide(Mode::Off, at("2026-11-23 12:00"), q, None, None), Decision::Skip);
        assert_eq!(decide(Mode::Daily, at("2026-11-23 09:00"), q, None, None), Decision::Digest);
        assert_eq!(decide(Mode::Daily, at("2026-11-23 09:00"), q, Some(at("2026-11-23 08:01")), None), Decision::Wait);
        assert_eq!(
            decide(Mode::Daily, at("2026-11-24 08:30"), q, Some(at("2026-11-23 08:01")), None),
            Decision::Digest
        );
        assert_eq!(
            decide(Mode::Weekly, at("2026-11-24 09:00"), q, None, None),
            Decision::Wait,
            "first weekly waits for Monday"
        );
        assert_eq!(decide(Mode::Weekly, at("2026-11-23 09:00"), q, None, None), Decision::Digest);
        assert_eq!(decide(Mode::Weekly, at("2026-11-27 09:00"), q, None, Some(at("2026-11-23 09:00"))), Decision::Wait);
        assert_eq!(
            decide(Mode::Weekly, at("2026-11-30 08:00"), q, None, Some(at("2026-11-23 09:00"))),
            Decision::Digest
        );
        // A digest due during quiet hours waits for their end.
        assert_eq!(decide(Mode::Daily, at("2026-11-23 09:00"), (0, 10), None, None), Decision::Wait);
    }

    #[test]
    fn addresses_are_checked() {
        assert_eq!(address(" a.b@example.cn ").unwrap(), "a.b@example.cn");
        for bad in ["", "a", "a@b", "@b.cn", "a@@b.cn", "a b@c.cn", "a@b.cn>", "a@.cn"] {
            assert!(address(bad).is_err(), "{bad}");
        }
    }
}
