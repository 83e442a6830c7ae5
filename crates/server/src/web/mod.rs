//! The server-rendered web UI. Handlers are adapters over the same use cases
//! as the JSON API: parse the form, call the app, render a template or
//! redirect (POST → 303 → GET). No inline script; forms carry `_csrf`.

/// A capability's templates, named by their path under `templates/` and
/// compiled into the binary.
macro_rules! templates {
    [$($name:literal),* $(,)?] => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

/// The value of a use case's result, or return its error page (or, for a
/// visitor who is not signed in, the login redirect) from the handler.
macro_rules! or_fail {
    ($page:expr, $result:expr) => {
        match $result {
            Ok(v) => v,
            Err(e) => return $page.fail(e),
        }
    };
}

mod accounts;
mod analytics;
mod automation;
mod awards;
mod badges;
mod calendar;
mod challenges;
mod communities;
mod content;
mod faq;
mod form;
mod gatherings;
mod i18n;
mod light;
mod lotteries;
mod membership;
mod moderation;
mod moderation_form;
mod notifications;
mod onboarding;
mod points;
mod polls;
mod profiles;
mod qa;
mod repeat;
mod segments;
mod topic_access;
mod venues;
mod webhooks;

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use minijinja::value::Kwargs;
use minijinja::{context, Environment, State, Value};
use serde::de::DeserializeOwned;
use yaji_app::AppError;

use crate::auth::Auth;
use crate::AppState;

/// The one registration point of the web UI. A new capability adds its
/// module above and one entry here: its routes, its templates (under
/// `templates/<capability>/`) and its community tabs (if any).
struct Capability {
    routes: fn(Router<AppState>) -> Router<AppState>,
    templates: &'static [(&'static str, &'static str)],
    nav: &'static [Tab],
}

const CAPABILITIES: &[Capability] = &[
    Capability { routes: accounts::routes, templates: accounts::TEMPLATES, nav: &[] },
    Capability { routes: light::routes, templates: light::TEMPLATES, nav: &[] },
    Capability { routes: communities::routes, templates: communities::TEMPLATES, nav: communities::NAV },
    Capability { routes: membership::routes, templates: membership::TEMPLATES, nav: membership::NAV },
    Capability { routes: content::routes, templates: content::TEMPLATES, nav: &[] },
    Capability { routes: moderation::routes, templates: moderation::TEMPLATES, nav: moderation::NAV },
    Capability { routes: notifications::routes, templates: notifications::TEMPLATES, nav: &[] },
    Capability { routes: automation::routes, templates: automation::TEMPLATES, nav: automation::NAV },
    Capability { routes: onboarding::routes, templates: onboarding::TEMPLATES, nav: onboarding::NAV },
    Capability { routes: calendar::routes, templates: calendar::TEMPLATES, nav: &[] },
    Capability { routes: webhooks::routes, templates: webhooks::TEMPLATES, nav: &[] },
    Capability { routes: faq::routes, templates: faq::TEMPLATES, nav: faq::NAV },
    Capability { routes: analytics::routes, templates: analytics::TEMPLATES, nav: analytics::NAV },
    Capability { routes: profiles::routes, templates: profiles::TEMPLATES, nav: &[] },
    Capability { routes: points::routes, templates: points::TEMPLATES, nav: points::NAV },
    Capability { routes: awards::routes, templates: awards::TEMPLATES, nav: &[] },
    Capability { routes: challenges::routes, templates: challenges::TEMPLATES, nav: challenges::NAV },
    Capability { routes: lotteries::routes, templates: lotteries::TEMPLATES, nav: &[] },
    Capability { routes: gatherings::routes, templates: gatherings::TEMPLATES, nav: gatherings::NAV },
    Capability { routes: venues::routes, templates: venues::TEMPLATES, nav: &[] },
    Capability { routes: badges::routes, templates: badges::TEMPLATES, nav: &[] },
    Capability { routes: topic_access::routes, templates: &[], nav: &[] },
    Capability { routes: segments::routes, templates: segments::TEMPLATES, nav: &[] },
    Capability { routes: qa::routes, templates: &[], nav: &[] },
    Capability { routes: polls::routes, templates: polls::TEMPLATES, nav: &[] },
];

/// Templates every page shares: the layout, macros, the error page and the
/// community header (whose tabs come from the capabilities' [`Tab`]s).
const SHARED_TEMPLATES: &[(&str, &str)] = templates![
    "base.html",
    "macros.html",
    "error.html",
    "community_header.html",
    "community_page.html",
    "people_tabs.html",
    "points_tabs.html"
];

/// Every template by name, as the environment loads them.
pub(crate) fn templates() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    SHARED_TEMPLATES.iter().chain(CAPABILITIES.iter().flat_map(|c| c.templates))
}

