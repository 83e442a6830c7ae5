//! Gatherings (雅集): events a community runs, online or at a venue, and the
//! registrations, waitlists and door check-ins that go with them.
//!
//! Pure rules only: what a valid event is, where a registration lands
//! (registered, waitlisted or pending approval), who is promoted when a seat
//! frees, what a ticket code looks like, when a recurring event's
//! occurrences fall (wall-clock times kept across clock changes), and the
//! calendar file (`ics`).

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::community::str_enum;
use crate::error::{bounded, invalid, Invalid};
use crate::time::{at_local, instant, local};
use crate::{HOUR_MS, MINUTE_MS};

pub mod ics;
#[cfg(test)]
mod tests;

/// Who sees an event and may register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Anyone, members or not (visitors register with a light account).
    Public,
    Members,
    /// Members holding one of the event's tags (staff always).
    Tagged,
}
str_enum!(Audience { Public => "public", Members => "members", Tagged => "tagged" });

/// A registration's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegStatus {
    Pending,
    Registered,
    Waitlisted,
    Cancelled,
    Declined,
    Attended,
    NoShow,
}
str_enum!(RegStatus {
    Pending => "pending",
    Registered => "registered",
    Waitlisted => "waitlisted",
    Cancelled => "cancelled",
    Declined => "declined",
    Attended => "attended",
    NoShow => "no_show",
});

impl RegStatus {
    /// Whether the registration holds seats (counted against capacity).
    pub fn holds_seats(self) -> bool {
        matches!(self, RegStatus::Registered | RegStatus::Attended)
    }
    /// Whether it is still in play (not cancelled, declined or over).
    pub fn active(self) -> bool {
        matches!(self, RegStatus::Pending | RegStatus::Registered | RegStatus::Waitlisted | RegStatus::Attended)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Text,
    Single,
    Multiple,
}

/// A registration question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub label: String,
    #[serde(default = "text_kind")]
    pub kind: QuestionKind,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

fn text_kind() -> QuestionKind {
    QuestionKind::Text
}

pub const MAX_QUESTIONS: usize = 10;
pub const MAX_OCCURRENCES: usize = 52;
/// Reminders default to a day and an hour before the start.
pub const DEFAULT_REMINDERS: [i64; 2] = [24 * 60, 60];

/// How an event repeats: each occurrence is an event of its own, with its
/// own registrations and capacity, at the same wall-clock time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repeat {
    /// `weekly` or `monthly` (same day of the month; months without it are skipped).
    pub every: String,
    /// Occurrences in all, the first included (2 to 52).
    #[serde(default)]
    pub count: Option<i64>,
    /// Or the last local date an occurrence may fall on.
    #[serde(default)]
    pub until: Option<NaiveDate>,
    /// Local dates skipped (holidays).
    #[serde(default)]
    pub except: Vec<NaiveDate>,
}

/// What staff send to create or change an event. Times are RFC 3339 or local
/// (`2026-12-10T19:00`) in the community's time zone.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EventInput {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    pub starts_at: String,
    pub ends_at: String,
    /// Seats (guests included); none or 0: unlimited.
    #[serde(default)]
    pub capacity: Option<i64>,
    #[serde(default)]
    pub cover_url: Option<String>,
    /// The online link (shown only to registered people).
    #[serde(default)]
    pub online_url: Option<String>,
    /// A free-text address, when not at one of the community's rooms.
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub room_id: Option<i64>,
    #[serde(default)]
    pub audience: Option<String>,
    /// The tags that may see and register for a `tagged` event.
    #[serde(default)]
    pub audience_tags: Vec<String>,
    #[serde(default)]
    pub opens_at: Option<String>,
    #[serde(default)]
    pub closes_at: Option<String>,
    /// Staff approve each registration.
    #[serde(default)]
    pub approval: bool,
    /// Guests (+N) one member may bring.
    #[serde(default)]
    pub max_guests: Option<i64>,
    #[serde(default)]
    pub questions: Vec<Question>,
    /// Minutes before the start to remind registered people (default 1440 and 60).
    #[serde(default)]
    pub reminders: Option<Vec<i64>>,
    /// People check themselves in with a code shown at the venue.
    #[serde(default)]
    pub self_checkin: bool,
    /// Everyone who may see the event sees who is going.
    #[serde(default)]
    pub show_attendees: bool,
    /// The ticket's price in the smallest currency unit (paid tickets come
    /// with paid membership; only 0 is taken today).
    #[serde(default)]
    pub price: Option<i64>,
    #[serde(default)]
    pub repeat: Option<Repeat>,
    /// The gathering template it was made from.
    #[serde(default)]
    pub template_id: Option<i64>,
}

