//! The JSON API under `/api/v1`. Every handler is an adapter: parse the
//! request, call one use case, serialize the view. The OpenAPI document is
//! generated from these handlers and their types.

pub mod analytics;
pub mod automation;
pub mod email;
mod extract;
pub mod faq;
pub mod jobs;
pub mod moderation;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::accounts::Registration;
use yaji_app::communities::NewCommunity;
use yaji_app::content::{Curation, PostInput};
use yaji_app::membership::{JoinInput, JoinOutcome, MemberQuery, Sanction};
use yaji_app::views::*;
use yaji_domain::community::SettingsInput;
use yaji_domain::content::Feed;
use yaji_domain::user::ProfileInput;

pub use extract::{Json, Path, Query};

use crate::auth::{set_cookie, Auth, Via, SESSION_COOKIE};
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

type ApiResult<T> = Result<T, ApiError>;

fn ok<T: serde::Serialize>(v: T) -> ApiResult<Response> {
    Ok(axum::Json(v).into_response())
}

/// A body the app already serialized (its anonymous page cache).
fn json_bytes(json: axum::body::Bytes) -> ApiResult<Response> {
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], json).into_response())
}

fn created<T: serde::Serialize>(v: T) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, axum::Json(v)).into_response())
}

fn no_content() -> ApiResult<Response> {
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Yaji API", version = "1", description = "Yaji (雅集) community platform API. Authenticate with `Authorization: Bearer <token>` (create one at /settings/tokens or with `yaji admin create-token`), or with the session cookie plus an `X-CSRF-Token` header on writes."),
    modifiers(&SecurityAddon),
    components(schemas(ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
struct ApiDoc;

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))));
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me, update_me))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(my_communities))
        .routes(routes!(list_communities, create_community))
        .routes(routes!(get_community, update_community))
        .routes(routes!(get_rules, publish_rules))
        .routes(routes!(accept_rules))
        .routes(routes!(rules_history))
        .routes(routes!(list_topics, create_topic))
        .routes(routes!(join))
        .routes(routes!(leave))
        .routes(routes!(list_members))
        .routes(routes!(remove_member))
        .routes(routes!(ban_member))
        .routes(routes!(unban_member))
        .routes(routes!(set_role))
        .routes(routes!(list_join_requests))
        .routes(routes!(my_join_requests))
        .routes(routes!(approve_join_request))
        .routes(routes!(reject_join_request))
        .routes(routes!(list_invites, create_invite))
        .routes(routes!(get_invite))
        .routes(routes!(feed, create_post))
        .routes(routes!(get_post, edit_post, delete_post))
        .routes(routes!(post_revisions))
        .routes(routes!(pin_post, unpin_post))
        .routes(routes!(set_essence, unset_essence))
        .routes(routes!(create_comment))
        .routes(routes!(delete_comment))
        .routes(routes!(add_reaction, remove_reaction));
    analytics::routes(email::routes(automation::routes(faq::routes(jobs::routes(moderation::routes(r))))))
}

pub async fn openapi_json() -> impl IntoResponse {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let doc = DOC.get_or_init(|| router().split_for_parts().1.to_pretty_json().unwrap_or_default());
    ([(header::CONTENT_TYPE, "application/json")], doc.as_str())
}

// ---------------------------------------------------------------- accounts

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
}

