//! The back office's reports: the borderô's counts and the rows of the exports, read in keyset
//! pages so that an export of any size is written as it is read.

use crate::StoreResult;
use async_trait::async_trait;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::bordero::BorderoFigures;
use bilheteria_domain::half_price::{Eligibility, TicketType};
use bilheteria_domain::ids::{OrderId, SessionId, TicketId, UserId};
use bilheteria_domain::sales::{OrderStatus, PaymentMethod};
use bilheteria_domain::tickets::TicketStatus;
use time::OffsetDateTime;
use uuid::Uuid;

/// One order of a session, as the orders export lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderExportRow {
    pub id: OrderId,
    pub created_at: OffsetDateTime,
    pub buyer_id: UserId,
    pub buyer_name: String,
    pub buyer_email: String,
    pub status: OrderStatus,
    pub payment_method: PaymentMethod,
    pub installments: i64,
    /// Tickets of the order still valid or used.
    pub tickets: i64,
    /// Units of products bought.
    pub products: i64,
    pub total_cents: i64,
    /// Refunds of the order that succeeded.
    pub refunded_cents: i64,
    pub currency: String,
    /// Bought on resale.
    pub resale: bool,
}

/// One ticket of a session, as the door list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttendeeExportRow {
    pub ticket_id: TicketId,
    pub order_id: OrderId,
    pub holder_name: String,
    pub holder_email: String,
    pub section: String,
    pub row_label: Option<String>,
    pub seat_number: Option<i64>,
    pub category: Option<String>,
    pub ticket_type: TicketType,
    pub eligibility: Option<Eligibility>,
    pub status: TicketStatus,
    pub face_value_cents: i64,
}

/// What a scan at the gate found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanResult {
    Admitted,
    TicketUsed,
    TicketRevoked,
}

impl ScanResult {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "admitted" => Some(ScanResult::Admitted),
            "ticket_used" => Some(ScanResult::TicketUsed),
            "ticket_revoked" => Some(ScanResult::TicketRevoked),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ScanResult::Admitted => "admitted",
            ScanResult::TicketUsed => "ticket_used",
            ScanResult::TicketRevoked => "ticket_revoked",
        }
    }
}

/// One scan at a gate of a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckinExportRow {
    pub id: Uuid,
    pub scanned_at: OffsetDateTime,
    pub ticket_id: TicketId,
    pub holder_name: String,
    pub gate: String,
    pub result: ScanResult,
    pub staff_name: String,
}

/// Reports of the back office.
#[async_trait]
pub trait ReportStore {
    /// The borderô's counts of a session, in three reads.
    async fn bordero_figures(&self, session: SessionId) -> StoreResult<BorderoFigures>;
    /// The session's orders after `after` (by id, the order they were made in), `limit` of them.
    async fn export_orders(
        &self,
        session: SessionId,
        after: Option<OrderId>,
        limit: i64,
    ) -> StoreResult<Vec<OrderExportRow>>;
    /// The session's tickets after `after` (by id), cancelled ones included.
    async fn export_attendees(
        &self,
        session: SessionId,
        after: Option<TicketId>,
        limit: i64,
    ) -> StoreResult<Vec<AttendeeExportRow>>;
    /// The session's scans after `after` (by id, the order they were recorded in).
    async fn export_checkins(
        &self,
        session: SessionId,
        after: Option<Uuid>,
        limit: i64,
    ) -> StoreResult<Vec<CheckinExportRow>>;
    /// Records in the audit log that someone read a report of `session` (`action`, with
    /// `detail` as the entry's JSON).
    async fn record_report_read(
        &self,
        session: SessionId,
        action: &str,
        detail: serde_json::Value,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<()>;
}
