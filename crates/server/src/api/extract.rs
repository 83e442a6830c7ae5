//! Extractors whose rejections use the API error format: malformed JSON is
//! 400, a body of the wrong shape is 422 naming the field, too large is 413.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(r) => Err(json_rejection(r)),
        }
    }
}

/// `Option<Json<T>>`: no body (no Content-Type) is `None`; a body must be valid JSON.
impl<S: Send + Sync, T: DeserializeOwned> axum::extract::OptionalFromRequest<S> for Json<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, ApiError> {
        if !req.headers().contains_key(axum::http::header::CONTENT_TYPE) {
            return Ok(None);
        }
        <Json<T> as FromRequest<S>>::from_request(req, state).await.map(Some)
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    let text = r.body_text();
    match r {
        JsonRejection::JsonDataError(_) => {
            // axum reports "…: <path>: <serde message>"; the path names the field.
            let detail = text.split_once("target type: ").map(|x| x.1).unwrap_or(&text).to_string();
            let (field, msg) = match detail.split_once(": ") {
                Some((f, m)) if !f.contains(' ') => (Some(f.to_string()), m.to_string()),
                _ => (missing_field(&detail), detail.clone()),
            };
            let e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", msg);
            match field {
                Some(f) => e.field(f),
                None => e,
            }
        }
        JsonRejection::JsonSyntaxError(_) => ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", text),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send Content-Type: application/json",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "request body is larger than 1 MB")
        }
        other => ApiError::new(other.status(), "bad_request", text),
    }
}

fn missing_field(msg: &str) -> Option<String> {
    let rest = msg.split("missing field `").nth(1)?;
    Some(rest.split('`').next()?.to_string())
}

pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(r) => Err(path_rejection(r)),
        }
    }
}

fn path_rejection(r: PathRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", r.body_text())
}

pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(r) => Err(query_rejection(r)),
        }
    }
}

fn query_rejection(r: QueryRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", r.body_text())
}

/// What almost every handler needs: the application and who is calling, in
/// one extractor (so a handler's signature names only what is its own: path,
/// query, body).
pub struct Call {
    state: crate::AppState,
    pub auth: crate::auth::Auth,
}

impl Call {
    pub fn viewer(&self) -> Option<yaji_app::accounts::Viewer> {
        self.auth.viewer()
    }
    pub fn require(&self) -> Result<yaji_app::accounts::Viewer, yaji_app::AppError> {
        self.auth.require()
    }
}

impl std::ops::Deref for Call {
    type Target = crate::Shared;
    fn deref(&self) -> &crate::Shared {
        &self.state
    }
}

impl FromRequestParts<crate::AppState> for Call {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &crate::AppState) -> Result<Self, ApiError> {
        let auth = crate::auth::Auth::from_request_parts(parts, state).await?;
        Ok(Call { state: state.clone(), auth })
    }
}
