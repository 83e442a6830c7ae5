//! Points: which activity earns them and for whom, what takes them back,
//! daily caps and cooldowns, levels, and the periods leaderboards sum over.
//! Pure rules; the ledger itself lives in the store and the app's subscriber.

use std::collections::BTreeMap;

use chrono::{Datelike, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::activity::{
    AnswerDecision, CheckinMade, CommentCreated, CommentReaction, Event, Kind, MemberJoined, PostCreated,
    QueueDecision, ReactionAdded, RegistrationMoved, ReportFiled, Subject,
};
use crate::error::{invalid, Invalid};
use crate::DAY_MS;

/// What earns points. Check-ins, accepted answers and attended events join
/// this list with the capabilities that record them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Writing a post members can see.
    Post,
    /// Writing a comment members can see.
    Comment,
    /// Someone else commented on your post.
    ReplyReceived,
    /// Someone else reacted to your post or comment (once per person per item).
    ReactionReceived,
    /// Your post was picked as essence.
    Essence,
    /// Someone joined through your invite.
    InviteAccepted,
    /// A check-in in a challenge (made-up days too).
    CheckIn,
    /// Checked in at a gathering (雅集), by the door or oneself.
    EventAttended,
    /// Your comment was accepted as the answer to a question.
    AnswerAccepted,
}

impl Rule {
    pub const ALL: [Rule; 9] = [
        Rule::Post,
        Rule::Comment,
        Rule::ReplyReceived,
        Rule::ReactionReceived,
        Rule::Essence,
        Rule::InviteAccepted,
        Rule::CheckIn,
        Rule::EventAttended,
        Rule::AnswerAccepted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Post => "post",
            Rule::Comment => "comment",
            Rule::ReplyReceived => "reply_received",
            Rule::ReactionReceived => "reaction_received",
            Rule::Essence => "essence",
            Rule::InviteAccepted => "invite_accepted",
            Rule::CheckIn => "check_in",
            Rule::EventAttended => "event_attended",
            Rule::AnswerAccepted => "answer_accepted",
        }
    }

    pub fn parse(s: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// How one rule pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetting {
    /// Points per occurrence (0 turns the rule off).
    pub points: i64,
    /// Most points this rule pays one member in a day (0: no cap).
    pub daily_cap: i64,
    /// Minutes before the rule pays the same member again (0: none).
    pub cooldown_minutes: i64,
}

/// A level: reached at `min_points`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// Optional ("" shows just the number).
    #[serde(default)]
    pub name: String,
    pub min_points: i64,
}

/// How a level reads next to a name: "Lv3" or "Lv3 骨干" (`index` 0-based).
pub fn level_label(index: usize, name: &str) -> String {
    if name.is_empty() {
        format!("Lv{}", index + 1)
    } else {
        format!("Lv{} {name}", index + 1)
    }
}

/// A community's points settings; absent rules read as their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsSettings {
    pub enabled: bool,
    pub rules: BTreeMap<Rule, RuleSetting>,
    /// Most points all rules together pay one member in a day (0: no cap).
    pub member_daily_cap: i64,
    /// Ascending; the first starts at 0.
    pub levels: Vec<Level>,
}

impl Default for PointsSettings {
    fn default() -> Self {
        let rule = |points, daily_cap, cooldown_minutes| RuleSetting { points, daily_cap, cooldown_minutes };
        let rules = BTreeMap::from([
            (Rule::Post, rule(5, 25, 0)),
            (Rule::Comment, rule(2, 20, 0)),
            (Rule::ReplyReceived, rule(1, 10, 0)),
            (Rule::ReactionReceived, rule(1, 20, 0)),
            (Rule::Essence, rule(20, 0, 0)),
            (Rule::InviteAccepted, rule(10, 50, 0)),
            (Rule::CheckIn, rule(2, 10, 0)),
            (Rule::EventAttended, rule(10, 30, 0)),
            (Rule::AnswerAccepted, rule(15, 60, 0)),
        ]);
        let levels =
            [0, 50, 200, 500, 1000, 3000].iter().map(|p| Level { name: String::new(), min_points: *p }).collect();
        PointsSettings { enabled: true, rules, member_daily_cap: 100, levels }
    }
}

pub const MAX_RULE_POINTS: i64 = 1000;
pub const MAX_LEVELS: usize = 20;
/// What one manual award or deduction may move.
pub const MAX_MANUAL: i64 = 1_000_000;