/// A tab of the community header. `show` says who sees it: `all`, `moderate`
/// (moderators and above), `manage` (admins and above), `checklist` (active
/// members of a community with the newcomer checklist on), `assistant`
/// (moderators; admins land on `path`, moderators on the calendar).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub(crate) struct Tab {
    pub order: u8,
    /// The `section` a page passes to mark its tab.
    pub key: &'static str,
    /// After `/c/{slug}`.
    pub path: &'static str,
    /// Locale key of the label.
    pub label: &'static str,
    pub show: &'static str,
    /// The `CommunityView.pending` count shown on the tab ("" for none).
    pub badge: &'static str,
}

/// The web UI's routes: every capability's, and the static assets.
pub fn router() -> Router<AppState> {
    let r = Router::new()
        .route("/static/app.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
        .route("/static/app.js", get(|| async { asset("text/javascript; charset=utf-8", JS) }))
        .route("/static/favicon.svg", get(|| async { asset("image/svg+xml", ICON) }))
        .route("/static/icons.svg", get(|| async { asset("image/svg+xml", ICONS) }))
        .route("/favicon.ico", get(|| async { asset("image/svg+xml", ICON) }));
    CAPABILITIES.iter().fold(r, |r, c| (c.routes)(r))
}

fn asset(ct: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, ct), (header::CACHE_CONTROL, "public, max-age=86400")], body).into_response()
}

pub(crate) const CSS: &str = include_str!("../../static/app.css");
pub(crate) const JS: &str = include_str!("../../static/app.js");
pub(crate) const ICON: &str = include_str!("../../static/favicon.svg");
/// Lucide icons (ISC), built by `scripts/icons.py`.
pub(crate) const ICONS: &str = include_str!("../../static/icons.svg");

pub struct Web {
    env: Environment<'static>,
    asset_version: String,
}

impl Default for Web {
    fn default() -> Self {
        Self::new()
    }
}

fn lang_of(state: &State) -> String {
    state.lookup("lang").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| "zh-CN".into())
}

/// A moderation rule's plain name: an operator's own rule by the name they
/// gave it, a built-in one from the locale (`mod.rule_ad_contact_id`), else
/// its class ("ad"), else the id itself.
pub fn rule_name(lang: &str, id: &str) -> String {
    if let Some(own) = id.strip_prefix("custom.") {
        return own.to_string();
    }
    let key = format!("mod.rule_{}", id.replace('.', "_"));
    let class = format!("mod.class_{}", id.split('.').next().unwrap_or(id));
    i18n::lookup(lang, &key).or_else(|| i18n::lookup(lang, &class)).unwrap_or(id).to_string()
}

/// A sanction's reason as a member reads it: "rule: ad.phrase" (the automod's)
/// becomes "Broke a rule: ad phrases"; a moderator's own words stay as written.
pub fn reason_text(lang: &str, reason: &str) -> String {
    match reason.trim().strip_prefix("rule: ") {
        Some(id) => i18n::t(lang, "mod.reason_rule").replace("{rule}", &rule_name(lang, id.trim())),
        None => reason.trim().to_string(),
    }
}

/// A length of time in minutes in the largest whole unit: 1440 → "1 天" / "1 day".
pub fn duration_text(lang: &str, minutes: i64) -> String {
    let (n, unit) = match minutes {
        m if m > 0 && m % 1440 == 0 => (m / 1440, "mod.days"),
        m if m > 0 && m % 60 == 0 => (m / 60, "mod.hours"),
        m => (m, "mod.minutes"),
    };
    let key = format!("{unit}_one");
    let pattern = if n == 1 { i18n::lookup(lang, &key).map(str::to_string) } else { None };
    pattern.unwrap_or_else(|| i18n::t(lang, unit)).replace("{n}", &n.to_string())
}

