//! Venue booking (场馆预约). Stable for scripts: creating a venue
//! (`{"name"}`), a room (`{"name","capacity"}`; open every day 08:00–22:00 in
//! the community's time zone unless `hours` says otherwise), booking a room
//! (`{"starts_at","ends_at"}`; 409 `booking_conflict` with the taken
//! `conflicts`) and listing a room's bookings (`?from&to`).

use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::gatherings::EventView;
use yaji_app::venues::{BookingInput, BookingView, DayView, RoomView, VenueInput, VenueView};
use yaji_domain::venues::RoomInput;

use super::{created, ok, ApiResult, Call, Json, Path, Query};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list, create))
        .routes(routes!(get_venue, update_venue))
        .routes(routes!(add_room))
        .routes(routes!(get_room, update_room))
        .routes(routes!(book, bookings))
        .routes(routes!(day))
        .routes(routes!(cancel))
        .routes(routes!(decide))
        .routes(routes!(to_event))
        .routes(routes!(mine))
        .routes(routes!(pending))
}

#[utoipa::path(get, path = "/api/v1/communities/{slug}/venues", tag = "venues", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<VenueView>), (status = 404, body = ErrorBody)))]
async fn list(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.venues(c.viewer(), &slug).await?)
}

/// Create a venue (admins). Stable: `name`; optional `address`, `description`.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/venues", tag = "venues", params(("slug" = String, Path)), request_body = VenueInput,
    responses((status = 201, body = VenueView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(c: Call, Path(slug): Path<String>, Json(b): Json<VenueInput>) -> ApiResult<Response> {
    created(c.app.create_venue(c.require()?, &slug, b).await?)
}

#[utoipa::path(get, path = "/api/v1/venues/{id}", tag = "venues", params(("id" = i64, Path)),
    responses((status = 200, body = VenueView), (status = 404, body = ErrorBody)))]
async fn get_venue(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.venue(c.viewer(), id).await?)
}

