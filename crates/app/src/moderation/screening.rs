//! Screening: every post and comment is checked against the community's
//! rules in the writer's transaction; automated actions (hold, hide, warn,
//! mute, remove, ban) are written as their own events with no actor.

use std::sync::Arc;

use yaji_domain::activity::{ContentFlagged, Event, Kind, RuleHit, Sanctioned, Subject};
use yaji_domain::content::ContentState;
use yaji_domain::member::{MemberState, Role};
use yaji_domain::moderation::{ladder_step, ActionKind, Author, Context, Evaluation, Recent, RuleSet, Sanction};
use yaji_domain::notification::NotificationKind;
use yaji_store::repo::community as crepo;
use yaji_store::repo::moderation as repo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::communities::Ctx;
use crate::platform::notifications::notify;
use crate::{rfc3339, App, AppResult};

use super::*;

/// What screening decided for one post or comment.
pub(crate) struct Screening {
    /// visible | held | hidden
    pub state: ContentState,
    pub sanction: Sanction,
    pub hits: Vec<HitView>,
    /// The rule the strike and notification name.
    pub rule: Option<String>,
    pub strike: bool,
    pub strike_number: i64,
}

pub(super) fn state_of(a: ActionKind) -> ContentState {
    match a {
        ActionKind::Allow => ContentState::Visible,
        ActionKind::Hold => ContentState::Held,
        _ => ContentState::Hidden,
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

pub(super) fn excerpt(text: &str) -> String {
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
            let staff = crepo::membership(conn, ctx.c.id, post_author)
                .await?
                .is_some_and(|m| m.state == MemberState::Active && m.role >= Role::Moderator);
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
        if s.state == ContentState::Visible {
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
        let hits: Vec<RuleHit> = s.hits.iter().map(HitView::to_rule_hit).collect();
        let flagged = ContentFlagged {
            author_id: Some(author_id),
            state: s.state.as_str().into(),
            action: s.sanction.action.as_str().into(),
            rule: rule.clone(),
            rules: hits.clone(),
            strike: s.strike.then_some(s.strike_number),
        };
        let ev = Event::of(Some(cid), None, target.subject(), &flagged);
        crate::platform::events::record_event(conn, &ev, now).await?;
        if !s.strike {
            return Ok(());
        }
        repo::add_strike(conn, cid, author_id, &rule, now).await?;
        let detail = Sanctioned {
            strike: Some(s.strike_number),
            target_kind: Some(target.kind().into()),
            target_id: Some(target.id()),
            text: Some(excerpt(text)),
            matches: hits,
            rule: Some(rule.clone()),
            ..Default::default()
        };
        self.sanction_member(conn, ctx, author_id, s.sanction, None, &format!("rule: {rule}"), detail, now).await
    }

    /// Applies warn / mute / remove / ban to a member, with its event (actor
    /// `by`, or the automod when `None`) and a notification to the member.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn sanction_member(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        user_id: i64,
        sanction: Sanction,
        by: Option<i64>,
        reason: &str,
        mut detail: Sanctioned,
        now: i64,
    ) -> AppResult<()> {
        let cid = ctx.c.id;
        detail.reason = reason.into();
        let kind = match sanction.action {
            ActionKind::Allow | ActionKind::Hold | ActionKind::Hide => return Ok(()),
            ActionKind::Warn => Kind::MemberWarned,
            ActionKind::Mute => {
                let until = now + i64::from(sanction.mute_minutes) * crate::platform::MINUTE_MS;
                repo::set_mute(conn, cid, user_id, Some(until), reason).await?;
                detail.until = Some(rfc3339(until));
                detail.minutes = Some(sanction.mute_minutes.into());
                Kind::MemberMuted
            }
            ActionKind::Remove | ActionKind::Ban => {
                let ban = sanction.action == ActionKind::Ban;
                // The same path as a moderator's removal or ban (it notifies the member).
                let payload = serde_json::to_value(&detail).unwrap_or_default();
                crate::membership::end_membership(conn, cid, user_id, ban, reason, &payload, now).await?;
                if ban {
                    Kind::MemberBanned
                } else {
                    Kind::MemberRemoved
                }
            }
        };
        let note = match kind {
            Kind::MemberWarned => Some(NotificationKind::MemberWarned),
            Kind::MemberMuted => Some(NotificationKind::MemberMuted),
            _ => None,
        };
        if let Some(note) = note {
            notify(conn, user_id, Some(cid), note, &serde_json::to_value(&detail).unwrap_or_default(), now).await?;
        }
        let ev = Event::of_kind(kind, Some(cid), by, Subject::User(user_id), &detail);
        crate::platform::events::record_event(conn, &ev, now).await?;
        Ok(())
    }
}
