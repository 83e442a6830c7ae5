//! Membership: joining under each policy, applications, invites, leaving,
//! removal and bans, roles, the member directory.

use serde::Serialize;
use utoipa::ToSchema;
use yaji_domain::activity::{
    Event, InviteCreated, JoinApproved, JoinRejected, Kind, MemberJoined, MemberTagged, MemberUntagged, RoleChanged,
    RulesAccepted, Sanctioned, Subject,
};
use yaji_domain::community::{self, JoinPolicy};
use yaji_domain::error::invalid;
use yaji_domain::member::{self, MemberState, Role};
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_domain::user::Username;
use yaji_store::repo::{community as crepo, membership as repo, user as users};
use yaji_store::Conn;

use crate::accounts::{random_token, Viewer};
use crate::communities::Ctx;
use crate::platform::events::record_event;
use crate::platform::jobs::Job;
use crate::platform::notifications::notify;
use crate::views::{CommunityView, InviteView, JoinRequestView, MemberActions, MemberView};
use crate::{finish, now, App, AppError, AppResult};

/// What a person sends to join: acceptance of the current rules, answers for
/// approval communities, or an invite code.
#[derive(Debug, Clone, Default)]
pub struct JoinInput {
    pub accept_rules: bool,
    pub answers: Vec<String>,
    pub invite_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JoinOutcome {
    /// `joined`, or `pending` when an application awaits review.
    pub status: String,
    pub request_id: Option<i64>,
    pub community: CommunityView,
}

/// Filters of the member directory.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemberQuery<'a> {
    /// Substring of username or display name.
    pub q: Option<&'a str>,
    pub role: Option<&'a str>,
    /// active (default), left, removed, banned
    pub state: Option<&'a str>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sanction {
    Remove,
    Ban,
}

