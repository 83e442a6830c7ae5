//! The FAQ the assistant answers from; a member's question waits for the worker.

use super::cast::Cast;
use crate::content::PostInput;
use crate::faq::FaqInput;
use crate::{App, AppResult};

pub(super) async fn seed(app: &App, cast: &Cast) -> AppResult<()> {
    for (qs, answer) in [
        (vec!["会员费多少钱", "年费是多少", "how much is the membership fee"], "年费 365 元，含全年线上共读和 12 次线下茶会。\n\nMembership is 365 CNY a year, including 12 tea gatherings."),
        (vec!["茶会在哪里举办", "活动地址是什么", "where is the tea gathering held"], "静安区茶室二楼，地铁 2 号线静安寺站步行 5 分钟。"),
        (vec!["可以带朋友来茶会吗", "can I bring a friend"], "可以，每位会员每次可带 1 位朋友，请提前在活动帖报名。"),
        (vec!["茶会怎么报名", "how do I sign up for a tea gathering"], "在活动帖下留言报名，名额满后候补。"),
    ] {
        let input = FaqInput { questions: qs.into_iter().map(str::to_string).collect(), answer: answer.into() };
        app.create_faq_entry(cast.owner, cast.slug, &input).await?;
    }
    let question = PostInput { title: Some(""), body: "请问茶会在哪里举办？", topic_id: None };
    app.create_post(cast.poster, cast.slug, question).await?;
    Ok(())
}
