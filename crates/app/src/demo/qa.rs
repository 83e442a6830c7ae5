//! The tea house's Q&A: an answered question whose bounty was paid, one
//! still open with a bounty for the best-rated answer, and a plain one
//! waiting — through the real use cases.

use yaji_domain::qa::QuestionInput;

use crate::accounts::Viewer;
use crate::content::{PostExtras, PostInput};
use crate::{App, AppResult};

pub(super) async fn seed(app: &App, slug: &str, owner: Viewer, people: &[i64]) -> AppResult<()> {
    if people.len() < 5 {
        return Ok(());
    }
    let v = |i: usize| Viewer { id: people[i], site_admin: false };
    let asker = app.user(people[0]).await?;
    app.adjust_points(owner, slug, &asker.username, 80, "问答周奖励 · Q&A week").await?;
    let ask = |title: &'static str, body: &'static str| PostInput { title: Some(title), body, topic_id: None };
    let paid = QuestionInput { bounty: Some(30), bounty_days: Some(7), bounty_fallback: None };
    let q = app
        .create_post_with(
            v(0),
            slug,
            ask("煮老白茶用什么壶？", "想在家煮老白茶，陶壶、银壶还是玻璃壶好？预算五百以内。"),
            &PostExtras { question: Some(paid.clone()), ..Default::default() },
        )
        .await?;
    let mut answers = vec![];
    for (i, text) in [
        (1, "五百以内选潮州红泥砂铫，受热均匀，煮出来汤感更厚。"),
        (2, "玻璃壶方便看茶汤颜色，新手先用它掌握火候。"),
        (3, "银壶太贵了，先别急着买。"),
    ] {
        answers.push(app.comment(v(i), q.id, text, None).await?.id);
    }
    app.react_to_comment(v(4), answers[0], "👍", true).await?;
    app.accept_answer(v(0), answers[0]).await?;

    let open = QuestionInput { bounty: Some(20), bounty_days: Some(5), bounty_fallback: Some("best_answer".into()) };
    let q = app
        .create_post_with(
            v(1),
            slug,
            ask("有没有适合读书会的茶书推荐？", "下个月读书会想读一本和茶有关的书，求推荐，最好有中英文版本。"),
            &PostExtras { question: Some(open.clone()), ..Default::default() },
        )
        .await?;
    app.comment(v(2), q.id, "《茶经》当然是首选，英文有 Francis Ross Carpenter 的译本。", None).await?;
    app.create_post_with(
        v(3),
        slug,
        ask("周六茶会可以带朋友吗？", "朋友第一次来，需要先注册账号吗？"),
        &PostExtras { question: Some(QuestionInput::default()), ..Default::default() },
    )
    .await?;
    Ok(())
}
