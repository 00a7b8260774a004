//! Settlement and refunds, shared by both backends (compiled once inside each backend module):
//! a payment's outcome applied to its order exactly once, in one short transaction.

use super::holds::{HoldRow, claim_for_sale, hold_from_row, must_retry, release_in, sell_pooled};
use super::orders::{notify_buyer, order_change, products_of, record_answer};
use super::resale::{refundable_cents, release_reservation, sell_listing};
use super::shared::{Ending, OnTx, append_audit, corrupt, end, finish};
use super::slices::{PoolSlices, UNSELL_PLACES, restock, take_from_slices, take_stock};
use super::{ThisBackend, Tx};
use crate::Refusal;
use crate::dialect::Dialect;
use crate::steps::{Arg, Columns, Raw, Steps, placeholders, run_ready};
use crate::{
    OrderToSettle, PaymentOutcome, Pool, Settled, SettlementStore, StoreError, StoreResult,
    TicketDraft, is_unique_violation,
};
use async_trait::async_trait;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::clock::{from_micros, to_micros};
use bilheteria_domain::ids::{AuditEntryId, OrderId, OutboxId, UserId};
use bilheteria_domain::pix::{PIX_EXPIRED_CODE, PixCharge};
use bilheteria_domain::sales::{Order, OrderFailure, OrderStatus, place_price_cents};
use bilheteria_domain::tickets::{Ticket, TicketStatus};
use sqlx::{AssertSqlSafe, Row};
use time::OffsetDateTime;
use uuid::Uuid;

#[async_trait]
impl SettlementStore for ThisBackend {
    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn settle_order(
        &self,
        draft: &OrderToSettle,
        outcome: PaymentOutcome,
        now: OffsetDateTime,
    ) -> StoreResult<Settled> {
        let at = to_micros(now);
        let applied = match self.one_handoff() {
            // On SQLite, in one hand-off to the writer. An order bought from a resale listing
            // goes statement by statement: its resale steps are written against sqlx.
            Some(writer) if draft.listing.is_none() => writer
                .write(
                    |db| match run_ready(apply_outcome(&mut Raw(db), draft, outcome, at)) {
                        Ok(Ending::Commit(applied)) => Ok(applied),
                        Ok(Ending::Rollback(applied)) => Err(Unwound::RolledBack(applied)),
                        Err(error) => Err(Unwound::Failed(error)),
                    },
                )
                .await
                .or_else(Unwound::into_outcome)?,
            _ => {
                // A deadlock or serialization failure aborted the whole transaction: applying
                // the outcome again is safe (the state machine allows one move).
                let mut attempt = 0;
                loop {
                    let mut tx = self.begin_write().await?;
                    let applied =
                        apply_outcome(&mut OnTx(&mut tx), draft, outcome.clone(), at).await;
                    match end(tx, applied).await {
                        Err(error) if must_retry(&error) && attempt < 3 => attempt += 1,
                        other => break other?,
                    }
                }
            }
        };
        match applied {
            Applied::Settled(order) => Ok(Settled::Done(*order)),
            Applied::AlreadySettled => Ok(Settled::AlreadySettled(self.settled(draft).await?)),
            Applied::PlacesLost { code, reference } => {
                self.fail_paid_order(draft, code, &reference, at).await
            }
        }
    }

