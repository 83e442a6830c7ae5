//! The assistant's pages: automation rules (form editor, templates, dry run,
//! run history), the content calendar, webhooks, and the newcomer checklist
//! for members and operators.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde_json::{json, Value};
use yaji_app::automation::parse_rule;
use yaji_app::calendar::ScheduleInput;
use yaji_app::onboarding::IntroInput;
use yaji_app::webhooks::WebhookInput;
use yaji_app::AppError;

use super::pages::{field, with_notice, Form};
use super::{Page, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/assistant", get(rules_page).post(new_rule))
        .route("/c/{slug}/assistant/rules/{id}", get(edit_page).post(save_rule))
        .route("/c/{slug}/assistant/rules/{id}/toggle", post(toggle_rule))
        .route("/c/{slug}/assistant/rules/{id}/delete", post(delete_rule))
        .route("/c/{slug}/assistant/templates/{key}", post(enable_template))
        .route("/c/{slug}/assistant/runs", get(runs_page))
        .route("/c/{slug}/assistant/webhooks", get(webhooks_page).post(add_webhook))
        .route("/c/{slug}/assistant/webhooks/{id}/delete", post(delete_webhook))
        .route("/c/{slug}/assistant/checklist", get(progress_page).post(checklist_settings))
        .route("/c/{slug}/calendar", get(calendar_page).post(schedule))
        .route("/c/{slug}/calendar/{id}/cancel", post(cancel))
        .route("/c/{slug}/checklist", get(checklist_page))
        .route("/c/{slug}/checklist/intro", post(introduce))
        .route("/c/{slug}/checklist/opt-out", post(opt_out))
}

const ACTION_SLOTS: usize = 3;
const ROLES: [&str; 4] = ["member", "moderator", "admin", "owner"];

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn commas(s: &str) -> Vec<String> {
    s.split([',', '，']).map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn num(s: &str) -> Value {
    match s.trim() {
        "" => Value::Null,
        n => n.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(n)),
    }
}

/// The rule editor's flat form → the rule's JSON.
fn form_to_rule(f: &Form) -> Value {
    let kind = field(f, "trigger");
    let trigger = match kind {
        "keyword_matched" => json!({"kind": kind, "keywords": lines(field(f, "keywords"))}),
        "member_inactive" => json!({"kind": kind, "days": num(field(f, "days"))}),
        "schedule" => json!({"kind": kind, "cron": field(f, "cron")}),
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
            "notify" | "notify_moderators" => json!({"kind": kind, "message": k("text")}),
            "add_tag" | "remove_tag" => json!({"kind": kind, "tag": k("tag")}),
            "mute" => json!({"kind": kind, "minutes": num(&k("minutes"))}),
            "webhook" => json!({"kind": kind, "webhook_id": num(&k("webhook_id"))}),
            _ => json!({"kind": kind}),
        };
        actions.push(a);
    }
    json!({"name": field(f, "name"), "trigger": trigger, "conditions": conditions, "actions": actions})
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
    f.insert("cron".into(), s(&t["cron"]));
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
                "assistant.html",
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
        let def = parse_rule(&form_to_rule(&f))?;
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
            page.ok("assistant_runs.html", context! { c, rules, runs, status, rule, sub => "runs" })
        }
        Err(e) => page.fail(e),
    }
}

async fn render_webhooks(page: &Page, slug: &str, form: Form, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        Ok::<_, AppError>((
            app.community(Some(v), slug).await?,
            app.webhooks(v, slug).await?,
            app.webhook_deliveries(v, slug).await?,
        ))
    }
    .await;
    match r {
        Ok((c, hooks, deliveries)) => {
            let status = if errors.is_empty() {
                axum::http::StatusCode::OK
            } else {
                axum::http::StatusCode::UNPROCESSABLE_ENTITY
            };
            page.render(status, "webhooks.html", context! { c, hooks, deliveries, form, errors, sub => "webhooks" })
        }
        Err(e) => page.fail(e),
    }
}

async fn webhooks_page(page: Page, Path(slug): Path<String>) -> Response {
    render_webhooks(&page, &slug, Form::new(), HashMap::new()).await
}

async fn add_webhook(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let input = WebhookInput { url: field(&f, "url").to_string(), events: commas(field(&f, "events")) };
    let r = async { page.state.app.create_webhook(page.auth.require()?, &slug, &input).await }.await;
    match r {
        Ok(_) => with_notice(&format!("/c/{slug}/assistant/webhooks"), "saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => render_webhooks(&page, &slug, f, errors).await,
            None => page.fail(e),
        },
    }
}

async fn delete_webhook(page: Page, Path((slug, id)): Path<(String, i64)>) -> Response {
    let r = async { page.state.app.delete_webhook(page.auth.require()?, &slug, id).await }.await;
    page.done(r, |_| format!("/c/{slug}/assistant/webhooks"), "deleted")
}

async fn progress_page(page: Page, Path(slug): Path<String>) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        Ok::<_, AppError>((app.community(Some(v), &slug).await?, app.checklist_progress(v, &slug).await?))
    }
    .await;
    match r {
        Ok((c, members)) => page.ok("checklist_progress.html", context! { c, members, sub => "checklist" }),
        Err(e) => page.fail(e),
    }
}

