//! The JSON API under `/api/v1`. Every handler is an adapter: parse the
//! request, call one use case, serialize the view. The OpenAPI document is
//! generated from these handlers and their types.

pub mod accounts;
pub mod analytics;
pub mod automation;
pub mod awards;
pub mod badges;
pub mod calendar;
pub mod challenges;
pub mod communities;
pub mod content;
mod extract;
pub mod faq;
pub mod gatherings;
pub mod jobs;
pub mod lotteries;
pub mod membership;
pub mod moderation;
pub mod notifications;
pub mod onboarding;
pub mod points;
pub mod polls;
pub mod profiles;
pub mod qa;
pub mod segments;
pub mod topic_access;
pub mod venues;
pub mod webhooks;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

pub use extract::{Call, Json, Path, Query};

use crate::auth::SESSION_COOKIE;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

type ApiResult<T> = Result<T, ApiError>;

fn ok<T: serde::Serialize>(v: T) -> ApiResult<Response> {
    Ok(axum::Json(v).into_response())
}

/// A body the app already serialized (its anonymous page cache).
fn json_bytes(json: axum::body::Bytes) -> ApiResult<Response> {
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], json).into_response())
}

fn created<T: serde::Serialize>(v: T) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, axum::Json(v)).into_response())
}

fn no_content() -> ApiResult<Response> {
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Yaji API", version = "1", description = "Yaji (雅集) community platform API. Authenticate with `Authorization: Bearer <token>` (create one at /settings/tokens or with `yaji admin create-token`), or with the session cookie plus an `X-CSRF-Token` header on writes."),
    modifiers(&SecurityAddon),
    components(schemas(ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
struct ApiDoc;

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))));
    }
}

/// What each capability's module exports: its routes added to the router.
type Routes = fn(OpenApiRouter<AppState>) -> OpenApiRouter<AppState>;

/// The one registration point of the JSON API: each capability's routes.
/// A new capability adds its module above and one line here.
pub fn router() -> OpenApiRouter<AppState> {
    let capabilities: &[Routes] = &[
        accounts::routes,
        communities::routes,
        membership::routes,
        content::routes,
        moderation::routes,
        notifications::routes,
        automation::routes,
        onboarding::routes,
        calendar::routes,
        webhooks::routes,
        faq::routes,
        analytics::routes,
        profiles::routes,
        points::routes,
        badges::routes,
        awards::routes,
        challenges::routes,
        lotteries::routes,
        gatherings::routes,
        venues::routes,
        qa::routes,
        polls::routes,
        segments::routes,
        topic_access::routes,
        jobs::routes,
    ];
    capabilities.iter().fold(OpenApiRouter::with_openapi(ApiDoc::openapi()), |r, routes| routes(r))
}

pub async fn openapi_json() -> impl IntoResponse {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let doc = DOC.get_or_init(|| router().split_for_parts().1.to_pretty_json().unwrap_or_default());
    ([(header::CONTENT_TYPE, "application/json")], doc.as_str())
}

/// `?locale=` for endpoints that return texts in a language (templates).
#[derive(Deserialize, IntoParams)]
struct LangParam {
    /// Language of template texts: zh-CN (default) or en.
    locale: Option<String>,
}

impl LangParam {
    fn zh(&self) -> bool {
        !self.locale.as_deref().is_some_and(|l| l.starts_with("en"))
    }
}
