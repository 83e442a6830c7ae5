//! Moderation use cases: screening every post and comment against the
//! community's rules (in the writer's transaction), speaking rights (mute,
//! "posts need approval", warnings), reports, the review queue, the audit log
//! and the rules themselves. Decisions come from `yaji_domain::moderation` and
//! the permission core; this module loads state and persists outcomes.
//!
//! Automated actions are written as their own activity events with no actor
//! (the automod), in the same transaction as the post or comment that caused them.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaji_domain::activity::{Event, ModerationUpdated, RuleHit, Subject};
use yaji_domain::error::invalid;
use yaji_domain::member::Role;
use yaji_domain::moderation::{
    ladder_step, ActionKind, Author, Context, Evaluation, ModerationSettings, Recent, RuleSet, MAX_MUTE_MINUTES,
};
use yaji_domain::permission::Action;
use yaji_store::repo::moderation as repo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::communities::Ctx;
use crate::views::PersonView;
use crate::{finish, now, App, AppError, AppResult};

mod bulk;
mod reports;
mod screening;
mod speech;

pub(crate) use screening::Target;
use screening::{excerpt, state_of};

pub use crate::platform::context::INDEFINITE;
use crate::platform::{DAY_MS, HOUR_MS};
pub use bulk::{BulkMemberAction, BulkMembersOutcome, SkippedMember};
const RECENT_WINDOW_MS: i64 = HOUR_MS;

/// Per-node caches: compiled rule sets (keyed by the settings version stored
/// on the community, so every node notices a change on its next request) and
/// each member's recent messages for flood detection. The flood window is per
/// node: behind a load balancer a flooder is counted on each node separately.
#[derive(Default)]
pub(crate) struct ModerationState {
    rule_sets: Mutex<HashMap<i64, (i64, Arc<RuleSet>)>>,
    recent: Mutex<HashMap<(i64, i64), Vec<Recent>>>,
}

impl ModerationState {
    fn recent_of(&self, community_id: i64, user_id: i64, now: i64) -> Vec<Recent> {
        let mut map = self.recent.lock();
        let v = map.entry((community_id, user_id)).or_default();
        v.retain(|r| r.at > now - RECENT_WINDOW_MS);
        v.clone()
    }

    fn remember(&self, community_id: i64, user_id: i64, r: Recent) {
        let mut map = self.recent.lock();
        if map.len() > 100_000 {
            // Bound memory: drop members quiet for the whole window.
            map.retain(|_, v| v.iter().any(|x| x.at > r.at - RECENT_WINDOW_MS));
        }
        let v = map.entry((community_id, user_id)).or_default();
        v.push(r);
        if v.len() > 64 {
            v.remove(0);
        }
    }
}

/// One rule match as shown to people: `span` is a range of Unicode characters
/// (code points) of the text, `text` the matched part.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct HitView {
    pub rule: String,
    pub class: String,
    pub action: String,
    pub span: [usize; 2],
    pub text: String,
}

impl HitView {
    /// As the activity log records it.
    pub fn to_rule_hit(&self) -> RuleHit {
        RuleHit {
            rule: self.rule.clone(),
            class: self.class.clone(),
            action: self.action.clone(),
            span: self.span,
            text: self.text.clone(),
        }
    }
}

pub fn hit_views(set: &RuleSet, text: &str, e: &Evaluation) -> Vec<HitView> {
    e.hits
        .iter()
        .map(|h| {
            let r = set.rule(h.rule);
            HitView {
                rule: r.id.clone(),
                class: r.class.as_str().to_string(),
                action: r.sanction.action.as_str().to_string(),
                span: [text[..h.span.0].chars().count(), text[..h.span.1].chars().count()],
                text: text[h.span.0..h.span.1].to_string(),
            }
        })
        .collect()
}

async fn load_settings(conn: &mut Conn, community_id: i64) -> AppResult<ModerationSettings> {
    Ok(match repo::settings(conn, community_id).await? {
        Some(json) => serde_json::from_str(&json).unwrap_or_else(|e| {
            tracing::error!(community = community_id, error = %e, "unreadable moderation settings; using defaults");
            ModerationSettings::default()
        }),
        None => ModerationSettings::default(),
    })
}

