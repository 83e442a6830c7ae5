//! Badges: marks a member earns once and keeps. Built-in ones every
//! community has (first post, essence author …) and custom ones operators
//! define, each either earned by a rule over a member's counts ("20 posts",
//! "500 points") or granted by staff. Pure rules; the app's subscriber
//! counts and grants.

use serde::{Deserialize, Serialize};

use crate::activity::{CommentCreated, Event, Kind, PostCreated, QueueDecision, Subject};
use crate::error::{invalid, Invalid};

/// What a badge rule counts for a member in a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counter {
    /// Posts members can see.
    Posts,
    /// Comments members can see.
    Comments,
    /// Posts picked as essence.
    Essence,
    /// The points balance.
    Points,
    /// Gatherings attended (checked in at the door or marked by staff).
    Events,
    /// Comments accepted as the answer to a question.
    Answers,
}

impl Counter {
    pub const ALL: [Counter; 5] =
        [Counter::Posts, Counter::Comments, Counter::Essence, Counter::Points, Counter::Events];

    pub fn as_str(self) -> &'static str {
        match self {
            Counter::Posts => "posts",
            Counter::Comments => "comments",
            Counter::Essence => "essence",
            Counter::Points => "points",
            Counter::Events => "events",
            Counter::Answers => "answers",
        }
    }

    pub fn parse(field: &'static str, s: &str) -> Invalid<Counter> {
        Counter::ALL.into_iter().find(|c| c.as_str() == s.trim()).ok_or_else(|| {
            invalid(
                field,
                "invalid_choice",
                "counter must be one of: posts, comments, essence, points, events, answers",
            )
        })
    }
}

/// Icons a badge may carry (names in the UI's icon set).
pub const ICONS: [&str; 12] = [
    "award",
    "star",
    "trophy",
    "sparkles",
    "pencil",
    "message-circle",
    "party-popper",
    "thumbs-up",
    "hand",
    "megaphone",
    "flame",
    "gift",
];

/// A built-in badge: the same in every community, named in both languages.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    pub key: &'static str,
    pub icon: &'static str,
    /// Earned by this count; `None`: granted by the app (the month's top).
    pub counter: Option<Counter>,
    pub at_least: i64,
    pub zh: (&'static str, &'static str),
    pub en: (&'static str, &'static str),
}

/// The built-in badges.
pub const BUILTINS: [Builtin; 11] = [
    Builtin {
        key: "first_post",
        icon: "pencil",
        counter: Some(Counter::Posts),
        at_least: 1,
        zh: ("初来乍到", "发了第一篇帖子"),
        en: ("First post", "Wrote a first post"),
    },
    Builtin {
        key: "prolific",
        icon: "sparkles",
        counter: Some(Counter::Posts),
        at_least: 20,
        zh: ("笔耕不辍", "发了 20 篇帖子"),
        en: ("Prolific", "Wrote 20 posts"),
    },
    Builtin {
        key: "conversationalist",
        icon: "message-circle",
        counter: Some(Counter::Comments),
        at_least: 50,
        zh: ("热心肠", "写了 50 条评论"),
        en: ("Conversationalist", "Wrote 50 comments"),
    },
    Builtin {
        key: "essence_author",
        icon: "star",
        counter: Some(Counter::Essence),
        at_least: 1,
        zh: ("精华作者", "有帖子被选为精华"),
        en: ("Essence author", "Had a post picked as essence"),
    },
    Builtin {
        key: TOP_CONTRIBUTOR,
        icon: "trophy",
        counter: None,
        at_least: 0,
        zh: ("月度贡献之星", "某个月的积分前三名"),
        en: ("Top contributor", "Among a month's top three by points"),
    },
    Builtin {
        key: "streak_7",
        icon: "flame",
        counter: None,
        at_least: 0,
        zh: ("七日之约", "在打卡挑战中连续打卡 7 天"),
        en: ("7-day streak", "Checked in 7 days in a row in a challenge"),
    },
    Builtin {
        key: "streak_21",
        icon: "flame",
        counter: None,
        at_least: 0,
        zh: ("习惯养成", "在打卡挑战中连续打卡 21 天"),
        en: ("21-day streak", "Checked in 21 days in a row in a challenge"),
    },
    Builtin {
        key: "streak_30",
        icon: "flame",
        counter: None,
        at_least: 0,
        zh: ("月度坚持", "在打卡挑战中连续打卡 30 天"),
        en: ("30-day streak", "Checked in 30 days in a row in a challenge"),
    },
    Builtin {
        key: "streak_100",
        icon: "flame",
        counter: None,
        at_least: 0,
        zh: ("百日筑基", "在打卡挑战中连续打卡 100 天"),
        en: ("100-day streak", "Checked in 100 days in a row in a challenge"),
    },
    Builtin {
        key: "event_regular",
        icon: "party-popper",
        counter: Some(Counter::Events),
        at_least: 3,
        zh: ("雅集常客", "参加了 3 场雅集"),
        en: ("Regular", "Came to 3 gatherings"),
    },
    Builtin {
        key: "first_answer",
        icon: "thumbs-up",
        counter: Some(Counter::Answers),
        at_least: 1,
        zh: ("解惑者", "第一次有回答被采纳"),
        en: ("Problem solver", "Had a first answer accepted"),
    },
];

