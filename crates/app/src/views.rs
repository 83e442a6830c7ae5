//! What use cases return: plain serializable views, shared by the JSON API
//! (which documents them in OpenAPI) and the web templates.

use serde::Serialize;
use utoipa::ToSchema;
use yaji_store::repo;

use crate::rfc3339;

/// A signed-in user, as they see themselves.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub bio: String,
    pub locale: String,
    pub time_zone: String,
    pub is_site_admin: bool,
    pub created_at: String,
    /// A light account (a visitor's name and email, no password yet).
    pub light: bool,
}

impl From<repo::user::UserRow> for UserView {
    fn from(u: repo::user::UserRow) -> Self {
        UserView {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            avatar_url: u.avatar_url,
            bio: u.bio,
            locale: u.locale,
            time_zone: u.time_zone,
            is_site_admin: u.is_site_admin == 1,
            created_at: rfc3339(u.created_at),
            light: u.light == 1,
        }
    }
}

/// Another person, as everyone may see them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    /// Their level in this community ("Lv3 骨干") where a page shows one: from
    /// the second level up (the first is everyone's), when points are on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
}

pub use crate::platform::context::{Abilities, ViewerMembership};

/// A member's public profile, as one reader may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileView {
    pub user: PersonView,
    pub bio: String,
    /// When they joined the site.
    pub joined_at: String,
    /// The communities they are an active member of that the reader may see.
    pub communities: Vec<ProfileCommunity>,
    /// Their latest visible posts in communities whose content the reader may read.
    pub recent_posts: Vec<ProfilePost>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileCommunity {
    pub slug: String,
    pub name: String,
    /// owner, admin, moderator or member
    pub role: String,
    pub joined_at: String,
    /// The reader is an active member too.
    pub in_common: bool,
    /// Their level beside their name there ("Lv3 秀才"), from the second level.
    pub level: Option<String>,
    pub points: i64,
    /// Their badges there, newest first (where the reader may read the community).
    pub badges: Vec<EarnedBadge>,
}

/// A badge a member holds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EarnedBadge {
    pub id: i64,
    pub key: Option<String>,
    pub name: String,
    pub description: String,
    pub icon: String,
    pub earned_at: String,
    /// Granted by staff (with `reason`) rather than by its rule.
    pub granted: bool,
    pub reason: String,
}

/// A post with the community it is in (profiles, the home feed).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfilePost {
    pub post: PostView,
    pub community_slug: String,
    pub community_name: String,
}

/// The home feed: the newest visible posts of every community the reader is an active member of.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HomeFeed {
    pub items: Vec<ProfilePost>,
    /// Pass as `cursor` for older posts; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunityView {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub target_members: String,
    pub core_value: String,
    /// public or private
    pub visibility: String,
    /// open, approval or invite_only
    pub join_policy: String,
    pub entry_questions: Vec<String>,
    pub time_zone: String,
    pub announcement: String,
    pub rules_version: i64,
    pub member_count: i64,
    pub post_count: i64,
    pub created_at: String,
    /// Whether newcomers have a checklist (新人任务) here.
    pub checklist: bool,
    pub abilities: Abilities,
    pub membership: Option<ViewerMembership>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingWork>,
}

pub use crate::staff_work::PendingWork;

