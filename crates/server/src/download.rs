//! File downloads both front ends send (CSV exports).

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A CSV document as an attachment named `filename`.
pub(crate) fn csv(filename: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        body,
    )
        .into_response()
}
