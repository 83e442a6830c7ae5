//! The context every community use case starts from: the community row, the
//! viewer's standing in it, and the policy the permission core needs. Every
//! permission decision goes through [`Ctx::allow`] / [`Ctx::can`], which call
//! the one permission function, `yaji_domain::permission::decide`.

use serde::Serialize;
use utoipa::ToSchema;
use yaji_domain::community::{CommunitySlug, JoinPolicy, Visibility};
use yaji_domain::member::{MemberState, Role};
use yaji_domain::permission::{decide, Action, Actor, Denial, Policy};
use yaji_store::repo::community as repo;
use yaji_store::Conn;

use crate::platform::cache::CommunityKey;
use crate::{App, AppError, AppResult};

/// Who is acting, once authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub id: i64,
    pub site_admin: bool,
}

/// What the viewer may do in a community, computed by the permission core so
/// the UI shows only buttons that will work.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Abilities {
    pub read: bool,
    pub join: bool,
    pub apply: bool,
    pub leave: bool,
    pub post: bool,
    pub invite: bool,
    pub moderate: bool,
    pub manage: bool,
    /// Report posts, comments and members to the moderators.
    pub report: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ViewerMembership {
    /// owner, admin, moderator or member; absent if never a member.
    pub role: Option<String>,
    /// active, left, removed or banned.
    pub state: Option<String>,
    pub rules_version_accepted: i64,
    /// The community requires a newer rules version than they accepted:
    /// they accept it (`POST …/rules/accept`) before they write again.
    pub rules_pending: bool,
    pub pending_request: bool,
    /// Muted: they may read but not post, comment or react. `until` absent: until lifted.
    pub muted: bool,
    pub muted_until: Option<String>,
    /// Everything they write waits for a moderator.
    pub needs_approval: bool,
}

/// A community as seen by one viewer: the row, their standing, and the policy
/// the permission core needs.
pub(crate) struct Ctx {
    pub c: std::sync::Arc<repo::CommunityRow>,
    pub actor: Actor,
    pub policy: Policy,
    pub membership: Option<repo::MembershipRow>,
}

impl App {
    /// The viewer's context for a read, from the generation's cache when it
    /// has it (see `cache`). Writes load theirs inside their transaction.
    pub(crate) async fn read_ctx(
        &self,
        conn: &mut Conn,
        generation: Option<u64>,
        key: repo::Key<'_>,
        viewer: Option<Viewer>,
    ) -> AppResult<Ctx> {
        let cache_key = match key {
            repo::Key::Slug(s) => CommunityKey::Slug(s.trim().to_string()),
            repo::Key::Id(id) => CommunityKey::Id(id),
        };
        let caches = &self.caches;
        if let Some(c) = caches.communities.get(generation, &cache_key) {
            let membership = match viewer {
                None => Some(None),
                Some(v) => caches.memberships.get(generation, &(c.id, v.id)),
            };
            if let Some(m) = membership {
                return Ok(Ctx::with_membership(c, viewer, m));
            }
        }
        let ctx = Ctx::find(conn, key, viewer).await?;
        caches.communities.put(generation, cache_key, ctx.c.clone());
        if let Some(v) = viewer {
            caches.memberships.put(generation, (ctx.c.id, v.id), ctx.membership.clone());
        }
        Ok(ctx)
    }
}

impl Ctx {
    pub async fn load(conn: &mut Conn, slug: &str, viewer: Option<Viewer>) -> AppResult<Ctx> {
        Self::find(conn, repo::Key::Slug(slug.trim()), viewer).await
    }

    pub async fn load_id(conn: &mut Conn, id: i64, viewer: Option<Viewer>) -> AppResult<Ctx> {
        Self::find(conn, repo::Key::Id(id), viewer).await
    }

    async fn find(conn: &mut Conn, key: repo::Key<'_>, viewer: Option<Viewer>) -> AppResult<Ctx> {
        if let repo::Key::Slug(s) = key {
            // Every stored slug parses; anything else (e.g. with a NUL) cannot exist.
            CommunitySlug::parse(s).map_err(|_| AppError::NotFound("community"))?;
        }
        let (c, m) =
            repo::with_membership(conn, key, viewer.map(|v| v.id)).await?.ok_or(AppError::NotFound("community"))?;
        Ok(Self::with_membership(c, viewer, m))
    }

