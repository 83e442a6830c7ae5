//! Typed payloads: one struct per event kind that carries data, written and
//! read by the same type. Writers build events with [`Event::of`]; readers
//! (analytics, automation, webhooks' receivers through the JSON) decode with
//! [`Payload::decode`]. Field names are the stored JSON's: events written
//! before a field existed decode through `#[serde(default)]`.
//!
//! Kinds that carry nothing (`post_deleted`, `essence_set`, …) have no struct
//! and are built with [`Event::new`].

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Event, Kind, Subject};

/// The payload of one event kind.
pub trait Payload: Serialize + DeserializeOwned {
    const KIND: Kind;

    /// Reads a stored payload; a malformed or missing one reads as the default
    /// of every field (the log is append-only: old rows stay as written).
    fn decode(json: &str) -> Self
    where
        Self: Default,
    {
        serde_json::from_str(json).unwrap_or_default()
    }
}

impl Event {
    /// An event of `P::KIND` carrying `payload`; `actor_id` is `None` when
    /// the system acts (a rule, the automod).
    pub fn of<P: Payload>(
        community_id: Option<i64>,
        actor_id: impl Into<Option<i64>>,
        subject: Subject,
        payload: &P,
    ) -> Event {
        let payload = serde_json::to_value(payload).unwrap_or_default();
        Event { kind: P::KIND, community_id, actor_id: actor_id.into(), subject, payload }
    }

    /// This event's payload as `P`, when it is of `P`'s kind.
    pub fn payload<P: Payload>(&self) -> Option<P> {
        (self.kind == P::KIND).then(|| serde_json::from_value(self.payload.clone()).ok()).flatten()
    }
}

macro_rules! payload {
    ($(#[$m:meta])* $name:ident => $kind:ident { $($(#[$fm:meta])* $f:ident : $t:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct $name { $($(#[$fm])* #[serde(default, deserialize_with = "null_as_default")] pub $f: $t),* }
        impl Payload for $name { const KIND: Kind = Kind::$kind; }
    };
}

/// A field written as `null` (or by an older writer with another shape of
/// nothing) reads as its default, like a missing one.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn is_false(b: &bool) -> bool {
    !*b
}

payload!(
    /// A post was written (by a member, the assistant or a scheduled post).
    PostCreated => PostCreated {
        topic_id: Option<i64>,
        /// `visible`, `held` or `hidden`: what screening decided.
        moderation: String,
        /// Whether it reads as a question (FAQ, response-time analytics).
        question: bool,
        /// Written by the assistant, not typed by the member.
        #[serde(skip_serializing_if = "is_false")]
        automatic: bool,
    }
);

payload!(
    /// A comment was written under a post.
    CommentCreated => CommentCreated {
        post_id: i64,
        post_author_id: Option<i64>,
        moderation: Option<String>,
        #[serde(skip_serializing_if = "is_false")]
        automatic: bool,
        /// FAQ answers: the entry that answered and the match score.
        #[serde(skip_serializing_if = "Option::is_none")]
        faq_entry_id: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        score: Option<f64>,
        /// An FAQ answer to a question asked in a comment: that comment.
        #[serde(skip_serializing_if = "Option::is_none")]
        question_comment_id: Option<i64>,
    }
);

impl PostCreated {
    /// Screening let it through: members see it.
    pub fn is_visible(&self) -> bool {
        self.moderation == "visible"
    }
}

impl CommentCreated {
    /// Screening let it through (comments from before the field count as visible).
    pub fn is_visible(&self) -> bool {
        self.moderation.as_deref().is_none_or(|m| m == "visible")
    }
}

payload!(
    /// A post was edited; `moderation` is its state after the new screening.
    PostEdited => PostEdited { moderation: String }
);

payload!(
    /// A reaction was added to a post.
    ReactionAdded => ReactionAdded { emoji: String, post_author_id: i64 }
);

payload!(
    /// A reaction was taken back.
    ReactionRemoved => ReactionRemoved { emoji: String, post_author_id: i64 }
);