    async fn record_failed_order_refund(
        &self,
        id: OrderId,
        reference: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let row = sqlx::query(
                "SELECT total_cents, currency, failure_code, user_id FROM orders WHERE id = $1 AND status = 'failed'",
            )
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            insert_refund(
                &mut tx,
                id.0,
                reference,
                row.try_get("total_cents")?,
                row.try_get("currency")?,
                to_micros(now),
            )
            .await?;
            sqlx::query("UPDATE orders SET next_settle_at = NULL WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            let failure: Option<String> = row.try_get("failure_code")?;
            if failure.as_deref() == Some(OrderFailure::EventCancelled.as_str()) {
                // A payment that came after its event was cancelled: given back, and said so.
                notify_buyer(&mut tx, "event_cancelled", id, row.try_get("user_id")?, to_micros(now))
                    .await?;
            }
            Ok::<_, StoreError>(())
        }
        .await;
        finish(tx, outcome).await
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn refund_order(
        &self,
        id: OrderId,
        reference: &str,
        now: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<bilheteria_domain::sales::Order> {
        let at = to_micros(now);
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let row = sqlx::query(AssertSqlSafe(format!(
                "SELECT status, session_id, user_id, hold_id, total_cents, refunded_cents, currency, \
                 (SELECT e.cancelled_at FROM events e WHERE e.id = orders.event_id) AS event_cancelled_at \
                 FROM orders WHERE id = $1{}",
                ThisBackend::LOCK_ROW
            )))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let refundable = OrderStatus::parse(&row.try_get::<String, _>("status")?)
                .is_some_and(|status| status.can_become(OrderStatus::Refunded));
            if !refundable {
                return Err(StoreError::Refused(Refusal::OrderNotRefundable));
            }
            let session: Uuid = row.try_get("session_id")?;
            cancel_tickets(&mut tx, id.0, session, None, at).await?;
            restock(&mut tx, id.0).await?;
            let total: i64 = row.try_get("total_cents")?;
            // Less what refunds of some of its tickets gave back before.
            let amount = refundable_cents(&mut tx, id.0, total).await? - row.try_get::<i64, _>("refunded_cents")?;
            insert_refund(
                &mut tx,
                id.0,
                reference,
                amount,
                row.try_get("currency")?,
                at,
            )
            .await?;
            sqlx::query("UPDATE orders SET status = 'refunded', next_settle_at = NULL, refunded_cents = refunded_cents + $3, updated_at = $1 WHERE id = $2")
                .bind(at)
                .bind(id.0)
                .bind(amount)
                .execute(&mut *tx)
                .await?;
            // The buyer of a cancelled event is told why the money comes back.
            let mail = if row.try_get::<Option<i64>, _>("event_cancelled_at")?.is_some() {
                "event_cancelled"
            } else {
                "order_refunded"
            };
            notify_buyer(&mut tx, mail, id, row.try_get("user_id")?, at).await?;
            let after = serde_json::json!({"status": "refunded", "refund_reference": reference, "amount_cents": amount});
            let before = serde_json::json!({"status": "paid"});
            append_audit(
                &mut tx,
                audit,
                now,
                order_change("order.refunded", id, Some(before), after),
            )
            .await?;
            Ok::<_, StoreError>(())
        }
        .await;
        finish(tx, outcome).await?;
        self.order_by_id(id.0).await?.ok_or(StoreError::NotFound)
    }

    async fn request_refund(&self, id: OrderId, retry_at: OffsetDateTime) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            // The order's row first: a refund of some of its tickets takes it too, so either
            // that one is seen under way here, or it sees this one asked for.
            sqlx::query(AssertSqlSafe(format!(
                "SELECT status FROM orders WHERE id = $1{}",
                ThisBackend::LOCK_ROW
            )))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let under_way = sqlx::query(
                "SELECT 1 FROM ticket_refunds WHERE order_id = $1 AND status = 'requested' LIMIT 1",
            )
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            if under_way.is_some() {
                return Ok(0);
            }
            let marked = sqlx::query(
                "UPDATE orders SET next_settle_at = $1 WHERE id = $2 AND status = 'paid'",
            )
            .bind(to_micros(retry_at))
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            Ok::<_, StoreError>(marked)
        }
        .await;
        let marked = finish(tx, outcome).await?;
        if marked == 1 {
            Ok(())
        } else {
            Err(StoreError::Refused(Refusal::OrderNotRefundable))
        }
    }
}

/// What applying a payment's outcome came to, inside its transaction.
enum Applied {
    /// The order moved to its new state (built in memory, as it will read once committed).
    Settled(Box<Order>),
    /// Another settlement came first: the state machine allows no move from where it is.
    AlreadySettled,
    /// Paid, but a seat, a standing place or a product could not be kept: what was written is
    /// undone, and the charge must be given back (`code` says why).
    PlacesLost {
        code: &'static str,
        reference: String,
    },
}

