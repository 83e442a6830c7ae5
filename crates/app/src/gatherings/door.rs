//! Registrations as staff work them: the attendee list with answers, moves
//! by hand (approve, decline, promote, waitlist, cancel), people added who
//! registered offline, the door check-in by ticket code and self check-in by
//! the venue's code, and the CSV export.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaji_domain::activity::{Event, Kind, RegistrationCreated, Subject};
use yaji_domain::gatherings::{self as domain, DoorOutcome, RegStatus};
use yaji_domain::notification::NotificationKind;
use yaji_domain::permission::Action;
use yaji_store::repo::gatherings as repo;

use super::{cancel_one, load, moved, promote};
use crate::accounts::Viewer;
use crate::platform::csv::Csv;
use crate::platform::events::finish;
use crate::platform::notifications::notify;
use crate::{now, rfc3339, App, AppError, AppResult};

/// A registration. Answers and e-mail only in staff views.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegistrationView {
    pub id: i64,
    pub event_id: i64,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    /// pending, registered, waitlisted, cancelled, declined, attended, no_show
    pub status: String,
    pub guests: i64,
    /// The ticket's short code (the QR code carries the same).
    pub ticket_code: String,
    pub source: String,
    pub registered_at: String,
    pub checked_in_at: Option<String>,
    pub rating: Option<i64>,
    /// Staff only: answers by question index.
    #[schema(value_type = Option<Object>)]
    pub answers: Option<serde_json::Value>,
    pub email: Option<String>,
    pub feedback: Option<String>,
}

pub(crate) fn reg_view(r: repo::RegRow, staff: bool) -> RegistrationView {
    RegistrationView {
        id: r.id,
        event_id: r.event_id,
        user_id: r.user_id,
        username: r.username,
        display_name: r.display_name,
        status: r.status,
        guests: r.guests,
        ticket_code: r.ticket_code,
        source: r.source,
        registered_at: rfc3339(r.created_at),
        checked_in_at: r.checked_in_at.map(rfc3339),
        rating: r.rating,
        answers: staff.then(|| serde_json::from_str(&r.answers).unwrap_or_default()),
        email: r.email.filter(|_| staff),
        feedback: r.feedback.filter(|_| staff),
    }
}

/// What the door answers when a ticket is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DoorView {
    /// `checked_in`, `already_checked_in`, `not_admitted` (see `status`),
    /// `wrong_event` or `unknown_code`.
    pub outcome: String,
    /// Whether to let them in.
    pub admit: bool,
    pub display_name: Option<String>,
    pub username: Option<String>,
    pub guests: i64,
    /// The registration's status now.
    pub status: Option<String>,
    /// The gathering the code belongs to, when it is another one.
    pub other_event: Option<String>,
    pub checked_in_at: Option<String>,
    /// Seats checked in so far, of the seats registered.
    pub arrived: i64,
    pub expected: i64,
}

/// A move staff make on one registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StaffAction {
    /// Approve a pending registration (registered, or waitlisted when full).
    Approve,
    Decline,
    /// Give a waitlisted person a seat even beyond capacity.
    Promote,
    /// Move someone registered back to the end of the waitlist.
    Waitlist,
    Cancel,
    /// Mark attended (checked in by hand).
    Attended,
    NoShow,
}

impl App {
    /// An event's registrations with answers and contact (staff).
    pub async fn registrations(&self, viewer: Viewer, id: i64) -> AppResult<Vec<RegistrationView>> {
        let mut c = self.db.read().await?;
        let l = load(&mut c, id, Some(viewer)).await?;
        // Door staff see names and statuses to check people in; answers and e-mail are for staff.
        let staff = l.can_manage();
        if !staff {
            l.allow_door()?;
        }
        Ok(repo::regs(&mut c, id).await?.into_iter().map(|r| reg_view(r, staff)).collect())
    }

