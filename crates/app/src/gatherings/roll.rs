//! Who took part in a gathering, as other capabilities ask it (a lottery
//! for those who came). Apart from the use cases so that the asking
//! capability imports none of them.

use yaji_store::repo::gatherings as repo;
use yaji_store::Conn;

use crate::AppResult;

/// Whether `user_id` registered for the gathering (registered or attended),
/// or with `attended_only`, came.
pub(crate) async fn took_part(conn: &mut Conn, event_id: i64, user_id: i64, attended_only: bool) -> AppResult<bool> {
    Ok(repo::reg_of(conn, event_id, user_id)
        .await?
        .is_some_and(|r| r.status == "attended" || (!attended_only && r.status == "registered")))
}

/// The community a gathering belongs to.
pub(crate) async fn community_of(conn: &mut Conn, event_id: i64) -> AppResult<Option<i64>> {
    Ok(repo::get(conn, event_id).await?.map(|e| e.community_id))
}

/// The people who came to at least `n` of a community's gatherings starting
/// at or after `since` (a segment's condition).
pub(crate) async fn regulars(conn: &mut Conn, community_id: i64, n: i64, since: i64) -> AppResult<Vec<i64>> {
    let mut times: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for (user, _, at) in repo::attendances(conn, community_id).await? {
        if at >= since {
            *times.entry(user).or_default() += 1;
        }
    }
    let mut out: Vec<i64> = times.into_iter().filter(|(_, c)| *c >= n).map(|(u, _)| u).collect();
    out.sort_unstable();
    Ok(out)
}