impl Web {
    pub fn new() -> Web {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        for (name, src) in templates() {
            env.add_template(name, src).expect("template compiles");
        }
        let mut tabs: Vec<Tab> = CAPABILITIES.iter().flat_map(|c| c.nav.iter().copied()).collect();
        tabs.sort_by_key(|t| t.order);
        env.add_global("community_tabs", Value::from_serialize(&tabs));
        env.add_function("t", |state: &State, key: &str, kwargs: Kwargs| -> String {
            let lang = lang_of(state);
            // English singular: `key_one` where it exists, when `n` is 1.
            let one = kwargs.get::<Option<i64>>("n").ok().flatten() == Some(1);
            let mut s = match one.then(|| i18n::lookup(&lang, &format!("{key}_one"))).flatten() {
                Some(singular) => singular.to_string(),
                None => i18n::t(&lang, key),
            };
            for k in kwargs.args() {
                let v: Value = kwargs.get(k).unwrap_or_default();
                s = s.replace(&format!("{{{k}}}"), &v.to_string());
            }
            s
        });
        env.add_function("duration", |state: &State, minutes: i64| -> String {
            duration_text(&lang_of(state), minutes)
        });
        env.add_function("rule_name", |state: &State, id: &str| -> String { rule_name(&lang_of(state), id) });
        env.add_function("repeat_text", |state: &State, cron: &str| -> String {
            repeat::describe(&lang_of(state), cron)
        });
        env.add_function("reason_text", |state: &State, r: &str| -> String { reason_text(&lang_of(state), r) });
        // Escapes, then links addresses and site paths (the assistant's messages).
        env.add_filter("linkify", |v: &str| Value::from_safe_string(yaji_domain::text::linkify(v)));
        env.add_filter("ago", |state: &State, v: &str| -> String {
            let lang = lang_of(state);
            let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) else {
                return v.to_string();
            };
            let secs = (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds().max(0);
            let n = |unit: i64| (secs / unit).to_string();
            match secs {
                0..60 => i18n::t(&lang, "time.just_now"),
                60..3600 => i18n::t(&lang, "time.minutes").replace("{n}", &n(60)),
                3600..86400 => i18n::t(&lang, "time.hours").replace("{n}", &n(3600)),
                86400..604800 => i18n::t(&lang, "time.days").replace("{n}", &n(86400)),
                _ => local_date(state, &t),
            }
        });
        env.add_filter("date", |state: &State, v: &str| -> String {
            chrono::DateTime::parse_from_rfc3339(v).map(|t| local_date(state, &t)).unwrap_or_else(|_| v.to_string())
        });
        // A measured amount as people write it: 341, 3.5 (never 341.0).
        env.add_filter("num", |v: f64| -> String {
            let r = (v * 100.0).round() / 100.0;
            if r.fract() == 0.0 {
                format!("{r:.0}")
            } else {
                format!("{r}")
            }
        });
        env.add_filter("initial", |v: &str| -> String {
            v.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default()
        });
        env.add_filter("short", |v: &str| -> String { v.split('—').next().unwrap_or(v).trim().to_string() });
        env.add_filter("truncate", |v: &str, n: usize| -> String {
            if v.chars().count() > n {
                let mut s: String = v.chars().take(n).collect();
                s.push('…');
                s
            } else {
                v.to_string()
            }
        });
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&(CSS, JS, ICONS), &mut h);
        let asset_version = format!("{:x}", std::hash::Hasher::finish(&h) & 0xffff_ffff);
        // `icon("bell")`: a Lucide icon from the sprite, drawn in the text colour.
        // Decorative: the link or button around it carries the words.
        let sprite = format!("/static/icons.svg?v={asset_version}");
        env.add_function("icon", move |name: &str| -> Value {
            let name: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
            Value::from_safe_string(format!(
                r#"<svg class="i" aria-hidden="true" focusable="false"><use href="{sprite}#{name}"></use></svg>"#
            ))
        });
        Web { env, asset_version }
    }
}