/// The order and the hold it sells, both locked, in one read (the hold's columns keep their
/// names for `hold_from_row`).
async fn lock_order_and_hold<S: Steps>(tx: &mut S, order: Uuid) -> StoreResult<S::Row> {
    let sql = format!(
        "SELECT o.status AS order_status, o.idempotency_key, h.id, h.user_id, h.session_id, h.section_id, h.kind, h.quantity, h.status, \
         h.expires_at, h.open_units, h.reserve_units, h.half_quantity, h.eligibility \
         FROM orders o JOIN holds h ON h.id = o.hold_id WHERE o.id = $1{}",
        ThisBackend::LOCK_ROW
    );
    tx.fetch_optional(&sql, &[Arg::Uuid(order)])
        .await?
        .ok_or(StoreError::NotFound)
}

/// Applies `outcome` to the order inside `tx`, recording the order's new status as the answer
/// to its idempotency key (unless one was recorded before).
async fn apply_outcome(
    tx: &mut impl Settling,
    draft: &OrderToSettle,
    outcome: PaymentOutcome,
    at: i64,
) -> StoreResult<Ending<Applied>> {
    // A payment is refused for an event cancelled under it (and the charge given back). The
    // event is read before the order is locked, as its cancellation locks them (see
    // `cancel_event`).
    let event_cancelled = match &outcome {
        PaymentOutcome::Paid { .. } => event_cancelled(tx, draft.order.event_id.0).await?,
        _ => false,
    };
    let row = lock_order_and_hold(tx, draft.order.id.0).await?;
    let status = OrderStatus::parse(&row.text("order_status")?)
        .ok_or_else(|| StoreError::database("stored order status unreadable"))?;
    if !status.can_become(outcome.status()) {
        // Commit, not roll back: what it read may be another write of the same SQLite batch,
        // and the read that follows sees it only once that batch is durable.
        return Ok(Ending::Commit(Applied::AlreadySettled));
    }
    let buyer = draft.order.user_id;
    let key = row.text("idempotency_key")?;
    let mut settled = Order {
        updated_at: from_micros(at),
        ..draft.order.clone()
    };
    match outcome {
        PaymentOutcome::Unknown { retry_at } => {
            tx.execute(
                "UPDATE orders SET status = 'payment_pending', settle_attempts = settle_attempts + 1, \
                 next_settle_at = $1, updated_at = $2 WHERE id = $3",
                &[
                    Arg::Int(to_micros(retry_at)),
                    Arg::Int(at),
                    Arg::Uuid(settled.id.0),
                ],
            )
            .await?;
            settled.status = OrderStatus::PaymentPending;
        }
        PaymentOutcome::PixPending {
            reference,
            copy_paste,
        } => {
            // Looked at again when the Pix expires (a webhook settles it earlier when paid).
            let expires_at = draft
                .pix_expires_at
                .ok_or_else(|| StoreError::database("a Pix charge for an order without Pix"))?;
            tx.execute(
                "UPDATE orders SET status = 'payment_pending', payment_reference = $1, pix_copy_paste = $2, \
                 next_settle_at = $3, updated_at = $4 WHERE id = $5",
                &[
                    Arg::Text(&reference),
                    Arg::Text(&copy_paste),
                    Arg::Int(to_micros(expires_at)),
                    Arg::Int(at),
                    Arg::Uuid(settled.id.0),
                ],
            )
            .await?;
            settled.status = OrderStatus::PaymentPending;
            settled.payment_reference = Some(reference);
            settled.pix = Some(PixCharge {
                copy_paste,
                expires_at,
            });
        }
        PaymentOutcome::Declined { code, reference } => {
            record_charge(
                tx,
                &settled,
                "declined",
                reference.as_deref(),
                Some(&code),
                at,
            )
            .await?;
            tx.execute(
                "UPDATE orders SET status = 'failed', failure_code = $1, payment_reference = $2, next_settle_at = NULL, \
                 updated_at = $3 WHERE id = $4",
                &[
                    Arg::Text(&code),
                    Arg::OptText(reference.as_deref()),
                    Arg::Int(at),
                    Arg::Uuid(settled.id.0),
                ],
            )
            .await?;
            if draft.listing.is_some() {
                release_reservation(tx.resale()?, settled.id.0, at).await?;
            } else if code == PIX_EXPIRED_CODE {
                // A declined card leaves the hold to the buyer until it lapses; an expired Pix
                // gives its places back at once.
                let hold = hold_from_row(&row)?;
                if hold.status == "active" {
                    release_in(tx, &[hold], "expired").await?;
                }
            }
            settled.status = OrderStatus::Failed;
            settled.failure_code = Some(code);
            settled.payment_reference = reference;
        }
        PaymentOutcome::Paid { reference, .. } if event_cancelled => {
            return Ok(Ending::Rollback(Applied::PlacesLost {
                code: OrderFailure::EventCancelled.as_str(),
                reference,
            }));
        }
        PaymentOutcome::Paid { reference, tickets } => {
            // Worked out once: written with the tickets and answered with them.
            let face_values = face_values(&draft.order, &tickets)?;
            let lost = match (&draft.listing, tickets.first()) {
                (Some(sale), Some(ticket)) => {
                    let lost = sell_listing(tx.resale()?, &draft.order, sale, ticket, at).await?;
                    if lost.is_none() {
                        let hold = row.uuid("id")?;
                        mark_paid(tx, &draft.order, hold, &key, &reference, 1, at).await?;
                    }
                    lost
                }
                _ => {
                    let issued = (tickets.as_slice(), face_values.as_slice());
                    sell(tx, draft, &row, &key, &reference, issued, at).await?
                }
            };
            if let Some(code) = lost {
                return Ok(Ending::Rollback(Applied::PlacesLost { code, reference }));
            }
            settled.status = OrderStatus::Paid;
            settled.payment_reference = Some(reference);
            settled.tickets = issued_tickets(&draft.order, buyer, &tickets, &face_values);
            // `MARK_PAID` recorded the key's answer with the rest.
            return Ok(Ending::Commit(Applied::Settled(Box::new(settled))));
        }
    }
    record_answer(tx, buyer.0, &key, settled.status).await?;
    Ok(Ending::Commit(Applied::Settled(Box::new(settled))))
}

