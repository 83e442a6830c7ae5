//! FAQ auto-reply (关键词自动回复): operators keep entries; a new question post
//! is matched in a background job; above the community's threshold the
//! assistant replies (marked automatic, with "did this help?"), below it the
//! question waits in the unanswered list and moderators hear of it after a delay
//! if no member answered. Also the CLI's `yaji faq match`.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaji_domain::activity::{CommentCreated, Event, FaqUpdated, Kind, PostCreated, Subject};
use yaji_domain::content::ContentState;
use yaji_domain::error::invalid;
use yaji_domain::faq::{FaqEntry, FaqIndex};
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_domain::text;
use yaji_store::repo::community as crepo;
use yaji_store::repo::content as content_repo;
use yaji_store::repo::faq as repo;
use yaji_store::repo::user as users;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::communities::Ctx;
use crate::content::assistant_comment;
use crate::platform::events::Recorded;
use crate::platform::jobs::Job;
use crate::platform::notifications::notify;
use crate::platform::MINUTE_MS;
use crate::{finish, now, rfc3339, App, AppError, AppResult};

/// A community's built index and the entries it was built from (same order).
type Built = Arc<(FaqIndex, Vec<repo::EntryRow>)>;

/// Per-node cache of built indexes, keyed by the community's `faq_version`.
#[derive(Default)]
pub(crate) struct FaqCache(Mutex<HashMap<i64, (i64, Built)>>);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FaqEntryView {
    pub id: i64,
    pub questions: Vec<String>,
    pub answer: String,
    pub answer_html: String,
    /// How often the assistant answered with this entry, and the askers' verdicts.
    pub answered_count: i64,
    pub helpful_count: i64,
    pub unhelpful_count: i64,
    pub updated_at: String,
}

