//! Text normalization for matching. One pass over the message produces two
//! views, each byte mapped back to the original text so hits can be shown:
//!
//! - **folded**: case-folded, full-width → half-width, traditional → simplified
//!   Chinese (a table of common characters), invisible characters dropped.
//!   Punctuation and spaces stay, so URLs and phone numbers keep their shape.
//! - **stripped**: `folded` with everything that is not a letter or digit
//!   removed, so "加 微 信", "v.x" and "w e i x i n" read as "加微信", "vx",
//!   "weixin". Each stripped character remembers whether something was removed
//!   before it, which lets ASCII words keep word boundaries ("class" does not
//!   contain the word "ass", "a ss" does).

use std::sync::OnceLock;

/// Traditional characters and their simplified forms, position by position.
/// Chosen for the vocabulary of ads, abuse and everyday chat; not exhaustive.
const TRADITIONAL: &str = "微號碼掃紅職網點擊鏈費領單約髒罵腦殘廢賤媽滾東癡電話機聯繫係進謝們個這來時會說為對過還沒發開關門問題學習實現經與長後車書樂歡貸證辦槍藥幣賺穩萬億員價優獎贈禮報紙頁專業務請讓認識讀寫應該麼嗎從當動視頻蘋體驗賬帳戶註冊線級雙鐘週歲醫療幫團隊營銷廣產貨運薦導師課訓練寶貝愛親鬥殺豬雞騙詐盜黃蕩賭購買賣錢裡邊給見覺讓現們話頭臉氣錯誤刪區記錄閱覽戲遊熱門圖濟議論壇隨機變總結標準確";
const SIMPLIFIED: &str = "微号码扫红职网点击链费领单约脏骂脑残废贱妈滚东痴电话机联系系进谢们个这来时会说为对过还没发开关门问题学习实现经与长后车书乐欢贷证办枪药币赚稳万亿员价优奖赠礼报纸页专业务请让认识读写应该么吗从当动视频苹体验账账户注册线级双钟周岁医疗帮团队营销广产货运荐导师课训练宝贝爱亲斗杀猪鸡骗诈盗黄荡赌购买卖钱里边给见觉让现们话头脸气错误删区记录阅览戏游热门图济议论坛随机变总结标准确";

const CJK_START: u32 = 0x4E00;
const CJK_END: u32 = 0x9FFF;

/// Dense lookup over the CJK Unified Ideographs block: 0 = unchanged.
fn t2s_table() -> &'static [u32] {
    static TABLE: OnceLock<Vec<u32>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = vec![0u32; (CJK_END - CJK_START + 1) as usize];
        for (tc, sc) in TRADITIONAL.chars().zip(SIMPLIFIED.chars()) {
            if tc != sc && (CJK_START..=CJK_END).contains(&(tc as u32)) {
                t[(tc as u32 - CJK_START) as usize] = sc as u32;
            }
        }
        t
    })
}

/// Characters nobody sees: zero-width spaces and joiners, word joiner, BOM,
/// soft hyphen, variation selectors. Obfuscators insert them between letters.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{FE00}'..='\u{FE0F}' | '\u{034F}' | '\u{180E}')
}

/// Emoji and pictographs, roughly: what "mostly emoji" flood detection counts.
pub fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x2190..=0x21FF | 0x3030 | 0x303D)
}

/// Statistics gathered during the same pass, for flood and newcomer checks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Visible, non-space characters.
    pub chars: u32,
    pub emoji: u32,
    pub digits: u32,
    /// `@name` mentions.
    pub mentions: u32,
    /// Longest run of one repeated visible character.
    pub longest_run: u32,
    /// Distinct visible characters, counted up to 3 (flood detection asks "at most 2?").
    pub distinct: u32,
    /// Dots and plus signs after folding (links, international numbers).
    pub dots: u32,
    pub plus: u32,
}

/// State of one normalization pass.
struct Walk {
    gap: bool,
    prev: char,
    run: u32,
    seen: [char; 3],
    after_at: bool,
}

/// Reusable buffers: normalizing allocates nothing once they have grown.
#[derive(Debug, Default)]
pub struct Normalized {
    folded: String,
    folded_src: Vec<u32>,
    folded_ready: bool,
    pub stripped: String,
    stripped_src: Vec<u32>,
    /// Per stripped byte: something (space, punctuation, emoji) was removed before this character.
    gap_before: Vec<bool>,
    pub stats: Stats,
}

