//! The FAQ page for operators, and the asker's "did this help?".

use std::collections::HashMap;

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use yaji_app::faq::{FaqInput, FaqSettings};
use yaji_app::AppError;

use super::{Page, Tab, WebForm};
use crate::AppState;

use super::form::{field, with_notice, Form};

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/faq", get(faq_page).post(add_entry))
        .route("/c/{slug}/faq/{id}/delete", post(delete_entry))
        .route("/c/{slug}/faq/settings", post(save_settings))
        .route("/faq-replies/{id}/feedback", post(feedback))
}

pub(super) const TEMPLATES: &[(&str, &str)] = templates!["faq/faq.html"];

pub(super) const NAV: &[Tab] =
    &[Tab { order: 60, key: "faq", path: "/faq", label: "faq.tab", show: "moderate", badge: "" }];

async fn render(page: &Page, slug: &str, form: Form, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        Ok::<_, AppError>((
            app.community(Some(v), slug).await?,
            app.faq_entries(v, slug).await?,
            app.faq_unanswered(v, slug).await?,
            app.faq_settings(v, slug).await?,
        ))
    }
    .await;
    match r {
        Ok((c, entries, unanswered, settings)) => {
            let status = if errors.is_empty() {
                axum::http::StatusCode::OK
            } else {
                axum::http::StatusCode::UNPROCESSABLE_ENTITY
            };
            page.render(status, "faq/faq.html", context! { c, entries, unanswered, settings, form, errors })
        }
        Err(e) => page.fail(e),
    }
}

async fn faq_page(page: Page, Path(slug): Path<String>) -> Response {
    render(&page, &slug, Form::new(), HashMap::new()).await
}

async fn add_entry(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let input = FaqInput {
        questions: field(&f, "questions").lines().map(str::to_string).collect(),
        answer: field(&f, "answer").to_string(),
    };
    let r = async { page.state.app.create_faq_entry(page.auth.require()?, &slug, &input).await }.await;
    match r {
        Ok(_) => with_notice(&format!("/c/{slug}/faq"), "saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => render(&page, &slug, f, errors).await,
            None => page.fail(e),
        },
    }
}

async fn delete_entry(page: Page, Path((slug, id)): Path<(String, i64)>) -> Response {
    let r = async { page.state.app.delete_faq_entry(page.auth.require()?, id).await }.await;
    page.done(r, |_| format!("/c/{slug}/faq"), "deleted")
}

async fn save_settings(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let s = FaqSettings {
        threshold: field(&f, "threshold").trim().parse().unwrap_or(-1.0),
        unanswered_minutes: field(&f, "unanswered_minutes").trim().parse().unwrap_or(-1),
    };
    let r = async { page.state.app.set_faq_settings(page.auth.require()?, &slug, &s).await }.await;
    match r {
        Ok(_) => with_notice(&format!("/c/{slug}/faq"), "saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => render(&page, &slug, f, errors).await,
            None => page.fail(e),
        },
    }
}

async fn feedback(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let helpful = field(&f, "helpful") == "1";
    let back = field(&f, "back").to_string();
    let back = if back.starts_with("/p/") { back } else { "/".to_string() };
    let r = async { page.state.app.faq_feedback(page.auth.require()?, id, helpful).await }.await;
    page.done(r, |_| back, "thanks_feedback")
}
