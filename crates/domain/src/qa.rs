//! Q&A (问答): a post can be a question; the asker or staff accepts one
//! comment as its answer ("solved"). A question may carry a bounty (悬赏):
//! points held from the asker's balance when asking, paid to the accepted
//! answer's author, and — if nothing is accepted by the deadline — returned
//! to the asker or given to the best-rated answer, as the asker chose.
//!
//! Pure rules: checking what the asker typed, who may accept what, and
//! where an expired bounty goes.

use serde::{Deserialize, Serialize};

use crate::error::{invalid, Invalid};

/// The largest bounty one question may carry.
pub const MAX_BOUNTY: i64 = 100_000;
/// Days a bounty stays open unless the asker says otherwise, and the most.
pub const DEFAULT_DAYS: i64 = 7;
pub const MAX_DAYS: i64 = 60;
const DAY_MS: i64 = 86_400_000;

/// Where a bounty goes when nothing is accepted by its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// Back to the asker.
    #[default]
    Return,
    /// To the author of the answer with the most reactions (ties: the
    /// earliest), or back to the asker when there is none.
    BestAnswer,
}

impl Fallback {
    pub fn as_str(self) -> &'static str {
        match self {
            Fallback::Return => "return",
            Fallback::BestAnswer => "best_answer",
        }
    }

    pub fn parse(field: &'static str, s: &str) -> Invalid<Fallback> {
        match s.trim() {
            "" | "return" => Ok(Fallback::Return),
            "best_answer" => Ok(Fallback::BestAnswer),
            _ => Err(invalid(field, "invalid_choice", "bounty_fallback is return or best_answer")),
        }
    }
}

/// What the asker typed about the question.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct QuestionInput {
    /// Points held from the asker until an answer is accepted.
    #[serde(default)]
    pub bounty: Option<i64>,
    /// Days until the bounty expires (default 7).
    #[serde(default)]
    pub bounty_days: Option<i64>,
    /// `return` (default) or `best_answer`.
    #[serde(default)]
    pub bounty_fallback: Option<String>,
}

/// A checked question: its bounty (0 for none), deadline and fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuestionDef {
    pub bounty: i64,
    /// When an unaccepted bounty settles; none without a bounty.
    pub deadline: Option<i64>,
    pub fallback: Fallback,
}

impl QuestionInput {
    pub fn validate(&self, now: i64) -> Invalid<QuestionDef> {
        let bounty = self.bounty.unwrap_or(0);
        if !(0..=MAX_BOUNTY).contains(&bounty) {
            return Err(invalid("bounty", "out_of_range", format!("a bounty is 0 to {MAX_BOUNTY} points")));
        }
        let days = self.bounty_days.unwrap_or(DEFAULT_DAYS);
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(invalid("bounty_days", "out_of_range", format!("a bounty runs 1 to {MAX_DAYS} days")));
        }
        let fallback = Fallback::parse("bounty_fallback", self.bounty_fallback.as_deref().unwrap_or(""))?;
        Ok(QuestionDef { bounty, deadline: (bounty > 0).then_some(now + days * DAY_MS), fallback })
    }
}

/// Why an answer cannot be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Another answer is accepted; staff undo it first.
    AlreadyAccepted,
    /// The asker's own comment does not answer their question.
    OwnComment,
    /// Only the asker and staff accept.
    NotAsker,
    /// The comment is removed or held.
    NotVisible,
}

/// Who is accepting, and what.
#[derive(Debug, Clone, Copy)]
pub struct Acceptance {
    pub by_asker: bool,
    pub by_staff: bool,
    pub comment_by_asker: bool,
    pub comment_visible: bool,
    pub accepted: Option<i64>,
}

pub fn may_accept(a: Acceptance) -> Result<(), Refusal> {
    if !a.by_asker && !a.by_staff {
        return Err(Refusal::NotAsker);
    }
    if a.accepted.is_some() {
        return Err(Refusal::AlreadyAccepted);
    }
    if a.comment_by_asker {
        return Err(Refusal::OwnComment);
    }
    if !a.comment_visible {
        return Err(Refusal::NotVisible);
    }
    Ok(())
}

