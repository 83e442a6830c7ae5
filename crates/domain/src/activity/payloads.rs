//! Typed payloads: one struct per event kind that carries data, written and
//! read by the same type. Writers build events with [`Event::of`]; readers
//! (analytics, automation, webhooks' receivers through the JSON) decode with
//! [`Payload::decode`]. Field names are the stored JSON's: events written
//! before a field existed decode through `#[serde(default)]`.
//!
//! Every kind that carries data has its type; a few types are shared by
//! kinds of one shape ([`Sanctioned`]: warned, muted, removed, banned;
//! [`QueueDecision`]: approved, rejected) and are written with
//! [`Event::of_kind`]. Kinds that carry nothing (`post_deleted`,
//! `essence_set`, …) have no struct and are built with [`Event::new`].

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Event, Kind, Subject};

/// The payload of one event kind.
pub trait Payload: Serialize + DeserializeOwned {
    /// The kinds written with this payload: most types have one; a few
    /// shapes are shared (a sanction is a warning, a mute, a removal or a ban).
    const KINDS: &'static [Kind];

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
    /// An event of `P`'s kind carrying `payload`; `actor_id` is `None` when
    /// the system acts (a rule, the automod). For a shared shape, the first
    /// of its kinds: name the kind with [`Event::of_kind`].
    pub fn of<P: Payload>(
        community_id: Option<i64>,
        actor_id: impl Into<Option<i64>>,
        subject: Subject,
        payload: &P,
    ) -> Event {
        Event::of_kind(P::KINDS[0], community_id, actor_id, subject, payload)
    }

    /// An event of `kind`, one of the kinds `P` is written for.
    pub fn of_kind<P: Payload>(
        kind: Kind,
        community_id: Option<i64>,
        actor_id: impl Into<Option<i64>>,
        subject: Subject,
        payload: &P,
    ) -> Event {
        debug_assert!(P::KINDS.contains(&kind), "{kind:?} is not written with this payload");
        let payload = serde_json::to_value(payload).unwrap_or_default();
        Event { kind, community_id, actor_id: actor_id.into(), subject, payload }
    }

    /// This event's payload as `P`, when it is of one of `P`'s kinds.
    pub fn payload<P: Payload>(&self) -> Option<P> {
        P::KINDS.contains(&self.kind).then(|| serde_json::from_value(self.payload.clone()).ok()).flatten()
    }
}

