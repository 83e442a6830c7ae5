//! Yaji's HTTP front ends over one [`yaji_app::App`]: the JSON API under
//! `/api/v1` (documented by a generated OpenAPI document) and the
//! server-rendered web UI. Both are thin adapters; use cases live in the app.

pub mod api;
mod auth;
mod download;
mod error;
mod metrics;
mod net;
mod security;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use yaji_app::App;

pub use auth::Auth;
pub use error::ApiError;
pub use net::TrustedProxies;

/// Largest accepted request body.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// Peers whose `X-Forwarded-For` is believed (reverse proxies).
    pub trusted_proxies: TrustedProxies,
    /// Mark cookies `Secure`. Set when served over HTTPS (also inferred from
    /// `X-Forwarded-Proto: https` sent by a trusted proxy).
    pub secure_cookies: bool,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    pub metrics_token: Option<String>,
    /// Serve `/metrics` only on the separate router of [`routers`] (its own
    /// listen address), not beside the site.
    pub metrics_separate: bool,
}

/// What every handler and middleware gets. axum clones the state for each
/// middleware layer and extractor of every request: one shared counter to
/// bump, not one per field (a dozen atomic increments and decrements per
/// clone, on cache lines every core writes, were ~20 % of a cached page).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub app: App,
    pub cfg: ServerConfig,
    pub metrics: metrics::Metrics,
    pub web: web::Web,
    /// How the authentication layer answers a browser whose CSRF token is
    /// wrong: the web UI's page (wired here so that `auth` imports no front end).
    pub csrf_page: fn(&AppState, &Auth, &axum::http::HeaderMap) -> axum::response::Response,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Builds the whole HTTP application.
pub fn router(app: App, cfg: ServerConfig) -> Router {
    routers(app, cfg).0
}

/// The site, and a router with only `/metrics` for a separate listen address
/// (used when `metrics_separate` is set; both share one set of counters).
pub fn routers(app: App, cfg: ServerConfig) -> (Router, Router) {
    let separate = cfg.metrics_separate;
    let state = AppState(Arc::new(Shared {
        app,
        cfg,
        metrics: metrics::Metrics::default(),
        web: web::Web::new(),
        csrf_page: web::csrf_failed_page,
    }));
    let (api, _) = api::router().split_for_parts();
    let mut site = Router::new()
        .merge(api)
        .merge(web::router())
        .route("/healthz", axum::routing::get(health))
        .route("/api/v1/openapi.json", axum::routing::get(api::openapi_json))
        .fallback(web::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track));
    if !separate {
        // Outside the authentication layer: its bearer token is the metrics token, not an API token.
        site = site.route("/metrics", axum::routing::get(metrics::render));
    }
    let site = site
        .layer(axum::middleware::from_fn(security::headers))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(state.clone());
    let metrics_only = Router::new()
        .route("/metrics", axum::routing::get(metrics::render))
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(state);
    (site, metrics_only)
}

async fn health(axum::extract::State(s): axum::extract::State<AppState>) -> impl axum::response::IntoResponse {
    match s.app.health().await {
        Ok(()) => (axum::http::StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Serves until SIGTERM or Ctrl-C, then finishes in-flight requests.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
    // Give keep-alive clients a moment; axum waits for open requests.
    tokio::time::sleep(Duration::from_millis(50)).await;
}
