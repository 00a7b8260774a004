//! The part of the storage interface that sells: holds, orders, settlement, tickets, the outbox.

use crate::StoreResult;
use async_trait::async_trait;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::catalog::QueueSettings;
use bilheteria_domain::half_price::{Eligibility, HalfPriceClaim, TicketType};
use bilheteria_domain::ids::{
    HoldId, ListingId, OrderId, OutboxId, ProductId, SeatId, SectionId, SessionId, TicketId, UserId,
};
use bilheteria_domain::page::{Page, PageRequest};
use bilheteria_domain::sales::{Buys, Hold, HoldRequest, Order, OrderStatus, PaymentMethod};
use bilheteria_domain::tickets::{SeatLabel, Ticket};
use serde::Serialize;
use time::OffsetDateTime;

#[derive(Clone, Debug)]
pub struct NewHold {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub request: HoldRequest,
    /// Which of the places are half price (meia-entrada), and on what ground.
    pub half_price: HalfPriceClaim,
    /// Whether the session's unsold half-price reserve is open to everyone now.
    pub reserve_open: bool,
    /// The session's `max_tickets_per_user` (C1).
    pub cap: i64,
    pub now: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub struct NewOrder {
    pub id: OrderId,
    pub user_id: UserId,
    pub idempotency_key: String,
    pub fingerprint: Vec<u8>,
    pub buys: Buys,
    pub products: Vec<(ProductId, i64)>,
    pub payment_method: PaymentMethod,
    pub payment_token: String,
    pub installments: i64,
    pub client_ip: Option<String>,
    pub now: OffsetDateTime,
    /// When reconciliation should look at the order if nothing settles it first.
    pub settle_after: OffsetDateTime,
}

/// One ticket an order will issue: a seat (with its label), or a unit of a standing section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketUnit {
    pub seat_id: Option<SeatId>,
    pub seat: Option<SeatLabel>,
    pub section_id: SectionId,
    pub ticket_type: TicketType,
    pub eligibility: Option<Eligibility>,
    /// The pool the place was drawn from (none for a place held before pools existed).
    pub pool: Option<Pool>,
}

/// A session's two pools of places (meia-entrada, `bilheteria_domain::half_price`): the reserve
/// of half-price buyers of the quota, and the open places of everyone else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pool {
    Open,
    Reserve,
}

impl Pool {
    pub fn as_str(self) -> &'static str {
        match self {
            Pool::Open => "open",
            Pool::Reserve => "reserve",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "open" => Some(Pool::Open),
            "reserve" => Some(Pool::Reserve),
            _ => None,
        }
    }
}

/// An order that still awaits its payment's outcome, with what it needs to be settled.
#[derive(Clone, Debug)]
pub struct OrderToSettle {
    pub order: Order,
    pub payment_token: String,
    pub units: Vec<TicketUnit>,
    /// For an order of a resale listing: the ticket it hands over.
    pub listing: Option<ListingSale>,
    /// When a Pix order's code expires: the order fails then unless paid.
    pub pix_expires_at: Option<OffsetDateTime>,
    /// Whether reconciliation still has something to do with it when it was read: a settled
    /// order is due only for a refund owed (a failed order's charge, a requested refund).
    pub settle_due: bool,
}

/// The ticket a resale order buys: on payment it is reissued to the buyer at `version + 1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingSale {
    pub listing_id: ListingId,
    pub ticket_id: TicketId,
    pub seller_id: UserId,
    /// The ticket's version when the order began.
    pub version: i64,
}

#[derive(Clone, Debug)]
pub enum BeginOrder {
    /// A new order, awaiting payment.
    Started(OrderToSettle),
    /// The key was used before with this body and its first request was answered: the order,
    /// and the status it had in that answer (a retry is told the same).
    Answered { order: Order, answered: OrderStatus },
    /// The key was used before with this body; no answer was recorded (yet).
    Existing(Order),
    /// The key was used before with another body.
    KeyReused,
}

/// A ticket to issue, code already signed.
#[derive(Clone, Debug)]
pub struct TicketDraft {
    pub id: TicketId,
    pub unit: TicketUnit,
    pub version: i64,
    pub code: String,
}

