//! The analytics dashboard (admins): headline numbers with the change against
//! the previous period, server-rendered SVG charts, retention heatmaps, CSV.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use minijinja::context;
use serde::Serialize;
use yaji_app::analytics::Dashboard;
use yaji_app::AppError;

use super::Page;
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/analytics", get(dashboard_page)).route("/c/{slug}/analytics.csv", get(csv))
}

/// Chart geometry in the SVG's own units.
const W: f64 = 600.0;
const H: f64 = 180.0;

#[derive(Serialize)]
struct Line {
    key: &'static str,
    points: String,
}

#[derive(Serialize)]
struct Chart {
    lines: Vec<Line>,
    max: u64,
    first: String,
    last: String,
}

fn chart(d: &Dashboard) -> Chart {
    let max = d.mau.iter().chain(&d.wau).chain(&d.dau).map(|p| p.count).max().unwrap_or(0).max(1);
    let n = d.dau.len().max(2) - 1;
    let line = |key, series: &[yaji_domain::analytics::Point]| Line {
        key,
        points: series
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:.1},{:.1}", i as f64 * W / n as f64, H - p.count as f64 * H / max as f64))
            .collect::<Vec<_>>()
            .join(" "),
    };
    Chart {
        lines: vec![line("mau", &d.mau), line("wau", &d.wau), line("dau", &d.dau)],
        max,
        first: d.from.clone(),
        last: d.to.clone(),
    }
}

#[derive(Serialize)]
struct Headline {
    key: &'static str,
    value: String,
    /// Percent change against the previous period of the same length, if it had data.
    change: Option<i64>,
}

fn last(series: &[yaji_domain::analytics::Point]) -> u64 {
    series.last().map_or(0, |p| p.count)
}

fn headlines(now: &Dashboard, before: &Dashboard) -> Vec<Headline> {
    let change = |a: f64, b: f64| (b > 0.0).then(|| ((a - b) / b * 100.0).round() as i64);
    let stick = |d: &Dashboard| d.stickiness.last().map_or(0.0, |r| r.value);
    vec![
        Headline {
            key: "dau",
            value: last(&now.dau).to_string(),
            change: change(last(&now.dau) as f64, last(&before.dau) as f64),
        },
        Headline {
            key: "wau",
            value: last(&now.wau).to_string(),
            change: change(last(&now.wau) as f64, last(&before.wau) as f64),
        },
        Headline {
            key: "mau",
            value: last(&now.mau).to_string(),
            change: change(last(&now.mau) as f64, last(&before.mau) as f64),
        },
        Headline {
            key: "stickiness",
            value: format!("{:.0}%", stick(now) * 100.0),
            change: change(stick(now), stick(before)),
        },
    ]
}

/// Retention rows as percentages with a heat bucket (0–10) for the cell class.
#[derive(Serialize)]
struct HeatRow {
    start: String,
    size: u64,
    cells: Vec<(u64, u32)>,
}

fn heat(cohorts: &[yaji_domain::analytics::Cohort]) -> Vec<HeatRow> {
    cohorts
        .iter()
        .map(|c| HeatRow {
            start: c.cohort_start.clone(),
            size: c.size,
            cells: c
                .retained
                .iter()
                .map(|n| {
                    let pct = (n * 100).checked_div(c.size).unwrap_or(0);
                    (pct, (pct / 10).min(10) as u32)
                })
                .collect(),
        })
        .collect()
}

fn previous(d: &Dashboard) -> (String, String) {
    let parse = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
    let (from, to) = (parse(&d.from), parse(&d.to));
    let len = (to - from).num_days() + 1;
    ((from - chrono::Duration::days(len)).to_string(), (from - chrono::Duration::days(1)).to_string())
}

async fn dashboard_page(page: Page, Path(slug): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    let app = &page.state.app;
    let arg = |k: &str| q.get(k).map(String::as_str).filter(|s| !s.is_empty());
    let r = async {
        let v = page.auth.require()?;
        let c = app.community(Some(v), &slug).await?;
        let d = app.analytics(v, &slug, arg("from"), arg("to"), None).await?;
        let (pf, pt) = previous(&d);
        let before = app.analytics(v, &slug, Some(&pf), Some(&pt), None).await?;
        Ok::<_, AppError>((c, d, before))
    }
    .await;
    match r {
        Ok((c, d, before)) => {
            let heads = headlines(&d, &before);
            let chart = chart(&d);
            let daily = heat(&d.retention_daily);
            let weekly = heat(&d.retention_weekly);
            page.ok("analytics.html", context! { c, d, heads, chart, daily, weekly })
        }
        Err(e) => page.fail(e),
    }
}

/// CSV of one table: `series` (date, dau, wau, mau, stickiness), `retention_daily`, `retention_weekly`.
async fn csv(page: Page, Path(slug): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    let arg = |k: &str| q.get(k).map(String::as_str).filter(|s| !s.is_empty());
    let table = arg("table").unwrap_or("series").to_string();
    let r = async {
        let v = page.auth.require()?;
        page.state.app.analytics(v, &slug, arg("from"), arg("to"), None).await
    }
    .await;
    let d = match r {
        Ok(d) => d,
        Err(e) => return page.fail(e),
    };
    let mut out = String::from("\u{feff}");
    match table.as_str() {
        "retention_daily" | "retention_weekly" => {
            let rows = if table == "retention_daily" { &d.retention_daily } else { &d.retention_weekly };
            let width = rows.iter().map(|c| c.retained.len()).max().unwrap_or(0);
            out.push_str("cohort_start,size");
            for k in 0..width {
                out.push_str(&format!(",p{k}"));
            }
            out.push('\n');
            for c in rows {
                out.push_str(&format!("{},{}", c.cohort_start, c.size));
                for n in &c.retained {
                    out.push_str(&format!(",{n}"));
                }
                out.push('\n');
            }
        }
        _ => {
            out.push_str("date,dau,wau,mau,stickiness\n");
            for (i, p) in d.dau.iter().enumerate() {
                out.push_str(&format!(
                    "{},{},{},{},{:.4}\n",
                    p.date, p.count, d.wau[i].count, d.mau[i].count, d.stickiness[i].value
                ));
            }
        }
    }
    let name = format!(
        "{slug}-{}-{}-{}.csv",
        if table.starts_with("retention") { table.as_str() } else { "series" },
        d.from,
        d.to
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        out,
    )
        .into_response()
}
