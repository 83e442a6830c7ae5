//! Badges: the in-transaction subscriber that grants a badge when a member's
//! count reaches its rule, the community's badges (built-in and custom) for
//! admins to define, enable or retire, and staff grants and revocations with
//! a reason (audited). Each grant notifies the member and appends
//! `badge_earned`, which automation and webhooks see.

use serde::Serialize;
use utoipa::ToSchema;
use yaji_domain::activity::{BadgeEarned, BadgeRevoked, Event, Kind, PointsAdjusted, Subject};
use yaji_domain::badges::{self, BadgeInput, Counter, Who};
use yaji_domain::error::invalid;
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_domain::points::{self as points_rules, Recipient};
use yaji_store::repo::badges as repo;
use yaji_store::repo::community as crepo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::platform::context::Ctx;
use crate::platform::events::{finish, Recorded};
use crate::platform::notifications::notify;
pub use crate::views::EarnedBadge;
use crate::{now, rfc3339, App, AppError, AppResult};

/// What earns a badge automatically.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BadgeRule {
    /// posts, comments, essence, points, events (gatherings attended) or answers (accepted).
    pub counter: String,
    pub at_least: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BadgeView {
    pub id: i64,
    /// The built-in badge's key; absent for custom badges.
    pub key: Option<String>,
    pub name: String,
    pub description: String,
    pub icon: String,
    /// Absent: granted by staff only.
    pub rule: Option<BadgeRule>,
    pub enabled: bool,
    /// Members who hold it.
    pub holders: i64,
}

/// Names and descriptions in the reader's language: built-ins carry both.
fn named(builtin: Option<&str>, name: &str, description: &str, zh: bool) -> (String, String) {
    match builtin.and_then(badges::builtin) {
        Some(b) => {
            let (n, d) = if zh { b.zh } else { b.en };
            (n.to_string(), d.to_string())
        }
        None => (name.to_string(), description.to_string()),
    }
}

fn view(r: repo::BadgeRow, zh: bool) -> BadgeView {
    let (name, description) = named(r.builtin.as_deref(), &r.name, &r.description, zh);
    BadgeView {
        id: r.id,
        key: r.builtin,
        name,
        description,
        icon: r.icon,
        rule: r.counter.zip(r.at_least).map(|(counter, at_least)| BadgeRule { counter, at_least }),
        enabled: r.enabled != 0,
        holders: r.holders,
    }
}

/// The badges a member holds in a community, newest first, named in the reader's language.
pub(crate) async fn earned_by(
    conn: &mut Conn,
    community_id: i64,
    user_id: i64,
    zh: bool,
) -> AppResult<Vec<EarnedBadge>> {
    let view = |r: repo::EarnedRow| {
        let (name, description) = named(r.builtin.as_deref(), &r.name, &r.description, zh);
        EarnedBadge {
            id: r.badge_id,
            key: r.builtin,
            name,
            description,
            icon: r.icon,
            earned_at: rfc3339(r.earned_at),
            granted: r.granted_by.is_some(),
            reason: r.reason,
        }
    };
    Ok(repo::earned(conn, community_id, user_id).await?.into_iter().map(view).collect())
}

/// Gives the community the built-in badges it lacks (new built-ins reach
/// existing communities the same way).
async fn ensure_builtins(conn: &mut Conn, community_id: i64, now: i64) -> AppResult<()> {
    if repo::builtin_count(conn, community_id).await? >= badges::BUILTINS.len() as i64 {
        return Ok(());
    }
    for b in badges::BUILTINS {
        let rule = b.counter.map(|c| (c.as_str(), b.at_least));
        repo::add_builtin(conn, community_id, b.key, b.icon, rule, now).await?;
    }
    Ok(())
}

/// Gives every rule badge of the community to the members who already meet
/// it (the points recompute runs this: after an upgrade, an import or a
/// seeded demo, badges follow the history as points do).
pub(crate) async fn backfill_all(conn: &mut Conn, community_id: i64, now: i64) -> AppResult<u64> {
    ensure_builtins(conn, community_id, now).await?;
    let mut n = 0;
    for b in repo::list(conn, community_id).await? {
        n += backfill(conn, &b, now).await?;
    }
    Ok(n)
}

/// Quietly gives an enabled rule badge to every member who already meets it
/// (no notices: a new rule should not page the whole community).
async fn backfill(conn: &mut Conn, b: &repo::BadgeRow, now: i64) -> AppResult<u64> {
    match (b.enabled != 0, b.counter.as_deref(), b.at_least) {
        (true, Some(counter), Some(n)) => Ok(repo::backfill(conn, b.community_id, b.id, (counter, n), now).await?),
        _ => Ok(0),
    }
}

