//! Community pages: the home page (discovery), create a community, the
//! community page with its feed, rules, settings and topics.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::Deserialize;
use yaji_app::communities::NewCommunity;
use yaji_app::views::CommunityView;
use yaji_app::AppError;
use yaji_domain::community::SettingsInput;
use yaji_domain::content::Feed;
use yaji_domain::setup;

use super::form::{commas, field, to, with_notice, Form};
use super::{Page, Tab, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/", get(home))
        .route("/c/new", get(new_community_page).post(create_community))
        .route("/c/{slug}", get(community))
        .route("/c/{slug}/rules", get(rules).post(publish_rules))
        .route("/c/{slug}/rules/accept", post(accept_rules))
        .route("/c/{slug}/settings", get(settings_page).post(save_settings))
        .route("/c/{slug}/topics", post(create_topic))
}

pub(super) const TEMPLATES: &[(&str, &str)] = templates![
    "communities/home.html",
    "communities/community.html",
    "communities/rules.html",
    "communities/settings.html"
];

/// This capability's tabs in the community header.
pub(super) const NAV: &[Tab] = &[
    Tab { order: 10, key: "feed", path: "", label: "community.posts", show: "all", badge: "" },
    Tab { order: 30, key: "rules", path: "/rules", label: "community.rules_link", show: "all", badge: "" },
    Tab { order: 100, key: "settings", path: "/settings", label: "community.settings_tab", show: "manage", badge: "" },
];

#[derive(Deserialize)]
struct HomeQuery {
    cursor: Option<String>,
}

async fn home(page: Page, Query(q): Query<HomeQuery>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let (mine, feed) = match viewer {
        Some(v) => (
            or_fail!(page, app.my_communities(v).await),
            Some(or_fail!(page, app.home_feed(v, q.cursor.as_deref(), Some(10)).await)),
        ),
        None => (vec![], None),
    };
    let discover = match app.communities(viewer, false, 24, 0).await {
        Ok(d) => d.into_iter().filter(|c| !mine.iter().any(|m| m.id == c.id)).collect::<Vec<_>>(),
        Err(e) => return page.fail(e),
    };
    let needs_setup = app.needs_setup().await.unwrap_or(false);
    page.ok("communities/home.html", context! { mine, discover, needs_setup, feed, cursor => q.cursor })
}

/// The settings form's fields, from settings.
fn settings_form(s: &SettingsInput) -> Form {
    let mut f = Form::new();
    for (k, v) in [
        ("name", &s.name),
        ("description", &s.description),
        ("target_members", &s.target_members),
        ("core_value", &s.core_value),
        ("visibility", &s.visibility),
        ("join_policy", &s.join_policy),
        ("time_zone", &s.time_zone),
        ("announcement", &s.announcement),
    ] {
        f.insert(k.into(), v.clone());
    }
    f.insert("entry_questions".into(), s.entry_questions.join("\n"));
    f
}

/// A new community's defaults, under a template's texts if one is chosen.
fn new_settings(template: Option<&SettingsInput>) -> SettingsInput {
    let base = template.cloned().unwrap_or_else(|| SettingsInput {
        visibility: "public".into(),
        join_policy: "open".into(),
        ..Default::default()
    });
    SettingsInput { time_zone: "Asia/Shanghai".into(), ..base }
}

fn current_settings(c: &CommunityView) -> SettingsInput {
    SettingsInput {
        name: c.name.clone(),
        description: c.description.clone(),
        target_members: c.target_members.clone(),
        core_value: c.core_value.clone(),
        visibility: c.visibility.clone(),
        join_policy: c.join_policy.clone(),
        entry_questions: c.entry_questions.clone(),
        time_zone: c.time_zone.clone(),
        announcement: c.announcement.clone(),
    }
}

fn settings_input(f: &Form) -> SettingsInput {
    SettingsInput {
        name: field(f, "name").into(),
        description: field(f, "description").into(),
        target_members: field(f, "target_members").into(),
        core_value: field(f, "core_value").into(),
        visibility: field(f, "visibility").into(),
        join_policy: field(f, "join_policy").into(),
        entry_questions: field(f, "entry_questions").lines().map(str::to_string).collect(),
        time_zone: field(f, "time_zone").into(),
        announcement: field(f, "announcement").into(),
    }
}

#[derive(Deserialize)]
struct NewQuery {
    template: Option<String>,
}

/// The new-community form, pre-filled from a template when one is chosen.
async fn new_community_page(page: Page, Query(q): Query<NewQuery>) -> Response {
    if page.auth.user.is_none() {
        return page.fail(AppError::Unauthenticated);
    }
    let zh = page.lang != "en";
    let chosen = q.template.as_deref().and_then(|k| setup::template(k, zh));
    let mut form = settings_form(&new_settings(chosen.as_ref().map(|t| &t.settings)));
    if let Some(t) = &chosen {
        form.insert("rules".into(), t.rules.clone());
        form.insert("topics".into(), t.topics.join(if zh { "，" } else { ", " }));
    }
    let templates: Vec<setup::Template> = setup::TEMPLATE_KEYS.iter().filter_map(|k| setup::template(k, zh)).collect();
    let template = chosen.map(|t| t.key);
    page.ok("communities/settings.html", context! { form, errors => Form::new(), templates, template })
}

