//! Segment pages (moderators and up), under Members: the saved segments, the
//! builder (conditions as checkboxes and day counts, with a preview before
//! saving), and a segment's members with the bulk action form.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::Serialize;
use yaji_app::segments::{SegmentAction, SegmentMembers};
use yaji_app::AppError;
use yaji_domain::analytics::Tier;
use yaji_domain::error::invalid;
use yaji_domain::segments::SegmentRule;

use super::form::{all, first, with_notice, Pairs};
use super::{Page, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/segments", get(list_page).post(create))
        .route("/c/{slug}/segments/new", get(new_page))
        .route("/c/{slug}/segments/{id}", get(segment_page))
        .route("/c/{slug}/segments/{id}/edit", get(edit_page).post(update))
        .route("/c/{slug}/segments/{id}/act", post(act))
        .route("/c/{slug}/segments/{id}/members.csv", get(csv))
        .route("/c/{slug}/segments/{id}/delete", post(delete))
}

pub(super) const TEMPLATES: &[(&str, &str)] =
    templates!["segments/list.html", "segments/edit.html", "segments/segment.html", "segments/conditions.html"];

/// Members a preview shows below the builder.
const PREVIEW: u32 = 20;

/// The builder's values, as saved or as typed.
#[derive(Serialize, Default)]
struct RuleForm {
    name: String,
    tags_any: Vec<String>,
    tags_none: Vec<String>,
    min_level: String,
    min_points: String,
    roles: Vec<String>,
    joined_within_days: String,
    joined_before_days: String,
    active_within_days: String,
    inactive_days: String,
    tiers: Vec<String>,
    challenge_id: String,
    streak_days: String,
    attended_events: String,
    attended_within_days: String,
}

fn opt(n: Option<i64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

impl RuleForm {
    fn of(name: &str, r: &SegmentRule) -> RuleForm {
        RuleForm {
            name: name.to_string(),
            tags_any: r.tags_any.clone(),
            tags_none: r.tags_none.clone(),
            min_level: opt(r.min_level),
            min_points: opt(r.min_points),
            roles: r.roles.clone(),
            joined_within_days: opt(r.joined_within_days),
            joined_before_days: opt(r.joined_before_days),
            active_within_days: opt(r.active_within_days),
            inactive_days: opt(r.inactive_days),
            tiers: r.tiers.clone(),
            challenge_id: opt(r.challenge_id),
            streak_days: opt(r.streak_days),
            attended_events: opt(r.attended_events),
            attended_within_days: opt(r.attended_within_days),
        }
    }

    fn sent(f: &Pairs) -> RuleForm {
        let list = |k| all(f, k).map(str::to_string).collect();
        let one = |k| first(f, k).trim().to_string();
        RuleForm {
            name: one("name"),
            tags_any: list("tags_any"),
            tags_none: list("tags_none"),
            min_level: one("min_level"),
            min_points: one("min_points"),
            roles: list("roles"),
            joined_within_days: one("joined_within_days"),
            joined_before_days: one("joined_before_days"),
            active_within_days: one("active_within_days"),
            inactive_days: one("inactive_days"),
            tiers: list("tiers"),
            challenge_id: one("challenge_id"),
            streak_days: one("streak_days"),
            attended_events: one("attended_events"),
            attended_within_days: one("attended_within_days"),
        }
    }

    /// The rule these values say; a number that is not one is named.
    fn rule(&self) -> Result<SegmentRule, AppError> {
        let num = |s: &str, field: &'static str| -> Result<Option<i64>, AppError> {
            match s.trim() {
                "" => Ok(None),
                s => s
                    .parse()
                    .map(Some)
                    .map_err(|_| invalid(field, "invalid_number", format!("{s} is not a whole number")).into()),
            }
        };
        Ok(SegmentRule {
            tags_any: self.tags_any.clone(),
            tags_none: self.tags_none.clone(),
            min_level: num(&self.min_level, "min_level")?,
            min_points: num(&self.min_points, "min_points")?,
            roles: self.roles.clone(),
            joined_within_days: num(&self.joined_within_days, "joined_within_days")?,
            joined_before_days: num(&self.joined_before_days, "joined_before_days")?,
            active_within_days: num(&self.active_within_days, "active_within_days")?,
            inactive_days: num(&self.inactive_days, "inactive_days")?,
            tiers: self.tiers.clone(),
            challenge_id: num(&self.challenge_id, "challenge_id")?,
            streak_days: num(&self.streak_days, "streak_days")?,
            attended_events: num(&self.attended_events, "attended_events")?,
            attended_within_days: num(&self.attended_within_days, "attended_within_days")?,
        })
    }
}

async fn list_page(page: Page, Path(slug): Path<String>) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        let segments = app.segments(v, &slug).await?;
        let c = app.community(Some(v), &slug).await?;
        Ok::<_, AppError>((c, segments))
    }
    .await;
    let (c, segments) = or_fail!(page, r);
    page.ok("segments/list.html", context! { c, segments })
}

/// The builder, with a preview of who the rule holds when there is one.
async fn builder(
    page: &Page,
    slug: &str,
    id: Option<i64>,
    form: RuleForm,
    preview: Option<SegmentMembers>,
    errors: HashMap<String, String>,
) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        let choices = app.segment_choices(v, slug).await?;
        let c = app.community(Some(v), slug).await?;
        Ok::<_, AppError>((c, choices))
    }
    .await;
    let (c, choices) = or_fail!(page, r);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let roles = ["member", "moderator", "admin", "owner"];
    let tiers = Tier::ALL.map(Tier::as_str);
    page.render(status, "segments/edit.html", context! { c, id, form, preview, errors, choices, roles, tiers })
}

