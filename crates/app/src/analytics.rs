//! Analytics use cases: the engine in `yaji_domain::analytics` is fed from the
//! activity log and kept per node, per community; each request first applies
//! the events recorded since the last one (so it is always exact and a fresh
//! process rebuilds from the log on first use).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;
use yaji_domain::analytics::{
    self as engine, ActivityLog, At, Cohort, Contributor, Day, Figures, FunnelStep, HeatCell, Point, Response, Tier,
    TierPoint,
};
use yaji_domain::error::invalid;
use yaji_domain::permission::Action;
use yaji_store::repo::activity;
use yaji_store::repo::community as crepo;
use yaji_store::repo::user as users;

use crate::accounts::Viewer;
use crate::communities::Ctx;
use crate::{now, App, AppError, AppResult};

/// How far back each read re-checks for events that committed late (longer than any transaction).
const LOOKBACK_MS: i64 = 120_000;

/// One community's engine and how far into the activity log it has read.
struct Built {
    last_event_id: i64,
    /// When the log was last read (ms): the next read looks back from here.
    last_read_at: i64,
    /// Ids of events read within the look-back window, so a re-read counts nothing twice.
    recent: HashMap<i64, i64>,
    tz: Tz,
    log: ActivityLog,
    /// Events applied so far (also counts late ones found by the look-back).
    applied: u64,
    /// The last figures computed: (from, to, `applied` then, figures), newest
    /// last, a few ranges (the page asks for its range and the previous period).
    /// A repeated request with nothing new (a CSV download after the page) is
    /// served from here.
    memo: Vec<(Day, Day, u64, Arc<Figures>)>,
    /// What the last computation of a few ranges hands on (its KOL ranking,
    /// its tier walk before the last day), newest last; the engine checks
    /// each against the log before using it.
    reuse: Vec<(Day, Day, engine::Reuse)>,
}

type Shared = Arc<tokio::sync::Mutex<Built>>;

/// Per-node engines, one per community and time zone.
#[derive(Default)]
pub(crate) struct AnalyticsCache(parking_lot::Mutex<HashMap<(i64, String), Shared>>);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ratio {
    pub date: String,
    pub value: f64,
}

/// Ranges whose figures each engine keeps.
const MEMO_RANGES: usize = 4;

/// Rows in the people tables.
const TOP: usize = 20;
const SILENT_SHOWN: usize = 50;

