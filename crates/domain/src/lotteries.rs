//! Lotteries (抽奖) anyone can verify: commit before, reveal after.
//!
//! When a lottery is created the server picks a secret and publishes its
//! commitment, `SHA-256(secret)`. Members enter until the window closes;
//! each entry gets a ticket (a random code only its holder is told is
//! theirs). At the draw, the seed combines the secret with values nobody
//! knew while entries were open: the hash of the final entries list and an
//! optional value the operator announces (in the spirit of RFC 3797, e.g. a
//! lottery number drawn on TV after the close). Afterwards the secret, the
//! entries, the algorithm and the winners are published, and
//! [`verify`] (also `yaji lottery verify`) recomputes everything.
//!
//! Algorithm `yaji-lottery-v1`, all hashes SHA-256, hex in lower case:
//! - `commitment = sha256(secret)` where `secret` is the ASCII of its hex;
//! - `entries_hash = sha256(ticket_1 "\n" ticket_2 … ticket_n)`, tickets in
//!   entry order (every entry, eligible or not);
//! - `seed = sha256(secret "\n" entries_hash "\n" operator_value)`;
//! - random numbers: block `i` (0, 1, …) is `sha256(seed_bytes ‖ i as u64
//!   big-endian)`, read as a big-endian u64 from its first 8 bytes; a number
//!   below `n` is the first block `x` with `x < 2^64 − (2^64 mod n)`, taken
//!   `x mod n` (rejection sampling: no modulo bias);
//! - the pool is the eligible entries in entry order; for each prize slot
//!   (prizes in order, each repeated `quantity` times) pick `j` below the
//!   pool's length, the winner is `pool[j]`, then remove every entry of that
//!   member from the pool (one prize per member), keeping the order.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{bounded, invalid, Invalid};

pub const ALGORITHM: &str = "yaji-lottery-v1";
pub const MAX_PRIZES: usize = 20;
pub const MAX_QUANTITY: i64 = 1000;
pub const MAX_ENTRIES_PER_MEMBER: i64 = 100;
pub const MAX_COST: i64 = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prize {
    pub name: String,
    pub quantity: i64,
}

/// Who may win, evaluated at the draw. Every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    #[serde(default)]
    pub segment_id: Option<i64>,
    #[serde(default)]
    pub min_level: Option<i64>,
    #[serde(default)]
    pub min_points: Option<i64>,
    /// A streak of at least `streak_days` (longest) in challenge `challenge_id`.
    #[serde(default)]
    pub challenge_id: Option<i64>,
    #[serde(default)]
    pub streak_days: Option<i64>,
    /// Members who joined the community before this local date ("2026-12-01").
    #[serde(default)]
    pub joined_before: Option<String>,
    /// People registered for gathering `event_id` (registered or attended),
    /// or with `event_attended` only those who came.
    #[serde(default)]
    pub event_id: Option<i64>,
    #[serde(default)]
    pub event_attended: bool,
}

/// A lottery as staff send it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LotteryInput {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    pub prizes: Vec<Prize>,
    /// Local date and time in the community's zone ("2026-12-31T20:00"), or RFC 3339.
    pub entries_close_at: String,
    /// When entries open (same forms); default: now.
    #[serde(default)]
    pub entries_open_at: Option<String>,
    #[serde(default)]
    pub eligibility: Option<Eligibility>,
    /// Points each entry costs (0: free).
    #[serde(default)]
    pub cost: Option<i64>,
    /// Entries one member may make (default 1).
    #[serde(default)]
    pub max_entries: Option<i64>,
    #[serde(default)]
    pub staff_can_win: Option<bool>,
}

/// A checked lottery definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotteryDef {
    pub title: String,
    pub description: String,
    pub prizes: Vec<Prize>,
    pub opens_at: i64,
    pub closes_at: i64,
    pub eligibility: Eligibility,
    pub cost: i64,
    pub max_entries: i64,
    pub staff_can_win: bool,
}

pub use crate::time::instant;

