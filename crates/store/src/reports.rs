//! The SQL of the back office's reports, shared by both backends (compiled inside each backend
//! module): the borderô's counts in three reads, and the exports' rows in keyset pages by id
//! (`*_of_session_by_id` indexes, migration 0029), each page an index range.

use super::ThisBackend;
use super::shared::{Change, DbRow, append_audit, corrupt, finish};
use crate::dialect::Dialect;
use crate::{
    AttendeeExportRow, CheckinExportRow, OrderExportRow, ReportStore, ScanResult, StoreError,
    StoreResult,
};
use async_trait::async_trait;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::bordero::{BorderoFigures, PaymentGroup, TicketGroup};
use bilheteria_domain::clock::from_micros;
use bilheteria_domain::half_price::{Eligibility, TicketType};
use bilheteria_domain::ids::{OrderId, SectionId, SessionId, TicketId, UserId};
use bilheteria_domain::sales::{OrderStatus, PaymentMethod};
use bilheteria_domain::tickets::TicketStatus;
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

/// The money and the counts of one session, one row. Charges and refunds are summed from
/// `payments` exactly as the integrity report sums them (so the two agree), whatever number
/// of refunds an order has; payouts to resale sellers from `resale_payouts`.
const BORDERO_TOTALS: &str = "SELECT \
    (SELECT CAST(COALESCE(SUM(p.amount_cents), 0) AS BIGINT) FROM payments p JOIN orders o ON o.id = p.order_id \
     WHERE o.session_id = $1 AND p.kind = 'charge' AND p.status = 'succeeded') AS charged_cents, \
    (SELECT CAST(COALESCE(SUM(p.amount_cents), 0) AS BIGINT) FROM payments p JOIN orders o ON o.id = p.order_id \
     WHERE o.session_id = $1 AND p.kind = 'refund' AND p.status = 'succeeded') AS refunded_cents, \
    (SELECT CAST(COALESCE(SUM(p.amount_cents), 0) AS BIGINT) FROM resale_payouts p \
     JOIN resale_listings l ON l.id = p.listing_id WHERE l.session_id = $1 AND p.status = 'succeeded') AS paid_out_cents, \
    (SELECT CAST(COALESCE(SUM(i.quantity), 0) AS BIGINT) FROM order_items i JOIN orders o ON o.id = i.order_id \
     WHERE o.session_id = $1 AND o.status = 'paid' AND i.kind = 'product') AS products_sold, \
    (SELECT CAST(COALESCE(SUM(i.quantity * i.unit_price_cents), 0) AS BIGINT) FROM order_items i \
     JOIN orders o ON o.id = i.order_id WHERE o.session_id = $1 AND o.status = 'paid' AND i.kind = 'product') AS products_cents, \
    (SELECT COUNT(*) FROM resale_listings l WHERE l.session_id = $1 AND l.status = 'sold') AS resales, \
    (SELECT CAST(COALESCE(SUM(l.price_cents - l.payout_cents), 0) AS BIGINT) FROM resale_listings l \
     WHERE l.session_id = $1 AND l.status = 'sold') AS resale_fees_cents, \
    (SELECT CAST(COALESCE(SUM(capacity), 0) AS BIGINT) FROM reserve_slices WHERE session_id = $1) AS half_price_quota";

/// Tickets still sold, by section, type and ground.
const BORDERO_TICKETS: &str = "SELECT t.section_id, sec.name AS section_name, t.ticket_type, t.eligibility, \
    COUNT(*) AS tickets, CAST(COALESCE(SUM(t.face_value_cents), 0) AS BIGINT) AS face_value_cents \
    FROM tickets t JOIN sections sec ON sec.id = t.section_id \
    WHERE t.session_id = $1 AND t.status <> 'cancelled' \
    GROUP BY t.section_id, sec.name, t.ticket_type, t.eligibility \
    ORDER BY sec.name, t.ticket_type, t.eligibility";

