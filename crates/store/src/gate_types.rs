//! The gate's part of the storage interface: staff assigned to events, and scans.

use crate::StoreResult;
use async_trait::async_trait;
use bilheteria_domain::account::User;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::half_price::{Eligibility, TicketType};
use bilheteria_domain::ids::{EventId, SessionId, TicketId, UserId};
use bilheteria_domain::tickets::TicketStatus;
use time::OffsetDateTime;

/// One scan of a code at a gate, its signature already checked.
#[derive(Clone, Debug)]
pub struct NewScan {
    pub ticket_id: TicketId,
    /// The ticket version the code was signed for.
    pub version: i64,
    pub session_id: SessionId,
    pub gate: String,
    /// Chosen by the gate for this scan; a retry sends it again.
    pub nonce: String,
    pub staff_id: UserId,
    /// When the code was scanned (for a scan made offline, earlier than it reached us).
    pub at: OffsetDateTime,
    /// When the server records it: a change's time, which deltas of the gate bundle follow.
    pub recorded_at: OffsetDateTime,
}

/// Where and when a ticket was let in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admission {
    pub gate: String,
    pub at: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanOutcome {
    /// Let in now (or, for a retried nonce, by the scan it repeats).
    Admitted(Admission),
    /// Let in before: the first admission.
    AlreadyUsed(Admission),
    /// The code is of a cancelled ticket or of an older version of it.
    Revoked,
    /// No such ticket.
    Unknown,
}

/// A ticket as an offline gate needs it: whether a code of a given version opens the gate.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct GateTicket {
    pub ticket_id: TicketId,
    /// The current version: a code of an older one is revoked.
    pub version: i64,
    /// `valid`, `used` or `cancelled` (cancelled: every code of the ticket is revoked).
    pub status: TicketStatus,
    /// What the gate shows: "Cadeiras · R0 · 1", or the standing section's name.
    pub place: String,
    /// `full` or `half` (meia-entrada: the holder shows the document of `eligibility`).
    pub ticket_type: TicketType,
    pub eligibility: Option<Eligibility>,
    /// Where and when it was let in, if it was.
    pub admitted_gate: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub admitted_at: Option<OffsetDateTime>,
    /// Microseconds since the epoch of its last change: the cursor of a delta.
    #[serde(skip)]
    pub changed_at: i64,
}

/// How many tickets one gate of a session let in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateCount {
    pub gate: String,
    pub admitted: i64,
}

/// A session whose door a member may run, as the door's first page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoorSession {
    pub session_id: SessionId,
    pub event_id: EventId,
    pub event_title: String,
    pub starts_at: OffsetDateTime,
    pub venue: String,
    pub time_zone: String,
}

/// What a scan made offline came to once the server saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncedScan {
    /// This scan was the ticket's first: the ticket is admitted by it. `displaced` is the
    /// admission recorded before that this earlier scan turned into a duplicate.
    Admitted {
        displaced: Option<Admission>,
    },
    /// Another scan of the ticket came first (at another gate, or earlier at this one).
    Duplicate(Admission),
    Revoked,
    Unknown,
}

#[async_trait]
pub trait GateStore {
    /// Lets `user` scan the tickets of `event` (idempotent): a `checkin` member of the event's
    /// organization limited to it, or the event added to a limited member's; a member who may
    /// act on every event is left as they are. `NotFound`: no such event.
    async fn assign_staff(
        &self,
        event: EventId,
        user: UserId,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<()>;
    /// Takes the event out of a limited member's events (and the member out of the
    /// organization with its last one); false if they were not limited to it.
    async fn remove_staff(
        &self,
        event: EventId,
        user: UserId,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<bool>;
    /// The `checkin` members of the event's organization who may run its door.
    async fn event_staff(&self, event: EventId) -> StoreResult<Vec<User>>;
    /// The secret of the session's rotating on-screen codes.
    async fn screen_secret(&self, session: SessionId) -> StoreResult<Option<Vec<u8>>>;
    /// Records the scan and lets the ticket in if it is valid, in one transaction: of any number
    /// of scans of one ticket, at most one is admitted; a retried nonce answers as the first time.
    async fn check_in(&self, scan: NewScan) -> StoreResult<ScanOutcome>;
    /// The session's tickets changed after `since` (microseconds; all when 0), oldest change
    /// first, at most `limit`.
    async fn gate_tickets(
        &self,
        session: SessionId,
        since: i64,
        limit: i64,
    ) -> StoreResult<Vec<GateTicket>>;
    /// Applies a scan made offline at `scan.at`, in one transaction: the earliest scan of a
    /// ticket is its admission whatever the order the gates sync in (a later admission already
    /// recorded becomes a duplicate of it). A retried nonce answers as before.
    async fn sync_scan(&self, scan: NewScan) -> StoreResult<SyncedScan>;
    /// Tickets of the session let in, per gate (by the name gates gave), in one query.
    async fn gate_counts(&self, session: SessionId) -> StoreResult<Vec<GateCount>>;
    /// The sessions of the organization's events (not cancelled) whose door `user` may run as
    /// far as event limits go: those of the events a limited member is limited to, all for
    /// anyone else; soonest first, at most `limit`. The role is the caller's to check.
    async fn door_sessions(
        &self,
        organization: bilheteria_domain::ids::OrganizationId,
        user: UserId,
        limit: i64,
    ) -> StoreResult<Vec<DoorSession>>;
}
