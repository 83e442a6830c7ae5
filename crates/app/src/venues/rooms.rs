//! What other capabilities read of rooms: whether a room belongs to a
//! community (a gathering held there) and booked time per hour of the week
//! (analytics). Kept apart so that gatherings can ask without importing the
//! booking use cases, which themselves turn bookings into gatherings.

use yaji_domain::venues as domain;
use yaji_store::repo::venues as repo;
use yaji_store::Conn;

use crate::platform::context::Ctx;
use crate::AppResult;

/// Whether a room is in the community (gatherings held in a room).
pub(crate) async fn room_in(conn: &mut Conn, community_id: i64, room_id: i64) -> AppResult<bool> {
    Ok(repo::room(conn, room_id).await?.is_some_and(|r| r.community_id == community_id))
}

/// Booked minutes per hour of the week over a period (analytics).
pub(crate) async fn utilization(conn: &mut Conn, ctx: &Ctx, from: i64, to: i64) -> AppResult<(i64, Vec<i64>)> {
    let booked = repo::booked(conn, ctx.c.id, (from, to)).await?;
    let rooms = repo::community_rooms(conn, ctx.c.id).await?.len() as i64;
    let ranges: Vec<(i64, i64)> = booked.iter().map(|&(_, s, e)| (s.max(from), e.min(to))).collect();
    Ok((rooms, domain::hour_of_week(&ranges, ctx.tz()).to_vec()))
}