/// Records the award, tells the member, appends `badge_earned`.
async fn grant(
    conn: &mut Conn,
    c: &crepo::CommunityRow,
    badge: &repo::BadgeRow,
    user_id: i64,
    by: Option<i64>,
    reason: &str,
    now: i64,
) -> AppResult<Option<Event>> {
    if !repo::award(conn, (badge.id, c.id), user_id, by, reason, now).await? {
        return Ok(None);
    }
    let Some(user) = yaji_store::repo::user::by_id(conn, user_id).await? else { return Ok(None) };
    // The notice is written in the member's language.
    let (name, _) = named(badge.builtin.as_deref(), &badge.name, "", !user.locale.starts_with("en"));
    let (en_name, _) = named(badge.builtin.as_deref(), &badge.name, "", false);
    let detail = serde_json::json!({
        "community": c.name, "name": name, "message": name,
        "link": format!("/c/{}/members/{}/points", c.slug, user.username),
    });
    notify(conn, user_id, Some(c.id), NotificationKind::BadgeEarned, &detail, now).await?;
    let payload = BadgeEarned {
        badge_id: badge.id,
        key: badge.builtin.clone().unwrap_or_default(),
        name: if badge.builtin.is_some() { en_name } else { badge.name.clone() },
        reason: reason.to_string(),
    };
    Ok(Some(Event::of(Some(c.id), by, Subject::User(user_id), &payload)))
}

/// The subscriber: grants the badges whose rule a member's counts now meet.
pub(crate) async fn on_event(conn: &mut Conn, r: &Recorded<'_>, now: i64) -> AppResult<()> {
    let e = r.event;
    let Some(community_id) = e.community_id else { return Ok(()) };
    // Whose counts may have moved: the counted content's author, and
    // whoever the event paid points (or staff adjusted).
    let mut who: Vec<i64> = vec![];
    if let Some((_, w)) = badges::counted(e) {
        let id = match w {
            Who::Actor => e.actor_id,
            Who::User(u) => Some(u),
            Who::AuthorOf(s) => yaji_store::repo::content::author_of(conn, s).await?,
        };
        who.extend(id);
    }
    for c in points_rules::candidates(e) {
        match c.to {
            Recipient::User(u) => who.push(u),
            Recipient::AuthorOf(s) => who.extend(yaji_store::repo::content::author_of(conn, s).await?),
        }
    }
    if e.kind == Kind::PointsAdjusted && e.payload::<PointsAdjusted>().is_some() {
        if let Subject::User(u) = e.subject {
            who.push(u);
        }
    }
    who.sort_unstable();
    who.dedup();
    if who.is_empty() {
        return Ok(());
    }
    let Some(c) = r.community(conn).await? else { return Ok(()) };
    ensure_builtins(conn, community_id, now).await?;
    for user_id in who {
        let mut counts: Vec<(String, i64)> = vec![];
        for b in repo::unearned_rules(conn, community_id, user_id).await? {
            let (Some(counter), Some(at_least)) = (b.counter.clone(), b.at_least) else { continue };
            let n = match counts.iter().find(|(k, _)| *k == counter) {
                Some((_, n)) => *n,
                None => {
                    let n = repo::count(conn, community_id, user_id, &counter).await?;
                    counts.push((counter, n));
                    n
                }
            };
            if n >= at_least {
                if let Some(ev) = grant(conn, &c, &b, user_id, None, "", now).await? {
                    crate::deliver_derived(conn, &ev, now).await?;
                }
            }
        }
    }
    Ok(())
}

/// Grants a built-in badge the app decides on (the month's top
/// contributors), with a notice; no-op if held or turned off.
pub(crate) async fn grant_builtin(
    conn: &mut Conn,
    c: &crepo::CommunityRow,
    key: &str,
    user_id: i64,
    reason: &str,
    now: i64,
) -> AppResult<()> {
    ensure_builtins(conn, c.id, now).await?;
    let Some(b) = repo::builtin(conn, c.id, key).await?.filter(|b| b.enabled != 0) else { return Ok(()) };
    if let Some(ev) = grant(conn, c, &b, user_id, None, reason, now).await? {
        crate::deliver_derived(conn, &ev, now).await?;
    }
    Ok(())
}

fn reason_of(raw: &str) -> AppResult<String> {
    let r = raw.trim();
    if r.is_empty() || r.chars().count() > 200 {
        return Err(invalid("reason", "required", "say why, in at most 200 characters").into());
    }
    Ok(r.to_string())
}

