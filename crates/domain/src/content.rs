//! Posts, comments, reactions, topics, feeds.

use serde::{Deserialize, Serialize};

use crate::error::{invalid, Invalid};
use crate::text::{self};

/// The fixed reaction set. Small on purpose: reactions are a signal, not chat.
pub const REACTIONS: [&str; 6] = ["👍", "❤️", "😂", "🎉", "🤔", "🙏"];

pub fn reaction(raw: &str) -> Invalid<String> {
    let s = raw.trim();
    REACTIONS
        .iter()
        .find(|r| **r == s)
        .map(|r| r.to_string())
        .ok_or_else(|| invalid("emoji", "invalid_choice", format!("emoji must be one of {}", REACTIONS.join(" "))))
}

/// A validated new post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostDraft {
    pub title: Option<String>,
    pub body: String,
}

impl PostDraft {
    pub fn parse(title: Option<&str>, body: &str) -> Invalid<Self> {
        Ok(Self { title: text::optional_line("title", title.unwrap_or(""), 200)?, body: text::body("body", body)? })
    }
}

/// Which feed of a community.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Feed {
    Latest,
    Essence,
    Topic(i64),
}

/// Opaque cursor for keyset pagination: the (created_at, id) of the last item seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub at: i64,
    pub id: i64,
}

impl Cursor {
    pub fn encode(self) -> String {
        format!("{}_{}", self.at, self.id)
    }
    pub fn parse(raw: &str) -> Invalid<Self> {
        let bad = || invalid("cursor", "invalid_cursor", "cursor is not one this server issued");
        let (a, b) = raw.split_once('_').ok_or_else(bad)?;
        Ok(Cursor { at: a.parse().map_err(|_| bad())?, id: b.parse().map_err(|_| bad())? })
    }
}

pub const DEFAULT_PAGE: u32 = 20;
pub const MAX_PAGE: u32 = 100;

pub fn page_size(raw: Option<u32>) -> Invalid<u32> {
    match raw {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(invalid("limit", "out_of_range", format!("limit must be between 1 and {MAX_PAGE}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_roundtrip_and_garbage() {
        let c = Cursor { at: 1_700_000_000_000, id: 42 };
        assert_eq!(Cursor::parse(&c.encode()).unwrap(), c);
        assert!(Cursor::parse("x").is_err());
        assert!(Cursor::parse("1_x").is_err());
    }

    #[test]
    fn reactions_and_drafts() {
        assert!(reaction("👍").is_ok());
        assert_eq!(reaction("💩").unwrap_err().code, "invalid_choice");
        assert_eq!(PostDraft::parse(Some(" "), "body").unwrap().title, None);
        assert_eq!(PostDraft::parse(None, "  ").unwrap_err().field, "body");
        assert!(page_size(Some(0)).is_err());
        assert_eq!(page_size(None).unwrap(), 20);
    }
}

/// Whether members see a post or comment: what screening (and later the
/// review queue) decided. Stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentState {
    /// Everyone who may read the community sees it.
    Visible,
    /// Waiting for a moderator (only the author and moderators see it).
    Held,
    /// Taken down (only the author and moderators see it).
    Hidden,
}

impl ContentState {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentState::Visible => "visible",
            ContentState::Held => "held",
            ContentState::Hidden => "hidden",
        }
    }
}