/// Formats a time in the viewer's time zone (`tz` in the template context).
fn local_date(state: &State, t: &chrono::DateTime<chrono::FixedOffset>) -> String {
    let tz: chrono_tz::Tz =
        state.lookup("tz").and_then(|v| v.as_str().and_then(|s| s.parse().ok())).unwrap_or(chrono_tz::Asia::Shanghai);
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// Everything a page needs besides its own data: language, user, CSRF token,
/// the current path, and a notice to show after a redirect.
pub struct Page {
    pub state: AppState,
    pub auth: Auth,
    pub lang: &'static str,
    pub path: String,
    pub notice: Option<String>,
    /// A count the notice reports ("3 applications approved"), from `n=`.
    pub notice_n: Option<i64>,
    /// Unread notifications of the signed-in person.
    pub unread: i64,
    /// Join requests and review items waiting for them as staff; the bell
    /// counts these too, the inbox lists them.
    pub work: Vec<yaji_app::communities::StaffWork>,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let auth = Auth::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let lang =
            i18n::choose(auth.lang_cookie.as_deref(), auth.user.as_ref().map(|u| u.locale.as_str()), &parts.headers);
        let notice = parts
            .uri
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("notice=")))
            .filter(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .map(str::to_string);
        let notice_n = parts
            .uri
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("n=")))
            .and_then(|n| n.parse().ok());
        let path = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        // The inbox badge: one small read per page for signed-in people.
        let (unread, work) = match auth.viewer() {
            Some(v) => (
                state.app.unread_notifications(v).await.unwrap_or(0),
                state.app.pending_work_for(v).await.unwrap_or_default(),
            ),
            None => (0, Vec::new()),
        };
        Ok(Page { state: state.clone(), auth, lang, path, notice, notice_n, unread, work })
    }
}

impl Page {
    pub fn t(&self, key: &str) -> String {
        i18n::t(self.lang, key)
    }

    /// The message for an error code: translated when we have it, else the app's message.
    pub fn error_text(&self, code: &str, fallback: &str) -> String {
        i18n::lookup(self.lang, &format!("err.{code}")).map(str::to_string).unwrap_or_else(|| fallback.to_string())
    }

    pub fn render(&self, status: StatusCode, name: &str, ctx: Value) -> Response {
        let base = context! {
            lang => self.lang,
            other_lang => if self.lang == "en" { "zh-CN" } else { "en" },
            user => self.auth.user,
            csrf => self.auth.csrf,
            notice => self.notice,
            notice_n => self.notice_n,
            path => self.path,
            tz => self.auth.user.as_ref().map(|u| u.time_zone.clone()).unwrap_or_else(|| "Asia/Shanghai".into()),
            asset_version => self.state.web.asset_version,
            unread => self.unread + self.work.iter().map(|w| w.total()).sum::<i64>(),
        };
        let ctx = context! { ..ctx, ..base };
        match self.state.web.env.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, template = name, "template failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
            }
        }
    }

    pub fn ok(&self, name: &str, ctx: Value) -> Response {
        self.render(StatusCode::OK, name, ctx)
    }

    /// An error page, or a redirect to log in when authentication is missing.
    pub fn fail(&self, e: AppError) -> Response {
        let api = crate::error::ApiError::from(e);
        if api.status == StatusCode::UNAUTHORIZED && api.code == "unauthenticated" {
            return Redirect::to(&format!("/login?next={}", urlencode(&self.path))).into_response();
        }
        let msg = self.error_text(&api.code, &api.message);
        let mut res = self.render(api.status, "error.html", context! { message => msg });
        if let Some(s) = api.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, s.into());
        }
        res
    }

    /// Ends a POST: on success, 303 to the path built from the result with a
    /// notice to show there; on failure, the error page (or the login redirect).
    pub fn done<T>(&self, r: Result<T, AppError>, path: impl FnOnce(T) -> String, notice: &str) -> Response {
        match r {
            Ok(v) => Redirect::to(&notice_url(&path(v), notice)).into_response(),
            Err(e) => self.fail(e),
        }
    }

    /// A refusal a page shows in place (a state conflict, bad input, not
    /// allowed) as its status and message; other errors come back for
    /// [`Page::fail`].
    pub fn refusal(&self, e: AppError) -> Result<(StatusCode, String), AppError> {
        if !matches!(
            e,
            AppError::Conflict { .. } | AppError::Invalid(_) | AppError::Forbidden { .. } | AppError::Taken { .. }
        ) {
            return Err(e);
        }
        let api = crate::error::ApiError::from(e);
        Ok((api.status, self.error_text(&api.code, &api.message)))
    }

    /// Field errors for re-rendering a form: field name → message.
    pub fn field_errors(&self, e: &AppError) -> Option<HashMap<String, String>> {
        match e {
            // The parser's own words matter for regexes and rule lines: show both.
            AppError::Invalid(f) if matches!(f.code, "invalid_regex" | "invalid_format") => Some(HashMap::from([(
                f.field.to_string(),
                format!("{} {}", self.error_text(f.code, &f.message), f.message),
            )])),
            AppError::Invalid(f) => Some(HashMap::from([(f.field.to_string(), self.error_text(f.code, &f.message))])),
            AppError::Conflict { field: Some(field), code, message } => {
                Some(HashMap::from([(field.to_string(), self.error_text(code, message))]))
            }
            AppError::Taken { message, .. } => {
                Some(HashMap::from([("starts_at".to_string(), self.error_text("booking_conflict", message))]))
            }
            _ => None,
        }
    }
}

