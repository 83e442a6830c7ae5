//! Points: the in-transaction subscriber that turns activity into ledger
//! rows (and takes them back), staff adjustments, balances and history,
//! leaderboards, settings and the recompute from the activity log.
//!
//! Awards are decided at the event's own time with the community's settings,
//! so replaying the log (`recompute_points`) pays exactly what live awarding
//! paid. Each award is keyed (event, rule, member) in the ledger: a replayed
//! or re-delivered event pays nothing twice.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaji_domain::activity::{
    AnswerDecision, BountySettled, CheckinMade, Event, Kind, LevelReached, LotteryEntered, PointsAdjusted,
    QuestionAsked, Subject,
};
use yaji_domain::error::invalid;
use yaji_domain::permission::Action;
use yaji_domain::points::{self, Candidate, PointsSettings, Recipient, Rule, Undo};
use yaji_store::repo::community as crepo;
use yaji_store::repo::points as repo;
use yaji_store::repo::user as users;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::platform::context::Ctx;
use crate::platform::events::{finish, Recorded};
use crate::platform::notifications::notify;
use crate::platform::{now, rfc3339};
use crate::views::PersonView;
use crate::{App, AppError, AppResult};
use yaji_domain::notification::NotificationKind;

/// Sets the level shown next to each of these people's names in a community
/// (from the second level up; nothing while points are off).
pub(crate) async fn label_levels<'a>(
    conn: &mut Conn,
    community_id: i64,
    people: impl IntoIterator<Item = &'a mut PersonView>,
) -> AppResult<()> {
    let mut people: Vec<&mut PersonView> = people.into_iter().collect();
    let mut ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    ids.sort_unstable();
    ids.dedup();
    let balances = repo::balances_of(conn, community_id, &ids).await?;
    if balances.is_empty() {
        return Ok(());
    }
    let settings = settings_of(conn, community_id).await?;
    if !settings.enabled {
        return Ok(());
    }
    for p in people.iter_mut() {
        let Some((_, b)) = balances.iter().find(|(id, _)| *id == p.id) else { continue };
        let i = settings.level(*b);
        if i > 0 {
            p.level = Some(points::level_label(i, &settings.levels[i].name));
        }
    }
    Ok(())
}

/// A community's points settings (defaults when never saved).
pub(crate) async fn settings_of(conn: &mut Conn, community_id: i64) -> AppResult<PointsSettings> {
    Ok(repo::settings(conn, community_id).await?.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default())
}

fn tz_of(c: &crepo::CommunityRow) -> Tz {
    c.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
}

/// What the ledger needs to know about the community while applying events.
struct Book {
    community_id: i64,
    slug: String,
    name: String,
    tz: Tz,
    settings: PointsSettings,
    /// Live awarding announces new levels; a recompute does not.
    announce: bool,
}

impl Book {
    fn of(c: &crepo::CommunityRow, settings: PointsSettings, announce: bool) -> Book {
        Book { community_id: c.id, slug: c.slug.clone(), name: c.name.clone(), tz: tz_of(c), settings, announce }
    }
}

/// The subscriber: pays and takes back what `r`'s event earns.
pub(crate) async fn on_event(conn: &mut Conn, r: &Recorded<'_>, now: i64) -> AppResult<()> {
    let e = r.event;
    let Some(community_id) = e.community_id else { return Ok(()) };
    let (cands, undo) = (points::candidates(e), points::undo(e));
    if cands.is_empty() && undo.is_none() {
        return Ok(());
    }
    let Some(c) = r.community(conn).await? else { return Ok(()) };
    let settings = settings_of(conn, community_id).await?;
    if !settings.enabled {
        return Ok(());
    }
    apply(conn, &Book::of(&c, settings, true), r.id, e, now).await
}

