//! Page handlers. Each GET renders; each POST calls one use case and
//! redirects, or re-renders its form with field errors.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::Deserialize;
use yaji_app::accounts::Registration;
use yaji_app::communities::NewCommunity;
use yaji_app::content::{Curation, PostInput};
use yaji_app::membership::{JoinInput, MemberQuery, Sanction};
use yaji_app::views::{CommunityView, ReactionView};
use yaji_app::AppError;
use yaji_domain::community::SettingsInput;
use yaji_domain::content::{Feed, REACTIONS};
use yaji_domain::user::ProfileInput;

use super::{Page, WebForm, CSS, ICON, JS};
use crate::auth::{set_cookie, Via, LANG_COOKIE, SESSION_COOKIE};
use crate::AppState;

pub fn router() -> Router<AppState> {
    let r = Router::new()
        .route("/", get(home))
        .route("/static/app.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
        .route("/static/app.js", get(|| async { asset("text/javascript; charset=utf-8", JS) }))
        .route("/static/favicon.svg", get(|| async { asset("image/svg+xml", ICON) }))
        .route("/favicon.ico", get(|| async { asset("image/svg+xml", ICON) }))
        .route("/lang/{code}", get(switch_lang))
        .route("/login", get(login_page).post(login))
        .route("/signup", get(signup_page).post(signup))
        .route("/setup", get(setup_page).post(setup))
        .route("/logout", post(logout))
        .route("/c/new", get(new_community_page).post(create_community))
        .route("/c/{slug}", get(community))
        .route("/c/{slug}/posts", post(create_post))
        .route("/c/{slug}/join", get(join_page).post(join))
        .route("/c/{slug}/leave", post(leave))
        .route("/c/{slug}/members", get(members))
        .route("/c/{slug}/members/{username}/sanction", post(sanction))
        .route("/c/{slug}/members/{username}/role", post(set_role))
        .route("/c/{slug}/members/{username}/unban", post(unban))
        .route("/c/{slug}/requests", get(requests))
        .route("/requests/{id}/decide", post(decide_request))
        .route("/c/{slug}/rules", get(rules).post(publish_rules))
        .route("/c/{slug}/settings", get(settings_page).post(save_settings))
        .route("/c/{slug}/topics", post(create_topic))
        .route("/c/{slug}/invites", post(create_invite))
        .route("/invite/{code}", get(invite_page))
        .route("/p/{id}", get(post_page))
        .route("/p/{id}/edit", get(edit_page).post(edit_post))
        .route("/p/{id}/history", get(history_page))
        .route("/p/{id}/comments", post(comment))
        .route("/p/{id}/react", post(react))
        .route("/p/{id}/pin", post(pin))
        .route("/p/{id}/essence", post(essence))
        .route("/p/{id}/delete", post(delete_post))
        .route("/comments/{id}/delete", post(delete_comment))
        .route("/settings/profile", get(profile_page).post(save_profile))
        .route("/settings/tokens", get(tokens_page).post(create_token))
        .route("/settings/tokens/{id}/revoke", post(revoke_token));
    super::analytics::routes(super::email::routes(super::assistant::routes(super::faq::routes(
        super::moderation::routes(r),
    ))))
}

fn asset(ct: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, ct), (header::CACHE_CONTROL, "public, max-age=86400")], body).into_response()
}

fn to(path: &str) -> Response {
    Redirect::to(path).into_response()
}

pub(super) fn with_notice(path: &str, notice: &str) -> Response {
    to(&super::notice_url(path, notice))
}

/// Only local paths are followed after login, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n.to_string(),
        _ => "/".into(),
    }
}

pub(super) type Form = HashMap<String, String>;

pub(super) fn field<'a>(f: &'a Form, k: &str) -> &'a str {
    f.get(k).map(String::as_str).unwrap_or("")
}

