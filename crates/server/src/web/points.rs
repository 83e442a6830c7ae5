//! Points pages: the leaderboard, a member's points (history and the staff
//! adjustment form), and the admins' rules and levels with the recompute.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::Serialize;
use yaji_app::points::{Board, Period};
use yaji_app::AppError;
use yaji_domain::error::invalid;
use yaji_domain::points::{Level, PointsSettings, Rule, RuleSetting};

use super::form::{field, first, with_notice, Form, Pairs};
use super::{Page, Tab, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/leaderboard", get(leaderboard_page))
        .route("/c/{slug}/members/{username}/points", get(member_page).post(adjust))
        .route("/c/{slug}/settings/points", get(settings_page).post(save_settings))
        .route("/c/{slug}/settings/points/recompute", post(recompute))
}

pub(super) const TEMPLATES: &[(&str, &str)] =
    templates!["points/leaderboard.html", "points/member.html", "points/settings.html"];

pub(super) const NAV: &[Tab] = &[Tab {
    order: 95,
    key: "points",
    path: "/settings/points",
    label: "points.settings_tab",
    show: "manage",
    badge: "",
}];

async fn leaderboard_page(page: Page, Path(slug): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let raw = q.get("period").map_or("", String::as_str);
    // Last month: the frozen list of the month's top contributors.
    if raw == "last_month" {
        let r = async {
            let c = app.community(viewer, &slug).await?;
            let top = app.monthly_top(viewer, &slug, None).await?;
            Ok::<_, AppError>((c, top))
        }
        .await;
        let (c, top) = or_fail!(page, r);
        return page.ok(
            "points/leaderboard.html",
            context! { c, board => context! { entries => top.entries }, top, period => raw },
        );
    }
    let r = async {
        let period = Period::parse(raw)?;
        let by = Board::parse(q.get("board").map_or("", String::as_str))?;
        let c = app.community(viewer, &slug).await?;
        let board = app.leaderboard_by(viewer, &slug, period, by).await?;
        // Your own standing, when you are a member but not on the board.
        let active = c.membership.as_ref().is_some_and(|m| m.state.as_deref() == Some("active"));
        let me = match page.auth.user.as_ref() {
            Some(u) if active && !board.entries.iter().any(|e| e.username == u.username) => {
                app.member_points(viewer, &slug, &u.username).await.ok()
            }
            _ => None,
        };
        Ok::<_, AppError>((c, board, me, period))
    }
    .await;
    let (c, board, me, period) = or_fail!(page, r);
    page.ok("points/leaderboard.html", context! { c, board, me, period })
}

async fn member_view(page: &Page, slug: &str, username: &str, errors: HashMap<String, String>, form: Form) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async {
        let zh = page.lang != "en";
        let c = app.community(viewer, slug).await?;
        let p = app.member_points(viewer, slug, username).await?;
        let badges = app.member_badges(viewer, slug, username, zh).await?;
        // Staff may grant the custom badges that are on and not held yet.
        let grantable: Vec<_> = if c.abilities.moderate {
            let held: Vec<i64> = badges.iter().map(|b| b.id).collect();
            app.badges(viewer, slug, zh)
                .await?
                .into_iter()
                .filter(|b| b.key.is_none() && b.enabled && !held.contains(&b.id))
                .collect()
        } else {
            vec![]
        };
        Ok::<_, AppError>((c, p, badges, grantable))
    }
    .await;
    let (c, p, badges, grantable) = or_fail!(page, r);
    let own = viewer.is_some_and(|v| v.id == p.member.id);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(status, "points/member.html", context! { c, p, own, errors, form, badges, grantable })
}

async fn member_page(page: Page, Path((slug, username)): Path<(String, String)>) -> Response {
    member_view(&page, &slug, &username, HashMap::new(), Form::new()).await
}

async fn adjust(page: Page, Path((slug, username)): Path<(String, String)>, WebForm(f): WebForm<Form>) -> Response {
    let r = async {
        let v = page.auth.require()?;
        let amount = match field(&f, "amount").trim().parse::<i64>() {
            Ok(n) => n,
            Err(_) => return Err(invalid("amount", "invalid_number", "amount must be a whole number").into()),
        };
        let sign = if field(&f, "direction") == "deduct" { -1 } else { 1 };
        page.state.app.adjust_points(v, &slug, &username, sign * amount.abs(), field(&f, "reason")).await
    }
    .await;
    match r {
        Ok(_) => with_notice(&format!("/c/{slug}/members/{username}/points"), "points_adjusted"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => member_view(&page, &slug, &username, errors, f).await,
            None => page.fail(e),
        },
    }
}

