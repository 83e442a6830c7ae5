//! Communities: create, edit, rules, topics, discovery.

use crate::platform::limits;
use yaji_domain::activity::{CommunityCreated, Event, Kind, RulesPublished, Subject, TopicCreated};
use yaji_domain::community::{self, CommunitySettings, CommunitySlug, SettingsInput};
use yaji_domain::error::{invalid, FieldError};
use yaji_domain::member::Role;
use yaji_domain::permission::Action;
use yaji_domain::text;
use yaji_store::repo::community as repo;
use yaji_store::repo::limits::Counted;
use yaji_store::repo::membership as mrepo;
use yaji_store::repo::moderation as modrepo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::platform::jobs::Job;
use crate::views::{CommunityView, PendingWork, RulesView, TopicView};
use crate::{finish, now, App, AppError, AppResult};

pub(crate) use crate::platform::context::Ctx;

/// The community as the viewer sees it (with their pending application, if any).
pub(crate) async fn community_view(c: &mut Conn, ctx: Ctx, viewer: Option<Viewer>) -> AppResult<CommunityView> {
    let pending = match viewer {
        Some(v) if ctx.role().is_none() => mrepo::pending_request_of(c, ctx.c.id, v.id).await?.is_some(),
        _ => false,
    };
    let abilities = ctx.abilities();
    let membership = ctx.viewer_membership(pending);
    let work = pending_work(c, &ctx).await?;
    let mut view = CommunityView::from_row(std::sync::Arc::unwrap_or_clone(ctx.c), abilities, membership);
    view.pending = work;
    Ok(view)
}

/// What waits for staff, for the badges on their tabs. Reads the two tables'
/// counts directly (bounded, indexed) rather than going through the membership
/// and moderation use cases, which themselves build on this module.
async fn pending_work(c: &mut Conn, ctx: &Ctx) -> AppResult<Option<PendingWork>> {
    let (requests, queue) = (ctx.can(Action::ReviewJoinRequests), ctx.can(Action::Moderate));
    if !requests && !queue {
        return Ok(None);
    }
    let mut work = PendingWork::default();
    if requests {
        work.join_requests = mrepo::pending_request_count(c, ctx.c.id, PendingWork::MAX).await?;
    }
    if queue {
        work.review_queue = modrepo::open_target_count(c, ctx.c.id, PendingWork::MAX).await?;
    }
    Ok(Some(work))
}

pub use crate::staff_work::StaffWork;

/// Input for creating a community.
pub struct NewCommunity {
    pub slug: String,
    pub settings: SettingsInput,
    /// Optional first version of the rules (Markdown).
    pub rules: String,
    /// Topics to start with (from a template, or typed), at most 20.
    pub topics: Vec<String>,
}

impl App {
    /// Join requests and review-queue items waiting for the viewer, in every
    /// community where their role lets them act on them (the bell's count
    /// for operators, and the top of their inbox). Communities with nothing
    /// waiting are left out.
    pub async fn pending_work_for(&self, viewer: Viewer) -> AppResult<Vec<StaffWork>> {
        let mut c = self.db.read().await?;
        let generation = self.db.generation(&mut c).await?;
        if let Some(work) = self.caches.staff_work.get(generation, &viewer.id) {
            return Ok(work.as_ref().clone());
        }
        let staff: Vec<i64> = repo::memberships_of(&mut c, viewer.id)
            .await?
            .into_iter()
            .filter(|m| m.state == yaji_domain::member::MemberState::Active && m.role != Role::Member)
            .map(|m| m.community_id)
            .collect();
        let mut out = Vec::new();
        for id in staff {
            let ctx = Ctx::load_id(&mut c, id, Some(viewer)).await?;
            if let Some(pending) = pending_work(&mut c, &ctx).await? {
                let work = StaffWork { slug: ctx.c.slug.clone(), name: ctx.c.name.clone(), pending };
                if work.total() > 0 {
                    out.push(work);
                }
            }
        }
        out.sort_by(|a, b| b.total().cmp(&a.total()).then_with(|| a.slug.cmp(&b.slug)));
        self.caches.staff_work.put(generation, viewer.id, std::sync::Arc::new(out.clone()));
        Ok(out)
    }