fn opt_i64(f: &Form, k: &'static str) -> Result<Option<i64>, AppError> {
    match field(f, k).trim() {
        "" => Ok(None),
        s => s
            .parse()
            .map(Some)
            .map_err(|_| yaji_domain::error::invalid(k, "invalid_number", format!("{k} must be a number")).into()),
    }
}

// ------------------------------------------------------------------ home & auth

async fn home(page: Page) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let mine = match viewer {
        Some(v) => match app.my_communities(v).await {
            Ok(m) => m,
            Err(e) => return page.fail(e),
        },
        None => vec![],
    };
    let discover = match app.communities(viewer, false, 24, 0).await {
        Ok(d) => d.into_iter().filter(|c| !mine.iter().any(|m| m.id == c.id)).collect::<Vec<_>>(),
        Err(e) => return page.fail(e),
    };
    let needs_setup = app.needs_setup().await.unwrap_or(false);
    page.ok("home.html", context! { mine, discover, needs_setup })
}

async fn switch_lang(page: Page, Path(code): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    let lang = super::i18n::normalize(&code).unwrap_or("zh-CN");
    let mut res = to(&safe_next(q.get("next").map(String::as_str)));
    res.headers_mut().append(header::SET_COOKIE, set_cookie(LANG_COOKIE, lang, 86_400 * 365, false, page.auth.secure));
    res
}

