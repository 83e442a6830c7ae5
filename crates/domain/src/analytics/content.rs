//! Content figures: per topic, response times, the hour-of-week heatmap, top
//! contributors and KOL scores. Definitions in docs/analytics.md.

use roaring::RoaringBitmap;
use serde::Serialize;

use super::{ActivityLog, Day};

/// PageRank damping, iteration cap and convergence threshold (L1 change).
const DAMPING: f64 = 0.85;
const MAX_ITERATIONS: usize = 50;
const TOLERANCE: f64 = 1e-6;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicStat {
    /// `None`: posts without a topic.
    pub topic: Option<i64>,
    pub posts: u64,
    pub posters: u64,
    /// Members who posted in the topic ÷ members active in the range.
    pub posting_rate: f64,
    /// Comments and reactions in the range on the topic's posts.
    pub interactions: u64,
    /// Interactions ÷ posts created in the range.
    pub interaction_rate: f64,
    /// Share of the range's posts that got a reply from someone else.
    pub response_rate: f64,
    pub median_first_reply_minutes: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Response {
    pub posts: u64,
    /// Posts with a comment by someone other than the author.
    pub answered: u64,
    pub rate: f64,
    /// Median time from the post to that first reply.
    pub median_minutes: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeatCell {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    pub hour: u8,
    pub posts: u64,
    /// Comments and reactions those posts received (ever).
    pub interactions: u64,
    /// Interactions per post (0 without posts).
    pub average: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contributor {
    pub member: u32,
    pub posts: u64,
    pub comments: u64,
    /// Comments by others on this member's posts.
    pub replies_received: u64,
    /// Reactions by others on this member's posts.
    pub reactions_received: u64,
    /// PageRank over the reply/reaction graph, scaled so the average member of the graph is 1.
    pub kol_score: f64,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn median(mut v: Vec<i64>) -> Option<f64> {
    let n = v.len();
    if n == 0 {
        return None;
    }
    let (below, mid, _) = v.select_nth_unstable(n / 2);
    let mid = *mid;
    Some(if n % 2 == 1 { mid as f64 } else { (below.iter().max().copied().unwrap_or(mid) + mid) as f64 / 2.0 })
}

impl ActivityLog {
    fn posts_in(&self, from: Day, to: Day) -> impl Iterator<Item = &super::PostStat> {
        // A reversed range is empty (BTreeMap ranges must not be).
        self.posts_by_day
            .range(from..=to.max(from))
            .filter(move |_| from <= to)
            .flat_map(|(_, ids)| ids.iter().map(|i| &self.posts[*i as usize]))
    }

    /// Response rate and median time to first reply of the posts created in
    /// `[from, to]` (all of them, and those that ask a question).
    pub fn response(&self, from: Day, to: Day) -> (Response, Response) {
        let c = self.content_pass(from, to);
        (c.0, c.1)
    }

    /// Per topic over `[from, to]`, most posts first.
    pub fn topics(&self, from: Day, to: Day) -> Vec<TopicStat> {
        self.content_pass(from, to).2
    }

    /// The 168 hours of the week (Monday 00h first): posts created in
    /// `[from, to]` in that local hour and the interactions they received.
    pub fn hour_of_week(&self, from: Day, to: Day) -> Vec<HeatCell> {
        self.content_pass(from, to).3
    }

    /// Response (all posts, questions), topics and the hour-of-week cells in one pass over the range's posts.
    pub(super) fn content_pass(&self, from: Day, to: Day) -> (Response, Response, Vec<TopicStat>, Vec<HeatCell>) {
        #[derive(Default)]
        struct Acc {
            posts: u64,
            /// Filled in post order, not id order: a bitset.
            posters: super::Bitset,
            interactions: u64,
            waits: Vec<i64>,
        }
        let mut by: Vec<Acc> = (0..self.topics.len()).map(|_| Acc::default()).collect();
        let mut cells = [(0u64, 0u64); 168];
        let (mut all, mut questions) = ((0u64, Vec::new()), (0u64, Vec::new()));
        for p in self.posts_in(from, to) {
            let a = &mut by[p.topic as usize];
            a.posts += 1;
            if a.posters.words.is_empty() {
                a.posters = super::Bitset::with_bound(self.id_bound);
            }
            a.posters.insert(p.author);
            let wait = p.first_reply_ms.map(|r| r - p.created_ms);
            all.0 += 1;
            if p.question {
                questions.0 += 1;
            }
            if let Some(w) = wait {
                a.waits.push(w);
                all.1.push(w);
                if p.question {
                    questions.1.push(w);
                }
            }
            let c = &mut cells[p.hour_of_week as usize % 168];
            c.0 += 1;
            c.1 += u64::from(p.interactions);
        }
        for (_, c) in self.content.range(from..=to.max(from)).filter(|_| from <= to) {
            for (slot, n) in c.topic_interactions.iter().enumerate() {
                by[slot].interactions += u64::from(*n);
            }
        }
        let summarize = |(posts, waits): (u64, Vec<i64>)| {
            let answered = waits.len() as u64;
            Response {
                posts,
                answered,
                rate: ratio(answered, posts),
                median_minutes: median(waits).map(|ms| ms / crate::MINUTE_MS as f64),
            }
        };
        let active = self.active_between(from, to).len();
        let mut topics: Vec<TopicStat> = by
            .into_iter()
            .enumerate()
            .filter(|(_, a)| a.posts + a.interactions > 0)
            .map(|(slot, a)| TopicStat {
                topic: self.topics[slot],
                posts: a.posts,
                posters: a.posters.len,
                posting_rate: ratio(a.posters.len, active),
                interactions: a.interactions,
                interaction_rate: ratio(a.interactions, a.posts),
                response_rate: ratio(a.waits.len() as u64, a.posts),
                median_first_reply_minutes: median(a.waits).map(|ms| ms / crate::MINUTE_MS as f64),
            })
            .collect();
        topics.sort_by(|a, b| {
            b.posts.cmp(&a.posts).then(b.interactions.cmp(&a.interactions)).then(a.topic.cmp(&b.topic))
        });
        let hours = cells
            .iter()
            .enumerate()
            .map(|(i, &(posts, interactions))| HeatCell {
                weekday: (i / 24) as u8,
                hour: (i % 24) as u8,
                posts,
                interactions,
                average: ratio(interactions, posts),
            })
            .collect();
        (summarize(all), summarize(questions), topics, hours)
    }

    /// Comments and reactions on known posts in `[from, to]` (what the KOL graph is made of).
    pub fn links_between(&self, from: Day, to: Day) -> u64 {
        self.days_links(from, to).map(|l| l.edges.len() as u64).sum()
    }

    fn days_links(&self, from: Day, to: Day) -> impl Iterator<Item = &super::DayLinks> {
        self.links.range(from..=to.max(from)).filter(move |_| from <= to).map(|(_, l)| l)
    }

    /// Contributors of `[from, to]`: the top `limit` by posts (then replies and
    /// reactions received), and the top `limit` by KOL score, ranked now.
    pub fn contributors(&self, from: Day, to: Day, limit: usize) -> (Vec<Contributor>, Vec<Contributor>) {
        self.contributors_ranked(from, to, limit, &self.kol_ranking(from, to))
    }

    /// [`ActivityLog::contributors`] with KOL scores from `ranking` (which may
    /// be an earlier one of the range: see [`KolRanking::reusable`]); the
    /// counts are always the log's current ones.
    pub fn contributors_ranked(
        &self,
        from: Day,
        to: Day,
        limit: usize,
        ranking: &KolRanking,
    ) -> (Vec<Contributor>, Vec<Contributor>) {
        #[derive(Default, Clone, Copy)]
        struct Acc {
            posts: u32,
            comments: u32,
            replies: u32,
            reactions: u32,
        }
        let mut acc = vec![Acc::default(); self.id_bound];
        // Members with posts or anything received: the only ones with a key above zero.
        let mut ranked: Vec<u32> = Vec::new();
        let mut note = |a: &Acc, m: u32| {
            if a.posts + a.replies + a.reactions == 0 {
                ranked.push(m);
            }
        };
        for (day, l) in self.links.range(from..=to.max(from)).filter(|_| from <= to) {
            for &(m, n) in &l.posted {
                let a = &mut acc[m as usize];
                note(a, m);
                a.posts += n;
            }
            // Posts that came after the day was summed.
            let unsummed = self.posts_by_day.get(day).map_or(&[][..], |p| &p[l.posts_summed..]);
            for p in unsummed {
                let m = self.posts[*p as usize].author;
                let a = &mut acc[m as usize];
                note(a, m);
                a.posts += 1;
            }
            for &(m, n) in &l.written {
                acc[m as usize].comments += n;
            }
            for &(m, replies, reactions) in &l.received {
                let a = &mut acc[m as usize];
                note(a, m);
                a.replies += replies;
                a.reactions += reactions;
            }
            // Links that came after the day was summed (today's, late ones).
            for e in &l.edges[l.summed..] {
                if !e.reaction {
                    acc[e.from as usize].comments += 1;
                }
                if e.to != e.from {
                    let a = &mut acc[e.to as usize];
                    note(a, e.to);
                    if e.reaction {
                        a.reactions += 1;
                    } else {
                        a.replies += 1;
                    }
                }
            }
        }
        let taking_part = |m: u32| {
            let a = acc[m as usize];
            a.posts + a.comments + a.replies + a.reactions > 0
        };
        let row = |m: u32| {
            let a = acc[m as usize];
            Contributor {
                member: m,
                posts: a.posts.into(),
                comments: a.comments.into(),
                replies_received: a.replies.into(),
                reactions_received: a.reactions.into(),
                kol_score: ranking.score(m),
            }
        };
        // Keys copied next to the ids: selecting over them reads one array in order,
        // not the per-member counters at random.
        // Most posts first, then replies and reactions received, then the lowest id.
        type Key = (std::cmp::Reverse<(u32, u32, u32)>, u32);
        let mut keyed: Vec<Key> = ranked
            .iter()
            .map(|m| {
                let a = acc[*m as usize];
                (std::cmp::Reverse((a.posts, a.replies, a.reactions)), *m)
            })
            .collect();
        let k = limit.min(keyed.len());
        if k > 0 && k < keyed.len() {
            keyed.select_nth_unstable(k - 1);
        }
        keyed.truncate(k);
        keyed.sort_unstable();
        let mut ranked: Vec<u32> = keyed.into_iter().map(|(_, m)| m).collect();
        // Fewer than `limit` with a key: members who only commented follow, by id.
        if ranked.len() < limit {
            let extra: Vec<u32> = (0..self.id_bound as u32)
                .filter(|m| taking_part(*m) && !ranked.contains(m))
                .take(limit - ranked.len())
                .collect();
            ranked.extend(extra);
        }
        let by_posts = ranked.into_iter().map(row).collect();
        // The ranking's best, then (all with the same, lowest score) members in
        // the graph nobody linked to, by id.
        let mut kols: Vec<u32> = ranking.top.iter().copied().filter(|m| taking_part(*m)).take(limit).collect();
        if kols.len() < limit {
            kols.extend(ranking.leaves.iter().filter(|m| taking_part(*m)).take(limit - kols.len()));
        }
        (by_posts, kols.into_iter().map(row).collect())
    }

    /// The KOL PageRank of `[from, to]`'s reply/reaction graph: a link from
    /// whoever replied or reacted to the post's author. The costliest figure
    /// (two passes over the links, then the rounds), so a dashboard may reuse
    /// it while the range's links grow by little ([`KolRanking::reusable`]).
    pub fn kol_ranking(&self, from: Day, to: Day) -> KolRanking {
        let mut out = vec![0u32; self.id_bound];
        let mut linked_to = vec![false; self.id_bound];
        let mut links = 0u64;
        for l in self.days_links(from, to) {
            links += l.edges.len() as u64;
            for e in l.edges.iter().filter(|e| e.to != e.from) {
                out[e.from as usize] += 1;
                linked_to[e.to as usize] = true;
            }
        }
        // Targets (linked to) get dense positions; the graph's other nodes are leaves.
        const NONE: u32 = u32::MAX;
        let mut position = vec![NONE; self.id_bound];
        let mut target_ids: Vec<u32> = Vec::new();
        let mut inv_out: Vec<f32> = Vec::new();
        let mut leaves = RoaringBitmap::new();
        for m in 0..self.id_bound {
            if linked_to[m] {
                position[m] = inv_out.len() as u32;
                target_ids.push(m as u32);
                inv_out.push(if out[m] == 0 { 0.0 } else { 1.0 / out[m] as f32 });
            } else if out[m] > 0 {
                leaves.insert(m as u32);
            }
        }
        drop(linked_to);
        let nodes = target_ids.len() + leaves.len() as usize;
        let mut leaf_weight = vec![0.0f32; inv_out.len()];
        let mut inner: Vec<(u32, u32)> = Vec::new();
        for l in self.days_links(from, to) {
            for e in l.edges.iter().filter(|e| e.to != e.from) {
                let t = position[e.to as usize];
                match position[e.from as usize] {
                    NONE => leaf_weight[t as usize] += 1.0 / out[e.from as usize] as f32,
                    s => inner.push((s, t)),
                }
            }
        }
        drop((out, position));
        let (rank, leaf_rank) = rank_targets(nodes, 0.0, &inv_out, &leaf_weight, &inner);
        drop(inner);
        let targets: Vec<(u32, f32)> =
            target_ids.iter().zip(&rank).map(|(m, r)| (*m, (f64::from(*r) * nodes as f64) as f32)).collect();
        let mut top: Vec<(u32, f32)> = targets.clone();
        let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if top.len() > KOL_KEPT {
            top.select_nth_unstable_by(KOL_KEPT - 1, order);
            top.truncate(KOL_KEPT);
        }
        top.sort_by(order);
        KolRanking {
            from,
            to,
            links,
            targets,
            leaves,
            leaf_score: (leaf_rank * nodes as f64) as f32,
            top: top.into_iter().map(|(m, _)| m).collect(),
        }
    }
}

/// Members a [`KolRanking`] keeps in order (the dashboard shows 20).
pub const KOL_KEPT: usize = 100;

/// How much a range's links may grow before its KOL ranking is computed again: 1 %.
pub const KOL_REUSE_GROWTH: u64 = 100;

/// The KOL scores of a range's reply/reaction graph: PageRank scaled so the
/// graph's average member is 1. Members linked to keep their own score;
/// the others in the graph (who only replied and reacted) share the lowest.
#[derive(Debug, Clone, Default)]
pub struct KolRanking {
    pub from: Day,
    pub to: Day,
    /// The range's links when it was ranked.
    pub links: u64,
    /// (member, score) of members linked to, by member.
    targets: Vec<(u32, f32)>,
    leaves: RoaringBitmap,
    leaf_score: f32,
    /// The best [`KOL_KEPT`] members linked to, best first (ties by id).
    top: Vec<u32>,
}

impl KolRanking {
    /// A member's score (0: not in the graph).
    pub fn score(&self, m: u32) -> f64 {
        match self.targets.binary_search_by_key(&m, |t| t.0) {
            Ok(i) => f64::from(self.targets[i].1),
            Err(_) if self.leaves.contains(m) => f64::from(self.leaf_score),
            Err(_) => 0.0,
        }
    }

    /// Whether this ranking may stand for `[from, to]` now: the same range,
    /// and its links have grown by at most 1 % since (an influence ranking
    /// moves slowly; recomputing it is most of a large dashboard's cost).
    pub fn reusable(&self, log: &ActivityLog, from: Day, to: Day) -> bool {
        let now = log.links_between(from, to);
        (self.from, self.to) == (from, to) && now >= self.links && now - self.links <= self.links / KOL_REUSE_GROWTH
    }
}

/// PageRank of `n` nodes over directed `links` (parallel links add weight):
/// damping 0.85, a node without out-links spreads its rank over everyone,
/// iterated until the ranks change by less than 1e-6 (L1) or 50 rounds.
/// Ranks sum to 1.
///
/// Exact, with one saving: a node nobody links to (a member who only reacts
/// and replies — most of a large community) has the same rank as every other
/// such node in each round, so its links are folded once into a per-target
/// weight, and each round only walks the links between nodes that are linked to.
pub fn page_rank(n: usize, links: &[(u32, u32)]) -> Vec<f64> {
    if n == 0 {
        return vec![];
    }
    let mut out_degree = vec![0u32; n];
    let mut linked_to = vec![false; n];
    for &(s, t) in links {
        out_degree[s as usize] += 1;
        linked_to[t as usize] = true;
    }
    const LEAF: u32 = u32::MAX;
    let mut pos = vec![LEAF; n];
    let mut inv_out: Vec<f32> = Vec::new();
    for i in 0..n {
        if linked_to[i] {
            pos[i] = inv_out.len() as u32;
            inv_out.push(if out_degree[i] == 0 { 0.0 } else { 1.0 / out_degree[i] as f32 });
        }
    }
    let isolated = (0..n).filter(|i| !linked_to[*i] && out_degree[*i] == 0).count() as f64;
    let mut leaf_weight = vec![0.0f32; inv_out.len()];
    let mut inner: Vec<(u32, u32)> = Vec::new();
    for &(s, t) in links {
        let tp = pos[t as usize];
        match pos[s as usize] {
            LEAF => leaf_weight[tp as usize] += 1.0 / out_degree[s as usize] as f32,
            sp => inner.push((sp, tp)),
        }
    }
    let (rank, leaf_rank) = rank_targets(n, isolated, &inv_out, &leaf_weight, &inner);
    let mut out = vec![leaf_rank; n];
    for i in 0..n {
        if pos[i] != LEAF {
            out[i] = f64::from(rank[pos[i] as usize]);
        }
    }
    out
}

/// The PageRank rounds over `n` nodes of which the targets (nodes linked to)
/// are given by their 1/out-degree (0: none), the leaf weight of the links
/// they get from leaves, and the links between targets; `isolated` leaves
/// have no links at all. Returns the targets' ranks and every leaf's rank.
/// Ranks are f32 (half the memory traffic per round); sums are f64.
fn rank_targets(
    n: usize,
    isolated: f64,
    inv_out: &[f32],
    leaf_weight: &[f32],
    inner: &[(u32, u32)],
) -> (Vec<f32>, f64) {
    let targets = inv_out.len();
    let leaves = (n - targets) as f64;
    let base = (1.0 - DAMPING) / n as f64;
    let mut leaf_rank = 1.0 / n as f64;
    let mut rank = vec![(1.0 / n as f64) as f32; targets];
    let mut next = vec![0.0f32; targets];
    let mut share = vec![0.0f32; targets];
    for _ in 0..MAX_ITERATIONS {
        let mut dangling = isolated * leaf_rank;
        for i in 0..targets {
            if inv_out[i] == 0.0 {
                dangling += f64::from(rank[i]);
            }
            share[i] = DAMPING as f32 * rank[i] * inv_out[i];
        }
        let floor = base + DAMPING * dangling / n as f64;
        let from_leaves = DAMPING * leaf_rank;
        for (x, w) in next.iter_mut().zip(leaf_weight) {
            *x = (floor + from_leaves * f64::from(*w)) as f32;
        }
        // Pushed in the links' order: a sequential read, writes into a small array.
        for &(s, t) in inner {
            next[t as usize] += share[s as usize];
        }
        let change = leaves * (floor - leaf_rank).abs()
            + rank.iter().zip(&next).map(|(a, b)| f64::from((a - b).abs())).sum::<f64>();
        std::mem::swap(&mut rank, &mut next);
        leaf_rank = floor;
        if change < TOLERANCE {
            break;
        }
    }
    (rank, leaf_rank)
}
