//! Points and badges from the seeded history: each community's ledger is
//! replayed from its activity log (the seed writes events directly; badges
//! follow), then the first community's owner thanks a regular by hand with
//! points and a custom badge, as staff do.

use super::cast::Cast;
use yaji_domain::badges::BadgeInput;

use crate::accounts::Viewer;
use crate::{App, AppResult};

pub(super) async fn seed(app: &App, communities: &[(&str, i64)], cast: Option<&Cast>) -> AppResult<()> {
    for (slug, owner) in communities {
        app.recompute_points(Viewer { id: *owner, site_admin: false }, slug).await?;
    }
    if let Some(cast) = cast {
        let name = app.user(cast.poster.id).await?.username;
        app.adjust_points(cast.owner, cast.slug, &name, 30, "组织了周末长距离拉练 · organised the weekend long run")
            .await?;
        let badge = BadgeInput {
            name: "领跑员 · Pacer".into(),
            description: "带队完成一次长距离拉练 · led a group long run".into(),
            icon: "trophy".into(),
            counter: None,
            at_least: None,
        };
        let badge = app.save_badge(cast.owner, cast.slug, None, badge, true).await?;
        app.grant_badge(cast.owner, cast.slug, &name, badge.id, "周末长距离拉练 · the weekend long run").await?;
    }
    Ok(())
}
