//! FAQ matching accuracy on the labeled set (`data/faq/eval.jsonl` against
//! `data/faq/faq.jsonl`; see `scripts/gen-faq-eval.py`). Prints top-1 accuracy
//! and the wrong-answer rate at the default threshold and a sweep; fails if
//! they get worse than recorded in docs/assistant.md. `-- --nocapture` shows it.

use yaji_domain::faq::{FaqEntry, FaqIndex, DEFAULT_THRESHOLD};

#[derive(serde::Deserialize)]
struct Q {
    id: String,
    text: String,
    expect: Option<String>,
}

/// Floors at the default threshold: (top-1 accuracy, highest wrong-answer rate).
const FLOOR_ACCURACY: f64 = 0.69;
const CEILING_WRONG: f64 = 0.043;

struct Score {
    accuracy: f64,
    wrong: f64,
    answered: f64,
}

fn score(idx: &FaqIndex, qs: &[Q], threshold: f64, misses: &mut Vec<String>) -> Score {
    let (mut right, mut wrong, mut answered) = (0, 0, 0);
    for q in qs {
        let got = idx.answer(&q.text, threshold).map(|m| m.id);
        if got.is_some() {
            answered += 1;
        }
        if got == q.expect {
            right += 1;
        } else {
            if got.is_some() {
                wrong += 1;
            }
            misses.push(format!("{} expect {:?} got {:?}: {}", q.id, q.expect, got, q.text));
        }
    }
    let n = qs.len() as f64;
    Score { accuracy: f64::from(right) / n, wrong: f64::from(wrong) / n, answered: f64::from(answered) / n }
}

#[test]
fn top1_accuracy_and_wrong_answers() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/faq/");
    let faq: Vec<FaqEntry> = std::fs::read_to_string(format!("{root}faq.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let qs: Vec<Q> = std::fs::read_to_string(format!("{root}eval.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let idx = FaqIndex::build(&faq);
    println!(
        "{} questions ({} with no answer), {} entries\n",
        qs.len(),
        qs.iter().filter(|q| q.expect.is_none()).count(),
        faq.len()
    );
    println!("| threshold | top-1 accuracy | wrong answers | answered |\n|---:|---:|---:|---:|");
    for t in [0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6] {
        let s = score(&idx, &qs, t, &mut vec![]);
        println!("| {t:.2} | {:.3} | {:.3} | {:.3} |", s.accuracy, s.wrong, s.answered);
    }
    let mut misses = vec![];
    let s = score(&idx, &qs, DEFAULT_THRESHOLD, &mut misses);
    println!("\nat the default threshold {DEFAULT_THRESHOLD}: misses ({}):\n{}", misses.len(), misses.join("\n"));
    assert!(s.accuracy >= FLOOR_ACCURACY, "accuracy {:.3} < {FLOOR_ACCURACY}", s.accuracy);
    assert!(s.wrong <= CEILING_WRONG, "wrong answers {:.3} > {CEILING_WRONG}", s.wrong);
}
