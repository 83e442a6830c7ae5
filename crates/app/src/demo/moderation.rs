//! Moderation at work, through the real use cases: an ad the automod hid
//! (and warned about), a link held for review, a member's report, a muted
//! member. The review queue is not empty.

use super::cast::Cast;
use crate::content::PostInput;
use crate::{App, AppResult};

pub(super) async fn seed(app: &App, cast: &Cast) -> AppResult<()> {
    let post = |title: &'static str, body: &'static str| PostInput { title: Some(title), body, topic_id: None };
    app.create_post(cast.spammer, cast.slug, post("", "兼职日结，日赚 500，加微信 tea8888 领红包")).await?;
    app.create_post(cast.linker, cast.slug, post("好茶推荐", "这家店的岩茶很便宜 https://cheap-tea.shop/deal")).await?;
    let p = app.create_post(cast.poster, cast.slug, post("", "有人知道哪里能买到正宗的凤凰单丛吗？")).await?;
    app.report(cast.reporter, cast.slug, crate::moderation::ReportKind::Post, p.id, "感觉像在引流").await?;
    app.mute(cast.moderator, cast.slug, &cast.linker_name, Some(24 * 60), "反复发外部链接").await?;
    Ok(())
}
