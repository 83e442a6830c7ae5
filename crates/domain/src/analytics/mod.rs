//! Community analytics from the activity log: which members were active on
//! which local day, kept as one compressed bitmap of member ids per day, plus
//! each member's first active day (their cohort). Every figure is exact and
//! computed from these by bitmap unions and intersections; nothing samples.
//! Pure: the app feeds events in (already turned into local days) and asks.

mod content;
pub mod import;
mod members;

use std::collections::{BTreeMap, HashMap};

pub use content::{page_rank, Contributor, HeatCell, KolRanking, Response, TopicStat, KOL_KEPT, KOL_REUSE_GROWTH};
pub use members::{FunnelStep, Inviter, Referral, SilentMember, Tier, TierPoint, WalkCheckpoint};
use rustc_hash::FxHashMap;

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use roaring::RoaringBitmap;
use serde::Serialize;

/// A local calendar day as days since 1970-01-01.
pub type Day = i32;

/// The local day of a UTC instant in `tz`.
pub fn local_day(ms: i64, tz: Tz) -> Day {
    let d = tz.timestamp_millis_opt(ms).earliest().map(|t| t.date_naive()).unwrap_or_default();
    day_of(d)
}

pub fn day_of(d: NaiveDate) -> Day {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as Day
}

pub fn date_of(day: Day) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(i64::from(day))
}

/// When an event happened: the instant, and its local day and hour of the
/// week (0 = Monday 00:00–00:59 … 167 = Sunday 23:00) in the community's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At {
    pub ms: i64,
    pub day: Day,
    pub hour_of_week: u8,
}

impl At {
    pub fn local(ms: i64, tz: Tz) -> At {
        use chrono::{Datelike, Timelike};
        let t = tz.timestamp_millis_opt(ms).earliest();
        let (day, how) =
            t.map_or((0, 0), |t| (day_of(t.date_naive()), t.weekday().num_days_from_monday() * 24 + t.hour()));
        At { ms, day, hour_of_week: how as u8 }
    }
}

/// The ISO week (Monday start) a day falls in, as the day number of its Monday.
pub fn week_start(day: Day) -> Day {
    // 1970-01-01 was a Thursday: its Monday is day -3.
    (day + 3).div_euclid(7) * 7 - 3
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Point {
    pub date: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cohort {
    /// First day (daily cohorts) or Monday (weekly cohorts), `YYYY-MM-DD`.
    pub cohort_start: String,
    pub size: u64,
    /// `retained[k]`: cohort members active in period cohort + k.
    pub retained: Vec<u64>,
}

/// What an event contributes beyond activity (decoded from the log by [`decode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contribution {
    /// A post (`id` 0: unknown, e.g. imported); `question` when its text asks something.
    Post {
        id: i64,
        topic: Option<i64>,
        question: bool,
    },
    Comment {
        post: i64,
    },
    Reaction {
        post: i64,
    },
    /// The member joined (`invited_by` an inviter); `rules`: accepted the rules with it.
    Joined {
        invited_by: Option<u32>,
        rules: bool,
    },
    RulesAccepted,
    InviteSent,
    Other,
}

/// One activity event as the engine reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    /// What the actor contributed.
    pub what: Contribution,
    /// A member let in by someone else (an approved applicant, who accepted the
    /// rules when applying): they join without acting.
    pub admitted: Option<u32>,
}

fn member_id(id: Option<i64>) -> Option<u32> {
    id.and_then(|i| u32::try_from(i).ok())
}

/// Reads an activity event (`kind`, `subject_id`, JSON `payload`) for the engine,
/// through the payload types the writers use. Events written before a payload
/// field existed read as its absence.
pub fn decode(kind: &str, subject_id: i64, payload: &str) -> Decoded {
    use crate::activity::{CommentCreated, JoinApproved, MemberJoined, Payload, PostCreated};
    let what = match kind {
        "post_created" => {
            let p = PostCreated::decode(payload);
            Contribution::Post { id: subject_id, topic: p.topic_id, question: p.question }
        }
        // No post reference (imports): 0, an unknown post.
        "comment_created" => Contribution::Comment { post: CommentCreated::decode(payload).post_id },
        "reaction_added" => Contribution::Reaction { post: subject_id },
        // A join through the product always accepts the current rules (none: nothing to accept).
        "member_joined" => {
            Contribution::Joined { invited_by: member_id(MemberJoined::decode(payload).invited_by), rules: true }
        }
        "rules_accepted" => Contribution::RulesAccepted,
        "invite_created" => Contribution::InviteSent,
        "join_approved" => {
            let admitted = member_id(Some(JoinApproved::decode(payload).user_id).filter(|id| *id != 0));
            return Decoded { what: Contribution::Other, admitted };
        }
        _ => Contribution::Other,
    };
    Decoded { what, admitted: None }
}