impl PointsSettings {
    /// Checks settings as an operator sent them: every field named on error.
    pub fn validate(self) -> Invalid<Self> {
        for (rule, s) in &self.rules {
            if !(0..=MAX_RULE_POINTS).contains(&s.points) {
                return Err(invalid(
                    "rules",
                    "out_of_range",
                    format!("{}: points must be 0–{MAX_RULE_POINTS}", rule.as_str()),
                ));
            }
            if s.daily_cap < 0 || s.cooldown_minutes < 0 || s.cooldown_minutes > 7 * 24 * 60 {
                return Err(invalid(
                    "rules",
                    "out_of_range",
                    format!("{}: caps are 0 or more, cooldowns at most a week", rule.as_str()),
                ));
            }
        }
        if self.member_daily_cap < 0 {
            return Err(invalid("member_daily_cap", "out_of_range", "the daily cap is 0 (none) or more"));
        }
        if self.levels.is_empty() || self.levels.len() > MAX_LEVELS {
            return Err(invalid("levels", "out_of_range", format!("1–{MAX_LEVELS} levels")));
        }
        if self.levels[0].min_points != 0 {
            return Err(invalid("levels", "invalid", "the first level starts at 0 points"));
        }
        let mut levels = Vec::with_capacity(self.levels.len());
        for l in self.levels {
            let name = l.name.trim().to_string();
            if name.chars().count() > 20 {
                return Err(invalid("levels", "invalid", "a level's name is at most 20 characters"));
            }
            if levels.last().is_some_and(|p: &Level| p.min_points >= l.min_points) {
                return Err(invalid("levels", "invalid", "each level needs more points than the one before"));
            }
            if !name.is_empty() && levels.iter().any(|p: &Level| p.name == name) {
                return Err(invalid("levels", "duplicate", format!("two levels are named {name}")));
            }
            levels.push(Level { name, min_points: l.min_points });
        }
        Ok(PointsSettings { levels, ..self })
    }

    pub fn rule(&self, r: Rule) -> RuleSetting {
        self.rules.get(&r).copied().unwrap_or_else(|| PointsSettings::default().rules[&r])
    }

    /// The level (0-based) a balance stands at.
    pub fn level(&self, balance: i64) -> usize {
        self.levels.iter().rposition(|l| balance >= l.min_points).unwrap_or(0)
    }
}

/// Who an award goes to, as the event says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    User(i64),
    /// The author of this post or comment (the app looks it up).
    AuthorOf(Subject),
}

/// An award an event may earn, before settings, caps and the ledger decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub to: Recipient,
    pub rule: Rule,
    /// The content that earned it (what a removal takes back).
    pub subject: Subject,
    /// Who gave it (a reactor, a replier, a newcomer); never the recipient.
    pub from: Option<i64>,
}

