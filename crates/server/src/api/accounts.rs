//! Accounts: sign-up, login and logout, the profile, API tokens.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::accounts::Registration;
use yaji_app::views::*;
use yaji_domain::user::ProfileInput;

use super::{created, no_content, ok, ApiResult, Call, Json, Path};
use crate::auth::{set_cookie, Via, SESSION_COOKIE};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me, update_me))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(change_password))
        .routes(routes!(sessions, end_other_sessions))
        .routes(routes!(light))
        .routes(routes!(sign_in_link))
        .routes(routes!(use_sign_in_link))
        .routes(routes!(finish_account))
}

/// A session as the API answers it: the user and the CSRF token, with the cookie set.
fn session_response(c: &Call, sess: yaji_app::accounts::Session, status: StatusCode) -> Response {
    let mut res = (status, axum::Json(LoginResponse { user: sess.user, csrf_token: sess.csrf })).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &sess.token, sess.max_age_secs, true, c.auth.secure));
    res
}

#[derive(Deserialize, ToSchema)]
struct LightBody {
    display_name: String,
    email: String,
    #[serde(default)]
    locale: String,
}

/// A light account: a name and an email, no password; signed in at once
/// (sets the `yaji_session` cookie). 409 `email_has_account` when the
/// address has an account already.
#[utoipa::path(post, path = "/api/v1/auth/light", tag = "accounts", request_body = LightBody,
    responses((status = 201, body = LoginResponse), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn light(c: Call, Json(b): Json<LightBody>) -> ApiResult<Response> {
    let who = yaji_app::accounts::LightInput { display_name: &b.display_name, email: &b.email, locale: &b.locale };
    let sess = c.app.light_sign_up(who, &c.auth.client_ip).await?;
    Ok(session_response(&c, sess, StatusCode::CREATED))
}

#[derive(Deserialize, ToSchema)]
struct LinkBody {
    email: String,
    /// A local path the link leads to after signing in.
    #[serde(default)]
    next: Option<String>,
}

/// Mails a one-time sign-in link (30 minutes) to the account with this
/// address, if there is one; the answer is 202 either way.
#[utoipa::path(post, path = "/api/v1/auth/sign-in-link", tag = "accounts", request_body = LinkBody,
    responses((status = 202), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn sign_in_link(c: Call, Json(b): Json<LinkBody>) -> ApiResult<Response> {
    c.app.send_sign_in_link(&b.email, b.next.as_deref(), &c.auth.client_ip).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

#[derive(Deserialize, ToSchema)]
struct UseLinkBody {
    /// The secret from the link's path.
    token: String,
}

/// Signs in with a sign-in link's secret (once; 409 `link_expired` after).
#[utoipa::path(post, path = "/api/v1/auth/sign-in-link/use", tag = "accounts", request_body = UseLinkBody,
    responses((status = 200, body = LoginResponse), (status = 409, body = ErrorBody)))]
async fn use_sign_in_link(c: Call, Json(b): Json<UseLinkBody>) -> ApiResult<Response> {
    let sess = c.app.sign_in_with_link(&b.token).await?;
    Ok(session_response(&c, sess, StatusCode::OK))
}

#[derive(Deserialize, ToSchema)]
struct FinishBody {
    username: String,
    password: String,
}

/// A light account chooses its username and password; every other session ends.
#[utoipa::path(post, path = "/api/v1/me/finish", tag = "accounts", request_body = FinishBody,
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn finish_account(c: Call, Json(b): Json<FinishBody>) -> ApiResult<Response> {
    let keep = match &c.auth.via {
        Via::Session { token } => Some(token.clone()),
        _ => None,
    };
    ok(c.app.complete_account(c.require()?, &b.username, &b.password, keep.as_deref()).await?)
}

#[derive(Deserialize, ToSchema)]
struct RegisterBody {
    username: String,
    password: String,
    #[serde(default)]
    display_name: String,
    /// zh-CN or en
    #[serde(default)]
    locale: String,
    /// IANA time zone, e.g. Asia/Shanghai
    #[serde(default)]
    time_zone: String,
    /// A gathering's door pass (`ID-CODE`) from the organizer's sign-up link:
    /// sign-ups through it are not limited per address.
    #[serde(default)]
    event_pass: Option<String>,
}

/// Create an account. The first account of a site becomes its administrator.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "accounts", request_body = RegisterBody,
    responses((status = 201, body = UserView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn register(c: Call, Json(b): Json<RegisterBody>) -> ApiResult<Response> {
    let r = Registration {
        username: &b.username,
        password: &b.password,
        display_name: &b.display_name,
        locale: &b.locale,
        time_zone: &b.time_zone,
    };
    created(c.app.register_with_pass(r, &c.auth.client_ip, b.event_pass.as_deref()).await?)
}

#[derive(Deserialize, ToSchema)]
struct LoginBody {
    username: String,
    password: String,
}

#[derive(serde::Serialize, ToSchema)]
struct LoginResponse {
    user: UserView,
    /// Send as `X-CSRF-Token` on writes authenticated by the session cookie.
    csrf_token: String,
}

/// Log in; sets the `yaji_session` cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginBody,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(c: Call, Json(b): Json<LoginBody>) -> ApiResult<Response> {
    let sess = c.app.login(&b.username, &b.password, &c.auth.client_ip).await?;
    let mut res = axum::Json(LoginResponse { user: sess.user, csrf_token: sess.csrf }).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &sess.token, sess.max_age_secs, true, c.auth.secure));
    Ok(res)
}