impl CommunityView {
    pub(crate) fn from_row(
        c: repo::community::CommunityRow,
        abilities: Abilities,
        membership: Option<ViewerMembership>,
    ) -> Self {
        let private_hidden = c.visibility == "private" && !abilities.read;
        CommunityView {
            id: c.id,
            slug: c.slug,
            name: c.name,
            description: c.description,
            target_members: c.target_members,
            core_value: c.core_value,
            visibility: c.visibility,
            join_policy: c.join_policy,
            entry_questions: serde_json::from_str(&c.entry_questions).unwrap_or_default(),
            time_zone: c.time_zone,
            // The announcement is content: members only in private communities.
            announcement: if private_hidden { String::new() } else { c.announcement },
            rules_version: c.rules_version,
            member_count: c.member_count,
            post_count: c.post_count,
            created_at: rfc3339(c.created_at),
            checklist: c.checklist_enabled == 1,
            abilities,
            membership,
            pending: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RulesView {
    pub version: i64,
    pub body: String,
    pub body_html: String,
    pub created_at: String,
}

impl From<repo::community::RulesRow> for RulesView {
    fn from(r: repo::community::RulesRow) -> Self {
        RulesView { version: r.version, body: r.body, body_html: r.body_html, created_at: rfc3339(r.created_at) }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    pub user: PersonView,
    pub role: String,
    pub state: String,
    pub joined_at: String,
    pub invited_by: Option<i64>,
    pub muted: bool,
    /// Absent while muted: until a moderator lifts it.
    pub muted_until: Option<String>,
    pub needs_approval: bool,
    /// What the viewer may do to this member, decided by the permission core.
    pub actions: MemberActions,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct MemberActions {
    pub remove: bool,
    pub ban: bool,
    pub unban: bool,
    /// Mute, unmute, warn, restrict.
    pub mute: bool,
    /// Roles the viewer may give this member (empty: none).
    pub assign_roles: Vec<String>,
}

impl From<repo::membership::MemberListRow> for MemberView {
    fn from(m: repo::membership::MemberListRow) -> Self {
        MemberView {
            user: PersonView {
                id: m.user_id,
                username: m.username,
                display_name: m.display_name,
                avatar_url: m.avatar_url,
                level: None,
            },
            role: m.role,
            state: m.state,
            joined_at: rfc3339(m.joined_at),
            invited_by: m.invited_by,
            muted: crate::platform::context::mute_end(m.muted_until, crate::now()).is_some(),
            muted_until: crate::platform::context::mute_end(m.muted_until, crate::now()).flatten(),
            needs_approval: m.needs_approval == 1,
            actions: MemberActions::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionAnswer {
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JoinRequestView {
    pub id: i64,
    pub community_id: i64,
    pub user: PersonView,
    pub answers: Vec<QuestionAnswer>,
    /// pending, approved or rejected
    pub status: String,
    pub reason: String,
    pub created_at: String,
    pub decided_at: Option<String>,
}

impl JoinRequestView {
    pub(crate) fn from_row(r: repo::membership::JoinRequestRow, questions: &[String]) -> Self {
        let answers: Vec<String> = serde_json::from_str(&r.answers).unwrap_or_default();
        JoinRequestView {
            id: r.id,
            community_id: r.community_id,
            user: PersonView {
                id: r.user_id,
                username: r.username,
                display_name: r.display_name,
                avatar_url: None,
                level: None,
            },
            answers: answers
                .into_iter()
                .enumerate()
                .map(|(i, answer)| QuestionAnswer { question: questions.get(i).cloned().unwrap_or_default(), answer })
                .collect(),
            status: r.status,
            reason: r.reason,
            created_at: rfc3339(r.created_at),
            decided_at: r.decided_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InviteView {
    pub id: i64,
    pub code: String,
    /// Path to share: `/invite/{code}`.
    pub path: String,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub expires_at: Option<String>,
    pub revoked: bool,
    /// Joining through this link is an application the admins decide on (a
    /// member's link to an approval community).
    pub applies: bool,
    pub created_at: String,
}

impl From<repo::membership::InviteRow> for InviteView {
    fn from(i: repo::membership::InviteRow) -> Self {
        InviteView {
            id: i.id,
            path: format!("/invite/{}", i.code),
            code: i.code,
            max_uses: i.max_uses,
            uses: i.uses,
            expires_at: i.expires_at.map(rfc3339),
            revoked: i.revoked_at.is_some(),
            applies: false,
            created_at: rfc3339(i.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopicView {
    pub id: i64,
    pub name: String,
    /// Who may read and post in it (absent fields: open). In feeds, only the
    /// read gate is given.
    #[serde(flatten)]
    #[schema(inline)]
    pub access: TopicAccessView,
}

/// A topic's gates: a level (1-based) or a tag opens each; absent, open.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct TopicAccessView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_min_level: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_min_level: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_tag: Option<String>,
}

impl TopicView {
    pub(crate) fn of(t: repo::community::TopicRow) -> TopicView {
        let access = TopicAccessView {
            read_min_level: t.read_min_level,
            read_tag: t.read_tag,
            post_min_level: t.post_min_level,
            post_tag: t.post_tag,
        };
        TopicView { id: t.id, name: t.name, access }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostView {
    pub id: i64,
    pub community_id: i64,
    pub author: PersonView,
    pub topic: Option<TopicView>,
    pub title: Option<String>,
    /// Plain-text start of the body, for lists.
    pub excerpt: String,
    /// Markdown source; omitted in feeds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Sanitized HTML rendering of the body; omitted in feeds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_html: Option<String>,
    pub pinned: bool,
    pub essence: bool,
    pub comment_count: i64,
    pub reaction_count: i64,
    pub created_at: String,
    pub edited_at: Option<String>,
    /// visible | held (awaiting review) | hidden; only authors and moderators see the last two.
    pub moderation: String,
    /// In a topic with a read gate: lists leave the excerpt out (the post
    /// itself shows to whoever passes the gate).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub gated: bool,
    /// `post`, or `question` (Q&A).
    pub kind: String,
    /// A question's accepted answer (a comment id), once one is accepted.
    pub accepted_comment_id: Option<i64>,
    /// A question's bounty in points (0 for none); absent for other posts.
    pub bounty: Option<i64>,
}

impl PostView {
    pub(crate) fn from_row(p: repo::content::PostRow, full: bool) -> Self {
        let gated = p.topic_read_min_level.is_some() || p.topic_read_tag.is_some();
        PostView {
            gated,
            id: p.id,
            community_id: p.community_id,
            author: PersonView {
                id: p.author_id,
                username: p.author_username,
                display_name: p.author_display_name,
                avatar_url: p.author_avatar_url,
                level: None,
            },
            topic: p.topic_id.zip(p.topic_name).map(|(id, name)| TopicView {
                id,
                name,
                access: TopicAccessView {
                    read_min_level: p.topic_read_min_level,
                    read_tag: p.topic_read_tag,
                    ..Default::default()
                },
            }),
            title: p.title,
            excerpt: if gated && !full { String::new() } else { p.excerpt },
            body: full.then_some(p.body),
            body_html: full.then_some(p.body_html),
            pinned: p.pinned == 1,
            essence: p.essence == 1,
            comment_count: p.comment_count,
            reaction_count: p.reaction_count,
            created_at: rfc3339(p.created_at),
            edited_at: p.edited_at.map(rfc3339),
            moderation: p.moderation.as_str().to_string(),
            kind: if p.question == 1 { "question" } else { "post" }.to_string(),
            accepted_comment_id: p.accepted_comment_id,
            bounty: p.bounty,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedPage {
    pub posts: Vec<PostView>,
    /// Pinned posts, on the first page of the latest feed only.
    pub pinned: Vec<PostView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentView {
    pub id: i64,
    pub post_id: i64,
    pub author: PersonView,
    pub body: String,
    pub body_html: String,
    pub created_at: String,
    /// visible | held | hidden
    pub moderation: String,
    /// Written by the assistant (an FAQ answer).
    pub automatic: bool,
    /// For automatic answers: the reply to give "did this help?" feedback on.
    pub faq_reply_id: Option<i64>,
    /// In a thread: the top-level comment it replies under.
    pub parent_id: Option<i64>,
    /// Reactions on this comment, in the order of the reaction set.
    pub reactions: Vec<ReactionView>,
}

impl From<repo::content::CommentRow> for CommentView {
    fn from(c: repo::content::CommentRow) -> Self {
        let automatic = c.author_username == repo::user::ASSISTANT_USERNAME;
        CommentView {
            id: c.id,
            post_id: c.post_id,
            author: PersonView {
                id: c.author_id,
                username: c.author_username,
                display_name: c.author_display_name,
                avatar_url: c.author_avatar_url,
                level: None,
            },
            body: c.body,
            body_html: c.body_html,
            created_at: rfc3339(c.created_at),
            moderation: c.moderation.as_str().to_string(),
            automatic,
            faq_reply_id: None,
            parent_id: c.parent_id,
            reactions: vec![],
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReactionView {
    pub emoji: String,
    pub count: i64,
    /// Whether the viewer reacted with this emoji.
    pub mine: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostDetail {
    pub post: PostView,
    pub community_slug: String,
    pub community_name: String,
    /// The first 100 comments; more with `GET /api/v1/posts/{id}/comments?cursor=`.
    pub comments: Vec<CommentView>,
    /// Where the next page of comments starts; absent when these are all.
    pub comments_next_cursor: Option<String>,
    pub reactions: Vec<ReactionView>,
    pub abilities: Abilities,
    /// The viewer wrote this post.
    pub is_author: bool,
    /// The viewer is muted here (reads, but may not comment or react).
    pub muted: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentPage {
    pub comments: Vec<CommentView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RevisionView {
    pub id: i64,
    pub title: Option<String>,
    pub body: String,
    /// Sanitized HTML rendering of that version.
    pub body_html: String,
    pub edited_by: i64,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

impl From<repo::user::TokenRow> for TokenView {
    fn from(t: repo::user::TokenRow) -> Self {
        TokenView {
            id: t.id,
            name: t.name,
            created_at: rfc3339(t.created_at),
            last_used_at: t.last_used_at.map(rfc3339),
            revoked: t.revoked_at.is_some(),
        }
    }
}

/// A token as created: the secret is shown this once and never stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewToken {
    pub token: TokenView,
    pub secret: String,
}
