//! Who plays which part in the demo's showcases, picked from the seeded
//! members of the first community.

use crate::accounts::Viewer;

/// The people the capability showcases act as.
pub(super) struct Cast {
    pub slug: &'static str,
    pub owner: Viewer,
    pub moderator: Viewer,
    pub spammer: Viewer,
    pub poster: Viewer,
    pub reporter: Viewer,
    pub linker: Viewer,
    pub linker_name: String,
}

impl Cast {
    /// `members` of the first community (index into `people`, joined at) and
    /// the user ids; `None` when it has too few regulars.
    pub fn pick(
        slug: &'static str,
        people: &[(String, String, &str)],
        members: &[(usize, i64)],
        uid: &[i64],
    ) -> Option<Cast> {
        let as_user = |id| Viewer { id, site_admin: false };
        let regulars: Vec<usize> = members.iter().filter(|(m, _)| *m >= 12).map(|(m, _)| *m).take(4).collect();
        let [spammer, poster, reporter, linker] = regulars[..] else { return None };
        Some(Cast {
            slug,
            owner: as_user(uid[0]),
            moderator: as_user(uid[5]),
            spammer: as_user(uid[spammer]),
            poster: as_user(uid[poster]),
            reporter: as_user(uid[reporter]),
            linker: as_user(uid[linker]),
            linker_name: people[linker].0.clone(),
        })
    }
}
