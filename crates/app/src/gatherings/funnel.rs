//! The path from visitor to regular to member — for a community's
//! gatherings, one gathering, or one format — and its visitor end: who
//! opened a gathering's page (once each; staff previews do not count) and
//! who saved it.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use yaji_domain::activity::{Event, EventBookmarked, Subject};
use yaji_domain::permission::Action;
use yaji_domain::DAY_MS;
use yaji_store::repo::gatherings::{self as repo, Scope};
use yaji_store::Conn;

use super::{load, loaded, view, EventView};
use crate::accounts::Viewer;
use crate::platform::context::Ctx;
use crate::platform::events::finish;
use crate::{now, App, AppError, AppResult};

/// Registrations that came through one kind of link (`?via=`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ViaCount {
    pub via: String,
    pub registrations: i64,
}

/// The path from visitor to regular, over a community's gatherings, one
/// gathering, or a format's gatherings.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct FunnelView {
    /// Distinct people (or browsers) who opened a gathering's page.
    pub visitors: i64,
    /// People who saved one.
    pub bookmarked: i64,
    /// People who registered.
    pub registered: i64,
    pub attended: i64,
    /// Attendees who came to another gathering of the community after
    /// (their first one here), and to two more.
    pub came_back: i64,
    pub third_time: i64,
    /// Attendees who were not members when they first registered here and are members now.
    pub joined: i64,
    /// Of attendees whose first gathering here is at least 30 (90) days ago,
    /// the percent who came to another within 30 (90) days.
    pub returned_30: Option<i64>,
    pub returned_90: Option<i64>,
    /// Registrations that came through a link with attribution.
    pub via_links: i64,
    /// The ten most common attributions.
    pub via: Vec<ViaCount>,
}

/// The funnel of `scope` in the community `community_id`.
pub(crate) async fn funnel(conn: &mut Conn, community_id: i64, scope: Scope, now: i64) -> AppResult<FunnelView> {
    let only: Option<HashSet<i64>> = match scope {
        Scope::Community(_) => None,
        _ => Some(repo::scope_events(conn, scope).await?.into_iter().collect()),
    };
    let here = |e: &i64| only.as_ref().is_none_or(|o| o.contains(e));
    // Every attendance in the community, in order; for each attendee here,
    // the times of their first gathering here and of all they came to after.
    let mut all: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for (user, event, at) in repo::attendances(conn, community_id).await? {
        all.entry(user).or_default().push((event, at));
    }
    let mut journeys: Vec<(i64, i64, Vec<i64>)> = vec![];
    for (user, times) in all {
        if let Some(i) = times.iter().position(|(e, _)| here(e)) {
            journeys.push((user, times[i].1, times[i + 1..].iter().map(|(_, at)| *at).collect()));
        }
    }
    let returned = |days: i64| {
        let window = days * DAY_MS;
        let old: Vec<_> = journeys.iter().filter(|(_, first, _)| first + window <= now).collect();
        (!old.is_empty()).then(|| {
            let back =
                old.iter().filter(|(_, first, later)| later.first().is_some_and(|t| t - first <= window)).count();
            back as i64 * 100 / old.len() as i64
        })
    };
    let attendees: HashSet<i64> = journeys.iter().map(|(u, _, _)| *u).collect();
    let registrants = repo::scope_registrants(conn, scope).await?;
    let mut joined = 0;
    for (user, first) in &registrants {
        if attendees.contains(user) && repo::member_since(conn, community_id, *user).await?.is_some_and(|s| s > *first)
        {
            joined += 1;
        }
    }
    let via_all = repo::scope_via(conn, scope).await?;
    let (visitors, bookmarked) = repo::visitors_and_bookmarks(conn, scope).await?;
    Ok(FunnelView {
        visitors,
        bookmarked,
        registered: registrants.len() as i64,
        attended: journeys.len() as i64,
        came_back: journeys.iter().filter(|(_, _, later)| !later.is_empty()).count() as i64,
        third_time: journeys.iter().filter(|(_, _, later)| later.len() >= 2).count() as i64,
        joined,
        returned_30: returned(30),
        returned_90: returned(90),
        via_links: via_all.iter().map(|(_, n)| n).sum(),
        via: via_all.into_iter().take(10).map(|(via, registrations)| ViaCount { via, registrations }).collect(),
    })
}

/// The key a visit is counted under: the member, or a hash of the
/// browser's random visitor cookie.
fn visitor_key(viewer: Option<Viewer>, cookie: Option<&str>) -> Option<String> {
    match (viewer, cookie.map(str::trim).filter(|c| (16..=64).contains(&c.len()))) {
        (Some(v), _) => Some(format!("u:{}", v.id)),
        (None, Some(c)) => Some(format!("c:{}", &hex::encode(Sha256::digest(c.as_bytes()))[..24])),
        (None, None) => None,
    }
}

impl App {
    /// Counts a visit to a gathering's page (the web page calls it): once
    /// per visitor, with the link's attribution; staff do not count.
    pub async fn count_visit(
        &self,
        viewer: Option<Viewer>,
        cookie: Option<&str>,
        id: i64,
        via: Option<&str>,
    ) -> AppResult<()> {
        let Some(key) = visitor_key(viewer, cookie) else { return Ok(()) };
        {
            let mut c = self.db.read().await?;
            let l = load(&mut c, id, viewer).await?;
            if l.can_manage() || repo::visited(&mut c, id, &key).await? {
                return Ok(());
            }
        }
        let via: Option<String> = via
            .map(|v| v.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').take(40).collect())
            .filter(|v: &String| !v.is_empty());
        let mut tx = self.db.write().await?;
        repo::add_visit(tx.conn(), id, (&key, viewer.map(|v| v.id), via.as_deref()), now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Saves a gathering for later (or un-saves it); anyone who may see it.
    pub async fn bookmark_event(&self, viewer: Viewer, id: i64, saved: bool) -> AppResult<EventView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let l = load(tx.conn(), id, Some(viewer)).await?;
        if repo::set_bookmark(tx.conn(), id, viewer.id, saved, now).await? {
            let ev = Event::of(Some(l.row.community_id), viewer.id, Subject::Gathering(id), &EventBookmarked { saved });
            finish(tx, ev, now).await?;
        } else {
            tx.commit().await?;
        }
        self.event(Some(viewer), id).await
    }

    /// The viewer's saved gatherings that have not ended, soonest first
    /// (those they may no longer see are left out).
    pub async fn saved_events(&self, viewer: Viewer) -> AppResult<Vec<EventView>> {
        let mut c = self.db.read().await?;
        let now = now();
        let mut out = vec![];
        for row in repo::bookmarks_of(&mut c, viewer.id, now, 100).await? {
            match loaded(&mut c, row, Some(viewer)).await {
                Ok(l) => out.push(view(&mut c, &l, Some(viewer), now).await?),
                Err(AppError::NotFound(_) | AppError::Forbidden { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// One gathering's funnel (staff who manage gatherings or see analytics).
    pub async fn event_funnel(&self, viewer: Viewer, id: i64) -> AppResult<FunnelView> {
        let mut c = self.db.read().await?;
        let l = load(&mut c, id, Some(viewer)).await?;
        allow_funnel(&l.ctx)?;
        funnel(&mut c, l.row.community_id, Scope::Event(id), now()).await
    }
}

/// Funnels are for those who run gatherings or read the community's analytics.
pub(crate) fn allow_funnel(ctx: &Ctx) -> AppResult<()> {
    match ctx.allow(Action::ManageEvents) {
        Ok(()) => Ok(()),
        Err(_) => ctx.allow(Action::ViewAnalytics),
    }
}
