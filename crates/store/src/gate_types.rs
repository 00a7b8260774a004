//! The gate's part of the storage interface: staff assigned to events, and scans.

use crate::StoreResult;
use async_trait::async_trait;
use bilheteria_domain::account::User;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::ids::{EventId, SessionId, TicketId, UserId};
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
    pub at: OffsetDateTime,
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

#[async_trait]
pub trait GateStore {
    /// Lets `user` scan the tickets of `event` (idempotent).
    async fn assign_staff(
        &self,
        event: EventId,
        user: UserId,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<()>;
    /// Takes the assignment back; false if there was none.
    async fn remove_staff(
        &self,
        event: EventId,
        user: UserId,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<bool>;
    async fn event_staff(&self, event: EventId) -> StoreResult<Vec<User>>;
    async fn is_event_staff(&self, event: EventId, user: UserId) -> StoreResult<bool>;
    /// Records the scan and lets the ticket in if it is valid, in one transaction: of any number
    /// of scans of one ticket, at most one is admitted; a retried nonce answers as the first time.
    async fn check_in(&self, scan: NewScan) -> StoreResult<ScanOutcome>;
}