impl Normalized {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn of(text: &str) -> Self {
        let mut n = Self::new();
        n.normalize(text);
        n
    }

    pub fn normalize(&mut self, text: &str) {
        self.folded.clear();
        self.folded_src.clear();
        self.folded_ready = false;
        self.stripped.clear();
        self.stripped_src.clear();
        self.gap_before.clear();
        self.stats = Stats::default();
        let mut st = Walk { gap: false, prev: '\0', run: 0, seen: ['\0'; 3], after_at: false };
        fold_chars(text, |f, src| self.emit(f, src, &mut st));
    }

    /// Builds the folded view; only detectors that need punctuation (links,
    /// international numbers, custom expressions) ask for it.
    pub fn folded(&mut self, text: &str) -> &str {
        if !self.folded_ready {
            let (folded, map) = (&mut self.folded, &mut self.folded_src);
            fold_chars(text, |f, src| {
                folded.push(f);
                map.extend(std::iter::repeat_n(src, f.len_utf8()));
            });
            self.folded_ready = true;
        }
        &self.folded
    }

    #[inline(always)]
    fn emit(&mut self, f: char, src: u32, st: &mut Walk) {
        let n = f.len_utf8();
        let cjk = (CJK_START..=CJK_END).contains(&(f as u32));
        if !cjk && f.is_whitespace() {
            st.gap = true;
            st.after_at = false;
            return;
        }
        let stats = &mut self.stats;
        stats.chars += 1;
        if st.prev == f {
            st.run += 1;
        } else {
            st.run = 1;
            st.prev = f;
        }
        stats.longest_run = stats.longest_run.max(st.run);
        let d = stats.distinct as usize;
        if d < st.seen.len() && !st.seen[..d].contains(&f) {
            st.seen[d] = f;
            stats.distinct += 1;
        }
        if f == '.' {
            stats.dots += 1;
        } else if f == '+' {
            stats.plus += 1;
        }
        if f == '@' {
            st.after_at = true;
        } else if st.after_at {
            stats.mentions += 1;
            st.after_at = false;
        }
        let alnum = if f.is_ascii() { f.is_ascii_alphanumeric() } else { cjk || f.is_alphanumeric() };
        if alnum {
            if f.is_ascii_digit() {
                stats.digits += 1;
            }
            let start = self.stripped.len();
            self.stripped.push(f);
            if n == 1 {
                self.stripped_src.push(src);
                self.gap_before.push(st.gap);
            } else {
                self.stripped_src.extend(std::iter::repeat_n(src, n));
                self.gap_before.resize(start + n, false);
                self.gap_before[start] = st.gap;
            }
            st.gap = false;
        } else {
            if is_emoji(f) {
                stats.emoji += 1;
            }
            st.gap = true;
        }
    }

    /// The folded view built by [`Normalized::folded`] (empty before).
    pub fn folded_view(&self) -> &str {
        &self.folded
    }

    fn gap(&self, i: usize) -> bool {
        self.gap_before[i]
    }

    /// Original byte range of a range of `stripped`.
    pub fn stripped_span(&self, text: &str, start: usize, end: usize) -> (usize, usize) {
        span_of(text, &self.stripped_src, start, end)
    }

    /// Original byte range of a range of `folded`.
    pub fn folded_span(&self, text: &str, start: usize, end: usize) -> (usize, usize) {
        span_of(text, &self.folded_src, start, end)
    }

    /// Whether a match of `stripped[start..end]` stands as its own word on the
    /// left and on the right: for ASCII letters and digits at its edges, the
    /// neighbouring stripped character must be absent, of another kind, or
    /// separated by something removed.
    pub fn bounded(&self, start: usize, end: usize) -> (bool, bool) {
        let s = self.stripped.as_bytes();
        let left =
            start == 0 || !s[start].is_ascii_alphanumeric() || self.gap(start) || !s[start - 1].is_ascii_alphanumeric();
        let right =
            end >= s.len() || !s[end - 1].is_ascii_alphanumeric() || self.gap(end) || !s[end].is_ascii_alphanumeric();
        (left, right)
    }