async fn new_page(page: Page, Path(slug): Path<String>) -> Response {
    builder(&page, &slug, None, RuleForm::default(), None, HashMap::new()).await
}

async fn edit_page(page: Page, Path((slug, id)): Path<(String, i64)>) -> Response {
    let r = async { page.state.app.segment(page.auth.require()?, &slug, id).await }.await;
    let s = or_fail!(page, r);
    builder(&page, &slug, Some(id), RuleForm::of(&s.name, &s.rule), None, HashMap::new()).await
}

/// Preview (the `do=preview` button) or save, for a new segment or an edited one.
async fn submit(page: Page, slug: String, id: Option<i64>, f: Pairs) -> Response {
    let form = RuleForm::sent(&f);
    let app = &page.state.app;
    let previewing = first(&f, "do") == "preview";
    let r = async {
        let v = page.auth.require()?;
        let rule = form.rule()?;
        if previewing {
            Ok((None, Some(app.preview_segment(v, &slug, rule, None, Some(PREVIEW)).await?)))
        } else {
            Ok::<_, AppError>((Some(app.save_segment(v, &slug, id, &form.name, rule).await?.id), None))
        }
    }
    .await;
    match r {
        Ok((Some(saved), _)) => with_notice(&format!("/c/{slug}/segments/{saved}"), "saved"),
        Ok((None, preview)) => builder(&page, &slug, id, form, preview, HashMap::new()).await,
        Err(e) => match page.field_errors(&e) {
            Some(errors) => builder(&page, &slug, id, form, None, errors).await,
            None => page.fail(e),
        },
    }
}

async fn create(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Pairs>) -> Response {
    submit(page, slug, None, f).await
}

async fn update(page: Page, Path((slug, id)): Path<(String, i64)>, WebForm(f): WebForm<Pairs>) -> Response {
    submit(page, slug, Some(id), f).await
}

async fn segment_view(
    page: &Page,
    slug: &str,
    id: i64,
    cursor: Option<&str>,
    form: Pairs,
    (status, errors): (StatusCode, HashMap<String, String>),
) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        let s = app.segment(v, slug, id).await?;
        let members = app.segment_members(v, slug, id, cursor, None).await?;
        let c = app.community(Some(v), slug).await?;
        // Gatherings to invite the segment to: those staff can still fill.
        let events: Vec<_> = app
            .next_events(Some(v), slug, 30)
            .await?
            .into_iter()
            .filter(|e| e.can_manage && e.status == "upcoming")
            .collect();
        Ok::<_, AppError>((c, s, members, events))
    }
    .await;
    let (c, s, members, events) = or_fail!(page, r);
    let form: HashMap<String, String> = form.into_iter().collect();
    page.render(status, "segments/segment.html", context! { c, s, members, form, errors, cursor, events })
}

async fn segment_page(
    page: Page,
    Path((slug, id)): Path<(String, i64)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    segment_view(&page, &slug, id, q.get("cursor").map(String::as_str), vec![], (StatusCode::OK, HashMap::new())).await
}

/// The action form's choice as a use-case action; a bad amount is named.
fn action_of(f: &Pairs) -> Result<SegmentAction, AppError> {
    let text = |k| first(f, k).to_string();
    Ok(match first(f, "action") {
        "tag" => SegmentAction::Tag { tag: text("tag") },
        "untag" => SegmentAction::Untag { tag: text("tag") },
        "award" | "deduct" => {
            let n: i64 = first(f, "amount")
                .trim()
                .parse()
                .map_err(|_| invalid("amount", "invalid_number", "amount must be a whole number"))?;
            let sign = if first(f, "action") == "deduct" { -1 } else { 1 };
            SegmentAction::Award { amount: sign * n.abs(), reason: text("reason") }
        }
        "message" => SegmentAction::Message { text: text("text") },
        "invite" => SegmentAction::Invite {
            event_id: first(f, "event_id")
                .trim()
                .parse()
                .map_err(|_| invalid("event_id", "required", "choose a gathering"))?,
            note: text("note"),
        },
        _ => return Err(invalid("action", "invalid_choice", "choose what to do").into()),
    })
}

async fn act(page: Page, Path((slug, id)): Path<(String, i64)>, WebForm(f): WebForm<Pairs>) -> Response {
    let r = async {
        let v = page.auth.require()?;
        let expected = first(&f, "expected").trim().parse().ok();
        page.state.app.act_on_segment(v, &slug, id, action_of(&f)?, expected).await
    }
    .await;
    match r {
        Ok(o) => with_notice(&format!("/c/{slug}/segments/{id}?n={}", o.done), "segment_acted"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => {
                let status = match e {
                    AppError::Conflict { .. } => StatusCode::CONFLICT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                segment_view(&page, &slug, id, None, f, (status, errors)).await
            }
            None => page.fail(e),
        },
    }
}

async fn delete(page: Page, Path((slug, id)): Path<(String, i64)>) -> Response {
    let r = async { page.state.app.delete_segment(page.auth.require()?, &slug, id).await }.await;
    match r {
        Ok(()) => with_notice(&format!("/c/{slug}/segments"), "segment_deleted"),
        Err(e) => page.fail(e),
    }
}

async fn csv(page: Page, Path((slug, id)): Path<(String, i64)>) -> Response {
    let r = async { page.state.app.segment_csv(page.auth.require()?, &slug, id).await }.await;
    match r {
        Ok(body) => crate::download::csv(&format!("{slug}-segment-{id}.csv"), body),
        Err(e) => page.fail(e),
    }
}