/// A valid event (before its occurrences are laid out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventDef {
    pub title: String,
    pub description: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: Option<i64>,
    pub cover_url: Option<String>,
    pub online_url: Option<String>,
    pub location: String,
    pub room_id: Option<i64>,
    pub audience: Audience,
    pub audience_tags: Vec<String>,
    pub opens_at: Option<i64>,
    pub closes_at: Option<i64>,
    pub approval: bool,
    pub max_guests: i64,
    pub questions: Vec<Question>,
    pub reminders: Vec<i64>,
    pub self_checkin: bool,
    pub show_attendees: bool,
    pub price: i64,
    pub template_id: Option<i64>,
}

fn https_url(field: &'static str, v: Option<String>) -> Invalid<Option<String>> {
    let Some(v) = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) else { return Ok(None) };
    if v.len() > 500 || !(v.starts_with("https://") || v.starts_with("http://")) || v.contains(char::is_whitespace) {
        return Err(invalid(field, "invalid_url", format!("{field} is an http(s) address")));
    }
    Ok(Some(v))
}

fn questions(qs: Vec<Question>) -> Invalid<Vec<Question>> {
    if qs.len() > MAX_QUESTIONS {
        return Err(invalid("questions", "too_many", format!("at most {MAX_QUESTIONS} questions")));
    }
    let mut out = vec![];
    for q in qs {
        let label = q.label.trim().to_string();
        if label.is_empty() || label.chars().count() > 200 {
            return Err(invalid("questions", "invalid_length", "a question is 1-200 characters"));
        }
        let options: Vec<String> = q.options.iter().map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect();
        if q.kind != QuestionKind::Text && (options.len() < 2 || options.len() > 20) {
            return Err(invalid("questions", "invalid_options", "a choice question has 2-20 options"));
        }
        if options.iter().any(|o| o.chars().count() > 100) {
            return Err(invalid("questions", "invalid_length", "an option is at most 100 characters"));
        }
        let options = if q.kind == QuestionKind::Text { vec![] } else { options };
        out.push(Question { label, kind: q.kind, options, required: q.required });
    }
    Ok(out)
}

