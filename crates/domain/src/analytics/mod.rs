//! Community analytics from the activity log: which members were active on
//! which local day, kept as one compressed bitmap of member ids per day, plus
//! each member's first active day (their cohort). Every figure is exact and
//! computed from these by bitmap unions and intersections; nothing samples.
//! Pure: the app feeds events in (already turned into local days) and asks.

pub mod import;

use std::collections::{BTreeMap, HashMap};

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

/// What an event contributes beyond activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contribution {
    Post,
    Comment,
    Reaction,
    Other,
}

impl Contribution {
    /// From the activity log's kind.
    pub fn of(kind: &str) -> Contribution {
        match kind {
            "post_created" => Contribution::Post,
            "comment_created" => Contribution::Comment,
            "reaction_added" => Contribution::Reaction,
            _ => Contribution::Other,
        }
    }
}

/// Posts, comments and reactions of a day, and who posted.
#[derive(Debug, Default, Clone)]
struct DayContent {
    posters: RoaringBitmap,
    posts: u64,
    comments: u64,
    reactions: u64,
}

/// Active members per local day and first-activity cohorts.
#[derive(Debug, Default, Clone)]
pub struct ActivityLog {
    days: BTreeMap<Day, RoaringBitmap>,
    content: BTreeMap<Day, DayContent>,
    first: HashMap<u32, Day>,
    cohorts: BTreeMap<Day, RoaringBitmap>,
    /// One past the largest member id seen (the size of per-member arrays).
    id_bound: usize,
}

impl ActivityLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Member `member` was active on `day`. Order does not matter.
    pub fn record(&mut self, member: u32, day: Day) {
        self.days.entry(day).or_default().insert(member);
        self.id_bound = self.id_bound.max(member as usize + 1);
        match self.first.get(&member).copied() {
            Some(f) if f <= day => {}
            Some(f) => {
                if let Some(b) = self.cohorts.get_mut(&f) {
                    b.remove(member);
                }
                self.first.insert(member, day);
                self.cohorts.entry(day).or_default().insert(member);
            }
            None => {
                self.first.insert(member, day);
                self.cohorts.entry(day).or_default().insert(member);
            }
        }
    }

    /// [`ActivityLog::record`] for an event that is a post, comment or reaction.
    /// Unlike activity, contributions count every event: feed each event once.
    pub fn record_event(&mut self, member: u32, day: Day, what: Contribution) {
        self.record(member, day);
        if what == Contribution::Other {
            return;
        }
        let c = self.content.entry(day).or_default();
        match what {
            Contribution::Post => {
                c.posters.insert(member);
                c.posts += 1;
            }
            Contribution::Comment => c.comments += 1,
            Contribution::Reaction => c.reactions += 1,
            Contribution::Other => {}
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

    pub fn dau(&self, from: Day, to: Day) -> Vec<Point> {
        self.trailing(from, to, 1)
    }
    pub fn wau(&self, from: Day, to: Day) -> Vec<Point> {
        self.trailing(from, to, 7)
    }
    pub fn mau(&self, from: Day, to: Day) -> Vec<Point> {
        self.trailing(from, to, 30)
    }

    /// Daily cohorts starting in `[from, to]`, each with up to `offsets`
    /// retention values, none past `last` (the end of the data or range).
    pub fn retention_daily(&self, from: Day, to: Day, offsets: usize, last: Day) -> Vec<Cohort> {
        // Rows are independent: spread them over the cores for large communities.
        let threads = if self.first.len() < 100_000 {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get()).min(8)
        };
        self.retention_daily_on(from, to, offsets, last, threads)
    }

    fn retention_daily_on(&self, from: Day, to: Day, offsets: usize, last: Day, threads: usize) -> Vec<Cohort> {
        let cohorts: Vec<(Day, &RoaringBitmap)> =
            self.cohorts.range(from..=to).filter(|(_, m)| !m.is_empty()).map(|(d, m)| (*d, m)).collect();
        let row = |&(start, members): &(Day, &RoaringBitmap)| {
            let retained = (0..offsets as i32)
                .take_while(|k| start + k <= last)
                .map(|k| self.days.get(&(start + k)).map_or(0, |a| a.intersection_len(members)))
                .collect();
            Cohort { cohort_start: date_of(start).to_string(), size: members.len(), retained }
        };
        if threads < 2 {
            return cohorts.iter().map(row).collect();
        }
        let chunk = cohorts.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> =
                cohorts.chunks(chunk).map(|c| s.spawn(move || c.iter().map(row).collect::<Vec<_>>())).collect();
            handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
        })
    }

    /// Weekly cohorts (ISO weeks, Monday start) whose Monday is in `[week_start(from), to]`.
    pub fn retention_weekly(&self, from: Day, to: Day, offsets: usize, last: Day) -> Vec<Cohort> {
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

#[cfg(test)]
mod tests;
