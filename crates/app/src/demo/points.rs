//! Points from the seeded history: each community's ledger is replayed from
//! its activity log (the seed writes events directly), then the first
//! community's owner thanks a regular by hand, as staff do.

use super::cast::Cast;
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
    }
    Ok(())
}
