//! Lines of an activity log from elsewhere (`yaji import activity`):
//! `{"community","member","kind","at"}` with an RFC 3339 time. Parsing,
//! naming and the idempotency key are decided here; the app writes.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::community::CommunitySlug;
use crate::user::Username;

#[derive(Deserialize)]
struct Line {
    community: serde_json::Value,
    member: serde_json::Value,
    kind: String,
    at: String,
}

/// One accepted line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub community_slug: String,
    pub community_name: String,
    pub username: String,
    pub display_name: String,
    /// The activity log's kind (`post` → `post_created`, …).
    pub kind: String,
    pub at: i64,
    /// Identifies the line's content: importing it again changes nothing.
    pub key: String,
}

fn text(v: &serde_json::Value, field: &str) -> Result<String, String> {
    let s = match v {
        serde_json::Value::String(s) => s.trim().to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err(format!("{field} must be a string or a number")),
    };
    if s.is_empty() || s.chars().count() > 100 || s.chars().any(char::is_control) {
        return Err(format!("{field} must be 1-100 characters without control characters"));
    }
    Ok(s)
}

fn short_hash(s: &str) -> String {
    hex::encode(&Sha256::digest(s.as_bytes())[..5])
}

/// Maps the file's kinds onto the activity log's.
pub fn map_kind(kind: &str) -> Result<String, String> {
    let k = kind.trim().to_ascii_lowercase();
    let mapped = match k.as_str() {
        "join" | "joined" => "member_joined",
        "leave" | "left" => "member_left",
        "post" => "post_created",
        "comment" | "reply" => "comment_created",
        "reaction" | "like" => "reaction_added",
        "checkin" | "check_in" => "checkin",
        "vote" => "vote",
        other => other,
    };
    let ok = !mapped.is_empty()
        && mapped.len() <= 40
        && mapped.starts_with(|c: char| c.is_ascii_lowercase())
        && mapped.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(mapped.to_string())
    } else {
        Err(format!("kind '{kind}' is not a word of lowercase letters, digits and _"))
    }
}

/// Parses one line; the error says why it was rejected.
pub fn parse_line(line: &str) -> Result<Imported, String> {
    let l: Line =
        serde_json::from_str(line).map_err(|e| format!("not a JSON object with community, member, kind, at: {e}"))?;
    let community = text(&l.community, "community")?;
    let member = text(&l.member, "member")?;
    let kind = map_kind(&l.kind)?;
    let at = chrono::DateTime::parse_from_rfc3339(l.at.trim())
        .map_err(|_| format!("at '{}' is not an RFC 3339 time", l.at))?
        .timestamp_millis();
    // Names that are valid slugs / usernames are used as they are; others get a stable derived one.
    let community_slug = CommunitySlug::parse(&community)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("c-{}", short_hash(&community)));
    let username = Username::parse(&member)
        .map(|u| u.as_str().to_string())
        .unwrap_or_else(|_| format!("m-{}", short_hash(&member)));
    let key = hex::encode(&Sha256::digest(format!("{community_slug}\0{username}\0{kind}\0{at}").as_bytes())[..16]);
    Ok(Imported { community_slug, community_name: community, username, display_name: member, kind, at, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_parsed_named_and_keyed() {
        let a =
            parse_line(r#"{"community":"tea-house","member":"alice","kind":"post","at":"2026-11-01T09:00:00+08:00"}"#)
                .unwrap();
        assert_eq!(
            (a.community_slug.as_str(), a.username.as_str(), a.kind.as_str()),
            ("tea-house", "alice", "post_created")
        );
        assert_eq!(a.at, chrono::DateTime::parse_from_rfc3339("2026-11-01T01:00:00Z").unwrap().timestamp_millis());
        // The same event written differently is the same line.
        let b = parse_line(r#"{"community":"tea-house","member":"alice","kind":"POST","at":"2026-11-01T01:00:00Z"}"#)
            .unwrap();
        assert_eq!(a.key, b.key);
        let c =
            parse_line(r#"{"community":"茶馆","member":12345,"kind":"checkin","at":"2026-11-01T01:00:00Z"}"#).unwrap();
        assert!(c.community_slug.starts_with("c-") && c.community_name == "茶馆");
        assert_eq!((c.username.as_str(), c.kind.as_str()), ("12345", "checkin"));
        let d =
            parse_line(r#"{"community":"茶馆","member":"王 五","kind":"like","at":"2026-11-01T01:00:00Z"}"#).unwrap();
        assert!(d.username.starts_with("m-") && d.display_name == "王 五");
        assert_eq!(d.kind, "reaction_added");
        for bad in [
            "not json",
            r#"{"community":"x","member":"a","kind":"post"}"#,
            r#"{"community":"","member":"a","kind":"post","at":"2026-11-01T01:00:00Z"}"#,
            r#"{"community":"x","member":"a","kind":"drop table","at":"2026-11-01T01:00:00Z"}"#,
            r#"{"community":"x","member":"a","kind":"post","at":"yesterday"}"#,
            r#"{"community":"x","member":["a"],"kind":"post","at":"2026-11-01T01:00:00Z"}"#,
        ] {
            assert!(parse_line(bad).is_err(), "{bad}");
        }
    }
}