/// Create an account. The first account of a site becomes its administrator.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "accounts", request_body = RegisterBody,
    responses((status = 201, body = UserView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn register(State(s): State<AppState>, auth: Auth, Json(b): Json<RegisterBody>) -> ApiResult<Response> {
    let r = Registration {
        username: &b.username,
        password: &b.password,
        display_name: &b.display_name,
        locale: &b.locale,
        time_zone: &b.time_zone,
    };
    created(s.app.register(r, &auth.client_ip).await?)
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
async fn login(State(s): State<AppState>, auth: Auth, Json(b): Json<LoginBody>) -> ApiResult<Response> {
    let sess = s.app.login(&b.username, &b.password, &auth.client_ip).await?;
    let mut res = axum::Json(LoginResponse { user: sess.user, csrf_token: sess.csrf }).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &sess.token, sess.max_age_secs, true, auth.secure));
    Ok(res)
}

/// End the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts", responses((status = 204)))]
async fn logout(State(s): State<AppState>, auth: Auth) -> ApiResult<Response> {
    if let Via::Session { token } = &auth.via {
        s.app.logout(token).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0, true, auth.secure));
    Ok(res)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
async fn me(State(s): State<AppState>, auth: Auth) -> ApiResult<Response> {
    ok(s.app.user(auth.require()?.id).await?)
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
async fn update_me(State(s): State<AppState>, auth: Auth, Json(b): Json<ProfileBody>) -> ApiResult<Response> {
    let v = auth.require()?;
    let cur = s.app.user(v.id).await?;
    let avatar = b.avatar_url.or(cur.avatar_url).unwrap_or_default();
    let input = ProfileInput {
        display_name: b.display_name.as_deref().unwrap_or(&cur.display_name),
        avatar_url: &avatar,
        bio: b.bio.as_deref().unwrap_or(&cur.bio),
        locale: b.locale.as_deref().unwrap_or(&cur.locale),
        time_zone: b.time_zone.as_deref().unwrap_or(&cur.time_zone),
    };
    ok(s.app.update_profile(v, input).await?)
}

/// Your API tokens (secrets are never shown again).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "accounts", responses((status = 200, body = Vec<TokenView>), (status = 401, body = ErrorBody)))]
async fn list_tokens(State(s): State<AppState>, auth: Auth) -> ApiResult<Response> {
    ok(s.app.tokens(auth.require()?).await?)
}

#[derive(Deserialize, ToSchema)]
struct TokenBody {
    name: String,
}

/// Create a bearer API token; its secret is in this response only.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "accounts", request_body = TokenBody,
    responses((status = 201, body = NewToken), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_token(State(s): State<AppState>, auth: Auth, Json(b): Json<TokenBody>) -> ApiResult<Response> {
    created(s.app.create_token(auth.require()?, &b.name).await?)
}

/// Revoke one of your tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_token(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Response> {
    s.app.revoke_token(auth.require()?, id).await?;
    no_content()
}

/// Communities you are a member of.
#[utoipa::path(get, path = "/api/v1/me/communities", tag = "accounts", responses((status = 200, body = Vec<CommunityView>), (status = 401, body = ErrorBody)))]
async fn my_communities(State(s): State<AppState>, auth: Auth) -> ApiResult<Response> {
    ok(s.app.my_communities(auth.require()?).await?)
}

// ------------------------------------------------------------- communities

#[derive(Deserialize, IntoParams)]
struct PageParams {
    /// 1-100, default 50
    limit: Option<u32>,
    offset: Option<u32>,
}

#[derive(serde::Serialize, ToSchema)]
struct CommunityList {
    communities: Vec<CommunityView>,
}

/// All communities, most members first. Private ones show their card only.
#[utoipa::path(get, path = "/api/v1/communities", tag = "communities", params(PageParams),
    responses((status = 200, body = CommunityList)))]
async fn list_communities(State(s): State<AppState>, auth: Auth, Query(p): Query<PageParams>) -> ApiResult<Response> {
    let limit = p.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "out_of_range", "limit must be between 1 and 100")
            .field("limit"));
    }
    let communities = s.app.communities(auth.viewer(), true, limit as i64, p.offset.unwrap_or(0) as i64).await?;
    ok(CommunityList { communities })
}

