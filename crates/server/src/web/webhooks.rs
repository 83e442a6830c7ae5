//! The webhooks page of the assistant section: add, list, delete, and the
//! delivery log.

use std::collections::HashMap;

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use yaji_app::webhooks::WebhookInput;
use yaji_app::AppError;

use super::form::{commas, field, with_notice, Form};
use super::{Page, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/assistant/webhooks", get(webhooks_page).post(add_webhook))
        .route("/c/{slug}/assistant/webhooks/{id}/delete", post(delete_webhook))
}

pub(super) const TEMPLATES: &[(&str, &str)] = templates!["webhooks/webhooks.html"];

async fn render_webhooks(page: &Page, slug: &str, form: Form, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        Ok::<_, AppError>((
            app.community(Some(v), slug).await?,
            app.webhooks(v, slug).await?,
            app.webhook_deliveries(v, slug).await?,
        ))
    }
    .await;
    match r {
        Ok((c, hooks, deliveries)) => {
            let status = if errors.is_empty() {
                axum::http::StatusCode::OK
            } else {
                axum::http::StatusCode::UNPROCESSABLE_ENTITY
            };
            page.render(
                status,
                "webhooks/webhooks.html",
                context! { c, hooks, deliveries, form, errors, sub => "webhooks" },
            )
        }
        Err(e) => page.fail(e),
    }
}

async fn webhooks_page(page: Page, Path(slug): Path<String>) -> Response {
    render_webhooks(&page, &slug, Form::new(), HashMap::new()).await
}

async fn add_webhook(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let input = WebhookInput { url: field(&f, "url").to_string(), events: commas(field(&f, "events")) };
    let r = async { page.state.app.create_webhook(page.auth.require()?, &slug, &input).await }.await;
    match r {
        Ok(_) => with_notice(&format!("/c/{slug}/assistant/webhooks"), "saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => render_webhooks(&page, &slug, f, errors).await,
            None => page.fail(e),
        },
    }
}

async fn delete_webhook(page: Page, Path((slug, id)): Path<(String, i64)>) -> Response {
    let r = async { page.state.app.delete_webhook(page.auth.require()?, &slug, id).await }.await;
    page.done(r, |_| format!("/c/{slug}/assistant/webhooks"), "deleted")
}