/// Posts, comments and reactions of a day, and who posted.
#[derive(Debug, Default, Clone)]
struct DayContent {
    posters: RoaringBitmap,
    posts: u64,
    comments: u64,
    reactions: u64,
    /// Comments and reactions that day on posts of each topic (by topic slot).
    topic_interactions: Vec<u32>,
}

/// A post as analytics sees it.
#[derive(Debug, Clone)]
struct PostStat {
    author: u32,
    /// Index into `topics`.
    topic: u16,
    question: bool,
    created_ms: i64,
    hour_of_week: u8,
    /// The first comment by someone other than the author.
    first_reply_ms: Option<i64>,
    /// Comments and reactions it received, ever.
    interactions: u32,
}

/// A comment or reaction on a known post (from its author to the post's), kept per day for period figures.
#[derive(Debug, Clone, Copy)]
struct Edge {
    from: u32,
    /// The post's author (kept here: looking it up in `posts` per edge is a cache miss).
    to: u32,
    reaction: bool,
}

/// A day's comments and reactions on known posts: every link in arrival
/// order (the KOL graph), and per-member sums of the first `summed` of them
/// and of the day's first `posts_summed` posts, sorted by member, so the
/// contributor counts of a range read a few sorted runs instead of touching
/// per-member counters at random per link and post.
#[derive(Debug, Default, Clone)]
struct DayLinks {
    edges: Vec<Edge>,
    summed: usize,
    posts_summed: usize,
    /// (member, posts written).
    posted: Vec<(u32, u32)>,
    /// (member, comments written).
    written: Vec<(u32, u32)>,
    /// (member, replies received, reactions received), from others.
    received: Vec<(u32, u32, u32)>,
}

/// (member, count) runs of a list of member ids.
fn runs(mut ids: Vec<u32>) -> Vec<(u32, u32)> {
    ids.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for m in ids {
        match out.last_mut() {
            Some((last, n)) if *last == m => *n += 1,
            _ => out.push((m, 1)),
        }
    }
    out
}

impl DayLinks {
    /// Sums the day's links and its posts (by their authors).
    fn sum(&mut self, authors: impl ExactSizeIterator<Item = u32>) {
        self.posts_summed = authors.len();
        self.posted = runs(authors.collect());
        self.written = runs(self.edges.iter().filter(|e| !e.reaction).map(|e| e.from).collect());
        let mut r: Vec<(u32, bool)> =
            self.edges.iter().filter(|e| e.from != e.to).map(|e| (e.to, e.reaction)).collect();
        r.sort_unstable();
        self.received.clear();
        for (m, reaction) in r {
            if self.received.last().is_none_or(|x| x.0 != m) {
                self.received.push((m, 0, 0));
            }
            if let Some(x) = self.received.last_mut() {
                if reaction {
                    x.2 += 1;
                } else {
                    x.1 += 1;
                }
            }
        }
        self.summed = self.edges.len();
    }
}

/// A set of member ids, one bit each: for sets filled in no id order, where a
/// roaring bitmap pays a move of its container's tail per insert.
#[derive(Debug, Default)]
struct Bitset {
    words: Vec<u64>,
    len: u64,
}

impl Bitset {
    fn with_bound(bound: usize) -> Bitset {
        Bitset { words: vec![0; bound.div_ceil(64)], len: 0 }
    }

    /// Adds `m`; true if it was not there.
    fn insert(&mut self, m: u32) -> bool {
        let (w, bit) = (m as usize / 64, 1u64 << (m % 64));
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        let new = self.words[w] & bit == 0;
        self.words[w] |= bit;
        self.len += u64::from(new);
        new
    }
}

/// A member's first join.
#[derive(Debug, Clone, Copy)]
struct Join {
    day: Day,
    invited_by: Option<u32>,
}

