//! The back office's reads of orders and refunds of some of an order's tickets, shared by both
//! backends (compiled once inside each backend module).

use super::orders::{order_change, order_columns, order_from_row, push_newest_first};
use super::settlement::cancel_tickets;
use super::shared::{DbRow, append_audit, corrupt, enqueue, finish};
use super::tickets::{ticket_from_row, ticket_select};
use super::{Db, ThisBackend};
use crate::dialect::Dialect;
use crate::{BackOfficeStore, Refusal, RequestedRefund, StoreError, StoreResult};
use async_trait::async_trait;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::back_office::{
    Buyer, CheckinRecord, OrderDetail, OrderQuery, PaymentRecord, ResaleRecord, SessionOrder,
    TicketRefund, TransferRecord,
};
use bilheteria_domain::clock::{from_micros, to_micros};
use bilheteria_domain::ids::{OrderId, SessionId, TicketId, UserId};
use bilheteria_domain::page::{Page, PageRequest};
use bilheteria_domain::sales::{Order, OrderStatus, PaymentMethod};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

fn buyer_from_row(row: &DbRow) -> Result<Buyer, sqlx::Error> {
    Ok(Buyer {
        id: UserId(row.try_get("buyer_id")?),
        name: row.try_get("buyer_name")?,
        email: row.try_get("buyer_email")?,
    })
}

fn session_order_from_row(row: &DbRow) -> Result<SessionOrder, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let method: String = row.try_get("payment_method")?;
    Ok(SessionOrder {
        id: OrderId(row.try_get("id")?),
        status: OrderStatus::parse(&status).ok_or_else(|| corrupt("orders.status"))?,
        buyer: buyer_from_row(row)?,
        total_cents: row.try_get("total_cents")?,
        refunded_cents: row.try_get("refunded_cents")?,
        currency: row.try_get("currency")?,
        payment_method: PaymentMethod::parse(&method)
            .ok_or_else(|| corrupt("orders.payment_method"))?,
        installments: row.try_get("installments")?,
        tickets: row.try_get("tickets")?,
        tickets_live: row.try_get("tickets_live")?,
        created_at: from_micros(row.try_get("created_at")?),
    })
}

/// `text` with LIKE's wildcards and escape taken literally (escaped by `\`).
fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn refunded_row(row: &DbRow) -> Result<RequestedRefund, sqlx::Error> {
    Ok(RequestedRefund {
        id: row.try_get("id")?,
        order_id: OrderId(row.try_get("order_id")?),
        amount_cents: row.try_get("amount_cents")?,
        payment_reference: row.try_get("payment_reference")?,
    })
}

#[async_trait]
impl BackOfficeStore for ThisBackend {
    async fn session_orders(
        &self,
        session: SessionId,
        query: &OrderQuery,
        page: &PageRequest,
    ) -> StoreResult<Page<SessionOrder>> {
        let mut sql = QueryBuilder::<Db>::new(
            "SELECT o.id, o.status, o.total_cents, o.refunded_cents, o.currency, o.payment_method, \
             o.installments, o.created_at, u.id AS buyer_id, u.name AS buyer_name, u.email AS buyer_email, \
             (SELECT COUNT(*) FROM tickets t WHERE t.order_id = o.id) AS tickets, \
             (SELECT COUNT(*) FROM tickets t WHERE t.order_id = o.id AND t.status <> 'cancelled') AS tickets_live \
             FROM orders o JOIN users u ON u.id = o.user_id WHERE o.session_id = ",
        );
        sql.push_bind(session.0);
        if let Some(status) = query.status {
            sql.push(" AND o.status = ").push_bind(status.as_str());
        }
        if let Some(id) = query.id {
            sql.push(" AND (o.id = ")
                .push_bind(id)
                .push(" OR u.id = ")
                .push_bind(id)
                .push(")");
        } else if !query.q.is_empty() {
            // A prefix of the email or of the name (a range on their B-trees), or of a later
            // word of the name.
            let upper = format!("{}\u{10FFFF}", query.q);
            sql.push(" AND ((u.email_normalized >= ")
                .push_bind(query.q.clone())
                .push(" AND u.email_normalized < ")
                .push_bind(upper.clone())
                .push(") OR (u.name_normalized >= ")
                .push_bind(query.q.clone())
                .push(" AND u.name_normalized < ")
                .push_bind(upper)
                .push(") OR u.name_normalized LIKE ")
                .push_bind(format!("% {}%", like_literal(&query.q)))
                .push(" ESCAPE '\\')");
        }
        push_newest_first(&mut sql, "o.id", page)?;
        let rows = sql.build().fetch_all(self.reader()).await?;
        let orders = rows
            .iter()
            .map(session_order_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(orders, page.limit, |order| {
            order.id.to_string()
        }))
    }

