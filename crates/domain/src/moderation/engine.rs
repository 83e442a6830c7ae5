//! The rule engine: compiles a community's [`ModerationSettings`] once into a
//! [`RuleSet`], then evaluates messages against it. One normalization pass, one
//! Aho-Corasick scan for every word and phrase, and detectors that run only when
//! the pass saw what they look for (digits for phones, a dot for links).

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::Regex;
use serde::Serialize;

use super::lists;
use super::normalize::{normalize_word, Normalized};
use super::settings::{ModerationSettings, PatternKind, Sanction};
use crate::error::{invalid, Invalid};
use crate::member::Role;
use crate::Millis;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Ad,
    Abuse,
    BannedWord,
    Flood,
    Custom,
}

impl Class {
    pub const ALL: [Class; 5] = [Class::Ad, Class::Abuse, Class::BannedWord, Class::Flood, Class::Custom];
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Ad => "ad",
            Class::Abuse => "abuse",
            Class::BannedWord => "banned_word",
            Class::Flood => "flood",
            Class::Custom => "custom",
        }
    }
}

/// A rule of a compiled set: a stable id (`ad.link`, `custom.<name>`), its class and sanction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub id: String,
    pub class: Class,
    pub sanction: Sanction,
}

/// One rule matching one part of the message. `span` is a byte range of the original text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub rule: u16,
    pub span: (usize, usize),
}

/// Who wrote the message, as far as rules care. Unknown facts are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Author {
    pub role: Role,
    pub age_days: Option<u32>,
    pub posts: Option<u32>,
}

impl Author {
    pub const MEMBER: Author = Author { role: Role::Member, age_days: None, posts: None };
}

/// A recent message of the same author in the same community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recent {
    pub at: Millis,
    pub fingerprint: u64,
}

/// Everything besides the text that a decision depends on.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub author: Author,
    /// A reply under a post by a moderator or above (who may have asked for a phone number or ID).
    pub reply_to_staff: bool,
    pub now: Millis,
    /// The author's messages of the last hour, any order.
    pub recent: &'a [Recent],
}

impl Context<'_> {
    pub fn member() -> Context<'static> {
        Context { author: Author::MEMBER, reply_to_staff: false, now: 0, recent: &[] }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// Every matching rule with where it matched, in text order.
    pub hits: Vec<Hit>,
    /// The harshest sanction among the hits (`allow` when none).
    pub sanction: Sanction,
    /// Hash of the normalized text, for repeat detection.
    pub fingerprint: u64,
    /// The text has what newcomers may not post (a link off the allowlist or an
    /// image), so the author's post count can change the verdict.
    pub newcomer_sensitive: bool,
}

#[derive(Debug, Clone, Copy)]
enum Role2 {
    Word(u16),
    Phrase(u8),
    Contact,
}

#[derive(Debug, Clone)]
struct Pattern {
    roles: Vec<Role2>,
}

/// Indices of the built-in rules in [`RuleSet::rules`].
#[derive(Debug, Clone, Copy)]
struct Builtin {
    abuse: u16,
    default_banned: u16,
    banned: u16,
    links: u16,
    invites: u16,
    phones: u16,
    contacts: u16,
    phrases: u16,
    flood_rate: u16,
    flood_repeat: u16,
    junk: u16,
    mentions: u16,
    newcomer_link: u16,
    newcomer_image: u16,
}

/// A compiled rule set. Cheap to share (`Arc`), immutable, `Send + Sync`.
#[derive(Debug)]
pub struct RuleSet {
    settings: ModerationSettings,
    rules: Vec<Rule>,
    b: Builtin,
    enabled: Vec<bool>,
    ac: Option<AhoCorasick>,
    patterns: Vec<Pattern>,
    regexes: Vec<(u16, Regex)>,
}

/// Per-thread buffers for [`RuleSet::evaluate_with`].
#[derive(Debug, Default)]
pub struct Scratch {
    norm: Normalized,
    phrases: Vec<(usize, usize)>,
}

