//! Notifications: the inbox, email preferences and the one-click
//! unsubscribe endpoint of every email.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::notifications::email::EmailPreferences;
use yaji_app::notifications::NotificationView;

use super::{no_content, ok, ApiResult, Call, Json, Query};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(notifications))
        .routes(routes!(read_notifications))
        .routes(routes!(get_prefs, put_prefs))
        .routes(routes!(unsubscribe))
}

/// Your email address, quiet hours and per-kind modes (off / immediate / daily / weekly).
#[utoipa::path(get, path = "/api/v1/me/email", tag = "notifications",
    responses((status = 200, body = EmailPreferences), (status = 401, body = ErrorBody)))]
async fn get_prefs(c: Call) -> ApiResult<Response> {
    ok(c.app.email_preferences(c.require()?).await?)
}

/// Change them; kinds left out keep their mode.
#[utoipa::path(put, path = "/api/v1/me/email", tag = "notifications", request_body = EmailPreferences,
    responses((status = 200, body = EmailPreferences), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_prefs(c: Call, Json(b): Json<EmailPreferences>) -> ApiResult<Response> {
    ok(c.app.set_email_preferences(c.require()?, &b).await?)
}

#[derive(Deserialize, IntoParams)]
struct UnsubscribeParams {
    /// Member id.
    u: i64,
    /// Notification kind, or `all`.
    k: String,
    /// The token from the email.
    t: String,
}

/// RFC 8058 one-click unsubscribe (the `List-Unsubscribe` header of every email); the token is the credential.
#[utoipa::path(post, path = "/api/v1/unsubscribe", tag = "notifications", params(UnsubscribeParams),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn unsubscribe(State(s): State<AppState>, Query(p): Query<UnsubscribeParams>) -> ApiResult<Response> {
    s.app.unsubscribe(p.u, &p.k, &p.t).await?;
    no_content()
}

/// My notifications (warnings, mutes, removals), newest first.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "notifications",
    responses((status = 200, body = Vec<NotificationView>), (status = 401, body = ErrorBody)))]
async fn notifications(c: Call) -> ApiResult<Response> {
    ok(c.app.notifications(c.require()?).await?)
}

/// Mark all my notifications read.
#[utoipa::path(post, path = "/api/v1/me/notifications/read", tag = "notifications",
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn read_notifications(c: Call) -> ApiResult<Response> {
    c.app.mark_notifications_read(c.require()?).await?;
    no_content()
}
