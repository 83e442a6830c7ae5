//! Content: posts, comments, reactions, pin and essence, feeds.

use crate::platform::limits;
use yaji_domain::activity::{
    CommentCreated, CommentReaction, Event, Kind, PostCreated, PostEdited, ReactionAdded, ReactionRemoved, Subject,
};
use yaji_domain::content::{self, ContentState, Cursor, Feed, PostDraft};
use yaji_domain::error::invalid;
use yaji_domain::permission::Action;
use yaji_domain::text;
use yaji_store::repo::community as crepo;
use yaji_store::repo::content as repo;
use yaji_store::repo::limits::Counted;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::communities::Ctx;
use crate::moderation::Target;
use crate::platform::cache::PageKey;
use crate::platform::events::record_event;
use crate::views::{
    CommentPage, CommentView, CommunityView, FeedPage, HomeFeed, PostDetail, PostView, ProfilePost, ReactionView,
    RevisionView, TopicView,
};
use crate::{finish, finish_with, now, App, AppError, AppResult, Facts};

pub struct PostInput<'a> {
    pub title: Option<&'a str>,
    pub body: &'a str,
    pub topic_id: Option<i64>,
}

/// What may come with a new post.
#[derive(Debug, Clone, Default)]
pub struct PostExtras {
    /// Ask it as a question (Q&A), with an optional bounty.
    pub question: Option<yaji_domain::qa::QuestionInput>,
    /// A poll inside it, closing at `poll_closes_at` (RFC 3339 or local time).
    pub poll: Option<yaji_domain::polls::PollInput>,
    pub poll_closes_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curation {
    Pin,
    Unpin,
    SetEssence,
    UnsetEssence,
}

/// One page of a feed, newest first, for a context already loaded.
async fn feed_page(
    c: &mut Conn,
    ctx: &Ctx,
    feed: Feed,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> AppResult<FeedPage> {
    let limit = content::page_size(limit)?;
    let before = cursor.map(str::trim).filter(|s| !s.is_empty()).map(Cursor::parse).transpose()?;
    ctx.allow(Action::ReadContent)?;
    if let Feed::Topic(t) = feed {
        if crepo::topic(c, t).await?.filter(|t| t.community_id == ctx.c.id).is_none() {
            return Err(AppError::NotFound("topic"));
        }
    }
    // One extra row tells whether another page exists.
    let mut rows = repo::feed(c, ctx.c.id, &feed, before, limit as i64 + 1).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|p| Cursor { at: p.created_at, id: p.id }.encode()) } else { None };
    let pinned = if feed == Feed::Latest && before.is_none() {
        repo::pinned(c, ctx.c.id).await?.into_iter().map(|p| PostView::from_row(p, false)).collect()
    } else {
        vec![]
    };
    let mut page =
        FeedPage { posts: rows.into_iter().map(|p| PostView::from_row(p, false)).collect(), pinned, next_cursor };
    let authors = page.posts.iter_mut().chain(page.pinned.iter_mut()).map(|p| &mut p.author);
    crate::points::label_levels(c, ctx.c.id, authors).await?;
    Ok(page)
}

/// (emoji, count, viewer's own) rows as views, in the order of the reaction set.
fn reaction_views(rows: impl Iterator<Item = (String, i64, i64)>) -> Vec<ReactionView> {
    let rows: Vec<_> = rows.collect();
    content::REACTIONS
        .iter()
        .filter_map(|e| rows.iter().find(|r| r.0 == *e))
        .map(|(emoji, count, mine)| ReactionView { emoji: emoji.clone(), count: *count, mine: *mine > 0 })
        .collect()
}

/// Comments shown with a post; the rest come page by page.
const POST_COMMENTS: u32 = 100;

