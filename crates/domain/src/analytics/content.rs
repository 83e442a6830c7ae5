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
        let summarize = |question_only: bool| {
            let (mut posts, mut waits) = (0, Vec::new());
            for p in self.posts_in(from, to).filter(|p| !question_only || p.question) {
                posts += 1;
                if let Some(r) = p.first_reply_ms {
                    waits.push(r - p.created_ms);
                }
            }
            let answered = waits.len() as u64;
            Response {
                posts,
                answered,
                rate: ratio(answered, posts),
                median_minutes: median(waits).map(|ms| ms / 60_000.0),
            }
        };
        (summarize(false), summarize(true))
    }

    /// Per topic over `[from, to]`, most posts first.
    pub fn topics(&self, from: Day, to: Day) -> Vec<TopicStat> {
        #[derive(Default)]
        struct Acc {
            posts: u64,
            posters: RoaringBitmap,
            interactions: u64,
            waits: Vec<i64>,
        }
        let mut by: Vec<Acc> = (0..self.topics.len()).map(|_| Acc::default()).collect();
        for p in self.posts_in(from, to) {
            let a = &mut by[p.topic as usize];
            a.posts += 1;
            a.posters.insert(p.author);
            if let Some(r) = p.first_reply_ms {
                a.waits.push(r - p.created_ms);
            }
        }
        for (_, c) in self.content.range(from..=to.max(from)).filter(|_| from <= to) {
            for (slot, n) in c.topic_interactions.iter().enumerate() {
                by[slot].interactions += u64::from(*n);
            }
        }
        let active = self.active_between(from, to).len();
        let mut out: Vec<TopicStat> = by
            .into_iter()
            .enumerate()
            .filter(|(_, a)| a.posts + a.interactions > 0)
            .map(|(slot, a)| TopicStat {
                topic: self.topics[slot],
                posts: a.posts,
                posters: a.posters.len(),
                posting_rate: ratio(a.posters.len(), active),
                interactions: a.interactions,
                interaction_rate: ratio(a.interactions, a.posts),
                response_rate: ratio(a.waits.len() as u64, a.posts),
                median_first_reply_minutes: median(a.waits).map(|ms| ms / 60_000.0),
            })
            .collect();
        out.sort_by(|a, b| b.posts.cmp(&a.posts).then(b.interactions.cmp(&a.interactions)).then(a.topic.cmp(&b.topic)));
        out
    }

    /// The 168 hours of the week (Monday 00h first): posts created in
    /// `[from, to]` in that local hour and the interactions they received.
    pub fn hour_of_week(&self, from: Day, to: Day) -> Vec<HeatCell> {
        let mut cells = [(0u64, 0u64); 168];
        for p in self.posts_in(from, to) {
            let c = &mut cells[p.hour_of_week as usize % 168];
            c.0 += 1;
            c.1 += u64::from(p.interactions);
        }
        cells
            .iter()
            .enumerate()
            .map(|(i, &(posts, interactions))| HeatCell {
                weekday: (i / 24) as u8,
                hour: (i % 24) as u8,
                posts,
                interactions,
                average: ratio(interactions, posts),
            })
            .collect()
    }

    /// Contributors of `[from, to]`: the top `limit` by posts (then replies and
    /// reactions received), and the top `limit` by KOL score.
    pub fn contributors(&self, from: Day, to: Day, limit: usize) -> (Vec<Contributor>, Vec<Contributor>) {
        #[derive(Default, Clone, Copy)]
        struct Acc {
            posts: u32,
            comments: u32,
            replies: u32,
            reactions: u32,
        }
        // Per member id: counts, and whether they are in the graph (have a link).
        let mut acc = vec![Acc::default(); self.id_bound];
        let mut in_graph = vec![false; self.id_bound];
        for p in self.posts_in(from, to) {
            acc[p.author as usize].posts += 1;
        }
        let edges: Vec<&Vec<super::Edge>> =
            self.edges.range(from..=to.max(from)).filter(|_| from <= to).map(|(_, e)| e).collect();
        // The graph: a link from whoever replied or reacted to the post's author.
        let mut links: Vec<(u32, u32)> = Vec::with_capacity(edges.iter().map(|e| e.len()).sum());
        for e in edges.iter().copied().flatten() {
            if !e.reaction {
                acc[e.from as usize].comments += 1;
            }
            if e.to == e.from {
                continue;
            }
            let t = &mut acc[e.to as usize];
            if e.reaction {
                t.reactions += 1;
            } else {
                t.replies += 1;
            }
            in_graph[e.from as usize] = true;
            in_graph[e.to as usize] = true;
            links.push((e.from, e.to));
        }
        // Graph positions in member id order.
        const NONE: u32 = u32::MAX;
        let mut position = vec![NONE; self.id_bound];
        let mut n = 0u32;
        for (m, _) in in_graph.iter().enumerate().filter(|(_, g)| **g) {
            position[m] = n;
            n += 1;
        }
        drop(in_graph);
        for l in &mut links {
            *l = (position[l.0 as usize], position[l.1 as usize]);
        }
        let rank = page_rank(n as usize, &links);
        drop(links);
        let score = |m: usize| match position[m] {
            NONE => 0.0,
            p => rank[p as usize] * f64::from(n),
        };
        let row = |m: u32| {
            let a = acc[m as usize];
            Contributor {
                member: m,
                posts: a.posts.into(),
                comments: a.comments.into(),
                replies_received: a.replies.into(),
                reactions_received: a.reactions.into(),
                kol_score: score(m as usize),
            }
        };
        // The top `limit` of the members taking part, by a key, best first.
        let top = |key: &dyn Fn(u32, u32) -> std::cmp::Ordering| {
            let mut ids: Vec<u32> = (0..self.id_bound as u32)
                .filter(|m| {
                    let a = acc[*m as usize];
                    a.posts + a.comments + a.replies + a.reactions > 0
                })
                .collect();
            let k = limit.min(ids.len());
            if k > 0 && k < ids.len() {
                ids.select_nth_unstable_by(k - 1, |a, b| key(*a, *b));
            }
            ids.truncate(k);
            ids.sort_by(|a, b| key(*a, *b));
            ids.into_iter().map(row).collect::<Vec<_>>()
        };
        let by_posts = top(&|a, b| {
            let (x, y) = (acc[a as usize], acc[b as usize]);
            (y.posts, y.replies, y.reactions).cmp(&(x.posts, x.replies, x.reactions)).then(a.cmp(&b))
        });
        let by_score = top(&|a, b| score(b as usize).total_cmp(&score(a as usize)).then(a.cmp(&b)));
        (by_posts, by_score)
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
    let mut in_degree = vec![0u32; n];
    for &(s, t) in links {
        out_degree[s as usize] += 1;
        in_degree[t as usize] += 1;
    }
    // Targets (nodes with in-links) get dense positions; the rest are leaves.
    const LEAF: u32 = u32::MAX;
    let mut pos = vec![LEAF; n];
    let mut targets: Vec<u32> = Vec::new();
    for i in 0..n {
        if in_degree[i] > 0 {
            pos[i] = targets.len() as u32;
            targets.push(i as u32);
        }
    }
    drop(in_degree);
    let leaves = (n - targets.len()) as f64;
    // Leaves without out-links either (isolated nodes) dangle.
    let isolated = (0..n).filter(|i| pos[*i] == LEAF && out_degree[*i] == 0).count() as f64;
    // Per target: the leaf weight Σ 1/out(s), and the links from other targets.
    let mut leaf_weight = vec![0.0f64; targets.len()];
    let mut inner: Vec<(u32, u32)> = Vec::new();
    for &(s, t) in links {
        let (sp, tp) = (pos[s as usize], pos[t as usize]);
        if sp == LEAF {
            leaf_weight[tp as usize] += 1.0 / f64::from(out_degree[s as usize]);
        } else {
            inner.push((sp, tp));
        }
    }
    let inv_out: Vec<f64> = targets
        .iter()
        .map(|&t| if out_degree[t as usize] == 0 { 0.0 } else { 1.0 / f64::from(out_degree[t as usize]) })
        .collect();
    drop(out_degree);
    let base = (1.0 - DAMPING) / n as f64;
    let mut leaf_rank = 1.0 / n as f64;
    let mut rank = vec![1.0 / n as f64; targets.len()];
    let mut next = vec![0.0; targets.len()];
    let mut share = vec![0.0; targets.len()];
    for _ in 0..MAX_ITERATIONS {
        let mut dangling = isolated * leaf_rank;
        for i in 0..targets.len() {
            if inv_out[i] == 0.0 {
                dangling += rank[i];
            }
            share[i] = DAMPING * rank[i] * inv_out[i];
        }
        let floor = base + DAMPING * dangling / n as f64;
        let from_leaves = DAMPING * leaf_rank;
        for (x, w) in next.iter_mut().zip(&leaf_weight) {
            *x = floor + from_leaves * w;
        }
        // Pushed in the links' order: a sequential read, writes into a small array.
        for &(s, t) in &inner {
            next[t as usize] += share[s as usize];
        }
        let change =
            leaves * (floor - leaf_rank).abs() + rank.iter().zip(&next).map(|(a, b)| (a - b).abs()).sum::<f64>();
        std::mem::swap(&mut rank, &mut next);
        leaf_rank = floor;
        if change < TOLERANCE {
            break;
        }
    }
    let mut out = vec![leaf_rank; n];
    for (p, &t) in targets.iter().enumerate() {
        out[t as usize] = rank[p];
    }
    out
}