impl App {
    /// One entry point for every join policy: an invite code joins directly;
    /// otherwise open communities join, approval communities take an application,
    /// and invite-only communities refuse.
    pub async fn join(&self, viewer: Viewer, slug: &str, input: JoinInput) -> AppResult<JoinOutcome> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        let c = &ctx.c;
        // Checked after the permission decision, so a banned person hears "banned".
        let rules_check = || -> AppResult<()> {
            if c.rules_version > 0 && !input.accept_rules {
                return Err(invalid("accept_rules", "rules_not_accepted", "accept the community rules to join").into());
            }
            Ok(())
        };
        let invite_code = input.invite_code.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let invite = match invite_code {
            Some(code) => {
                ctx.allow(Action::JoinWithInvite)?;
                Some(valid_invite(tx.conn(), c.id, code).await?)
            }
            None => None,
        };
        // A member's link to an approval community leads to the application;
        // staff's links (and any link elsewhere) let the person straight in.
        let invite = invite.filter(|(_, by_staff)| *by_staff || ctx.policy.join_policy != JoinPolicy::Approval);
        let (invited_by, invite_id) = if let Some((inv, _)) = invite {
            rules_check()?;
            if !repo::use_invite(tx.conn(), inv.id, now).await? {
                return Err(AppError::conflict(
                    "invite_exhausted",
                    Some("invite_code"),
                    "this invite link has expired, been revoked or used up",
                ));
            }
            (Some(inv.created_by), Some(inv.id))
        } else if ctx.policy.join_policy == JoinPolicy::Approval {
            ctx.allow(Action::ApplyToJoin)?;
            rules_check()?;
            let questions: Vec<String> = serde_json::from_str(&c.entry_questions).unwrap_or_default();
            let answers = community::parse_answers(&questions, &input.answers)?;
            let id = match repo::insert_join_request(tx.conn(), c.id, viewer.id, &answers, c.rules_version, now).await {
                Ok(id) => id,
                Err(e) if e.is_unique_violation() => {
                    return Err(AppError::conflict(
                        "request_pending",
                        None,
                        "your application is already waiting for review",
                    ))
                }
                Err(e) => return Err(e.into()),
            };
            let cid = c.id;
            finish(tx, Event::new(Kind::JoinRequested, Some(cid), viewer.id, Subject::JoinRequest(id)), now).await?;
            let community = self.community(Some(viewer), slug).await?;
            return Ok(JoinOutcome { status: "pending".into(), request_id: Some(id), community });
        } else {
            ctx.allow(Action::Join)?;
            rules_check()?;
            (None, None)
        };
        let joining = repo::Joining {
            community_id: c.id,
            user_id: viewer.id,
            role: Role::Member.as_str(),
            rules_version: c.rules_version,
            invited_by,
            invite_id,
            now,
        };
        if !repo::upsert_active(tx.conn(), &joining).await? {
            return Err(AppError::conflict("already_member", None, "you are already a member of this community"));
        }
        crepo::add_member_count(tx.conn(), c.id, 1).await?;
        crate::platform::jobs::enqueue(
            tx.conn(),
            Job::Welcome { community_id: c.id, user_id: viewer.id, joined_at: now },
            now,
        )
        .await?;
        let joined = MemberJoined { invited_by, invite_id, rules_version: c.rules_version };
        let ev = Event::of(Some(c.id), viewer.id, Subject::User(viewer.id), &joined);
        finish(tx, ev, now).await?;
        self.wake_workers();
        let community = self.community(Some(viewer), slug).await?;
        Ok(JoinOutcome { status: "joined".into(), request_id: None, community })
    }

    /// Accepts the current rules version (after the rules changed).
    pub async fn accept_rules(&self, viewer: Viewer, slug: &str, version: i64) -> AppResult<()> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        if ctx.role().is_none() {
            return Err(AppError::forbidden("members_only", "only members accept the rules of a community"));
        }
        if version != ctx.c.rules_version {
            return Err(AppError::conflict(
                "rules_changed",
                Some("version"),
                format!("the current rules are version {}", ctx.c.rules_version),
            ));
        }
        repo::accept_rules(tx.conn(), ctx.c.id, viewer.id, version).await?;
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id), &RulesAccepted { version });
        finish(tx, ev, now).await
    }

    pub async fn join_requests(&self, viewer: Viewer, slug: &str, status: &str) -> AppResult<Vec<JoinRequestView>> {
        let status = match status.trim() {
            "" | "pending" => "pending",
            "approved" => "approved",
            "rejected" => "rejected",
            _ => return Err(invalid("status", "invalid_choice", "status must be pending, approved or rejected").into()),
        };
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::ReviewJoinRequests)?;
        let questions: Vec<String> = serde_json::from_str(&ctx.c.entry_questions).unwrap_or_default();
        let rows = repo::join_requests(&mut c, ctx.c.id, status, 200).await?;
        Ok(rows.into_iter().map(|r| JoinRequestView::from_row(r, &questions)).collect())
    }

    /// The applicant's own applications, so they see the outcome and reason.
    pub async fn my_join_requests(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<JoinRequestView>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        let questions: Vec<String> = serde_json::from_str(&ctx.c.entry_questions).unwrap_or_default();
        let rows = repo::my_join_requests(&mut c, ctx.c.id, viewer.id).await?;
        Ok(rows.into_iter().map(|r| JoinRequestView::from_row(r, &questions)).collect())
    }

    pub async fn decide_join_request(
        &self,
        viewer: Viewer,
        request_id: i64,
        approve: bool,
        reason: &str,
    ) -> AppResult<JoinRequestView> {
        let reason = community::reason(reason)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let req = repo::join_request(tx.conn(), request_id).await?.ok_or(AppError::NotFound("join request"))?;
        let ctx = Ctx::load_id(tx.conn(), req.community_id, Some(viewer)).await?;
        ctx.allow(Action::ReviewJoinRequests)?;
        let ev = decide_one(tx.conn(), &ctx, viewer, &req, approve, &reason, now).await?;
        finish(tx, ev, now).await?;
        self.wake_workers();
        let mut c = self.db.read().await?;
        let row = repo::join_request(&mut c, request_id).await?.ok_or(AppError::NotFound("join request"))?;
        let questions: Vec<String> = serde_json::from_str(&ctx.c.entry_questions).unwrap_or_default();
        Ok(JoinRequestView::from_row(row, &questions))
    }

    /// Approves or rejects several applications to one community in one
    /// transaction. Requests already decided, of another community or of a
    /// banned applicant are skipped with the reason, not failed: two staff
    /// members working the same queue must not undo each other's batch.
    pub async fn decide_join_requests(
        &self,
        viewer: Viewer,
        slug: &str,
        ids: &[i64],
        approve: bool,
        reason: &str,
    ) -> AppResult<BulkDecision> {
        let ids = yaji_domain::batch::distinct("ids", ids, "request")?;
        let reason = community::reason(reason)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ReviewJoinRequests)?;
        let mut out = BulkDecision::default();
        for id in ids {
            let req = match repo::join_request(tx.conn(), id).await? {
                Some(r) if r.community_id == ctx.c.id => r,
                _ => {
                    out.skipped.push(Skipped { id, code: "not_found".into(), message: "no such request here".into() });
                    continue;
                }
            };
            match decide_one(tx.conn(), &ctx, viewer, &req, approve, &reason, now).await {
                Ok(ev) => {
                    record_event(tx.conn(), &ev, now).await?;
                    out.decided.push(id);
                }
                Err(AppError::Conflict { code, message, .. }) => {
                    out.skipped.push(Skipped { id, code: code.into(), message })
                }
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        self.wake_workers();
        Ok(out)
    }

    /// Creates an invite link. `max_uses` and `expires_in_hours` are optional limits.
    pub async fn create_invite(
        &self,
        viewer: Viewer,
        slug: &str,
        max_uses: Option<i64>,
        expires_in_hours: Option<i64>,
    ) -> AppResult<InviteView> {
        if let Some(n) = max_uses {
            if !(1..=100_000).contains(&n) {
                return Err(invalid("max_uses", "out_of_range", "max_uses must be between 1 and 100000").into());
            }
        }
        if let Some(h) = expires_in_hours {
            if !(1..=24 * 365).contains(&h) {
                return Err(
                    invalid("expires_in_hours", "out_of_range", "expires_in_hours must be between 1 and 8760").into()
                );
            }
        }
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::CreateInvite)?;
        let code = random_token(12);
        let expires_at = expires_in_hours.map(|h| now + h * crate::platform::HOUR_MS);
        let id = repo::insert_invite(tx.conn(), ctx.c.id, &code, viewer.id, max_uses, expires_at, now).await?;
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::Invite(id), &InviteCreated { max_uses, expires_at });
        finish(tx, ev, now).await?;
        let mut c = self.db.read().await?;
        Ok(repo::invite_by_code(&mut c, &code).await?.ok_or(AppError::NotFound("invite"))?.into())
    }

    /// Invites the viewer made (admins see everyone's).
    pub async fn invites(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<InviteView>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::CreateInvite).or_else(|e| if ctx.can(Action::EditSettings) { Ok(()) } else { Err(e) })?;
        let by = if ctx.can(Action::EditSettings) { None } else { Some(viewer.id) };
        Ok(repo::invites_by(&mut c, ctx.c.id, by).await?.into_iter().map(Into::into).collect())
    }

    /// Resolves an invite code to its community (for the invite landing page).
    /// A link whose maker is no longer an active member shows as revoked; one
    /// that leads to an application says so (`applies`).
    pub async fn invite_target(&self, viewer: Option<Viewer>, code: &str) -> AppResult<(InviteView, CommunityView)> {
        let (view, slug) = {
            let mut c = self.db.read().await?;
            let code = Some(code.trim())
                .filter(|c| yaji_domain::text::is_token_shaped(c))
                .ok_or(AppError::NotFound("invite"))?;
            let inv = repo::invite_by_code(&mut c, code).await?.ok_or(AppError::NotFound("invite"))?;
            let com = crepo::by_id(&mut c, inv.community_id).await?.ok_or(AppError::NotFound("community"))?;
            let maker = inviter(&mut c, &inv).await?;
            let approval = com.join_policy == JoinPolicy::Approval.as_str();
            let mut view = InviteView::from(inv);
            view.revoked |= maker.is_none();
            view.applies = approval && maker.is_some_and(|staff| !staff);
            (view, com.slug)
        };
        Ok((view, self.community(viewer, &slug).await?))
    }

    pub async fn leave(&self, viewer: Viewer, slug: &str) -> AppResult<()> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::Leave)?;
        if !repo::set_state(tx.conn(), ctx.c.id, viewer.id, "active", "left", "", now).await? {
            return Err(AppError::conflict("not_member", None, "you are not a member"));
        }
        crepo::add_member_count(tx.conn(), ctx.c.id, -1).await?;
        repo::revoke_invites_of(tx.conn(), ctx.c.id, viewer.id, now).await?;
        finish(tx, Event::new(Kind::MemberLeft, Some(ctx.c.id), viewer.id, Subject::User(viewer.id)), now).await
    }

    /// Removes (kicks) or bans a member, by moderators and above, never against
    /// their own role or a higher one. A ban also works on non-members.
    pub async fn sanction(
        &self,
        viewer: Viewer,
        slug: &str,
        username: &str,
        sanction: Sanction,
        reason: &str,
    ) -> AppResult<()> {
        let reason = community::reason(reason)?;
        let username = Username::parse(username)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        let target = users::by_username(tx.conn(), username.as_str()).await?.ok_or(AppError::NotFound("user"))?;
        let m = crepo::membership(tx.conn(), ctx.c.id, target.id).await?;
        let active_role = m.as_ref().filter(|m| m.state == MemberState::Active).map(|m| m.role);
        let (kind, action) = match sanction {
            Sanction::Remove => {
                (Kind::MemberRemoved, Action::RemoveMember { target: active_role.unwrap_or(Role::Member) })
            }
            Sanction::Ban => (Kind::MemberBanned, Action::BanMember { target: active_role.unwrap_or(Role::Member) }),
        };
        ctx.allow(action)?;
        if target.id == viewer.id {
            return Err(AppError::forbidden("target_outranks", "you cannot act on yourself"));
        }
        match (sanction, &m) {
            (Sanction::Remove, _) if active_role.is_none() => {
                return Err(AppError::conflict("not_member", Some("username"), "this person is not a member"))
            }
            (Sanction::Ban, Some(m)) if m.state == MemberState::Banned => {
                return Err(AppError::conflict("already_banned", Some("username"), "this person is already banned"))
            }
            _ => {}
        }
        let detail = Sanctioned { reason: reason.to_string(), ..Default::default() };
        let json = serde_json::to_value(&detail).unwrap_or_default();
        end_membership(tx.conn(), ctx.c.id, target.id, sanction == Sanction::Ban, &reason, &json, now).await?;
        let ev = Event::of_kind(kind, Some(ctx.c.id), viewer.id, Subject::User(target.id), &detail);
        finish(tx, ev, now).await
    }

    pub async fn unban(&self, viewer: Viewer, slug: &str, username: &str) -> AppResult<()> {
        let username = Username::parse(username)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::UnbanMember)?;
        let target = users::by_username(tx.conn(), username.as_str()).await?.ok_or(AppError::NotFound("user"))?;
        if !repo::set_state(tx.conn(), ctx.c.id, target.id, "banned", "left", "", now).await? {
            return Err(AppError::conflict("not_banned", Some("username"), "this person is not banned"));
        }
        finish(tx, Event::new(Kind::MemberUnbanned, Some(ctx.c.id), viewer.id, Subject::User(target.id)), now).await
    }

    pub async fn change_role(&self, viewer: Viewer, slug: &str, username: &str, role: &str) -> AppResult<()> {
        let to = Role::parse("role", role)?;
        let username = Username::parse(username)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        let target = users::by_username(tx.conn(), username.as_str()).await?.ok_or(AppError::NotFound("user"))?;
        let m = crepo::membership(tx.conn(), ctx.c.id, target.id).await?.filter(|m| m.state == MemberState::Active);
        let Some(m) = m else {
            return Err(AppError::conflict("not_member", Some("username"), "this person is not a member"));
        };
        let from = m.role;
        ctx.allow(Action::ChangeRole { target: from, to })?;
        if from == to {
            return Ok(());
        }
        repo::set_role(tx.conn(), ctx.c.id, target.id, to.as_str()).await?;
        let change = RoleChanged { from: from.as_str().into(), to: to.as_str().into() };
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::User(target.id), &change);
        finish(tx, ev, now).await
    }

    /// The member directory. Banned people are listed only for moderators (state=banned).
    pub async fn members(
        &self,
        viewer: Option<Viewer>,
        slug: &str,
        query: &MemberQuery<'_>,
    ) -> AppResult<Vec<MemberView>> {
        let MemberQuery { q, role, state, limit, offset } = *query;
        let role = member::role_filter(role)?;
        let state = match state.map(str::trim) {
            None | Some("") | Some("active") => MemberState::Active,
            Some(s) => MemberState::parse("state", s)?,
        };
        if !(1..=200).contains(&limit) || offset < 0 {
            return Err(invalid("limit", "out_of_range", "limit must be between 1 and 200").into());
        }
        let q = q.map(str::trim).filter(|s| !s.is_empty());
        if let Some(q) = q {
            yaji_domain::text::required_line("q", q, 100)?;
        }
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, viewer).await?;
        ctx.allow(Action::ReadContent)?;
        if state != MemberState::Active {
            ctx.allow(Action::SetEssence)?;
        }
        let rows = repo::members(&mut c, ctx.c.id, state.as_str(), role.map(Role::as_str), q, limit, offset).await?;
        let me = viewer.map(|v| v.id);
        let mut members: Vec<MemberView> = rows
            .into_iter()
            .map(|row| {
                let target = Role::parse("role", &row.role).unwrap_or(Role::Member);
                let (active, banned, own) = (row.state == "active", row.state == "banned", me == Some(row.user_id));
                let mut m = MemberView::from(row);
                m.actions = MemberActions {
                    remove: active && !own && ctx.can(Action::RemoveMember { target }),
                    ban: active && !own && ctx.can(Action::BanMember { target }),
                    unban: banned && ctx.can(Action::UnbanMember),
                    mute: active && !own && ctx.can(Action::MuteMember { target }),
                    assign_roles: [Role::Admin, Role::Moderator, Role::Member]
                        .into_iter()
                        .filter(|to| active && !own && ctx.can(Action::ChangeRole { target, to: *to }))
                        .map(|r| r.as_str().to_string())
                        .collect(),
                };
                m
            })
            .collect();
        crate::points::label_levels(&mut c, ctx.c.id, members.iter_mut().map(|m| &mut m.user)).await?;
        Ok(members)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagCount {
    pub tag: String,
    pub members: i64,
}