/// One page of a post's comments after `after`, in reading order.
async fn comment_page(
    c: &mut Conn,
    p: &repo::PostRow,
    ctx: &Ctx,
    viewer: Option<Viewer>,
    after: Option<Cursor>,
    limit: u32,
) -> AppResult<CommentPage> {
    let after = after.map(|k| (k.at, k.id));
    let mut rows =
        repo::comments(c, p.id, after, i64::from(limit) + 1, ctx.can(Action::Moderate), viewer.map(|v| v.id)).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|r| Cursor { at: r.created_at, id: r.id }.encode()) } else { None };
    let any_reactions = rows.iter().any(|r| r.reaction_count > 0);
    let mut comments = rows.into_iter().map(CommentView::from).collect::<Vec<_>>();
    if any_reactions {
        let summary = repo::comment_reaction_summary(c, p.id, viewer.map(|v| v.id)).await?;
        for cm in &mut comments {
            let mine = summary.iter().filter(|r| r.0 == cm.id).map(|(_, e, n, m)| (e.clone(), *n, *m));
            cm.reactions = reaction_views(mine);
        }
    }
    if comments.iter().any(|c| c.automatic) {
        let replies = yaji_store::repo::faq::replies_on(c, p.id).await?;
        for cm in comments.iter_mut().filter(|c| c.automatic) {
            // Only the asker rates an answer, once.
            cm.faq_reply_id = replies
                .iter()
                .find(|r| r.comment_id == cm.id && r.feedback.is_none() && viewer.is_some_and(|v| v.id == r.asker_id))
                .map(|r| r.id);
        }
    }
    crate::points::label_levels(c, ctx.c.id, comments.iter_mut().map(|c| &mut c.author)).await?;
    Ok(CommentPage { comments, next_cursor })
}

/// A post written by [`App::write_post`], for its caller to publish.
pub(crate) struct Written {
    pub event: Event,
    pub row: repo::PostRow,
    /// Title and body as screened.
    pub text: String,
    pub excerpt: String,
}

/// Loads a live post and its community context, refusing readers who may not see it.
async fn post_ctx(conn: &mut Conn, post_id: i64, viewer: Option<Viewer>) -> AppResult<(repo::PostRow, Ctx)> {
    let p = live_post(conn, post_id).await?;
    let ctx = Ctx::load_id(conn, p.community_id, viewer).await?;
    readable(&p, &ctx, viewer)?;
    crate::topic_access::allow_read(conn, &ctx, p.topic_id).await?;
    Ok((p, ctx))
}

async fn live_post(conn: &mut Conn, post_id: i64) -> AppResult<repo::PostRow> {
    repo::post(conn, post_id).await?.filter(|p| p.deleted_at.is_none()).ok_or(AppError::NotFound("post"))
}

fn readable(p: &repo::PostRow, ctx: &Ctx, viewer: Option<Viewer>) -> AppResult<()> {
    // Who may not read the community's content is not told the post exists:
    // the same 404 as for an id that was never used.
    if !ctx.can(Action::ReadContent) {
        return Err(AppError::NotFound("post"));
    }
    // Held or hidden posts exist only for their author and the moderators.
    if p.moderation != ContentState::Visible && viewer.is_none_or(|v| v.id != p.author_id) && !ctx.can(Action::Moderate)
    {
        return Err(AppError::NotFound("post"));
    }
    Ok(())
}

async fn check_topic(conn: &mut Conn, community_id: i64, topic_id: Option<i64>) -> AppResult<()> {
    if let Some(t) = topic_id {
        if crepo::topic(conn, t).await?.filter(|t| t.community_id == community_id).is_none() {
            return Err(invalid("topic_id", "unknown_topic", "no such topic in this community").into());
        }
    }
    Ok(())
}

impl App {
    pub async fn create_post(&self, viewer: Viewer, slug: &str, input: PostInput<'_>) -> AppResult<PostView> {
        self.create_post_with(viewer, slug, input, &PostExtras::default()).await
    }