    pub fn word_bounded(&self, start: usize, end: usize) -> bool {
        let (l, r) = self.bounded(start, end);
        l && r
    }

    /// Whether `stripped[start..]` begins after a removed separator (or at the start).
    pub fn gap_at(&self, start: usize) -> bool {
        start == 0 || start >= self.gap_before.len() || self.gap(start)
    }
}

/// Folds `text` character by character: case, width, traditional → simplified;
/// invisible characters dropped. Calls `sink(folded char, original byte offset)`.
#[inline(always)]
fn fold_chars(text: &str, mut sink: impl FnMut(char, u32)) {
    let t2s = t2s_table();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            // ASCII fast path: most of every message, and all of many.
            sink(b.to_ascii_lowercase() as char, i as u32);
            i += 1;
            continue;
        }
        let c = text[i..].chars().next().unwrap_or('\u{FFFD}');
        if !is_invisible(c) {
            let src = i as u32;
            let u = c as u32;
            if (CJK_START..=CJK_END).contains(&u) {
                let t = t2s[(u - CJK_START) as usize];
                sink(if t == 0 { c } else { char::from_u32(t).unwrap_or(c) }, src);
            } else if (0xFF01..=0xFF5E).contains(&u) {
                // Full-width ASCII forms.
                sink(char::from_u32(u - 0xFEE0).unwrap_or(c).to_ascii_lowercase(), src);
            } else if u == 0x3000 {
                sink(' ', src);
            } else if c.is_uppercase() {
                for l in c.to_lowercase() {
                    sink(l, src);
                }
            } else {
                sink(c, src);
            }
        }
        i += c.len_utf8();
    }
}

fn span_of(text: &str, map: &[u32], start: usize, end: usize) -> (usize, usize) {
    if start >= end || end > map.len() {
        return (0, 0);
    }
    let s = map[start] as usize;
    let last = map[end - 1] as usize;
    let e = last + text[last..].chars().next().map_or(0, char::len_utf8);
    (s, e)
}

/// Normalizes a word of a list the way messages are, keeping only letters and digits.
pub fn normalize_word(word: &str) -> String {
    Normalized::of(word).stripped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_line_up() {
        assert_eq!(TRADITIONAL.chars().count(), SIMPLIFIED.chars().count());
    }

    #[test]
    fn folds_width_case_and_script() {
        let text = "ＶＸ：ＡＢＣ１２３ 加微信 掃碼領紅包 Hello";
        let mut n = Normalized::of(text);
        assert_eq!(n.folded(text), "vx:abc123 加微信 扫码领红包 hello");
        assert_eq!(n.stripped, "vxabc123加微信扫码领红包hello");
    }

    #[test]
    fn removes_obfuscation() {
        for (raw, want) in [
            ("加 微 信", "加微信"),
            ("v.x", "vx"),
            ("w e i x i n", "weixin"),
            ("加\u{200B}微\u{200B}信", "加微信"),
            ("加🙂微🙂信", "加微信"),
            ("加-微-信!!", "加微信"),
        ] {
            assert_eq!(Normalized::of(raw).stripped, want, "{raw}");
        }
    }

    #[test]
    fn spans_map_back_to_the_original() {
        let text = "快 加 微 信 abc";
        let n = Normalized::of(text);
        let at = n.stripped.find("加微信").unwrap();
        let (s, e) = n.stripped_span(text, at, at + "加微信".len());
        assert_eq!(&text[s..e], "加 微 信");
    }

    #[test]
    fn ascii_word_boundaries_survive_stripping() {
        let n = Normalized::of("a classic ass");
        let s = &n.stripped; // "aclassicass"
        let inner = s.find("ass").unwrap();
        assert!(!n.word_bounded(inner, inner + 3));
        let last = s.rfind("ass").unwrap();
        assert!(n.word_bounded(last, last + 3));
        let spaced = Normalized::of("you are an a s s");
        let i = spaced.stripped.rfind("ass").unwrap();
        assert!(spaced.word_bounded(i, i + 3));
    }

    #[test]
    fn stats() {
        let n = Normalized::of("@a @b @c 😀😀😀 哈哈哈哈");
        assert_eq!(n.stats.mentions, 3);
        assert_eq!(n.stats.emoji, 3);
        assert_eq!(n.stats.longest_run, 4);
    }
}
