//! A running reading challenge in the reading circle: members joined with
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
    "读到第二十七回，黛玉葬花。“侬今葬花人笑痴，他年葬侬知是谁”，读了三遍。",
    "Finished chapter 30 on the train. Baoyu and Daiyu quarrel again; Jia Mu's line about 'not enemies, not a family' made me laugh.",
    "今天只读了十页，但把人物关系图补完了，贾府四大家族终于理清。",
    "晚饭后读了一小时，刘姥姥二进大观园，太热闹了。",
    "Read the poetry club chapter. Trying to memorise Tanchun's crab-apple poem.",
    "打卡！今天在读脂批，注释比正文还长。",
];

/// `owner` runs the reading circle `slug`; `people` are its members (user ids).
pub(super) async fn seed(app: &App, slug: &str, owner: Viewer, people: &[i64]) -> AppResult<()> {
    let c = app.community(Some(owner), slug).await?;
    let tz = c.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    let (today, _) = yaji_domain::challenges::local(crate::now(), tz);
    let input = ChallengeInput {
        title: "30 天共读《红楼梦》".into(),
        description: Some(
            "每天读至少 10 页，打卡写一句心得、记下页数。漏了一天可以用补卡（每人 2 张）。\n\n\
             Read at least 10 pages a day; check in with a line and the pages read. Two make-up cards each."
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
            let input = CheckinInput { body, number: Some((12 + rng.below(25)) as f64), makeup: false };
            app.check_in(v, ch.id, input).await?;
        }
    }
    Ok(())
}
