//! Gathering pages: a community's gatherings (staff create one from the same
//! page), a gathering's page (register in two taps, the ticket with its QR
//! code, add to calendar, hosts, who's going, feedback after), its edit page,
//! the attendee list for staff, and the door page that checks tickets in on
//! a phone (camera where the browser can read QR codes, or typing the code).

use std::collections::{BTreeMap, HashMap};

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use yaji_app::accounts::LightInput;
use yaji_app::gatherings::{RegisterInput, StaffAction};
use yaji_app::AppError;
use yaji_domain::gatherings::{EventInput, Question, QuestionKind, Repeat};

use super::form::{all, commas, first, opt_i64, with_notice, Form, Pairs};
use super::{Page, Tab, WebForm};
use crate::auth::{set_cookie, SESSION_COOKIE};
use crate::AppState;

pub(super) const NAV: &[Tab] =
    &[Tab { order: 24, key: "gatherings", path: "/events", label: "gat.tab", show: "all", badge: "" }];

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/events", get(list_page).post(create))
        .route("/c/{slug}/events.ics", get(community_ics))
        .route("/events/{id}", get(event_page))
        .route("/events/{id}/bookmark", post(bookmark))
        .route("/events/saved", get(saved_page))
        .route("/events/{id}/register", post(register))
        .route("/events/{id}/register-visitor", post(register_visitor))
        .route("/events/{id}/unregister", post(unregister))
        .route("/events/{id}/edit", get(edit_page).post(edit))
        .route("/events/{id}/cancel", post(cancel))
        .route("/events/{id}/ticket.svg", get(ticket_svg))
        .route("/events/{id}/event.ics", get(ics))
        .route("/events/{id}/registrations", get(registrations_page))
        .route("/events/{id}/registrations.csv", get(registrations_csv))
        .route("/events/{id}/registrations/add", post(add))
        .route("/events/{id}/registrations/{rid}/{action}", post(act))
        .route("/events/{id}/staff", post(staff))
        .route("/events/{id}/door", get(door_page).post(door))
        .route("/events/{id}/self-check-in", post(self_check_in))
        .route("/events/{id}/feedback", post(feedback))
        .route("/c/{slug}/events/propose", post(propose))
        .route("/events/{id}/approve", post(approve))
        .route("/events/{id}/recap", post(recap))
        .route("/c/{slug}/events/templates", get(templates_page).post(create_template))
        .route("/events/templates/{id}", get(template_page))
        .route("/events/templates/{id}/use", post(use_template))
}

pub(super) const TEMPLATES: &[(&str, &str)] = templates![
    "gatherings/list.html",
    "gatherings/event.html",
    "gatherings/form.html",
    "gatherings/registrations.html",
    "gatherings/door.html",
    "gatherings/fields.html",
    "gatherings/funnel.html",
    "gatherings/saved.html",
    "gatherings/templates.html",
    "gatherings/template.html",
    "gatherings_tabs.html"
];

/// Reads the questions box: one per line; `*` first makes it required;
/// `label: a, b` is a single choice and `label:: a, b` a multiple choice.
fn questions_of(text: &str) -> Vec<Question> {
    let mut out = vec![];
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (required, line) = match line.strip_prefix('*').or_else(|| line.strip_prefix('＊')) {
            Some(rest) => (true, rest.trim()),
            None => (false, line),
        };
        let line = line.replace('：', ":");
        let (label, kind, options) = if let Some((l, o)) = line.split_once("::") {
            (l.trim().to_string(), QuestionKind::Multiple, commas(o))
        } else if let Some((l, o)) = line.split_once(':') {
            (l.trim().to_string(), QuestionKind::Single, commas(o))
        } else {
            (line.trim().to_string(), QuestionKind::Text, vec![])
        };
        out.push(Question { label, kind, options, required });
    }
    out
}