async fn apply(conn: &mut Conn, book: &Book, event_id: i64, e: &Event, at: i64) -> AppResult<()> {
    if let Some(u) = points::undo(e) {
        take_back(conn, book, u, at).await?;
    }
    let mut cands = points::candidates(e);
    // One lock order for every member an event pays (no deadlock on PostgreSQL).
    let mut resolved = Vec::new();
    for c in cands.drain(..) {
        let to = match c.to {
            Recipient::User(u) => Some(u),
            Recipient::AuthorOf(s) => yaji_store::repo::content::author_of(conn, s).await?,
        };
        // A check-in's note earns the check-in rule, also when it is approved later.
        if let (Rule::Post, Subject::Post(p)) = (c.rule, c.subject) {
            if e.kind == Kind::ContentApproved && crate::challenges::standing::is_note(conn, p).await? {
                continue;
            }
        }
        if let Some(to) = to.filter(|to| Some(*to) != c.from) {
            resolved.push((to, c));
        }
    }
    resolved.sort_by_key(|(to, _)| *to);
    for (to, c) in resolved {
        pay(conn, book, event_id, to, &c, at).await?;
    }
    Ok(())
}

async fn pay(conn: &mut Conn, book: &Book, event_id: i64, to: i64, c: &Candidate, at: i64) -> AppResult<()> {
    let setting = book.settings.rule(c.rule);
    if setting.points <= 0 {
        return Ok(());
    }
    let subject = (c.subject.kind(), c.subject.id());
    let (_, top_level) = repo::lock_balance(conn, book.community_id, to).await?;
    // A reaction pays once per person per item, however many emoji they use.
    if c.rule == Rule::ReactionReceived
        && repo::standing_given(conn, book.community_id, c.rule.as_str(), subject, c.from).await?.is_some()
    {
        return Ok(());
    }
    let p = points::periods(at, book.tz);
    let (rule_today, member_today) = repo::paid_on(conn, book.community_id, to, p.day, c.rule.as_str()).await?;
    let since_last = repo::last_paid(conn, book.community_id, to, c.rule.as_str()).await?.map(|t| at - t);
    let amount = points::grant(setting, book.settings.member_daily_cap, rule_today, member_today, since_last);
    if amount <= 0 {
        return Ok(());
    }
    let entry = repo::NewEntry {
        community_id: book.community_id,
        user_id: to,
        amount,
        rule: c.rule.as_str(),
        event_id: Some(event_id),
        subject: Some(subject),
        from_user_id: c.from,
        reason: "",
        reverses_id: None,
        day: p.day,
        created_at: at,
    };
    if repo::insert(conn, &entry).await?.is_none() {
        return Ok(()); // this event already paid this rule to this member
    }
    let balance = repo::add_to_totals(conn, book.community_id, to, amount, &[&p.week, &p.month]).await?;
    reached(conn, book, to, balance, top_level, at).await
}

/// Announces a level the member reaches for the first time.
async fn reached(conn: &mut Conn, book: &Book, user_id: i64, balance: i64, top_level: i64, at: i64) -> AppResult<()> {
    let level = book.settings.level(balance) as i64;
    if level <= top_level {
        return Ok(());
    }
    repo::set_top_level(conn, book.community_id, user_id, level).await?;
    if book.announce {
        let name = book.settings.levels[level as usize].name.clone();
        let username = users::by_id(conn, user_id).await?.map(|u| u.username).unwrap_or_default();
        let detail = serde_json::json!({
            "community": book.name, "level": level + 1, "name": points::level_label(level as usize, &name),
            "balance": balance, "message": format!("{} · {balance}", points::level_label(level as usize, &name)),
            "link": format!("/c/{}/members/{username}/points", book.slug),
        });
        notify(conn, user_id, Some(book.community_id), NotificationKind::LevelReached, &detail, at).await?;
        let ev =
            Event::of(Some(book.community_id), None, Subject::User(user_id), &LevelReached { level, name, balance });
        crate::deliver_derived(conn, &ev, at).await?;
    }
    Ok(())
}