/// The awards an event may earn. Assistant posts, withheld content and
/// self-interaction earn nothing.
pub fn candidates(e: &Event) -> Vec<Candidate> {
    let actor = e.actor_id;
    let own = |to: Recipient, rule, subject| Candidate { to, rule, subject, from: None };
    match e.kind {
        Kind::PostCreated => match (e.payload::<PostCreated>(), actor) {
            (Some(p), Some(a)) if p.is_visible() && !p.automatic && !p.checkin => {
                vec![own(Recipient::User(a), Rule::Post, e.subject)]
            }
            _ => vec![],
        },
        Kind::CommentCreated => match (e.payload::<CommentCreated>(), actor) {
            (Some(c), Some(a)) if c.is_visible() && !c.automatic => {
                let mut out = vec![own(Recipient::User(a), Rule::Comment, e.subject)];
                if let Some(author) = c.post_author_id.filter(|p| *p != a) {
                    out.push(Candidate {
                        to: Recipient::User(author),
                        rule: Rule::ReplyReceived,
                        subject: e.subject,
                        from: Some(a),
                    });
                }
                out
            }
            _ => vec![],
        },
        // Held or hidden content earns when a moderator lets it through.
        Kind::ContentApproved => match e.payload::<QueueDecision>() {
            Some(d) if d.after == "visible" && d.before.as_deref() != Some("visible") => {
                let rule = match e.subject {
                    Subject::Post(_) => Rule::Post,
                    Subject::Comment(_) => Rule::Comment,
                    _ => return vec![],
                };
                d.author_id.map(|a| own(Recipient::User(a), rule, e.subject)).into_iter().collect()
            }
            _ => vec![],
        },
        Kind::ReactionAdded => match (e.payload::<ReactionAdded>(), actor) {
            (Some(r), Some(a)) if r.post_author_id != a => vec![Candidate {
                to: Recipient::User(r.post_author_id),
                rule: Rule::ReactionReceived,
                subject: e.subject,
                from: Some(a),
            }],
            _ => vec![],
        },
        Kind::CommentReactionAdded => match (e.payload::<CommentReaction>(), actor) {
            (Some(r), Some(a)) if r.comment_author_id != a => vec![Candidate {
                to: Recipient::User(r.comment_author_id),
                rule: Rule::ReactionReceived,
                subject: e.subject,
                from: Some(a),
            }],
            _ => vec![],
        },
        Kind::EssenceSet => vec![own(Recipient::AuthorOf(e.subject), Rule::Essence, e.subject)],
        // Earned with the proof post when there is one, so removing the
        // proof takes the points back (the day itself stays done).
        Kind::CheckinMade => match (e.payload::<CheckinMade>(), actor) {
            (Some(c), Some(a)) => {
                let subject = c.post_id.map(Subject::Post).unwrap_or(e.subject);
                vec![own(Recipient::User(a), Rule::CheckIn, subject)]
            }
            _ => vec![],
        },
        // The person checked in earns, whoever scanned the ticket.
        Kind::CheckedIn => match e.payload::<RegistrationMoved>() {
            Some(r) => vec![own(Recipient::User(r.user_id), Rule::EventAttended, e.subject)],
            None => vec![],
        },
        // The answer's author earns, whoever accepted it; the assistant's answers earn no one.
        Kind::AnswerAccepted => match e.payload::<AnswerDecision>() {
            Some(a) if !a.automatic => vec![own(Recipient::User(a.answerer_id), Rule::AnswerAccepted, e.subject)],
            _ => vec![],
        },
        Kind::MemberJoined => match (e.payload::<MemberJoined>().and_then(|j| j.invited_by), actor) {
            (Some(inviter), Some(a)) if inviter != a => vec![Candidate {
                to: Recipient::User(inviter),
                rule: Rule::InviteAccepted,
                subject: Subject::User(a),
                from: Some(a),
            }],
            _ => vec![],
        },
        _ => vec![],
    }
}

/// What an event takes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undo {
    /// Every award this content earned (deleted, rejected, hidden by reports).
    Earned(Subject),
    /// The award `from` gave through `rule` on this content (a reaction taken back, essence unset).
    Given { rule: Rule, subject: Subject, from: Option<i64> },
}

pub fn undo(e: &Event) -> Option<Undo> {
    match e.kind {
        Kind::PostDeleted | Kind::CommentDeleted | Kind::ContentRejected => Some(Undo::Earned(e.subject)),
        Kind::ReportFiled if e.payload::<ReportFiled>().is_some_and(|r| r.auto_hidden) => Some(Undo::Earned(e.subject)),
        Kind::ReactionRemoved | Kind::CommentReactionRemoved => {
            Some(Undo::Given { rule: Rule::ReactionReceived, subject: e.subject, from: e.actor_id })
        }
        Kind::EssenceUnset => Some(Undo::Given { rule: Rule::Essence, subject: e.subject, from: None }),
        Kind::AnswerUnaccepted => Some(Undo::Given { rule: Rule::AnswerAccepted, subject: e.subject, from: None }),
        _ => None,
    }
}

/// What a rule pays now: its points, cut to what is left of the rule's and
/// the member's daily caps, nothing within the cooldown.
pub fn grant(
    s: RuleSetting,
    member_daily_cap: i64,
    rule_today: i64,
    member_today: i64,
    since_last_ms: Option<i64>,
) -> i64 {
    if s.points <= 0 {
        return 0;
    }
    if s.cooldown_minutes > 0 && since_last_ms.is_some_and(|d| d < s.cooldown_minutes * 60_000) {
        return 0;
    }
    let left = |cap: i64, used: i64| if cap > 0 { (cap - used).max(0) } else { i64::MAX };
    s.points.min(left(s.daily_cap, rule_today)).min(left(member_daily_cap, member_today))
}

/// Where an instant falls in the community's calendar: the local day (days
/// since 1970-01-01 local), and the week (ISO) and month leaderboard keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periods {
    pub day: i64,
    pub week: String,
    pub month: String,
}