/// The tags a member carries in a community.
pub(crate) async fn tags_of(conn: &mut Conn, community_id: i64, user_id: i64) -> AppResult<Vec<String>> {
    Ok(repo::tags_of(conn, community_id, user_id).await?)
}

/// Tags in use in a community and how many members carry each.
pub(crate) async fn tags_in_use(conn: &mut Conn, community_id: i64) -> AppResult<Vec<TagCount>> {
    Ok(repo::tag_counts(conn, community_id)
        .await?
        .into_iter()
        .map(|(tag, members)| TagCount { tag, members })
        .collect())
}

impl App {
    /// Tags in use and how many members carry each.
    pub async fn member_tags(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<TagCount>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::Moderate)?;
        tags_in_use(&mut c, ctx.c.id).await
    }

    /// Adds or removes a tag on a member; returns the member's tags.
    pub async fn tag_member(
        &self,
        viewer: Viewer,
        slug: &str,
        username: &str,
        tag: &str,
        add: bool,
    ) -> AppResult<Vec<String>> {
        let tag = yaji_domain::automation::tag(tag)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ScheduleContent)?;
        let uid = yaji_store::repo::user::by_username(tx.conn(), username.trim())
            .await?
            .map(|u| u.id)
            .ok_or(AppError::NotFound("member"))?;
        if crepo::membership(tx.conn(), ctx.c.id, uid).await?.is_none_or(|m| m.state != MemberState::Active) {
            return Err(AppError::NotFound("member"));
        }
        let changed = set_tag(tx.conn(), ctx.c.id, uid, &tag, add, now).await?;
        let tags = repo::tags_of(tx.conn(), ctx.c.id, uid).await?;
        if !changed {
            return Ok(tags);
        }
        let subject = Subject::User(uid);
        let ev = if add {
            Event::of(Some(ctx.c.id), viewer.id, subject, &MemberTagged { tag, rule_id: None })
        } else {
            Event::of(Some(ctx.c.id), viewer.id, subject, &MemberUntagged { tag, rule_id: None })
        };
        finish(tx, ev, now).await?;
        Ok(tags)
    }
}