impl LotteryInput {
    pub fn validate(self, tz: Tz, now: i64) -> Invalid<LotteryDef> {
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 80 {
            return Err(invalid("title", "invalid_length", "a title is 1-80 characters"));
        }
        let description = self.description.unwrap_or_default().trim().to_string();
        if description.chars().count() > 5000 {
            return Err(invalid("description", "too_long", "at most 5000 characters"));
        }
        if self.prizes.is_empty() || self.prizes.len() > MAX_PRIZES {
            return Err(invalid("prizes", "invalid_length", format!("1 to {MAX_PRIZES} prizes")));
        }
        let mut prizes = vec![];
        for p in self.prizes {
            let name = p.name.trim().to_string();
            if name.is_empty() || name.chars().count() > 60 {
                return Err(invalid("prizes", "invalid_length", "a prize's name is 1-60 characters"));
            }
            if !(1..=MAX_QUANTITY).contains(&p.quantity) {
                return Err(invalid("prizes", "out_of_range", format!("a prize's quantity is 1 to {MAX_QUANTITY}")));
            }
            prizes.push(Prize { name, quantity: p.quantity });
        }
        let closes_at = instant("entries_close_at", &self.entries_close_at, tz)?;
        let opens_at = match self.entries_open_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => instant("entries_open_at", s, tz)?,
            None => now,
        };
        if closes_at <= now {
            return Err(invalid("entries_close_at", "out_of_range", "entries close in the future"));
        }
        if closes_at <= opens_at {
            return Err(invalid("entries_close_at", "out_of_range", "entries close after they open"));
        }
        if closes_at - now > 366 * crate::DAY_MS {
            return Err(invalid("entries_close_at", "out_of_range", "entries close within a year"));
        }
        let cost = bounded("cost", self.cost, 0, 0..=MAX_COST, "points")?;
        let max_entries = bounded("max_entries", self.max_entries, 1, 1..=MAX_ENTRIES_PER_MEMBER, "entries")?;
        let e = self.eligibility.unwrap_or_default();
        if e.min_level.is_some_and(|l| !(1..=crate::points::MAX_LEVELS as i64).contains(&l)) {
            return Err(invalid("eligibility.min_level", "out_of_range", "a level from 1 up"));
        }
        if e.min_points.is_some_and(|p| p < 0) {
            return Err(invalid("eligibility.min_points", "out_of_range", "0 or more points"));
        }
        if e.challenge_id.is_some() != e.streak_days.is_some() {
            return Err(invalid("eligibility.streak_days", "required", "a streak names a challenge and its days"));
        }
        if e.event_attended && e.event_id.is_none() {
            return Err(invalid("eligibility.event_id", "required", "name the gathering people came to"));
        }
        if e.streak_days.is_some_and(|d| !(1..=3650).contains(&d)) {
            return Err(invalid("eligibility.streak_days", "out_of_range", "1 to 3650 days"));
        }
        if let Some(d) = e.joined_before.as_deref().filter(|d| !d.trim().is_empty()) {
            if chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").is_err() {
                return Err(invalid("eligibility.joined_before", "invalid_date", "a date like 2026-12-01"));
            }
        }
        Ok(LotteryDef {
            title,
            description,
            prizes,
            opens_at,
            closes_at,
            eligibility: e,
            cost,
            max_entries,
            staff_can_win: self.staff_can_win.unwrap_or(false),
        })
    }
}

/// Where a lottery stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Upcoming,
    Open,
    /// Entries closed, not drawn yet.
    Closed,
    Drawn,
}

pub fn phase(def: &LotteryDef, drawn: bool, now: i64) -> Phase {
    if drawn {
        Phase::Drawn
    } else if now < def.opens_at {
        Phase::Upcoming
    } else if now < def.closes_at {
        Phase::Open
    } else {
        Phase::Closed
    }
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn commitment(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

pub fn entries_hash(tickets: &[String]) -> String {
    sha256_hex(tickets.join("\n").as_bytes())
}

pub fn seed(secret: &str, entries_hash: &str, operator_value: &str) -> String {
    sha256_hex(format!("{secret}\n{entries_hash}\n{operator_value}").as_bytes())
}

/// The deterministic stream of uniform numbers from a seed.
pub struct Stream {
    seed: Vec<u8>,
    block: u64,
}

impl Stream {
    pub fn new(seed_hex: &str) -> Stream {
        Stream { seed: hex::decode(seed_hex).unwrap_or_else(|_| seed_hex.as_bytes().to_vec()), block: 0 }
    }

    fn next_u64(&mut self) -> u64 {
        let mut h = Sha256::new();
        h.update(&self.seed);
        h.update(self.block.to_be_bytes());
        self.block += 1;
        let d = h.finalize();
        u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
    }

    /// A uniform number below `n` (> 0), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        // Values at or above the largest multiple of n are redrawn.
        let zone = u64::MAX - (u64::MAX % n + 1) % n;
        loop {
            let x = self.next_u64();
            if x <= zone {
                return x % n;
            }
        }
    }
}

/// One entry as the draw sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub ticket: String,
    /// Who holds it (pseudonymous in published results: the member's id in this lottery).
    pub holder: i64,
    pub eligible: bool,
}

