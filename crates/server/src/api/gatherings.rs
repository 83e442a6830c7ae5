//! Gatherings (雅集). Stable for scripts: creating one
//! (`{"title","description","starts_at","ends_at","capacity"}`), listing,
//! reading, registering (`{"status","ticket_code"}`), cancelling one's own
//! registration, the staff list (each with `"status"`), door check-in
//! (`{"code"}`) and the event's `.ics`.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::gatherings::{
    DoorView, EventView, FunnelView, GatheringStats, HostView, RegisterInput, RegistrationView, StaffAction,
    TemplateView,
};
use yaji_domain::gatherings::{EventInput, TemplateInput};

use super::{created, no_content, ok, ApiResult, Call, Json, Path, Query};
use crate::error::ErrorBody;
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list, create))
        .routes(routes!(get_one, update))
        .routes(routes!(cancel))
        .routes(routes!(register, registrations))
        .routes(routes!(register_visitor))
        .routes(routes!(mine, unregister))
        .routes(routes!(act))
        .routes(routes!(add))
        .routes(routes!(export))
        .routes(routes!(check_in))
        .routes(routes!(self_check_in))
        .routes(routes!(ics))
        .routes(routes!(community_ics))
        .routes(routes!(staff))
        .routes(routes!(feedback))
        .routes(routes!(funnel))
        .routes(routes!(event_funnel))
        .routes(routes!(bookmark, unbookmark))
        .routes(routes!(saved))
        .routes(routes!(stats))
        .routes(routes!(templates, create_template))
        .routes(routes!(template))
        .routes(routes!(from_template))
        .routes(routes!(propose, proposals))
        .routes(routes!(approve))
        .routes(routes!(recap))
}

/// One gathering's funnel: visitors (who opened its page), saves,
/// registrations, attendance, who came back to another gathering and who
/// joined, with registrations by link attribution (staff).
#[utoipa::path(get, path = "/api/v1/events/{id}/funnel", tag = "gatherings", params(("id" = i64, Path)),
    responses((status = 200, body = FunnelView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn event_funnel(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.event_funnel(c.require()?, id).await?)
}

/// Save a gathering for later (anyone who may see it); idempotent.
#[utoipa::path(put, path = "/api/v1/events/{id}/bookmark", tag = "gatherings", params(("id" = i64, Path)),
    responses((status = 200, body = EventView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn bookmark(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.bookmark_event(c.require()?, id, true).await?)
}

/// Un-save a gathering; idempotent.
#[utoipa::path(delete, path = "/api/v1/events/{id}/bookmark", tag = "gatherings", params(("id" = i64, Path)),
    responses((status = 200, body = EventView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unbookmark(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.bookmark_event(c.require()?, id, false).await?)
}

/// The caller's saved gatherings that have not ended, soonest first.
#[utoipa::path(get, path = "/api/v1/me/saved-events", tag = "gatherings",
    responses((status = 200, body = Vec<EventView>), (status = 401, body = ErrorBody)))]
async fn saved(c: Call) -> ApiResult<Response> {
    ok(c.app.saved_events(c.require()?).await?)
}

#[derive(Deserialize, IntoParams)]
struct ListParam {
    /// `true`: past gatherings, latest first. Default: upcoming, soonest first.
    past: Option<bool>,
}

/// A community's gatherings the viewer may see.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/events", tag = "gatherings", params(("slug" = String, Path), ListParam),
    responses((status = 200, body = Vec<EventView>), (status = 404, body = ErrorBody)))]
async fn list(c: Call, Path(slug): Path<String>, Query(p): Query<ListParam>) -> ApiResult<Response> {
    ok(c.app.events(c.viewer(), &slug, p.past.unwrap_or(false)).await?)
}