macro_rules! payload {
    ($(#[$m:meta])* $name:ident => $($kind:ident)|+ { $($(#[$fm:meta])* $f:ident : $t:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct $name { $($(#[$fm])* #[serde(default, deserialize_with = "null_as_default")] pub $f: $t),* }
        impl Payload for $name { const KINDS: &'static [Kind] = &[$(Kind::$kind),+]; }
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
        /// A check-in's proof (the check-in earns its own points, not a post's).
        #[serde(skip_serializing_if = "is_false")]
        checkin: bool,
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
        /// A reply: the thread's top-level comment, and the author of the
        /// comment replied to (who is told).
        #[serde(skip_serializing_if = "Option::is_none")]
        parent_id: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        replied_to_author_id: Option<i64>,
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
    /// A reaction was added to or taken back from a comment (subject: the comment).
    CommentReaction => CommentReactionAdded | CommentReactionRemoved { emoji: String, post_id: i64, comment_author_id: i64 }
);

payload!(
    /// Staff awarded (`amount` > 0) or deducted points by hand (subject: the member).
    PointsAdjusted => PointsAdjusted { amount: i64, reason: String, balance: i64 }
);

payload!(
    /// Staff acted on every member of a segment at once (subject: the
    /// community): `action` is `tag`, `untag`, `award` or `message`; `count`
    /// members were acted on, `skipped` left out (opted out or unchanged).
    SegmentActed => SegmentActed { segment_id: i64, name: String, action: String, detail: String, count: i64, skipped: i64 }
);

payload!(
    /// A member earned a badge (subject: the member): by its rule (no actor)
    /// or granted by staff (the actor, with `reason`).
    BadgeEarned => BadgeEarned { badge_id: i64, key: String, name: String, reason: String }
);

payload!(
    /// An admin changed who may read and post in a topic (subject: the topic;
    /// `access` as domain::content::TopicAccess).
    TopicAccessChanged => TopicAccessChanged { name: String, access: serde_json::Value }
);

payload!(
    /// Staff opened a member-voted award (subject: the community).
    AwardOpened => AwardOpened { award_id: i64, title: String, nominees: Vec<i64>, closes_at: i64 }
);

payload!(
    /// A member voted or changed their vote (subject: the nominee).
    AwardVoted => AwardVoted { award_id: i64 }
);

payload!(
    /// Staff took a badge back (subject: the member).
    BadgeRevoked => BadgeRevoked { badge_id: i64, name: String, reason: String }
);

payload!(
    /// A member's points reached a level for the first time (subject: the member; 0-based `level`).
    LevelReached => LevelReached { level: i64, name: String, balance: i64 }
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
    /// A new version of the rules was published; with `require_acceptance`
    /// members accept it before they post, comment or react again.
    RulesPublished => RulesPublished {
        version: i64,
        #[serde(skip_serializing_if = "is_false")]
        require_acceptance: bool,
    }
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
    /// A moderator approved (`content_approved`) or rejected, that is hid
    /// (`content_rejected`), held or reported content (`before` → `after` state).
    QueueDecision => ContentApproved | ContentRejected {
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

payload!(
    /// A member's profile or account settings changed; each field is there
    /// only when that is what changed (addresses and secrets never are).
    ProfileUpdated => ProfileUpdated {
        #[serde(skip_serializing_if = "Option::is_none")]
        site_admin: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        password_changed: Option<bool>,
        /// The notification kind (or `all`) unsubscribed from an e-mail link.
        #[serde(skip_serializing_if = "Option::is_none")]
        unsubscribed: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        email_preferences: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        has_email: Option<bool>,
        /// The member opted out of (or back into) the assistant's messages here.
        #[serde(skip_serializing_if = "Option::is_none")]
        assistant_opt_out: Option<bool>,
    }
);

payload!(
    /// An API token was created (its name; never the secret).
    ApiTokenCreated => ApiTokenCreated { name: String }
);

payload!(
    /// A community was created with its first rules version.
    CommunityCreated => CommunityCreated { slug: String, rules_version: i64 }
);

payload!(
    /// A topic was created.
    TopicCreated => TopicCreated { name: String }
);

payload!(
    /// The moderation settings were saved as `version` (`after`: the settings).
    ModerationUpdated => ModerationUpdated { version: i64, after: serde_json::Value }
);

payload!(
    /// The automation setup changed: a rule (`rule_id`), a webhook
    /// (`webhook_id`; never its secret) or the newcomer checklist.
    AutomationUpdated => AutomationUpdated {
        /// created, updated or deleted (rules and webhooks).
        #[serde(skip_serializing_if = "Option::is_none")]
        action: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        rule_id: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        enabled: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        webhook_id: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        /// The webhook's event filter as stored: `*`, or `,kind,kind,`.
        #[serde(skip_serializing_if = "Option::is_none")]
        events: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        checklist: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        intro_topic_id: Option<i64>,
    }
);

/// One moderation rule that matched a message: which, its class and
/// action, and where in the text (`span`: byte offsets, `text`: the match).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleHit {
    pub rule: String,
    pub class: String,
    pub action: String,
    pub span: [usize; 2],
    pub text: String,
}

payload!(
    /// The automod screened a post or comment and acted (`state`, `action`),
    /// naming the deciding rule and every rule that matched.
    ContentFlagged => ContentFlagged {
        author_id: Option<i64>,
        state: String,
        action: String,
        rule: String,
        rules: Vec<RuleHit>,
        /// The strike number, when this hit counted as a strike.
        strike: Option<i64>,
    }
);

payload!(
    /// A member was warned, muted, removed or banned, by a moderator or by the
    /// automod (which adds the rule, the strike and the offending content).
    Sanctioned => MemberWarned | MemberMuted | MemberRemoved | MemberBanned {
        reason: String,
        /// Mutes: when it ends (absent: until lifted) and for how long.
        #[serde(skip_serializing_if = "Option::is_none")]
        until: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        minutes: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        strike: Option<i64>,
        /// post or comment
        #[serde(skip_serializing_if = "Option::is_none")]
        target_kind: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        target_id: Option<i64>,
        /// An excerpt of the content that earned the strike.
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        matches: Vec<RuleHit>,
        /// An automation rule's mute: the rule and its name.
        #[serde(skip_serializing_if = "Option::is_none")]
        rule_id: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        automation: Option<String>,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_through_the_event() {
        let p = PostCreated {
            topic_id: Some(3),
            moderation: "visible".into(),
            question: true,
            automatic: false,
            checkin: false,
        };
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

    #[test]
    fn a_shared_shape_is_written_and_read_under_each_of_its_kinds() {
        let d = Sanctioned { reason: "spam".into(), minutes: Some(60), ..Default::default() };
        let e = Event::of_kind(Kind::MemberMuted, Some(1), None, Subject::User(4), &d);
        assert_eq!(e.kind, Kind::MemberMuted);
        assert_eq!(e.payload, serde_json::json!({"reason": "spam", "minutes": 60}), "absent fields stay absent");
        assert_eq!(e.payload::<Sanctioned>(), Some(d));
        let warned = Event::of_kind(Kind::MemberWarned, Some(1), 2, Subject::User(4), &Sanctioned::default());
        assert!(warned.payload::<Sanctioned>().is_some());
        assert_eq!(warned.payload::<QueueDecision>(), None);
        // Mutes written before the type existed carried explicit nulls.
        let old = Sanctioned::decode(r#"{"reason": "x", "until": null, "minutes": null}"#);
        assert_eq!((old.reason.as_str(), old.until, old.minutes), ("x", None, None));
    }

    #[test]
    #[should_panic(expected = "not written with this payload")]
    fn a_payload_under_a_foreign_kind_is_a_bug() {
        Event::of_kind(Kind::PostCreated, None, 1, Subject::User(1), &Sanctioned::default());
    }
}

payload!(
    /// Staff created a check-in challenge (subject: the challenge).
    ChallengeCreated => ChallengeCreated { title: String }
);

payload!(
    /// Staff changed a challenge (subject: the challenge).
    ChallengeUpdated => ChallengeUpdated { title: String }
);

payload!(
    /// A member joined a challenge (subject: the challenge).
    ChallengeJoined => ChallengeJoined { title: String }
);

payload!(
    /// A member checked in (subject: the challenge). `day` is the local day it
    /// counts for; `price` the points a make-up card cost (replayed when the
    /// ledger is recomputed); `streak` the current streak after it.
    CheckinMade => CheckinMade {
        day: String,
        made_up: bool,
        number: Option<f64>,
        post_id: Option<i64>,
        price: i64,
        streak: i64,
    }
);

payload!(
    /// A member's streak in a challenge reached a milestone (subject: the member).
    StreakReached => StreakReached { challenge_id: i64, title: String, days: i64 }
);

payload!(
    /// Staff created a lottery (subject: the lottery); `commitment` is the
    /// published hash of the secret.
    LotteryCreated => LotteryCreated { title: String, commitment: String }
);

payload!(
    /// A member entered a lottery (subject: the lottery); `cost` the points it took.
    LotteryEntered => LotteryEntered { cost: i64 }
);

payload!(
    /// A lottery was drawn (subject: the lottery).
    LotteryDrawn => LotteryDrawn { title: String, winners: Vec<i64> }
);

payload!(
    /// Staff marked a winner's prize delivered (subject: the winner).
    PrizeDelivered => PrizeDelivered { lottery_id: i64, prize: String }
);

payload!(
    /// Staff created a gathering (subject: the gathering); `series_id` names
    /// the first occurrence of a recurring one.
    EventCreated => EventCreated { title: String, starts_at: i64, series_id: Option<i64>, template_id: Option<i64> }
);

payload!(
    /// Staff changed or cancelled a gathering (subject: the gathering).
    EventChanged => EventUpdated | EventCanceled { title: String }
);

payload!(
    /// Someone registered (subject: the gathering). `status` is where they
    /// landed; `source` is `self`, `staff` (added by hand) or `door` (walk-in);
    /// `via` the attribution a shared link carried.
    RegistrationCreated => RegistrationCreated {
        registration_id: i64,
        user_id: i64,
        status: String,
        guests: i64,
        source: String,
        via: Option<String>,
    }
);

payload!(
    /// A registration moved (subject: the gathering): cancelled (by the
    /// person or staff), promoted from the waitlist, approved, declined or
    /// moved by staff, checked in, or marked no-show. `status` is the new one.
    RegistrationMoved => RegistrationCancelled | RegistrationPromoted | RegistrationChanged | CheckedIn | NoShow {
        registration_id: i64,
        user_id: i64,
        status: String,
        guests: i64,
        /// Staff acted (not the person themself).
        by_staff: bool,
    }
);

payload!(
    /// An attendee rated a gathering (subject: the gathering).
    FeedbackGiven => FeedbackGiven { rating: i64 }
);

payload!(
    /// A member saved a gathering for later, or un-saved it (subject: the gathering).
    EventBookmarked => EventBookmarked { saved: bool }
);

payload!(
    /// A post was asked as a question (subject: the post), with the bounty
    /// held from the asker (0 for none), its deadline and where it goes if
    /// nothing is accepted.
    QuestionAsked => QuestionAsked { bounty: i64, deadline: Option<i64>, fallback: String }
);

payload!(
    /// A comment was accepted as the answer (subject: the comment), or
    /// staff took that back; `bounty` moved to (or back from) `answerer_id`.
    AnswerDecision => AnswerAccepted | AnswerUnaccepted {
        post_id: i64,
        answerer_id: i64,
        bounty: i64,
        /// Staff acted, not the asker.
        by_staff: bool,
        /// The assistant's answer: no points, the bounty goes back to the asker.
        automatic: bool,
        /// Who the bounty went to (or, undone, was taken back from).
        bounty_to: i64,
    }
);

payload!(
    /// A question's bounty expired unaccepted (subject: the post): `amount`
    /// went to `to_user_id` — the asker, or the best-rated answer's author
    /// (`comment_id`).
    BountySettled => BountySettled { to_user_id: i64, amount: i64, comment_id: Option<i64> }
);

payload!(
    /// Admins created or changed a venue or room (subject: the room, or the community).
    VenueChanged => VenueChanged { venue_id: i64, name: String }
);

payload!(
    /// A room was booked, a booking cancelled, or staff approved or declined
    /// one (subject: the booking). Times are ms; `status` the booking's new one.
    BookingChanged => BookingCreated | BookingCancelled | BookingDecided {
        room_id: i64,
        starts_at: i64,
        ends_at: i64,
        status: String,
        user_id: i64,
    }
);

payload!(
    /// A member voted in a post's poll, or changed their vote (subject: the
    /// post). Anonymous polls record no actor: the log does not name voters.
    PollVoted => PollVoted { changed: bool }
);