/// Where to go after a POST, with the key of the notice to show there.
pub fn notice_url(path: &str, notice: &str) -> String {
    // The query goes before a fragment (`/p/1#c2` → `/p/1?notice=…#c2`).
    let (path, fragment) = path.split_once('#').map_or((path, String::new()), |(p, f)| (p, format!("#{f}")));
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}notice={notice}{fragment}")
}

pub fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A urlencoded form whose rejection is a readable error page.
pub struct WebForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for WebForm<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(WebForm(v)),
            Err(r) => Err((
                r.status(),
                Html(format!(
                    "<!doctype html><title>Bad request</title><p>{}</p>",
                    minijinja::HtmlEscape(&r.body_text())
                )),
            )
                .into_response()),
        }
    }
}

/// 404 for every unknown path: JSON under /api, a page elsewhere.
pub async fn not_found(page: Result<Page, Response>, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::not_found_json();
    }
    match page {
        Ok(p) => {
            let msg = p.t("err.not_found");
            p.render(StatusCode::NOT_FOUND, "error.html", context! { message => msg })
        }
        Err(r) => r,
    }
}

/// The CSRF failure page (rendered by the auth layer, before any handler).
pub fn csrf_failed_page(s: &AppState, auth: &Auth, headers: &HeaderMap) -> Response {
    let lang = i18n::choose(auth.lang_cookie.as_deref(), auth.user.as_ref().map(|u| u.locale.as_str()), headers);
    let page = Page {
        state: s.clone(),
        auth: auth.clone(),
        lang,
        path: "/".into(),
        notice: None,
        notice_n: None,
        unread: 0,
        work: Vec::new(),
    };
    let msg = page.t("err.csrf_failed");
    page.render(StatusCode::FORBIDDEN, "error.html", context! { message => msg })
}

#[cfg(test)]
mod tests {
    use minijinja::context;

    #[test]
    fn durations_read_in_the_largest_whole_unit() {
        assert_eq!(super::duration_text("zh-CN", 1440), "1 天");
        assert_eq!(super::duration_text("en", 1440), "1 day");
        assert_eq!(super::duration_text("en", 4320), "3 days");
        assert_eq!(super::duration_text("en", 120), "2 hours");
        assert_eq!(super::duration_text("en", 90), "90 min");
        assert_eq!(super::duration_text("zh-CN", 10), "10 分钟");
    }

    #[test]
    fn rule_ids_read_as_plain_names() {
        assert_eq!(super::rule_name("en", "ad.contact_id"), "WeChat / QQ / Telegram ID");
        assert_eq!(super::rule_name("zh-CN", "newcomer.link"), "新成员发链接");
        assert_eq!(super::rule_name("en", "custom.No crypto"), "No crypto");
        assert_eq!(super::rule_name("en", "ad.someday"), "ad", "an unknown id of a known class");
        assert_eq!(super::reason_text("en", "rule: flood.repeat"), "Broke a rule: the same message repeated");
        assert_eq!(super::reason_text("zh-CN", "刷屏"), "刷屏");
    }

    #[test]
    fn english_counts_of_one_read_singular() {
        let web = super::Web::new();
        let render = |lang: &str, n: i64| {
            web.env.render_str(r#"{{ t("mod.strikes", n=n) }}"#, context! { lang, n }).expect("renders")
        };
        assert_eq!(render("en", 1), "1 strike");
        assert_eq!(render("en", 3), "3 strikes");
        assert_eq!(render("zh-CN", 1), "1 次违规");
    }
}