    async fn order_detail(&self, id: OrderId) -> StoreResult<Option<OrderDetail>> {
        let Some(row) = sqlx::query(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(self.reader())
        .await?
        else {
            return Ok(None);
        };
        // Its lines as any reader of the order has them; its tickets, every one it issued.
        let lines = self.complete_orders(std::slice::from_ref(&row)).await?;
        let items = lines
            .into_iter()
            .next()
            .map(|o| o.items)
            .unwrap_or_default();
        let tickets = sqlx::query(concat!(
            ticket_select!(),
            " WHERE t.order_id = $1 ORDER BY sec.position, st.row_position, st.number, t.id"
        ))
        .bind(id.0)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|row| {
            ticket_from_row(row).map(|mut ticket| {
                ticket.code = None;
                ticket
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
        let order = order_from_row(&row, items, tickets)?;
        let buyer = sqlx::query(
            "SELECT id AS buyer_id, name AS buyer_name, email AS buyer_email FROM users WHERE id = $1",
        )
        .bind(order.user_id.0)
        .fetch_one(self.reader())
        .await?;
        let payments = sqlx::query(
            "SELECT kind, status, amount_cents, reference, detail, created_at FROM payments \
             WHERE order_id = $1 ORDER BY created_at, id",
        )
        .bind(id.0)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|row| {
            Ok(PaymentRecord {
                kind: row.try_get("kind")?,
                status: row.try_get("status")?,
                amount_cents: row.try_get("amount_cents")?,
                reference: row.try_get("reference")?,
                detail: row.try_get("detail")?,
                at: from_micros(row.try_get("created_at")?),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let mut refunded: HashMap<Uuid, Vec<TicketId>> = HashMap::new();
        for row in sqlx::query(
            "SELECT id, refund_id FROM tickets WHERE order_id = $1 AND refund_id IS NOT NULL ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(self.reader())
        .await?
        {
            refunded
                .entry(row.try_get("refund_id")?)
                .or_default()
                .push(TicketId(row.try_get("id")?));
        }
        let ticket_refunds = sqlx::query(
            "SELECT id, status, amount_cents, created_at FROM ticket_refunds WHERE order_id = $1 ORDER BY created_at, id",
        )
        .bind(id.0)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|row| {
            let refund: Uuid = row.try_get("id")?;
            Ok(TicketRefund {
                id: refund,
                status: row.try_get("status")?,
                amount_cents: row.try_get("amount_cents")?,
                ticket_ids: refunded.remove(&refund).unwrap_or_default(),
                created_at: from_micros(row.try_get("created_at")?),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let transfers = sqlx::query(
            "SELECT tr.id, tr.ticket_id, tr.to_email, tr.status, tr.created_at, tr.decided_at FROM transfers tr \
             JOIN tickets t ON t.id = tr.ticket_id WHERE t.order_id = $1 ORDER BY tr.created_at, tr.id",
        )
        .bind(id.0)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|row| {
            Ok(TransferRecord {
                id: row.try_get("id")?,
                ticket_id: TicketId(row.try_get("ticket_id")?),
                to_email: row.try_get("to_email")?,
                status: row.try_get("status")?,
                created_at: from_micros(row.try_get("created_at")?),
                decided_at: row.try_get::<Option<i64>, _>("decided_at")?.map(from_micros),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let resale = sqlx::query(
            "SELECT id, ticket_id, price_cents, status, created_at FROM resale_listings \
             WHERE source_order_id = $1 ORDER BY created_at, id",
        )
        .bind(id.0)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|row| {
            Ok(ResaleRecord {
                id: row.try_get("id")?,
                ticket_id: TicketId(row.try_get("ticket_id")?),
                price_cents: row.try_get("price_cents")?,
                status: row.try_get("status")?,
                created_at: from_micros(row.try_get("created_at")?),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let checkins = sqlx::query(
            "SELECT c.ticket_id, c.gate, c.result, c.scanned_at FROM checkins c \
             JOIN tickets t ON t.id = c.ticket_id WHERE t.order_id = $1 ORDER BY c.scanned_at, c.id",
        )
        .bind(id.0)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|row| {
            Ok(CheckinRecord {
                ticket_id: TicketId(row.try_get("ticket_id")?),
                gate: row.try_get("gate")?,
                result: row.try_get("result")?,
                scanned_at: from_micros(row.try_get("scanned_at")?),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(Some(OrderDetail {
            order,
            buyer: buyer_from_row(&buyer)?,
            payments,
            ticket_refunds,
            transfers,
            resale,
            checkins,
            audit: Vec::new(),
        }))
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn request_ticket_refund(
        &self,
        order: OrderId,
        tickets: &[TicketId],
        now: OffsetDateTime,
    ) -> StoreResult<RequestedRefund> {
        let at = to_micros(now);
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let row = sqlx::query(AssertSqlSafe(format!(
                "SELECT status, next_settle_at, payment_reference FROM orders WHERE id = $1{}",
                ThisBackend::LOCK_ROW
            )))
            .bind(order.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            // A paid order whose whole refund is not under way (`next_settle_at` marks it).
            let paid = row.try_get::<String, _>("status")? == OrderStatus::Paid.as_str();
            if !paid || row.try_get::<Option<i64>, _>("next_settle_at")?.is_some() {
                return Err(StoreError::Refused(Refusal::OrderNotRefundable));
            }
            let mut amount = 0i64;
            for (index, ticket) in tickets.iter().enumerate() {
                let found = sqlx::query(AssertSqlSafe(format!(
                    "SELECT status, refund_id, face_value_cents FROM tickets WHERE id = $1 AND order_id = $2{}",
                    ThisBackend::LOCK_ROW
                )))
                .bind(ticket.0)
                .bind(order.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::Refused(Refusal::TicketNotInOrder { index }))?;
                if found.try_get::<String, _>("status")? == "cancelled"
                    || found.try_get::<Option<Uuid>, _>("refund_id")?.is_some()
                {
                    return Err(StoreError::Refused(Refusal::TicketAlreadyRefunded {
                        ticket: *ticket,
                    }));
                }
                amount += found.try_get::<i64, _>("face_value_cents")?;
            }
            let id = Uuid::now_v7();
            sqlx::query(
                "INSERT INTO ticket_refunds (id, order_id, amount_cents, status, created_at) \
                 VALUES ($1, $2, $3, 'requested', $4)",
            )
            .bind(id)
            .bind(order.0)
            .bind(amount)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            for ticket in tickets {
                sqlx::query("UPDATE tickets SET refund_id = $1 WHERE id = $2")
                    .bind(id)
                    .bind(ticket.0)
                    .execute(&mut *tx)
                    .await?;
            }
            Ok::<_, StoreError>(RequestedRefund {
                id,
                order_id: order,
                amount_cents: amount,
                payment_reference: row.try_get("payment_reference")?,
            })
        }
        .await;
        finish(tx, outcome).await
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn complete_ticket_refund(
        &self,
        refund: Uuid,
        reference: &str,
        now: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Order> {
        let at = to_micros(now);
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let claimed = sqlx::query("SELECT order_id FROM ticket_refunds WHERE id = $1")
                .bind(refund)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let order: Uuid = claimed.try_get("order_id")?;
            let row = sqlx::query(AssertSqlSafe(format!(
                "SELECT status, session_id, user_id, currency FROM orders WHERE id = $1{}",
                ThisBackend::LOCK_ROW
            )))
            .bind(order)
            .fetch_one(&mut *tx)
            .await?;
            // Read again under the order's lock: the refund is recorded once.
            let claimed = sqlx::query(
                "SELECT status, amount_cents FROM ticket_refunds WHERE id = $1",
            )
            .bind(refund)
            .fetch_one(&mut *tx)
            .await?;
            if claimed.try_get::<String, _>("status")? != "requested" {
                return Ok(order);
            }
            let amount: i64 = claimed.try_get("amount_cents")?;
            let ticket_ids: Vec<String> =
                sqlx::query("SELECT id FROM tickets WHERE refund_id = $1 ORDER BY id")
                    .bind(refund)
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|t| t.try_get::<Uuid, _>("id").map(|id| id.to_string()))
                    .collect::<Result<_, _>>()?;
            let session: Uuid = row.try_get("session_id")?;
            cancel_tickets(&mut tx, order, session, Some(refund), at).await?;
            sqlx::query(
                "INSERT INTO payments (id, order_id, kind, status, reference, amount_cents, currency, created_at) \
                 VALUES ($1, $2, 'refund', 'succeeded', $3, $4, $5, $6)",
            )
            .bind(Uuid::now_v7())
            .bind(order)
            .bind(reference)
            .bind(amount)
            .bind(row.try_get::<String, _>("currency")?)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE ticket_refunds SET status = 'succeeded', reference = $1, refunded_at = $2 WHERE id = $3",
            )
            .bind(reference)
            .bind(at)
            .bind(refund)
            .execute(&mut *tx)
            .await?;
            // The last ticket refunded refunds the order (what its products were is kept).
            let left = sqlx::query(
                "SELECT 1 FROM tickets WHERE order_id = $1 AND status <> 'cancelled' LIMIT 1",
            )
            .bind(order)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
            let status = if left {
                OrderStatus::Paid
            } else {
                OrderStatus::Refunded
            };
            sqlx::query(
                "UPDATE orders SET status = $1, refunded_cents = refunded_cents + $2, updated_at = $3 WHERE id = $4",
            )
            .bind(status.as_str())
            .bind(amount)
            .bind(at)
            .bind(order)
            .execute(&mut *tx)
            .await?;
            let email: String = sqlx::query("SELECT email FROM users WHERE id = $1")
                .bind(row.try_get::<Uuid, _>("user_id")?)
                .fetch_one(&mut *tx)
                .await?
                .try_get("email")?;
            enqueue(
                &mut tx,
                "tickets_refunded",
                format!("tickets_refunded:{refund}"),
                serde_json::json!({ "order_id": order, "refund_id": refund, "to": email }),
                at,
            )
            .await?;
            let after = serde_json::json!({
                "status": status.as_str(),
                "ticket_ids": ticket_ids,
                "refund_reference": reference,
                "amount_cents": amount,
            });
            append_audit(
                &mut tx,
                audit,
                now,
                order_change(
                    "order.tickets_refunded",
                    OrderId(order),
                    Some(serde_json::json!({"status": "paid"})),
                    after,
                ),
            )
            .await?;
            Ok::<_, StoreError>(order)
        }
        .await;
        let order = finish(tx, outcome).await?;
        self.order_by_id(order).await?.ok_or(StoreError::NotFound)
    }

    async fn ticket_refunds_due(
        &self,
        before: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<RequestedRefund>> {
        let rows = sqlx::query(
            "SELECT r.id, r.order_id, r.amount_cents, o.payment_reference FROM ticket_refunds r \
             JOIN orders o ON o.id = r.order_id WHERE r.status = 'requested' AND r.created_at < $1 \
             ORDER BY r.created_at LIMIT $2",
        )
        .bind(to_micros(before))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(refunded_row)
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn queue_tickets_mail(
        &self,
        order: OrderId,
        dedupe_key: String,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let email: String = sqlx::query(
                "SELECT u.email FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = $1",
            )
            .bind(order.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_get("email")?;
            enqueue(
                &mut tx,
                "order_paid",
                dedupe_key,
                serde_json::json!({ "order_id": order, "to": email }),
                to_micros(now),
            )
            .await?;
            Ok::<_, StoreError>(())
        }
        .await;
        finish(tx, outcome).await
    }
}
