//! Account pages: log in, sign up, first-run setup, log out, the profile,
//! API tokens, and the language switch.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use yaji_app::accounts::Registration;
use yaji_app::AppError;
use yaji_domain::user::{registration_problems, ProfileInput};

use super::form::{field, safe_next, to, with_notice, Form};
use super::{Page, WebForm};
use crate::auth::{set_cookie, Via, LANG_COOKIE, SESSION_COOKIE};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/lang/{code}", get(switch_lang).post(switch_lang_and_profile))
        .route("/login", get(login_page).post(login))
        .route("/signup", get(signup_page).post(signup))
        .route("/setup", get(setup_page).post(setup))
        .route("/logout", post(logout))
        .route("/settings/profile", get(profile_page).post(save_profile))
        .route("/settings/password", post(change_password))
        .route("/settings/sessions/end", post(end_other_sessions))
        .route("/settings/tokens", get(tokens_page).post(create_token))
        .route("/settings/tokens/{id}/revoke", post(revoke_token))
}

pub(super) const TEMPLATES: &[(&str, &str)] =
    templates!["accounts/auth.html", "accounts/profile.html", "accounts/tokens.html"];

/// Only local paths are followed after login, never another site.
async fn switch_lang(page: Page, Path(code): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    let lang = super::i18n::normalize(&code).unwrap_or("zh-CN");
    let mut res = to(&safe_next(q.get("next").map(String::as_str)));
    res.headers_mut().append(header::SET_COOKIE, set_cookie(LANG_COOKIE, lang, 86_400 * 365, false, page.auth.secure));
    res
}

/// The signed-in switch: the cookie, and the profile's language with it, so
/// notices, the assistant's messages and email follow the language read.
async fn switch_lang_and_profile(
    page: Page,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = super::i18n::normalize(&code).unwrap_or("zh-CN");
    if let Some(v) = page.auth.viewer() {
        let app = &page.state.app;
        let r = async {
            let u = app.user(v.id).await?;
            let input = ProfileInput {
                display_name: &u.display_name,
                avatar_url: u.avatar_url.as_deref().unwrap_or(""),
                bio: &u.bio,
                locale: lang,
                time_zone: &u.time_zone,
            };
            app.update_profile(v, input).await
        }
        .await;
        if let Err(e) = r {
            return page.fail(e);
        }
    }
    switch_lang(page, Path(code), Query(q)).await
}

fn auth_form(page: &Page, mode: &str, form: &Form, errors: HashMap<String, String>, status: StatusCode) -> Response {
    let next = form.get("next").cloned();
    page.render(status, "accounts/auth.html", context! { mode, form, errors, next })
}

async fn login_page(page: Page, Query(q): Query<Form>) -> Response {
    if page.auth.user.is_some() {
        return to(&safe_next(q.get("next").map(String::as_str)));
    }
    auth_form(&page, "login", &q, HashMap::new(), StatusCode::OK)
}

async fn login(page: Page, Query(q): Query<Form>, WebForm(f): WebForm<Form>) -> Response {
    match page.state.app.login(field(&f, "username"), field(&f, "password"), &page.auth.client_ip).await {
        Ok(sess) => {
            let mut res = to(&safe_next(q.get("next").map(String::as_str)));
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &sess.token, sess.max_age_secs, true, page.auth.secure),
            );
            res
        }
        Err(e @ (AppError::BadCredentials | AppError::RateLimited { .. })) => {
            let api = crate::ApiError::from(e);
            let mut form = f.clone();
            form.remove("password");
            if let Some(n) = q.get("next") {
                form.insert("next".into(), n.clone());
            }
            let errors = HashMap::from([("password".to_string(), page.error_text(&api.code, &api.message))]);
            let mut res = auth_form(&page, "login", &form, errors, api.status);
            if let Some(s) = api.retry_after {
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
            }
            res
        }
        Err(e) => page.fail(e),
    }
}

async fn signup_page(page: Page, Query(q): Query<Form>) -> Response {
    auth_form(&page, "signup", &q, HashMap::new(), StatusCode::OK)
}

/// Registers (or, on /setup, creates the administrator) and logs in.
async fn register_and_login(page: Page, q: Form, f: Form, mode: &str) -> Response {
    let app = &page.state.app;
    let r = Registration {
        username: field(&f, "username"),
        password: field(&f, "password"),
        display_name: field(&f, "display_name"),
        locale: page.lang,
        time_zone: "",
    };
    let created = if mode == "setup" {
        match app.needs_setup().await {
            Ok(true) => app.set_up_site(r, field(&f, "setup_token")).await,
            Ok(false) => return to("/login"),
            Err(e) => Err(e),
        }
    } else {
        let pass = Some(field(&f, "event_pass")).filter(|p| !p.is_empty());
        app.register_with_pass(r, &page.auth.client_ip, pass).await
    };
    if let Err(e) = created {
        return match page.field_errors(&e) {
            Some(mut errors) => {
                let problems =
                    registration_problems(field(&f, "username"), field(&f, "password"), field(&f, "display_name"));
                let mut form = f.clone();
                // Keep a password that passed, so fixing the name does not mean typing it again.
                if errors.contains_key("password") || problems.iter().any(|p| p.field == "password") {
                    form.remove("password");
                }
                for p in problems {
                    errors.entry(p.field.to_string()).or_insert_with(|| page.error_text(p.code, &p.message));
                }
                form.remove("setup_token");
                auth_form(&page, mode, &form, errors, StatusCode::UNPROCESSABLE_ENTITY)
            }
            None => page.fail(e),
        };
    }
    match app.login(field(&f, "username"), field(&f, "password"), &page.auth.client_ip).await {
        Ok(sess) => {
            let next = safe_next(q.get("next").map(String::as_str));
            let mut res = with_notice(&next, "welcome");
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &sess.token, sess.max_age_secs, true, page.auth.secure),
            );
            res
        }
        Err(e) => page.fail(e),
    }
}

