//! Who runs and who goes: hosts, co-hosts and door staff of one event
//! (hosts get the door for their event), members' proposals that staff
//! approve (the proposer hosts), and the "who's going" list.

use serde::Serialize;
use utoipa::ToSchema;
use yaji_domain::activity::Kind;
use yaji_domain::gatherings::EventInput;
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_store::repo::gatherings as repo;
use yaji_store::Conn;

use super::{changed, load, EventView};
use crate::accounts::Viewer;
use crate::platform::context::Ctx;
use crate::platform::events::finish;
use crate::platform::notifications::notify;
use crate::views::PersonView;
use crate::{now, App, AppError, AppResult};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HostView {
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    /// `host`, `cohost` or `door`.
    pub role: String,
}

pub(crate) async fn hosts(conn: &mut Conn, id: i64) -> AppResult<Vec<HostView>> {
    Ok(repo::staff(conn, id)
        .await?
        .into_iter()
        .map(|s| HostView {
            username: s.username,
            display_name: s.display_name,
            avatar_url: s.avatar_url,
            role: s.role,
        })
        .collect())
}

/// Registered and attended people, first come first.
pub(crate) async fn going(conn: &mut Conn, id: i64) -> AppResult<Vec<PersonView>> {
    Ok(repo::regs(conn, id)
        .await?
        .into_iter()
        .filter(|r| matches!(r.status.as_str(), "registered" | "attended"))
        .take(200)
        .map(|r| PersonView {
            id: r.user_id,
            username: r.username,
            display_name: r.display_name,
            avatar_url: r.avatar_url,
            level: None,
        })
        .collect())
}

impl App {
    /// A member proposes a gathering; it waits, unseen by others, until
    /// staff approve it, and then its proposer hosts it.
    pub async fn propose_event(&self, viewer: Viewer, slug: &str, input: EventInput) -> AppResult<EventView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::TakePart)?;
        let mut input = input;
        input.repeat = None;
        let def = input.validate(ctx.tz())?;
        if def.starts_at <= now {
            return Err(yaji_domain::error::invalid(
                "starts_at",
                "in_the_past",
                "a proposal is for a future gathering",
            )
            .into());
        }
        let id =
            self.insert_events(tx.conn(), &ctx, viewer, &def, &[def.starts_at], (None, Some(viewer.id)), now).await?;
        tx.commit().await?;
        self.wake_workers();
        self.event(Some(viewer), id).await
    }

    /// Staff approve a member's proposal: it opens, its proposer becomes its host and is told.
    pub async fn approve_proposal(&self, viewer: Viewer, id: i64) -> AppResult<EventView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let l = load(tx.conn(), id, Some(viewer)).await?;
        l.ctx.allow(Action::ManageEvents)?;
        let Some(proposer) = l.row.proposed_by.filter(|_| l.row.proposal_open) else {
            return Err(AppError::conflict("not_a_proposal", None, "this gathering is not waiting for approval"));
        };
        repo::approve(tx.conn(), id, now).await?;
        repo::set_staff(tx.conn(), id, proposer, "host").await?;
        let detail = serde_json::json!({"title": l.row.title, "status": "approved", "link": format!("/events/{id}")});
        notify(tx.conn(), proposer, Some(l.ctx.c.id), NotificationKind::ProposalApproved, &detail, now).await?;
        let ev = changed(Kind::EventUpdated, l.ctx.c.id, viewer.id, id, &l.row.title);
        finish(tx, ev, now).await?;
        self.event(Some(viewer), id).await
    }

    /// Proposals waiting for staff.
    pub async fn proposals(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<EventView>> {
        let ids: Vec<i64> = {
            let mut c = self.db.read().await?;
            let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
            ctx.allow(Action::ManageEvents)?;
            repo::proposals(&mut c, ctx.c.id).await?.into_iter().map(|e| e.id).collect()
        };
        let mut out = vec![];
        for id in ids {
            out.push(self.event(Some(viewer), id).await?);
        }
        Ok(out)
    }

    /// Names a host, co-host or door staff of an event (staff), or removes
    /// them with `role` none. Anyone with an account can be named: a guest
    /// expert need not be a member.
    pub async fn set_event_staff(
        &self,
        viewer: Viewer,
        id: i64,
        username: &str,
        role: Option<&str>,
    ) -> AppResult<Vec<HostView>> {
        let now = now();
        let mut tx = self.db.write().await?;
        let l = load(tx.conn(), id, Some(viewer)).await?;
        l.ctx.allow(Action::ManageEvents)?;
        let user = yaji_store::repo::user::by_username(tx.conn(), username.trim())
            .await?
            .ok_or_else(|| yaji_domain::error::invalid("username", "unknown_user", "no one has that username"))?;
        match role.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r @ ("host" | "cohost" | "door")) => repo::set_staff(tx.conn(), id, user.id, r).await?,
            Some(_) => {
                return Err(yaji_domain::error::invalid("role", "invalid_choice", "role is host, cohost or door").into())
            }
            None => repo::remove_staff(tx.conn(), id, user.id).await?,
        }
        let ev = changed(Kind::EventUpdated, l.ctx.c.id, viewer.id, id, &l.row.title);
        finish(tx, ev, now).await?;
        let mut c = self.db.read().await?;
        repo::get(&mut c, id).await?.ok_or(AppError::NotFound("event"))?;
        hosts(&mut c, id).await
    }
}
