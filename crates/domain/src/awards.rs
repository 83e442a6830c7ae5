//! Member-voted awards ("本月最佳嘉宾"): staff name a title, the nominees and
//! when voting closes; each member has one vote, which they may change until
//! the close; results are shown only after it. Pure rules; the votes live in
//! the store, one row per voter.

use chrono::TimeZone;
use chrono_tz::Tz;

use crate::error::{invalid, Invalid};

/// Fewest and most nominees an award has.
pub const MIN_NOMINEES: usize = 2;
pub const MAX_NOMINEES: usize = 12;
/// Longest a vote stays open: 90 days.
pub const MAX_OPEN_MS: i64 = 90 * crate::DAY_MS;

/// A checked new award.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardDraft {
    pub title: String,
    /// Usernames, trimmed and without repeats, in the order given.
    pub nominees: Vec<String>,
    /// UTC milliseconds.
    pub closes_at: i64,
}

/// Checks an award as staff wrote it; `closes_at` is a local date and time
/// ("2026-12-31T20:00") in the community's time zone.
pub fn draft(title: &str, nominees: &[String], closes_at: &str, tz: Tz, now: i64) -> Invalid<AwardDraft> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 60 {
        return Err(invalid("title", "invalid_length", "a title is 1-60 characters"));
    }
    let mut names: Vec<String> = vec![];
    for n in nominees.iter().map(|n| n.trim().trim_start_matches('@')).filter(|n| !n.is_empty()) {
        if !names.iter().any(|m| m == n) {
            names.push(n.to_string());
        }
    }
    if !(MIN_NOMINEES..=MAX_NOMINEES).contains(&names.len()) {
        return Err(invalid(
            "nominees",
            "invalid_length",
            format!("name {MIN_NOMINEES} to {MAX_NOMINEES} different members"),
        ));
    }
    let local = crate::automation::parse_local(closes_at).map_err(|e| invalid("closes_at", e.code, e.message))?;
    let at = tz
        .from_local_datetime(&local)
        .earliest()
        .ok_or_else(|| {
            invalid("closes_at", "invalid_datetime", "that time does not exist in the community's time zone")
        })?
        .timestamp_millis();
    if at <= now || at - now > MAX_OPEN_MS {
        return Err(invalid("closes_at", "out_of_range", "voting closes in the future, within 90 days"));
    }
    Ok(AwardDraft { title: title.to_string(), nominees: names, closes_at: at })
}

/// Whether votes are still taken at `now`.
pub fn is_open(closes_at: i64, now: i64) -> bool {
    now < closes_at
}

/// The winners of a closed vote: every nominee with the most votes (a tie
/// has several); none when nobody voted.
pub fn winners(tally: &[(i64, i64)]) -> Vec<i64> {
    let top = tally.iter().map(|(_, n)| *n).max().unwrap_or(0);
    if top == 0 {
        return vec![];
    }
    tally.iter().filter(|(_, n)| *n == top).map(|(id, _)| *id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_are_checked_in_the_community_time_zone() {
        let sh: Tz = "Asia/Shanghai".parse().unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-07T00:00:00Z").unwrap().timestamp_millis();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let d = draft(" 本月最佳嘉宾 ", &names(&["@ann", "bob", "ann", " "]), "2026-12-31T20:00", sh, now).unwrap();
        assert_eq!((d.title.as_str(), d.nominees.clone()), ("本月最佳嘉宾", names(&["ann", "bob"])));
        let close = chrono::DateTime::parse_from_rfc3339("2026-12-31T12:00:00Z").unwrap().timestamp_millis();
        assert_eq!(d.closes_at, close, "20:00 in Shanghai");
        let field = |r: Invalid<AwardDraft>| r.unwrap_err().field;
        assert_eq!(field(draft("x", &names(&["ann"]), "2026-12-31T20:00", sh, now)), "nominees");
        assert_eq!(field(draft("x", &names(&["a", "b"]), "2026-12-01T20:00", sh, now)), "closes_at");
        assert_eq!(field(draft("x", &names(&["a", "b"]), "2027-06-01T20:00", sh, now)), "closes_at");
        assert_eq!(field(draft("x", &names(&["a", "b"]), "soon", sh, now)), "closes_at");
        assert_eq!(field(draft("", &names(&["a", "b"]), "2026-12-31T20:00", sh, now)), "title");
    }

    #[test]
    fn ties_share_the_award() {
        assert_eq!(winners(&[(1, 3), (2, 5), (3, 5)]), [2, 3]);
        assert!(winners(&[(1, 0), (2, 0)]).is_empty());
        assert!(is_open(10, 9) && !is_open(10, 10));
    }
}
