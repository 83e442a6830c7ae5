//! Membership pages: join (rules, entry questions, invites), leave, the
//! member directory with sanctions and roles, join requests, invites.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::Deserialize;
use yaji_app::membership::{JoinInput, MemberQuery, Sanction};
use yaji_app::AppError;

use super::form::{all, field, first, opt_i64, with_notice, Form, Pairs};
use super::{Page, Tab, WebForm};
use crate::AppState;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/join", get(join_page).post(join))
        .route("/c/{slug}/leave", post(leave))
        .route("/c/{slug}/members", get(members))
        .route("/c/{slug}/members/{username}/sanction", post(sanction))
        .route("/c/{slug}/members/{username}/role", post(set_role))
        .route("/c/{slug}/members/{username}/unban", post(unban))
        .route("/c/{slug}/requests", get(requests))
        .route("/c/{slug}/requests/decide", post(decide_requests))
        .route("/requests/{id}/decide", post(decide_request))
        .route("/c/{slug}/invites", post(create_invite))
        .route("/invite/{code}", get(invite_page))
}

pub(super) const TEMPLATES: &[(&str, &str)] =
    templates!["membership/join.html", "membership/members.html", "membership/requests.html"];

/// This capability's tabs in the community header.
pub(super) const NAV: &[Tab] = &[
    Tab { order: 20, key: "members", path: "/members", label: "community.members", show: "all", badge: "" },
    Tab {
        order: 90,
        key: "requests",
        path: "/requests",
        label: "community.requests",
        show: "manage",
        badge: "join_requests",
    },
];

async fn join_page(page: Page, Path(slug): Path<String>) -> Response {
    join_view(&page, &slug, None, Form::new(), HashMap::new()).await
}

async fn join_view(
    page: &Page,
    slug: &str,
    invite: Option<yaji_app::views::InviteView>,
    form: Form,
    errors: HashMap<String, String>,
) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let c = or_fail!(page, app.community(viewer, slug).await);
    let rules = app.rules(viewer, slug).await.ok().flatten();
    let my_requests = match viewer {
        Some(v) => app.my_join_requests(v, slug).await.unwrap_or_default(),
        None => vec![],
    };
    let invite_invalid = invite.as_ref().is_some_and(|i| {
        i.revoked
            || i.max_uses.is_some_and(|m| i.uses >= m)
            || i.expires_at.as_ref().is_some_and(|e| e.as_str() < yaji_app::rfc3339(now_ms()).as_str())
    });
    let outsider = c
        .membership
        .as_ref()
        .is_none_or(|m| m.state.as_deref() != Some("active") && m.state.as_deref() != Some("banned"));
    // A member's link to an approval community leads to the application form.
    let applying = invite.as_ref().is_none_or(|i| i.applies) && c.abilities.apply;
    let waiting = c.membership.as_ref().is_some_and(|m| m.pending_request);
    let can_join = viewer.is_some() && outsider && !waiting && (c.abilities.join || applying || invite.is_some());
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render(
        status,
        "membership/join.html",
        context! { c, rules, my_requests, invite, invite_invalid, applying, can_join, form, errors },
    )
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn join(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let v = or_fail!(page, page.auth.require());
    let answers: Vec<String> = (0..5).map_while(|i| f.get(&format!("answer_{i}")).cloned()).collect();
    let invite_code = f.get("invite_code").cloned().filter(|s| !s.is_empty());
    let input = JoinInput { accept_rules: f.contains_key("accept_rules"), answers, invite_code: invite_code.clone() };
    match page.state.app.join(v, &slug, input).await {
        Ok(out) if out.status == "pending" => with_notice(&format!("/c/{slug}/join"), "applied"),
        Ok(_) => with_notice(&format!("/c/{slug}"), "joined"),
        // A second submit (back button, double tap) finds the first application.
        Err(AppError::Conflict { code: "request_pending", .. }) => with_notice(&format!("/c/{slug}/join"), "applied"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => {
                let invite = match invite_code {
                    Some(code) => page.state.app.invite_target(Some(v), &code).await.ok().map(|x| x.0),
                    None => None,
                };
                join_view(&page, &slug, invite, f, errors).await
            }
            None => page.fail(e),
        },
    }
}

async fn invite_page(page: Page, Path(code): Path<String>) -> Response {
    if !yaji_domain::text::is_token_shaped(&code) {
        return page.fail(AppError::NotFound("invite"));
    }
    match page.state.app.invite_target(page.auth.viewer(), &code).await {
        Ok((invite, c)) => join_view(&page, &c.slug, Some(invite), Form::new(), HashMap::new()).await,
        Err(e) => page.fail(e),
    }
}