/// The questions as the box shows them again.
fn questions_text(qs: &[Question]) -> String {
    qs.iter()
        .map(|q| {
            let star = if q.required { "*" } else { "" };
            match q.kind {
                QuestionKind::Text => format!("{star}{}", q.label),
                QuestionKind::Single => format!("{star}{}: {}", q.label, q.options.join(", ")),
                QuestionKind::Multiple => format!("{star}{}:: {}", q.label, q.options.join(", ")),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn input_of(f: &Pairs) -> Result<EventInput, AppError> {
    let form: Form = f.iter().cloned().collect();
    let opt = |k: &str| Some(first(f, k).trim().to_string()).filter(|s| !s.is_empty());
    let reminders =
        match opt("reminders") {
            Some(r) => {
                Some(commas(&r).iter().map(|m| m.parse::<i64>()).collect::<Result<Vec<_>, _>>().map_err(|_| {
                    yaji_domain::error::invalid("reminders", "invalid_number", "minutes, comma-separated")
                })?)
            }
            None => Some(vec![]),
        };
    let repeat = match first(f, "repeat_every") {
        every @ ("weekly" | "monthly") => Some(Repeat {
            every: every.to_string(),
            count: opt_i64(&form, "repeat_count")?,
            until: None,
            except: commas(first(f, "repeat_except")).iter().filter_map(|d| d.parse().ok()).collect(),
        }),
        _ => None,
    };
    Ok(EventInput {
        title: first(f, "title").to_string(),
        description: opt("description"),
        starts_at: first(f, "starts_at").to_string(),
        ends_at: first(f, "ends_at").to_string(),
        capacity: opt_i64(&form, "capacity")?,
        cover_url: opt("cover_url"),
        online_url: opt("online_url"),
        location: opt("location"),
        room_id: opt_i64(&form, "room_id")?,
        audience: opt("audience"),
        audience_tags: commas(first(f, "audience_tags")),
        opens_at: opt("opens_at"),
        closes_at: opt("closes_at"),
        approval: first(f, "approval") == "1",
        max_guests: opt_i64(&form, "max_guests")?,
        questions: questions_of(first(f, "questions")),
        reminders,
        self_checkin: first(f, "self_checkin") == "1",
        show_attendees: first(f, "show_attendees") == "1",
        price: None,
        repeat,
        template_id: None,
    })
}

async fn list_view(page: &Page, slug: &str, form: Form, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let past = page.path.contains("past=1");
    let r = async {
        let c = app.community(viewer, slug).await?;
        let events = app.events(viewer, slug, past).await?;
        let rooms = if c.abilities.moderate { app.venues(viewer, slug).await? } else { vec![] };
        let proposals = match viewer {
            Some(v) if c.abilities.moderate => app.proposals(v, slug).await?,
            _ => vec![],
        };
        Ok::<_, AppError>((c, events, rooms, proposals))
    }
    .await;
    let (c, events, venues, proposals) = or_fail!(page, r);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let ctx = context! { c, events, venues, proposals, past, form, errors, sub => "events" };
    page.render(status, "gatherings/list.html", ctx)
}

async fn list_page(page: Page, Path(slug): Path<String>) -> Response {
    let form = Form::from([("reminders".to_string(), "1440, 60".to_string())]);
    list_view(&page, &slug, form, HashMap::new()).await
}

async fn create(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Pairs>) -> Response {
    let r = async { page.state.app.create_event(page.auth.require()?, &slug, input_of(&f)?).await }.await;
    match r {
        Ok(e) => with_notice(&format!("/events/{}", e.id), "event_created"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => list_view(&page, &slug, f.into_iter().collect(), errors).await,
            None => page.fail(e),
        },
    }
}

async fn event_view(page: &Page, id: i64, problem: Option<(StatusCode, String)>, answers: Form) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let e = app.event(viewer, id).await?;
        let c = app.community(viewer, &e.community_slug).await?;
        // Staff see where this gathering's people came from and went.
        let funnel = match viewer {
            Some(v) if e.can_manage => Some(app.event_funnel(v, id).await?),
            _ => None,
        };
        Ok::<_, AppError>((e, c, funnel))
    }
    .await;
    let (e, c, funnel) = or_fail!(page, r);
    let (status, problem) = problem.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    let via = page.path.split_once("via=").map(|(_, v)| v.split('&').next().unwrap_or("").to_string());
    let share = format!(
        "{}/events/{id}?via={}",
        page.auth.origin,
        page.auth.user.as_ref().map(|u| u.username.as_str()).unwrap_or("share")
    );
    let origin = &page.auth.origin;
    page.render(
        status,
        "gatherings/event.html",
        context! { e, c, problem, answers, via, share, origin, funnel, sub => "events" },
    )
}

/// The browser's random visitor id, so a gathering's visitors are counted once each.
const VISITOR_COOKIE: &str = "yaji_vid";

async fn event_page(page: Page, Path(id): Path<i64>, headers: axum::http::HeaderMap) -> Response {
    let cookie = crate::auth::cookie(&headers, VISITOR_COOKIE).map(str::to_string);
    let fresh = (cookie.is_none() && page.auth.user.is_none()).then(yaji_app::accounts::random_csrf);
    let via = page.path.split_once("via=").map(|(_, v)| v.split('&').next().unwrap_or("").to_string());
    let visitor = cookie.or_else(|| fresh.clone());
    // Counting is a side matter: a failure to count never fails the page.
    if let Err(e) = page.state.app.count_visit(page.auth.viewer(), visitor.as_deref(), id, via.as_deref()).await {
        if !matches!(e, AppError::NotFound(_) | AppError::Forbidden { .. } | AppError::Unauthenticated) {
            tracing::warn!(event = id, error = %e, "could not count a visit");
        }
    }
    let mut res = event_view(&page, id, None, Form::new()).await;
    if let Some(v) = fresh.filter(|_| res.status() == StatusCode::OK) {
        res.headers_mut()
            .append(header::SET_COOKIE, set_cookie(VISITOR_COOKIE, &v, 86_400 * 365, true, page.auth.secure));
    }
    res
}

/// Saves or un-saves a gathering, back to where the button was.
async fn bookmark(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let saved = f.get("saved").is_some_and(|v| v == "1");
    let r = async { page.state.app.bookmark_event(page.auth.require()?, id, saved).await }.await;
    let back = super::form::safe_next(f.get("next").map(String::as_str).or(Some(&format!("/events/{id}"))));
    page.done(r, |_| back, if saved { "event_saved" } else { "event_unsaved" })
}

/// The viewer's saved gatherings.
async fn saved_page(page: Page) -> Response {
    let r = async { page.state.app.saved_events(page.auth.require()?).await }.await;
    let events = or_fail!(page, r);
    page.render(StatusCode::OK, "gatherings/saved.html", context! { events })
}

async fn refused(page: &Page, id: i64, e: AppError, answers: Form) -> Response {
    match page.refusal(e) {
        Ok(problem) => event_view(page, id, Some(problem), answers).await,
        Err(e) => page.fail(e),
    }
}

/// The registration form's answers (q0, q1 …; a multiple choice repeats its name), guests and link attribution.
fn registration_of(f: &Pairs, form: &Form) -> Result<RegisterInput, AppError> {
    let mut answers = BTreeMap::new();
    for (k, _) in f {
        if let Some(i) = k.strip_prefix('q') {
            let vals: Vec<serde_json::Value> = all(f, k).map(|v| serde_json::Value::from(v.to_string())).collect();
            answers.insert(i.to_string(), serde_json::Value::Array(vals));
        }
    }
    Ok(RegisterInput {
        answers,
        guests: opt_i64(form, "guests")?,
        via: Some(first(f, "via").to_string()).filter(|v| !v.is_empty()),
    })
}

async fn register(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Pairs>) -> Response {
    let form: Form = f.iter().cloned().collect();
    let r =
        async { page.state.app.register_for_event(page.auth.require()?, id, registration_of(&f, &form)?).await }.await;
    match r {
        Ok(reg) => with_notice(&format!("/events/{id}"), &format!("registration_{}", reg.status)),
        Err(e) => refused(&page, id, e, form).await,
    }
}

/// A visitor registers with a name and an email (a light account), and is signed in.
async fn register_visitor(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Pairs>) -> Response {
    let mut form: Form = f.iter().cloned().collect();
    let r = async {
        let who = LightInput { display_name: first(&f, "display_name"), email: first(&f, "email"), locale: page.lang };
        page.state
            .app
            .register_visitor(page.auth.viewer(), id, who, registration_of(&f, &form)?, &page.auth.client_ip)
            .await
    }
    .await;
    match r {
        Ok((sess, reg)) => {
            let mut res = with_notice(&format!("/events/{id}"), &format!("registration_{}", reg.status));
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &sess.token, sess.max_age_secs, true, page.auth.secure),
            );
            res
        }
        Err(e) => {
            // Someone who has an account already: offer a sign-in link to that address.
            if matches!(e, AppError::Conflict { code: "email_has_account", .. }) {
                form.insert("signin_link".into(), "1".into());
            }
            refused(&page, id, e, form).await
        }
    }
}