    /// A post with what may come with it: asked as a question (Q&A, its
    /// bounty held from the asker) and/or carrying a poll — all in one
    /// transaction.
    pub async fn create_post_with(
        &self,
        viewer: Viewer,
        slug: &str,
        input: PostInput<'_>,
        extras: &PostExtras,
    ) -> AppResult<PostView> {
        let now = now();
        let question = extras.question.as_ref().map(|q| q.validate(now)).transpose()?;
        if let Some(p) = &extras.poll {
            p.validate()?;
        }
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        let mut w = self.write_post(tx.conn(), &ctx, viewer, input, false, now).await?;
        if let Some(def) = question {
            let ev = crate::qa::ask::ask_in(tx.conn(), &ctx, viewer, w.row.id, def, now).await?;
            record_event(tx.conn(), &ev, now).await?;
            w.row = repo::post(tx.conn(), w.row.id).await?.ok_or(AppError::NotFound("post"))?;
        }
        if let Some(poll) = &extras.poll {
            let closes = extras.poll_closes_at.as_deref();
            crate::polls::create::create_in(tx.conn(), &ctx, w.row.id, poll, closes, now).await?;
        }
        let facts = Facts {
            ctx: Some(&ctx),
            text: Some(&w.text),
            excerpt: Some(&w.excerpt),
            by: Some(&w.row.author_display_name),
        };
        finish_with(tx, w.event, facts, now).await?;
        // Rules listening to posts may have been queued with the event.
        self.wake_workers_if_queued();
        Ok(PostView::from_row(w.row, true))
    }

    /// Writes a member's post inside the caller's transaction: permission,
    /// rate limit, topic gates, screening and its sanctions. The caller
    /// publishes the returned event (a check-in's proof is a post too).
    pub(crate) async fn write_post(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        viewer: Viewer,
        input: PostInput<'_>,
        checkin: bool,
        now: i64,
    ) -> AppResult<Written> {
        let draft = PostDraft::parse(input.title, input.body)?;
        let html = text::markdown_to_html(&draft.body);
        let excerpt = text::excerpt(&draft.body, 160);
        ctx.allow(Action::CreatePost)?;
        limits::check(conn, &self.cfg.limits, Counted::Posts, viewer.id, now).await?;
        check_topic(conn, ctx.c.id, input.topic_id).await?;
        crate::topic_access::allow_write(conn, ctx, input.topic_id).await?;
        let text = match draft.title.as_deref() {
            Some(t) => format!("{t}\n{}", draft.body),
            None => draft.body.clone(),
        };
        let screening = self.screen(conn, ctx, viewer, &text, None, now).await?;
        let new = repo::NewPost {
            community_id: ctx.c.id,
            author_id: viewer.id,
            topic_id: input.topic_id,
            title: draft.title.as_deref(),
            body: &draft.body,
            body_html: &html,
            excerpt: &excerpt,
            created_at: now,
            moderation: screening.state,
        };
        let id = repo::insert_post(conn, &new).await?;
        crepo::add_post_count(conn, ctx.c.id, 1).await?;
        self.enforce(conn, ctx, viewer.id, Target::Post(id), &text, &screening, now).await?;
        let payload = PostCreated {
            topic_id: input.topic_id,
            moderation: screening.state.as_str().to_string(),
            question: !checkin && yaji_domain::faq::is_question(&text),
            automatic: false,
            checkin,
        };
        let event = Event::of(Some(ctx.c.id), viewer.id, Subject::Post(id), &payload);
        let row = repo::post(conn, id).await?.ok_or(AppError::NotFound("post"))?;
        Ok(Written { event, row, text, excerpt })
    }