async fn take_back(conn: &mut Conn, book: &Book, u: Undo, at: i64) -> AppResult<()> {
    let rows = match u {
        Undo::Earned(s) => repo::standing_earned(conn, book.community_id, (s.kind(), s.id())).await?,
        Undo::Given { rule, subject, from } => {
            repo::standing_given(conn, book.community_id, rule.as_str(), (subject.kind(), subject.id()), from)
                .await?
                .into_iter()
                .collect()
        }
    };
    let mut rows = rows;
    rows.sort_by_key(|r| r.user_id);
    for row in rows {
        repo::lock_balance(conn, book.community_id, row.user_id).await?;
        // The award's own period loses it: "this week" stays what the week earned.
        let p = points::periods(row.created_at, book.tz);
        let entry = repo::NewEntry {
            community_id: book.community_id,
            user_id: row.user_id,
            amount: -row.amount,
            rule: "reversal",
            event_id: None,
            subject: row.subject_kind.as_deref().zip(row.subject_id),
            from_user_id: row.from_user_id,
            reason: "",
            reverses_id: Some(row.id),
            day: points::periods(at, book.tz).day,
            created_at: at,
        };
        if repo::insert(conn, &entry).await?.is_some() {
            repo::add_to_totals(conn, book.community_id, row.user_id, -row.amount, &[&p.week, &p.month]).await?;
        }
    }
    Ok(())
}

/// A member's level as shown next to their name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LevelView {
    /// 1-based.
    pub number: i64,
    /// The operator's name for it ("" when unnamed).
    pub name: String,
    /// How it reads next to a name: "Lv3" or "Lv3 骨干".
    pub label: String,
    pub min_points: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PointsEntry {
    pub id: i64,
    pub amount: i64,
    /// A points rule (`post`, `comment`, `reply_received`, `reaction_received`, `essence`,
    /// `invite_accepted`), `manual` or `reversal`.
    pub rule: String,
    pub reason: String,
    /// `post` / `comment` / `user` and its id, when content or a member earned it.
    pub subject_kind: Option<String>,
    pub subject_id: Option<i64>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberPoints {
    pub member: PersonView,
    pub balance: i64,
    pub level: LevelView,
    /// The next level and the points still needed; absent at the top.
    pub next_level: Option<LevelView>,
    pub to_next: Option<i64>,
    /// Newest first; only for the member themselves and staff (empty otherwise).
    pub history: Vec<PointsEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Week,
    Month,
    #[default]
    All,
}

impl Period {
    pub fn parse(s: &str) -> AppResult<Period> {
        match s {
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            "all" | "" => Ok(Period::All),
            _ => Err(invalid("period", "invalid_choice", "period is week, month or all").into()),
        }
    }
}

/// What a leaderboard ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Board {
    /// Points earned in the period.
    #[default]
    Points,
    /// Members who joined with one's invites in the period.
    Inviters,
    /// Replies (others' comments) one's posts received in the period.
    Helpful,
}

