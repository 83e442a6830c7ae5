//! Onboarding: the newcomer checklist (新人任务) with its subscriber, the
//! member's "no assistant messages" switch, and the operators' setup guide
//! for a new community.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaji_domain::activity::{AutomationUpdated, Event, Kind, PostCreated, ProfileUpdated, Subject};
use yaji_domain::error::invalid;
use yaji_domain::member::MemberState;
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_domain::setup::{self, SetupFacts, SetupStep};
use yaji_store::repo::community as crepo;
use yaji_store::repo::onboarding as repo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::communities::Ctx;
use crate::content::PostInput;
use crate::membership::{active_members, ActiveMember};
use crate::platform::events::{record_event, Recorded};
use crate::platform::jobs::Job;
use crate::platform::notifications::notify;
use crate::{finish, now, rfc3339, App, AppError, AppResult};

/// The topic introductions go to when the operator names none.
pub const DEFAULT_INTRO_TOPIC: &str = "自我介绍";

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChecklistTask {
    /// rules | intro | first_post
    pub key: String,
    pub done: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChecklistView {
    pub enabled: bool,
    pub intro_topic_id: Option<i64>,
    pub intro_topic: Option<String>,
    pub tasks: Vec<ChecklistTask>,
    pub completed_at: Option<String>,
    /// The member asked the assistant not to message them.
    pub assistant_opt_out: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChecklistProgress {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub joined_at: String,
    pub rules: bool,
    pub intro: bool,
    pub first_post: bool,
    pub completed_at: Option<String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct IntroInput {
    /// How to address you.
    pub name: String,
    pub city: String,
    pub occupation: String,
    /// What you hope to get from the community.
    pub hope: String,
}

/// The operators' setup guide: what a new community still lacks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SetupGuide {
    pub steps: Vec<SetupStepView>,
    pub done: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SetupStepView {
    /// describe | rules | questions | topics | welcome | first_post | invite
    #[schema(value_type = String)]
    pub step: SetupStep,
    pub done: bool,
}

/// The guide is offered for a community's first month.
const SETUP_GUIDE_DAYS: i64 = 30;

fn tags_of(m: &ActiveMember) -> Vec<String> {
    let mut t: Vec<String> =
        m.tags.as_deref().unwrap_or("").split(',').filter(|s| !s.is_empty()).map(str::to_string).collect();
    t.sort();
    t
}

/// (rules, intro, first post) for a member; `intro_topic` is the
/// community's (read once by callers that look at many members).
async fn progress(
    conn: &mut Conn,
    c: &crepo::CommunityRow,
    intro_topic: Option<i64>,
    user_id: i64,
    rules_accepted: i64,
) -> AppResult<(bool, bool, bool)> {
    let (intro, other) = repo::post_counts(conn, c.id, user_id, intro_topic).await?;
    Ok((c.rules_version == 0 || rules_accepted >= c.rules_version, intro > 0, other > 0))
}

impl App {
    /// The setup guide for staff who may edit the community's settings:
    /// `None` for everyone else, once every step is done, after staff hid
    /// it, and after the community's first month.
    pub async fn setup_guide(&self, viewer: Viewer, slug: &str) -> AppResult<Option<SetupGuide>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        if !ctx.can(Action::EditSettings) || now() - ctx.c.created_at > SETUP_GUIDE_DAYS * yaji_domain::DAY_MS {
            return Ok(None);
        }
        if repo::setup_dismissed_at(&mut c, ctx.c.id).await?.is_some() {
            return Ok(None);
        }
        let questions: Vec<String> = serde_json::from_str(&ctx.c.entry_questions).unwrap_or_default();
        let facts = SetupFacts {
            has_description: !ctx.c.description.trim().is_empty(),
            has_announcement: !ctx.c.announcement.trim().is_empty(),
            rules_version: ctx.c.rules_version,
            approval: ctx.c.join_policy == "approval",
            entry_questions: questions.len(),
            topics: crepo::topics(&mut c, ctx.c.id).await?.len(),
            welcome_on: ctx.c.checklist_enabled == 1
                || crate::automation::template_enabled(&mut c, ctx.c.id, "welcome").await?,
            posts: ctx.c.post_count,
            members: ctx.c.member_count,
            invites: yaji_store::repo::membership::invite_count(&mut c, ctx.c.id).await?,
        };
        let steps: Vec<SetupStepView> =
            setup::steps(&facts).into_iter().map(|(step, done)| SetupStepView { step, done }).collect();
        let done = steps.iter().filter(|s| s.done).count();
        Ok((done < steps.len()).then_some(SetupGuide { steps, done }))
    }

    /// Hides the setup guide for every staff member of the community.
    pub async fn dismiss_setup_guide(&self, viewer: Viewer, slug: &str) -> AppResult<()> {
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::EditSettings)?;
        repo::dismiss_setup(tx.conn(), ctx.c.id, now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The signed-in member's checklist in a community.
    pub async fn checklist(&self, viewer: Viewer, slug: &str) -> AppResult<ChecklistView> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        let m = ctx
            .membership
            .as_ref()
            .filter(|m| m.state == MemberState::Active)
            .ok_or(AppError::forbidden("members_only", "only members of this community have a checklist"))?;
        let intro_topic_id = repo::intro_topic(&mut c, ctx.c.id).await?;
        let (rules, intro, first) =
            progress(&mut c, &ctx.c, intro_topic_id, viewer.id, m.rules_version_accepted).await?;
        let row = active_members(&mut c, ctx.c.id, Some(viewer.id)).await?.into_iter().next();
        let topic = match intro_topic_id {
            Some(t) => crepo::topic(&mut c, t).await?.map(|t| t.name),
            None => None,
        };
        let task = |key: &str, done| ChecklistTask { key: key.into(), done };
        Ok(ChecklistView {
            enabled: ctx.c.checklist_enabled == 1,
            intro_topic_id,
            intro_topic: topic,
            tasks: vec![task("rules", rules), task("intro", intro), task("first_post", first)],
            completed_at: row.as_ref().and_then(|r| r.checklist_completed_at).map(rfc3339),
            assistant_opt_out: row.is_some_and(|r| r.assistant_opt_out == 1),
        })
    }

    /// Turns the checklist on or off; introductions go to `intro_topic` (created if missing).
    pub async fn set_checklist(
        &self,
        viewer: Viewer,
        slug: &str,
        enabled: bool,
        intro_topic: Option<&str>,
    ) -> AppResult<()> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::ManageAutomation)?;
        let name = intro_topic.map(str::trim).filter(|s| !s.is_empty());
        let topic_id = match (name, repo::intro_topic(tx.conn(), ctx.c.id).await?) {
            (None, Some(id)) => Some(id),
            (name, _) => {
                let name = yaji_domain::community::topic_name(name.unwrap_or(DEFAULT_INTRO_TOPIC))?;
                Some(crepo::ensure_topic(tx.conn(), ctx.c.id, &name, now).await?)
            }
        };
        repo::set_checklist(tx.conn(), ctx.c.id, enabled, topic_id).await?;
        let ev = Event::of(
            Some(ctx.c.id),
            viewer.id,
            Subject::Community(ctx.c.id),
            &AutomationUpdated { checklist: Some(enabled), intro_topic_id: topic_id, ..Default::default() },
        );
        finish(tx, ev, now).await
    }

    /// Posts the member's introduction from the template into the intro topic.
    pub async fn introduce(
        &self,
        viewer: Viewer,
        slug: &str,
        input: &IntroInput,
        zh: bool,
    ) -> AppResult<crate::views::PostView> {
        let topic = {
            let mut c = self.db.read().await?;
            let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
            if ctx.c.checklist_enabled != 1 {
                return Err(AppError::conflict("checklist_off", None, "this community has no newcomer checklist"));
            }
            repo::intro_topic(&mut c, ctx.c.id).await?
        };
        let fields =
            [("name", &input.name), ("city", &input.city), ("occupation", &input.occupation), ("hope", &input.hope)];
        for (f, v) in fields {
            let n = v.trim().chars().count();
            if n == 0 || n > if f == "hope" { 500 } else { 50 } {
                let field = match f {
                    "name" => "name",
                    "city" => "city",
                    "occupation" => "occupation",
                    _ => "hope",
                };
                return Err(invalid(
                    field,
                    "invalid_length",
                    format!("{field}: 1-{} characters", if f == "hope" { 500 } else { 50 }),
                )
                .into());
            }
        }
        let (title, body) = if zh {
            (
                format!("大家好，我是{}", input.name.trim()),
                format!(
                    "- **称呼**：{}\n- **城市**：{}\n- **职业**：{}\n- **希望在这里收获**：{}",
                    input.name.trim(),
                    input.city.trim(),
                    input.occupation.trim(),
                    input.hope.trim()
                ),
            )
        } else {
            (
                format!("Hello, I am {}", input.name.trim()),
                format!(
                    "- **Name**: {}\n- **City**: {}\n- **Occupation**: {}\n- **What I hope to get here**: {}",
                    input.name.trim(),
                    input.city.trim(),
                    input.occupation.trim(),
                    input.hope.trim()
                ),
            )
        };
        self.create_post(viewer, slug, PostInput { title: Some(&title), body: &body, topic_id: topic }).await
    }

    /// Checklist progress of the newest members, for operators.
    pub async fn checklist_progress(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<ChecklistProgress>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::Moderate)?;
        let mut members = active_members(&mut c, ctx.c.id, None).await?;
        members.sort_by_key(|m| std::cmp::Reverse(m.joined_at));
        members.truncate(200);
        let intro_topic = repo::intro_topic(&mut c, ctx.c.id).await?;
        let mut out = Vec::with_capacity(members.len());
        for m in members {
            let accepted =
                crepo::membership(&mut c, ctx.c.id, m.user_id).await?.map_or(0, |r| r.rules_version_accepted);
            let (rules, intro, first_post) = progress(&mut c, &ctx.c, intro_topic, m.user_id, accepted).await?;
            out.push(ChecklistProgress {
                tags: tags_of(&m),
                user_id: m.user_id,
                username: m.username,
                display_name: m.display_name,
                joined_at: rfc3339(m.joined_at),
                rules,
                intro,
                first_post,
                completed_at: m.checklist_completed_at.map(rfc3339),
            });
        }
        Ok(out)
    }

    /// Job: after a member's post, complete their checklist if every task is done.
    pub(crate) async fn checklist_job(&self, conn: &mut Conn, cid: i64, uid: i64) -> AppResult<String> {
        let Some((c, Some(m))) = crepo::with_membership(conn, crepo::Key::Id(cid), Some(uid)).await? else {
            return Ok("skipped: not a member".into());
        };
        if c.checklist_enabled != 1 || m.state != MemberState::Active {
            return Ok("skipped: checklist off or not active".into());
        }
        let intro_topic = repo::intro_topic(conn, c.id).await?;
        let (rules, intro, first) = progress(conn, &c, intro_topic, uid, m.rules_version_accepted).await?;
        if !(rules && intro && first) {
            return Ok(format!("in progress: rules={rules} intro={intro} first_post={first}"));
        }
        let now = now();
        if !repo::complete_checklist(conn, cid, uid, now).await? {
            return Ok("already complete".into());
        }
        let ev = Event::new(Kind::ChecklistCompleted, Some(cid), uid, Subject::User(uid));
        record_event(conn, &ev, now).await?;
        Ok("completed".into())
    }

    /// A member turns automated assistant messages off (or back on) for themselves.
    pub async fn set_assistant_opt_out(&self, viewer: Viewer, slug: &str, out: bool) -> AppResult<()> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        if ctx.membership.as_ref().is_none_or(|m| m.state != MemberState::Active) {
            return Err(AppError::forbidden("members_only", "only members can change this"));
        }
        repo::set_opt_out(tx.conn(), ctx.c.id, viewer.id, out).await?;
        let ev = Event::of(
            Some(ctx.c.id),
            viewer.id,
            Subject::User(viewer.id),
            &ProfileUpdated { assistant_opt_out: Some(out), ..Default::default() },
        );
        finish(tx, ev, now).await
    }
}

