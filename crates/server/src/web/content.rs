//! Post pages: write, read, edit, history, comments, reactions, pin,
//! essence and delete.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use yaji_app::content::{Curation, PostInput};
use yaji_app::views::ReactionView;
use yaji_app::AppError;
use yaji_domain::content::REACTIONS;

use super::communities::{community_page, FeedQuery};
use super::form::{field, opt_i64, to, with_notice, Form};
use super::{Page, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/posts", post(create_post))
        .route("/p/{id}", get(post_page))
        .route("/p/{id}/edit", get(edit_page).post(edit_post))
        .route("/p/{id}/history", get(history_page))
        .route("/p/{id}/comments", post(comment))
        .route("/p/{id}/react", post(react))
        .route("/comments/{id}/react", post(react_to_comment))
        .route("/p/{id}/pin", post(pin))
        .route("/p/{id}/essence", post(essence))
        .route("/p/{id}/delete", post(delete_post))
        .route("/comments/{id}/delete", post(delete_comment))
}

pub(super) const TEMPLATES: &[(&str, &str)] =
    templates!["content/post.html", "content/post_edit.html", "content/history.html"];

async fn create_post(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let v = or_fail!(page, page.auth.require());
    let topic_id = or_fail!(page, opt_i64(&f, "topic_id"));
    let title = field(&f, "title");
    let input = PostInput { title: Some(title), body: field(&f, "body"), topic_id };
    // "Ask as a question", with an optional bounty.
    let question = match f.get("kind").map(String::as_str) {
        Some("question") => Some(yaji_domain::qa::QuestionInput {
            bounty: or_fail!(page, opt_i64(&f, "bounty")),
            bounty_days: or_fail!(page, opt_i64(&f, "bounty_days")),
            bounty_fallback: f.get("bounty_fallback").cloned(),
        }),
        _ => None,
    };
    // A poll: its question and one option per line.
    let poll = match f.get("poll_question").map(|q| q.trim()).filter(|q| !q.is_empty()) {
        Some(q) => Some(yaji_domain::polls::PollInput {
            question: q.to_string(),
            kind: field(&f, "poll_kind").to_string(),
            options: field(&f, "poll_options")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect(),
            max_choices: or_fail!(page, opt_i64(&f, "poll_max")),
            scale_min: None,
            scale_max: None,
            anonymous: Some(!f.contains_key("poll_public")),
            results: field(&f, "poll_results").to_string(),
        }),
        None => None,
    };
    let extras = yaji_app::content::PostExtras {
        question,
        poll,
        poll_closes_at: f.get("poll_closes_at").cloned().filter(|s| !s.trim().is_empty()),
    };
    match page.state.app.create_post_with(v, &slug, input, &extras).await {
        Ok(p) => with_notice(&format!("/p/{}", p.id), &format!("posted_{}", p.moderation)),
        // A gated topic is the topic field's problem: the composer keeps the text.
        Err(AppError::Forbidden { code: "topic_locked", message }) => {
            let errors = HashMap::from([("topic_id".to_string(), page.error_text("topic_locked", &message))]);
            community_page(&page, &slug, FeedQuery::default(), f, errors).await
        }
        Err(e) => match page.field_errors(&e) {
            Some(errors) => community_page(&page, &slug, FeedQuery::default(), f, errors).await,
            None => page.fail(e),
        },
    }
}

async fn post_view(page: &Page, id: i64, form: Form, errors: HashMap<String, String>) -> Response {
    post_view_from(page, id, None, form, errors).await
}

