//! Membership: joining, leaving, the member directory, removal and bans,
//! roles, join requests, invites and member tags.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::membership::{BulkDecision, JoinInput, JoinOutcome, MemberQuery, Sanction, TagCount};
use yaji_app::views::*;

use super::{created, no_content, ok, ApiResult, Call, Json, Path, Query};
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(join))
        .routes(routes!(leave))
        .routes(routes!(list_members))
        .routes(routes!(remove_member))
        .routes(routes!(ban_member))
        .routes(routes!(unban_member))
        .routes(routes!(set_role))
        .routes(routes!(list_join_requests))
        .routes(routes!(my_join_requests))
        .routes(routes!(decide_join_requests))
        .routes(routes!(approve_join_request))
        .routes(routes!(reject_join_request))
        .routes(routes!(list_invites, create_invite))
        .routes(routes!(get_invite))
        .routes(routes!(tags))
        .routes(routes!(add_tag, remove_tag))
}

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
async fn join(c: Call, Path(slug): Path<String>, body: Option<Json<JoinBody>>) -> ApiResult<Response> {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    let out = c
        .app
        .join(
            c.require()?,
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
async fn leave(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    c.app.leave(c.require()?, &slug).await?;
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
async fn list_members(c: Call, Path(slug): Path<String>, Query(p): Query<MemberParams>) -> ApiResult<Response> {
    let limit = p.limit.unwrap_or(50) as i64;
    ok(c.app
        .members(
            c.viewer(),
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
    c: Call,
    Path((slug, username)): Path<(String, String)>,
    body: Option<Json<ReasonBody>>,
) -> ApiResult<Response> {
    sanction(c, slug, username, body, Sanction::Remove).await
}

/// Remove and ban share one use case (and one path in the app).
async fn sanction(
    c: Call,
    slug: String,
    username: String,
    body: Option<Json<ReasonBody>>,
    what: Sanction,
) -> ApiResult<Response> {
    let reason = body.map(|Json(b)| b.reason).unwrap_or_default();
    c.app.sanction(c.require()?, &slug, &username, what, &reason).await?;
    no_content()
}

/// Ban a person, with a reason (members or not).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/members/{username}/ban", tag = "membership",
    params(("slug" = String, Path), ("username" = String, Path)), request_body = ReasonBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn ban_member(
    c: Call,
    Path((slug, username)): Path<(String, String)>,
    body: Option<Json<ReasonBody>>,
) -> ApiResult<Response> {
    sanction(c, slug, username, body, Sanction::Ban).await
}

/// Lift a ban (admins).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/members/{username}/unban", tag = "membership",
    params(("slug" = String, Path), ("username" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn unban_member(c: Call, Path((slug, username)): Path<(String, String)>) -> ApiResult<Response> {
    c.app.unban(c.require()?, &slug, &username).await?;
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
    c: Call,
    Path((slug, username)): Path<(String, String)>,
    Json(b): Json<RoleBody>,
) -> ApiResult<Response> {
    c.app.change_role(c.require()?, &slug, &username, &b.role).await?;
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
async fn list_join_requests(c: Call, Path(slug): Path<String>, Query(p): Query<RequestParams>) -> ApiResult<Response> {
    ok(c.app.join_requests(c.require()?, &slug, p.status.as_deref().unwrap_or("pending")).await?)
}

/// Your own applications to a community and their outcome.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/join-requests/mine", tag = "membership", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<JoinRequestView>), (status = 401, body = ErrorBody)))]
async fn my_join_requests(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.my_join_requests(c.require()?, &slug).await?)
}

/// Approve an application (admins).
#[utoipa::path(post, path = "/api/v1/join-requests/{id}/approve", tag = "membership", params(("id" = i64, Path)), request_body = ReasonBody,
    responses((status = 200, body = JoinRequestView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn approve_join_request(c: Call, Path(id): Path<i64>, body: Option<Json<ReasonBody>>) -> ApiResult<Response> {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    ok(c.app.decide_join_request(c.require()?, id, true, &b.reason).await?)
}

/// Reject an application with a reason the applicant sees (admins).
#[utoipa::path(post, path = "/api/v1/join-requests/{id}/reject", tag = "membership", params(("id" = i64, Path)), request_body = ReasonBody,
    responses((status = 200, body = JoinRequestView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn reject_join_request(c: Call, Path(id): Path<i64>, body: Option<Json<ReasonBody>>) -> ApiResult<Response> {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    ok(c.app.decide_join_request(c.require()?, id, false, &b.reason).await?)
}

#[derive(Deserialize, ToSchema)]
struct BatchBody {
    /// The requests to decide (at most 200), all of this community.
    ids: Vec<i64>,
    /// true approves, false rejects
    approve: bool,
    /// Shown to the applicants (rejections).
    #[serde(default)]
    reason: String,
}

/// Approve or reject several applications at once (admins). Requests already
/// decided, of another community or of a banned applicant are listed under
/// `skipped` and left as they were; the rest are decided in one transaction.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/join-requests/decide", tag = "membership", params(("slug" = String, Path)), request_body = BatchBody,
    responses((status = 200, body = BulkDecision), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn decide_join_requests(c: Call, Path(slug): Path<String>, Json(b): Json<BatchBody>) -> ApiResult<Response> {
    ok(c.app.decide_join_requests(c.require()?, &slug, &b.ids, b.approve, &b.reason).await?)
}

/// Invite links you made (admins see all).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/invites", tag = "membership", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<InviteView>), (status = 403, body = ErrorBody)))]
async fn list_invites(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.invites(c.require()?, &slug).await?)
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
async fn create_invite(c: Call, Path(slug): Path<String>, body: Option<Json<InviteBody>>) -> ApiResult<Response> {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    created(c.app.create_invite(c.require()?, &slug, b.max_uses, b.expires_in_hours).await?)
}

#[derive(serde::Serialize, ToSchema)]
struct InviteTarget {
    invite: InviteView,
    community: CommunityView,
}

/// What an invite code leads to.
#[utoipa::path(get, path = "/api/v1/invites/{code}", tag = "membership", params(("code" = String, Path)),
    responses((status = 200, body = InviteTarget), (status = 404, body = ErrorBody)))]
async fn get_invite(c: Call, Path(code): Path<String>) -> ApiResult<Response> {
    if !yaji_domain::text::is_token_shaped(&code) {
        return Err(ApiError::not_found());
    }
    let (invite, community) = c.app.invite_target(c.viewer(), &code).await?;
    ok(InviteTarget { invite, community })
}

/// Member tags in use, with counts (moderators).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/tags", tag = "membership", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<TagCount>), (status = 403, body = ErrorBody)))]
async fn tags(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.member_tags(c.require()?, &slug).await?)
}

/// Tag a member (moderators); returns the member's tags.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/members/{username}/tags/{tag}", tag = "membership",
    params(("slug" = String, Path), ("username" = String, Path), ("tag" = String, Path)),
    responses((status = 200, body = Vec<String>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_tag(c: Call, Path((slug, username, tag)): Path<(String, String, String)>) -> ApiResult<Response> {
    ok(c.app.tag_member(c.require()?, &slug, &username, &tag, true).await?)
}

/// Remove a member's tag (moderators).
#[utoipa::path(delete, path = "/api/v1/communities/{slug}/members/{username}/tags/{tag}", tag = "membership",
    params(("slug" = String, Path), ("username" = String, Path), ("tag" = String, Path)),
    responses((status = 200, body = Vec<String>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn remove_tag(c: Call, Path((slug, username, tag)): Path<(String, String, String)>) -> ApiResult<Response> {
    ok(c.app.tag_member(c.require()?, &slug, &username, &tag, false).await?)
}
