//! The poll on a post's page: voting (or changing one's vote) from the
//! ballot form. Polls are created from the composer with their post.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::post;
use axum::Router;

use super::form::{all, with_notice, Pairs};
use super::{Page, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/p/{id}/poll", post(vote)).route("/p/{id}/poll/close", post(close))
}

pub(super) const TEMPLATES: &[(&str, &str)] = templates!["polls/poll.html"];

/// The ballot: the checked options, or for a ranked poll the options by the
/// rank chosen for each (unranked ones left out).
fn ballot(f: &Pairs) -> Vec<i64> {
    let mut ranked: Vec<(i64, i64)> =
        f.iter().filter_map(|(k, v)| Some((v.trim().parse().ok()?, k.strip_prefix("rank_")?.parse().ok()?))).collect();
    if !ranked.is_empty() {
        ranked.sort_unstable();
        return ranked.into_iter().map(|(_, id)| id).collect();
    }
    all(f, "option").filter_map(|v| v.trim().parse().ok()).collect()
}

async fn vote(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Pairs>) -> Response {
    let r = async { page.state.app.vote_in_poll(page.auth.require()?, id, &ballot(&f)).await }.await;
    match r {
        Ok(_) => with_notice(&format!("/p/{id}#poll"), "poll_voted"),
        Err(e) => page.fail(e),
    }
}

async fn close(page: Page, Path(id): Path<i64>, WebForm(_): WebForm<Pairs>) -> Response {
    let r = async { page.state.app.close_poll_now(page.auth.require()?, id).await }.await;
    page.done(r, |_| format!("/p/{id}#poll"), "poll_closed_now")
}
