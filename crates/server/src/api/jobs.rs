//! The job queue for site administrators: the dead-letter list and retries.

use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::platform::jobs::JobView;

use super::{no_content, ok, ApiResult, Call, Path, Query};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_jobs)).routes(routes!(retry_job))
}

#[derive(Deserialize, IntoParams)]
struct JobParams {
    /// dead (default: the dead-letter list), queued, running or done
    status: Option<String>,
}

/// Background jobs by status (site administrators).
#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "jobs", params(JobParams),
    responses((status = 200, body = Vec<JobView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_jobs(c: Call, Query(p): Query<JobParams>) -> ApiResult<Response> {
    ok(c.app.jobs(c.require()?, p.status.as_deref().unwrap_or("dead")).await?)
}

/// Put a dead job back in the queue with fresh attempts.
#[utoipa::path(post, path = "/api/v1/admin/jobs/{id}/retry", tag = "jobs", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn retry_job(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    c.app.retry_job(c.require()?, id).await?;
    no_content()
}
