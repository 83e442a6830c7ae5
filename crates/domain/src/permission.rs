//! Every permission decision in Yaji goes through [`decide`]: a pure function of
//! who is asking (role and membership state), what they want to do, and the
//! community's settings. Handlers and services never compare roles themselves.

use crate::community::{JoinPolicy, Visibility};
pub use crate::gatherings::Audience;
use crate::member::{MemberState, Role};

/// The person asking, as far as one community is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub signed_in: bool,
    /// Their membership row, if they ever had one.
    pub membership: Option<(Role, MemberState)>,
    /// Site administrators may read and manage every community as an admin would.
    pub site_admin: bool,
    /// A moderator took away this member's voice for now: they keep membership
    /// and read access but may not post, comment or react.
    pub muted: bool,
    /// The community requires a rules version this member has not accepted:
    /// they read, but accept before they post, comment or react.
    pub rules_pending: bool,
}

impl Actor {
    pub const ANONYMOUS: Actor =
        Actor { signed_in: false, membership: None, site_admin: false, muted: false, rules_pending: false };

    pub fn member(role: Role) -> Actor {
        Actor {
            signed_in: true,
            membership: Some((role, MemberState::Active)),
            site_admin: false,
            muted: false,
            rules_pending: false,
        }
    }

    /// Role while the membership is active.
    pub fn active_role(&self) -> Option<Role> {
        match self.membership {
            Some((r, MemberState::Active)) => Some(r),
            _ => None,
        }
    }

    /// Role used for management decisions: the active role, raised to admin for site admins.
    fn managing_role(&self) -> Option<Role> {
        let base = self.active_role();
        if self.site_admin {
            Some(base.map_or(Role::Admin, |r| r.max(Role::Admin)))
        } else {
            base
        }
    }

    fn is_banned(&self) -> bool {
        matches!(self.membership, Some((_, MemberState::Banned)))
    }
}

/// The settings that permissions depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub visibility: Visibility,
    pub join_policy: JoinPolicy,
}

/// A topic's door for reading or for writing: a level or a tag opens it
/// (either one); an open door has neither. Staff always pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Gate {
    /// 1-based level, by the community's points levels.
    pub min_level: Option<i64>,
    /// The topic names a tag that opens it.
    pub tag: bool,
}

impl Gate {
    pub fn is_open(self) -> bool {
        self.min_level.is_none() && !self.tag
    }
}