// ---- operator-facing use cases ----

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModerationSettingsView {
    /// The settings document (see docs/moderation.md for every field).
    #[schema(value_type = Object)]
    pub settings: ModerationSettings,
    /// Bumped on every change.
    pub version: i64,
    /// Rule ids with their class and sanction, as compiled.
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<yaji_domain::moderation::Rule>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct TestInput {
    pub text: String,
    /// Days since the author joined (absent: not a newcomer by age).
    pub author_age_days: Option<u32>,
    /// Posts and comments the author has written (absent: not counted).
    pub author_posts: Option<u32>,
    /// Live strikes the author already has (for the ladder).
    #[serde(default)]
    pub strikes: u32,
    /// A reply under a moderator's post.
    #[serde(default)]
    pub reply_to_staff: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestResult {
    /// allow | hold | hide | warn | mute | remove | ban, after the ladder.
    pub action: String,
    pub mute_minutes: Option<u32>,
    /// What would happen to the content: visible | held | hidden.
    pub state: String,
    /// The rules' own verdict before the ladder.
    pub rule_action: String,
    pub strike_number: Option<u32>,
    pub hits: Vec<HitView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Publish the content; dismiss the flags.
    Approve,
    /// Keep the content hidden; dismiss the flags.
    Reject,
    /// Reject, and warn / mute / remove / ban the author.
    Warn,
    Mute,
    Remove,
    Ban,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlagView {
    /// rule | report
    pub source: String,
    pub reporter: Option<String>,
    pub reason: String,
    pub matches: Vec<HitView>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueItem {
    /// post | comment | member
    pub target_kind: String,
    pub target_id: i64,
    pub author: PersonView,
    pub excerpt: String,
    /// visible | held | hidden (members: visible)
    pub state: String,
    /// Where to read it: the post (for comments, their post).
    pub post_id: Option<i64>,
    pub flags: Vec<FlagView>,
    /// The author's strikes, newest first (rule, time).
    pub strikes: Vec<(String, String)>,
    pub oldest_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub kind: String,
    /// Username of the moderator; absent for the automod.
    pub actor: Option<String>,
    pub subject_kind: String,
    pub subject_id: i64,
    /// The subject by name: a member's display name, a post's title or first words.
    pub target_name: Option<String>,
    /// The member's username, for a link to their profile (member subjects).
    pub target_username: Option<String>,
    /// The post a comment is under, for a link (comment subjects).
    pub target_post_id: Option<i64>,
    pub at: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Post,
    Comment,
    Member,
}

fn mute_minutes(raw: Option<u32>) -> AppResult<Option<u32>> {
    match raw {
        Some(m) if !(1..=MAX_MUTE_MINUTES).contains(&m) => {
            Err(invalid("minutes", "out_of_range", "a mute lasts 1 minute to 365 days; leave empty for until lifted")
                .into())
        }
        m => Ok(m),
    }
}

impl App {
    pub async fn moderation_settings(&self, viewer: Viewer, slug: &str) -> AppResult<ModerationSettingsView> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::Moderate)?;
        let set = self.rule_set(&mut c, &ctx.c).await?;
        Ok(ModerationSettingsView {
            settings: set.settings().clone(),
            version: ctx.c.moderation_version,
            rules: set.rules().to_vec(),
        })
    }

    /// Replaces the settings. Invalid settings (a bad regex, a mute of 0
    /// minutes, a malformed domain) are refused whole with the field and why.
    pub async fn update_moderation(
        &self,
        viewer: Viewer,
        slug: &str,
        settings: ModerationSettings,
    ) -> AppResult<ModerationSettingsView> {
        let set = RuleSet::compile(&settings)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::EditModeration)?;
        let json = serde_json::to_string(&settings).map_err(|e| AppError::Internal(e.to_string()))?;
        let version = repo::save_settings(tx.conn(), ctx.c.id, &json, viewer.id, now).await?;
        let ev = Event::of(
            Some(ctx.c.id),
            viewer.id,
            Subject::Community(ctx.c.id),
            &ModerationUpdated { version, after: serde_json::to_value(&settings).unwrap_or_default() },
        );
        finish(tx, ev, now).await?;
        let rules = set.rules().to_vec();
        self.moderation.rule_sets.lock().insert(ctx.c.id, (version, Arc::new(set)));
        Ok(ModerationSettingsView { settings, version, rules })
    }

    /// "Test a message": what the rules would do and why, changing nothing.
    pub async fn test_message(&self, viewer: Viewer, slug: &str, input: &TestInput) -> AppResult<TestResult> {
        yaji_domain::text::body("text", &input.text)?;
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::Moderate)?;
        let set = self.rule_set(&mut c, &ctx.c).await?;
        Ok(test_with(&set, input))
    }
}

