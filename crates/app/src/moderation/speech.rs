//! Speaking rights: mute, unmute, "posts need approval" and warnings, by
//! moderators on members below their role.

use yaji_domain::activity::{Event, Kind, MemberRestricted, MemberUnmuted, MemberUnrestricted, Sanctioned, Subject};
use yaji_domain::community;
use yaji_domain::error::invalid;
use yaji_domain::member::MemberState;
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_domain::user::Username;
use yaji_store::repo::community as crepo;
use yaji_store::repo::moderation as repo;
use yaji_store::repo::user as users;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::communities::Ctx;
use crate::platform::notifications::notify;
use crate::{finish, now, rfc3339, App, AppError, AppResult};

use super::*;

impl App {
    pub async fn mute(
        &self,
        viewer: Viewer,
        slug: &str,
        username: &str,
        minutes: Option<u32>,
        reason: &str,
    ) -> AppResult<()> {
        let minutes = mute_minutes(minutes)?;
        let reason = community::reason(reason)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let (ctx, target, _) = self.member_target(tx.conn(), viewer, slug, username).await?;
        let ev = mute_member(tx.conn(), ctx.c.id, viewer, target, minutes, &reason, now).await?;
        finish(tx, ev, now).await
    }

    pub async fn unmute(&self, viewer: Viewer, slug: &str, username: &str) -> AppResult<()> {
        let now = now();
        let mut tx = self.db.write().await?;
        let (ctx, target, m) = self.member_target(tx.conn(), viewer, slug, username).await?;
        if m.muted_until.is_none_or(|u| u <= now) {
            return Err(AppError::conflict("not_muted", Some("username"), "this member is not muted"));
        }
        repo::set_mute(tx.conn(), ctx.c.id, target, None, "").await?;
        let unmuted = MemberUnmuted { before_until: m.muted_until.map(rfc3339) };
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::User(target), &unmuted);
        finish(tx, ev, now).await
    }

    /// Turns "posts need approval" on or off for a member.
    pub async fn restrict(&self, viewer: Viewer, slug: &str, username: &str, on: bool, reason: &str) -> AppResult<()> {
        let reason = community::reason(reason)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let (ctx, target, m) = self.member_target(tx.conn(), viewer, slug, username).await?;
        if (m.needs_approval == 1) == on {
            tx.rollback().await?;
            return Ok(());
        }
        repo::set_needs_approval(tx.conn(), ctx.c.id, target, on).await?;
        let (subject, before) = (Subject::User(target), m.needs_approval == 1);
        let ev = if on {
            Event::of(Some(ctx.c.id), viewer.id, subject, &MemberRestricted { reason, before, after: on })
        } else {
            Event::of(Some(ctx.c.id), viewer.id, subject, &MemberUnrestricted { reason, before, after: on })
        };
        finish(tx, ev, now).await
    }

    pub async fn warn(&self, viewer: Viewer, slug: &str, username: &str, reason: &str) -> AppResult<()> {
        let reason = community::reason(reason)?;
        if reason.is_empty() {
            return Err(invalid("reason", "required", "say why you warn this member").into());
        }
        let now = now();
        let mut tx = self.db.write().await?;
        let (ctx, target, _) = self.member_target(tx.conn(), viewer, slug, username).await?;
        let ev = warn_member(tx.conn(), ctx.c.id, viewer, target, &reason, now).await?;
        finish(tx, ev, now).await
    }

    /// Loads an active member as the target of a moderator action, checking
    /// the actor outranks them (moderators never act on their own role or above).
    async fn member_target(
        &self,
        conn: &mut Conn,
        viewer: Viewer,
        slug: &str,
        username: &str,
    ) -> AppResult<(Ctx, i64, crepo::MembershipRow)> {
        let username = Username::parse(username)?;
        let ctx = Ctx::load(conn, slug, Some(viewer)).await?;
        ctx.allow(Action::Moderate)?;
        let target = users::by_username(conn, username.as_str()).await?.ok_or(AppError::NotFound("user"))?;
        let m = crepo::membership(conn, ctx.c.id, target.id)
            .await?
            .filter(|m| m.state == MemberState::Active)
            .ok_or_else(|| AppError::conflict("not_member", Some("username"), "this person is not a member"))?;
        if target.id == viewer.id {
            return Err(AppError::forbidden("target_outranks", "you cannot act on yourself"));
        }
        let role = m.role;
        ctx.allow(Action::MuteMember { target: role })?;
        Ok((ctx, target.id, m))
    }
}

/// Mutes a member (by a moderator) inside the caller's transaction and tells
/// them; `minutes` absent: until lifted. Returns the event to record.
pub(super) async fn mute_member(
    conn: &mut Conn,
    cid: i64,
    viewer: Viewer,
    target: i64,
    minutes: Option<u32>,
    reason: &str,
    now: i64,
) -> AppResult<Event> {
    let until = minutes.map_or(INDEFINITE, |m| now + i64::from(m) * crate::platform::MINUTE_MS);
    repo::set_mute(conn, cid, target, Some(until), reason).await?;
    let detail = Sanctioned {
        reason: reason.to_string(),
        until: minutes.map(|_| rfc3339(until)),
        minutes: minutes.map(i64::from),
        ..Default::default()
    };
    let json = serde_json::to_value(&detail).unwrap_or_default();
    notify(conn, target, Some(cid), NotificationKind::MemberMuted, &json, now).await?;
    Ok(Event::of_kind(Kind::MemberMuted, Some(cid), viewer.id, Subject::User(target), &detail))
}

/// Warns a member inside the caller's transaction and tells them why.
pub(super) async fn warn_member(
    conn: &mut Conn,
    cid: i64,
    viewer: Viewer,
    target: i64,
    reason: &str,
    now: i64,
) -> AppResult<Event> {
    let detail = Sanctioned { reason: reason.to_string(), ..Default::default() };
    let json = serde_json::to_value(&detail).unwrap_or_default();
    notify(conn, target, Some(cid), NotificationKind::MemberWarned, &json, now).await?;
    Ok(Event::of_kind(Kind::MemberWarned, Some(cid), viewer.id, Subject::User(target), &detail))
}