async fn unregister(page: Page, Path(id): Path<i64>) -> Response {
    match async { page.state.app.cancel_registration(page.auth.require()?, id).await }.await {
        Ok(_) => with_notice(&format!("/events/{id}"), "registration_cancelled"),
        Err(e) => refused(&page, id, e, Form::new()).await,
    }
}

async fn cancel(page: Page, Path(id): Path<i64>) -> Response {
    let r = async { page.state.app.cancel_event(page.auth.require()?, id).await }.await;
    page.done(r, |_| format!("/events/{id}"), "event_canceled")
}

async fn edit_view(page: &Page, id: i64, form: Option<Form>, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let e = app.event(viewer, id).await?;
        if !e.can_manage {
            return Err(AppError::forbidden("insufficient_role", "staff change gatherings"));
        }
        let c = app.community(viewer, &e.community_slug).await?;
        let venues = app.venues(viewer, &e.community_slug).await?;
        Ok::<_, AppError>((e, c, venues))
    }
    .await;
    let (e, c, venues) = or_fail!(page, r);
    let form = form.unwrap_or_else(|| {
        let local = |s: &str| s.replace(' ', "T");
        Form::from([
            ("title".into(), e.title.clone()),
            ("description".into(), e.description.clone()),
            ("starts_at".into(), local(&e.local_start)),
            ("ends_at".into(), local(&e.local_end)),
            ("capacity".into(), e.capacity.map(|c| c.to_string()).unwrap_or_default()),
            ("location".into(), e.location.clone()),
            ("online_url".into(), e.online_url.clone().unwrap_or_default()),
            ("cover_url".into(), e.cover_url.clone().unwrap_or_default()),
            ("room_id".into(), e.room_id.map(|r| r.to_string()).unwrap_or_default()),
            ("audience".into(), e.audience.clone()),
            ("audience_tags".into(), e.audience_tags.join(", ")),
            ("approval".into(), if e.approval { "1" } else { "" }.into()),
            ("max_guests".into(), e.max_guests.to_string()),
            ("questions".into(), questions_text(&e.questions)),
            ("reminders".into(), e.reminders.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")),
            ("self_checkin".into(), if e.self_checkin { "1" } else { "" }.into()),
            ("show_attendees".into(), if e.show_attendees { "1" } else { "" }.into()),
        ])
    });
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(
        status,
        "gatherings/form.html",
        context! { e, c, venues, form, errors, editing => true, sub => "events" },
    )
}

