//! Asking: a just-written post becomes a question, its bounty held from
//! the asker. Apart from the other use cases so that content, which calls
//! it while writing the post, imports none of them.

use yaji_domain::activity::{Event, QuestionAsked, Subject};
use yaji_domain::qa::QuestionDef;
use yaji_store::repo::qa as repo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::platform::context::Ctx;
use crate::platform::jobs::{enqueue, Job};
use crate::points::BOUNTY_HOLD;
use crate::{AppError, AppResult};

/// Makes a just-written post a question, in the caller's transaction:
/// holds the bounty, schedules its deadline; returns the event to record.
pub(crate) async fn ask_in(
    conn: &mut Conn,
    ctx: &Ctx,
    asker: Viewer,
    post_id: i64,
    def: QuestionDef,
    now: i64,
) -> AppResult<Event> {
    if def.bounty > 0 {
        crate::points::spend(conn, &ctx.c, asker.id, def.bounty, BOUNTY_HOLD, now).await.map_err(|e| match e {
            AppError::Conflict { code: "insufficient_points", message, .. } => {
                AppError::Conflict { code: "insufficient_points", field: Some("bounty"), message }
            }
            e => e,
        })?;
    }
    repo::insert(conn, (post_id, ctx.c.id, asker.id), (def.bounty, def.deadline, def.fallback.as_str()), now).await?;
    if let Some(at) = def.deadline {
        enqueue(conn, Job::BountyExpiry { community_id: ctx.c.id, post_id, at }, now).await?;
    }
    let payload = QuestionAsked { bounty: def.bounty, deadline: def.deadline, fallback: def.fallback.as_str().into() };
    Ok(Event::of(Some(ctx.c.id), asker.id, Subject::Post(post_id), &payload))
}
