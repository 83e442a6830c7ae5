//! Text limits and helpers shared by every input newtype.

use crate::error::{invalid, Invalid};

/// Longest name of anything (community, topic, display name), in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Largest post or comment body, in bytes of UTF-8.
pub const MAX_BODY_BYTES: usize = 100 * 1024;
/// Largest free-text field that is not a body (description, bio, answers).
pub const MAX_SHORT_TEXT_CHARS: usize = 2000;

/// Trims and checks a required single-line text of at most `max` characters.
pub fn required_line(field: &'static str, raw: &str, max: usize) -> Invalid<String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(invalid(field, "required", format!("{field} must not be empty")));
    }
    optional_line(field, s, max).map(|o| o.unwrap_or_default())
}

/// Trims an optional single-line text; empty becomes `None`.
pub fn optional_line(field: &'static str, raw: &str, max: usize) -> Invalid<Option<String>> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > max {
        return Err(invalid(field, "too_long", format!("{field} must be at most {max} characters")));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(invalid(
            field,
            "invalid_characters",
            format!("{field} must be a single line without control characters"),
        ));
    }
    Ok(Some(s.to_string()))
}

/// Optional multi-line text (newlines allowed) of at most `max` characters.
pub fn optional_text(field: &'static str, raw: &str, max: usize) -> Invalid<String> {
    let s = raw.trim();
    if s.chars().count() > max {
        return Err(invalid(field, "too_long", format!("{field} must be at most {max} characters")));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(invalid(field, "invalid_characters", format!("{field} contains control characters")));
    }
    Ok(s.to_string())
}

/// A Markdown body (post, comment, rules): required, at most `MAX_BODY_BYTES`.
pub fn body(field: &'static str, raw: &str) -> Invalid<String> {
    if raw.len() > MAX_BODY_BYTES {
        return Err(invalid(field, "too_large", format!("{field} must be at most {} KB", MAX_BODY_BYTES / 1024)));
    }
    let s = raw.trim();
    if s.is_empty() {
        return Err(invalid(field, "required", format!("{field} must not be empty")));
    }
    if s.contains('\0') {
        return Err(invalid(field, "invalid_characters", format!("{field} contains a NUL character")));
    }
    Ok(s.to_string())
}

/// Optional http(s) URL of at most 500 characters.
pub fn optional_url(field: &'static str, raw: &str) -> Invalid<Option<String>> {
    let Some(s) = optional_line(field, raw, 500)? else {
        return Ok(None);
    };
    let lower = s.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) || s.contains(char::is_whitespace) {
        return Err(invalid(field, "invalid_url", format!("{field} must be an http(s) URL")));
    }
    Ok(Some(s))
}

/// Validates an IANA time zone name such as `Asia/Shanghai`.
pub fn time_zone(field: &'static str, raw: &str) -> Invalid<String> {
    let s = raw.trim();
    s.parse::<chrono_tz::Tz>().map(|tz| tz.name().to_string()).map_err(|_| {
        invalid(field, "invalid_time_zone", format!("{field} must be an IANA time zone such as Asia/Shanghai"))
    })
}

/// Whether `s` can be a token Yaji issued (session, CSRF, API, invite code):
/// 1–128 URL-safe base64 characters. Anything else is refused before any lookup.
pub fn is_token_shaped(s: &str) -> bool {
    !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// UI languages Yaji ships.
pub const LOCALES: [&str; 2] = ["zh-CN", "en"];

pub fn locale(field: &'static str, raw: &str) -> Invalid<String> {
    let s = raw.trim();
    LOCALES
        .iter()
        .find(|l| l.eq_ignore_ascii_case(s))
        .map(|l| l.to_string())
        .ok_or_else(|| invalid(field, "invalid_locale", format!("{field} must be one of zh-CN, en")))
}

/// Renders Markdown to HTML that is safe to embed: raw HTML in the source is
/// escaped by pulldown-cmark's model then cleaned by ammonia (allow-list of
/// tags, `rel="noopener noreferrer nofollow"` on links, no scripts or styles).
pub fn markdown_to_html(md: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser};
    let opts = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
    // Raw HTML is shown as text rather than interpreted.
    let parser = Parser::new_ext(md, opts).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        other => other,
    });
    let mut html = String::with_capacity(md.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow ugc"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&html)
        .to_string()
}

