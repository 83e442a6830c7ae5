//! Check-in challenges (打卡). Stable for scripts: creating one
//! (`{"title","starts_on","ends_on"}`), joining, checking in (`{"body"}`;
//! 201, or 409 `already_checked_in`) and a member's streak
//! (`{"current","longest"}`).

use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::challenges::{
    Board, CalendarView, Certificate, ChallengeStats, ChallengeView, CheckinInput, CheckinView, FeedItem, RankEntry,
    StreakView,
};
use yaji_domain::challenges::ChallengeInput;

use super::{created, no_content, ok, ApiResult, Call, Json, Path, Query};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list, create))
        .routes(routes!(get_one, update))
        .routes(routes!(join))
        .routes(routes!(leave))
        .routes(routes!(reminder))
        .routes(routes!(check_in))
        .routes(routes!(streak))
        .routes(routes!(calendar))
        .routes(routes!(leaderboard))
        .routes(routes!(stats))
        .routes(routes!(feed))
        .routes(routes!(certificate))
}

/// A community's challenges: running and upcoming first, then ended ones.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/challenges", tag = "challenges",
    params(("slug" = String, Path)),
    responses((status = 200, body = Vec<ChallengeView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.challenges(c.viewer(), &slug).await?)
}

/// Create a challenge (moderators and up). Stable: `title`, `starts_on`,
/// `ends_on` (local dates, `ends_on` null for open-ended); optional:
/// `description`, `days` (`"every_day"`, `"weekdays"` or `[1..7]`, 1 =
/// Monday), `window_start`/`window_end` ("05:00"), `proof` (`none`,
/// `optional`, `required`), `number_label`, `makeup_cards` (default 1),
/// `makeup_price` (points), `milestones` (`[{"days":7,"tag":"…"}]`, default
/// 7/21/100), `goal_days`, `join` (`{"segment_id","tag","min_level"}`),
/// `share_to_feed`.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/challenges", tag = "challenges",
    params(("slug" = String, Path)), request_body = Object,
    responses((status = 201, body = ChallengeView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(c: Call, Path(slug): Path<String>, Json(b): Json<ChallengeInput>) -> ApiResult<Response> {
    created(c.app.create_challenge(c.require()?, &slug, b).await?)
}

#[utoipa::path(get, path = "/api/v1/challenges/{id}", tag = "challenges", params(("id" = i64, Path)),
    responses((status = 200, body = ChallengeView), (status = 404, body = ErrorBody)))]
async fn get_one(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.challenge(c.viewer(), id).await?)
}