/// A winner: the index into the entries, and the prize.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    pub entry: usize,
    pub prize: String,
}

/// Draws the winners from `entries` (in entry order) with `seed`.
pub fn draw(seed_hex: &str, entries: &[Entry], prizes: &[Prize]) -> Vec<Pick> {
    let mut rng = Stream::new(seed_hex);
    let mut pool: Vec<usize> = (0..entries.len()).filter(|i| entries[*i].eligible).collect();
    let mut out = vec![];
    for p in prizes {
        for _ in 0..p.quantity {
            if pool.is_empty() {
                return out;
            }
            let j = rng.below(pool.len() as u64) as usize;
            let won = pool[j];
            let holder = entries[won].holder;
            pool.retain(|i| entries[*i].holder != holder);
            out.push(Pick { entry: won, prize: p.name.clone() });
        }
    }
    out
}

/// A published result, as `verify` reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct Published {
    pub algorithm: String,
    pub commitment: String,
    pub secret: Option<String>,
    #[serde(default)]
    pub operator_value: String,
    pub entries: Vec<Entry>,
    pub entries_hash: Option<String>,
    pub seed: Option<String>,
    pub prizes: Vec<Prize>,
    pub winners: Vec<PublishedWinner>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PublishedWinner {
    pub ticket: String,
    pub prize: String,
}

/// What [`verify`] found: each check, and the winners it computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub commitment_ok: bool,
    pub entries_hash_ok: bool,
    pub seed_ok: bool,
    pub winners_ok: bool,
    /// (ticket, prize) as recomputed.
    pub winners: Vec<(String, String)>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.commitment_ok && self.entries_hash_ok && self.seed_ok && self.winners_ok
    }
}

