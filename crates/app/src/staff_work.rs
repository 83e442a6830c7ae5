//! What waits for staff (the counts behind the staff menu and the bell). A leaf
//! module so the per-generation cache can hold it without importing use cases.

use serde::Serialize;
use utoipa::ToSchema;

/// Work waiting for the viewer as staff (`CommunityView.pending`, absent for
/// members and on lists): the counts behind the staff menu's badges, each
/// counted up to [`PendingWork::MAX`].
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct PendingWork {
    /// Pending join requests (0 when the viewer cannot review them).
    pub join_requests: i64,
    /// Posts, comments and members waiting in the review queue (0 when the viewer does not moderate).
    pub review_queue: i64,
}

impl PendingWork {
    /// Counting stops here; pages show "99+".
    pub const MAX: i64 = 100;
}

/// Work waiting in one community the viewer helps run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffWork {
    pub slug: String,
    pub name: String,
    pub pending: PendingWork,
}

impl StaffWork {
    pub fn total(&self) -> i64 {
        self.pending.join_requests + self.pending.review_queue
    }
}
