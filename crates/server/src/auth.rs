//! Authentication and CSRF, in one middleware in front of every route.
//!
//! - `Authorization: Bearer yaji_…` authenticates scripts; no cookies, no CSRF.
//! - The `yaji_session` cookie (HttpOnly, SameSite=Lax) authenticates browsers.
//!   Every state-changing request that relies on it must carry the session's
//!   CSRF token, as the `_csrf` form field or the `X-CSRF-Token` header.
//! - Anonymous web forms (login, sign-up) are protected the same way with the
//!   `yaji_csrf` cookie, so a third-party page cannot log a visitor in.

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use yaji_app::accounts::Viewer;
use yaji_app::views::UserView;

use crate::error::ApiError;
use crate::{AppState, MAX_REQUEST_BYTES};
use yaji_domain::text::is_token_shaped;

pub const SESSION_COOKIE: &str = "yaji_session";
pub const CSRF_COOKIE: &str = "yaji_csrf";
pub const LANG_COOKIE: &str = "yaji_lang";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Anonymous,
    Session { token: String },
    Bearer,
}

/// Who is asking, resolved once per request.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: Option<UserView>,
    pub via: Via,
    /// The token forms must echo: the session's, or the anonymous cookie's.
    pub csrf: String,
    pub client_ip: String,
    pub secure: bool,
    /// The `yaji_lang` cookie, if set.
    pub lang_cookie: Option<String>,
    /// The site's address as the client reached it (`https://host`), for
    /// absolute links in calendar files.
    pub origin: String,
}

impl Auth {
    pub fn viewer(&self) -> Option<Viewer> {
        self.user.as_ref().map(UserView::viewer)
    }
    pub fn require(&self) -> Result<Viewer, yaji_app::AppError> {
        self.viewer().ok_or(yaji_app::AppError::Unauthenticated)
    }
    /// The caller's own session token (kept signed in when they end the others).
    pub fn session_token(&self) -> Option<&str> {
        match &self.via {
            Via::Session { token } => Some(token),
            _ => None,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Auth>()
            .cloned()
            .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "authentication layer missing"))
    }
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn set_cookie(name: &str, value: &str, max_age: i64, http_only: bool, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; Max-Age={max_age}; SameSite=Lax");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    let body = std::str::from_utf8(body).ok()?;
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| percent_encoding::percent_decode_str(&v.replace('+', " ")).decode_utf8_lossy().into_owned())
}