/// Active members per local day and first-activity cohorts, plus what the
/// content, funnel and referral figures need.
#[derive(Debug, Default, Clone)]
pub struct ActivityLog {
    days: BTreeMap<Day, RoaringBitmap>,
    content: BTreeMap<Day, DayContent>,
    /// Each member's first active day (their cohort) and latest one (which
    /// tells, in time order, whether a day starts a new week for them).
    first: FxHashMap<u32, (Day, Day)>,
    cohorts: BTreeMap<Day, RoaringBitmap>,
    /// One past the largest member id seen (the size of per-member arrays).
    id_bound: usize,
    posts: Vec<PostStat>,
    post_index: FxHashMap<i64, u32>,
    posts_by_day: BTreeMap<Day, Vec<u32>>,
    links: BTreeMap<Day, DayLinks>,
    /// Days with posts or links not yet in their day's sums, and the latest day
    /// with either: a day is summed when a later one begins (late arrivals wait
    /// for the next time that happens, and are read one by one until then).
    unsummed: std::collections::BTreeSet<Day>,
    latest_link_day: Option<Day>,
    /// The topics posts were filed under (`None`: no topic); a post keeps its slot.
    topics: Vec<Option<i64>>,
    topic_slots: FxHashMap<Option<i64>, u16>,
    joins: FxHashMap<u32, Join>,
    joined_by_day: BTreeMap<Day, RoaringBitmap>,
    /// Members whose first join came with the rules accepted, or through an invite.
    rules_at_join: RoaringBitmap,
    invited: RoaringBitmap,
    /// Inviter → members whose first join was through their invite (the referral tree).
    children: FxHashMap<u32, Vec<u32>>,
    /// Members who accepted the rules by themselves (after a change).
    rules_accepted: RoaringBitmap,
    first_post: FxHashMap<u32, Day>,
    first_posters: BTreeMap<Day, RoaringBitmap>,
    /// Who sent each invite, per day.
    invites: BTreeMap<Day, Vec<u32>>,
    /// The retention matrices, kept as events arrive: `daily_cells[c][k]`
    /// counts members of the day-`c` cohort active on day `c + k`,
    /// `weekly_cells[w][k]` members of the week-`w` cohort active in week
    /// `w + 7k`. A new (member, day) pair adds to at most one cell of each;
    /// a member whose first day moves earlier (events out of order) is
    /// re-counted from the day bitmaps.
    daily_cells: BTreeMap<Day, [u32; DAILY_OFFSETS]>,
    weekly_cells: BTreeMap<Day, [u32; WEEKLY_OFFSETS]>,
}

