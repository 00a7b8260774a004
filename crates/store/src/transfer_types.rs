//! The transfers' part of the storage interface (S10).

use crate::StoreResult;
use async_trait::async_trait;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::ids::{TicketId, TransferId, UserId};
use bilheteria_domain::page::{Page, PageRequest};
use bilheteria_domain::transfers::Transfer;
use time::OffsetDateTime;

/// An offer of a ticket, its expiry already decided by the session's rules.
#[derive(Clone, Debug)]
pub struct NewTransfer {
    pub id: TransferId,
    pub ticket_id: TicketId,
    pub from_user_id: UserId,
    /// Normalized.
    pub to_email: String,
    pub expires_at: OffsetDateTime,
    pub at: OffsetDateTime,
}

/// What ends a pending transfer.
#[derive(Clone, Debug)]
pub enum TransferDecision {
    /// The ticket moves to `recipient` with the code signed for `expected_version + 1`.
    Accept {
        recipient: UserId,
        expected_version: i64,
        new_code: String,
    },
    Decline,
    Cancel,
}

#[async_trait]
pub trait TransferStore {
    /// Records the offer unless the ticket is not the sender's valid ticket, or already has a
    /// pending transfer or a listing (`TransferNotAllowed`); mails the recipient.
    async fn offer_transfer(&self, new: NewTransfer, audit: &AuditContext)
    -> StoreResult<Transfer>;
    async fn get_transfer(&self, id: TransferId) -> StoreResult<Option<Transfer>>;
    /// The latest accepted transfer of `ticket` sent by `from`: how it left their hands.
    async fn handed_over(&self, ticket: TicketId, from: UserId) -> StoreResult<Option<Transfer>>;
    /// Transfers sent by `user` or offered to `email` (normalized), newest first.
    async fn list_transfers(
        &self,
        user: UserId,
        email: &str,
        page: &PageRequest,
    ) -> StoreResult<Page<Transfer>>;
    /// Ends a pending transfer, in one transaction. Accepting moves the cap (C1) from sender to
    /// recipient, gives the ticket to the recipient with a new code (revoking the old one) and
    /// never touches the session's capacity. Of racing decisions, one wins; the others are
    /// refused with `TransferNotAllowed(NotPending)`.
    async fn decide_transfer(
        &self,
        id: TransferId,
        decision: TransferDecision,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Transfer>;
}
