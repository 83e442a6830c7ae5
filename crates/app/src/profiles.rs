//! Profiles: a member's public page, as one reader may see it. Reads the
//! membership, content, points and badges capabilities through their
//! functions; nothing imports it.

use yaji_domain::member::MemberState;
use yaji_domain::permission::Action;
use yaji_domain::user::Username;
use yaji_store::repo::user as users;

use crate::accounts::Viewer;
use crate::platform::context::Ctx;
use crate::views::{PersonView, PostView, ProfileCommunity, ProfilePost, ProfileView};
use crate::{rfc3339, App, AppError, AppResult};

impl App {
    /// A member's profile: who they are, the communities of theirs the reader
    /// may see (marking those in common), and their latest posts the reader
    /// may read. Each community is judged by the permission core, as its own
    /// pages are.
    pub async fn profile(&self, viewer: Option<Viewer>, username: &str, zh: bool) -> AppResult<ProfileView> {
        let name = Username::parse(username).map_err(|_| AppError::NotFound("user"))?;
        let mut c = self.db.read().await?;
        let u = users::by_username(&mut c, name.as_str()).await?.ok_or(AppError::NotFound("user"))?;
        let mut communities = Vec::new();
        let mut readable = std::collections::HashMap::new();
        for m in crate::membership::active_memberships_of(&mut c, u.id).await? {
            let ctx = Ctx::load_id(&mut c, m.community_id, viewer).await?;
            let public = ctx.c.visibility == "public";
            let can_read = ctx.can(Action::ReadContent);
            if can_read {
                readable.insert(ctx.c.id, (ctx.c.slug.clone(), ctx.c.name.clone()));
            }
            // A private community's member list is its members' business.
            if public || can_read {
                let in_common = ctx.membership.as_ref().is_some_and(|vm| vm.state == MemberState::Active);
                let (points, level) = crate::points::standing(&mut c, ctx.c.id, u.id).await?;
                let badges =
                    if can_read { crate::badges::earned_by(&mut c, ctx.c.id, u.id, zh).await? } else { vec![] };
                communities.push(ProfileCommunity {
                    slug: ctx.c.slug.clone(),
                    name: ctx.c.name.clone(),
                    role: m.role.as_str().to_string(),
                    joined_at: rfc3339(m.joined_at),
                    in_common,
                    level,
                    points,
                    badges,
                });
            }
        }
        communities.sort_by(|a, b| b.in_common.cmp(&a.in_common).then_with(|| a.name.cmp(&b.name)));
        let recent_posts = crate::content::recent_posts_of(&mut c, u.id, 50)
            .await?
            .into_iter()
            .filter_map(|p| {
                let (slug, name) = readable.get(&p.community_id)?.clone();
                Some(ProfilePost { post: PostView::from_row(p, false), community_slug: slug, community_name: name })
            })
            .take(10)
            .collect();
        Ok(ProfileView {
            user: PersonView {
                id: u.id,
                username: u.username,
                display_name: u.display_name,
                avatar_url: u.avatar_url,
                level: None,
            },
            bio: u.bio,
            joined_at: rfc3339(u.created_at),
            communities,
            recent_posts,
        })
    }
}
