//! Orders and buyers as an organization's back office sees them: a session's orders found by
//! their buyer, one order in full (its tickets, payments, refunds, transfers, resales,
//! check-ins and audit trail), and the refund of some of its tickets.

use crate::audit::AuditEntry;
use crate::ids::{OrderId, TicketId, UserId};
use crate::sales::{Order, OrderStatus, PaymentMethod};
use crate::validation::{FieldErrors, FieldProblem};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Who bought an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Buyer {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

/// What an organization's list of a session's orders shows of each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SessionOrder {
    pub id: OrderId,
    pub status: OrderStatus,
    pub buyer: Buyer,
    pub total_cents: i64,
    /// What refunds gave back so far (of some tickets, or of the whole order).
    pub refunded_cents: i64,
    #[schema(value_type = String, example = "BRL")]
    pub currency: String,
    pub payment_method: PaymentMethod,
    pub installments: i64,
    /// The order's tickets, and those of them still valid or used (not cancelled).
    pub tickets: i64,
    pub tickets_live: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The filter of a session's orders: `q` an order id or the start of a buyer's email or name,
/// `status` one status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderQuery {
    /// Lower case, trimmed; empty: any buyer.
    pub q: String,
    /// `q` read as an order id (or a buyer's id), when it is one.
    pub id: Option<uuid::Uuid>,
    pub status: Option<OrderStatus>,
}

impl OrderQuery {
    /// Reads the list's query: `q` up to 200 characters, `status` one of the order statuses.
    pub fn parse(q: Option<&str>, status: Option<&str>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let q = q.unwrap_or_default().trim();
        if q.chars().count() > 200 {
            errors.add("q", FieldProblem::TooLong { max: 200 });
        }
        let status = status.filter(|s| !s.is_empty()).and_then(|raw| {
            errors.check(
                "status",
                OrderStatus::parse(raw).ok_or(FieldProblem::NotOneOf {
                    choices: ORDER_STATUSES,
                }),
            )
        });
        errors.finish(|| {
            Some(Self {
                id: uuid::Uuid::parse_str(q).ok(),
                q: q.to_lowercase(),
                status,
            })
        })
    }
}

/// Every order status by its code, as filters take them.
pub const ORDER_STATUSES: &[&str] = &[
    "awaiting_payment",
    "payment_pending",
    "paid",
    "failed",
    "refunded",
];

/// `POST /orders/{id}/refund`'s optional body: without `ticket_ids`, the whole order.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundInput {
    /// Refund these tickets of the order only (what they were paid; the order's products are
    /// not refunded by a refund of tickets).
    #[schema(min_items = 1, max_items = 200)]
    pub ticket_ids: Option<Vec<TicketId>>,
}

/// What a refund gives back: the whole order, or some of its tickets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundScope {
    Order,
    Tickets(Vec<TicketId>),
}

impl RefundInput {
    /// One to 200 tickets, none named twice.
    pub fn parse(self) -> Result<RefundScope, FieldErrors> {
        let Some(ids) = self.ticket_ids else {
            return Ok(RefundScope::Order);
        };
        let mut errors = FieldErrors::new();
        if ids.is_empty() || ids.len() > 200 {
            errors.add(
                "ticket_ids",
                FieldProblem::CountOutOfRange { min: 1, max: 200 },
            );
        }
        for (i, id) in ids.iter().enumerate() {
            if ids[..i].contains(id) {
                errors.add(format!("ticket_ids[{i}]"), FieldProblem::Duplicate);
            }
        }
        errors.finish(|| Some(RefundScope::Tickets(ids)))
    }
}

/// A money movement of an order as the provider reported it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PaymentRecord {
    /// `charge` or `refund`.
    pub kind: String,
    /// `succeeded` or `declined`.
    pub status: String,
    pub amount_cents: i64,
    pub reference: Option<String>,
    /// A declined charge's code.
    pub detail: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A refund of some of an order's tickets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TicketRefund {
    pub id: uuid::Uuid,
    /// `requested` (the provider not yet heard from) or `succeeded`.
    pub status: String,
    pub amount_cents: i64,
    pub ticket_ids: Vec<TicketId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// An offer of one of the order's tickets to someone else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TransferRecord {
    pub id: uuid::Uuid,
    pub ticket_id: TicketId,
    pub to_email: String,
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
}

/// A resale listing of one of the order's tickets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ResaleRecord {
    pub id: uuid::Uuid,
    pub ticket_id: TicketId,
    pub price_cents: i64,
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A scan of one of the order's tickets at a gate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CheckinRecord {
    pub ticket_id: TicketId,
    pub gate: String,
    /// `admitted`, `ticket_used` or `ticket_revoked`.
    pub result: String,
    #[serde(with = "time::serde::rfc3339")]
    pub scanned_at: OffsetDateTime,
}

/// One order as its organization sees it. `order.tickets` are every ticket the order issued
/// (transferred ones too), with their status and without their codes.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OrderDetail {
    pub order: Order,
    pub buyer: Buyer,
    pub payments: Vec<PaymentRecord>,
    pub ticket_refunds: Vec<TicketRefund>,
    pub transfers: Vec<TransferRecord>,
    pub resale: Vec<ResaleRecord>,
    pub checkins: Vec<CheckinRecord>,
    pub audit: Vec<AuditEntry>,
}
