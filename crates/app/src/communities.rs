//! Communities: create, edit, rules, topics, discovery.

use yaji_domain::activity::{Event, Kind, Subject};
use yaji_domain::community::{self, CommunitySettings, CommunitySlug, JoinPolicy, SettingsInput, Visibility};
use yaji_domain::member::{MemberState, Role};
use yaji_domain::permission::{decide, Action, Actor, Denial, Policy};
use yaji_domain::text;
use yaji_store::repo::community as repo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::cache::CommunityKey;
use crate::views::{Abilities, CommunityView, RulesView, TopicView, ViewerMembership};
use crate::{finish, now, App, AppError, AppResult};

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
            membership: membership
                .as_ref()
                .and_then(|m| Some((Role::parse("role", &m.role).ok()?, MemberState::parse("state", &m.state).ok()?))),
            site_admin: viewer.is_some_and(|v| v.site_admin),
            muted: membership.as_ref().is_some_and(|m| m.muted_until.is_some_and(|u| u > crate::now())),
        };
        let c = c.into();
        let policy = policy_of(&c);
        Ctx { c, actor, policy, membership }
    }

    pub fn allow(&self, action: Action) -> AppResult<()> {
        decide(self.actor, action, self.policy).map_err(|d| match d {
            // A muted member is told when they may speak again.
            Denial::Muted => {
                let until = self.membership.as_ref().and_then(|m| m.muted_until);
                let end = crate::moderation::mute_end(until, crate::now()).flatten();
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
            role: self.membership.as_ref().map(|m| m.role.clone()),
            state: self.membership.as_ref().map(|m| m.state.clone()),
            rules_version_accepted: self.membership.as_ref().map_or(0, |m| m.rules_version_accepted),
            pending_request,
            muted: self.actor.muted,
            muted_until: self
                .membership
                .as_ref()
                .and_then(|m| crate::moderation::mute_end(m.muted_until, crate::now()))
                .flatten(),
            needs_approval: self.membership.as_ref().is_some_and(|m| m.needs_approval == 1),
        })
    }

    pub fn role(&self) -> Option<Role> {
        self.actor.active_role()
    }
}

/// The community as the viewer sees it (with their pending application, if any).
pub(crate) async fn community_view(c: &mut Conn, ctx: Ctx, viewer: Option<Viewer>) -> AppResult<CommunityView> {
    let pending = match viewer {
        Some(v) if ctx.role().is_none() => repo::pending_request_of(c, ctx.c.id, v.id).await?.is_some(),
        _ => false,
    };
    let abilities = ctx.abilities();
    let membership = ctx.viewer_membership(pending);
    Ok(CommunityView::from_row(std::sync::Arc::unwrap_or_clone(ctx.c), abilities, membership))
}

pub(crate) fn policy_of(c: &repo::CommunityRow) -> Policy {
    Policy {
        visibility: Visibility::parse("visibility", &c.visibility).unwrap_or(Visibility::Private),
        join_policy: JoinPolicy::parse("join_policy", &c.join_policy).unwrap_or(JoinPolicy::InviteOnly),
    }
}

/// Input for creating a community.
pub struct NewCommunity {
    pub slug: String,
    pub settings: SettingsInput,
    /// Optional first version of the rules (Markdown).
    pub rules: String,
}

impl App {
    pub async fn create_community(&self, viewer: Viewer, input: NewCommunity) -> AppResult<CommunityView> {
        let slug = CommunitySlug::parse(&input.slug)?;
        let settings = CommunitySettings::parse(&input.settings)?;
        let rules = text::optional_text("rules", &input.rules, text::MAX_BODY_BYTES)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let id = match repo::insert(tx.conn(), slug.as_str(), &settings, viewer.id, now).await {
            Ok(id) => id,
            Err(e) if e.is_unique_violation() => {
                return Err(AppError::conflict(
                    "slug_taken",
                    Some("slug"),
                    format!("the slug '{}' is taken", slug.as_str()),
                ))
            }
            Err(e) => return Err(e.into()),
        };
        let mut rules_version = 0;
        if !rules.is_empty() {
            rules_version =
                repo::publish_rules(tx.conn(), id, &rules, &text::markdown_to_html(&rules), viewer.id, now).await?;
        }
        // The owner is the first member; their membership begins with the community.
        let joining = repo::Joining {
            community_id: id,
            user_id: viewer.id,
            role: Role::Owner.as_str(),
            rules_version,
            invited_by: None,
            invite_id: None,
            now,
        };
        repo::upsert_active(tx.conn(), &joining).await?;
        repo::add_member_count(tx.conn(), id, 1).await?;
        let ev = Event::new(Kind::CommunityCreated, Some(id), viewer.id, Subject::Community(id))
            .with(serde_json::json!({"slug": slug.as_str(), "rules_version": rules_version}));
        finish(tx, ev, now).await?;
        self.community(Some(viewer), slug.as_str()).await
    }

