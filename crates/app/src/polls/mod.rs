//! Polls inside posts: members vote once (changing their vote until the
//! close); a ballot is one row per member and poll, so racing votes never
//! count twice; the counts show as the author chose (always, after voting,
//! after the close); ranked polls show the instant-runoff rounds; public
//! polls list who picked what, anonymous ones never do.

use serde::Serialize;
use utoipa::ToSchema;
use yaji_domain::activity::{Event, Kind, PollVoted, Subject};
use yaji_domain::permission::Action;
use yaji_domain::polls::{self as domain, PollDef, PollKind};
use yaji_store::repo::content as content_repo;
use yaji_store::repo::polls as repo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::platform::context::Ctx;
use crate::platform::events::finish;
use crate::{now, rfc3339, App, AppError, AppResult};

pub(crate) mod create;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PollOption {
    /// The option's id (its position, from 0): what a ballot names.
    pub id: i64,
    pub text: String,
    /// Votes (first preferences for a ranked poll); absent while results are hidden.
    pub votes: Option<i64>,
    /// Public polls, results visible: who picked it.
    pub voters: Vec<String>,
    /// Where the viewer's ballot has it: 1 for their first pick; absent if not picked.
    pub my_rank: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunoffRound {
    /// Votes of each option still running (by option id; null once out).
    pub counts: Vec<Option<i64>>,
    pub eliminated: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PollView {
    pub post_id: i64,
    pub question: String,
    /// single, multiple, ranked or scale
    pub kind: String,
    pub max_choices: i64,
    pub anonymous: bool,
    /// always, after_vote or after_close
    pub results: String,
    pub closes_at: Option<String>,
    pub closed: bool,
    pub options: Vec<PollOption>,
    /// How many voted; absent while results are hidden.
    pub voters: Option<i64>,
    pub results_visible: bool,
    /// The viewer's ballot (option ids, in order for a ranked poll).
    pub my_vote: Option<Vec<i64>>,
    /// Ranked polls, results visible: the runoff's rounds and winner.
    pub rounds: Vec<RunoffRound>,
    pub winner: Option<i64>,
    pub can_vote: bool,
}

fn def_of(row: &repo::PollRow) -> AppResult<PollDef> {
    serde_json::from_str(&row.def).map_err(|e| AppError::Internal(format!("poll {}: {e}", row.post_id)))
}

fn picks_of(s: &str) -> Vec<usize> {
    serde_json::from_str(s).unwrap_or_default()
}

/// The poll and the post's context, for `viewer`, who must be able to read the post.
async fn load(conn: &mut Conn, post_id: i64, viewer: Option<Viewer>) -> AppResult<(repo::PollRow, PollDef, Ctx, i64)> {
    let row = repo::get(conn, post_id).await?.ok_or(AppError::NotFound("poll"))?;
    let post = content_repo::post(conn, post_id)
        .await?
        .filter(|p| p.deleted_at.is_none() && p.moderation.as_str() == "visible")
        .ok_or(AppError::NotFound("post"))?;
    let ctx = Ctx::load_id(conn, row.community_id, viewer).await?;
    ctx.allow(Action::ReadContent)?;
    crate::topic_access::allow_read(conn, &ctx, post.topic_id).await?;
    let def = def_of(&row)?;
    Ok((row, def, ctx, post.author_id))
}

async fn view(
    conn: &mut Conn,
    (row, def, ctx, author): (&repo::PollRow, &PollDef, &Ctx, i64),
    viewer: Option<Viewer>,
    now: i64,
) -> AppResult<PollView> {
    let ballots = repo::ballots(conn, row.post_id).await?;
    let closed = row.closes_at.is_some_and(|c| c <= now);
    let mine = viewer.and_then(|v| ballots.iter().find(|b| b.0 == v.id)).map(|b| picks_of(&b.3));
    let staff = ctx.can(Action::Moderate) || viewer.is_some_and(|v| v.id == author);
    let visible = domain::results_visible(def.reveal, mine.is_some(), closed, staff);
    let picks: Vec<Vec<usize>> = ballots.iter().map(|b| picks_of(&b.3)).collect();
    let counts = domain::tally(def.options.len(), def.kind, &picks);
    let (rounds, winner) = if visible && def.kind == PollKind::Ranked {
        domain::instant_runoff(def.options.len(), &picks)
    } else {
        (vec![], None)
    };
    let options = def
        .options
        .iter()
        .enumerate()
        .map(|(i, text)| PollOption {
            id: i as i64,
            text: text.clone(),
            votes: visible.then_some(counts[i]),
            voters: if visible && !def.anonymous {
                // A ranked ballot names its voter under its first preference only.
                let counts_for =
                    |p: &[usize]| if def.kind == PollKind::Ranked { p.first() == Some(&i) } else { p.contains(&i) };
                ballots.iter().filter(|b| counts_for(&picks_of(&b.3))).map(|b| b.1.clone()).collect()
            } else {
                vec![]
            },
            my_rank: mine.as_ref().and_then(|m| m.iter().position(|p| *p == i)).map(|r| r as i64 + 1),
        })
        .collect();
    Ok(PollView {
        post_id: row.post_id,
        question: def.question.clone(),
        kind: serde_json::to_value(def.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        max_choices: def.max_choices,
        anonymous: def.anonymous,
        results: serde_json::to_value(def.reveal).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        closes_at: row.closes_at.map(rfc3339),
        closed,
        options,
        voters: visible.then_some(ballots.len() as i64),
        results_visible: visible,
        my_vote: mine.map(|m| m.into_iter().map(|p| p as i64).collect()),
        rounds: rounds
            .into_iter()
            .map(|r| RunoffRound { counts: r.counts, eliminated: r.eliminated.map(|e| e as i64) })
            .collect(),
        winner: winner.map(|w| w as i64),
        can_vote: !closed && viewer.is_some() && ctx.can(Action::Vote),
    })
}

impl App {
    /// Closes a poll now (its author or staff): no more votes, results for everyone.
    pub async fn close_poll_now(&self, viewer: Viewer, post_id: i64) -> AppResult<PollView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let (row, def, ctx, author) = load(tx.conn(), post_id, Some(viewer)).await?;
        if viewer.id != author {
            ctx.allow(Action::Moderate)?;
        }
        if row.closes_at.is_none_or(|c| c > now) {
            repo::close(tx.conn(), post_id, now).await?;
            finish(tx, Event::new(Kind::PollClosed, Some(ctx.c.id), viewer.id, Subject::Post(post_id)), now).await?;
        } else {
            tx.commit().await?;
        }
        let row = repo::PollRow { closes_at: Some(row.closes_at.map_or(now, |c| c.min(now))), ..row };
        let mut c = self.db.read().await?;
        view(&mut c, (&row, &def, &ctx, author), Some(viewer), now).await
    }

    /// A post's poll as `viewer` may see it (counts only when visible to them).
    pub async fn poll(&self, viewer: Option<Viewer>, post_id: i64) -> AppResult<PollView> {
        let mut c = self.db.read().await?;
        let (row, def, ctx, author) = load(&mut c, post_id, viewer).await?;
        view(&mut c, (&row, &def, &ctx, author), viewer, now()).await
    }

    /// Votes (or changes one's vote) until the close: option ids, in order
    /// of preference for a ranked poll. Members only (muted members too: a
    /// vote is not speech).
    pub async fn vote_in_poll(&self, viewer: Viewer, post_id: i64, option_ids: &[i64]) -> AppResult<PollView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let (row, def, ctx, author) = load(tx.conn(), post_id, Some(viewer)).await?;
        ctx.allow(Action::Vote)?;
        if row.closes_at.is_some_and(|c| c <= now) {
            return Err(AppError::conflict("poll_closed", None, "the poll has closed"));
        }
        let picks: Vec<usize> = option_ids.iter().map(|i| usize::try_from(*i).unwrap_or(usize::MAX)).collect();
        domain::check_ballot(&def, &picks)?;
        let json = serde_json::to_string(&picks).map_err(|e| AppError::Internal(e.to_string()))?;
        let first = repo::vote(tx.conn(), post_id, viewer.id, &json, now).await?;
        let actor = (!def.anonymous).then_some(viewer.id);
        let ev = Event {
            actor_id: actor,
            ..Event::of(Some(ctx.c.id), None, Subject::Post(post_id), &PollVoted { changed: !first })
        };
        finish(tx, ev, now).await?;
        let mut c = self.db.read().await?;
        view(&mut c, (&row, &def, &ctx, author), Some(viewer), now).await
    }
}
