//! Gated topics: admins set who may read and who may post in a topic.

use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::views::TopicView;
use yaji_domain::content::TopicAccess;

use super::{ok, ApiResult, Call, Json, Path};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(set_access))
}

/// Set a topic's gates (admins): `{"read_min_level", "read_tag",
/// "post_min_level", "post_tag"}`, each optional. A level (1-based, by the
/// community's points levels) or a tag opens a gate; staff always pass.
/// Members who do not pass the read gate get 403 `topic_locked` on the
/// topic's posts, and feeds list them without an excerpt; posting or
/// commenting needs both gates open.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/topics/{id}/access", tag = "communities",
    params(("slug" = String, Path), ("id" = i64, Path)), request_body = Object,
    responses((status = 200, body = TopicView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_access(c: Call, Path((slug, id)): Path<(String, i64)>, Json(b): Json<TopicAccess>) -> ApiResult<Response> {
    ok(c.app.set_topic_access(c.require()?, &slug, id, b).await?)
}