async fn signup(page: Page, Query(q): Query<Form>, WebForm(f): WebForm<Form>) -> Response {
    register_and_login(page, q, f, "signup").await
}

async fn setup_page(page: Page) -> Response {
    match page.state.app.needs_setup().await {
        Ok(true) => auth_form(&page, "setup", &Form::new(), HashMap::new(), StatusCode::OK),
        Ok(false) => to("/"),
        Err(e) => page.fail(e),
    }
}

async fn setup(page: Page, WebForm(f): WebForm<Form>) -> Response {
    register_and_login(page, Form::new(), f, "setup").await
}

async fn logout(page: Page) -> Response {
    if let Via::Session { token } = &page.auth.via {
        if let Err(e) = page.state.app.logout(token).await {
            return page.fail(e);
        }
    }
    let mut res = to("/");
    res.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0, true, page.auth.secure));
    res
}

async fn profile_page(page: Page) -> Response {
    let Some(u) = page.auth.user.clone() else {
        return page.fail(AppError::Unauthenticated);
    };
    let form = context! { display_name => u.display_name, avatar_url => u.avatar_url, bio => u.bio, locale => u.locale, time_zone => u.time_zone };
    profile_view(&page, form, HashMap::new(), StatusCode::OK).await
}

/// The profile page: the profile form, the password form and the sessions
/// card; `errors` are either form's field errors.
async fn profile_view(
    page: &Page,
    form: minijinja::Value,
    errors: HashMap<String, String>,
    status: StatusCode,
) -> Response {
    let v = or_fail!(page, page.auth.require());
    let other_sessions = or_fail!(page, page.state.app.other_sessions(v, page.auth.session_token()).await);
    page.render(status, "accounts/profile.html", context! { form, errors, other_sessions })
}

async fn change_password(page: Page, WebForm(f): WebForm<Form>) -> Response {
    let v = or_fail!(page, page.auth.require());
    let (current, new) = (field(&f, "current_password"), field(&f, "new_password"));
    match page.state.app.change_password(v, current, new, page.auth.session_token()).await {
        Ok(()) => with_notice("/settings/profile", "password_changed"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => {
                let Some(u) = page.auth.user.clone() else { return page.fail(AppError::Unauthenticated) };
                let form = context! { display_name => u.display_name, avatar_url => u.avatar_url, bio => u.bio, locale => u.locale, time_zone => u.time_zone };
                profile_view(&page, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
            }
            None => page.fail(e),
        },
    }
}

async fn end_other_sessions(page: Page) -> Response {
    let r = async { page.state.app.end_other_sessions(page.auth.require()?, page.auth.session_token()).await }.await;
    page.done(r, |_| "/settings/profile".into(), "sessions_ended")
}

async fn save_profile(page: Page, WebForm(f): WebForm<Form>) -> Response {
    let v = or_fail!(page, page.auth.require());
    let input = ProfileInput {
        display_name: field(&f, "display_name"),
        avatar_url: field(&f, "avatar_url"),
        bio: field(&f, "bio"),
        locale: field(&f, "locale"),
        time_zone: field(&f, "time_zone"),
    };
    match page.state.app.update_profile(v, input).await {
        Ok(u) => {
            // The chosen language becomes the explicit choice too.
            let mut res = with_notice("/settings/profile", "saved");
            res.headers_mut()
                .append(header::SET_COOKIE, set_cookie(LANG_COOKIE, &u.locale, 86_400 * 365, false, page.auth.secure));
            res
        }
        Err(e) => match page.field_errors(&e) {
            Some(errors) => {
                profile_view(&page, minijinja::Value::from_serialize(&f), errors, StatusCode::UNPROCESSABLE_ENTITY)
                    .await
            }
            None => page.fail(e),
        },
    }
}

async fn tokens_view(page: &Page, secret: Option<String>) -> Response {
    let v = or_fail!(page, page.auth.require());
    match page.state.app.tokens(v).await {
        Ok(tokens) => page.ok("accounts/tokens.html", context! { tokens, secret }),
        Err(e) => page.fail(e),
    }
}

async fn tokens_page(page: Page) -> Response {
    tokens_view(&page, None).await
}

async fn create_token(page: Page, WebForm(f): WebForm<Form>) -> Response {
    let r = match page.auth.require() {
        Ok(v) => page.state.app.create_token(v, field(&f, "name")).await,
        Err(e) => Err(e),
    };
    match r {
        // The secret is shown once, in this response, never in a URL.
        Ok(t) => tokens_view(&page, Some(t.secret)).await,
        Err(e) => page.fail(e),
    }
}

async fn revoke_token(page: Page, Path(id): Path<i64>) -> Response {
    let r = async { page.state.app.revoke_token(page.auth.require()?, id).await }.await;
    match r {
        Ok(()) => to("/settings/tokens"),
        Err(e) => page.fail(e),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        for (given, want) in [
            ("/c/tea?x=1#top", "/c/tea?x=1#top"),
            ("/\t/evil.example", "/"),
            ("/\n/evil.example/x", "/"),
            ("//evil.example", "/"),
            ("/\\evil.example", "/"),
            ("https://evil.example/", "/"),
            ("javascript:alert(1)", "/"),
            ("/a\u{1}b", "/a%01b"),
            ("/a\rb", "/ab"),
            ("/../../etc", "/etc"),
        ] {
            assert_eq!(safe_next(Some(given)), want, "{given:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