async fn create_community(page: Page, WebForm(f): WebForm<Form>) -> Response {
    let v = or_fail!(page, page.auth.require());
    let input = NewCommunity {
        slug: field(&f, "slug").into(),
        settings: settings_input(&f),
        rules: field(&f, "rules").into(),
        topics: commas(field(&f, "topics")),
    };
    match page.state.app.create_community(v, input).await {
        Ok(c) => to(&format!("/c/{}", c.slug)),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => {
                let template = f.get("template").cloned();
                page.render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "communities/settings.html",
                    context! { form => f, errors, template },
                )
            }
            None => page.fail(e),
        },
    }
}

#[derive(Deserialize, Default)]
pub(super) struct FeedQuery {
    feed: Option<String>,
    topic: Option<i64>,
    cursor: Option<String>,
}

pub(super) async fn community_page(
    page: &Page,
    slug: &str,
    q: FeedQuery,
    form: Form,
    errors: HashMap<String, String>,
) -> Response {
    let (tab, feed) = match (q.topic, q.feed.as_deref().and_then(Feed::named)) {
        (Some(t), _) => ("topic", Feed::Topic(t)),
        (None, Some(Feed::Essence)) => ("essence", Feed::Essence),
        (None, Some(f @ Feed::Questions(_))) => ("questions", f),
        _ => ("latest", Feed::Latest),
    };
    let qa = match &feed {
        Feed::Questions(yaji_domain::content::Answered::Unanswered) => "unanswered",
        Feed::Questions(yaji_domain::content::Answered::Answered) => "answered",
        _ => "questions",
    };
    let app = &page.state.app;
    let (c, feed, topics) =
        or_fail!(page, app.community_page(page.auth.viewer(), slug, feed, q.cursor.as_deref()).await);
    let setup = match page.auth.viewer() {
        Some(v) if c.abilities.manage => app.setup_guide(v, slug).await.ok().flatten(),
        _ => None,
    };
    // The next gatherings, beside the feed.
    let upcoming = app.next_events(page.auth.viewer(), slug, 3).await.unwrap_or_default();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(
        status,
        "communities/community.html",
        context! { c, feed, topics, tab, qa, topic_id => q.topic, cursor => q.cursor, form, errors, setup, upcoming },
    )
}

async fn community(page: Page, Path(slug): Path<String>, Query(q): Query<FeedQuery>) -> Response {
    community_page(&page, &slug, q, Form::new(), HashMap::new()).await
}

async fn rules(page: Page, Path(slug): Path<String>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let c = or_fail!(page, app.community(viewer, &slug).await);
    let rules = app.rules(viewer, &slug).await.ok().flatten();
    page.ok("communities/rules.html", context! { c, rules })
}

async fn accept_rules(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let r = async {
        let version = field(&f, "version").trim().parse().unwrap_or(0);
        page.state.app.accept_rules(page.auth.require()?, &slug, version).await
    }
    .await;
    page.done(r, |_| format!("/c/{slug}"), "rules_accepted")
}

async fn publish_rules(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let require = field(&f, "require_acceptance") == "on";
    let r = async { page.state.app.publish_rules(page.auth.require()?, &slug, field(&f, "body"), require).await }.await;
    page.done(r, |_| format!("/c/{slug}/settings"), "rules_published")
}

async fn settings_view(page: &Page, slug: &str, form: Option<Form>, errors: HashMap<String, String>) -> Response {
    let app = &page.state.app;
    let v = or_fail!(page, page.auth.require());
    let c = match app.community(Some(v), slug).await {
        Ok(c) if c.abilities.manage => c,
        Ok(_) => return page.fail(AppError::forbidden("insufficient_role", "admins only")),
        Err(e) => return page.fail(e),
    };
    let rules = app.rules(Some(v), slug).await.ok().flatten();
    let topics = app.topics(Some(v), slug).await.unwrap_or_default();
    let invites = app.invites(v, slug).await.unwrap_or_default();
    let form = form.unwrap_or_else(|| settings_form(&current_settings(&c)));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(status, "communities/settings.html", context! { c, form, errors, rules, topics, invites })
}

async fn settings_page(page: Page, Path(slug): Path<String>) -> Response {
    settings_view(&page, &slug, None, HashMap::new()).await
}

async fn save_settings(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let r = match page.auth.require() {
        Ok(v) => page.state.app.update_community(v, &slug, settings_input(&f)).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => with_notice(&format!("/c/{slug}/settings"), "saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => settings_view(&page, &slug, Some(f), errors).await,
            None => page.fail(e),
        },
    }
}

async fn create_topic(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let r = async { page.state.app.create_topic(page.auth.require()?, &slug, field(&f, "name")).await }.await;
    page.done(r, |_| format!("/c/{slug}/settings"), "topic_created")
}
