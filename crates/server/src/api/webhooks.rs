//! Outgoing webhooks and their delivery log.

use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::webhooks::{DeliveryView, WebhookInput, WebhookView};

use super::{created, no_content, ok, ApiResult, Call, Json, Path};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_webhooks, create_webhook)).routes(routes!(delete_webhook)).routes(routes!(deliveries))
}

/// Outgoing webhooks (admins).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/webhooks", tag = "webhooks", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<WebhookView>), (status = 403, body = ErrorBody)))]
async fn list_webhooks(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.webhooks(c.require()?, &slug).await?)
}

/// Subscribe a URL to event kinds; the answer carries the signing secret.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/webhooks", tag = "webhooks", params(("slug" = String, Path)),
    request_body = WebhookInput,
    responses((status = 201, body = WebhookView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_webhook(c: Call, Path(slug): Path<String>, Json(b): Json<WebhookInput>) -> ApiResult<Response> {
    created(c.app.create_webhook(c.require()?, &slug, &b).await?)
}

#[utoipa::path(delete, path = "/api/v1/communities/{slug}/webhooks/{id}", tag = "webhooks",
    params(("slug" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_webhook(c: Call, Path((slug, id)): Path<(String, i64)>) -> ApiResult<Response> {
    c.app.delete_webhook(c.require()?, &slug, id).await?;
    no_content()
}

/// The delivery log: every attempt with its status, response and error.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/webhooks/deliveries", tag = "webhooks", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<DeliveryView>), (status = 403, body = ErrorBody)))]
async fn deliveries(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.webhook_deliveries(c.require()?, &slug).await?)
}
