//! Posts, comments, reactions, topics, feeds.

use serde::{Deserialize, Serialize};

use crate::error::{invalid, Invalid};
use crate::permission::Gate;
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

/// Who may read and who may post in a topic: members from a level, with a
/// tag, or either; empty, everyone who may read or post in the community.
/// Checked by [`crate::permission::decide`] through the gates it gives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicAccess {
    #[serde(default)]
    pub read_min_level: Option<i64>,
    #[serde(default)]
    pub read_tag: Option<String>,
    #[serde(default)]
    pub post_min_level: Option<i64>,
    #[serde(default)]
    pub post_tag: Option<String>,
}

impl TopicAccess {
    pub fn validate(self) -> Invalid<TopicAccess> {
        let level = |field: &'static str, l: Option<i64>| match l {
            Some(n) if !(1..=crate::points::MAX_LEVELS as i64).contains(&n) => {
                Err(invalid(field, "out_of_range", "a level from 1 up"))
            }
            // Level 1 is everyone: no gate.
            Some(1) | None => Ok(None),
            other => Ok(other),
        };
        let tag = |field: &'static str, t: Option<String>| match t.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) => crate::automation::tag(t).map(Some).map_err(|e| invalid(field, e.code, e.message)),
        };
        Ok(TopicAccess {
            read_min_level: level("read_min_level", self.read_min_level)?,
            read_tag: tag("read_tag", self.read_tag)?,
            post_min_level: level("post_min_level", self.post_min_level)?,
            post_tag: tag("post_tag", self.post_tag)?,
        })
    }

    pub fn read_gate(&self) -> Gate {
        Gate { min_level: self.read_min_level, tag: self.read_tag.is_some() }
    }

    pub fn post_gate(&self) -> Gate {
        Gate { min_level: self.post_min_level, tag: self.post_tag.is_some() }
    }

    pub fn is_open(&self) -> bool {
        self.read_gate().is_open() && self.post_gate().is_open()
    }
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
    /// Posts asked as questions (Q&A).
    Questions(Answered),
}

/// Which questions a Q&A feed lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answered {
    All,
    /// No answer accepted yet.
    Unanswered,
    Answered,
}

impl Feed {
    /// A feed by its name in links and the API: `latest`, `essence`,
    /// `questions`, `unanswered`, `answered`.
    pub fn named(name: &str) -> Option<Feed> {
        Some(match name {
            "" | "latest" => Feed::Latest,
            "essence" => Feed::Essence,
            "questions" => Feed::Questions(Answered::All),
            "unanswered" => Feed::Questions(Answered::Unanswered),
            "answered" => Feed::Questions(Answered::Answered),
            _ => return None,
        })
    }
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
    fn topic_access_is_checked_and_level_one_is_open() {
        let a = TopicAccess { read_min_level: Some(1), post_tag: Some(" 嘉宾 ".into()), ..Default::default() };
        let a = a.validate().unwrap();
        assert_eq!((a.read_min_level, a.post_tag.as_deref()), (None, Some("嘉宾")));
        assert!(a.read_gate().is_open() && !a.post_gate().is_open() && !a.is_open());
        let bad = TopicAccess { post_min_level: Some(0), ..Default::default() };
        assert_eq!(bad.validate().unwrap_err().field, "post_min_level");
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