/// What a member brings to a topic's gates: their level (1-based; 0 for
/// visitors) and which of the topic's tags they carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standing {
    pub level: i64,
    pub has_read_tag: bool,
    pub has_post_tag: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See content: posts, comments, the member directory.
    ReadContent,
    /// Join directly (open communities).
    Join,
    /// Apply with answers to the entry questions (approval communities).
    ApplyToJoin,
    /// Join through a valid invite link (any policy; skips approval).
    JoinWithInvite,
    Leave,
    CreatePost,
    Comment,
    React,
    EditPost {
        own: bool,
    },
    DeletePost {
        own: bool,
    },
    DeleteComment {
        own: bool,
    },
    PinPost,
    SetEssence,
    ManageTopics,
    CreateInvite,
    ReviewJoinRequests,
    RemoveMember {
        target: Role,
    },
    /// Mute, unmute, warn or restrict ("posts need approval") a member.
    MuteMember {
        target: Role,
    },
    /// Report a post, comment or member to the moderators.
    Report,
    /// See and work the review queue, the audit log and the rules test box.
    Moderate,
    /// Edit banned words, detectors, the ladder and custom rules.
    EditModeration,
    /// Write automation rules and webhooks, enable templates, set the newcomer checklist.
    ManageAutomation,
    /// Schedule posts on the content calendar and tag members.
    ScheduleContent,
    /// See the community's analytics dashboard.
    ViewAnalytics,
    /// Award or deduct a member's points by hand, with a reason; read anyone's points history.
    AdjustPoints,
    /// Set what earns points and the levels; recompute the ledger.
    ManagePoints,
    /// Define member segments and act on them in bulk (tag, message, award).
    ManageSegments,
    /// Open a member-voted award (nominees, close time).
    ManageAwards,
    /// Vote in a member-voted award (muted members too: a vote is not speech).
    Vote,
    /// Create and change check-in challenges; see their statistics.
    ManageChallenges,
    /// Create lotteries, preview who is eligible, draw, mark prizes delivered.
    ManageLotteries,
    /// Join a challenge, check in without a note, enter a lottery (muted
    /// members too; a note is a post and needs `CreatePost`).
    TakePart,
    /// Create and change gatherings; see registrations with answers and
    /// contact details; approve, promote, move and add people; export.
    ManageEvents,
    /// See a gathering (its page, who is going when shown).
    SeeEvent {
        audience: Audience,
        /// The person carries one of a tagged event's tags.
        has_tag: bool,
    },
    /// Register for a gathering: anyone signed in who may see it and is not
    /// banned here (visitors too, for public gatherings; muted members too).
    RegisterForEvent {
        audience: Audience,
        has_tag: bool,
    },
    /// Check people in at the door: staff, or someone given the door for
    /// this event (its hosts, door staff).
    CheckInAttendees {
        door_staff: bool,
    },
    /// Accept a comment as the answer to a question: its asker (a member
    /// here; muted members too, accepting is not speech), or staff.
    AcceptAnswer {
        asker: bool,
    },
    /// Take back an accepted answer (and move its bounty back into escrow).
    UndoAcceptedAnswer,
    /// Create venues and rooms, set hours and booking rules.
    ManageVenues,
    /// Approve, decline and cancel anyone's bookings; book under no rule.
    ManageBookings,
    /// Book a room: staff, or someone a room's booking rule lets in.
    BookRoom {
        /// A booking rule of the room matches the person.
        rule: bool,
    },
    BanMember {
        target: Role,
    },
    UnbanMember,
    ChangeRole {
        target: Role,
        to: Role,
    },
    EditSettings,
    EditRules,
    /// Read the posts of a topic behind a gate.
    ReadTopic {
        read: Gate,
        standing: Standing,
    },
    /// Post, comment or reply in a topic: its read gate and its post gate
    /// both open, and everything `CreatePost` asks.
    WriteInTopic {
        read: Gate,
        post: Gate,
        standing: Standing,
    },
}

/// Why an action is refused; each has a stable code for the API and the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    SignInRequired,
    MembersOnly,
    Banned,
    AlreadyMember,
    NeedsApproval,
    InviteRequired,
    NotOpenForApplications,
    InsufficientRole,
    /// The target holds the same or a higher role than the actor.
    TargetOutranks,
    NotAuthor,
    OwnerCannotLeave,
    /// Muted: the API adds when the mute ends.
    Muted,
    /// The rules changed and this member has not accepted the new version.
    RulesNotAccepted,
    /// The topic opens at a level or with a tag this member lacks.
    TopicLocked,
    /// A gathering or a room is for members with a tag (or a role) this person lacks.
    NotEligible,
}

impl Denial {
    pub fn code(self) -> &'static str {
        match self {
            Denial::SignInRequired => "sign_in_required",
            Denial::MembersOnly => "members_only",
            Denial::Banned => "banned",
            Denial::AlreadyMember => "already_member",
            Denial::NeedsApproval => "needs_approval",
            Denial::InviteRequired => "invite_required",
            Denial::NotOpenForApplications => "not_open_for_applications",
            Denial::InsufficientRole => "insufficient_role",
            Denial::TargetOutranks => "target_outranks",
            Denial::NotAuthor => "not_author",
            Denial::OwnerCannotLeave => "owner_cannot_leave",
            Denial::Muted => "muted",
            Denial::RulesNotAccepted => "rules_acceptance_required",
            Denial::TopicLocked => "topic_locked",
            Denial::NotEligible => "not_eligible",
        }
    }
}

pub type Decision = Result<(), Denial>;