/// End the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts", responses((status = 204)))]
async fn logout(c: Call) -> ApiResult<Response> {
    if let Via::Session { token } = &c.auth.via {
        c.app.logout(token).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0, true, c.auth.secure));
    Ok(res)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
async fn me(c: Call) -> ApiResult<Response> {
    ok(c.app.user(c.require()?.id).await?)
}

#[derive(Deserialize, ToSchema)]
struct ProfileBody {
    display_name: Option<String>,
    /// http(s) URL; empty string clears it
    avatar_url: Option<String>,
    bio: Option<String>,
    locale: Option<String>,
    time_zone: Option<String>,
}

/// Update your profile; omitted fields keep their value.
#[utoipa::path(patch, path = "/api/v1/me", tag = "accounts", request_body = ProfileBody,
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_me(c: Call, Json(b): Json<ProfileBody>) -> ApiResult<Response> {
    let v = c.require()?;
    let cur = c.app.user(v.id).await?;
    let avatar = b.avatar_url.or(cur.avatar_url).unwrap_or_default();
    let input = ProfileInput {
        display_name: b.display_name.as_deref().unwrap_or(&cur.display_name),
        avatar_url: &avatar,
        bio: b.bio.as_deref().unwrap_or(&cur.bio),
        locale: b.locale.as_deref().unwrap_or(&cur.locale),
        time_zone: b.time_zone.as_deref().unwrap_or(&cur.time_zone),
    };
    ok(c.app.update_profile(v, input).await?)
}

/// Your API tokens (secrets are never shown again).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "accounts", responses((status = 200, body = Vec<TokenView>), (status = 401, body = ErrorBody)))]
async fn list_tokens(c: Call) -> ApiResult<Response> {
    ok(c.app.tokens(c.require()?).await?)
}

#[derive(Deserialize, ToSchema)]
struct TokenBody {
    name: String,
}

/// Create a bearer API token; its secret is in this response only.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "accounts", request_body = TokenBody,
    responses((status = 201, body = NewToken), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_token(c: Call, Json(b): Json<TokenBody>) -> ApiResult<Response> {
    created(c.app.create_token(c.require()?, &b.name).await?)
}

/// Revoke one of your tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_token(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    c.app.revoke_token(c.require()?, id).await?;
    no_content()
}

#[derive(Deserialize, ToSchema)]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// Change your password (the current one is required). Every other session
/// and every API token ends, the token making this call included; a browser
/// session making it stays signed in.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "accounts", request_body = PasswordBody,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn change_password(c: Call, Json(b): Json<PasswordBody>) -> ApiResult<Response> {
    c.app.change_password(c.require()?, &b.current_password, &b.new_password, c.auth.session_token()).await?;
    no_content()
}

#[derive(serde::Serialize, ToSchema)]
struct SessionsView {
    /// Signed-in browsers besides this one.
    other_sessions: i64,
}

#[derive(serde::Serialize, ToSchema)]
struct EndedView {
    /// How many sessions were signed out.
    ended: u64,
}

/// How many other browsers are signed in to your account.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "accounts",
    responses((status = 200, body = SessionsView), (status = 401, body = ErrorBody)))]
async fn sessions(c: Call) -> ApiResult<Response> {
    ok(SessionsView { other_sessions: c.app.other_sessions(c.require()?, c.auth.session_token()).await? })
}

/// Sign out everywhere else: every session but the one making this call.
#[utoipa::path(delete, path = "/api/v1/me/sessions", tag = "accounts",
    responses((status = 200, body = EndedView), (status = 401, body = ErrorBody)))]
async fn end_other_sessions(c: Call) -> ApiResult<Response> {
    ok(EndedView { ended: c.app.end_other_sessions(c.require()?, c.auth.session_token()).await? })
}