/// One rule's row of the settings form, as typed.
#[derive(Serialize)]
struct RuleRow {
    key: &'static str,
    points: String,
    daily_cap: String,
    cooldown_minutes: String,
}

/// The settings form's values: from the saved settings or as the admin sent them.
#[derive(Serialize)]
struct SettingsForm {
    enabled: bool,
    rules: Vec<RuleRow>,
    member_daily_cap: String,
    /// (name, min points); two blank rows to add levels.
    levels: Vec<(String, String)>,
}

impl SettingsForm {
    fn of(s: &PointsSettings) -> SettingsForm {
        let rules = Rule::ALL
            .iter()
            .map(|r| {
                let v = s.rule(*r);
                RuleRow {
                    key: r.as_str(),
                    points: v.points.to_string(),
                    daily_cap: v.daily_cap.to_string(),
                    cooldown_minutes: v.cooldown_minutes.to_string(),
                }
            })
            .collect();
        let mut levels: Vec<_> = s.levels.iter().map(|l| (l.name.clone(), l.min_points.to_string())).collect();
        levels.extend([(String::new(), String::new()), (String::new(), String::new())]);
        SettingsForm { enabled: s.enabled, rules, member_daily_cap: s.member_daily_cap.to_string(), levels }
    }

    fn sent(f: &Pairs) -> SettingsForm {
        let rules = Rule::ALL
            .iter()
            .map(|r| {
                let k = r.as_str();
                RuleRow {
                    key: k,
                    points: first(f, &format!("{k}.points")).to_string(),
                    daily_cap: first(f, &format!("{k}.daily_cap")).to_string(),
                    cooldown_minutes: first(f, &format!("{k}.cooldown_minutes")).to_string(),
                }
            })
            .collect();
        let names = f.iter().filter(|(k, _)| k == "level_name").map(|(_, v)| v.clone());
        let mins = f.iter().filter(|(k, _)| k == "level_min").map(|(_, v)| v.clone());
        SettingsForm {
            enabled: first(f, "enabled") == "on",
            rules,
            member_daily_cap: first(f, "member_daily_cap").to_string(),
            levels: names.zip(mins).collect(),
        }
    }

    /// The settings these values say; a number that is not one is named.
    fn parse(&self) -> Result<PointsSettings, AppError> {
        let num = |s: &str, field: &'static str| -> Result<i64, AppError> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(0);
            }
            s.parse().map_err(|_| invalid(field, "invalid_number", format!("{s} is not a whole number")).into())
        };
        let mut rules = std::collections::BTreeMap::new();
        for (r, row) in Rule::ALL.iter().zip(&self.rules) {
            let setting = RuleSetting {
                points: num(&row.points, "rules")?,
                daily_cap: num(&row.daily_cap, "rules")?,
                cooldown_minutes: num(&row.cooldown_minutes, "rules")?,
            };
            rules.insert(*r, setting);
        }
        let mut levels = vec![];
        for (name, min) in &self.levels {
            if name.trim().is_empty() && min.trim().is_empty() {
                continue;
            }
            levels.push(Level { name: name.trim().to_string(), min_points: num(min, "levels")? });
        }
        Ok(PointsSettings {
            enabled: self.enabled,
            rules,
            member_daily_cap: num(&self.member_daily_cap, "member_daily_cap")?,
            levels,
        })
    }
}

async fn settings_view(
    page: &Page,
    slug: &str,
    form: Option<SettingsForm>,
    errors: HashMap<String, String>,
) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        let settings = app.points_settings(v, slug).await?;
        let c = app.community(Some(v), slug).await?;
        Ok::<_, AppError>((c, settings))
    }
    .await;
    let (c, settings) = or_fail!(page, r);
    let form = form.unwrap_or_else(|| SettingsForm::of(&settings));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(status, "points/settings.html", context! { c, form, errors })
}

async fn settings_page(page: Page, Path(slug): Path<String>) -> Response {
    settings_view(&page, &slug, None, HashMap::new()).await
}

async fn save_settings(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Pairs>) -> Response {
    let form = SettingsForm::sent(&f);
    let r = async {
        let v = page.auth.require()?;
        page.state.app.set_points_settings(v, &slug, form.parse()?).await
    }
    .await;
    match r {
        Ok(_) => with_notice(&format!("/c/{slug}/settings/points"), "saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => settings_view(&page, &slug, Some(form), errors).await,
            None => page.fail(e),
        },
    }
}

async fn recompute(page: Page, Path(slug): Path<String>) -> Response {
    let r = async { page.state.app.recompute_points(page.auth.require()?, &slug).await }.await;
    page.done(r, |_| format!("/c/{slug}/settings/points"), "points_recomputed")
}