impl ActivityLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Member `member` was active on `day`. Order does not matter.
    pub fn record(&mut self, member: u32, day: Day) {
        if !self.days.entry(day).or_default().insert(member) {
            return;
        }
        self.id_bound = self.id_bound.max(member as usize + 1);
        match self.first.get(&member).copied() {
            Some((f, last)) if f <= day => {
                self.count_cells(member, f, day, last);
                self.first.insert(member, (f, last.max(day)));
            }
            Some((f, last)) => {
                if let Some(b) = self.cohorts.get_mut(&f) {
                    b.remove(member);
                }
                self.first.insert(member, (day, last));
                self.cohorts.entry(day).or_default().insert(member);
                // Every later day of theirs now sits at another offset.
                self.recount_cells(member, f, -1);
                self.recount_cells(member, day, 1);
            }
            None => {
                self.first.insert(member, (day, day));
                self.cohorts.entry(day).or_default().insert(member);
                self.count_cells(member, day, day, Day::MIN);
            }
        }
    }

    /// Whether `member` is in the bitmap of `day`.
    fn was_active(&self, member: u32, day: Day) -> bool {
        self.days.get(&day).is_some_and(|b| b.contains(member))
    }

    /// The retention cells a new active `day` of a member of cohort `first`,
    /// last active on `last` before it, adds to.
    fn count_cells(&mut self, member: u32, first: Day, day: Day, last: Day) {
        let k = (day - first) as usize;
        if k < DAILY_OFFSETS {
            self.daily_cells.entry(first).or_insert([0; DAILY_OFFSETS])[k] += 1;
        }
        let (cohort_week, week) = (week_start(first), week_start(day));
        let k = ((week - cohort_week) / 7) as usize;
        if k >= WEEKLY_OFFSETS {
            return;
        }
        // Already counted in this week? In time order the latest day says so;
        // out of order, the week's other days are looked up.
        let counted = if last < week {
            false
        } else if last < day {
            true
        } else {
            (week..week + 7).any(|d| d != day && self.was_active(member, d))
        };
        if !counted {
            self.weekly_cells.entry(cohort_week).or_insert([0; WEEKLY_OFFSETS])[k] += 1;
        }
    }

    /// Adds (`sign` 1) or takes away (−1) all of a member's cells as a member of cohort `first`, from the day bitmaps.
    fn recount_cells(&mut self, member: u32, first: Day, sign: i32) {
        let apply = |cell: &mut u32| *cell = cell.wrapping_add_signed(sign);
        for k in 0..DAILY_OFFSETS {
            if self.was_active(member, first + k as Day) {
                apply(&mut self.daily_cells.entry(first).or_insert([0; DAILY_OFFSETS])[k]);
            }
        }
        let cohort_week = week_start(first);
        for k in 0..WEEKLY_OFFSETS {
            let w = cohort_week + 7 * k as Day;
            if (w..w + 7).any(|d| self.was_active(member, d)) {
                apply(&mut self.weekly_cells.entry(cohort_week).or_insert([0; WEEKLY_OFFSETS])[k]);
            }
        }
    }

    /// [`ActivityLog::record`] for an event with what it contributes. Unlike
    /// activity, contributions count every event: feed each event once.
    pub fn record_event(&mut self, member: u32, at: At, what: Contribution) {
        let day = at.day;
        self.record(member, day);
        match what {
            Contribution::Other => {}
            Contribution::Post { id, topic, question } => {
                let c = self.content.entry(day).or_default();
                c.posters.insert(member);
                c.posts += 1;
                match self.first_post.get(&member).copied() {
                    Some(f) if f <= day => {}
                    previous => {
                        if let Some(b) = previous.and_then(|f| self.first_posters.get_mut(&f)) {
                            b.remove(member);
                        }
                        self.first_post.insert(member, day);
                        self.first_posters.entry(day).or_default().insert(member);
                    }
                }
                // Imported posts have no id (0): they count for the day only.
                if id <= 0 {
                    return;
                }
                if let std::collections::hash_map::Entry::Vacant(e) = self.post_index.entry(id) {
                    e.insert(self.posts.len() as u32);
                    let slot = match self.topic_slots.get(&topic) {
                        Some(s) => *s,
                        None => {
                            // Past 65,535 topics, the rest share the last slot (none exist: topics are per community).
                            let s = self.topics.len().min(u16::MAX as usize) as u16;
                            if (s as usize) == self.topics.len() {
                                self.topics.push(topic);
                            }
                            self.topic_slots.insert(topic, s);
                            s
                        }
                    };
                    self.roll_over(day);
                    self.unsummed.insert(day);
                    self.links.entry(day).or_default();
                    self.posts_by_day.entry(day).or_default().push(self.posts.len() as u32);
                    self.posts.push(PostStat {
                        author: member,
                        topic: slot,
                        question,
                        created_ms: at.ms,
                        hour_of_week: at.hour_of_week,
                        first_reply_ms: None,
                        interactions: 0,
                    });
                }
            }
            Contribution::Comment { post } | Contribution::Reaction { post } => {
                let reaction = matches!(what, Contribution::Reaction { .. });
                let c = self.content.entry(day).or_default();
                if reaction {
                    c.reactions += 1;
                } else {
                    c.comments += 1;
                }
                // Interactions on posts the log never saw created (imports) count for the day only.
                if let Some(&idx) = self.post_index.get(&post) {
                    let p = &mut self.posts[idx as usize];
                    p.interactions += 1;
                    let slot = p.topic as usize;
                    if c.topic_interactions.len() <= slot {
                        c.topic_interactions.resize(slot + 1, 0);
                    }
                    c.topic_interactions[slot] += 1;
                    if !reaction && p.author != member && p.first_reply_ms.is_none_or(|f| at.ms < f) {
                        p.first_reply_ms = Some(at.ms);
                    }
                    let to = p.author;
                    self.roll_over(day);
                    let l = self.links.entry(day).or_default();
                    if l.summed == l.edges.len() {
                        self.unsummed.insert(day);
                    }
                    l.edges.push(Edge { from: member, to, reaction });
                }
            }
            Contribution::Joined { invited_by, rules } => self.record_join(member, day, invited_by, rules),
            Contribution::RulesAccepted => {
                self.rules_accepted.insert(member);
            }
            Contribution::InviteSent => self.invites.entry(day).or_default().push(member),
        }
    }

    /// A post or link on `day`: when it is the first of a later day than any
    /// before, the days with posts or links not yet in their sums are summed.
    fn roll_over(&mut self, day: Day) {
        if self.latest_link_day.is_some_and(|l| l >= day) {
            return;
        }
        for d in std::mem::take(&mut self.unsummed) {
            if let Some(l) = self.links.get_mut(&d) {
                let posts = self.posts_by_day.get(&d).map_or(&[][..], Vec::as_slice);
                l.sum(posts.iter().map(|i| self.posts[*i as usize].author));
            }
        }
        self.latest_link_day = Some(day);
    }

    /// A member joined on `day` (their first join counts; a rejoin changes nothing).
    pub fn record_join(&mut self, member: u32, day: Day, invited_by: Option<u32>, rules: bool) {
        self.id_bound = self.id_bound.max(member as usize + 1);
        let previous = self.joins.get(&member).copied();
        if previous.is_some_and(|j| j.day <= day) {
            return;
        }
        if let Some(j) = previous {
            if let Some(b) = self.joined_by_day.get_mut(&j.day) {
                b.remove(member);
            }
            if let Some(kids) = j.invited_by.and_then(|by| self.children.get_mut(&by)) {
                kids.retain(|k| *k != member);
            }
        }
        let invited_by = invited_by.filter(|i| *i != member);
        self.joins.insert(member, Join { day, invited_by });
        self.joined_by_day.entry(day).or_default().insert(member);
        if rules {
            self.rules_at_join.insert(member);
        } else {
            self.rules_at_join.remove(member);
        }
        match invited_by {
            Some(by) => {
                self.invited.insert(member);
                self.children.entry(by).or_default().push(member);
            }
            None => {
                self.invited.remove(member);
            }
        }
    }

    /// Per day: members who posted ÷ active members (0 without activity).
    pub fn posting_rate(&self, from: Day, to: Day) -> Vec<(String, f64)> {
        (from..=to)
            .map(|d| {
                let active = self.days.get(&d).map_or(0, |b| b.len());
                let posters = self.content.get(&d).map_or(0, |c| c.posters.len());
                (date_of(d).to_string(), if active == 0 { 0.0 } else { posters as f64 / active as f64 })
            })
            .collect()
    }

    /// Per day: (comments + reactions) ÷ posts (0 without posts).
    pub fn interaction_rate(&self, from: Day, to: Day) -> Vec<(String, f64)> {
        (from..=to)
            .map(|d| {
                let c = self.content.get(&d);
                let posts = c.map_or(0, |c| c.posts);
                let inter = c.map_or(0, |c| c.comments + c.reactions);
                (date_of(d).to_string(), if posts == 0 { 0.0 } else { inter as f64 / posts as f64 })
            })
            .collect()
    }

    pub fn members(&self) -> usize {
        self.first.len()
    }

    /// The first and last day with any activity.
    pub fn span(&self) -> Option<(Day, Day)> {
        Some((*self.days.keys().next()?, *self.days.keys().next_back()?))
    }

    pub fn active_on(&self, day: Day) -> Option<&RoaringBitmap> {
        self.days.get(&day)
    }

    /// Members active in any of the days `[from, to]`.
    pub fn active_between(&self, from: Day, to: Day) -> RoaringBitmap {
        let mut acc = RoaringBitmap::new();
        if to < from {
            return acc;
        }
        for (_, b) in self.days.range(from..=to) {
            acc |= b;
        }
        acc
    }

    /// Distinct members active in the trailing `window` days ending on each day of `[from, to]`.
    pub fn trailing(&self, from: Day, to: Day, window: i32) -> Vec<Point> {
        self.trailing_many(from, to, &[window]).pop().unwrap_or_default()
    }

    /// [`ActivityLog::trailing`] for several windows in one pass: walking the
    /// days in order, each member's last active day is kept, with a histogram
    /// of members by last active day; the distinct count of a window ending on
    /// *d* is the histogram's sum over its days. Each day costs its own size,
    /// whatever the number and length of the windows.
    pub fn trailing_many(&self, from: Day, to: Day, windows: &[i32]) -> Vec<Vec<Point>> {
        if to < from || windows.is_empty() {
            return windows.iter().map(|_| vec![]).collect();
        }
        let longest = windows.iter().copied().max().unwrap_or(1).max(1);
        let start = from - longest + 1;
        let mut last = vec![Day::MIN; self.id_bound];
        // hist[i]: members whose last active day is start + i.
        let mut hist = vec![0u64; (to - start + 1) as usize];
        let mut out: Vec<Vec<Point>> = windows.iter().map(|_| Vec::with_capacity((to - from + 1) as usize)).collect();
        for d in start..=to {
            if let Some(b) = self.days.get(&d) {
                for m in b {
                    let l = &mut last[m as usize];
                    if *l >= start {
                        hist[(*l - start) as usize] -= 1;
                    }
                    *l = d;
                }
                hist[(d - start) as usize] += b.len();
            }
            if d >= from {
                for (w, series) in windows.iter().zip(out.iter_mut()) {
                    let lo = (d - w.max(&1) + 1 - start) as usize;
                    let count = hist[lo..=(d - start) as usize].iter().sum();
                    series.push(Point { date: date_of(d).to_string(), count });
                }
            }
        }
        out
    }

    /// A day's distinct active members is its bitmap's size: no walk needed.
    pub fn dau(&self, from: Day, to: Day) -> Vec<Point> {
        (from..=to)
            .map(|d| Point { date: date_of(d).to_string(), count: self.days.get(&d).map_or(0, |b| b.len()) })
            .collect()
    }
    pub fn wau(&self, from: Day, to: Day) -> Vec<Point> {
        self.trailing(from, to, 7)
    }
    pub fn mau(&self, from: Day, to: Day) -> Vec<Point> {
        self.trailing(from, to, 30)
    }

    /// Daily cohorts starting in `[from, to]`, each with up to `offsets`
    /// retention values, none past `last` (the end of the data or range).
    /// Each day's active members are intersected with all the cohorts' members
    /// at once (word-wise), and only those are looked up in a per-member cohort
    /// slot: a day costs its container words plus its retained members.
    ///
    /// Up to [`DAILY_OFFSETS`] offsets the matrix is read from the cells kept
    /// as events arrive; longer rows are computed from the bitmaps.
    pub fn retention_daily(&self, from: Day, to: Day, offsets: usize, last: Day) -> Vec<Cohort> {
        if offsets > DAILY_OFFSETS {
            return self.retention_daily_on(from, to, offsets, last, None);
        }
        self.cohorts
            .range(from..=to.max(from))
            .filter(|(d, m)| **d <= to && !m.is_empty())
            .map(|(&start, members)| {
                let cells = self.daily_cells.get(&start).copied().unwrap_or_default();
                let n = ((last - start + 1).max(0) as usize).min(offsets);
                Cohort {
                    cohort_start: date_of(start).to_string(),
                    size: members.len(),
                    retained: cells[..n].iter().map(|c| u64::from(*c)).collect(),
                }
            })
            .collect()
    }

    /// [`ActivityLog::retention_daily`] computed from the day bitmaps rather than read from the cells.
    pub fn retention_daily_scan(&self, from: Day, to: Day, offsets: usize, last: Day) -> Vec<Cohort> {
        self.retention_daily_on(from, to, offsets, last, None)
    }

    /// [`ActivityLog::retention_daily`] from the day bitmaps, on a given number of threads (default: by size).
    pub(crate) fn retention_daily_on(
        &self,
        from: Day,
        to: Day,
        offsets: usize,
        last: Day,
        threads: Option<usize>,
    ) -> Vec<Cohort> {
        let cohorts: Vec<(Day, &RoaringBitmap)> = self
            .cohorts
            .range(from..)
            .take_while(|(d, _)| **d <= to)
            .filter(|(_, m)| !m.is_empty())
            .map(|(d, m)| (*d, m))
            .collect();
        let Some(&(lo, _)) = cohorts.first() else { return vec![] };
        // One byte per member id (cache-friendly): slot i for cohort i, 255 for none.
        // Longer ranges of cohorts than 254 days are asked for in chunks.
        if cohorts.len() > 254 {
            let cut = cohorts[254].0;
            let mut head = self.retention_daily_on(from, cut - 1, offsets, last, threads);
            head.extend(self.retention_daily_on(cut, to, offsets, last, threads));
            return head;
        }
        let mut slot = vec![u8::MAX; self.id_bound];
        let mut everyone = 0;
        for (i, (_, members)) in cohorts.iter().enumerate() {
            for m in *members {
                slot[m as usize] = i as u8;
            }
            everyone += members.len();
        }
        let starts: Vec<Day> = cohorts.iter().map(|c| c.0).collect();
        let hi = last.min(to.saturating_add(offsets as Day - 1));
        // An empty span when `last` is before the first cohort (BTreeMap ranges must not be reversed).
        let days: Vec<(Day, &RoaringBitmap)> =
            self.days.range(lo..=hi.max(lo)).filter(|(d, _)| **d <= hi).map(|(d, b)| (*d, b)).collect();
        let count = |days: &[(Day, &RoaringBitmap)]| {
            // Flat: cells[slot * offsets + k].
            let mut cells = vec![0u64; starts.len() * offsets];
            // Offset 0 is the cohort itself (everyone is active on their first day):
            // each day only looks at the cohorts that started before it.
            let Some(&(first, _)) = days.first() else { return cells };
            let mut earlier = RoaringBitmap::new();
            let mut next = 0;
            while next < cohorts.len() && cohorts[next].0 < first {
                earlier |= cohorts[next].1;
                next += 1;
            }
            for &(d, active) in days {
                while next < cohorts.len() && cohorts[next].0 < d {
                    earlier |= cohorts[next].1;
                    next += 1;
                }
                for m in &(active & &earlier) {
                    let s = slot[m as usize] as usize;
                    // Members of earlier cohorts always have a slot, and k > 0.
                    let k = (d - starts[s]) as usize;
                    if k < offsets {
                        cells[s * offsets + k] += 1;
                    }
                }
            }
            cells
        };
        // Days are independent: large communities split them over the cores.
        let threads = threads.unwrap_or(if everyone < 100_000 {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get()).min(8)
        });
        let cells = if threads < 2 {
            count(&days)
        } else {
            let chunk = days.len().div_ceil(threads).max(1);
            let parts: Vec<Vec<u64>> = std::thread::scope(|s| {
                let handles: Vec<_> = days.chunks(chunk).map(|c| s.spawn(move || count(c))).collect();
                handles.into_iter().filter_map(|h| h.join().ok()).collect()
            });
            let mut total = vec![0u64; starts.len() * offsets];
            for part in parts {
                for (x, y) in total.iter_mut().zip(part) {
                    *x += y;
                }
            }
            total
        };
        let cells: Vec<Vec<u64>> = if offsets == 0 {
            vec![vec![]; starts.len()]
        } else {
            cells
                .chunks(offsets)
                .zip(&cohorts)
                .map(|(row, (_, members))| {
                    let mut row = row.to_vec();
                    row[0] = members.len();
                    row
                })
                .collect()
        };
        cohorts
            .iter()
            .zip(cells)
            .map(|(&(start, members), mut retained)| {
                retained.truncate(((last - start + 1).max(0) as usize).min(offsets));
                Cohort { cohort_start: date_of(start).to_string(), size: members.len(), retained }
            })
            .collect()
    }

    /// Weekly cohorts (ISO weeks, Monday start) whose Monday is in `[week_start(from), to]`.
    /// Up to [`WEEKLY_OFFSETS`] offsets, read from the cells kept as events arrive.
    pub fn retention_weekly(&self, from: Day, to: Day, offsets: usize, last: Day) -> Vec<Cohort> {
        if offsets > WEEKLY_OFFSETS {
            return self.retention_weekly_scan(from, to, offsets, last);
        }
        let last_week = week_start(last);
        let mut out = Vec::new();
        let mut monday = week_start(from);
        while monday <= to {
            let size: u64 = self.cohorts.range(monday..=monday + 6).map(|(_, b)| b.len()).sum();
            if size > 0 {
                let cells = self.weekly_cells.get(&monday).copied().unwrap_or_default();
                let n = if last_week < monday { 0 } else { (((last_week - monday) / 7 + 1) as usize).min(offsets) };
                let retained = cells[..n].iter().map(|c| u64::from(*c)).collect();
                out.push(Cohort { cohort_start: date_of(monday).to_string(), size, retained });
            }
            monday += 7;
        }
        out
    }

    /// [`ActivityLog::retention_weekly`] from the day bitmaps, any number of offsets.
    pub(crate) fn retention_weekly_scan(&self, from: Day, to: Day, offsets: usize, last: Day) -> Vec<Cohort> {
        let mut out = Vec::new();
        let mut monday = week_start(from);
        let last_week = week_start(last);
        // Each week's active members, computed once for all cohorts.
        let mut weeks: HashMap<Day, RoaringBitmap> = HashMap::new();
        while monday <= to {
            let mut members = RoaringBitmap::new();
            for (_, b) in self.cohorts.range(monday..=monday + 6) {
                members |= b;
            }
            if !members.is_empty() {
                let retained = (0..offsets as i32)
                    .map(|k| monday + 7 * k)
                    .take_while(|w| *w <= last_week)
                    .map(|w| weeks.entry(w).or_insert_with(|| self.active_between(w, w + 6)).intersection_len(&members))
                    .collect();
                out.push(Cohort { cohort_start: date_of(monday).to_string(), size: members.len(), retained });
            }
            monday += 7;
        }
        out
    }
}