/// Removes or bans someone — by a moderator or by the automod, one path —
/// and tells them. A ban also covers people who are not (or no longer)
/// members. The member count drops when an active membership ends. Returns
/// whether anything changed.
pub(crate) async fn end_membership(
    conn: &mut Conn,
    community_id: i64,
    user_id: i64,
    ban: bool,
    reason: &str,
    detail: &serde_json::Value,
    now: i64,
) -> AppResult<bool> {
    let m = crepo::membership(conn, community_id, user_id).await?;
    let active = m.as_ref().is_some_and(|m| m.state == MemberState::Active);
    let to = if ban { "banned" } else { "removed" };
    let changed = match &m {
        None if ban => {
            repo::insert_banned(conn, community_id, user_id, reason, now).await?;
            true
        }
        Some(m) if m.state.as_str() != to && (ban || active) => {
            repo::set_state(conn, community_id, user_id, m.state.as_str(), to, reason, now).await?
        }
        _ => false,
    };
    if changed && active {
        crepo::add_member_count(conn, community_id, -1).await?;
    }
    if changed {
        // Their invite links stop bringing people in.
        repo::revoke_invites_of(conn, community_id, user_id, now).await?;
        let note = if ban { NotificationKind::MemberBanned } else { NotificationKind::MemberRemoved };
        notify(conn, user_id, Some(community_id), note, detail, now).await?;
    }
    Ok(changed)
}