/// Whether the event is cancelled, read `FOR KEY SHARE` (a cancellation waits for the
/// transaction, or the transaction for the cancellation).
async fn event_cancelled(tx: &mut impl Steps, event: Uuid) -> StoreResult<bool> {
    let sql = format!(
        "SELECT cancelled_at FROM events WHERE id = $1{}",
        ThisBackend::LOCK_KEY_SHARE
    );
    let row = tx.fetch_one(&sql, &[Arg::Uuid(event)]).await?;
    Ok(row.opt_int("cancelled_at")?.is_some())
}

/// Sells what the paid order's hold kept and issues its tickets; the code of what could not be
/// kept, if anything (the caller then rolls it all back).
async fn sell(
    tx: &mut impl Steps,
    draft: &OrderToSettle,
    row: &impl Columns,
    key: &str,
    reference: &str,
    (tickets, face_values): (&[TicketDraft], &[i64]),
    at: i64,
) -> StoreResult<Option<&'static str>> {
    let order = &draft.order;
    let (id, buyer) = (order.id, order.user_id.0);
    let hold = hold_from_row(row)?;
    let products = products_of(order)?;
    // Seats are claimed before their tickets are written (a lost seat must fail the order, not
    // the unique index). The rows many orders update (a product's stock, then a standing
    // section's places, each in slices) come last, with nothing read in between, so that their
    // locks are held only until the commit.
    if hold.seated
        && let Some(lost) = claim_for_sale(tx, &hold, at).await?
    {
        return Ok(Some(lost));
    }
    insert_tickets(tx, order, &hold, buyer, (tickets, face_values), at).await?;
    mark_paid(tx, order, hold.id, key, reference, tickets.len(), at).await?;
    if let Some(lost) = take_stock(tx, id.0, &products).await? {
        return Ok(Some(lost));
    }
    if !hold.seated
        && let Some(lost) = claim_for_sale(tx, &hold, at).await?
    {
        return Ok(Some(lost));
    }
    // Standing places and the session's pools are drawn on by many orders: they are held the
    // shortest, the pools (every buyer of the session) last.
    sell_pooled(tx, &hold).await
}

