//! Content figures: per topic, response times, the hour-of-week heatmap, top
//! contributors and KOL scores. Definitions in docs/analytics.md.

use std::collections::BTreeMap;

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
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] as f64 } else { (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0 })
}

impl ActivityLog {
    fn posts_in(&self, from: Day, to: Day) -> impl Iterator<Item = &super::PostStat> {
        self.posts_by_day.range(from..=to).flat_map(|(_, ids)| ids.iter().map(|i| &self.posts[*i as usize]))
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
        let mut by: BTreeMap<Option<i64>, Acc> = BTreeMap::new();
        for p in self.posts_in(from, to) {
            let a = by.entry(p.topic).or_default();
            a.posts += 1;
            a.posters.insert(p.author);
            if let Some(r) = p.first_reply_ms {
                a.waits.push(r - p.created_ms);
            }
        }
        for (_, edges) in self.edges.range(from..=to) {
            for e in edges {
                by.entry(self.posts[e.post as usize].topic).or_default().interactions += 1;
            }
        }
        let active = self.active_between(from, to).len();
        let mut out: Vec<TopicStat> = by
            .into_iter()
            .map(|(topic, a)| TopicStat {
                topic,
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
        let mut acc = vec![Acc::default(); self.id_bound];
        for p in self.posts_in(from, to) {
            acc[p.author as usize].posts += 1;
        }
        // The graph: an edge from whoever replied or reacted to the post's author.
        const NONE: u32 = u32::MAX;
        let mut node = vec![NONE; self.id_bound];
        let mut members: Vec<u32> = Vec::new();
        let mut links: Vec<(u32, u32)> = Vec::new();
        let mut index = |m: u32, node: &mut Vec<u32>| {
            let n = &mut node[m as usize];
            if *n == NONE {
                *n = members.len() as u32;
                members.push(m);
            }
            *n
        };
        for (_, edges) in self.edges.range(from..=to) {
            for e in edges {
                let to_member = self.posts[e.post as usize].author;
                if e.reaction {
                    if to_member != e.from {
                        acc[to_member as usize].reactions += 1;
                    }
                } else {
                    acc[e.from as usize].comments += 1;
                    if to_member != e.from {
                        acc[to_member as usize].replies += 1;
                    }
                }
                if to_member != e.from {
                    let s = index(e.from, &mut node);
                    let t = index(to_member, &mut node);
                    links.push((s, t));
                }
            }
        }
        let rank = page_rank(members.len(), &links);
        let n = members.len() as f64;
        let mut all: Vec<Contributor> = acc
            .iter()
            .enumerate()
            .filter(|(_, a)| a.posts + a.comments + a.replies + a.reactions > 0)
            .map(|(m, a)| Contributor {
                member: m as u32,
                posts: a.posts.into(),
                comments: a.comments.into(),
                replies_received: a.replies.into(),
                reactions_received: a.reactions.into(),
                kol_score: match node[m] {
                    NONE => 0.0,
                    i => rank[i as usize] * n,
                },
            })
            .collect();
        let top = |all: &mut Vec<Contributor>, key: &dyn Fn(&Contributor, &Contributor) -> std::cmp::Ordering| {
            let k = limit.min(all.len());
            if k > 0 && k < all.len() {
                all.select_nth_unstable_by(k - 1, |a, b| key(a, b));
            }
            let mut head: Vec<Contributor> = all[..k].to_vec();
            head.sort_by(|a, b| key(a, b));
            head
        };
        let by_posts = top(&mut all, &|a, b| {
            (b.posts, b.replies_received, b.reactions_received)
                .cmp(&(a.posts, a.replies_received, a.reactions_received))
                .then(a.member.cmp(&b.member))
        });
        let by_score = top(&mut all, &|a, b| b.kol_score.total_cmp(&a.kol_score).then(a.member.cmp(&b.member)));
        (by_posts, by_score)
    }
}

/// PageRank of `n` nodes over directed `links` (parallel links add weight):
/// damping 0.85, a node without out-links spreads its rank over everyone,
/// iterated until the ranks change by less than 1e-6 (L1) or 50 rounds.
/// Ranks sum to 1.
pub fn page_rank(n: usize, links: &[(u32, u32)]) -> Vec<f64> {
    if n == 0 {
        return vec![];
    }
    let mut out_degree = vec![0u32; n];
    for &(s, _) in links {
        out_degree[s as usize] += 1;
    }
    let base = (1.0 - DAMPING) / n as f64;
    let mut rank = vec![1.0 / n as f64; n];
    let mut next = vec![0.0; n];
    let mut share = vec![0.0; n];
    for _ in 0..MAX_ITERATIONS {
        let mut dangling = 0.0;
        for i in 0..n {
            if out_degree[i] == 0 {
                dangling += rank[i];
                share[i] = 0.0;
            } else {
                share[i] = DAMPING * rank[i] / f64::from(out_degree[i]);
            }
        }
        next.fill(base + DAMPING * dangling / n as f64);
        for &(s, t) in links {
            next[t as usize] += share[s as usize];
        }
        let change: f64 = rank.iter().zip(&next).map(|(a, b)| (a - b).abs()).sum();
        std::mem::swap(&mut rank, &mut next);
        if change < TOLERANCE {
            break;
        }
    }
    rank
}
