//! Q&A (问答): posts asked as questions, the accepted answer, and bounties.
//!
//! A bounty is held from the asker's points when the question is posted
//! (409 `insufficient_points` rather than below zero), in the same
//! transaction; accepting an answer pays it to the answer's author (the
//! assistant's answers return it to the asker); staff may undo an accepted
//! answer, which takes the bounty back into escrow (409 when the answerer
//! has spent it); at the deadline a job settles whatever is still held —
//! back to the asker, or to the best-rated answer. Every movement is a
//! points ledger row and rides on its activity event, so a recompute of the
//! ledger moves it again. Each question's changes happen under a lock on
//! its row: racing accepts pay once.

use yaji_domain::activity::{AnswerDecision, BountySettled, Event, Kind, QuestionAsked, Subject};
use yaji_domain::error::invalid;
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_domain::qa::{self as domain, Acceptance, Fallback, QuestionDef, Refusal};
use yaji_store::repo::content as content_repo;
use yaji_store::repo::qa as repo;
use yaji_store::repo::user::ASSISTANT_USERNAME;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::platform::context::Ctx;
use crate::platform::events::{finish, record_event, Recorded};
use crate::platform::jobs::{enqueue, Job};
use crate::platform::notifications::notify;
use crate::points::{BOUNTY_HOLD, BOUNTY_PAID, BOUNTY_RETURNED, BOUNTY_REVERSED};
use crate::views::PostView;
use crate::{now, App, AppError, AppResult};

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

/// The subscriber: notes when a question got its first answer from someone
/// other than the asker (for "time to first answer").
pub(crate) async fn on_event(conn: &mut Conn, r: &Recorded<'_>, now: i64) -> AppResult<()> {
    if r.event.kind != Kind::CommentCreated {
        return Ok(());
    }
    let Subject::Comment(id) = r.event.subject else { return Ok(()) };
    let Some(c) = content_repo::comment(conn, id).await? else { return Ok(()) };
    if let Some(q) = repo::get(conn, c.post_id).await? {
        if q.first_answer_at.is_none() && q.asker_id != c.author_id {
            repo::note_answer(conn, c.post_id, now).await?;
        }
    }
    Ok(())
}

fn refused(r: Refusal) -> AppError {
    match r {
        Refusal::AlreadyAccepted => {
            AppError::conflict("already_accepted", None, "another answer is accepted; staff can undo that first")
        }
        Refusal::OwnComment => invalid("comment", "own_answer", "your own comment cannot answer your question").into(),
        Refusal::NotAsker => AppError::forbidden("insufficient_role", "only the asker and staff accept an answer"),
        Refusal::NotVisible => AppError::conflict("not_visible", None, "this comment is held or removed"),
    }
}

/// A comment and its question, locked, with the community's context for `viewer`.
async fn load(
    conn: &mut Conn,
    comment_id: i64,
    viewer: Viewer,
) -> AppResult<(content_repo::CommentRow, repo::QuestionRow, Ctx)> {
    let c = content_repo::comment(conn, comment_id)
        .await?
        .filter(|c| c.deleted_at.is_none())
        .ok_or(AppError::NotFound("comment"))?;
    let ctx = Ctx::load_id(conn, c.community_id, Some(viewer)).await?;
    ctx.allow(Action::ReadContent)?;
    let q = repo::lock(conn, c.post_id)
        .await?
        .ok_or_else(|| AppError::conflict("not_a_question", None, "this comment's post is not a question"))?;
    Ok((c, q, ctx))
}