async fn leave(page: Page, Path(slug): Path<String>) -> Response {
    let r = async { page.state.app.leave(page.auth.require()?, &slug).await }.await;
    page.done(r, |_| format!("/c/{slug}"), "left")
}

#[derive(Deserialize)]
struct DirectoryQuery {
    q: Option<String>,
    role: Option<String>,
    /// `banned` shows the ban list (moderators and above).
    state: Option<String>,
    offset: Option<i64>,
}

async fn members(page: Page, Path(slug): Path<String>, Query(mq): Query<DirectoryQuery>) -> Response {
    let app = &page.state.app;
    let viewer = page.auth.viewer();
    let c = or_fail!(page, app.community(viewer, &slug).await);
    let offset = mq.offset.unwrap_or(0).max(0);
    let role = mq.role.clone().unwrap_or_default();
    let list = or_fail!(
        page,
        app.members(
            viewer,
            &slug,
            &MemberQuery { q: mq.q.as_deref(), role: Some(&role), state: mq.state.as_deref(), limit: 51, offset },
        )
        .await
    );
    let more = list.len() > 50;
    let members: Vec<_> = list.into_iter().take(50).collect();
    page.ok(
        "membership/members.html",
        context! { c, members, more, offset, q => mq.q.unwrap_or_default(), role, state => mq.state.unwrap_or_default() },
    )
}

async fn sanction(page: Page, Path((slug, username)): Path<(String, String)>, WebForm(f): WebForm<Form>) -> Response {
    let kind = if field(&f, "action") == "ban" { Sanction::Ban } else { Sanction::Remove };
    let r = async { page.state.app.sanction(page.auth.require()?, &slug, &username, kind, field(&f, "reason")).await }
        .await;
    page.done(r, |_| format!("/c/{slug}/members"), if kind == Sanction::Ban { "banned" } else { "removed" })
}

async fn set_role(page: Page, Path((slug, username)): Path<(String, String)>, WebForm(f): WebForm<Form>) -> Response {
    let r = async { page.state.app.change_role(page.auth.require()?, &slug, &username, field(&f, "role")).await }.await;
    page.done(r, |_| format!("/c/{slug}/members"), "role_changed")
}

async fn unban(page: Page, Path((slug, username)): Path<(String, String)>) -> Response {
    let r = async { page.state.app.unban(page.auth.require()?, &slug, &username).await }.await;
    page.done(r, |_| format!("/c/{slug}/members?state=banned"), "unbanned")
}

async fn requests(page: Page, Path(slug): Path<String>) -> Response {
    let app = &page.state.app;
    let v = or_fail!(page, page.auth.require());
    let c = or_fail!(page, app.community(Some(v), &slug).await);
    match app.join_requests(v, &slug, "pending").await {
        Ok(requests) => page.ok("membership/requests.html", context! { c, requests }),
        Err(e) => page.fail(e),
    }
}

async fn decide_request(page: Page, Path(id): Path<i64>, WebForm(f): WebForm<Form>) -> Response {
    let approve = field(&f, "approve") == "1";
    let app = &page.state.app;
    let r = async {
        let req = app.decide_join_request(page.auth.require()?, id, approve, field(&f, "reason")).await?;
        app.community_slug(req.community_id).await
    }
    .await;
    page.done(r, |slug| format!("/c/{slug}/requests"), if approve { "approved" } else { "rejected" })
}

/// The batch form: every ticked `id`, approve or reject, one reason.
async fn decide_requests(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Pairs>) -> Response {
    let approve = first(&f, "approve") == "1";
    let ids: Vec<i64> = all(&f, "id").filter_map(|v| v.parse().ok()).collect();
    let r = async {
        page.state.app.decide_join_requests(page.auth.require()?, &slug, &ids, approve, first(&f, "reason")).await
    }
    .await;
    let notice = match (&r, approve) {
        (Ok(b), _) if !b.skipped.is_empty() => "requests_skipped",
        (_, true) => "requests_approved",
        (_, false) => "requests_rejected",
    };
    let n = r.as_ref().map(|b| b.decided.len()).unwrap_or(0);
    page.done(r, |_| format!("/c/{slug}/requests?n={n}"), notice)
}

async fn create_invite(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let r = async {
        let v = page.auth.require()?;
        page.state.app.create_invite(v, &slug, opt_i64(&f, "max_uses")?, opt_i64(&f, "expires_in_hours")?).await
    }
    .await;
    page.done(r, |inv| inv.path, "invite_created")
}
