//! Segments: saved groups of members (tags, level or points, role, when
//! they joined, whether they are active), previewed before saving, listed,
//! and acted on in bulk — tag, untag, award points, send a message, invite
//! to a gathering — in one
//! transaction, audited, leaving out members who turned community messages
//! off. Staff (moderators and up) only.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaji_domain::activity::{Event, MemberTagged, MemberUntagged, SegmentActed, Subject};
use yaji_domain::analytics::Tier;
use yaji_domain::error::invalid;
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_domain::segments::{self, SegmentRule};
use yaji_store::repo::segments as repo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::membership::{set_tag, tags_in_use, TagCount};
use crate::platform::context::Ctx;
use crate::platform::events::{finish, record_event};
use crate::platform::notifications::notify;
use crate::points::LevelView;
use crate::views::PersonView;
use crate::{now, rfc3339, App, AppError, AppResult};

/// Most members one bulk action reaches; narrow the segment beyond that.
pub const MAX_ACTION: i64 = 5000;
const DAY: i64 = 86_400_000;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SegmentView {
    pub id: i64,
    pub name: String,
    #[schema(value_type = Object)]
    pub rule: SegmentRule,
    /// Members in it now.
    pub members: i64,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SegmentMember {
    pub user: PersonView,
    pub role: String,
    pub joined_at: String,
    pub points: i64,
}

/// A page of a segment's members (or of a rule not saved yet).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SegmentMembers {
    /// All who match, not just this page.
    pub count: i64,
    pub members: Vec<SegmentMember>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// What to do to every member of a segment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum SegmentAction {
    Tag {
        tag: String,
    },
    Untag {
        tag: String,
    },
    /// Points by hand, with the reason members read in their history.
    Award {
        amount: i64,
        reason: String,
    },
    /// A message to each member's inbox (and email, by their choice).
    Message {
        text: String,
    },
    /// An invitation to a gathering (with an optional note), to each member
    /// who can see it and has not registered yet.
    Invite {
        event_id: i64,
        #[serde(default)]
        note: String,
    },
}

/// What a segment's conditions can name in this community.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SegmentChoices {
    pub tags: Vec<TagCount>,
    pub levels: Vec<LevelView>,
    /// The community's check-in challenges, (id, title).
    pub challenges: Vec<(i64, String)>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SegmentOutcome {
    /// Members acted on.
    pub done: i64,
    /// Members left out: they turned these notices off, the tag was already
    /// so, or (invitations) they registered already or the gathering's audience leaves them out.
    pub skipped: i64,
}

/// The storage filter for a rule, as of `now`, with the community's levels
/// and, for a tier condition, the members analytics puts in those tiers.
async fn filter(app: &App, conn: &mut Conn, ctx: &Ctx, r: &SegmentRule, now: i64) -> AppResult<repo::Filter> {
    let mut only = if r.tiers.is_empty() {
        None
    } else {
        let tiers: Vec<Tier> = r.tiers.iter().filter_map(|t| Tier::parse(t)).collect();
        Some(app.members_in_tiers(&ctx.c, &tiers).await?)
    };
    if let Some(ch) = r.challenge_id {
        let holders = crate::challenges::standing::streak_holders(conn, ctx.c.id, ch, r.streak_days).await?;
        only = Some(match only {
            Some(o) => holders.into_iter().filter(|u| o.contains(u)).collect(),
            None => holders,
        });
    }
    if let Some(n) = r.attended_events {
        let since = r.attended_within_days.map_or(0, |d| now - d * DAY);
        let came = crate::gatherings::roll::regulars(conn, ctx.c.id, n, since).await?;
        only = Some(match only {
            Some(o) => came.into_iter().filter(|u| o.contains(u)).collect(),
            None => came,
        });
    }
    let level_points = match r.min_level {
        Some(l) => {
            let s = crate::points::settings_of(conn, ctx.c.id).await?;
            let i = (l as usize).saturating_sub(1);
            Some(s.levels.get(i).map_or(i64::MAX, |lv| lv.min_points))
        }
        None => None,
    };
    Ok(repo::Filter {
        tags_any: r.tags_any.clone(),
        tags_none: r.tags_none.clone(),
        min_points: level_points.max(r.min_points),
        roles: r.roles.clone(),
        joined_after: r.joined_within_days.map(|d| now - d * DAY),
        joined_before: r.joined_before_days.map(|d| now - d * DAY),
        active_after: r.active_within_days.map(|d| now - d * DAY),
        inactive_since: r.inactive_days.map(|d| now - d * DAY),
        unless_off: None,
        only,
    })
}