fn auth_form(page: &Page, mode: &str, form: &Form, errors: HashMap<String, String>, status: StatusCode) -> Response {
    let next = form.get("next").cloned();
    page.render(status, "auth.html", context! { mode, form, errors, next })
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
            Ok(true) => app.create_user(r, true).await,
            Ok(false) => return to("/login"),
            Err(e) => Err(e),
        }
    } else {
        app.register(r, &page.auth.client_ip).await
    };
    if let Err(e) = created {
        return match page.field_errors(&e) {
            Some(errors) => {
                let mut form = f.clone();
                form.remove("password");
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

// ------------------------------------------------------------------ communities

fn settings_form(c: Option<&CommunityView>) -> Form {
    let mut f = Form::new();
    match c {
        Some(c) => {
            for (k, v) in [
                ("name", &c.name),
                ("description", &c.description),
                ("target_members", &c.target_members),
                ("core_value", &c.core_value),
                ("visibility", &c.visibility),
                ("join_policy", &c.join_policy),
                ("time_zone", &c.time_zone),
                ("announcement", &c.announcement),
            ] {
                f.insert(k.into(), v.clone());
            }
            f.insert("entry_questions".into(), c.entry_questions.join("\n"));
        }
        None => {
            f.insert("visibility".into(), "public".into());
            f.insert("join_policy".into(), "open".into());
            f.insert("time_zone".into(), "Asia/Shanghai".into());
        }
    }
    f
}

fn settings_input(f: &Form) -> SettingsInput {
    SettingsInput {
        name: field(f, "name").into(),
        description: field(f, "description").into(),
        target_members: field(f, "target_members").into(),
        core_value: field(f, "core_value").into(),
        visibility: field(f, "visibility").into(),
        join_policy: field(f, "join_policy").into(),
        entry_questions: field(f, "entry_questions").lines().map(str::to_string).collect(),
        time_zone: field(f, "time_zone").into(),
        announcement: field(f, "announcement").into(),
    }
}

async fn new_community_page(page: Page) -> Response {
    if page.auth.user.is_none() {
        return page.fail(AppError::Unauthenticated);
    }
    page.ok("settings.html", context! { form => settings_form(None), errors => Form::new() })
}

async fn create_community(page: Page, WebForm(f): WebForm<Form>) -> Response {
    let v = match page.auth.require() {
        Ok(v) => v,
        Err(e) => return page.fail(e),
    };
    let input =
        NewCommunity { slug: field(&f, "slug").into(), settings: settings_input(&f), rules: field(&f, "rules").into() };
    match page.state.app.create_community(v, input).await {
        Ok(c) => to(&format!("/c/{}", c.slug)),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => {
                page.render(StatusCode::UNPROCESSABLE_ENTITY, "settings.html", context! { form => f, errors })
            }
            None => page.fail(e),
        },
    }
}

#[derive(Deserialize, Default)]
struct FeedQuery {
    feed: Option<String>,
    topic: Option<i64>,
    cursor: Option<String>,
}

async fn community_page(
    page: &Page,
    slug: &str,
    q: FeedQuery,
    form: Form,
    errors: HashMap<String, String>,
) -> Response {
    let (tab, feed) = match (q.topic, q.feed.as_deref()) {
        (Some(t), _) => ("topic", Feed::Topic(t)),
        (None, Some("essence")) => ("essence", Feed::Essence),
        _ => ("latest", Feed::Latest),
    };
    let (c, feed, topics) =
        match page.state.app.community_page(page.auth.viewer(), slug, feed, q.cursor.as_deref()).await {
            Ok(x) => x,
            Err(e) => return page.fail(e),
        };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(
        status,
        "community.html",
        context! { c, feed, topics, tab, topic_id => q.topic, cursor => q.cursor, form, errors },
    )
}

async fn community(page: Page, Path(slug): Path<String>, Query(q): Query<FeedQuery>) -> Response {
    community_page(&page, &slug, q, Form::new(), HashMap::new()).await
}

async fn create_post(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let v = match page.auth.require() {
        Ok(v) => v,
        Err(e) => return page.fail(e),
    };
    let topic_id = match opt_i64(&f, "topic_id") {
        Ok(t) => t,
        Err(e) => return page.fail(e),
    };
    let title = field(&f, "title");
    let input = PostInput { title: Some(title), body: field(&f, "body"), topic_id };
    match page.state.app.create_post(v, &slug, input).await {
        Ok(p) => with_notice(&format!("/p/{}", p.id), &format!("posted_{}", p.moderation)),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => community_page(&page, &slug, FeedQuery::default(), f, errors).await,
            None => page.fail(e),
        },
    }
}

async fn join_page(page: Page, Path(slug): Path<String>) -> Response {
    join_view(&page, &slug, None, Form::new(), HashMap::new()).await
}

async fn join_view(
    page: &Page,
    slug: &str,
    invite: Option<yaji_app::views::InviteView>,
    form: Form,
    errors: HashMap<String, String>,
) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let c = match app.community(viewer, slug).await {
        Ok(c) => c,
        Err(e) => return page.fail(e),
    };
    let rules = app.rules(viewer, slug).await.ok().flatten();
    let my_requests = match viewer {
        Some(v) => app.my_join_requests(v, slug).await.unwrap_or_default(),
        None => vec![],
    };
    let invite_invalid = invite.as_ref().is_some_and(|i| {
        i.revoked
            || i.max_uses.is_some_and(|m| i.uses >= m)
            || i.expires_at.as_ref().is_some_and(|e| e.as_str() < yaji_app::rfc3339(now_ms()).as_str())
    });
    let outsider = c
        .membership
        .as_ref()
        .is_none_or(|m| m.state.as_deref() != Some("active") && m.state.as_deref() != Some("banned"));
    let applying = invite.is_none() && c.abilities.apply;
    let can_join = viewer.is_some() && outsider && (c.abilities.join || applying || invite.is_some());
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(
        status,
        "join.html",
        context! { c, rules, my_requests, invite, invite_invalid, applying, can_join, form, errors },
    )
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn join(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let v = match page.auth.require() {
        Ok(v) => v,
        Err(e) => return page.fail(e),
    };
    let answers: Vec<String> = (0..5).map_while(|i| f.get(&format!("answer_{i}")).cloned()).collect();
    let invite_code = f.get("invite_code").cloned().filter(|s| !s.is_empty());
    let input = JoinInput { accept_rules: f.contains_key("accept_rules"), answers, invite_code: invite_code.clone() };
    match page.state.app.join(v, &slug, input).await {
        Ok(out) if out.status == "pending" => with_notice(&format!("/c/{slug}/join"), "applied"),
        Ok(_) => with_notice(&format!("/c/{slug}"), "joined"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => {
                let invite = match invite_code {
                    Some(code) => page.state.app.invite_target(Some(v), &code).await.ok().map(|x| x.0),
                    None => None,
                };
                join_view(&page, &slug, invite, f, errors).await
            }
            None => page.fail(e),
        },
    }
}

async fn invite_page(page: Page, Path(code): Path<String>) -> Response {
    if !yaji_domain::text::is_token_shaped(&code) {
        return page.fail(AppError::NotFound("invite"));
    }
    match page.state.app.invite_target(page.auth.viewer(), &code).await {
        Ok((invite, c)) => join_view(&page, &c.slug, Some(invite), Form::new(), HashMap::new()).await,
        Err(e) => page.fail(e),
    }
}

async fn leave(page: Page, Path(slug): Path<String>) -> Response {
    let r = async { page.state.app.leave(page.auth.require()?, &slug).await }.await;
    page.done(r, |_| format!("/c/{slug}"), "left")
}

#[derive(Deserialize)]
struct DirectoryQuery {
    q: Option<String>,
    role: Option<String>,
    /// `banned` shows the ban list (moderators and above).
    state: Option<String>,
    offset: Option<i64>,
}

async fn members(page: Page, Path(slug): Path<String>, Query(mq): Query<DirectoryQuery>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let c = match app.community(viewer, &slug).await {
        Ok(c) => c,
        Err(e) => return page.fail(e),
    };
    let offset = mq.offset.unwrap_or(0).max(0);
    let role = mq.role.clone().unwrap_or_default();
    let list = match app
        .members(
            viewer,
            &slug,
            &MemberQuery { q: mq.q.as_deref(), role: Some(&role), state: mq.state.as_deref(), limit: 51, offset },
        )
        .await
    {
        Ok(l) => l,
        Err(e) => return page.fail(e),
    };
    let more = list.len() > 50;
    let members: Vec<_> = list.into_iter().take(50).collect();
    page.ok(
        "members.html",
        context! { c, members, more, offset, q => mq.q.unwrap_or_default(), role, state => mq.state.unwrap_or_default() },
    )
}

async fn sanction(page: Page, Path((slug, username)): Path<(String, String)>, WebForm(f): WebForm<Form>) -> Response {
    let kind = if field(&f, "action") == "ban" { Sanction::Ban } else { Sanction::Remove };
    let r = async { page.state.app.sanction(page.auth.require()?, &slug, &username, kind, field(&f, "reason")).await }
        .await;
    page.done(r, |_| format!("/c/{slug}/members"), if kind == Sanction::Ban { "banned" } else { "removed" })
}

async fn set_role(page: Page, Path((slug, username)): Path<(String, String)>, WebForm(f): WebForm<Form>) -> Response {
    let r = async { page.state.app.change_role(page.auth.require()?, &slug, &username, field(&f, "role")).await }.await;
    page.done(r, |_| format!("/c/{slug}/members"), "role_changed")
}

async fn unban(page: Page, Path((slug, username)): Path<(String, String)>) -> Response {
    let r = async { page.state.app.unban(page.auth.require()?, &slug, &username).await }.await;
    page.done(r, |_| format!("/c/{slug}/members?state=banned"), "unbanned")
}

async fn requests(page: Page, Path(slug): Path<String>) -> Response {
    let app = &page.state.app;
    let v = match page.auth.require() {
        Ok(v) => v,
        Err(e) => return page.fail(e),
    };
    let c = match app.community(Some(v), &slug).await {
        Ok(c) => c,
        Err(e) => return page.fail(e),
    };
    match app.join_requests(v, &slug, "pending").await {
        Ok(requests) => page.ok("requests.html", context! { c, requests }),
        Err(e) => page.fail(e),
    }
}

async fn decide_request(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let approve = field(&f, "approve") == "1";
    let app = &page.state.app;
    let r = async {
        let req = app.decide_join_request(page.auth.require()?, id, approve, field(&f, "reason")).await?;
        app.community_slug(req.community_id).await
    }
    .await;
    page.done(r, |slug| format!("/c/{slug}/requests"), if approve { "approved" } else { "rejected" })
}

async fn rules(page: Page, Path(slug): Path<String>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let c = match app.community(viewer, &slug).await {
        Ok(c) => c,
        Err(e) => return page.fail(e),
    };
    let rules = app.rules(viewer, &slug).await.ok().flatten();
    page.ok("rules.html", context! { c, rules })
}

async fn publish_rules(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let r = async { page.state.app.publish_rules(page.auth.require()?, &slug, field(&f, "body")).await }.await;
    page.done(r, |_| format!("/c/{slug}/settings"), "rules_published")
}

async fn settings_view(page: &Page, slug: &str, form: Option<Form>, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let v = match page.auth.require() {
        Ok(v) => v,
        Err(e) => return page.fail(e),
    };
    let c = match app.community(Some(v), slug).await {
        Ok(c) if c.abilities.manage => c,
        Ok(_) => return page.fail(AppError::forbidden("insufficient_role", "admins only")),
        Err(e) => return page.fail(e),
    };
    let rules = app.rules(Some(v), slug).await.ok().flatten();
    let topics = app.topics(Some(v), slug).await.unwrap_or_default();
    let invites = app.invites(v, slug).await.unwrap_or_default();
    let form = form.unwrap_or_else(|| settings_form(Some(&c)));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(status, "settings.html", context! { c, form, errors, rules, topics, invites })
}

async fn settings_page(page: Page, Path(slug): Path<String>) -> Response {
    settings_view(&page, &slug, None, HashMap::new()).await
}

async fn save_settings(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let r = match page.auth.require() {
        Ok(v) => page.state.app.update_community(v, &slug, settings_input(&f)).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => with_notice(&format!("/c/{slug}/settings"), "saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => settings_view(&page, &slug, Some(f), errors).await,
            None => page.fail(e),
        },
    }
}

async fn create_topic(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let r = async { page.state.app.create_topic(page.auth.require()?, &slug, field(&f, "name")).await }.await;
    page.done(r, |_| format!("/c/{slug}/settings"), "topic_created")
}

async fn create_invite(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let r = async {
        let v = page.auth.require()?;
        page.state.app.create_invite(v, &slug, opt_i64(&f, "max_uses")?, opt_i64(&f, "expires_in_hours")?).await
    }
    .await;
    page.done(r, |inv| inv.path, "invite_created")
}

// ------------------------------------------------------------------ posts

async fn post_view(page: &Page, id: i64, form: Form, errors: HashMap<String, String>) -> Response {
    let d = match page.state.app.post(page.auth.viewer(), id).await {
        Ok(d) => d,
        Err(e) => return page.fail(e),
    };
    let reaction_map: HashMap<String, ReactionView> =
        d.reactions.iter().map(|r| (r.emoji.clone(), r.clone())).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(status, "post.html", context! { d, emojis => REACTIONS, reaction_map, form, errors })
}

async fn post_page(page: Page, Path(id): Path<i64>) -> Response {
    post_view(&page, id, Form::new(), HashMap::new()).await
}

async fn history_page(page: Page, Path(id): Path<i64>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async { Ok((app.post(viewer, id).await?, app.post_revisions(viewer, id).await?)) }.await;
    match r {
        Ok((d, revisions)) => page.ok("history.html", context! { d, revisions }),
        Err(e) => page.fail(e),
    }
}

async fn edit_page(page: Page, Path(id): Path<i64>) -> Response {
    let app = &page.state.app;
    let d = match app.post(page.auth.viewer(), id).await {
        Ok(d) if d.is_author => d,
        Ok(_) => return page.fail(AppError::forbidden("not_author", "only the author can edit")),
        Err(e) => return page.fail(e),
    };
    let topics = app.topics(page.auth.viewer(), &d.community_slug).await.unwrap_or_default();
    let form = context! { title => d.post.title, body => d.post.body, topic_id => d.post.topic.as_ref().map(|t| t.id) };
    page.ok("post_edit.html", context! { p => d.post, form, topics, errors => Form::new() })
}

async fn edit_post(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let r = async {
        let v = page.auth.require()?;
        let input =
            PostInput { title: Some(field(&f, "title")), body: field(&f, "body"), topic_id: opt_i64(&f, "topic_id")? };
        page.state.app.edit_post(v, id, input).await
    }
    .await;
    match r {
        Ok(_) => with_notice(&format!("/p/{id}"), "saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => {
                let p = match page.state.app.post(page.auth.viewer(), id).await {
                    Ok(d) => d.post,
                    Err(e) => return page.fail(e),
                };
                page.render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "post_edit.html",
                    context! { p, form => f, errors, topics => Vec::<()>::new() },
                )
            }
            None => page.fail(e),
        },
    }
}

