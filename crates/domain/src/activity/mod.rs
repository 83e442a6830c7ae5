//! The activity log's vocabulary. Every state change writes exactly one
//! [`Event`] in the same transaction; analytics, points, automation and audit
//! read this log and nothing else.

use serde::Serialize;

mod payloads;
pub use payloads::*;

macro_rules! kinds {
    ($($v:ident => $s:literal),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Kind { $($v),* }
        impl Kind {
            pub const ALL: &'static [Kind] = &[$(Kind::$v),*];
            pub fn as_str(self) -> &'static str { match self { $(Kind::$v => $s),* } }
            pub fn parse(s: &str) -> Option<Kind> { match s { $($s => Some(Kind::$v),)* _ => None } }
        }
    };
}

kinds! {
    UserRegistered => "user_registered",
    ProfileUpdated => "profile_updated",
    ApiTokenCreated => "api_token_created",
    ApiTokenRevoked => "api_token_revoked",
    CommunityCreated => "community_created",
    CommunityUpdated => "community_updated",
    RulesPublished => "rules_published",
    RulesAccepted => "rules_accepted",
    TopicCreated => "topic_created",
    MemberJoined => "member_joined",
    JoinRequested => "join_requested",
    JoinApproved => "join_approved",
    JoinRejected => "join_rejected",
    InviteCreated => "invite_created",
    MemberLeft => "member_left",
    MemberRemoved => "member_removed",
    MemberBanned => "member_banned",
    MemberUnbanned => "member_unbanned",
    RoleChanged => "role_changed",
    PostCreated => "post_created",
    PostEdited => "post_edited",
    PostDeleted => "post_deleted",
    PostPinned => "post_pinned",
    PostUnpinned => "post_unpinned",
    EssenceSet => "essence_set",
    EssenceUnset => "essence_unset",
    CommentCreated => "comment_created",
    CommentDeleted => "comment_deleted",
    ReactionAdded => "reaction_added",
    ReactionRemoved => "reaction_removed",
    CommentReactionAdded => "comment_reaction_added",
    CommentReactionRemoved => "comment_reaction_removed",
    ModerationUpdated => "moderation_updated",
    ContentFlagged => "content_flagged",
    ContentApproved => "content_approved",
    ContentRejected => "content_rejected",
    ReportFiled => "report_filed",
    MemberWarned => "member_warned",
    MemberMuted => "member_muted",
    MemberUnmuted => "member_unmuted",
    MemberRestricted => "member_restricted",
    MemberUnrestricted => "member_unrestricted",
    FaqUpdated => "faq_updated",
    AutomationUpdated => "automation_updated",
    ChecklistCompleted => "checklist_completed",
    MemberTagged => "member_tagged",
    MemberUntagged => "member_untagged",
    PostScheduled => "post_scheduled",
    PointsAdjusted => "points_adjusted",
    PointsSettingsUpdated => "points_settings_updated",
    LevelReached => "level_reached",
    SegmentActed => "segment_acted",
    BadgeEarned => "badge_earned",
    BadgeRevoked => "badge_revoked",
    BadgesUpdated => "badges_updated",
    TopicAccessChanged => "topic_access_changed",
    AwardOpened => "award_opened",
    AwardVoted => "award_voted",
    ChallengeCreated => "challenge_created",
    ChallengeUpdated => "challenge_updated",
    ChallengeJoined => "challenge_joined",
    CheckinMade => "checkin_made",
    StreakReached => "streak_reached",
    LotteryCreated => "lottery_created",
    LotteryEntered => "lottery_entered",
    LotteryDrawn => "lottery_drawn",
    PrizeDelivered => "prize_delivered",
    EventCreated => "event_created",
    EventUpdated => "event_updated",
    EventCanceled => "event_canceled",
    RegistrationCreated => "registration_created",
    RegistrationCancelled => "registration_cancelled",
    RegistrationPromoted => "registration_promoted",
    RegistrationChanged => "registration_changed",
    CheckedIn => "checked_in",
    NoShow => "no_show",
    FeedbackGiven => "feedback_given",
    EventBookmarked => "event_bookmarked",
    PollVoted => "poll_voted",
    PollClosed => "poll_closed",
    QuestionAsked => "question_asked",
    AnswerAccepted => "answer_accepted",
    AnswerUnaccepted => "answer_unaccepted",
    BountySettled => "bounty_settled",
    VenueChanged => "venue_changed",
    BookingCreated => "booking_created",
    BookingCancelled => "booking_cancelled",
    BookingDecided => "booking_decided",
}

