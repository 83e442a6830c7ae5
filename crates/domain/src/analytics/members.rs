//! Member figures: tiers over time, silent members, the joining funnel and
//! referral growth. Definitions in docs/analytics.md.

use std::sync::Arc;

use roaring::RoaringBitmap;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::{date_of, ActivityLog, Day};

/// Days without activity after which a member is silent / churned.
pub const SILENT_DAYS: Day = 14;
pub const CHURNED_DAYS: Day = 30;
/// A member is new for the first 7 days from their first activity.
pub const NEW_DAYS: Day = 7;
/// Core: active on at least this many of the trailing 30 days.
pub const CORE_ACTIVE_DAYS: u8 = 12;

/// The tier walk's per-member word: active days in the trailing 30 (high 8
/// bits) and the last active day as 1 + its index from the walk's first day
/// (low 24 bits; 0: none yet). One word, so a visit touches one cache line.
const LAST: u32 = (1 << 24) - 1;

/// What a walk gives: tiers, silent members, [WAU, MAU], and its checkpoint (none for an empty range).
pub(super) type Walked = (Vec<TierPoint>, Vec<SilentMember>, [Vec<super::Point>; 2], Option<Arc<WalkCheckpoint>>);

/// The tier walk under way.
#[derive(Debug, Clone)]
pub(super) struct Walk {
    state: Vec<u32>,
    /// Members by last active day (index: day − the walk's first day), all and core only.
    hist: Vec<u64>,
    hist_core: Vec<u64>,
    /// Members seen so far.
    known: u64,
    tiers: Vec<TierPoint>,
    wau: Vec<super::Point>,
    mau: Vec<super::Point>,
}

/// A range's tier walk stopped before its last day, to resume from while
/// only that day gets new activity (today's events, for a range ending
/// today). Members' words are kept sparse: a small community in a large
/// site has large member ids.
#[derive(Debug, Clone)]
pub struct WalkCheckpoint {
    from: Day,
    to: Day,
    /// [`ActivityLog::pairs_before`] `to` when it was taken.
    pairs_before: u64,
    members: Vec<(u32, u32)>,
    walk: Walk,
}

impl WalkCheckpoint {
    fn keep(from: Day, to: Day, pairs_before: u64, w: &Walk) -> WalkCheckpoint {
        let members = w.state.iter().enumerate().filter(|(_, s)| **s != 0).map(|(m, s)| (m as u32, *s)).collect();
        let walk = Walk {
            state: vec![],
            hist: w.hist.clone(),
            hist_core: w.hist_core.clone(),
            known: w.known,
            tiers: w.tiers.clone(),
            wau: w.wau.clone(),
            mau: w.mau.clone(),
        };
        WalkCheckpoint { from, to, pairs_before, members, walk }
    }

    fn restore(&self, id_bound: usize) -> Walk {
        let mut w = self.walk.clone();
        w.state = vec![0; id_bound];
        for &(m, s) in &self.members {
            w.state[m as usize] = s;
        }
        w
    }
}

/// Members per tier on one day; every member seen by then is in exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TierPoint {
    #[serde(skip)]
    pub day: Day,
    pub new: u64,
    pub active: u64,
    pub core: u64,
    pub silent: u64,
    pub churned: u64,
}

impl TierPoint {
    pub fn date(&self) -> String {
        date_of(self.day).to_string()
    }
}