/// Change a challenge (moderators and up): the whole definition, as when creating.
#[utoipa::path(put, path = "/api/v1/challenges/{id}", tag = "challenges", params(("id" = i64, Path)), request_body = Object,
    responses((status = 200, body = ChallengeView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(c: Call, Path(id): Path<i64>, Json(b): Json<ChallengeInput>) -> ApiResult<Response> {
    ok(c.app.update_challenge(c.require()?, id, b).await?)
}

#[derive(Deserialize, ToSchema, Default)]
struct JoinBody {
    /// A daily reminder at this local time ("07:30") on days not yet checked in.
    #[serde(default)]
    remind_at: Option<String>,
}

/// Join (members the challenge's rule lets in; 403 `not_eligible`). The body is optional.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/join", tag = "challenges", params(("id" = i64, Path)), request_body = JoinBody,
    responses((status = 200, body = ChallengeView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn join(c: Call, Path(id): Path<i64>, b: Option<Json<JoinBody>>) -> ApiResult<Response> {
    let b = b.map(|Json(b)| b).unwrap_or_default();
    ok(c.app.join_challenge(c.require()?, id, b.remind_at.as_deref()).await?)
}

/// Leave; the check-ins made stay in the challenge's history.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/leave", tag = "challenges", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn leave(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    c.app.leave_challenge(c.require()?, id).await?;
    no_content()
}

/// Set or clear (`null` or "") the daily reminder time.
#[utoipa::path(put, path = "/api/v1/challenges/{id}/reminder", tag = "challenges", params(("id" = i64, Path)), request_body = JoinBody,
    responses((status = 200, body = ChallengeView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reminder(c: Call, Path(id): Path<i64>, Json(b): Json<JoinBody>) -> ApiResult<Response> {
    ok(c.app.set_challenge_reminder(c.require()?, id, b.remind_at.as_deref()).await?)
}

/// Check in for today (201), or with `"makeup": true` for the last missed
/// day with a make-up card. 409: `already_checked_in`, `not_joined`,
/// `not_started`, `ended`, `day_off`, `outside_window`, `no_makeup_cards`,
/// `nothing_to_make_up`, `before_joined`, `insufficient_points`. The body is
/// optional for a one-tap check-in.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/checkins", tag = "challenges", params(("id" = i64, Path)), request_body = CheckinInput,
    responses((status = 201, body = CheckinView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn check_in(c: Call, Path(id): Path<i64>, b: Option<Json<CheckinInput>>) -> ApiResult<Response> {
    let b = b.map(|Json(b)| b).unwrap_or_default();
    created(c.app.check_in(c.require()?, id, b).await?)
}

/// A participant's streak: `{"current","longest"}` (stable), check-ins and the last day done.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/members/{username}/streak", tag = "challenges",
    params(("id" = i64, Path), ("username" = String, Path)),
    responses((status = 200, body = StreakView), (status = 404, body = ErrorBody)))]
async fn streak(c: Call, Path((id, username)): Path<(i64, String)>) -> ApiResult<Response> {
    ok(c.app.challenge_streak(c.viewer(), id, &username).await?)
}

#[derive(Deserialize, IntoParams)]
struct MonthParam {
    /// "2026-12"; default this month.
    month: Option<String>,
}

/// A participant's month: done, made-up and missed days.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/members/{username}/calendar", tag = "challenges",
    params(("id" = i64, Path), ("username" = String, Path), MonthParam),
    responses((status = 200, body = CalendarView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn calendar(
    c: Call,
    Path((id, username)): Path<(i64, String)>,
    Query(p): Query<MonthParam>,
) -> ApiResult<Response> {
    ok(c.app.challenge_calendar(c.viewer(), id, &username, p.month.as_deref()).await?)
}

#[derive(Deserialize, IntoParams)]
struct BoardParam {
    /// `streak` (default), `total` or `number`.
    by: Option<String>,
}

/// The leaderboard by current streak, total check-ins or the summed number.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/leaderboard", tag = "challenges", params(("id" = i64, Path), BoardParam),
    responses((status = 200, body = Vec<RankEntry>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn leaderboard(c: Call, Path(id): Path<i64>, Query(p): Query<BoardParam>) -> ApiResult<Response> {
    let by = Board::parse(p.by.as_deref().unwrap_or(""))?;
    ok(c.app.challenge_leaderboard(c.viewer(), id, by).await?)
}

/// Organizer statistics (moderators and up): participants per day, completion, drop-off.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/stats", tag = "challenges", params(("id" = i64, Path)),
    responses((status = 200, body = ChallengeStats), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn stats(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.challenge_stats(c.require()?, id).await?)
}

#[derive(Deserialize, IntoParams)]
struct FeedParam {
    /// A check-in id: the page before it.
    before: Option<i64>,
}

/// Check-ins with a note, newest first (30 a page).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/feed", tag = "challenges", params(("id" = i64, Path), FeedParam),
    responses((status = 200, body = Vec<FeedItem>), (status = 404, body = ErrorBody)))]
async fn feed(c: Call, Path(id): Path<i64>, Query(p): Query<FeedParam>) -> ApiResult<Response> {
    ok(c.app.challenge_feed(c.viewer(), id, p.before).await?)
}

/// The completion certificate of a participant who finished (404 before).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/members/{username}/certificate", tag = "challenges",
    params(("id" = i64, Path), ("username" = String, Path)),
    responses((status = 200, body = Certificate), (status = 404, body = ErrorBody)))]
async fn certificate(c: Call, Path((id, username)): Path<(i64, String)>) -> ApiResult<Response> {
    ok(c.app.challenge_certificate(c.viewer(), id, &username).await?)
}
