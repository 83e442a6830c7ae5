//! A repeating post on the calendar: next Saturday's tea gathering.

use super::cast::Cast;
use crate::calendar::ScheduleInput;
use crate::platform::DAY_MS;
use crate::{App, AppResult};

/// The calendar is about the future, whatever time the demo pretends it is.
pub(super) async fn seed(app: &App, cast: &Cast, demo_now: i64) -> AppResult<()> {
    let tomorrow = crate::now() + DAY_MS;
    let saturday = (0..7)
        .map(|d| tomorrow + d * DAY_MS)
        .find(|t| {
            chrono::DateTime::from_timestamp_millis(*t)
                .is_some_and(|t| chrono::Datelike::weekday(&t) == chrono::Weekday::Sat)
        })
        .unwrap_or(demo_now + DAY_MS);
    let at = chrono::DateTime::from_timestamp_millis(saturday).unwrap_or_default().format("%Y-%m-%dT10:00").to_string();
    let input = ScheduleInput {
        title: Some("本周六茶会报名".into()),
        body: "这周六下午两点，静安茶室二楼。想来的朋友在评论里报名，名额 12 位。".into(),
        topic_id: None,
        publish_at: at,
        repeat: Some("0 10 * * 6".into()),
    };
    app.schedule_post(cast.owner, cast.slug, &input).await?;
    Ok(())
}
