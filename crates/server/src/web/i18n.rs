//! UI strings: TOML files under `locales/<language>/<capability>.toml`,
//! flattened to dotted keys and merged per language. A test keeps the two
//! languages' key sets identical.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::http::HeaderMap;

#[cfg(test)]
pub const LANGS: [&str; 2] = ["zh-CN", "en"];

type Table = HashMap<String, String>;

fn flatten(prefix: &str, v: &toml::Value, out: &mut Table) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

fn parse(src: &str) -> Table {
    let v: toml::Value = toml::from_str(src).expect("locale file is valid TOML");
    let mut t = Table::new();
    flatten("", &v, &mut t);
    t
}

/// Locale files, one per capability and language, merged at load (a key
/// belongs to one file; the tests check both languages have the same keys).
macro_rules! locale_files {
    ($lang:literal: $($cap:literal),* $(,)?) => {
        &[$(($cap, include_str!(concat!("../../locales/", $lang, "/", $cap, ".toml")))),*]
    };
}

type Files = &'static [(&'static str, &'static str)];

const EN: Files = locale_files!("en": "platform", "accounts", "communities", "membership", "content", "moderation",
    "notifications", "automation", "onboarding", "calendar", "webhooks", "faq", "analytics", "profiles", "points", "segments", "badges", "topics", "awards", "challenges", "lotteries", "gatherings", "venues", "qa", "polls");
const ZH_CN: Files = locale_files!("zh-CN": "platform", "accounts", "communities", "membership", "content", "moderation",
    "notifications", "automation", "onboarding", "calendar", "webhooks", "faq", "analytics", "profiles", "points", "segments", "badges", "topics", "awards", "challenges", "lotteries", "gatherings", "venues", "qa", "polls");

fn merge(files: Files) -> Table {
    let mut all = Table::new();
    for (cap, src) in files {
        for (k, v) in parse(src) {
            assert!(all.insert(k.clone(), v).is_none(), "locale key {k} is defined again in {cap}.toml");
        }
    }
    all
}

fn tables() -> &'static HashMap<&'static str, Table> {
    static T: OnceLock<HashMap<&'static str, Table>> = OnceLock::new();
    T.get_or_init(|| HashMap::from([("en", merge(EN)), ("zh-CN", merge(ZH_CN))]))
}

/// Looks up `key` in `lang`; falls back to English, then to the key itself.
pub fn lookup(lang: &str, key: &str) -> Option<&'static str> {
    let t = tables();
    t.get(lang).and_then(|m| m.get(key)).or_else(|| t.get("en").and_then(|m| m.get(key))).map(String::as_str)
}

pub fn t(lang: &str, key: &str) -> String {
    lookup(lang, key).map(str::to_string).unwrap_or_else(|| key.to_string())
}

/// Normalizes a language tag to one we ship.
pub fn normalize(tag: &str) -> Option<&'static str> {
    let tag = tag.trim().to_ascii_lowercase();
    if tag.starts_with("zh") {
        Some("zh-CN")
    } else if tag.starts_with("en") {
        Some("en")
    } else {
        None
    }
}

/// Picks the UI language: explicit choice (cookie) first, then the user's
/// profile, then the browser's Accept-Language (by q-value), else Chinese.
pub fn choose(cookie: Option<&str>, profile: Option<&str>, headers: &HeaderMap) -> &'static str {
    if let Some(l) = cookie.and_then(normalize) {
        return l;
    }
    if let Some(l) = profile.and_then(normalize) {
        return l;
    }
    let accept = headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut best: Option<(&'static str, f32)> = None;
    for part in accept.split(',') {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("");
        let q = it.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
        if let Some(l) = normalize(tag) {
            if best.is_none_or(|(_, bq)| q > bq) {
                best = Some((l, q));
            }
        }
    }
    best.map(|b| b.0).unwrap_or("zh-CN")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let t = tables();
        let en: std::collections::BTreeSet<_> = t["en"].keys().collect();
        let zh: std::collections::BTreeSet<_> = t["zh-CN"].keys().collect();
        assert_eq!(en.symmetric_difference(&zh).collect::<Vec<_>>(), Vec::<&&String>::new());
    }

    #[test]
    fn every_tab_and_notification_kind_has_a_label() {
        let tabs = super::super::CAPABILITIES.iter().flat_map(|c| c.nav.iter().map(|t| t.label.to_string()));
        let kinds =
            yaji_domain::notification::NotificationKind::ALL.iter().map(|k| format!("notes.kind_{}", k.as_str()));
        for key in tabs.chain(kinds) {
            for lang in LANGS {
                assert!(tables()[lang].contains_key(&key), "{lang} lacks {key}");
            }
        }
    }

    #[test]
    fn both_languages_have_the_same_files() {
        assert_eq!(EN.iter().map(|f| f.0).collect::<Vec<_>>(), ZH_CN.iter().map(|f| f.0).collect::<Vec<_>>());
    }

    #[test]
    fn accept_language_negotiation() {
        let mut h = HeaderMap::new();
        h.insert("accept-language", "en-US,en;q=0.9,zh-CN;q=0.8".parse().unwrap());
        assert_eq!(choose(None, None, &h), "en");
        h.insert("accept-language", "fr;q=1,zh-TW;q=0.9,en;q=0.5".parse().unwrap());
        assert_eq!(choose(None, None, &h), "zh-CN");
        assert_eq!(choose(Some("en"), Some("zh-CN"), &h), "en");
        assert_eq!(choose(None, Some("en"), &h), "en");
        assert_eq!(choose(None, None, &HeaderMap::new()), "zh-CN");
    }

    #[test]
    fn every_template_key_exists() {
        // Keys used as literal t("...") in templates must be present in both files.
        let re_src: Vec<&str> = super::super::templates().map(|(_, s)| *s).collect();
        for src in re_src {
            for part in src.split("t(\"").skip(1).chain(src.split("t('").skip(1)) {
                let key: String = part.chars().take_while(|c| *c != '"' && *c != '\'').collect();
                // Keys built at render time (`"err." ~ code`) are not literal: skip them.
                let after = part[key.len() + 1..].trim_start().chars().next();
                if !matches!(after, Some(')') | Some(',')) {
                    continue;
                }
                for lang in LANGS {
                    assert!(tables()[lang].contains_key(&key), "{lang} lacks {key}");
                }
            }
        }
    }
}
