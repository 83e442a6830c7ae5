//! Segments endpoints (moderators and up): saved groups of members, their
//! members page by page, a preview of a rule before saving it, and bulk
//! actions on everyone in a segment.

use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::segments::{SegmentAction, SegmentMembers, SegmentOutcome, SegmentView};
use yaji_domain::segments::SegmentRule;

use super::{created, no_content, ok, ApiResult, Call, Json, Path, Query};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list, create))
        .routes(routes!(get_one, update, delete))
        .routes(routes!(members))
        .routes(routes!(preview))
        .routes(routes!(act))
}

#[derive(Deserialize, IntoParams)]
struct PageParams {
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Members per page, 1-200 (default 50).
    limit: Option<u32>,
    /// `csv`: every member (up to 50,000) as a download.
    format: Option<String>,
}

/// A segment: a name and its conditions, all of which must hold. `rule` has
/// `tags_any`, `tags_none`, `roles` (lists), `min_level`, `min_points`,
/// `joined_within_days`, `joined_before_days`, `active_within_days`,
/// `inactive_days` (numbers, each optional).
#[derive(Deserialize, ToSchema)]
struct SegmentBody {
    name: String,
    #[schema(value_type = Object)]
    #[serde(default)]
    rule: SegmentRule,
}

/// The community's saved segments with how many members each holds now.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/segments", tag = "segments",
    params(("slug" = String, Path)),
    responses((status = 200, body = Vec<SegmentView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.segments(c.require()?, &slug).await?)
}

/// Save a segment. A name already used in the community is a 409.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/segments", tag = "segments",
    params(("slug" = String, Path)), request_body = SegmentBody,
    responses((status = 201, body = SegmentView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(c: Call, Path(slug): Path<String>, Json(b): Json<SegmentBody>) -> ApiResult<Response> {
    created(c.app.save_segment(c.require()?, &slug, None, &b.name, b.rule).await?)
}

#[utoipa::path(get, path = "/api/v1/communities/{slug}/segments/{id}", tag = "segments",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = SegmentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_one(c: Call, Path((slug, id)): Path<(String, i64)>) -> ApiResult<Response> {
    ok(c.app.segment(c.require()?, &slug, id).await?)
}

/// Rename or redefine a segment.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/segments/{id}", tag = "segments",
    params(("slug" = String, Path), ("id" = i64, Path)), request_body = SegmentBody,
    responses((status = 200, body = SegmentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(c: Call, Path((slug, id)): Path<(String, i64)>, Json(b): Json<SegmentBody>) -> ApiResult<Response> {
    ok(c.app.save_segment(c.require()?, &slug, Some(id), &b.name, b.rule).await?)
}

#[utoipa::path(delete, path = "/api/v1/communities/{slug}/segments/{id}", tag = "segments",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete(c: Call, Path((slug, id)): Path<(String, i64)>) -> ApiResult<Response> {
    c.app.delete_segment(c.require()?, &slug, id).await?;
    no_content()
}

/// The segment's members now, by user id, page by page (or all as CSV).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/segments/{id}/members", tag = "segments",
    params(("slug" = String, Path), ("id" = i64, Path), PageParams),
    responses((status = 200, body = SegmentMembers), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn members(c: Call, Path((slug, id)): Path<(String, i64)>, Query(p): Query<PageParams>) -> ApiResult<Response> {
    if p.format.as_deref() == Some("csv") {
        let body = c.app.segment_csv(c.require()?, &slug, id).await?;
        return Ok(crate::download::csv(&format!("{slug}-segment-{id}.csv"), body));
    }
    ok(c.app.segment_members(c.require()?, &slug, id, p.cursor.as_deref(), p.limit).await?)
}

/// Who a rule would hold, before saving it: the count and a first page.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/segments/preview", tag = "segments",
    params(("slug" = String, Path), PageParams), request_body = Object,
    responses((status = 200, body = SegmentMembers), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn preview(
    c: Call,
    Path(slug): Path<String>,
    Query(p): Query<PageParams>,
    Json(rule): Json<SegmentRule>,
) -> ApiResult<Response> {
    ok(c.app.preview_segment(c.require()?, &slug, rule, p.cursor.as_deref(), p.limit).await?)
}

/// A bulk action: `{"action": "tag"|"untag", "tag"}`, `{"action": "award",
/// "amount", "reason"}`, `{"action": "message", "text"}` (members
/// who turned community messages off are skipped) or `{"action": "invite",
/// "event_id", "note"}` (an invitation to a gathering; members already
/// registered, outside its audience or with invitations off are skipped),
/// with `expected`: the count
/// the operator saw; if the segment holds a different number now, nothing is
/// done and the answer is 409 `segment_changed`.
#[derive(Deserialize, ToSchema)]
struct ActBody {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    action: SegmentAction,
    expected: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/communities/{slug}/segments/{id}/actions", tag = "segments",
    params(("slug" = String, Path), ("id" = i64, Path)), request_body = ActBody,
    responses((status = 200, body = SegmentOutcome), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn act(c: Call, Path((slug, id)): Path<(String, i64)>, Json(b): Json<ActBody>) -> ApiResult<Response> {
    ok(c.app.act_on_segment(c.require()?, &slug, id, b.action, b.expected).await?)
}