impl EventInput {
    pub fn validate(self, tz: Tz) -> Invalid<EventDef> {
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 120 {
            return Err(invalid("title", "invalid_length", "a title is 1-120 characters"));
        }
        let description = self.description.unwrap_or_default().trim().to_string();
        if description.chars().count() > 20_000 {
            return Err(invalid("description", "too_long", "at most 20000 characters"));
        }
        let starts_at = instant("starts_at", &self.starts_at, tz)?;
        let ends_at = instant("ends_at", &self.ends_at, tz)?;
        if ends_at <= starts_at {
            return Err(invalid("ends_at", "end_before_start", "the end must come after the start"));
        }
        if ends_at - starts_at > 14 * 24 * HOUR_MS {
            return Err(invalid("ends_at", "too_long", "an event lasts at most 14 days"));
        }
        let capacity = match self.capacity {
            None | Some(0) => None,
            Some(c) if (1..=100_000).contains(&c) => Some(c),
            Some(_) => return Err(invalid("capacity", "out_of_range", "capacity is 1 to 100000 seats (0: unlimited)")),
        };
        let location = self.location.unwrap_or_default().trim().to_string();
        if location.chars().count() > 300 {
            return Err(invalid("location", "too_long", "at most 300 characters"));
        }
        let audience = match self.audience.as_deref() {
            None | Some("") => Audience::Public,
            Some(a) => Audience::parse("audience", a)?,
        };
        let audience_tags: Vec<String> =
            self.audience_tags.iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect();
        if audience == Audience::Tagged && audience_tags.is_empty() {
            return Err(invalid("audience_tags", "required", "name the tags that may register"));
        }
        let opt_time = |f: &'static str, v: Option<String>| -> Invalid<Option<i64>> {
            match v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
                Some(s) => instant(f, &s, tz).map(Some),
                None => Ok(None),
            }
        };
        let opens_at = opt_time("opens_at", self.opens_at)?;
        let closes_at = opt_time("closes_at", self.closes_at)?;
        if let (Some(o), Some(c)) = (opens_at, closes_at) {
            if c <= o {
                return Err(invalid("closes_at", "end_before_start", "registration must close after it opens"));
            }
        }
        if closes_at.is_some_and(|c| c > ends_at) {
            return Err(invalid("closes_at", "after_end", "registration closes by the end of the event"));
        }
        let max_guests = bounded("max_guests", self.max_guests, 0, 0..=20, "guests")?;
        let mut reminders = self.reminders.unwrap_or_else(|| DEFAULT_REMINDERS.to_vec());
        reminders.sort_unstable_by(|a, b| b.cmp(a));
        reminders.dedup();
        if reminders.len() > 4 || reminders.iter().any(|m| !(5..=14 * 24 * 60).contains(m)) {
            return Err(invalid("reminders", "out_of_range", "up to 4 reminders, 5 minutes to 14 days before"));
        }
        let price = bounded("price", self.price, 0, 0..=0, "(paid tickets come with paid membership)")?;
        Ok(EventDef {
            title,
            description,
            starts_at,
            ends_at,
            capacity,
            cover_url: https_url("cover_url", self.cover_url)?,
            online_url: https_url("online_url", self.online_url)?,
            location,
            room_id: self.room_id,
            audience,
            audience_tags,
            opens_at,
            closes_at,
            approval: self.approval,
            max_guests,
            questions: questions(self.questions)?,
            reminders,
            self_checkin: self.self_checkin,
            show_attendees: self.show_attendees,
            price,
            template_id: self.template_id,
        })
    }
}

/// A gathering template: a format the community runs again and again (a
/// tea ceremony, a chapter reading), from which an event is made in one step.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TemplateInput {
    pub title: String,
    /// Theme and agenda (Markdown).
    #[serde(default)]
    pub description: Option<String>,
    /// What to prepare or bring.
    #[serde(default)]
    pub materials: Option<String>,
    /// How the room is set up.
    #[serde(default)]
    pub setup: Option<String>,
    /// The usual host, by username.
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub capacity: Option<i64>,
    /// How long it lasts (default 120 minutes).
    #[serde(default)]
    pub duration_minutes: Option<i64>,
    #[serde(default)]
    pub room_id: Option<i64>,
    #[serde(default)]
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateDef {
    pub title: String,
    pub description: String,
    pub materials: String,
    pub setup: String,
    pub host: Option<String>,
    pub capacity: Option<i64>,
    pub duration_minutes: i64,
    pub room_id: Option<i64>,
    pub questions: Vec<Question>,
}

impl TemplateInput {
    pub fn validate(self) -> Invalid<TemplateDef> {
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 120 {
            return Err(invalid("title", "invalid_length", "a title is 1-120 characters"));
        }
        let text = |f: &'static str, v: Option<String>| -> Invalid<String> {
            let v = v.unwrap_or_default().trim().to_string();
            if v.chars().count() > 5000 {
                return Err(invalid(f, "too_long", "at most 5000 characters"));
            }
            Ok(v)
        };
        let capacity = match self.capacity {
            None | Some(0) => None,
            Some(c) if (1..=100_000).contains(&c) => Some(c),
            Some(_) => return Err(invalid("capacity", "out_of_range", "capacity is 1 to 100000 seats (0: unlimited)")),
        };
        Ok(TemplateDef {
            title,
            description: text("description", self.description)?,
            materials: text("materials", self.materials)?,
            setup: text("setup", self.setup)?,
            host: self.host.map(|h| h.trim().to_string()).filter(|h| !h.is_empty()),
            capacity,
            duration_minutes: bounded("duration_minutes", self.duration_minutes, 120, 15..=24 * 60, "minutes")?,
            room_id: self.room_id,
            questions: questions(self.questions)?,
        })
    }
}

