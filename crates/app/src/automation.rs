//! Automation rules carried out by the assistant. Event-driven rules are
//! dispatched from the activity log in the event's own transaction (see
//! [`record_event`]); timer rules (schedules, dates, daily sweeps for
//! inactivity and anniversaries) re-arm themselves as jobs. Every action is
//! claimed in `automation_deliveries` before it runs, in the job's
//! transaction, so it happens once per (rule, occurrence, recipient) however
//! often the job is retried.

use std::collections::BTreeMap;

use chrono::{Datelike, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaji_domain::activity::{Event, Kind, Subject};
use yaji_domain::automation::{
    self as auto, templates, Action as RuleAction, Conditions, ContentFacts, Drive, MemberFacts, RuleDef, Trigger,
};
use yaji_domain::error::invalid;
use yaji_domain::member::Role;
use yaji_domain::moderation::{ActionKind, Sanction};
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_domain::text;
use yaji_store::repo::activity::{self, ActivityRow};
use yaji_store::repo::automation as repo;
use yaji_store::repo::community as crepo;
use yaji_store::repo::content as content_repo;
use yaji_store::repo::user as users;
use yaji_store::repo::webhooks as hooks;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::communities::Ctx;
use crate::membership::{active_members, set_tag, staff, ActiveMember};
use crate::platform::events::{record_event, Recorded};
use crate::platform::jobs::Job;
use crate::platform::notifications::notify;
use crate::{now, rfc3339, App, AppError, AppResult};

use crate::platform::DAY_MS;

/// Subscriber (the outbox): a community event enqueues, in its own
/// transaction, one job per enabled rule and webhook listening to its kind.
pub(crate) async fn on_event(conn: &mut Conn, r: &Recorded<'_>, now: i64) -> AppResult<()> {
    if let Some(cid) = r.event.community_id {
        activity::dispatch(conn, r.id, cid, r.event.kind.as_str(), now).await?;
    }
    Ok(())
}

/// A community's enabled rules (the calendar shows their timers).
pub(crate) async fn enabled_rules(conn: &mut Conn, community_id: i64) -> AppResult<Vec<repo::RuleRow>> {
    Ok(repo::rules(conn, community_id).await?.into_iter().filter(|r| r.enabled == 1).collect())
}

/// Whether the community has an enabled rule made from this template (a
/// welcome rule replaces the built-in welcome).
pub(crate) async fn template_enabled(conn: &mut Conn, community_id: i64, template: &str) -> AppResult<bool> {
    Ok(repo::template_enabled(conn, community_id, template).await?)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleView {
    pub id: i64,
    pub name: String,
    /// The built-in template it came from, if any.
    pub template: Option<String>,
    pub trigger_kind: String,
    pub enabled: bool,
    pub version: i64,
    /// The rule: `{name, trigger, conditions, actions}`.
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
}

impl From<repo::RuleRow> for RuleView {
    fn from(r: repo::RuleRow) -> Self {
        RuleView {
            id: r.id,
            name: r.name,
            template: r.template,
            trigger_kind: r.trigger_kind,
            enabled: r.enabled == 1,
            version: r.version,
            definition: serde_json::from_str(&r.definition).unwrap_or_default(),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecipientOutcome {
    pub user_id: i64,
    pub name: String,
    /// One line per action, or why the recipient was skipped.
    pub outcome: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunView {
    pub id: i64,
    pub rule_id: i64,
    pub rule_name: String,
    pub occurrence: String,
    pub trigger_kind: String,
    /// done | skipped | partial | failed
    pub status: String,
    pub recipient_count: i64,
    pub recipients: Vec<RecipientOutcome>,
    pub error: String,
    pub created_at: String,
}

impl From<repo::RunRow> for RunView {
    fn from(r: repo::RunRow) -> Self {
        RunView {
            id: r.id,
            rule_id: r.rule_id,
            rule_name: r.rule_name,
            occurrence: r.occurrence,
            trigger_kind: r.trigger_kind,
            status: r.status,
            recipient_count: r.recipient_count,
            recipients: serde_json::from_str(&r.recipients).unwrap_or_default(),
            error: r.error,
            created_at: rfc3339(r.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberBrief {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RenderedAction {
    pub kind: String,
    pub text: String,
}

/// "Who would this reach right now?"
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DryRun {
    pub trigger_kind: String,
    /// Members the rule would reach now (for event triggers: the members
    /// who would qualify if they triggered it now).
    pub audience: i64,
    /// The first 50 of them.
    pub members: Vec<MemberBrief>,
    /// Left out because they are muted or opted out of assistant messages.
    pub skipped_muted: i64,
    pub skipped_opted_out: i64,
    /// The actions rendered for the first member (or the community).
    pub preview: Vec<RenderedAction>,
    /// For timers: the next firings (UTC).
    pub next_fires: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateView {
    pub key: String,
    pub name: String,
    pub trigger_kind: String,
    /// Whether this community already has an enabled rule from it.
    pub enabled: bool,
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
}

/// Parses a rule from JSON with the parser's message on failure.
pub fn parse_rule(json: &serde_json::Value) -> AppResult<RuleDef> {
    let def: RuleDef = serde_json::from_value(json.clone())
        .map_err(|e| invalid("rule", "invalid_rule", format!("not a valid rule: {e}")))?;
    Ok(def.validate()?)
}

pub(crate) fn tz_of(c: &crepo::CommunityRow) -> Tz {
    c.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
}

/// The next firing of a timer rule after `after`, if it has one.
fn next_timer(def: &RuleDef, tz: Tz, after: i64) -> Option<i64> {
    match &def.trigger {
        Trigger::Schedule { cron } => auto::next_fire(&auto::Cron::parse(cron).ok()?, tz, after),
        Trigger::Date { at } => auto::local_to_utc(auto::parse_local(at).ok()?, tz).filter(|t| *t > after),
        Trigger::MemberInactive { .. } | Trigger::JoinAnniversary => {
            let daily = auto::Cron::parse(&format!("0 {} * * *", auto::SWEEP_HOUR)).ok()?;
            auto::next_fire(&daily, tz, after)
        }
        _ => None,
    }
}

fn vars_for<'a>(
    c: &crepo::CommunityRow,
    m: Option<&ActiveMember>,
    extra: &[(&'a str, String)],
) -> BTreeMap<&'a str, String> {
    let mut v = BTreeMap::new();
    v.insert("community", c.name.clone());
    v.insert("rules_link", format!("/c/{}/rules", c.slug));
    v.insert("checklist_link", format!("/c/{}/checklist", c.slug));
    if let Some(m) = m {
        v.insert("name", m.display_name.clone());
    }
    for (k, val) in extra {
        v.insert(k, val.clone());
    }
    v
}

fn facts(m: &ActiveMember) -> (Role, Vec<String>) {
    let role = Role::parse("role", &m.role).unwrap_or(Role::Member);
    let tags = m.tags.as_deref().unwrap_or("").split(',').filter(|s| !s.is_empty()).map(str::to_string).collect();
    (role, tags)
}

fn member_ok(cond: &Conditions, m: &ActiveMember, now: i64) -> bool {
    let (role, tags) = facts(m);
    cond.member_ok(&MemberFacts { role, tags: &tags, joined_at: m.joined_at }, now)
}

/// Why a member is left out at send time, if they are.
fn skip_reason(m: &ActiveMember, now: i64) -> Option<&'static str> {
    if m.assistant_opt_out == 1 {
        Some("skipped: opted out")
    } else if crate::platform::context::mute_end(m.muted_until, now).is_some() {
        Some("skipped: muted")
    } else {
        None
    }
}

/// Local date of `ms` in `tz`.
fn local_date(ms: i64, tz: Tz) -> chrono::NaiveDate {
    tz.timestamp_millis_opt(ms).earliest().map(|t| t.date_naive()).unwrap_or_default()
}

/// A member a sweep reaches: the row, the occurrence key, extra template variables.
type Swept = (ActiveMember, String, Vec<(&'static str, String)>);

/// Members a timer sweep reaches now, with the occurrence key and extra variables for each.
fn sweep(trigger: &Trigger, members: Vec<ActiveMember>, tz: Tz, now: i64) -> Vec<Swept> {
    let today = local_date(now, tz);
    members
        .into_iter()
        .filter_map(|m| match trigger {
            Trigger::MemberInactive { days } => {
                let silent = (now - m.last_active_at) / DAY_MS;
                // Once per silence: the occurrence is the last activity.
                (silent >= i64::from(*days)).then(|| {
                    let occ = format!("i{}", m.last_active_at);
                    (m, occ, vec![("days_inactive", silent.to_string())])
                })
            }
            Trigger::JoinAnniversary => {
                let joined = local_date(m.joined_at, tz);
                let years = today.year() - joined.year();
                (years >= 1 && joined.month() == today.month() && joined.day() == today.day())
                    .then(|| (m, format!("a{}", today.year()), vec![("years", years.to_string())]))
            }
            _ => None,
        })
        .collect()
}

/// What one firing is about.
struct Firing<'a> {
    c: &'a crepo::CommunityRow,
    rule_id: i64,
    rule_name: &'a str,
    def: &'a RuleDef,
    occurrence: String,
    /// The post a reply goes under (post and comment triggers).
    post_id: Option<i64>,
    /// The event, for webhook payloads.
    event_id: Option<i64>,
}

impl App {
    async fn automation_ctx(&self, conn: &mut Conn, viewer: Viewer, slug: &str) -> AppResult<Ctx> {
        let ctx = Ctx::load(conn, slug, Some(viewer)).await?;
        ctx.allow(Action::ManageAutomation)?;
        Ok(ctx)
    }

    pub async fn automation_rules(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<RuleView>> {
        let mut c = self.db.read().await?;
        let ctx = self.automation_ctx(&mut c, viewer, slug).await?;
        Ok(repo::rules(&mut c, ctx.c.id).await?.into_iter().map(RuleView::from).collect())
    }

    pub async fn automation_rule(&self, viewer: Viewer, slug: &str, id: i64) -> AppResult<RuleView> {
        let mut c = self.db.read().await?;
        let ctx = self.automation_ctx(&mut c, viewer, slug).await?;
        let r =
            repo::rule(&mut c, id).await?.filter(|r| r.community_id == ctx.c.id).ok_or(AppError::NotFound("rule"))?;
        Ok(r.into())
    }

    async fn check_webhooks(&self, conn: &mut Conn, cid: i64, def: &RuleDef) -> AppResult<()> {
        for a in &def.actions {
            if let RuleAction::Webhook { webhook_id } = a {
                if hooks::webhook(conn, *webhook_id).await?.filter(|w| w.community_id == cid).is_none() {
                    return Err(invalid(
                        "actions.webhook_id",
                        "unknown_webhook",
                        format!("no webhook {webhook_id} in this community"),
                    )
                    .into());
                }
            }
        }
        Ok(())
    }

    /// Creates a rule (or, with `id`, replaces one) and arms its timer.
    pub async fn save_rule(
        &self,
        viewer: Viewer,
        slug: &str,
        id: Option<i64>,
        def: RuleDef,
        enabled: bool,
    ) -> AppResult<RuleView> {
        let def = def.validate()?;
        self.save_rule_inner(viewer, slug, id, def, enabled, None).await
    }

    async fn save_rule_inner(
        &self,
        viewer: Viewer,
        slug: &str,
        id: Option<i64>,
        def: RuleDef,
        enabled: bool,
        template: Option<&str>,
    ) -> AppResult<RuleView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = self.automation_ctx(tx.conn(), viewer, slug).await?;
        self.check_webhooks(tx.conn(), ctx.c.id, &def).await?;
        let json = serde_json::to_string(&def).map_err(|e| AppError::Internal(e.to_string()))?;
        let new = repo::NewRule {
            community_id: ctx.c.id,
            name: &def.name,
            template,
            trigger_kind: def.trigger.kind(),
            trigger_events: &def.trigger.event_list(),
            definition: &json,
            enabled,
            created_by: viewer.id,
        };
        let (rid, version) = match id {
            Some(id) => {
                repo::rule(tx.conn(), id)
                    .await?
                    .filter(|r| r.community_id == ctx.c.id)
                    .ok_or(AppError::NotFound("rule"))?;
                (id, repo::update_rule(tx.conn(), id, &new, now).await?)
            }
            None => (repo::insert_rule(tx.conn(), &new, now).await?, 1),
        };
        if enabled {
            self.arm_timer(tx.conn(), &ctx.c, rid, version, &def, now).await?;
        }
        let ev = Event::new(Kind::AutomationUpdated, Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id)).with(
            serde_json::json!({"rule_id": rid, "name": def.name, "enabled": enabled, "action": if id.is_some() {"updated"} else {"created"}}),
        );
        crate::finish(tx, ev, now).await?;
        self.wake_workers();
        self.automation_rule(viewer, slug, rid).await
    }

    async fn arm_timer(
        &self,
        conn: &mut Conn,
        c: &crepo::CommunityRow,
        rule_id: i64,
        version: i64,
        def: &RuleDef,
        now: i64,
    ) -> AppResult<()> {
        if def.trigger.drive() == Drive::Timer {
            if let Some(at) = next_timer(def, tz_of(c), now) {
                crate::platform::jobs::enqueue(
                    conn,
                    Job::AutomationTimer { community_id: c.id, rule_id, version, at },
                    now,
                )
                .await?;
            }
        }
        Ok(())
    }

    pub async fn set_rule_enabled(&self, viewer: Viewer, slug: &str, id: i64, enabled: bool) -> AppResult<RuleView> {
        let current = self.automation_rule(viewer, slug, id).await?;
        let def: RuleDef = serde_json::from_value(current.definition).map_err(|e| AppError::Internal(e.to_string()))?;
        self.save_rule_inner(viewer, slug, Some(id), def, enabled, None).await
    }

    pub async fn delete_rule(&self, viewer: Viewer, slug: &str, id: i64) -> AppResult<()> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = self.automation_ctx(tx.conn(), viewer, slug).await?;
        let r = repo::rule(tx.conn(), id)
            .await?
            .filter(|r| r.community_id == ctx.c.id)
            .ok_or(AppError::NotFound("rule"))?;
        repo::delete_rule(tx.conn(), id, now).await?;
        let ev = Event::new(Kind::AutomationUpdated, Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id))
            .with(serde_json::json!({"rule_id": id, "name": r.name, "action": "deleted"}));
        crate::finish(tx, ev, now).await
    }

    /// The built-in templates, in the viewer's language, with whether each is on here.
    pub async fn automation_templates(&self, viewer: Viewer, slug: &str, zh: bool) -> AppResult<Vec<TemplateView>> {
        let mut c = self.db.read().await?;
        let ctx = self.automation_ctx(&mut c, viewer, slug).await?;
        let today = local_date(now(), tz_of(&ctx.c));
        let mut out = Vec::new();
        for key in templates::KEYS {
            let def = templates::build(key, zh, ctx.c.join_policy == "approval", today).expect("known key");
            out.push(TemplateView {
                key: key.to_string(),
                name: def.name.clone(),
                trigger_kind: def.trigger.kind().into(),
                enabled: repo::template_enabled(&mut c, ctx.c.id, key).await?,
                definition: serde_json::to_value(&def).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// One click: creates an enabled rule from a template (and, for the
    /// newcomer checklist, switches the checklist on).
    pub async fn enable_template(&self, viewer: Viewer, slug: &str, key: &str, zh: bool) -> AppResult<RuleView> {
        let (approval, today) = {
            let mut c = self.db.read().await?;
            let ctx = self.automation_ctx(&mut c, viewer, slug).await?;
            (ctx.c.join_policy == "approval", local_date(now(), tz_of(&ctx.c)))
        };
        let def = templates::build(key, zh, approval, today).ok_or(AppError::NotFound("template"))?.validate()?;
        if key == "newcomer_checklist" {
            self.set_checklist(viewer, slug, true, None).await?;
        }
        self.save_rule_inner(viewer, slug, None, def, true, Some(key)).await
    }

    pub async fn automation_runs(
        &self,
        viewer: Viewer,
        slug: &str,
        rule_id: Option<i64>,
        status: Option<&str>,
        before: Option<i64>,
    ) -> AppResult<Vec<RunView>> {
        if let Some(s) = status {
            if !["done", "skipped", "partial", "failed"].contains(&s) {
                return Err(invalid("status", "invalid_choice", "status is done, skipped, partial or failed").into());
            }
        }
        let mut c = self.db.read().await?;
        let ctx = self.automation_ctx(&mut c, viewer, slug).await?;
        let rows = repo::runs(&mut c, ctx.c.id, rule_id, status, before.unwrap_or(i64::MAX), 100).await?;
        Ok(rows.into_iter().map(RunView::from).collect())
    }

    /// Who a rule (saved or not) would reach right now, and what it would say.
    pub async fn dry_run(&self, viewer: Viewer, slug: &str, def: RuleDef) -> AppResult<DryRun> {
        let def = def.validate()?;
        let now = now();
        let mut c = self.db.read().await?;
        let ctx = self.automation_ctx(&mut c, viewer, slug).await?;
        let tz = tz_of(&ctx.c);
        let mut out = DryRun {
            trigger_kind: def.trigger.kind().into(),
            audience: 0,
            members: vec![],
            skipped_muted: 0,
            skipped_opted_out: 0,
            preview: vec![],
            next_fires: vec![],
        };
        let mut t = now;
        for _ in 0..5 {
            match next_timer(&def, tz, t) {
                Some(next) => {
                    out.next_fires.push(rfc3339(next));
                    t = next;
                }
                None => break,
            }
        }
        let mut first: Option<(ActiveMember, Vec<(&'static str, String)>)> = None;
        if def.trigger.per_member() {
            let all = active_members(&mut c, ctx.c.id, None).await?;
            let candidates: Vec<_> = match def.trigger {
                Trigger::MemberInactive { .. } | Trigger::JoinAnniversary => sweep(&def.trigger, all, tz, now),
                _ => all.into_iter().map(|m| (m, String::new(), vec![])).collect(),
            };
            for (m, _, extra) in candidates {
                if !member_ok(&def.conditions, &m, now) {
                    continue;
                }
                match skip_reason(&m, now) {
                    Some("skipped: opted out") => out.skipped_opted_out += 1,
                    Some(_) => out.skipped_muted += 1,
                    None => {
                        out.audience += 1;
                        if out.members.len() < 50 {
                            out.members.push(MemberBrief {
                                user_id: m.user_id,
                                username: m.username.clone(),
                                display_name: m.display_name.clone(),
                            });
                        }
                        if first.is_none() {
                            first = Some((m, extra));
                        }
                    }
                }
            }
        } else {
            out.audience = ctx.c.member_count;
        }
        let extra = match &def.trigger {
            Trigger::Schedule { .. } | Trigger::Date { .. } => {
                let at = out.next_fires.first().and_then(|_| next_timer(&def, tz, now)).unwrap_or(now);
                vec![("date", local_date(at, tz).to_string())]
            }
            _ => first.as_ref().map(|f| f.1.clone()).unwrap_or_default(),
        };
        let vars = vars_for(&ctx.c, first.as_ref().map(|f| &f.0), &extra);
        out.preview =
            def.actions.iter().map(|a| RenderedAction { kind: a.kind().into(), text: describe(a, &vars) }).collect();
        Ok(out)
    }

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
        let (member_id, post_id, content) = match self.event_subject(conn, &ev, &payload).await? {
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
        payload: &serde_json::Value,
    ) -> AppResult<Option<(i64, Option<i64>, Option<(String, Option<String>)>)>> {
        let topic_name = |t: Option<crepo::TopicRow>| t.map(|t| t.name);
        Ok(match ev.kind.as_str() {
            "post_created" => {
                let Some(p) = content_repo::post(conn, ev.subject_id)
                    .await?
                    .filter(|p| p.moderation == "visible" && p.deleted_at.is_none())
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
                    .filter(|c| c.moderation == "visible" && c.deleted_at.is_none())
                else {
                    return Ok(None);
                };
                let topic = match content_repo::post(conn, cm.post_id).await?.and_then(|p| p.topic_id) {
                    Some(t) => topic_name(crepo::topic(conn, t).await?),
                    None => None,
                };
                Some((cm.author_id, Some(cm.post_id), Some((cm.body, topic))))
            }
            "join_approved" => Some((payload["user_id"].as_i64().unwrap_or(0), None, None)),
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
            let extra = [("date", local_date(at, tz).to_string())];
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
        let p: serde_json::Value = serde_json::from_str(&job.payload).unwrap_or_default();
        let Some(rule) = repo::rule(conn, p["rule_id"].as_i64().unwrap_or(0)).await? else { return Ok(()) };
        let occurrence = match p["event_id"].as_i64() {
            Some(e) => format!("e{e}"),
            None => format!("t{}", p["at"].as_i64().unwrap_or(0)),
        };
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
                        let id = self
                            .assistant_comment(conn, c.id, post_id, assistant, &body, serde_json::Value::Null, now)
                            .await?;
                        format!("replied (comment {id})")
                    }
                    _ => {
                        let id = self.publish_post(conn, c.id, assistant, &title, &body, None, now).await?;
                        format!("posted (post {id})")
                    }
                }
            }
            RuleAction::Notify { message } => {
                let Some(m) = m else { return Ok("no recipient".into()) };
                let detail = serde_json::json!({"rule": f.rule_name, "message": auto::render(message, vars), "community": c.name});
                notify(conn, m.user_id, Some(c.id), NotificationKind::Automation, &detail, now).await?;
                "sent".into()
            }
            RuleAction::AddTag { tag } | RuleAction::RemoveTag { tag } => {
                let Some(m) = m else { return Ok("no recipient".into()) };
                let add = matches!(a, RuleAction::AddTag { .. });
                let changed = set_tag(conn, c.id, m.user_id, tag, add, now).await?;
                if changed {
                    let kind = if add { Kind::MemberTagged } else { Kind::MemberUntagged };
                    let ev = Event {
                        kind,
                        community_id: Some(c.id),
                        actor_id: None,
                        subject: Subject::User(m.user_id),
                        payload: serde_json::json!({"tag": tag, "rule_id": f.rule_id}),
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
                let payload = serde_json::json!({"rule_id": f.rule_id, "automation": f.rule_name});
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

    /// Publishes a post without a request: as the assistant (rules) or as a
    /// scheduled post's author (the calendar). It is an ordinary `post_created`
    /// event, which webhooks see; rules ignore the assistant's own posts.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn publish_post(
        &self,
        conn: &mut Conn,
        community_id: i64,
        author_id: i64,
        title: &str,
        body: &str,
        topic_id: Option<i64>,
        now: i64,
    ) -> AppResult<i64> {
        let html = text::markdown_to_html(body);
        let excerpt = text::excerpt(body, 160);
        let new = content_repo::NewPost {
            community_id,
            author_id,
            topic_id,
            title: (!title.is_empty()).then_some(title),
            body,
            body_html: &html,
            excerpt: &excerpt,
            created_at: now,
            moderation: "visible",
        };
        let id = content_repo::insert_post(conn, &new).await?;
        crepo::add_post_count(conn, community_id, 1).await?;
        let ev =
            Event::new(Kind::PostCreated, Some(community_id), author_id, Subject::Post(id)).with(serde_json::json!({
                "topic_id": topic_id,
                "moderation": "visible",
                "automatic": true,
                "question": yaji_domain::faq::is_question(&format!("{title}\n{body}")),
            }));
        record_event(conn, &ev, now).await?;
        Ok(id)
    }

    /// Comments as the assistant (rule replies, FAQ answers); `payload` adds to the event's.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn assistant_comment(
        &self,
        conn: &mut Conn,
        community_id: i64,
        post_id: i64,
        assistant: i64,
        body: &str,
        mut payload: serde_json::Value,
        now: i64,
    ) -> AppResult<i64> {
        let html = text::markdown_to_html(body);
        let new = content_repo::NewComment {
            post_id,
            community_id,
            author_id: assistant,
            body,
            body_html: &html,
            created_at: now,
            moderation: "visible",
        };
        let id = content_repo::insert_comment(conn, &new).await?;
        content_repo::add_comment_count(conn, post_id, 1).await?;
        if !payload.is_object() {
            payload = serde_json::json!({});
        }
        payload["post_id"] = post_id.into();
        payload["automatic"] = true.into();
        let ev = Event::new(Kind::CommentCreated, Some(community_id), assistant, Subject::Comment(id)).with(payload);
        record_event(conn, &ev, now).await?;
        Ok(id)
    }
}

fn run_status(outcomes: &[RecipientOutcome]) -> &'static str {
    let skipped = outcomes.iter().filter(|o| o.outcome.starts_with("skipped")).count();
    if outcomes.is_empty() || skipped == outcomes.len() {
        "skipped"
    } else if skipped > 0 {
        "partial"
    } else {
        "done"
    }
}

/// One action as text, for the dry run's preview.
fn describe(a: &RuleAction, vars: &BTreeMap<&str, String>) -> String {
    match a {
        RuleAction::Post { title, body, reply } => {
            let t = auto::render(title, vars);
            let b = auto::render(body, vars);
            match (reply, t.is_empty()) {
                (true, _) => format!("↳ {b}"),
                (false, true) => b,
                (false, false) => format!("{t}\n{b}"),
            }
        }
        RuleAction::Notify { message } | RuleAction::NotifyModerators { message } => auto::render(message, vars),
        RuleAction::AddTag { tag } => format!("+{tag}"),
        RuleAction::RemoveTag { tag } => format!("-{tag}"),
        RuleAction::Mute { minutes } => format!("{minutes} min"),
        RuleAction::Webhook { webhook_id } => format!("webhook {webhook_id}"),
    }
}
