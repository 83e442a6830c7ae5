//! Polls: reading a post's poll (counts only when the reader may see them)
//! and voting. Polls are created with their post (`"poll"` in the body).

use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::polls::PollView;

use super::{ok, ApiResult, Call, Json, Path};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(poll)).routes(routes!(vote)).routes(routes!(close))
}

/// A post's poll: `{"options": [{"id", "text", "votes"}], "voters"}` with the
/// counts when results are visible to the reader (as the author chose:
/// always, after voting, after the close), null otherwise; ranked polls
/// add the instant-runoff `rounds` and `winner`.
#[utoipa::path(get, path = "/api/v1/posts/{id}/poll", tag = "polls", params(("id" = i64, Path)),
    responses((status = 200, body = PollView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn poll(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.poll(c.viewer(), id).await?)
}

#[derive(Deserialize, ToSchema)]
struct VoteBody {
    /// Option ids; in order of preference for a ranked poll.
    option_ids: Vec<i64>,
}

/// Vote, or change your vote until the close (members). 409 `poll_closed`;
/// 422 `too_many`, `unknown_option`, `duplicate_option`, `required` (field `option_ids`).
#[utoipa::path(post, path = "/api/v1/posts/{id}/poll/votes", tag = "polls", params(("id" = i64, Path)), request_body = VoteBody,
    responses((status = 200, body = PollView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn vote(c: Call, Path(id): Path<i64>, Json(b): Json<VoteBody>) -> ApiResult<Response> {
    ok(c.app.vote_in_poll(c.require()?, id, &b.option_ids).await?)
}

/// Close the poll now (its author or staff): no more votes, results for everyone.
#[utoipa::path(post, path = "/api/v1/posts/{id}/poll/close", tag = "polls", params(("id" = i64, Path)),
    responses((status = 200, body = PollView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn close(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.close_poll_now(c.require()?, id).await?)
}