    pub async fn create_community(&self, viewer: Viewer, input: NewCommunity) -> AppResult<CommunityView> {
        let slug = CommunitySlug::parse(&input.slug)?;
        let settings = CommunitySettings::parse(&input.settings)?;
        let rules = text::optional_text("rules", &input.rules, text::MAX_BODY_BYTES)?;
        if input.topics.len() > 20 {
            return Err(invalid("topics", "too_many", "at most 20 topics").into());
        }
        let mut topics: Vec<String> = Vec::new();
        for t in &input.topics {
            let name = community::topic_name(t).map_err(|e| FieldError { field: "topics", ..e })?;
            if !topics.contains(&name) {
                topics.push(name);
            }
        }
        let now = now();
        let mut tx = self.db.write().await?;
        if !viewer.site_admin {
            limits::check(tx.conn(), &self.cfg.limits, Counted::Communities, viewer.id, now).await?;
        }
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
                repo::publish_rules(tx.conn(), id, &rules, &text::markdown_to_html(&rules), viewer.id, false, now)
                    .await?;
        }
        // The owner is the first member; their membership begins with the community.
        let joining = mrepo::Joining {
            community_id: id,
            user_id: viewer.id,
            role: Role::Owner.as_str(),
            rules_version,
            invited_by: None,
            invite_id: None,
            now,
        };
        mrepo::upsert_active(tx.conn(), &joining).await?;
        repo::add_member_count(tx.conn(), id, 1).await?;
        for name in topics {
            let topic = repo::insert_topic(tx.conn(), id, &name, now).await?;
            let ev = Event::of(Some(id), viewer.id, Subject::Topic(topic), &TopicCreated { name });
            crate::platform::events::record_event(tx.conn(), &ev, now).await?;
        }
        let ev = Event::of(
            Some(id),
            viewer.id,
            Subject::Community(id),
            &CommunityCreated { slug: slug.as_str().to_string(), rules_version },
        );
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

    /// Publishes a new version of the rules and tells the members (a job).
    /// With `require_acceptance`, members accept it before they post,
    /// comment or react again; without, it simply applies.
    pub async fn publish_rules(
        &self,
        viewer: Viewer,
        slug: &str,
        body: &str,
        require_acceptance: bool,
    ) -> AppResult<RulesView> {
        let body = text::body("body", body)?;
        let html = text::markdown_to_html(&body);
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::EditRules)?;
        let version =
            repo::publish_rules(tx.conn(), ctx.c.id, &body, &html, viewer.id, require_acceptance, now).await?;
        // The publisher accepts their own rules.
        mrepo::accept_rules(tx.conn(), ctx.c.id, viewer.id, version).await?;
        let notice = Job::RulesNotice { community_id: ctx.c.id, version, publisher: viewer.id };
        crate::platform::jobs::enqueue(tx.conn(), notice, now).await?;
        let published = RulesPublished { version, require_acceptance };
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id), &published);
        finish(tx, ev, now).await?;
        self.wake_workers();
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
        finish(tx, Event::of(Some(ctx.c.id), viewer.id, Subject::Topic(id), &TopicCreated { name: name.clone() }), now)
            .await?;
        Ok(TopicView { id, name, access: Default::default() })
    }

    pub async fn community_slug(&self, id: i64) -> AppResult<String> {
        let mut c = self.db.read().await?;
        Ok(repo::by_id(&mut c, id).await?.ok_or(AppError::NotFound("community"))?.slug)
    }

    pub async fn topics(&self, viewer: Option<Viewer>, slug: &str) -> AppResult<Vec<TopicView>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, viewer).await?;
        ctx.allow(Action::ReadContent)?;
        Ok(repo::topics(&mut c, ctx.c.id).await?.into_iter().map(TopicView::of).collect())
    }
}