    /// One page of a community feed, newest first, as the JSON of a [`FeedPage`].
    /// A page is the same for every reader allowed to see it, so it is kept
    /// for the database generation (see `cache`); each reader's permission is
    /// still decided per request, from a context that is cached the same way.
    pub async fn feed_json(
        &self,
        viewer: Option<Viewer>,
        slug: &str,
        feed: Feed,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<bytes::Bytes> {
        let mut c = self.db.read().await?;
        let generation = self.db.generation(&mut c).await?;
        let ctx = self.read_ctx(&mut c, generation, crepo::Key::Slug(slug), viewer).await?;
        ctx.allow(Action::ReadContent)?;
        let key =
            PageKey::Feed { community_id: ctx.c.id, feed: feed.clone(), cursor: cursor.map(str::to_string), limit };
        if let Some(json) = self.caches.pages.get(generation, &key) {
            return Ok(json);
        }
        let json = to_json(&feed_page(&mut c, &ctx, feed, cursor, limit).await?)?;
        self.caches.pages.put(generation, key, json.clone());
        Ok(json)
    }

    /// The reader's home feed across their communities, newest first;
    /// `limit` 1-100, default 20.
    pub async fn home_feed(&self, viewer: Viewer, cursor: Option<&str>, limit: Option<u32>) -> AppResult<HomeFeed> {
        let before = cursor.map(Cursor::parse).transpose()?;
        let limit = i64::from(content::page_size(Some(limit.unwrap_or(20)))?);
        let (at, id) = before.map_or((i64::MAX, i64::MAX), |c| (c.at, c.id));
        let mut c = self.db.read().await?;
        let mut rows = repo::home_feed(&mut c, viewer.id, at, id, limit + 1).await?;
        let next_cursor = (rows.len() as i64 > limit).then(|| {
            rows.truncate(limit as usize);
            rows.last().map(|p| Cursor { at: p.created_at, id: p.id }.encode())
        });
        let mut names: std::collections::HashMap<i64, (String, String)> = std::collections::HashMap::new();
        let mut items = Vec::with_capacity(rows.len());
        for p in rows {
            if !names.contains_key(&p.community_id) {
                let row = crepo::by_id(&mut c, p.community_id).await?.ok_or(AppError::NotFound("community"))?;
                names.insert(row.id, (row.slug, row.name));
            }
            let (slug, name) = names[&p.community_id].clone();
            items.push(ProfilePost { post: PostView::from_row(p, false), community_slug: slug, community_name: name });
        }
        Ok(HomeFeed { items, next_cursor: next_cursor.flatten() })
    }

    /// A post with its comments as the JSON of a [`PostDetail`]. Visitors who
    /// are not logged in all get the same answer, kept for the database
    /// generation; members' pages carry their own reactions and rights.
    pub async fn post_json(&self, viewer: Option<Viewer>, post_id: i64) -> AppResult<bytes::Bytes> {
        if viewer.is_some() {
            return to_json(&self.post(viewer, post_id).await?);
        }
        let generation = self.db.generation(&mut *self.db.read().await?).await?;
        let key = PageKey::Post(post_id);
        if let Some(json) = self.caches.pages.get(generation, &key) {
            return Ok(json);
        }
        let json = to_json(&self.post(None, post_id).await?)?;
        self.caches.pages.put(generation, key, json.clone());
        Ok(json)
    }

    /// Everything the community page shows, from one context load: the
    /// community, and (when the viewer may read) a feed page and the topics.
    pub async fn community_page(
        &self,
        viewer: Option<Viewer>,
        slug: &str,
        feed: Feed,
        cursor: Option<&str>,
    ) -> AppResult<(CommunityView, Option<FeedPage>, Vec<TopicView>)> {
        let mut c = self.db.read().await?;
        let generation = self.db.generation(&mut c).await?;
        let ctx = self.read_ctx(&mut c, generation, crepo::Key::Slug(slug), viewer).await?;
        let (page, topics) = if ctx.can(Action::ReadContent) {
            let page = feed_page(&mut c, &ctx, feed, cursor, None).await?;
            let topics = crepo::topics(&mut c, ctx.c.id).await?.into_iter().map(TopicView::of);
            (Some(page), topics.collect())
        } else {
            (None, vec![])
        };
        let view = crate::communities::community_view(&mut c, ctx, viewer).await?;
        Ok((view, page, topics))
    }

    /// A post's comments after `cursor` (from `comments_next_cursor` or a
    /// previous page), in reading order; `limit` 1-100, default 50.
    pub async fn comments(
        &self,
        viewer: Option<Viewer>,
        post_id: i64,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<CommentPage> {
        let after = cursor.map(Cursor::parse).transpose()?;
        let limit = content::page_size(Some(limit.unwrap_or(50)))?;
        let mut c = self.db.read().await?;
        let (p, ctx) = post_ctx(&mut c, post_id, viewer).await?;
        comment_page(&mut c, &p, &ctx, viewer, after, limit).await
    }

    /// A post with its first comments (reading order) and reactions.
    pub async fn post(&self, viewer: Option<Viewer>, post_id: i64) -> AppResult<PostDetail> {
        let mut c = self.db.read().await?;
        let generation = self.db.generation(&mut c).await?;
        let p = live_post(&mut c, post_id).await?;
        let ctx = self.read_ctx(&mut c, generation, crepo::Key::Id(p.community_id), viewer).await?;
        readable(&p, &ctx, viewer)?;
        crate::topic_access::allow_read(&mut c, &ctx, p.topic_id).await?;
        let page = comment_page(&mut c, &p, &ctx, viewer, None, POST_COMMENTS).await?;
        let reactions = reaction_views(repo::reaction_summary(&mut c, p.id, viewer.map(|v| v.id)).await?.into_iter());
        let is_author = viewer.is_some_and(|v| v.id == p.author_id);
        let mut post = PostView::from_row(p, true);
        crate::points::label_levels(&mut c, ctx.c.id, [&mut post.author]).await?;
        Ok(PostDetail {
            post,
            community_slug: ctx.c.slug.clone(),
            community_name: ctx.c.name.clone(),
            comments: page.comments,
            comments_next_cursor: page.next_cursor,
            reactions,
            abilities: ctx.abilities(),
            is_author,
            muted: ctx.actor.muted,
        })
    }

    /// Edits a post; the previous version is kept in its history.
    pub async fn edit_post(&self, viewer: Viewer, post_id: i64, input: PostInput<'_>) -> AppResult<PostView> {
        let draft = PostDraft::parse(input.title, input.body)?;
        let html = text::markdown_to_html(&draft.body);
        let excerpt = text::excerpt(&draft.body, 160);
        let now = now();
        let mut tx = self.db.write().await?;
        let (p, ctx) = post_ctx(tx.conn(), post_id, Some(viewer)).await?;
        ctx.allow(Action::EditPost { own: p.author_id == viewer.id })?;
        check_topic(tx.conn(), ctx.c.id, input.topic_id).await?;
        // Moving a post into a gated topic passes its gates, as posting there would.
        if input.topic_id != p.topic_id {
            crate::topic_access::allow_write(tx.conn(), &ctx, input.topic_id).await?;
        }
        repo::insert_revision(tx.conn(), p.id, p.title.as_deref(), &p.body, viewer.id, now).await?;
        let edit = repo::PostEdit {
            title: draft.title.as_deref(),
            body: &draft.body,
            body_html: &html,
            excerpt: &excerpt,
            topic_id: input.topic_id,
        };
        repo::update_post(tx.conn(), p.id, &edit, now).await?;
        // An edit is checked like a new post: clean text cannot be edited into an ad.
        let text = match draft.title.as_deref() {
            Some(t) => format!("{t}\n{}", draft.body),
            None => draft.body.clone(),
        };
        let screening = self.screen(tx.conn(), &ctx, viewer, &text, None, now).await?;
        if screening.state != ContentState::Visible && p.moderation == ContentState::Visible {
            yaji_store::repo::moderation::set_content_state(tx.conn(), "post", p.id, screening.state).await?;
            self.enforce(tx.conn(), &ctx, viewer.id, Target::Post(p.id), &text, &screening, now).await?;
        }
        let row = repo::post(tx.conn(), p.id).await?.ok_or(AppError::NotFound("post"))?;
        let ev = Event::of(
            Some(ctx.c.id),
            viewer.id,
            Subject::Post(p.id),
            &PostEdited { moderation: row.moderation.as_str().into() },
        );
        finish(tx, ev, now).await?;
        Ok(PostView::from_row(row, true))
    }

    pub async fn post_revisions(&self, viewer: Option<Viewer>, post_id: i64) -> AppResult<Vec<RevisionView>> {
        let mut c = self.db.read().await?;
        let (p, _) = post_ctx(&mut c, post_id, viewer).await?;
        Ok(repo::revisions(&mut c, p.id)
            .await?
            .into_iter()
            .map(|r| RevisionView {
                id: r.id,
                title: r.title,
                body_html: text::markdown_to_html(&r.body),
                body: r.body,
                edited_by: r.edited_by,
                created_at: crate::rfc3339(r.created_at),
            })
            .collect())
    }

    /// Soft-deletes a post: by its author, or by moderators and above.
    /// Soft-deletes a post; returns its community's slug (where the UI goes next).
    pub async fn delete_post(&self, viewer: Viewer, post_id: i64) -> AppResult<String> {
        let now = now();
        let mut tx = self.db.write().await?;
        let (p, ctx) = post_ctx(tx.conn(), post_id, Some(viewer)).await?;
        ctx.allow(Action::DeletePost { own: p.author_id == viewer.id })?;
        if !repo::soft_delete_post(tx.conn(), p.id, now).await? {
            return Err(AppError::NotFound("post"));
        }
        crepo::add_post_count(tx.conn(), ctx.c.id, -1).await?;
        finish(tx, Event::new(Kind::PostDeleted, Some(ctx.c.id), viewer.id, Subject::Post(p.id)), now).await?;
        Ok(ctx.c.slug.clone())
    }

    /// Pins or marks essence (精华), by moderators and above. Setting what is
    /// already set changes nothing and writes no event.
    pub async fn curate(&self, viewer: Viewer, post_id: i64, what: Curation) -> AppResult<PostView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let (p, ctx) = post_ctx(tx.conn(), post_id, Some(viewer)).await?;
        let (action, flag, on, kind) = match what {
            Curation::Pin => (Action::PinPost, repo::PostFlag::Pinned, true, Kind::PostPinned),
            Curation::Unpin => (Action::PinPost, repo::PostFlag::Pinned, false, Kind::PostUnpinned),
            Curation::SetEssence => (Action::SetEssence, repo::PostFlag::Essence, true, Kind::EssenceSet),
            Curation::UnsetEssence => (Action::SetEssence, repo::PostFlag::Essence, false, Kind::EssenceUnset),
        };
        ctx.allow(action)?;
        let changed = repo::set_flag(tx.conn(), p.id, flag, on).await?;
        let row = repo::post(tx.conn(), p.id).await?.ok_or(AppError::NotFound("post"))?;
        if changed {
            finish(tx, Event::new(kind, Some(ctx.c.id), viewer.id, Subject::Post(p.id)), now).await?;
        } else {
            tx.rollback().await?;
        }
        Ok(PostView::from_row(row, true))
    }

    /// Comments on a post, or with `reply_to` replies to one of its comments:
    /// the reply joins that comment's thread (threads are one level deep) and
    /// its author is told.
    pub async fn comment(
        &self,
        viewer: Viewer,
        post_id: i64,
        body: &str,
        reply_to: Option<i64>,
    ) -> AppResult<CommentView> {
        let body = text::body("body", body)?;
        let html = text::markdown_to_html(&body);
        let now = now();
        let mut tx = self.db.write().await?;
        let (p, ctx) = post_ctx(tx.conn(), post_id, Some(viewer)).await?;
        ctx.allow(Action::Comment)?;
        crate::topic_access::allow_write(tx.conn(), &ctx, p.topic_id).await?;
        let replied = match reply_to {
            None => None,
            Some(id) => Some(
                repo::comment(tx.conn(), id)
                    .await?
                    .filter(|c| c.post_id == p.id && c.deleted_at.is_none() && c.moderation == ContentState::Visible)
                    .ok_or_else(|| invalid("reply_to", "not_found", "no such comment on this post"))?,
            ),
        };
        limits::check(tx.conn(), &self.cfg.limits, Counted::Comments, viewer.id, now).await?;
        let screening = self.screen(tx.conn(), &ctx, viewer, &body, Some(p.author_id), now).await?;
        let new = repo::NewComment {
            post_id: p.id,
            community_id: ctx.c.id,
            author_id: viewer.id,
            body: &body,
            body_html: &html,
            created_at: now,
            moderation: screening.state,
            parent_id: replied.as_ref().map(|c| c.parent_id.unwrap_or(c.id)),
        };
        let id = repo::insert_comment(tx.conn(), &new).await?;
        if screening.state == ContentState::Visible {
            repo::add_comment_count(tx.conn(), p.id, 1).await?;
        }
        self.enforce(tx.conn(), &ctx, viewer.id, Target::Comment(id), &body, &screening, now).await?;
        let row = repo::comment(tx.conn(), id).await?.ok_or(AppError::NotFound("comment"))?;
        let payload = CommentCreated {
            post_id: p.id,
            post_author_id: Some(p.author_id),
            moderation: Some(screening.state.as_str().to_string()),
            parent_id: new.parent_id,
            replied_to_author_id: replied.as_ref().map(|c| c.author_id),
            ..Default::default()
        };
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::Comment(id), &payload);
        let excerpt = text::excerpt(&body, 120);
        let facts =
            Facts { ctx: Some(&ctx), text: Some(&body), excerpt: Some(&excerpt), by: Some(&row.author_display_name) };
        finish_with(tx, ev, facts, now).await?;
        self.wake_workers_if_queued();
        Ok(row.into())
    }

