//! Two lotteries in the tea house: last week's, drawn, whose result
//! verifies (`yaji lottery verify`, or its verify page), and this month's,
//! open for entries, for members with a 7-day reading streak.

use yaji_domain::lotteries::{Eligibility, LotteryInput, Prize};
use yaji_store::repo::lotteries as repo;

use crate::accounts::Viewer;
use crate::platform::{DAY_MS, HOUR_MS};
use crate::{App, AppResult};

pub(super) async fn seed(
    app: &App,
    slug: &str,
    owner: Viewer,
    people: &[i64],
    challenge: Option<i64>,
) -> AppResult<()> {
    let now = crate::now();
    let close = chrono::DateTime::from_timestamp_millis(now + 3 * HOUR_MS).unwrap_or_default().to_rfc3339();
    let done = LotteryInput {
        title: "茶室周年抽奖".into(),
        description: Some(
            "感谢一年来的陪伴：三饼 2019 年福鼎白茶和十只品茗杯。\n\nThanks for a year of tea together.".into(),
        ),
        prizes: vec![
            Prize { name: "2019 福鼎白茶饼".into(), quantity: 3 },
            Prize { name: "汝窑品茗杯".into(), quantity: 10 },
        ],
        entries_close_at: close.clone(),
        ..Default::default()
    };
    let l = app.create_lottery(owner, slug, done).await?;
    for &u in people.iter().take(40) {
        app.enter_lottery(Viewer { id: u, site_admin: false }, l.id).await?;
    }
    {
        let mut tx = app.db.write().await?;
        repo::set_window(tx.conn(), l.id, now - 14 * DAY_MS, now - 7 * DAY_MS).await?;
        tx.commit().await?;
    }
    app.set_operator_value(owner, l.id, "福彩 3D 2026330 期开奖号码 5 0 7").await?;
    app.draw_lottery(owner, l.id).await?;
    let r = app.lottery_result(Some(owner), l.id).await?;
    if let Some(w) = r.winners.first() {
        app.deliver_prize(owner, l.id, w.rank).await?;
    }
    let open = LotteryInput {
        title: "坚持打卡抽奖 · Streak lottery".into(),
        description: Some(
            "连续打卡满 7 天即可中奖；每人一次。\n\nWinners need a 7-day streak in the reading challenge.".into(),
        ),
        prizes: vec![Prize { name: "茶室帆布袋 · Tote bag".into(), quantity: 5 }],
        entries_close_at: close,
        eligibility: challenge.map(|c| Eligibility {
            challenge_id: Some(c),
            streak_days: Some(7),
            ..Default::default()
        }),
        ..Default::default()
    };
    let l = app.create_lottery(owner, slug, open).await?;
    for &u in people.iter().take(9) {
        app.enter_lottery(Viewer { id: u, site_admin: false }, l.id).await?;
    }
    Ok(())
}
