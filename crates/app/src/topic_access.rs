//! Gated topics: a topic opens for reading or posting at a points level or
//! with a member tag (domain::content::TopicAccess). This module gathers the
//! facts — the member's level and tags, only when a gate is closed — and asks
//! the permission function, which decides; content's read and write paths
//! call it. Admins set a topic's gates here.

use yaji_domain::activity::{Event, Subject, TopicAccessChanged};
use yaji_domain::content::TopicAccess;
use yaji_domain::permission::{Action, Denial, Standing};
use yaji_store::repo::community as crepo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::platform::context::Ctx;
use crate::platform::events::finish;
use crate::views::TopicView;
use crate::{now, App, AppError, AppResult};

fn access_of(t: &crepo::TopicRow) -> TopicAccess {
    TopicAccess {
        read_min_level: t.read_min_level,
        read_tag: t.read_tag.clone(),
        post_min_level: t.post_min_level,
        post_tag: t.post_tag.clone(),
    }
}

/// What the viewer brings to the gates of `a`.
async fn standing(conn: &mut Conn, ctx: &Ctx, a: &TopicAccess) -> AppResult<Standing> {
    // Only members bring a level or tags; anyone else stands at nothing.
    let Some(user_id) = ctx.membership.as_ref().map(|m| m.user_id) else { return Ok(Standing::default()) };
    let level = if a.read_min_level.is_some() || a.post_min_level.is_some() {
        crate::points::level_of(conn, ctx.c.id, user_id).await?
    } else {
        0
    };
    let tags = if a.read_tag.is_some() || a.post_tag.is_some() {
        crate::membership::tags_of(conn, ctx.c.id, user_id).await?
    } else {
        vec![]
    };
    let has = |t: &Option<String>| t.as_ref().is_some_and(|t| tags.contains(t));
    Ok(Standing { level, has_read_tag: has(&a.read_tag), has_post_tag: has(&a.post_tag) })
}

/// A refusal at a gate, naming what opens it; other refusals pass as they are.
fn name_the_key(r: AppResult<()>, min_level: Option<i64>, tag: &Option<String>) -> AppResult<()> {
    match r {
        Err(AppError::Forbidden { code, .. }) if code == Denial::TopicLocked.code() => {
            let what = match (min_level, tag) {
                (Some(l), Some(t)) => format!("Lv{l} or the tag {t}"),
                (Some(l), None) => format!("Lv{l}"),
                (None, Some(t)) => format!("the tag {t}"),
                (None, None) => "staff".into(),
            };
            Err(AppError::forbidden(code, format!("this topic opens at {what}")))
        }
        other => other,
    }
}

async fn topic(conn: &mut Conn, ctx: &Ctx, topic_id: Option<i64>) -> AppResult<Option<TopicAccess>> {
    let Some(id) = topic_id else { return Ok(None) };
    let t = crepo::topic(conn, id).await?.filter(|t| t.community_id == ctx.c.id);
    Ok(t.as_ref().map(access_of).filter(|a| !a.is_open()))
}

/// May the viewer read the posts of this topic?
pub(crate) async fn allow_read(conn: &mut Conn, ctx: &Ctx, topic_id: Option<i64>) -> AppResult<()> {
    let Some(a) = topic(conn, ctx, topic_id).await? else { return Ok(()) };
    if a.read_gate().is_open() {
        return Ok(());
    }
    let standing = standing(conn, ctx, &a).await?;
    name_the_key(ctx.allow(Action::ReadTopic { read: a.read_gate(), standing }), a.read_min_level, &a.read_tag)
}

/// May the viewer post, comment or reply in this topic?
pub(crate) async fn allow_write(conn: &mut Conn, ctx: &Ctx, topic_id: Option<i64>) -> AppResult<()> {
    let Some(a) = topic(conn, ctx, topic_id).await? else { return Ok(()) };
    let standing = standing(conn, ctx, &a).await?;
    let r = ctx.allow(Action::WriteInTopic { read: a.read_gate(), post: a.post_gate(), standing });
    // Name the gate that is shut: reading first, then posting.
    if ctx.can(Action::ReadTopic { read: a.read_gate(), standing }) {
        name_the_key(r, a.post_min_level, &a.post_tag)
    } else {
        name_the_key(r, a.read_min_level, &a.read_tag)
    }
}

impl App {
    /// Sets who may read and who may post in a topic (admins); audited.
    pub async fn set_topic_access(
        &self,
        viewer: Viewer,
        slug: &str,
        topic_id: i64,
        access: TopicAccess,
    ) -> AppResult<TopicView> {
        let a = access.validate()?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManageTopics)?;
        let t = crepo::topic(tx.conn(), topic_id)
            .await?
            .filter(|t| t.community_id == ctx.c.id)
            .ok_or(AppError::NotFound("topic"))?;
        crepo::set_topic_access(
            tx.conn(),
            t.id,
            (a.read_min_level, a.read_tag.as_deref()),
            (a.post_min_level, a.post_tag.as_deref()),
        )
        .await?;
        let payload = TopicAccessChanged { name: t.name.clone(), access: serde_json::to_value(&a).unwrap_or_default() };
        finish(tx, Event::of(Some(ctx.c.id), viewer.id, Subject::Topic(t.id), &payload), now).await?;
        let row = crepo::topic(&mut *self.db.read().await?, topic_id).await?.ok_or(AppError::NotFound("topic"))?;
        Ok(TopicView::of(row))
    }
}
