//! Moderation use cases: screening every post and comment against the
//! community's rules (in the writer's transaction), speaking rights (mute,
//! "posts need approval", warnings), reports, the review queue, the audit log
//! and the rules themselves. Decisions come from `yaji_domain::moderation` and
//! the permission core; this module loads state and persists outcomes.
//!
//! Automated actions are written as their own activity events with no actor
//! (the automod), in the same transaction as the post or comment that caused them.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaji_domain::activity::{Event, Kind, Subject};
use yaji_domain::community;
use yaji_domain::error::invalid;
use yaji_domain::member::Role;
use yaji_domain::moderation::{
    ladder_step, ActionKind, Author, Context, Evaluation, ModerationSettings, Recent, RuleSet, Sanction,
    MAX_MUTE_MINUTES,
};
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_domain::user::Username;
use yaji_store::repo::community as crepo;
use yaji_store::repo::content as content_repo;
use yaji_store::repo::membership as mrepo;
use yaji_store::repo::moderation as repo;
use yaji_store::repo::user as users;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::communities::Ctx;
use crate::platform::notifications::notify;
use crate::views::PersonView;
use crate::{finish, now, rfc3339, App, AppError, AppResult};

pub use crate::platform::context::INDEFINITE;
const DAY_MS: i64 = 86_400_000;
const RECENT_WINDOW_MS: i64 = 3_600_000;

/// Per-node caches: compiled rule sets (keyed by the settings version stored
/// on the community, so every node notices a change on its next request) and
/// each member's recent messages for flood detection. The flood window is per
/// node: behind a load balancer a flooder is counted on each node separately.
#[derive(Default)]
pub(crate) struct ModerationState {
    rule_sets: Mutex<HashMap<i64, (i64, Arc<RuleSet>)>>,
    recent: Mutex<HashMap<(i64, i64), Vec<Recent>>>,
}

impl ModerationState {
    fn recent_of(&self, community_id: i64, user_id: i64, now: i64) -> Vec<Recent> {
        let mut map = self.recent.lock();
        let v = map.entry((community_id, user_id)).or_default();
        v.retain(|r| r.at > now - RECENT_WINDOW_MS);
        v.clone()
    }

    fn remember(&self, community_id: i64, user_id: i64, r: Recent) {
        let mut map = self.recent.lock();
        if map.len() > 100_000 {
            // Bound memory: drop members quiet for the whole window.
            map.retain(|_, v| v.iter().any(|x| x.at > r.at - RECENT_WINDOW_MS));
        }
        let v = map.entry((community_id, user_id)).or_default();
        v.push(r);
        if v.len() > 64 {
            v.remove(0);
        }
    }
}

/// One rule match as shown to people: `span` is a range of Unicode characters
/// (code points) of the text, `text` the matched part.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct HitView {
    pub rule: String,
    pub class: String,
    pub action: String,
    pub span: [usize; 2],
    pub text: String,
}

pub fn hit_views(set: &RuleSet, text: &str, e: &Evaluation) -> Vec<HitView> {
    e.hits
        .iter()
        .map(|h| {
            let r = set.rule(h.rule);
            HitView {
                rule: r.id.clone(),
                class: r.class.as_str().to_string(),
                action: r.sanction.action.as_str().to_string(),
                span: [text[..h.span.0].chars().count(), text[..h.span.1].chars().count()],
                text: text[h.span.0..h.span.1].to_string(),
            }
        })
        .collect()
}

/// What screening decided for one post or comment.
pub(crate) struct Screening {
    /// visible | held | hidden
    pub state: &'static str,
    pub sanction: Sanction,
    pub hits: Vec<HitView>,
    /// The rule the strike and notification name.
    pub rule: Option<String>,
    pub strike: bool,
    pub strike_number: i64,
}

fn state_of(a: ActionKind) -> &'static str {
    match a {
        ActionKind::Allow => "visible",
        ActionKind::Hold => "held",
        _ => "hidden",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Post(i64),
    Comment(i64),
}

impl Target {
    fn kind(self) -> &'static str {
        match self {
            Target::Post(_) => "post",
            Target::Comment(_) => "comment",
        }
    }
    fn id(self) -> i64 {
        match self {
            Target::Post(i) | Target::Comment(i) => i,
        }
    }
    fn subject(self) -> Subject {
        match self {
            Target::Post(i) => Subject::Post(i),
            Target::Comment(i) => Subject::Comment(i),
        }
    }
}