/// The post page; with `after`, the comments shown are the page after that cursor.
async fn post_view_from(
    page: &Page,
    id: i64,
    after: Option<&str>,
    form: Form,
    errors: HashMap<String, String>,
) -> Response {
    let mut d = or_fail!(page, page.state.app.post(page.auth.viewer(), id).await);
    if let Some(after) = after {
        let more = or_fail!(page, page.state.app.comments(page.auth.viewer(), id, Some(after), Some(100)).await);
        d.comments = more.comments;
        d.comments_next_cursor = more.next_cursor;
    }
    let reaction_map: HashMap<String, ReactionView> =
        d.reactions.iter().map(|r| (r.emoji.clone(), r.clone())).collect();
    // Its poll, if it has one.
    let poll = match page.state.app.poll(page.auth.viewer(), id).await {
        Ok(p) => Some(p),
        Err(AppError::NotFound(_)) => None,
        Err(e) => return page.fail(e),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(status, "content/post.html", context! { d, poll, emojis => REACTIONS, reaction_map, form, errors })
}

#[derive(serde::Deserialize)]
struct PostQuery {
    /// Show the comments after this cursor ("more comments").
    comments_after: Option<String>,
}

async fn post_page(page: Page, Path(id): Path<i64>, Query(q): Query<PostQuery>) -> Response {
    post_view_from(&page, id, q.comments_after.as_deref(), Form::new(), HashMap::new()).await
}

async fn history_page(page: Page, Path(id): Path<i64>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let r = async { Ok((app.post(viewer, id).await?, app.post_revisions(viewer, id).await?)) }.await;
    match r {
        Ok((d, revisions)) => page.ok("content/history.html", context! { d, revisions }),
        Err(e) => page.fail(e),
    }
}

async fn edit_page(page: Page, Path(id): Path<i64>) -> Response {
    let app = &page.state.app;
    let d = match app.post(page.auth.viewer(), id).await {
        Ok(d) if d.is_author => d,
        Ok(_) => return page.fail(AppError::forbidden("not_author", "only the author can edit")),
        Err(e) => return page.fail(e),
    };
    let topics = app.topics(page.auth.viewer(), &d.community_slug).await.unwrap_or_default();
    let form = context! { title => d.post.title, body => d.post.body, topic_id => d.post.topic.as_ref().map(|t| t.id) };
    page.ok("content/post_edit.html", context! { p => d.post, form, topics, errors => Form::new() })
}

async fn edit_post(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let r = async {
        let v = page.auth.require()?;
        let input =
            PostInput { title: Some(field(&f, "title")), body: field(&f, "body"), topic_id: opt_i64(&f, "topic_id")? };
        page.state.app.edit_post(v, id, input).await
    }
    .await;
    match r {
        Ok(_) => with_notice(&format!("/p/{id}"), "saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => {
                let p = match page.state.app.post(page.auth.viewer(), id).await {
                    Ok(d) => d.post,
                    Err(e) => return page.fail(e),
                };
                page.render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "content/post_edit.html",
                    context! { p, form => f, errors, topics => Vec::<()>::new() },
                )
            }
            None => page.fail(e),
        },
    }
}

async fn comment(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let r = match page.auth.require() {
        Ok(v) => page.state.app.comment(v, id, field(&f, "body"), field(&f, "reply_to").trim().parse().ok()).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(c) if c.moderation == "visible" => to(&format!("/p/{id}#c{}", c.id)),
        Ok(c) => {
            to(&format!("{}#c{}", super::notice_url(&format!("/p/{id}"), &format!("comment_{}", c.moderation)), c.id))
        }
        Err(e) => match page.field_errors(&e) {
            Some(errors) => post_view(&page, id, f, errors).await,
            None => page.fail(e),
        },
    }
}

async fn react(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let on = field(&f, "on") != "0";
    let r = async { page.state.app.react(page.auth.require()?, id, field(&f, "emoji"), on).await }.await;
    match r {
        Ok(_) => to(&format!("/p/{id}")),
        Err(e) => page.fail(e),
    }
}

/// Back to the comment on its post; the form says which post.
async fn react_to_comment(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let on = field(&f, "on") != "0";
    let r = async { page.state.app.react_to_comment(page.auth.require()?, id, field(&f, "emoji"), on).await }.await;
    let post: i64 = field(&f, "post").parse().unwrap_or(0);
    match r {
        Ok(_) => to(&format!("/p/{post}#c{id}")),
        Err(e) => page.fail(e),
    }
}

async fn curate(page: Page, id: i64, on: Curation, off: Curation, f: &Form) -> Response {
    let what = if field(f, "on") == "0" { off } else { on };
    let r = async { page.state.app.curate(page.auth.require()?, id, what).await }.await;
    page.done(r, |_| format!("/p/{id}"), "saved")
}

async fn pin(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    curate(page, id, Curation::Pin, Curation::Unpin, &f).await
}

async fn essence(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    curate(page, id, Curation::SetEssence, Curation::UnsetEssence, &f).await
}

async fn delete_post(page: Page, Path(id): Path<i64>) -> Response {
    let r = async { page.state.app.delete_post(page.auth.require()?, id).await }.await;
    page.done(r, |slug| format!("/c/{slug}"), "deleted")
}

async fn delete_comment(page: Page, Path(id): Path<i64>) -> Response {
    let r = async { page.state.app.delete_comment(page.auth.require()?, id).await }.await;
    page.done(r, |post_id| format!("/p/{post_id}"), "deleted")
}
