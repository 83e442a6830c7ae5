//! Running rules: the jobs an event or a timer queues, the claimed
//! actions, and the run history.

use std::collections::BTreeMap;

use yaji_domain::activity::{Event, Sanctioned, Subject};
use yaji_domain::automation::{self as auto, Action as RuleAction, ContentFacts, RuleDef};
use yaji_domain::content::ContentState;
use yaji_domain::member::Role;
use yaji_domain::moderation::{ActionKind, Sanction};
use yaji_domain::notification::NotificationKind;
use yaji_store::repo::activity::{self, ActivityRow};
use yaji_store::repo::automation as repo;
use yaji_store::repo::community as crepo;
use yaji_store::repo::content as content_repo;
use yaji_store::repo::user as users;
use yaji_store::Conn;

use crate::communities::Ctx;
use crate::membership::{active_members, set_tag, staff, ActiveMember};
use crate::platform::events::record_event;
use crate::platform::jobs::Job;
use crate::platform::notifications::notify;
use crate::{now, App, AppError, AppResult};

use super::*;
use crate::content::{assistant_comment, publish_post};
use yaji_domain::activity::{
    JoinApproved, MemberTagged, MemberUntagged, Payload, RegistrationCreated, RegistrationMoved,
};

impl App {
    /// Job: an event reached a rule listening to it.
    pub(crate) async fn automation_event_job(&self, conn: &mut Conn, rule_id: i64, event_id: i64) -> AppResult<String> {
        let now = now();
        let Some(rule) = repo::rule(conn, rule_id).await?.filter(|r| r.enabled == 1) else {
            return Ok("skipped: rule off or deleted".into());
        };
        let Some(ev) = activity::get(conn, event_id).await? else {
            return Ok("skipped: event gone".into());
        };
        let assistant = users::assistant(conn, now).await?;
        // The assistant's own posts never trigger rules (no loops).
        if ev.actor_id == Some(assistant) {
            return Ok("skipped: the assistant's own event".into());
        }
        let def: RuleDef = serde_json::from_str(&rule.definition).map_err(|e| AppError::Internal(e.to_string()))?;
        let Some((c, _)) = crepo::with_membership(conn, crepo::Key::Id(rule.community_id), None).await? else {
            return Ok("skipped: community gone".into());
        };
        let payload: serde_json::Value = serde_json::from_str(&ev.payload).unwrap_or_default();
        if !def.trigger.payload_ok(&payload) {
            return Ok("no match".into());
        }
        let (member_id, post_id, content) = match self.event_subject(conn, &ev).await? {
            Some(s) => s,
            None => return Ok("skipped: content not visible".into()),
        };
        if let Some((text, topic)) = &content {
            let facts = ContentFacts { text, topic: topic.as_deref() };
            if !def.trigger.text_ok(text) || !def.conditions.content_ok(&facts) {
                return Ok("no match".into());
            }
        }
        let member = active_members(conn, c.id, Some(member_id)).await?.into_iter().next();
        let firing = Firing {
            c: &c,
            rule_id,
            rule_name: &rule.name,
            def: &def,
            occurrence: format!("e{event_id}"),
            post_id,
            event_id: Some(event_id),
        };
        let Some(m) = member else {
            let gone =
                RecipientOutcome { user_id: member_id, name: String::new(), outcome: "skipped: not a member".into() };
            self.record_run(conn, &firing, "skipped", &[gone], "", now).await?;
            return Ok("skipped: not a member".into());
        };
        if !member_ok(&def.conditions, &m, now) {
            return Ok("no match".into());
        }
        let outcome = self.fire_for(conn, &firing, Some(&m), &[], now).await?;
        let status = run_status(std::slice::from_ref(&outcome));
        self.record_run(conn, &firing, status, &[outcome], "", now).await?;
        Ok(status.into())
    }

