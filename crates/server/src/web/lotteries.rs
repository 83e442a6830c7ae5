//! Lottery pages: the community's lotteries (staff create one from the same
//! page), a lottery's page (enter, my tickets, the commitment; for staff the
//! eligible preview, the announced value, the draw and prizes delivered) and
//! its verify page, which recomputes the draw in the reader's browser from
//! the published result.

use std::collections::HashMap;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use yaji_app::AppError;
use yaji_domain::lotteries::{Eligibility, LotteryInput, Prize};

use super::form::{first, opt_i64, with_notice, Form, Pairs};
use super::{Page, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/lotteries", get(list_page).post(create))
        .route("/lotteries/{id}", get(lottery_page))
        .route("/lotteries/{id}/enter", post(enter))
        .route("/lotteries/{id}/operator-value", post(operator_value))
        .route("/lotteries/{id}/draw", post(draw))
        .route("/lotteries/{id}/winners/{rank}/delivered", post(deliver))
        .route("/lotteries/{id}/verify", get(verify_page))
}

pub(super) const TEMPLATES: &[(&str, &str)] =
    templates!["lotteries/list.html", "lotteries/lottery.html", "lotteries/verify.html"];

/// Reads the form: prizes one per line as "name × quantity" (or "name, quantity").
fn input_of(f: &Pairs) -> Result<LotteryInput, AppError> {
    let form: Form = f.iter().cloned().collect();
    let opt = |k: &str| Some(first(f, k).trim().to_string()).filter(|s| !s.is_empty());
    let mut prizes = vec![];
    for line in first(f, "prizes").lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, n) = match line.rsplit_once(['×', 'x', 'X', '*', ',', '，']) {
            Some((name, n)) if n.trim().parse::<i64>().is_ok() => (name.trim(), n.trim().parse().unwrap_or(1)),
            _ => (line, 1),
        };
        prizes.push(Prize { name: name.to_string(), quantity: n });
    }
    Ok(LotteryInput {
        title: first(f, "title").to_string(),
        description: opt("description"),
        prizes,
        entries_close_at: first(f, "entries_close_at").to_string(),
        entries_open_at: None,
        eligibility: Some(Eligibility {
            segment_id: opt_i64(&form, "segment_id")?,
            min_level: opt_i64(&form, "min_level")?,
            min_points: opt_i64(&form, "min_points")?,
            challenge_id: opt_i64(&form, "challenge_id")?,
            streak_days: opt_i64(&form, "streak_days")?,
            joined_before: opt("joined_before"),
            event_id: opt_i64(&form, "event_id")?,
            event_attended: first(f, "event_attended") == "1",
        }),
        cost: opt_i64(&form, "cost")?,
        max_entries: opt_i64(&form, "max_entries")?,
        staff_can_win: Some(first(f, "staff_can_win") == "1"),
    })
}

async fn list_view(page: &Page, slug: &str, form: Form, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let c = app.community(viewer, slug).await?;
        let lotteries = app.lotteries(viewer, slug).await?;
        let (segments, challenges, events) = match viewer {
            Some(v) if c.abilities.moderate => {
                let mut events = app.events(viewer, slug, true).await.unwrap_or_default();
                events.extend(app.events(viewer, slug, false).await.unwrap_or_default());
                (
                    app.segments(v, slug).await.unwrap_or_default(),
                    app.challenges(viewer, slug).await.unwrap_or_default(),
                    events,
                )
            }
            _ => (vec![], vec![], vec![]),
        };
        Ok::<_, AppError>((c, lotteries, segments, challenges, events))
    }
    .await;
    let (c, lotteries, segments, challenges, events) = or_fail!(page, r);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let ctx = context! { c, lotteries, segments, challenges, events, form, errors, sub => "lotteries" };
    page.render(status, "lotteries/list.html", ctx)
}

async fn list_page(page: Page, Path(slug): Path<String>) -> Response {
    list_view(&page, &slug, Form::new(), HashMap::new()).await
}

async fn create(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Pairs>) -> Response {
    let r = async { page.state.app.create_lottery(page.auth.require()?, &slug, input_of(&f)?).await }.await;
    match r {
        Ok(l) => with_notice(&format!("/lotteries/{}", l.id), "lottery_created"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => list_view(&page, &slug, f.into_iter().collect(), errors).await,
            None => page.fail(e),
        },
    }
}

async fn lottery_view(page: &Page, id: i64, problem: Option<(StatusCode, String)>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let l = app.lottery(viewer, id).await?;
        let c = app.community(viewer, &l.community_slug).await?;
        let preview = match viewer {
            Some(v) if l.can_manage && l.phase != "drawn" => Some(app.lottery_eligible(v, id).await?),
            _ => None,
        };
        Ok::<_, AppError>((l, c, preview))
    }
    .await;
    let (l, c, preview) = or_fail!(page, r);
    let (status, problem) = problem.map_or((StatusCode::OK, None), |(s, m)| (s, Some(m)));
    page.render(status, "lotteries/lottery.html", context! { l, c, preview, problem, sub => "lotteries" })
}

async fn lottery_page(page: Page, Path(id): Path<i64>) -> Response {
    lottery_view(&page, id, None).await
}

/// A refusal shown on the lottery's page.
async fn refused(page: &Page, id: i64, e: AppError) -> Response {
    match page.refusal(e) {
        Ok(problem) => lottery_view(page, id, Some(problem)).await,
        Err(e) => page.fail(e),
    }
}

async fn enter(page: Page, Path(id): Path<i64>) -> Response {
    match async { page.state.app.enter_lottery(page.auth.require()?, id).await }.await {
        Ok(_) => with_notice(&format!("/lotteries/{id}"), "lottery_entered"),
        Err(e) => refused(&page, id, e).await,
    }
}

async fn operator_value(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let value = f.get("value").cloned().unwrap_or_default();
    match async { page.state.app.set_operator_value(page.auth.require()?, id, &value).await }.await {
        Ok(_) => with_notice(&format!("/lotteries/{id}"), "operator_value_saved"),
        Err(e) => refused(&page, id, e).await,
    }
}

async fn draw(page: Page, Path(id): Path<i64>) -> Response {
    match async { page.state.app.draw_lottery(page.auth.require()?, id).await }.await {
        Ok(_) => with_notice(&format!("/lotteries/{id}"), "lottery_drawn"),
        Err(e) => refused(&page, id, e).await,
    }
}

async fn deliver(page: Page, Path((id, rank)): Path<(i64, i64)>) -> Response {
    let r = async { page.state.app.deliver_prize(page.auth.require()?, id, rank).await }.await;
    page.done(r, |_| format!("/lotteries/{id}"), "prize_delivered")
}

async fn verify_page(page: Page, Path(id): Path<i64>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let l = app.lottery(viewer, id).await?;
        let c = app.community(viewer, &l.community_slug).await?;
        let result = app.lottery_result(viewer, id).await?;
        Ok::<_, AppError>((l, c, result))
    }
    .await;
    let (l, c, result) = or_fail!(page, r);
    let json = serde_json::to_string(&result).unwrap_or_default();
    page.ok("lotteries/verify.html", context! { l, c, result, json, sub => "lotteries" })
}
