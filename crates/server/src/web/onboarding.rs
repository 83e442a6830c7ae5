//! The newcomer checklist: the member's own page (introduce yourself, opt
//! out of assistant messages) and the operators' progress page and settings;
//! the setup guide's "hide" (the guide itself is a card on the community page).

use std::collections::HashMap;

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use yaji_app::onboarding::IntroInput;
use yaji_app::AppError;

use super::form::{field, with_notice, Form};
use super::{Page, Tab, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/assistant/checklist", get(progress_page).post(checklist_settings))
        .route("/c/{slug}/checklist", get(checklist_page))
        .route("/c/{slug}/checklist/intro", post(introduce))
        .route("/c/{slug}/checklist/opt-out", post(opt_out))
        .route("/c/{slug}/setup/dismiss", post(dismiss_setup))
}

async fn dismiss_setup(page: Page, Path(slug): Path<String>) -> Response {
    let r = async { page.state.app.dismiss_setup_guide(page.auth.require()?, &slug).await }.await;
    page.done(r, |_| format!("/c/{slug}"), "setup_hidden")
}

pub(super) const TEMPLATES: &[(&str, &str)] =
    templates!["onboarding/checklist.html", "onboarding/progress.html", "onboarding/setup_guide.html"];

/// This capability's tabs in the community header.
pub(super) const NAV: &[Tab] =
    &[Tab { order: 40, key: "checklist", path: "/checklist", label: "check.title", show: "checklist", badge: "" }];

async fn progress_page(page: Page, Path(slug): Path<String>) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        Ok::<_, AppError>((app.community(Some(v), &slug).await?, app.checklist_progress(v, &slug).await?))
    }
    .await;
    match r {
        Ok((c, members)) => page.ok("onboarding/progress.html", context! { c, members, sub => "checklist" }),
        Err(e) => page.fail(e),
    }
}

async fn checklist_settings(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let on = field(&f, "enabled") == "on";
    let topic = Some(field(&f, "intro_topic")).filter(|t| !t.trim().is_empty());
    let r = async { page.state.app.set_checklist(page.auth.require()?, &slug, on, topic).await }.await;
    page.done(r, |_| format!("/c/{slug}/assistant/checklist"), "saved")
}

async fn render_checklist(page: &Page, slug: &str, form: Form, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        Ok::<_, AppError>((app.community(Some(v), slug).await?, app.checklist(v, slug).await?))
    }
    .await;
    match r {
        Ok((c, cl)) => {
            let status = if errors.is_empty() {
                axum::http::StatusCode::OK
            } else {
                axum::http::StatusCode::UNPROCESSABLE_ENTITY
            };
            page.render(status, "onboarding/checklist.html", context! { c, cl, form, errors })
        }
        Err(e) => page.fail(e),
    }
}

async fn checklist_page(page: Page, Path(slug): Path<String>) -> Response {
    render_checklist(&page, &slug, Form::new(), HashMap::new()).await
}

async fn introduce(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let input = IntroInput {
        name: field(&f, "name").to_string(),
        city: field(&f, "city").to_string(),
        occupation: field(&f, "occupation").to_string(),
        hope: field(&f, "hope").to_string(),
    };
    let zh = page.lang != "en";
    let r = async { page.state.app.introduce(page.auth.require()?, &slug, &input, zh).await }.await;
    match r {
        Ok(p) => with_notice(&format!("/p/{}", p.id), "posted"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => render_checklist(&page, &slug, f, errors).await,
            None => page.fail(e),
        },
    }
}

async fn opt_out(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let out = field(&f, "opt_out") == "1";
    let r = async { page.state.app.set_assistant_opt_out(page.auth.require()?, &slug, out).await }.await;
    page.done(r, |_| format!("/c/{slug}/checklist"), "saved")
}