pub fn periods(at_ms: i64, tz: Tz) -> Periods {
    let local = tz.timestamp_millis_opt(at_ms).single().unwrap_or_else(|| tz.timestamp_millis_opt(0).unwrap());
    let date = local.date_naive();
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let w = date.iso_week();
    Periods {
        day: (date - epoch).num_days(),
        week: format!("w{}-{:02}", w.year(), w.week()),
        month: format!("m{}-{:02}", date.year(), date.month()),
    }
}

/// When the local week (from Monday) and month of `at_ms` began, UTC ms.
pub fn period_starts(at_ms: i64, tz: Tz) -> (i64, i64) {
    let local = tz.timestamp_millis_opt(at_ms).single().unwrap_or_else(|| tz.timestamp_millis_opt(0).unwrap());
    let date = local.date_naive();
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let monday = date - chrono::Duration::days(i64::from(date.weekday().num_days_from_monday()));
    let first = date.with_day(1).expect("the 1st exists");
    (day_start_ms((monday - epoch).num_days(), tz), day_start_ms((first - epoch).num_days(), tz))
}

/// The period key of the month before the local month of `at_ms` ("m2026-11").
pub fn month_before(at_ms: i64, tz: Tz) -> String {
    let local = tz.timestamp_millis_opt(at_ms).single().unwrap_or_else(|| tz.timestamp_millis_opt(0).unwrap());
    let first = local.date_naive().with_day(1).expect("the 1st exists");
    let last = first.pred_opt().expect("a day before");
    format!("m{}-{:02}", last.year(), last.month())
}

/// A month as people write it ("2026-11") as its period key ("m2026-11").
pub fn month_key(raw: &str) -> Invalid<String> {
    let ok = chrono::NaiveDate::parse_from_str(&format!("{}-01", raw.trim()), "%Y-%m-%d").ok();
    ok.map(|d| format!("m{}-{:02}", d.year(), d.month()))
        .ok_or_else(|| invalid("month", "invalid_format", "a month is written YYYY-MM"))
}

/// The start (UTC ms) of the local day `day` (as in [`Periods::day`]).
pub fn day_start_ms(day: i64, tz: Tz) -> i64 {
    let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(day);
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight");
    tz.from_local_datetime(&midnight).earliest().map_or(day * DAY_MS, |t| t.timestamp_millis())
}

#[cfg(test)]
mod month_tests {
    use super::*;

