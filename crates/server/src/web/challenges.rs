//! Challenge pages: the community's challenges (staff create one from the
//! same page), a challenge's page (join, check in with one tap or a note,
//! make up a missed day, my streak and month, leaderboards, the notes), a
//! member's calendar, the organizer's statistics, the edit form and the
//! completion certificate.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::Deserialize;
use yaji_app::challenges::{Board, CheckinInput, CheckinView};
use yaji_app::AppError;
use yaji_domain::challenges::{ChallengeInput, DaysInput, JoinRule, Milestone};
use yaji_domain::error::invalid;

use super::form::{all, first, opt_i64, with_notice, Form, Pairs};
use super::{Page, Tab, WebForm};
use crate::AppState;

pub(super) const NAV: &[Tab] =
    &[Tab { order: 25, key: "activities", path: "/challenges", label: "chal.tab", show: "all", badge: "" }];

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/challenges", get(list_page).post(create))
        .route("/challenges/{id}", get(detail_page))
        .route("/challenges/{id}/edit", get(edit_page).post(update))
        .route("/challenges/{id}/join", post(join))
        .route("/challenges/{id}/leave", post(leave))
        .route("/challenges/{id}/checkin", post(check_in))
        .route("/challenges/{id}/reminder", post(reminder))
        .route("/challenges/{id}/stats", get(stats_page))
        .route("/challenges/{id}/members/{username}", get(calendar_page))
        .route("/challenges/{id}/members/{username}/certificate", get(certificate_page))
}

pub(super) const TEMPLATES: &[(&str, &str)] = templates![
    "activity_tabs.html",
    "challenges/list.html",
    "challenges/form.html",
    "challenges/challenge.html",
    "challenges/month.html",
    "challenges/edit.html",
    "challenges/calendar.html",
    "challenges/stats.html",
    "challenges/certificate.html"
];

/// Reads the create/edit form: days as checkboxes, milestones as "7, 21=习惯达人, 100".
fn input_of(f: &Pairs) -> Result<ChallengeInput, AppError> {
    let opt = |k: &str| Some(first(f, k).trim().to_string()).filter(|s| !s.is_empty());
    let form: Form = f.iter().cloned().collect();
    let days: Vec<u8> = all(f, "days").filter_map(|d| d.parse().ok()).collect();
    let mut milestones = vec![];
    for part in first(f, "milestones").split([',', '，', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
        let (d, tag) = part.split_once(['=', '：', ':']).map_or((part, None), |(d, t)| (d, Some(t.trim().to_string())));
        let days = d.trim().parse().map_err(|_| invalid("milestones", "invalid_format", "like 7, 21=习惯达人, 100"))?;
        milestones.push(Milestone { days, tag });
    }
    Ok(ChallengeInput {
        title: first(f, "title").to_string(),
        description: opt("description"),
        starts_on: first(f, "starts_on").to_string(),
        ends_on: opt("ends_on"),
        days: Some(DaysInput::List(days)),
        window_start: opt("window_start"),
        window_end: opt("window_end"),
        proof: opt("proof"),
        number_label: opt("number_label"),
        makeup_cards: opt_i64(&form, "makeup_cards")?,
        makeup_price: opt_i64(&form, "makeup_price")?,
        milestones: Some(milestones),
        goal_days: opt_i64(&form, "goal_days")?,
        join: Some(JoinRule {
            segment_id: opt_i64(&form, "join_segment")?,
            tag: opt("join_tag"),
            min_level: opt_i64(&form, "join_min_level")?,
        }),
        share_to_feed: Some(first(f, "share_to_feed") == "1"),
    })
}

/// The form's fields from a saved challenge (the edit page starts from them).
fn form_of(c: &yaji_app::challenges::ChallengeView) -> Form {
    let milestones: Vec<String> = c
        .milestones
        .iter()
        .map(|d| match c.milestone_tags.iter().find(|(m, _)| m == d) {
            Some((_, tag)) => format!("{d}={tag}"),
            None => d.to_string(),
        })
        .collect();
    let mut f = Form::from([
        ("title".into(), c.title.clone()),
        ("description".into(), c.description.clone()),
        ("starts_on".into(), c.starts_on.clone()),
        ("ends_on".into(), c.ends_on.clone().unwrap_or_default()),
        ("proof".into(), c.proof.clone()),
        ("number_label".into(), c.number_label.clone().unwrap_or_default()),
        ("makeup_cards".into(), c.makeup_cards.to_string()),
        ("makeup_price".into(), c.makeup_price.to_string()),
        ("milestones".into(), milestones.join(", ")),
        ("goal_days".into(), c.goal_days.map(|g| g.to_string()).unwrap_or_default()),
        ("join_tag".into(), c.join.tag.clone().unwrap_or_default()),
        ("join_min_level".into(), c.join.min_level.map(|l| l.to_string()).unwrap_or_default()),
        ("join_segment".into(), c.join.segment_id.map(|l| l.to_string()).unwrap_or_default()),
        ("share_to_feed".into(), if c.share_to_feed { "1" } else { "" }.into()),
    ]);
    if let Some((a, b)) = c.window.as_deref().and_then(|w| w.split_once('–')) {
        f.insert("window_start".into(), a.to_string());
        f.insert("window_end".into(), b.to_string());
    }
    for d in &c.days {
        f.insert(format!("day{d}"), "1".into());
    }
    f
}

/// A new challenge's form: every day, starting today.
fn blank_form(today: &str) -> Form {
    let mut f = Form::from([
        ("starts_on".into(), today.to_string()),
        ("makeup_cards".into(), "1".into()),
        ("milestones".into(), "7, 21, 100".into()),
        ("proof".into(), "optional".into()),
    ]);
    for d in 1..=7 {
        f.insert(format!("day{d}"), "1".into());
    }
    f
}

/// Checkbox state for days from a posted form.
fn with_days(f: &Pairs) -> Form {
    let mut form: Form = f.iter().filter(|(k, _)| k != "days").cloned().collect();
    for d in all(f, "days") {
        form.insert(format!("day{d}"), "1".into());
    }
    form
}

async fn list_view(page: &Page, slug: &str, form: Option<Form>, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let c = app.community(viewer, slug).await?;
        let challenges = app.challenges(viewer, slug).await?;
        let segments = match viewer {
            Some(v) if c.abilities.moderate => app.segments(v, slug).await.unwrap_or_default(),
            _ => vec![],
        };
        Ok::<_, AppError>((c, challenges, segments))
    }
    .await;
    let (c, challenges, segments) = or_fail!(page, r);
    let tz = c.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    let today = yaji_domain::challenges::local(chrono::Utc::now().timestamp_millis(), tz).0;
    let form = form.unwrap_or_else(|| blank_form(&today.to_string()));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(status, "challenges/list.html", context! { c, challenges, segments, form, errors, sub => "challenges" })
}