/// Where a browser says a request comes from: `Origin`, else `Referer`.
fn claimed_origin(h: &axum::http::HeaderMap) -> Option<String> {
    h.get(header::ORIGIN).or_else(|| h.get(header::REFERER)).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// The host the client asked for: a trusted proxy's `X-Forwarded-Host`, else `Host`.
fn forwarded_host(h: &axum::http::HeaderMap, from_proxy: bool) -> Option<&str> {
    let fwd = from_proxy.then(|| h.get("x-forwarded-host")).flatten();
    fwd.or_else(|| h.get(header::HOST)).and_then(|v| v.to_str().ok()).map(|v| v.split(',').next().unwrap_or(v).trim())
}

/// Whether `origin` (a URL, or `null`) names the host this request was sent
/// to. The scheme is not compared: a TLS-terminating proxy changes it.
fn same_site(origin: &str, host: Option<&str>) -> bool {
    let (Ok(u), Some(host)) = (url::Url::parse(origin), host) else { return false };
    let Some(h) = u.host_str() else { return false };
    let theirs = match u.port() {
        Some(p) => format!("{h}:{p}"),
        None => h.to_string(),
    };
    let ours = host.to_ascii_lowercase();
    let ours = ours.strip_suffix(":80").or_else(|| ours.strip_suffix(":443")).unwrap_or(&ours);
    theirs.eq_ignore_ascii_case(ours)
}

pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn authenticate(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let peer = parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0);
    let from_proxy = peer.is_some_and(|p| s.cfg.trusted_proxies.contains(p.ip()));
    let ip = crate::net::client_ip(peer, &parts.headers, &s.cfg.trusted_proxies)
        .map(|i| i.to_string())
        .unwrap_or_else(|| "unknown".into());
    let https = from_proxy && parts.headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes() == b"https");
    let secure = s.cfg.secure_cookies || https;
    let is_api = parts.uri.path().starts_with("/api/");

    let mut auth = Auth {
        user: None,
        via: Via::Anonymous,
        csrf: String::new(),
        client_ip: ip,
        secure,
        lang_cookie: cookie(&parts.headers, LANG_COOKIE).map(str::to_string),
        origin: format!(
            "{}://{}",
            if secure { "https" } else { "http" },
            forwarded_host(&parts.headers, from_proxy).unwrap_or("localhost")
        ),
    };
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_string());
    let mut new_csrf_cookie = None;
    if let Some(token) = bearer {
        let user = if is_token_shaped(&token) { s.app.token_user(&token).await } else { Ok(None) };
        match user {
            Ok(Some(u)) => {
                auth.user = Some(u);
                auth.via = Via::Bearer;
            }
            Ok(None) => {
                return ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "the bearer token is unknown or revoked",
                )
                .into_response()
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    } else {
        if let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| is_token_shaped(t)) {
            match s.app.session_user(token).await {
                Ok(Some((u, csrf))) => {
                    auth.user = Some(u);
                    auth.csrf = csrf;
                    auth.via = Via::Session { token: token.to_string() };
                }
                Ok(None) => {}
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
        if auth.via == Via::Anonymous {
            match cookie(&parts.headers, CSRF_COOKIE).filter(|t| is_token_shaped(t)) {
                Some(t) => auth.csrf = t.to_string(),
                None if !is_api => {
                    let t = yaji_app::accounts::random_csrf();
                    auth.csrf = t.clone();
                    new_csrf_cookie = Some(t);
                }
                None => {}
            }
        }
    }

    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    // API calls without a session cookie carry no ambient credential: nothing to forge.
    let needs_csrf =
        unsafe_method && (matches!(auth.via, Via::Session { .. }) || (!is_api && auth.via == Via::Anonymous));
    let body = if needs_csrf {
        // A second line behind the token: a write that says where it comes from
        // must come from this site (a browser always sends Origin on a cross-site POST).
        if let Some(from) = claimed_origin(&parts.headers) {
            let host = forwarded_host(&parts.headers, from_proxy).or_else(|| parts.uri.authority().map(|a| a.as_str()));
            if !same_site(&from, host) {
                let e = ApiError::new(StatusCode::FORBIDDEN, "csrf_failed", "this request comes from another site");
                return if is_api { e.into_response() } else { (s.csrf_page)(&s, &auth, &parts.headers) };
            }
        }
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let (provided, body) = if let Some(h) = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()) {
            (Some(h.to_string()), body)
        } else if is_form {
            let bytes = match to_bytes(body, MAX_REQUEST_BYTES).await {
                Ok(b) => b,
                Err(_) => {
                    return ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "request body is larger than 1 MB",
                    )
                    .into_response()
                }
            };
            (form_field(&bytes, "_csrf"), Body::from(bytes))
        } else {
            (None, body)
        };
        let ok = !auth.csrf.is_empty() && provided.is_some_and(|p| constant_time_eq(&p, &auth.csrf));
        if !ok {
            let e = ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_failed",
                "missing or wrong CSRF token; reload the page and try again",
            );
            return if is_api { e.into_response() } else { (s.csrf_page)(&s, &auth, &parts.headers) };
        }
        body
    } else {
        body
    };
    parts.extensions.insert(auth.clone());
    let mut res = next.run(Request::from_parts(parts, body)).await;
    if let Some(t) = new_csrf_cookie {
        res.headers_mut().append(header::SET_COOKIE, set_cookie(CSRF_COOKIE, &t, 86_400 * 30, true, secure));
    }
    res
}