    /// Deletes a comment; returns its post's id.
    pub async fn delete_comment(&self, viewer: Viewer, comment_id: i64) -> AppResult<i64> {
        let now = now();
        let mut tx = self.db.write().await?;
        let cm = repo::comment(tx.conn(), comment_id)
            .await?
            .filter(|c| c.deleted_at.is_none())
            .ok_or(AppError::NotFound("comment"))?;
        let (_, ctx) = post_ctx(tx.conn(), cm.post_id, Some(viewer)).await?;
        ctx.allow(Action::DeleteComment { own: cm.author_id == viewer.id })?;
        if !repo::soft_delete_comment(tx.conn(), cm.id, now).await? {
            return Err(AppError::NotFound("comment"));
        }
        if cm.moderation == ContentState::Visible {
            repo::add_comment_count(tx.conn(), cm.post_id, -1).await?;
        }
        finish(tx, Event::new(Kind::CommentDeleted, Some(ctx.c.id), viewer.id, Subject::Comment(cm.id)), now).await?;
        Ok(cm.post_id)
    }

    /// Adds (`on`) or removes a reaction. Repeating it changes nothing and writes no event.
    pub async fn react(&self, viewer: Viewer, post_id: i64, emoji: &str, on: bool) -> AppResult<Vec<ReactionView>> {
        let emoji = content::reaction(emoji)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let (p, ctx) = post_ctx(tx.conn(), post_id, Some(viewer)).await?;
        ctx.allow(Action::React)?;
        let changed = if on {
            repo::add_reaction(tx.conn(), p.id, viewer.id, &emoji, now).await?
        } else {
            repo::remove_reaction(tx.conn(), p.id, viewer.id, &emoji).await?
        };
        if changed {
            let (subject, post_author_id) = (Subject::Post(p.id), p.author_id);
            let ev = if on {
                Event::of(Some(ctx.c.id), viewer.id, subject, &ReactionAdded { emoji, post_author_id })
            } else {
                Event::of(Some(ctx.c.id), viewer.id, subject, &ReactionRemoved { emoji, post_author_id })
            };
            finish(tx, ev, now).await?;
        } else {
            tx.rollback().await?;
        }
        Ok(self.post(Some(viewer), post_id).await?.reactions)
    }

