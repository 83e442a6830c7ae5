//! Who runs and who goes: hosts, co-hosts and door staff of one event
//! (hosts get the door for their event), and the "who's going" list.

use serde::Serialize;
use utoipa::ToSchema;
use yaji_domain::activity::{Event, EventChanged, Kind, Subject};
use yaji_domain::permission::Action;
use yaji_store::repo::gatherings as repo;
use yaji_store::Conn;

use super::load;
use crate::accounts::Viewer;
use crate::platform::events::finish;
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
        let ev = Event::of_kind(
            Kind::EventUpdated,
            Some(l.ctx.c.id),
            viewer.id,
            Subject::Gathering(id),
            &EventChanged { title: l.row.title.clone() },
        );
        finish(tx, ev, now).await?;
        let mut c = self.db.read().await?;
        repo::get(&mut c, id).await?.ok_or(AppError::NotFound("event"))?;
        hosts(&mut c, id).await
    }
}
