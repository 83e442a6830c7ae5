//! Form helpers every page module uses: the form as a map, its fields,
//! numbers, and the redirect that ends a POST.

use std::collections::HashMap;

use axum::response::{IntoResponse, Redirect, Response};
use yaji_app::AppError;

pub(super) fn to(path: &str) -> Response {
    Redirect::to(path).into_response()
}

pub(super) fn with_notice(path: &str, notice: &str) -> Response {
    to(&super::notice_url(path, notice))
}

pub(super) type Form = HashMap<String, String>;

/// A form whose fields repeat (ticked boxes), in the order sent.
pub(super) type Pairs = Vec<(String, String)>;

/// The first value of `k` in a repeating form, or "".
pub(super) fn first<'a>(f: &'a Pairs, k: &str) -> &'a str {
    f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// Every value of `k` in a repeating form.
pub(super) fn all<'a>(f: &'a Pairs, k: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    f.iter().filter(move |(n, _)| n == k).map(|(_, v)| v.as_str())
}

pub(super) fn field<'a>(f: &'a Form, k: &str) -> &'a str {
    f.get(k).map(String::as_str).unwrap_or("")
}

pub(super) fn opt_i64(f: &Form, k: &'static str) -> Result<Option<i64>, AppError> {
    match field(f, k).trim() {
        "" => Ok(None),
        s => s
            .parse()
            .map(Some)
            .map_err(|_| yaji_domain::error::invalid(k, "invalid_number", format!("{k} must be a number")).into()),
    }
}

/// Non-blank lines, trimmed.
pub(super) fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// Comma-separated items (ASCII or full-width commas), trimmed, non-empty.
pub(super) fn commas(s: &str) -> Vec<String> {
    s.split([',', '，']).map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// Where to go after logging in or switching language: a path on this site,
/// else `/`. The target is parsed as a browser would read it (tabs and
/// newlines dropped, `\\` as `/`, control characters escaped) against a
/// placeholder origin, and kept only if it stays on that origin.
pub(super) fn safe_next(next: Option<&str>) -> String {
    let Some(next) = next.filter(|n| n.starts_with('/')) else { return "/".into() };
    let base = url::Url::parse("http://yaji.invalid/").expect("a valid base");
    match base.join(next) {
        Ok(u) if u.origin() == base.origin() => u[url::Position::BeforePath..].to_string(),
        _ => "/".into(),
    }
}
