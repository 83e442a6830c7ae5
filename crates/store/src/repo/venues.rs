//! Venues storage (migrations/0023_venues.sql): venues, rooms and bookings.
//! The database refuses overlapping bookings of a room (see the migration);
//! `insert_booking` reports that as `DbError::is_constraint(OVERLAP)`.

use crate::sql::{query, query_as, query_scalar, Conn};

/// The constraint (PostgreSQL) and trigger message (SQLite) that keep bookings apart.
pub const OVERLAP: &str = "bookings_no_overlap";

/// Statuses that hold a room.
pub const HOLDING: &str = "('pending', 'confirmed')";

#[derive(Debug, Clone, serde::Deserialize)]
pub struct VenueRow {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub address: String,
    pub description: String,
    pub created_at: i64,
}

pub async fn insert_venue(
    conn: &mut Conn,
    community_id: i64,
    (name, address, description): (&str, &str, &str),
    now: i64,
) -> crate::Result<i64> {
    query_scalar(
        "INSERT INTO venues (community_id, name, address, description, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .binds((community_id, name, address, description, now))
    .fetch_one(conn)
    .await
}

pub async fn update_venue(
    conn: &mut Conn,
    id: i64,
    (name, address, description): (&str, &str, &str),
) -> crate::Result<()> {
    query("UPDATE venues SET name = $2, address = $3, description = $4 WHERE id = $1")
        .binds((id, name, address, description))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn venue(conn: &mut Conn, id: i64) -> crate::Result<Option<VenueRow>> {
    query_as("SELECT id, community_id, name, address, description, created_at FROM venues WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn venues(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<VenueRow>> {
    query_as("SELECT id, community_id, name, address, description, created_at FROM venues WHERE community_id = $1 ORDER BY id")
        .bind(community_id)
        .fetch_all(conn)
        .await
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct RoomRow {
    pub id: i64,
    pub venue_id: i64,
    pub community_id: i64,
    pub name: String,
    pub capacity: i64,
    pub def: String,
    pub archived: bool,
    pub venue_name: String,
}

const ROOM: &str = "r.id, r.venue_id, r.community_id, r.name, r.capacity, r.def, r.archived, v.name AS venue_name";

pub async fn insert_room(
    conn: &mut Conn,
    venue_id: i64,
    community_id: i64,
    (name, capacity, def): (&str, i64, &str),
    now: i64,
) -> crate::Result<i64> {
    query_scalar(
        "INSERT INTO rooms (venue_id, community_id, name, capacity, def, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .binds((venue_id, community_id, name, capacity, def, now))
    .fetch_one(conn)
    .await
}

pub async fn update_room(conn: &mut Conn, id: i64, (name, capacity, def): (&str, i64, &str)) -> crate::Result<()> {
    query("UPDATE rooms SET name = $2, capacity = $3, def = $4 WHERE id = $1")
        .binds((id, name, capacity, def))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn room(conn: &mut Conn, id: i64) -> crate::Result<Option<RoomRow>> {
    query_as(&format!("SELECT {ROOM} FROM rooms r JOIN venues v ON v.id = r.venue_id WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Takes the room row's lock: a person's weekly hours are counted under it.
pub async fn lock_room(conn: &mut Conn, id: i64) -> crate::Result<()> {
    query("UPDATE rooms SET capacity = capacity WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

pub async fn rooms(conn: &mut Conn, venue_id: i64) -> crate::Result<Vec<RoomRow>> {
    query_as(&format!(
        "SELECT {ROOM} FROM rooms r JOIN venues v ON v.id = r.venue_id WHERE r.venue_id = $1 AND r.archived = 0 ORDER BY r.id"
    ))
    .bind(venue_id)
    .fetch_all(conn)
    .await
}

pub async fn community_rooms(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<RoomRow>> {
    query_as(&format!(
        "SELECT {ROOM} FROM rooms r JOIN venues v ON v.id = r.venue_id WHERE r.community_id = $1 AND r.archived = 0
         ORDER BY r.venue_id, r.id"
    ))
    .bind(community_id)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct BookingRow {
    pub id: i64,
    pub room_id: i64,
    pub user_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub block_start: i64,
    pub block_end: i64,
    pub status: String,
    pub purpose: String,
    pub series_id: Option<i64>,
    pub event_id: Option<i64>,
    pub created_at: i64,
    pub username: String,
    pub display_name: String,
    pub room_name: String,
    pub community_id: i64,
}

const BOOKING: &str = "b.id, b.room_id, b.user_id, b.starts_at, b.ends_at, b.block_start, b.block_end, b.status, \
    b.purpose, b.series_id, b.event_id, b.created_at, u.username, u.display_name, r.name AS room_name, r.community_id";
const BOOKING_FROM: &str = "bookings b JOIN users u ON u.id = b.user_id JOIN rooms r ON r.id = b.room_id";

pub struct NewBooking<'a> {
    pub room_id: i64,
    pub user_id: i64,
    pub range: (i64, i64),
    pub block: (i64, i64),
    pub status: &'a str,
    pub purpose: &'a str,
    pub series_id: Option<i64>,
    pub now: i64,
}

/// Inserts a booking; the database refuses one that overlaps a holding booking.
pub async fn insert_booking(conn: &mut Conn, b: &NewBooking<'_>) -> crate::Result<i64> {
    query_scalar(
        "INSERT INTO bookings (room_id, user_id, starts_at, ends_at, block_start, block_end, status, purpose, series_id,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .binds((b.room_id, b.user_id, b.range.0, b.range.1, b.block.0, b.block.1, b.status, b.purpose, b.series_id, b.now))
    .fetch_one(conn)
    .await
}

pub async fn set_booking_series(conn: &mut Conn, id: i64, series_id: i64) -> crate::Result<()> {
    query("UPDATE bookings SET series_id = $2 WHERE id = $1").binds((id, series_id)).execute(conn).await?;
    Ok(())
}

pub async fn set_booking_status(conn: &mut Conn, id: i64, status: &str, now: i64) -> crate::Result<()> {
    query("UPDATE bookings SET status = $2, updated_at = $3 WHERE id = $1")
        .binds((id, status, now))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_booking_event(conn: &mut Conn, id: i64, event_id: i64) -> crate::Result<()> {
    query("UPDATE bookings SET event_id = $2 WHERE id = $1").binds((id, event_id)).execute(conn).await?;
    Ok(())
}

pub async fn booking(conn: &mut Conn, id: i64) -> crate::Result<Option<BookingRow>> {
    query_as(&format!("SELECT {BOOKING} FROM {BOOKING_FROM} WHERE b.id = $1")).bind(id).fetch_optional(conn).await
}

/// A room's holding bookings overlapping a blocked range (the conflicts of a new one).
pub async fn conflicts(conn: &mut Conn, room_id: i64, (from, to): (i64, i64)) -> crate::Result<Vec<BookingRow>> {
    query_as(&format!(
        "SELECT {BOOKING} FROM {BOOKING_FROM} WHERE b.room_id = $1 AND b.status IN {HOLDING}
         AND b.block_start < $3 AND $2 < b.block_end ORDER BY b.starts_at"
    ))
    .binds((room_id, from, to))
    .fetch_all(conn)
    .await
}

/// A room's bookings that touch `[from, to)`, every status (the grid shows holding ones).
pub async fn bookings(conn: &mut Conn, room_id: i64, (from, to): (i64, i64)) -> crate::Result<Vec<BookingRow>> {
    query_as(&format!(
        "SELECT {BOOKING} FROM {BOOKING_FROM} WHERE b.room_id = $1 AND b.block_start < $3 AND $2 < b.block_end
         ORDER BY b.starts_at, b.id LIMIT 2000"
    ))
    .binds((room_id, from, to))
    .fetch_all(conn)
    .await
}

/// A person's bookings from `from` on.
pub async fn mine(conn: &mut Conn, user_id: i64, community_id: i64, from: i64) -> crate::Result<Vec<BookingRow>> {
    query_as(&format!(
        "SELECT {BOOKING} FROM {BOOKING_FROM} WHERE b.user_id = $1 AND r.community_id = $2 AND b.ends_at > $3
         ORDER BY b.starts_at LIMIT 200"
    ))
    .binds((user_id, community_id, from))
    .fetch_all(conn)
    .await
}

/// Bookings waiting for staff in a community.
pub async fn pending(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<BookingRow>> {
    query_as(&format!(
        "SELECT {BOOKING} FROM {BOOKING_FROM} WHERE r.community_id = $1 AND b.status = 'pending' ORDER BY b.starts_at LIMIT 200"
    ))
    .bind(community_id)
    .fetch_all(conn)
    .await
}

/// Minutes a person holds in a room's bookings within `[from, to)`.
pub async fn minutes_held(conn: &mut Conn, room_id: i64, user_id: i64, (from, to): (i64, i64)) -> crate::Result<i64> {
    query_scalar(&format!(
        "SELECT CAST(COALESCE(SUM(ends_at - starts_at), 0) / 60000 AS BIGINT) FROM bookings WHERE room_id = $1 AND user_id = $2
         AND status IN {HOLDING} AND starts_at >= $3 AND starts_at < $4"
    ))
    .binds((room_id, user_id, from, to))
    .fetch_one(conn)
    .await
}

/// Confirmed booked ranges of a community's rooms in a period (utilization).
pub async fn booked(conn: &mut Conn, community_id: i64, (from, to): (i64, i64)) -> crate::Result<Vec<(i64, i64, i64)>> {
    query_as(
        "SELECT b.room_id, b.starts_at, b.ends_at FROM bookings b JOIN rooms r ON r.id = b.room_id
         WHERE r.community_id = $1 AND b.status = 'confirmed' AND b.starts_at < $3 AND $2 < b.ends_at",
    )
    .binds((community_id, from, to))
    .fetch_all(conn)
    .await
}

/// Pairs of holding bookings of one room that overlap (must always be none).
pub async fn overlaps(conn: &mut Conn, room_id: i64) -> crate::Result<i64> {
    query_scalar(&format!(
        "SELECT COUNT(*) FROM bookings a JOIN bookings b ON a.room_id = b.room_id AND a.id < b.id
         WHERE a.room_id = $1 AND a.status IN {HOLDING} AND b.status IN {HOLDING}
         AND a.block_start < b.block_end AND b.block_start < a.block_end"
    ))
    .bind(room_id)
    .fetch_one(conn)
    .await
}
