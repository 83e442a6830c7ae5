//! Moderation pages: rules (with the "test a message" box), review queue,
//! audit log, member speaking rights and reports.

use std::collections::HashMap;

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::Serialize;
use yaji_app::moderation::{Decision, HitView, ReportKind, TestInput, TestResult};
use yaji_app::AppError;
use yaji_domain::error::invalid;
use yaji_domain::moderation::{
    ActionKind, CustomRule, Detector, ModerationSettings, PatternKind, Sanction, MAX_MUTE_MINUTES,
};

use super::{Page, Tab, WebForm};
use crate::AppState;

use super::form::{field, lines, with_notice, Form};

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/c/{slug}/moderation", get(rules_page).post(save_rules))
        .route("/c/{slug}/moderation/test", post(test_box))
        .route("/c/{slug}/moderation/queue", get(queue_page).post(resolve))
        .route("/c/{slug}/moderation/audit", get(audit_page))
        .route("/c/{slug}/members/{username}/speech", post(speech))
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

/// The detectors on the rules page, in display order: (form name, settings accessor).
const DETECTORS: [&str; 11] = [
    "abuse_words",
    "default_banned_words",
    "links",
    "group_invites",
    "phones",
    "contact_ids",
    "ad_phrases",
    "flood",
    "junk",
    "mass_mentions",
    "newcomer",
];

fn detector_mut<'a>(s: &'a mut ModerationSettings, name: &str) -> Option<(&'a mut bool, &'a mut Sanction)> {
    let d = &mut s.detectors;
    let det = |d: &'a mut Detector| Some((&mut d.enabled, &mut d.sanction));
    match name {
        "abuse_words" => det(&mut d.abuse_words),
        "default_banned_words" => det(&mut d.default_banned_words),
        "links" => det(&mut d.links),
        "group_invites" => det(&mut d.group_invites),
        "phones" => det(&mut d.phones),
        "contact_ids" => det(&mut d.contact_ids),
        "ad_phrases" => det(&mut d.ad_phrases),
        "flood" => det(&mut d.flood),
        "junk" => det(&mut d.junk),
        "mass_mentions" => det(&mut d.mass_mentions),
        "newcomer" => Some((&mut s.newcomer.enabled, &mut s.newcomer.sanction)),
        _ => None,
    }
}

/// "mute:60" / "warn" ↔ a sanction.
fn sanction_text(s: Sanction) -> String {
    if s.action == ActionKind::Mute {
        format!("mute:{}", s.mute_minutes)
    } else {
        s.action.as_str().to_string()
    }
}

fn parse_sanction(field_name: &'static str, raw: &str) -> Result<Sanction, AppError> {
    let raw = raw.trim();
    let (a, m) = raw.split_once(':').unwrap_or((raw, "60"));
    let action = ActionKind::parse(field_name, a.trim()).map_err(|_| {
        invalid(
            field_name,
            "invalid_choice",
            format!("'{raw}': use allow, hold, hide, warn, mute:MINUTES, remove or ban"),
        )
    })?;
    let mute_minutes = m
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|m| (1..=MAX_MUTE_MINUTES).contains(m))
        .ok_or_else(|| invalid(field_name, "out_of_range", "a mute lasts 1 minute to 365 days"))?;
    Ok(Sanction { action, mute_minutes })
}

/// The form's text view of settings.
fn settings_form(s: &ModerationSettings) -> Form {
    let mut f = Form::new();
    f.insert("enabled".into(), if s.enabled { "on".into() } else { String::new() });
    f.insert("banned_words".into(), s.banned_words.join("\n"));
    f.insert("banned_words_action".into(), sanction_text(s.banned_words_sanction));
    f.insert("allowed_domains".into(), s.allowed_domains.join("\n"));
    let mut copy = s.clone();
    for name in DETECTORS {
        if let Some((on, sanction)) = detector_mut(&mut copy, name) {
            f.insert(format!("{name}_on"), if *on { "on".into() } else { String::new() });
            f.insert(format!("{name}_action"), sanction_text(*sanction));
        }
    }
    let d = &s.detectors;
    for (k, v) in [
        ("ad_phrase_threshold", d.ad_phrase_threshold),
        ("flood_max_messages", d.flood_max_messages),
        ("flood_window_secs", d.flood_window_secs),
        ("flood_max_repeats", d.flood_max_repeats),
        ("max_mentions", d.max_mentions),
        ("newcomer_days", s.newcomer.days),
        ("newcomer_posts", s.newcomer.posts),
        ("strike_decay_days", s.strike_decay_days),
        ("report_threshold", s.report_threshold),
    ] {
        f.insert(k.into(), v.to_string());
    }
    f.insert("ladder".into(), s.ladder.iter().map(|x| sanction_text(*x)).collect::<Vec<_>>().join(", "));
    let custom = s
        .custom_rules
        .iter()
        .map(|r| {
            let kind = if r.kind == PatternKind::Regex { "regex" } else { "words" };
            let pattern = if r.kind == PatternKind::Regex { r.patterns.join("") } else { r.patterns.join(", ") };
            format!("{} | {kind} | {} | {pattern}", r.name, sanction_text(r.sanction))
        })
        .collect::<Vec<_>>()
        .join("\n");
    f.insert("custom_rules".into(), custom);
    f
}

