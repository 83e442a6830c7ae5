//! Moderation pages: rules (with the "test a message" box), review queue,
//! audit log, member speaking rights and reports.

use std::collections::HashMap;

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::Serialize;
use yaji_app::moderation::{BulkMemberAction, Decision, HitView, ReportKind, TestInput, TestResult};
use yaji_app::AppError;
use yaji_domain::error::invalid;
use yaji_domain::moderation::ActionKind;

use super::{Page, Tab, WebForm};
use crate::AppState;

use super::form::{all, field, first, with_notice, Form, Pairs};
use super::moderation_form::{parse_form, settings_form, DETECTORS, LADDER_STEPS};

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/moderation", get(rules_page).post(save_rules))
        .route("/c/{slug}/moderation/test", post(test_box))
        .route("/c/{slug}/moderation/queue", get(queue_page).post(resolve))
        .route("/c/{slug}/moderation/audit", get(audit_page))
        .route("/c/{slug}/members/{username}/speech", post(speech))
        .route("/c/{slug}/members/bulk", post(bulk_members))
        .route("/c/{slug}/report", post(report))
}

pub(super) const TEMPLATES: &[(&str, &str)] =
    templates!["moderation/rules.html", "moderation/queue.html", "moderation/audit.html", "moderation/tabs.html"];

pub(super) const NAV: &[Tab] = &[Tab {
    order: 70,
    key: "moderation",
    path: "/moderation/queue",
    label: "mod.title",
    show: "moderate",
    badge: "review_queue",
}];

/// Text cut into pieces, with the matched ones marked, for highlighting.
#[derive(Serialize)]
struct Piece {
    text: String,
    rule: Option<String>,
}

fn highlight(text: &str, hits: &[HitView]) -> Vec<Piece> {
    let chars: Vec<char> = text.chars().collect();
    let mut owner: Vec<Option<&str>> = vec![None; chars.len()];
    for h in hits {
        for o in owner.iter_mut().take(h.span[1].min(chars.len())).skip(h.span[0]) {
            o.get_or_insert(&h.rule);
        }
    }
    let mut out: Vec<Piece> = vec![];
    for (c, o) in chars.iter().zip(owner) {
        match out.last_mut() {
            Some(p) if p.rule.as_deref() == o => p.text.push(*c),
            _ => out.push(Piece { text: c.to_string(), rule: o.map(str::to_string) }),
        }
    }
    out
}

async fn render_rules(
    page: &Page,
    slug: &str,
    form: Option<Form>,
    errors: HashMap<String, String>,
    test: Option<(Form, TestResult)>,
) -> Response {
    let app = &page.state.app;
    let viewer = or_fail!(page, page.auth.require());
    let r = async {
        Ok::<_, AppError>((app.community(Some(viewer), slug).await?, app.moderation_settings(viewer, slug).await?))
    }
    .await;
    let (c, view) = or_fail!(page, r);
    let form = form.unwrap_or_else(|| settings_form(&view.settings));
    let (test_form, result, pieces) = match test {
        Some((tf, r)) => {
            let pieces = highlight(field(&tf, "text"), &r.hits);
            (tf, Some(r), pieces)
        }
        None => (Form::new(), None, vec![]),
    };
    let status =
        if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::UNPROCESSABLE_ENTITY };
    page.render(
        status,
        "moderation/rules.html",
        context! { c, form, errors, detectors => DETECTORS, version => view.version, rules => view.rules,
        test_form, result, pieces, actions => ActionKind::ALL.map(|a| a.as_str()),
        ladder_steps => LADDER_STEPS, custom_rows => form_rows(&form) },
    )
}

/// How many custom-rule rows the form shows (the saved ones and two blank).
fn form_rows(f: &Form) -> usize {
    field(f, "custom_rows").parse().unwrap_or(0)
}

async fn rules_page(page: Page, Path(slug): Path<String>) -> Response {
    render_rules(&page, &slug, None, HashMap::new(), None).await
}

async fn save_rules(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        let current = app.moderation_settings(v, &slug).await?.settings;
        let s = parse_form(&f, current)?;
        app.update_moderation(v, &slug, s).await
    }
    .await;
    match r {
        Ok(_) => with_notice(&format!("/c/{slug}/moderation"), "saved"),
        Err(e) => match page.field_errors(&e) {
            Some(errors) => render_rules(&page, &slug, Some(f), errors, None).await,
            None => page.fail(e),
        },
    }
}

async fn test_box(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let input = TestInput {
        text: field(&f, "text").to_string(),
        author_age_days: field(&f, "age_days").trim().parse().ok(),
        author_posts: field(&f, "posts").trim().parse().ok(),
        strikes: field(&f, "strikes").trim().parse().unwrap_or(0),
        reply_to_staff: field(&f, "reply_to_staff") == "on",
    };
    let r = async { page.state.app.test_message(page.auth.require()?, &slug, &input).await }.await;
    match r {
        Ok(result) => render_rules(&page, &slug, None, HashMap::new(), Some((f, result))).await,
        Err(e) => match page.field_errors(&e) {
            Some(errors) => render_rules(&page, &slug, None, errors, None).await,
            None => page.fail(e),
        },
    }
}

async fn queue_page(page: Page, Path(slug): Path<String>) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        Ok::<_, AppError>((app.community(Some(v), &slug).await?, app.review_queue(v, &slug).await?))
    }
    .await;
    match r {
        Ok((c, items)) => page.ok("moderation/queue.html", context! { c, items }),
        Err(e) => page.fail(e),
    }
}

