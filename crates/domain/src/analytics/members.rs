//! Member figures: tiers over time, silent members, the joining funnel and
//! referral growth. Definitions in docs/analytics.md.

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

impl ActivityLog {
    /// Tier counts for each day of `[from, to]`, and the members silent on
    /// `to` (most active first, at most `silent_limit`). One walk over the
    /// days from `from − 29` keeping each member's last active day and active
    /// days in the trailing 30, with histograms by last active day.
    pub fn tiers(&self, from: Day, to: Day, silent_limit: usize) -> (Vec<TierPoint>, Vec<SilentMember>) {
        let (tiers, silent, _) = self.walk(from, to, silent_limit);
        (tiers, silent)
    }

    /// [`ActivityLog::tiers`], with the WAU and MAU series the same walk gives.
    pub(super) fn walk(
        &self,
        from: Day,
        to: Day,
        silent_limit: usize,
    ) -> (Vec<TierPoint>, Vec<SilentMember>, [Vec<super::Point>; 2]) {
        if to < from {
            return (vec![], vec![], [vec![], vec![]]);
        }
        let mut wau = Vec::with_capacity((to - from + 1) as usize);
        let mut mau = Vec::with_capacity((to - from + 1) as usize);
        let start = from - (CHURNED_DAYS - 1);
        let mut last = vec![Day::MIN; self.id_bound];
        let mut count = vec![0u8; self.id_bound];
        let n = (to - start + 1) as usize;
        // Members by last active day (index: day − start), all and core only.
        let mut hist = vec![0u64; n];
        let mut hist_core = vec![0u64; n];
        let mut known: u64 = self.cohorts.range(..start).map(|(_, b)| b.len()).sum();
        let cohort = |d: Day| self.cohorts.get(&d).map_or(0, |b| b.len());
        let sum = |h: &[u64], lo: Day, hi: Day| -> u64 {
            let lo = (lo.max(start) - start) as usize;
            let hi = hi - start;
            if hi < 0 {
                return 0;
            }
            h[lo..=hi as usize].iter().sum()
        };
        let mut out = Vec::with_capacity((to - from + 1) as usize);
        for d in start..=to {
            known += cohort(d);
            if let Some(gone) = self.days.get(&(d - CHURNED_DAYS)).filter(|_| d - CHURNED_DAYS >= start) {
                for m in gone {
                    let c = &mut count[m as usize];
                    *c -= 1;
                    if *c == CORE_ACTIVE_DAYS - 1 {
                        hist_core[(last[m as usize] - start) as usize] -= 1;
                    }
                }
            }
            if let Some(active) = self.days.get(&d) {
                for m in active {
                    let (l, c) = (&mut last[m as usize], &mut count[m as usize]);
                    if *l >= start {
                        hist[(*l - start) as usize] -= 1;
                        if *c >= CORE_ACTIVE_DAYS {
                            hist_core[(*l - start) as usize] -= 1;
                        }
                    }
                    *l = d;
                    *c += 1;
                    hist[(d - start) as usize] += 1;
                    if *c >= CORE_ACTIVE_DAYS {
                        hist_core[(d - start) as usize] += 1;
                    }
                }
            }
            if d < from {
                continue;
            }
            let new: u64 = (d - NEW_DAYS + 1..=d).map(cohort).sum();
            let recent = sum(&hist, d - SILENT_DAYS + 1, d);
            let core = sum(&hist_core, d - SILENT_DAYS + 1, d);
            let seen_30 = sum(&hist, d - CHURNED_DAYS + 1, d);
            let date = date_of(d).to_string();
            wau.push(super::Point { date: date.clone(), count: sum(&hist, d - 6, d) });
            mau.push(super::Point { date, count: seen_30 });
            out.push(TierPoint {
                day: d,
                new,
                active: recent - new - core,
                core,
                silent: seen_30 - recent,
                churned: known - seen_30,
            });
        }
        // (active days, last active day, member), most active first, then most recent.
        let mut quiet: Vec<(u8, Day, u32)> = Vec::new();
        for (&d, members) in self.days.range(to - CHURNED_DAYS + 1..=to - SILENT_DAYS) {
            quiet.extend(members.iter().filter(|m| last[*m as usize] == d).map(|m| (count[m as usize], d, m)));
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
        (out, silent, [wau, mau])
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
        let mut seen = RoaringBitmap::new();
        seen.insert(m);
        let mut stack = vec![m];
        while let Some(x) = stack.pop() {
            for &c in self.children.get(&x).map_or(&[][..], Vec::as_slice) {
                if seen.insert(c) {
                    stack.push(c);
                }
            }
        }
        seen.len() - 1
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