    /// The member an event is about, the post a reply would go under, and
    /// the text and topic for content triggers (`None`: content not visible).
    #[allow(clippy::type_complexity)]
    async fn event_subject(
        &self,
        conn: &mut Conn,
        ev: &ActivityRow,
    ) -> AppResult<Option<(i64, Option<i64>, Option<(String, Option<String>)>)>> {
        let topic_name = |t: Option<crepo::TopicRow>| t.map(|t| t.name);
        Ok(match ev.kind.as_str() {
            "post_created" => {
                let Some(p) = content_repo::post(conn, ev.subject_id)
                    .await?
                    .filter(|p| p.moderation == ContentState::Visible && p.deleted_at.is_none())
                else {
                    return Ok(None);
                };
                let topic = match p.topic_id {
                    Some(t) => topic_name(crepo::topic(conn, t).await?),
                    None => None,
                };
                let text = format!("{}\n{}", p.title.clone().unwrap_or_default(), p.body);
                Some((p.author_id, Some(p.id), Some((text, topic))))
            }
            "comment_created" => {
                let Some(cm) = content_repo::comment(conn, ev.subject_id)
                    .await?
                    .filter(|c| c.moderation == ContentState::Visible && c.deleted_at.is_none())
                else {
                    return Ok(None);
                };
                let topic = match content_repo::post(conn, cm.post_id).await?.and_then(|p| p.topic_id) {
                    Some(t) => topic_name(crepo::topic(conn, t).await?),
                    None => None,
                };
                Some((cm.author_id, Some(cm.post_id), Some((cm.body, topic))))
            }
            "join_approved" => Some((JoinApproved::decode(&ev.payload).user_id, None, None)),
            // About a gathering; the person is in the payload.
            "registration_created" => Some((RegistrationCreated::decode(&ev.payload).user_id, None, None)),
            "checked_in" | "no_show" => Some((RegistrationMoved::decode(&ev.payload).user_id, None, None)),
            _ => Some((ev.subject_id, None, None)),
        })
    }

    /// Job: a timer rule is due.
    pub(crate) async fn automation_timer_job(
        &self,
        conn: &mut Conn,
        rule_id: i64,
        version: i64,
        at: i64,
    ) -> AppResult<String> {
        let now = now();
        let Some(rule) = repo::rule(conn, rule_id).await?.filter(|r| r.enabled == 1 && r.version == version) else {
            return Ok("skipped: rule changed, off or deleted".into());
        };
        let def: RuleDef = serde_json::from_str(&rule.definition).map_err(|e| AppError::Internal(e.to_string()))?;
        let Some((c, _)) = crepo::with_membership(conn, crepo::Key::Id(rule.community_id), None).await? else {
            return Ok("skipped: community gone".into());
        };
        let tz = tz_of(&c);
        // Re-arm first, from now: after downtime a missed firing runs once, not once per missed slot.
        self.arm_timer(conn, &c, rule_id, version, &def, at.max(now)).await?;
        let mut firing = Firing {
            c: &c,
            rule_id,
            rule_name: &rule.name,
            def: &def,
            occurrence: format!("t{at}"),
            post_id: None,
            event_id: None,
        };
        if !def.trigger.per_member() {
            let mut extra = vec![("date", local_date(at, tz).to_string())];
            if def.uses("top_contributors") || def.uses("last_month") {
                let (month, lines) = crate::points::last_month_lines(conn, &c, at).await?;
                extra.extend([("last_month", month), ("top_contributors", lines)]);
            }
            let outcome = self.fire_for(conn, &firing, None, &extra, now).await?;
            let status = run_status(std::slice::from_ref(&outcome));
            self.record_run(conn, &firing, status, &[outcome], "", now).await?;
            return Ok(status.into());
        }
        let members = active_members(conn, c.id, None).await?;
        let mut outcomes = Vec::new();
        for (m, occ, extra) in sweep(&def.trigger, members, tz, now) {
            if !member_ok(&def.conditions, &m, now) {
                continue;
            }
            firing.occurrence = occ;
            outcomes.push(self.fire_for(conn, &firing, Some(&m), &extra, now).await?);
        }
        if outcomes.iter().all(|o| o.outcome.starts_with("already")) {
            return Ok(format!("nobody new ({} checked)", outcomes.len()));
        }
        outcomes.retain(|o| !o.outcome.starts_with("already"));
        firing.occurrence = format!("t{at}");
        let status = run_status(&outcomes);
        self.record_run(conn, &firing, status, &outcomes, "", now).await?;
        Ok(format!("{status}: {} members", outcomes.len()))
    }