/// A candidate for an expired bounty: an answer's comment, its author, its
/// reactions and when it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub comment_id: i64,
    pub author_id: i64,
    pub reactions: i64,
    pub created_at: i64,
}

/// Who receives an expired bounty: the asker, or (`best_answer`) the author
/// of the answer with the most reactions, the earliest among equals; an
/// answer without any reaction is not "best rated".
pub fn settle(fallback: Fallback, asker_id: i64, answers: &[Answer]) -> (i64, Option<i64>) {
    if fallback == Fallback::Return {
        return (asker_id, None);
    }
    let best = answers
        .iter()
        .filter(|a| a.author_id != asker_id && a.reactions > 0)
        .min_by_key(|a| (-a.reactions, a.created_at, a.comment_id));
    match best {
        Some(a) => (a.author_id, Some(a.comment_id)),
        None => (asker_id, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(bounty: Option<i64>, days: Option<i64>, fallback: Option<&str>) -> QuestionInput {
        QuestionInput { bounty, bounty_days: days, bounty_fallback: fallback.map(str::to_string) }
    }

    #[test]
    fn bounties_are_checked() {
        let d = input(Some(50), None, None).validate(1000).unwrap();
        assert_eq!(d, QuestionDef { bounty: 50, deadline: Some(1000 + 7 * DAY_MS), fallback: Fallback::Return });
        let d = input(None, None, None).validate(0).unwrap();
        assert_eq!((d.bounty, d.deadline), (0, None), "no bounty, no deadline");
        let field = |i: QuestionInput| i.validate(0).unwrap_err().field;
        assert_eq!(field(input(Some(-1), None, None)), "bounty");
        assert_eq!(field(input(Some(MAX_BOUNTY + 1), None, None)), "bounty");
        assert_eq!(field(input(Some(5), Some(0), None)), "bounty_days");
        assert_eq!(field(input(Some(5), Some(MAX_DAYS + 1), None)), "bounty_days");
        assert_eq!(field(input(Some(5), None, Some("lottery"))), "bounty_fallback");
        assert_eq!(input(Some(5), Some(3), Some("best_answer")).validate(0).unwrap().fallback, Fallback::BestAnswer);
    }

    #[test]
    fn who_accepts_what() {
        let ok = Acceptance {
            by_asker: true,
            by_staff: false,
            comment_by_asker: false,
            comment_visible: true,
            accepted: None,
        };
        assert_eq!(may_accept(ok), Ok(()));
        assert_eq!(may_accept(Acceptance { by_asker: false, by_staff: true, ..ok }), Ok(()));
        assert_eq!(may_accept(Acceptance { by_asker: false, ..ok }), Err(Refusal::NotAsker));
        assert_eq!(may_accept(Acceptance { accepted: Some(3), ..ok }), Err(Refusal::AlreadyAccepted));
        assert_eq!(may_accept(Acceptance { comment_by_asker: true, ..ok }), Err(Refusal::OwnComment));
        assert_eq!(may_accept(Acceptance { comment_visible: false, ..ok }), Err(Refusal::NotVisible));
    }

    #[test]
    fn an_expired_bounty_goes_back_or_to_the_best_answer() {
        let a = |comment_id, author_id, reactions, created_at| Answer { comment_id, author_id, reactions, created_at };
        let answers = [a(1, 10, 2, 100), a(2, 11, 5, 200), a(3, 12, 5, 150), a(4, 1, 9, 50)];
        assert_eq!(settle(Fallback::Return, 1, &answers), (1, None));
        // Most reactions, earliest among equals; the asker's own comment never wins.
        assert_eq!(settle(Fallback::BestAnswer, 1, &answers), (12, Some(3)));
        assert_eq!(settle(Fallback::BestAnswer, 1, &[a(5, 10, 0, 1)]), (1, None), "no rated answer: back");
        assert_eq!(settle(Fallback::BestAnswer, 1, &[]), (1, None));
    }
}
