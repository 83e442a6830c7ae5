//! Analytics endpoints (admins).

use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::analytics::Dashboard;

use super::{ok, ApiResult, Call, Path, Query};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(dashboard))
}

#[derive(Deserialize, IntoParams)]
struct RangeParams {
    /// First local day, YYYY-MM-DD (default: 29 days before `to`).
    from: Option<String>,
    /// Last local day, YYYY-MM-DD (default: today).
    to: Option<String>,
    /// Time zone for days and weeks (default: the community's).
    tz: Option<String>,
}

/// DAU/WAU/MAU series, stickiness, daily (30×30) and weekly (12×12) retention cohorts.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/analytics", tag = "analytics",
    params(("slug" = String, Path), RangeParams),
    responses((status = 200, body = Dashboard), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn dashboard(c: Call, Path(slug): Path<String>, Query(p): Query<RangeParams>) -> ApiResult<Response> {
    ok(c.app.analytics(c.require()?, &slug, p.from.as_deref(), p.to.as_deref(), p.tz.as_deref()).await?)
}