#[derive(Clone, Debug)]
pub enum PaymentOutcome {
    Paid {
        reference: String,
        tickets: Vec<TicketDraft>,
    },
    Declined {
        code: String,
        reference: Option<String>,
    },
    /// The answer is unknown; look again at `retry_at`.
    Unknown { retry_at: OffsetDateTime },
    /// A Pix charge awaits the buyer's bank: its code, shown until the order's Pix expires.
    PixPending {
        reference: String,
        copy_paste: String,
    },
}

impl PaymentOutcome {
    /// The status this outcome moves an order to.
    pub fn status(&self) -> OrderStatus {
        match self {
            PaymentOutcome::Paid { .. } => OrderStatus::Paid,
            PaymentOutcome::Declined { .. } => OrderStatus::Failed,
            PaymentOutcome::Unknown { .. } | PaymentOutcome::PixPending { .. } => {
                OrderStatus::PaymentPending
            }
        }
    }
}

#[derive(Clone, Debug)]
pub enum Settled {
    /// The order moved to its new state, recorded as the answer to its key.
    Done(Order),
    /// It was already settled (by another worker, a webhook or an earlier attempt).
    AlreadySettled(Order),
    /// The payment succeeded but the seats, capacity or stock could not be kept: the order is
    /// failed and the charge must be refunded (`code` says why).
    MustRefund { order: Order, code: &'static str },
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OutboxMessage {
    pub id: OutboxId,
    pub kind: String,
    pub dedupe_key: String,
    pub payload: serde_json::Value,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The sales invariants of a session, counted from the tables themselves. Every field but the
/// totals must be zero.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SalesIntegrity {
    pub seats_sold_twice: i64,
    pub seat_status_mismatches: i64,
    pub standing_oversold_sections: i64,
    pub standing_count_mismatches: i64,
    /// Tickets used without one admission at a gate, or admitted and still valid.
    pub checkins_mismatched: i64,
    pub users_over_cap: i64,
    /// Buyers whose allocation (C1) differs from their tickets and active holds.
    pub allocations_mismatched: i64,
    /// Pending transfers of a ticket its sender no longer holds, or that was cancelled.
    pub transfers_mismatched: i64,
    /// Open listings of a ticket that is not its seller's valid ticket, or sold ones whose
    /// ticket stayed with the seller.
    pub listings_mismatched: i64,
    /// Pools of places (open, half-price reserve) whose counts pass their capacity or differ
    /// from the tickets and active holds drawn from them.
    pub pools_mismatched: i64,
    /// 1 if more half-price tickets of the quota were sold than the quota has places.
    pub half_price_quota_exceeded: i64,
    /// Places of the reserve sold to others than half-price buyers of the quota before the
    /// organizer opened it.
    pub reserve_taken_before_release: i64,
    /// The session's half-price quota (meia-entrada), and the half-price tickets sold in it.
    pub half_price_quota: i64,
    pub half_price_sold: i64,
    /// Orders paid by Pix: all of them, those paid (or since refunded), those whose Pix
    /// expired unpaid.
    pub pix_orders: i64,
    pub pix_orders_paid: i64,
    pub pix_orders_expired: i64,
    pub paid_orders_without_charge: i64,
    pub paid_orders_with_wrong_ticket_count: i64,
    pub charges_without_paid_order_or_refund: i64,
    pub double_charges: i64,
    /// Paid orders whose charge the payment provider, asked about it, does not confirm (no such
    /// succeeded payment, or another amount, currency or order). Counted by the application,
    /// which asks the provider; the store reports 0.
    pub paid_orders_unconfirmed: i64,
    pub settled_ok: bool,
    /// Orders whose payment outcome is not known yet (they settle by reconciliation).
    pub orders_pending: i64,
    pub paid_orders: i64,
    pub tickets_valid: i64,
    pub charged_cents: i64,
    pub refunded_cents: i64,
    /// What resale sellers were paid back.
    pub paid_out_cents: i64,
    /// Payouts owed for resales of paid orders, less what refunds of resold orders kept back.
    pub resale_adjustment_cents: i64,
    /// What paid orders keep (their totals less refunds of some of their tickets), and what
    /// refunded orders kept beyond their resold tickets (products, when the tickets were
    /// refunded one by one).
    pub paid_order_total_cents: i64,
    /// Refunds of tickets whose amount is not their tickets' face values, whose tickets are
    /// not all cancelled, or without their payment; and orders whose `refunded_cents` is not
    /// the sum of their refunds.
    pub ticket_refunds_mismatched: i64,
}

impl SalesIntegrity {
    /// Whether every invariant holds: nothing counted that must be zero, and the money adds up.
    pub fn holds(&self) -> bool {
        self.seats_sold_twice == 0
            && self.seat_status_mismatches == 0
            && self.standing_oversold_sections == 0
            && self.standing_count_mismatches == 0
            && self.checkins_mismatched == 0
            && self.users_over_cap == 0
            && self.allocations_mismatched == 0
            && self.transfers_mismatched == 0
            && self.listings_mismatched == 0
            && self.pools_mismatched == 0
            && self.half_price_quota_exceeded == 0
            && self.reserve_taken_before_release == 0
            && self.paid_orders_without_charge == 0
            && self.paid_orders_with_wrong_ticket_count == 0
            && self.charges_without_paid_order_or_refund == 0
            && self.double_charges == 0
            && self.paid_orders_unconfirmed == 0
            && self.ticket_refunds_mismatched == 0
            && self.charged_cents - self.refunded_cents - self.paid_out_cents
                == self.paid_order_total_cents - self.resale_adjustment_cents
    }
}

/// The succeeded charge recorded for a paid order, as the store has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedCharge {
    pub order_id: OrderId,
    /// The provider's id of the payment.
    pub reference: String,
    pub amount_cents: i64,
    pub currency: String,
}

/// Holds: seats or standing places (and the buyer's cap) claimed until they expire or are ordered.
#[async_trait]
pub trait HoldStore {
    /// Claims the seats or standing units for `hold.expires_at` and moves the buyer's
    /// allocation, in one transaction. Expired holds of the same buyer are released first.
    async fn create_hold(&self, hold: NewHold) -> StoreResult<Hold>;
    async fn get_hold(&self, id: HoldId) -> StoreResult<Option<(Hold, String)>>;
    /// The order a hold became, unless it failed (at most one, by a partial unique index).
    async fn live_order_of_hold(&self, id: HoldId) -> StoreResult<Option<OrderId>>;
    /// The places of a session `user` has against the cap (C1): tickets and holds.
    async fn allocated_places(&self, user: UserId, session: SessionId) -> StoreResult<i64>;
    /// Releases an active hold of `user`.
    async fn release_hold(&self, id: HoldId, user: UserId, now: OffsetDateTime) -> StoreResult<()>;
    /// Releases up to `limit` holds past their expiry; returns how many.
    async fn expire_holds(&self, now: OffsetDateTime, limit: i64) -> StoreResult<u64>;
}

/// Orders: one per idempotency key, awaiting their payment's outcome until settled.
#[async_trait]
pub trait OrderStore {
    /// Records the idempotency key and creates the order from the hold and products, awaiting
    /// payment; or says what became of an earlier request with the same key.
    async fn begin_order(&self, order: NewOrder) -> StoreResult<BeginOrder>;
    /// An order with what settling it needs, e.g. for a webhook.
    async fn order_to_settle(&self, id: OrderId) -> StoreResult<Option<OrderToSettle>>;
    /// Records `answered` as the answer to the buyer's idempotency key; the first recorded
    /// answer wins.
    async fn record_order_answer(
        &self,
        user: UserId,
        key: &str,
        answered: OrderStatus,
    ) -> StoreResult<()>;
    async fn get_order(&self, id: OrderId) -> StoreResult<Option<Order>>;
    async fn list_orders(&self, user: UserId, page: &PageRequest) -> StoreResult<Page<Order>>;
    /// The generation of the order's wallet link; `None` if there is no such order.
    async fn wallet_generation(&self, id: OrderId) -> StoreResult<Option<i64>>;
    /// Moves the order's wallet link to its next generation, which revokes every link made so
    /// far, and answers the new one; `None` if there is no such order.
    async fn next_wallet_generation(&self, id: OrderId) -> StoreResult<Option<i64>>;
    /// Orders whose outcome is unknown, or whose refund is owed, due by `now`; each is leased
    /// until `lease_until` so that several workers never take the same one.
    async fn orders_to_settle(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<OrderToSettle>>;
}

/// A payment's outcome applied to its order exactly once, and refunds.
#[async_trait]
pub trait SettlementStore {
    /// Applies the payment's outcome exactly once: issues the tickets and marks seats sold in
    /// the same transaction, or fails the order, or leaves it pending; and records the order's
    /// new status as the answer to its idempotency key, unless an answer was recorded before.
    async fn settle_order(
        &self,
        order: &OrderToSettle,
        outcome: PaymentOutcome,
        now: OffsetDateTime,
    ) -> StoreResult<Settled>;
    /// Records the refund of a charge that `settle_order` could not honour.
    async fn record_failed_order_refund(
        &self,
        id: OrderId,
        reference: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Marks a paid order's refund as requested before the provider is asked, so that if the
    /// process dies after the provider refunded, reconciliation (due at `retry_at`) completes it.
    async fn request_refund(&self, id: OrderId, retry_at: OffsetDateTime) -> StoreResult<()>;
    /// Refunds a paid order: releases its seats, cancels its tickets, restocks its products.
    async fn refund_order(
        &self,
        id: OrderId,
        reference: &str,
        now: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Order>;
}

/// Tickets issued by paid orders.
#[async_trait]
pub trait TicketStore {
    async fn get_ticket(&self, id: TicketId) -> StoreResult<Option<Ticket>>;
    async fn list_tickets(&self, holder: UserId, page: &PageRequest) -> StoreResult<Page<Ticket>>;
}

/// The notification outbox: messages written with the changes they tell of, delivered after.
#[async_trait]
pub trait OutboxStore {
    /// Messages due for delivery, leased until `lease_until`.
    async fn claim_outbox(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>>;
    /// Records messages delivered, in one write however many.
    async fn outbox_sent(&self, ids: &[OutboxId], now: OffsetDateTime) -> StoreResult<()>;
    /// Records a failed delivery: retried at `retry_at`, or dead when `retry_at` is `None`.
    async fn outbox_failed(
        &self,
        id: OutboxId,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> StoreResult<()>;
    async fn list_outbox(
        &self,
        status: &str,
        page: &PageRequest,
    ) -> StoreResult<Page<OutboxMessage>>;
    /// Age in seconds of the oldest message waiting to be delivered.
    async fn outbox_lag_seconds(&self, now: OffsetDateTime) -> StoreResult<f64>;
}

/// The sales invariants of a session, counted from the tables.
#[async_trait]
pub trait IntegrityStore {
    async fn sales_integrity(&self, session: SessionId) -> StoreResult<SalesIntegrity>;
    /// The recorded charge of every paid order of the session, for checking with the provider.
    async fn paid_order_charges(&self, session: SessionId) -> StoreResult<Vec<RecordedCharge>>;
}

/// The waiting room's durable part.
#[async_trait]
pub trait QueueStore {
    /// Sessions with a waiting room that have not started yet, with their settings.
    async fn queued_sessions(&self, now: OffsetDateTime) -> StoreResult<Vec<QueuedSession>>;
    /// Changes a session's queue settings (rate, pause, cap on active buyers, proof of work).
    async fn update_queue_settings(
        &self,
        session: SessionId,
        settings: &QueueSettings,
        now: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<()>;
    async fn save_queue_snapshot(
        &self,
        snapshot: &QueueSnapshot,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn queue_snapshot(&self, session: SessionId) -> StoreResult<Option<QueueSnapshot>>;
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedSession {
    pub id: SessionId,
    pub event_id: bilheteria_domain::ids::EventId,
    pub sales_start_at: OffsetDateTime,
    pub starts_at: OffsetDateTime,
    pub queue: QueueSettings,
}

/// What survives the loss of the queue's hot state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueSnapshot {
    pub session: SessionId,
    pub joined: u64,
    pub presale: Option<u64>,
    pub seed: Option<[u8; 32]>,
    pub admitted: u64,
}