async fn list_page(page: Page, Path(slug): Path<String>) -> Response {
    list_view(&page, &slug, None, HashMap::new()).await
}

async fn create(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Pairs>) -> Response {
    let r = async {
        let v = page.auth.require()?;
        page.state.app.create_challenge(v, &slug, input_of(&f)?).await
    }
    .await;
    match r {
        Ok(ch) => with_notice(&format!("/challenges/{}", ch.id), "challenge_created"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => list_view(&page, &slug, Some(with_days(&f)), errors).await,
            None => page.fail(e),
        },
    }
}

#[derive(Deserialize, Default)]
struct DetailQuery {
    #[serde(default)]
    by: String,
}

/// The challenge's page; `problem` is a refused check-in's message, `form` what was typed.
async fn detail_view(page: &Page, id: i64, by: &str, problem: Option<(StatusCode, String)>, form: Form) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let by = Board::parse(by)?;
        let ch = app.challenge(viewer, id).await?;
        let c = app.community(viewer, &ch.community_slug).await?;
        let board = app.challenge_leaderboard(viewer, id, by).await?;
        let feed = app.challenge_feed(viewer, id, None).await?;
        let month = match (page.auth.user.as_ref(), &ch.me) {
            (Some(u), Some(_)) => Some(app.challenge_calendar(viewer, id, &u.username, None).await?),
            _ => None,
        };
        Ok::<_, AppError>((ch, c, board, feed, month, by))
    }
    .await;
    let (ch, c, board, feed, month, by) = or_fail!(page, r);
    let (status, problem) = problem.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    let by = serde_json::to_value(by).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    page.render(
        status,
        "challenges/challenge.html",
        context! { ch, c, board, feed, month, by, problem, form, sub => "challenges" },
    )
}

async fn detail_page(page: Page, Path(id): Path<i64>, Query(q): Query<DetailQuery>) -> Response {
    detail_view(&page, id, &q.by, None, Form::new()).await
}

async fn join(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let remind = f.get("remind_at").cloned();
    let r = async { page.state.app.join_challenge(page.auth.require()?, id, remind.as_deref()).await }.await;
    back(&page, id, r.map(|_| "challenge_joined"), f).await
}

async fn leave(page: Page, Path(id): Path<i64>) -> Response {
    let r = async { page.state.app.leave_challenge(page.auth.require()?, id).await }.await;
    page.done(r, |_| format!("/challenges/{id}"), "challenge_left")
}