#[utoipa::path(put, path = "/api/v1/venues/{id}", tag = "venues", params(("id" = i64, Path)), request_body = VenueInput,
    responses((status = 200, body = VenueView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_venue(c: Call, Path(id): Path<i64>, Json(b): Json<VenueInput>) -> ApiResult<Response> {
    ok(c.app.update_venue(c.require()?, id, b).await?)
}

/// Add a room (admins). Stable: `name`, `capacity`. Optional: `hours`
/// (`["08:00-22:00"]` for every day, or seven entries Monday first, `""`
/// closed), `slot_minutes` (30), `min_minutes`, `max_minutes` (240),
/// `buffer_minutes`, `blackout` (dates), `cancel_hours`, `description`,
/// `photo_url`, `rules` (`[{"who":{"kind":"members"|"anyone"|"tag"|"role","value":…},
/// "days_ahead":30,"hours_per_week":null,"approval":false}]`).
#[utoipa::path(post, path = "/api/v1/venues/{id}/rooms", tag = "venues", params(("id" = i64, Path)), request_body = Object,
    responses((status = 201, body = RoomView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_room(c: Call, Path(id): Path<i64>, Json(b): Json<RoomInput>) -> ApiResult<Response> {
    created(c.app.create_room(c.require()?, id, b).await?)
}

#[utoipa::path(get, path = "/api/v1/rooms/{id}", tag = "venues", params(("id" = i64, Path)),
    responses((status = 200, body = RoomView), (status = 404, body = ErrorBody)))]
async fn get_room(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.room(c.viewer(), id).await?)
}

#[utoipa::path(put, path = "/api/v1/rooms/{id}", tag = "venues", params(("id" = i64, Path)), request_body = Object,
    responses((status = 200, body = RoomView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_room(c: Call, Path(id): Path<i64>, Json(b): Json<RoomInput>) -> ApiResult<Response> {
    ok(c.app.update_room(c.require()?, id, b).await?)
}

/// A booking, and for a weekly repeat every week's booking.
#[derive(Serialize, ToSchema)]
struct Booked {
    #[serde(flatten)]
    booking: BookingView,
    occurrences: Vec<BookingView>,
}

/// Book a room (201). Stable: `starts_at`, `ends_at` (RFC 3339 or local).
/// Optional: `purpose`, `repeat_weeks`. 409 `booking_conflict` with
/// `conflicts` (the taken ranges, buffers included); 422 names the field
/// (`outside_hours`, `off_slot`, `too_long`, `too_far_ahead`, `weekly_limit` …).
#[utoipa::path(post, path = "/api/v1/rooms/{id}/bookings", tag = "venues", params(("id" = i64, Path)), request_body = BookingInput,
    responses((status = 201, body = Booked), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn book(c: Call, Path(id): Path<i64>, Json(b): Json<BookingInput>) -> ApiResult<Response> {
    let mut all = c.app.book_room(c.require()?, id, b).await?;
    let first = all.remove(0);
    let mut occurrences = vec![first.clone()];
    occurrences.extend(all);
    created(Booked { booking: first, occurrences })
}

#[derive(Deserialize, IntoParams)]
struct RangeParam {
    /// RFC 3339 or local; default yesterday.
    from: Option<String>,
    /// Default a week after `from`; at most 92 days.
    to: Option<String>,
}

/// A room's bookings in a range (who booked: to them and staff).
#[utoipa::path(get, path = "/api/v1/rooms/{id}/bookings", tag = "venues", params(("id" = i64, Path), RangeParam),
    responses((status = 200, body = Vec<BookingView>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn bookings(c: Call, Path(id): Path<i64>, Query(p): Query<RangeParam>) -> ApiResult<Response> {
    ok(c.app.room_bookings(c.viewer(), id, p.from.as_deref(), p.to.as_deref()).await?)
}

#[derive(Deserialize, IntoParams)]
struct DayParam {
    /// 2026-12-10; default today.
    date: Option<String>,
}

/// A room's day: its slots, free or taken.
#[utoipa::path(get, path = "/api/v1/rooms/{id}/day", tag = "venues", params(("id" = i64, Path), DayParam),
    responses((status = 200, body = DayView), (status = 404, body = ErrorBody)))]
async fn day(c: Call, Path(id): Path<i64>, Query(p): Query<DayParam>) -> ApiResult<Response> {
    ok(c.app.room_day(c.viewer(), id, p.date.as_deref()).await?)
}

/// Cancel a booking (its booker up to the room's deadline; staff any time).
#[utoipa::path(delete, path = "/api/v1/bookings/{id}", tag = "venues", params(("id" = i64, Path)),
    responses((status = 200, body = BookingView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.cancel_booking(c.require()?, id).await?)
}

#[derive(Deserialize, ToSchema)]
struct DecideBody {
    approve: bool,
}

/// Approve or decline a pending booking (staff).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/decision", tag = "venues", params(("id" = i64, Path)), request_body = DecideBody,
    responses((status = 200, body = BookingView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn decide(c: Call, Path(id): Path<i64>, Json(b): Json<DecideBody>) -> ApiResult<Response> {
    ok(c.app.decide_booking(c.require()?, id, b.approve).await?)
}

#[derive(Deserialize, ToSchema, Default)]
struct EventBody {
    title: Option<String>,
}

/// Turn a confirmed booking into a gathering (staff): room, times and capacity carried over.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/event", tag = "venues", params(("id" = i64, Path)), request_body = EventBody,
    responses((status = 201, body = EventView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn to_event(c: Call, Path(id): Path<i64>, b: Option<Json<EventBody>>) -> ApiResult<Response> {
    let b = b.map(|Json(b)| b).unwrap_or_default();
    created(c.app.booking_to_event(c.require()?, id, b.title.as_deref()).await?)
}

/// The viewer's bookings in a community, from yesterday on.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/bookings/mine", tag = "venues", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<BookingView>), (status = 404, body = ErrorBody)))]
async fn mine(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.my_bookings(c.require()?, &slug).await?)
}

/// Bookings waiting for approval (staff).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/bookings/pending", tag = "venues", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<BookingView>), (status = 403, body = ErrorBody)))]
async fn pending(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.pending_bookings(c.require()?, &slug).await?)
}