impl Board {
    pub fn parse(s: &str) -> AppResult<Board> {
        match s {
            "points" | "" => Ok(Board::Points),
            "inviters" => Ok(Board::Inviters),
            "helpful" => Ok(Board::Helpful),
            _ => Err(invalid("board", "invalid_choice", "board is points, inviters or helpful").into()),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeaderboardEntry {
    pub rank: i64,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub points: i64,
    pub level: LevelView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Leaderboard {
    pub period: Period,
    pub board: Board,
    /// Highest first (ties: who got there first by member id).
    pub entries: Vec<LeaderboardEntry>,
}

fn level_view(s: &PointsSettings, i: usize) -> LevelView {
    let l = &s.levels[i];
    LevelView {
        number: i as i64 + 1,
        name: l.name.clone(),
        label: points::level_label(i, &l.name),
        min_points: l.min_points,
    }
}

/// A member's balance and level label as names show it (from the second level).
pub(crate) async fn standing(conn: &mut Conn, community_id: i64, user_id: i64) -> AppResult<(i64, Option<String>)> {
    let balance = repo::balance(conn, community_id, user_id).await?.map_or(0, |b| b.0);
    let s = settings_of(conn, community_id).await?;
    let i = s.level(balance);
    Ok((balance, (s.enabled && i > 0).then(|| points::level_label(i, &s.levels[i].name))))
}

/// A member's level, 1-based, by the community's levels.
pub(crate) async fn level_of(conn: &mut Conn, community_id: i64, user_id: i64) -> AppResult<i64> {
    let balance = repo::balance(conn, community_id, user_id).await?.map_or(0, |b| b.0);
    Ok(settings_of(conn, community_id).await?.level(balance) as i64 + 1)
}

/// The community's levels, lowest first (for choosers such as segments).
pub(crate) async fn levels_of(conn: &mut Conn, community_id: i64) -> AppResult<Vec<LevelView>> {
    let s = settings_of(conn, community_id).await?;
    Ok((0..s.levels.len()).map(|i| level_view(&s, i)).collect())
}

fn entry_view(r: repo::EntryRow) -> PointsEntry {
    PointsEntry {
        id: r.id,
        amount: r.amount,
        rule: r.rule,
        reason: r.reason,
        subject_kind: r.subject_kind,
        subject_id: r.subject_id,
        created_at: rfc3339(r.created_at),
    }
}

/// A month's top contributors: frozen once the month is over, live before.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthlyTop {
    /// "2026-11"
    pub month: String,
    /// The list no longer changes.
    pub frozen: bool,
    pub entries: Vec<LeaderboardEntry>,
}

/// How many members a month's frozen list keeps.
pub const MONTHLY_TOP_SIZE: i64 = 10;

/// Freezes a finished month's list (once) and gives its top three the
/// built-in badge. Announcements and reads after the month call this.
pub(crate) async fn freeze_month(conn: &mut Conn, c: &crepo::CommunityRow, month: &str, now: i64) -> AppResult<()> {
    if repo::is_frozen(conn, c.id, month).await? {
        return Ok(());
    }
    repo::freeze_month(conn, c.id, month, MONTHLY_TOP_SIZE, now).await?;
    let top = repo::frozen_month(conn, c.id, month).await?;
    for (user_id, ..) in top.into_iter().take(yaji_domain::badges::TOP_CONTRIBUTOR_RANKS) {
        let reason = month.trim_start_matches('m');
        crate::badges::grant_builtin(conn, c, yaji_domain::badges::TOP_CONTRIBUTOR, user_id, reason, now).await?;
    }
    Ok(())
}

/// Last month's frozen list as lines for an announcement ("1. 陈语嫣 · 120").
pub(crate) async fn last_month_lines(conn: &mut Conn, c: &crepo::CommunityRow, at: i64) -> AppResult<(String, String)> {
    let month = points::month_before(at, tz_of(c));
    freeze_month(conn, c, &month, at).await?;
    let rows = repo::frozen_month(conn, c.id, &month).await?;
    let lines: Vec<String> =
        rows.iter().enumerate().map(|(i, r)| format!("{}. {} (@{}) · {}", i + 1, r.2, r.1, r.4)).collect();
    Ok((month.trim_start_matches('m').to_string(), lines.join("\n")))
}

/// Ranked rows as board entries; levels follow the balance, not the period's points.
fn ranked(rows: Vec<repo::Ranked>, settings: &PointsSettings) -> Vec<LeaderboardEntry> {
    let entry =
        |(i, (_, username, display_name, avatar_url, points, balance)): (usize, repo::Ranked)| LeaderboardEntry {
            rank: i as i64 + 1,
            username,
            display_name,
            avatar_url,
            points,
            level: level_view(settings, settings.level(balance)),
        };
    rows.into_iter().enumerate().map(entry).collect()
}

/// Leaderboards return at most this many members.
pub const LEADERBOARD_SIZE: i64 = 50;

impl App {
    /// A member's balance, level and (for themselves and staff) history.
    pub async fn member_points(&self, viewer: Option<Viewer>, slug: &str, username: &str) -> AppResult<MemberPoints> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, viewer).await?;
        ctx.allow(Action::ReadContent)?;
        let user = ctx.member_named(&mut c, username).await?;
        let settings = settings_of(&mut c, ctx.c.id).await?;
        let balance = repo::balance(&mut c, ctx.c.id, user.id).await?.map_or(0, |b| b.0);
        let own = viewer.is_some_and(|v| v.id == user.id);
        let history = if own || ctx.can(Action::AdjustPoints) {
            repo::history(&mut c, ctx.c.id, user.id, i64::MAX, 100).await?.into_iter().map(entry_view).collect()
        } else {
            vec![]
        };
        let i = settings.level(balance);
        let next_level = (i + 1 < settings.levels.len()).then(|| level_view(&settings, i + 1));
        Ok(MemberPoints {
            to_next: next_level.as_ref().map(|n| n.min_points - balance),
            next_level,
            level: level_view(&settings, i),
            balance,
            history,
            member: PersonView {
                id: user.id,
                username: user.username,
                display_name: user.display_name,
                avatar_url: user.avatar_url,
                level: None,
            },
        })
    }

    /// Staff award (`amount` > 0) or deduct points by hand, with a reason; audited.
    pub async fn adjust_points(
        &self,
        viewer: Viewer,
        slug: &str,
        username: &str,
        amount: i64,
        reason: &str,
    ) -> AppResult<MemberPoints> {
        let reason = manual_input(amount, reason)?;
        let reason = reason.as_str();
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::AdjustPoints)?;
        let user = ctx.member_named(tx.conn(), username).await?;
        let ev = adjust_in(tx.conn(), &ctx, viewer, user.id, amount, reason, now).await?;
        finish(tx, ev, now).await?;
        self.member_points(Some(viewer), slug, username).await
    }

