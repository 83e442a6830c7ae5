//! Polls inside a post: single choice, multiple choice (with a maximum),
//! ranked choice (instant-runoff result) and a numeric scale; anonymous or
//! public; a close time; results shown always, after voting, or after the
//! close. Pure rules: checking a poll and a ballot, counting, and the
//! instant runoff.

use serde::{Deserialize, Serialize};

use crate::error::{invalid, Invalid};

pub const MAX_OPTIONS: usize = 20;
const MAX_OPTION_CHARS: usize = 100;
const MAX_QUESTION_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PollKind {
    Single,
    Multiple,
    Ranked,
    Scale,
}

impl PollKind {
    pub fn parse(s: &str) -> Invalid<PollKind> {
        Ok(match s.trim() {
            "single" | "" => PollKind::Single,
            "multiple" => PollKind::Multiple,
            "ranked" => PollKind::Ranked,
            "scale" => PollKind::Scale,
            _ => return Err(invalid("poll.kind", "invalid_choice", "kind is single, multiple, ranked or scale")),
        })
    }
}

/// When voters see the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reveal {
    Always,
    /// Once they voted (and to everyone after the close).
    AfterVote,
    AfterClose,
}

impl Reveal {
    pub fn parse(s: &str) -> Invalid<Reveal> {
        Ok(match s.trim() {
            "" | "after_vote" => Reveal::AfterVote,
            "always" => Reveal::Always,
            "after_close" => Reveal::AfterClose,
            _ => return Err(invalid("poll.results", "invalid_choice", "results is always, after_vote or after_close")),
        })
    }
}

/// A poll as the author writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PollInput {
    pub question: String,
    #[serde(default)]
    pub kind: String,
    /// The choices; for a scale, leave empty and give `scale_min`/`scale_max`.
    #[serde(default)]
    pub options: Vec<String>,
    /// Multiple choice: the most a voter may pick (default: all).
    #[serde(default)]
    pub max_choices: Option<i64>,
    #[serde(default)]
    pub scale_min: Option<i64>,
    #[serde(default)]
    pub scale_max: Option<i64>,
    /// Votes are not shown by name (the default).
    #[serde(default)]
    pub anonymous: Option<bool>,
    /// `always`, `after_vote` (default) or `after_close`.
    #[serde(default)]
    pub results: String,
}

/// A checked poll (the close time is the caller's: it knows the time zone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollDef {
    pub question: String,
    pub kind: PollKind,
    pub options: Vec<String>,
    pub max_choices: i64,
    pub anonymous: bool,
    pub reveal: Reveal,
}

impl PollInput {
    pub fn validate(&self) -> Invalid<PollDef> {
        let question = self.question.trim().to_string();
        if question.is_empty() || question.chars().count() > MAX_QUESTION_CHARS {
            return Err(invalid("poll.question", "invalid_length", "a poll's question is 1-200 characters"));
        }
        let kind = PollKind::parse(&self.kind)?;
        let options: Vec<String> = if kind == PollKind::Scale {
            let (lo, hi) = (self.scale_min.unwrap_or(1), self.scale_max.unwrap_or(5));
            if !(0..=1).contains(&lo) || !(2..=10).contains(&hi) {
                return Err(invalid("poll.scale_max", "out_of_range", "a scale runs from 0 or 1 up to 2-10"));
            }
            (lo..=hi).map(|n| n.to_string()).collect()
        } else {
            let opts: Vec<String> = self.options.iter().map(|o| o.trim().to_string()).collect();
            if opts.len() < 2 || opts.len() > MAX_OPTIONS {
                return Err(invalid("poll.options", "invalid_options", "a poll has 2 to 20 options"));
            }
            if opts.iter().any(|o| o.is_empty() || o.chars().count() > MAX_OPTION_CHARS) {
                return Err(invalid("poll.options", "invalid_length", "each option is 1-100 characters"));
            }
            let mut seen = std::collections::HashSet::new();
            if !opts.iter().all(|o| seen.insert(o.to_lowercase())) {
                return Err(invalid("poll.options", "duplicate_option", "options must differ"));
            }
            opts
        };
        let n = options.len() as i64;
        let max_choices = match (kind, self.max_choices) {
            (PollKind::Multiple, Some(m)) if !(1..=n).contains(&m) => {
                return Err(invalid("poll.max_choices", "out_of_range", "between 1 and the number of options"))
            }
            (PollKind::Multiple, Some(m)) => m,
            (PollKind::Multiple, None) | (PollKind::Ranked, _) => n,
            _ => 1,
        };
        Ok(PollDef {
            question,
            kind,
            options,
            max_choices,
            anonymous: self.anonymous.unwrap_or(true),
            reveal: Reveal::parse(&self.results)?,
        })
    }
}

