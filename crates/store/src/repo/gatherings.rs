//! Gatherings storage (migrations/0022_gatherings.sql): events, their ticket
//! types, registrations, hosts and door staff, and the reminders sent.

use crate::sql::{query, query_as, query_scalar, Conn};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct EventRow {
    pub id: i64,
    pub community_id: i64,
    pub series_id: Option<i64>,
    pub template_id: Option<i64>,
    pub room_id: Option<i64>,
    pub booking_id: Option<i64>,
    pub title: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: Option<i64>,
    pub taken: i64,
    pub def: String,
    pub self_code: Option<String>,
    pub signup_code: Option<String>,
    pub canceled: bool,
    pub proposed_by: Option<i64>,
    pub proposal_open: bool,
    pub recap_post_id: Option<i64>,
    pub closed_at: Option<i64>,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const EVENT: &str = "e.id, e.community_id, e.series_id, e.template_id, e.room_id, e.booking_id, e.title, \
    e.starts_at, e.ends_at, e.capacity, e.taken, e.def, e.self_code, e.signup_code, e.canceled, e.proposed_by, e.proposal_open, e.recap_post_id, e.closed_at, e.created_by, \
    e.created_at, e.updated_at";

/// What an event row holds besides its definition.
pub struct NewEvent<'a> {
    pub community_id: i64,
    pub series_id: Option<i64>,
    pub template_id: Option<i64>,
    pub room_id: Option<i64>,
    pub booking_id: Option<i64>,
    pub title: &'a str,
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: Option<i64>,
    pub def: &'a str,
    pub self_code: Option<&'a str>,
    pub signup_code: Option<&'a str>,
    /// A member's proposal, waiting for staff.
    pub proposed_by: Option<i64>,
    pub by: i64,
    pub now: i64,
}

pub async fn insert(conn: &mut Conn, e: NewEvent<'_>) -> crate::Result<i64> {
    let id: i64 = query_scalar(
        "INSERT INTO events (community_id, series_id, template_id, room_id, booking_id, title, starts_at, ends_at,
            capacity, def, self_code, signup_code, created_by, created_at, updated_at, proposed_by, proposal_open)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16) RETURNING id",
    )
    .binds((
        e.community_id,
        e.series_id,
        e.template_id,
        e.room_id,
        e.booking_id,
        e.title,
        e.starts_at,
        e.ends_at,
        e.capacity,
        e.def,
        e.self_code,
        e.signup_code,
        e.by,
        e.now,
        e.proposed_by,
        i64::from(e.proposed_by.is_some()),
    ))
    .fetch_one(conn)
    .await?;
    query("INSERT INTO event_ticket_types (event_id, name, price) VALUES ($1, 'general', 0)")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(id)
}

/// The event whose sign-up code this is, while it is not long over: (id, ends_at).
pub async fn by_signup_code(conn: &mut Conn, id: i64, code: &str) -> crate::Result<Option<i64>> {
    query_scalar("SELECT ends_at FROM events WHERE id = $1 AND signup_code = $2 AND canceled = 0")
        .binds((id, code))
        .fetch_optional(conn)
        .await
}

/// Sets a recurring event's series to its first occurrence.
pub async fn set_series(conn: &mut Conn, id: i64, series_id: i64) -> crate::Result<()> {
    query("UPDATE events SET series_id = $2 WHERE id = $1").binds((id, series_id)).execute(conn).await?;
    Ok(())
}