impl Kind {
    /// What the moderation audit log shows.
    pub const MODERATION: &'static [Kind] = &[
        Kind::ModerationUpdated,
        Kind::ContentFlagged,
        Kind::ContentApproved,
        Kind::ContentRejected,
        Kind::ReportFiled,
        Kind::MemberWarned,
        Kind::MemberMuted,
        Kind::MemberUnmuted,
        Kind::MemberRestricted,
        Kind::MemberUnrestricted,
        Kind::MemberRemoved,
        Kind::MemberBanned,
        Kind::MemberUnbanned,
        Kind::PostDeleted,
        Kind::CommentDeleted,
        Kind::PointsAdjusted,
        Kind::PointsSettingsUpdated,
        Kind::SegmentActed,
        Kind::BadgeRevoked,
        Kind::BadgesUpdated,
        Kind::TopicAccessChanged,
        Kind::AwardOpened,
        Kind::ChallengeCreated,
        Kind::ChallengeUpdated,
        Kind::LotteryCreated,
        Kind::LotteryDrawn,
        Kind::PrizeDelivered,
        Kind::EventCreated,
        Kind::EventUpdated,
        Kind::EventCanceled,
        Kind::RegistrationChanged,
        Kind::VenueChanged,
        Kind::BookingDecided,
    ];
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    User(i64),
    Community(i64),
    Post(i64),
    Comment(i64),
    JoinRequest(i64),
    Invite(i64),
    Topic(i64),
    Token(i64),
    Challenge(i64),
    Lottery(i64),
    /// A gathering (event).
    Gathering(i64),
    Room(i64),
    Booking(i64),
}

impl Subject {
    /// The subject an event row names (`subject_kind`, `subject_id`).
    pub fn from_parts(kind: &str, id: i64) -> Option<Subject> {
        Some(match kind {
            "user" => Subject::User(id),
            "community" => Subject::Community(id),
            "post" => Subject::Post(id),
            "comment" => Subject::Comment(id),
            "join_request" => Subject::JoinRequest(id),
            "invite" => Subject::Invite(id),
            "topic" => Subject::Topic(id),
            "token" => Subject::Token(id),
            "challenge" => Subject::Challenge(id),
            "lottery" => Subject::Lottery(id),
            "gathering" => Subject::Gathering(id),
            "room" => Subject::Room(id),
            "booking" => Subject::Booking(id),
            _ => return None,
        })
    }

    pub fn kind(self) -> &'static str {
        match self {
            Subject::User(_) => "user",
            Subject::Community(_) => "community",
            Subject::Post(_) => "post",
            Subject::Comment(_) => "comment",
            Subject::JoinRequest(_) => "join_request",
            Subject::Invite(_) => "invite",
            Subject::Topic(_) => "topic",
            Subject::Token(_) => "token",
            Subject::Challenge(_) => "challenge",
            Subject::Lottery(_) => "lottery",
            Subject::Gathering(_) => "gathering",
            Subject::Room(_) => "room",
            Subject::Booking(_) => "booking",
        }
    }
    pub fn id(self) -> i64 {
        match self {
            Subject::User(i)
            | Subject::Community(i)
            | Subject::Post(i)
            | Subject::Comment(i)
            | Subject::JoinRequest(i)
            | Subject::Invite(i)
            | Subject::Topic(i)
            | Subject::Token(i)
            | Subject::Challenge(i)
            | Subject::Lottery(i)
            | Subject::Gathering(i)
            | Subject::Room(i)
            | Subject::Booking(i) => i,
        }
    }
}

/// One activity event, ready to append.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: Kind,
    pub community_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub subject: Subject,
    pub payload: serde_json::Value,
}

impl Event {
    /// An event of a kind that carries no payload (those that do are built
    /// with [`Event::of`] from their payload type).
    pub fn new(kind: Kind, community_id: Option<i64>, actor_id: i64, subject: Subject) -> Self {
        Event { kind, community_id, actor_id: Some(actor_id), subject, payload: serde_json::Value::Null }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for k in Kind::ALL {
            assert!(seen.insert(k.as_str()));
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
        }
    }
}