/// Checks a ballot — option indexes (0-based), in preference order for a
/// ranked poll — against the poll.
pub fn check_ballot(def: &PollDef, picks: &[usize]) -> Invalid<()> {
    let n = def.options.len();
    if picks.is_empty() {
        return Err(invalid("option_ids", "required", "pick at least one option"));
    }
    if picks.iter().any(|p| *p >= n) {
        return Err(invalid("option_ids", "unknown_option", "not an option of this poll"));
    }
    let mut seen = vec![false; n];
    for p in picks {
        if std::mem::replace(&mut seen[*p], true) {
            return Err(invalid("option_ids", "duplicate_option", "each option once"));
        }
    }
    let most = match def.kind {
        PollKind::Single | PollKind::Scale => 1,
        PollKind::Multiple | PollKind::Ranked => def.max_choices as usize,
    };
    if picks.len() > most {
        return Err(invalid("option_ids", "too_many", format!("pick at most {most}")));
    }
    Ok(())
}

/// Whether a voter sees the counts now.
pub fn results_visible(reveal: Reveal, voted: bool, closed: bool, is_author_or_staff: bool) -> bool {
    closed
        || match reveal {
            Reveal::Always => true,
            Reveal::AfterVote => voted || is_author_or_staff,
            Reveal::AfterClose => false,
        }
}

/// Votes per option: every pick counts once (first preferences only for a
/// ranked poll, whose result is the runoff).
pub fn tally(n: usize, kind: PollKind, ballots: &[Vec<usize>]) -> Vec<i64> {
    let mut out = vec![0; n];
    for b in ballots {
        let picks: &[usize] = if kind == PollKind::Ranked { &b[..b.len().min(1)] } else { b };
        for p in picks {
            out[*p] += 1;
        }
    }
    out
}

/// One round of an instant runoff: each continuing option's votes, and the
/// option eliminated after it (none in the final round).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Round {
    pub counts: Vec<Option<i64>>,
    pub eliminated: Option<usize>,
}

