//! The activity log and its in-transaction subscribers. Every use case ends
//! in [`finish`] (or [`finish_with`] when subscribers need what only the use
//! case knows, such as the text as written): the event is appended and handed
//! to each subscriber in `crate::deliver` (the crate root holds the list, so
//! the platform imports no capability), in the same transaction, so what they
//! write commits or rolls back with the change itself. Subscribers never do
//! slow work here; they queue jobs (the outbox) or write a row.

use yaji_domain::activity::Event;
use yaji_store::repo::activity;
use yaji_store::repo::community::CommunityRow;
use yaji_store::{Conn, WriteTx};

use crate::platform::context::Ctx;
use crate::AppResult;

/// What subscribers may need beyond the event, without reading it back: the
/// community context the use case loaded and the content as written.
#[derive(Clone, Copy, Default)]
pub(crate) struct Facts<'a> {
    pub ctx: Option<&'a Ctx>,
    /// The text screened and matched (a post's title and body, a comment's body).
    pub text: Option<&'a str>,
    /// The excerpt notifications show.
    pub excerpt: Option<&'a str>,
    /// The author's display name, for notifications.
    pub by: Option<&'a str>,
}

/// An event appended to the log, as subscribers see it.
pub(crate) struct Recorded<'a> {
    pub id: i64,
    pub event: &'a Event,
    pub facts: Facts<'a>,
}

impl Recorded<'_> {
    /// The event's community: from the use case's context when it passed
    /// one, else read (jobs and derived events carry none).
    pub async fn community(&self, conn: &mut Conn) -> AppResult<Option<std::sync::Arc<CommunityRow>>> {
        if let Some(ctx) = self.facts.ctx {
            return Ok(Some(ctx.c.clone()));
        }
        let Some(id) = self.event.community_id else { return Ok(None) };
        Ok(yaji_store::repo::community::by_id(conn, id).await?.map(std::sync::Arc::new))
    }
}

/// The one way a use case ends: append its activity event, hand it to the
/// subscribers, commit.
pub(crate) async fn finish(tx: WriteTx, event: Event, now: i64) -> AppResult<()> {
    finish_with(tx, event, Facts::default(), now).await
}

/// [`finish`] with what the subscribers need to know about the content.
pub(crate) async fn finish_with(mut tx: WriteTx, event: Event, facts: Facts<'_>, now: i64) -> AppResult<()> {
    publish(tx.conn(), &event, facts, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Appends an event and delivers it, inside a transaction someone else ends
/// (jobs, automated moderation, imports of the assistant's own posts).
pub(crate) async fn record_event(conn: &mut Conn, e: &Event, now: i64) -> AppResult<i64> {
    publish(conn, e, Facts::default(), now).await
}

/// [`record_event`] with what the content subscribers need, for a use case
/// that publishes more than one event (a check-in and its proof post).
pub(crate) async fn record_with(conn: &mut Conn, e: &Event, facts: Facts<'_>, now: i64) -> AppResult<i64> {
    publish(conn, e, facts, now).await
}

async fn publish(conn: &mut Conn, e: &Event, facts: Facts<'_>, now: i64) -> AppResult<i64> {
    let id = activity::record(conn, e, now).await?;
    crate::deliver(conn, &Recorded { id, event: e, facts }, now).await?;
    Ok(id)
}