/// Create a gathering (moderators and up). Stable: `title`, `description`,
/// `starts_at`, `ends_at` (RFC 3339, or local `2026-12-10T19:00` in the
/// community's time zone), `capacity` (none or 0: unlimited). Optional:
/// `cover_url`, `online_url` (shown to registered people only), `location`,
/// `room_id`, `audience` (`public` default, `members`, `tagged` with
/// `audience_tags`), `opens_at`, `closes_at`, `approval`, `max_guests`,
/// `questions` (`[{"label","kind":"text|single|multiple","options","required"}]`),
/// `reminders` (minutes before; default `[1440, 60]`), `self_checkin`,
/// `show_attendees`, `repeat` (`{"every":"weekly|monthly","count"|"until","except":[dates]}`:
/// one event per occurrence; the first is returned).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/events", tag = "gatherings", params(("slug" = String, Path)), request_body = Object,
    responses((status = 201, body = EventView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(c: Call, Path(slug): Path<String>, Json(b): Json<EventInput>) -> ApiResult<Response> {
    created(c.app.create_event(c.require()?, &slug, b).await?)
}

#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "gatherings", params(("id" = i64, Path)),
    responses((status = 200, body = EventView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_one(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.event(c.viewer(), id).await?)
}

/// Change a gathering (moderators and up): the whole definition, as when
/// creating. 422 `below_registered` (field `capacity`) when capacity drops
/// under the seats taken; a raised capacity promotes the waitlist.
#[utoipa::path(put, path = "/api/v1/events/{id}", tag = "gatherings", params(("id" = i64, Path)), request_body = Object,
    responses((status = 200, body = EventView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(c: Call, Path(id): Path<i64>, Json(b): Json<EventInput>) -> ApiResult<Response> {
    ok(c.app.update_event(c.require()?, id, b).await?)
}

/// Cancel a gathering (moderators and up); everyone registered is told.
#[utoipa::path(post, path = "/api/v1/events/{id}/cancel", tag = "gatherings", params(("id" = i64, Path)),
    responses((status = 200, body = EventView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn cancel(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.cancel_event(c.require()?, id).await?)
}

/// Register (201). The body is optional: `answers` by question index,
/// `guests`, `via`. The answer's `status` is `registered`, `waitlisted` or
/// `pending`, with the ticket's `ticket_code`. 409: `registration_not_open`,
/// `registration_closed`, `event_over`, `event_canceled`; 422 `too_many_guests`,
/// `required` / `invalid_answer` (field `answers`).
#[utoipa::path(post, path = "/api/v1/events/{id}/registrations", tag = "gatherings", params(("id" = i64, Path)), request_body = RegisterInput,
    responses((status = 201, body = RegistrationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register(c: Call, Path(id): Path<i64>, b: Option<Json<RegisterInput>>) -> ApiResult<Response> {
    let b = b.map(|Json(b)| b).unwrap_or_default();
    created(c.app.register_for_event(c.require()?, id, b).await?)
}

#[derive(Deserialize, ToSchema)]
struct VisitorBody {
    display_name: String,
    email: String,
    #[serde(default)]
    locale: String,
    #[serde(flatten)]
    #[schema(inline)]
    registration: RegisterInput,
}

#[derive(serde::Serialize, ToSchema)]
struct VisitorRegistered {
    registration: RegistrationView,
    /// Send as `X-CSRF-Token` on writes with the session cookie this sets.
    csrf_token: String,
}

/// A visitor without an account registers for a public gathering with a
/// name and an email: a light account (no password), its session (the
/// `yaji_session` cookie) and the registration, in one step. 409
/// `email_has_account` when the address has an account (sign in first);
/// 401 for gatherings that are not public; 409 `signed_in` for callers
/// who are signed in (they register as themselves).
#[utoipa::path(post, path = "/api/v1/events/{id}/visitor-registrations", tag = "gatherings", params(("id" = i64, Path)), request_body = VisitorBody,
    responses((status = 201, body = VisitorRegistered), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn register_visitor(c: Call, Path(id): Path<i64>, Json(b): Json<VisitorBody>) -> ApiResult<Response> {
    let who = yaji_app::accounts::LightInput { display_name: &b.display_name, email: &b.email, locale: &b.locale };
    let (sess, registration) =
        c.app.register_visitor(c.auth.viewer(), id, who, b.registration, &c.auth.client_ip).await?;
    let body = VisitorRegistered { registration, csrf_token: sess.csrf };
    let mut res = (axum::http::StatusCode::CREATED, axum::Json(body)).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        crate::auth::set_cookie(crate::auth::SESSION_COOKIE, &sess.token, sess.max_age_secs, true, c.auth.secure),
    );
    Ok(res)
}

/// Registrations with answers and contact (staff); door staff see names and statuses.
#[utoipa::path(get, path = "/api/v1/events/{id}/registrations", tag = "gatherings", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<RegistrationView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn registrations(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.registrations(c.require()?, id).await?)
}

/// The viewer's registration and ticket.
#[utoipa::path(get, path = "/api/v1/events/{id}/registrations/mine", tag = "gatherings", params(("id" = i64, Path)),
    responses((status = 200, body = RegistrationView), (status = 404, body = ErrorBody)))]
async fn mine(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.my_registration(c.require()?, id).await?)
}

/// Cancel the viewer's registration; the seat goes to the first on the waitlist who fits.
#[utoipa::path(delete, path = "/api/v1/events/{id}/registrations/mine", tag = "gatherings", params(("id" = i64, Path)),
    responses((status = 200, body = RegistrationView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn unregister(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.cancel_registration(c.require()?, id).await?)
}

#[derive(Deserialize, ToSchema)]
struct ActBody {
    /// approve, decline, promote, waitlist, cancel, attended, no_show
    action: StaffAction,
}

/// Move one registration by hand (staff). 409 `invalid_transition`.
#[utoipa::path(post, path = "/api/v1/events/{id}/registrations/{registration_id}/actions", tag = "gatherings",
    params(("id" = i64, Path), ("registration_id" = i64, Path)), request_body = ActBody,
    responses((status = 200, body = RegistrationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn act(c: Call, Path((id, reg)): Path<(i64, i64)>, Json(b): Json<ActBody>) -> ApiResult<Response> {
    ok(c.app.act_on_registration(c.require()?, id, reg, b.action).await?)
}

#[derive(Deserialize, ToSchema)]
struct AddBody {
    username: String,
    #[serde(default)]
    guests: i64,
}

/// Add someone who registered offline or walked in (staff), by username.
#[utoipa::path(post, path = "/api/v1/events/{id}/registrations/add", tag = "gatherings", params(("id" = i64, Path)), request_body = AddBody,
    responses((status = 201, body = RegistrationView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add(c: Call, Path(id): Path<i64>, Json(b): Json<AddBody>) -> ApiResult<Response> {
    created(c.app.add_registration(c.require()?, id, &b.username, b.guests).await?)
}

/// The attendee list as CSV (staff), answers included.
#[utoipa::path(get, path = "/api/v1/events/{id}/registrations/export", tag = "gatherings", params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorBody)))]
async fn export(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    let body = c.app.registrations_csv(c.require()?, id).await?;
    Ok(crate::download::csv(&format!("event-{id}-attendees.csv"), body))
}

#[derive(Deserialize, ToSchema)]
struct CodeBody {
    /// The ticket's code (or what the camera read from its QR code).
    code: String,
}

/// Check a ticket in at the door (staff, hosts, door staff). 200 with the
/// outcome: `checked_in`, `already_checked_in`, `not_admitted`,
/// `wrong_event`, `unknown_code`.
#[utoipa::path(post, path = "/api/v1/events/{id}/check-ins", tag = "gatherings", params(("id" = i64, Path)), request_body = CodeBody,
    responses((status = 200, body = DoorView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn check_in(c: Call, Path(id): Path<i64>, Json(b): Json<CodeBody>) -> ApiResult<Response> {
    ok(c.app.door_check_in(c.require()?, id, &b.code).await?)
}

/// Check oneself in with the code shown at the venue (when the organizer enabled it).
#[utoipa::path(post, path = "/api/v1/events/{id}/self-check-in", tag = "gatherings", params(("id" = i64, Path)), request_body = CodeBody,
    responses((status = 200, body = DoorView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn self_check_in(c: Call, Path(id): Path<i64>, Json(b): Json<CodeBody>) -> ApiResult<Response> {
    ok(c.app.self_check_in(c.require()?, id, &b.code).await?)
}

pub(crate) fn calendar_response(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}

/// The gathering as an iCalendar file (RFC 5545).
#[utoipa::path(get, path = "/api/v1/events/{id}/ics", tag = "gatherings", params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = ErrorBody)))]
async fn ics(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    let body = c.app.event_ics(c.viewer(), id, &c.auth.origin).await?;
    Ok(calendar_response(&format!("event-{id}.ics"), body))
}

/// A community's public gatherings as a calendar to subscribe to.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/events.ics", tag = "gatherings", params(("slug" = String, Path)),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = ErrorBody)))]
async fn community_ics(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    let body = c.app.community_ics(&slug, &c.auth.origin).await?;
    Ok(calendar_response(&format!("{slug}.ics"), body))
}

#[derive(Deserialize, ToSchema)]
struct StaffBody {
    username: String,
    /// host, cohost, door; null removes them.
    role: Option<String>,
}

/// Name a host, co-host or door staff of the gathering (staff).
#[utoipa::path(put, path = "/api/v1/events/{id}/staff", tag = "gatherings", params(("id" = i64, Path)), request_body = StaffBody,
    responses((status = 200, body = Vec<HostView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn staff(c: Call, Path(id): Path<i64>, Json(b): Json<StaffBody>) -> ApiResult<Response> {
    ok(c.app.set_event_staff(c.require()?, id, &b.username, b.role.as_deref()).await?)
}

#[derive(Deserialize, ToSchema)]
struct FeedbackBody {
    /// 1 to 5.
    rating: i64,
    #[serde(default)]
    comment: String,
}

/// Rate a gathering one attended.
#[utoipa::path(post, path = "/api/v1/events/{id}/feedback", tag = "gatherings", params(("id" = i64, Path)), request_body = FeedbackBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn feedback(c: Call, Path(id): Path<i64>, Json(b): Json<FeedbackBody>) -> ApiResult<Response> {
    c.app.give_feedback(c.require()?, id, b.rating, &b.comment).await?;
    no_content()
}

/// Visitor → registered → attended → came back → joined (admins).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/events/funnel", tag = "gatherings", params(("slug" = String, Path)),
    responses((status = 200, body = FunnelView), (status = 403, body = ErrorBody)))]
async fn funnel(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.gathering_funnel(c.require()?, &slug).await?)
}

#[derive(Deserialize, IntoParams)]
struct PeriodParam {
    /// First local date (default 90 days ago).
    from: Option<String>,
    /// Last local date (default today).
    to: Option<String>,
}

/// Attendance rate, no-show rate, registrations per gathering, the return
/// funnel and room use by hour of the week over a period (admins).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/events/stats", tag = "gatherings", params(("slug" = String, Path), PeriodParam),
    responses((status = 200, body = GatheringStats), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn stats(c: Call, Path(slug): Path<String>, Query(p): Query<PeriodParam>) -> ApiResult<Response> {
    ok(c.app.gathering_stats(c.require()?, &slug, p.from.as_deref(), p.to.as_deref()).await?)
}

/// A community's gathering templates (staff).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/event-templates", tag = "gatherings", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<TemplateView>), (status = 403, body = ErrorBody)))]
async fn templates(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.templates(c.require()?, &slug).await?)
}

/// Save a gathering template (staff): `title`; optional `description`
/// (theme and agenda), `materials`, `setup`, `host` (username), `capacity`,
/// `duration_minutes` (120), `room_id`, `questions`.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/event-templates", tag = "gatherings", params(("slug" = String, Path)), request_body = Object,
    responses((status = 201, body = TemplateView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_template(c: Call, Path(slug): Path<String>, Json(b): Json<TemplateInput>) -> ApiResult<Response> {
    created(c.app.create_template(c.require()?, &slug, b).await?)
}

/// A template with the gatherings made from it, their recaps and how many came back.
#[utoipa::path(get, path = "/api/v1/event-templates/{id}", tag = "gatherings", params(("id" = i64, Path)),
    responses((status = 200, body = TemplateView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn template(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.template(c.require()?, id).await?)
}

#[derive(Deserialize, ToSchema)]
struct StartBody {
    starts_at: String,
}

/// Make a gathering from a template, starting at `starts_at` (staff).
#[utoipa::path(post, path = "/api/v1/event-templates/{id}/events", tag = "gatherings", params(("id" = i64, Path)), request_body = StartBody,
    responses((status = 201, body = EventView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn from_template(c: Call, Path(id): Path<i64>, Json(b): Json<StartBody>) -> ApiResult<Response> {
    created(c.app.event_from_template(c.require()?, id, &b.starts_at).await?)
}

/// A member proposes a gathering (the same fields as creating one); it is
/// seen by staff and the proposer only until staff approve it.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/events/proposals", tag = "gatherings", params(("slug" = String, Path)), request_body = Object,
    responses((status = 201, body = EventView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn propose(c: Call, Path(slug): Path<String>, Json(b): Json<EventInput>) -> ApiResult<Response> {
    created(c.app.propose_event(c.require()?, &slug, b).await?)
}

/// Proposals waiting for staff.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/events/proposals", tag = "gatherings", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<EventView>), (status = 403, body = ErrorBody)))]
async fn proposals(c: Call, Path(slug): Path<String>) -> ApiResult<Response> {
    ok(c.app.proposals(c.require()?, &slug).await?)
}

/// Approve a member's proposal (staff): it opens and its proposer hosts it. To decline, cancel it.
#[utoipa::path(post, path = "/api/v1/events/{id}/approve", tag = "gatherings", params(("id" = i64, Path)),
    responses((status = 200, body = EventView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn approve(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.approve_proposal(c.require()?, id).await?)
}

#[derive(Deserialize, ToSchema)]
struct RecapBody {
    /// A post of the community; null unlinks.
    post_id: Option<i64>,
}

/// Link a gathering to its recap post (staff).
#[utoipa::path(put, path = "/api/v1/events/{id}/recap", tag = "gatherings", params(("id" = i64, Path)), request_body = RecapBody,
    responses((status = 200, body = EventView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn recap(c: Call, Path(id): Path<i64>, Json(b): Json<RecapBody>) -> ApiResult<Response> {
    ok(c.app.set_recap(c.require()?, id, b.post_id).await?)
}
