//! Communities: discovery, create and edit, rules, topics.

use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::communities::{NewCommunity, StaffWork};
use yaji_app::views::*;
use yaji_domain::community::SettingsInput;

use super::{created, no_content, ok, ApiResult, Call, Json, Path, Query};
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(my_communities))
        .routes(routes!(my_pending_work))
        .routes(routes!(list_communities, create_community))
        .routes(routes!(get_community, update_community))
        .routes(routes!(get_rules, publish_rules))
        .routes(routes!(accept_rules))
        .routes(routes!(rules_history))
        .routes(routes!(list_topics, create_topic))
}

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
async fn list_communities(c: Call, Query(p): Query<PageParams>) -> ApiResult<Response> {
    let limit = p.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "out_of_range", "limit must be between 1 and 100")
            .field("limit"));
    }
    let communities = c.app.communities(c.viewer(), true, limit as i64, p.offset.unwrap_or(0) as i64).await?;
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
    /// Topics to start with (creation only), at most 20.
    #[serde(default)]
    topics: Vec<String>,
}

/// Create a community; you become its owner.
#[utoipa::path(post, path = "/api/v1/communities", tag = "communities", request_body = CommunityBody,
    responses((status = 201, body = CommunityView), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_community(c: Call, Json(b): Json<CommunityBody>) -> ApiResult<Response> {
    let v = c.require()?;
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
    created(c.app.create_community(v, NewCommunity { slug: b.slug, settings, rules: b.rules, topics: b.topics }).await?)
}

/// A community, with what the caller may do in it.
#[utoipa::path(get, path = "/api/v1/communities/{slug}", tag = "communities", params(("slug" = String, Path)),
    responses((status = 200, body = CommunityView), (status = 404, body = ErrorBody)))]
async fn get_community(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.community(c.viewer(), &slug).await?)
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
async fn update_community(c: Call, Path(slug): Path<String>, Json(b): Json<CommunityPatch>) -> ApiResult<Response> {
    let v = c.require()?;
    let cur = c.app.community(Some(v), &slug).await?;
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
    ok(c.app.update_community(v, &slug, input).await?)
}

/// The current rules (群规); 404 when none were published.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/rules", tag = "communities", params(("slug" = String, Path)),
    responses((status = 200, body = RulesView), (status = 404, body = ErrorBody)))]
async fn get_rules(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    match c.app.rules(c.viewer(), &slug).await? {
        Some(r) => ok(r),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "this community has no rules yet")),
    }
}

#[derive(Deserialize, ToSchema)]
struct RulesBody {
    /// Markdown
    body: String,
    /// Members accept this version before they post, comment or react again.
    #[serde(default)]
    require_acceptance: bool,
}

/// Publish a new rules version (admins). Members are notified; with
/// `require_acceptance` they accept it before writing again.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/rules", tag = "communities", params(("slug" = String, Path)), request_body = RulesBody,
    responses((status = 201, body = RulesView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn publish_rules(c: Call, Path(slug): Path<String>, Json(b): Json<RulesBody>) -> ApiResult<Response> {
    created(c.app.publish_rules(c.require()?, &slug, &b.body, b.require_acceptance).await?)
}

/// Every published version of the rules, newest first (admins).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/rules/history", tag = "communities", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<RulesView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn rules_history(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.rules_history(c.require()?, &slug).await?)
}

#[derive(Deserialize, ToSchema)]
struct AcceptRulesBody {
    version: i64,
}

/// Accept the current rules version (members, after the rules changed).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/rules/accept", tag = "communities", params(("slug" = String, Path)), request_body = AcceptRulesBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn accept_rules(c: Call, Path(slug): Path<String>, Json(b): Json<AcceptRulesBody>) -> ApiResult<Response> {
    c.app.accept_rules(c.require()?, &slug, b.version).await?;
    no_content()
}

/// Topics (content tags) of a community.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/topics", tag = "communities", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<TopicView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_topics(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.topics(c.viewer(), &slug).await?)
}

#[derive(Deserialize, ToSchema)]
struct TopicBody {
    name: String,
}

/// Create a topic (admins).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/topics", tag = "communities", params(("slug" = String, Path)), request_body = TopicBody,
    responses((status = 201, body = TopicView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_topic(c: Call, Path(slug): Path<String>, Json(b): Json<TopicBody>) -> ApiResult<Response> {
    created(c.app.create_topic(c.require()?, &slug, &b.name).await?)
}

/// Communities you are a member of.
#[utoipa::path(get, path = "/api/v1/me/communities", tag = "communities", responses((status = 200, body = Vec<CommunityView>), (status = 401, body = ErrorBody)))]
async fn my_communities(c: Call) -> ApiResult<Response> {
    ok(c.app.my_communities(c.require()?).await?)
}

/// Join requests and review-queue items waiting for you, per community you
/// help run (only where there is something; each count stops at 100).
#[utoipa::path(get, path = "/api/v1/me/pending-work", tag = "communities", responses((status = 200, body = Vec<StaffWork>), (status = 401, body = ErrorBody)))]
async fn my_pending_work(c: Call) -> ApiResult<Response> {
    ok(c.app.pending_work_for(c.require()?).await?)
}