async fn resolve(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Pairs>) -> Response {
    let get = |k: &str| first(&f, k);
    let target = |v: &str| v.split_once(':').and_then(|(k, id)| Some((k.to_string(), id.parse::<i64>().ok()?)));
    // A button on one item carries "decision|kind:id"; the bulk bar acts on the ticked boxes.
    let (decision, targets): (&str, Vec<(String, i64)>) = match get("act").split_once('|') {
        Some((d, t)) => (d, target(t).into_iter().collect()),
        None => (get("decision"), all(&f, "t").filter_map(target).collect()),
    };
    let decision = match decision {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        "warn" => Decision::Warn,
        "mute" => Decision::Mute,
        "remove" => Decision::Remove,
        "ban" => Decision::Ban,
        _ => return page.fail(invalid("decision", "invalid_choice", "choose what to do").into()),
    };
    let minutes = get("minutes").trim().parse().ok();
    let r =
        async { page.state.app.resolve(page.auth.require()?, &slug, &targets, decision, get("reason"), minutes).await }
            .await;
    page.done(r, |_| format!("/c/{slug}/moderation/queue"), "resolved")
}

async fn audit_page(page: Page, Path(slug): Path<String>) -> Response {
    let app = &page.state.app;
    let r = async {
        let v = page.auth.require()?;
        Ok::<_, AppError>((app.community(Some(v), &slug).await?, app.audit_log(v, &slug, None, 200).await?))
    }
    .await;
    match r {
        Ok((c, entries)) => page.ok("moderation/audit.html", context! { c, entries }),
        Err(e) => page.fail(e),
    }
}

/// One form for a member's speaking rights: mute, unmute, warn, restrict, unrestrict.
async fn speech(page: Page, Path((slug, username)): Path<(String, String)>, WebForm(f): WebForm<Form>) -> Response {
    let app = &page.state.app;
    let what = field(&f, "action").to_string();
    let reason = field(&f, "reason");
    let r = async {
        let v = page.auth.require()?;
        match what.as_str() {
            "mute" => {
                let minutes = match field(&f, "minutes").trim() {
                    "" | "0" => None,
                    m => Some(m.parse().map_err(|_| invalid("minutes", "invalid_number", "minutes must be a number"))?),
                };
                app.mute(v, &slug, &username, minutes, reason).await
            }
            "unmute" => app.unmute(v, &slug, &username).await,
            "warn" => app.warn(v, &slug, &username, reason).await,
            "restrict" => app.restrict(v, &slug, &username, true, reason).await,
            "unrestrict" => app.restrict(v, &slug, &username, false, reason).await,
            _ => Err(invalid("action", "invalid_choice", "unknown action").into()),
        }
    }
    .await;
    let notice = match what.as_str() {
        "mute" => "muted",
        "unmute" => "unmuted",
        "warn" => "warned",
        _ => "saved",
    };
    page.done(r, |_| format!("/c/{slug}/members"), notice)
}

async fn report(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Form>) -> Response {
    let kind = match field(&f, "kind") {
        "post" => ReportKind::Post,
        "comment" => ReportKind::Comment,
        _ => ReportKind::Member,
    };
    let id: i64 = field(&f, "id").parse().unwrap_or(0);
    let back = field(&f, "back").to_string();
    let local = back.starts_with('/') && !back.starts_with("//") && !back.starts_with("/\\");
    let back = if local { back } else { format!("/c/{slug}") };
    let r = async { page.state.app.report(page.auth.require()?, &slug, kind, id, field(&f, "reason")).await }.await;
    page.done(r, |_| back, "reported")
}

/// The directory's batch bar: every ticked `member`, one action.
async fn bulk_members(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Pairs>) -> Response {
    let value = |k: &str| first(&f, k);
    let usernames: Vec<String> = all(&f, "member").map(str::to_string).collect();
    let r = async {
        let action = match value("action") {
            "tag" => BulkMemberAction::Tag { tag: value("tag").into() },
            "untag" => BulkMemberAction::Untag { tag: value("tag").into() },
            "mute" => BulkMemberAction::Mute { minutes: value("minutes").parse().ok().filter(|m| *m > 0) },
            "unmute" => BulkMemberAction::Unmute,
            "warn" => BulkMemberAction::Warn,
            "remove" => BulkMemberAction::Remove,
            _ => return Err(invalid("action", "invalid_choice", "choose what to do").into()),
        };
        page.state.app.bulk_members(page.auth.require()?, &slug, &usernames, action, value("reason")).await
    }
    .await;
    let notice = match &r {
        Ok(o) if !o.skipped.is_empty() => "members_bulk_skipped",
        _ => "members_bulk_done",
    };
    let n = r.as_ref().map(|o| o.done.len()).unwrap_or(0);
    page.done(r, |_| format!("/c/{slug}/members?n={n}"), notice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlight_marks_matched_characters() {
        let hits = vec![HitView {
            rule: "r".into(),
            class: "ad".into(),
            action: "warn".into(),
            span: [1, 3],
            text: "加微".into(),
        }];
        let p = highlight("快加微信", &hits);
        let got: Vec<(&str, Option<&str>)> = p.iter().map(|p| (p.text.as_str(), p.rule.as_deref())).collect();
        assert_eq!(got, [("快", None), ("加微", Some("r")), ("信", None)]);
    }
}
