//! The back office's half of the interface: a session's orders found by their buyer, one order
//! in full, and refunds of some of an order's tickets.

use crate::StoreResult;
use async_trait::async_trait;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::back_office::{OrderDetail, OrderQuery, SessionOrder};
use bilheteria_domain::ids::{OrderId, SessionId, TicketId};
use bilheteria_domain::page::{Page, PageRequest};
use bilheteria_domain::sales::Order;
use time::OffsetDateTime;
use uuid::Uuid;

/// A refund of some tickets, claimed and not yet answered by the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestedRefund {
    pub id: Uuid,
    pub order_id: OrderId,
    /// What the tickets were paid: their face values.
    pub amount_cents: i64,
    /// The order's charge at the provider.
    pub payment_reference: Option<String>,
}

#[async_trait]
pub trait BackOfficeStore {
    /// A session's orders, newest first, with their buyers: one query a page.
    async fn session_orders(
        &self,
        session: SessionId,
        query: &OrderQuery,
        page: &PageRequest,
    ) -> StoreResult<Page<SessionOrder>>;
    /// An order with every ticket it issued (codes left out), its buyer, payments, refunds of
    /// tickets, transfers, resale listings and scans; the audit trail is left empty for the
    /// caller to fill from the log.
    async fn order_detail(&self, id: OrderId) -> StoreResult<Option<OrderDetail>>;
    /// Claims `tickets` of a paid order for one refund, in one transaction under the order's
    /// lock: `TicketNotInOrder`, `TicketAlreadyRefunded` (cancelled, or claimed by another
    /// refund), `OrderNotRefundable` (not paid, or its whole refund is under way).
    async fn request_ticket_refund(
        &self,
        order: OrderId,
        tickets: &[TicketId],
        now: OffsetDateTime,
    ) -> StoreResult<RequestedRefund>;
    /// Records the provider's refund of a claimed refund, once: its tickets cancelled and
    /// their places given back, the payment, the order's `refunded_cents` (and `refunded`
    /// when no ticket of it is left), the buyer's mail and the audit entry. Again for a
    /// refund recorded before: the order as it stands.
    async fn complete_ticket_refund(
        &self,
        refund: Uuid,
        reference: &str,
        now: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Order>;
    /// Refunds claimed before `before` that the provider's answer never completed.
    async fn ticket_refunds_due(
        &self,
        before: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<RequestedRefund>>;
    /// Queues the purchase mail of a paid order again (its tickets), keyed by `dedupe_key`.
    async fn queue_tickets_mail(
        &self,
        order: OrderId,
        dedupe_key: String,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
}