/// Charged orders by payment method and installments, with what was given back of them
/// (refunds, and sellers' payouts made from their charges).
const BORDERO_PAYMENTS: &str = "SELECT o.payment_method, o.installments, COUNT(*) AS orders, \
    CAST(SUM(ch.amount_cents) AS BIGINT) AS charged_cents, \
    CAST(COALESCE(SUM(rf.amount), 0) + COALESCE(SUM(po.amount), 0) AS BIGINT) AS refunded_cents \
    FROM orders o \
    JOIN payments ch ON ch.order_id = o.id AND ch.kind = 'charge' AND ch.status = 'succeeded' \
    LEFT JOIN (SELECT p.order_id, SUM(p.amount_cents) AS amount FROM payments p JOIN orders x ON x.id = p.order_id \
      WHERE x.session_id = $1 AND p.kind = 'refund' AND p.status = 'succeeded' GROUP BY p.order_id) rf ON rf.order_id = o.id \
    LEFT JOIN (SELECT p.order_id, SUM(p.amount_cents) AS amount FROM resale_payouts p JOIN resale_listings l ON l.id = p.listing_id \
      WHERE l.session_id = $1 AND p.status = 'succeeded' GROUP BY p.order_id) po ON po.order_id = o.id \
    WHERE o.session_id = $1 \
    GROUP BY o.payment_method, o.installments ORDER BY o.payment_method, o.installments";

const EXPORT_ORDERS: &str = "SELECT o.id, o.created_at, o.user_id, u.name, u.email, o.status, o.payment_method, \
    o.installments, o.total_cents, o.currency, CASE WHEN o.listing_id IS NULL THEN 0 ELSE 1 END AS resale, \
    (SELECT COUNT(*) FROM tickets t WHERE t.order_id = o.id AND t.status <> 'cancelled') AS tickets, \
    (SELECT CAST(COALESCE(SUM(i.quantity), 0) AS BIGINT) FROM order_items i WHERE i.order_id = o.id AND i.kind = 'product') AS products, \
    (SELECT CAST(COALESCE(SUM(p.amount_cents), 0) AS BIGINT) FROM payments p WHERE p.order_id = o.id \
     AND p.kind = 'refund' AND p.status = 'succeeded') AS refunded_cents \
    FROM orders o JOIN users u ON u.id = o.user_id \
    WHERE o.session_id = $1 AND o.id > $2 ORDER BY o.id LIMIT $3";

const EXPORT_ATTENDEES: &str = "SELECT t.id, t.order_id, u.name, u.email, sec.name AS section_name, s.row_label, \
    s.number AS seat_number, c.name AS category_name, t.ticket_type, t.eligibility, t.status, t.face_value_cents \
    FROM tickets t JOIN users u ON u.id = t.holder_id JOIN sections sec ON sec.id = t.section_id \
    LEFT JOIN seats s ON s.id = t.seat_id \
    LEFT JOIN session_sections ss ON ss.session_id = t.session_id AND ss.section_id = t.section_id \
    LEFT JOIN seat_categories c ON c.id = ss.category_id \
    WHERE t.session_id = $1 AND t.id > $2 ORDER BY t.id LIMIT $3";

const EXPORT_CHECKINS: &str = "SELECT c.id, c.scanned_at, c.ticket_id, h.name AS holder_name, c.gate, c.result, \
    st.name AS staff_name \
    FROM checkins c JOIN tickets t ON t.id = c.ticket_id JOIN users h ON h.id = t.holder_id \
    JOIN users st ON st.id = c.staff_id \
    WHERE c.session_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3";

fn ticket_type(row: &DbRow) -> Result<TicketType, sqlx::Error> {
    TicketType::parse(&row.try_get::<String, _>("ticket_type")?)
        .ok_or_else(|| corrupt("tickets.ticket_type"))
}

fn eligibility(row: &DbRow) -> Result<Option<Eligibility>, sqlx::Error> {
    row.try_get::<Option<String>, _>("eligibility")?
        .map(|raw| Eligibility::parse(&raw).ok_or_else(|| corrupt("tickets.eligibility")))
        .transpose()
}

fn payment_method(row: &DbRow) -> Result<PaymentMethod, sqlx::Error> {
    PaymentMethod::parse(&row.try_get::<String, _>("payment_method")?)
        .ok_or_else(|| corrupt("orders.payment_method"))
}