impl RuleSet {
    /// The built-in defaults with every detector on.
    pub fn defaults() -> RuleSet {
        RuleSet::compile(&ModerationSettings::default()).expect("default rules compile")
    }

    /// Compiles settings. An invalid custom regex is a 422 with the parser's message.
    pub fn compile(settings: &ModerationSettings) -> Invalid<RuleSet> {
        settings.validate()?;
        let d = &settings.detectors;
        let mut rules = Vec::new();
        let mut enabled = Vec::new();
        let mut add = |id: &str, class: Class, sanction: Sanction, on: bool| {
            rules.push(Rule { id: id.to_string(), class, sanction });
            enabled.push(on && settings.enabled);
            (rules.len() - 1) as u16
        };
        let b = Builtin {
            abuse: add("abuse.default_words", Class::Abuse, d.abuse_words.sanction, d.abuse_words.enabled),
            default_banned: add(
                "banned_word.default_words",
                Class::BannedWord,
                d.default_banned_words.sanction,
                d.default_banned_words.enabled,
            ),
            banned: add("banned_word.community", Class::BannedWord, settings.banned_words_sanction, true),
            links: add("ad.link", Class::Ad, d.links.sanction, d.links.enabled),
            invites: add("ad.group_invite", Class::Ad, d.group_invites.sanction, d.group_invites.enabled),
            phones: add("ad.phone", Class::Ad, d.phones.sanction, d.phones.enabled),
            contacts: add("ad.contact_id", Class::Ad, d.contact_ids.sanction, d.contact_ids.enabled),
            phrases: add("ad.phrase", Class::Ad, d.ad_phrases.sanction, d.ad_phrases.enabled),
            flood_rate: add("flood.rate", Class::Flood, d.flood.sanction, d.flood.enabled),
            flood_repeat: add("flood.repeat", Class::Flood, d.flood.sanction, d.flood.enabled),
            junk: add("flood.junk", Class::Flood, d.junk.sanction, d.junk.enabled),
            mentions: add("flood.mass_mentions", Class::Flood, d.mass_mentions.sanction, d.mass_mentions.enabled),
            newcomer_link: add("newcomer.link", Class::Ad, settings.newcomer.sanction, settings.newcomer.enabled),
            newcomer_image: add("newcomer.image", Class::Ad, settings.newcomer.sanction, settings.newcomer.enabled),
        };

        let mut words: Vec<String> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut index = std::collections::HashMap::<String, usize>::new();
        let mut put = |word: &str, role: Role2| {
            let w = normalize_word(word);
            if w.is_empty() {
                return;
            }
            let i = *index.entry(w.clone()).or_insert_with(|| {
                words.push(w);
                patterns.push(Pattern { roles: vec![] });
                patterns.len() - 1
            });
            patterns[i].roles.push(role);
        };
        let mut regexes = Vec::new();
        if settings.enabled {
            if d.abuse_words.enabled {
                lists::ABUSE.iter().for_each(|w| put(w, Role2::Word(b.abuse)));
            }
            if d.default_banned_words.enabled {
                lists::BANNED.iter().for_each(|w| put(w, Role2::Word(b.default_banned)));
            }
            settings.banned_words.iter().for_each(|w| put(w, Role2::Word(b.banned)));
            if d.ad_phrases.enabled {
                lists::AD_PHRASES.iter().for_each(|(w, weight)| put(w, Role2::Phrase(*weight)));
            }
            if d.contact_ids.enabled {
                lists::CONTACT_TRIGGERS.iter().for_each(|w| put(w, Role2::Contact));
            }
        }
        for (n, r) in settings.custom_rules.iter().enumerate() {
            let i = add(&format!("custom.{}", r.name.trim()), Class::Custom, r.sanction, r.enabled);
            if !(r.enabled && settings.enabled) {
                continue;
            }
            match r.kind {
                PatternKind::Words => r.patterns.iter().for_each(|w| put(w, Role2::Word(i))),
                PatternKind::Regex => {
                    let re = compile_custom_regex(&r.patterns[0]).map_err(|e| {
                        invalid("custom_rules", "invalid_regex", format!("rule {} ({}): {e}", n + 1, r.name))
                    })?;
                    regexes.push((i, re));
                }
            }
        }
        let ac = if words.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    // A full DFA: ~2x faster scans than the default NFA for a few
                    // thousand words, for a few MB of memory per community.
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&words)
                    .map_err(|e| invalid("banned_words", "too_many", e.to_string()))?,
            )
        };
        Ok(RuleSet { settings: settings.clone(), rules, b, enabled, ac, patterns, regexes })
    }

    pub fn settings(&self) -> &ModerationSettings {
        &self.settings
    }

    pub fn rule(&self, i: u16) -> &Rule {
        &self.rules[i as usize]
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Evaluates with fresh buffers; see [`RuleSet::evaluate_with`] for hot loops.
    pub fn evaluate(&self, text: &str, ctx: &Context) -> Evaluation {
        self.evaluate_with(text, ctx, &mut Scratch::default())
    }

    pub fn evaluate_with(&self, text: &str, ctx: &Context, scratch: &mut Scratch) -> Evaluation {
        let norm = &mut scratch.norm;
        norm.normalize(text);
        let fingerprint = fingerprint(&norm.stripped);
        let mut hits = Vec::new();
        // Moderators and above are trusted, as in Discourse and Discord AutoMod.
        if !self.settings.enabled || ctx.author.role >= Role::Moderator {
            return Evaluation { hits, sanction: Sanction::ALLOW, fingerprint, newcomer_sensitive: false };
        }
        let b = self.b;
        let on = |r: u16| self.enabled[r as usize];
        let push = |hits: &mut Vec<Hit>, rule: u16, span: (usize, usize)| {
            if on(rule) && !hits.iter().any(|h: &Hit| h.rule == rule && h.span == span) {
                hits.push(Hit { rule, span });
            }
        };

        // Words, phrases and contact triggers: one scan of the stripped text.
        let mut phrase_weight = 0u32;
        scratch.phrases.clear();
        if let Some(ac) = &self.ac {
            for m in ac.find_overlapping_iter(norm.stripped.as_str()) {
                let (s, e) = (m.start(), m.end());
                let (left, right) = norm.bounded(s, e);
                if !left {
                    continue;
                }
                for role in &self.patterns[m.pattern().as_usize()].roles {
                    match *role {
                        Role2::Word(rule) if right => push(&mut hits, rule, norm.stripped_span(text, s, e)),
                        Role2::Phrase(w) if right => {
                            phrase_weight += u32::from(w);
                            scratch.phrases.push(norm.stripped_span(text, s, e));
                        }
                        Role2::Contact if !ctx.reply_to_staff => {
                            if let Some(end) = contact_id_after(norm, text, e) {
                                let span = norm.stripped_span(text, s, end);
                                // "加微信", "微信" and "加微" all introduce the same ID: one hit, the widest.
                                match hits.iter_mut().find(|h| h.rule == b.contacts && h.span.1 == span.1) {
                                    Some(h) => h.span.0 = h.span.0.min(span.0),
                                    None => push(&mut hits, b.contacts, span),
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        if phrase_weight >= self.settings.detectors.ad_phrase_threshold {
            for &span in &scratch.phrases {
                push(&mut hits, b.phrases, span);
            }
        }

        let newcomer = self.is_newcomer(&ctx.author);
        let mut newcomer_sensitive = false;
        // Links: only around dots, scanned by hand (a regex with counted
        // repetitions here would leave the DFA's fast path).
        if norm.stats.dots > 0 {
            norm.folded(text);
            let folded = norm.folded_view();
            for_each_link(folded, |start, end, host| {
                let span = norm.folded_span(text, start, end);
                if is_group_invite(host, &folded[start..end]) {
                    push(&mut hits, b.invites, span);
                } else if !self.settings.domain_allowed(host) {
                    newcomer_sensitive = true;
                    push(&mut hits, b.links, span);
                    if newcomer {
                        push(&mut hits, b.newcomer_link, span);
                    }
                }
            });
        }
        let image = text.contains("![") || text.contains("<img");
        newcomer_sensitive |= image;
        if newcomer && image {
            let at = text.find("![").or_else(|| text.find("<img")).unwrap_or(0);
            push(&mut hits, b.newcomer_image, (at, text.len()));
        }

        // Phone numbers: only with enough digits, and not when staff asked for them.
        if norm.stats.digits >= 8 && !ctx.reply_to_staff && on(b.phones) {
            if norm.stats.plus > 0 {
                norm.folded(text);
            }
            phone_numbers(norm, text, |span| push(&mut hits, b.phones, span));
        }

        // Flood: junk, mentions, rate, repeats.
        let st = norm.stats;
        let junk = (st.emoji >= 8 && st.emoji * 10 >= st.chars * 8)
            || st.longest_run >= 20
            || (st.chars >= 30 && st.distinct <= 2);
        if junk {
            push(&mut hits, b.junk, (0, text.len()));
        }
        if st.mentions > self.settings.detectors.max_mentions {
            push(&mut hits, b.mentions, (0, text.len()));
        }
        let d = &self.settings.detectors;
        let window = i64::from(d.flood_window_secs) * 1000;
        let in_window = ctx.recent.iter().filter(|r| r.at > ctx.now - window && r.at <= ctx.now).count();
        if in_window + 1 > d.flood_max_messages as usize {
            push(&mut hits, b.flood_rate, (0, text.len()));
        }
        if norm.stripped.len() >= 6 {
            let repeats = ctx
                .recent
                .iter()
                .filter(|r| r.fingerprint == fingerprint && r.at > ctx.now - crate::HOUR_MS && r.at <= ctx.now)
                .count();
            if repeats + 1 >= d.flood_max_repeats as usize {
                push(&mut hits, b.flood_repeat, (0, text.len()));
            }
        }

        // Custom regular expressions run on the folded text.
        if !self.regexes.is_empty() {
            norm.folded(text);
        }
        for (rule, re) in &self.regexes {
            for m in re.find_iter(norm.folded_view()) {
                if m.start() < m.end() {
                    push(&mut hits, *rule, norm.folded_span(text, m.start(), m.end()));
                }
            }
        }

        // Words inside a link ("chat.whatsapp.com/K1") are the link's business.
        let links: Vec<(usize, usize)> =
            hits.iter().filter(|h| h.rule == b.links || h.rule == b.invites).map(|h| h.span).collect();
        if !links.is_empty() {
            hits.retain(|h| h.rule != b.contacts || !links.iter().any(|l| h.span.0 < l.1 && l.0 < h.span.1));
        }
        if hits.len() > 1 {
            hits.sort_by_key(|h| (h.span.0, h.span.1, h.rule));
        }
        let sanction = hits.iter().fold(Sanction::ALLOW, |acc, h| acc.max(self.rules[h.rule as usize].sanction));
        Evaluation { hits, sanction, fingerprint, newcomer_sensitive }
    }

    fn is_newcomer(&self, a: &Author) -> bool {
        let n = &self.settings.newcomer;
        n.enabled && (a.age_days.is_some_and(|d| d < n.days) || a.posts.is_some_and(|p| p < n.posts))
    }

    /// The class a message is put in: that of its harshest hit (ties: rule order).
    pub fn primary_class(&self, e: &Evaluation) -> Option<Class> {
        e.hits
            .iter()
            .map(|h| &self.rules[h.rule as usize])
            .max_by(|a, b| a.sanction.action.cmp(&b.sanction.action).then(b.class.cmp(&a.class)))
            .map(|r| r.class)
    }
}

/// After a contact trigger ending at stripped byte `e`: an ID of 5-30 ASCII
/// letters/digits, with a digit in it or introduced explicitly ("号", "是", ":").
fn contact_id_after(norm: &Normalized, text: &str, e: usize) -> Option<usize> {
    let s = norm.stripped.as_str();
    let mut j = e;
    let mut explicit = false;
    for _ in 0..2 {
        let rest = &s[j..];
        if let Some(p) = ["号", "是", "为", "id", "搜"].iter().find(|p| rest.starts_with(**p)) {
            j += p.len();
            explicit = true;
        }
    }
    // The ID runs through removed separators ("a b c 1 2 3") but stops before a
    // following word once it is long enough ("abc123 https://…").
    let b = s.as_bytes();
    let mut run = 0;
    while j + run < b.len() && b[j + run].is_ascii_alphanumeric() {
        if run >= 5 && norm.gap_at(j + run) {
            // Length of the next word: up to the next removed separator.
            let at = j + run;
            let word = (1..)
                .take_while(|k| at + k < b.len() && b[at + k].is_ascii_alphanumeric() && !norm.gap_at(at + k))
                .count()
                + 1;
            if word >= 3 {
                break;
            }
        }
        run += 1;
    }
    if !(5..=30).contains(&run) {
        return None;
    }
    let id = &s[j..j + run];
    if !explicit && j < s.len() && e > 0 {
        let (_, trig_end) = norm.stripped_span(text, e - 1, e);
        let (id_start, _) = norm.stripped_span(text, j, j + 1);
        explicit = text.get(trig_end..id_start).is_some_and(|between| between.contains([':', '：', '@']));
    }
    (explicit || id.bytes().any(|c| c.is_ascii_digit())).then_some(j + run)
}

/// Finds links in folded (lowercase) text: `scheme://host/path`, `www.host/path`
/// or a bare `name.tld/path` whose TLD is a known one (so "node.js", "v1.2" and
/// "config.toml" are not links). Calls `found(start, end, host)` for each.
fn for_each_link(f: &str, mut found: impl FnMut(usize, usize, &str)) {
    let b = f.as_bytes();
    let host_byte = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'.';
    let path_byte = |c: u8| c.is_ascii_graphic() && !matches!(c, b'<' | b'>' | b'"' | b'\'' | b')' | b']');
    let mut from = 0;
    while let Some(p) = memchr::memchr(b'.', &b[from..]) {
        let dot = from + p;
        // Host: the run of host characters around this dot.
        let mut hs = dot;
        while hs > 0 && host_byte(b[hs - 1]) {
            hs -= 1;
        }
        let mut he = dot + 1;
        while he < b.len() && host_byte(b[he]) {
            he += 1;
        }
        from = he.max(dot + 1);
        let host = f[hs..he].trim_matches(|c| c == '.' || c == '-');
        let hs = hs + f[hs..he].find(host).unwrap_or(0);
        let he = hs + host.len();
        let Some((name, tld)) = host.rsplit_once('.') else { continue };
        if name.is_empty() || tld.len() < 2 || !tld.bytes().all(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        let scheme = ["https://", "http://"].iter().find(|s| f[..hs].ends_with(**s)).map_or(0, |s| s.len());
        let start = hs - scheme;
        let explicit = scheme > 0 || host.starts_with("www.");
        if !explicit {
            // An email address or part of a longer token is not a link.
            if start > 0 && matches!(b[start - 1], b'@' | b'/' | b':' | b'_') {
                continue;
            }
            if !lists::TLDS.contains(&tld) {
                continue;
            }
        }
        let mut end = he;
        if end < b.len() && matches!(b[end], b'/' | b':' | b'?' | b'#') {
            while end < b.len() && path_byte(b[end]) {
                end += 1;
            }
            from = from.max(end);
        }
        found(start, end, host);
    }
}

fn is_group_invite(host: &str, matched: &str) -> bool {
    let host = host.strip_prefix("www.").unwrap_or(host);
    lists::GROUP_INVITE_HOSTS.iter().any(|h| super::settings::domain_allowed(&[h.to_string()], host))
        || lists::GROUP_INVITE_PATHS.iter().any(|(h, p)| host == *h && matched.contains(p))
}

/// Mainland mobiles (11 digits from 13–19, optionally after 86) in the stripped
/// text, so "138 1234 5678" and "1-3-8…" count; international numbers after a '+'.
fn phone_numbers(norm: &Normalized, text: &str, mut found: impl FnMut((usize, usize))) {
    let s = norm.stripped.as_bytes();
    let mut i = 0;
    while i < s.len() {
        if !s[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        let run = &s[start..i];
        let mobile = |r: &[u8]| r.len() == 11 && r[0] == b'1' && (b'3'..=b'9').contains(&r[1]);
        if mobile(run) || (run.len() == 13 && run.starts_with(b"86") && mobile(&run[2..])) {
            found(norm.stripped_span(text, start, i));
        }
    }
    if norm.stats.plus == 0 {
        return;
    }
    let f = norm.folded_view().as_bytes();
    let mut at = 0;
    while let Some(p) = memchr::memchr(b'+', &f[at..]) {
        let start = at + p;
        let mut j = start + 1;
        let mut digits = 0;
        while j < f.len() && (f[j].is_ascii_digit() || matches!(f[j], b' ' | b'-' | b'(' | b')')) {
            digits += usize::from(f[j].is_ascii_digit());
            j += 1;
        }
        if (8..=15).contains(&digits) && f.get(start + 1).is_some_and(u8::is_ascii_digit) {
            let end = f[..j].iter().rposition(u8::is_ascii_digit).map_or(j, |k| k + 1);
            found(norm.folded_span(text, start, end));
        }
        at = j.max(start + 1);
    }
}

/// FNV-1a over the normalized text: stable across processes and versions.
pub fn fingerprint(normalized: &str) -> u64 {
    normalized.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Compiles an operator's regex so that it stays on the regex crate's fast
/// (lazy DFA) path on CJK text: Unicode word boundaries `\b`/`\B` become their
/// ASCII forms and `\d`/`\D` mean ASCII digits. `\w` keeps its Unicode meaning
/// (it matches Chinese characters) — a larger automaton, still a DFA. Matching is
/// case-insensitive because it runs on folded text.
pub fn compile_custom_regex(pattern: &str) -> Result<Regex, String> {
    // Parse first so the message points at the operator's own pattern.
    regex_syntax::ast::parse::Parser::new().parse(pattern).map_err(|e| e.to_string())?;
    let rewritten = fast_path_rewrite(pattern);
    regex::RegexBuilder::new(&rewritten)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .dfa_size_limit(2 << 20)
        .build()
        .map_err(|e| e.to_string())
}

fn fast_path_rewrite(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 16);
    let mut chars = p.chars();
    let mut class_depth = 0u32;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('b') if class_depth == 0 => out.push_str(r"(?-u:\b)"),
                Some('B') if class_depth == 0 => out.push_str(r"(?-u:\B)"),
                Some('d') => out.push_str(if class_depth == 0 { "[0-9]" } else { "0-9" }),
                Some('D') if class_depth == 0 => out.push_str("[^0-9]"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' => {
                class_depth += 1;
                out.push(c);
                // A ']' right after '[' or '[^' is a literal.
                let mut look = chars.clone();
                match look.next() {
                    Some('^') => {
                        out.push('^');
                        chars.next();
                        if look.next() == Some(']') {
                            out.push(']');
                            chars.next();
                        }
                    }
                    Some(']') => {
                        out.push(']');
                        chars.next();
                    }
                    _ => {}
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