    pub async fn update_community(&self, viewer: Viewer, slug: &str, input: SettingsInput) -> AppResult<CommunityView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::EditSettings)?;
        let settings = CommunitySettings::parse(&input)?;
        repo::update(tx.conn(), ctx.c.id, &settings, now).await?;
        finish(tx, Event::new(Kind::CommunityUpdated, Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id)), now)
            .await?;
        self.community(Some(viewer), slug).await
    }

    pub async fn community(&self, viewer: Option<Viewer>, slug: &str) -> AppResult<CommunityView> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, viewer).await?;
        community_view(&mut c, ctx, viewer).await
    }

    /// Communities for the discovery list: all public ones, plus private ones
    /// (their cards only) when `include_private`.
    pub async fn communities(
        &self,
        viewer: Option<Viewer>,
        include_private: bool,
        limit: i64,
        offset: i64,
    ) -> AppResult<Vec<CommunityView>> {
        let mut c = self.db.read().await?;
        let rows = repo::list(&mut c, !include_private, limit, offset).await?;
        let mut mine = match viewer {
            Some(v) => repo::memberships_of(&mut c, v.id).await?,
            None => vec![],
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let m = mine.iter().position(|m| m.community_id == row.id).map(|i| mine.swap_remove(i));
            let ctx = Ctx::with_membership(row, viewer, m);
            let abilities = ctx.abilities();
            let m = ctx.viewer_membership(false);
            out.push(CommunityView::from_row(std::sync::Arc::unwrap_or_clone(ctx.c), abilities, m));
        }
        Ok(out)
    }

    /// The communities a user belongs to.
    pub async fn my_communities(&self, viewer: Viewer) -> AppResult<Vec<CommunityView>> {
        let mut c = self.db.read().await?;
        let rows = repo::list_for_member(&mut c, viewer.id).await?;
        let mut mine = repo::memberships_of(&mut c, viewer.id).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let m = mine.iter().position(|m| m.community_id == row.id).map(|i| mine.swap_remove(i));
            let ctx = Ctx::with_membership(row, Some(viewer), m);
            let abilities = ctx.abilities();
            let m = ctx.viewer_membership(false);
            out.push(CommunityView::from_row(std::sync::Arc::unwrap_or_clone(ctx.c), abilities, m));
        }
        Ok(out)
    }

    /// Publishes a new version of the rules; members accept it on their next visit.
    pub async fn publish_rules(&self, viewer: Viewer, slug: &str, body: &str) -> AppResult<RulesView> {
        let body = text::body("body", body)?;
        let html = text::markdown_to_html(&body);
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::EditRules)?;
        let version = repo::publish_rules(tx.conn(), ctx.c.id, &body, &html, viewer.id, now).await?;
        // The publisher accepts their own rules.
        repo::accept_rules(tx.conn(), ctx.c.id, viewer.id, version).await?;
        let ev = Event::new(Kind::RulesPublished, Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id))
            .with(serde_json::json!({"version": version}));
        finish(tx, ev, now).await?;
        Ok(RulesView { version, body, body_html: html, created_at: crate::rfc3339(now) })
    }

    /// The current rules (version 0 and empty when none were published).
    pub async fn rules(&self, viewer: Option<Viewer>, slug: &str) -> AppResult<Option<RulesView>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, viewer).await?;
        // Rules are shown to prospective members too: they accept them on joining.
        Ok(repo::rules(&mut c, ctx.c.id, ctx.c.rules_version).await?.map(Into::into))
    }

    pub async fn rules_history(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<RulesView>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::EditRules)?;
        Ok(repo::rules_history(&mut c, ctx.c.id).await?.into_iter().map(Into::into).collect())
    }

    pub async fn create_topic(&self, viewer: Viewer, slug: &str, name: &str) -> AppResult<TopicView> {
        let name = community::topic_name(name)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManageTopics)?;
        let id = match repo::insert_topic(tx.conn(), ctx.c.id, &name, now).await {
            Ok(id) => id,
            Err(e) if e.is_unique_violation() => {
                return Err(AppError::conflict("topic_exists", Some("name"), "a topic with this name exists"))
            }
            Err(e) => return Err(e.into()),
        };
        finish(
            tx,
            Event::new(Kind::TopicCreated, Some(ctx.c.id), viewer.id, Subject::Topic(id))
                .with(serde_json::json!({"name": name})),
            now,
        )
        .await?;
        Ok(TopicView { id, name })
    }

    pub async fn community_slug(&self, id: i64) -> AppResult<String> {
        let mut c = self.db.read().await?;
        Ok(repo::by_id(&mut c, id).await?.ok_or(AppError::NotFound("community"))?.slug)
    }

    pub async fn topics(&self, viewer: Option<Viewer>, slug: &str) -> AppResult<Vec<TopicView>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, viewer).await?;
        ctx.allow(Action::ReadContent)?;
        Ok(repo::topics(&mut c, ctx.c.id).await?.into_iter().map(|t| TopicView { id: t.id, name: t.name }).collect())
    }
}
