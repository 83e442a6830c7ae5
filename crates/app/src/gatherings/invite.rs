//! Invitations to a gathering, as a segment's bulk action sends them: the
//! event is checked once (this community's, not cancelled, not over, and
//! the caller may manage events), then each member who can see it and has
//! not registered yet gets a notice with a link that counts in the funnel
//! (`?via=invite`). Apart from the use cases so that segments import none
//! of them.

use yaji_domain::gatherings::{Audience, EventDef};
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_store::repo::gatherings as repo;
use yaji_store::Conn;

use super::{def_of, local_label};
use crate::platform::context::Ctx;
use crate::platform::notifications::notify;
use crate::AppResult;

/// The attribution invitation links carry.
pub const VIA: &str = "invite";

/// A gathering checked for inviting.
pub(crate) struct Invitation {
    pub event_id: i64,
    pub title: String,
    def: EventDef,
    detail: serde_json::Value,
}

/// Checks that `event_id` can be invited to by `ctx`'s viewer, with an
/// optional note from the operator (1-500 characters when given).
pub(crate) async fn invitation(
    conn: &mut Conn,
    ctx: &Ctx,
    event_id: i64,
    note: &str,
    now: i64,
) -> AppResult<Invitation> {
    ctx.allow(Action::ManageEvents)?;
    let not_found = || yaji_domain::error::invalid("event_id", "not_found", "no such gathering in this community");
    let row = repo::get(conn, event_id).await?.filter(|r| r.community_id == ctx.c.id).ok_or_else(not_found)?;
    if row.canceled || row.proposal_open || now >= row.ends_at {
        return Err(yaji_domain::error::invalid(
            "event_id",
            "closed",
            "the gathering is cancelled, over or not approved",
        )
        .into());
    }
    let note = note.trim();
    if note.chars().count() > 500 {
        return Err(yaji_domain::error::invalid("note", "invalid_length", "a note is at most 500 characters").into());
    }
    let starts = local_label(row.starts_at, ctx.tz());
    let message = if note.is_empty() { format!("{} · {starts}", row.title) } else { note.to_string() };
    let detail = serde_json::json!({
        "title": row.title, "community": ctx.c.name, "starts": starts, "message": message, "note": note,
        "link": format!("/events/{event_id}?via={VIA}"),
    });
    Ok(Invitation { event_id, title: row.title.clone(), def: def_of(&row)?, detail })
}

/// Invites one member: `false` (nothing sent) when they hold a registration
/// already or the gathering's audience leaves them out.
pub(crate) async fn invite(conn: &mut Conn, ctx: &Ctx, inv: &Invitation, user_id: i64, now: i64) -> AppResult<bool> {
    if inv.def.audience == Audience::Tagged {
        let tags = crate::membership::tags_of(conn, ctx.c.id, user_id).await?;
        if !tags.iter().any(|t| inv.def.audience_tags.contains(t)) {
            return Ok(false);
        }
    }
    let holds = repo::reg_of(conn, inv.event_id, user_id).await?;
    if holds.is_some_and(|r| !matches!(r.status.as_str(), "cancelled" | "declined")) {
        return Ok(false);
    }
    notify(conn, user_id, Some(ctx.c.id), NotificationKind::EventInvitation, &inv.detail, now).await?;
    Ok(true)
}
