//! Reports from members, the review queue with its decisions, and the
//! audit log.

use crate::platform::limits;
use std::collections::HashMap;
use yaji_store::repo::limits::Counted;

use yaji_domain::activity::{Event, Kind, QueueDecision, ReportFiled, Sanctioned, Subject};
use yaji_domain::community;
use yaji_domain::content::ContentState;
use yaji_domain::error::invalid;
use yaji_domain::member::{MemberState, Role};
use yaji_domain::moderation::{ActionKind, Sanction};
use yaji_domain::permission::Action;
use yaji_store::repo::community as crepo;
use yaji_store::repo::content as content_repo;
use yaji_store::repo::moderation as repo;

use crate::accounts::Viewer;
use crate::communities::Ctx;
use crate::views::PersonView;
use crate::{finish, now, rfc3339, App, AppError, AppResult};

use super::*;

impl App {
    /// A member reports a post, comment or member. Reports from
    /// `report_threshold` different members hide the content until reviewed.
    pub async fn report(&self, viewer: Viewer, slug: &str, kind: ReportKind, id: i64, reason: &str) -> AppResult<bool> {
        let reason = community::reason(reason)?;
        if reason.is_empty() {
            return Err(invalid("reason", "required", "say what is wrong").into());
        }
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::Report)?;
        // Muted members may still report (abuse aimed at them included), within
        // the same hourly limit as everyone.
        limits::check(tx.conn(), &self.cfg.limits, Counted::Reports, viewer.id, now).await?;
        let (target_kind, author, text, subject) = match kind {
            ReportKind::Post => {
                let p = content_repo::post(tx.conn(), id)
                    .await?
                    .filter(|p| p.community_id == ctx.c.id && p.deleted_at.is_none())
                    .ok_or(AppError::NotFound("post"))?;
                (
                    "post",
                    p.author_id,
                    format!("{}{}", p.title.map(|t| t + "\n").unwrap_or_default(), p.body),
                    Subject::Post(id),
                )
            }
            ReportKind::Comment => {
                let c = content_repo::comment(tx.conn(), id)
                    .await?
                    .filter(|c| c.community_id == ctx.c.id && c.deleted_at.is_none())
                    .ok_or(AppError::NotFound("comment"))?;
                ("comment", c.author_id, c.body, Subject::Comment(id))
            }
            ReportKind::Member => {
                let m = crepo::membership(tx.conn(), ctx.c.id, id)
                    .await?
                    .filter(|m| m.state == MemberState::Active)
                    .ok_or(AppError::NotFound("member"))?;
                ("member", m.user_id, String::new(), Subject::User(id))
            }
        };
        if author == viewer.id {
            return Err(invalid("id", "own_content", "you cannot report yourself").into());
        }
        let flag = repo::NewFlag {
            community_id: ctx.c.id,
            target_kind,
            target_id: id,
            target_user_id: author,
            source: "report",
            reporter_id: Some(viewer.id),
            rules: "[]",
            reason: &reason,
            excerpt: &excerpt(&text),
            created_at: now,
        };
        if repo::insert_flag(tx.conn(), &flag).await?.is_none() {
            return Err(AppError::conflict("already_reported", None, "you already reported this"));
        }
        let set = self.rule_set(tx.conn(), &ctx.c).await?;
        let reporters = repo::open_reporters(tx.conn(), target_kind, id).await?;
        let mut hidden = false;
        if target_kind != "member" && reporters >= i64::from(set.settings().report_threshold) {
            let before = repo::set_content_state(tx.conn(), target_kind, id, ContentState::Hidden).await?;
            hidden = before == Some(ContentState::Visible);
        }
        let filed = ReportFiled { reason, reporters, auto_hidden: hidden };
        let ev = Event::of(Some(ctx.c.id), viewer.id, subject, &filed);
        finish(tx, ev, now).await?;
        Ok(hidden)
    }

    /// The review queue: everything flagged and not yet resolved, grouped by
    /// target, oldest first, with the author's strike history.
    pub async fn review_queue(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<QueueItem>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::Moderate)?;
        let flags = repo::queue(&mut c, ctx.c.id, 500).await?;
        let mut items: Vec<QueueItem> = vec![];
        let mut strikes: HashMap<i64, Vec<(String, String)>> = HashMap::new();
        for f in flags {
            let view = FlagView {
                source: f.source.clone(),
                reporter: f.reporter_username.clone(),
                reason: f.reason.clone(),
                matches: serde_json::from_str(&f.rules).unwrap_or_default(),
                created_at: rfc3339(f.created_at),
            };
            if let Some(item) = items.iter_mut().find(|i| i.target_kind == f.target_kind && i.target_id == f.target_id)
            {
                item.flags.push(view);
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = strikes.entry(f.target_user_id) {
                let s = repo::strikes_of(&mut c, ctx.c.id, f.target_user_id, 10).await?;
                e.insert(s.into_iter().map(|s| (s.rule, rfc3339(s.at))).collect());
            }
            let (state, post_id) = match f.target_kind.as_str() {
                "post" => (content_repo::post(&mut c, f.target_id).await?.map(|p| p.moderation), Some(f.target_id)),
                "comment" => {
                    let cm = content_repo::comment(&mut c, f.target_id).await?;
                    (cm.as_ref().map(|c| c.moderation), cm.map(|c| c.post_id))
                }
                _ => (Some(ContentState::Visible), None),
            };
            items.push(QueueItem {
                target_kind: f.target_kind,
                target_id: f.target_id,
                author: PersonView {
                    id: f.target_user_id,
                    username: f.target_username,
                    display_name: f.target_display_name,
                    avatar_url: None,
                    level: None,
                },
                excerpt: f.excerpt,
                state: state.map_or("deleted", ContentState::as_str).to_string(),
                post_id,
                flags: vec![view],
                strikes: strikes[&f.target_user_id].clone(),
                oldest_at: rfc3339(f.created_at),
            });
        }
        Ok(items)
    }

    /// Resolves queue items in one transaction: approve, reject, or reject and
    /// act on the author. Returns how many items were resolved.
    #[allow(clippy::too_many_arguments)]
    pub async fn resolve(
        &self,
        viewer: Viewer,
        slug: &str,
        targets: &[(String, i64)],
        decision: Decision,
        reason: &str,
        minutes: Option<u32>,
    ) -> AppResult<usize> {
        let reason = community::reason(reason)?;
        let minutes = mute_minutes(minutes)?;
        if targets.is_empty() || targets.len() > 200 {
            return Err(invalid("targets", "out_of_range", "choose 1-200 items").into());
        }
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::Moderate)?;
        let mut done = 0;
        for (kind, id) in targets {
            let kind = match kind.as_str() {
                "post" => "post",
                "comment" => "comment",
                "member" => "member",
                _ => return Err(invalid("targets", "invalid_choice", "kind must be post, comment or member").into()),
            };
            let resolution = match decision {
                Decision::Approve => "approved",
                Decision::Reject => "rejected",
                Decision::Warn => "warned",
                Decision::Mute => "muted",
                Decision::Remove => "removed",
                Decision::Ban => "banned",
            };
            let (n, author) = repo::resolve_target(tx.conn(), ctx.c.id, kind, *id, viewer.id, resolution, now).await?;
            let Some(author) = author.filter(|_| n > 0) else {
                return Err(AppError::NotFound("queue item"));
            };
            let subject = match kind {
                "post" => Subject::Post(*id),
                "comment" => Subject::Comment(*id),
                _ => Subject::User(*id),
            };
            let mut before = None;
            if kind != "member" {
                let state = if decision == Decision::Approve { ContentState::Visible } else { ContentState::Hidden };
                before = repo::set_content_state(tx.conn(), kind, *id, state).await?;
                if kind == "comment" && state == ContentState::Visible && before != Some(ContentState::Visible) {
                    if let Some(cm) = content_repo::comment(tx.conn(), *id).await? {
                        content_repo::add_comment_count(tx.conn(), cm.post_id, 1).await?;
                    }
                }
            }
            let (why, decision_name, flags) = (reason.clone(), resolution.to_string(), n as i64);
            let (author_id, before) = (Some(author), before.map(|b| b.as_str().to_string()));
            let (event_kind, after) = if decision == Decision::Approve {
                (Kind::ContentApproved, ContentState::Visible)
            } else {
                (Kind::ContentRejected, ContentState::Hidden)
            };
            let after = after.as_str().into();
            let p = QueueDecision { reason: why, decision: decision_name, flags, author_id, before, after };
            let ev = Event::of_kind(event_kind, Some(ctx.c.id), viewer.id, subject, &p);
            crate::platform::events::record_event(tx.conn(), &ev, now).await?;
            let sanction = match decision {
                Decision::Approve | Decision::Reject => None,
                Decision::Warn => Some(Sanction::new(ActionKind::Warn)),
                Decision::Mute => Some(Sanction::mute(minutes.unwrap_or(60))),
                Decision::Remove => Some(Sanction::new(ActionKind::Remove)),
                Decision::Ban => Some(Sanction::new(ActionKind::Ban)),
            };
            if let Some(s) = sanction {
                let m = crepo::membership(tx.conn(), ctx.c.id, author).await?;
                let role = m.as_ref().map(|m| m.role).unwrap_or(Role::Member);
                ctx.allow(Action::MuteMember { target: role })?;
                if author == viewer.id {
                    return Err(AppError::forbidden("target_outranks", "you cannot act on yourself"));
                }
                let detail =
                    Sanctioned { target_kind: Some(kind.to_string()), target_id: Some(*id), ..Default::default() };
                self.sanction_member(tx.conn(), &ctx, author, s, Some(viewer.id), &reason, detail, now).await?;
            }
            done += 1;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// The moderation audit log, newest first.
    pub async fn audit_log(
        &self,
        viewer: Viewer,
        slug: &str,
        before: Option<i64>,
        limit: u32,
    ) -> AppResult<Vec<AuditEntry>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::Moderate)?;
        let kinds: Vec<&str> = Kind::MODERATION.iter().map(|k| k.as_str()).collect();
        let rows = repo::audit(&mut c, ctx.c.id, &kinds, before.unwrap_or(i64::MAX), i64::from(limit.clamp(1, 10_000)))
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                kind: r.kind,
                actor: r.actor_username,
                subject_kind: r.subject_kind,
                subject_id: r.subject_id,
                target_name: r.target_name,
                target_username: r.target_username,
                target_post_id: r.target_post_id,
                at: rfc3339(r.occurred_at),
                detail: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
            })
            .collect())
    }
}
