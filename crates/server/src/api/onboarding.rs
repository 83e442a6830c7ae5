//! Onboarding: the newcomer checklist, introductions and the "no assistant
//! messages" switch.

use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::onboarding::{ChecklistProgress, ChecklistView, IntroInput, SetupGuide};
use yaji_app::views::PostView;

use super::{created, no_content, ok, ApiResult, Call, Json, LangParam, Path, Query};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(my_checklist, set_checklist))
        .routes(routes!(introduce))
        .routes(routes!(checklist_progress))
        .routes(routes!(opt_out))
        .routes(routes!(setup_guide))
        .routes(routes!(dismiss_setup_guide))
}

/// What a new community still lacks (staff who edit settings; null when
/// nothing is left, the guide was hidden, or the community is past its first month).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/setup-guide", tag = "onboarding", params(("slug" = String, Path)),
    responses((status = 200, body = Option<SetupGuide>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn setup_guide(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.setup_guide(c.require()?, &slug).await?)
}

/// Hide the setup guide for all staff (admins).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/setup-guide/dismiss", tag = "onboarding", params(("slug" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody)))]
async fn dismiss_setup_guide(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    c.app.dismiss_setup_guide(c.require()?, &slug).await?;
    no_content()
}

/// The signed-in member's newcomer checklist.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/checklist", tag = "onboarding", params(("slug" = String, Path)),
    responses((status = 200, body = ChecklistView), (status = 403, body = ErrorBody)))]
async fn my_checklist(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.checklist(c.require()?, &slug).await?)
}

#[derive(Deserialize, ToSchema)]
struct ChecklistSettings {
    enabled: bool,
    /// Topic introductions go to (created if missing; default 自我介绍).
    intro_topic: Option<String>,
}

/// Turn the newcomer checklist on or off (admins).
#[utoipa::path(put, path = "/api/v1/communities/{slug}/checklist", tag = "onboarding", params(("slug" = String, Path)),
    request_body = ChecklistSettings,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_checklist(c: Call, Path(slug): Path<String>, Json(b): Json<ChecklistSettings>) -> ApiResult<Response> {
    c.app.set_checklist(c.require()?, &slug, b.enabled, b.intro_topic.as_deref()).await?;
    no_content()
}

/// Introduce yourself with the template (name, city, occupation, what you hope to get).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/checklist/intro", tag = "onboarding",
    params(("slug" = String, Path), LangParam), request_body = IntroInput,
    responses((status = 201, body = PostView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn introduce(
    c: Call,
    Path(slug): Path<String>,
    Query(l): Query<LangParam>,
    Json(b): Json<IntroInput>,
) -> ApiResult<Response> {
    created(c.app.introduce(c.require()?, &slug, &b, l.zh()).await?)
}

/// Checklist progress of the newest 200 members (moderators).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/checklist/progress", tag = "onboarding", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<ChecklistProgress>), (status = 403, body = ErrorBody)))]
async fn checklist_progress(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.checklist_progress(c.require()?, &slug).await?)
}

#[derive(Deserialize, ToSchema)]
struct OptOutBody {
    opt_out: bool,
}

/// A member turns the assistant's automated messages to them off or on.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/assistant-opt-out", tag = "onboarding", params(("slug" = String, Path)),
    request_body = OptOutBody,
    responses((status = 204), (status = 403, body = ErrorBody)))]
async fn opt_out(c: Call, Path(slug): Path<String>, Json(b): Json<OptOutBody>) -> ApiResult<Response> {
    c.app.set_assistant_opt_out(c.require()?, &slug, b.opt_out).await?;
    no_content()
}