/// A member who has gone quiet, worth a nudge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SilentMember {
    pub member: u32,
    pub last_active: String,
    /// Days active in the 30 days ending on the range's last day.
    pub active_days: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunnelStep {
    pub step: &'static str,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inviter {
    pub member: u32,
    /// Invites this member created in the range.
    pub invites_sent: u64,
    /// Members who joined through this member's invites in the range.
    pub invited: u64,
    /// Everyone below this member in the referral tree, ever.
    pub tree: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Referral {
    pub invites_sent: u64,
    pub invited_joins: u64,
    /// Invited joins ÷ invites sent (a link used several times counts each join).
    pub acceptance_rate: f64,
    /// Active members in the range.
    pub active_members: u64,
    pub invites_per_member: f64,
    /// Viral coefficient: invites per member × acceptance rate.
    pub k: f64,
    pub top_inviters: Vec<Inviter>,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The five member tiers (docs/analytics.md, "Member tiers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    New,
    Active,
    Core,
    Silent,
    Churned,
}

impl Tier {
    pub const ALL: [Tier; 5] = [Tier::New, Tier::Active, Tier::Core, Tier::Silent, Tier::Churned];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::New => "new",
            Tier::Active => "active",
            Tier::Core => "core",
            Tier::Silent => "silent",
            Tier::Churned => "churned",
        }
    }

    pub fn parse(s: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl ActivityLog {
    /// Tier counts for each day of `[from, to]`, and the members silent on
    /// `to` (most active first, at most `silent_limit`). One walk over the
    /// days from `from − 29` keeping each member's last active day and active
    /// days in the trailing 30, with histograms by last active day.
    pub fn tiers(&self, from: Day, to: Day, silent_limit: usize) -> (Vec<TierPoint>, Vec<SilentMember>) {
        let (tiers, silent, _, _) = self.walk(from, to, silent_limit, None);
        (tiers, silent)
    }

    /// The members in each tier on `day`, in [`Tier::ALL`]'s order: the same
    /// rules as the walk, read straight from the day bitmaps for one day (what
    /// segments ask: "who is silent today").
    pub fn tier_members(&self, day: Day) -> [RoaringBitmap; 5] {
        let seen: RoaringBitmap = self.cohorts.range(..=day).fold(RoaringBitmap::new(), |acc, (_, b)| acc | b);
        let new: RoaringBitmap =
            self.cohorts.range(day - (NEW_DAYS - 1)..=day).fold(RoaringBitmap::new(), |acc, (_, b)| acc | b);
        let recent = self.active_between(day - (SILENT_DAYS - 1), day);
        let month = self.active_between(day - (CHURNED_DAYS - 1), day);
        let churned = &seen - &month - &new;
        let silent = &month - &recent - &new;
        let mut days_active: FxHashMap<u32, u8> = FxHashMap::default();
        for (_, b) in self.days.range(day - (CHURNED_DAYS - 1)..=day) {
            for m in b.iter().filter(|m| recent.contains(*m) && !new.contains(*m)) {
                *days_active.entry(m).or_default() += 1;
            }
        }
        let core: RoaringBitmap =
            days_active.into_iter().filter(|(_, n)| *n >= CORE_ACTIVE_DAYS).map(|(m, _)| m).collect();
        let active = &recent - &new - &core;
        [new, active, core, silent, churned]
    }

    /// [`ActivityLog::tiers`], with the WAU and MAU series the same walk gives,
    /// and the walk's state before its last day. Given that state from an
    /// earlier walk of the range ([`WalkCheckpoint`]), and nothing new before
    /// the last day since, only the last day is walked: the figures are the same.
    pub(super) fn walk(&self, from: Day, to: Day, silent_limit: usize, resume: Option<&Arc<WalkCheckpoint>>) -> Walked {
        if to < from {
            return (vec![], vec![], [vec![], vec![]], None);
        }
        let start = from - (CHURNED_DAYS - 1);
        let before = self.pairs_before(to);
        let (mut w, checkpoint) = match resume.filter(|c| (c.from, c.to, c.pairs_before) == (from, to, before)) {
            Some(c) => (c.restore(self.id_bound), c.clone()),
            None => {
                let mut w = Walk {
                    state: vec![0; self.id_bound],
                    hist: vec![0; (to - start + 1) as usize],
                    hist_core: vec![0; (to - start + 1) as usize],
                    known: self.cohorts.range(..start).map(|(_, b)| b.len()).sum(),
                    tiers: Vec::with_capacity((to - from + 1) as usize),
                    wau: Vec::with_capacity((to - from + 1) as usize),
                    mau: Vec::with_capacity((to - from + 1) as usize),
                };
                for d in start..to {
                    self.walk_day(&mut w, start, from, d);
                }
                let c = Arc::new(WalkCheckpoint::keep(from, to, before, &w));
                (w, c)
            }
        };
        self.walk_day(&mut w, start, from, to);
        // (active days, last active day, member), most active first, then most recent.
        let mut quiet: Vec<(u8, Day, u32)> = Vec::new();
        for (&d, members) in self.days.range(to - CHURNED_DAYS + 1..=to - SILENT_DAYS) {
            let mine = (d - start + 1) as u32;
            quiet.extend(members.iter().filter_map(|m| {
                let s = w.state[m as usize];
                (s & LAST == mine).then_some(((s >> 24) as u8, d, m))
            }));
        }
        let order = |a: &(u8, Day, u32), b: &(u8, Day, u32)| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2));
        if silent_limit > 0 && quiet.len() > silent_limit {
            quiet.select_nth_unstable_by(silent_limit - 1, order);
        }
        quiet.truncate(silent_limit);
        quiet.sort_by(order);
        let silent = quiet
            .into_iter()
            .map(|(active_days, d, member)| SilentMember { member, last_active: date_of(d).to_string(), active_days })
            .collect();
        (w.tiers, silent, [w.wau, w.mau], Some(checkpoint))
    }

    /// (member, day) pairs of activity before `day`: any new one before a
    /// walk's last day changes what a checkpoint of it holds.
    fn pairs_before(&self, day: Day) -> u64 {
        self.days.range(..day).map(|(_, b)| b.len()).sum()
    }

    /// One day of the walk: members whose day 30 back drops out, then the
    /// day's active members; from `from` on, the day's tiers, WAU and MAU.
    fn walk_day(&self, w: &mut Walk, start: Day, from: Day, d: Day) {
        let cohort = |d: Day| self.cohorts.get(&d).map_or(0, |b| b.len());
        let sum = |h: &[u64], lo: Day, hi: Day| -> u64 {
            let lo = (lo.max(start) - start) as usize;
            let hi = hi - start;
            if hi < 0 {
                return 0;
            }
            h[lo..=hi as usize].iter().sum()
        };
        let core = u32::from(CORE_ACTIVE_DAYS);
        w.known += cohort(d);
        if let Some(gone) = self.days.get(&(d - CHURNED_DAYS)).filter(|_| d - CHURNED_DAYS >= start) {
            for m in gone {
                let s = &mut w.state[m as usize];
                *s -= 1 << 24;
                if *s >> 24 == core - 1 {
                    w.hist_core[(*s & LAST) as usize - 1] -= 1;
                }
            }
        }
        let i = (d - start) as usize;
        if let Some(active) = self.days.get(&d) {
            for m in active {
                let s = &mut w.state[m as usize];
                let (l, c) = (*s & LAST, *s >> 24);
                if l > 0 {
                    w.hist[l as usize - 1] -= 1;
                    if c >= core {
                        w.hist_core[l as usize - 1] -= 1;
                    }
                }
                *s = ((c + 1) << 24) | (i as u32 + 1);
                if c + 1 >= core {
                    w.hist_core[i] += 1;
                }
            }
            w.hist[i] += active.len();
        }
        if d < from {
            return;
        }
        let new: u64 = (d - NEW_DAYS + 1..=d).map(cohort).sum();
        let recent = sum(&w.hist, d - SILENT_DAYS + 1, d);
        let core = sum(&w.hist_core, d - SILENT_DAYS + 1, d);
        let seen_30 = sum(&w.hist, d - CHURNED_DAYS + 1, d);
        let date = date_of(d).to_string();
        w.wau.push(super::Point { date: date.clone(), count: sum(&w.hist, d - 6, d) });
        w.mau.push(super::Point { date, count: seen_30 });
        w.tiers.push(TierPoint {
            day: d,
            new,
            active: recent - new - core,
            core,
            silent: seen_30 - recent,
            churned: w.known - seen_30,
        });
    }

    /// Members who joined in `[from, to]` (their first join), then of those who
    /// accepted the rules, then who posted (by `to`), then who were active in
    /// their second week (days 7–13 after joining, up to `to`).
    pub fn funnel(&self, from: Day, to: Day) -> Vec<FunnelStep> {
        let to = to.max(from - 1);
        let rules = &self.rules_at_join | &self.rules_accepted;
        let mut posters = RoaringBitmap::new();
        for (_, b) in self.first_posters.range(..=to) {
            posters |= b;
        }
        let (mut joined, mut accepted, mut posted, mut week2) = (0, 0, 0, 0);
        for (&j, members) in self.joined_by_day.range(from..).take_while(|(j, _)| **j <= to) {
            joined += members.len();
            let a = members & &rules;
            accepted += a.len();
            let p = &a & &posters;
            posted += p.len();
            // The union of the (small) step's members active on each day of week 2.
            if j + 7 <= to {
                let mut w = RoaringBitmap::new();
                for (_, day) in self.days.range(j + 7..=(j + 13).min(to)) {
                    w |= &p & day;
                }
                week2 += w.len();
            }
        }
        [("joined", joined), ("accepted_rules", accepted), ("first_post", posted), ("active_week_2", week2)]
            .into_iter()
            .map(|(step, count)| FunnelStep { step, count })
            .collect()
    }

    /// Everyone below `m` in the referral tree (each member counted once, even through a cycle).
    fn tree_size(&self, m: u32) -> u64 {
        // A tree is walked in no id order: a bitset.
        let mut seen = super::Bitset::with_bound(self.id_bound);
        seen.insert(m);
        let mut stack = vec![m];
        while let Some(x) = stack.pop() {
            for &c in self.children.get(&x).map_or(&[][..], Vec::as_slice) {
                if seen.insert(c) {
                    stack.push(c);
                }
            }
        }
        seen.len - 1
    }

    /// Invites and invited joins in `[from, to]`, the viral coefficient and the
    /// top inviters (by invited joins, then invites sent).
    pub fn referral(&self, from: Day, to: Day, limit: usize) -> Referral {
        fn entry(per: &mut FxHashMap<u32, Inviter>, m: u32) -> &mut Inviter {
            per.entry(m).or_insert(Inviter { member: m, invites_sent: 0, invited: 0, tree: 0 })
        }
        let mut per: FxHashMap<u32, Inviter> = FxHashMap::default();
        let mut sent = 0;
        for (_, inviters) in self.invites.range(from..).take_while(|(d, _)| **d <= to) {
            for &m in inviters {
                sent += 1;
                entry(&mut per, m).invites_sent += 1;
            }
        }
        let mut invited = 0;
        for (_, members) in self.joined_by_day.range(from..).take_while(|(d, _)| **d <= to) {
            for m in &(members & &self.invited) {
                if let Some(by) = self.joins.get(&m).and_then(|j| j.invited_by) {
                    invited += 1;
                    entry(&mut per, by).invited += 1;
                }
            }
        }
        let mut top: Vec<Inviter> = per.into_values().collect();
        let order = |a: &Inviter, b: &Inviter| {
            (b.invited, b.invites_sent).cmp(&(a.invited, a.invites_sent)).then(a.member.cmp(&b.member))
        };
        if limit > 0 && top.len() > limit {
            top.select_nth_unstable_by(limit - 1, order);
        }
        top.truncate(limit);
        top.sort_by(order);
        for i in &mut top {
            i.tree = self.tree_size(i.member);
        }
        let active = self.active_between(from, to).len();
        let acceptance_rate = ratio(invited, sent);
        let invites_per_member = ratio(sent, active);
        Referral {
            invites_sent: sent,
            invited_joins: invited,
            acceptance_rate,
            active_members: active,
            invites_per_member,
            k: invites_per_member * acceptance_rate,
            top_inviters: top,
        }
    }
}