async fn edit_page(page: Page, Path(id): Path<i64>) -> Response {
    edit_view(&page, id, None, HashMap::new()).await
}

async fn edit(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Pairs>) -> Response {
    let r = async { page.state.app.update_event(page.auth.require()?, id, input_of(&f)?).await }.await;
    match r {
        Ok(_) => with_notice(&format!("/events/{id}"), "event_updated"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => edit_view(&page, id, Some(f.into_iter().collect()), errors).await,
            None => page.fail(e),
        },
    }
}

/// The viewer's ticket as a QR code (SVG, drawn here; it carries the code only).
async fn ticket_svg(page: Page, Path(id): Path<i64>) -> Response {
    let r = async { page.state.app.my_registration(page.auth.require()?, id).await }.await;
    let reg = match r {
        Ok(r) => r,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let svg = match qrcode::QrCode::new(reg.ticket_code.as_bytes()) {
        Ok(code) => code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "private, no-store")], svg).into_response()
}

async fn ics(page: Page, Path(id): Path<i64>) -> Response {
    match page.state.app.event_ics(page.auth.viewer(), id, &page.auth.origin).await {
        Ok(body) => crate::api::gatherings::calendar_response(&format!("event-{id}.ics"), body),
        Err(e) => page.fail(e),
    }
}

