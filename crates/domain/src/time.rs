//! Reading times people type: an RFC 3339 instant, or a local date-time in
//! the community's time zone.

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use crate::error::{invalid, Invalid};

/// Reads a local date-time in `tz` (`2026-12-31T20:00`) or an RFC 3339 instant, as ms.
pub fn instant(field: &'static str, s: &str, tz: Tz) -> Invalid<i64> {
    let s = s.trim();
    // RFC 3339, and the same without seconds ("2026-12-10T19:00+08:00").
    if let Ok(t) =
        chrono::DateTime::parse_from_rfc3339(s).or_else(|_| chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z"))
    {
        return Ok(t.timestamp_millis());
    }
    let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
        .map_err(|_| invalid(field, "invalid_datetime", format!("{field} is a time like 2026-12-31T20:00")))?;
    at_local(field, local, tz)
}

/// A wall-clock time in `tz` as ms; the hour a clock change skips is refused.
pub fn at_local(field: &'static str, local: NaiveDateTime, tz: Tz) -> Invalid<i64> {
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| invalid(field, "invalid_datetime", "that local time does not exist (a clock change)"))
}

/// The wall-clock time in `tz` of an instant.
pub fn local(ms: i64, tz: Tz) -> NaiveDateTime {
    tz.timestamp_millis_opt(ms).earliest().map(|t| t.naive_local()).unwrap_or_default()
}
