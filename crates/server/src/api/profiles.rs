//! Profiles: a member's public page.

use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::views::ProfileView;

use super::{ok, ApiResult, Call, LangParam, Path, Query};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(profile))
}

/// A member's profile: name, avatar, bio, the communities of theirs you may
/// see (with those you share, their level, points and badges there), and
/// their latest posts you may read. Badge names in `locale`.
#[utoipa::path(get, path = "/api/v1/users/{username}", tag = "profiles", params(("username" = String, Path), LangParam),
    responses((status = 200, body = ProfileView), (status = 404, body = ErrorBody)))]
async fn profile(c: Call, Path(username): Path<String>, Query(l): Query<LangParam>) -> ApiResult<Response> {
    ok(c.app.profile(c.viewer(), &username, l.zh()).await?)
}
