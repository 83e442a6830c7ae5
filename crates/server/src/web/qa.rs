//! Q&A on the post page: the asker (or staff) accepts a comment as the
//! answer; staff take it back. Questions are asked from the composer.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::post;
use axum::Router;

use super::form::with_notice;
use super::{Page, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/comments/{id}/accept", post(accept))
        .route("/comments/{id}/unaccept", post(unaccept))
        .route("/p/{id}/faq-entry", post(faq_entry))
}

async fn faq_entry(page: Page, Path(id): Path<i64>, WebForm(_): WebForm<super::form::Form>) -> Response {
    let r = async { page.state.app.faq_from_answer(page.auth.require()?, id).await }.await;
    page.done(r, |_| format!("/p/{id}"), "faq_created_from_answer")
}

async fn accept(page: Page, Path(id): Path<i64>, WebForm(_): WebForm<super::form::Form>) -> Response {
    let r = async { page.state.app.accept_answer(page.auth.require()?, id).await }.await;
    match r {
        Ok(p) => with_notice(&format!("/p/{}#c{id}", p.id), "answer_accepted"),
        Err(e) => page.fail(e),
    }
}

async fn unaccept(page: Page, Path(id): Path<i64>, WebForm(_): WebForm<super::form::Form>) -> Response {
    let r = async { page.state.app.unaccept_answer(page.auth.require()?, id).await }.await;
    match r {
        Ok(p) => with_notice(&format!("/p/{}#c{id}", p.id), "answer_unaccepted"),
        Err(e) => page.fail(e),
    }
}
