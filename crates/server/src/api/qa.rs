//! Q&A: accepting a comment as a question's answer, and undoing it (staff).
//! Questions are asked through the posts endpoint (`"kind": "question"`).

use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::faq::FaqEntryView;
use yaji_app::qa::QaStats;
use yaji_app::views::PostView;

use super::{created, ok, ApiResult, Call, Path, Query};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(accept, unaccept)).routes(routes!(stats)).routes(routes!(faq_entry))
}

#[derive(Deserialize, IntoParams)]
struct StatsParams {
    /// 1-52, default 12
    weeks: Option<i64>,
}

/// Q&A figures (those who read analytics): questions per week, the
/// answered rate, median minutes to the first and to the accepted answer,
/// top answerers.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/qa/stats", tag = "qa", params(("slug" = String, Path), StatsParams),
    responses((status = 200, body = QaStats), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn stats(c: Call, Path(slug): Path<String>, Query(p): Query<StatsParams>) -> ApiResult<Response> {
    ok(c.app.qa_stats(c.require()?, &slug, p.weeks).await?)
}

/// Turn a question and its accepted answer into an FAQ entry (admins).
#[utoipa::path(post, path = "/api/v1/posts/{id}/faq-entry", tag = "qa", params(("id" = i64, Path)),
    responses((status = 201, body = FaqEntryView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn faq_entry(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    created(c.app.faq_from_answer(c.require()?, id).await?)
}

/// Accept this comment as the answer to its question (the asker, or
/// staff): the question's JSON then has `accepted_comment_id`, and the
/// bounty goes to the comment's author. 409 `already_accepted`,
/// `not_a_question`; 422 `own_answer`.
#[utoipa::path(post, path = "/api/v1/comments/{id}/accept", tag = "qa", params(("id" = i64, Path)),
    responses((status = 200, body = PostView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn accept(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.accept_answer(c.require()?, id).await?)
}

/// Take back the accepted answer (staff): its points, and the bounty into
/// escrow again (409 `insufficient_points` if the answerer spent it).
#[utoipa::path(delete, path = "/api/v1/comments/{id}/accept", tag = "qa", params(("id" = i64, Path)),
    responses((status = 200, body = PostView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn unaccept(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.unaccept_answer(c.require()?, id).await?)
}
