//! Badge pages: the admins' badge settings (turn built-ins and custom badges
//! on or off, define custom ones with an icon and an optional rule), and the
//! staff grant and revoke forms on a member's points page.

use std::collections::HashMap;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use yaji_app::AppError;
use yaji_domain::badges::{BadgeInput, ICONS};
use yaji_domain::error::invalid;

use super::form::{field, opt_i64, with_notice, Form};
use super::{Page, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/settings/badges", get(settings_page).post(create))
        .route("/c/{slug}/settings/badges/{id}", get(edit_page).post(update))
        .route("/c/{slug}/settings/badges/{id}/toggle", post(toggle))
        .route("/c/{slug}/settings/badges/{id}/delete", post(delete))
        .route("/c/{slug}/members/{username}/badges", post(grant))
        .route("/c/{slug}/members/{username}/badges/{id}/revoke", post(revoke))
}

pub(super) const TEMPLATES: &[(&str, &str)] = templates!["badges/settings.html"];

fn input_of(f: &Form) -> Result<BadgeInput, AppError> {
    let at_least = opt_i64(f, "at_least")?;
    let counter = Some(field(f, "counter").to_string()).filter(|c| !c.is_empty() && c != "staff");
    Ok(BadgeInput {
        name: field(f, "name").to_string(),
        description: field(f, "description").to_string(),
        icon: field(f, "icon").to_string(),
        at_least: at_least.filter(|_| counter.is_some()),
        counter,
    })
}

/// The settings page; `editing` names the custom badge in the form.
async fn settings_view(
    page: &Page,
    slug: &str,
    editing: Option<i64>,
    form: Form,
    errors: HashMap<String, String>,
) -> Response {
    let app = &page.state.app;
    let zh = page.lang != "en";
    let r = async {
        let v = page.auth.require()?;
        let c = app.community(Some(v), slug).await?;
        if !c.abilities.manage {
            return Err(AppError::forbidden("insufficient_role", "admins manage badges"));
        }
        let badges = app.badges(Some(v), slug, zh).await?;
        Ok::<_, AppError>((c, badges))
    }
    .await;
    let (c, badges) = or_fail!(page, r);
    let mut form = form;
    if let (Some(id), true) = (editing, form.is_empty()) {
        match badges.iter().find(|b| b.id == id && b.key.is_none()) {
            Some(b) => {
                form.insert("name".into(), b.name.clone());
                form.insert("description".into(), b.description.clone());
                form.insert("icon".into(), b.icon.clone());
                if let Some(r) = &b.rule {
                    form.insert("counter".into(), r.counter.clone());
                    form.insert("at_least".into(), r.at_least.to_string());
                }
            }
            None => return page.fail(AppError::NotFound("badge")),
        }
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let counters = yaji_app::badges::counters();
    page.render(status, "badges/settings.html", context! { c, badges, form, errors, editing, icons => ICONS, counters })
}

async fn settings_page(page: Page, Path(slug): Path<String>) -> Response {
    settings_view(&page, &slug, None, Form::new(), HashMap::new()).await
}

async fn edit_page(page: Page, Path((slug, id)): Path<(String, i64)>) -> Response {
    settings_view(&page, &slug, Some(id), Form::new(), HashMap::new()).await
}

async fn save(page: Page, slug: String, id: Option<i64>, f: Form) -> Response {
    let r = async {
        let v = page.auth.require()?;
        page.state.app.save_badge(v, &slug, id, input_of(&f)?, page.lang != "en").await
    }
    .await;
    match r {
        Ok(_) => with_notice(&format!("/c/{slug}/settings/badges"), "saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => settings_view(&page, &slug, id, f, errors).await,
            None => page.fail(e),
        },
    }
}

async fn create(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    save(page, slug, None, f).await
}

async fn update(page: Page, Path((slug, id)): Path<(String, i64)>, WebForm(f): WebForm<Form>) -> Response {
    save(page, slug, Some(id), f).await
}

async fn toggle(page: Page, Path((slug, id)): Path<(String, i64)>, WebForm(f): WebForm<Form>) -> Response {
    let on = field(&f, "on") == "1";
    let r = async { page.state.app.set_badge_enabled(page.auth.require()?, &slug, id, on).await }.await;
    page.done(r, |_| format!("/c/{slug}/settings/badges"), "saved")
}

async fn delete(page: Page, Path((slug, id)): Path<(String, i64)>) -> Response {
    let r = async { page.state.app.delete_badge(page.auth.require()?, &slug, id).await }.await;
    page.done(r, |_| format!("/c/{slug}/settings/badges"), "badge_deleted")
}

async fn grant(page: Page, Path((slug, username)): Path<(String, String)>, WebForm(f): WebForm<Form>) -> Response {
    let r = async {
        let v = page.auth.require()?;
        let id = field(&f, "badge_id").parse().map_err(|_| invalid("badge", "required", "choose a badge"))?;
        page.state.app.grant_badge(v, &slug, &username, id, field(&f, "reason")).await
    }
    .await;
    page.done(r, |_| format!("/c/{slug}/members/{username}/points"), "badge_granted")
}

async fn revoke(
    page: Page,
    Path((slug, username, id)): Path<(String, String, i64)>,
    WebForm(f): WebForm<Form>,
) -> Response {
    let r =
        async { page.state.app.revoke_badge(page.auth.require()?, &slug, &username, id, field(&f, "reason")).await }
            .await;
    page.done(r, |_| format!("/c/{slug}/members/{username}/points"), "badge_revoked")
}