fn automod(kind: Kind, community_id: i64, subject: Subject, payload: serde_json::Value) -> Event {
    Event { kind, community_id: Some(community_id), actor_id: None, subject, payload }
}

fn excerpt(text: &str) -> String {
    let mut s: String = text.chars().take(280).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

impl App {
    /// The compiled rule set of a community, from the per-node cache.
    pub(crate) async fn rule_set(&self, conn: &mut Conn, c: &crepo::CommunityRow) -> AppResult<Arc<RuleSet>> {
        if let Some((v, set)) = self.moderation.rule_sets.lock().get(&c.id) {
            if *v == c.moderation_version {
                return Ok(set.clone());
            }
        }
        let settings = load_settings(conn, c.id).await?;
        let set = Arc::new(RuleSet::compile(&settings).unwrap_or_else(|e| {
            tracing::error!(community = c.id, error = %e, "stored moderation settings do not compile; using defaults");
            RuleSet::defaults()
        }));
        self.moderation.rule_sets.lock().insert(c.id, (c.moderation_version, set.clone()));
        Ok(set)
    }

    /// Checks a new post or comment by the viewer against the community's rules
    /// and the escalation ladder. Reads only; [`App::enforce`] writes the outcome.
    pub(crate) async fn screen(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        author: Viewer,
        text: &str,
        reply_to: Option<i64>,
        now: i64,
    ) -> AppResult<Screening> {
        let set = self.rule_set(conn, &ctx.c).await?;
        let role = ctx.role().unwrap_or(Role::Member);
        let m = ctx.membership.as_ref();
        let age_days = m.map(|m| ((now - m.joined_at).max(0) / DAY_MS) as u32);
        let recent = self.moderation.recent_of(ctx.c.id, author.id, now);
        let mut cx =
            Context { author: Author { role, age_days, posts: None }, reply_to_staff: false, now, recent: &recent };
        let mut e = set.evaluate(text, &cx);
        // A phone number or ID under a moderator's post may have been asked for.
        // Who wrote the post matters only then, so it is looked up only then.
        let contact = |e: &Evaluation| {
            e.hits.iter().any(|h| matches!(set.rule(h.rule).id.as_str(), "ad.phone" | "ad.contact_id"))
        };
        if let Some(post_author) = reply_to.filter(|a| *a != author.id && contact(&e)) {
            let staff = crepo::membership(conn, ctx.c.id, post_author).await?.is_some_and(|m| {
                m.state == "active" && Role::parse("role", &m.role).is_ok_and(|r| r >= Role::Moderator)
            });
            if staff {
                cx.reply_to_staff = true;
                e = set.evaluate(text, &cx);
            }
        }
        let nc = set.settings().newcomer;
        let new_by_age = age_days.is_some_and(|d| d < nc.days);
        if nc.enabled && nc.posts > 0 && !new_by_age && e.newcomer_sensitive && role < Role::Moderator {
            // Only now does the post count matter: count, and decide again.
            let n = repo::contributions(conn, ctx.c.id, author.id).await?;
            cx.author.posts = Some(n.min(u32::MAX as i64) as u32);
            e = set.evaluate(text, &cx);
        }
        self.moderation.remember(ctx.c.id, author.id, Recent { at: now, fingerprint: e.fingerprint });
        let hits = hit_views(&set, text, &e);
        let mut sanction = e.sanction;
        let mut rule = e
            .hits
            .iter()
            .map(|h| set.rule(h.rule))
            .max_by_key(|r| (r.sanction.action, r.sanction.mute_minutes))
            .map(|r| r.id.clone());
        let restricted = m.is_some_and(|m| m.needs_approval == 1) && role < Role::Moderator;
        if restricted && sanction.action < ActionKind::Hold {
            sanction = Sanction::new(ActionKind::Hold);
            rule = Some("member.needs_approval".into());
        }
        let strike = sanction.action.is_strike();
        let mut strike_number = 0;
        if strike {
            let s = set.settings();
            let since = now - i64::from(s.strike_decay_days) * DAY_MS;
            strike_number = repo::live_strikes(conn, ctx.c.id, author.id, since).await? + 1;
            if let Some(step) = ladder_step(&s.ladder, strike_number as u32) {
                sanction = sanction.max(step);
            }
        }
        Ok(Screening { state: state_of(sanction.action), sanction, hits, rule, strike, strike_number })
    }

    /// Writes what screening decided, in the caller's transaction: a flag for
    /// the review queue, a strike, and the sanction on the author, each with its
    /// automod event; the author is notified of warnings and mutes.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn enforce(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        author_id: i64,
        target: Target,
        text: &str,
        s: &Screening,
        now: i64,
    ) -> AppResult<()> {
        if s.state == "visible" {
            return Ok(());
        }
        let cid = ctx.c.id;
        let rules = serde_json::to_string(&s.hits).unwrap_or_else(|_| "[]".into());
        let flag = repo::NewFlag {
            community_id: cid,
            target_kind: target.kind(),
            target_id: target.id(),
            target_user_id: author_id,
            source: "rule",
            reporter_id: None,
            rules: &rules,
            reason: s.rule.as_deref().unwrap_or(""),
            excerpt: &excerpt(text),
            created_at: now,
        };
        repo::insert_flag(conn, &flag).await?;
        let rule = s.rule.clone().unwrap_or_default();
        let payload = serde_json::json!({
            "author_id": author_id, "state": s.state, "action": s.sanction.action.as_str(), "rule": rule,
            "rules": s.hits, "strike": s.strike.then_some(s.strike_number),
        });
        crate::platform::events::record_event(
            conn,
            &automod(Kind::ContentFlagged, cid, target.subject(), payload),
            now,
        )
        .await?;
        if !s.strike {
            return Ok(());
        }
        repo::add_strike(conn, cid, author_id, &rule, now).await?;
        let sanction_payload = serde_json::json!({
            "rule": rule, "strike": s.strike_number, "target_kind": target.kind(), "target_id": target.id(),
            "text": excerpt(text), "matches": s.hits,
        });
        self.sanction_member(conn, ctx, author_id, s.sanction, None, &format!("rule: {rule}"), sanction_payload, now)
            .await
    }

    /// Applies warn / mute / remove / ban to a member, with its event (actor
    /// `by`, or the automod when `None`) and, for warnings and mutes, a notification.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn sanction_member(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        user_id: i64,
        sanction: Sanction,
        by: Option<i64>,
        reason: &str,
        mut payload: serde_json::Value,
        now: i64,
    ) -> AppResult<()> {
        let cid = ctx.c.id;
        payload["reason"] = reason.into();
        let kind = match sanction.action {
            ActionKind::Allow | ActionKind::Hold | ActionKind::Hide => return Ok(()),
            ActionKind::Warn => Kind::MemberWarned,
            ActionKind::Mute => {
                let until = now + i64::from(sanction.mute_minutes) * 60_000;
                repo::set_mute(conn, cid, user_id, Some(until), reason).await?;
                payload["until"] = rfc3339(until).into();
                payload["minutes"] = sanction.mute_minutes.into();
                Kind::MemberMuted
            }
            ActionKind::Remove | ActionKind::Ban => {
                let to = if sanction.action == ActionKind::Ban { "banned" } else { "removed" };
                if mrepo::set_state(conn, cid, user_id, "active", to, reason, now).await? {
                    crepo::add_member_count(conn, cid, -1).await?;
                }
                if sanction.action == ActionKind::Ban {
                    Kind::MemberBanned
                } else {
                    Kind::MemberRemoved
                }
            }
        };
        let note = match kind {
            Kind::MemberWarned => Some(NotificationKind::MemberWarned),
            Kind::MemberMuted => Some(NotificationKind::MemberMuted),
            Kind::MemberRemoved => Some(NotificationKind::MemberRemoved),
            Kind::MemberBanned => Some(NotificationKind::MemberBanned),
            _ => None,
        };
        if let Some(note) = note {
            notify(conn, user_id, Some(cid), note, &payload, now).await?;
        }
        let ev = Event { kind, community_id: Some(cid), actor_id: by, subject: Subject::User(user_id), payload };
        crate::platform::events::record_event(conn, &ev, now).await?;
        Ok(())
    }
}

