//! The tea house's polls: a closed one about the next reading night (with
//! its votes) and an open ranked one — through the real use cases.

use yaji_domain::polls::PollInput;

use crate::accounts::Viewer;
use crate::content::{PostExtras, PostInput};
use crate::{App, AppResult};

pub(super) async fn seed(app: &App, slug: &str, owner: Viewer, people: &[i64]) -> AppResult<()> {
    if people.len() < 12 {
        return Ok(());
    }
    let v = |i: usize| Viewer { id: people[i], site_admin: false };
    let poll = |question: &str, kind: &str, options: &[&str], results: &str| PollInput {
        question: question.into(),
        kind: kind.into(),
        options: options.iter().map(|o| o.to_string()).collect(),
        results: results.into(),
        anonymous: Some(false),
        ..Default::default()
    };
    let post = PostInput {
        title: Some("下次读书会定在哪天？"), body: "投个票，周四截止。", topic_id: None
    };
    let extras = PostExtras {
        poll: Some(poll("哪天合适？", "single", &["周五晚上", "周六下午", "周日上午"], "always")),
        ..Default::default()
    };
    let p = app.create_post_with(owner, slug, post, &extras).await?;
    for i in 0..12 {
        app.vote_in_poll(v(i), p.id, &[[1, 1, 0, 2][i % 4]]).await?;
    }
    // Closed once everyone voted: it shows as the decision.
    app.close_poll_now(owner, p.id).await?;
    let post =
        PostInput { title: Some("明年想读哪本？"), body: "按喜欢的顺序排一排。", topic_id: None };
    let extras = PostExtras {
        poll: Some(poll(
            "按喜好排序",
            "ranked",
            &["《茶经》", "《浮生六记》", "《红楼梦》", "《瓦尔登湖》"],
            "after_vote",
        )),
        ..Default::default()
    };
    let p = app.create_post_with(owner, slug, post, &extras).await?;
    for i in 0..8 {
        let ballot: &[i64] = match i % 3 {
            0 => &[1, 0, 2],
            1 => &[0, 1],
            _ => &[3, 1, 0],
        };
        app.vote_in_poll(v(i), p.id, ballot).await?;
    }
    Ok(())
}
