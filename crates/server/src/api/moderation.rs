//! Moderation endpoints: rules, the test box, the review queue, speaking
//! rights, reports, the audit log (JSON and CSV) and notifications.

use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::moderation::{
    AuditEntry, BulkMemberAction, BulkMembersOutcome, Decision, ModerationSettingsView, QueueItem, ReportKind,
    TestInput, TestResult,
};
use yaji_app::platform::csv::Csv;
use yaji_domain::moderation::ModerationSettings;

use super::{created, no_content, ok, ApiResult, Call, Json, Path, Query};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(get_settings, put_settings))
        .routes(routes!(test_message))
        .routes(routes!(queue))
        .routes(routes!(resolve))
        .routes(routes!(audit))
        .routes(routes!(mute, unmute))
        .routes(routes!(warn))
        .routes(routes!(restrict))
        .routes(routes!(report))
        .routes(routes!(bulk_members))
}

/// A community's moderation settings (moderators and above).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/moderation", tag = "moderation", params(("slug" = String, Path)),
    responses((status = 200, body = ModerationSettingsView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_settings(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.moderation_settings(c.require()?, &slug).await?)
}

/// Replace the moderation settings (admins). Fields left out take their
/// defaults. An invalid custom regex is 422 with the parser's message.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/moderation", tag = "moderation", params(("slug" = String, Path)),
    request_body(content = Object, description = "ModerationSettings, see docs/moderation.md"),
    responses((status = 200, body = ModerationSettingsView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_settings(c: Call, Path(slug): Path<String>, Json(b): Json<ModerationSettings>) -> ApiResult<Response> {
    ok(c.app.update_moderation(c.require()?, &slug, b).await?)
}

/// What the rules would do to a message and why; changes nothing.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/moderation/test", tag = "moderation", params(("slug" = String, Path)),
    request_body = TestInput,
    responses((status = 200, body = TestResult), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn test_message(c: Call, Path(slug): Path<String>, Json(b): Json<TestInput>) -> ApiResult<Response> {
    ok(c.app.test_message(c.require()?, &slug, &b).await?)
}

/// The review queue: held content and reports, oldest first, grouped by target.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/moderation/queue", tag = "moderation", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<QueueItem>), (status = 403, body = ErrorBody)))]
async fn queue(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.review_queue(c.require()?, &slug).await?)
}

#[derive(Deserialize, ToSchema)]
struct TargetRef {
    /// post | comment | member
    kind: String,
    id: i64,
}

#[derive(Deserialize, ToSchema)]
struct ResolveBody {
    targets: Vec<TargetRef>,
    decision: Decision,
    #[serde(default)]
    reason: String,
    /// For `mute`: minutes (default 60).
    minutes: Option<u32>,
}

#[derive(serde::Serialize, ToSchema)]
struct Resolved {
    resolved: usize,
}

/// Approve, reject, or reject and act on the authors of one or many queue items, in one transaction.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/moderation/queue/resolve", tag = "moderation", params(("slug" = String, Path)),
    request_body = ResolveBody,
    responses((status = 200, body = Resolved), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn resolve(c: Call, Path(slug): Path<String>, Json(b): Json<ResolveBody>) -> ApiResult<Response> {
    let targets: Vec<(String, i64)> = b.targets.into_iter().map(|t| (t.kind, t.id)).collect();
    let n = c.app.resolve(c.require()?, &slug, &targets, b.decision, &b.reason, b.minutes).await?;
    ok(Resolved { resolved: n })
}

#[derive(Deserialize, IntoParams)]
struct AuditParams {
    /// Entries with a smaller id than this (paging).
    before: Option<i64>,
    limit: Option<u32>,
    /// json (default) or csv
    format: Option<String>,
}

/// The moderation audit log, newest first; `format=csv` downloads it.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/moderation/audit", tag = "moderation", params(("slug" = String, Path), AuditParams),
    responses((status = 200, body = Vec<AuditEntry>), (status = 403, body = ErrorBody)))]
async fn audit(c: Call, Path(slug): Path<String>, Query(p): Query<AuditParams>) -> ApiResult<Response> {
    let csv = p.format.as_deref() == Some("csv");
    let limit = p.limit.unwrap_or(if csv { 10_000 } else { 100 });
    let entries = c.app.audit_log(c.require()?, &slug, p.before, limit).await?;
    if csv {
        return Ok(audit_csv_response(&slug, &entries));
    }
    ok(entries)
}

pub fn audit_csv_response(slug: &str, entries: &[AuditEntry]) -> Response {
    crate::download::csv(&format!("{slug}-moderation-audit.csv"), audit_csv(entries))
}

/// The audit log as CSV (the one CSV writer: BOM, quoting, formula guard).
pub fn audit_csv(entries: &[AuditEntry]) -> String {
    let mut out = Csv::new();
    out.row(["id", "time", "kind", "actor", "subject_kind", "subject_id", "target", "reason", "detail"]);
    for e in entries {
        let reason = e.detail.get("reason").or_else(|| e.detail.get("rule")).and_then(|v| v.as_str()).unwrap_or("");
        out.row([
            e.id.to_string(),
            e.at.clone(),
            e.kind.clone(),
            e.actor.clone().unwrap_or_else(|| "automod".into()),
            e.subject_kind.clone(),
            e.subject_id.to_string(),
            e.target_name.clone().unwrap_or_default(),
            reason.to_string(),
            e.detail.to_string(),
        ]);
    }
    out.finish()
}

#[derive(Deserialize, ToSchema, Default)]
struct MuteBody {
    /// Minutes; leave out to mute until a moderator lifts it.
    minutes: Option<u32>,
    #[serde(default)]
    reason: String,
}

/// Mute a member: they keep membership and read access but cannot post, comment or react.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/members/{username}/mute", tag = "moderation",
    params(("slug" = String, Path), ("username" = String, Path)), request_body = MuteBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn mute(
    c: Call,
    Path((slug, username)): Path<(String, String)>,
    body: Option<Json<MuteBody>>,
) -> ApiResult<Response> {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    c.app.mute(c.require()?, &slug, &username, b.minutes, &b.reason).await?;
    no_content()
}

/// Lift a mute.
#[utoipa::path(delete, path = "/api/v1/communities/{slug}/members/{username}/mute", tag = "moderation",
    params(("slug" = String, Path), ("username" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn unmute(c: Call, Path((slug, username)): Path<(String, String)>) -> ApiResult<Response> {
    c.app.unmute(c.require()?, &slug, &username).await?;
    no_content()
}

#[derive(Deserialize, ToSchema)]
struct WarnBody {
    reason: String,
}

/// Warn a member; they get a notification with the reason.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/members/{username}/warn", tag = "moderation",
    params(("slug" = String, Path), ("username" = String, Path)), request_body = WarnBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn warn(c: Call, Path((slug, username)): Path<(String, String)>, Json(b): Json<WarnBody>) -> ApiResult<Response> {
    c.app.warn(c.require()?, &slug, &username, &b.reason).await?;
    no_content()
}

#[derive(Deserialize, ToSchema)]
struct RestrictBody {
    /// true: everything this member writes waits for a moderator.
    needs_approval: bool,
    #[serde(default)]
    reason: String,
}

/// Turn "posts need approval" on or off for a member.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/members/{username}/restriction", tag = "moderation",
    params(("slug" = String, Path), ("username" = String, Path)), request_body = RestrictBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn restrict(
    c: Call,
    Path((slug, username)): Path<(String, String)>,
    Json(b): Json<RestrictBody>,
) -> ApiResult<Response> {
    c.app.restrict(c.require()?, &slug, &username, b.needs_approval, &b.reason).await?;
    no_content()
}

#[derive(Deserialize, ToSchema)]
struct ReportBody {
    kind: ReportKind,
    /// Post id, comment id, or the member's user id.
    id: i64,
    reason: String,
}

#[derive(serde::Serialize, ToSchema)]
struct ReportOutcome {
    /// Whether this report took the content past the threshold and hid it.
    hidden: bool,
}

/// Report a post, comment or member to the moderators.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/reports", tag = "moderation", params(("slug" = String, Path)),
    request_body = ReportBody,
    responses((status = 201, body = ReportOutcome), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn report(c: Call, Path(slug): Path<String>, Json(b): Json<ReportBody>) -> ApiResult<Response> {
    let hidden = c.app.report(c.require()?, &slug, b.kind, b.id, &b.reason).await?;
    created(ReportOutcome { hidden })
}

#[derive(Deserialize, ToSchema)]
struct BulkBody {
    /// Up to 200 usernames.
    usernames: Vec<String>,
    /// `{"action": "tag", "tag": "vip"}`, `untag`, `mute` (`minutes`, absent: until lifted), `unmute`, `warn`, `remove`
    #[serde(flatten)]
    action: BulkMemberAction,
    /// What the members read (required for warn).
    #[serde(default)]
    reason: String,
}

/// One action on many members (moderators), in one transaction. Members the
/// caller may not act on are listed under `skipped` with a code.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/members/bulk", tag = "moderation", params(("slug" = String, Path)),
    request_body = BulkBody,
    responses((status = 200, body = BulkMembersOutcome), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn bulk_members(c: Call, Path(slug): Path<String>, Json(b): Json<BulkBody>) -> ApiResult<Response> {
    ok(c.app.bulk_members(c.require()?, &slug, &b.usernames, b.action, &b.reason).await?)
}
