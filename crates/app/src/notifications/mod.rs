//! Notifications: the member's inbox, @mentions and replies (sent by the
//! subscriber [`on_event`] in the transaction of the post or comment), and
//! email delivery of the inbox (`email`). Other capabilities send theirs
//! through `platform::notifications::notify`.

pub mod email;

use serde::Serialize;
use utoipa::ToSchema;
use yaji_domain::activity::{CommentCreated, Kind, PostCreated, Subject};
use yaji_domain::notification::NotificationKind;
use yaji_store::repo::community as crepo;
use yaji_store::repo::notifications as repo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::platform::events::Recorded;
use crate::platform::notifications::notify;
use crate::{now, rfc3339, App, AppResult};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    pub kind: String,
    pub community_slug: Option<String>,
    pub community_name: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub created_at: String,
    pub read: bool,
}

impl App {
    pub async fn notifications(&self, viewer: Viewer) -> AppResult<Vec<NotificationView>> {
        let mut c = self.db.read().await?;
        Ok(repo::notifications(&mut c, viewer.id, 100)
            .await?
            .into_iter()
            .map(|n| NotificationView {
                id: n.id,
                kind: n.kind,
                community_slug: n.community_slug,
                community_name: n.community_name,
                detail: serde_json::from_str::<serde_json::Value>(&n.payload)
                    .map(|v| v["detail"].clone())
                    .unwrap_or_default(),
                created_at: rfc3339(n.created_at),
                read: n.read_at.is_some(),
            })
            .collect())
    }

    /// Marks every notification read. Not an activity: reading changes nothing others see.
    pub async fn mark_notifications_read(&self, viewer: Viewer) -> AppResult<u64> {
        self.mark_read_through(viewer, i64::MAX).await
    }

    /// The inbox as a person opens it: the list (unread ones still marked
    /// unread, so the page can highlight them), and everything shown becomes
    /// read. One arriving meanwhile stays unread.
    pub async fn open_inbox(&self, viewer: Viewer) -> AppResult<Vec<NotificationView>> {
        let items = self.notifications(viewer).await?;
        if let Some(newest) = items.iter().filter(|n| !n.read).map(|n| n.id).max() {
            self.mark_read_through(viewer, newest).await?;
        }
        Ok(items)
    }

    async fn mark_read_through(&self, viewer: Viewer, through_id: i64) -> AppResult<u64> {
        let mut tx = self.db.write().await?;
        let n = repo::mark_notifications_read(tx.conn(), viewer.id, through_id, now()).await?;
        tx.commit().await?;
        Ok(n)
    }

    pub async fn unread_notifications(&self, viewer: Viewer) -> AppResult<i64> {
        let mut c = self.db.read().await?;
        Ok(repo::unread_count(&mut c, viewer.id).await?)
    }
}

/// Subscriber: a visible post or comment notifies the members it @mentions,
/// and a comment the post's author and, in a thread, the author of the
/// comment it replies to (a reply). Only members' own writes carry
/// the text (the assistant's posts mention no one).
pub(crate) async fn on_event(conn: &mut Conn, r: &Recorded<'_>, now: i64) -> AppResult<()> {
    let (Some(ctx), Some(text), Some(actor)) = (r.facts.ctx, r.facts.text, r.event.actor_id) else {
        return Ok(());
    };
    let cid = ctx.c.id;
    let by = r.facts.by.unwrap_or_default();
    let excerpt = r.facts.excerpt.unwrap_or_default();
    // Who already heard of this one (a reply), so an @mention of them is not a second notice.
    let mut told: Vec<i64> = Vec::new();
    let detail = match (r.event.kind, r.event.subject) {
        (Kind::PostCreated, Subject::Post(id)) if r.event.payload::<PostCreated>().is_some_and(|p| p.is_visible()) => {
            serde_json::json!({"post_id": id, "by": by, "excerpt": excerpt})
        }
        (Kind::CommentCreated, Subject::Comment(id)) => {
            let Some(p) = r.event.payload::<CommentCreated>().filter(CommentCreated::is_visible) else {
                return Ok(());
            };
            let detail = serde_json::json!({"post_id": p.post_id, "comment_id": id, "by": by, "excerpt": excerpt});
            // The post's author, and in a thread the author of the comment replied to.
            for author in [p.post_author_id, p.replied_to_author_id].into_iter().flatten() {
                if author != actor && !told.contains(&author) {
                    notify(conn, author, Some(cid), NotificationKind::Reply, &detail, now).await?;
                    told.push(author);
                }
            }
            detail
        }
        _ => return Ok(()),
    };
    let names = mentions(text);
    if names.is_empty() {
        return Ok(());
    }
    for uid in repo::members_named(conn, cid, &names).await? {
        if uid != actor && !told.contains(&uid) {
            notify(conn, uid, Some(cid), NotificationKind::Mention, &detail, now).await?;
        }
    }
    Ok(())
}

/// `@username` mentions in a text (at most 10, distinct, in order).
pub fn mentions(text: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    let b = text.as_bytes();
    for (i, _) in text.match_indices(['@', '＠']) {
        let start = i + if b[i] == b'@' { 1 } else { '＠'.len_utf8() };
        let prev_ok = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let name: String =
            text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')).collect();
        let name = name.trim_end_matches('.').to_lowercase();
        if prev_ok && (3..=32).contains(&name.len()) && !out.contains(&name) {
            out.push(name);
        }
        if out.len() == 10 {
            break;
        }
    }
    out
}

/// Job: tells every active member but the publisher that the rules changed,
/// with a link to them and whether they must accept the new version. A
/// version superseded before the job ran is left to its successor's notice.
pub(crate) async fn rules_notice_job(
    conn: &mut Conn,
    community_id: i64,
    version: i64,
    publisher: i64,
) -> AppResult<String> {
    let Some(c) = crepo::by_id(conn, community_id).await? else { return Ok("skipped: no community".into()) };
    if c.rules_version != version {
        return Ok(format!("skipped: version {} is current", c.rules_version));
    }
    let detail = serde_json::json!({
        "community": c.name, "rules_link": format!("/c/{}/rules", c.slug), "version": version,
        "required": c.rules_required_version >= version,
    });
    let members = crepo::active_member_ids(conn, community_id, publisher).await?;
    for m in &members {
        notify(conn, *m, Some(community_id), NotificationKind::RulesChanged, &detail, crate::now()).await?;
    }
    Ok(format!("sent to {}", members.len()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_mentions_but_not_emails() {
        assert_eq!(super::mentions("hi @alice and ＠Bob_2, mail me@example.com, @al"), ["alice", "bob_2"]);
    }
}
