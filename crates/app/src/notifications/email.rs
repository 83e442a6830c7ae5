//! Email: the mailer turns in-app notifications into email through SMTP,
//! honouring each member's per-kind mode (off / immediate / daily / weekly
//! digest) and quiet hours in their time zone. It runs as a recurring job
//! every minute (one per minute across all nodes, by its dedupe key); sending
//! happens outside any transaction and is at-least-once: a crash between
//! the SMTP "250 OK" and the commit sends that batch again.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use hmac::{Hmac, Mac};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;
use yaji_domain::activity::{Event, ProfileUpdated, Subject};
use yaji_domain::email::{self as policy, Decision, Mode};
use yaji_domain::error::invalid;
use yaji_domain::notification::NotificationKind;
use yaji_store::repo::jobs as jobs_repo;
use yaji_store::repo::notifications::email as repo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::platform::jobs::Job;
use crate::{finish, now, App, AppError, AppResult};

const SWEEP_EVERY_MS: i64 = crate::platform::MINUTE_MS;
const BATCH: i64 = 2_000;
/// Notifications considered per pass at most; the rest wait for the next minute.
const MAX_PER_SWEEP: usize = 50_000;

/// Where mail goes out and what links in it point to.
#[derive(Clone)]
pub struct MailConfig {
    /// `smtp://host:port`, `smtp://user:pass@host:587?tls=required`, `smtps://host:465`.
    pub smtp_url: String,
    /// The From address, e.g. `Yaji <noreply@example.com>`.
    pub from: String,
    /// The public base URL of this site, for links in emails (`https://club.example.com`).
    pub public_url: String,
}

/// The SMTP URL may carry a password: never print it.
impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp_url", &yaji_store::redact(&self.smtp_url))
            .field("from", &self.from)
            .field("public_url", &self.public_url)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EmailPreferences {
    /// Empty or absent: no email at all.
    pub email: Option<String>,
    /// Local hours [start, end) in your time zone with no email; equal values: none.
    pub quiet_start: i64,
    pub quiet_end: i64,
    /// Notification kind → off | immediate | daily | weekly.
    pub modes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SweepReport {
    pub emails_sent: usize,
    pub notifications_mailed: usize,
    pub skipped: usize,
    pub waiting: usize,
    pub errors: Vec<String>,
}

fn zh(locale: &str) -> bool {
    !locale.starts_with("en")
}

/// A notification kind's title in the member's language.
fn kind_title(kind: &str, zh: bool) -> &'static str {
    match NotificationKind::parse(kind) {
        Some(k) => k.title(zh),
        None if zh => "通知",
        None => "Notification",
    }
}

/// One line of text for a notification.
fn summary(p: &repo::PendingRow) -> String {
    let v: serde_json::Value = serde_json::from_str(&p.payload).unwrap_or_default();
    let d = &v["detail"];
    let pick = |k: &str| d[k].as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let text = pick("message")
        .or_else(|| pick("excerpt"))
        .or_else(|| pick("reason"))
        .or_else(|| pick("title"))
        .unwrap_or_default();
    let by = pick("by").map(|b| format!("{b}: ")).unwrap_or_default();
    let text: String = text.chars().take(200).collect();
    format!("{by}{text}")
}

fn local(ms: i64, tz: Tz) -> chrono::NaiveDateTime {
    tz.timestamp_millis_opt(ms).earliest().map(|t| t.naive_local()).unwrap_or_default()
}

impl App {
    pub fn mail_configured(&self) -> bool {
        self.cfg.mail.is_some()
    }

    /// The key for unsubscribe links, shared by every node through the database.
    async fn unsubscribe_key(&self, conn: &mut Conn) -> AppResult<String> {
        Ok(repo::secret(conn, "unsubscribe", &hex::encode(rand::random::<[u8; 32]>())).await?)
    }