async fn load_settings(conn: &mut Conn, community_id: i64) -> AppResult<ModerationSettings> {
    Ok(match repo::settings(conn, community_id).await? {
        Some(json) => serde_json::from_str(&json).unwrap_or_else(|e| {
            tracing::error!(community = community_id, error = %e, "unreadable moderation settings; using defaults");
            ModerationSettings::default()
        }),
        None => ModerationSettings::default(),
    })
}

// ---- operator-facing use cases ----

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModerationSettingsView {
    /// The settings document (see docs/moderation.md for every field).
    #[schema(value_type = Object)]
    pub settings: ModerationSettings,
    /// Bumped on every change.
    pub version: i64,
    /// Rule ids with their class and sanction, as compiled.
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<yaji_domain::moderation::Rule>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct TestInput {
    pub text: String,
    /// Days since the author joined (absent: not a newcomer by age).
    pub author_age_days: Option<u32>,
    /// Posts and comments the author has written (absent: not counted).
    pub author_posts: Option<u32>,
    /// Live strikes the author already has (for the ladder).
    #[serde(default)]
    pub strikes: u32,
    /// A reply under a moderator's post.
    #[serde(default)]
    pub reply_to_staff: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestResult {
    /// allow | hold | hide | warn | mute | remove | ban, after the ladder.
    pub action: String,
    pub mute_minutes: Option<u32>,
    /// What would happen to the content: visible | held | hidden.
    pub state: String,
    /// The rules' own verdict before the ladder.
    pub rule_action: String,
    pub strike_number: Option<u32>,
    pub hits: Vec<HitView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Publish the content; dismiss the flags.
    Approve,
    /// Keep the content hidden; dismiss the flags.
    Reject,
    /// Reject, and warn / mute / remove / ban the author.
    Warn,
    Mute,
    Remove,
    Ban,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlagView {
    /// rule | report
    pub source: String,
    pub reporter: Option<String>,
    pub reason: String,
    pub matches: Vec<HitView>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueItem {
    /// post | comment | member
    pub target_kind: String,
    pub target_id: i64,
    pub author: PersonView,
    pub excerpt: String,
    /// visible | held | hidden (members: visible)
    pub state: String,
    /// Where to read it: the post (for comments, their post).
    pub post_id: Option<i64>,
    pub flags: Vec<FlagView>,
    /// The author's strikes, newest first (rule, time).
    pub strikes: Vec<(String, String)>,
    pub oldest_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub kind: String,
    /// Username of the moderator; absent for the automod.
    pub actor: Option<String>,
    pub subject_kind: String,
    pub subject_id: i64,
    pub at: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Post,
    Comment,
    Member,
}

fn mute_minutes(raw: Option<u32>) -> AppResult<Option<u32>> {
    match raw {
        Some(m) if !(1..=MAX_MUTE_MINUTES).contains(&m) => {
            Err(invalid("minutes", "out_of_range", "a mute lasts 1 minute to 365 days; leave empty for until lifted")
                .into())
        }
        m => Ok(m),
    }
}

impl App {
    pub async fn moderation_settings(&self, viewer: Viewer, slug: &str) -> AppResult<ModerationSettingsView> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::Moderate)?;
        let set = self.rule_set(&mut c, &ctx.c).await?;
        Ok(ModerationSettingsView {
            settings: set.settings().clone(),
            version: ctx.c.moderation_version,
            rules: set.rules().to_vec(),
        })
    }

    /// Replaces the settings. Invalid settings (a bad regex, a mute of 0
    /// minutes, a malformed domain) are refused whole with the field and why.
    pub async fn update_moderation(
        &self,
        viewer: Viewer,
        slug: &str,
        settings: ModerationSettings,
    ) -> AppResult<ModerationSettingsView> {
        let set = RuleSet::compile(&settings)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::EditModeration)?;
        let json = serde_json::to_string(&settings).map_err(|e| AppError::Internal(e.to_string()))?;
        let version = repo::save_settings(tx.conn(), ctx.c.id, &json, viewer.id, now).await?;
        let ev = Event::new(Kind::ModerationUpdated, Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id))
            .with(serde_json::json!({"version": version, "after": settings}));
        finish(tx, ev, now).await?;
        let rules = set.rules().to_vec();
        self.moderation.rule_sets.lock().insert(ctx.c.id, (version, Arc::new(set)));
        Ok(ModerationSettingsView { settings, version, rules })
    }

    /// "Test a message": what the rules would do and why, changing nothing.
    pub async fn test_message(&self, viewer: Viewer, slug: &str, input: &TestInput) -> AppResult<TestResult> {
        yaji_domain::text::body("text", &input.text)?;
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::Moderate)?;
        let set = self.rule_set(&mut c, &ctx.c).await?;
        Ok(test_with(&set, input))
    }

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
        let until = minutes.map_or(INDEFINITE, |m| now + i64::from(m) * 60_000);
        repo::set_mute(tx.conn(), ctx.c.id, target, Some(until), &reason).await?;
        let detail =
            serde_json::json!({"reason": reason, "until": minutes.map(|_| rfc3339(until)), "minutes": minutes});
        notify(tx.conn(), target, Some(ctx.c.id), NotificationKind::MemberMuted, &detail, now).await?;
        let ev = Event::new(Kind::MemberMuted, Some(ctx.c.id), viewer.id, Subject::User(target)).with(detail);
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
        let ev = Event::new(Kind::MemberUnmuted, Some(ctx.c.id), viewer.id, Subject::User(target))
            .with(serde_json::json!({"before_until": m.muted_until.map(rfc3339)}));
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
        let kind = if on { Kind::MemberRestricted } else { Kind::MemberUnrestricted };
        let ev = Event::new(kind, Some(ctx.c.id), viewer.id, Subject::User(target))
            .with(serde_json::json!({"reason": reason, "before": m.needs_approval == 1, "after": on}));
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
        let detail = serde_json::json!({"reason": reason});
        notify(tx.conn(), target, Some(ctx.c.id), NotificationKind::MemberWarned, &detail, now).await?;
        let ev = Event::new(Kind::MemberWarned, Some(ctx.c.id), viewer.id, Subject::User(target)).with(detail);
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
            .filter(|m| m.state == "active")
            .ok_or_else(|| AppError::conflict("not_member", Some("username"), "this person is not a member"))?;
        if target.id == viewer.id {
            return Err(AppError::forbidden("target_outranks", "you cannot act on yourself"));
        }
        let role = Role::parse("role", &m.role).unwrap_or(Role::Member);
        ctx.allow(Action::MuteMember { target: role })?;
        Ok((ctx, target.id, m))
    }

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
                    .filter(|m| m.state == "active")
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
            let before = repo::set_content_state(tx.conn(), target_kind, id, "hidden").await?;
            hidden = before.as_deref() == Some("visible");
        }
        let ev = Event::new(Kind::ReportFiled, Some(ctx.c.id), viewer.id, subject)
            .with(serde_json::json!({"reason": reason, "reporters": reporters, "auto_hidden": hidden}));
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
                    (cm.as_ref().map(|c| c.moderation.clone()), cm.map(|c| c.post_id))
                }
                _ => (Some("visible".to_string()), None),
            };
            items.push(QueueItem {
                target_kind: f.target_kind,
                target_id: f.target_id,
                author: PersonView {
                    id: f.target_user_id,
                    username: f.target_username,
                    display_name: f.target_display_name,
                    avatar_url: None,
                },
                excerpt: f.excerpt,
                state: state.unwrap_or_else(|| "deleted".into()),
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
                let state = if decision == Decision::Approve { "visible" } else { "hidden" };
                before = repo::set_content_state(tx.conn(), kind, *id, state).await?;
                if kind == "comment" && state == "visible" && before.as_deref() != Some("visible") {
                    if let Some(cm) = content_repo::comment(tx.conn(), *id).await? {
                        content_repo::add_comment_count(tx.conn(), cm.post_id, 1).await?;
                    }
                }
            }
            let ev_kind = if decision == Decision::Approve { Kind::ContentApproved } else { Kind::ContentRejected };
            let ev = Event::new(ev_kind, Some(ctx.c.id), viewer.id, subject).with(serde_json::json!({
                "reason": reason, "decision": resolution, "flags": n, "author_id": author,
                "before": before, "after": if decision == Decision::Approve { "visible" } else { "hidden" },
            }));
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
                let role = m.as_ref().and_then(|m| Role::parse("role", &m.role).ok()).unwrap_or(Role::Member);
                ctx.allow(Action::MuteMember { target: role })?;
                if author == viewer.id {
                    return Err(AppError::forbidden("target_outranks", "you cannot act on yourself"));
                }
                let detail = serde_json::json!({"target_kind": kind, "target_id": id});
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
                at: rfc3339(r.occurred_at),
                detail: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
            })
            .collect())
    }
}

