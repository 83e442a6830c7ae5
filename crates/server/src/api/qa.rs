//! Q&A: accepting a comment as a question's answer, and undoing it (staff).
//! Questions are asked through the posts endpoint (`"kind": "question"`).

use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::views::PostView;

use super::{ok, ApiResult, Call, Path};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(accept, unaccept))
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
