//! iCalendar (RFC 5545) for gatherings: one file per event and one feed per
//! community. Times are written with `TZID` and the zone's `VTIMEZONE`
//! (its offsets and the clock changes in the years the events span), so a
//! calendar app shows 19:00 Beijing time as 19:00 in Beijing.

use chrono::{Datelike, NaiveDate, Offset, TimeZone};
use chrono_tz::{OffsetComponents, Tz};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use crate::time::local;
use crate::{DAY_MS, MINUTE_MS};

/// One event as a calendar shows it.
#[derive(Debug, Clone)]
pub struct IcsEvent {
    /// Globally unique and stable across edits (`event-12@host`).
    pub uid: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub updated_at: i64,
    pub title: String,
    pub description: String,
    pub location: String,
    pub url: String,
    pub canceled: bool,
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line, folded at 75 octets without splitting a character (§3.1).
fn line(out: &mut String, l: &str) {
    let mut width = 0;
    for c in l.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

fn utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().format("%Y%m%dT%H%M%SZ").to_string()
}

fn wall(ms: i64, tz: Tz) -> String {
    local(ms, tz).format("%Y%m%dT%H%M%S").to_string()
}

fn offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    format!("{sign}{:02}{:02}", a / 3600, a % 3600 / 60)
}

fn offset_at(tz: Tz, ms: i64) -> (i32, bool) {
    let t = tz.timestamp_millis_opt(ms).earliest().unwrap_or_else(|| tz.timestamp_millis_opt(0).unwrap());
    let o = t.offset();
    (o.fix().local_minus_utc(), !o.dst_offset().is_zero())
}

/// The zone's clock changes between two instants: (instant, offset before, offset after, daylight after).
fn transitions(tz: Tz, from: i64, to: i64) -> Vec<(i64, i32, i32, bool)> {
    let mut out = vec![];
    let mut t = from;
    let (mut prev, _) = offset_at(tz, t);
    while t < to {
        let next = t + DAY_MS;
        let (o, _) = offset_at(tz, next);
        if o != prev {
            // Narrow the change down to the minute.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > MINUTE_MS {
                let mid = lo + (hi - lo) / 2 / MINUTE_MS * MINUTE_MS;
                let mid = if mid == lo { lo + MINUTE_MS } else { mid };
                if offset_at(tz, mid).0 == prev {
                    lo = mid
                } else {
                    hi = mid
                }
            }
            out.push((hi, prev, o, offset_at(tz, hi).1));
            prev = o;
        }
        t = next;
    }
    out
}

/// The `VTIMEZONE` for the years `[from, to]` span.
fn vtimezone(out: &mut String, tz: Tz, from: i64, to: i64) {
    let year = |ms: i64| local(ms, tz).year();
    let start = tz.from_utc_datetime(&NaiveDate::from_ymd_opt(year(from), 1, 1).unwrap().into()).timestamp_millis();
    let end = tz.from_utc_datetime(&NaiveDate::from_ymd_opt(year(to) + 1, 1, 1).unwrap().into()).timestamp_millis();
    line(out, "BEGIN:VTIMEZONE");
    line(out, &format!("TZID:{}", tz.name()));
    let changes = transitions(tz, start, end);
    if changes.is_empty() {
        let (o, dst) = offset_at(tz, start);
        let kind = if dst { "DAYLIGHT" } else { "STANDARD" };
        line(out, &format!("BEGIN:{kind}"));
        line(out, &format!("DTSTART:{}", wall(start, tz)));
        line(out, &format!("TZOFFSETFROM:{}", offset(o)));
        line(out, &format!("TZOFFSETTO:{}", offset(o)));
        line(out, &format!("END:{kind}"));
    }
    for (at, before, after, dst) in changes {
        let kind = if dst { "DAYLIGHT" } else { "STANDARD" };
        line(out, &format!("BEGIN:{kind}"));
        // DTSTART is the wall-clock time the change happens, in the offset before it.
        let before_wall = chrono::DateTime::from_timestamp_millis(at + i64::from(before) * 1000).unwrap_or_default();
        line(out, &format!("DTSTART:{}", before_wall.format("%Y%m%dT%H%M%S")));
        line(out, &format!("TZOFFSETFROM:{}", offset(before)));
        line(out, &format!("TZOFFSETTO:{}", offset(after)));
        line(out, &format!("END:{kind}"));
    }
    line(out, "END:VTIMEZONE");
}

/// A calendar with `events`, their times in `tz`; `name` titles a feed.
pub fn calendar(events: &[IcsEvent], tz: Tz, name: Option<&str>, now: i64) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Yaji//Gatherings//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    if let Some(n) = name {
        line(&mut out, &format!("X-WR-CALNAME:{}", text(n)));
        line(&mut out, &format!("X-WR-TIMEZONE:{}", tz.name()));
    }
    let from = events.iter().map(|e| e.starts_at).min().unwrap_or(now);
    let to = events.iter().map(|e| e.ends_at).max().unwrap_or(now);
    vtimezone(&mut out, tz, from, to);
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", text(&e.uid)));
        line(&mut out, &format!("DTSTAMP:{}", utc(now)));
        line(&mut out, &format!("LAST-MODIFIED:{}", utc(e.updated_at)));
        line(&mut out, &format!("DTSTART;TZID={}:{}", tz.name(), wall(e.starts_at, tz)));
        line(&mut out, &format!("DTEND;TZID={}:{}", tz.name(), wall(e.ends_at, tz)));
        line(&mut out, &format!("SUMMARY:{}", text(&e.title)));
        if !e.description.is_empty() {
            line(&mut out, &format!("DESCRIPTION:{}", text(&e.description)));
        }
        if !e.location.is_empty() {
            line(&mut out, &format!("LOCATION:{}", text(&e.location)));
        }
        if !e.url.is_empty() {
            line(&mut out, &format!("URL:{}", e.url));
        }
        line(&mut out, if e.canceled { "STATUS:CANCELLED" } else { "STATUS:CONFIRMED" });
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// A Google Calendar "add" link (times in UTC).
pub fn google_link(e: &IcsEvent) -> String {
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    format!(
        "https://calendar.google.com/calendar/render?action=TEMPLATE&text={}&dates={}/{}&details={}&location={}",
        enc(&e.title),
        utc(e.starts_at),
        utc(e.ends_at),
        enc(&e.url),
        enc(&e.location)
    )
}