/// What the rules would do to a message, with the ladder applied for `strikes`.
pub fn test_with(set: &RuleSet, input: &TestInput) -> TestResult {
    let cx = Context {
        author: Author { role: Role::Member, age_days: input.author_age_days, posts: input.author_posts },
        reply_to_staff: input.reply_to_staff,
        now: 0,
        recent: &[],
    };
    let e = set.evaluate(&input.text, &cx);
    let mut s = e.sanction;
    let mut strike_number = None;
    if s.action.is_strike() {
        let n = input.strikes + 1;
        strike_number = Some(n);
        if let Some(step) = ladder_step(&set.settings().ladder, n) {
            s = s.max(step);
        }
    }
    TestResult {
        action: s.action.as_str().to_string(),
        mute_minutes: (s.action == ActionKind::Mute).then_some(s.mute_minutes),
        state: state_of(s.action).to_string(),
        rule_action: e.sanction.action.as_str().to_string(),
        strike_number,
        hits: hit_views(set, &input.text, &e),
    }
}

/// One line of `yaji moderation check` input.
#[derive(Deserialize)]
struct CheckLine {
    #[serde(default)]
    id: serde_json::Value,
    text: String,
    author_age_days: Option<u32>,
    author_posts: Option<u32>,
    #[serde(default)]
    reply_to_staff: bool,
}

