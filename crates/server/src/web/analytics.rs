//! The analytics dashboard (admins): headline numbers with the change against
//! the previous period, server-rendered SVG charts, retention heatmaps, CSV.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use minijinja::context;
use serde::Serialize;
use yaji_app::analytics::{ActivitySeries, Dashboard};
use yaji_app::AppError;

use super::{Page, Tab};
use crate::AppState;
use yaji_app::platform::csv::{cell, Csv};

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/analytics", get(dashboard_page)).route("/c/{slug}/analytics.csv", get(csv))
}

pub(super) const TEMPLATES: &[(&str, &str)] = templates!["analytics/analytics.html"];

pub(super) const NAV: &[Tab] =
    &[Tab { order: 80, key: "analytics", path: "/analytics", label: "stats.tab", show: "manage", badge: "" }];

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

/// One day's column of the tier chart: stacked segments (key, y, height).
#[derive(Serialize)]
struct Column {
    x: String,
    w: String,
    date: String,
    parts: Vec<(&'static str, String, String, u64)>,
}

/// Tiers as stacked columns, bottom up: core, active, new, silent, churned.
fn tier_chart(d: &Dashboard) -> Vec<Column> {
    let n = d.tiers.len().max(1) as f64;
    let max = d.tiers.iter().map(|t| t.new + t.active + t.core + t.silent + t.churned).max().unwrap_or(0).max(1) as f64;
    let w = W / n;
    d.tiers
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut y = H;
            let parts =
                [("core", t.core), ("active", t.active), ("new", t.new), ("silent", t.silent), ("churned", t.churned)]
                    .into_iter()
                    .map(|(k, v)| {
                        let h = v as f64 * H / max;
                        y -= h;
                        (k, format!("{y:.1}"), format!("{h:.1}"), v)
                    })
                    .collect();
            Column {
                x: format!("{:.1}", i as f64 * w),
                w: format!("{:.1}", (w * 0.85).max(0.5)),
                date: t.date.clone(),
                parts,
            }
        })
        .collect()
}

/// A funnel step as a bar: count, share of the first step in %, width in the SVG.
#[derive(Serialize)]
struct Bar {
    key: &'static str,
    count: u64,
    pct: u64,
    width: String,
    y: u32,
}

fn funnel_bars(d: &Dashboard) -> Vec<Bar> {
    let top = d.funnel.first().map_or(0, |s| s.count);
    d.funnel
        .iter()
        .enumerate()
        .map(|(i, s)| Bar {
            key: s.step,
            count: s.count,
            pct: (s.count * 100).checked_div(top).unwrap_or(0),
            width: format!("{:.1}", if top == 0 { 0.0 } else { s.count as f64 * 360.0 / top as f64 }.max(1.0)),
            y: i as u32 * 44,
        })
        .collect()
}

/// The hour-of-week heatmap: 7 rows (Monday first) of 24 cells with a 0–10 bucket
/// by average interactions per post relative to the best hour.
#[derive(Serialize)]
struct HourCell {
    x: u32,
    y: u32,
    bucket: u32,
    posts: u64,
    average: String,
    hour: u8,
}

fn hour_heat(d: &Dashboard) -> (Vec<HourCell>, Option<(u8, u8)>) {
    // The best hour needs a few posts behind it, or one lucky post decides it.
    let floor = if d.hour_of_week.iter().any(|c| c.posts >= 3) { 3 } else { 1 };
    let best = d
        .hour_of_week
        .iter()
        .filter(|c| c.posts >= floor)
        .max_by(|a, b| a.average.total_cmp(&b.average).then(b.weekday.cmp(&a.weekday)).then(b.hour.cmp(&a.hour)));
    let top = best.map_or(0.0, |c| c.average);
    let cells = d
        .hour_of_week
        .iter()
        .map(|c| HourCell {
            x: u32::from(c.hour) * 24,
            y: u32::from(c.weekday) * 24,
            bucket: if c.posts == 0 || top == 0.0 { 0 } else { ((c.average / top * 10.0).round() as u32).clamp(1, 10) },
            posts: c.posts,
            average: format!("{:.1}", c.average),
            hour: c.hour,
        })
        .collect();
    (cells, best.map(|c| (c.weekday, c.hour)))
}