/// Retention matrix sizes: 30 daily cohorts × 30 offsets, 12 weekly × 12.
pub const DAILY_OFFSETS: usize = 30;
pub const WEEKLY_OFFSETS: usize = 12;

/// Every figure of a dashboard for the local days `[from, to]`.
#[derive(Debug, Clone)]
pub struct Figures {
    /// Members with any activity ever.
    pub members: u64,
    pub dau: Vec<Point>,
    pub wau: Vec<Point>,
    pub mau: Vec<Point>,
    pub posting_rate: Vec<(String, f64)>,
    pub interaction_rate: Vec<(String, f64)>,
    pub retention_daily: Vec<Cohort>,
    pub retention_weekly: Vec<Cohort>,
    pub tiers: Vec<TierPoint>,
    pub silent: Vec<SilentMember>,
    pub funnel: Vec<FunnelStep>,
    pub referral: Referral,
    pub response: (Response, Response),
    pub topics: Vec<TopicStat>,
    pub hour_of_week: Vec<HeatCell>,
    pub top_contributors: Vec<Contributor>,
    pub kols: Vec<Contributor>,
    /// What the next computation of the same range may start from.
    pub reuse: Reuse,
}

/// Work a dashboard computation of a range can hand to the next one of the
/// same range: its KOL ranking (reused while the links grow by under 1 %)
/// and its tier walk stopped before the last day (resumed while only that
/// day changes). Both are checked against the log before use.
#[derive(Debug, Clone, Default)]
pub struct Reuse {
    pub kol: Option<std::sync::Arc<KolRanking>>,
    pub walk: Option<std::sync::Arc<WalkCheckpoint>>,
}