/// Plain text as HTML with its links clickable: `http(s)://` addresses and
/// this site's own paths (`/c/…`, `/p/…`, `/u/…`, as the assistant's
/// `{rules_link}` writes them). Everything else is escaped; a path counts
/// only where it starts a word, so "and/or" stays text. Trailing
/// punctuation (ASCII or full-width) is not part of a link.
pub fn linkify(text: &str) -> String {
    static LINK: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = LINK.get_or_init(|| {
        regex::Regex::new(r"https?://[^\s<>\x22'，。！？、；：）」』】]+|/[cpu]/[A-Za-z0-9_\-./?=&#%]+").expect("valid")
    });
    let mut out = String::with_capacity(text.len() + 32);
    let mut last = 0;
    for m in re.find_iter(text) {
        let before = text[..m.start()].chars().next_back();
        if m.as_str().starts_with('/') && before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '/') {
            continue;
        }
        let link = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
        out.push_str(&escape_html(&text[last..m.start()]));
        let href = escape_html(link);
        out.push_str(&format!(r#"<a href="{href}" rel="noopener noreferrer nofollow">{href}</a>"#));
        last = m.start() + link.len();
    }
    out.push_str(&escape_html(&text[last..]));
    out
}

/// Han, kana, hangul and the full-width punctuation that goes with them.
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A plain-text excerpt of a Markdown body for feeds (first `max` chars).
pub fn excerpt(md: &str, max: usize) -> String {
    use pulldown_cmark::{Event, Parser, TagEnd};
    let mut out = String::new();
    // Blocks and line breaks become one space, except beside Chinese or
    // Japanese text (which has none); inline markup (bold, links) none.
    let mut gap = false;
    for e in Parser::new(md) {
        match e {
            Event::Text(t) | Event::Code(t) => {
                let joins_cjk = out.chars().next_back().is_some_and(is_cjk) || t.chars().next().is_some_and(is_cjk);
                if gap && !out.is_empty() && !out.ends_with(' ') && !joins_cjk {
                    out.push(' ');
                }
                gap = false;
                out.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => gap = true,
            Event::End(tag)
                if !matches!(
                    tag,
                    TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link | TagEnd::Image
                ) =>
            {
                gap = true
            }
            _ => {}
        }
        if out.chars().count() > max {
            break;
        }
    }
    let t = out.trim();
    if t.chars().count() > max {
        let mut s: String = t.chars().take(max).collect();
        s.push('…');
        s
    } else {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_add_no_spaces_inside_chinese() {
        assert_eq!(excerpt("**宋代点茶**，两小时。", 50), "宋代点茶，两小时。");
        assert_eq!(excerpt("第一段。\n\n第二段", 50), "第一段。第二段");
        assert_eq!(excerpt("first line\nsecond *line*.\n\n- a\n- b", 50), "first line second line. a b");
        assert_eq!(excerpt("读 [这本书](https://x.org) 吧", 50), "读 这本书 吧");
    }

    #[test]
    fn linkify_makes_addresses_and_site_paths_links() {
        assert_eq!(
            linkify("请先读群规：/c/tea/rules，再看 https://ex.com/a?b=1."),
            r#"请先读群规：<a href="/c/tea/rules" rel="noopener noreferrer nofollow">/c/tea/rules</a>，再看 <a href="https://ex.com/a?b=1" rel="noopener noreferrer nofollow">https://ex.com/a?b=1</a>."#
        );
        assert_eq!(linkify("and/or a/c/b <b>"), "and/or a/c/b &lt;b&gt;", "not inside words; escaped");
        assert_eq!(
            linkify(r#"https://x.io/"onmouseover=1"#),
            r#"<a href="https://x.io/" rel="noopener noreferrer nofollow">https://x.io/</a>&quot;onmouseover=1"#
        );
    }

    #[test]
    fn markdown_strips_script_and_js_links() {
        let html = markdown_to_html("hi <script>alert(1)</script> [x](javascript:alert(1)) **b**");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("<strong>b</strong>"));
        let html = markdown_to_html("<img src=x onerror=alert(1)>");
        assert!(!html.contains("<img"), "{html}");
        let html = markdown_to_html("[ok](https://example.com)");
        assert!(html.contains("rel=\"noopener noreferrer nofollow ugc\""), "{html}");
    }

    #[test]
    fn limits() {
        assert_eq!(required_line("name", "  a  ", 100).unwrap(), "a");
        assert_eq!(required_line("name", " ", 100).unwrap_err().code, "required");
        assert_eq!(required_line("name", &"字".repeat(101), 100).unwrap_err().code, "too_long");
        assert!(required_line("name", &"字".repeat(100), 100).is_ok());
        assert_eq!(body("body", &"a".repeat(MAX_BODY_BYTES + 1)).unwrap_err().code, "too_large");
        assert!(body("body", &"a".repeat(MAX_BODY_BYTES)).is_ok());
        assert_eq!(time_zone("tz", "Mars/Base").unwrap_err().code, "invalid_time_zone");
        assert_eq!(time_zone("tz", "Asia/Shanghai").unwrap(), "Asia/Shanghai");
        assert_eq!(optional_url("a", "javascript:x").unwrap_err().code, "invalid_url");
        assert_eq!(locale("l", "EN").unwrap(), "en");
    }

    #[test]
    fn excerpt_is_plain_and_short() {
        assert_eq!(excerpt("# Title\n\nHello **world**", 100), "Title Hello world");
        assert_eq!(excerpt("一二三四五六", 3), "一二三…");
    }
}