    /// The highest balances of the week, the month (community calendar) or all time.
    /// Points leaderboard of the period.
    pub async fn leaderboard(&self, viewer: Option<Viewer>, slug: &str, period: Period) -> AppResult<Leaderboard> {
        self.leaderboard_by(viewer, slug, period, Board::Points).await
    }

    /// The period's top members by points, invites accepted or replies
    /// received (for the last two, `points` holds the count).
    pub async fn leaderboard_by(
        &self,
        viewer: Option<Viewer>,
        slug: &str,
        period: Period,
        board: Board,
    ) -> AppResult<Leaderboard> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, viewer).await?;
        ctx.allow(Action::ReadContent)?;
        let settings = settings_of(&mut c, ctx.c.id).await?;
        let p = points::periods(now(), tz_of(&ctx.c));
        let key = match period {
            Period::Week => Some(p.week.as_str()),
            Period::Month => Some(p.month.as_str()),
            Period::All => None,
        };
        let (week, month) = points::period_starts(now(), tz_of(&ctx.c));
        let since = match period {
            Period::Week => week,
            Period::Month => month,
            Period::All => 0,
        };
        let rows = match board {
            Board::Points => repo::leaderboard(&mut c, ctx.c.id, key, LEADERBOARD_SIZE).await?,
            Board::Inviters => repo::top_inviters(&mut c, ctx.c.id, since, LEADERBOARD_SIZE).await?,
            Board::Helpful => repo::top_helpful(&mut c, ctx.c.id, since, LEADERBOARD_SIZE).await?,
        };
        Ok(Leaderboard { period, board, entries: ranked(rows, &settings) })
    }

    /// A month's top contributors ("2026-11"; default last month). A past
    /// month is frozen on first read; the current one is live.
    pub async fn monthly_top(&self, viewer: Option<Viewer>, slug: &str, month: Option<&str>) -> AppResult<MonthlyTop> {
        let now = now();
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, viewer).await?;
        ctx.allow(Action::ReadContent)?;
        let tz = tz_of(&ctx.c);
        let current = points::periods(now, tz).month;
        let key = match month.map(str::trim).filter(|m| !m.is_empty()) {
            Some(m) => points::month_key(m)?,
            None => points::month_before(now, tz),
        };
        if key > current {
            return Err(invalid("month", "in_future", "that month has not begun").into());
        }
        let frozen = key < current;
        // Only the first read of a finished month writes (the freeze).
        if frozen && !repo::is_frozen(&mut c, ctx.c.id, &key).await? {
            drop(c);
            let mut tx = self.db.write().await?;
            freeze_month(tx.conn(), &ctx.c, &key, now).await?;
            tx.commit().await?;
            c = self.db.read().await?;
        }
        let rows = if frozen {
            repo::frozen_month(&mut c, ctx.c.id, &key).await?
        } else {
            repo::leaderboard(&mut c, ctx.c.id, Some(&key), MONTHLY_TOP_SIZE).await?
        };
        let settings = settings_of(&mut c, ctx.c.id).await?;
        let entries = ranked(rows, &settings);
        Ok(MonthlyTop { month: key.trim_start_matches('m').to_string(), frozen, entries })
    }

    pub async fn points_settings(&self, viewer: Viewer, slug: &str) -> AppResult<PointsSettings> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::ManagePoints)?;
        settings_of(&mut c, ctx.c.id).await
    }

    /// Saves the settings; they apply to what happens next (recompute to apply them to the past).
    pub async fn set_points_settings(
        &self,
        viewer: Viewer,
        slug: &str,
        s: PointsSettings,
    ) -> AppResult<PointsSettings> {
        let s = s.validate()?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManagePoints)?;
        let json = serde_json::to_string(&s).map_err(|e| AppError::Internal(e.to_string()))?;
        repo::put_settings(tx.conn(), ctx.c.id, &json).await?;
        finish(
            tx,
            Event::new(Kind::PointsSettingsUpdated, Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id)),
            now,
        )
        .await?;
        Ok(s)
    }

    /// Rebuilds the community's ledger from its activity log with today's
    /// settings (staff adjustments replayed as they were). Returns the number
    /// of ledger rows written.
    pub async fn recompute_points(&self, viewer: Viewer, slug: &str) -> AppResult<u64> {
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManagePoints)?;
        let settings = settings_of(tx.conn(), ctx.c.id).await?;
        let book = Book::of(&ctx.c, settings, false);
        repo::clear(tx.conn(), ctx.c.id).await?;
        let mut after = 0;
        loop {
            let page = yaji_store::repo::activity::list(tx.conn(), Some(ctx.c.id), after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for row in page {
                let Some(kind) = Kind::parse(&row.kind) else { continue };
                let Some(subject) = Subject::from_parts(&row.subject_kind, row.subject_id) else { continue };
                let payload = serde_json::from_str(&row.payload).unwrap_or_default();
                let e = Event { kind, community_id: row.community_id, actor_id: row.actor_id, subject, payload };
                if kind == Kind::PointsAdjusted {
                    if let (Some(p), Subject::User(u)) = (e.payload::<PointsAdjusted>(), subject) {
                        manual(tx.conn(), &book, u, p.amount, &p.reason, row.actor_id, row.occurred_at).await?;
                    }
                    continue;
                }
                // What members bought stays bought, as it was paid.
                if let (Some((price, rule)), Some(u)) = (spent(&e), row.actor_id) {
                    spend_in(tx.conn(), &book, u, price, rule, false, row.occurred_at).await?;
                }
                // Bounties move as they moved.
                for (u, amount, rule) in moved(&e, row.actor_id) {
                    if amount < 0 {
                        spend_in(tx.conn(), &book, u, -amount, rule, false, row.occurred_at).await?;
                    } else {
                        credit_in(tx.conn(), &book, u, amount, rule, row.occurred_at).await?;
                    }
                }
                if book.settings.enabled {
                    apply(tx.conn(), &book, row.id, &e, row.occurred_at).await?;
                }
            }
        }
        let rows = repo::count(tx.conn(), ctx.c.id).await?;
        // Badges follow the rebuilt history too (quietly: no notices).
        crate::badges::backfill_all(tx.conn(), ctx.c.id, now()).await?;
        tx.commit().await?;
        Ok(rows)
    }
}