/// Which of `candidates` (everyone when `None`) a saved segment holds now:
/// how other capabilities use a segment as a rule (who may join a
/// challenge, who may win a lottery). 404 for a segment of another community.
pub(crate) async fn members_of(
    app: &App,
    conn: &mut Conn,
    ctx: &Ctx,
    segment_id: i64,
    candidates: Option<&[i64]>,
) -> AppResult<Vec<i64>> {
    let row = repo::get(conn, ctx.c.id, segment_id).await?.ok_or(AppError::NotFound("segment"))?;
    let mut f = filter(app, conn, ctx, &parse_rule(&row.rule), now()).await?;
    if let Some(c) = candidates {
        f.only = Some(match f.only.take() {
            Some(o) => c.iter().copied().filter(|x| o.contains(x)).collect(),
            None => c.to_vec(),
        });
    }
    let (mut out, mut after) = (vec![], 0);
    loop {
        let rows = repo::members(conn, ctx.c.id, &f, after, 1000).await?;
        out.extend(rows.iter().map(|r| r.user_id));
        match rows.last() {
            Some(last) if rows.len() == 1000 => after = last.user_id,
            _ => break,
        }
    }
    Ok(out)
}

fn member_view(r: repo::SegmentMemberRow) -> SegmentMember {
    SegmentMember {
        user: PersonView {
            id: r.user_id,
            username: r.username,
            display_name: r.display_name,
            avatar_url: r.avatar_url,
            level: None,
        },
        role: r.role,
        joined_at: rfc3339(r.joined_at),
        points: r.balance,
    }
}

fn parse_rule(json: &str) -> SegmentRule {
    serde_json::from_str(json).unwrap_or_default()
}

async fn page(
    conn: &mut Conn,
    ctx: &Ctx,
    f: &repo::Filter,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<SegmentMembers> {
    let after = match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => c.parse::<i64>().map_err(|_| invalid("cursor", "invalid_cursor", "not a cursor from this list"))?,
        None => 0,
    };
    let count = repo::count(conn, ctx.c.id, f).await?;
    let mut rows = repo::members(conn, ctx.c.id, f, after, limit + 1).await?;
    let next_cursor = (rows.len() as i64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.user_id.to_string())
    });
    let mut members: Vec<SegmentMember> = rows.into_iter().map(member_view).collect();
    crate::points::label_levels(conn, ctx.c.id, members.iter_mut().map(|m| &mut m.user)).await?;
    Ok(SegmentMembers { count, members, next_cursor: next_cursor.flatten() })
}

fn page_size(limit: Option<u32>) -> AppResult<i64> {
    match limit.unwrap_or(50) {
        n @ 1..=200 => Ok(i64::from(n)),
        _ => Err(invalid("limit", "out_of_range", "limit must be between 1 and 200").into()),
    }
}

