//! FAQ matching (关键词自动回复): finds the FAQ entry a question asks about.
//!
//! Text is folded (case, width), Chinese runs are segmented with jieba's
//! dictionary segmenter in search mode, English words are stemmed (Snowball),
//! and stop words of both languages dropped. Each phrasing of each entry is a
//! document; the best entry is the one whose best phrasing scores highest with
//! BM25. Its **confidence** is the share of the question's weight (IDF) that the
//! phrasing covers: 1.0 when every meaningful word of the question appears in
//! it, low when the question is about something the FAQ never mentions. A
//! reply is sent only above a threshold (see docs/assistant.md).

use std::collections::HashMap;
use std::sync::OnceLock;

use jieba_rs::Jieba;
use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};

/// An FAQ entry: several phrasings of one question, one answer (Markdown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaqEntry {
    pub id: String,
    pub questions: Vec<String>,
    #[serde(default)]
    pub answer: String,
}

/// The confidence at or above which the assistant answers by default.
/// Chosen on the evaluation set: a wrong automatic answer costs more than none
/// (the question then waits in the unanswered list), see docs/assistant.md.
pub const DEFAULT_THRESHOLD: f64 = 0.4;

const K1: f64 = 1.2;
const B: f64 = 0.75;

fn jieba() -> &'static Jieba {
    static J: OnceLock<Jieba> = OnceLock::new();
    J.get_or_init(Jieba::new)
}

fn stemmer() -> &'static Stemmer {
    static S: OnceLock<Stemmer> = OnceLock::new();
    S.get_or_init(|| Stemmer::create(Algorithm::English))
}

/// Words that carry no topic: particles, pronouns, question words, politeness.
const STOP_ZH: &[&str] = &[
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "呀",
    "么",
    "嘛",
    "是",
    "我",
    "你",
    "他",
    "她",
    "我们",
    "你们",
    "大家",
    "在",
    "有",
    "和",
    "也",
    "都",
    "就",
    "还",
    "要",
    "会",
    "能",
    "可以",
    "怎么",
    "怎么样",
    "怎样",
    "如何",
    "什么",
    "哪里",
    "哪儿",
    "哪",
    "请问",
    "问",
    "一下",
    "想",
    "知道",
    "谁",
    "这个",
    "那个",
    "这",
    "那",
    "个",
    "吗?",
    "请",
    "谢谢",
    "求",
    "求助",
    "新人",
    "好",
    "人",
    "下",
    "说",
    "给",
    "让",
    "把",
    "被",
    "对",
    "为",
    "去",
    "来",
    "到",
    "里",
    "上",
    "中",
    "多少",
    "几",
    "些",
    "一",
    "不",
    "没",
    "没有",
    "大家好",
    "您好",
    "你好",
    "问下",
    "想问",
    "有人",
    "为什么",
    "应该",
    "需要",
    "自己",
];

/// Characters too common to say anything on their own.
const STOP_CHARS: &[char] = &[
    '的', '了', '吗', '呢', '吧', '啊', '么', '是', '我', '你', '在', '有', '怎', '么', '什', '如', '何', '哪', '请',
    '问', '想', '一', '下', '可', '以', '能', '要', '会', '个', '这', '那', '还', '就', '都', '也', '好', '大', '家',
    '新', '人', '求', '助', '里', '儿', '谁', '为', '多', '少', '几', '样', '吧', '呀', '嘛', '没', '不',
];

const STOP_EN: &[&str] = &[
    "a", "an", "the", "i", "me", "my", "we", "our", "you", "your", "it", "is", "are", "am", "be", "do", "does", "did",
    "can", "could", "should", "would", "will", "how", "what", "when", "where", "which", "who", "why", "to", "of", "in",
    "on", "for", "at", "with", "and", "or", "there", "this", "that", "any", "anyone", "someone", "please", "hi",
    "hello", "thanks", "know", "get", "if", "so", "about", "here", "just", "way", "is", "it's", "i'm", "im", "have",
    "has", "from",
];