impl App {
    /// The community's badges: built-in first, then custom ones.
    pub async fn badges(&self, viewer: Option<Viewer>, slug: &str, zh: bool) -> AppResult<Vec<BadgeView>> {
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, viewer).await?;
        ctx.allow(Action::ReadContent)?;
        ensure_builtins(tx.conn(), ctx.c.id, now()).await?;
        let rows = repo::list(tx.conn(), ctx.c.id).await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(|r| view(r, zh)).collect())
    }

    /// The badges a member holds, newest first.
    pub async fn member_badges(
        &self,
        viewer: Option<Viewer>,
        slug: &str,
        username: &str,
        zh: bool,
    ) -> AppResult<Vec<EarnedBadge>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, viewer).await?;
        ctx.allow(Action::ReadContent)?;
        let user = ctx.member_named(&mut c, username).await?;
        earned_by(&mut c, ctx.c.id, user.id, zh).await
    }

    /// Defines a custom badge (`id` None) or redefines one (admins). Members
    /// who already meet its rule hold it at once.
    pub async fn save_badge(
        &self,
        viewer: Viewer,
        slug: &str,
        id: Option<i64>,
        input: BadgeInput,
        zh: bool,
    ) -> AppResult<BadgeView> {
        let def = input.validate()?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManagePoints)?;
        let custom = repo::Custom {
            name: &def.name,
            description: &def.description,
            icon: &def.icon,
            rule: def.rule.map(|(c, n)| (c.as_str(), n)),
        };
        let taken = || AppError::conflict("name_taken", Some("name"), "another badge has that name");
        let id = match id {
            None => repo::insert(tx.conn(), ctx.c.id, &custom, now).await?.ok_or_else(taken)?,
            Some(id) => {
                let b = repo::get(tx.conn(), ctx.c.id, id).await?.ok_or(AppError::NotFound("badge"))?;
                if b.builtin.is_some() {
                    return Err(invalid("badge", "builtin", "built-in badges can be turned off, not changed").into());
                }
                if !repo::update(tx.conn(), ctx.c.id, id, &custom).await? {
                    return Err(taken());
                }
                id
            }
        };
        let mut row = repo::get(tx.conn(), ctx.c.id, id).await?.ok_or(AppError::NotFound("badge"))?;
        row.holders += backfill(tx.conn(), &row, now).await? as i64;
        finish(tx, Event::new(Kind::BadgesUpdated, Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id)), now)
            .await?;
        Ok(view(row, zh))
    }

    /// Turns a badge on or off (admins): off, no one earns it; holders keep it.
    pub async fn set_badge_enabled(&self, viewer: Viewer, slug: &str, id: i64, on: bool) -> AppResult<()> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManagePoints)?;
        ensure_builtins(tx.conn(), ctx.c.id, now).await?;
        repo::get(tx.conn(), ctx.c.id, id).await?.ok_or(AppError::NotFound("badge"))?;
        repo::set_enabled(tx.conn(), id, on).await?;
        if let Some(b) = repo::get(tx.conn(), ctx.c.id, id).await?.filter(|_| on) {
            backfill(tx.conn(), &b, now).await?;
        }
        finish(tx, Event::new(Kind::BadgesUpdated, Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id)), now).await
    }

    /// Deletes a custom badge and every award of it (admins).
    pub async fn delete_badge(&self, viewer: Viewer, slug: &str, id: i64) -> AppResult<()> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManagePoints)?;
        let b = repo::get(tx.conn(), ctx.c.id, id).await?.ok_or(AppError::NotFound("badge"))?;
        if b.builtin.is_some() {
            return Err(invalid("badge", "builtin", "built-in badges can be turned off, not deleted").into());
        }
        repo::delete(tx.conn(), id).await?;
        finish(tx, Event::new(Kind::BadgesUpdated, Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id)), now).await
    }

    /// Staff grant a custom badge by hand, with a reason. Built-in badges
    /// are earned only by their rule.
    pub async fn grant_badge(&self, v: Viewer, slug: &str, username: &str, badge: i64, reason: &str) -> AppResult<()> {
        self.staff_badge(v, slug, (username, badge), reason, true).await
    }

    /// Staff take a badge back, with a reason (audited). A badge earned by
    /// a rule comes back at the member's next counted activity unless the
    /// rule is turned off.
    pub async fn revoke_badge(&self, v: Viewer, slug: &str, username: &str, badge: i64, reason: &str) -> AppResult<()> {
        self.staff_badge(v, slug, (username, badge), reason, false).await
    }

    async fn staff_badge(
        &self,
        viewer: Viewer,
        slug: &str,
        (username, badge_id): (&str, i64),
        reason: &str,
        give: bool,
    ) -> AppResult<()> {
        let reason = reason_of(reason)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::AdjustPoints)?;
        let user = ctx.member_named(tx.conn(), username).await?;
        let b = repo::get(tx.conn(), ctx.c.id, badge_id).await?.ok_or(AppError::NotFound("badge"))?;
        let ev = if give {
            if b.builtin.is_some() {
                return Err(invalid("badge", "builtin", "built-in badges are earned, not granted").into());
            }
            grant(tx.conn(), &ctx.c, &b, user.id, Some(viewer.id), &reason, now)
                .await?
                .ok_or_else(|| AppError::conflict("already_held", Some("badge"), "the member already has this badge"))?
        } else {
            if !repo::revoke(tx.conn(), b.id, user.id).await? {
                return Err(AppError::NotFound("badge"));
            }
            let (name, _) = named(b.builtin.as_deref(), &b.name, "", false);
            let payload = BadgeRevoked { badge_id: b.id, name, reason };
            Event::of(Some(ctx.c.id), viewer.id, Subject::User(user.id), &payload)
        };
        finish(tx, ev, now).await
    }
}

/// The counters badges use, for the settings form.
pub fn counters() -> Vec<&'static str> {
    Counter::ALL.iter().map(|c| c.as_str()).collect()
}
