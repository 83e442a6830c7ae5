//! Notification pages: the inbox, email settings and the unsubscribe page
//! every email links to.

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use minijinja::context;
use yaji_app::notifications::email::EmailPreferences;
use yaji_domain::notification::NotificationKind;

use super::form::{field, with_notice, Form};
use super::{Page, WebForm};
use crate::AppState;

const MODES: [&str; 4] = ["off", "immediate", "daily", "weekly"];

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/notifications", get(notifications_page).post(read_notifications))
        .route("/settings/email", get(email_page).post(save))
        .route("/unsubscribe", get(unsubscribe_page).post(unsubscribe))
}

pub(super) const TEMPLATES: &[(&str, &str)] =
    templates!["notifications/inbox.html", "notifications/email.html", "notifications/unsubscribe.html"];

fn to_form(p: &EmailPreferences) -> Form {
    let mut f = Form::new();
    f.insert("email".into(), p.email.clone().unwrap_or_default());
    f.insert("quiet_start".into(), p.quiet_start.to_string());
    f.insert("quiet_end".into(), p.quiet_end.to_string());
    for (k, m) in &p.modes {
        f.insert(format!("mode_{k}"), m.clone());
    }
    f
}

fn render(page: &Page, status: StatusCode, form: Form, errors: HashMap<String, String>) -> Response {
    let configured = page.state.app.mail_configured();
    let kinds: Vec<&str> = NotificationKind::ALL.iter().map(|k| k.as_str()).collect();
    page.render(status, "notifications/email.html", context! { form, errors, kinds, modes => MODES, configured })
}

async fn email_page(page: Page) -> Response {
    let r = async { page.state.app.email_preferences(page.auth.require()?).await }.await;
    match r {
        Ok(p) => render(&page, StatusCode::OK, to_form(&p), HashMap::new()),
        Err(e) => page.fail(e),
    }
}

async fn save(page: Page, WebForm(f): WebForm<Form>) -> Response {
    let num = |k: &str| field(&f, k).trim().parse::<i64>().unwrap_or(-1);
    let modes = NotificationKind::ALL
        .iter()
        .filter_map(|k| f.get(&format!("mode_{}", k.as_str())).map(|m| (k.as_str().to_string(), m.clone())))
        .collect();
    let prefs = EmailPreferences {
        email: Some(field(&f, "email").to_string()),
        quiet_start: num("quiet_start"),
        quiet_end: num("quiet_end"),
        modes,
    };
    let r = async { page.state.app.set_email_preferences(page.auth.require()?, &prefs).await }.await;
    match r {
        Ok(_) => with_notice("/settings/email", "saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => render(&page, StatusCode::UNPROCESSABLE_ENTITY, f, errors),
            None => page.fail(e),
        },
    }
}

fn params(q: &HashMap<String, String>) -> (i64, String, String) {
    let g = |k: &str| q.get(k).cloned().unwrap_or_default();
    (g("u").parse().unwrap_or(0), g("k"), g("t"))
}

async fn unsubscribe_page(page: Page, Query(q): Query<HashMap<String, String>>) -> Response {
    let (u, k, tok) = params(&q);
    page.ok("notifications/unsubscribe.html", context! { u, k, tok, done => false })
}

/// The token in the link is the credential; the form adds the page's CSRF token.
async fn unsubscribe(page: Page, Query(q): Query<HashMap<String, String>>) -> Response {
    let (u, k, tok) = params(&q);
    match page.state.app.unsubscribe(u, &k, &tok).await {
        Ok(()) => page.ok("notifications/unsubscribe.html", context! { u, k, tok, done => true }),
        Err(e) => page.fail(e),
    }
}

async fn notifications_page(mut page: Page) -> Response {
    match async { page.state.app.open_inbox(page.auth.require()?).await }.await {
        Ok(items) => {
            // Opening the inbox reads them: the bell on this very page shows none.
            page.unread = 0;
            let work = page.work.clone();
            page.ok("notifications/inbox.html", context! { items, work })
        }
        Err(e) => page.fail(e),
    }
}

async fn read_notifications(page: Page) -> Response {
    let r = async { page.state.app.mark_notifications_read(page.auth.require()?).await }.await;
    page.done(r, |_| "/notifications".into(), "saved")
}
