//! Lotteries (抽奖) anyone can verify. Stable for scripts: creating one
//! (`{"title","prizes":[{"name","quantity"}],"entries_close_at"}`),
//! entering, drawing (staff, after the close; drawing again returns the same
//! result) and the result (`{"commitment","secret","entries","winners"}`).

use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::lotteries::{EligibleView, EntryView, LotteryResult, LotteryView};
use yaji_domain::lotteries::LotteryInput;

use super::{created, ok, ApiResult, Call, Json, Path};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list, create))
        .routes(routes!(get_one))
        .routes(routes!(enter))
        .routes(routes!(eligible))
        .routes(routes!(operator_value))
        .routes(routes!(draw))
        .routes(routes!(result))
        .routes(routes!(deliver))
}

/// A community's lotteries, newest first.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/lotteries", tag = "lotteries", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<LotteryView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.lotteries(c.viewer(), &slug).await?)
}

/// Create a lottery (moderators and up). Stable: `title`, `prizes`
/// (`[{"name","quantity"}]`), `entries_close_at` (local "2026-12-31T20:00"
/// in the community's zone, or RFC 3339). Optional: `description`,
/// `entries_open_at`, `cost` (points per entry), `max_entries` (default 1),
/// `staff_can_win` (default false), `eligibility` (`{"segment_id",
/// "min_level","min_points","challenge_id","streak_days","joined_before"}`,
/// evaluated at the draw). The commitment to the secret is published at once.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/lotteries", tag = "lotteries", params(("slug" = String, Path)), request_body = Object,
    responses((status = 201, body = LotteryView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(c: Call, Path(slug): Path<String>, Json(b): Json<LotteryInput>) -> ApiResult<Response> {
    created(c.app.create_lottery(c.require()?, &slug, b).await?)
}

#[utoipa::path(get, path = "/api/v1/lotteries/{id}", tag = "lotteries", params(("id" = i64, Path)),
    responses((status = 200, body = LotteryView), (status = 404, body = ErrorBody)))]
async fn get_one(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.lottery(c.viewer(), id).await?)
}

/// Enter (members; 201 with the ticket). 409: `not_open`, `entries_closed`,
/// `entry_limit`, `insufficient_points`.
#[utoipa::path(post, path = "/api/v1/lotteries/{id}/entries", tag = "lotteries", params(("id" = i64, Path)),
    responses((status = 201, body = EntryView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn enter(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    created(c.app.enter_lottery(c.require()?, id).await?)
}

/// Who could win if the draw happened now (staff): count and list.
#[utoipa::path(get, path = "/api/v1/lotteries/{id}/eligible", tag = "lotteries", params(("id" = i64, Path)),
    responses((status = 200, body = EligibleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn eligible(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.lottery_eligible(c.require()?, id).await?)
}

#[derive(Deserialize, ToSchema)]
struct OperatorValue {
    /// A public value announced after entries close (e.g. a national lottery's number), mixed into the seed.
    value: String,
}

/// Set the announced public value (staff, before the draw).
#[utoipa::path(put, path = "/api/v1/lotteries/{id}/operator-value", tag = "lotteries", params(("id" = i64, Path)), request_body = OperatorValue,
    responses((status = 200, body = LotteryView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn operator_value(c: Call, Path(id): Path<i64>, Json(b): Json<OperatorValue>) -> ApiResult<Response> {
    ok(c.app.set_operator_value(c.require()?, id, &b.value).await?)
}

/// Draw (staff, after entries close; 409 `entries_open` before). Drawing
/// again returns the same result.
#[utoipa::path(post, path = "/api/v1/lotteries/{id}/draw", tag = "lotteries", params(("id" = i64, Path)),
    responses((status = 200, body = LotteryResult), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn draw(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.draw_lottery(c.require()?, id).await?)
}

/// Everything needed to verify the draw: commitment, secret (after the
/// draw), entries, entries hash, seed, prizes and winners.
#[utoipa::path(get, path = "/api/v1/lotteries/{id}/result", tag = "lotteries", params(("id" = i64, Path)),
    responses((status = 200, body = LotteryResult), (status = 404, body = ErrorBody)))]
async fn result(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.lottery_result(c.viewer(), id).await?)
}

/// Mark a winner's prize delivered (staff); `rank` as in the result.
#[utoipa::path(post, path = "/api/v1/lotteries/{id}/winners/{rank}/delivered", tag = "lotteries",
    params(("id" = i64, Path), ("rank" = i64, Path)),
    responses((status = 200, body = LotteryView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn deliver(c: Call, Path((id, rank)): Path<(i64, i64)>) -> ApiResult<Response> {
    ok(c.app.deliver_prize(c.require()?, id, rank).await?)
}
