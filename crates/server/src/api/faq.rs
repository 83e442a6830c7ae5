//! FAQ endpoints: entries with their answer counts and feedback, settings,
//! unanswered questions, and the asker's "did this help?".

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::faq::{FaqEntryView, FaqInput, FaqSettings, UnansweredView};

use super::{created, no_content, ok, ApiResult, Json, Path};
use crate::auth::Auth;
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_entries, create_entry))
        .routes(routes!(update_entry, delete_entry))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(unanswered))
        .routes(routes!(feedback))
}

/// The community's FAQ, with how often each entry answered and whether it helped (moderators).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/faq", tag = "faq", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<FaqEntryView>), (status = 403, body = ErrorBody)))]
async fn list_entries(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(s.app.faq_entries(auth.require()?, &slug).await?)
}

/// Add an FAQ entry: several phrasings, one answer (admins).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/faq", tag = "faq", params(("slug" = String, Path)),
    request_body = FaqInput,
    responses((status = 201, body = FaqEntryView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_entry(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Json(b): Json<FaqInput>,
) -> ApiResult<Response> {
    created(s.app.create_faq_entry(auth.require()?, &slug, &b).await?)
}

/// Replace an FAQ entry (admins).
#[utoipa::path(put, path = "/api/v1/faq/{id}", tag = "faq", params(("id" = i64, Path)), request_body = FaqInput,
    responses((status = 200, body = FaqEntryView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_entry(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(b): Json<FaqInput>,
) -> ApiResult<Response> {
    ok(s.app.update_faq_entry(auth.require()?, id, &b).await?)
}

/// Delete an FAQ entry (admins).
#[utoipa::path(delete, path = "/api/v1/faq/{id}", tag = "faq", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_entry(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Response> {
    s.app.delete_faq_entry(auth.require()?, id).await?;
    no_content()
}

/// The confidence threshold and the unanswered-question delay.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/faq/settings", tag = "faq", params(("slug" = String, Path)),
    responses((status = 200, body = FaqSettings), (status = 403, body = ErrorBody)))]
async fn get_settings(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(s.app.faq_settings(auth.require()?, &slug).await?)
}

/// Change the threshold (0.1-1.0) and the delay before moderators hear of unanswered questions (admins).
#[utoipa::path(put, path = "/api/v1/communities/{slug}/faq/settings", tag = "faq", params(("slug" = String, Path)),
    request_body = FaqSettings,
    responses((status = 200, body = FaqSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_settings(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Json(b): Json<FaqSettings>,
) -> ApiResult<Response> {
    ok(s.app.set_faq_settings(auth.require()?, &slug, &b).await?)
}

/// Questions the FAQ could not answer and no member has answered yet, oldest first.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/faq/unanswered", tag = "faq", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<UnansweredView>), (status = 403, body = ErrorBody)))]
async fn unanswered(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(s.app.faq_unanswered(auth.require()?, &slug).await?)
}

#[derive(Deserialize, ToSchema)]
struct FeedbackBody {
    helpful: bool,
}

/// The asker says whether an automatic answer helped.
#[utoipa::path(post, path = "/api/v1/faq-replies/{id}/feedback", tag = "faq", params(("id" = i64, Path)),
    request_body = FeedbackBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn feedback(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(b): Json<FeedbackBody>,
) -> ApiResult<Response> {
    s.app.faq_feedback(auth.require()?, id, b.helpful).await?;
    no_content()
}
