//! Automation endpoints: rules (with dry run and run history), built-in
//! templates, the newcomer checklist, member tags, the content calendar and
//! outgoing webhooks.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::automation::{parse_rule, DryRun, RuleView, RunView, TemplateView};
use yaji_app::calendar::{CalendarView, ScheduleInput, ScheduledView};
use yaji_app::membership::TagCount;
use yaji_app::onboarding::{ChecklistProgress, ChecklistView, IntroInput};
use yaji_app::views::PostView;
use yaji_app::webhooks::{DeliveryView, WebhookInput, WebhookView};

use super::{created, no_content, ok, ApiResult, Json, Path, Query};
use crate::auth::Auth;
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
        .routes(routes!(my_checklist, set_checklist))
        .routes(routes!(introduce))
        .routes(routes!(checklist_progress))
        .routes(routes!(opt_out))
        .routes(routes!(tags))
        .routes(routes!(add_tag, remove_tag))
        .routes(routes!(calendar, schedule_post))
        .routes(routes!(cancel_scheduled))
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(delete_webhook))
        .routes(routes!(deliveries))
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

#[derive(Deserialize, IntoParams)]
struct LangParam {
    /// Language of template texts: zh-CN (default) or en.
    locale: Option<String>,
}

impl LangParam {
    fn zh(&self) -> bool {
        !self.locale.as_deref().is_some_and(|l| l.starts_with("en"))
    }
}

/// The community's automation rules (admins).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/automation/rules", tag = "assistant", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<RuleView>), (status = 403, body = ErrorBody)))]
async fn list_rules(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(s.app.automation_rules(auth.require()?, &slug).await?)
}

