//! Pages for light accounts: continue with a name and an email (then book
//! a public room or register), ask for a sign-in link, use one (a page with
//! a button: mail scanners that open links do not sign anyone in), and
//! finish the account with a username and a password.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use yaji_app::accounts::{LightInput, Session};

use super::form::{field, safe_next, with_notice, Form};
use super::{Page, WebForm};
use crate::auth::{set_cookie, Via, SESSION_COOKIE};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/login/light", get(light_page).post(light))
        .route("/login/link", get(link_page).post(send_link))
        .route("/login/link/{token}", get(use_link_page).post(use_link))
        .route("/settings/finish", post(finish))
}

pub(super) const TEMPLATES: &[(&str, &str)] = templates!["accounts/light.html", "accounts/finish.html"];

/// Signed in: the session cookie on a redirect to `next` with a notice.
fn signed_in(page: &Page, sess: &Session, next: &str, notice: &str) -> Response {
    let mut res = with_notice(next, notice);
    res.headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &sess.token, sess.max_age_secs, true, page.auth.secure));
    res
}

fn view(page: &Page, mode: &str, form: &Form, errors: HashMap<String, String>, status: StatusCode) -> Response {
    let next = safe_next(form.get("next").map(String::as_str));
    page.render(status, "accounts/light.html", context! { mode, form, errors, next })
}

async fn light_page(page: Page, Query(q): Query<Form>) -> Response {
    view(&page, "light", &q, HashMap::new(), StatusCode::OK)
}

async fn light(page: Page, WebForm(f): WebForm<Form>) -> Response {
    let who = LightInput { display_name: field(&f, "display_name"), email: field(&f, "email"), locale: page.lang };
    match page.state.app.light_sign_up(who, &page.auth.client_ip).await {
        Ok(sess) => signed_in(&page, &sess, &safe_next(f.get("next").map(String::as_str)), "welcome"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => view(&page, "light", &f, errors, StatusCode::UNPROCESSABLE_ENTITY),
            None => page.fail(e),
        },
    }
}

async fn link_page(page: Page, Query(q): Query<Form>) -> Response {
    view(&page, "link", &q, HashMap::new(), StatusCode::OK)
}

async fn send_link(page: Page, WebForm(f): WebForm<Form>) -> Response {
    let next = safe_next(f.get("next").map(String::as_str));
    match page.state.app.send_sign_in_link(field(&f, "email"), Some(&next), &page.auth.client_ip).await {
        Ok(()) => view(&page, "sent", &f, HashMap::new(), StatusCode::OK),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => view(&page, "link", &f, errors, StatusCode::UNPROCESSABLE_ENTITY),
            None => page.fail(e),
        },
    }
}

async fn use_link_page(page: Page, Path(token): Path<String>, Query(mut q): Query<Form>) -> Response {
    q.insert("token".into(), token);
    view(&page, "use", &q, HashMap::new(), StatusCode::OK)
}

async fn use_link(page: Page, Path(token): Path<String>, Query(q): Query<Form>) -> Response {
    match page.state.app.sign_in_with_link(&token).await {
        Ok(sess) => signed_in(&page, &sess, &safe_next(q.get("next").map(String::as_str)), "signed_in"),
        Err(e) => match page.refusal(e) {
            Ok((status, problem)) => view(&page, "link", &q, HashMap::from([("email".to_string(), problem)]), status),
            Err(e) => page.fail(e),
        },
    }
}

async fn finish(page: Page, WebForm(f): WebForm<Form>) -> Response {
    let keep = match &page.auth.via {
        Via::Session { token } => Some(token.clone()),
        _ => None,
    };
    let r = async {
        let v = page.auth.require()?;
        page.state.app.complete_account(v, field(&f, "username"), field(&f, "password"), keep.as_deref()).await
    }
    .await;
    match r {
        Ok(_) => with_notice("/settings/profile", "account_finished"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => view(&page, "finish", &f, errors, StatusCode::UNPROCESSABLE_ENTITY),
            None => page.fail(e),
        },
    }
}