/// Back to the challenge's page with the notice, or the refusal shown there.
async fn back(page: &Page, id: i64, r: Result<&str, AppError>, form: Form) -> Response {
    match r {
        Ok(notice) => with_notice(&format!("/challenges/{id}"), notice),
        Err(e) => refused(page, id, e, form).await,
    }
}

/// A refusal shown on the challenge's page with what was typed kept.
async fn refused(page: &Page, id: i64, e: AppError, form: Form) -> Response {
    match page.refusal(e) {
        Ok(problem) => detail_view(page, id, "", Some(problem), form).await,
        Err(e) => page.fail(e),
    }
}

async fn check_in(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let number = match f.get("number").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(s) => match s.parse::<f64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let e = AppError::from(invalid("number", "not_a_number", "a number such as 12 or 3.5"));
                return refused(&page, id, e, f).await;
            }
        },
        None => None,
    };
    let input = CheckinInput {
        body: f.get("body").cloned(),
        image_url: f.get("image_url").cloned(),
        number,
        makeup: f.get("makeup").is_some_and(|m| m == "1"),
    };
    let r = async { page.state.app.check_in(page.auth.require()?, id, input).await }.await;
    let notice = |k: CheckinView| match k {
        k if !k.milestones.is_empty() => "streak_milestone",
        k if k.made_up => "made_up",
        _ => "checked_in",
    };
    back(&page, id, r.map(notice), f).await
}

async fn reminder(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let remind = f.get("remind_at").cloned();
    let r = async { page.state.app.set_challenge_reminder(page.auth.require()?, id, remind.as_deref()).await }.await;
    back(&page, id, r.map(|_| "reminder_saved"), f).await
}

async fn edit_view(page: &Page, id: i64, form: Option<Form>, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let v = page.auth.require()?;
        let ch = app.challenge(viewer, id).await?;
        let c = app.community(viewer, &ch.community_slug).await?;
        if !ch.can_manage {
            return Err(AppError::forbidden("insufficient_role", "moderators and up change challenges"));
        }
        let segments = app.segments(v, &ch.community_slug).await.unwrap_or_default();
        Ok::<_, AppError>((ch, c, segments))
    }
    .await;
    let (ch, c, segments) = or_fail!(page, r);
    let form = form.unwrap_or_else(|| form_of(&ch));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(status, "challenges/edit.html", context! { ch, c, segments, form, errors, sub => "challenges" })
}

async fn edit_page(page: Page, Path(id): Path<i64>) -> Response {
    edit_view(&page, id, None, HashMap::new()).await
}

async fn update(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Pairs>) -> Response {
    let r = async { page.state.app.update_challenge(page.auth.require()?, id, input_of(&f)?).await }.await;
    match r {
        Ok(_) => with_notice(&format!("/challenges/{id}"), "challenge_saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => edit_view(&page, id, Some(with_days(&f)), errors).await,
            None => page.fail(e),
        },
    }
}

#[derive(Deserialize, Default)]
struct MonthQuery {
    month: Option<String>,
}

async fn calendar_page(page: Page, Path((id, username)): Path<(i64, String)>, Query(q): Query<MonthQuery>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let ch = app.challenge(viewer, id).await?;
        let c = app.community(viewer, &ch.community_slug).await?;
        let cal = app.challenge_calendar(viewer, id, &username, q.month.as_deref()).await?;
        let cert = app.challenge_certificate(viewer, id, &username).await.ok();
        Ok::<_, AppError>((ch, c, cal, cert))
    }
    .await;
    let (ch, c, cal, cert) = or_fail!(page, r);
    page.ok("challenges/calendar.html", context! { ch, c, cal, cert, sub => "challenges" })
}

async fn stats_page(page: Page, Path(id): Path<i64>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let v = page.auth.require()?;
        let ch = app.challenge(viewer, id).await?;
        let c = app.community(viewer, &ch.community_slug).await?;
        let stats = app.challenge_stats(v, id).await?;
        Ok::<_, AppError>((ch, c, stats))
    }
    .await;
    let (ch, c, stats) = or_fail!(page, r);
    page.ok("challenges/stats.html", context! { ch, c, stats, sub => "challenges" })
}

async fn certificate_page(page: Page, Path((id, username)): Path<(i64, String)>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let ch = app.challenge(viewer, id).await?;
        let c = app.community(viewer, &ch.community_slug).await?;
        let cert = app.challenge_certificate(viewer, id, &username).await?;
        Ok::<_, AppError>((ch, c, cert))
    }
    .await;
    let (ch, c, cert) = or_fail!(page, r);
    page.ok("challenges/certificate.html", context! { ch, c, cert, sub => "challenges" })
}
