//! Member-voted awards: staff open a vote among nominees ("本月最佳嘉宾"),
//! members vote once (and may change their vote) until it closes, and the
//! tally is shown only after the close.

use serde::Serialize;
use utoipa::ToSchema;
use yaji_domain::activity::{AwardOpened, AwardVoted, Event, Subject};
use yaji_domain::awards;
use yaji_domain::error::invalid;
use yaji_domain::permission::Action;
use yaji_store::repo::awards as repo;

use crate::accounts::Viewer;
use crate::platform::context::Ctx;
use crate::platform::events::finish;
use crate::views::PersonView;
use crate::{now, rfc3339, App, AppError, AppResult};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Nominee {
    pub member: PersonView,
    /// Votes, only once the vote has closed.
    pub votes: Option<i64>,
    /// Among the most voted, once closed.
    pub winner: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AwardView {
    pub id: i64,
    pub title: String,
    pub closes_at: String,
    pub open: bool,
    /// Members who voted so far.
    pub voters: i64,
    pub nominees: Vec<Nominee>,
    /// The viewer's vote (a username), if any.
    pub my_vote: Option<String>,
}

/// Awards a community page lists.
const LIST: i64 = 20;

fn person(r: &repo::NomineeRow) -> PersonView {
    PersonView { id: r.0, username: r.1.clone(), display_name: r.2.clone(), avatar_url: r.3.clone(), level: None }
}

async fn view(
    conn: &mut yaji_store::Conn,
    a: repo::AwardRow,
    viewer: Option<Viewer>,
    now: i64,
) -> AppResult<AwardView> {
    let rows = repo::nominees(conn, a.id).await?;
    let open = awards::is_open(a.closes_at, now);
    let winners = if open { vec![] } else { awards::winners(&rows.iter().map(|r| (r.0, r.4)).collect::<Vec<_>>()) };
    let mine = match viewer {
        Some(v) => repo::my_vote(conn, a.id, v.id).await?,
        None => None,
    };
    let my_vote = mine.and_then(|id| rows.iter().find(|r| r.0 == id)).map(|r| r.1.clone());
    let nominees = rows
        .iter()
        .map(|r| Nominee { member: person(r), votes: (!open).then_some(r.4), winner: winners.contains(&r.0) })
        .collect();
    Ok(AwardView {
        id: a.id,
        title: a.title,
        closes_at: rfc3339(a.closes_at),
        open,
        voters: a.voters,
        nominees,
        my_vote,
    })
}

impl App {
    /// Opens a vote (moderators and up): a title, 2-12 nominees (members by
    /// username) and a local close time in the community's time zone.
    pub async fn open_award(
        &self,
        viewer: Viewer,
        slug: &str,
        title: &str,
        nominees: &[String],
        closes_at: &str,
    ) -> AppResult<AwardView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManageAwards)?;
        let tz = ctx.c.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
        let d = awards::draft(title, nominees, closes_at, tz, now)?;
        let mut ids = vec![];
        for name in &d.nominees {
            let u = ctx.member_named(tx.conn(), name).await.map_err(|_| {
                AppError::from(invalid("nominees", "not_a_member", format!("{name} is not a member of this community")))
            })?;
            ids.push(u.id);
        }
        let id = repo::insert(tx.conn(), ctx.c.id, &d.title, d.closes_at, viewer.id, now).await?;
        for (i, u) in ids.iter().enumerate() {
            repo::add_nominee(tx.conn(), id, *u, i as i64).await?;
        }
        let payload = AwardOpened { award_id: id, title: d.title.clone(), nominees: ids, closes_at: d.closes_at };
        finish(tx, Event::of(Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id), &payload), now).await?;
        self.award(Some(viewer), slug, id).await
    }

    /// The community's awards, newest first.
    pub async fn awards(&self, viewer: Option<Viewer>, slug: &str) -> AppResult<Vec<AwardView>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, viewer).await?;
        ctx.allow(Action::ReadContent)?;
        let now = now();
        let mut out = vec![];
        for a in repo::list(&mut c, ctx.c.id, LIST).await? {
            out.push(view(&mut c, a, viewer, now).await?);
        }
        Ok(out)
    }

    pub async fn award(&self, viewer: Option<Viewer>, slug: &str, id: i64) -> AppResult<AwardView> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, viewer).await?;
        ctx.allow(Action::ReadContent)?;
        let a = repo::get(&mut c, ctx.c.id, id).await?.ok_or(AppError::NotFound("award"))?;
        view(&mut c, a, viewer, now()).await
    }

    /// Votes for a nominee, or changes the vote, while the vote is open.
    pub async fn vote(&self, viewer: Viewer, slug: &str, id: i64, nominee: &str) -> AppResult<AwardView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::Vote)?;
        let a = repo::get(tx.conn(), ctx.c.id, id).await?.ok_or(AppError::NotFound("award"))?;
        if !awards::is_open(a.closes_at, now) {
            return Err(AppError::conflict("award_closed", None, "voting has closed"));
        }
        let rows = repo::nominees(tx.conn(), a.id).await?;
        let n = nominee.trim().trim_start_matches('@');
        let Some(to) = rows.iter().find(|r| r.1 == n) else {
            return Err(invalid("nominee", "not_nominated", format!("{n} is not a nominee")).into());
        };
        repo::vote(tx.conn(), a.id, viewer.id, to.0, now).await?;
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::User(to.0), &AwardVoted { award_id: a.id });
        finish(tx, ev, now).await?;
        self.award(Some(viewer), slug, id).await
    }
}
