//! Member-voted awards: staff open a vote among nominees, members vote
//! (one vote each, changeable until the close), the tally shows after it.

use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::awards::AwardView;

use super::{created, ok, ApiResult, Call, Json, Path};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list, open)).routes(routes!(get_one)).routes(routes!(vote))
}

/// The community's awards, newest first; votes per nominee once closed.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/awards", tag = "points",
    params(("slug" = String, Path)),
    responses((status = 200, body = Vec<AwardView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.awards(c.viewer(), &slug).await?)
}

#[derive(Deserialize, ToSchema)]
struct OpenBody {
    /// e.g. "本月最佳嘉宾", 1-60 characters.
    title: String,
    /// 2-12 members, by username.
    nominees: Vec<String>,
    /// Local date and time in the community's time zone, within 90 days: "2026-12-31T20:00".
    closes_at: String,
}

/// Open a vote (moderators and up).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/awards", tag = "points",
    params(("slug" = String, Path)), request_body = OpenBody,
    responses((status = 201, body = AwardView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn open(c: Call, Path(slug): Path<String>, Json(b): Json<OpenBody>) -> ApiResult<Response> {
    created(c.app.open_award(c.require()?, &slug, &b.title, &b.nominees, &b.closes_at).await?)
}

#[utoipa::path(get, path = "/api/v1/communities/{slug}/awards/{id}", tag = "points",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = AwardView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_one(c: Call, Path((slug, id)): Path<(String, i64)>) -> ApiResult<Response> {
    ok(c.app.award(c.viewer(), &slug, id).await?)
}

#[derive(Deserialize, ToSchema)]
struct VoteBody {
    /// The nominee's username.
    nominee: String,
}

/// Vote, or change your vote, while the vote is open (members); 409
/// `award_closed` after.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/awards/{id}/vote", tag = "points",
    params(("slug" = String, Path), ("id" = i64, Path)), request_body = VoteBody,
    responses((status = 200, body = AwardView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn vote(c: Call, Path((slug, id)): Path<(String, i64)>, Json(b): Json<VoteBody>) -> ApiResult<Response> {
    ok(c.app.vote(c.require()?, &slug, id, &b.nominee).await?)
}