pub async fn update(conn: &mut Conn, id: i64, e: &NewEvent<'_>) -> crate::Result<()> {
    query(
        "UPDATE events SET room_id = $2, title = $3, starts_at = $4, ends_at = $5, capacity = $6, def = $7,
            self_code = $8, updated_at = $9 WHERE id = $1",
    )
    .binds((id, e.room_id, e.title, e.starts_at, e.ends_at, e.capacity, e.def, e.self_code, e.now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves an event's times `by` ms earlier, with its definition (the demo's past gatherings).
pub async fn backdate(conn: &mut Conn, id: i64, by: i64, def: &str) -> crate::Result<()> {
    query("UPDATE events SET starts_at = starts_at - $2, ends_at = ends_at - $2, def = $3 WHERE id = $1")
        .binds((id, by, def))
        .execute(conn)
        .await?;
    query("UPDATE event_registrations SET created_at = created_at - $2, queued_at = queued_at - $2, updated_at = updated_at - $2, checked_in_at = checked_in_at - $2 WHERE event_id = $1")
        .binds((id, by))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn cancel(conn: &mut Conn, id: i64, now: i64) -> crate::Result<()> {
    query("UPDATE events SET canceled = 1, updated_at = $2 WHERE id = $1").binds((id, now)).execute(conn).await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: i64) -> crate::Result<Option<EventRow>> {
    query_as(&format!("SELECT {EVENT} FROM events e WHERE e.id = $1")).bind(id).fetch_optional(conn).await
}

/// Takes the event row's lock (PostgreSQL; SQLite writes one at a time):
/// every change to its seats happens under it.
pub async fn lock(conn: &mut Conn, id: i64) -> crate::Result<Option<EventRow>> {
    query("UPDATE events SET taken = taken WHERE id = $1").bind(id).execute(conn).await?;
    get(conn, id).await
}

/// Seats asked for on the waitlist (views only: it reads the whole waitlist).
pub async fn waiting(conn: &mut Conn, id: i64) -> crate::Result<i64> {
    query_scalar(
        "SELECT CAST(COALESCE(SUM(1 + guests), 0) AS BIGINT) FROM event_registrations WHERE event_id = $1 AND status = 'waitlisted'",
    )
    .bind(id)
    .fetch_one(conn)
    .await
}

pub async fn add_taken(conn: &mut Conn, id: i64, seats: i64) -> crate::Result<()> {
    query("UPDATE events SET taken = taken + $2 WHERE id = $1").binds((id, seats)).execute(conn).await?;
    Ok(())
}

/// A community's events: upcoming (soonest first) or past (latest first).
pub async fn list(
    conn: &mut Conn,
    community_id: i64,
    now: i64,
    past: bool,
    limit: i64,
) -> crate::Result<Vec<EventRow>> {
    let sql = if past {
        format!("SELECT {EVENT} FROM events e WHERE e.community_id = $1 AND e.ends_at <= $2 ORDER BY e.starts_at DESC, e.id DESC LIMIT $3")
    } else {
        format!("SELECT {EVENT} FROM events e WHERE e.community_id = $1 AND e.ends_at > $2 ORDER BY e.starts_at, e.id LIMIT $3")
    };
    query_as(&sql).binds((community_id, now, limit)).fetch_all(conn).await
}

/// Events of a community in a time range (calendar feed).
pub async fn between(conn: &mut Conn, community_id: i64, from: i64, to: i64) -> crate::Result<Vec<EventRow>> {
    query_as(&format!(
        "SELECT {EVENT} FROM events e WHERE e.community_id = $1 AND e.ends_at > $2 AND e.starts_at < $3
         ORDER BY e.starts_at LIMIT 500"
    ))
    .binds((community_id, from, to))
    .fetch_all(conn)
    .await
}

/// Events over (ended before `before`) whose no-shows are not marked yet.
pub async fn to_close(conn: &mut Conn, before: i64) -> crate::Result<Vec<(i64, i64)>> {
    query_as("SELECT id, community_id FROM events WHERE closed_at IS NULL AND ends_at < $1 ORDER BY ends_at LIMIT 100")
        .bind(before)
        .fetch_all(conn)
        .await
}

/// Marks an event closed; false when another worker did it first.
pub async fn close(conn: &mut Conn, id: i64, now: i64) -> crate::Result<bool> {
    let d = query("UPDATE events SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL")
        .binds((id, now))
        .execute(conn)
        .await?;
    Ok(d.rows_affected() == 1)
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct RegRow {
    pub id: i64,
    pub event_id: i64,
    pub user_id: i64,
    pub status: String,
    pub guests: i64,
    pub answers: String,
    pub ticket_code: String,
    pub source: String,
    pub via: Option<String>,
    pub queued_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub checked_in_at: Option<i64>,
    pub rating: Option<i64>,
    pub feedback: Option<String>,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
}

const REG: &str = "r.id, r.event_id, r.user_id, r.status, r.guests, r.answers, r.ticket_code, r.source, r.via, \
    r.queued_at, r.created_at, r.updated_at, r.checked_in_at, r.rating, r.feedback, \
    u.username, u.display_name, u.email, u.avatar_url";

pub struct NewReg<'a> {
    pub event_id: i64,
    pub user_id: i64,
    pub status: &'a str,
    pub guests: i64,
    pub answers: &'a str,
    pub ticket_code: &'a str,
    pub source: &'a str,
    pub via: Option<&'a str>,
    pub now: i64,
}

pub async fn insert_reg(conn: &mut Conn, r: NewReg<'_>) -> crate::Result<i64> {
    query_scalar(
        "INSERT INTO event_registrations (event_id, user_id, ticket_type_id, status, guests, answers, ticket_code,
            source, via, queued_at, created_at, updated_at)
         VALUES ($1, $2, (SELECT MIN(id) FROM event_ticket_types WHERE event_id = $1), $3, $4, $5, $6, $7, $8, $9, $9, $9)
         RETURNING id",
    )
    .binds((r.event_id, r.user_id, r.status, r.guests, r.answers, r.ticket_code, r.source, r.via, r.now))
    .fetch_one(conn)
    .await
}

/// Registers again on a cancelled or declined registration (same ticket).
pub async fn renew_reg(conn: &mut Conn, id: i64, r: &NewReg<'_>) -> crate::Result<()> {
    query(
        "UPDATE event_registrations SET status = $2, guests = $3, answers = $4, source = $5, via = $6,
            queued_at = $7, updated_at = $7, checked_in_at = NULL WHERE id = $1",
    )
    .binds((id, r.status, r.guests, r.answers, r.source, r.via, r.now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_status(conn: &mut Conn, id: i64, status: &str, now: i64) -> crate::Result<()> {
    query("UPDATE event_registrations SET status = $2, updated_at = $3 WHERE id = $1")
        .binds((id, status, now))
        .execute(conn)
        .await?;
    Ok(())
}

/// Puts a registration at the end of the waitlist.
pub async fn requeue(conn: &mut Conn, id: i64, now: i64) -> crate::Result<()> {
    query("UPDATE event_registrations SET status = 'waitlisted', queued_at = $2, updated_at = $2 WHERE id = $1")
        .binds((id, now))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn check_in(conn: &mut Conn, id: i64, by: i64, now: i64) -> crate::Result<()> {
    query(
        "UPDATE event_registrations SET status = 'attended', checked_in_at = $3, checked_in_by = $2, updated_at = $3
         WHERE id = $1",
    )
    .binds((id, by, now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_feedback(conn: &mut Conn, id: i64, rating: i64, feedback: &str, now: i64) -> crate::Result<()> {
    query("UPDATE event_registrations SET rating = $2, feedback = $3, updated_at = $4 WHERE id = $1")
        .binds((id, rating, feedback, now))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn reg(conn: &mut Conn, id: i64) -> crate::Result<Option<RegRow>> {
    query_as(&format!("SELECT {REG} FROM event_registrations r JOIN users u ON u.id = r.user_id WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn reg_of(conn: &mut Conn, event_id: i64, user_id: i64) -> crate::Result<Option<RegRow>> {
    query_as(&format!(
        "SELECT {REG} FROM event_registrations r JOIN users u ON u.id = r.user_id WHERE r.event_id = $1 AND r.user_id = $2"
    ))
    .binds((event_id, user_id))
    .fetch_optional(conn)
    .await
}

pub async fn reg_by_code(conn: &mut Conn, code: &str) -> crate::Result<Option<RegRow>> {
    query_as(&format!(
        "SELECT {REG} FROM event_registrations r JOIN users u ON u.id = r.user_id WHERE r.ticket_code = $1"
    ))
    .bind(code)
    .fetch_optional(conn)
    .await
}

/// An event's registrations, in waitlist order within each status.
pub async fn regs(conn: &mut Conn, event_id: i64) -> crate::Result<Vec<RegRow>> {
    query_as(&format!(
        "SELECT {REG} FROM event_registrations r JOIN users u ON u.id = r.user_id WHERE r.event_id = $1
         ORDER BY r.queued_at, r.id"
    ))
    .bind(event_id)
    .fetch_all(conn)
    .await
}

/// The waitlist in order: (id, user, guests).
pub async fn waitlist(conn: &mut Conn, event_id: i64) -> crate::Result<Vec<(i64, i64, i64)>> {
    query_as(
        "SELECT id, user_id, guests FROM event_registrations WHERE event_id = $1 AND status = 'waitlisted'
         ORDER BY queued_at, id",
    )
    .bind(event_id)
    .fetch_all(conn)
    .await
}

/// People registered (not yet checked in) when an event ends: future no-shows.
pub async fn unchecked(conn: &mut Conn, event_id: i64) -> crate::Result<Vec<(i64, i64, i64)>> {
    query_as("SELECT id, user_id, guests FROM event_registrations WHERE event_id = $1 AND status = 'registered'")
        .bind(event_id)
        .fetch_all(conn)
        .await
}

/// Counts by status.
pub async fn counts(conn: &mut Conn, event_id: i64) -> crate::Result<Vec<(String, i64, i64)>> {
    query_as(
        "SELECT status, COUNT(*), CAST(COALESCE(SUM(guests), 0) AS BIGINT) FROM event_registrations WHERE event_id = $1 GROUP BY status",
    )
    .bind(event_id)
    .fetch_all(conn)
    .await
}

/// A person's registrations with their events (upcoming first).
pub async fn mine(conn: &mut Conn, user_id: i64, from: i64) -> crate::Result<Vec<(i64, String)>> {
    query_as(
        "SELECT r.event_id, r.status FROM event_registrations r JOIN events e ON e.id = r.event_id
         WHERE r.user_id = $1 AND e.ends_at > $2 AND r.status <> 'cancelled' ORDER BY e.starts_at LIMIT 100",
    )
    .binds((user_id, from))
    .fetch_all(conn)
    .await
}

pub async fn set_staff(conn: &mut Conn, event_id: i64, user_id: i64, role: &str) -> crate::Result<()> {
    query(
        "INSERT INTO event_staff (event_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (event_id, user_id) DO UPDATE SET role = excluded.role",
    )
    .binds((event_id, user_id, role))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove_staff(conn: &mut Conn, event_id: i64, user_id: i64) -> crate::Result<()> {
    query("DELETE FROM event_staff WHERE event_id = $1 AND user_id = $2")
        .binds((event_id, user_id))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct StaffRow {
    pub user_id: i64,
    pub role: String,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
}

pub async fn staff(conn: &mut Conn, event_id: i64) -> crate::Result<Vec<StaffRow>> {
    query_as(
        "SELECT s.user_id, s.role, u.username, u.display_name, u.avatar_url FROM event_staff s
         JOIN users u ON u.id = s.user_id WHERE s.event_id = $1
         ORDER BY CASE s.role WHEN 'host' THEN 0 WHEN 'cohost' THEN 1 ELSE 2 END, u.username",
    )
    .bind(event_id)
    .fetch_all(conn)
    .await
}

pub async fn staff_role(conn: &mut Conn, event_id: i64, user_id: i64) -> crate::Result<Option<String>> {
    query_scalar("SELECT role FROM event_staff WHERE event_id = $1 AND user_id = $2")
        .binds((event_id, user_id))
        .fetch_optional(conn)
        .await
}

/// Claims one reminder for a registration; false when it was sent already.
pub async fn claim_reminder(conn: &mut Conn, registration_id: i64, minutes: i64, now: i64) -> crate::Result<bool> {
    let d = query(
        "INSERT INTO event_reminders (registration_id, minutes_before, sent_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
    )
    .binds((registration_id, minutes, now))
    .execute(conn)
    .await?;
    Ok(d.rows_affected() == 1)
}

pub async fn reminders_sent(conn: &mut Conn, event_id: i64) -> crate::Result<i64> {
    query_scalar(
        "SELECT COUNT(*) FROM event_reminders m JOIN event_registrations r ON r.id = m.registration_id
         WHERE r.event_id = $1",
    )
    .bind(event_id)
    .fetch_one(conn)
    .await
}

/// Attendance per event of a community over a period: (event, title, starts_at, registered, attended, no-show).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct AttendanceRow {
    pub id: i64,
    pub title: String,
    pub starts_at: i64,
    pub template_id: Option<i64>,
    pub registrations: i64,
    pub attended: i64,
    pub no_show: i64,
}

pub async fn attendance(conn: &mut Conn, community_id: i64, from: i64, to: i64) -> crate::Result<Vec<AttendanceRow>> {
    query_as(
        "SELECT e.id, e.title, e.starts_at, e.template_id,
            (SELECT COUNT(*) FROM event_registrations r WHERE r.event_id = e.id AND r.status IN ('registered', 'attended', 'no_show')) AS registrations,
            (SELECT COUNT(*) FROM event_registrations r WHERE r.event_id = e.id AND r.status = 'attended') AS attended,
            (SELECT COUNT(*) FROM event_registrations r WHERE r.event_id = e.id AND r.status = 'no_show') AS no_show
         FROM events e WHERE e.community_id = $1 AND e.starts_at >= $2 AND e.starts_at < $3 AND e.canceled = 0
         ORDER BY e.starts_at",
    )
    .binds((community_id, from, to))
    .fetch_all(conn)
    .await
}

/// Every attended registration of a community: (user, event start) for the return funnel.
pub async fn attendances(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<(i64, i64, i64)>> {
    query_as(
        "SELECT r.user_id, e.id, e.starts_at FROM event_registrations r JOIN events e ON e.id = r.event_id
         WHERE e.community_id = $1 AND r.status = 'attended' ORDER BY e.starts_at",
    )
    .bind(community_id)
    .fetch_all(conn)
    .await
}

/// People who registered for a community's gatherings: how many, how many
/// registrations came through a shared link, and each person's first registration.
pub async fn registrants(conn: &mut Conn, community_id: i64) -> crate::Result<(i64, i64, Vec<(i64, i64)>)> {
    let firsts: Vec<(i64, i64)> = query_as(
        "SELECT r.user_id, MIN(r.created_at) FROM event_registrations r JOIN events e ON e.id = r.event_id
         WHERE e.community_id = $1 GROUP BY r.user_id",
    )
    .bind(community_id)
    .fetch_all(conn)
    .await?;
    let via: i64 = query_scalar(
        "SELECT COUNT(*) FROM event_registrations r JOIN events e ON e.id = r.event_id
         WHERE e.community_id = $1 AND r.via IS NOT NULL",
    )
    .bind(community_id)
    .fetch_one(conn)
    .await?;
    Ok((firsts.len() as i64, via, firsts))
}

/// When someone joined the community, if they are an active member.
pub async fn member_since(conn: &mut Conn, community_id: i64, user_id: i64) -> crate::Result<Option<i64>> {
    query_scalar("SELECT joined_at FROM memberships WHERE community_id = $1 AND user_id = $2 AND state = 'active'")
        .binds((community_id, user_id))
        .fetch_optional(conn)
        .await
}

/// Staff approved a member's proposal.
pub async fn approve(conn: &mut Conn, id: i64, now: i64) -> crate::Result<()> {
    query("UPDATE events SET proposal_open = 0, updated_at = $2 WHERE id = $1").binds((id, now)).execute(conn).await?;
    Ok(())
}

/// Proposals waiting for staff in a community.
pub async fn proposals(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<EventRow>> {
    query_as(&format!(
        "SELECT {EVENT} FROM events e WHERE e.community_id = $1 AND e.proposal_open = 1 AND e.canceled = 0 ORDER BY e.starts_at"
    ))
    .bind(community_id)
    .fetch_all(conn)
    .await
}

pub async fn set_recap(conn: &mut Conn, id: i64, post_id: Option<i64>) -> crate::Result<()> {
    query("UPDATE events SET recap_post_id = $2 WHERE id = $1").binds((id, post_id)).execute(conn).await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct TemplateRow {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub def: String,
    pub created_at: i64,
}

pub async fn insert_template(
    conn: &mut Conn,
    community_id: i64,
    title: &str,
    def: &str,
    by: i64,
    now: i64,
) -> crate::Result<i64> {
    query_scalar(
        "INSERT INTO event_templates (community_id, title, def, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .binds((community_id, title, def, by, now))
    .fetch_one(conn)
    .await
}

pub async fn template(conn: &mut Conn, id: i64) -> crate::Result<Option<TemplateRow>> {
    query_as("SELECT id, community_id, title, def, created_at FROM event_templates WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn templates(conn: &mut Conn, community_id: i64) -> crate::Result<Vec<TemplateRow>> {
    query_as("SELECT id, community_id, title, def, created_at FROM event_templates WHERE community_id = $1 ORDER BY id")
        .bind(community_id)
        .fetch_all(conn)
        .await
}

/// The gatherings made from a template, latest first.
pub async fn of_template(conn: &mut Conn, template_id: i64) -> crate::Result<Vec<EventRow>> {
    query_as(&format!("SELECT {EVENT} FROM events e WHERE e.template_id = $1 ORDER BY e.starts_at DESC LIMIT 200"))
        .bind(template_id)
        .fetch_all(conn)
        .await
}

/// Who attended which of a template's gatherings: (user, event).
pub async fn template_attendance(conn: &mut Conn, template_id: i64) -> crate::Result<Vec<(i64, i64)>> {
    query_as(
        "SELECT r.user_id, r.event_id FROM event_registrations r JOIN events e ON e.id = r.event_id
         WHERE e.template_id = $1 AND r.status = 'attended'",
    )
    .bind(template_id)
    .fetch_all(conn)
    .await
}

// ---- Bookmarks, visits and funnels by scope ----

/// Which gatherings a funnel counts: a community's, one, or a format's.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    Community(i64),
    Event(i64),
    Template(i64),
}

impl Scope {
    /// The condition on `events e`, with the scope's id as `$1`.
    fn on(self) -> (&'static str, i64) {
        match self {
            Scope::Community(id) => ("e.community_id = $1", id),
            Scope::Event(id) => ("e.id = $1", id),
            Scope::Template(id) => ("e.template_id = $1", id),
        }
    }
}

/// Saves (or un-saves) a gathering for a member; whether anything changed.
pub async fn set_bookmark(conn: &mut Conn, event_id: i64, user_id: i64, on: bool, now: i64) -> crate::Result<bool> {
    let q = if on {
        query("INSERT INTO event_bookmarks (event_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .binds((event_id, user_id, now))
    } else {
        query("DELETE FROM event_bookmarks WHERE event_id = $1 AND user_id = $2").binds((event_id, user_id))
    };
    Ok(q.execute(conn).await?.rows_affected() > 0)
}

pub async fn bookmarked(conn: &mut Conn, event_id: i64, user_id: i64) -> crate::Result<bool> {
    let n: i64 = query_scalar("SELECT COUNT(*) FROM event_bookmarks WHERE event_id = $1 AND user_id = $2")
        .binds((event_id, user_id))
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// A member's saved gatherings that have not ended, soonest first.
pub async fn bookmarks_of(conn: &mut Conn, user_id: i64, now: i64, limit: i64) -> crate::Result<Vec<EventRow>> {
    query_as(&format!(
        "SELECT {EVENT} FROM events e JOIN event_bookmarks b ON b.event_id = e.id
         WHERE b.user_id = $1 AND e.ends_at > $2 ORDER BY e.starts_at LIMIT $3"
    ))
    .binds((user_id, now, limit))
    .fetch_all(conn)
    .await
}

/// Whether this visitor has been counted on this gathering's page.
pub async fn visited(conn: &mut Conn, event_id: i64, visitor: &str) -> crate::Result<bool> {
    let n: i64 = query_scalar("SELECT COUNT(*) FROM event_visits WHERE event_id = $1 AND visitor = $2")
        .binds((event_id, visitor))
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// Counts a visitor once per gathering (the first visit's attribution stays).
pub async fn add_visit(
    conn: &mut Conn,
    event_id: i64,
    (visitor, user_id, via): (&str, Option<i64>, Option<&str>),
    now: i64,
) -> crate::Result<()> {
    query(
        "INSERT INTO event_visits (event_id, visitor, user_id, via, first_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
    )
    .binds((event_id, visitor, user_id, via))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The ends of a scope's funnel: distinct visitors and people who saved one of its gatherings.
pub async fn visitors_and_bookmarks(conn: &mut Conn, scope: Scope) -> crate::Result<(i64, i64)> {
    let (on, id) = scope.on();
    let visitors: i64 = query_scalar(&format!(
        "SELECT COUNT(*) FROM (SELECT DISTINCT v.visitor FROM event_visits v JOIN events e ON e.id = v.event_id WHERE {on}) x"
    ))
    .bind(id)
    .fetch_one(conn)
    .await?;
    let saved: i64 = query_scalar(&format!(
        "SELECT COUNT(*) FROM (SELECT DISTINCT b.user_id FROM event_bookmarks b JOIN events e ON e.id = b.event_id WHERE {on}) x"
    ))
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok((visitors, saved))
}

/// Each person who registered in the scope, with their first registration time.
pub async fn scope_registrants(conn: &mut Conn, scope: Scope) -> crate::Result<Vec<(i64, i64)>> {
    let (on, id) = scope.on();
    query_as(&format!(
        "SELECT r.user_id, MIN(r.created_at) FROM event_registrations r JOIN events e ON e.id = r.event_id
         WHERE {on} GROUP BY r.user_id"
    ))
    .bind(id)
    .fetch_all(conn)
    .await
}

/// Registrations in the scope by the attribution their link carried, most first.
pub async fn scope_via(conn: &mut Conn, scope: Scope) -> crate::Result<Vec<(String, i64)>> {
    let (on, id) = scope.on();
    query_as(&format!(
        "SELECT r.via, COUNT(*) AS n FROM event_registrations r JOIN events e ON e.id = r.event_id
         WHERE {on} AND r.via IS NOT NULL GROUP BY r.via ORDER BY n DESC, r.via LIMIT 10"
    ))
    .bind(id)
    .fetch_all(conn)
    .await
}

/// The gatherings in a scope.
pub async fn scope_events(conn: &mut Conn, scope: Scope) -> crate::Result<Vec<i64>> {
    let (on, id) = scope.on();
    query_scalar(&format!("SELECT e.id FROM events e WHERE {on}")).bind(id).fetch_all(conn).await
}