impl App {
    /// Job: greets a member who just joined. A recipient who left, was
    /// removed or is muted by send time is skipped; an enabled welcome rule
    /// (from the automation template) greets instead.
    pub(crate) async fn welcome_job(&self, conn: &mut Conn, cid: i64, uid: i64) -> AppResult<String> {
        let Some((c, Some(m))) = crepo::with_membership(conn, crepo::Key::Id(cid), Some(uid)).await? else {
            return Ok("skipped: not a member".into());
        };
        if m.state != MemberState::Active {
            return Ok(format!("skipped: {}", m.state.as_str()));
        }
        if crate::platform::context::mute_end(m.muted_until, now()).is_some() {
            return Ok("skipped: muted".into());
        }
        if crate::automation::template_enabled(conn, cid, "welcome").await? {
            return Ok("skipped: the community's welcome rule greets instead".into());
        }
        let detail = serde_json::json!({
            "community": c.name, "slug": c.slug, "rules_link": format!("/c/{}/rules", c.slug),
        });
        notify(conn, uid, Some(cid), NotificationKind::Welcome, &detail, now()).await?;
        Ok("sent".into())
    }
}

/// Subscriber: a member's visible post may finish their newcomer checklist
/// (a job checks, so the post does not wait for it).
pub(crate) async fn on_event(conn: &mut Conn, r: &Recorded<'_>, now: i64) -> AppResult<()> {
    let (Some(ctx), Kind::PostCreated, Subject::Post(post_id), Some(user_id)) =
        (r.facts.ctx, r.event.kind, r.event.subject, r.event.actor_id)
    else {
        return Ok(());
    };
    if ctx.c.checklist_enabled == 1 && r.event.payload::<PostCreated>().is_some_and(|p| p.is_visible()) {
        let job = Job::ChecklistCheck { community_id: ctx.c.id, user_id, post_id };
        crate::platform::jobs::enqueue(conn, job, now).await?;
    }
    Ok(())
}
