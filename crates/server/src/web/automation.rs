//! Automation pages (the assistant section, under `/c/{slug}/assistant`):
//! rules with a form editor, templates, dry run and run history. The
//! section's other pages are the calendar, webhooks and onboarding modules.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde_json::{json, Value};
use yaji_app::automation::parse_rule;
use yaji_app::AppError;
use yaji_domain::automation::LANGUAGES;

use super::form::{commas, field, lines, with_notice, Form};
use super::{Page, Tab, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/assistant", get(rules_page).post(new_rule))
        .route("/c/{slug}/assistant/rules/{id}", get(edit_page).post(save_rule))
        .route("/c/{slug}/assistant/rules/{id}/toggle", post(toggle_rule))
        .route("/c/{slug}/assistant/rules/{id}/delete", post(delete_rule))
        .route("/c/{slug}/assistant/templates/{key}", post(enable_template))
        .route("/c/{slug}/assistant/runs", get(runs_page))
}

pub(super) const TEMPLATES: &[(&str, &str)] =
    templates!["automation/rules.html", "automation/runs.html", "automation/tabs.html"];

/// The assistant section: automation for admins; moderators land on the calendar.
pub(super) const NAV: &[Tab] =
    &[Tab { order: 50, key: "assistant", path: "/assistant", label: "auto.tab", show: "assistant", badge: "" }];

const ACTION_SLOTS: usize = 3;
const ROLES: [&str; 4] = ["member", "moderator", "admin", "owner"];

fn num(s: &str) -> Value {
    match s.trim() {
        "" => Value::Null,
        n => n.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(n)),
    }
}

/// The rule editor's flat form → the rule's JSON (the schedule picker's
/// fields become the trigger's cron expression).
fn form_to_rule(f: &Form) -> Result<Value, AppError> {
    let kind = field(f, "trigger");
    let trigger = match kind {
        "keyword_matched" => json!({"kind": kind, "keywords": lines(field(f, "keywords"))}),
        "member_inactive" => json!({"kind": kind, "days": num(field(f, "days"))}),
        "level_reached" => match num(field(f, "level")) {
            Value::Null => json!({"kind": kind}),
            level => json!({"kind": kind, "level": level}),
        },
        "streak_reached" => match num(field(f, "streak_days")) {
            Value::Null => json!({"kind": kind}),
            days => json!({"kind": kind, "days": days}),
        },
        "schedule" => {
            let cron = super::repeat::read(f, "sched_", "trigger.cron")?.unwrap_or_default();
            json!({"kind": kind, "cron": cron})
        }
        "date" => json!({"kind": kind, "at": field(f, "at")}),
        _ => json!({"kind": kind}),
    };
    let roles: Vec<&str> = ROLES.iter().copied().filter(|r| field(f, &format!("role_{r}")) == "on").collect();
    let conditions = json!({
        "roles": roles,
        "tags_any": commas(field(f, "tags_any")),
        "tags_none": commas(field(f, "tags_none")),
        "min_member_days": num(field(f, "min_member_days")),
        "max_member_days": num(field(f, "max_member_days")),
        "text_contains": lines(field(f, "text_contains")),
        "topics": commas(field(f, "topics")),
    });
    let mut actions = Vec::new();
    for i in 0..ACTION_SLOTS {
        let k = |name: &str| field(f, &format!("a{i}_{name}")).to_string();
        let kind = k("kind");
        let a = match kind.as_str() {
            "" => continue,
            "post" => json!({"kind": kind, "title": k("title"), "body": k("text"), "reply": k("reply") == "on"}),
            "notify" => {
                let tr: serde_json::Map<String, Value> =
                    LANGUAGES.iter().map(|l| (l.to_string(), Value::from(k(&format!("tr_{l}"))))).collect();
                json!({"kind": kind, "message": k("text"), "translations": tr})
            }
            "notify_moderators" => json!({"kind": kind, "message": k("text")}),
            "add_tag" | "remove_tag" => json!({"kind": kind, "tag": k("tag")}),
            "mute" => json!({"kind": kind, "minutes": num(&k("minutes"))}),
            "webhook" => json!({"kind": kind, "webhook_id": num(&k("webhook_id"))}),
            _ => json!({"kind": kind}),
        };
        actions.push(a);
    }
    Ok(json!({"name": field(f, "name"), "trigger": trigger, "conditions": conditions, "actions": actions}))
}