/// The points an event says a member spent, and on what (the ledger's rule).
fn spent(e: &Event) -> Option<(i64, &'static str)> {
    match e.kind {
        Kind::CheckinMade => e.payload::<CheckinMade>().map(|c| (c.price, SPEND_MAKEUP)),
        Kind::LotteryEntered => e.payload::<LotteryEntered>().map(|l| (l.cost, SPEND_LOTTERY)),
        _ => None,
    }
    .filter(|(n, _)| *n > 0)
}

/// Points an event moved between members outside the rules (a bounty held,
/// paid, returned or taken back), as (member, amount, ledger rule).
fn moved(e: &Event, actor: Option<i64>) -> Vec<(i64, i64, &'static str)> {
    let mut out = vec![];
    match e.kind {
        Kind::QuestionAsked => {
            if let (Some(q), Some(a)) = (e.payload::<QuestionAsked>(), actor) {
                out.push((a, -q.bounty, BOUNTY_HOLD));
            }
        }
        Kind::AnswerAccepted => {
            if let Some(d) = e.payload::<AnswerDecision>() {
                let rule = if d.bounty_to == d.answerer_id { BOUNTY_PAID } else { BOUNTY_RETURNED };
                out.push((d.bounty_to, d.bounty, rule));
            }
        }
        Kind::AnswerUnaccepted => {
            if let Some(d) = e.payload::<AnswerDecision>() {
                out.push((d.bounty_to, -d.bounty, BOUNTY_REVERSED));
            }
        }
        Kind::BountySettled => {
            if let Some(s) = e.payload::<BountySettled>() {
                let rule = if s.comment_id.is_some() { BOUNTY_PAID } else { BOUNTY_RETURNED };
                out.push((s.to_user_id, s.amount, rule));
            }
        }
        _ => {}
    }
    out.retain(|(_, n, _)| *n != 0);
    out
}