fn fold(c: char) -> char {
    let u = c as u32;
    if (0xFF01..=0xFF5E).contains(&u) {
        char::from_u32(u - 0xFEE0).unwrap_or(c).to_ascii_lowercase()
    } else if c.is_ascii() {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

/// The terms of a text: segmented, stemmed, stop words removed.
pub fn terms(text: &str) -> Vec<String> {
    let folded: String = text.chars().map(fold).collect();
    let mut out = Vec::new();
    let mut run = String::new();
    let mut cjk_run = false;
    let flush = |run: &mut String, cjk: bool, out: &mut Vec<String>| {
        if run.is_empty() {
            return;
        }
        if cjk {
            for t in jieba().cut_for_search(run, true) {
                if !STOP_ZH.contains(&t.word) {
                    out.push(t.word.to_string());
                }
            }
            // Single characters too ("c:" terms): paraphrases often share
            // characters but not words (退群 / 退出社群, 打标签 / 标签).
            for ch in run.chars() {
                let s = ch.to_string();
                if !STOP_ZH.contains(&s.as_str()) && !STOP_CHARS.contains(&ch) {
                    out.push(format!("c:{ch}"));
                }
            }
        } else if !STOP_EN.contains(&run.as_str()) {
            out.push(stemmer().stem(run).into_owned());
        }
        run.clear();
    };
    for c in folded.chars() {
        let cjk = is_cjk(c);
        let word = cjk || c.is_alphanumeric() || c == '\'';
        if !word || (cjk != cjk_run && !run.is_empty()) {
            flush(&mut run, cjk_run, &mut out);
        }
        if word {
            run.push(c);
            cjk_run = cjk;
        }
    }
    flush(&mut run, cjk_run, &mut out);
    out
}

/// A compiled FAQ: BM25 statistics over every phrasing of every entry.
#[derive(Debug, Clone)]
pub struct FaqIndex {
    ids: Vec<String>,
    /// (entry index, term counts, length)
    docs: Vec<(usize, HashMap<String, u32>, usize)>,
    df: HashMap<String, u32>,
    avgdl: f64,
}

/// The best entry for a question.
#[derive(Debug, Clone, PartialEq)]
pub struct FaqMatch {
    /// Index into the entries the index was built from.
    pub entry: usize,
    pub id: String,
    /// Confidence, 0 to 1 (share of the question's IDF weight the best phrasing covers).
    pub score: f64,
    /// The raw BM25 score used for ranking.
    pub bm25: f64,
}

impl FaqIndex {
    pub fn build(entries: &[FaqEntry]) -> FaqIndex {
        let mut docs = Vec::new();
        let mut df: HashMap<String, u32> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            for q in &e.questions {
                let t = terms(q);
                let len = t.len();
                let mut counts: HashMap<String, u32> = HashMap::new();
                for term in t {
                    *counts.entry(term).or_default() += 1;
                }
                for term in counts.keys() {
                    *df.entry(term.clone()).or_default() += 1;
                }
                docs.push((i, counts, len));
            }
        }
        let avgdl =
            if docs.is_empty() { 1.0 } else { docs.iter().map(|d| d.2 as f64).sum::<f64>() / docs.len() as f64 };
        FaqIndex { ids: entries.iter().map(|e| e.id.clone()).collect(), docs, df, avgdl: avgdl.max(1.0) }
    }

    fn idf(&self, term: &str) -> f64 {
        let n = self.docs.len() as f64;
        let df = f64::from(self.df.get(term).copied().unwrap_or(0));
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The best entry for `question`, whatever its confidence (`None` when
    /// nothing in the question appears in the FAQ at all).
    pub fn best(&self, question: &str) -> Option<FaqMatch> {
        let mut q = terms(question);
        q.sort();
        q.dedup();
        if q.is_empty() {
            return None;
        }
        let weights: Vec<f64> = q.iter().map(|t| self.idf(t)).collect();
        let total: f64 = weights.iter().sum();
        let mut best: Option<(f64, f64, usize)> = None;
        for (entry, counts, len) in &self.docs {
            let mut bm25 = 0.0;
            let mut covered = 0.0;
            for (t, w) in q.iter().zip(&weights) {
                if let Some(&tf) = counts.get(t) {
                    let tf = f64::from(tf);
                    bm25 += w * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * *len as f64 / self.avgdl));
                    covered += w;
                }
            }
            if bm25 > 0.0 && best.is_none_or(|(b, _, _)| bm25 > b) {
                best = Some((bm25, covered / total, *entry));
            }
        }
        best.map(|(bm25, score, entry)| FaqMatch {
            entry,
            id: self.ids[entry].clone(),
            score: (score * 1000.0).round() / 1000.0,
            bm25,
        })
    }

    /// The entry to answer with, if confident enough.
    pub fn answer(&self, question: &str, threshold: f64) -> Option<FaqMatch> {
        self.best(question).filter(|m| m.score >= threshold)
    }
}

/// Whether a post or comment asks something (worth matching against the FAQ).
pub fn is_question(text: &str) -> bool {
    let t = text.trim();
    t.contains(['?', '？'])
        || ["请问", "怎么", "如何", "吗", "哪里", "能不能", "可不可以", "是否", "有没有", "多少"]
            .iter()
            .any(|w| t.contains(w))
        || {
            let lower = t.to_lowercase();
            ["how ", "what ", "where ", "when ", "can i", "is there", "does ", "do i"]
                .iter()
                .any(|w| lower.starts_with(w))
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faq() -> Vec<FaqEntry> {
        let e = |id: &str, q: &[&str]| FaqEntry {
            id: id.into(),
            questions: q.iter().map(|s| s.to_string()).collect(),
            answer: String::new(),
        };
        vec![
            e("fee", &["会员费多少钱", "年费是多少", "how much is the membership fee"]),
            e("refund", &["可以退款吗", "怎么申请退费", "can I get a refund"]),
            e("replay", &["直播有回放吗", "录像在哪里看", "is there a recording of the live session"]),
        ]
    }

    #[test]
    fn segments_chinese_and_stems_english() {
        let t = terms("请问怎么申请退款？ Refunds REQUESTED");
        assert!(t.contains(&"申请".to_string()) && t.contains(&"退款".to_string()), "{t:?}");
        assert!(t.contains(&"refund".to_string()) && t.contains(&"request".to_string()), "{t:?}");
        assert!(!t.contains(&"怎么".to_string()), "question words are stop words");
    }

    #[test]
    fn finds_the_entry_in_either_language() {
        let idx = FaqIndex::build(&faq());
        assert_eq!(idx.answer("请问年费多少？", DEFAULT_THRESHOLD).unwrap().id, "fee");
        assert_eq!(idx.answer("退款怎么申请", DEFAULT_THRESHOLD).unwrap().id, "refund");
        assert_eq!(idx.answer("Is there a recording of the session?", DEFAULT_THRESHOLD).unwrap().id, "replay");
        assert_eq!(idx.answer("How much is the fee?", DEFAULT_THRESHOLD).unwrap().id, "fee");
    }

    #[test]
    fn unrelated_questions_get_no_answer() {
        let idx = FaqIndex::build(&faq());
        assert!(idx.answer("周末有人一起去爬山吗？", DEFAULT_THRESHOLD).is_none());
        assert!(idx.answer("What's your favourite novel?", DEFAULT_THRESHOLD).is_none());
        assert!(idx.best("").is_none());
    }

    #[test]
    fn questions_are_recognized() {
        assert!(is_question("会员费多少钱"));
        assert!(is_question("How do I leave?"));
        assert!(!is_question("今天读完了第三章，收获很大。"));
    }
}