async fn checklist_settings(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let on = field(&f, "enabled") == "on";
    let topic = Some(field(&f, "intro_topic")).filter(|t| !t.trim().is_empty());
    let r = async { page.state.app.set_checklist(page.auth.require()?, &slug, on, topic).await }.await;
    page.done(r, |_| format!("/c/{slug}/assistant/checklist"), "saved")
}

async fn render_calendar(
    page: &Page,
    slug: &str,
    month: Option<&str>,
    form: Form,
    errors: HashMap<String, String>,
) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        Ok::<_, AppError>((
            app.community(Some(v), slug).await?,
            app.calendar(v, slug, month).await?,
            app.topics(Some(v), slug).await?,
        ))
    }
    .await;
    match r {
        Ok((c, cal, topics)) => {
            let status = if errors.is_empty() {
                axum::http::StatusCode::OK
            } else {
                axum::http::StatusCode::UNPROCESSABLE_ENTITY
            };
            let (y, m) = cal
                .month
                .split_once('-')
                .map(|(y, m)| (y.parse::<i32>().unwrap_or(2026), m.parse::<u32>().unwrap_or(1)))
                .unwrap_or((2026, 1));
            let prev = if m == 1 { format!("{}-12", y - 1) } else { format!("{y}-{:02}", m - 1) };
            let next = if m == 12 { format!("{}-01", y + 1) } else { format!("{y}-{:02}", m + 1) };
            let blanks: Vec<u32> = (0..cal.first_weekday).collect();
            page.render(
                status,
                "calendar.html",
                context! { c, cal, topics, form, errors, prev, next, blanks, sub => "calendar" },
            )
        }
        Err(e) => page.fail(e),
    }
}

async fn calendar_page(page: Page, Path(slug): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    render_calendar(&page, &slug, q.get("month").map(String::as_str), Form::new(), HashMap::new()).await
}

async fn schedule(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let input = ScheduleInput {
        title: Some(field(&f, "title").to_string()).filter(|t| !t.trim().is_empty()),
        body: field(&f, "body").to_string(),
        topic_id: field(&f, "topic_id").trim().parse().ok(),
        publish_at: field(&f, "publish_at").to_string(),
        repeat: Some(field(&f, "repeat").to_string()),
    };
    let r = async { page.state.app.schedule_post(page.auth.require()?, &slug, &input).await }.await;
    match r {
        Ok(_) => with_notice(&format!("/c/{slug}/calendar"), "saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => render_calendar(&page, &slug, None, f, errors).await,
            None => page.fail(e),
        },
    }
}

async fn cancel(page: Page, Path((slug, id)): Path<(String, i64)>) -> Response {
    let r = async { page.state.app.cancel_scheduled(page.auth.require()?, &slug, id).await }.await;
    page.done(r, |_| format!("/c/{slug}/calendar"), "saved")
}

async fn render_checklist(page: &Page, slug: &str, form: Form, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        Ok::<_, AppError>((app.community(Some(v), slug).await?, app.checklist(v, slug).await?))
    }
    .await;
    match r {
        Ok((c, cl)) => {
            let status = if errors.is_empty() {
                axum::http::StatusCode::OK
            } else {
                axum::http::StatusCode::UNPROCESSABLE_ENTITY
            };
            page.render(status, "checklist.html", context! { c, cl, form, errors })
        }
        Err(e) => page.fail(e),
    }
}

async fn checklist_page(page: Page, Path(slug): Path<String>) -> Response {
    render_checklist(&page, &slug, Form::new(), HashMap::new()).await
}

async fn introduce(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let input = IntroInput {
        name: field(&f, "name").to_string(),
        city: field(&f, "city").to_string(),
        occupation: field(&f, "occupation").to_string(),
        hope: field(&f, "hope").to_string(),
    };
    let zh = page.lang != "en";
    let r = async { page.state.app.introduce(page.auth.require()?, &slug, &input, zh).await }.await;
    match r {
        Ok(p) => with_notice(&format!("/p/{}", p.id), "posted"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => render_checklist(&page, &slug, f, errors).await,
            None => page.fail(e),
        },
    }
}

async fn opt_out(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let out = field(&f, "opt_out") == "1";
    let r = async { page.state.app.set_assistant_opt_out(page.auth.require()?, &slug, out).await }.await;
    page.done(r, |_| format!("/c/{slug}/checklist"), "saved")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_editor_form_round_trips_a_rule() {
        let rule = json!({"name": "Nudge", "trigger": {"kind": "member_inactive", "days": 14},
            "conditions": {"roles": ["member"], "tags_any": ["vip", "早鸟"], "tags_none": [], "min_member_days": 3, "max_member_days": null,
                           "text_contains": [], "topics": []},
            "actions": [{"kind": "notify", "message": "{name}: {days_inactive}"}, {"kind": "add_tag", "tag": "quiet"}]});
        let f = rule_to_form(&rule, true);
        let back = form_to_rule(&f);
        let a = parse_rule(&rule).unwrap();
        let b = parse_rule(&back).unwrap();
        assert_eq!(a, b);
    }
}
