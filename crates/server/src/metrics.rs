//! Prometheus metrics: request counts and latency histograms by route.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;

use crate::AppState;

const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    total: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    // (method, route, status) -> count; (method, route) -> latency
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, secs: f64) {
        *self.requests.lock().entry((method.to_string(), route.to_string(), status)).or_default() += 1;
        let mut l = self.latency.lock();
        let h = l.entry((method.to_string(), route.to_string())).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.total += 1;
        h.sum += secs;
    }
}

pub async fn track(State(s): State<AppState>, req: Request, next: Next) -> Response {
    // Label by route template, never by raw path, so cardinality stays bounded.
    let route =
        req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    s.metrics.observe(&method, &route, res.status().as_u16(), start.elapsed().as_secs_f64());
    res
}

pub async fn render(State(s): State<AppState>, headers: axum::http::HeaderMap) -> axum::response::Response {
    if let Some(token) = &s.cfg.metrics_token {
        let given = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let want = format!("Bearer {token}");
        let same = given.is_some_and(|g| crate::auth::constant_time_eq(g, &want));
        if !same {
            let mut res = (axum::http::StatusCode::UNAUTHORIZED, "metrics need the bearer token\n").into_response();
            res.headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
            return res;
        }
    }
    render_all(&s).into_response()
}

fn render_all(s: &AppState) -> impl IntoResponse {
    let mut out = String::new();
    out.push_str("# HELP yaji_http_requests_total HTTP requests by method, route and status.\n# TYPE yaji_http_requests_total counter\n");
    for ((m, r, st), n) in s.metrics.requests.lock().iter() {
        let _ = writeln!(out, "yaji_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{st}\"}} {n}", esc(r));
    }
    out.push_str("# HELP yaji_http_request_duration_seconds HTTP request latency by method and route.\n# TYPE yaji_http_request_duration_seconds histogram\n");
    for ((m, r), h) in s.metrics.latency.lock().iter() {
        let r = esc(r);
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "yaji_http_request_duration_seconds_bucket{{method=\"{m}\",route=\"{r}\",le=\"{b}\"}} {}",
                h.counts[i]
            );
        }
        let _ = writeln!(
            out,
            "yaji_http_request_duration_seconds_bucket{{method=\"{m}\",route=\"{r}\",le=\"+Inf\"}} {}",
            h.total
        );
        let _ = writeln!(out, "yaji_http_request_duration_seconds_sum{{method=\"{m}\",route=\"{r}\"}} {}", h.sum);
        let _ = writeln!(out, "yaji_http_request_duration_seconds_count{{method=\"{m}\",route=\"{r}\"}} {}", h.total);
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