/// Create a rule: trigger + conditions + actions (admins). Timer rules are armed at once.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/automation/rules", tag = "assistant", params(("slug" = String, Path)),
    request_body = RuleBody,
    responses((status = 201, body = RuleView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_rule(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Json(b): Json<RuleBody>,
) -> ApiResult<Response> {
    let def = parse_rule(&b.rule)?;
    created(s.app.save_rule(auth.require()?, &slug, None, def, b.enabled).await?)
}

#[utoipa::path(get, path = "/api/v1/communities/{slug}/automation/rules/{id}", tag = "assistant",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = RuleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_rule(State(s): State<AppState>, auth: Auth, Path((slug, id)): Path<(String, i64)>) -> ApiResult<Response> {
    ok(s.app.automation_rule(auth.require()?, &slug, id).await?)
}

/// Replace a rule (admins); pending timers of the old version stop.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/automation/rules/{id}", tag = "assistant",
    params(("slug" = String, Path), ("id" = i64, Path)), request_body = RuleBody,
    responses((status = 200, body = RuleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_rule(
    State(s): State<AppState>,
    auth: Auth,
    Path((slug, id)): Path<(String, i64)>,
    Json(b): Json<RuleBody>,
) -> ApiResult<Response> {
    let def = parse_rule(&b.rule)?;
    ok(s.app.save_rule(auth.require()?, &slug, Some(id), def, b.enabled).await?)
}

#[utoipa::path(delete, path = "/api/v1/communities/{slug}/automation/rules/{id}", tag = "assistant",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_rule(
    State(s): State<AppState>,
    auth: Auth,
    Path((slug, id)): Path<(String, i64)>,
) -> ApiResult<Response> {
    s.app.delete_rule(auth.require()?, &slug, id).await?;
    no_content()
}

#[derive(Deserialize, ToSchema)]
struct EnabledBody {
    enabled: bool,
}

/// Switch a rule on or off.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/automation/rules/{id}/enabled", tag = "assistant",
    params(("slug" = String, Path), ("id" = i64, Path)), request_body = EnabledBody,
    responses((status = 200, body = RuleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_enabled(
    State(s): State<AppState>,
    auth: Auth,
    Path((slug, id)): Path<(String, i64)>,
    Json(b): Json<EnabledBody>,
) -> ApiResult<Response> {
    ok(s.app.set_rule_enabled(auth.require()?, &slug, id, b.enabled).await?)
}

/// Dry run: who would this rule (saved or not) reach right now, and what would it say?
#[utoipa::path(post, path = "/api/v1/communities/{slug}/automation/dry-run", tag = "assistant", params(("slug" = String, Path)),
    request_body = RuleBody,
    responses((status = 200, body = DryRun), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn dry_run(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Json(b): Json<RuleBody>,
) -> ApiResult<Response> {
    let def = parse_rule(&b.rule)?;
    ok(s.app.dry_run(auth.require()?, &slug, def).await?)
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
#[utoipa::path(get, path = "/api/v1/communities/{slug}/automation/runs", tag = "assistant",
    params(("slug" = String, Path), RunParams),
    responses((status = 200, body = Vec<RunView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn runs(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Query(p): Query<RunParams>,
) -> ApiResult<Response> {
    ok(s.app.automation_runs(auth.require()?, &slug, p.rule_id, p.status.as_deref(), p.before).await?)
}

/// Built-in templates and whether each is enabled here.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/automation/templates", tag = "assistant",
    params(("slug" = String, Path), LangParam),
    responses((status = 200, body = Vec<TemplateView>), (status = 403, body = ErrorBody)))]
async fn templates(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Query(l): Query<LangParam>,
) -> ApiResult<Response> {
    ok(s.app.automation_templates(auth.require()?, &slug, l.zh()).await?)
}

/// One click: create an enabled rule from a template (then edit it like any rule).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/automation/templates/{key}", tag = "assistant",
    params(("slug" = String, Path), ("key" = String, Path), LangParam),
    responses((status = 201, body = RuleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn enable_template(
    State(s): State<AppState>,
    auth: Auth,
    Path((slug, key)): Path<(String, String)>,
    Query(l): Query<LangParam>,
) -> ApiResult<Response> {
    created(s.app.enable_template(auth.require()?, &slug, &key, l.zh()).await?)
}

/// The signed-in member's newcomer checklist.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/checklist", tag = "assistant", params(("slug" = String, Path)),
    responses((status = 200, body = ChecklistView), (status = 403, body = ErrorBody)))]
async fn my_checklist(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(s.app.checklist(auth.require()?, &slug).await?)
}

#[derive(Deserialize, ToSchema)]
struct ChecklistSettings {
    enabled: bool,
    /// Topic introductions go to (created if missing; default 自我介绍).
    intro_topic: Option<String>,
}

/// Turn the newcomer checklist on or off (admins).
#[utoipa::path(put, path = "/api/v1/communities/{slug}/checklist", tag = "assistant", params(("slug" = String, Path)),
    request_body = ChecklistSettings,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_checklist(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Json(b): Json<ChecklistSettings>,
) -> ApiResult<Response> {
    s.app.set_checklist(auth.require()?, &slug, b.enabled, b.intro_topic.as_deref()).await?;
    no_content()
}

/// Introduce yourself with the template (name, city, occupation, what you hope to get).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/checklist/intro", tag = "assistant",
    params(("slug" = String, Path), LangParam), request_body = IntroInput,
    responses((status = 201, body = PostView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn introduce(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Query(l): Query<LangParam>,
    Json(b): Json<IntroInput>,
) -> ApiResult<Response> {
    created(s.app.introduce(auth.require()?, &slug, &b, l.zh()).await?)
}

/// Checklist progress of the newest 200 members (moderators).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/checklist/progress", tag = "assistant", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<ChecklistProgress>), (status = 403, body = ErrorBody)))]
async fn checklist_progress(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(s.app.checklist_progress(auth.require()?, &slug).await?)
}

#[derive(Deserialize, ToSchema)]
struct OptOutBody {
    opt_out: bool,
}

/// A member turns the assistant's automated messages to them off or on.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/assistant-opt-out", tag = "assistant", params(("slug" = String, Path)),
    request_body = OptOutBody,
    responses((status = 204), (status = 403, body = ErrorBody)))]
async fn opt_out(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Json(b): Json<OptOutBody>,
) -> ApiResult<Response> {
    s.app.set_assistant_opt_out(auth.require()?, &slug, b.opt_out).await?;
    no_content()
}

/// Member tags in use, with counts (moderators).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/tags", tag = "assistant", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<TagCount>), (status = 403, body = ErrorBody)))]
async fn tags(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(s.app.member_tags(auth.require()?, &slug).await?)
}

/// Tag a member (moderators); returns the member's tags.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/members/{username}/tags/{tag}", tag = "assistant",
    params(("slug" = String, Path), ("username" = String, Path), ("tag" = String, Path)),
    responses((status = 200, body = Vec<String>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_tag(
    State(s): State<AppState>,
    auth: Auth,
    Path((slug, username, tag)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    ok(s.app.tag_member(auth.require()?, &slug, &username, &tag, true).await?)
}

/// Remove a member's tag (moderators).
#[utoipa::path(delete, path = "/api/v1/communities/{slug}/members/{username}/tags/{tag}", tag = "assistant",
    params(("slug" = String, Path), ("username" = String, Path), ("tag" = String, Path)),
    responses((status = 200, body = Vec<String>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn remove_tag(
    State(s): State<AppState>,
    auth: Auth,
    Path((slug, username, tag)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    ok(s.app.tag_member(auth.require()?, &slug, &username, &tag, false).await?)
}

#[derive(Deserialize, IntoParams)]
struct MonthParam {
    /// `YYYY-MM`; default this month in the community's time zone.
    month: Option<String>,
}

/// The content calendar: scheduled posts and timer rules of a month (moderators).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/calendar", tag = "assistant", params(("slug" = String, Path), MonthParam),
    responses((status = 200, body = CalendarView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn calendar(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Query(m): Query<MonthParam>,
) -> ApiResult<Response> {
    ok(s.app.calendar(auth.require()?, &slug, m.month.as_deref()).await?)
}

/// Write a post now, publish it later, once or on a repeating schedule (moderators).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/calendar", tag = "assistant", params(("slug" = String, Path)),
    request_body = ScheduleInput,
    responses((status = 201, body = ScheduledView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn schedule_post(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Json(b): Json<ScheduleInput>,
) -> ApiResult<Response> {
    created(s.app.schedule_post(auth.require()?, &slug, &b).await?)
}

/// Cancel a scheduled post.
#[utoipa::path(delete, path = "/api/v1/communities/{slug}/calendar/{id}", tag = "assistant",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel_scheduled(
    State(s): State<AppState>,
    auth: Auth,
    Path((slug, id)): Path<(String, i64)>,
) -> ApiResult<Response> {
    s.app.cancel_scheduled(auth.require()?, &slug, id).await?;
    no_content()
}

/// Outgoing webhooks (admins).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/webhooks", tag = "assistant", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<WebhookView>), (status = 403, body = ErrorBody)))]
async fn list_webhooks(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(s.app.webhooks(auth.require()?, &slug).await?)
}

/// Subscribe a URL to event kinds; the answer carries the signing secret.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/webhooks", tag = "assistant", params(("slug" = String, Path)),
    request_body = WebhookInput,
    responses((status = 201, body = WebhookView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_webhook(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Json(b): Json<WebhookInput>,
) -> ApiResult<Response> {
    created(s.app.create_webhook(auth.require()?, &slug, &b).await?)
}

#[utoipa::path(delete, path = "/api/v1/communities/{slug}/webhooks/{id}", tag = "assistant",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_webhook(
    State(s): State<AppState>,
    auth: Auth,
    Path((slug, id)): Path<(String, i64)>,
) -> ApiResult<Response> {
    s.app.delete_webhook(auth.require()?, &slug, id).await?;
    no_content()
}

/// The delivery log: every attempt with its status, response and error.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/webhooks/deliveries", tag = "assistant", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<DeliveryView>), (status = 403, body = ErrorBody)))]
async fn deliveries(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(s.app.webhook_deliveries(auth.require()?, &slug).await?)
}