async fn comment(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let r = match page.auth.require() {
        Ok(v) => page.state.app.comment(v, id, field(&f, "body")).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(c) if c.moderation == "visible" => to(&format!("/p/{id}#c{}", c.id)),
        Ok(c) => {
            to(&format!("{}#c{}", super::notice_url(&format!("/p/{id}"), &format!("comment_{}", c.moderation)), c.id))
        }
        Err(e) => match page.field_errors(&e) {
            Some(errors) => post_view(&page, id, f, errors).await,
            None => page.fail(e),
        },
    }
}

async fn react(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let on = field(&f, "on") != "0";
    let r = async { page.state.app.react(page.auth.require()?, id, field(&f, "emoji"), on).await }.await;
    match r {
        Ok(_) => to(&format!("/p/{id}")),
        Err(e) => page.fail(e),
    }
}

async fn curate(page: Page, id: i64, on: Curation, off: Curation, f: &Form) -> Response {
    let what = if field(f, "on") == "0" { off } else { on };
    let r = async { page.state.app.curate(page.auth.require()?, id, what).await }.await;
    page.done(r, |_| format!("/p/{id}"), "saved")
}

async fn pin(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    curate(page, id, Curation::Pin, Curation::Unpin, &f).await
}

async fn essence(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    curate(page, id, Curation::SetEssence, Curation::UnsetEssence, &f).await
}

