//! A running reading challenge in the tea house (《茶经》, a chapter at a
//! time): members joined with
//! streaks of different lengths (their earlier days imported, as from the
//! group's old spreadsheet), several checked in today with a note and the
//! pages they read, two have a daily reminder.

use chrono::Duration;
use yaji_domain::challenges::{ChallengeInput, Milestone};

use super::rng::Rng;
use crate::accounts::Viewer;
use crate::challenges::CheckinInput;
use crate::{App, AppResult};

const NOTES: &[&str] = &[
    "读完《一之源》：“茶者，南方之嘉木也。”原来陆羽开篇先讲树，再讲人。",
    "Read 'The Tools' today. Lu Yu lists twenty-four implements; I own three of them.",
    "《五之煮》讲水：山水上，江水中，井水下。周末想试试用山泉水泡一次。",
    "晚上对照注释读《七之事》，历代茶事的典故比想象中多。",
    "Finished the chapter on brewing. 'The first boil is like fish eyes' — watched my kettle with new eyes.",
    "打卡！今天在读宋代的注本，注释比正文还长。",
];

/// `owner` runs the reading circle `slug`; `people` are its members (user ids).
/// Returns the challenge's id.
pub(super) async fn seed(app: &App, slug: &str, owner: Viewer, people: &[i64]) -> AppResult<i64> {
    let c = app.community(Some(owner), slug).await?;
    let tz = c.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    let (today, _) = yaji_domain::challenges::local(crate::now(), tz);
    let input = ChallengeInput {
        title: "30 天共读《茶经》".into(),
        description: Some(
            "每天读至少 10 页（原文或注本都算），打卡写一句心得、记下页数。漏了一天可以用补卡（每人 2 张）。\n\n\
             Read at least 10 pages of The Classic of Tea a day; check in with a line and the pages read. Two make-up cards each."
                .into(),
        ),
        starts_on: (today - Duration::days(19)).to_string(),
        ends_on: Some((today + Duration::days(10)).to_string()),
        proof: Some("optional".into()),
        number_label: Some("页".into()),
        makeup_cards: Some(2),
        milestones: Some(vec![
            Milestone { days: 7, tag: None },
            Milestone { days: 21, tag: Some("共读达人".into()) },
            Milestone { days: 100, tag: None },
        ]),
        ..Default::default()
    };
    let ch = app.create_challenge(owner, slug, input).await?;
    let mut rng = Rng(0x5eed_2026);
    for (k, &user) in people.iter().take(16).enumerate() {
        let v = Viewer { id: user, site_admin: false };
        let remind = (k % 7 == 1).then_some("21:30");
        app.join_challenge(v, ch.id, remind).await?;
        // Streaks of different lengths: some from the first day without a
        // gap, others started late or missed a day now and then.
        let start = rng.below(6) as i64;
        let miss = [0.0, 0.05, 0.15, 0.3][k % 4];
        let mut days = vec![];
        for back in (1..=19 - start).rev() {
            if !rng.chance(miss) {
                days.push((today - Duration::days(back), Some((10 + rng.below(30)) as f64)));
            }
        }
        app.import_checkins(ch.id, user, &days).await?;
        if k % 3 != 2 {
            let body = (k % 2 == 0).then(|| NOTES[k % NOTES.len()].to_string());
            let input = CheckinInput { body, number: Some((12 + rng.below(25)) as f64), ..Default::default() };
            app.check_in(v, ch.id, input).await?;
        }
    }
    Ok(ch.id)
}