/// Room use by hour of the week as heat cells (minutes booked, shaded against the busiest hour).
fn room_heat(minutes: &[i64]) -> Vec<HourCell> {
    let top = minutes.iter().copied().max().unwrap_or(0);
    minutes
        .iter()
        .enumerate()
        .map(|(i, &m)| HourCell {
            x: (i % 24) as u32 * 24,
            y: (i / 24) as u32 * 24,
            bucket: if m == 0 || top == 0 { 0 } else { ((m as f64 / top as f64 * 10.0).round() as u32).clamp(1, 10) },
            posts: m as u64,
            average: format!("{:.1}", m as f64 / 60.0),
            hour: (i % 24) as u8,
        })
        .collect()
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

fn headlines(now: &Dashboard, before: &ActivitySeries) -> Vec<Headline> {
    let change = |a: f64, b: f64| (b > 0.0).then(|| ((a - b) / b * 100.0).round() as i64);
    let stick = |d: &[yaji_app::analytics::Ratio]| d.last().map_or(0.0, |r| r.value);
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
            value: format!("{:.0}%", stick(&now.stickiness) * 100.0),
            change: change(stick(&now.stickiness), stick(&before.stickiness)),
        },
    ]
}

/// Retention rows as percentages with a heat bucket (0–10) for the cell class.
#[derive(Serialize)]
struct HeatRow {
    start: String,
    size: u64,
    /// (percent, shade 0-10) per shown offset; `None` where the data does not reach yet.
    cells: Vec<Option<(u64, u32)>>,
}

