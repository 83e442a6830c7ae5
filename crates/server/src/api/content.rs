//! Content: feeds, posts, comments, reactions, pin and essence.

use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yaji_app::content::{Curation, PostInput};
use yaji_app::views::*;
use yaji_domain::content::Feed;

use super::{created, json_bytes, no_content, ok, ApiResult, Call, Json, Path, Query};
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(feed, create_post))
        .routes(routes!(home_feed))
        .routes(routes!(get_post, edit_post, delete_post))
        .routes(routes!(post_revisions))
        .routes(routes!(pin_post, unpin_post))
        .routes(routes!(set_essence, unset_essence))
        .routes(routes!(list_comments, create_comment))
        .routes(routes!(delete_comment))
        .routes(routes!(add_reaction, remove_reaction))
        .routes(routes!(add_comment_reaction, remove_comment_reaction))
}

#[derive(Deserialize, IntoParams)]
struct FeedParams {
    /// latest (default), essence, or the Q&A feeds: questions, unanswered, answered
    feed: Option<String>,
    /// A topic id: the topic's feed.
    topic: Option<i64>,
    /// From `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1-100, default 20
    limit: Option<u32>,
}

/// A community feed, newest first, with cursor pagination.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/posts", tag = "content", params(("slug" = String, Path), FeedParams),
    responses((status = 200, body = FeedPage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn feed(c: Call, Path(slug): Path<String>, Query(p): Query<FeedParams>) -> ApiResult<Response> {
    let feed = match (p.topic, Feed::named(p.feed.as_deref().unwrap_or(""))) {
        (Some(t), _) => Feed::Topic(t),
        (None, Some(f)) => f,
        (None, None) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_choice",
                "feed must be latest, essence, questions, unanswered or answered",
            )
            .field("feed"))
        }
    };
    json_bytes(c.app.feed_json(c.viewer(), &slug, feed, p.cursor.as_deref(), p.limit).await?)
}

#[derive(Deserialize, ToSchema)]
struct PostBody {
    title: Option<String>,
    /// Markdown, at most 100 KB
    body: String,
    topic_id: Option<i64>,
    /// `post` (default) or `question` (Q&A; creating only).
    #[serde(default)]
    kind: Option<String>,
    /// A question's bounty in points, held from the asker until an answer is accepted.
    #[serde(default)]
    bounty: Option<i64>,
    /// Days the bounty runs (1-60, default 7).
    #[serde(default)]
    bounty_days: Option<i64>,
    /// Where an unaccepted bounty goes at its deadline: `return` (default) or `best_answer`.
    #[serde(default)]
    bounty_fallback: Option<String>,
    /// A poll inside the post (creating only): `{"question", "kind":
    /// "single"|"multiple"|"ranked"|"scale", "options": [...], "max_choices",
    /// "scale_min", "scale_max", "anonymous" (default true), "results":
    /// "always"|"after_vote"|"after_close", "closes_at"}`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    poll: Option<PollBody>,
}

#[derive(Deserialize)]
struct PollBody {
    #[serde(flatten)]
    poll: yaji_domain::polls::PollInput,
    #[serde(default)]
    closes_at: Option<String>,
}

/// Create a post (members); `"kind": "question"` asks a question, with an
/// optional `bounty` held from the asker's points (409 `insufficient_points`).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/posts", tag = "content", params(("slug" = String, Path)), request_body = PostBody,
    responses((status = 201, body = PostView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_post(c: Call, Path(slug): Path<String>, Json(b): Json<PostBody>) -> ApiResult<Response> {
    let input = PostInput { title: b.title.as_deref(), body: &b.body, topic_id: b.topic_id };
    let question = match b.kind.as_deref().unwrap_or("post") {
        "post" | "" => None,
        "question" => Some(yaji_domain::qa::QuestionInput {
            bounty: b.bounty,
            bounty_days: b.bounty_days,
            bounty_fallback: b.bounty_fallback.clone(),
        }),
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_choice",
                "kind must be post or question",
            )
            .field("kind"))
        }
    };
    let extras = yaji_app::content::PostExtras {
        question,
        poll: b.poll.as_ref().map(|p| p.poll.clone()),
        poll_closes_at: b.poll.as_ref().and_then(|p| p.closes_at.clone()),
    };
    created(c.app.create_post_with(c.require()?, &slug, input, &extras).await?)
}