    /// Builds the context from rows already loaded (lists load memberships in one query).
    pub fn with_membership(
        c: impl Into<std::sync::Arc<repo::CommunityRow>>,
        viewer: Option<Viewer>,
        membership: Option<repo::MembershipRow>,
    ) -> Ctx {
        let actor = Actor {
            signed_in: viewer.is_some(),
            membership: membership.as_ref().map(|m| (m.role, m.state)),
            site_admin: viewer.is_some_and(|v| v.site_admin),
            muted: membership.as_ref().is_some_and(|m| m.muted_until.is_some_and(|u| u > crate::now())),
            rules_pending: false,
        };
        let c: std::sync::Arc<repo::CommunityRow> = c.into();
        let actor = Actor {
            rules_pending: membership
                .as_ref()
                .is_some_and(|m| m.state == MemberState::Active && m.rules_version_accepted < c.rules_required_version),
            ..actor
        };
        let policy = policy_of(&c);
        Ctx { c, actor, policy, membership }
    }

    /// A member of this community by username, in any state (their history
    /// stays readable after they leave); 404 otherwise.
    pub async fn member_named(&self, conn: &mut Conn, username: &str) -> AppResult<yaji_store::repo::user::UserRow> {
        let user =
            yaji_store::repo::user::by_username(conn, username.trim()).await?.ok_or(AppError::NotFound("member"))?;
        repo::membership(conn, self.c.id, user.id).await?.ok_or(AppError::NotFound("member"))?;
        Ok(user)
    }

    /// The community's time zone (Asia/Shanghai where the stored name is unknown).
    pub fn tz(&self) -> chrono_tz::Tz {
        self.c.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
    }

    pub fn allow(&self, action: Action) -> AppResult<()> {
        decide(self.actor, action, self.policy).map_err(|d| match d {
            // A muted member is told when they may speak again.
            Denial::Muted => {
                let until = self.membership.as_ref().and_then(|m| m.muted_until);
                let end = mute_end(until, crate::now()).flatten();
                AppError::forbidden(
                    "muted",
                    match end {
                        Some(t) => format!("you are muted in this community until {t}"),
                        None => "you are muted in this community until a moderator lifts it".to_string(),
                    },
                )
            }
            d => d.into(),
        })
    }

    /// Private communities keep their card public: content reads answer 403
    /// `members_only` (not 404) so the UI can offer to join.
    pub fn can(&self, action: Action) -> bool {
        decide(self.actor, action, self.policy).is_ok()
    }

    pub fn abilities(&self) -> Abilities {
        Abilities {
            read: self.can(Action::ReadContent),
            join: self.can(Action::Join),
            apply: self.can(Action::ApplyToJoin),
            leave: self.can(Action::Leave),
            post: self.can(Action::CreatePost),
            invite: self.can(Action::CreateInvite),
            moderate: self.can(Action::SetEssence),
            manage: self.can(Action::EditSettings),
            report: self.can(Action::Report),
        }
    }

    pub fn viewer_membership(&self, pending_request: bool) -> Option<ViewerMembership> {
        if !self.actor.signed_in {
            return None;
        }
        Some(ViewerMembership {
            role: self.membership.as_ref().map(|m| m.role.as_str().to_string()),
            state: self.membership.as_ref().map(|m| m.state.as_str().to_string()),
            rules_version_accepted: self.membership.as_ref().map_or(0, |m| m.rules_version_accepted),
            rules_pending: self.actor.rules_pending,
            pending_request,
            muted: self.actor.muted,
            muted_until: self.membership.as_ref().and_then(|m| mute_end(m.muted_until, crate::now())).flatten(),
            needs_approval: self.membership.as_ref().is_some_and(|m| m.needs_approval == 1),
        })
    }

    pub fn role(&self) -> Option<Role> {
        self.actor.active_role()
    }
}

pub(crate) fn policy_of(c: &repo::CommunityRow) -> Policy {
    Policy {
        visibility: Visibility::parse("visibility", &c.visibility).unwrap_or(Visibility::Private),
        join_policy: JoinPolicy::parse("join_policy", &c.join_policy).unwrap_or(JoinPolicy::InviteOnly),
    }
}

/// A mute "until lifted" ends at 9999-12-31 (one column serves both kinds).
pub const INDEFINITE: i64 = 253_402_300_799_000;

/// Mute end for display: `None` when not muted at `now`, `Some(None)` when until lifted.
pub fn mute_end(muted_until: Option<i64>, now: i64) -> Option<Option<String>> {
    match muted_until {
        Some(u) if u > now => Some((u < INDEFINITE).then(|| crate::rfc3339(u))),
        _ => None,
    }
}