/// Day offsets the daily table shows (the CSV has every one): the usual
/// D1/D3/D7/D14/D30 checkpoints fit a phone; day 0 is always 100 %.
const DAILY_COLUMNS: [usize; 9] = [1, 2, 3, 5, 7, 10, 14, 21, 28];
const WEEKLY_COLUMNS: [usize; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
/// Newest weekly cohorts on the page (half a year); the CSV has them all.
const WEEKLY_ROWS: usize = 26;

fn heat(cohorts: &[yaji_domain::analytics::Cohort], columns: &[usize], rows: usize) -> Vec<HeatRow> {
    cohorts
        .iter()
        .take(rows)
        .map(|c| HeatRow {
            start: c.cohort_start.clone(),
            size: c.size,
            cells: columns
                .iter()
                .map(|&k| {
                    let n = *c.retained.get(k)?;
                    let pct = (n * 100).checked_div(c.size).unwrap_or(0);
                    Some((pct, (pct / 10).min(10) as u32))
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
        // The previous period only feeds the headline changes: its activity series suffice.
        let before = app.analytics_activity(v, &slug, Some(&pf), Some(&pt)).await?;
        // Challenge participation: the running and upcoming ones.
        let challenges: Vec<_> =
            app.challenges(Some(v), &slug).await?.into_iter().filter(|ch| ch.status != "ended").collect();
        let gatherings = app.gathering_stats(v, &slug, Some(&d.from), Some(&d.to)).await?;
        let qa = app.qa_stats(v, &slug, None).await?;
        Ok::<_, AppError>((c, d, before, challenges, gatherings, qa))
    }
    .await;
    match r {
        Ok((c, d, before, challenges, gatherings, qa)) => {
            let room_hours = room_heat(&gatherings.room_minutes);
            let heads = headlines(&d, &before);
            let chart = chart(&d);
            let daily = heat(&d.retention_daily, &DAILY_COLUMNS, usize::MAX);
            let weekly = heat(&d.retention_weekly, &WEEKLY_COLUMNS, WEEKLY_ROWS);
            let tiers = tier_chart(&d);
            let funnel = funnel_bars(&d);
            let (hours, best_hour) = hour_heat(&d);
            let tiers_now = d.tiers.last();
            page.ok(
                "analytics/analytics.html",
                context! { c, d, heads, chart, daily, weekly, tiers, tiers_now, funnel, hours, best_hour, challenges, gatherings, room_hours, qa,
                daily_columns => DAILY_COLUMNS, weekly_columns => WEEKLY_COLUMNS },
            )
        }
        Err(e) => page.fail(e),
    }
}

/// The tables a CSV download can hold.
const TABLES: &[&str] = &[
    "series",
    "rates",
    "retention_daily",
    "retention_weekly",
    "tiers",
    "funnel",
    "referral",
    "topics",
    "hour_of_week",
    "top_contributors",
    "kols",
    "silent_members",
];

fn opt(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| format!("{x:.1}"))
}

/// The rows of one table, header first.
fn table_rows(d: &Dashboard, table: &str) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let head = |cols: &[&str]| cols.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let people = |rows: &mut Vec<Vec<String>>, list: &[yaji_app::analytics::ContributorRow]| {
        rows.push(head(&[
            "user_id",
            "username",
            "display_name",
            "posts",
            "comments",
            "replies_received",
            "reactions_received",
            "kol_score",
        ]));
        for c in list {
            rows.push(vec![
                c.person.user_id.to_string(),
                cell(&c.person.username),
                cell(&c.person.display_name),
                c.posts.to_string(),
                c.comments.to_string(),
                c.replies_received.to_string(),
                c.reactions_received.to_string(),
                format!("{:.3}", c.kol_score),
            ]);
        }
    };
    match table {
        "retention_daily" | "retention_weekly" => {
            let cohorts = if table == "retention_daily" { &d.retention_daily } else { &d.retention_weekly };
            let width = cohorts.iter().map(|c| c.retained.len()).max().unwrap_or(0);
            let mut h = head(&["cohort_start", "size"]);
            h.extend((0..width).map(|k| format!("p{k}")));
            rows.push(h);
            for c in cohorts {
                let mut r = vec![c.cohort_start.clone(), c.size.to_string()];
                r.extend(c.retained.iter().map(u64::to_string));
                rows.push(r);
            }
        }
        "rates" => {
            rows.push(head(&["date", "posting_rate", "interaction_rate"]));
            for (p, i) in d.posting_rate.iter().zip(&d.interaction_rate) {
                rows.push(vec![p.date.clone(), format!("{:.4}", p.value), format!("{:.4}", i.value)]);
            }
        }
        "tiers" => {
            rows.push(head(&["date", "new", "active", "core", "silent", "churned"]));
            for t in &d.tiers {
                rows.push(vec![
                    t.date.clone(),
                    t.new.to_string(),
                    t.active.to_string(),
                    t.core.to_string(),
                    t.silent.to_string(),
                    t.churned.to_string(),
                ]);
            }
        }
        "funnel" => {
            rows.push(head(&["step", "count"]));
            for s in &d.funnel {
                rows.push(vec![s.step.to_string(), s.count.to_string()]);
            }
        }
        "referral" => {
            rows.push(head(&["user_id", "username", "display_name", "invites_sent", "invited", "tree"]));
            for i in &d.referral.top_inviters {
                rows.push(vec![
                    i.person.user_id.to_string(),
                    cell(&i.person.username),
                    cell(&i.person.display_name),
                    i.invites_sent.to_string(),
                    i.invited.to_string(),
                    i.tree.to_string(),
                ]);
            }
        }
        "topics" => {
            rows.push(head(&[
                "topic_id",
                "topic",
                "posts",
                "posters",
                "posting_rate",
                "interactions",
                "interaction_rate",
                "response_rate",
                "median_first_reply_minutes",
            ]));
            for t in &d.topics {
                rows.push(vec![
                    t.topic_id.map_or(String::new(), |i| i.to_string()),
                    cell(t.name.as_deref().unwrap_or("")),
                    t.posts.to_string(),
                    t.posters.to_string(),
                    format!("{:.4}", t.posting_rate),
                    t.interactions.to_string(),
                    format!("{:.4}", t.interaction_rate),
                    format!("{:.4}", t.response_rate),
                    opt(t.median_first_reply_minutes),
                ]);
            }
        }
        "hour_of_week" => {
            rows.push(head(&["weekday", "hour", "posts", "interactions", "average"]));
            for c in &d.hour_of_week {
                rows.push(vec![
                    c.weekday.to_string(),
                    c.hour.to_string(),
                    c.posts.to_string(),
                    c.interactions.to_string(),
                    format!("{:.3}", c.average),
                ]);
            }
        }
        "top_contributors" => people(&mut rows, &d.top_contributors),
        "kols" => people(&mut rows, &d.kols),
        "silent_members" => {
            rows.push(head(&["user_id", "username", "display_name", "last_active", "active_days"]));
            for m in &d.silent_members {
                rows.push(vec![
                    m.person.user_id.to_string(),
                    cell(&m.person.username),
                    cell(&m.person.display_name),
                    m.last_active.clone(),
                    m.active_days.to_string(),
                ]);
            }
        }
        _ => {
            rows.push(head(&["date", "dau", "wau", "mau", "stickiness"]));
            for (i, p) in d.dau.iter().enumerate() {
                rows.push(vec![
                    p.date.clone(),
                    p.count.to_string(),
                    d.wau[i].count.to_string(),
                    d.mau[i].count.to_string(),
                    format!("{:.4}", d.stickiness[i].value),
                ]);
            }
        }
    }
    rows
}

/// CSV of one table (`table=` one of [`TABLES`], default `series`).
async fn csv(page: Page, Path(slug): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    let arg = |k: &str| q.get(k).map(String::as_str).filter(|s| !s.is_empty());
    let table = arg("table").unwrap_or("series");
    if !TABLES.contains(&table) {
        return page.fail(
            yaji_domain::error::invalid("table", "unknown_table", format!("table is one of {}", TABLES.join(", ")))
                .into(),
        );
    }
    let r = async {
        let v = page.auth.require()?;
        page.state.app.analytics(v, &slug, arg("from"), arg("to"), None).await
    }
    .await;
    let d = or_fail!(page, r);
    let mut out = Csv::new();
    for row in table_rows(&d, table) {
        out.raw_row(row);
    }
    crate::download::csv(&format!("{slug}-{table}-{}-{}.csv", d.from, d.to), out.finish())
}