impl TemplateDef {
    /// The event this template makes, starting at `starts_at` (ms): its
    /// description carries the agenda, the materials and the room setup.
    pub fn event(&self, id: i64, starts_at: i64) -> EventInput {
        let mut description = self.description.clone();
        for (head, body) in [("Materials · 物料", &self.materials), ("Room setup · 场地布置", &self.setup)] {
            if !body.is_empty() {
                description.push_str(&format!("\n\n**{head}**\n\n{body}"));
            }
        }
        let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339();
        EventInput {
            title: self.title.clone(),
            description: Some(description.trim().to_string()),
            starts_at: at(starts_at),
            ends_at: at(starts_at + self.duration_minutes * MINUTE_MS),
            capacity: self.capacity,
            room_id: self.room_id,
            questions: self.questions.clone(),
            template_id: Some(id),
            ..Default::default()
        }
    }
}

/// The starts of a recurring event's occurrences (the first included), at
/// the same local wall-clock time in `tz` whatever clock changes fall between.
pub fn occurrences(start: i64, repeat: &Repeat, tz: Tz) -> Invalid<Vec<i64>> {
    let first = local(start, tz);
    let monthly = match repeat.every.as_str() {
        "weekly" => false,
        "monthly" => true,
        _ => return Err(invalid("repeat.every", "invalid_choice", "repeat.every is weekly or monthly")),
    };
    let count = match (repeat.count, repeat.until) {
        (Some(c), _) if !(1..=MAX_OCCURRENCES as i64).contains(&c) => {
            return Err(invalid("repeat.count", "out_of_range", format!("1 to {MAX_OCCURRENCES} occurrences")))
        }
        (Some(c), _) => c as usize,
        (None, Some(u)) if u < first.date() => {
            return Err(invalid("repeat.until", "end_before_start", "the last date comes after the first"))
        }
        (None, Some(_)) => MAX_OCCURRENCES,
        (None, None) => return Err(invalid("repeat.count", "required", "say how many times, or until when")),
    };
    // Like RFC 5545's COUNT, the count includes the dates later excepted.
    let mut out = vec![];
    let mut candidates = 0;
    let mut step = 0u32;
    while candidates < count && step < 400 {
        let date: Option<NaiveDate> = if monthly {
            first.date().checked_add_months(Months::new(step))
        } else {
            first.date().checked_add_days(chrono::Days::new(u64::from(step) * 7))
        };
        step += 1;
        let Some(date) = date else { continue };
        if monthly && date.day() != first.date().day() {
            continue;
        }
        if repeat.until.is_some_and(|u| date > u) {
            break;
        }
        candidates += 1;
        if repeat.except.contains(&date) {
            continue;
        }
        // A time the clock skips moves to the first minute that exists.
        let at = NaiveDateTime::new(date, first.time());
        let ms =
            at_local("starts_at", at, tz).or_else(|_| at_local("starts_at", at + chrono::Duration::hours(1), tz))?;
        out.push(ms);
    }
    if repeat.until.is_some() && out.len() > MAX_OCCURRENCES {
        out.truncate(MAX_OCCURRENCES);
    }
    Ok(out)
}

/// Seats a registration takes: the member and their guests.
pub fn seats(guests: i64) -> i64 {
    1 + guests
}

/// Why a registration is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotOpenYet,
    Closed,
    Over,
    Canceled,
    TooManyGuests,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotOpenYet => "registration_not_open",
            Refusal::Closed => "registration_closed",
            Refusal::Over => "event_over",
            Refusal::Canceled => "event_canceled",
            Refusal::TooManyGuests => "too_many_guests",
        }
    }
}

/// What the registration window and guests allow at `now`.
pub fn may_register(def: &EventDef, canceled: bool, guests: i64, now: i64) -> Result<(), Refusal> {
    if canceled {
        return Err(Refusal::Canceled);
    }
    if now >= def.ends_at {
        return Err(Refusal::Over);
    }
    if def.opens_at.is_some_and(|o| now < o) {
        return Err(Refusal::NotOpenYet);
    }
    if def.closes_at.is_some_and(|c| now >= c) {
        return Err(Refusal::Closed);
    }
    if guests < 0 || guests > def.max_guests {
        return Err(Refusal::TooManyGuests);
    }
    Ok(())
}

/// Where a new (or approved) registration lands, given the seats already taken.
pub fn place(capacity: Option<i64>, taken: i64, seats: i64, approval_pending: bool) -> RegStatus {
    if approval_pending {
        RegStatus::Pending
    } else if capacity.is_none_or(|c| taken + seats <= c) {
        RegStatus::Registered
    } else {
        RegStatus::Waitlisted
    }
}