impl App {
    /// The tags in use and the levels, for building a segment.
    pub async fn segment_choices(&self, viewer: Viewer, slug: &str) -> AppResult<SegmentChoices> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::ManageSegments)?;
        let tags = tags_in_use(&mut c, ctx.c.id).await?;
        let levels = crate::points::levels_of(&mut c, ctx.c.id).await?;
        let challenges = crate::challenges::standing::titles(&mut c, ctx.c.id).await?;
        Ok(SegmentChoices { tags, levels, challenges })
    }

    pub async fn segments(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<SegmentView>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::ManageSegments)?;
        let now = now();
        let mut out = vec![];
        for row in repo::list(&mut c, ctx.c.id).await? {
            let rule = parse_rule(&row.rule);
            let f = filter(self, &mut c, &ctx, &rule, now).await?;
            let members = repo::count(&mut c, ctx.c.id, &f).await?;
            out.push(SegmentView { id: row.id, name: row.name, rule, members, updated_at: rfc3339(row.updated_at) });
        }
        Ok(out)
    }

    pub async fn segment(&self, viewer: Viewer, slug: &str, id: i64) -> AppResult<SegmentView> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::ManageSegments)?;
        let row = repo::get(&mut c, ctx.c.id, id).await?.ok_or(AppError::NotFound("segment"))?;
        let rule = parse_rule(&row.rule);
        let f = filter(self, &mut c, &ctx, &rule, now()).await?;
        let members = repo::count(&mut c, ctx.c.id, &f).await?;
        Ok(SegmentView { id: row.id, name: row.name, rule, members, updated_at: rfc3339(row.updated_at) })
    }

    /// Who a rule would hold, before it is saved.
    pub async fn preview_segment(
        &self,
        viewer: Viewer,
        slug: &str,
        rule: SegmentRule,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<SegmentMembers> {
        let rule = rule.validate()?;
        let limit = page_size(limit)?;
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::ManageSegments)?;
        let f = filter(self, &mut c, &ctx, &rule, now()).await?;
        page(&mut c, &ctx, &f, cursor, limit).await
    }

    pub async fn segment_members(
        &self,
        viewer: Viewer,
        slug: &str,
        id: i64,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<SegmentMembers> {
        let limit = page_size(limit)?;
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::ManageSegments)?;
        let row = repo::get(&mut c, ctx.c.id, id).await?.ok_or(AppError::NotFound("segment"))?;
        let f = filter(self, &mut c, &ctx, &parse_rule(&row.rule), now()).await?;
        page(&mut c, &ctx, &f, cursor, limit).await
    }

    /// Every member of the segment as CSV (username, name, role, joined, points), up to 50,000.
    pub async fn segment_csv(&self, viewer: Viewer, slug: &str, id: i64) -> AppResult<String> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::ManageSegments)?;
        let row = repo::get(&mut c, ctx.c.id, id).await?.ok_or(AppError::NotFound("segment"))?;
        let f = filter(self, &mut c, &ctx, &parse_rule(&row.rule), now()).await?;
        let mut out = crate::platform::csv::Csv::new();
        out.row(["username", "display_name", "role", "joined_at", "points"]);
        let mut after = 0;
        for _ in 0..50 {
            let rows = repo::members(&mut c, ctx.c.id, &f, after, 1000).await?;
            let Some(last) = rows.last() else { break };
            after = last.user_id;
            for m in rows {
                out.row([m.username, m.display_name, m.role, rfc3339(m.joined_at), m.balance.to_string()]);
            }
        }
        Ok(out.finish())
    }

    /// Saves a new segment (`id` None) or redefines one.
    pub async fn save_segment(
        &self,
        viewer: Viewer,
        slug: &str,
        id: Option<i64>,
        name: &str,
        rule: SegmentRule,
    ) -> AppResult<SegmentView> {
        let name = segments::name(name)?;
        let rule = rule.validate()?;
        let json = serde_json::to_string(&rule).map_err(|e| AppError::Internal(e.to_string()))?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManageSegments)?;
        let taken = || AppError::conflict("name_taken", Some("name"), "another segment has that name");
        let id = match id {
            None => repo::insert(tx.conn(), ctx.c.id, &name, &json, viewer.id, now).await?.ok_or_else(taken)?,
            Some(id) => {
                repo::get(tx.conn(), ctx.c.id, id).await?.ok_or(AppError::NotFound("segment"))?;
                if !repo::update(tx.conn(), id, &name, &json, now).await? {
                    return Err(taken());
                }
                id
            }
        };
        tx.commit().await?;
        self.segment(viewer, slug, id).await
    }

    pub async fn delete_segment(&self, viewer: Viewer, slug: &str, id: i64) -> AppResult<()> {
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManageSegments)?;
        repo::get(tx.conn(), ctx.c.id, id).await?.ok_or(AppError::NotFound("segment"))?;
        repo::delete(tx.conn(), id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Acts on every member of the segment in one transaction. `expected`
    /// (the count the operator previewed) guards against acting on a group
    /// that changed meanwhile: a different count is a 409.
    pub async fn act_on_segment(
        &self,
        viewer: Viewer,
        slug: &str,
        id: i64,
        action: SegmentAction,
        expected: Option<i64>,
    ) -> AppResult<SegmentOutcome> {
        let action = match action {
            SegmentAction::Tag { tag } => SegmentAction::Tag { tag: yaji_domain::automation::tag(&tag)? },
            SegmentAction::Untag { tag } => SegmentAction::Untag { tag: yaji_domain::automation::tag(&tag)? },
            SegmentAction::Award { amount, reason } => {
                SegmentAction::Award { reason: crate::points::manual_input(amount, &reason)?, amount }
            }
            SegmentAction::Message { text } => {
                let text = text.trim().to_string();
                if text.is_empty() || text.chars().count() > 1000 {
                    return Err(invalid("text", "invalid_length", "a message is 1-1000 characters").into());
                }
                SegmentAction::Message { text }
            }
            invite @ SegmentAction::Invite { .. } => invite,
        };
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManageSegments)?;
        if matches!(action, SegmentAction::Award { .. }) {
            ctx.allow(Action::AdjustPoints)?;
        }
        let row = repo::get(tx.conn(), ctx.c.id, id).await?.ok_or(AppError::NotFound("segment"))?;
        let invitation = match &action {
            SegmentAction::Invite { event_id, note } => {
                Some(crate::gatherings::invite::invitation(tx.conn(), &ctx, *event_id, note, now).await?)
            }
            _ => None,
        };
        let mut f = filter(self, tx.conn(), &ctx, &parse_rule(&row.rule), now).await?;
        let matched = repo::count(tx.conn(), ctx.c.id, &f).await?;
        if expected.is_some_and(|e| e != matched) {
            return Err(AppError::conflict(
                "segment_changed",
                Some("expected"),
                format!("the segment now holds {matched} members; preview it again"),
            ));
        }
        if matched > MAX_ACTION {
            return Err(invalid(
                "segment",
                "too_many",
                format!("at most {MAX_ACTION} members at once; narrow the segment"),
            )
            .into());
        }
        match action {
            SegmentAction::Message { .. } => f.unless_off = Some(NotificationKind::CommunityMessage.as_str().into()),
            SegmentAction::Invite { .. } => f.unless_off = Some(NotificationKind::EventInvitation.as_str().into()),
            _ => {}
        }
        let members = repo::members(tx.conn(), ctx.c.id, &f, 0, MAX_ACTION).await?;
        let mut done = 0;
        for m in &members {
            let subject = Subject::User(m.user_id);
            let ev = match &action {
                SegmentAction::Tag { tag } | SegmentAction::Untag { tag } => {
                    let add = matches!(action, SegmentAction::Tag { .. });
                    if !set_tag(tx.conn(), ctx.c.id, m.user_id, tag, add, now).await? {
                        continue;
                    }
                    let tag = tag.clone();
                    Some(if add {
                        Event::of(Some(ctx.c.id), viewer.id, subject, &MemberTagged { tag, rule_id: None })
                    } else {
                        Event::of(Some(ctx.c.id), viewer.id, subject, &MemberUntagged { tag, rule_id: None })
                    })
                }
                SegmentAction::Award { amount, reason } => {
                    Some(crate::points::adjust_in(tx.conn(), &ctx, viewer, m.user_id, *amount, reason, now).await?)
                }
                SegmentAction::Message { text } => {
                    let detail = serde_json::json!({"message": text, "community": ctx.c.name});
                    notify(tx.conn(), m.user_id, Some(ctx.c.id), NotificationKind::CommunityMessage, &detail, now)
                        .await?;
                    None
                }
                SegmentAction::Invite { .. } => {
                    let inv = invitation.as_ref().expect("checked above");
                    if !crate::gatherings::invite::invite(tx.conn(), &ctx, inv, m.user_id, now).await? {
                        continue;
                    }
                    None
                }
            };
            if let Some(ev) = ev {
                record_event(tx.conn(), &ev, now).await?;
            }
            done += 1;
        }
        let (name, detail) = match &action {
            SegmentAction::Tag { tag } => ("tag", tag.clone()),
            SegmentAction::Untag { tag } => ("untag", tag.clone()),
            SegmentAction::Award { amount, reason } => ("award", format!("{amount} · {reason}")),
            SegmentAction::Message { text } => ("message", text.chars().take(200).collect()),
            SegmentAction::Invite { event_id, .. } => {
                ("invite", format!("#{event_id} {}", invitation.as_ref().map_or("", |i| i.title.as_str())))
            }
        };
        let skipped = matched - done;
        let payload = SegmentActed {
            segment_id: row.id,
            name: row.name.clone(),
            action: name.into(),
            detail,
            count: done,
            skipped,
        };
        finish(tx, Event::of(Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id), &payload), now).await?;
        self.wake_workers();
        Ok(SegmentOutcome { done, skipped })
    }
}