/// Ledger rules of bounty movements.
pub(crate) const BOUNTY_HOLD: &str = "bounty_hold";
pub(crate) const BOUNTY_PAID: &str = "bounty_paid";
pub(crate) const BOUNTY_RETURNED: &str = "bounty_returned";
pub(crate) const BOUNTY_REVERSED: &str = "bounty_reversed";

/// Gives `amount` points to a member outside the rules (a bounty paid or
/// returned) inside the caller's transaction; the caller's event carries
/// the movement, so a recompute makes it again. Not counted in the week's
/// or month's earnings (it was earned once, by whoever put it up).
pub(crate) async fn credit(
    conn: &mut Conn,
    c: &crepo::CommunityRow,
    user_id: i64,
    amount: i64,
    rule: &'static str,
    at: i64,
) -> AppResult<i64> {
    let book = Book::of(c, settings_of(conn, c.id).await?, false);
    credit_in(conn, &book, user_id, amount, rule, at).await
}

async fn credit_in(
    conn: &mut Conn,
    book: &Book,
    user_id: i64,
    amount: i64,
    rule: &'static str,
    at: i64,
) -> AppResult<i64> {
    let (_, top_level) = repo::lock_balance(conn, book.community_id, user_id).await?;
    let balance = transfer_row(conn, book, user_id, amount, rule, at).await?;
    reached(conn, book, user_id, balance, top_level, at).await?;
    Ok(balance)
}

/// A ledger row outside the rules (spent, or a bounty moved) and the new
/// balance; the week's and month's earnings stay as they were.
async fn transfer_row(
    conn: &mut Conn,
    book: &Book,
    user_id: i64,
    amount: i64,
    rule: &'static str,
    at: i64,
) -> AppResult<i64> {
    let entry = repo::NewEntry {
        community_id: book.community_id,
        user_id,
        amount,
        rule,
        event_id: None,
        subject: None,
        from_user_id: None,
        reason: "",
        reverses_id: None,
        day: points::periods(at, book.tz).day,
        created_at: at,
    };
    repo::insert(conn, &entry).await?;
    Ok(repo::add_to_totals(conn, book.community_id, user_id, amount, &[]).await?)
}