#[async_trait]
impl ReportStore for ThisBackend {
    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn bordero_figures(&self, session: SessionId) -> StoreResult<BorderoFigures> {
        let pool = self.reader();
        let totals = sqlx::query(BORDERO_TOTALS)
            .bind(session.0)
            .fetch_one(pool)
            .await?;
        let tickets = sqlx::query(BORDERO_TICKETS)
            .bind(session.0)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| {
                Ok(TicketGroup {
                    section_id: SectionId(row.try_get("section_id")?),
                    section_name: row.try_get("section_name")?,
                    ticket_type: ticket_type(row)?,
                    eligibility: eligibility(row)?,
                    tickets: row.try_get("tickets")?,
                    face_value_cents: row.try_get("face_value_cents")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let payments = sqlx::query(BORDERO_PAYMENTS)
            .bind(session.0)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| {
                Ok(PaymentGroup {
                    method: payment_method(row)?,
                    installments: row.try_get("installments")?,
                    orders: row.try_get("orders")?,
                    charged_cents: row.try_get("charged_cents")?,
                    refunded_cents: row.try_get("refunded_cents")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(BorderoFigures {
            charged_cents: totals.try_get("charged_cents")?,
            refunded_cents: totals.try_get("refunded_cents")?,
            paid_out_cents: totals.try_get("paid_out_cents")?,
            tickets,
            payments,
            products_sold: totals.try_get("products_sold")?,
            products_cents: totals.try_get("products_cents")?,
            resales: totals.try_get("resales")?,
            resale_fees_cents: totals.try_get("resale_fees_cents")?,
            half_price_quota: totals.try_get("half_price_quota")?,
        })
    }

    async fn export_orders(
        &self,
        session: SessionId,
        after: Option<OrderId>,
        limit: i64,
    ) -> StoreResult<Vec<OrderExportRow>> {
        let rows = sqlx::query(EXPORT_ORDERS)
            .bind(session.0)
            .bind(after.map_or(Uuid::nil(), |id| id.0))
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(OrderExportRow {
                    id: OrderId(row.try_get("id")?),
                    created_at: from_micros(row.try_get("created_at")?),
                    buyer_id: UserId(row.try_get("user_id")?),
                    buyer_name: row.try_get("name")?,
                    buyer_email: row.try_get("email")?,
                    status: OrderStatus::parse(&row.try_get::<String, _>("status")?)
                        .ok_or_else(|| corrupt("orders.status"))?,
                    payment_method: payment_method(row)?,
                    installments: row.try_get("installments")?,
                    tickets: row.try_get("tickets")?,
                    products: row.try_get("products")?,
                    total_cents: row.try_get("total_cents")?,
                    refunded_cents: row.try_get("refunded_cents")?,
                    currency: row.try_get("currency")?,
                    resale: row.try_get::<i32, _>("resale")? != 0,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    async fn export_attendees(
        &self,
        session: SessionId,
        after: Option<TicketId>,
        limit: i64,
    ) -> StoreResult<Vec<AttendeeExportRow>> {
        let rows = sqlx::query(EXPORT_ATTENDEES)
            .bind(session.0)
            .bind(after.map_or(Uuid::nil(), |id| id.0))
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(AttendeeExportRow {
                    ticket_id: TicketId(row.try_get("id")?),
                    order_id: OrderId(row.try_get("order_id")?),
                    holder_name: row.try_get("name")?,
                    holder_email: row.try_get("email")?,
                    section: row.try_get("section_name")?,
                    row_label: row.try_get("row_label")?,
                    seat_number: row.try_get("seat_number")?,
                    category: row.try_get("category_name")?,
                    ticket_type: ticket_type(row)?,
                    eligibility: eligibility(row)?,
                    status: TicketStatus::parse(&row.try_get::<String, _>("status")?)
                        .ok_or_else(|| corrupt("tickets.status"))?,
                    face_value_cents: row.try_get("face_value_cents")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    async fn export_checkins(
        &self,
        session: SessionId,
        after: Option<Uuid>,
        limit: i64,
    ) -> StoreResult<Vec<CheckinExportRow>> {
        let rows = sqlx::query(EXPORT_CHECKINS)
            .bind(session.0)
            .bind(after.unwrap_or(Uuid::nil()))
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(CheckinExportRow {
                    id: row.try_get("id")?,
                    scanned_at: from_micros(row.try_get("scanned_at")?),
                    ticket_id: TicketId(row.try_get("ticket_id")?),
                    holder_name: row.try_get("holder_name")?,
                    gate: row.try_get("gate")?,
                    result: ScanResult::parse(&row.try_get::<String, _>("result")?)
                        .ok_or_else(|| corrupt("checkins.result"))?,
                    staff_name: row.try_get("staff_name")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    async fn record_report_read(
        &self,
        session: SessionId,
        action: &str,
        detail: serde_json::Value,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            append_audit(
                &mut tx,
                audit,
                at,
                Change {
                    action,
                    target_type: "session",
                    target_id: session.to_string(),
                    before: None,
                    after: Some(detail.to_string()),
                },
            )
            .await?;
            Ok::<_, StoreError>(())
        }
        .await;
        finish(tx, outcome).await
    }
}
