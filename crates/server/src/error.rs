//! The API's one error type: `{"error": {"code", "message", "field"}}` with
//! the right status. Internal errors are logged with detail and answered with
//! a generic message.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use yaji_app::AppError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub field: Option<String>,
    pub retry_after: Option<u64>,
    pub conflicts: Option<Vec<TakenRange>>,
}

/// A range that is taken (a booking's conflict).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TakenRange {
    pub starts_at: String,
    pub ends_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `slug_taken`, `too_long`, `members_only`.
    pub code: String,
    /// Human-readable explanation (English).
    pub message: String,
    /// The input field at fault, when there is one.
    pub field: Option<String>,
    /// For `booking_conflict`: the ranges already taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicts: Option<Vec<TakenRange>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError { status, code: code.into(), message: message.into(), field: None, retry_after: None, conflicts: None }
    }
    pub fn field(mut self, f: impl Into<String>) -> Self {
        self.field = Some(f.into());
        self
    }
    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(f) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, f.code, f.message).field(f.field),
            AppError::Unauthenticated => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "sign in or send a bearer token")
            }
            AppError::BadCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "invalid username or password")
            }
            AppError::Forbidden { code, message } => ApiError::new(StatusCode::FORBIDDEN, code, message),
            AppError::NotFound(what) => ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found")),
            AppError::Conflict { code, field, message } => {
                let e = ApiError::new(StatusCode::CONFLICT, code, message);
                match field {
                    Some(f) => e.field(f),
                    None => e,
                }
            }
            AppError::Taken { message, ranges } => ApiError {
                conflicts: Some(
                    ranges.into_iter().map(|(starts_at, ends_at)| TakenRange { starts_at, ends_at }).collect(),
                ),
                ..ApiError::new(StatusCode::CONFLICT, "booking_conflict", message).field("starts_at")
            },
            AppError::RateLimited { retry_after_secs } => ApiError {
                retry_after: Some(retry_after_secs),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("too many attempts; retry in {retry_after_secs} s"),
                )
            },
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail { code: self.code, message: self.message, field: self.field, conflicts: self.conflicts },
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        res
    }
}

/// JSON 404 for unknown API paths.
pub fn not_found_json() -> axum::response::Response {
    ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "no such API endpoint").into_response()
}
