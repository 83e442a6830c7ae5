//! The content calendar: scheduled and repeating posts.

use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::calendar::{CalendarView, ScheduleInput, ScheduledView};

use super::{created, no_content, ok, ApiResult, Call, Json, Path, Query};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(calendar, schedule_post)).routes(routes!(cancel_scheduled))
}

#[derive(Deserialize, IntoParams)]
struct MonthParam {
    /// `YYYY-MM`; default this month in the community's time zone.
    month: Option<String>,
}

/// The content calendar: scheduled posts and timer rules of a month (moderators).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/calendar", tag = "calendar", params(("slug" = String, Path), MonthParam),
    responses((status = 200, body = CalendarView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn calendar(c: Call, Path(slug): Path<String>, Query(m): Query<MonthParam>) -> ApiResult<Response> {
    ok(c.app.calendar(c.require()?, &slug, m.month.as_deref()).await?)
}

/// Write a post now, publish it later, once or on a repeating schedule (moderators).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/calendar", tag = "calendar", params(("slug" = String, Path)),
    request_body = ScheduleInput,
    responses((status = 201, body = ScheduledView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn schedule_post(c: Call, Path(slug): Path<String>, Json(b): Json<ScheduleInput>) -> ApiResult<Response> {
    created(c.app.schedule_post(c.require()?, &slug, &b).await?)
}

/// Cancel a scheduled post.
#[utoipa::path(delete, path = "/api/v1/communities/{slug}/calendar/{id}", tag = "calendar",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel_scheduled(c: Call, Path((slug, id)): Path<(String, i64)>) -> ApiResult<Response> {
    c.app.cancel_scheduled(c.require()?, &slug, id).await?;
    no_content()
}
