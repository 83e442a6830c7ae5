//! The gatherings' background work: reminders before the start (once per
//! registration and offset, claimed in `event_reminders` in the job's own
//! transaction, so a worker killed half-way sends nothing twice), and after
//! the end the no-shows and the feedback request; and the feedback itself.

use yaji_domain::activity::{Event, FeedbackGiven, Kind, Subject};
use yaji_domain::gatherings::RegStatus;
use yaji_domain::notification::NotificationKind;
use yaji_store::repo::gatherings as repo;
use yaji_store::Conn;

use super::{load, local_label, moved};
use crate::accounts::Viewer;
use crate::platform::context::Ctx;
use crate::platform::events::{finish, record_event};
use crate::platform::notifications::notify;
use crate::{now, App, AppError, AppResult};

impl App {
    pub(crate) async fn event_reminder_job(
        &self,
        conn: &mut Conn,
        id: i64,
        minutes: i64,
        starts_at: i64,
    ) -> AppResult<String> {
        let now = now();
        let Some(row) = repo::get(conn, id).await? else { return Ok("skipped: gone".into()) };
        if row.canceled {
            return Ok("skipped: cancelled".into());
        }
        if row.starts_at != starts_at {
            return Ok("skipped: moved".into());
        }
        if now >= row.starts_at {
            return Ok("skipped: started".into());
        }
        let ctx = Ctx::load_id(conn, row.community_id, None).await?;
        let mut sent = 0;
        for r in repo::regs(conn, id).await? {
            if r.status != RegStatus::Registered.as_str() {
                continue;
            }
            if repo::claim_reminder(conn, r.id, minutes, now).await? {
                let detail = serde_json::json!({
                    "title": row.title, "community": ctx.c.name,
                    "starts": local_label(row.starts_at, ctx.tz()), "link": format!("/events/{id}"),
                });
                notify(conn, r.user_id, Some(row.community_id), NotificationKind::EventReminder, &detail, now).await?;
                sent += 1;
            }
        }
        Ok(format!("reminded {sent}"))
    }

    pub(crate) async fn event_close_job(&self, conn: &mut Conn, id: i64) -> AppResult<String> {
        let now = now();
        let Some(row) = repo::lock(conn, id).await? else { return Ok("skipped: gone".into()) };
        if row.canceled || now < row.ends_at {
            return Ok("skipped: not over".into());
        }
        if !repo::close(conn, id, now).await? {
            return Ok("skipped: closed already".into());
        }
        let mut no_shows = 0;
        for r in repo::regs(conn, id).await? {
            match r.status.as_str() {
                "registered" => {
                    repo::set_status(conn, r.id, RegStatus::NoShow.as_str(), now).await?;
                    repo::add_taken(conn, id, -yaji_domain::gatherings::seats(r.guests)).await?;
                    record_event(conn, &moved(Kind::NoShow, &row, r.user_id, &r, RegStatus::NoShow, false), now)
                        .await?;
                    no_shows += 1;
                }
                "attended" => {
                    let detail = serde_json::json!({"title": row.title, "link": format!("/events/{id}#feedback")});
                    notify(conn, r.user_id, Some(row.community_id), NotificationKind::EventFeedback, &detail, now)
                        .await?;
                }
                _ => {}
            }
        }
        Ok(format!("closed: {no_shows} no-shows"))
    }

    /// Moves a gathering `by` ms earlier (its window and reminders with it)
    /// and, once over, closes it as the end job would: the demo's past
    /// gatherings, registered and checked in while they were upcoming.
    pub(crate) async fn backdate_event(&self, id: i64, by: i64) -> AppResult<()> {
        let mut tx = self.db.write().await?;
        let row = repo::lock(tx.conn(), id).await?.ok_or(AppError::NotFound("event"))?;
        let mut def = super::def_of(&row)?;
        def.starts_at -= by;
        def.ends_at -= by;
        def.opens_at = def.opens_at.map(|t| t - by);
        def.closes_at = def.closes_at.map(|t| t - by);
        let json = serde_json::to_string(&def).map_err(|e| AppError::Internal(e.to_string()))?;
        repo::backdate(tx.conn(), id, by, &json).await?;
        if now() > def.ends_at {
            self.event_close_job(tx.conn(), id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// An attendee rates a gathering (1–5) with an optional comment; rating again replaces it.
    pub async fn give_feedback(&self, viewer: Viewer, id: i64, rating: i64, comment: &str) -> AppResult<()> {
        if !(1..=5).contains(&rating) {
            return Err(yaji_domain::error::invalid("rating", "out_of_range", "a rating is 1 to 5").into());
        }
        let comment = comment.trim();
        if comment.chars().count() > 2000 {
            return Err(yaji_domain::error::invalid("comment", "too_long", "at most 2000 characters").into());
        }
        let now = now();
        let mut tx = self.db.write().await?;
        let l = load(tx.conn(), id, Some(viewer)).await?;
        let r = repo::reg_of(tx.conn(), id, viewer.id).await?.ok_or(AppError::NotFound("registration"))?;
        if r.status != RegStatus::Attended.as_str() {
            return Err(AppError::forbidden("not_attended", "only people who came can rate a gathering"));
        }
        repo::set_feedback(tx.conn(), r.id, rating, comment, now).await?;
        let ev = Event::of(Some(l.ctx.c.id), viewer.id, Subject::Gathering(id), &FeedbackGiven { rating });
        finish(tx, ev, now).await
    }
}