    /// The attendee list as CSV (staff); cells a spreadsheet would run are neutralized.
    pub async fn registrations_csv(&self, viewer: Viewer, id: i64) -> AppResult<String> {
        let mut c = self.db.read().await?;
        let l = load(&mut c, id, Some(viewer)).await?;
        l.ctx.allow(Action::ManageEvents)?;
        let mut csv = Csv::new();
        let mut head = vec![
            "username",
            "display_name",
            "email",
            "status",
            "guests",
            "ticket_code",
            "registered_at",
            "checked_in_at",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        head.extend(l.def.questions.iter().map(|q| q.label.clone()));
        csv.row(&head);
        for r in repo::regs(&mut c, id).await? {
            let answers: domain::Answers = serde_json::from_str(&r.answers).unwrap_or_default();
            let mut cells = vec![
                r.username,
                r.display_name,
                r.email.unwrap_or_default(),
                r.status,
                r.guests.to_string(),
                r.ticket_code,
                rfc3339(r.created_at),
                r.checked_in_at.map(rfc3339).unwrap_or_default(),
            ];
            cells.extend((0..l.def.questions.len()).map(|i| answers.get(&i).map(|a| a.join("; ")).unwrap_or_default()));
            csv.row(&cells);
        }
        Ok(csv.finish())
    }

    /// Staff move one registration by hand.
    pub async fn act_on_registration(
        &self,
        viewer: Viewer,
        id: i64,
        reg_id: i64,
        action: StaffAction,
    ) -> AppResult<RegistrationView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let l = load(tx.conn(), id, Some(viewer)).await?;
        l.ctx.allow(Action::ManageEvents)?;
        let row = repo::lock(tx.conn(), id).await?.ok_or(AppError::NotFound("event"))?;
        let r = repo::reg(tx.conn(), reg_id)
            .await?
            .filter(|r| r.event_id == id)
            .ok_or(AppError::NotFound("registration"))?;
        let from = RegStatus::parse("status", &r.status)?;
        let seats = domain::seats(r.guests);
        let wrong = || {
            AppError::conflict(
                "invalid_transition",
                None,
                format!("a {} registration cannot be moved that way", from.as_str()),
            )
        };
        let (to, kind) = match action {
            StaffAction::Approve if from == RegStatus::Pending => {
                (domain::place(row.capacity, row.taken, seats, false), Kind::RegistrationChanged)
            }
            StaffAction::Decline if matches!(from, RegStatus::Pending | RegStatus::Waitlisted) => {
                (RegStatus::Declined, Kind::RegistrationChanged)
            }
            StaffAction::Promote if matches!(from, RegStatus::Waitlisted | RegStatus::Pending) => {
                (RegStatus::Registered, Kind::RegistrationPromoted)
            }
            StaffAction::Waitlist if from == RegStatus::Registered => {
                (RegStatus::Waitlisted, Kind::RegistrationChanged)
            }
            StaffAction::Cancel if from.active() => (RegStatus::Cancelled, Kind::RegistrationCancelled),
            StaffAction::Attended if matches!(from, RegStatus::Registered | RegStatus::NoShow) => {
                (RegStatus::Attended, Kind::CheckedIn)
            }
            StaffAction::NoShow
                if matches!(from, RegStatus::Registered | RegStatus::Attended) && now >= row.starts_at =>
            {
                (RegStatus::NoShow, Kind::NoShow)
            }
            _ => return Err(wrong()),
        };
        match to {
            RegStatus::Cancelled => cancel_one(tx.conn(), &row, &l.def, (&r, from), now).await?,
            RegStatus::Waitlisted => {
                repo::requeue(tx.conn(), r.id, now).await?;
                repo::add_taken(tx.conn(), id, -seats).await?;
                let row = repo::get(tx.conn(), id).await?.ok_or(AppError::NotFound("event"))?;
                promote(tx.conn(), &row, &l.def, now).await?;
            }
            RegStatus::Attended => {
                repo::check_in(tx.conn(), r.id, viewer.id, now).await?;
                if !from.holds_seats() {
                    repo::add_taken(tx.conn(), id, seats).await?;
                }
            }
            to => {
                repo::set_status(tx.conn(), r.id, to.as_str(), now).await?;
                repo::add_taken(
                    tx.conn(),
                    id,
                    i64::from(to.holds_seats()) * seats - i64::from(from.holds_seats()) * seats,
                )
                .await?;
                if from.holds_seats() && !to.holds_seats() {
                    let row = repo::get(tx.conn(), id).await?.ok_or(AppError::NotFound("event"))?;
                    promote(tx.conn(), &row, &l.def, now).await?;
                }
            }
        }
        let notice = match to {
            RegStatus::Registered => Some(NotificationKind::RegistrationPromoted),
            RegStatus::Declined | RegStatus::Waitlisted | RegStatus::Cancelled => {
                Some(NotificationKind::RegistrationChanged)
            }
            _ => None,
        };
        if let Some(k) = notice {
            let detail =
                serde_json::json!({"title": row.title, "status": to.as_str(), "link": format!("/events/{id}")});
            notify(tx.conn(), r.user_id, Some(row.community_id), k, &detail, now).await?;
        }
        finish(tx, moved(kind, &row, viewer.id, &r, to, true), now).await?;
        let mut c = self.db.read().await?;
        Ok(reg_view(repo::reg(&mut c, reg_id).await?.ok_or(AppError::NotFound("registration"))?, true))
    }

