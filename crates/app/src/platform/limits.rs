//! Per-member write limits: how many posts, comments, communities and reports
//! one person may write in a window. Counted from the rows themselves (exact
//! across processes and restarts), after locking the writer's user row so
//! racing requests of one person cannot slip past the count together.

use serde::Deserialize;
use yaji_store::repo::limits::{self as repo, Counted};
use yaji_store::Conn;

use crate::platform::{DAY_MS, HOUR_MS, MINUTE_MS};
use crate::{AppError, AppResult};

/// The limits, per member. 0 turns one off. Configured in `yaji.toml`'s
/// `[limits]` table (docs/configuration.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub posts_per_minute: u32,
    pub posts_per_hour: u32,
    pub comments_per_minute: u32,
    pub comments_per_hour: u32,
    pub communities_per_day: u32,
    pub reports_per_hour: u32,
}

impl Default for Limits {
    fn default() -> Self {
        // A lively member posts a few times an hour and comments a few times a
        // minute at most; a script posting hundreds a second stops at once.
        Limits {
            posts_per_minute: 5,
            posts_per_hour: 30,
            comments_per_minute: 20,
            comments_per_hour: 200,
            communities_per_day: 5,
            reports_per_hour: 20,
        }
    }
}

impl Limits {
    /// The windows that apply to `what`: (max, window in ms).
    fn windows(&self, what: Counted) -> Vec<(u32, i64)> {
        match what {
            Counted::Posts => vec![(self.posts_per_minute, MINUTE_MS), (self.posts_per_hour, HOUR_MS)],
            Counted::Comments => vec![(self.comments_per_minute, MINUTE_MS), (self.comments_per_hour, HOUR_MS)],
            Counted::Communities => vec![(self.communities_per_day, DAY_MS)],
            Counted::Reports => vec![(self.reports_per_hour, HOUR_MS)],
        }
    }
}

/// Refuses one more `what` by `user_id` if it would pass a limit (429, with
/// when the oldest counted row leaves the window). Call inside the write
/// transaction that inserts the row.
pub(crate) async fn check(conn: &mut Conn, limits: &Limits, what: Counted, user_id: i64, now: i64) -> AppResult<()> {
    let windows: Vec<_> = limits.windows(what).into_iter().filter(|(max, _)| *max > 0).collect();
    if windows.is_empty() {
        return Ok(());
    }
    repo::lock_user(conn, user_id).await?;
    for (max, window) in windows {
        let since = now - window;
        let (count, oldest) = repo::recent(conn, what, user_id, since, i64::from(max)).await?;
        if count >= i64::from(max) {
            let oldest = oldest.unwrap_or(now);
            let retry_after_secs = ((oldest + window - now).max(1000) as u64).div_ceil(1000);
            return Err(AppError::RateLimited { retry_after_secs });
        }
    }
    Ok(())
}
