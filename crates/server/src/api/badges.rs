//! Badges endpoints: a community's badges (admins define custom ones and
//! turn any off), a member's badges, and staff grants and revocations.

use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::badges::{BadgeView, EarnedBadge};
use yaji_domain::badges::BadgeInput;

use super::{created, no_content, ok, ApiResult, Call, Json, LangParam, Path, Query};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list, create))
        .routes(routes!(update, delete))
        .routes(routes!(set_enabled))
        .routes(routes!(member_badges, grant))
        .routes(routes!(revoke))
}

/// The community's badges, built-in first (names in `locale`).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/badges", tag = "points",
    params(("slug" = String, Path), LangParam),
    responses((status = 200, body = Vec<BadgeView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list(c: Call, Path(slug): Path<String>, Query(l): Query<LangParam>) -> ApiResult<Response> {
    ok(c.app.badges(c.viewer(), &slug, l.zh()).await?)
}

/// A custom badge (admins): `{"name", "description", "icon", "counter", "at_least"}`.
/// With `counter` (posts, comments, essence, points) and `at_least`, members
/// earn it by themselves; without, staff grant it.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/badges", tag = "points",
    params(("slug" = String, Path), LangParam), request_body = Object,
    responses((status = 201, body = BadgeView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    c: Call,
    Path(slug): Path<String>,
    Query(l): Query<LangParam>,
    Json(b): Json<BadgeInput>,
) -> ApiResult<Response> {
    created(c.app.save_badge(c.require()?, &slug, None, b, l.zh()).await?)
}

/// Redefine a custom badge (admins). Built-in badges are turned off, not changed.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/badges/{id}", tag = "points",
    params(("slug" = String, Path), ("id" = i64, Path), LangParam), request_body = Object,
    responses((status = 200, body = BadgeView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(
    c: Call,
    Path((slug, id)): Path<(String, i64)>,
    Query(l): Query<LangParam>,
    Json(b): Json<BadgeInput>,
) -> ApiResult<Response> {
    ok(c.app.save_badge(c.require()?, &slug, Some(id), b, l.zh()).await?)
}

/// Delete a custom badge and every award of it (admins).
#[utoipa::path(delete, path = "/api/v1/communities/{slug}/badges/{id}", tag = "points",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn delete(c: Call, Path((slug, id)): Path<(String, i64)>) -> ApiResult<Response> {
    c.app.delete_badge(c.require()?, &slug, id).await?;
    no_content()
}

#[derive(Deserialize, ToSchema)]
struct EnabledBody {
    enabled: bool,
}

/// Turn a badge on or off (admins): off, no one earns it; holders keep it.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/badges/{id}/enabled", tag = "points",
    params(("slug" = String, Path), ("id" = i64, Path)), request_body = EnabledBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_enabled(
    c: Call,
    Path((slug, id)): Path<(String, i64)>,
    Json(b): Json<EnabledBody>,
) -> ApiResult<Response> {
    c.app.set_badge_enabled(c.require()?, &slug, id, b.enabled).await?;
    no_content()
}

/// The badges a member holds, newest first, with the date each was earned.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/members/{username}/badges", tag = "points",
    params(("slug" = String, Path), ("username" = String, Path), LangParam),
    responses((status = 200, body = Vec<EarnedBadge>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn member_badges(
    c: Call,
    Path((slug, username)): Path<(String, String)>,
    Query(l): Query<LangParam>,
) -> ApiResult<Response> {
    ok(c.app.member_badges(c.viewer(), &slug, &username, l.zh()).await?)
}

#[derive(Deserialize, ToSchema)]
struct GrantBody {
    badge_id: i64,
    /// Why (shown to the member and in the audit log).
    reason: String,
}

/// Grant a custom badge by hand (moderators and up); 409 if already held.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/members/{username}/badges", tag = "points",
    params(("slug" = String, Path), ("username" = String, Path), LangParam), request_body = GrantBody,
    responses((status = 201, body = Vec<EarnedBadge>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn grant(
    c: Call,
    Path((slug, username)): Path<(String, String)>,
    Query(l): Query<LangParam>,
    Json(b): Json<GrantBody>,
) -> ApiResult<Response> {
    let v = c.require()?;
    c.app.grant_badge(v, &slug, &username, b.badge_id, &b.reason).await?;
    created(c.app.member_badges(Some(v), &slug, &username, l.zh()).await?)
}

#[derive(Deserialize, IntoParams)]
struct ReasonParam {
    /// Why it is taken back (audited).
    reason: String,
}

/// Take a badge back (moderators and up), with a reason.
#[utoipa::path(delete, path = "/api/v1/communities/{slug}/members/{username}/badges/{id}", tag = "points",
    params(("slug" = String, Path), ("username" = String, Path), ("id" = i64, Path), ReasonParam),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn revoke(
    c: Call,
    Path((slug, username, id)): Path<(String, String, i64)>,
    Query(p): Query<ReasonParam>,
) -> ApiResult<Response> {
    c.app.revoke_badge(c.require()?, &slug, &username, id, &p.reason).await?;
    no_content()
}