/// Which waitlisted registrations (in waitlist order, `(id, seats)`) move up
/// when seats free: each one that fits, first come first served; one that
/// needs more seats than are free waits without blocking smaller ones behind it.
pub fn promotions(capacity: Option<i64>, taken: i64, waitlist: &[(i64, i64)]) -> Vec<i64> {
    let mut free = match capacity {
        Some(c) => c - taken,
        None => i64::MAX,
    };
    let mut out = vec![];
    for &(id, s) in waitlist {
        if s <= free {
            free -= s;
            out.push(id);
        }
    }
    out
}

/// A validated answer set: question index → answer text(s).
pub type Answers = BTreeMap<usize, Vec<String>>;

/// Checks answers against the questions (by index, as the form numbers them).
pub fn answers(questions: &[Question], raw: &BTreeMap<String, serde_json::Value>) -> Invalid<Answers> {
    let mut out = Answers::new();
    for (i, q) in questions.iter().enumerate() {
        let given: Vec<String> = match raw.get(&i.to_string()) {
            Some(serde_json::Value::String(s)) => vec![s.trim().to_string()],
            Some(serde_json::Value::Array(a)) => {
                a.iter().filter_map(|v| v.as_str()).map(|s| s.trim().to_string()).collect()
            }
            Some(serde_json::Value::Null) | None => vec![],
            Some(_) => return Err(invalid("answers", "invalid_answer", format!("answer {i} is text or a list"))),
        };
        let given: Vec<String> = given.into_iter().filter(|s| !s.is_empty()).collect();
        if given.is_empty() {
            if q.required {
                return Err(invalid("answers", "required", format!("“{}” needs an answer", q.label)));
            }
            continue;
        }
        match q.kind {
            QuestionKind::Text => {
                if given.len() != 1 || given[0].chars().count() > 1000 {
                    return Err(invalid("answers", "invalid_answer", format!("“{}”: up to 1000 characters", q.label)));
                }
            }
            QuestionKind::Single | QuestionKind::Multiple => {
                if q.kind == QuestionKind::Single && given.len() > 1 {
                    return Err(invalid("answers", "invalid_answer", format!("“{}”: choose one", q.label)));
                }
                if let Some(bad) = given.iter().find(|g| !q.options.contains(g)) {
                    return Err(invalid("answers", "invalid_answer", format!("“{bad}” is not one of the options")));
                }
            }
        }
        out.insert(i, given);
    }
    Ok(out)
}

/// Ticket codes: 8 characters from an alphabet without look-alikes (no 0/O,
/// 1/I/L), so a code read aloud or typed from a phone survives.
const TICKET_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A ticket code from random bytes (40 bits of entropy).
pub fn ticket_code(random: [u8; 8]) -> String {
    random.iter().map(|b| TICKET_ALPHABET[usize::from(*b) % TICKET_ALPHABET.len()] as char).collect()
}

/// What a person typed or a camera read, as a ticket code: case, spaces,
/// dashes and a scanned check-in address (`…?code=XXXX`) forgiven.
pub fn normalize_code(raw: &str) -> String {
    let raw = raw.trim();
    let raw = raw.rsplit_once("code=").map(|(_, c)| c).unwrap_or(raw);
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .take(16)
        .collect()
}

/// The outcome of presenting a ticket at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorOutcome {
    /// Checked in now.
    Admitted,
    /// Already checked in: let them in, but say so.
    AlreadyIn,
    /// Registered but not admitted (waitlisted, pending, cancelled, declined).
    NotAdmitted(RegStatus),
}

/// What the door says for a registration's status.
pub fn door(status: RegStatus) -> DoorOutcome {
    match status {
        RegStatus::Registered | RegStatus::NoShow => DoorOutcome::Admitted,
        RegStatus::Attended => DoorOutcome::AlreadyIn,
        s => DoorOutcome::NotAdmitted(s),
    }
}

/// Door check-in opens this long before the start.
pub const DOOR_OPENS_BEFORE: i64 = 3 * HOUR_MS;
/// No-shows are marked this long after the end.
pub const NO_SHOW_AFTER: i64 = 30 * MINUTE_MS;
