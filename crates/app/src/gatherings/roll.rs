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