#[derive(Deserialize, ToSchema)]
struct CommunityBody {
    slug: String,
    name: String,
    #[serde(default)]
    description: String,
    /// Who the community is for.
    #[serde(default)]
    target_members: String,
    /// What members get from it.
    #[serde(default)]
    core_value: String,
    /// public (default) or private
    #[serde(default)]
    visibility: Option<String>,
    /// open (default), approval or invite_only
    #[serde(default)]
    join_policy: Option<String>,
    /// Up to 5 questions applicants answer (approval policy).
    #[serde(default)]
    entry_questions: Vec<String>,
    /// IANA time zone, default Asia/Shanghai
    #[serde(default)]
    time_zone: Option<String>,
    #[serde(default)]
    announcement: String,
    /// First version of the rules (Markdown), optional.
    #[serde(default)]
    rules: String,
}

/// Create a community; you become its owner.
#[utoipa::path(post, path = "/api/v1/communities", tag = "communities", request_body = CommunityBody,
    responses((status = 201, body = CommunityView), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_community(State(s): State<AppState>, auth: Auth, Json(b): Json<CommunityBody>) -> ApiResult<Response> {
    let v = auth.require()?;
    let settings = SettingsInput {
        name: b.name,
        description: b.description,
        target_members: b.target_members,
        core_value: b.core_value,
        visibility: b.visibility.unwrap_or_else(|| "public".into()),
        join_policy: b.join_policy.unwrap_or_else(|| "open".into()),
        entry_questions: b.entry_questions,
        time_zone: b.time_zone.unwrap_or_else(|| "Asia/Shanghai".into()),
        announcement: b.announcement,
    };
    created(s.app.create_community(v, NewCommunity { slug: b.slug, settings, rules: b.rules }).await?)
}

/// A community, with what the caller may do in it.
#[utoipa::path(get, path = "/api/v1/communities/{slug}", tag = "communities", params(("slug" = String, Path)),
    responses((status = 200, body = CommunityView), (status = 404, body = ErrorBody)))]
async fn get_community(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(s.app.community(auth.viewer(), &slug).await?)
}

#[derive(Deserialize, ToSchema)]
struct CommunityPatch {
    name: Option<String>,
    description: Option<String>,
    target_members: Option<String>,
    core_value: Option<String>,
    visibility: Option<String>,
    join_policy: Option<String>,
    entry_questions: Option<Vec<String>>,
    time_zone: Option<String>,
    announcement: Option<String>,
}

/// Edit community settings (admins); omitted fields keep their value.
#[utoipa::path(patch, path = "/api/v1/communities/{slug}", tag = "communities", params(("slug" = String, Path)), request_body = CommunityPatch,
    responses((status = 200, body = CommunityView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_community(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Json(b): Json<CommunityPatch>,
) -> ApiResult<Response> {
    let v = auth.require()?;
    let cur = s.app.community(Some(v), &slug).await?;
    // Permission is decided by the use case; this only fills omitted fields.
    let input = SettingsInput {
        name: b.name.unwrap_or(cur.name),
        description: b.description.unwrap_or(cur.description),
        target_members: b.target_members.unwrap_or(cur.target_members),
        core_value: b.core_value.unwrap_or(cur.core_value),
        visibility: b.visibility.unwrap_or(cur.visibility),
        join_policy: b.join_policy.unwrap_or(cur.join_policy),
        entry_questions: b.entry_questions.unwrap_or(cur.entry_questions),
        time_zone: b.time_zone.unwrap_or(cur.time_zone),
        announcement: b.announcement.unwrap_or(cur.announcement),
    };
    ok(s.app.update_community(v, &slug, input).await?)
}

/// The current rules (群规); 404 when none were published.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/rules", tag = "communities", params(("slug" = String, Path)),
    responses((status = 200, body = RulesView), (status = 404, body = ErrorBody)))]
async fn get_rules(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    match s.app.rules(auth.viewer(), &slug).await? {
        Some(r) => ok(r),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "this community has no rules yet")),
    }
}

#[derive(Deserialize, ToSchema)]
struct RulesBody {
    /// Markdown
    body: String,
}

