//! Lotteries (抽奖): staff create one with prizes, an entry window and who
//! may win; members enter (for points, if it costs some) and get a ticket;
//! after the close staff preview who is eligible and draw, once: a second
//! click returns the same result. The result is published as a post, the
//! winners and the other entrants are told, and staff mark prizes delivered.
//! Anyone can verify a draw from its published result (see
//! `yaji_domain::lotteries` for the algorithm).

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;
use yaji_domain::activity::{Event, LotteryCreated, LotteryDrawn, LotteryEntered, PrizeDelivered, Subject};
use yaji_domain::lotteries::{self as domain, Eligibility, Entry, LotteryDef, LotteryInput, Phase};
use yaji_domain::member::{MemberState, Role};
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_store::repo::lotteries as repo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::platform::context::Ctx;
use crate::platform::events::finish;
use crate::platform::notifications::notify;
use crate::views::PersonView;
use crate::{now, rfc3339, App, AppError, AppResult};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PrizeView {
    pub name: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LotteryView {
    pub id: i64,
    pub community_slug: String,
    pub title: String,
    pub description_html: String,
    pub prizes: Vec<PrizeView>,
    pub entries_open_at: String,
    pub entries_close_at: String,
    /// `upcoming`, `open`, `closed` (not drawn yet) or `drawn`.
    pub phase: String,
    /// Points per entry.
    pub cost: i64,
    pub max_entries: i64,
    pub staff_can_win: bool,
    #[schema(value_type = Object)]
    pub eligibility: Eligibility,
    /// SHA-256 of the secret, published from the start.
    pub commitment: String,
    /// The operator's announced value mixed into the seed ("" for none).
    pub operator_value: String,
    pub entries: i64,
    /// The viewer's tickets.
    pub my_tickets: Vec<String>,
    pub winners: Vec<WinnerView>,
    pub result_post_id: Option<i64>,
    pub can_manage: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WinnerView {
    pub rank: i64,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub ticket: String,
    pub prize: String,
    pub delivered: bool,
}

/// One entry as published: its ticket, whether it could win, and a
/// pseudonym for its holder (the same for one member's entries).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublishedEntry {
    pub ticket: String,
    pub holder: i64,
    pub eligible: bool,
}

/// Everything needed to verify a draw (stable: `commitment`, `secret`,
/// `entries`, `winners` with `username` and `prize`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LotteryResult {
    pub lottery_id: i64,
    pub title: String,
    pub algorithm: String,
    pub commitment: String,
    /// Published after the draw (null before).
    pub secret: Option<String>,
    pub operator_value: String,
    /// Every entry in entry order (empty before the draw).
    pub entries: Vec<PublishedEntry>,
    pub entries_hash: Option<String>,
    pub seed: Option<String>,
    pub prizes: Vec<PrizeView>,
    pub winners: Vec<WinnerView>,
    pub drawn: bool,
    pub drawn_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntryView {
    pub ticket: String,
    /// The member's entries so far.
    pub entries: i64,
    pub points_spent: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EligibleView {
    /// Entrants who could win now.
    pub count: i64,
    pub entrants: i64,
    pub members: Vec<PersonView>,
}

fn tz_of(ctx: &Ctx) -> Tz {
    ctx.c.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
}

/// The definition, with the entry window from its columns (the one place it is kept current).
fn def_of(row: &repo::LotteryRow) -> AppResult<LotteryDef> {
    let def: LotteryDef =
        serde_json::from_str(&row.def).map_err(|e| AppError::Internal(format!("lottery {}: {e}", row.id)))?;
    Ok(LotteryDef { opens_at: row.opens_at, closes_at: row.closes_at, ..def })
}

fn limit(max: i64) -> AppError {
    let each = if max == 1 { "one entry each".to_string() } else { format!("at most {max} entries each") };
    AppError::conflict("entry_limit", None, each)
}

fn prizes(def: &LotteryDef) -> Vec<PrizeView> {
    def.prizes.iter().map(|p| PrizeView { name: p.name.clone(), quantity: p.quantity }).collect()
}

fn winner_view(w: repo::WinnerRow) -> WinnerView {
    WinnerView {
        rank: w.rank,
        username: w.username,
        display_name: w.display_name,
        avatar_url: w.avatar_url,
        ticket: w.ticket,
        prize: w.prize,
        delivered: w.delivered_at.is_some(),
    }
}

async fn load(conn: &mut Conn, id: i64, viewer: Option<Viewer>) -> AppResult<(repo::LotteryRow, LotteryDef, Ctx)> {
    let row = repo::get(conn, id).await?.ok_or(AppError::NotFound("lottery"))?;
    let ctx = Ctx::load_id(conn, row.community_id, viewer).await?;
    if !ctx.can(Action::ReadContent) {
        return Err(AppError::NotFound("lottery"));
    }
    let def = def_of(&row)?;
    Ok((row, def, ctx))
}

/// Which entrants may win under the lottery's rules, now.
async fn eligible(app: &App, conn: &mut Conn, ctx: &Ctx, def: &LotteryDef, entrants: &[i64]) -> AppResult<Vec<i64>> {
    let e = &def.eligibility;
    let mut ok: Vec<i64> = match e.segment_id {
        Some(seg) => crate::segments::members_of(app, conn, ctx, seg, Some(entrants)).await?,
        None => entrants.to_vec(),
    };
    let before = e
        .joined_before
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(|d| yaji_domain::challenges::instant(d, 0, tz_of(ctx)));
    let mut out = vec![];
    for u in ok.drain(..) {
        let Some(m) = yaji_store::repo::community::membership(conn, ctx.c.id, u).await? else { continue };
        if m.state != MemberState::Active || (!def.staff_can_win && m.role >= Role::Moderator) {
            continue;
        }
        if before.is_some_and(|b| m.joined_at >= b) {
            continue;
        }
        if let Some(l) = e.min_level {
            if crate::points::level_of(conn, ctx.c.id, u).await? < l {
                continue;
            }
        }
        if let Some(p) = e.min_points {
            if crate::points::standing(conn, ctx.c.id, u).await?.0 < p {
                continue;
            }
        }
        if let (Some(ch), Some(days)) = (e.challenge_id, e.streak_days) {
            if crate::challenges::standing::longest_streak(conn, ch, u).await? < days {
                continue;
            }
        }
        if let Some(ev) = e.event_id {
            if !crate::gatherings::roll::took_part(conn, ev, u, e.event_attended).await? {
                continue;
            }
        }
        out.push(u);
    }
    Ok(out)
}

impl App {
    /// Creates a lottery (moderators and up) and commits to its secret.
    pub async fn create_lottery(&self, viewer: Viewer, slug: &str, input: LotteryInput) -> AppResult<LotteryView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManageLotteries)?;
        let def = input.validate(tz_of(&ctx), now)?;
        if let Some(seg) = def.eligibility.segment_id {
            yaji_store::repo::segments::get(tx.conn(), ctx.c.id, seg).await?.ok_or_else(|| {
                yaji_domain::error::invalid("eligibility.segment_id", "unknown_segment", "no such segment")
            })?;
        }
        if let Some(ch) = def.eligibility.challenge_id {
            if crate::challenges::standing::community_of(tx.conn(), ch).await? != Some(ctx.c.id) {
                return Err(yaji_domain::error::invalid(
                    "eligibility.challenge_id",
                    "unknown_challenge",
                    "no such challenge",
                )
                .into());
            }
        }
        if let Some(ev) = def.eligibility.event_id {
            if crate::gatherings::roll::community_of(tx.conn(), ev).await? != Some(ctx.c.id) {
                return Err(
                    yaji_domain::error::invalid("eligibility.event_id", "unknown_event", "no such gathering").into()
                );
            }
        }
        let secret = hex::encode(rand::random::<[u8; 32]>());
        let commitment = domain::commitment(&secret);
        let json = serde_json::to_string(&def).map_err(|e| AppError::Internal(e.to_string()))?;
        let new = repo::NewLottery {
            community_id: ctx.c.id,
            title: &def.title,
            def: &json,
            opens_at: def.opens_at,
            closes_at: def.closes_at,
            secret: &secret,
            commitment: &commitment,
            created_by: viewer.id,
            created_at: now,
        };
        let id = repo::insert(tx.conn(), &new).await?;
        let payload = LotteryCreated { title: def.title.clone(), commitment };
        finish(tx, Event::of(Some(ctx.c.id), viewer.id, Subject::Lottery(id), &payload), now).await?;
        self.lottery(Some(viewer), id).await
    }

    pub async fn lotteries(&self, viewer: Option<Viewer>, slug: &str) -> AppResult<Vec<LotteryView>> {
        let ids: Vec<i64> = {
            let mut c = self.db.read().await?;
            let ctx = Ctx::load(&mut c, slug, viewer).await?;
            ctx.allow(Action::ReadContent)?;
            repo::list(&mut c, ctx.c.id, 50).await?.into_iter().map(|r| r.id).collect()
        };
        let mut out = vec![];
        for id in ids {
            out.push(self.lottery(viewer, id).await?);
        }
        Ok(out)
    }

    pub async fn lottery(&self, viewer: Option<Viewer>, id: i64) -> AppResult<LotteryView> {
        let mut c = self.db.read().await?;
        let (row, def, ctx) = load(&mut c, id, viewer).await?;
        let my_tickets = match viewer {
            Some(v) => repo::entries_of(&mut c, id, v.id).await?,
            None => vec![],
        };
        let winners = repo::winners(&mut c, id).await?.into_iter().map(winner_view).collect();
        Ok(LotteryView {
            id,
            community_slug: ctx.c.slug.clone(),
            title: row.title,
            description_html: yaji_domain::text::markdown_to_html(&def.description),
            prizes: prizes(&def),
            entries_open_at: rfc3339(def.opens_at),
            entries_close_at: rfc3339(def.closes_at),
            phase: serde_json::to_value(domain::phase(&def, row.drawn_at.is_some(), now()))
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            cost: def.cost,
            max_entries: def.max_entries,
            staff_can_win: def.staff_can_win,
            eligibility: def.eligibility,
            commitment: row.commitment,
            operator_value: row.operator_value,
            entries: row.entries,
            my_tickets,
            winners,
            result_post_id: row.result_post_id,
            can_manage: ctx.can(Action::ManageLotteries),
        })
    }

    /// Enters a lottery while its window is open (201 with a ticket); 409
    /// `entry_limit` past the member's allowance, `insufficient_points`
    /// when an entry costs more than their balance.
    pub async fn enter_lottery(&self, viewer: Viewer, id: i64) -> AppResult<EntryView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let (_, def, ctx) = load(tx.conn(), id, Some(viewer)).await?;
        ctx.allow(Action::TakePart)?;
        match domain::phase(&def, false, now) {
            Phase::Upcoming => return Err(AppError::conflict("not_open", None, "entries are not open yet")),
            Phase::Closed | Phase::Drawn => {
                return Err(AppError::conflict("entries_closed", None, "entries are closed"))
            }
            Phase::Open => {}
        }
        let mine = repo::entries_of(tx.conn(), id, viewer.id).await?.len() as i64;
        if mine >= def.max_entries {
            return Err(limit(def.max_entries));
        }
        let ticket =
            crate::accounts::random_token(8).chars().filter(char::is_ascii_alphanumeric).take(10).collect::<String>();
        // A racing request for the same place loses here, before paying.
        let Some(_) = repo::enter(tx.conn(), id, viewer.id, mine + 1, &ticket, now).await? else {
            return Err(limit(def.max_entries));
        };
        let cost = match def.cost > 0 && crate::points::settings_of(tx.conn(), ctx.c.id).await?.enabled {
            true => {
                crate::points::spend(tx.conn(), &ctx.c, viewer.id, def.cost, crate::points::SPEND_LOTTERY, now).await?;
                def.cost
            }
            false => 0,
        };
        finish(tx, Event::of(Some(ctx.c.id), viewer.id, Subject::Lottery(id), &LotteryEntered { cost }), now).await?;
        Ok(EntryView { ticket, entries: mine + 1, points_spent: cost })
    }

    /// Staff announce the public value mixed into the seed (before the draw).
    pub async fn set_operator_value(&self, viewer: Viewer, id: i64, value: &str) -> AppResult<LotteryView> {
        let mut tx = self.db.write().await?;
        let (_, _, ctx) = load(tx.conn(), id, Some(viewer)).await?;
        ctx.allow(Action::ManageLotteries)?;
        let row = repo::lock(tx.conn(), id).await?.ok_or(AppError::NotFound("lottery"))?;
        if row.drawn_at.is_some() {
            return Err(AppError::conflict("already_drawn", None, "the lottery is drawn"));
        }
        let value = value.trim();
        if value.chars().count() > 200 {
            return Err(yaji_domain::error::invalid("operator_value", "too_long", "at most 200 characters").into());
        }
        repo::set_operator_value(tx.conn(), id, value).await?;
        tx.commit().await?;
        self.lottery(Some(viewer), id).await
    }

    /// Who could win if the draw happened now (staff).
    pub async fn lottery_eligible(&self, viewer: Viewer, id: i64) -> AppResult<EligibleView> {
        let mut c = self.db.read().await?;
        let (_, def, ctx) = load(&mut c, id, Some(viewer)).await?;
        ctx.allow(Action::ManageLotteries)?;
        let mut entrants: Vec<i64> = repo::entries(&mut c, id).await?.iter().map(|e| e.user_id).collect();
        entrants.sort_unstable();
        entrants.dedup();
        let ok = eligible(self, &mut c, &ctx, &def, &entrants).await?;
        let mut members = vec![];
        for u in ok.iter().take(200) {
            if let Some(user) = yaji_store::repo::user::by_id(&mut c, *u).await? {
                members.push(PersonView {
                    id: user.id,
                    username: user.username,
                    display_name: user.display_name,
                    avatar_url: user.avatar_url,
                    level: None,
                });
            }
        }
        Ok(EligibleView { count: ok.len() as i64, entrants: entrants.len() as i64, members })
    }

    /// Draws once entries have closed (staff). Idempotent: the row lock makes
    /// concurrent clicks wait, and every later call returns the first result.
    pub async fn draw_lottery(&self, viewer: Viewer, id: i64) -> AppResult<LotteryResult> {
        let now = now();
        let mut tx = self.db.write().await?;
        let (_, def, ctx) = load(tx.conn(), id, Some(viewer)).await?;
        ctx.allow(Action::ManageLotteries)?;
        let row = repo::lock(tx.conn(), id).await?.ok_or(AppError::NotFound("lottery"))?;
        if row.drawn_at.is_some() {
            drop(tx);
            return self.lottery_result(Some(viewer), id).await;
        }
        if now < def.closes_at {
            return Err(AppError::conflict("entries_open", None, "draw after the entries close"));
        }
        let rows = repo::entries(tx.conn(), id).await?;
        let mut entrants: Vec<i64> = rows.iter().map(|e| e.user_id).collect();
        entrants.sort_unstable();
        entrants.dedup();
        let ok = eligible(self, tx.conn(), &ctx, &def, &entrants).await?;
        let entries: Vec<Entry> = rows
            .iter()
            .map(|e| Entry { ticket: e.ticket.clone(), holder: e.user_id, eligible: ok.contains(&e.user_id) })
            .collect();
        let tickets: Vec<String> = entries.iter().map(|e| e.ticket.clone()).collect();
        let hash = domain::entries_hash(&tickets);
        let seed = domain::seed(&row.secret, &hash, &row.operator_value);
        let picks = domain::draw(&seed, &entries, &def.prizes);
        repo::set_drawn(tx.conn(), id, (&hash, &seed), viewer.id, now).await?;
        for (r, e) in rows.iter().zip(&entries) {
            repo::set_eligible(tx.conn(), r.id, e.eligible).await?;
        }
        let mut winners = vec![];
        for (rank, p) in picks.iter().enumerate() {
            let e = &rows[p.entry];
            repo::add_winner(tx.conn(), id, rank as i64 + 1, (e.id, e.user_id), &p.prize).await?;
            winners.push((e.user_id, p.prize.clone()));
        }
        // The result post, in the community's feed.
        let names = repo::winners(tx.conn(), id).await?;
        let mut body = String::new();
        for w in &names {
            body.push_str(&format!("- {} · @{} · {}\n", w.prize, w.username, w.display_name));
        }
        if names.is_empty() {
            body.push_str("—\n");
        }
        body.push_str(&format!(
            "\n[验证开奖 · Verify the draw](/lotteries/{id}/verify) · commitment `{}`\n",
            row.commitment
        ));
        let title = format!("🎁 {} · 开奖 / Drawn", row.title);
        let post = crate::content::publish_post(tx.conn(), ctx.c.id, viewer.id, &title, &body, None, now).await?;
        repo::set_result_post(tx.conn(), id, post).await?;
        let link = format!("/lotteries/{id}");
        for (u, prize) in &winners {
            let detail = serde_json::json!({"community": ctx.c.name, "lottery": row.title, "prize": prize, "message": format!("{} · {prize}", row.title), "link": link});
            notify(tx.conn(), *u, Some(ctx.c.id), NotificationKind::LotteryWon, &detail, now).await?;
        }
        for u in entrants.iter().filter(|u| !winners.iter().any(|(w, _)| w == *u)) {
            let detail =
                serde_json::json!({"community": ctx.c.name, "lottery": row.title, "message": row.title, "link": link});
            notify(tx.conn(), *u, Some(ctx.c.id), NotificationKind::LotteryDrawn, &detail, now).await?;
        }
        let payload = LotteryDrawn { title: row.title.clone(), winners: winners.iter().map(|w| w.0).collect() };
        finish(tx, Event::of(Some(ctx.c.id), viewer.id, Subject::Lottery(id), &payload), now).await?;
        self.wake_workers_if_queued();
        self.lottery_result(Some(viewer), id).await
    }

    /// The published result: everything needed to verify the draw.
    pub async fn lottery_result(&self, viewer: Option<Viewer>, id: i64) -> AppResult<LotteryResult> {
        let mut c = self.db.read().await?;
        let (row, def, _) = load(&mut c, id, viewer).await?;
        let drawn = row.drawn_at.is_some();
        let (entries, winners) = if drawn {
            let rows = repo::entries(&mut c, id).await?;
            let winners: Vec<WinnerView> = repo::winners(&mut c, id).await?.into_iter().map(winner_view).collect();
            // Holders are numbered by first entry, so members stay pseudonymous;
            // eligibility is as the draw decided it.
            let mut order: Vec<i64> = vec![];
            let entries = rows
                .iter()
                .map(|e| {
                    let eligible = e.eligible == Some(1);
                    let holder = match order.iter().position(|u| *u == e.user_id) {
                        Some(i) => i as i64 + 1,
                        None => {
                            order.push(e.user_id);
                            order.len() as i64
                        }
                    };
                    PublishedEntry { ticket: e.ticket.clone(), holder, eligible }
                })
                .collect();
            (entries, winners)
        } else {
            (vec![], vec![])
        };
        Ok(LotteryResult {
            lottery_id: id,
            title: row.title,
            algorithm: domain::ALGORITHM.to_string(),
            commitment: row.commitment,
            secret: drawn.then_some(row.secret),
            operator_value: row.operator_value,
            entries,
            entries_hash: row.entries_hash,
            seed: row.seed,
            prizes: prizes(&def),
            winners,
            drawn,
            drawn_at: row.drawn_at.map(rfc3339),
        })
    }

    /// Staff mark a winner's prize delivered.
    pub async fn deliver_prize(&self, viewer: Viewer, id: i64, rank: i64) -> AppResult<LotteryView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let (_, _, ctx) = load(tx.conn(), id, Some(viewer)).await?;
        ctx.allow(Action::ManageLotteries)?;
        let w = repo::winners(tx.conn(), id)
            .await?
            .into_iter()
            .find(|w| w.rank == rank)
            .ok_or(AppError::NotFound("winner"))?;
        if repo::deliver(tx.conn(), id, rank, now).await? {
            let payload = PrizeDelivered { lottery_id: id, prize: w.prize };
            finish(tx, Event::of(Some(ctx.c.id), viewer.id, Subject::User(w.user_id), &payload), now).await?;
        }
        self.lottery(Some(viewer), id).await
    }
}