    /// Staff add someone who registered offline (or walked in), by username;
    /// registered even beyond capacity, since they are already there.
    pub async fn add_registration(
        &self,
        viewer: Viewer,
        id: i64,
        username: &str,
        guests: i64,
    ) -> AppResult<RegistrationView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let l = load(tx.conn(), id, Some(viewer)).await?;
        l.ctx.allow(Action::ManageEvents)?;
        if !(0..=20).contains(&guests) {
            return Err(yaji_domain::error::invalid("guests", "out_of_range", "0 to 20 guests").into());
        }
        let user = yaji_store::repo::user::by_username(tx.conn(), username.trim())
            .await?
            .ok_or_else(|| yaji_domain::error::invalid("username", "unknown_user", "no one has that username"))?;
        let row = repo::lock(tx.conn(), id).await?.ok_or(AppError::NotFound("event"))?;
        let existing = repo::reg_of(tx.conn(), id, user.id).await?;
        if existing.as_ref().is_some_and(|r| RegStatus::parse("status", &r.status).is_ok_and(|s| s.holds_seats())) {
            return Err(AppError::conflict("already_registered", Some("username"), "they are registered already"));
        }
        let code = domain::ticket_code(rand::random());
        let reg = repo::NewReg {
            event_id: id,
            user_id: user.id,
            status: RegStatus::Registered.as_str(),
            guests,
            answers: "{}",
            ticket_code: &code,
            source: "staff",
            via: None,
            now,
        };
        let reg_id = match &existing {
            Some(r) => {
                repo::renew_reg(tx.conn(), r.id, &reg).await?;
                r.id
            }
            None => repo::insert_reg(tx.conn(), reg).await?,
        };
        repo::add_taken(tx.conn(), id, domain::seats(guests)).await?;
        let payload = RegistrationCreated {
            registration_id: reg_id,
            user_id: user.id,
            status: "registered".into(),
            guests,
            source: "staff".into(),
            via: None,
        };
        finish(tx, Event::of(Some(row.community_id), viewer.id, Subject::Gathering(id), &payload), now).await?;
        let mut c = self.db.read().await?;
        Ok(reg_view(repo::reg(&mut c, reg_id).await?.ok_or(AppError::NotFound("registration"))?, true))
    }

    /// Checks a ticket in at the door (staff, hosts, door staff). Answers at
    /// once with who it is and any warning; a code of another event never
    /// checks in here.
    pub async fn door_check_in(&self, viewer: Viewer, id: i64, code: &str) -> AppResult<DoorView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let l = load(tx.conn(), id, Some(viewer)).await?;
        l.allow_door()?;
        self.admit(tx, &l, viewer, code, now).await
    }

    /// Checks the viewer in with the code shown at the venue, where the
    /// organizer turned self check-in on.
    pub async fn self_check_in(&self, viewer: Viewer, id: i64, venue_code: &str) -> AppResult<DoorView> {
        let now = now();
        let mut tx = self.db.write().await?;
        let l = load(tx.conn(), id, Some(viewer)).await?;
        let Some(expected) = l.row.self_code.as_deref().filter(|_| l.def.self_checkin) else {
            return Err(AppError::forbidden("self_checkin_off", "this gathering checks people in at the door"));
        };
        if domain::normalize_code(venue_code) != domain::normalize_code(expected) {
            return Err(
                yaji_domain::error::invalid("code", "wrong_code", "that is not the code shown at the venue").into()
            );
        }
        let r = repo::reg_of(tx.conn(), id, viewer.id).await?.ok_or(AppError::NotFound("registration"))?;
        let code = r.ticket_code.clone();
        self.admit(tx, &l, viewer, &code, now).await
    }

    async fn admit(
        &self,
        mut tx: yaji_store::WriteTx,
        l: &super::Loaded,
        viewer: Viewer,
        code: &str,
        now: i64,
    ) -> AppResult<DoorView> {
        let id = l.row.id;
        if now < l.row.starts_at - domain::DOOR_OPENS_BEFORE || l.row.canceled {
            return Err(AppError::conflict("door_closed", None, "check-in opens three hours before the start"));
        }
        let row = repo::lock(tx.conn(), id).await?.ok_or(AppError::NotFound("event"))?;
        let code = domain::normalize_code(code);
        let counts = |c: &[(String, i64, i64)]| {
            let seats = |s: &str| c.iter().filter(|x| x.0 == s).map(|x| x.1 + x.2).sum::<i64>();
            (seats("attended"), seats("attended") + seats("registered"))
        };
        let mut view = DoorView {
            outcome: "unknown_code".into(),
            admit: false,
            display_name: None,
            username: None,
            guests: 0,
            status: None,
            other_event: None,
            checked_in_at: None,
            arrived: 0,
            expected: 0,
        };
        let Some(r) = repo::reg_by_code(tx.conn(), &code).await? else {
            (view.arrived, view.expected) = counts(&repo::counts(tx.conn(), id).await?);
            return Ok(view);
        };
        view.display_name = Some(r.display_name.clone());
        view.username = Some(r.username.clone());
        view.guests = r.guests;
        if r.event_id != id {
            // Say which gathering, but only when the viewer may see that one too.
            view.outcome = "wrong_event".into();
            view.other_event =
                repo::get(tx.conn(), r.event_id).await?.filter(|e| e.community_id == row.community_id).map(|e| e.title);
            (view.arrived, view.expected) = counts(&repo::counts(tx.conn(), id).await?);
            return Ok(view);
        }
        let status = RegStatus::parse("status", &r.status)?;
        match domain::door(status) {
            DoorOutcome::Admitted => {
                repo::check_in(tx.conn(), r.id, viewer.id, now).await?;
                if !status.holds_seats() {
                    repo::add_taken(tx.conn(), id, domain::seats(r.guests)).await?;
                }
                view.outcome = "checked_in".into();
                view.admit = true;
                view.status = Some("attended".into());
                view.checked_in_at = Some(rfc3339(now));
                let by_staff = viewer.id != r.user_id;
                let ev = moved(Kind::CheckedIn, &row, viewer.id, &r, RegStatus::Attended, by_staff);
                crate::platform::events::record_event(tx.conn(), &ev, now).await?;
                (view.arrived, view.expected) = counts(&repo::counts(tx.conn(), id).await?);
                tx.commit().await?;
                return Ok(view);
            }
            DoorOutcome::AlreadyIn => {
                view.outcome = "already_checked_in".into();
                view.admit = true;
                view.checked_in_at = r.checked_in_at.map(rfc3339);
            }
            DoorOutcome::NotAdmitted(_) => view.outcome = "not_admitted".into(),
        }
        view.status = Some(r.status);
        (view.arrived, view.expected) = counts(&repo::counts(tx.conn(), id).await?);
        Ok(view)
    }
}