/// Decides whether `actor` may perform `action` in a community with `policy`.
pub fn decide(actor: Actor, action: Action, policy: Policy) -> Decision {
    use Action::*;
    let need_sign_in = || {
        if actor.signed_in {
            Ok(())
        } else {
            Err(Denial::SignInRequired)
        }
    };
    let need_role = |min: Role| match actor.managing_role() {
        Some(r) if r >= min => Ok(()),
        _ if !actor.signed_in => Err(Denial::SignInRequired),
        _ => Err(Denial::InsufficientRole),
    };
    let need_member = || match actor.active_role() {
        Some(_) => Ok(()),
        None if !actor.signed_in => Err(Denial::SignInRequired),
        None if actor.is_banned() => Err(Denial::Banned),
        None => Err(Denial::MembersOnly),
    };
    let can_join = || {
        need_sign_in()?;
        if actor.is_banned() {
            return Err(Denial::Banned);
        }
        if actor.active_role().is_some() {
            return Err(Denial::AlreadyMember);
        }
        Ok(())
    };
    // Staff pass every topic gate; others need the level or the tag.
    let through = |gate: Gate, level: i64, has_tag: bool| {
        let staff = actor.managing_role().is_some_and(|r| r >= Role::Moderator);
        if staff || gate.is_open() || gate.min_level.is_some_and(|m| level >= m) || (gate.tag && has_tag) {
            Ok(())
        } else {
            Err(Denial::TopicLocked)
        }
    };
    // Acting on another member requires a strictly higher role.
    let outrank = |min: Role, target: Role| {
        need_role(min)?;
        match actor.managing_role() {
            Some(r) if r > target => Ok(()),
            _ => Err(Denial::TargetOutranks),
        }
    };
    match action {
        ReadContent => match policy.visibility {
            Visibility::Public => Ok(()),
            Visibility::Private if actor.site_admin => Ok(()),
            Visibility::Private => need_member(),
        },
        Join => {
            can_join()?;
            match policy.join_policy {
                JoinPolicy::Open => Ok(()),
                JoinPolicy::Approval => Err(Denial::NeedsApproval),
                JoinPolicy::InviteOnly => Err(Denial::InviteRequired),
            }
        }
        ApplyToJoin => {
            can_join()?;
            match policy.join_policy {
                JoinPolicy::Approval => Ok(()),
                _ => Err(Denial::NotOpenForApplications),
            }
        }
        JoinWithInvite => can_join(),
        Leave => match actor.active_role() {
            Some(Role::Owner) => Err(Denial::OwnerCannotLeave),
            _ => need_member(),
        },
        CreatePost | Comment | React => {
            need_member()?;
            if actor.muted {
                Err(Denial::Muted)
            } else if actor.rules_pending {
                Err(Denial::RulesNotAccepted)
            } else {
                Ok(())
            }
        }
        // A muted member may still report what they see, but not bring people in.
        Report => need_member(),
        CreateInvite => {
            need_member()?;
            if actor.muted {
                Err(Denial::Muted)
            } else {
                Ok(())
            }
        }
        EditPost { own } => {
            need_member()?;
            if actor.muted {
                Err(Denial::Muted)
            } else if own {
                Ok(())
            } else {
                Err(Denial::NotAuthor)
            }
        }
        DeletePost { own } | DeleteComment { own } => {
            if own {
                need_member()
            } else {
                need_role(Role::Moderator)
            }
        }
        PinPost | SetEssence | Moderate | ScheduleContent | AdjustPoints | ManageSegments | ManageAwards
        | ManageChallenges | ManageLotteries => need_role(Role::Moderator),
        Vote | TakePart => need_member(),
        ManageTopics | ReviewJoinRequests | EditSettings | EditRules | UnbanMember | EditModeration
        | ManageAutomation | ViewAnalytics | ManagePoints | ManageVenues => need_role(Role::Admin),
        ManageEvents | ManageBookings | UndoAcceptedAnswer => need_role(Role::Moderator),
        AcceptAnswer { asker } => {
            if asker {
                need_member()
            } else {
                need_role(Role::Moderator)
            }
        }
        SeeEvent { audience, has_tag } => {
            let staff = actor.managing_role().is_some_and(|r| r >= Role::Moderator);
            match audience {
                _ if staff => Ok(()),
                Audience::Public if actor.is_banned() => Err(Denial::Banned),
                Audience::Public => Ok(()),
                Audience::Members => need_member(),
                Audience::Tagged => {
                    need_member()?;
                    if has_tag {
                        Ok(())
                    } else {
                        Err(Denial::NotEligible)
                    }
                }
            }
        }
        RegisterForEvent { audience, has_tag } => {
            need_sign_in()?;
            decide(actor, SeeEvent { audience, has_tag }, policy)
        }
        CheckInAttendees { door_staff } => {
            if door_staff && actor.signed_in && !actor.is_banned() {
                Ok(())
            } else {
                need_role(Role::Moderator)
            }
        }
        BookRoom { rule } => {
            need_sign_in()?;
            if actor.is_banned() {
                return Err(Denial::Banned);
            }
            if actor.managing_role().is_some_and(|r| r >= Role::Moderator) || rule {
                Ok(())
            } else if actor.active_role().is_none() {
                Err(Denial::MembersOnly)
            } else {
                Err(Denial::NotEligible)
            }
        }
        RemoveMember { target } | BanMember { target } | MuteMember { target } => outrank(Role::Moderator, target),
        ReadTopic { read, standing } => {
            decide(actor, ReadContent, policy)?;
            through(read, standing.level, standing.has_read_tag)
        }
        WriteInTopic { read, post, standing } => {
            decide(actor, CreatePost, policy)?;
            through(read, standing.level, standing.has_read_tag)?;
            through(post, standing.level, standing.has_post_tag)
        }
        ChangeRole { target, to } => {
            outrank(Role::Admin, target)?;
            // Nobody hands out a role equal to or above their own; ownership is not transferable here.
            match actor.managing_role() {
                Some(r) if r > to => Ok(()),
                _ => Err(Denial::InsufficientRole),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    const OPEN_PUBLIC: Policy = Policy { visibility: Visibility::Public, join_policy: JoinPolicy::Open };
    const LV3: Gate = Gate { min_level: Some(3), tag: true };
    const TAG: Gate = Gate { min_level: None, tag: true };
    const LV1: Standing = Standing { level: 1, has_read_tag: false, has_post_tag: false };

    /// Columns: anonymous, signed-in non-member, member, moderator, admin, owner.
    /// `Y` allowed, anything else is the first letter(s) of the denial we expect.
    fn actors() -> [Actor; 6] {
        [
            Actor::ANONYMOUS,
            Actor { signed_in: true, membership: None, site_admin: false, muted: false, rules_pending: false },
            Actor::member(Role::Member),
            Actor::member(Role::Moderator),
            Actor::member(Role::Admin),
            Actor::member(Role::Owner),
        ]
    }

    fn code(d: Decision) -> &'static str {
        match d {
            Ok(()) => "Y",
            Err(Denial::SignInRequired) => "signin",
            Err(Denial::MembersOnly) => "members",
            Err(Denial::Banned) => "banned",
            Err(Denial::AlreadyMember) => "already",
            Err(Denial::NeedsApproval) => "approval",
            Err(Denial::InviteRequired) => "invite",
            Err(Denial::NotOpenForApplications) => "notapply",
            Err(Denial::InsufficientRole) => "role",
            Err(Denial::TargetOutranks) => "outranks",
            Err(Denial::NotAuthor) => "author",
            Err(Denial::OwnerCannotLeave) => "ownerstay",
            Err(Denial::Muted) => "muted",
            Err(Denial::RulesNotAccepted) => "rules",
            Err(Denial::TopicLocked) => "locked",
            Err(Denial::NotEligible) => "noteligible",
        }
    }

    #[rustfmt::skip]
    fn table() -> Vec<(Action, [&'static str; 6])> {
        vec![
            //                                       anon      outsider   member     mod        admin      owner
            (ReadContent,                           ["Y",      "Y",       "Y",       "Y",       "Y",       "Y"]),
            (Join,                                  ["signin", "Y",       "already", "already", "already", "already"]),
            (ApplyToJoin,                           ["signin", "notapply","already", "already", "already", "already"]),
            (JoinWithInvite,                        ["signin", "Y",       "already", "already", "already", "already"]),
            (Leave,                                 ["signin", "members", "Y",       "Y",       "Y",       "ownerstay"]),
            (CreatePost,                            ["signin", "members", "Y",       "Y",       "Y",       "Y"]),
            (Comment,                               ["signin", "members", "Y",       "Y",       "Y",       "Y"]),
            (React,                                 ["signin", "members", "Y",       "Y",       "Y",       "Y"]),
            (CreateInvite,                          ["signin", "members", "Y",       "Y",       "Y",       "Y"]),
            (Report,                                ["signin", "members", "Y",       "Y",       "Y",       "Y"]),
            (Moderate,                              ["signin", "role",    "role",    "Y",       "Y",       "Y"]),
            (EditModeration,                        ["signin", "role",    "role",    "role",    "Y",       "Y"]),
            (ManageAutomation,                      ["signin", "role",    "role",    "role",    "Y",       "Y"]),
            (ScheduleContent,                       ["signin", "role",    "role",    "Y",       "Y",       "Y"]),
            (ViewAnalytics,                         ["signin", "role",    "role",    "role",    "Y",       "Y"]),
            (AdjustPoints,                          ["signin", "role",    "role",    "Y",       "Y",       "Y"]),
            (ManagePoints,                          ["signin", "role",    "role",    "role",    "Y",       "Y"]),
            (ManageSegments,                        ["signin", "role",    "role",    "Y",       "Y",       "Y"]),
            (ManageAwards,                          ["signin", "role",    "role",    "Y",       "Y",       "Y"]),
            (Vote,                                  ["signin", "members", "Y",       "Y",       "Y",       "Y"]),
            (ManageChallenges,                      ["signin", "role",    "role",    "Y",       "Y",       "Y"]),
            (ManageLotteries,                       ["signin", "role",    "role",    "Y",       "Y",       "Y"]),
            (TakePart,                              ["signin", "members", "Y",       "Y",       "Y",       "Y"]),
            (ManageEvents,                          ["signin", "role",    "role",    "Y",       "Y",       "Y"]),
            (ManageBookings,                        ["signin", "role",    "role",    "Y",       "Y",       "Y"]),
            (ManageVenues,                          ["signin", "role",    "role",    "role",    "Y",       "Y"]),
            (AcceptAnswer { asker: true },          ["signin", "members", "Y",       "Y",       "Y",       "Y"]),
            (AcceptAnswer { asker: false },         ["signin", "role",    "role",    "Y",       "Y",       "Y"]),
            (UndoAcceptedAnswer,                    ["signin", "role",    "role",    "Y",       "Y",       "Y"]),
            (SeeEvent { audience: Audience::Public, has_tag: false },  ["Y", "Y", "Y", "Y", "Y", "Y"]),
            (SeeEvent { audience: Audience::Members, has_tag: false }, ["signin", "members", "Y", "Y", "Y", "Y"]),
            (SeeEvent { audience: Audience::Tagged, has_tag: false },  ["signin", "members", "noteligible", "Y", "Y", "Y"]),
            (SeeEvent { audience: Audience::Tagged, has_tag: true },   ["signin", "members", "Y", "Y", "Y", "Y"]),
            (RegisterForEvent { audience: Audience::Public, has_tag: false },  ["signin", "Y", "Y", "Y", "Y", "Y"]),
            (RegisterForEvent { audience: Audience::Members, has_tag: false }, ["signin", "members", "Y", "Y", "Y", "Y"]),
            (RegisterForEvent { audience: Audience::Tagged, has_tag: false },  ["signin", "members", "noteligible", "Y", "Y", "Y"]),
            (CheckInAttendees { door_staff: false }, ["signin", "role",   "role",    "Y",       "Y",       "Y"]),
            (CheckInAttendees { door_staff: true },  ["signin", "Y",      "Y",       "Y",       "Y",       "Y"]),
            (BookRoom { rule: false },              ["signin", "members", "noteligible", "Y",   "Y",       "Y"]),
            (BookRoom { rule: true },               ["signin", "Y",       "Y",       "Y",       "Y",       "Y"]),
            (MuteMember { target: Role::Member },      ["signin", "role", "role",    "Y",       "Y",       "Y"]),
            (MuteMember { target: Role::Moderator },   ["signin", "role", "role",    "outranks","Y",       "Y"]),
            (MuteMember { target: Role::Admin },       ["signin", "role", "role",    "outranks","outranks","Y"]),
            (MuteMember { target: Role::Owner },       ["signin", "role", "role",    "outranks","outranks","outranks"]),
            (EditPost { own: true },                ["signin", "members", "Y",       "Y",       "Y",       "Y"]),
            (EditPost { own: false },               ["signin", "members", "author",  "author",  "author",  "author"]),
            (DeletePost { own: true },              ["signin", "members", "Y",       "Y",       "Y",       "Y"]),
            (DeletePost { own: false },             ["signin", "role",    "role",    "Y",       "Y",       "Y"]),
            (DeleteComment { own: true },           ["signin", "members", "Y",       "Y",       "Y",       "Y"]),
            (DeleteComment { own: false },          ["signin", "role",    "role",    "Y",       "Y",       "Y"]),
            (PinPost,                               ["signin", "role",    "role",    "Y",       "Y",       "Y"]),
            (SetEssence,                            ["signin", "role",    "role",    "Y",       "Y",       "Y"]),
            (ManageTopics,                          ["signin", "role",    "role",    "role",    "Y",       "Y"]),
            (ReviewJoinRequests,                    ["signin", "role",    "role",    "role",    "Y",       "Y"]),
            (EditSettings,                          ["signin", "role",    "role",    "role",    "Y",       "Y"]),
            (EditRules,                             ["signin", "role",    "role",    "role",    "Y",       "Y"]),
            (UnbanMember,                           ["signin", "role",    "role",    "role",    "Y",       "Y"]),
            (RemoveMember { target: Role::Member },    ["signin", "role", "role",    "Y",       "Y",       "Y"]),
            (RemoveMember { target: Role::Moderator }, ["signin", "role", "role",    "outranks","Y",       "Y"]),
            (RemoveMember { target: Role::Admin },     ["signin", "role", "role",    "outranks","outranks","Y"]),
            (RemoveMember { target: Role::Owner },     ["signin", "role", "role",    "outranks","outranks","outranks"]),
            (BanMember { target: Role::Member },       ["signin", "role", "role",    "Y",       "Y",       "Y"]),
            (BanMember { target: Role::Moderator },    ["signin", "role", "role",    "outranks","Y",       "Y"]),
            (BanMember { target: Role::Admin },        ["signin", "role", "role",    "outranks","outranks","Y"]),
            (BanMember { target: Role::Owner },        ["signin", "role", "role",    "outranks","outranks","outranks"]),
            (ChangeRole { target: Role::Member, to: Role::Moderator },    ["signin", "role", "role", "role", "Y", "Y"]),
            (ChangeRole { target: Role::Member, to: Role::Admin },        ["signin", "role", "role", "role", "role", "Y"]),
            (ChangeRole { target: Role::Moderator, to: Role::Member },    ["signin", "role", "role", "role", "Y", "Y"]),
            (ChangeRole { target: Role::Admin, to: Role::Member },        ["signin", "role", "role", "role", "outranks", "Y"]),
            (ChangeRole { target: Role::Member, to: Role::Owner },        ["signin", "role", "role", "role", "role", "role"]),
            // Lv3 to read, a tag to post; a Lv1 member without the tag.
            (ReadTopic { read: LV3, standing: LV1 },                       ["locked", "locked", "locked", "Y", "Y", "Y"]),
            (ReadTopic { read: Gate::default(), standing: LV1 },           ["Y",      "Y",      "Y",      "Y", "Y", "Y"]),
            (WriteInTopic { read: LV3, post: TAG, standing: LV1 },         ["signin", "members", "locked", "Y", "Y", "Y"]),
            (WriteInTopic { read: Gate::default(), post: TAG, standing: LV1 }, ["signin", "members", "locked", "Y", "Y", "Y"]),
            (WriteInTopic { read: LV3, post: TAG, standing: Standing { level: 3, has_read_tag: false, has_post_tag: false } },
                                                                           ["signin", "members", "locked", "Y", "Y", "Y"]),
            (WriteInTopic { read: LV3, post: TAG, standing: Standing { level: 1, has_read_tag: true, has_post_tag: true } },
                                                                           ["signin", "members", "Y",      "Y", "Y", "Y"]),
            (WriteInTopic { read: LV3, post: LV3, standing: Standing { level: 4, ..LV1 } },
                                                                           ["signin", "members", "Y",      "Y", "Y", "Y"]),
        ]
    }

    #[test]
    fn every_role_times_every_action() {
        let mut failures = vec![];
        for (action, expected) in table() {
            for (actor, want) in actors().into_iter().zip(expected) {
                let got = code(decide(actor, action, OPEN_PUBLIC));
                if got != want {
                    failures.push(format!("{action:?} by {actor:?}: want {want}, got {got}"));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn private_communities_hide_content_from_non_members() {
        let p = Policy { visibility: Visibility::Private, join_policy: JoinPolicy::Open };
        let got: Vec<_> = actors().into_iter().map(|a| code(decide(a, ReadContent, p))).collect();
        assert_eq!(got, ["signin", "members", "Y", "Y", "Y", "Y"]);
        let site_admin = Actor { site_admin: true, membership: None, ..Actor::member(Role::Member) };
        assert_eq!(decide(site_admin, ReadContent, p), Ok(()));
    }

    #[test]
    fn join_policies() {
        let outsider = actors()[1];
        let approval = Policy { visibility: Visibility::Public, join_policy: JoinPolicy::Approval };
        let invite = Policy { visibility: Visibility::Public, join_policy: JoinPolicy::InviteOnly };
        assert_eq!(decide(outsider, Join, approval), Err(Denial::NeedsApproval));
        assert_eq!(decide(outsider, ApplyToJoin, approval), Ok(()));
        assert_eq!(decide(outsider, Join, invite), Err(Denial::InviteRequired));
        assert_eq!(decide(outsider, ApplyToJoin, invite), Err(Denial::NotOpenForApplications));
        assert_eq!(decide(outsider, JoinWithInvite, invite), Ok(()));
    }

    #[test]
    fn former_members() {
        let banned = Actor {
            signed_in: true,
            membership: Some((Role::Member, MemberState::Banned)),
            site_admin: false,
            muted: false,
            rules_pending: false,
        };
        let left = Actor {
            signed_in: true,
            membership: Some((Role::Moderator, MemberState::Left)),
            site_admin: false,
            muted: false,
            rules_pending: false,
        };
        let public = Audience::Public;
        for a in [
            Join,
            JoinWithInvite,
            CreatePost,
            RegisterForEvent { audience: public, has_tag: false },
            BookRoom { rule: true },
            CheckInAttendees { door_staff: true },
        ] {
            let want = if matches!(a, CheckInAttendees { .. }) { Denial::InsufficientRole } else { Denial::Banned };
            assert_eq!(decide(banned, a, OPEN_PUBLIC), Err(want), "{a:?}");
        }
        assert_eq!(decide(left, Join, OPEN_PUBLIC), Ok(()));
        // A former moderator keeps no powers.
        assert_eq!(decide(left, PinPost, OPEN_PUBLIC), Err(Denial::InsufficientRole));
    }

    #[test]
    fn muted_members_read_but_do_not_speak() {
        let muted = Actor { muted: true, ..Actor::member(Role::Member) };
        for a in [CreatePost, Comment, React, EditPost { own: true }, CreateInvite] {
            assert_eq!(decide(muted, a, OPEN_PUBLIC), Err(Denial::Muted), "{a:?}");
        }
        for a in [ReadContent, Leave, Report, DeletePost { own: true }] {
            assert_eq!(decide(muted, a, OPEN_PUBLIC), Ok(()), "{a:?}");
        }
    }

    #[test]
    fn members_accept_required_rules_before_they_speak() {
        let pending = Actor { rules_pending: true, ..Actor::member(Role::Moderator) };
        for a in [CreatePost, Comment, React] {
            assert_eq!(decide(pending, a, OPEN_PUBLIC), Err(Denial::RulesNotAccepted), "{a:?}");
        }
        for a in [ReadContent, Leave, Report, Moderate, CreateInvite] {
            assert_eq!(decide(pending, a, OPEN_PUBLIC), Ok(()), "{a:?}");
        }
        let both = Actor { muted: true, ..pending };
        assert_eq!(decide(both, CreatePost, OPEN_PUBLIC), Err(Denial::Muted), "a mute says when it ends");
    }

    #[test]
    fn site_admins_manage_like_admins() {
        let sa = Actor { signed_in: true, membership: None, site_admin: true, muted: false, rules_pending: false };
        assert_eq!(decide(sa, EditSettings, OPEN_PUBLIC), Ok(()));
        assert_eq!(decide(sa, RemoveMember { target: Role::Admin }, OPEN_PUBLIC), Err(Denial::TargetOutranks));
        assert_eq!(decide(sa, CreatePost, OPEN_PUBLIC), Err(Denial::MembersOnly));
    }
}