/// Records the order paid, its charge, its mail, its key's answer and its audit entry, in one
/// statement.
async fn mark_paid(
    tx: &mut impl Steps,
    order: &Order,
    hold: Uuid,
    key: &str,
    reference: &str,
    tickets: usize,
    at: i64,
) -> StoreResult<()> {
    let (id, buyer) = (order.id, order.user_id.0);
    let (total, currency) = (order.total_cents, order.currency.as_str());
    let summary = serde_json::json!({ "status": "paid", "total_cents": total, "currency": currency,
        "payment_reference": reference, "tickets": tickets });
    // The `order.paid` audit entry is queued, not chained here: the audit head would be one
    // more row that every paid order locks until its commit.
    let (dedupe_key, order_id, summary) = (
        format!("order_paid:{id}"),
        id.to_string(),
        summary.to_string(),
    );
    tx.execute(
        ThisBackend::MARK_PAID,
        &[
            Arg::Uuid(hold),
            Arg::Text(reference),
            Arg::Int(at),
            Arg::Uuid(id.0),
            Arg::Uuid(Uuid::now_v7()),
            Arg::Int(total),
            Arg::Text(currency),
            Arg::Uuid(OutboxId::new().0),
            Arg::Text(&dedupe_key),
            Arg::Uuid(buyer),
            Arg::Text(key),
            Arg::Text(&order_id),
            Arg::Uuid(AuditEntryId::new().0),
            Arg::Text(&summary),
        ],
    )
    .await?;
    Ok(())
}

/// Records the order's charge as the provider reported it.
async fn record_charge(
    tx: &mut impl Steps,
    order: &Order,
    status: &str,
    reference: Option<&str>,
    detail: Option<&str>,
    at: i64,
) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO payments (id, order_id, kind, status, reference, amount_cents, currency, detail, created_at) \
         VALUES ($1, $2, 'charge', $3, $4, $5, $6, $7, $8)",
        &[
            Arg::Uuid(Uuid::now_v7()),
            Arg::Uuid(order.id.0),
            Arg::Text(status),
            Arg::OptText(reference),
            Arg::Int(order.total_cents),
            Arg::Text(order.currency.as_str()),
            Arg::OptText(detail),
            Arg::Int(at),
        ],
    )
    .await?;
    Ok(())
}

