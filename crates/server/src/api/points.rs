//! Points endpoints: balances and history, staff adjustments, leaderboards,
//! the community's rules and levels, and the recompute.

use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::points::{Board, Leaderboard, MemberPoints, MonthlyTop, Period};
use yaji_domain::points::PointsSettings;

use super::{ok, ApiResult, Call, Json, Path, Query};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(leaderboard))
        .routes(routes!(monthly))
        .routes(routes!(member_points, adjust_points))
        .routes(routes!(settings, put_settings))
        .routes(routes!(recompute))
}

#[derive(Deserialize, IntoParams)]
struct PeriodParam {
    /// week, month (the community's calendar) or all (default).
    period: Option<String>,
    /// points (default), inviters (members who joined with one's invites) or
    /// helpful (replies one's posts received); for the last two `points` is the count.
    board: Option<String>,
}

/// The members with the most points this week, this month or all time (top
/// 50); with `board`, the top inviters or the most helpful instead.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/leaderboard", tag = "points",
    params(("slug" = String, Path), PeriodParam),
    responses((status = 200, body = Leaderboard), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn leaderboard(c: Call, Path(slug): Path<String>, Query(p): Query<PeriodParam>) -> ApiResult<Response> {
    let period = Period::parse(p.period.as_deref().unwrap_or(""))?;
    let board = Board::parse(p.board.as_deref().unwrap_or(""))?;
    ok(c.app.leaderboard_by(c.viewer(), &slug, period, board).await?)
}

#[derive(Deserialize, IntoParams)]
struct MonthParam {
    /// YYYY-MM; default: last month (the community's calendar).
    month: Option<String>,
}

/// A month's top contributors by points (top 10). A finished month's list is
/// frozen the first time it is read or announced (its top three receive the
/// Top contributor badge); the current month's is live.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/leaderboard/monthly", tag = "points",
    params(("slug" = String, Path), MonthParam),
    responses((status = 200, body = MonthlyTop), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn monthly(c: Call, Path(slug): Path<String>, Query(p): Query<MonthParam>) -> ApiResult<Response> {
    ok(c.app.monthly_top(c.viewer(), &slug, p.month.as_deref()).await?)
}

/// A member's balance and level; the history for themselves and staff.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/members/{username}/points", tag = "points",
    params(("slug" = String, Path), ("username" = String, Path)),
    responses((status = 200, body = MemberPoints), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn member_points(c: Call, Path((slug, username)): Path<(String, String)>) -> ApiResult<Response> {
    ok(c.app.member_points(c.viewer(), &slug, &username).await?)
}

#[derive(Deserialize, ToSchema)]
struct AdjustBody {
    /// Points to add (positive) or take (negative), not 0.
    amount: i64,
    /// Why (shown to the member in their history and in the audit log).
    reason: String,
}

/// Award or deduct points by hand (moderators and up), with a reason; audited.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/members/{username}/points", tag = "points",
    params(("slug" = String, Path), ("username" = String, Path)), request_body = AdjustBody,
    responses((status = 200, body = MemberPoints), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn adjust_points(
    c: Call,
    Path((slug, username)): Path<(String, String)>,
    Json(b): Json<AdjustBody>,
) -> ApiResult<Response> {
    ok(c.app.adjust_points(c.require()?, &slug, &username, b.amount, &b.reason).await?)
}

/// The community's points rules and levels (admins). `rules` maps a rule
/// (`post`, `comment`, `reply_received`, `reaction_received`, `essence`,
/// `invite_accepted`) to `{points, daily_cap, cooldown_minutes}`; `levels` is
/// `[{name, min_points}]`, ascending from 0.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/points/settings", tag = "points",
    params(("slug" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
async fn settings(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.points_settings(c.require()?, &slug).await?)
}

/// Replace the points rules and levels (admins). They apply from now on;
/// recompute to apply them to the past.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/points/settings", tag = "points",
    params(("slug" = String, Path)), request_body = Object,
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_settings(c: Call, Path(slug): Path<String>, Json(b): Json<PointsSettings>) -> ApiResult<Response> {
    ok(c.app.set_points_settings(c.require()?, &slug, b).await?)
}

#[derive(Serialize, ToSchema)]
struct Recomputed {
    /// Ledger rows the replay wrote.
    rows: u64,
}

/// Rebuild the community's ledger from its activity log with the current
/// rules (admins); staff adjustments are replayed as they were.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/points/recompute", tag = "points",
    params(("slug" = String, Path)),
    responses((status = 200, body = Recomputed), (status = 403, body = ErrorBody)))]
async fn recompute(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(Recomputed { rows: c.app.recompute_points(c.require()?, &slug).await? })
}
