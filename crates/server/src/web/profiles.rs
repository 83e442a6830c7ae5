//! Profiles: a member's public page at `/u/<username>`.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use minijinja::context;

use super::Page;
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/u/{username}", get(user_page))
}

pub(super) const TEMPLATES: &[(&str, &str)] = templates!["profiles/user.html"];

async fn user_page(page: Page, Path(username): Path<String>) -> Response {
    let p = or_fail!(page, page.state.app.profile(page.auth.viewer(), &username, page.lang != "en").await);
    page.ok("profiles/user.html", context! { p })
}
