//! Award pages: the community's member votes (staff open one from the same
//! page) and a vote's page, where members vote until the close and everyone
//! sees the tally after it.

use std::collections::HashMap;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use yaji_app::AppError;

use super::form::{all, first, with_notice, Form, Pairs};
use super::{Page, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/awards", get(list_page).post(open))
        .route("/c/{slug}/awards/{id}", get(award_page))
        .route("/c/{slug}/awards/{id}/vote", post(vote))
}

pub(super) const TEMPLATES: &[(&str, &str)] = templates!["awards/list.html", "awards/award.html"];

async fn list_view(page: &Page, slug: &str, form: Form, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let c = app.community(viewer, slug).await?;
        let awards = app.awards(viewer, slug).await?;
        Ok::<_, AppError>((c, awards))
    }
    .await;
    let (c, awards) = or_fail!(page, r);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(status, "awards/list.html", context! { c, awards, form, errors })
}

async fn list_page(page: Page, Path(slug): Path<String>) -> Response {
    list_view(&page, &slug, Form::new(), HashMap::new()).await
}

async fn open(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Pairs>) -> Response {
    // Nominees come one per line (or comma-separated), as usernames.
    let nominees: Vec<String> = all(&f, "nominees")
        .flat_map(|v| v.split(['\n', ',', '，']))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let r = async {
        let v = page.auth.require()?;
        page.state.app.open_award(v, &slug, first(&f, "title"), &nominees, first(&f, "closes_at")).await
    }
    .await;
    match r {
        Ok(a) => with_notice(&format!("/c/{slug}/awards/{}", a.id), "award_opened"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => list_view(&page, &slug, f.into_iter().collect(), errors).await,
            None => page.fail(e),
        },
    }
}

async fn award_page(page: Page, Path((slug, id)): Path<(String, i64)>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let c = app.community(viewer, &slug).await?;
        let a = app.award(viewer, &slug, id).await?;
        Ok::<_, AppError>((c, a))
    }
    .await;
    let (c, a) = or_fail!(page, r);
    page.ok("awards/award.html", context! { c, a })
}

async fn vote(page: Page, Path((slug, id)): Path<(String, i64)>, WebForm(f): WebForm<Form>) -> Response {
    let nominee = f.get("nominee").cloned().unwrap_or_default();
    let r = async { page.state.app.vote(page.auth.require()?, &slug, id, &nominee).await }.await;
    page.done(r, |_| format!("/c/{slug}/awards/{id}"), "voted")
}