/// The built-in badge a streak of `days` earns, if one does (when the
/// challenge has a milestone of that length: 7, 21 and 100 by default, 30
/// when the organizer adds it).
pub fn streak_badge(days: i64) -> Option<&'static str> {
    match days {
        7 => Some("streak_7"),
        21 => Some("streak_21"),
        30 => Some("streak_30"),
        100 => Some("streak_100"),
        _ => None,
    }
}

/// The built-in badge the month's top three receive when the month's list is frozen.
pub const TOP_CONTRIBUTOR: &str = "top_contributor";
/// How many of a month's top contributors receive it.
pub const TOP_CONTRIBUTOR_RANKS: usize = 3;

pub fn builtin(key: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.key == key)
}

/// A custom badge as an operator defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_icon")]
    pub icon: String,
    /// Earned automatically at `at_least` of this count; absent: granted by staff.
    #[serde(default)]
    pub counter: Option<String>,
    #[serde(default)]
    pub at_least: Option<i64>,
}

fn default_icon() -> String {
    "award".into()
}

/// A checked custom badge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeDef {
    pub name: String,
    pub description: String,
    pub icon: String,
    pub rule: Option<(Counter, i64)>,
}

impl BadgeInput {
    pub fn validate(self) -> Invalid<BadgeDef> {
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 30 {
            return Err(invalid("name", "invalid_length", "a badge's name is 1-30 characters"));
        }
        let description = self.description.trim().to_string();
        if description.chars().count() > 200 {
            return Err(invalid("description", "invalid_length", "at most 200 characters"));
        }
        let icon = self.icon.trim();
        if !ICONS.contains(&icon) {
            return Err(invalid("icon", "invalid_choice", format!("icon must be one of: {}", ICONS.join(", "))));
        }
        let rule = match (self.counter.as_deref().map(str::trim).filter(|c| !c.is_empty()), self.at_least) {
            (None, None) => None,
            (None, Some(_)) => return Err(invalid("counter", "required", "say what to count")),
            (Some(c), n) => {
                let counter = Counter::parse("counter", c)?;
                match n {
                    Some(n) if (1..=1_000_000_000).contains(&n) => Some((counter, n)),
                    _ => return Err(invalid("at_least", "out_of_range", "a number from 1 up")),
                }
            }
        };
        Ok(BadgeDef { name, description, icon: icon.to_string(), rule })
    }
}

/// The counters an event may have moved, and for whom: the actor's posts
/// or comments, a post author's essence. Points are checked for everyone the
/// event paid (the app knows whom); `None` here means nothing to count.
pub fn counted(e: &Event) -> Option<(Counter, Who)> {
    match e.kind {
        // The assistant's posts and comments count for no one.
        Kind::PostCreated => {
            e.payload::<PostCreated>().filter(|p| p.is_visible() && !p.automatic).map(|_| (Counter::Posts, Who::Actor))
        }
        Kind::CommentCreated => e
            .payload::<CommentCreated>()
            .filter(|c| c.is_visible() && !c.automatic)
            .map(|_| (Counter::Comments, Who::Actor)),
        Kind::ContentApproved => {
            let d = e.payload::<QueueDecision>().filter(|d| d.after == "visible")?;
            let counter = match e.subject {
                Subject::Post(_) => Counter::Posts,
                Subject::Comment(_) => Counter::Comments,
                _ => return None,
            };
            d.author_id.map(|a| (counter, Who::User(a)))
        }
        Kind::EssenceSet => Some((Counter::Essence, Who::AuthorOf(e.subject))),
        _ => None,
    }
}

/// Whose count moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Actor,
    User(i64),
    AuthorOf(Subject),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(counter: Option<&str>, at_least: Option<i64>) -> BadgeInput {
        BadgeInput {
            name: " 读书达人 ".into(),
            description: String::new(),
            icon: "star".into(),
            counter: counter.map(str::to_string),
            at_least,
        }
    }

    #[test]
    fn custom_badges_are_checked() {
        let d = input(Some("posts"), Some(10)).validate().unwrap();
        assert_eq!((d.name.as_str(), d.rule), ("读书达人", Some((Counter::Posts, 10))));
        assert_eq!(input(None, None).validate().unwrap().rule, None, "granted by staff");
        let field = |i: BadgeInput| i.validate().unwrap_err().field;
        assert_eq!(field(input(Some("likes"), Some(3))), "counter");
        assert_eq!(field(input(Some("posts"), Some(0))), "at_least");
        assert_eq!(field(input(Some("posts"), None)), "at_least");
        assert_eq!(field(input(None, Some(3))), "counter");
        assert_eq!(field(BadgeInput { icon: "skull".into(), ..input(None, None) }), "icon");
        assert_eq!(field(BadgeInput { name: "  ".into(), ..input(None, None) }), "name");
    }

    #[test]
    fn builtins_have_unique_keys_and_known_icons() {
        for (i, b) in BUILTINS.iter().enumerate() {
            assert!(ICONS.contains(&b.icon), "{}", b.key);
            assert!(BUILTINS[i + 1..].iter().all(|o| o.key != b.key));
            assert_eq!(builtin(b.key).map(|x| x.key), Some(b.key));
        }
    }
}
