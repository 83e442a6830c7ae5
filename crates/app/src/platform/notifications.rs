//! Sending a notification: one row in the member's inbox, which the mailer
//! later turns into email by the member's choice (the notifications capability).
//! Kinds, titles and default email modes are `NotificationKind`'s.

use yaji_domain::notification::NotificationKind;
use yaji_store::repo::notifications as repo;
use yaji_store::Conn;

use crate::AppResult;

/// Notifies `user_id` in the caller's transaction. `detail` is what the inbox
/// and the email show (who, an excerpt, a reason, the post it is about).
pub(crate) async fn notify(
    conn: &mut Conn,
    user_id: i64,
    community_id: Option<i64>,
    kind: NotificationKind,
    detail: &serde_json::Value,
    now: i64,
) -> AppResult<()> {
    let note = serde_json::json!({"kind": kind.as_str(), "detail": detail}).to_string();
    repo::notify(conn, user_id, community_id, kind.as_str(), &note, now).await?;
    Ok(())
}