/// A member as the tables show them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Person {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TierRow {
    pub date: String,
    pub new: u64,
    pub active: u64,
    pub core: u64,
    pub silent: u64,
    pub churned: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SilentRow {
    #[serde(flatten)]
    pub person: Person,
    pub last_active: String,
    /// Days active in the 30 days ending on the range's last day.
    pub active_days: u8,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContributorRow {
    #[serde(flatten)]
    pub person: Person,
    pub posts: u64,
    pub comments: u64,
    pub replies_received: u64,
    pub reactions_received: u64,
    /// PageRank on the reply/reaction graph of the range; 1 = the graph's average member.
    pub kol_score: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InviterRow {
    #[serde(flatten)]
    pub person: Person,
    pub invites_sent: u64,
    pub invited: u64,
    /// Everyone below them in the referral tree, ever.
    pub tree: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReferralView {
    pub invites_sent: u64,
    pub invited_joins: u64,
    pub acceptance_rate: f64,
    pub active_members: u64,
    pub invites_per_member: f64,
    /// Viral coefficient K = invites per member × acceptance rate.
    pub k: f64,
    pub top_inviters: Vec<InviterRow>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopicRow {
    /// `null`: posts without a topic.
    pub topic_id: Option<i64>,
    pub name: Option<String>,
    pub posts: u64,
    pub posters: u64,
    pub posting_rate: f64,
    pub interactions: u64,
    pub interaction_rate: f64,
    pub response_rate: f64,
    pub median_first_reply_minutes: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResponseView {
    /// Every post created in the range.
    #[schema(value_type = Object)]
    pub posts: Response,
    /// Posts that ask a question.
    #[schema(value_type = Object)]
    pub questions: Response,
}

/// The activity series of a range.
#[derive(Debug, Clone, Serialize)]
pub struct ActivitySeries {
    pub dau: Vec<Point>,
    pub wau: Vec<Point>,
    pub mau: Vec<Point>,
    pub stickiness: Vec<Ratio>,
}

fn stickiness(dau: &[Point], mau: &[Point]) -> Vec<Ratio> {
    dau.iter()
        .zip(mau)
        .map(|(d, m)| Ratio {
            date: d.date.clone(),
            value: if m.count == 0 { 0.0 } else { d.count as f64 / m.count as f64 },
        })
        .collect()
}

/// Every figure of the dashboard for a date range.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dashboard {
    pub community: String,
    pub time_zone: String,
    pub from: String,
    pub to: String,
    /// Members with any activity ever.
    pub members: u64,
    #[schema(value_type = Vec<Object>)]
    pub dau: Vec<Point>,
    #[schema(value_type = Vec<Object>)]
    pub wau: Vec<Point>,
    #[schema(value_type = Vec<Object>)]
    pub mau: Vec<Point>,
    /// DAU / MAU per day.
    pub stickiness: Vec<Ratio>,
    /// Members who posted / active members, per day.
    pub posting_rate: Vec<Ratio>,
    /// (Comments + reactions) / posts, per day.
    pub interaction_rate: Vec<Ratio>,
    /// Cohorts by day of first activity (30 × 30).
    #[schema(value_type = Vec<Object>)]
    pub retention_daily: Vec<Cohort>,
    /// Cohorts by ISO week (Monday start) of first activity (12 × 12).
    #[schema(value_type = Vec<Object>)]
    pub retention_weekly: Vec<Cohort>,
    /// New / active / core / silent / churned members per day.
    pub tiers: Vec<TierRow>,
    /// Joined → accepted rules → first post → active in week 2.
    #[schema(value_type = Vec<Object>)]
    pub funnel: Vec<FunnelStep>,
    pub referral: ReferralView,
    pub response: ResponseView,
    /// Per topic, most posts first.
    pub topics: Vec<TopicRow>,
    /// 168 cells, Monday 00h first: posts created in that local hour and the interactions they received.
    #[schema(value_type = Vec<Object>)]
    pub hour_of_week: Vec<HeatCell>,
    /// By posts, then replies and reactions received.
    pub top_contributors: Vec<ContributorRow>,
    /// By KOL score.
    pub kols: Vec<ContributorRow>,
    /// Current members silent (no activity for 14–29 days) on the range's last day, most active before first.
    pub silent_members: Vec<SilentRow>,
}

fn tier_row(t: &TierPoint) -> TierRow {
    TierRow { date: t.date(), new: t.new, active: t.active, core: t.core, silent: t.silent, churned: t.churned }
}

fn ratios(v: Vec<(String, f64)>) -> Vec<Ratio> {
    v.into_iter().map(|(date, value)| Ratio { date, value }).collect()
}

/// The range asked for: the zone's name and zone, and the first and last local day.
fn range(
    c: &crepo::CommunityRow,
    from: Option<&str>,
    to: Option<&str>,
    tz: Option<&str>,
) -> AppResult<(String, Tz, Day, Day)> {
    let tz_name = tz.map(str::trim).filter(|t| !t.is_empty()).unwrap_or(&c.time_zone).to_string();
    let zone: Tz =
        tz_name.parse().map_err(|_| invalid("tz", "invalid_time_zone", format!("unknown time zone '{tz_name}'")))?;
    let today = engine::local_day(now(), zone);
    let to_day = parse_date("to", to)?.map(engine::day_of).unwrap_or(today);
    let from_day = parse_date("from", from)?.map(engine::day_of).unwrap_or(to_day - 29);
    if from_day > to_day {
        return Err(invalid("from", "out_of_range", "from is after to").into());
    }
    if to_day - from_day > 366 * 3 {
        return Err(invalid("from", "out_of_range", "at most three years at a time").into());
    }
    Ok((tz_name, zone, from_day, to_day))
}

fn parse_date(field: &'static str, raw: Option<&str>) -> AppResult<Option<NaiveDate>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| invalid(field, "invalid_date", format!("{field} is a date like 2026-11-01")).into()),
    }
}

impl App {
    /// The dashboard for admins of a community. `from`/`to` are local dates
    /// (default: the last 30 days); `tz` overrides the community's time zone.
    pub async fn analytics(
        &self,
        viewer: Viewer,
        slug: &str,
        from: Option<&str>,
        to: Option<&str>,
        tz: Option<&str>,
    ) -> AppResult<Dashboard> {
        let c = self.analytics_community(viewer, slug).await?;
        self.dashboard(&c, from, to, tz).await
    }

    /// Only DAU, WAU, MAU and stickiness (the page's comparison with the previous
    /// period), without the costlier figures.
    pub async fn analytics_activity(
        &self,
        viewer: Viewer,
        slug: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> AppResult<ActivitySeries> {
        let c = self.analytics_community(viewer, slug).await?;
        let (tz_name, zone, from_day, to_day) = range(&c, from, to, None)?;
        let built = self.engine_for(c.id, &tz_name, zone).await?;
        let b = built.lock_owned().await;
        let (dau, mut windows) = tokio::task::spawn_blocking(move || {
            (b.log.dau(from_day, to_day), b.log.trailing_many(from_day, to_day, &[7, 30]))
        })
        .await
        .map_err(|e| AppError::Internal(format!("analytics: {e}")))?;
        let mau = windows.pop().unwrap_or_default();
        let wau = windows.pop().unwrap_or_default();
        Ok(ActivitySeries { stickiness: stickiness(&dau, &mau), dau, wau, mau })
    }

    /// The community, if the viewer may see its analytics.
    async fn analytics_community(&self, viewer: Viewer, slug: &str) -> AppResult<crepo::CommunityRow> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::ViewAnalytics)?;
        Ok(std::sync::Arc::unwrap_or_clone(ctx.c))
    }

    /// The community's members in any of `tiers` today, by its time zone
    /// (user ids, ascending): what a segment's tier condition selects.
    pub(crate) async fn members_in_tiers(&self, c: &crepo::CommunityRow, tiers: &[Tier]) -> AppResult<Vec<i64>> {
        let zone: Tz = c.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
        let built = self.engine_for(c.id, &c.time_zone, zone).await?;
        let b = built.lock_owned().await;
        let today = engine::local_day(now(), zone);
        let tiers = tiers.to_vec();
        let ids = tokio::task::spawn_blocking(move || {
            let mut ids: Vec<i64> = vec![];
            for (t, set) in Tier::ALL.iter().zip(b.log.tier_members(today)) {
                if tiers.contains(t) {
                    ids.extend(set.iter().map(i64::from));
                }
            }
            ids.sort_unstable();
            ids
        })
        .await
        .map_err(|e| AppError::Internal(format!("analytics: {e}")))?;
        Ok(ids)
    }

    /// The same without a viewer, for the CLI (whoever can read the database may).
    pub async fn analytics_cli(
        &self,
        slug: &str,
        from: Option<&str>,
        to: Option<&str>,
        tz: Option<&str>,
    ) -> AppResult<Dashboard> {
        let c = {
            let mut c = self.db.read().await?;
            crepo::with_membership(&mut c, crepo::Key::Slug(slug), None)
                .await?
                .ok_or(AppError::NotFound("community"))?
                .0
        };
        self.dashboard(&c, from, to, tz).await
    }

    async fn dashboard(
        &self,
        c: &crepo::CommunityRow,
        from: Option<&str>,
        to: Option<&str>,
        tz: Option<&str>,
    ) -> AppResult<Dashboard> {
        let (tz_name, zone, from_day, to_day) = range(c, from, to, tz)?;
        let built = self.engine_for(c.id, &tz_name, zone).await?;
        // Hundreds of milliseconds at a million members: off the async workers.
        let mut b = built.lock_owned().await;
        let hit = b.memo.iter().find(|m| (m.0, m.1, m.2) == (from_day, to_day, b.applied)).map(|m| m.3.clone());
        let f = match hit {
            Some(f) => f,
            None => {
                let reuse = b.reuse.iter().find(|r| (r.0, r.1) == (from_day, to_day)).map(|r| r.2.clone());
                let (f, b2) = tokio::task::spawn_blocking(move || {
                    let f =
                        Arc::new(b.log.figures(from_day, to_day, TOP, SILENT_SHOWN * 4, &reuse.unwrap_or_default()));
                    (f, b)
                })
                .await
                .map_err(|e| AppError::Internal(format!("analytics: {e}")))?;
                b = b2;
                b.reuse.retain(|r| (r.0, r.1) != (from_day, to_day));
                if b.reuse.len() >= MEMO_RANGES {
                    b.reuse.remove(0);
                }
                b.reuse.push((from_day, to_day, f.reuse.clone()));
                let applied = b.applied;
                b.memo.retain(|m| m.2 == applied && (m.0, m.1) != (from_day, to_day));
                if b.memo.len() >= MEMO_RANGES {
                    b.memo.remove(0);
                }
                b.memo.push((from_day, to_day, applied, f.clone()));
                f
            }
        };
        drop(b);
        let f = Figures::clone(&f);
        let stickiness = stickiness(&f.dau, &f.mau);
        let d = Dashboard {
            community: c.slug.clone(),
            time_zone: tz_name.clone(),
            from: engine::date_of(from_day).to_string(),
            to: engine::date_of(to_day).to_string(),
            members: f.members,
            wau: f.wau,
            dau: f.dau,
            mau: f.mau,
            stickiness,
            posting_rate: ratios(f.posting_rate),
            interaction_rate: ratios(f.interaction_rate),
            retention_daily: f.retention_daily,
            retention_weekly: f.retention_weekly,
            tiers: f.tiers.iter().map(tier_row).collect(),
            funnel: f.funnel,
            response: ResponseView { posts: f.response.0, questions: f.response.1 },
            hour_of_week: f.hour_of_week,
            referral: ReferralView {
                invites_sent: f.referral.invites_sent,
                invited_joins: f.referral.invited_joins,
                acceptance_rate: f.referral.acceptance_rate,
                active_members: f.referral.active_members,
                invites_per_member: f.referral.invites_per_member,
                k: f.referral.k,
                top_inviters: vec![],
            },
            topics: vec![],
            top_contributors: vec![],
            kols: vec![],
            silent_members: vec![],
        };
        self.name_people(c.id, d, &f.topics, &f.top_contributors, &f.kols, &f.silent, &f.referral.top_inviters).await
    }

    /// Fills the tables with names (and leaves departed members out of the silent list).
    #[allow(clippy::too_many_arguments)]
    async fn name_people(
        &self,
        community_id: i64,
        mut d: Dashboard,
        topics: &[engine::TopicStat],
        top: &[Contributor],
        kols: &[Contributor],
        silent: &[engine::SilentMember],
        inviters: &[engine::Inviter],
    ) -> AppResult<Dashboard> {
        let ids: Vec<i64> = top
            .iter()
            .chain(kols)
            .map(|c| c.member)
            .chain(silent.iter().map(|s| s.member))
            .chain(inviters.iter().map(|i| i.member))
            .map(i64::from)
            .collect();
        let mut c = self.db.read().await?;
        let people: HashMap<i64, (Person, Option<String>)> = crepo::people(&mut c, community_id, &ids)
            .await?
            .into_iter()
            .map(|(user_id, username, display_name, state)| {
                (user_id, (Person { user_id, username, display_name }, state))
            })
            .collect();
        let names: HashMap<i64, String> =
            crepo::topics(&mut c, community_id).await?.into_iter().map(|t| (t.id, t.name)).collect();
        let person = |m: u32| people.get(&i64::from(m)).map(|p| p.0.clone());
        let row = |x: &Contributor| {
            person(x.member).map(|person| ContributorRow {
                person,
                posts: x.posts,
                comments: x.comments,
                replies_received: x.replies_received,
                reactions_received: x.reactions_received,
                kol_score: x.kol_score,
            })
        };
        d.top_contributors = top.iter().filter_map(row).collect();
        d.kols = kols.iter().filter_map(row).collect();
        d.silent_members = silent
            .iter()
            .filter(|s| people.get(&i64::from(s.member)).is_some_and(|p| p.1.as_deref() == Some("active")))
            .filter_map(|s| {
                Some(SilentRow {
                    person: person(s.member)?,
                    last_active: s.last_active.clone(),
                    active_days: s.active_days,
                })
            })
            .take(SILENT_SHOWN)
            .collect();
        d.referral.top_inviters = inviters
            .iter()
            .filter_map(|i| {
                Some(InviterRow {
                    person: person(i.member)?,
                    invites_sent: i.invites_sent,
                    invited: i.invited,
                    tree: i.tree,
                })
            })
            .collect();
        d.topics = topics
            .iter()
            .map(|t| TopicRow {
                topic_id: t.topic,
                name: t.topic.and_then(|id| names.get(&id).cloned()),
                posts: t.posts,
                posters: t.posters,
                posting_rate: t.posting_rate,
                interactions: t.interactions,
                interaction_rate: t.interaction_rate,
                response_rate: t.response_rate,
                median_first_reply_minutes: t.median_first_reply_minutes,
            })
            .collect();
        Ok(d)
    }

    /// The community's engine, brought up to date with the activity log.
    async fn engine_for(&self, community_id: i64, tz_name: &str, tz: Tz) -> AppResult<Shared> {
        let built = self
            .analytics
            .0
            .lock()
            .entry((community_id, tz_name.to_string()))
            .or_insert_with(|| {
                Arc::new(tokio::sync::Mutex::new(Built {
                    last_event_id: 0,
                    last_read_at: 0,
                    recent: HashMap::new(),
                    tz,
                    log: ActivityLog::new(),
                    applied: 0,
                    memo: Vec::new(),
                    reuse: Vec::new(),
                }))
            })
            .clone();
        {
            let mut b = built.lock().await;
            let mut c = self.db.read().await?;
            let assistant = users::find_assistant(&mut c).await?;
            let read_at = now();
            // Events that committed late (after a higher id was read) are caught by
            // re-reading a recent window; ids already counted are skipped.
            let since = b.last_read_at - LOOKBACK_MS;
            let zone = b.tz;
            let keep_from = read_at - LOOKBACK_MS;
            let apply = |b: &mut Built, (id, actor, at, kind, subject, payload): activity::ActorEvent| {
                if at >= keep_from {
                    b.recent.insert(id, at);
                }
                // The assistant is not a member; ids beyond u32 cannot be community members here.
                if Some(actor) == assistant {
                    return;
                }
                b.applied += 1;
                let when = At::local(at, zone);
                let event = engine::decode(&kind, subject, &payload);
                if let Ok(member) = u32::try_from(actor) {
                    b.log.record_event(member, when, event.what);
                }
                if let Some(member) = event.admitted {
                    b.log.record_join(member, when.day, None, true);
                }
            };
            if b.last_event_id > 0 {
                for row in activity::actors_recent(&mut c, community_id, b.last_event_id, since).await? {
                    if !b.recent.contains_key(&row.0) {
                        apply(&mut b, row);
                    }
                }
            }
            let mut last = b.last_event_id;
            activity::actors_since(&mut c, community_id, b.last_event_id, |row| {
                last = row.0;
                apply(&mut b, row);
                Ok(())
            })
            .await?;
            b.recent.retain(|_, at| *at >= keep_from);
            b.last_event_id = last;
            b.last_read_at = read_at;
        }
        Ok(built)
    }
}
