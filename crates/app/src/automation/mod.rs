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
use yaji_domain::activity::{AutomationUpdated, Event, Subject};
use yaji_domain::automation::{
    self as auto, templates, Action as RuleAction, Conditions, Drive, MemberFacts, RuleDef, Trigger,
};
use yaji_domain::error::invalid;
use yaji_domain::member::Role;
use yaji_domain::permission::Action;
use yaji_store::repo::activity::{self};
use yaji_store::repo::automation as repo;
use yaji_store::repo::community as crepo;
use yaji_store::repo::webhooks as hooks;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::communities::Ctx;
use crate::membership::{active_members, ActiveMember};
use crate::platform::events::Recorded;
use crate::platform::jobs::Job;
use crate::{now, rfc3339, App, AppError, AppResult};

use crate::platform::DAY_MS;

mod run;

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
        let ev = Event::of(
            Some(ctx.c.id),
            viewer.id,
            Subject::Community(ctx.c.id),
            &AutomationUpdated {
                action: Some(if id.is_some() { "updated" } else { "created" }.into()),
                rule_id: Some(rid),
                name: Some(def.name.clone()),
                enabled: Some(enabled),
                ..Default::default()
            },
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
        let ev = Event::of(
            Some(ctx.c.id),
            viewer.id,
            Subject::Community(ctx.c.id),
            &AutomationUpdated {
                action: Some("deleted".into()),
                rule_id: Some(id),
                name: Some(r.name.clone()),
                ..Default::default()
            },
        );
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
        RuleAction::Notify { message, .. } | RuleAction::NotifyModerators { message } => auto::render(message, vars),
        RuleAction::AddTag { tag } => format!("+{tag}"),
        RuleAction::RemoveTag { tag } => format!("-{tag}"),
        RuleAction::Mute { minutes } => format!("{minutes} min"),
        RuleAction::Webhook { webhook_id } => format!("webhook {webhook_id}"),
    }
}
