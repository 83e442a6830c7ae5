//! Automation endpoints: rules (with dry run and run history), built-in
//! templates, the newcomer checklist, member tags, the content calendar and
//! outgoing webhooks.

use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::automation::{parse_rule, DryRun, RuleView, RunView, TemplateView};

use super::{created, no_content, ok, ApiResult, Call, Json, LangParam, Path, Query};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_rules, create_rule))
        .routes(routes!(get_rule, update_rule, delete_rule))
        .routes(routes!(set_enabled))
        .routes(routes!(dry_run))
        .routes(routes!(runs))
        .routes(routes!(templates))
        .routes(routes!(enable_template))
}

/// A rule as JSON: `{"name", "trigger": {"kind", ...}, "conditions": {...}, "actions": [{"kind", ...}], "enabled"}`.
#[derive(Deserialize, ToSchema)]
struct RuleBody {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    rule: serde_json::Value,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

/// The community's automation rules (admins).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/automation/rules", tag = "automation", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<RuleView>), (status = 403, body = ErrorBody)))]
async fn list_rules(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.automation_rules(c.require()?, &slug).await?)
}

/// Create a rule: trigger + conditions + actions (admins). Timer rules are armed at once.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/automation/rules", tag = "automation", params(("slug" = String, Path)),
    request_body = RuleBody,
    responses((status = 201, body = RuleView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_rule(c: Call, Path(slug): Path<String>, Json(b): Json<RuleBody>) -> ApiResult<Response> {
    let def = parse_rule(&b.rule)?;
    created(c.app.save_rule(c.require()?, &slug, None, def, b.enabled).await?)
}

#[utoipa::path(get, path = "/api/v1/communities/{slug}/automation/rules/{id}", tag = "automation",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = RuleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_rule(c: Call, Path((slug, id)): Path<(String, i64)>) -> ApiResult<Response> {
    ok(c.app.automation_rule(c.require()?, &slug, id).await?)
}

/// Replace a rule (admins); pending timers of the old version stop.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/automation/rules/{id}", tag = "automation",
    params(("slug" = String, Path), ("id" = i64, Path)), request_body = RuleBody,
    responses((status = 200, body = RuleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_rule(c: Call, Path((slug, id)): Path<(String, i64)>, Json(b): Json<RuleBody>) -> ApiResult<Response> {
    let def = parse_rule(&b.rule)?;
    ok(c.app.save_rule(c.require()?, &slug, Some(id), def, b.enabled).await?)
}

#[utoipa::path(delete, path = "/api/v1/communities/{slug}/automation/rules/{id}", tag = "automation",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_rule(c: Call, Path((slug, id)): Path<(String, i64)>) -> ApiResult<Response> {
    c.app.delete_rule(c.require()?, &slug, id).await?;
    no_content()
}

#[derive(Deserialize, ToSchema)]
struct EnabledBody {
    enabled: bool,
}

/// Switch a rule on or off.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/automation/rules/{id}/enabled", tag = "automation",
    params(("slug" = String, Path), ("id" = i64, Path)), request_body = EnabledBody,
    responses((status = 200, body = RuleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_enabled(
    c: Call,
    Path((slug, id)): Path<(String, i64)>,
    Json(b): Json<EnabledBody>,
) -> ApiResult<Response> {
    ok(c.app.set_rule_enabled(c.require()?, &slug, id, b.enabled).await?)
}

/// Dry run: who would this rule (saved or not) reach right now, and what would it say?
#[utoipa::path(post, path = "/api/v1/communities/{slug}/automation/dry-run", tag = "automation", params(("slug" = String, Path)),
    request_body = RuleBody,
    responses((status = 200, body = DryRun), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn dry_run(c: Call, Path(slug): Path<String>, Json(b): Json<RuleBody>) -> ApiResult<Response> {
    let def = parse_rule(&b.rule)?;
    ok(c.app.dry_run(c.require()?, &slug, def).await?)
}

#[derive(Deserialize, IntoParams)]
struct RunParams {
    rule_id: Option<i64>,
    /// done | skipped | partial | failed
    status: Option<String>,
    /// Runs older than this id (paging).
    before: Option<i64>,
}

/// Run history: every firing with its trigger, recipients, outcome and error, newest first.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/automation/runs", tag = "automation",
    params(("slug" = String, Path), RunParams),
    responses((status = 200, body = Vec<RunView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn runs(c: Call, Path(slug): Path<String>, Query(p): Query<RunParams>) -> ApiResult<Response> {
    ok(c.app.automation_runs(c.require()?, &slug, p.rule_id, p.status.as_deref(), p.before).await?)
}

/// Built-in templates and whether each is enabled here.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/automation/templates", tag = "automation",
    params(("slug" = String, Path), LangParam),
    responses((status = 200, body = Vec<TemplateView>), (status = 403, body = ErrorBody)))]
async fn templates(c: Call, Path(slug): Path<String>, Query(l): Query<LangParam>) -> ApiResult<Response> {
    ok(c.app.automation_templates(c.require()?, &slug, l.zh()).await?)
}

/// One click: create an enabled rule from a template (then edit it like any rule).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/automation/templates/{key}", tag = "automation",
    params(("slug" = String, Path), ("key" = String, Path), LangParam),
    responses((status = 201, body = RuleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn enable_template(
    c: Call,
    Path((slug, key)): Path<(String, String)>,
    Query(l): Query<LangParam>,
) -> ApiResult<Response> {
    created(c.app.enable_template(c.require()?, &slug, &key, l.zh()).await?)
}