    /// Adds (`on`) or removes a reaction on a comment; returns the comment's
    /// reactions. Repeating it changes nothing and writes no event.
    pub async fn react_to_comment(
        &self,
        viewer: Viewer,
        comment_id: i64,
        emoji: &str,
        on: bool,
    ) -> AppResult<Vec<ReactionView>> {
        let emoji = content::reaction(emoji)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let cm = repo::comment(tx.conn(), comment_id)
            .await?
            .filter(|c| c.deleted_at.is_none() && c.moderation == ContentState::Visible)
            .ok_or(AppError::NotFound("comment"))?;
        let (p, ctx) = post_ctx(tx.conn(), cm.post_id, Some(viewer)).await?;
        ctx.allow(Action::React)?;
        let changed = if on {
            repo::add_comment_reaction(tx.conn(), (cm.id, p.id), viewer.id, &emoji, now).await?
        } else {
            repo::remove_comment_reaction(tx.conn(), cm.id, viewer.id, &emoji).await?
        };
        if changed {
            let kind = if on { Kind::CommentReactionAdded } else { Kind::CommentReactionRemoved };
            let payload = CommentReaction { emoji, post_id: p.id, comment_author_id: cm.author_id };
            finish(tx, Event::of_kind(kind, Some(ctx.c.id), viewer.id, Subject::Comment(cm.id), &payload), now).await?;
        } else {
            tx.rollback().await?;
        }
        let mut c = self.db.read().await?;
        let rows = repo::comment_reaction_summary(&mut c, cm.post_id, Some(viewer.id)).await?;
        Ok(reaction_views(rows.into_iter().filter(|r| r.0 == cm.id).map(|(_, e, n, m)| (e, n, m))))
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> AppResult<bytes::Bytes> {
    serde_json::to_vec(value).map(bytes::Bytes::from).map_err(|e| AppError::Internal(e.to_string()))
}

/// Publishes a post without a request: as the assistant (rules) or as a
/// scheduled post's author (the calendar). It is an ordinary `post_created`
/// event, which webhooks see; rules ignore the assistant's own posts, and no
/// content subscriber (FAQ, mentions, checklist) reads it.
pub(crate) async fn publish_post(
    conn: &mut Conn,
    community_id: i64,
    author_id: i64,
    title: &str,
    body: &str,
    topic_id: Option<i64>,
    now: i64,
) -> AppResult<i64> {
    let html = text::markdown_to_html(body);
    let excerpt = text::excerpt(body, 160);
    let new = repo::NewPost {
        community_id,
        author_id,
        topic_id,
        title: (!title.is_empty()).then_some(title),
        body,
        body_html: &html,
        excerpt: &excerpt,
        created_at: now,
        moderation: ContentState::Visible,
    };
    let id = repo::insert_post(conn, &new).await?;
    crepo::add_post_count(conn, community_id, 1).await?;
    let payload = PostCreated {
        topic_id,
        moderation: "visible".into(),
        question: yaji_domain::faq::is_question(&format!("{title}\n{body}")),
        automatic: true,
        checkin: false,
    };
    record_event(conn, &Event::of(Some(community_id), author_id, Subject::Post(id), &payload), now).await?;
    Ok(id)
}

/// Comments as the assistant (rule replies, FAQ answers); `payload` carries
/// what the caller adds (an FAQ answer's entry and score).
pub(crate) async fn assistant_comment(
    conn: &mut Conn,
    community_id: i64,
    post_id: i64,
    assistant: i64,
    body: &str,
    payload: CommentCreated,
    now: i64,
) -> AppResult<i64> {
    let html = text::markdown_to_html(body);
    let new = repo::NewComment {
        post_id,
        community_id,
        author_id: assistant,
        body,
        body_html: &html,
        created_at: now,
        moderation: ContentState::Visible,
        parent_id: None,
    };
    let id = repo::insert_comment(conn, &new).await?;
    repo::add_comment_count(conn, post_id, 1).await?;
    let payload = CommentCreated { post_id, automatic: true, ..payload };
    record_event(conn, &Event::of(Some(community_id), assistant, Subject::Comment(id), &payload), now).await?;
    Ok(id)
}

/// A person's latest visible posts anywhere (their profile keeps those a reader may read).
/// Whether a post exists in a community and is not deleted (a gathering's recap).
pub(crate) async fn post_in(conn: &mut Conn, community_id: i64, post_id: i64) -> AppResult<bool> {
    Ok(repo::post(conn, post_id).await?.is_some_and(|p| p.community_id == community_id && p.deleted_at.is_none()))
}

pub(crate) async fn recent_posts_of(conn: &mut Conn, author_id: i64, limit: i64) -> AppResult<Vec<repo::PostRow>> {
    Ok(repo::recent_by_author(conn, author_id, limit).await?)
}