impl From<repo::EntryRow> for FaqEntryView {
    fn from(e: repo::EntryRow) -> Self {
        FaqEntryView {
            id: e.id,
            questions: serde_json::from_str(&e.questions).unwrap_or_default(),
            answer_html: text::markdown_to_html(&e.answer),
            answer: e.answer,
            answered_count: e.answered_count,
            helpful_count: e.helpful_count,
            unhelpful_count: e.unhelpful_count,
            updated_at: rfc3339(e.updated_at),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FaqInput {
    /// 1-20 phrasings of the question.
    pub questions: Vec<String>,
    /// Markdown.
    pub answer: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FaqSettings {
    /// Confidence (0.1-1.0) the assistant needs to answer.
    pub threshold: f64,
    /// Minutes after which moderators hear of a question nobody answered (1-10080).
    pub unanswered_minutes: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnansweredView {
    pub post_id: i64,
    pub asker: String,
    pub title: Option<String>,
    pub excerpt: String,
    /// The closest entry and its confidence, below the threshold.
    pub best_entry_id: Option<i64>,
    pub best_score: f64,
    pub asked_at: String,
    pub moderators_notified: bool,
}

fn parse_input(i: &FaqInput) -> AppResult<(String, String)> {
    // Each phrasing is a single line like any other name-sized field: no NUL,
    // no control characters, at most 200 characters.
    let mut qs = Vec::new();
    for q in &i.questions {
        qs.extend(text::optional_line("questions", q, 200)?);
    }
    if qs.is_empty() || qs.len() > 20 {
        return Err(invalid("questions", "out_of_range", "give 1-20 phrasings of the question").into());
    }
    let answer = text::body("answer", &i.answer)?;
    if answer.len() > 10_000 {
        return Err(invalid("answer", "too_long", "answers are at most 10 KB").into());
    }
    Ok((serde_json::to_string(&qs).unwrap_or_default(), answer))
}

impl App {
    async fn faq_index(&self, conn: &mut Conn, c: &crepo::CommunityRow) -> AppResult<Built> {
        if let Some((v, idx)) = self.faq.0.lock().get(&c.id) {
            if *v == c.faq_version {
                return Ok(idx.clone());
            }
        }
        let rows = repo::entries(conn, c.id).await?;
        let entries: Vec<FaqEntry> = rows
            .iter()
            .map(|e| FaqEntry {
                id: e.id.to_string(),
                questions: serde_json::from_str(&e.questions).unwrap_or_default(),
                answer: String::new(),
            })
            .collect();
        let built = Arc::new((FaqIndex::build(&entries), rows));
        self.faq.0.lock().insert(c.id, (c.faq_version, built.clone()));
        Ok(built)
    }

    /// The FAQ of a community, for operators (moderators and above).
    pub async fn faq_entries(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<FaqEntryView>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::Moderate)?;
        Ok(repo::entries(&mut c, ctx.c.id).await?.into_iter().map(Into::into).collect())
    }

    /// The entries as a file of `{"id","questions","answer"}` (for `yaji faq match --community`).
    pub async fn faq_file(&self, slug: &str) -> AppResult<Vec<FaqEntry>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, None).await?;
        Ok(repo::entries(&mut c, ctx.c.id)
            .await?
            .into_iter()
            .map(|e| FaqEntry {
                id: e.id.to_string(),
                questions: serde_json::from_str(&e.questions).unwrap_or_default(),
                answer: e.answer,
            })
            .collect())
    }

    pub async fn create_faq_entry(&self, viewer: Viewer, slug: &str, input: &FaqInput) -> AppResult<FaqEntryView> {
        let (questions, answer) = parse_input(input)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::EditSettings)?;
        let id = repo::insert(tx.conn(), ctx.c.id, &questions, &answer, now).await?;
        let row = repo::entry(tx.conn(), id).await?.ok_or(AppError::NotFound("faq entry"))?;
        let change = FaqUpdated { entry_id: Some(id), change: Some("created".into()), ..Default::default() };
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id), &change);
        finish(tx, ev, now).await?;
        Ok(row.into())
    }

    pub async fn update_faq_entry(&self, viewer: Viewer, id: i64, input: &FaqInput) -> AppResult<FaqEntryView> {
        let (questions, answer) = parse_input(input)?;
        let now = now();
        let mut tx = self.db.write().await?;
        let e = repo::entry(tx.conn(), id).await?.ok_or(AppError::NotFound("faq entry"))?;
        let ctx = Ctx::load_id(tx.conn(), e.community_id, Some(viewer)).await?;
        ctx.allow(Action::EditSettings)?;
        repo::update(tx.conn(), &e, &questions, &answer, now).await?;
        let row = repo::entry(tx.conn(), id).await?.ok_or(AppError::NotFound("faq entry"))?;
        let change = FaqUpdated { entry_id: Some(id), change: Some("updated".into()), ..Default::default() };
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id), &change);
        finish(tx, ev, now).await?;
        Ok(row.into())
    }

    pub async fn delete_faq_entry(&self, viewer: Viewer, id: i64) -> AppResult<()> {
        let now = now();
        let mut tx = self.db.write().await?;
        let e = repo::entry(tx.conn(), id).await?.ok_or(AppError::NotFound("faq entry"))?;
        let ctx = Ctx::load_id(tx.conn(), e.community_id, Some(viewer)).await?;
        ctx.allow(Action::EditSettings)?;
        repo::delete(tx.conn(), &e, now).await?;
        let change = FaqUpdated { entry_id: Some(id), change: Some("deleted".into()), ..Default::default() };
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id), &change);
        finish(tx, ev, now).await
    }

    pub async fn faq_settings(&self, viewer: Viewer, slug: &str) -> AppResult<FaqSettings> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::Moderate)?;
        let (threshold, unanswered_minutes) = repo::settings(&mut c, ctx.c.id).await?;
        Ok(FaqSettings { threshold: threshold as f64 / 1000.0, unanswered_minutes })
    }

    pub async fn set_faq_settings(&self, viewer: Viewer, slug: &str, s: &FaqSettings) -> AppResult<FaqSettings> {
        if !(0.1..=1.0).contains(&s.threshold) {
            return Err(invalid("threshold", "out_of_range", "threshold is between 0.1 and 1.0").into());
        }
        if !(1..=10_080).contains(&s.unanswered_minutes) {
            return Err(invalid("unanswered_minutes", "out_of_range", "1 minute to 7 days").into());
        }
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = Ctx::load(tx.conn(), slug, Some(viewer)).await?;
        ctx.allow(Action::EditSettings)?;
        let t = (s.threshold * 1000.0).round() as i64;
        repo::set_settings(tx.conn(), ctx.c.id, t, s.unanswered_minutes).await?;
        let change = FaqUpdated {
            threshold: Some(s.threshold),
            unanswered_minutes: Some(s.unanswered_minutes),
            ..Default::default()
        };
        let ev = Event::of(Some(ctx.c.id), viewer.id, Subject::Community(ctx.c.id), &change);
        finish(tx, ev, now).await?;
        Ok(s.clone())
    }

    pub async fn faq_unanswered(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<UnansweredView>> {
        let mut c = self.db.read().await?;
        let ctx = Ctx::load(&mut c, slug, Some(viewer)).await?;
        ctx.allow(Action::Moderate)?;
        Ok(repo::unanswered(&mut c, ctx.c.id, 200)
            .await?
            .into_iter()
            .map(|u| UnansweredView {
                post_id: u.post_id,
                asker: u.asker_username,
                title: u.title,
                excerpt: u.excerpt,
                best_entry_id: u.best_entry_id,
                best_score: u.best_score as f64 / 1000.0,
                asked_at: rfc3339(u.created_at),
                moderators_notified: u.notified_at.is_some(),
            })
            .collect())
    }

    /// The asker says whether the automatic answer helped (once).
    pub async fn faq_feedback(&self, viewer: Viewer, reply_id: i64, helpful: bool) -> AppResult<()> {
        let mut tx = self.db.write().await?;
        let r = repo::reply(tx.conn(), reply_id).await?.ok_or(AppError::NotFound("faq reply"))?;
        if r.asker_id != viewer.id {
            return Err(AppError::forbidden("not_author", "only the person who asked can say whether it helped"));
        }
        if !repo::set_feedback(tx.conn(), &r, helpful).await? {
            return Err(AppError::conflict("already_decided", None, "you already said whether this helped"));
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn faq_answer_job(&self, conn: &mut Conn, post_id: i64) -> AppResult<String> {
        let Some(p) = content_repo::post(conn, post_id)
            .await?
            .filter(|p| p.deleted_at.is_none() && p.moderation == ContentState::Visible)
        else {
            return Ok("skipped: post gone or withheld".into());
        };
        let text = format!("{}\n{}", p.title.clone().unwrap_or_default(), p.body);
        self.faq_answer(conn, p.community_id, post_id, p.author_id, None, &text).await
    }

    /// A question asked in a comment: answered under the same post, addressed to
    /// the asker. Below the threshold it is left to the thread (whose author
    /// already gets a reply notification) rather than to the unanswered list.
    pub(crate) async fn faq_answer_comment_job(&self, conn: &mut Conn, comment_id: i64) -> AppResult<String> {
        let Some(cm) = content_repo::comment(conn, comment_id)
            .await?
            .filter(|c| c.deleted_at.is_none() && c.moderation == ContentState::Visible)
        else {
            return Ok("skipped: comment gone or withheld".into());
        };
        let asker = (cm.author_id, cm.author_username.clone());
        self.faq_answer(conn, cm.community_id, cm.post_id, cm.author_id, Some(asker), &cm.body).await
    }

    /// Matches a question against the FAQ and replies under `post_id`, or records it as unanswered.
    async fn faq_answer(
        &self,
        conn: &mut Conn,
        community_id: i64,
        post_id: i64,
        asker_id: i64,
        in_comment: Option<(i64, String)>,
        text: &str,
    ) -> AppResult<String> {
        let Some((c, _)) = crepo::with_membership(conn, crepo::Key::Id(community_id), None).await? else {
            return Ok("skipped: community gone".into());
        };
        let idx = self.faq_index(conn, &c).await?;
        let best = idx.0.best(text);
        let now = now();
        let (threshold, unanswered_minutes) = repo::settings(conn, c.id).await?;
        let threshold = threshold as f64 / 1000.0;
        match best.clone().filter(|m| m.score >= threshold) {
            Some(m) => {
                let entry = &idx.1[m.entry];
                let assistant = users::assistant(conn, now).await?;
                let body = match &in_comment {
                    Some((_, username)) => format!("@{username} {}", entry.answer),
                    None => entry.answer.clone(),
                };
                let extra = CommentCreated {
                    faq_entry_id: Some(entry.id),
                    score: Some(m.score),
                    question_comment_id: in_comment.as_ref().map(|c| c.0),
                    ..Default::default()
                };
                let comment_id = assistant_comment(conn, c.id, post_id, assistant, &body, extra, now).await?;
                let score = (m.score * 1000.0).round() as i64;
                let reply = repo::NewReply {
                    community_id: c.id,
                    entry_id: entry.id,
                    post_id,
                    comment_id,
                    asker_id,
                    score,
                    created_at: now,
                };
                repo::insert_reply(conn, &reply).await?;
                Ok(format!("answered with entry {} ({:.3})", entry.id, m.score))
            }
            None if in_comment.is_some() => Ok("no confident answer: left to the thread".into()),
            None => {
                let best = best.map(|m| (idx.1[m.entry].id, (m.score * 1000.0).round() as i64));
                repo::insert_unanswered(conn, c.id, post_id, asker_id, best, now).await?;
                let at = now + unanswered_minutes * MINUTE_MS;
                crate::platform::jobs::enqueue(conn, Job::FaqUnansweredCheck { community_id: c.id, post_id, at }, now)
                    .await?;
                Ok("unanswered".into())
            }
        }
    }

    pub(crate) async fn faq_unanswered_job(&self, conn: &mut Conn, post_id: i64) -> AppResult<String> {
        let Some(p) = content_repo::post(conn, post_id).await?.filter(|p| p.deleted_at.is_none()) else {
            return Ok("skipped: post gone".into());
        };
        let now = now();
        if repo::answered_by_member(conn, post_id, p.author_id).await? {
            repo::mark_unanswered(conn, post_id, true, now).await?;
            return Ok("answered by a member".into());
        }
        let detail = serde_json::json!({"post_id": post_id, "title": p.title, "excerpt": p.excerpt});
        let staff = crate::membership::staff(conn, p.community_id).await?;
        for uid in &staff {
            notify(conn, *uid, Some(p.community_id), NotificationKind::UnansweredQuestion, &detail, now).await?;
        }
        repo::mark_unanswered(conn, post_id, false, now).await?;
        Ok(format!("moderators notified ({})", staff.len()))
    }
}

#[derive(Deserialize)]
struct Question {
    #[serde(default)]
    id: serde_json::Value,
    text: String,
}

/// Reads `{"id","text"}` lines and writes `{"id","match","score"}` per non-blank
/// line (`match` null below `threshold`; `{"line","error"}` for unreadable lines).
pub fn match_lines(
    index: &FaqIndex,
    threshold: f64,
    input: impl std::io::BufRead,
    out: &mut impl std::io::Write,
) -> std::io::Result<usize> {
    let mut errors = 0;
    for (n, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let v = match serde_json::from_str::<Question>(&line) {
            Ok(q) => {
                let best = index.best(&q.text);
                let score = best.as_ref().map_or(0.0, |m| m.score);
                let matched = best.filter(|m| m.score >= threshold).map(|m| m.id);
                serde_json::json!({"id": q.id, "match": matched, "score": score})
            }
            Err(e) => {
                errors += 1;
                serde_json::json!({"line": n + 1, "error": e.to_string()})
            }
        };
        writeln!(out, "{v}")?;
    }
    out.flush()?;
    Ok(errors)
}

/// Subscriber: a member's visible question (a post, or a comment by someone
/// other than staff — staff asking in a thread are usually answering with a
/// question) goes to the FAQ job, when the community has an FAQ.
pub(crate) async fn on_event(conn: &mut Conn, r: &Recorded<'_>, now: i64) -> AppResult<()> {
    let (Some(ctx), Some(text)) = (r.facts.ctx, r.facts.text) else { return Ok(()) };
    if ctx.c.faq_version == 0 || !yaji_domain::faq::is_question(text) {
        return Ok(());
    }
    let community_id = ctx.c.id;
    let job = match (r.event.kind, r.event.subject) {
        (Kind::PostCreated, Subject::Post(post_id))
            if r.event.payload::<PostCreated>().is_some_and(|p| p.is_visible()) =>
        {
            Job::FaqAnswer { community_id, post_id }
        }
        (Kind::CommentCreated, Subject::Comment(comment_id))
            if !ctx.can(Action::Moderate) && r.event.payload::<CommentCreated>().is_some_and(|p| p.is_visible()) =>
        {
            Job::FaqAnswerComment { community_id, comment_id }
        }
        _ => return Ok(()),
    };
    crate::platform::jobs::enqueue(conn, job, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use yaji_domain::faq::{FaqEntry, DEFAULT_THRESHOLD};

    #[test]
    fn one_object_per_line() {
        let faq =
            vec![FaqEntry { id: "fee".into(), questions: vec!["会员费多少钱".into()], answer: String::new() }];
        let idx = FaqIndex::build(&faq);
        let input = "{\"id\":\"a\",\"text\":\"请问会员费多少钱？\"}\n\n{\"id\":2,\"text\":\"去爬山吗\"}\nnope\n";
        let mut out = Vec::new();
        assert_eq!(match_lines(&idx, DEFAULT_THRESHOLD, input.as_bytes(), &mut out).unwrap(), 1);
        let lines: Vec<serde_json::Value> =
            String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0]["match"], "fee");
        assert_eq!(lines[0]["score"], 1.0);
        assert_eq!(lines[1]["match"], serde_json::Value::Null);
        assert_eq!(lines[2]["line"], 4);
    }
}
