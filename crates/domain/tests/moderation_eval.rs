//! Accuracy of the moderation rules on the labeled evaluation set
//! (`data/moderation/eval.jsonl`, see `scripts/gen-moderation-eval.py`).
//! Prints precision and recall per class; fails if any falls below the floor
//! recorded in `docs/moderation.md`. Run with `-- --nocapture` to see the table.

use std::collections::BTreeMap;

use yaji_domain::member::Role;
use yaji_domain::moderation::{Author, Context, ModerationSettings, RuleSet};

#[derive(serde::Deserialize)]
struct Line {
    id: String,
    label: String,
    text: String,
    author_age_days: Option<u32>,
    #[serde(default)]
    reply_to_staff: bool,
    #[serde(default)]
    hard: bool,
}

/// (class, precision floor, recall floor), from the figures reached when the set was written.
const FLOORS: &[(&str, f64, f64)] = &[
    ("flagged", 0.97, 0.92),
    ("ad", 0.97, 0.93),
    ("abuse", 0.97, 0.88),
    ("banned_word", 0.95, 0.94),
    ("flood", 0.99, 0.94),
];

#[test]
fn precision_and_recall_per_class() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/moderation/");
    let data = std::fs::read_to_string(format!("{root}eval.jsonl")).unwrap();
    let mut settings = ModerationSettings::default();
    let overrides: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{root}eval-settings.json")).unwrap()).unwrap();
    settings.allowed_domains =
        overrides["allowed_domains"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_string()).collect();
    let set = RuleSet::compile(&settings).unwrap();

    // counts[class] = (true positives, predicted, actual)
    let mut counts: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
    let mut misses = vec![];
    let mut n = 0;
    for line in data.lines().filter(|l| !l.trim().is_empty()) {
        let m: Line = serde_json::from_str(line).unwrap();
        n += 1;
        let ctx = Context {
            author: Author { role: Role::Member, age_days: m.author_age_days, posts: None },
            reply_to_staff: m.reply_to_staff,
            now: 0,
            recent: &[],
        };
        let e = set.evaluate(&m.text, &ctx);
        let predicted = set.primary_class(&e).map_or("clean", |c| c.as_str()).to_string();
        let flagged_p = predicted != "clean";
        let flagged_a = m.label != "clean";
        for (class, p, a) in [
            (predicted.clone(), true, false),
            (m.label.clone(), false, true),
            ("flagged".to_string(), flagged_p, flagged_a),
        ] {
            let c = counts.entry(class).or_default();
            c.1 += u32::from(p);
            c.2 += u32::from(a);
        }
        if predicted == m.label {
            counts.get_mut(&predicted).unwrap().0 += 1;
        }
        if flagged_p && flagged_a {
            counts.get_mut("flagged").unwrap().0 += 1;
        }
        if predicted != m.label {
            misses.push(format!(
                "{} [{}{}] predicted {predicted}: {}",
                m.id,
                m.label,
                if m.hard { ", hard" } else { "" },
                m.text
            ));
        }
    }
    // The ad-phrase and contact counts above double-count class "clean"; drop it.
    counts.remove("clean");
    println!("{n} messages\n\n| class | precision | recall | support |\n|---|---:|---:|---:|");
    let mut failures = vec![];
    for (class, p_floor, r_floor) in FLOORS {
        let (tp, pred, actual) = counts.get(*class).copied().unwrap_or_default();
        let precision = if pred == 0 { 1.0 } else { f64::from(tp) / f64::from(pred) };
        let recall = if actual == 0 { 1.0 } else { f64::from(tp) / f64::from(actual) };
        println!("| {class} | {precision:.3} | {recall:.3} | {actual} |");
        if precision < *p_floor || recall < *r_floor {
            failures.push(format!(
                "{class}: precision {precision:.3} (floor {p_floor}), recall {recall:.3} (floor {r_floor})"
            ));
        }
    }
    println!("\nmisclassified ({}):\n{}", misses.len(), misses.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