async fn delete_post(page: Page, Path(id): Path<i64>) -> Response {
    let r = async { page.state.app.delete_post(page.auth.require()?, id).await }.await;
    page.done(r, |slug| format!("/c/{slug}"), "deleted")
}

async fn delete_comment(page: Page, Path(id): Path<i64>) -> Response {
    let r = async { page.state.app.delete_comment(page.auth.require()?, id).await }.await;
    page.done(r, |post_id| format!("/p/{post_id}"), "deleted")
}

// ------------------------------------------------------------------ settings

async fn profile_page(page: Page) -> Response {
    let Some(u) = page.auth.user.clone() else {
        return page.fail(AppError::Unauthenticated);
    };
    let form = context! { display_name => u.display_name, avatar_url => u.avatar_url, bio => u.bio, locale => u.locale, time_zone => u.time_zone };
    page.ok("profile.html", context! { form, errors => Form::new() })
}

async fn save_profile(page: Page, WebForm(f): WebForm<Form>) -> Response {
    let v = match page.auth.require() {
        Ok(v) => v,
        Err(e) => return page.fail(e),
    };
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
                page.render(StatusCode::UNPROCESSABLE_ENTITY, "profile.html", context! { form => f, errors })
            }
            None => page.fail(e),
        },
    }
}

async fn tokens_view(page: &Page, secret: Option<String>) -> Response {
    let v = match page.auth.require() {
        Ok(v) => v,
        Err(e) => return page.fail(e),
    };
    match page.state.app.tokens(v).await {
        Ok(tokens) => page.ok("tokens.html", context! { tokens, secret }),
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