impl ThisBackend {
    /// The order as another settlement left it.
    async fn settled(&self, draft: &OrderToSettle) -> StoreResult<Order> {
        self.order_by_id(draft.order.id.0)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Fails a paid order whose places were lost and records the charge to give back, unless
    /// another settlement came first.
    async fn fail_paid_order(
        &self,
        draft: &OrderToSettle,
        code: &'static str,
        reference: &str,
        at: i64,
    ) -> StoreResult<Settled> {
        let order = &draft.order;
        let mut tx = self.begin_write().await?;
        let failed = async {
            let still_open = sqlx::query(AssertSqlSafe(format!(
                "SELECT status FROM orders WHERE id = $1 AND status IN ('awaiting_payment', 'payment_pending'){}",
                ThisBackend::LOCK_ROW
            )))
            .bind(order.id.0)
            .fetch_optional(&mut *tx)
            .await?;
            if still_open.is_none() {
                return Ok(false);
            }
            record_charge(&mut OnTx(&mut tx), order, "succeeded", Some(reference), None, at)
                .await?;
            if draft.listing.is_some() {
                release_reservation(&mut tx, order.id.0, at).await?;
            }
            sqlx::query(
                "UPDATE orders SET status = 'failed', failure_code = $1, payment_reference = $2, \
                 next_settle_at = $3, updated_at = $3 WHERE id = $4",
            )
            .bind(code)
            .bind(reference)
            .bind(at)
            .bind(order.id.0)
            .execute(&mut *tx)
            .await?;
            Ok(true)
        }
        .await;
        // Committed either way, not rolled back: see `apply_outcome`.
        let failed = finish(tx, failed).await?;
        let order = self.settled(draft).await?;
        Ok(if failed {
            Settled::MustRefund { order, code }
        } else {
            Settled::AlreadySettled(order)
        })
    }
}

/// New tickets' face values, in their order: what their order's line for each one's place and
/// type charged.
fn face_values(order: &Order, drafts: &[TicketDraft]) -> StoreResult<Vec<i64>> {
    drafts
        .iter()
        .map(|draft| {
            let unit = &draft.unit;
            place_price_cents(
                &order.items,
                (unit.seat_id, unit.section_id),
                unit.ticket_type,
            )
            .ok_or_else(|| StoreError::database("a ticket without its order line"))
        })
        .collect()
}

/// The tickets of a paid order as `insert_tickets` writes them, in the order a read of the
/// order lists them (seat order, then issue order).
fn issued_tickets(
    order: &Order,
    holder: UserId,
    drafts: &[TicketDraft],
    face_values: &[i64],
) -> Vec<Ticket> {
    let mut tickets: Vec<Ticket> = drafts
        .iter()
        .zip(face_values)
        .map(|(draft, &face_value_cents)| Ticket {
            id: draft.id,
            order_id: order.id,
            session_id: order.session_id,
            event_id: order.event_id,
            seat: draft.unit.seat.clone(),
            seat_id: draft.unit.seat_id,
            section_id: draft.unit.section_id,
            holder_id: holder,
            status: TicketStatus::Valid,
            version: draft.version,
            code: Some(draft.code.clone()),
            ticket_type: draft.unit.ticket_type,
            eligibility: draft.unit.eligibility,
            face_value_cents,
        })
        .collect();
    if tickets.iter().all(|ticket| ticket.seat_id.is_none()) {
        tickets.sort_by_key(|ticket| ticket.id.0);
    }
    tickets
}

async fn insert_refund(
    tx: &mut Tx,
    order: Uuid,
    reference: &str,
    amount: i64,
    currency: String,
    at: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO payments (id, order_id, kind, status, reference, amount_cents, currency, created_at) \
         VALUES ($1, $2, 'refund', 'succeeded', $3, $4, $5, $6)",
    )
    .bind(Uuid::now_v7())
    .bind(order)
    .bind(reference)
    .bind(amount)
    .bind(currency)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_tickets(
    tx: &mut impl Steps,
    order: &Order,
    hold: &HoldRow,
    holder: Uuid,
    (tickets, face_values): (&[TicketDraft], &[i64]),
    at: i64,
) -> StoreResult<()> {
    if tickets.len() as i64 != hold.quantity {
        return Err(StoreError::database(format!(
            "{} tickets drafted for a hold of {}",
            tickets.len(),
            hold.quantity
        )));
    }
    const COLUMNS: usize = 16;
    let rows = (0..tickets.len())
        .map(|row| format!("({})", placeholders(row * COLUMNS + 1, COLUMNS)))
        .collect::<Vec<_>>()
        .join(", ");
    let insert = format!(
        "INSERT INTO tickets (id, order_id, session_id, event_id, section_id, seat_id, holder_id, status, version, \
         code, created_at, updated_at, ticket_type, eligibility, pool, face_value_cents) VALUES {rows}"
    );
    let args: Vec<Arg> = tickets
        .iter()
        .zip(face_values.iter().copied())
        .flat_map(|(ticket, face_value)| {
            let unit = &ticket.unit;
            [
                Arg::Uuid(ticket.id.0),
                Arg::Uuid(order.id.0),
                Arg::Uuid(hold.session_id),
                Arg::Uuid(order.event_id.0),
                Arg::Uuid(unit.section_id.0),
                Arg::OptUuid(unit.seat_id.map(|s| s.0)),
                Arg::Uuid(holder),
                Arg::Text("valid"),
                Arg::Int(ticket.version),
                Arg::Text(&ticket.code),
                Arg::Int(at),
                Arg::Int(at),
                Arg::Text(unit.ticket_type.as_str()),
                Arg::OptText(unit.eligibility.map(|e| e.as_str())),
                Arg::OptText(unit.pool.map(Pool::as_str)),
                Arg::Int(face_value),
            ]
        })
        .collect();
    match tx.execute(&insert, &args).await {
        Err(error) if is_unique_violation(&error) => Err(StoreError::database(
            "a seat would have been sold twice; the sale was refused",
        )),
        other => other.map(|_| ()).map_err(StoreError::from),
    }
}

/// A settlement's transaction: its statements, and, for an order bought from a resale listing
/// (whose steps are written against sqlx), the sqlx transaction itself, which a hand-off to
/// SQLite's writer does not have (`settle_order` settles those statement by statement).
trait Settling: Steps {
    fn resale(&mut self) -> StoreResult<&mut Tx>;
}

impl Settling for OnTx<'_> {
    fn resale(&mut self) -> StoreResult<&mut Tx> {
        Ok(self.0)
    }
}