impl App {
    /// Accepts a comment as the answer to its question (the asker, or
    /// staff). Pays what the bounty still holds to the answer's author.
    pub async fn accept_answer(&self, viewer: Viewer, comment_id: i64) -> AppResult<PostView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let (c, q, ctx) = load(tx.conn(), comment_id, viewer).await?;
        let by_asker = viewer.id == q.asker_id;
        ctx.allow(Action::AcceptAnswer { asker: by_asker })?;
        domain::may_accept(Acceptance {
            by_asker,
            by_staff: ctx.can(Action::AcceptAnswer { asker: false }),
            comment_by_asker: c.author_id == q.asker_id,
            comment_visible: c.moderation.as_str() == "visible",
            accepted: q.accepted_comment_id,
        })
        .map_err(refused)?;
        let automatic = c.author_username == ASSISTANT_USERNAME;
        let bounty_to = if automatic { q.asker_id } else { c.author_id };
        let bounty = q.held;
        if bounty > 0 {
            let rule = if automatic { BOUNTY_RETURNED } else { BOUNTY_PAID };
            crate::points::credit(tx.conn(), &ctx.c, bounty_to, bounty, rule, now).await?;
        }
        repo::set_accepted(tx.conn(), q.post_id, Some((comment_id, viewer.id, now)), 0).await?;
        repo::set_paid(tx.conn(), q.post_id, bounty, bounty_to).await?;
        if !automatic {
            let detail = serde_json::json!({
                "community": ctx.c.name, "post_id": q.post_id, "comment_id": comment_id, "bounty": bounty,
                "message": if bounty > 0 { format!("+{bounty}") } else { String::new() },
            });
            notify(tx.conn(), c.author_id, Some(ctx.c.id), NotificationKind::AnswerAccepted, &detail, now).await?;
        }
        let payload = AnswerDecision {
            post_id: q.post_id,
            answerer_id: c.author_id,
            bounty,
            by_staff: !by_asker,
            automatic,
            bounty_to,
        };
        let ev =
            Event::of_kind(Kind::AnswerAccepted, Some(ctx.c.id), viewer.id, Subject::Comment(comment_id), &payload);
        finish(tx, ev, now).await?;
        Ok(self.post(Some(viewer), q.post_id).await?.post)
    }

    /// Staff take back an accepted answer: its points, and the bounty into
    /// escrow again (409 `insufficient_points` when the answerer spent it).
    /// A bounty past its deadline settles again at once.
    pub async fn unaccept_answer(&self, viewer: Viewer, comment_id: i64) -> AppResult<PostView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let (c, q, ctx) = load(tx.conn(), comment_id, viewer).await?;
        ctx.allow(Action::UndoAcceptedAnswer)?;
        if q.accepted_comment_id != Some(comment_id) {
            return Err(AppError::conflict("not_accepted", None, "this comment is not the accepted answer"));
        }
        let (paid, paid_to) = (q.paid, q.paid_to.unwrap_or(c.author_id));
        if paid > 0 {
            crate::points::spend(tx.conn(), &ctx.c, paid_to, paid, BOUNTY_REVERSED, now).await?;
        }
        repo::set_accepted(tx.conn(), q.post_id, None, paid).await?;
        repo::set_paid(tx.conn(), q.post_id, 0, paid_to).await?;
        if paid > 0 {
            if let Some(deadline) = q.deadline {
                let at = deadline.max(now);
                enqueue(tx.conn(), Job::BountyExpiry { community_id: ctx.c.id, post_id: q.post_id, at }, now).await?;
            }
        }
        let payload = AnswerDecision {
            post_id: q.post_id,
            answerer_id: c.author_id,
            bounty: paid,
            by_staff: true,
            automatic: c.author_username == ASSISTANT_USERNAME,
            bounty_to: paid_to,
        };
        let ev =
            Event::of_kind(Kind::AnswerUnaccepted, Some(ctx.c.id), viewer.id, Subject::Comment(comment_id), &payload);
        finish(tx, ev, now).await?;
        self.wake_workers();
        Ok(self.post(Some(viewer), q.post_id).await?.post)
    }

    /// The job at a bounty's deadline: whatever the escrow still holds goes
    /// back to the asker, or to the best-rated answer as the asker chose.
    pub(crate) async fn bounty_expiry_job(&self, conn: &mut Conn, post_id: i64) -> AppResult<String> {
        let now = now();
        let Some(q) = repo::lock(conn, post_id).await? else { return Ok("skipped: gone".into()) };
        if q.held <= 0 || q.accepted_comment_id.is_some() {
            return Ok("skipped: nothing held".into());
        }
        if q.deadline.is_some_and(|d| d > now) {
            return Ok("skipped: not due".into());
        }
        let ctx = Ctx::load_id(conn, q.community_id, None).await?;
        let assistant = yaji_store::repo::user::assistant(conn, now).await?;
        let answers: Vec<domain::Answer> = repo::answers(conn, post_id)
            .await?
            .into_iter()
            .filter(|(_, author, _, _)| *author != assistant)
            .map(|(comment_id, author_id, reactions, created_at)| domain::Answer {
                comment_id,
                author_id,
                reactions,
                created_at,
            })
            .collect();
        let fallback = Fallback::parse("fallback", &q.fallback).unwrap_or_default();
        let (to, comment_id) = domain::settle(fallback, q.asker_id, &answers);
        let rule = if comment_id.is_some() { BOUNTY_PAID } else { BOUNTY_RETURNED };
        crate::points::credit(conn, &ctx.c, to, q.held, rule, now).await?;
        repo::settle(conn, post_id, now).await?;
        let detail = serde_json::json!({
            "community": ctx.c.name, "post_id": post_id, "bounty": q.held,
            "message": format!("{} · +{}", if comment_id.is_some() { "best answer" } else { "returned" }, q.held),
        });
        notify(conn, to, Some(ctx.c.id), NotificationKind::BountySettled, &detail, now).await?;
        let payload = BountySettled { to_user_id: to, amount: q.held, comment_id };
        record_event(conn, &Event::of(Some(ctx.c.id), None, Subject::Post(post_id), &payload), now).await?;
        Ok(format!("settled {} to user {to}", q.held))
    }
}