/// A saved rule's JSON → the editor's flat form.
fn rule_to_form(def: &Value, enabled: bool) -> Form {
    let mut f = Form::new();
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let join =
        |v: &Value, sep: &str| v.as_array().map(|a| a.iter().map(s).collect::<Vec<_>>().join(sep)).unwrap_or_default();
    f.insert("name".into(), s(&def["name"]));
    let t = &def["trigger"];
    f.insert("trigger".into(), s(&t["kind"]));
    f.insert("keywords".into(), join(&t["keywords"], "\n"));
    f.insert("days".into(), s(&t["days"]));
    f.insert("level".into(), s(&t["level"]));
    if t["kind"] == "streak_reached" {
        f.insert("streak_days".into(), s(&t["days"]));
    }
    super::repeat::fill(&mut f, "sched_", t["cron"].as_str());
    f.insert("at".into(), s(&t["at"]));
    let c = &def["conditions"];
    for r in c["roles"].as_array().into_iter().flatten() {
        f.insert(format!("role_{}", s(r)), "on".into());
    }
    f.insert("tags_any".into(), join(&c["tags_any"], ", "));
    f.insert("tags_none".into(), join(&c["tags_none"], ", "));
    f.insert("min_member_days".into(), s(&c["min_member_days"]));
    f.insert("max_member_days".into(), s(&c["max_member_days"]));
    f.insert("text_contains".into(), join(&c["text_contains"], "\n"));
    f.insert("topics".into(), join(&c["topics"], ", "));
    for (i, a) in def["actions"].as_array().into_iter().flatten().enumerate().take(ACTION_SLOTS) {
        let mut put = |k: &str, v: String| {
            f.insert(format!("a{i}_{k}"), v);
        };
        put("kind", s(&a["kind"]));
        put("title", s(&a["title"]));
        put("text", if a["body"].is_null() { s(&a["message"]) } else { s(&a["body"]) });
        put("tag", s(&a["tag"]));
        for l in LANGUAGES {
            put(&format!("tr_{l}"), s(&a["translations"][l]));
        }
        put("minutes", s(&a["minutes"]));
        put("webhook_id", s(&a["webhook_id"]));
        if a["reply"] == true {
            put("reply", "on".into());
        }
    }
    if enabled {
        f.insert("enabled".into(), "on".into());
    }
    f
}

/// Renders the rules page (list, templates, editor) with an optional dry run.
async fn render_rules(
    page: &Page,
    slug: &str,
    editing: Option<i64>,
    form: Form,
    errors: HashMap<String, String>,
    dry: Option<yaji_app::automation::DryRun>,
) -> Response {
    let app = &page.state.app;
    let zh = page.lang != "en";
    let r = async {
        let v = page.auth.require()?;
        Ok::<_, AppError>((
            app.community(Some(v), slug).await?,
            app.automation_rules(v, slug).await?,
            app.automation_templates(v, slug, zh).await?,
            app.webhooks(v, slug).await?,
        ))
    }
    .await;
    match r {
        Ok((c, rules, templates, webhooks)) => {
            let status = if errors.is_empty() {
                axum::http::StatusCode::OK
            } else {
                axum::http::StatusCode::UNPROCESSABLE_ENTITY
            };
            let slots: Vec<usize> = (0..ACTION_SLOTS).collect();
            page.render(
                status,
                "automation/rules.html",
                context! { c, rules, templates, webhooks, form, errors, dry, editing, slots, roles => ROLES, sub => "rules" },
            )
        }
        Err(e) => page.fail(e),
    }
}

async fn rules_page(page: Page, Path(slug): Path<String>) -> Response {
    let mut f = Form::new();
    f.insert("enabled".into(), "on".into());
    f.insert("trigger".into(), "member_joined".into());
    f.insert("a0_kind".into(), "notify".into());
    super::repeat::fill(&mut f, "sched_", Some("0 9 * * 1"));
    render_rules(&page, &slug, None, f, HashMap::new(), None).await
}

async fn edit_page(page: Page, Path((slug, id)): Path<(String, i64)>) -> Response {
    let r = async { page.state.app.automation_rule(page.auth.require()?, &slug, id).await }.await;
    match r {
        Ok(rule) => {
            render_rules(&page, &slug, Some(id), rule_to_form(&rule.definition, rule.enabled), HashMap::new(), None)
                .await
        }
        Err(e) => page.fail(e),
    }
}