payload!(
    /// A member joined (open community, invite, or approved application).
    MemberJoined => MemberJoined {
        invited_by: Option<i64>,
        invite_id: Option<i64>,
        rules_version: i64,
    }
);

payload!(
    /// Staff approved an application; `user_id` is the applicant.
    JoinApproved => JoinApproved { user_id: i64, reason: String }
);

payload!(
    /// Staff rejected an application.
    JoinRejected => JoinRejected { user_id: i64, reason: String }
);

payload!(
    /// A member accepted a version of the rules.
    RulesAccepted => RulesAccepted { version: i64 }
);

payload!(
    /// A new version of the rules was published.
    RulesPublished => RulesPublished { version: i64 }
);

payload!(
    /// An invite link was made.
    InviteCreated => InviteCreated { max_uses: Option<i64>, expires_at: Option<i64> }
);

payload!(
    /// A member's role changed.
    RoleChanged => RoleChanged { from: String, to: String }
);

payload!(
    /// A member was tagged (by staff or a rule).
    MemberTagged => MemberTagged {
        tag: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        rule_id: Option<i64>,
    }
);

payload!(
    /// A member's tag was taken off.
    MemberUntagged => MemberUntagged {
        tag: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        rule_id: Option<i64>,
    }
);

payload!(
    /// A member reported a post, comment or member; enough reporters hide the content.
    ReportFiled => ReportFiled { reason: String, reporters: i64, auto_hidden: bool }
);

payload!(
    /// A moderator approved held or reported content (`before` → `after` state).
    ContentApproved => ContentApproved {
        reason: String,
        decision: String,
        flags: i64,
        author_id: Option<i64>,
        before: Option<String>,
        after: String,
    }
);

payload!(
    /// A moderator rejected (hid) held or reported content.
    ContentRejected => ContentRejected {
        reason: String,
        decision: String,
        flags: i64,
        author_id: Option<i64>,
        before: Option<String>,
        after: String,
    }
);

payload!(
    /// A moderator lifted a mute (`before_until`: when it would have ended).
    MemberUnmuted => MemberUnmuted { before_until: Option<String> }
);

payload!(
    /// A member's posts now wait for approval.
    MemberRestricted => MemberRestricted { reason: String, before: bool, after: bool }
);

payload!(
    /// A member's posts no longer wait for approval.
    MemberUnrestricted => MemberUnrestricted { reason: String, before: bool, after: bool }
);

payload!(
    /// A post was scheduled (or its schedule canceled).
    PostScheduled => PostScheduled {
        scheduled_id: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        publish_at: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        repeat: Option<String>,
        #[serde(skip_serializing_if = "is_false")]
        canceled: bool,
    }
);

payload!(
    /// The FAQ changed: an entry (`entry_id`, `change`) or the settings.
    FaqUpdated => FaqUpdated {
        #[serde(skip_serializing_if = "Option::is_none")]
        entry_id: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        change: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        threshold: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        unanswered_minutes: Option<i64>,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_through_the_event() {
        let p = PostCreated { topic_id: Some(3), moderation: "visible".into(), question: true, automatic: false };
        let e = Event::of(Some(1), 2, Subject::Post(9), &p);
        assert_eq!(e.kind, Kind::PostCreated);
        // The stored JSON keeps the names readers and webhook receivers know.
        assert_eq!(e.payload, serde_json::json!({"topic_id": 3, "moderation": "visible", "question": true}));
        assert_eq!(e.payload::<PostCreated>(), Some(p));
        assert_eq!(e.payload::<CommentCreated>(), None, "another kind does not decode");
    }

    #[test]
    fn old_or_broken_payloads_read_as_defaults() {
        assert_eq!(CommentCreated::decode(r#"{"post_id": 5}"#).post_id, 5);
        assert_eq!(CommentCreated::decode("null"), CommentCreated::default());
        assert_eq!(MemberJoined::decode("not json").invited_by, None);
        // A null reads as the field's default without losing the other fields.
        let j = JoinApproved::decode(r#"{"user_id": 11, "reason": null}"#);
        assert_eq!((j.user_id, j.reason.as_str()), (11, ""));
    }
}
