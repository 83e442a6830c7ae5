//! Putting a poll in a just-written post. Apart from the other use cases so
//! that content, which calls it while writing the post, imports none of them.

use yaji_domain::polls::PollInput;
use yaji_store::repo::polls as repo;
use yaji_store::Conn;

use crate::platform::context::Ctx;
use crate::{AppError, AppResult};

/// Checks the poll and its close time (RFC 3339, or local time in the
/// community's zone; in the future) and writes it, in the caller's transaction.
pub(crate) async fn create_in(
    conn: &mut Conn,
    ctx: &Ctx,
    post_id: i64,
    input: &PollInput,
    closes_at: Option<&str>,
    now: i64,
) -> AppResult<()> {
    let def = input.validate()?;
    let closes_at = match closes_at.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => {
            let at = yaji_domain::time::instant("poll.closes_at", s, ctx.tz())?;
            if at <= now {
                return Err(yaji_domain::error::invalid(
                    "poll.closes_at",
                    "in_the_past",
                    "the close must be in the future",
                )
                .into());
            }
            Some(at)
        }
        None => None,
    };
    let def = serde_json::to_string(&def).map_err(|e| AppError::Internal(e.to_string()))?;
    repo::insert(conn, (post_id, ctx.c.id), &def, closes_at, now).await?;
    Ok(())
}