    fn unsubscribe_token(key: &str, user_id: i64, kind: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
        mac.update(format!("unsubscribe:{user_id}:{kind}").as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// The one-click unsubscribe path for a member and a kind (`all` for every kind).
    pub async fn unsubscribe_path(&self, user_id: i64, kind: &str) -> AppResult<String> {
        let mut tx = self.db.write().await?;
        let key = self.unsubscribe_key(tx.conn()).await?;
        tx.commit().await?;
        Ok(format!("/unsubscribe?u={user_id}&k={kind}&t={}", Self::unsubscribe_token(&key, user_id, kind)))
    }

    /// Unsubscribes from a link in an email: no session needed, the token proves it.
    pub async fn unsubscribe(&self, user_id: i64, kind: &str, token: &str) -> AppResult<()> {
        if kind != "all" && NotificationKind::parse(kind).is_none() {
            return Err(AppError::NotFound("unsubscribe link"));
        }
        let now = now();
        let mut tx = self.db.write().await?;
        let key = self.unsubscribe_key(tx.conn()).await?;
        let want = Self::unsubscribe_token(&key, user_id, kind);
        // Constant-time comparison: the token is a credential.
        let same = want.len() == token.len() && want.bytes().zip(token.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
        if !same {
            return Err(AppError::NotFound("unsubscribe link"));
        }
        let kinds: Vec<&str> =
            if kind == "all" { NotificationKind::ALL.iter().map(|k| k.as_str()).collect() } else { vec![kind] };
        for k in &kinds {
            repo::set_preference(tx.conn(), user_id, k, Mode::Off.as_str()).await?;
        }
        let ev = Event::of(
            None,
            user_id,
            Subject::User(user_id),
            &ProfileUpdated { unsubscribed: Some(kind.to_string()), ..Default::default() },
        );
        finish(tx, ev, now).await
    }

    pub async fn email_preferences(&self, viewer: Viewer) -> AppResult<EmailPreferences> {
        let mut c = self.db.read().await?;
        let s = repo::settings(&mut c, viewer.id).await?.ok_or(AppError::NotFound("user"))?;
        let set: BTreeMap<String, String> = repo::preferences(&mut c, viewer.id).await?.into_iter().collect();
        let modes = NotificationKind::ALL
            .iter()
            .map(|k| {
                let mode = set.get(k.as_str()).cloned().unwrap_or_else(|| k.default_mode().as_str().to_string());
                (k.as_str().to_string(), mode)
            })
            .collect();
        Ok(EmailPreferences { email: s.email, quiet_start: s.quiet_start, quiet_end: s.quiet_end, modes })
    }

    pub async fn set_email_preferences(&self, viewer: Viewer, p: &EmailPreferences) -> AppResult<EmailPreferences> {
        let email = match p.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => Some(policy::address(e)?),
            None => None,
        };
        let (qs, qe) = policy::quiet_hours(p.quiet_start, p.quiet_end)?;
        let mut modes = Vec::new();
        for (k, m) in &p.modes {
            if NotificationKind::parse(k).is_none() {
                return Err(invalid("modes", "unknown_kind", format!("'{k}' is not a notification kind")).into());
            }
            modes.push((k.clone(), Mode::parse("modes", m)?));
        }
        let now = now();
        let mut tx = self.db.write().await?;
        repo::save_settings(tx.conn(), viewer.id, email.as_deref(), i64::from(qs), i64::from(qe)).await?;
        for (k, m) in &modes {
            repo::set_preference(tx.conn(), viewer.id, k, m.as_str()).await?;
        }
        // The address itself stays out of the activity log.
        let ev = Event::of(
            None,
            viewer.id,
            Subject::User(viewer.id),
            &ProfileUpdated { email_preferences: Some(true), has_email: Some(email.is_some()), ..Default::default() },
        );
        finish(tx, ev, now).await?;
        self.email_preferences(viewer).await
    }

    /// Enqueues the next mail sweep (idempotent per minute); workers call it on start.
    pub async fn arm_mailer(&self) -> AppResult<()> {
        if self.cfg.mail.is_none() {
            return Ok(());
        }
        let now = now();
        let mut tx = self.db.write().await?;
        self.enqueue_sweep(tx.conn(), now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn enqueue_sweep(&self, conn: &mut Conn, after: i64) -> AppResult<()> {
        let at = (after / SWEEP_EVERY_MS + 1) * SWEEP_EVERY_MS;
        crate::platform::jobs::enqueue(conn, Job::EmailSweep { at }, now()).await
    }

    /// The SMTP transport and sender of the configured mail.
    fn transport(cfg: &MailConfig) -> AppResult<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&cfg.smtp_url)
            .map_err(|e| AppError::Internal(format!("smtp url: {e}")))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from: Mailbox = cfg.from.parse().map_err(|e| AppError::Internal(format!("mail from: {e}")))?;
        Ok((transport, from))
    }

    /// Sends one plain-text message now, outside the notification pipeline
    /// (sign-in links: they must not wait for quiet hours or sit in an inbox).
    pub(crate) async fn send_now(&self, to: &str, subject: &str, body: String) -> AppResult<()> {
        let Some(cfg) = self.cfg.mail.clone() else {
            return Err(AppError::conflict("mail_not_configured", None, "this site does not send email"));
        };
        let (transport, from) = Self::transport(&cfg)?;
        let to: Mailbox = to.parse().map_err(|_| invalid("email", "invalid_email", "not a deliverable address"))?;
        let msg = Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| AppError::Internal(format!("mail: {e}")))?;
        transport.send(msg).await.map_err(|e| AppError::Internal(format!("smtp: {e}")))?;
        Ok(())
    }

    /// The public base URL links in email point to.
    pub(crate) fn public_url(&self) -> Option<String> {
        self.cfg.mail.as_ref().map(|m| m.public_url.trim_end_matches('/').to_string())
    }

    /// One pass of the mailer at time `now`: decide, send, record.
    pub async fn run_mail_sweep(&self, now: i64) -> AppResult<SweepReport> {
        let Some(cfg) = self.cfg.mail.clone() else {
            return Err(AppError::Internal("email is not configured".into()));
        };
        let (transport, from) = Self::transport(&cfg)?;
        let key = {
            let mut tx = self.db.write().await?;
            let key = self.unsubscribe_key(tx.conn()).await?;
            tx.commit().await?;
            key
        };
        // Page through everything pending, so members waiting out their quiet
        // hours never hold back the ones behind them.
        let mut pending = Vec::new();
        let mut after = (0i64, 0i64);
        loop {
            let mut c = self.db.read().await?;
            let page = repo::pending(&mut c, after, BATCH).await?;
            let done = (page.len() as i64) < BATCH || pending.len() >= MAX_PER_SWEEP;
            if let Some(last) = page.last() {
                after = (last.user_id, last.id);
            }
            pending.extend(page);
            if done {
                break;
            }
        }
        let mut report =
            SweepReport { emails_sent: 0, notifications_mailed: 0, skipped: 0, waiting: 0, errors: vec![] };
        let mut handled: Vec<i64> = Vec::new();
        let mut digests_sent: Vec<(i64, bool)> = Vec::new();
        let mut by_user: BTreeMap<i64, Vec<&repo::PendingRow>> = BTreeMap::new();
        for p in &pending {
            by_user.entry(p.user_id).or_default().push(p);
        }
        for (uid, items) in by_user {
            let first = items[0];
            let tz: Tz = first.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
            let now_local = local(now, tz);
            let last = |ms: i64| (ms > 0).then(|| local(ms, tz));
            let quiet = (first.quiet_start.clamp(0, 23) as u32, first.quiet_end.clamp(0, 23) as u32);
            let (mut immediate, mut daily, mut weekly) = (vec![], vec![], vec![]);
            for p in items {
                let mode =
                    p.mode.as_deref().and_then(|m| Mode::parse("mode", m).ok()).unwrap_or_else(|| {
                        NotificationKind::parse(&p.kind).map_or(Mode::Immediate, |k| k.default_mode())
                    });
                match policy::decide(mode, now_local, quiet, last(p.digest_daily_at), last(p.digest_weekly_at)) {
                    Decision::Skip => {
                        handled.push(p.id);
                        report.skipped += 1;
                    }
                    Decision::Wait => report.waiting += 1,
                    Decision::Send => immediate.push(p),
                    Decision::Digest if mode == Mode::Weekly => weekly.push(p),
                    Decision::Digest => daily.push(p),
                }
            }
            let z = zh(&first.locale);
            for (group, digest) in [(immediate, None), (daily, Some(false)), (weekly, Some(true))] {
                if group.is_empty() {
                    continue;
                }
                let query = format!("u={uid}&k=all&t={}", Self::unsubscribe_token(&key, uid, "all"));
                match self.build_mail(&from, &cfg, first, &group, digest, z, &query) {
                    Ok(msg) => match transport.send(msg).await {
                        Ok(_) => {
                            report.emails_sent += 1;
                            report.notifications_mailed += group.len();
                            handled.extend(group.iter().map(|p| p.id));
                            if let Some(w) = digest {
                                digests_sent.push((uid, w));
                            }
                        }
                        // Left pending: the next sweep tries again.
                        Err(e) => report.errors.push(format!("user {uid}: {e}")),
                    },
                    Err(e) => {
                        report.errors.push(format!("user {uid}: {e}"));
                        handled.extend(group.iter().map(|p| p.id));
                    }
                }
            }
        }
        let mut tx = self.db.write().await?;
        repo::mark_emailed(tx.conn(), &handled, now).await?;
        for (uid, weekly) in digests_sent {
            repo::set_digest_sent(tx.conn(), uid, weekly, now).await?;
        }
        tx.commit().await?;
        Ok(report)
    }

    #[allow(clippy::too_many_arguments)]
    fn build_mail(
        &self,
        from: &Mailbox,
        cfg: &MailConfig,
        who: &repo::PendingRow,
        items: &[&repo::PendingRow],
        digest: Option<bool>,
        zh: bool,
        unsubscribe_query: &str,
    ) -> Result<Message, String> {
        let to: Mailbox = who.email.parse().map_err(|e| format!("bad address: {e}"))?;
        let n = items.len();
        let subject = match (digest, zh, n) {
            (None, _, 1) => {
                let c = items[0].community_name.as_deref().map(|c| format!(" · {c}")).unwrap_or_default();
                format!("{}{c}", kind_title(&items[0].kind, zh))
            }
            (None, true, _) => format!("{n} 条新通知"),
            (None, false, _) => format!("{n} new notifications"),
            (Some(false), true, _) => format!("每日摘要：{n} 条通知"),
            (Some(false), false, _) => format!("Daily digest: {n} notifications"),
            (Some(true), true, _) => format!("每周摘要：{n} 条通知"),
            (Some(true), false, _) => format!("Weekly digest: {n} notifications"),
        };
        let base = cfg.public_url.trim_end_matches('/');
        // The page asks for confirmation; the header's API endpoint is RFC 8058's one-click POST.
        let unsubscribe = format!("{base}/unsubscribe?{unsubscribe_query}");
        let one_click = format!("{base}/api/v1/unsubscribe?{unsubscribe_query}");
        let mut body = String::new();
        body.push_str(&if zh {
            format!("{}，你好：\n\n", who.username)
        } else {
            format!("Hello {},\n\n", who.username)
        });
        for p in items {
            let when = Utc
                .timestamp_millis_opt(p.created_at)
                .earliest()
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default();
            let community = p.community_name.as_deref().map(|c| format!(" · {c}")).unwrap_or_default();
            body.push_str(&format!("• {}{community} ({when})\n  {}\n\n", kind_title(&p.kind, zh), summary(p)));
        }
        body.push_str(&if zh {
            format!("查看全部：{base}/notifications\n")
        } else {
            format!("See all: {base}/notifications\n")
        });
        body.push_str(&if zh {
            format!("\n—\n邮件设置：{base}/settings/email\n退订全部邮件：{unsubscribe}\n")
        } else {
            format!("\n—\nEmail settings: {base}/settings/email\nUnsubscribe from all email: {unsubscribe}\n")
        });
        let mut b = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<yaji-{}-{}@{}>", who.user_id, items[0].id, host_of(base))))
            .header(ContentType::TEXT_PLAIN);
        // RFC 8058 one-click unsubscribe.
        b = b
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{one_click}>")));
        b = b.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".into(),
        ));
        b.body(body).map_err(|e| e.to_string())
    }

    /// Job: one sweep, then the next one a minute later.
    /// Job: one pass of the mailer, then its record; the mailer re-arms
    /// itself whatever happened to this pass.
    pub(crate) async fn mail_sweep_job(&self, worker: &str, row: &jobs_repo::JobRow) -> AppResult<()> {
        let r = self.run_mail_sweep(now()).await.map(|r| {
            format!(
                "{} emails ({} notifications), {} skipped, {} waiting{}",
                r.emails_sent,
                r.notifications_mailed,
                r.skipped,
                r.waiting,
                if r.errors.is_empty() { String::new() } else { format!("; errors: {}", r.errors.join("; ")) }
            )
        });
        let now = now();
        let mut tx = self.db.write().await?;
        match r {
            Ok(outcome) => {
                jobs_repo::complete(tx.conn(), row.id, worker, &outcome, now).await?;
            }
            Err(e) => self.fail_job(tx.conn(), worker, row, e, now).await?,
        }
        self.enqueue_sweep(tx.conn(), now).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', ':']).next().filter(|h| !h.is_empty()).unwrap_or("yaji.local")
}