/// What the rules would do to a message, with the ladder applied for `strikes`.
pub fn test_with(set: &RuleSet, input: &TestInput) -> TestResult {
    let cx = Context {
        author: Author { role: Role::Member, age_days: input.author_age_days, posts: input.author_posts },
        reply_to_staff: input.reply_to_staff,
        now: 0,
        recent: &[],
    };
    let e = set.evaluate(&input.text, &cx);
    let mut s = e.sanction;
    let mut strike_number = None;
    if s.action.is_strike() {
        let n = input.strikes + 1;
        strike_number = Some(n);
        if let Some(step) = ladder_step(&set.settings().ladder, n) {
            s = s.max(step);
        }
    }
    TestResult {
        action: s.action.as_str().to_string(),
        mute_minutes: (s.action == ActionKind::Mute).then_some(s.mute_minutes),
        state: state_of(s.action).as_str().to_string(),
        rule_action: e.sanction.action.as_str().to_string(),
        strike_number,
        hits: hit_views(set, &input.text, &e),
    }
}

/// One line of `yaji moderation check` input.
#[derive(Deserialize)]
struct CheckLine {
    #[serde(default)]
    id: serde_json::Value,
    text: String,
    author_age_days: Option<u32>,
    author_posts: Option<u32>,
    #[serde(default)]
    reply_to_staff: bool,
}

/// `yaji moderation check`: classifies JSON lines from `input`, writing one
/// JSON object per non-blank line (`{"line", "error"}` for unreadable ones).
/// Spans are Unicode character offsets. Returns the number of unreadable lines.
pub fn check_lines(
    set: &RuleSet,
    input: impl std::io::BufRead,
    out: &mut impl std::io::Write,
) -> std::io::Result<usize> {
    let mut scratch = yaji_domain::moderation::Scratch::default();
    let mut errors = 0;
    for (n, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let v = match serde_json::from_str::<CheckLine>(&line) {
            Ok(m) => {
                let cx = Context {
                    author: Author { role: Role::Member, age_days: m.author_age_days, posts: m.author_posts },
                    reply_to_staff: m.reply_to_staff,
                    now: 0,
                    recent: &[],
                };
                let e = set.evaluate_with(&m.text, &cx, &mut scratch);
                let rules: Vec<serde_json::Value> = hit_views(set, &m.text, &e)
                    .into_iter()
                    .map(|h| serde_json::json!({"rule": h.rule, "class": h.class, "span": h.span}))
                    .collect();
                serde_json::json!({"id": m.id, "action": e.sanction.action.as_str(), "rules": rules})
            }
            Err(err) => {
                errors += 1;
                serde_json::json!({"line": n + 1, "error": err.to_string()})
            }
        };
        writeln!(out, "{v}")?;
    }
    out.flush()?;
    Ok(errors)
}

impl App {
    /// A community's compiled rules, for operator tools with database access (the CLI).
    pub async fn community_rule_set(&self, slug: &str) -> AppResult<Arc<RuleSet>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, None).await?;
        self.rule_set(&mut c, &ctx.c).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_lines_prints_one_object_per_line() {
        let input = concat!(
            r#"{"id":"a","text":"加 微 信 abc123 兼职日结","author_age_days":30}"#,
            "\n\n",
            r#"{"id":2,"text":"周末读书会见"}"#,
            "\n",
            "not json\n",
        );
        let mut out = Vec::new();
        let errors = check_lines(&RuleSet::defaults(), input.as_bytes(), &mut out).unwrap();
        assert_eq!(errors, 1);
        let lines: Vec<serde_json::Value> =
            String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["id"], "a");
        assert_eq!(lines[0]["action"], "warn");
        assert_eq!(lines[0]["rules"][0]["class"], "ad");
        assert_eq!(lines[0]["rules"][0]["span"], serde_json::json!([0, 12]));
        assert_eq!(lines[1], serde_json::json!({"id": 2, "action": "allow", "rules": []}));
        assert_eq!(lines[2]["line"], 4);
    }
}