/// A member as other capabilities see them (automation conditions, checklist
/// progress): role, tags, last activity.
pub(crate) use yaji_store::repo::membership::ActiveMemberRow as ActiveMember;

/// Active members of a community (or just `only`), with tags and last activity.
pub(crate) async fn active_members(
    conn: &mut Conn,
    community_id: i64,
    only: Option<i64>,
) -> AppResult<Vec<ActiveMember>> {
    Ok(repo::active_members(conn, community_id, only).await?)
}

/// Moderators and above of a community (who get staff notifications).
pub(crate) async fn staff(conn: &mut Conn, community_id: i64) -> AppResult<Vec<i64>> {
    Ok(repo::staff(conn, community_id).await?)
}

/// Tags (`on`) or untags a member; `false` when nothing changed.
pub(crate) async fn set_tag(
    conn: &mut Conn,
    community_id: i64,
    user_id: i64,
    tag: &str,
    on: bool,
    now: i64,
) -> AppResult<bool> {
    Ok(if on {
        repo::add_tag(conn, community_id, user_id, tag, now).await?
    } else {
        repo::remove_tag(conn, community_id, user_id, tag).await?
    })
}

/// Whether an invite's maker is still an active member, and if so whether
/// they are staff (moderator or above): `None` when their links are dead.
async fn inviter(conn: &mut Conn, inv: &repo::InviteRow) -> AppResult<Option<bool>> {
    let m = crepo::membership(conn, inv.community_id, inv.created_by).await?;
    Ok(m.filter(|m| m.state == MemberState::Active).map(|m| m.role >= Role::Moderator))
}