fn number(f: &Form, k: &'static str) -> Result<u32, AppError> {
    field(f, k).trim().parse().map_err(|_| invalid(k, "invalid_number", format!("{k} must be a whole number")).into())
}

/// Parses the rules form over the current settings (so what the form leaves out is kept).
fn parse_form(f: &Form, mut s: ModerationSettings) -> Result<ModerationSettings, AppError> {
    s.enabled = field(f, "enabled") == "on";
    s.banned_words = lines(field(f, "banned_words"));
    s.banned_words_sanction = parse_sanction("banned_words", field(f, "banned_words_action"))?;
    s.allowed_domains = lines(field(f, "allowed_domains")).into_iter().map(|d| d.to_lowercase()).collect();
    for name in DETECTORS {
        let on = field(f, &format!("{name}_on")) == "on";
        let sanction = parse_sanction("detectors", field(f, &format!("{name}_action")))?;
        if let Some((e, sa)) = detector_mut(&mut s, name) {
            *e = on;
            *sa = sanction;
        }
    }
    s.detectors.ad_phrase_threshold = number(f, "ad_phrase_threshold")?;
    s.detectors.flood_max_messages = number(f, "flood_max_messages")?;
    s.detectors.flood_window_secs = number(f, "flood_window_secs")?;
    s.detectors.flood_max_repeats = number(f, "flood_max_repeats")?;
    s.detectors.max_mentions = number(f, "max_mentions")?;
    s.newcomer.days = number(f, "newcomer_days")?;
    s.newcomer.posts = number(f, "newcomer_posts")?;
    s.strike_decay_days = number(f, "strike_decay_days")?;
    s.report_threshold = number(f, "report_threshold")?;
    s.ladder = field(f, "ladder")
        .split([',', '，', '\n'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| parse_sanction("ladder", x))
        .collect::<Result<_, _>>()?;
    s.custom_rules = lines(field(f, "custom_rules"))
        .iter()
        .map(|l| {
            let parts: Vec<&str> = l.splitn(4, '|').map(str::trim).collect();
            let [name, kind, action, pattern] = parts[..] else {
                return Err(invalid(
                    "custom_rules",
                    "invalid_format",
                    format!("'{l}': use name | words or regex | action | pattern"),
                )
                .into());
            };
            let kind = match kind {
                "words" => PatternKind::Words,
                "regex" => PatternKind::Regex,
                _ => return Err(invalid("custom_rules", "invalid_format", format!("'{kind}': words or regex")).into()),
            };
            let patterns = match kind {
                PatternKind::Words => {
                    pattern.split([',', '，']).map(str::trim).filter(|w| !w.is_empty()).map(str::to_string).collect()
                }
                PatternKind::Regex => vec![pattern.to_string()],
            };
            Ok(CustomRule {
                name: name.to_string(),
                kind,
                patterns,
                sanction: parse_sanction("custom_rules", action)?,
                enabled: true,
            })
        })
        .collect::<Result<_, AppError>>()?;
    Ok(s)
}

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
        test_form, result, pieces, actions => ActionKind::ALL.map(|a| a.as_str()) },
    )
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

async fn resolve(page: Page, Path(slug): Path<String>, WebForm(f): WebForm<Vec<(String, String)>>) -> Response {
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
    let target = |v: &str| v.split_once(':').and_then(|(k, id)| Some((k.to_string(), id.parse::<i64>().ok()?)));
    // A button on one item carries "decision|kind:id"; the bulk bar acts on the ticked boxes.
    let (decision, targets): (&str, Vec<(String, i64)>) = match get("act").split_once('|') {
        Some((d, t)) => (d, target(t).into_iter().collect()),
        None => (get("decision"), f.iter().filter(|(k, _)| k == "t").filter_map(|(_, v)| target(v)).collect()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_round_trips_settings() {
        let mut s = ModerationSettings {
            banned_words: vec!["竞品".into(), "spam word".into()],
            allowed_domains: vec!["example.com".into()],
            custom_rules: vec![CustomRule {
                name: "orders".into(),
                kind: PatternKind::Regex,
                patterns: vec![r"ORD-\d+|PO-\d+".into()],
                sanction: Sanction::mute(30),
                enabled: true,
            }],
            ..ModerationSettings::default()
        };
        s.detectors.links.enabled = false;
        let f = settings_form(&s);
        assert_eq!(parse_form(&f, ModerationSettings::default()).unwrap(), s);
    }

    #[test]
    fn bad_form_values_name_their_field() {
        let mut f = settings_form(&ModerationSettings::default());
        f.insert("ladder".into(), "warn, mute:0".into());
        let AppError::Invalid(e) = parse_form(&f, ModerationSettings::default()).unwrap_err() else { panic!() };
        assert_eq!(e.field, "ladder");
        f.insert("ladder".into(), "warn".into());
        f.insert("custom_rules".into(), "just a name".into());
        let AppError::Invalid(e) = parse_form(&f, ModerationSettings::default()).unwrap_err() else { panic!() };
        assert_eq!((e.field, e.code), ("custom_rules", "invalid_format"));
    }

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