    #[test]
    fn the_month_before_follows_the_local_calendar() {
        let sh: Tz = "Asia/Shanghai".parse().unwrap();
        // 2026-12-01 00:30 in Shanghai is still November in UTC.
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-30T16:30:00Z").unwrap().timestamp_millis();
        assert_eq!(month_before(at, sh), "m2026-11");
        assert_eq!(month_before(at, chrono_tz::UTC), "m2026-10");
        let jan = chrono::DateTime::parse_from_rfc3339("2027-01-15T00:00:00Z").unwrap().timestamp_millis();
        assert_eq!(month_before(jan, sh), "m2026-12");
        assert_eq!(month_key(" 2026-11 ").unwrap(), "m2026-11");
        // Monday 2026-11-30 and the 1st of December, midnight in Shanghai.
        let (week, month) = period_starts(at, sh);
        let ms = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis();
        assert_eq!((week, month), (ms("2026-11-29T16:00:00Z"), ms("2026-11-30T16:00:00Z")));
        assert_eq!(month_key("2026-13").unwrap_err().field, "month");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::{PostCreated, ReactionAdded};

    fn ev<P: crate::activity::Payload>(actor: i64, subject: Subject, p: &P) -> Event {
        Event::of(Some(1), actor, subject, p)
    }

    #[test]
    fn visible_member_content_earns_and_self_interaction_does_not() {
        let post = ev(7, Subject::Post(3), &PostCreated { moderation: "visible".into(), ..Default::default() });
        assert_eq!(
            candidates(&post),
            vec![Candidate { to: Recipient::User(7), rule: Rule::Post, subject: Subject::Post(3), from: None }]
        );
        let held = ev(7, Subject::Post(3), &PostCreated { moderation: "held".into(), ..Default::default() });
        assert!(candidates(&held).is_empty(), "withheld content earns when approved");
        let bot = ev(
            7,
            Subject::Post(3),
            &PostCreated { moderation: "visible".into(), automatic: true, ..Default::default() },
        );
        assert!(candidates(&bot).is_empty());
        let own_like = ev(7, Subject::Post(3), &ReactionAdded { emoji: "👍".into(), post_author_id: 7 });
        assert!(candidates(&own_like).is_empty(), "no points for self-reactions");
        let like = ev(8, Subject::Post(3), &ReactionAdded { emoji: "👍".into(), post_author_id: 7 });
        assert_eq!(candidates(&like)[0].to, Recipient::User(7));
        assert_eq!(candidates(&like)[0].from, Some(8));
        let comment =
            ev(8, Subject::Comment(9), &CommentCreated { post_id: 3, post_author_id: Some(7), ..Default::default() });
        let c = candidates(&comment);
        assert_eq!((c[0].rule, c[1].rule, c[1].to), (Rule::Comment, Rule::ReplyReceived, Recipient::User(7)));
        let own_reply =
            ev(7, Subject::Comment(9), &CommentCreated { post_id: 3, post_author_id: Some(7), ..Default::default() });
        assert_eq!(candidates(&own_reply).len(), 1, "replying on your own post earns the comment only");
    }

    #[test]
    fn removals_take_back() {
        let del = Event::new(Kind::PostDeleted, Some(1), 7, Subject::Post(3));
        assert_eq!(undo(&del), Some(Undo::Earned(Subject::Post(3))));
        let unlike =
            ev(8, Subject::Post(3), &crate::activity::ReactionRemoved { emoji: "👍".into(), post_author_id: 7 });
        assert_eq!(
            undo(&unlike),
            Some(Undo::Given { rule: Rule::ReactionReceived, subject: Subject::Post(3), from: Some(8) })
        );
        let report = ev(8, Subject::Post(3), &ReportFiled { reason: "ad".into(), reporters: 1, auto_hidden: false });
        assert_eq!(undo(&report), None, "a report that hides nothing takes nothing back");
    }

    #[test]
    fn caps_cut_and_cooldowns_skip() {
        let s = RuleSetting { points: 5, daily_cap: 12, cooldown_minutes: 10 };
        assert_eq!(grant(s, 0, 0, 0, None), 5);
        assert_eq!(grant(s, 0, 10, 0, None), 2, "cut to what is left of the rule's cap");
        assert_eq!(grant(s, 0, 12, 0, None), 0);
        assert_eq!(grant(s, 100, 0, 98, None), 2, "the member's cap over all rules");
        assert_eq!(grant(s, 0, 0, 0, Some(9 * 60_000)), 0, "within the cooldown");
        assert_eq!(grant(s, 0, 0, 0, Some(10 * 60_000)), 5);
        assert_eq!(grant(RuleSetting { points: 0, ..s }, 0, 0, 0, None), 0);
    }

    #[test]
    fn levels_validate_and_place() {
        let s = PointsSettings::default();
        assert_eq!((s.level(0), s.level(49), s.level(50), s.level(10_000)), (0, 0, 1, 5));
        let bad = |levels: Vec<(&str, i64)>| {
            PointsSettings {
                levels: levels.into_iter().map(|(n, p)| Level { name: n.into(), min_points: p }).collect(),
                ..PointsSettings::default()
            }
            .validate()
            .unwrap_err()
            .field
        };
        assert_eq!(bad(vec![("书童", 10)]), "levels", "the first level starts at 0");
        assert_eq!(bad(vec![("书童", 0), ("秀才", 0)]), "levels", "thresholds rise");
        assert_eq!(bad(vec![("书童", 0), ("书童", 5)]), "levels", "names differ");
        assert_eq!(bad(vec![]), "levels");
        let ok = PointsSettings {
            levels: vec![
                Level { name: " 书童 ".into(), min_points: 0 },
                Level { name: "秀才".into(), min_points: 100 },
            ],
            ..PointsSettings::default()
        };
        assert_eq!(ok.validate().unwrap().levels[0].name, "书童");
    }

    #[test]
    fn periods_follow_the_community_calendar() {
        // 2026-12-31 16:30 UTC is 2027-01-01 00:30 in Shanghai: a new day, month and ISO week 53 of 2026.
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 31, 16, 30, 0).unwrap().timestamp_millis();
        let sh = periods(at, chrono_tz::Asia::Shanghai);
        let utc = periods(at, chrono_tz::UTC);
        assert_eq!((sh.month.as_str(), utc.month.as_str()), ("m2027-01", "m2026-12"));
        assert_eq!(sh.day, utc.day + 1);
        assert_eq!(sh.week, "w2026-53");
        assert!(day_start_ms(sh.day, chrono_tz::Asia::Shanghai) <= at);
        assert!(at - day_start_ms(sh.day, chrono_tz::Asia::Shanghai) < DAY_MS);
    }
}