/// Publish a new rules version (admins).
#[utoipa::path(put, path = "/api/v1/communities/{slug}/rules", tag = "communities", params(("slug" = String, Path)), request_body = RulesBody,
    responses((status = 201, body = RulesView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn publish_rules(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Json(b): Json<RulesBody>,
) -> ApiResult<Response> {
    created(s.app.publish_rules(auth.require()?, &slug, &b.body).await?)
}

/// Every published version of the rules, newest first (admins).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/rules/history", tag = "communities", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<RulesView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn rules_history(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(s.app.rules_history(auth.require()?, &slug).await?)
}

#[derive(Deserialize, ToSchema)]
struct AcceptRulesBody {
    version: i64,
}

/// Accept the current rules version (members, after the rules changed).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/rules/accept", tag = "communities", params(("slug" = String, Path)), request_body = AcceptRulesBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn accept_rules(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Json(b): Json<AcceptRulesBody>,
) -> ApiResult<Response> {
    s.app.accept_rules(auth.require()?, &slug, b.version).await?;
    no_content()
}

/// Topics (content tags) of a community.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/topics", tag = "content", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<TopicView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_topics(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(s.app.topics(auth.viewer(), &slug).await?)
}

#[derive(Deserialize, ToSchema)]
struct TopicBody {
    name: String,
}