    /// A failing automation job leaves a "failed" run in the history.
    pub(crate) async fn automation_job_failed(
        &self,
        conn: &mut Conn,
        job: &yaji_store::repo::jobs::JobRow,
        error: &str,
        dead: bool,
        now: i64,
    ) -> AppResult<()> {
        let (rule_id, occurrence) = match Job::decode(&job.kind, &job.payload) {
            Ok(Job::Automation { rule_id, event_id }) => (rule_id, format!("e{event_id}")),
            Ok(Job::AutomationTimer { rule_id, at, .. }) => (rule_id, format!("t{at}")),
            _ => return Ok(()),
        };
        let Some(rule) = repo::rule(conn, rule_id).await? else { return Ok(()) };
        let retry = if dead { "gave up" } else { "will retry" };
        let run = repo::NewRun {
            community_id: rule.community_id,
            rule_id: rule.id,
            occurrence: &occurrence,
            trigger_kind: &rule.trigger_kind,
            status: "failed",
            recipients: "[]",
            recipient_count: 0,
            error: &format!("attempt {} ({retry}): {error}", job.attempts),
        };
        repo::insert_run(conn, &run, now).await?;
        Ok(())
    }

    async fn record_run(
        &self,
        conn: &mut Conn,
        f: &Firing<'_>,
        status: &str,
        recipients: &[RecipientOutcome],
        error: &str,
        now: i64,
    ) -> AppResult<()> {
        let json = serde_json::to_string(recipients).unwrap_or_default();
        let run = repo::NewRun {
            community_id: f.c.id,
            rule_id: f.rule_id,
            occurrence: &f.occurrence,
            trigger_kind: f.def.trigger.kind(),
            status,
            recipients: &json,
            recipient_count: recipients.len() as i64,
            error,
        };
        repo::insert_run(conn, &run, now).await?;
        Ok(())
    }