impl Settling for Raw<'_> {
    fn resale(&mut self) -> StoreResult<&mut Tx> {
        Err(StoreError::database(
            "a resale order was settled in one hand-off",
        ))
    }
}

/// How a settlement run in one hand-off ended without committing: rolled back by its own
/// decision (its places were lost), or failed.
enum Unwound {
    RolledBack(Applied),
    Failed(StoreError),
}

impl From<sqlx::Error> for Unwound {
    fn from(error: sqlx::Error) -> Self {
        Unwound::Failed(error.into())
    }
}

impl Unwound {
    fn into_outcome(self) -> StoreResult<Applied> {
        match self {
            Unwound::RolledBack(applied) => Ok(applied),
            Unwound::Failed(error) => Err(error),
        }
    }
}

/// Cancels an order's tickets that are not cancelled yet (with `refund`, only those that
/// refund claimed), giving their places back: seats, standing places and pools, and each
/// holder's unit of the cap; their open listings and pending offers end with them. The new
/// version revokes their codes.
pub(super) async fn cancel_tickets(
    tx: &mut Tx,
    order: Uuid,
    session: Uuid,
    refund: Option<Uuid>,
    at: i64,
) -> StoreResult<()> {
    // `$2` is the refund; NULL (every ticket) compares with nothing, hence the two spellings.
    let which = if refund.is_some() {
        "order_id = $1 AND refund_id = $2 AND status <> 'cancelled'"
    } else {
        "order_id = $1 AND $2 IS NULL AND status <> 'cancelled'"
    };
    let tickets = sqlx::query(AssertSqlSafe(format!(
        "SELECT id, seat_id, section_id, holder_id, pool FROM tickets WHERE {which}"
    )))
    .bind(order)
    .bind(refund)
    .fetch_all(&mut **tx)
    .await?;
    let mut standing: std::collections::BTreeMap<Uuid, i64> = std::collections::BTreeMap::new();
    let (mut open, mut reserve) = (0, 0);
    for ticket in &tickets {
        match ticket
            .try_get::<Option<String>, _>("pool")?
            .and_then(|raw| Pool::parse(&raw))
        {
            Some(Pool::Open) => open += 1,
            Some(Pool::Reserve) => reserve += 1,
            None => {}
        }
        match ticket.try_get::<Option<Uuid>, _>("seat_id")? {
            Some(seat) => {
                sqlx::query(
                    "UPDATE session_seats SET status = 'available', hold_id = NULL, held_until = NULL \
                     WHERE session_id = $1 AND seat_id = $2 AND status = 'sold'",
                )
                .bind(session)
                .bind(seat)
                .execute(&mut **tx)
                .await?;
            }
            None => *standing.entry(ticket.try_get("section_id")?).or_default() += 1,
        }
        sqlx::query(
            "UPDATE allocations SET tickets = tickets - 1 WHERE user_id = $1 AND session_id = $2",
        )
        .bind(ticket.try_get::<Uuid, _>("holder_id")?)
        .bind(session)
        .execute(&mut **tx)
        .await?;
        let id: Uuid = ticket.try_get("id")?;
        // A cancelled ticket's offers and listings end with it.
        sqlx::query(
            "UPDATE resale_listings SET status = 'cancelled', closed_at = $1 WHERE status = 'listed' AND ticket_id = $2",
        )
        .bind(at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "UPDATE transfers SET status = 'cancelled', decided_at = $1 WHERE status = 'pending' AND ticket_id = $2",
        )
        .bind(at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "UPDATE tickets SET status = 'cancelled', version = version + 1, updated_at = $1 WHERE id = $2",
        )
        .bind(at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    for (section, quantity) in standing {
        if !take_from_slices(tx, &UNSELL_PLACES, &[session, section], quantity, order).await? {
            return Err(corrupt("standing_slices.sold").into());
        }
    }
    for (pool, units) in [(Pool::Open, open), (Pool::Reserve, reserve)] {
        if units > 0 && !take_from_slices(tx, pool.unsell(), &[session], units, order).await? {
            return Err(corrupt("pool slices sold").into());
        }
    }
    Ok(())
}
