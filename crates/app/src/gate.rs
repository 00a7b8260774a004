//! The gate (check-in): staff an organizer assigns to an event, and a scan's answer. A scan is
//! verified offline-style first (the code's signature, the gate's session), then applied in one
//! transaction that lets a ticket in at most once.

use crate::App;
use crate::access::managed_event;
use crate::authz::manages;
use crate::error::{AppError, AppResult, Denied};
use bilheteria_domain::account::User;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::gate::Scan;
use bilheteria_domain::ids::{EventId, UserId};
use bilheteria_domain::tickets::Ticket;
use bilheteria_store::{NewScan, ScanOutcome};
use time::OffsetDateTime;

/// A ticket let in.
#[derive(Clone, Debug)]
pub struct Admitted {
    pub ticket: Ticket,
    pub gate: String,
    pub scanned_at: OffsetDateTime,
}

/// Lets the account with `email` scan the tickets of `event` (the event's organizer, or an admin).
pub async fn assign_staff(
    app: &App,
    manager: &User,
    event: EventId,
    email: &str,
    audit: &AuditContext,
) -> AppResult<User> {
    managed_event(app, event, manager).await?;
    let normalized = bilheteria_domain::account::Email::normalize(email);
    let staff = app
        .store
        .find_credentials(&normalized)
        .await?
        .ok_or(AppError::NotFound("user"))?
        .user;
    app.store
        .assign_staff(event, staff.id, app.clock.now(), audit)
        .await?;
    Ok(staff)
}

pub async fn remove_staff(
    app: &App,
    manager: &User,
    event: EventId,
    staff: UserId,
    audit: &AuditContext,
) -> AppResult<()> {
    managed_event(app, event, manager).await?;
    if app
        .store
        .remove_staff(event, staff, app.clock.now(), audit)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound("staff assignment"))
    }
}

pub async fn event_staff(app: &App, manager: &User, event: EventId) -> AppResult<Vec<User>> {
    managed_event(app, event, manager).await?;
    Ok(app.store.event_staff(event).await?)
}

/// Whether `user` may scan the tickets of an event of `owner`: staff assigned to it, its
/// organizer, or an admin.
async fn may_scan(app: &App, user: &User, event: EventId, owner: UserId) -> AppResult<bool> {
    Ok(manages(user, owner) || app.store.is_event_staff(event, user.id).await?)
}

/// `POST /checkin`: `admitted`, or why not.
pub async fn check_in(app: &App, staff: &User, scan: Scan) -> AppResult<Admitted> {
    let claims = app
        .ticket_keys
        .verify(&scan.code)
        .map_err(|_| AppError::InvalidTicket)?;
    if scan
        .session_id
        .is_some_and(|session| session != claims.session_id)
    {
        return Err(AppError::TicketWrongSession);
    }
    let ticket = app
        .store
        .get_ticket(claims.ticket_id)
        .await?
        .ok_or(AppError::InvalidTicket)?;
    let event = app
        .store
        .get_event(ticket.event_id)
        .await?
        .ok_or(AppError::InvalidTicket)?;
    if !may_scan(app, staff, event.id, event.owner_id).await? {
        return Err(AppError::Forbidden(Denied::NotEventStaff));
    }
    let outcome = app
        .store
        .check_in(NewScan {
            ticket_id: ticket.id,
            version: i64::from(claims.version),
            session_id: ticket.session_id,
            gate: scan.gate,
            nonce: scan.nonce,
            staff_id: staff.id,
            at: app.clock.now(),
        })
        .await?;
    metrics::counter!("checkins_total", "outcome" => match &outcome {
        ScanOutcome::Admitted(_) => "admitted",
        ScanOutcome::AlreadyUsed(_) => "ticket_used",
        ScanOutcome::Revoked => "ticket_revoked",
        ScanOutcome::Unknown => "invalid_ticket",
    })
    .increment(1);
    match outcome {
        ScanOutcome::Admitted(admission) => Ok(Admitted {
            ticket,
            gate: admission.gate,
            scanned_at: admission.at,
        }),
        ScanOutcome::AlreadyUsed(first) => Err(AppError::TicketUsed {
            first_scan_at: first.at,
            gate: first.gate,
        }),
        ScanOutcome::Revoked => Err(AppError::TicketRevoked),
        ScanOutcome::Unknown => Err(AppError::InvalidTicket),
    }
}