/// Create a topic (admins).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/topics", tag = "content", params(("slug" = String, Path)), request_body = TopicBody,
    responses((status = 201, body = TopicView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_topic(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Json(b): Json<TopicBody>,
) -> ApiResult<Response> {
    created(s.app.create_topic(auth.require()?, &slug, &b.name).await?)
}

// -------------------------------------------------------------- membership

#[derive(Deserialize, ToSchema, Default)]
struct JoinBody {
    /// Must be true when the community has rules.
    #[serde(default)]
    accept_rules: bool,
    /// Answers to the entry questions, in order (approval communities).
    #[serde(default)]
    answers: Vec<String>,
    /// Code of an invite link; joins directly under any policy.
    #[serde(default)]
    invite_code: Option<String>,
}

/// Join: directly (open, or with an invite code) or by applying (approval).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/join", tag = "membership", params(("slug" = String, Path)), request_body = JoinBody,
    responses((status = 200, body = JoinOutcome, description = "joined"), (status = 202, body = JoinOutcome, description = "application pending"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn join(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    body: Option<Json<JoinBody>>,
) -> ApiResult<Response> {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    let out = s
        .app
        .join(
            auth.require()?,
            &slug,
            JoinInput { accept_rules: b.accept_rules, answers: b.answers, invite_code: b.invite_code },
        )
        .await?;
    let status = if out.status == "pending" { StatusCode::ACCEPTED } else { StatusCode::OK };
    Ok((status, axum::Json(out)).into_response())
}

/// Leave a community.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/leave", tag = "membership", params(("slug" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody)))]
async fn leave(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    s.app.leave(auth.require()?, &slug).await?;
    no_content()
}

#[derive(Deserialize, IntoParams)]
struct MemberParams {
    /// Search in username and display name.
    q: Option<String>,
    /// owner, admin, moderator or member
    role: Option<String>,
    /// active (default); left, removed, banned for moderators
    state: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

/// The member directory.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/members", tag = "membership", params(("slug" = String, Path), MemberParams),
    responses((status = 200, body = Vec<MemberView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_members(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Query(p): Query<MemberParams>,
) -> ApiResult<Response> {
    let limit = p.limit.unwrap_or(50) as i64;
    ok(s.app
        .members(
            auth.viewer(),
            &slug,
            &MemberQuery {
                q: p.q.as_deref(),
                role: p.role.as_deref(),
                state: p.state.as_deref(),
                limit,
                offset: p.offset.unwrap_or(0) as i64,
            },
        )
        .await?)
}

#[derive(Deserialize, ToSchema, Default)]
struct ReasonBody {
    #[serde(default)]
    reason: String,
}

/// Remove (kick) a member, with a reason. Moderators and above, never against their own role or higher.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/members/{username}/remove", tag = "membership",
    params(("slug" = String, Path), ("username" = String, Path)), request_body = ReasonBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn remove_member(
    State(s): State<AppState>,
    auth: Auth,
    Path((slug, username)): Path<(String, String)>,
    body: Option<Json<ReasonBody>>,
) -> ApiResult<Response> {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    s.app.sanction(auth.require()?, &slug, &username, Sanction::Remove, &b.reason).await?;
    no_content()
}

/// Ban a person, with a reason (members or not).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/members/{username}/ban", tag = "membership",
    params(("slug" = String, Path), ("username" = String, Path)), request_body = ReasonBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn ban_member(
    State(s): State<AppState>,
    auth: Auth,
    Path((slug, username)): Path<(String, String)>,
    body: Option<Json<ReasonBody>>,
) -> ApiResult<Response> {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    s.app.sanction(auth.require()?, &slug, &username, Sanction::Ban, &b.reason).await?;
    no_content()
}

/// Lift a ban (admins).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/members/{username}/unban", tag = "membership",
    params(("slug" = String, Path), ("username" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn unban_member(
    State(s): State<AppState>,
    auth: Auth,
    Path((slug, username)): Path<(String, String)>,
) -> ApiResult<Response> {
    s.app.unban(auth.require()?, &slug, &username).await?;
    no_content()
}

#[derive(Deserialize, ToSchema)]
struct RoleBody {
    /// admin, moderator or member
    role: String,
}

/// Change a member's role (admins, below their own role).
#[utoipa::path(put, path = "/api/v1/communities/{slug}/members/{username}/role", tag = "membership",
    params(("slug" = String, Path), ("username" = String, Path)), request_body = RoleBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_role(
    State(s): State<AppState>,
    auth: Auth,
    Path((slug, username)): Path<(String, String)>,
    Json(b): Json<RoleBody>,
) -> ApiResult<Response> {
    s.app.change_role(auth.require()?, &slug, &username, &b.role).await?;
    no_content()
}

#[derive(Deserialize, IntoParams)]
struct RequestParams {
    /// pending (default), approved or rejected
    status: Option<String>,
}

/// The join-request queue (admins), oldest first.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/join-requests", tag = "membership", params(("slug" = String, Path), RequestParams),
    responses((status = 200, body = Vec<JoinRequestView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_join_requests(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Query(p): Query<RequestParams>,
) -> ApiResult<Response> {
    ok(s.app.join_requests(auth.require()?, &slug, p.status.as_deref().unwrap_or("pending")).await?)
}

/// Your own applications to a community and their outcome.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/join-requests/mine", tag = "membership", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<JoinRequestView>), (status = 401, body = ErrorBody)))]
async fn my_join_requests(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(s.app.my_join_requests(auth.require()?, &slug).await?)
}

/// Approve an application (admins).
#[utoipa::path(post, path = "/api/v1/join-requests/{id}/approve", tag = "membership", params(("id" = i64, Path)), request_body = ReasonBody,
    responses((status = 200, body = JoinRequestView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn approve_join_request(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Option<Json<ReasonBody>>,
) -> ApiResult<Response> {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    ok(s.app.decide_join_request(auth.require()?, id, true, &b.reason).await?)
}

/// Reject an application with a reason the applicant sees (admins).
#[utoipa::path(post, path = "/api/v1/join-requests/{id}/reject", tag = "membership", params(("id" = i64, Path)), request_body = ReasonBody,
    responses((status = 200, body = JoinRequestView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn reject_join_request(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Option<Json<ReasonBody>>,
) -> ApiResult<Response> {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    ok(s.app.decide_join_request(auth.require()?, id, false, &b.reason).await?)
}

/// Invite links you made (admins see all).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/invites", tag = "membership", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<InviteView>), (status = 403, body = ErrorBody)))]
async fn list_invites(State(s): State<AppState>, auth: Auth, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(s.app.invites(auth.require()?, &slug).await?)
}

#[derive(Deserialize, ToSchema, Default)]
struct InviteBody {
    /// 1-100000; unlimited when absent
    max_uses: Option<i64>,
    /// 1-8760; never expires when absent
    expires_in_hours: Option<i64>,
}

/// Create an invite link (members). Who joins through it is recorded as invited by you.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/invites", tag = "membership", params(("slug" = String, Path)), request_body = InviteBody,
    responses((status = 201, body = InviteView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_invite(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    body: Option<Json<InviteBody>>,
) -> ApiResult<Response> {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    created(s.app.create_invite(auth.require()?, &slug, b.max_uses, b.expires_in_hours).await?)
}

#[derive(serde::Serialize, ToSchema)]
struct InviteTarget {
    invite: InviteView,
    community: CommunityView,
}

/// What an invite code leads to.
#[utoipa::path(get, path = "/api/v1/invites/{code}", tag = "membership", params(("code" = String, Path)),
    responses((status = 200, body = InviteTarget), (status = 404, body = ErrorBody)))]
async fn get_invite(State(s): State<AppState>, auth: Auth, Path(code): Path<String>) -> ApiResult<Response> {
    if !yaji_domain::text::is_token_shaped(&code) {
        return Err(ApiError::not_found());
    }
    let (invite, community) = s.app.invite_target(auth.viewer(), &code).await?;
    ok(InviteTarget { invite, community })
}

// ----------------------------------------------------------------- content

#[derive(Deserialize, IntoParams)]
struct FeedParams {
    /// latest (default) or essence
    feed: Option<String>,
    /// A topic id: the topic's feed.
    topic: Option<i64>,
    /// From `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1-100, default 20
    limit: Option<u32>,
}

/// A community feed, newest first, with cursor pagination.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/posts", tag = "content", params(("slug" = String, Path), FeedParams),
    responses((status = 200, body = FeedPage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn feed(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Query(p): Query<FeedParams>,
) -> ApiResult<Response> {
    let feed = match (p.topic, p.feed.as_deref()) {
        (Some(t), _) => Feed::Topic(t),
        (None, None | Some("latest") | Some("")) => Feed::Latest,
        (None, Some("essence")) => Feed::Essence,
        (None, Some(_)) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_choice",
                "feed must be latest or essence",
            )
            .field("feed"))
        }
    };
    json_bytes(s.app.feed_json(auth.viewer(), &slug, feed, p.cursor.as_deref(), p.limit).await?)
}

#[derive(Deserialize, ToSchema)]
struct PostBody {
    title: Option<String>,
    /// Markdown, at most 100 KB
    body: String,
    topic_id: Option<i64>,
}

/// Create a post (members).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/posts", tag = "content", params(("slug" = String, Path)), request_body = PostBody,
    responses((status = 201, body = PostView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_post(
    State(s): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Json(b): Json<PostBody>,
) -> ApiResult<Response> {
    let input = PostInput { title: b.title.as_deref(), body: &b.body, topic_id: b.topic_id };
    created(s.app.create_post(auth.require()?, &slug, input).await?)
}

/// A post with its comments and reactions.
#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "content", params(("id" = i64, Path)),
    responses((status = 200, body = PostDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_post(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Response> {
    json_bytes(s.app.post_json(auth.viewer(), id).await?)
}

/// Edit your post; the previous version is kept.
#[utoipa::path(patch, path = "/api/v1/posts/{id}", tag = "content", params(("id" = i64, Path)), request_body = PostBody,
    responses((status = 200, body = PostView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn edit_post(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(b): Json<PostBody>,
) -> ApiResult<Response> {
    let input = PostInput { title: b.title.as_deref(), body: &b.body, topic_id: b.topic_id };
    ok(s.app.edit_post(auth.require()?, id, input).await?)
}

/// Delete a post (its author, or moderators and above). Soft delete.
#[utoipa::path(delete, path = "/api/v1/posts/{id}", tag = "content", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_post(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Response> {
    s.app.delete_post(auth.require()?, id).await?;
    no_content()
}

/// Earlier versions of an edited post, newest first.
#[utoipa::path(get, path = "/api/v1/posts/{id}/revisions", tag = "content", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<RevisionView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn post_revisions(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(s.app.post_revisions(auth.viewer(), id).await?)
}

async fn curate(s: &AppState, auth: &Auth, id: i64, what: Curation) -> ApiResult<Response> {
    ok(s.app.curate(auth.require()?, id, what).await?)
}

/// Pin a post (moderators and above).
#[utoipa::path(post, path = "/api/v1/posts/{id}/pin", tag = "content", params(("id" = i64, Path)),
    responses((status = 200, body = PostView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn pin_post(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Response> {
    curate(&s, &auth, id, Curation::Pin).await
}

/// Unpin a post.
#[utoipa::path(delete, path = "/api/v1/posts/{id}/pin", tag = "content", params(("id" = i64, Path)),
    responses((status = 200, body = PostView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unpin_post(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Response> {
    curate(&s, &auth, id, Curation::Unpin).await
}

/// Mark a post as essence (精华) (moderators and above).
#[utoipa::path(post, path = "/api/v1/posts/{id}/essence", tag = "content", params(("id" = i64, Path)),
    responses((status = 200, body = PostView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_essence(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Response> {
    curate(&s, &auth, id, Curation::SetEssence).await
}

/// Remove the essence mark.
#[utoipa::path(delete, path = "/api/v1/posts/{id}/essence", tag = "content", params(("id" = i64, Path)),
    responses((status = 200, body = PostView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unset_essence(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Response> {
    curate(&s, &auth, id, Curation::UnsetEssence).await
}

#[derive(Deserialize, ToSchema)]
struct CommentBody {
    /// Markdown, at most 100 KB
    body: String,
}

/// Comment on a post (members).
#[utoipa::path(post, path = "/api/v1/posts/{id}/comments", tag = "content", params(("id" = i64, Path)), request_body = CommentBody,
    responses((status = 201, body = CommentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_comment(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(b): Json<CommentBody>,
) -> ApiResult<Response> {
    created(s.app.comment(auth.require()?, id, &b.body).await?)
}

/// Delete a comment (its author, or moderators and above).
#[utoipa::path(delete, path = "/api/v1/comments/{id}", tag = "content", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_comment(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Response> {
    s.app.delete_comment(auth.require()?, id).await?;
    no_content()
}

#[derive(Deserialize, ToSchema, IntoParams)]
struct ReactionBody {
    /// One of 👍 ❤️ 😂 🎉 🤔 🙏
    emoji: String,
}

/// React to a post (members). Reacting twice with the same emoji changes nothing.
#[utoipa::path(post, path = "/api/v1/posts/{id}/reactions", tag = "content", params(("id" = i64, Path)), request_body = ReactionBody,
    responses((status = 200, body = Vec<ReactionView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_reaction(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(b): Json<ReactionBody>,
) -> ApiResult<Response> {
    ok(s.app.react(auth.require()?, id, &b.emoji, true).await?)
}

/// Take back a reaction.
#[utoipa::path(delete, path = "/api/v1/posts/{id}/reactions", tag = "content", params(("id" = i64, Path), ReactionBody),
    responses((status = 200, body = Vec<ReactionView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn remove_reaction(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(b): Query<ReactionBody>,
) -> ApiResult<Response> {
    ok(s.app.react(auth.require()?, id, &b.emoji, false).await?)
}

/// JSON 404 for unknown API paths.
pub fn not_found_json() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API endpoint").into_response()
}
