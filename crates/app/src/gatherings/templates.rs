//! Gathering templates (the community's formats, 雅集内容库 of gatherings):
//! theme, agenda, materials, room setup, host, capacity and questions; a
//! template becomes a gathering in one step, and its page lists the past
//! gatherings made from it with their recaps and how many came back.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;
use yaji_domain::activity::{Event, EventChanged, Kind, Subject};
use yaji_domain::gatherings::{Question, TemplateDef, TemplateInput};
use yaji_domain::permission::Action;
use yaji_store::repo::gatherings as repo;

use super::{changed, load, EventView};
use crate::accounts::Viewer;
use crate::platform::context::Ctx;
use crate::platform::events::finish;
use crate::{now, rfc3339, App, AppError, AppResult};

/// A past (or coming) gathering made from a template.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PastGathering {
    pub id: i64,
    pub title: String,
    pub starts_at: String,
    pub canceled: bool,
    pub recap_post_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: i64,
    pub community_slug: String,
    pub title: String,
    pub description: String,
    pub description_html: String,
    pub materials: String,
    pub setup: String,
    pub host: Option<String>,
    pub capacity: Option<i64>,
    pub duration_minutes: i64,
    pub room_id: Option<i64>,
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<Question>,
    /// Gatherings made from it.
    pub gatherings: Vec<PastGathering>,
    /// People who came to any of them, and who came to two or more.
    pub attendees: i64,
    pub came_back: i64,
    /// Visitor → registered → came → came back → joined, over its gatherings.
    pub funnel: super::FunnelView,
    pub can_manage: bool,
}

fn def_of(row: &repo::TemplateRow) -> AppResult<TemplateDef> {
    serde_json::from_str(&row.def).map_err(|e| AppError::Internal(format!("template {}: {e}", row.id)))
}

impl App {
    /// Saves a gathering template (moderators and up).
    pub async fn create_template(&self, viewer: Viewer, slug: &str, input: TemplateInput) -> AppResult<TemplateView> {
        let def = input.validate()?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManageEvents)?;
        if let Some(r) = def.room_id {
            if !crate::venues::rooms::room_in(tx.conn(), ctx.c.id, r).await? {
                return Err(
                    yaji_domain::error::invalid("room_id", "unknown_room", "no such room in this community").into()
                );
            }
        }
        let json = serde_json::to_string(&def).map_err(|e| AppError::Internal(e.to_string()))?;
        let id = repo::insert_template(tx.conn(), ctx.c.id, &def.title, &json, viewer.id, now).await?;
        let ev = Event::of_kind(
            Kind::EventUpdated,
            Some(ctx.c.id),
            viewer.id,
            Subject::Community(ctx.c.id),
            &EventChanged { title: def.title },
        );
        finish(tx, ev, now).await?;
        self.template(viewer, id).await
    }

    /// A community's templates (staff: templates are how they plan).
    pub async fn templates(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<TemplateView>> {
        let ids: Vec<i64> = {
            let mut c = self.db.read().await?;
            let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
            ctx.allow(Action::ManageEvents)?;
            repo::templates(&mut c, ctx.c.id).await?.into_iter().map(|t| t.id).collect()
        };
        let mut out = vec![];
        for id in ids {
            out.push(self.template(viewer, id).await?);
        }
        Ok(out)
    }

    pub async fn template(&self, viewer: Viewer, id: i64) -> AppResult<TemplateView> {
        let mut c = self.db.read().await?;
        let row = repo::template(&mut c, id).await?.ok_or(AppError::NotFound("template"))?;
        let ctx = Ctx::load_id(&mut c, row.community_id, Some(viewer)).await?;
        ctx.allow(Action::ManageEvents)?;
        let def = def_of(&row)?;
        let gatherings = repo::of_template(&mut c, id)
            .await?
            .into_iter()
            .map(|e| PastGathering {
                id: e.id,
                title: e.title,
                starts_at: rfc3339(e.starts_at),
                canceled: e.canceled,
                recap_post_id: e.recap_post_id,
            })
            .collect();
        let mut times: HashMap<i64, i64> = HashMap::new();
        for (user, _) in repo::template_attendance(&mut c, id).await? {
            *times.entry(user).or_default() += 1;
        }
        Ok(TemplateView {
            id,
            community_slug: ctx.c.slug.clone(),
            description_html: yaji_domain::text::markdown_to_html(&def.description),
            title: def.title,
            description: def.description,
            materials: def.materials,
            setup: def.setup,
            host: def.host,
            capacity: def.capacity,
            duration_minutes: def.duration_minutes,
            room_id: def.room_id,
            questions: def.questions,
            gatherings,
            attendees: times.len() as i64,
            came_back: times.values().filter(|n| **n >= 2).count() as i64,
            funnel: super::funnel::funnel(&mut c, ctx.c.id, yaji_store::repo::gatherings::Scope::Template(id), now())
                .await?,
            can_manage: true,
        })
    }

    /// Makes a gathering from a template, starting at `starts_at` (RFC 3339
    /// or local); its usual host hosts it.
    pub async fn event_from_template(&self, viewer: Viewer, id: i64, starts_at: &str) -> AppResult<EventView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let row = repo::template(tx.conn(), id).await?.ok_or(AppError::NotFound("template"))?;
        let ctx = Ctx::load_id(tx.conn(), row.community_id, Some(viewer)).await?;
        ctx.allow(Action::ManageEvents)?;
        let def = def_of(&row)?;
        let start = yaji_domain::time::instant("starts_at", starts_at, ctx.tz())?;
        let event = def.event(id, start).validate(ctx.tz())?;
        let event_id =
            self.insert_events(tx.conn(), &ctx, viewer, &event, &[event.starts_at], (None, None), now).await?;
        if let Some(host) = &def.host {
            if let Some(u) = yaji_store::repo::user::by_username(tx.conn(), host).await? {
                repo::set_staff(tx.conn(), event_id, u.id, "host").await?;
            }
        }
        tx.commit().await?;
        self.wake_workers();
        self.event(Some(viewer), event_id).await
    }

    /// Links a past gathering to its recap post (staff); none unlinks it.
    pub async fn set_recap(&self, viewer: Viewer, id: i64, post_id: Option<i64>) -> AppResult<EventView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let l = load(tx.conn(), id, Some(viewer)).await?;
        l.ctx.allow(Action::ManageEvents)?;
        if let Some(p) = post_id {
            if !crate::content::post_in(tx.conn(), l.ctx.c.id, p).await? {
                return Err(
                    yaji_domain::error::invalid("post_id", "unknown_post", "no such post in this community").into()
                );
            }
        }
        repo::set_recap(tx.conn(), id, post_id).await?;
        let ev = changed(Kind::EventUpdated, l.ctx.c.id, viewer.id, id, &l.row.title);
        finish(tx, ev, now).await?;
        self.event(Some(viewer), id).await
    }
}