async fn community_ics(page: Page, Path(slug): Path<String>) -> Response {
    match page.state.app.community_ics(&slug, &page.auth.origin).await {
        Ok(body) => crate::api::gatherings::calendar_response(&format!("{slug}.ics"), body),
        Err(e) => page.fail(e),
    }
}

async fn registrations_view(page: &Page, id: i64, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let v = page.auth.require()?;
        let e = app.event(viewer, id).await?;
        let regs = app.registrations(v, id).await?;
        let c = app.community(viewer, &e.community_slug).await?;
        Ok::<_, AppError>((e, c, regs))
    }
    .await;
    let (e, c, regs) = or_fail!(page, r);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(status, "gatherings/registrations.html", context! { e, c, regs, errors, sub => "events" })
}

async fn registrations_page(page: Page, Path(id): Path<i64>) -> Response {
    registrations_view(&page, id, HashMap::new()).await
}

async fn registrations_csv(page: Page, Path(id): Path<i64>) -> Response {
    match async { page.state.app.registrations_csv(page.auth.require()?, id).await }.await {
        Ok(body) => crate::download::csv(&format!("event-{id}-attendees.csv"), body),
        Err(e) => page.fail(e),
    }
}

async fn add(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let r = async {
        let guests = opt_i64(&f, "guests")?.unwrap_or(0);
        page.state.app.add_registration(page.auth.require()?, id, f.get("username").map_or("", |s| s), guests).await
    }
    .await;
    match r {
        Ok(_) => with_notice(&format!("/events/{id}/registrations"), "registration_added"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => registrations_view(&page, id, errors).await,
            None => page.fail(e),
        },
    }
}

async fn act(page: Page, Path((id, rid, action)): Path<(i64, i64, String)>) -> Response {
    let r = async {
        let action: StaffAction = serde_json::from_value(serde_json::Value::from(action.as_str()))
            .map_err(|_| AppError::NotFound("action"))?;
        page.state.app.act_on_registration(page.auth.require()?, id, rid, action).await
    }
    .await;
    match r {
        Ok(_) => with_notice(&format!("/events/{id}/registrations"), "registration_moved"),
        Err(e) => match page.refusal(e) {
            Ok((_, msg)) => registrations_view(&page, id, HashMap::from([("action".to_string(), msg)])).await,
            Err(e) => page.fail(e),
        },
    }
}

async fn staff(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let r = async {
        let role = f.get("role").map(String::as_str).filter(|r| !r.is_empty());
        page.state.app.set_event_staff(page.auth.require()?, id, f.get("username").map_or("", |s| s), role).await
    }
    .await;
    match r {
        Ok(_) => with_notice(&format!("/events/{id}/registrations"), "event_staff_saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => registrations_view(&page, id, errors).await,
            None => page.fail(e),
        },
    }
}

async fn door_view(page: &Page, id: i64, result: Option<yaji_app::gatherings::DoorView>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        page.auth.require()?;
        let e = app.event(viewer, id).await?;
        if !e.can_door {
            return Err(AppError::forbidden("insufficient_role", "the door is for staff and door staff"));
        }
        let c = app.community(viewer, &e.community_slug).await?;
        Ok::<_, AppError>((e, c))
    }
    .await;
    let (e, c) = or_fail!(page, r);
    page.ok("gatherings/door.html", context! { e, c, result, sub => "events" })
}

async fn door_page(page: Page, Path(id): Path<i64>) -> Response {
    door_view(&page, id, None).await
}

/// The door without script: the form posts the code, the page answers.
async fn door(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let code = f.get("code").cloned().unwrap_or_default();
    match async { page.state.app.door_check_in(page.auth.require()?, id, &code).await }.await {
        Ok(result) => door_view(&page, id, Some(result)).await,
        Err(e) => page.fail(e),
    }
}

async fn self_check_in(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let code = f.get("code").cloned().unwrap_or_default();
    match async { page.state.app.self_check_in(page.auth.require()?, id, &code).await }.await {
        Ok(d) if d.admit => with_notice(&format!("/events/{id}"), "self_checked_in"),
        Ok(_) => with_notice(&format!("/events/{id}"), "self_check_in_refused"),
        Err(e) => refused(&page, id, e, Form::new()).await,
    }
}