async fn submit(page: Page, slug: String, id: Option<i64>, f: Form) -> Response {
    let app = &page.state.app;
    let dry_run = field(&f, "do") == "dry_run";
    let r = async {
        let v = page.auth.require()?;
        let def = parse_rule(&form_to_rule(&f)?)?;
        if dry_run {
            Ok(Err(app.dry_run(v, &slug, def).await?))
        } else {
            Ok(Ok(app.save_rule(v, &slug, id, def, field(&f, "enabled") == "on").await?))
        }
    }
    .await;
    match r {
        Ok(Ok(_)) => with_notice(&format!("/c/{slug}/assistant"), "saved"),
        Ok(Err(dry)) => render_rules(&page, &slug, id, f, HashMap::new(), Some(dry)).await,
        Err(e) => match page.field_errors(&e) {
            Some(errors) => render_rules(&page, &slug, id, f, errors, None).await,
            None => page.fail(e),
        },
    }
}

async fn new_rule(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    submit(page, slug, None, f).await
}

async fn save_rule(page: Page, Path((slug, id)): Path<(String, i64)>, WebForm(f): WebForm<Form>) -> Response {
    submit(page, slug, Some(id), f).await
}

async fn toggle_rule(page: Page, Path((slug, id)): Path<(String, i64)>, WebForm(f): WebForm<Form>) -> Response {
    let on = field(&f, "enabled") == "1";
    let r = async { page.state.app.set_rule_enabled(page.auth.require()?, &slug, id, on).await }.await;
    page.done(r, |_| format!("/c/{slug}/assistant"), "saved")
}

async fn delete_rule(page: Page, Path((slug, id)): Path<(String, i64)>) -> Response {
    let r = async { page.state.app.delete_rule(page.auth.require()?, &slug, id).await }.await;
    page.done(r, |_| format!("/c/{slug}/assistant"), "deleted")
}

async fn enable_template(page: Page, Path((slug, key)): Path<(String, String)>) -> Response {
    let zh = page.lang != "en";
    let r = async { page.state.app.enable_template(page.auth.require()?, &slug, &key, zh).await }.await;
    page.done(r, |rule| format!("/c/{slug}/assistant/rules/{}", rule.id), "saved")
}

async fn runs_page(page: Page, Path(slug): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    let app = &page.state.app;
    let status = q.get("status").map(String::as_str).filter(|s| !s.is_empty());
    let rule = q.get("rule").and_then(|r| r.parse::<i64>().ok());
    let r = async {
        let v = page.auth.require()?;
        Ok::<_, AppError>((
            app.community(Some(v), &slug).await?,
            app.automation_rules(v, &slug).await?,
            app.automation_runs(v, &slug, rule, status, None).await?,
        ))
    }
    .await;
    match r {
        Ok((c, rules, runs)) => {
            page.ok("automation/runs.html", context! { c, rules, runs, status, rule, sub => "runs" })
        }
        Err(e) => page.fail(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_editor_form_round_trips_a_rule() {
        let rule = json!({"name": "Nudge", "trigger": {"kind": "member_inactive", "days": 14},
            "conditions": {"roles": ["member"], "tags_any": ["vip", "早鸟"], "tags_none": [], "min_member_days": 3, "max_member_days": null,
                           "text_contains": [], "topics": []},
            "actions": [{"kind": "notify", "message": "{name}: {days_inactive}", "translations": {"en": "{name}, {days_inactive} days"}},
                        {"kind": "add_tag", "tag": "quiet"}]});
        let f = rule_to_form(&rule, true);
        let back = form_to_rule(&f).unwrap();
        let a = parse_rule(&rule).unwrap();
        let b = parse_rule(&back).unwrap();
        assert_eq!(a, b);
        // A schedule goes through the repeat picker and comes back the same.
        let weekly = json!({"name": "Weekly", "trigger": {"kind": "schedule", "cron": "0 20 * * 5"}, "conditions": {},
            "actions": [{"kind": "post", "title": "t", "body": "b", "reply": false}]});
        let f = rule_to_form(&weekly, true);
        assert_eq!(
            (field(&f, "sched_every"), field(&f, "sched_time"), field(&f, "sched_wd_5")),
            ("week", "20:00", "on")
        );
        assert_eq!(parse_rule(&form_to_rule(&f).unwrap()).unwrap(), parse_rule(&weekly).unwrap());
    }
}