/// Instant-runoff voting: each ballot counts for its highest-ranked option
/// still in the running; while no option has more than half of the ballots
/// still counting, the option with the fewest votes is eliminated (ties: the
/// one with fewer first preferences, then the later-listed one). Returns the
/// rounds and the winner (none without ballots).
pub fn instant_runoff(n: usize, ballots: &[Vec<usize>]) -> (Vec<Round>, Option<usize>) {
    let firsts = tally(n, PollKind::Ranked, ballots);
    let mut running = vec![true; n];
    let mut rounds = vec![];
    loop {
        let mut counts = vec![0i64; n];
        let mut live = 0;
        for b in ballots {
            if let Some(p) = b.iter().find(|p| running[**p]) {
                counts[*p] += 1;
                live += 1;
            }
        }
        let left: Vec<usize> = (0..n).filter(|i| running[*i]).collect();
        let shown = (0..n).map(|i| running[i].then_some(counts[i])).collect();
        if live == 0 {
            rounds.push(Round { counts: shown, eliminated: None });
            return (rounds, None);
        }
        let top = *left.iter().max_by_key(|i| (counts[**i], -(**i as i64))).expect("an option is left");
        if counts[top] * 2 > live || left.len() == 1 {
            rounds.push(Round { counts: shown, eliminated: None });
            return (rounds, Some(top));
        }
        let out = *left.iter().min_by_key(|i| (counts[**i], firsts[**i], -(**i as i64))).expect("an option is left");
        running[out] = false;
        rounds.push(Round { counts: shown, eliminated: Some(out) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: &str, options: &[&str]) -> PollInput {
        PollInput {
            question: "哪天合适？".into(),
            kind: kind.into(),
            options: options.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn polls_are_checked() {
        let d = input("multiple", &["周五", "周六", "周日"]).validate().unwrap();
        assert_eq!((d.kind, d.max_choices, d.anonymous, d.reveal), (PollKind::Multiple, 3, true, Reveal::AfterVote));
        let s = input("scale", &[]).validate().unwrap();
        assert_eq!(s.options, ["1", "2", "3", "4", "5"]);
        let nps = PollInput { scale_min: Some(0), scale_max: Some(10), ..input("scale", &[]) }.validate().unwrap();
        assert_eq!(nps.options.len(), 11);
        let field = |i: PollInput| i.validate().unwrap_err().field;
        assert_eq!(field(input("single", &["一"])), "poll.options");
        assert_eq!(field(input("single", &["一", "一"])), "poll.options");
        assert_eq!(field(input("vote", &["一", "二"])), "poll.kind");
        assert_eq!(field(PollInput { question: " ".into(), ..input("single", &["一", "二"]) }), "poll.question");
        assert_eq!(field(PollInput { max_choices: Some(4), ..input("multiple", &["一", "二"]) }), "poll.max_choices");
        assert_eq!(field(PollInput { results: "never".into(), ..input("single", &["一", "二"]) }), "poll.results");
    }

    #[test]
    fn ballots_are_checked() {
        let single = input("single", &["a", "b", "c"]).validate().unwrap();
        assert!(check_ballot(&single, &[1]).is_ok());
        assert_eq!(check_ballot(&single, &[0, 1]).unwrap_err().code, "too_many");
        assert_eq!(check_ballot(&single, &[]).unwrap_err().code, "required");
        assert_eq!(check_ballot(&single, &[3]).unwrap_err().code, "unknown_option");
        let multi = PollInput { max_choices: Some(2), ..input("multiple", &["a", "b", "c"]) }.validate().unwrap();
        assert!(check_ballot(&multi, &[0, 2]).is_ok());
        assert_eq!(check_ballot(&multi, &[0, 1, 2]).unwrap_err().code, "too_many");
        assert_eq!(check_ballot(&multi, &[0, 0]).unwrap_err().code, "duplicate_option");
        let ranked = input("ranked", &["a", "b", "c"]).validate().unwrap();
        assert!(check_ballot(&ranked, &[2, 0, 1]).is_ok());
    }

    #[test]
    fn hidden_results_stay_hidden() {
        assert!(!results_visible(Reveal::AfterVote, false, false, false));
        assert!(results_visible(Reveal::AfterVote, true, false, false));
        assert!(!results_visible(Reveal::AfterClose, true, false, true));
        assert!(results_visible(Reveal::AfterClose, false, true, false));
        assert!(results_visible(Reveal::Always, false, false, false));
    }

    #[test]
    fn a_textbook_runoff() {
        // 0 leads on first preferences but loses once 2's voters move to 1.
        let mut ballots = vec![];
        ballots.extend(std::iter::repeat_n(vec![0, 1], 8));
        ballots.extend(std::iter::repeat_n(vec![1, 0], 6));
        ballots.extend(std::iter::repeat_n(vec![2, 1], 5));
        let (rounds, winner) = instant_runoff(3, &ballots);
        assert_eq!(winner, Some(1));
        assert_eq!(rounds[0].counts, [Some(8), Some(6), Some(5)]);
        assert_eq!(rounds[0].eliminated, Some(2));
        assert_eq!(rounds[1].counts, [Some(8), Some(11), None]);
        assert_eq!(instant_runoff(3, &[]).1, None);
    }

    /// A second, independent count: recount from scratch each round with a
    /// map, eliminating by the same documented rule.
    fn reference(n: usize, ballots: &[Vec<usize>]) -> Option<usize> {
        use std::collections::BTreeMap;
        let mut first = BTreeMap::new();
        for b in ballots {
            if let Some(p) = b.first() {
                *first.entry(*p).or_insert(0i64) += 1;
            }
        }
        let mut out: Vec<usize> = vec![];
        loop {
            let mut count: BTreeMap<usize, i64> = (0..n).filter(|i| !out.contains(i)).map(|i| (i, 0)).collect();
            for b in ballots {
                for p in b {
                    if let Some(c) = count.get_mut(p) {
                        *c += 1;
                        break;
                    }
                }
            }
            let total: i64 = count.values().sum();
            if total == 0 {
                return None;
            }
            let best = count.iter().map(|(k, v)| (*v, std::cmp::Reverse(*k))).max().unwrap();
            if best.0 * 2 > total || count.len() == 1 {
                return Some(best.1 .0);
            }
            let worst = count
                .iter()
                .map(|(k, v)| (*v, first.get(k).copied().unwrap_or(0), std::cmp::Reverse(*k)))
                .min()
                .unwrap();
            out.push(worst.2 .0);
        }
    }

    #[test]
    fn the_runoff_agrees_with_a_reference_on_random_ballots() {
        // A small xorshift: reproducible without a dependency.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % m) as usize
        };
        for _ in 0..2000 {
            let n = 2 + next(5);
            let voters = next(40);
            let ballots: Vec<Vec<usize>> = (0..voters)
                .map(|_| {
                    let mut order: Vec<usize> = (0..n).collect();
                    for i in (1..n).rev() {
                        order.swap(i, next(i as u64 + 1));
                    }
                    order.truncate(1 + next(n as u64));
                    order
                })
                .collect();
            assert_eq!(instant_runoff(n, &ballots).1, reference(n, &ballots), "{ballots:?}");
        }
    }
}