/// `yaji moderation check`: classifies JSON lines from `input`, writing one
/// JSON object per non-blank line (`{"line", "error"}` for unreadable ones).
/// Spans are Unicode character offsets. Returns the number of unreadable lines.
pub fn check_lines(
    set: &RuleSet,
    input: impl std::io::BufRead,
    out: &mut impl std::io::Write,
) -> std::io::Result<usize> {
    let mut scratch = yaji_domain::moderation::Scratch::default();
    let mut errors = 0;
    for (n, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let v = match serde_json::from_str::<CheckLine>(&line) {
            Ok(m) => {
                let cx = Context {
                    author: Author { role: Role::Member, age_days: m.author_age_days, posts: m.author_posts },
                    reply_to_staff: m.reply_to_staff,
                    now: 0,
                    recent: &[],
                };
                let e = set.evaluate_with(&m.text, &cx, &mut scratch);
                let rules: Vec<serde_json::Value> = hit_views(set, &m.text, &e)
                    .into_iter()
                    .map(|h| serde_json::json!({"rule": h.rule, "class": h.class, "span": h.span}))
                    .collect();
                serde_json::json!({"id": m.id, "action": e.sanction.action.as_str(), "rules": rules})
            }
            Err(err) => {
                errors += 1;
                serde_json::json!({"line": n + 1, "error": err.to_string()})
            }
        };
        writeln!(out, "{v}")?;
    }
    out.flush()?;
    Ok(errors)
}

impl App {
    /// A community's compiled rules, for operator tools with database access (the CLI).
    pub async fn community_rule_set(&self, slug: &str) -> AppResult<Arc<RuleSet>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, None).await?;
        self.rule_set(&mut c, &ctx.c).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_lines_prints_one_object_per_line() {
        let input = concat!(
            r#"{"id":"a","text":"加 微 信 abc123 兼职日结","author_age_days":30}"#,
            "\n\n",
            r#"{"id":2,"text":"周末读书会见"}"#,
            "\n",
            "not json\n",
        );
        let mut out = Vec::new();
        let errors = check_lines(&RuleSet::defaults(), input.as_bytes(), &mut out).unwrap();
        assert_eq!(errors, 1);
        let lines: Vec<serde_json::Value> =
            String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["id"], "a");
        assert_eq!(lines[0]["action"], "warn");
        assert_eq!(lines[0]["rules"][0]["class"], "ad");
        assert_eq!(lines[0]["rules"][0]["span"], serde_json::json!([0, 12]));
        assert_eq!(lines[1], serde_json::json!({"id": 2, "action": "allow", "rules": []}));
        assert_eq!(lines[2]["line"], 4);
    }
}