async fn feedback(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let r = async {
        let rating = opt_i64(&f, "rating")?.unwrap_or(0);
        page.state.app.give_feedback(page.auth.require()?, id, rating, f.get("comment").map_or("", |s| s)).await
    }
    .await;
    match r {
        Ok(()) => with_notice(&format!("/events/{id}"), "feedback_saved"),
        Err(e) => refused(&page, id, e, Form::new()).await,
    }
}

async fn propose(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Pairs>) -> Response {
    let r = async { page.state.app.propose_event(page.auth.require()?, &slug, input_of(&f)?).await }.await;
    match r {
        Ok(e) => with_notice(&format!("/events/{}", e.id), "event_proposed"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => list_view(&page, &slug, f.into_iter().collect(), errors).await,
            None => page.fail(e),
        },
    }
}

async fn approve(page: Page, Path(id): Path<i64>) -> Response {
    let r = async { page.state.app.approve_proposal(page.auth.require()?, id).await }.await;
    page.done(r, |_| format!("/events/{id}"), "proposal_approved")
}

async fn recap(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let r = async {
        let post = f
            .get("post")
            .map(|p| p.trim().trim_start_matches("/p/").trim_start_matches('#').to_string())
            .unwrap_or_default();
        let post_id = if post.is_empty() {
            None
        } else {
            Some(
                post.parse::<i64>()
                    .map_err(|_| yaji_domain::error::invalid("post_id", "invalid_number", "a post number"))?,
            )
        };
        page.state.app.set_recap(page.auth.require()?, id, post_id).await
    }
    .await;
    match r {
        Ok(_) => with_notice(&format!("/events/{id}"), "recap_saved"),
        Err(e) => refused(&page, id, e, Form::new()).await,
    }
}

async fn templates_view(page: &Page, slug: &str, form: Form, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let v = page.auth.require()?;
        let c = app.community(viewer, slug).await?;
        let templates = app.templates(v, slug).await?;
        let venues = app.venues(viewer, slug).await?;
        Ok::<_, AppError>((c, templates, venues))
    }
    .await;
    let (c, templates, venues) = or_fail!(page, r);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(
        status,
        "gatherings/templates.html",
        context! { c, templates, venues, form, errors, sub => "templates" },
    )
}

async fn templates_page(page: Page, Path(slug): Path<String>) -> Response {
    templates_view(&page, &slug, Form::new(), HashMap::new()).await
}

async fn create_template(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Pairs>) -> Response {
    let form: Form = f.iter().cloned().collect();
    let r = async {
        let opt = |k: &str| Some(first(&f, k).trim().to_string()).filter(|s| !s.is_empty());
        let input = yaji_domain::gatherings::TemplateInput {
            title: first(&f, "title").to_string(),
            description: opt("description"),
            materials: opt("materials"),
            setup: opt("setup"),
            host: opt("host"),
            capacity: opt_i64(&form, "capacity")?,
            duration_minutes: opt_i64(&form, "duration_minutes")?,
            room_id: opt_i64(&form, "room_id")?,
            questions: questions_of(first(&f, "questions")),
        };
        page.state.app.create_template(page.auth.require()?, &slug, input).await
    }
    .await;
    match r {
        Ok(t) => with_notice(&format!("/events/templates/{}", t.id), "template_created"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => templates_view(&page, &slug, form, errors).await,
            None => page.fail(e),
        },
    }
}

async fn template_view(page: &Page, id: i64, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let tpl = app.template(page.auth.require()?, id).await?;
        let c = app.community(viewer, &tpl.community_slug).await?;
        Ok::<_, AppError>((tpl, c))
    }
    .await;
    let (tpl, c) = or_fail!(page, r);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(status, "gatherings/template.html", context! { tpl, c, errors, sub => "templates" })
}

async fn template_page(page: Page, Path(id): Path<i64>) -> Response {
    template_view(&page, id, HashMap::new()).await
}

async fn use_template(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let starts = f.get("starts_at").cloned().unwrap_or_default();
    match async { page.state.app.event_from_template(page.auth.require()?, id, &starts).await }.await {
        Ok(e) => with_notice(&format!("/events/{}", e.id), "event_created"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => template_view(&page, id, errors).await,
            None => page.fail(e),
        },
    }
}
