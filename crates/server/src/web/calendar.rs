//! The content calendar: scheduled and repeating posts, and the timers of
//! automation rules, by month.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use yaji_app::calendar::ScheduleInput;
use yaji_app::AppError;

use super::form::{field, with_notice, Form};
use super::{Page, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/calendar", get(calendar_page).post(schedule))
        .route("/c/{slug}/calendar/{id}/cancel", post(cancel))
}

pub(super) const TEMPLATES: &[(&str, &str)] = templates!["calendar/calendar.html"];

async fn render_calendar(
    page: &Page,
    slug: &str,
    month: Option<&str>,
    form: Form,
    errors: HashMap<String, String>,
) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        Ok::<_, AppError>((
            app.community(Some(v), slug).await?,
            app.calendar(v, slug, month).await?,
            app.topics(Some(v), slug).await?,
        ))
    }
    .await;
    match r {
        Ok((c, cal, topics)) => {
            let status = if errors.is_empty() {
                axum::http::StatusCode::OK
            } else {
                axum::http::StatusCode::UNPROCESSABLE_ENTITY
            };
            let (y, m) = cal
                .month
                .split_once('-')
                .map(|(y, m)| (y.parse::<i32>().unwrap_or(2026), m.parse::<u32>().unwrap_or(1)))
                .unwrap_or((2026, 1));
            let prev = if m == 1 { format!("{}-12", y - 1) } else { format!("{y}-{:02}", m - 1) };
            let next = if m == 12 { format!("{}-01", y + 1) } else { format!("{y}-{:02}", m + 1) };
            let blanks: Vec<u32> = (0..cal.first_weekday).collect();
            page.render(
                status,
                "calendar/calendar.html",
                context! { c, cal, topics, form, errors, prev, next, blanks, sub => "calendar" },
            )
        }
        Err(e) => page.fail(e),
    }
}

async fn calendar_page(page: Page, Path(slug): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    render_calendar(&page, &slug, q.get("month").map(String::as_str), Form::new(), HashMap::new()).await
}

async fn schedule(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let r = async {
        let input = ScheduleInput {
            title: Some(field(&f, "title").to_string()).filter(|t| !t.trim().is_empty()),
            body: field(&f, "body").to_string(),
            topic_id: field(&f, "topic_id").trim().parse().ok(),
            publish_at: field(&f, "publish_at").to_string(),
            repeat: super::repeat::read(&f, "repeat_", "repeat")?,
        };
        page.state.app.schedule_post(page.auth.require()?, &slug, &input).await
    }
    .await;
    match r {
        Ok(_) => with_notice(&format!("/c/{slug}/calendar"), "saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => render_calendar(&page, &slug, None, f, errors).await,
            None => page.fail(e),
        },
    }
}

async fn cancel(page: Page, Path((slug, id)): Path<(String, i64)>) -> Response {
    let r = async { page.state.app.cancel_scheduled(page.auth.require()?, &slug, id).await }.await;
    page.done(r, |_| format!("/c/{slug}/calendar"), "saved")
}