/// An invite of this community by code, whose maker is still an active
/// member, with whether the maker is staff.
async fn valid_invite(conn: &mut Conn, community_id: i64, code: &str) -> AppResult<(repo::InviteRow, bool)> {
    let inv = match yaji_domain::text::is_token_shaped(code) {
        true => repo::invite_by_code(conn, code).await?.filter(|i| i.community_id == community_id),
        false => None,
    };
    let Some(inv) = inv else {
        return Err(invalid("invite_code", "invalid_invite", "this invite link does not exist").into());
    };
    match inviter(conn, &inv).await? {
        Some(staff) => Ok((inv, staff)),
        None => Err(AppError::conflict(
            "invite_exhausted",
            Some("invite_code"),
            "this invite link has expired, been revoked or used up",
        )),
    }
}

/// A person's active memberships (their profile lists those a reader may see).
pub(crate) async fn active_memberships_of(conn: &mut Conn, user_id: i64) -> AppResult<Vec<crepo::MembershipRow>> {
    let all = crepo::memberships_of(conn, user_id).await?;
    Ok(all.into_iter().filter(|m| m.state == MemberState::Active).collect())
}

/// What a batch decision did.
#[derive(Serialize, ToSchema, Default, Debug)]
pub struct BulkDecision {
    /// Requests approved or rejected, in the order given.
    pub decided: Vec<i64>,
    /// Requests left alone, each with why.
    pub skipped: Vec<Skipped>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct Skipped {
    pub id: i64,
    /// `not_found`, `already_decided` or `applicant_banned`
    pub code: String,
    pub message: String,
}

/// Decides one application inside the caller's transaction: the state
/// change, membership, welcome job and notice. Returns the event to record.
async fn decide_one(
    conn: &mut Conn,
    ctx: &Ctx,
    viewer: Viewer,
    req: &repo::JoinRequestRow,
    approve: bool,
    reason: &str,
    now: i64,
) -> AppResult<Event> {
    let status = if approve { "approved" } else { "rejected" };
    if approve {
        let applicant = crepo::membership(conn, ctx.c.id, req.user_id).await?;
        if applicant.as_ref().is_some_and(|m| m.state == MemberState::Banned) {
            return Err(AppError::conflict("applicant_banned", None, "the applicant is banned from this community"));
        }
    }
    if !repo::decide_join_request(conn, req.id, status, reason, viewer.id, now).await? {
        return Err(AppError::conflict("already_decided", None, format!("this request was already {}", req.status)));
    }
    if approve {
        let joining = repo::Joining {
            community_id: ctx.c.id,
            user_id: req.user_id,
            role: Role::Member.as_str(),
            rules_version: req.rules_version,
            invited_by: None,
            invite_id: None,
            now,
        };
        if repo::upsert_active(conn, &joining).await? {
            crepo::add_member_count(conn, ctx.c.id, 1).await?;
            let welcome = Job::Welcome { community_id: ctx.c.id, user_id: req.user_id, joined_at: now };
            crate::platform::jobs::enqueue(conn, welcome, now).await?;
        }
    }
    let detail = serde_json::json!({"reason": reason, "community": ctx.c.name});
    let note = if approve { NotificationKind::JoinApproved } else { NotificationKind::JoinRejected };
    notify(conn, req.user_id, Some(ctx.c.id), note, &detail, now).await?;
    let (subject, user_id, reason) = (Subject::JoinRequest(req.id), req.user_id, reason.to_string());
    Ok(if approve {
        Event::of(Some(ctx.c.id), viewer.id, subject, &JoinApproved { user_id, reason })
    } else {
        Event::of(Some(ctx.c.id), viewer.id, subject, &JoinRejected { user_id, reason })
    })
}