    /// Runs a rule's actions for one recipient (or the community when `None`),
    /// each at most once per (rule, occurrence, recipient).
    async fn fire_for(
        &self,
        conn: &mut Conn,
        f: &Firing<'_>,
        m: Option<&ActiveMember>,
        extra: &[(&'static str, String)],
        now: i64,
    ) -> AppResult<RecipientOutcome> {
        let (rid, name) = m.map_or((0, String::new()), |m| (m.user_id, m.display_name.clone()));
        if let Some(m) = m {
            if let Some(why) = skip_reason(m, now) {
                return Ok(RecipientOutcome { user_id: rid, name, outcome: why.into() });
            }
        }
        let vars = vars_for(f.c, m, extra);
        let mut lines = Vec::new();
        let mut fresh = false;
        for (i, a) in f.def.actions.iter().enumerate() {
            if !repo::claim_delivery(conn, f.rule_id, &f.occurrence, rid, i as i64, now).await? {
                lines.push(format!("{}: already done", a.kind()));
                continue;
            }
            fresh = true;
            let line = self.run_action(conn, f, m, a, &vars, now).await?;
            lines.push(format!("{}: {line}", a.kind()));
        }
        let outcome = if fresh { lines.join("; ") } else { "already done".into() };
        Ok(RecipientOutcome { user_id: rid, name, outcome })
    }

    async fn run_action(
        &self,
        conn: &mut Conn,
        f: &Firing<'_>,
        m: Option<&ActiveMember>,
        a: &RuleAction,
        vars: &BTreeMap<&str, String>,
        now: i64,
    ) -> AppResult<String> {
        let c = f.c;
        Ok(match a {
            RuleAction::Post { title, body, reply } => {
                let body = auto::render(body, vars);
                let title = auto::render(title, vars);
                let assistant = users::assistant(conn, now).await?;
                match (reply, f.post_id) {
                    (true, Some(post_id)) => {
                        let id =
                            assistant_comment(conn, c.id, post_id, assistant, &body, Default::default(), now).await?;
                        format!("replied (comment {id})")
                    }
                    _ => {
                        let id = publish_post(conn, c.id, assistant, &title, &body, None, now).await?;
                        format!("posted (post {id})")
                    }
                }
            }
            RuleAction::Notify { message, translations } => {
                let Some(m) = m else { return Ok("no recipient".into()) };
                // In the member's language when the rule has it.
                let text = match translations.is_empty() {
                    true => message,
                    false => {
                        let locale = users::by_id(conn, m.user_id).await?.map(|u| u.locale).unwrap_or_default();
                        translations.get(&locale).unwrap_or(message)
                    }
                };
                let detail =
                    serde_json::json!({"rule": f.rule_name, "message": auto::render(text, vars), "community": c.name});
                notify(conn, m.user_id, Some(c.id), NotificationKind::Automation, &detail, now).await?;
                "sent".into()
            }
            RuleAction::AddTag { tag } | RuleAction::RemoveTag { tag } => {
                let Some(m) = m else { return Ok("no recipient".into()) };
                let add = matches!(a, RuleAction::AddTag { .. });
                let changed = set_tag(conn, c.id, m.user_id, tag, add, now).await?;
                if changed {
                    let (tag, rule_id, subject) = (tag.clone(), Some(f.rule_id), Subject::User(m.user_id));
                    // The rule acts, not a person: no actor.
                    let ev = if add {
                        Event::of(Some(c.id), None, subject, &MemberTagged { tag, rule_id })
                    } else {
                        Event::of(Some(c.id), None, subject, &MemberUntagged { tag, rule_id })
                    };
                    record_event(conn, &ev, now).await?;
                }
                if changed {
                    format!("'{tag}'")
                } else {
                    "unchanged".into()
                }
            }
            RuleAction::NotifyModerators { message } => {
                let staff = staff(conn, c.id).await?;
                let detail = serde_json::json!({"rule": f.rule_name, "message": auto::render(message, vars), "community": c.name,
                    "member": m.map(|m| m.display_name.clone())});
                for s in &staff {
                    notify(conn, *s, Some(c.id), NotificationKind::AutomationMods, &detail, now).await?;
                }
                format!("{} moderators", staff.len())
            }
            RuleAction::Mute { minutes } => {
                let Some(m) = m else { return Ok("no recipient".into()) };
                // Staff are never muted by a rule.
                if Role::parse("role", &m.role).is_ok_and(|r| r != Role::Member) {
                    return Ok("skipped: staff".into());
                }
                let ctx = Ctx::load_id(conn, c.id, None).await?;
                let sanction = Sanction { action: ActionKind::Mute, mute_minutes: *minutes };
                let payload = Sanctioned {
                    rule_id: Some(f.rule_id),
                    automation: Some(f.rule_name.to_string()),
                    ..Default::default()
                };
                self.sanction_member(
                    conn,
                    &ctx,
                    m.user_id,
                    sanction,
                    None,
                    &format!("automation: {}", f.rule_name),
                    payload,
                    now,
                )
                .await?;
                format!("{minutes} min")
            }
            RuleAction::Webhook { webhook_id } => {
                let job = Job::RuleWebhook {
                    community_id: c.id,
                    webhook_id: *webhook_id,
                    payload: serde_json::json!({
                        "kind": "automation_fired", "rule_id": f.rule_id, "rule": f.rule_name,
                        "occurrence": f.occurrence, "event_id": f.event_id,
                        "member": m.map(|m| serde_json::json!({"user_id": m.user_id, "username": m.username, "display_name": m.display_name})),
                    }),
                    key: format!("{}:{}:{}", f.rule_id, f.occurrence, m.map_or(0, |m| m.user_id)),
                };
                crate::platform::jobs::enqueue(conn, job, now).await?;
                "queued".into()
            }
        })
    }
}
