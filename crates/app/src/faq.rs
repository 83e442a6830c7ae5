//! FAQ tools over `yaji_domain::faq` (the CLI's `yaji faq match`).

use serde::Deserialize;
use yaji_domain::faq::FaqIndex;

#[derive(Deserialize)]
struct Question {
    #[serde(default)]
    id: serde_json::Value,
    text: String,
}

/// Reads `{"id","text"}` lines and writes `{"id","match","score"}` per non-blank
/// line (`match` null below `threshold`; `{"line","error"}` for unreadable lines).
pub fn match_lines(
    index: &FaqIndex,
    threshold: f64,
    input: impl std::io::BufRead,
    out: &mut impl std::io::Write,
) -> std::io::Result<usize> {
    let mut errors = 0;
    for (n, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let v = match serde_json::from_str::<Question>(&line) {
            Ok(q) => {
                let best = index.best(&q.text);
                let score = best.as_ref().map_or(0.0, |m| m.score);
                let matched = best.filter(|m| m.score >= threshold).map(|m| m.id);
                serde_json::json!({"id": q.id, "match": matched, "score": score})
            }
            Err(e) => {
                errors += 1;
                serde_json::json!({"line": n + 1, "error": e.to_string()})
            }
        };
        writeln!(out, "{v}")?;
    }
    out.flush()?;
    Ok(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yaji_domain::faq::{FaqEntry, DEFAULT_THRESHOLD};

    #[test]
    fn one_object_per_line() {
        let faq =
            vec![FaqEntry { id: "fee".into(), questions: vec!["会员费多少钱".into()], answer: String::new() }];
        let idx = FaqIndex::build(&faq);
        let input = "{\"id\":\"a\",\"text\":\"请问会员费多少钱？\"}\n\n{\"id\":2,\"text\":\"去爬山吗\"}\nnope\n";
        let mut out = Vec::new();
        assert_eq!(match_lines(&idx, DEFAULT_THRESHOLD, input.as_bytes(), &mut out).unwrap(), 1);
        let lines: Vec<serde_json::Value> =
            String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0]["match"], "fee");
        assert_eq!(lines[0]["score"], 1.0);
        assert_eq!(lines[1]["match"], serde_json::Value::Null);
        assert_eq!(lines[2]["line"], 4);
    }
}
