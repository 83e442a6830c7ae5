//! FAQ endpoints: entries with their answer counts and feedback, settings,
//! unanswered questions, and the asker's "did this help?".

use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::faq::{FaqEntryView, FaqInput, FaqSettings, UnansweredView};

use super::{created, no_content, ok, ApiResult, Call, Json, Path};
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
async fn list_entries(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.faq_entries(c.require()?, &slug).await?)
}

/// Add an FAQ entry: several phrasings, one answer (admins).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/faq", tag = "faq", params(("slug" = String, Path)),
    request_body = FaqInput,
    responses((status = 201, body = FaqEntryView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_entry(c: Call, Path(slug): Path<String>, Json(b): Json<FaqInput>) -> ApiResult<Response> {
    created(c.app.create_faq_entry(c.require()?, &slug, &b).await?)
}

/// Replace an FAQ entry (admins).
#[utoipa::path(put, path = "/api/v1/faq/{id}", tag = "faq", params(("id" = i64, Path)), request_body = FaqInput,
    responses((status = 200, body = FaqEntryView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_entry(c: Call, Path(id): Path<i64>, Json(b): Json<FaqInput>) -> ApiResult<Response> {
    ok(c.app.update_faq_entry(c.require()?, id, &b).await?)
}

/// Delete an FAQ entry (admins).
#[utoipa::path(delete, path = "/api/v1/faq/{id}", tag = "faq", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_entry(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    c.app.delete_faq_entry(c.require()?, id).await?;
    no_content()
}

/// The confidence threshold and the unanswered-question delay.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/faq/settings", tag = "faq", params(("slug" = String, Path)),
    responses((status = 200, body = FaqSettings), (status = 403, body = ErrorBody)))]
async fn get_settings(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.faq_settings(c.require()?, &slug).await?)
}

/// Change the threshold (0.1-1.0) and the delay before moderators hear of unanswered questions (admins).
#[utoipa::path(put, path = "/api/v1/communities/{slug}/faq/settings", tag = "faq", params(("slug" = String, Path)),
    request_body = FaqSettings,
    responses((status = 200, body = FaqSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_settings(c: Call, Path(slug): Path<String>, Json(b): Json<FaqSettings>) -> ApiResult<Response> {
    ok(c.app.set_faq_settings(c.require()?, &slug, &b).await?)
}

/// Questions the FAQ could not answer and no member has answered yet, oldest first.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/faq/unanswered", tag = "faq", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<UnansweredView>), (status = 403, body = ErrorBody)))]
async fn unanswered(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.faq_unanswered(c.require()?, &slug).await?)
}

#[derive(Deserialize, ToSchema)]
struct FeedbackBody {
    helpful: bool,
}

/// The asker says whether an automatic answer helped.
#[utoipa::path(post, path = "/api/v1/faq-replies/{id}/feedback", tag = "faq", params(("id" = i64, Path)),
    request_body = FeedbackBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn feedback(c: Call, Path(id): Path<i64>, Json(b): Json<FeedbackBody>) -> ApiResult<Response> {
    c.app.faq_feedback(c.require()?, id, b.helpful).await?;
    no_content()
}
