//! Outgoing webhooks: a community subscribes URLs to event kinds; each event
//! (or a rule's webhook action) is POSTed as JSON signed with HMAC-SHA256 over
//! `"{timestamp}.{body}"`, retried with backoff, and logged per attempt.
//!
//! SSRF guard: a delivery never reaches loopback, private, link-local or
//! otherwise internal addresses unless the site administrator listed them
//! (`AppConfig::webhook_allow`). Host names are checked after DNS resolution
//! by the HTTP client's resolver (so the address checked is the address
//! connected to), IP literals before the request, and both again on every
//! redirect.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;
use yaji_domain::activity::{AutomationUpdated, Event, Kind, Subject};
use yaji_domain::automation::check_url;
use yaji_domain::error::invalid;
use yaji_domain::permission::Action;
use yaji_store::repo::activity;
use yaji_store::repo::jobs::JobRow;
use yaji_store::repo::webhooks as repo;
use yaji_store::Conn;

use crate::accounts::Viewer;
use crate::communities::Ctx;
use crate::{finish, now, rfc3339, App, AppError, AppResult};

const TIMEOUT: Duration = Duration::from_secs(10);
const MAX_REDIRECTS: usize = 3;

/// Addresses webhooks may reach although they are internal.
#[derive(Debug, Clone, Default)]
pub struct AllowPrivate {
    /// Every address (for a closed network where all receivers are internal).
    pub all: bool,
    pub addrs: Vec<IpAddr>,
}

impl AllowPrivate {
    /// Parses `*` or a comma-separated list of IP addresses.
    pub fn parse(raw: &str) -> Result<AllowPrivate, String> {
        let mut a = AllowPrivate::default();
        for part in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if part == "*" {
                a.all = true;
            } else {
                a.addrs.push(part.parse().map_err(|_| format!("'{part}' is not an IP address"))?);
            }
        }
        Ok(a)
    }

    pub fn permits(&self, ip: IpAddr) -> bool {
        self.all || self.addrs.contains(&ip) || is_public(ip)
    }
}

pub use yaji_domain::net::is_public;

/// Resolves host names and keeps only addresses the guard permits.
struct GuardedResolver(Arc<AllowPrivate>);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ok: Vec<SocketAddr> = addrs.iter().copied().filter(|a| allow.permits(a.ip())).collect();
            if ok.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> =
                    format!("refused: {host} resolves only to internal addresses").into();
                return Err(err);
            }
            Ok(Box::new(ok.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The IP in a URL's host, if the host is an IP literal and the guard refuses it.
fn refused_literal(url: &reqwest::Url, allow: &AllowPrivate) -> Option<String> {
    let ip = match url.host()? {
        url::Host::Ipv4(a) => IpAddr::V4(a),
        url::Host::Ipv6(a) => IpAddr::V6(a),
        url::Host::Domain(_) => return None,
    };
    (!allow.permits(ip)).then(|| format!("refused: {ip} is an internal address"))
}

pub(crate) fn client(allow: &AllowPrivate) -> reqwest::Client {
    let allow = Arc::new(allow.clone());
    let for_redirects = allow.clone();
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error("too many redirects");
        }
        match refused_literal(attempt.url(), &for_redirects) {
            Some(why) => attempt.error(why),
            None => attempt.follow(),
        }
    });
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver(allow)))
        .redirect(policy)
        .timeout(TIMEOUT)
        .no_proxy()
        .user_agent(concat!("Yaji-Webhook/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("static client configuration")
}

/// `sha256=` + hex HMAC-SHA256 of `"{timestamp}.{body}"` under the webhook's secret.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct WebhookInput {
    pub url: String,
    /// Event kinds to receive (e.g. `member_joined`, `post_created`), `["*"]` for all,
    /// or empty for a webhook only rules call.
    #[serde(default)]
    pub events: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    /// Signing secret: verify `X-Yaji-Signature` with it.
    pub secret: String,
    pub events: Vec<String>,
    pub enabled: bool,
    pub created_at: String,
}

