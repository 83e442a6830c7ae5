//! One action on many members at once (the directory's checkboxes): tag,
//! untag, mute, unmute, warn or remove. One transaction; members the
//! moderator may not act on (their own role or above, themselves, people
//! who are no longer members) are skipped with the reason, not failed.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaji_domain::activity::{Event, Kind, MemberTagged, MemberUnmuted, MemberUntagged, Sanctioned, Subject};
use yaji_domain::community;
use yaji_domain::error::invalid;
use yaji_domain::member::MemberState;
use yaji_domain::permission::Action;
use yaji_store::repo::community as crepo;
use yaji_store::repo::moderation as repo;
use yaji_store::repo::user as users;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::communities::Ctx;
use crate::membership::{end_membership, set_tag};
use crate::platform::events::record_event;
use crate::{now, rfc3339, App, AppResult};

use super::mute_minutes;
use super::speech::{mute_member, warn_member};

/// What to do to every chosen member.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum BulkMemberAction {
    Tag {
        tag: String,
    },
    Untag {
        tag: String,
    },
    /// `minutes` absent: until lifted.
    Mute {
        minutes: Option<u32>,
    },
    Unmute,
    /// Needs a reason (the members read it).
    Warn,
    Remove,
}

/// What a bulk action did.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct BulkMembersOutcome {
    /// Usernames acted on.
    pub done: Vec<String>,
    /// Usernames left alone, each with why.
    pub skipped: Vec<SkippedMember>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedMember {
    pub username: String,
    /// `not_member`, `target_outranks`, `not_muted` or `unchanged`
    pub code: String,
}

impl App {
    pub async fn bulk_members(
        &self,
        viewer: Viewer,
        slug: &str,
        usernames: &[String],
        action: BulkMemberAction,
        reason: &str,
    ) -> AppResult<BulkMembersOutcome> {
        let trimmed: Vec<&str> = usernames.iter().map(|n| n.trim()).collect();
        let usernames = yaji_domain::batch::distinct("usernames", &trimmed, "member")?;
        let reason = community::reason(reason)?;
        let action = match action {
            BulkMemberAction::Tag { tag } => BulkMemberAction::Tag { tag: yaji_domain::automation::tag(&tag)? },
            BulkMemberAction::Untag { tag } => BulkMemberAction::Untag { tag: yaji_domain::automation::tag(&tag)? },
            BulkMemberAction::Mute { minutes } => BulkMemberAction::Mute { minutes: mute_minutes(minutes)? },
            BulkMemberAction::Warn if reason.is_empty() => {
                return Err(invalid("reason", "required", "say why you warn these members").into())
            }
            other => other,
        };
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::Moderate)?;
        let mut out = BulkMembersOutcome::default();
        for name in usernames {
            let skip = |code: &str| SkippedMember { username: name.to_string(), code: code.into() };
            let Some(user) = users::by_username(tx.conn(), name).await? else {
                out.skipped.push(skip("not_member"));
                continue;
            };
            let m = crepo::membership(tx.conn(), ctx.c.id, user.id).await?;
            let Some(m) = m.filter(|m| m.state == MemberState::Active) else {
                out.skipped.push(skip("not_member"));
                continue;
            };
            // Sanctions need a higher role than the member's; tags do not.
            let sanction = !matches!(action, BulkMemberAction::Tag { .. } | BulkMemberAction::Untag { .. });
            let outranked = match action {
                BulkMemberAction::Remove => ctx.allow(Action::RemoveMember { target: m.role }),
                _ => ctx.allow(Action::MuteMember { target: m.role }),
            };
            if sanction && (user.id == viewer.id || outranked.is_err()) {
                out.skipped.push(skip("target_outranks"));
                continue;
            }
            match apply(tx.conn(), &ctx, viewer, user.id, &m, &action, &reason, now).await? {
                Ok(ev) => {
                    record_event(tx.conn(), &ev, now).await?;
                    out.done.push(name.to_string());
                }
                Err(code) => out.skipped.push(skip(code)),
            }
        }
        tx.commit().await?;
        self.wake_workers();
        Ok(out)
    }
}

/// Applies the action to one member inside the caller's transaction: the
/// event to record, or why nothing was done.
#[allow(clippy::too_many_arguments)]
async fn apply(
    conn: &mut Conn,
    ctx: &Ctx,
    viewer: Viewer,
    target: i64,
    m: &crepo::MembershipRow,
    action: &BulkMemberAction,
    reason: &str,
    now: i64,
) -> AppResult<Result<Event, &'static str>> {
    let (cid, subject) = (ctx.c.id, Subject::User(target));
    Ok(Ok(match action {
        BulkMemberAction::Tag { tag } | BulkMemberAction::Untag { tag } => {
            let add = matches!(action, BulkMemberAction::Tag { .. });
            if !set_tag(conn, cid, target, tag, add, now).await? {
                return Ok(Err("unchanged"));
            }
            let tag = tag.clone();
            if add {
                Event::of(Some(cid), viewer.id, subject, &MemberTagged { tag, rule_id: None })
            } else {
                Event::of(Some(cid), viewer.id, subject, &MemberUntagged { tag, rule_id: None })
            }
        }
        BulkMemberAction::Mute { minutes } => mute_member(conn, cid, viewer, target, *minutes, reason, now).await?,
        BulkMemberAction::Unmute => {
            if m.muted_until.is_none_or(|u| u <= now) {
                return Ok(Err("not_muted"));
            }
            repo::set_mute(conn, cid, target, None, "").await?;
            Event::of(Some(cid), viewer.id, subject, &MemberUnmuted { before_until: m.muted_until.map(rfc3339) })
        }
        BulkMemberAction::Warn => warn_member(conn, cid, viewer, target, reason, now).await?,
        BulkMemberAction::Remove => {
            let detail = Sanctioned { reason: reason.to_string(), ..Default::default() };
            let json = serde_json::to_value(&detail).unwrap_or_default();
            if !end_membership(conn, cid, target, false, reason, &json, now).await? {
                return Ok(Err("not_member"));
            }
            Event::of_kind(Kind::MemberRemoved, Some(cid), viewer.id, subject, &detail)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_from_json() {
        let a: BulkMemberAction = serde_json::from_value(serde_json::json!({"action": "mute", "minutes": 60})).unwrap();
        assert_eq!(a, BulkMemberAction::Mute { minutes: Some(60) });
        let a: BulkMemberAction = serde_json::from_value(serde_json::json!({"action": "tag", "tag": "vip"})).unwrap();
        assert_eq!(a, BulkMemberAction::Tag { tag: "vip".into() });
        assert!(serde_json::from_value::<BulkMemberAction>(serde_json::json!({"action": "ban"})).is_err());
    }
}