/// A post with its comments and reactions.
#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "content", params(("id" = i64, Path)),
    responses((status = 200, body = PostDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_post(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    json_bytes(c.app.post_json(c.viewer(), id).await?)
}

/// Edit your post; the previous version is kept.
#[utoipa::path(patch, path = "/api/v1/posts/{id}", tag = "content", params(("id" = i64, Path)), request_body = PostBody,
    responses((status = 200, body = PostView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn edit_post(c: Call, Path(id): Path<i64>, Json(b): Json<PostBody>) -> ApiResult<Response> {
    let input = PostInput { title: b.title.as_deref(), body: &b.body, topic_id: b.topic_id };
    ok(c.app.edit_post(c.require()?, id, input).await?)
}

/// Delete a post (its author, or moderators and above). Soft delete.
#[utoipa::path(delete, path = "/api/v1/posts/{id}", tag = "content", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_post(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    c.app.delete_post(c.require()?, id).await?;
    no_content()
}

/// Earlier versions of an edited post, newest first.
#[utoipa::path(get, path = "/api/v1/posts/{id}/revisions", tag = "content", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<RevisionView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn post_revisions(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    ok(c.app.post_revisions(c.viewer(), id).await?)
}

async fn curate(c: &Call, id: i64, what: Curation) -> ApiResult<Response> {
    ok(c.app.curate(c.require()?, id, what).await?)
}

/// Pin a post (moderators and above).
#[utoipa::path(post, path = "/api/v1/posts/{id}/pin", tag = "content", params(("id" = i64, Path)),
    responses((status = 200, body = PostView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn pin_post(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    curate(&c, id, Curation::Pin).await
}

/// Unpin a post.
#[utoipa::path(delete, path = "/api/v1/posts/{id}/pin", tag = "content", params(("id" = i64, Path)),
    responses((status = 200, body = PostView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unpin_post(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    curate(&c, id, Curation::Unpin).await
}

/// Mark a post as essence (精华) (moderators and above).
#[utoipa::path(post, path = "/api/v1/posts/{id}/essence", tag = "content", params(("id" = i64, Path)),
    responses((status = 200, body = PostView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_essence(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    curate(&c, id, Curation::SetEssence).await
}

/// Remove the essence mark.
#[utoipa::path(delete, path = "/api/v1/posts/{id}/essence", tag = "content", params(("id" = i64, Path)),
    responses((status = 200, body = PostView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unset_essence(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    curate(&c, id, Curation::UnsetEssence).await
}

#[derive(Deserialize, ToSchema)]
struct CommentBody {
    /// Markdown, at most 100 KB
    body: String,
    /// Reply to this comment of the post: the reply joins its thread and its author is told.
    #[serde(default)]
    reply_to: Option<i64>,
}

/// Comment on a post, or reply to one of its comments (members).
#[utoipa::path(post, path = "/api/v1/posts/{id}/comments", tag = "content", params(("id" = i64, Path)), request_body = CommentBody,
    responses((status = 201, body = CommentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_comment(c: Call, Path(id): Path<i64>, Json(b): Json<CommentBody>) -> ApiResult<Response> {
    created(c.app.comment(c.require()?, id, &b.body, b.reply_to).await?)
}

#[derive(Deserialize, IntoParams)]
struct CommentParams {
    /// From `next_cursor` of the previous page (or the post's `comments_next_cursor`).
    cursor: Option<String>,
    /// 1-100, default 50
    limit: Option<u32>,
}

/// A post's comments, oldest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/posts/{id}/comments", tag = "content", params(("id" = i64, Path), CommentParams),
    responses((status = 200, body = CommentPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_comments(c: Call, Path(id): Path<i64>, Query(q): Query<CommentParams>) -> ApiResult<Response> {
    ok(c.app.comments(c.viewer(), id, q.cursor.as_deref(), q.limit).await?)
}

/// Delete a comment (its author, or moderators and above).
#[utoipa::path(delete, path = "/api/v1/comments/{id}", tag = "content", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_comment(c: Call, Path(id): Path<i64>) -> ApiResult<Response> {
    c.app.delete_comment(c.require()?, id).await?;
    no_content()
}

#[derive(Deserialize, ToSchema, IntoParams)]
struct ReactionBody {
    /// One of 👍 ❤️ 😂 🎉 🤔 🙏
    emoji: String,
}

/// React to a post (members). Reacting twice with the same emoji changes nothing.
#[utoipa::path(post, path = "/api/v1/posts/{id}/reactions", tag = "content", params(("id" = i64, Path)), request_body = ReactionBody,
    responses((status = 200, body = Vec<ReactionView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_reaction(c: Call, Path(id): Path<i64>, Json(b): Json<ReactionBody>) -> ApiResult<Response> {
    ok(c.app.react(c.require()?, id, &b.emoji, true).await?)
}

/// Take back a reaction.
#[utoipa::path(delete, path = "/api/v1/posts/{id}/reactions", tag = "content", params(("id" = i64, Path), ReactionBody),
    responses((status = 200, body = Vec<ReactionView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn remove_reaction(c: Call, Path(id): Path<i64>, Query(b): Query<ReactionBody>) -> ApiResult<Response> {
    ok(c.app.react(c.require()?, id, &b.emoji, false).await?)
}

/// React to a comment (members). Reacting twice with the same emoji changes nothing.
#[utoipa::path(post, path = "/api/v1/comments/{id}/reactions", tag = "content", params(("id" = i64, Path)), request_body = ReactionBody,
    responses((status = 200, body = Vec<ReactionView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_comment_reaction(c: Call, Path(id): Path<i64>, Json(b): Json<ReactionBody>) -> ApiResult<Response> {
    ok(c.app.react_to_comment(c.require()?, id, &b.emoji, true).await?)
}

/// Take back a reaction on a comment.
#[utoipa::path(delete, path = "/api/v1/comments/{id}/reactions", tag = "content", params(("id" = i64, Path), ReactionBody),
    responses((status = 200, body = Vec<ReactionView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn remove_comment_reaction(c: Call, Path(id): Path<i64>, Query(b): Query<ReactionBody>) -> ApiResult<Response> {
    ok(c.app.react_to_comment(c.require()?, id, &b.emoji, false).await?)
}

#[derive(Deserialize, IntoParams)]
struct HomeParams {
    cursor: Option<String>,
    /// 1-100, default 20
    limit: Option<u32>,
}

/// Your home feed: the newest posts of every community you are a member of.
#[utoipa::path(get, path = "/api/v1/me/feed", tag = "content", params(HomeParams),
    responses((status = 200, body = HomeFeed), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn home_feed(c: Call, Query(p): Query<HomeParams>) -> ApiResult<Response> {
    ok(c.app.home_feed(c.require()?, p.cursor.as_deref(), p.limit).await?)
}
