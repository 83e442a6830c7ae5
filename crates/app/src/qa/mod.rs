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

use serde::Serialize;
use utoipa::ToSchema;
use yaji_domain::activity::{AnswerDecision, BountySettled, Event, Kind, Subject};
use yaji_domain::error::invalid;
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_domain::qa::{self as domain, Acceptance, Fallback, Refusal};
use yaji_store::repo::content as content_repo;
use yaji_store::repo::qa as repo;
use yaji_store::repo::user::ASSISTANT_USERNAME;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::faq::{FaqEntryView, FaqInput};
use crate::platform::context::Ctx;
use crate::platform::events::{finish, record_event, Recorded};
use crate::platform::jobs::{enqueue, Job};
use crate::platform::notifications::notify;
use crate::points::{BOUNTY_PAID, BOUNTY_RETURNED, BOUNTY_REVERSED};
use crate::views::PostView;

pub(crate) mod ask;
use crate::{now, App, AppError, AppResult};

/// Questions asked in one week (Monday, the community's time zone).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QaWeek {
    /// The week's Monday, `YYYY-MM-DD`.
    pub week: String,
    pub asked: i64,
    /// Of those, with an accepted answer now.
    pub answered: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopAnswerer {
    pub username: String,
    pub display_name: String,
    pub accepted: i64,
}

/// Q&A figures over the last `weeks` weeks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QaStats {
    pub weeks: Vec<QaWeek>,
    pub asked: i64,
    pub answered: i64,
    /// Answered / asked, in percent; none before any question.
    pub answered_rate: Option<i64>,
    /// Median minutes from asking to the first answer by someone else, and to the accepted one.
    pub median_first_answer_minutes: Option<i64>,
    pub median_accepted_minutes: Option<i64>,
    pub top_answerers: Vec<TopAnswerer>,
}

/// The median of some minutes (the lower middle for an even count).
fn median(mut v: Vec<i64>) -> Option<i64> {
    v.sort_unstable();
    (!v.is_empty()).then(|| v[(v.len() - 1) / 2])
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
    /// Q&A over the last `weeks` weeks (1-52, default 12), for those who read analytics.
    pub async fn qa_stats(&self, viewer: Viewer, slug: &str, weeks: Option<i64>) -> AppResult<QaStats> {
        let weeks = weeks.unwrap_or(12);
        if !(1..=52).contains(&weeks) {
            return Err(invalid("weeks", "out_of_range", "1 to 52 weeks").into());
        }
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::ViewAnalytics)?;
        let tz = ctx.tz();
        let now = now();
        let today = yaji_domain::time::local(now, tz).date();
        let monday = today - chrono::Days::new(u64::from(chrono::Datelike::weekday(&today).num_days_from_monday()));
        let first = monday - chrono::Days::new(7 * (weeks as u64 - 1));
        let since = yaji_domain::time::at_local("weeks", first.and_hms_opt(0, 0, 0).unwrap_or_default(), tz)?;
        let rows = repo::timings(&mut c, ctx.c.id, since).await?;
        let mut out: Vec<QaWeek> = (0..weeks)
            .map(|i| QaWeek { week: (first + chrono::Days::new(7 * i as u64)).to_string(), asked: 0, answered: 0 })
            .collect();
        let (mut first_answers, mut accepts) = (vec![], vec![]);
        for (asked_at, first_at, accepted_at) in &rows {
            let day = yaji_domain::time::local(*asked_at, tz).date();
            let i = ((day - first).num_days() / 7).clamp(0, weeks - 1) as usize;
            out[i].asked += 1;
            if accepted_at.is_some() {
                out[i].answered += 1;
            }
            first_answers.extend(first_at.map(|t| (t - asked_at) / 60_000));
            accepts.extend(accepted_at.map(|t| (t - asked_at) / 60_000));
        }
        let (asked, answered) = (rows.len() as i64, accepts.len() as i64);
        let top_answerers = repo::top_answerers(&mut c, ctx.c.id, since, 10)
            .await?
            .into_iter()
            .map(|(username, display_name, accepted)| TopAnswerer { username, display_name, accepted })
            .collect();
        Ok(QaStats {
            weeks: out,
            asked,
            answered,
            answered_rate: (asked > 0).then(|| answered * 100 / asked),
            median_first_answer_minutes: median(first_answers),
            median_accepted_minutes: median(accepts),
            top_answerers,
        })
    }

    /// Turns a question and its accepted answer into an FAQ entry (the
    /// assistant answers it from then on); admins, as for any FAQ entry.
    pub async fn faq_from_answer(&self, viewer: Viewer, post_id: i64) -> AppResult<FaqEntryView> {
        let (slug, input) = {
            let mut c = self.db.read().await?;
            let q = repo::get(&mut c, post_id)
                .await?
                .ok_or_else(|| AppError::conflict("not_a_question", None, "this post is not a question"))?;
            let accepted = q
                .accepted_comment_id
                .ok_or_else(|| AppError::conflict("not_answered", None, "accept an answer first"))?;
            let post = content_repo::post(&mut c, post_id).await?.ok_or(AppError::NotFound("post"))?;
            let answer = content_repo::comment(&mut c, accepted).await?.ok_or(AppError::NotFound("comment"))?;
            let ctx = Ctx::load_id(&mut c, post.community_id, Some(viewer)).await?;
            let question = post.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or(post.excerpt.clone());
            (ctx.c.slug.clone(), FaqInput { questions: vec![question], answer: answer.body })
        };
        self.create_faq_entry(viewer, &slug, &input).await
    }

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