/// Ledger rules of what members spend.
pub(crate) const SPEND_MAKEUP: &str = "makeup";
pub(crate) const SPEND_LOTTERY: &str = "lottery_entry";

/// Takes `amount` points from a member for something they buy (a make-up
/// card, a lottery entry) inside the caller's transaction, under the lock on
/// their balance: 409 `insufficient_points` rather than below zero. The
/// caller's event carries the amount, so a recompute spends it again.
/// Spending lowers the balance, not what the week or month earned.
pub(crate) async fn spend(
    conn: &mut Conn,
    c: &crepo::CommunityRow,
    user_id: i64,
    amount: i64,
    rule: &'static str,
    at: i64,
) -> AppResult<i64> {
    let book = Book::of(c, settings_of(conn, c.id).await?, false);
    spend_in(conn, &book, user_id, amount, rule, true, at).await
}

async fn spend_in(
    conn: &mut Conn,
    book: &Book,
    user_id: i64,
    amount: i64,
    rule: &'static str,
    check: bool,
    at: i64,
) -> AppResult<i64> {
    let (balance, _) = repo::lock_balance(conn, book.community_id, user_id).await?;
    if check && balance < amount {
        return Err(AppError::conflict(
            "insufficient_points",
            None,
            format!("this costs {amount} points and you have {balance}"),
        ));
    }
    transfer_row(conn, book, user_id, -amount, rule, at).await
}

/// Staff award or deduct points for `user_id` inside the caller's
/// transaction (the caller checked the permission and the input); returns
/// the audit event to record.
pub(crate) async fn adjust_in(
    conn: &mut Conn,
    ctx: &Ctx,
    by: Viewer,
    user_id: i64,
    amount: i64,
    reason: &str,
    now: i64,
) -> AppResult<Event> {
    let settings = settings_of(conn, ctx.c.id).await?;
    let book = Book::of(&ctx.c, settings, true);
    let balance = manual(conn, &book, user_id, amount, reason, Some(by.id), now).await?;
    let payload = PointsAdjusted { amount, reason: reason.to_string(), balance };
    Ok(Event::of(Some(ctx.c.id), by.id, Subject::User(user_id), &payload))
}

/// Checks a manual amount and reason as staff typed them.
pub(crate) fn manual_input(amount: i64, reason: &str) -> AppResult<String> {
    if amount == 0 || amount.abs() > points::MAX_MANUAL {
        return Err(
            invalid("amount", "out_of_range", format!("a non-zero number up to ±{}", points::MAX_MANUAL)).into()
        );
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(invalid("reason", "required", "say why, in at most 200 characters").into());
    }
    Ok(reason.to_string())
}

/// A staff row: not capped, never taken back by content removals.
async fn manual(
    conn: &mut Conn,
    book: &Book,
    user_id: i64,
    amount: i64,
    reason: &str,
    by: Option<i64>,
    at: i64,
) -> AppResult<i64> {
    let (_, top_level) = repo::lock_balance(conn, book.community_id, user_id).await?;
    let p = points::periods(at, book.tz);
    let entry = repo::NewEntry {
        community_id: book.community_id,
        user_id,
        amount,
        rule: "manual",
        event_id: None,
        subject: None,
        from_user_id: by,
        reason,
        reverses_id: None,
        day: p.day,
        created_at: at,
    };
    repo::insert(conn, &entry).await?;
    let balance = repo::add_to_totals(conn, book.community_id, user_id, amount, &[&p.week, &p.month]).await?;
    reached(conn, book, user_id, balance, top_level, at).await?;
    Ok(balance)
}