impl From<repo::WebhookRow> for WebhookView {
    fn from(w: repo::WebhookRow) -> Self {
        let events = if w.events == "*" {
            vec!["*".to_string()]
        } else {
            w.events.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()
        };
        WebhookView {
            id: w.id,
            url: w.url,
            secret: w.secret,
            events,
            enabled: w.enabled == 1,
            created_at: rfc3339(w.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub webhook_id: i64,
    pub job_id: Option<i64>,
    pub event_kind: String,
    pub attempt: i64,
    /// delivered | failed | refused
    pub status: String,
    pub response_status: Option<i64>,
    pub error: String,
    pub duration_ms: i64,
    pub created_at: String,
}

impl From<repo::DeliveryRow> for DeliveryView {
    fn from(d: repo::DeliveryRow) -> Self {
        DeliveryView {
            id: d.id,
            webhook_id: d.webhook_id,
            job_id: d.job_id,
            event_kind: d.event_kind,
            attempt: d.attempt,
            status: d.status,
            response_status: d.response_status,
            error: d.error,
            duration_ms: d.duration_ms,
            created_at: rfc3339(d.created_at),
        }
    }
}

/// The result of one delivery attempt.
pub(crate) struct Attempt {
    webhook_id: i64,
    community_id: i64,
    event_kind: String,
    status: &'static str,
    response_status: Option<i64>,
    error: String,
    duration_ms: i64,
    /// Whether the job should try again later.
    pub retry: bool,
}

impl Attempt {
    pub fn summary(&self) -> String {
        match (self.status, self.response_status) {
            ("delivered", Some(s)) => format!("delivered ({s})"),
            (st, Some(s)) => format!("{st}: HTTP {s} {}", self.error),
            (st, None) => format!("{st}: {}", self.error),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

impl App {
    async fn webhook_ctx(&self, conn: &mut Conn, viewer: Viewer, slug: &str) -> AppResult<Ctx> {
        let ctx = Ctx::load(conn, slug, Some(viewer)).await?;
        ctx.allow(Action::ManageAutomation)?;
        Ok(ctx)
    }

    pub async fn create_webhook(&self, viewer: Viewer, slug: &str, input: &WebhookInput) -> AppResult<WebhookView> {
        let url = input.url.trim();
        check_url(url).map_err(|m| invalid("url", "invalid_url", m))?;
        let mut kinds: Vec<&str> = Vec::new();
        for e in &input.events {
            let e = e.trim();
            if e == "*" || Kind::parse(e).is_some() {
                kinds.push(e);
            } else {
                return Err(invalid("events", "unknown_event", format!("'{e}' is not an event kind")).into());
            }
        }
        let events = if kinds.contains(&"*") {
            "*".to_string()
        } else if kinds.is_empty() {
            String::new()
        } else {
            format!(",{},", kinds.join(","))
        };
        let secret = hex::encode(rand::random::<[u8; 32]>());
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = self.webhook_ctx(tx.conn(), viewer, slug).await?;
        let id = repo::insert_webhook(tx.conn(), ctx.c.id, url, &secret, &events, viewer.id, now).await?;
        let w = repo::webhook(tx.conn(), id).await?.ok_or(AppError::NotFound("webhook"))?;
        // The secret stays out of the activity log.
        let ev = Event::of(
            Some(ctx.c.id),
            viewer.id,
            Subject::Community(ctx.c.id),
            &AutomationUpdated {
                action: Some("created".into()),
                webhook_id: Some(id),
                url: Some(url.to_string()),
                events: Some(events.clone()),
                ..Default::default()
            },
        );
        finish(tx, ev, now).await?;
        Ok(w.into())
    }

    pub async fn webhooks(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<WebhookView>> {
        let mut c = self.db.read().await?;
        let ctx = self.webhook_ctx(&mut c, viewer, slug).await?;
        Ok(repo::webhooks(&mut c, ctx.c.id).await?.into_iter().map(WebhookView::from).collect())
    }

    pub async fn delete_webhook(&self, viewer: Viewer, slug: &str, id: i64) -> AppResult<()> {
        let now = now();
        let mut tx = self.db.write().await?;
        let ctx = self.webhook_ctx(tx.conn(), viewer, slug).await?;
        repo::webhook(tx.conn(), id)
            .await?
            .filter(|w| w.community_id == ctx.c.id)
            .ok_or(AppError::NotFound("webhook"))?;
        repo::delete_webhook(tx.conn(), id, now).await?;
        let ev = Event::of(
            Some(ctx.c.id),
            viewer.id,
            Subject::Community(ctx.c.id),
            &AutomationUpdated { action: Some("deleted".into()), webhook_id: Some(id), ..Default::default() },
        );
        finish(tx, ev, now).await
    }

    /// The delivery log, newest first.
    pub async fn webhook_deliveries(&self, viewer: Viewer, slug: &str) -> AppResult<Vec<DeliveryView>> {
        let mut c = self.db.read().await?;
        let ctx = self.webhook_ctx(&mut c, viewer, slug).await?;
        Ok(repo::deliveries(&mut c, ctx.c.id, 200).await?.into_iter().map(DeliveryView::from).collect())
    }

    /// Delivers one webhook job (outside any transaction). `None`: nothing to deliver.
    /// Job: delivers an event (`event_id`) or a rule's payload to a webhook.
    pub(crate) async fn deliver_webhook(
        &self,
        job: &JobRow,
        webhook_id: i64,
        event_id: Option<i64>,
        payload: serde_json::Value,
    ) -> AppResult<Option<Attempt>> {
        let (hook, body, kind) = {
            let mut c = self.db.read().await?;
            let Some(hook) = repo::webhook(&mut c, webhook_id).await?.filter(|w| w.enabled == 1) else {
                return Ok(None);
            };
            let (kind, data) = match event_id {
                Some(eid) => {
                    let Some(ev) = activity::get(&mut c, eid).await? else { return Ok(None) };
                    let data = serde_json::json!({
                        "event_id": ev.id, "kind": ev.kind, "community_id": ev.community_id, "actor_id": ev.actor_id,
                        "subject": {"kind": ev.subject_kind, "id": ev.subject_id},
                        "occurred_at": rfc3339(ev.occurred_at),
                        "data": serde_json::from_str::<serde_json::Value>(&ev.payload).unwrap_or_default(),
                    });
                    (ev.kind, data)
                }
                None => ("automation_fired".to_string(), payload),
            };
            let body = serde_json::json!({"id": format!("dlv_{}", job.id), "kind": kind, "payload": data});
            (hook, serde_json::to_vec(&body).map_err(|e| AppError::Internal(e.to_string()))?, kind)
        };
        let ts = now() / 1000;
        let sig = signature(&hook.secret, ts, &body);
        let mut attempt = Attempt {
            webhook_id: hook.id,
            community_id: hook.community_id,
            event_kind: kind.clone(),
            status: "failed",
            response_status: None,
            error: String::new(),
            duration_ms: 0,
            retry: true,
        };
        let url = match reqwest::Url::parse(&hook.url) {
            Ok(u) => u,
            Err(e) => {
                attempt.status = "refused";
                attempt.error = format!("bad URL: {e}");
                attempt.retry = false;
                return Ok(Some(attempt));
            }
        };
        if let Some(why) = refused_literal(&url, &self.cfg.webhook_allow) {
            attempt.status = "refused";
            attempt.error = why;
            attempt.retry = false;
            return Ok(Some(attempt));
        }
        let started = Instant::now();
        let res = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("x-yaji-event", &kind)
            .header("x-yaji-delivery", format!("dlv_{}", job.id))
            .header("x-yaji-timestamp", ts.to_string())
            .header("x-yaji-signature", sig)
            .body(body)
            .send()
            .await;
        attempt.duration_ms = started.elapsed().as_millis() as i64;
        match res {
            Ok(r) => {
                let code = r.status();
                attempt.response_status = Some(i64::from(code.as_u16()));
                if code.is_success() {
                    attempt.status = "delivered";
                    attempt.retry = false;
                } else {
                    attempt.error = code.canonical_reason().unwrap_or("").to_string();
                    // A redirect we would not follow is final; other failures are retried.
                    attempt.retry = !code.is_redirection();
                }
            }
            Err(e) => {
                let msg = error_chain(&e);
                if msg.contains("refused:") {
                    attempt.status = "refused";
                    attempt.retry = false;
                }
                attempt.error = msg.chars().take(500).collect();
            }
        }
        Ok(Some(attempt))
    }

    pub(crate) async fn record_delivery(&self, conn: &mut Conn, job: &JobRow, a: &Attempt, now: i64) -> AppResult<()> {
        let d = repo::NewDelivery {
            webhook_id: a.webhook_id,
            community_id: a.community_id,
            job_id: job.id,
            event_kind: &a.event_kind,
            attempt: job.attempts,
            status: a.status,
            response_status: a.response_status,
            error: &a.error,
            duration_ms: a.duration_ms,
        };
        repo::insert_delivery(conn, &d, now).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_unless_allowed() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        let allow = AllowPrivate::parse("127.0.0.1").unwrap();
        assert!(allow.permits("127.0.0.1".parse().unwrap()));
        assert!(!allow.permits("10.0.0.1".parse().unwrap()));
        assert!(AllowPrivate::parse("*").unwrap().permits("10.0.0.1".parse().unwrap()));
        assert!(AllowPrivate::parse("localhost").is_err());
    }

    #[test]
    fn signature_is_hmac_sha256_over_timestamp_and_body() {
        // Independently computed: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            signature("secret", 1_700_000_000, br#"{"a":1}"#),
            "sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
        );
    }
}