/// Recomputes a published result from its own data.
pub fn verify(p: &Published) -> Result<Verdict, String> {
    if p.algorithm != ALGORITHM {
        return Err(format!("unknown algorithm {} (this verifier knows {ALGORITHM})", p.algorithm));
    }
    let secret = p.secret.as_deref().ok_or("not drawn yet: the secret is not published")?;
    let tickets: Vec<String> = p.entries.iter().map(|e| e.ticket.clone()).collect();
    let hash = entries_hash(&tickets);
    let seed = seed(secret, &hash, &p.operator_value);
    let picks = draw(&seed, &p.entries, &p.prizes);
    let winners: Vec<(String, String)> =
        picks.iter().map(|w| (p.entries[w.entry].ticket.clone(), w.prize.clone())).collect();
    let published: Vec<(String, String)> = p.winners.iter().map(|w| (w.ticket.clone(), w.prize.clone())).collect();
    Ok(Verdict {
        commitment_ok: commitment(secret) == p.commitment,
        entries_hash_ok: p.entries_hash.as_deref() == Some(hash.as_str()),
        seed_ok: p.seed.as_deref() == Some(seed.as_str()),
        winners_ok: winners == published,
        winners,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(n: usize) -> Vec<Entry> {
        (0..n).map(|i| Entry { ticket: format!("t{i:03}"), holder: (i % 40) as i64, eligible: i % 7 != 3 }).collect()
    }

    #[test]
    fn below_is_uniform_and_in_range() {
        let mut s = Stream::new(&seed("s", "h", ""));
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            let x = s.below(6);
            counts[x as usize] += 1;
        }
        // Each face within 4 % of 10 000.
        assert!(counts.iter().all(|c| (9_600..=10_400).contains(c)), "{counts:?}");
        assert_eq!(Stream::new("ab").below(1), 0);
        // The rejection zone: n = 2^63 + 1 leaves one value per 2^63 usable window.
        let mut s = Stream::new("00");
        for _ in 0..100 {
            assert!(s.below((1 << 63) + 1) <= 1 << 63);
        }
    }

    #[test]
    fn the_draw_is_deterministic_one_prize_per_member_and_only_eligible() {
        let e = entries(100);
        let prizes = vec![Prize { name: "一等奖".into(), quantity: 1 }, Prize { name: "二等奖".into(), quantity: 5 }];
        let s = seed("secret", &entries_hash(&e.iter().map(|e| e.ticket.clone()).collect::<Vec<_>>()), "42");
        let a = draw(&s, &e, &prizes);
        assert_eq!(a, draw(&s, &e, &prizes));
        assert_eq!(a.len(), 6);
        assert_eq!(a.iter().filter(|w| w.prize == "一等奖").count(), 1);
        let holders: std::collections::HashSet<i64> = a.iter().map(|w| e[w.entry].holder).collect();
        assert_eq!(holders.len(), 6);
        assert!(a.iter().all(|w| e[w.entry].eligible));
        // Another operator value, another draw.
        let s2 = seed("secret", &entries_hash(&e.iter().map(|e| e.ticket.clone()).collect::<Vec<_>>()), "43");
        assert_ne!(a, draw(&s2, &e, &prizes));
        // More prizes than members: each member wins once, the rest stay undrawn.
        let few = entries(3);
        assert_eq!(draw(&s, &few, &[Prize { name: "x".into(), quantity: 10 }]).len(), 3);
    }

    #[test]
    fn verify_catches_any_change_to_the_published_result() {
        let e = entries(30);
        let prizes = vec![Prize { name: "book".into(), quantity: 3 }];
        let tickets: Vec<String> = e.iter().map(|e| e.ticket.clone()).collect();
        let (secret, hash) = ("a1b2", entries_hash(&tickets));
        let s = seed(secret, &hash, "");
        let winners = draw(&s, &e, &prizes)
            .iter()
            .map(|w| PublishedWinner { ticket: e[w.entry].ticket.clone(), prize: w.prize.clone() })
            .collect();
        let good = Published {
            algorithm: ALGORITHM.into(),
            commitment: commitment(secret),
            secret: Some(secret.into()),
            operator_value: String::new(),
            entries: e.clone(),
            entries_hash: Some(hash),
            seed: Some(s),
            prizes,
            winners,
        };
        assert!(verify(&good).unwrap().ok());
        let mut bad = good.clone();
        bad.secret = Some("a1b3".into());
        assert!(!verify(&bad).unwrap().commitment_ok);
        let mut bad = good.clone();
        bad.entries.swap(0, 1);
        let v = verify(&bad).unwrap();
        assert!(!v.entries_hash_ok);
        let mut bad = good.clone();
        bad.winners[0].ticket = "t999".into();
        assert!(!verify(&bad).unwrap().winners_ok);
        let mut bad = good;
        bad.secret = None;
        assert!(verify(&bad).is_err());
    }

    #[test]
    fn inputs_are_checked_field_by_field() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let now = 1_800_000_000_000;
        let ok = || LotteryInput {
            title: "年终抽奖".into(),
            prizes: vec![Prize { name: "茶饼".into(), quantity: 2 }],
            entries_close_at: "2027-01-20T20:00".into(),
            ..Default::default()
        };
        let d = ok().validate(tz, now).unwrap();
        assert_eq!((d.max_entries, d.cost, d.staff_can_win, d.opens_at), (1, 0, false, now));
        assert_eq!(d.closes_at, instant("x", "2027-01-20T12:00:00Z", tz).unwrap());
        let field = |i: LotteryInput| i.validate(tz, now).unwrap_err().field;
        assert_eq!(field(LotteryInput { prizes: vec![], ..ok() }), "prizes");
        assert_eq!(field(LotteryInput { prizes: vec![Prize { name: "x".into(), quantity: 0 }], ..ok() }), "prizes");
        assert_eq!(field(LotteryInput { entries_close_at: "2020-01-01T00:00".into(), ..ok() }), "entries_close_at");
        assert_eq!(field(LotteryInput { entries_close_at: "soon".into(), ..ok() }), "entries_close_at");
        assert_eq!(field(LotteryInput { max_entries: Some(0), ..ok() }), "max_entries");
        let streak = Eligibility { challenge_id: Some(1), ..Default::default() };
        assert_eq!(field(LotteryInput { eligibility: Some(streak), ..ok() }), "eligibility.streak_days");
    }
}