impl ActivityLog {
    /// Every figure for `[from, to]`: people tables hold `top` rows (the silent
    /// list `silent` candidates), starting from an earlier computation's
    /// [`Reuse`] where it still holds. The ranking and contributors, the tier
    /// walk, the content pass and the cohort figures run on their own threads.
    pub fn figures(&self, from: Day, to: Day, top: usize, silent: usize, reuse: &Reuse) -> Figures {
        fn join<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
            h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
        }
        let kol = reuse.kol.clone().filter(|k| k.reusable(self, from, to));
        // Four independent parts: as many cores as there are work in parallel.
        std::thread::scope(|s| {
            let people = s.spawn(|| {
                let ranking = kol.unwrap_or_else(|| std::sync::Arc::new(self.kol_ranking(from, to)));
                let (by_posts, kols) = self.contributors_ranked(from, to, top, &ranking);
                (by_posts, kols, ranking)
            });
            let walk = s.spawn(|| self.walk(from, to, silent, reuse.walk.as_ref()));
            let content = s.spawn(|| self.content_pass(from, to));
            let cohorts = s.spawn(|| {
                // Daily cohorts of the range's last month; weekly cohorts of the
                // whole range, each followed as far as the data goes. Newest first.
                let daily_from = from.max(to - DAILY_OFFSETS as Day + 1);
                let mut daily = self.retention_daily(daily_from, to, DAILY_OFFSETS, to);
                let mut weekly = self.retention_weekly(from, to, WEEKLY_OFFSETS, to);
                daily.reverse();
                weekly.reverse();
                (daily, weekly, self.funnel(from, to), self.referral(from, to, top))
            });
            let dau = self.dau(from, to);
            let (posting_rate, interaction_rate) = (self.posting_rate(from, to), self.interaction_rate(from, to));
            let (tiers, silent, [wau, mau], walk) = join(walk);
            let (posts, questions, topics, hour_of_week) = join(content);
            let (retention_daily, retention_weekly, funnel, referral) = join(cohorts);
            let (top_contributors, kols, kol_ranking) = join(people);
            Figures {
                members: self.members() as u64,
                dau,
                wau,
                mau,
                posting_rate,
                interaction_rate,
                retention_daily,
                retention_weekly,
                tiers,
                silent,
                funnel,
                referral,
                response: (posts, questions),
                topics,
                hour_of_week,
                top_contributors,
                kols,
                reuse: Reuse { kol: Some(kol_ranking), walk },
            }
        })
    }
}

#[cfg(test)]
mod tests;
