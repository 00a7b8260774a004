//! The SQL of selling, shared by both backends like `shared.rs` (compiled once inside each
//! backend module). Every claim is a conditional update inside one short transaction; no
//! transaction is open while the payment provider is called (the caller does that between
//! `begin_order` and `settle_order`).

use super::shared::{Change, DbRow, append_audit, corrupt, finish, product_stock};
use super::{Db, ThisBackend, Tx};
use crate::dialect::Dialect;
use crate::{
    BeginOrder, NewHold, NewOrder, OrderToSettle, PaymentOutcome, SalesStore, Settled, StoreError,
    StoreResult, TicketDraft, TicketUnit, is_unique_violation,
};
use crate::{CatalogStore, Refusal};
use async_trait::async_trait;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::catalog::Currency;
use bilheteria_domain::clock::{from_micros, to_micros};
use bilheteria_domain::ids::{
    AuditEntryId, EventId, HoldId, OrderId, OutboxId, SeatId, SectionId, SessionId, TicketId,
    UserId,
};
use bilheteria_domain::inventory::{MAX_SLICES, units_per_slice};
use bilheteria_domain::page::{Page, PageRequest};
use bilheteria_domain::sales::{
    Hold, HoldRequest, ItemKind, Order, OrderItem, OrderStatus, order_total,
};
use bilheteria_domain::tickets::{SeatLabel, Ticket, TicketStatus};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// A hold as the tables keep it.
struct HoldRow {
    id: Uuid,
    user_id: Uuid,
    session_id: Uuid,
    section_id: Uuid,
    seated: bool,
    quantity: i64,
    status: String,
    expires_at: i64,
}

macro_rules! hold_columns {
    () => {
        "id, user_id, session_id, section_id, kind, quantity, status, expires_at"
    };
}

fn hold_from_row(row: &DbRow) -> Result<HoldRow, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok(HoldRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        session_id: row.try_get("session_id")?,
        section_id: row.try_get("section_id")?,
        seated: kind == "seats",
        quantity: row.try_get("quantity")?,
        status: row.try_get("status")?,
        expires_at: row.try_get("expires_at")?,
    })
}

/// Ends `holds` with `status`, giving back their seats or standing units and their share of the
/// buyers' allocations. A seat already taken over by another hold is left alone.
///
/// Lock order: inventory rows (seats, then standing places, each in key order) before allocation
/// rows (in key order), so that concurrent transactions on PostgreSQL rarely wait on each other
/// in a cycle. One exception: a new standing hold claims its section's places, rows every
/// standing buyer draws on, after the buyer's allocation, to hold those locks for one statement
/// only; the cycle it allows needs the same buyer in two transactions at once, and PostgreSQL
/// breaks it (the hold is retried, see `must_retry`).
async fn release(tx: &mut Tx, holds: &[HoldRow], status: &str) -> Result<(), sqlx::Error> {
    let mut seated: Vec<Uuid> = holds.iter().filter(|h| h.seated).map(|h| h.id).collect();
    seated.sort();
    for hold in seated {
        sqlx::query(
            "UPDATE session_seats SET status = 'available', hold_id = NULL, held_until = NULL \
             WHERE hold_id = $1 AND status = 'held'",
        )
        .bind(hold)
        .execute(&mut **tx)
        .await?;
    }
    let mut standing: std::collections::BTreeMap<(Uuid, Uuid), i64> =
        std::collections::BTreeMap::new();
    let mut allocations: std::collections::BTreeMap<(Uuid, Uuid), i64> =
        std::collections::BTreeMap::new();
    for hold in holds {
        if !hold.seated {
            *standing
                .entry((hold.session_id, hold.section_id))
                .or_default() += hold.quantity;
        }
        *allocations
            .entry((hold.user_id, hold.session_id))
            .or_default() += hold.quantity;
    }
    for ((session, section), quantity) in standing {
        let places = [session, section];
        if !take_from_slices(tx, &RELEASE_HELD_PLACES, &places, quantity, Uuid::now_v7()).await? {
            return Err(corrupt("standing_slices.held"));
        }
    }
    for ((user, session), quantity) in allocations {
        sqlx::query(
            "UPDATE allocations SET tickets = tickets - $1 WHERE user_id = $2 AND session_id = $3",
        )
        .bind(quantity)
        .bind(user)
        .bind(session)
        .execute(&mut **tx)
        .await?;
    }
    for hold in holds {
        sqlx::query("UPDATE holds SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(hold.id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Whether a failed transaction lost a race PostgreSQL resolved by aborting it (deadlock or
/// serialization failure): running it again is the cure.
fn must_retry(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::Database {
            transient: true,
            ..
        }
    )
}

/// Adds `units` to the buyer's allocation unless that would pass the cap (C1): false then, with
/// nothing changed and the transaction still usable. The table's CHECK holds the cap as well.
async fn allocate(
    tx: &mut Tx,
    user: Uuid,
    session: Uuid,
    units: i64,
    cap: i64,
) -> Result<bool, sqlx::Error> {
    if units > cap {
        return Ok(false);
    }
    let moved = sqlx::query(
        "INSERT INTO allocations (user_id, session_id, tickets, cap) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, session_id) DO UPDATE SET tickets = allocations.tickets + excluded.tickets, \
         cap = excluded.cap WHERE allocations.tickets + excluded.tickets <= excluded.cap",
    )
    .bind(user)
    .bind(session)
    .bind(units)
    .bind(cap)
    .execute(&mut **tx)
    .await?;
    Ok(moved.rows_affected() == 1)
}

fn purchase_limit_exceeded(cap: i64) -> StoreError {
    StoreError::Refused(Refusal::PurchaseLimitExceeded { cap })
}

/// Claims the listed seats for `hold` unless someone else holds or bought them. Answers the
/// seats' section, or the seats that could not be claimed (the claim is then incomplete and must
/// be rolled back).
async fn claim_seats(
    tx: &mut Tx,
    session: Uuid,
    hold: Uuid,
    seats: &[SeatId],
    until: i64,
    now: i64,
    new_status: &str,
) -> StoreResult<Result<Uuid, Vec<SeatId>>> {
    let mut update = QueryBuilder::<Db>::new("UPDATE session_seats SET status = ");
    update.push_bind(new_status.to_owned());
    update.push(", hold_id = ").push_bind(hold);
    update.push(", held_until = ").push_bind(until);
    update.push(" WHERE session_id = ").push_bind(session);
    update
        .push(" AND (status = 'available' OR (status = 'held' AND held_until <= ")
        .push_bind(now);
    update
        .push(") OR (status = 'held' AND hold_id = ")
        .push_bind(hold);
    update.push(")) AND seat_id IN (");
    let mut list = update.separated(", ");
    for seat in seats {
        list.push_bind(seat.0);
    }
    update.push(") RETURNING section_id");
    let claimed = update.build().fetch_all(&mut **tx).await?;
    if claimed.len() == seats.len()
        && let Some(row) = claimed.first()
    {
        return Ok(Ok(row.try_get("section_id")?));
    }
    let mut query =
        QueryBuilder::<Db>::new("SELECT seat_id, hold_id FROM session_seats WHERE session_id = ");
    query.push_bind(session);
    query.push(" AND seat_id IN (");
    let mut list = query.separated(", ");
    for seat in seats {
        list.push_bind(seat.0);
    }
    query.push(")");
    let rows = query.build().fetch_all(&mut **tx).await?;
    let mut ours = std::collections::HashSet::new();
    for row in &rows {
        let seat: Uuid = row.try_get("seat_id")?;
        if row.try_get::<Option<Uuid>, _>("hold_id")? == Some(hold) {
            ours.insert(seat);
        }
    }
    if rows.len() < seats.len() {
        let known: std::collections::HashSet<Uuid> = rows
            .iter()
            .map(|r| r.try_get("seat_id"))
            .collect::<Result<_, _>>()?;
        let unknown = seats
            .iter()
            .find(|s| !known.contains(&s.0))
            .copied()
            .unwrap_or_default();
        return Err(StoreError::Refused(Refusal::SeatNotOnSale {
            seat: unknown,
        }));
    }
    Ok(Err(seats
        .iter()
        .filter(|s| !ours.contains(&s.0))
        .copied()
        .collect()))
}

async fn expired_holds_where(
    tx: &mut Tx,
    sql: &str,
    binds: (Uuid, Uuid, i64),
) -> Result<Vec<HoldRow>, sqlx::Error> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {} FROM holds WHERE {sql} AND status = 'active' AND expires_at <= $3{}",
        hold_columns!(),
        ThisBackend::LOCK_ROW
    )))
    .bind(binds.0)
    .bind(binds.1)
    .bind(binds.2)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(hold_from_row).collect()
}

// ---------------------------------------------------------------------------------------------
// Reading orders and tickets

macro_rules! ticket_select {
    () => {
        "SELECT t.id, t.order_id, t.session_id, t.event_id, t.section_id, t.seat_id, t.holder_id, t.status, \
         t.version, t.code, sec.name AS section_name, st.row_label, st.number \
         FROM tickets t JOIN sections sec ON sec.id = t.section_id LEFT JOIN seats st ON st.id = t.seat_id"
    };
}

/// A seat's ticket unit from a row with `seat_id`, `section_id`, `row_label`, `number` and
/// `section_name`.
fn seat_unit_from_row(row: &DbRow) -> Result<TicketUnit, sqlx::Error> {
    Ok(TicketUnit {
        seat_id: Some(SeatId(row.try_get("seat_id")?)),
        seat: Some(SeatLabel {
            section: row.try_get("section_name")?,
            row: row.try_get("row_label")?,
            number: row.try_get("number")?,
        }),
        section_id: SectionId(row.try_get("section_id")?),
    })
}

fn ticket_from_row(row: &DbRow) -> Result<Ticket, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let seat_id: Option<Uuid> = row.try_get("seat_id")?;
    let seat = match seat_id {
        Some(_) => Some(SeatLabel {
            section: row.try_get("section_name")?,
            row: row.try_get("row_label")?,
            number: row.try_get("number")?,
        }),
        None => None,
    };
    let status = TicketStatus::parse(&status).ok_or_else(|| corrupt("tickets.status"))?;
    Ok(Ticket {
        id: TicketId(row.try_get("id")?),
        order_id: OrderId(row.try_get("order_id")?),
        session_id: SessionId(row.try_get("session_id")?),
        event_id: EventId(row.try_get("event_id")?),
        seat,
        seat_id: seat_id.map(SeatId),
        section_id: SectionId(row.try_get("section_id")?),
        holder_id: UserId(row.try_get("holder_id")?),
        // The column keeps a cancelled ticket's last code, which is revoked: nothing to show.
        code: match status {
            TicketStatus::Cancelled => None,
            _ => Some(row.try_get("code")?),
        },
        status,
        version: row.try_get("version")?,
    })
}

macro_rules! order_columns {
    () => {
        "id, user_id, session_id, event_id, hold_id, status, total_cents, currency, payment_reference, \
         failure_code, client_ip, created_at, updated_at"
    };
}

fn order_from_row(
    row: &DbRow,
    items: Vec<OrderItem>,
    tickets: Vec<Ticket>,
) -> Result<Order, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let currency: String = row.try_get("currency")?;
    Ok(Order {
        id: OrderId(row.try_get("id")?),
        user_id: UserId(row.try_get("user_id")?),
        session_id: SessionId(row.try_get("session_id")?),
        event_id: EventId(row.try_get("event_id")?),
        hold_id: HoldId(row.try_get("hold_id")?),
        status: OrderStatus::parse(&status).ok_or_else(|| corrupt("orders.status"))?,
        total_cents: row.try_get("total_cents")?,
        currency: Currency::parse(&currency).map_err(|_| corrupt("orders.currency"))?,
        items,
        tickets,
        payment_reference: row.try_get("payment_reference")?,
        failure_code: row.try_get("failure_code")?,
        client_ip: row.try_get("client_ip")?,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

/// Ends a query whose WHERE clause is open with one newest-first page keyed on `column`, a
/// time-ordered (v7) uuid: after the cursor, at most `limit + 1` rows (the extra one tells
/// `Page::from_rows` that more follow).
pub(super) fn push_newest_first(
    query: &mut QueryBuilder<Db>,
    column: &'static str,
    page: &PageRequest,
) -> StoreResult<()> {
    if let Some(before) = super::shared::parse_cursor_uuid(page)? {
        query
            .push(" AND ")
            .push(column)
            .push(" < ")
            .push_bind(before);
    }
    query
        .push(" ORDER BY ")
        .push(column)
        .push(" DESC LIMIT ")
        .push_bind(page.limit + 1);
    Ok(())
}

fn push_id_list(query: &mut QueryBuilder<Db>, ids: &[Uuid]) {
    query.push("(");
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    query.push(")");
}

impl ThisBackend {
    /// Orders with their items and tickets, three queries whatever their number.
    async fn complete_orders(&self, rows: &[DbRow]) -> Result<Vec<Order>, sqlx::Error> {
        let ids = rows
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<Vec<Uuid>, _>>()?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut items_query = QueryBuilder::<Db>::new(
            "SELECT order_id, kind, reference_id, description, quantity, unit_price_cents FROM order_items WHERE order_id IN ",
        );
        push_id_list(&mut items_query, &ids);
        items_query.push(" ORDER BY order_id, position");
        let mut items: HashMap<Uuid, Vec<OrderItem>> = HashMap::new();
        for row in items_query.build().fetch_all(self.reader()).await? {
            let kind: String = row.try_get("kind")?;
            items
                .entry(row.try_get("order_id")?)
                .or_default()
                .push(OrderItem {
                    kind: ItemKind::parse(&kind).ok_or_else(|| corrupt("order_items.kind"))?,
                    reference_id: row.try_get("reference_id")?,
                    description: row.try_get("description")?,
                    quantity: row.try_get("quantity")?,
                    unit_price_cents: row.try_get("unit_price_cents")?,
                });
        }
        let mut tickets_query =
            QueryBuilder::<Db>::new(concat!(ticket_select!(), " WHERE t.order_id IN "));
        push_id_list(&mut tickets_query, &ids);
        tickets_query.push(" ORDER BY t.order_id, sec.position, st.row_position, st.number, t.id");
        let mut tickets: HashMap<Uuid, Vec<Ticket>> = HashMap::new();
        for row in tickets_query.build().fetch_all(self.reader()).await? {
            tickets
                .entry(row.try_get("order_id")?)
                .or_default()
                .push(ticket_from_row(&row)?);
        }
        rows.iter()
            .zip(&ids)
            .map(|(row, id)| {
                order_from_row(
                    row,
                    items.remove(id).unwrap_or_default(),
                    tickets.remove(id).unwrap_or_default(),
                )
            })
            .collect()
    }

    async fn order_by_id(&self, id: Uuid) -> Result<Option<Order>, sqlx::Error> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE id = $1"
        ))
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        Ok(self.complete_orders(&rows).await?.into_iter().next())
    }

    /// The units an order's hold covers, in seat order.
    async fn hold_units(&self, hold: Uuid) -> Result<Vec<TicketUnit>, sqlx::Error> {
        let row = sqlx::query(concat!(
            "SELECT ",
            hold_columns!(),
            " FROM holds WHERE id = $1"
        ))
        .bind(hold)
        .fetch_one(self.reader())
        .await?;
        let hold = hold_from_row(&row)?;
        if !hold.seated {
            let unit = TicketUnit {
                seat_id: None,
                seat: None,
                section_id: SectionId(hold.section_id),
            };
            return Ok(vec![unit; usize::try_from(hold.quantity).unwrap_or(0)]);
        }
        let rows = sqlx::query(
            "SELECT hs.seat_id, st.section_id, st.row_label, st.number, sec.name AS section_name \
             FROM hold_seats hs JOIN seats st ON st.id = hs.seat_id JOIN sections sec ON sec.id = st.section_id \
             WHERE hs.hold_id = $1 ORDER BY st.row_position, st.number",
        )
        .bind(hold.id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(seat_unit_from_row).collect()
    }

    async fn to_settle(&self, order: Uuid) -> Result<Option<OrderToSettle>, sqlx::Error> {
        let row = sqlx::query("SELECT payment_token, hold_id FROM orders WHERE id = $1")
            .bind(order)
            .fetch_optional(self.reader())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let Some(full) = self.order_by_id(order).await? else {
            return Ok(None);
        };
        Ok(Some(OrderToSettle {
            order: full,
            payment_token: row.try_get("payment_token")?,
            units: self.hold_units(row.try_get("hold_id")?).await?,
        }))
    }
}

fn order_change(
    action: &str,
    order: OrderId,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> Change<'_> {
    Change {
        action,
        target_type: "order",
        target_id: order.to_string(),
        before: before.map(|b| b.to_string()),
        after: Some(after.to_string()),
    }
}

/// Queues a message of `kind` about an order for its buyer, once per (kind, order).
async fn notify_buyer(
    tx: &mut Tx,
    kind: &str,
    order: OrderId,
    buyer: Uuid,
    now: i64,
) -> Result<(), sqlx::Error> {
    let email: String = sqlx::query("SELECT email FROM users WHERE id = $1")
        .bind(buyer)
        .fetch_one(&mut **tx)
        .await?
        .try_get("email")?;
    let payload = serde_json::json!({ "order_id": order, "to": email });
    enqueue(tx, kind, format!("{kind}:{order}"), payload, now).await
}

async fn enqueue(
    tx: &mut Tx,
    kind: &str,
    dedupe_key: String,
    payload: serde_json::Value,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox (id, kind, dedupe_key, payload, status, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $5) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(OutboxId::new().0)
    .bind(kind)
    .bind(dedupe_key)
    .bind(payload.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Makes the hold's units sold for `order`. Returns the code of what could not be kept.
async fn claim_for_sale(
    tx: &mut Tx,
    hold: &HoldRow,
    now: i64,
) -> StoreResult<Option<&'static str>> {
    let session = hold.session_id;
    if hold.status == "active" {
        if hold.seated {
            let sold = sqlx::query(
                "UPDATE session_seats SET status = 'sold', held_until = NULL WHERE hold_id = $1 AND status = 'held'",
            )
            .bind(hold.id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            return Ok((sold != hold.quantity as u64).then_some("seats_unavailable"));
        }
        let places = [session, hold.section_id];
        if !take_from_slices(tx, &SELL_HELD_PLACES, &places, hold.quantity, hold.id).await? {
            return Err(corrupt("standing_slices.held").into());
        }
        return Ok(None);
    }
    // The hold ended before the payment settled: take the units again if they are still free
    // (inventory first, then the allocation, as everywhere).
    let lost = if hold.seated {
        let seats =
            sqlx::query("SELECT seat_id FROM hold_seats WHERE hold_id = $1 ORDER BY seat_id")
                .bind(hold.id)
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|row| row.try_get("seat_id").map(SeatId))
                .collect::<Result<Vec<_>, _>>()?;
        let claimed = claim_seats(tx, session, hold.id, &seats, now, now, "sold").await?;
        claimed.is_err().then_some("seats_unavailable")
    } else {
        let places = [session, hold.section_id];
        let claimed =
            take_from_slices(tx, &SELL_FREE_PLACES, &places, hold.quantity, hold.id).await?;
        (!claimed).then_some("sold_out")
    };
    if lost.is_some() {
        return Ok(lost);
    }
    let cap: i64 = sqlx::query("SELECT max_tickets_per_user FROM event_sessions WHERE id = $1")
        .bind(session)
        .fetch_one(&mut **tx)
        .await?
        .try_get("max_tickets_per_user")?;
    let allocated = allocate(tx, hold.user_id, session, hold.quantity, cap).await?;
    Ok((!allocated).then_some("purchase_limit_exceeded"))
}

impl ThisBackend {
    async fn create_hold_once(&self, new: &NewHold) -> StoreResult<Hold> {
        let mut tx = self.begin_write().await?;
        let held = self.claim_hold(&mut tx, new).await;
        finish(tx, held).await
    }

    /// `create_hold_once` inside its transaction, which the caller ends.
    async fn claim_hold(&self, tx: &mut Tx, new: &NewHold) -> StoreResult<Hold> {
        let id = HoldId::new();
        let session = new.session_id.0;
        let now = to_micros(new.now);
        let until = to_micros(new.expires_at);
        let units = new.request.units();
        let (section_id, seat_ids) = match &new.request {
            HoldRequest::Seats(seats) => {
                let section = claim_seats(tx, session, id.0, seats, until, now, "held")
                    .await?
                    .map_err(StoreError::SeatsUnavailable)?;
                (SectionId(section), seats.clone())
            }
            HoldRequest::Standing { section_id, .. } => {
                let kind: Option<String> = sqlx::query(
                    "SELECT sec.kind FROM session_sections ss JOIN sections sec ON sec.id = ss.section_id \
                     WHERE ss.session_id = $1 AND ss.section_id = $2",
                )
                .bind(session)
                .bind(section_id.0)
                .fetch_optional(&mut **tx)
                .await?
                .map(|row| row.try_get("kind"))
                .transpose()?;
                if kind.as_deref() != Some("standing") {
                    return Err(StoreError::Refused(Refusal::NotAStandingSection));
                }
                (*section_id, Vec::new())
            }
        };
        // Seats were locked first; the allocation row comes after, and a standing section's
        // places last of all (below).
        if !allocate(tx, new.user_id.0, session, units, new.cap).await? {
            // Lazy expiry: the buyer's own lapsed holds stop counting against the cap. They are
            // looked for only when the cap is reached; the sweeper ends them otherwise.
            let lapsed = expired_holds_where(
                tx,
                "user_id = $1 AND session_id = $2",
                (new.user_id.0, session, now),
            )
            .await?;
            release(tx, &lapsed, "expired").await?;
            if lapsed.is_empty() || !allocate(tx, new.user_id.0, session, units, new.cap).await? {
                return Err(purchase_limit_exceeded(new.cap));
            }
        }
        sqlx::query(
            "INSERT INTO holds (id, user_id, session_id, section_id, kind, quantity, status, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8)",
        )
        .bind(id.0)
        .bind(new.user_id.0)
        .bind(session)
        .bind(section_id.0)
        .bind(if seat_ids.is_empty() { "standing" } else { "seats" })
        .bind(units)
        .bind(until)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        if seat_ids.is_empty() {
            // The section's places are rows every standing buyer updates: they are claimed
            // last, so that a slice's lock is held for one statement and the commit.
            let places = [session, section_id.0];
            let mut claimed = take_from_slices(tx, &HOLD_PLACES, &places, units, id.0).await?;
            if !claimed {
                // Lapsed holds of other buyers may still occupy the section.
                let lapsed = expired_holds_where(
                    tx,
                    "session_id = $1 AND section_id = $2",
                    (session, section_id.0, now),
                )
                .await?;
                if !lapsed.is_empty() {
                    release(tx, &lapsed, "expired").await?;
                    claimed = take_from_slices(tx, &HOLD_PLACES, &places, units, id.0).await?;
                }
            }
            if !claimed {
                return Err(StoreError::Refused(Refusal::SoldOut));
            }
        } else {
            let mut insert = QueryBuilder::<Db>::new("INSERT INTO hold_seats (hold_id, seat_id) ");
            insert.push_values(&seat_ids, |mut values, seat| {
                values.push_bind(id.0).push_bind(seat.0);
            });
            insert.build().execute(&mut **tx).await?;
        }
        Ok(Hold {
            id,
            session_id: new.session_id,
            user_id: new.user_id,
            seat_ids,
            section_id,
            quantity: units,
            expires_at: from_micros(until),
        })
    }
}

impl ThisBackend {
    /// `begin_order` once its key is recorded as new: checks the hold, prices the order and
    /// writes it, awaiting payment. The caller commits, or rolls back what this refused.
    async fn start_paying(&self, tx: &mut Tx, new: NewOrder, now: i64) -> StoreResult<BeginOrder> {
        let hold = sqlx::query(AssertSqlSafe(format!(
            "SELECT {} FROM holds WHERE id = $1 AND user_id = $2{}",
            hold_columns!(),
            ThisBackend::LOCK_ROW
        )))
        .bind(new.hold_id.0)
        .bind(new.user_id.0)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::Refused(Refusal::HoldNotFound))?;
        let hold = hold_from_row(&hold)?;
        let expired = || StoreError::Refused(Refusal::HoldExpired);
        if hold.status != "active" || hold.expires_at <= now {
            return Err(expired());
        }
        // Caches in memory: a session's event never changes, and its currency not during a sale.
        let session = self
            .get_session(SessionId(hold.session_id))
            .await?
            .ok_or_else(|| StoreError::database("a hold's session is missing"))?;
        let event_id = session.event_id.0;
        let currency = session.currency.as_str().to_owned();

        let mut items = Vec::new();
        let mut units = Vec::new();
        if hold.seated {
            let rows = sqlx::query(
                "SELECT ss.seat_id, ss.hold_id, ss.status, st.section_id, st.row_label, st.number, sec.name AS section_name, \
                 c.price_cents FROM hold_seats hs \
                 JOIN session_seats ss ON ss.session_id = $2 AND ss.seat_id = hs.seat_id \
                 JOIN seats st ON st.id = hs.seat_id JOIN sections sec ON sec.id = st.section_id \
                 JOIN session_sections sse ON sse.session_id = $2 AND sse.section_id = st.section_id \
                 JOIN seat_categories c ON c.id = sse.category_id \
                 WHERE hs.hold_id = $1 ORDER BY sec.position, st.row_position, st.number",
            )
            .bind(hold.id)
            .bind(hold.session_id)
            .fetch_all(&mut **tx)
            .await?;
            for row in &rows {
                let still_ours = row.try_get::<Option<Uuid>, _>("hold_id")? == Some(hold.id)
                    && row.try_get::<String, _>("status")? == "held";
                if !still_ours {
                    return Err(expired());
                }
                let unit = seat_unit_from_row(row)?;
                let (Some(seat), Some(label)) = (unit.seat_id, &unit.seat) else {
                    return Err(StoreError::database("a held seat without its label"));
                };
                items.push(OrderItem {
                    kind: ItemKind::Seat,
                    reference_id: seat.to_string(),
                    description: format!(
                        "{}, row {}, seat {}",
                        label.section, label.row, label.number
                    ),
                    quantity: 1,
                    unit_price_cents: row.try_get("price_cents")?,
                });
                units.push(unit);
            }
        } else {
            let row = sqlx::query(
                "SELECT sec.name AS section_name, c.price_cents FROM session_sections ss \
                 JOIN sections sec ON sec.id = ss.section_id JOIN seat_categories c ON c.id = ss.category_id \
                 WHERE ss.session_id = $1 AND ss.section_id = $2",
            )
            .bind(hold.session_id)
            .bind(hold.section_id)
            .fetch_one(&mut **tx)
            .await?;
            items.push(OrderItem {
                kind: ItemKind::Standing,
                reference_id: hold.section_id.to_string(),
                description: row.try_get("section_name")?,
                quantity: hold.quantity,
                unit_price_cents: row.try_get("price_cents")?,
            });
            let unit = TicketUnit {
                seat_id: None,
                seat: None,
                section_id: SectionId(hold.section_id),
            };
            units.extend(std::iter::repeat_n(
                unit,
                usize::try_from(hold.quantity).unwrap_or(0),
            ));
        }
        for (i, (product, quantity)) in new.products.iter().enumerate() {
            let row = sqlx::query(concat!(
                "SELECT p.name, p.price_cents, p.currency, ",
                product_stock!(),
                " AS stock, \
                 (SELECT COUNT(*) FROM product_events pe WHERE pe.product_id = p.id AND pe.event_id = $2) AS offered \
                 FROM products p WHERE p.id = $1"
            ))
            .bind(product.0)
            .bind(event_id)
            .fetch_optional(&mut **tx)
            .await?;
            let offered = match &row {
                Some(row) => {
                    row.try_get::<i64, _>("offered")? > 0
                        && row.try_get::<String, _>("currency")? == currency
                }
                None => false,
            };
            let Some(row) = row.filter(|_| offered) else {
                return Err(StoreError::Refused(Refusal::ProductNotOffered { index: i }));
            };
            if row.try_get::<i64, _>("stock")? < *quantity {
                return Err(StoreError::Refused(Refusal::OutOfStock {
                    product: *product,
                }));
            }
            items.push(OrderItem {
                kind: ItemKind::Product,
                reference_id: product.to_string(),
                description: row.try_get("name")?,
                quantity: *quantity,
                unit_price_cents: row.try_get("price_cents")?,
            });
        }
        let total = order_total(&items).ok_or(StoreError::Refused(Refusal::TotalTooLarge))?;
        // While the provider is asked, the hold must not lapse and hand its seats to another
        // buyer: it lasts at least until reconciliation would look at the order.
        let paying_until = to_micros(new.settle_after).max(hold.expires_at);
        let inserted = sqlx::query(ThisBackend::START_PAYING)
            .bind(paying_until)
            .bind(hold.id)
            .bind(new.id.0)
            .bind(new.user_id.0)
            .bind(hold.session_id)
            .bind(event_id)
            .bind(total)
            .bind(&currency)
            .bind(&new.payment_token)
            .bind(&new.client_ip)
            .bind(&new.idempotency_key)
            .bind(to_micros(new.settle_after))
            .bind(now)
            .execute(&mut **tx)
            .await;
        match inserted {
            Err(error) if is_unique_violation(&error) => {
                return Err(StoreError::Refused(Refusal::HoldInUse));
            }
            other => other?,
        };
        let mut insert = QueryBuilder::<Db>::new(
            "INSERT INTO order_items (order_id, position, kind, reference_id, description, quantity, unit_price_cents) ",
        );
        insert.push_values(items.iter().enumerate(), |mut values, (position, item)| {
            values
                .push_bind(new.id.0)
                .push_bind(position as i64)
                .push_bind(item.kind.as_str())
                .push_bind(item.reference_id.clone())
                .push_bind(item.description.clone())
                .push_bind(item.quantity)
                .push_bind(item.unit_price_cents);
        });
        insert.build().execute(&mut **tx).await?;
        let order = Order {
            id: new.id,
            user_id: new.user_id,
            session_id: SessionId(hold.session_id),
            event_id: EventId(event_id),
            hold_id: HoldId(hold.id),
            status: OrderStatus::AwaitingPayment,
            total_cents: total,
            currency: Currency::parse(&currency)
                .map_err(|_| StoreError::database("stored currency unreadable"))?,
            items,
            tickets: Vec::new(),
            payment_reference: None,
            failure_code: None,
            client_ip: new.client_ip,
            created_at: from_micros(now),
            updated_at: from_micros(now),
        };
        Ok(BeginOrder::Started(OrderToSettle {
            order,
            payment_token: new.payment_token,
            units,
        }))
    }
}

#[async_trait]
impl SalesStore for ThisBackend {
    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn create_hold(&self, new: NewHold) -> StoreResult<Hold> {
        let mut attempt = 0;
        loop {
            match self.create_hold_once(&new).await {
                Err(error) if must_retry(&error) && attempt < 3 => attempt += 1,
                other => return other,
            }
        }
    }

    async fn get_hold(&self, id: HoldId) -> StoreResult<Option<(Hold, String)>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            hold_columns!(),
            " FROM holds WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let hold = hold_from_row(&row)?;
        let seat_ids = self
            .hold_units(hold.id)
            .await?
            .into_iter()
            .filter_map(|unit| unit.seat_id)
            .collect();
        Ok(Some((
            Hold {
                id,
                session_id: SessionId(hold.session_id),
                user_id: UserId(hold.user_id),
                seat_ids,
                section_id: SectionId(hold.section_id),
                quantity: hold.quantity,
                expires_at: from_micros(hold.expires_at),
            },
            hold.status,
        )))
    }

    async fn release_hold(&self, id: HoldId, user: UserId, now: OffsetDateTime) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let row = sqlx::query(AssertSqlSafe(format!(
                "SELECT {} FROM holds WHERE id = $1 AND user_id = $2 AND status = 'active'{}",
                hold_columns!(),
                ThisBackend::LOCK_ROW
            )))
            .bind(id.0)
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let hold = hold_from_row(&row)?;
            let live: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM orders WHERE hold_id = $1 AND status IN ('awaiting_payment', 'payment_pending', 'paid')",
            )
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
            if live > 0 {
                return Err(StoreError::Refused(Refusal::HoldInUse));
            }
            let status = if hold.expires_at <= to_micros(now) {
                "expired"
            } else {
                "released"
            };
            release(&mut tx, &[hold], status).await?;
            Ok::<_, StoreError>(())
        }
        .await;
        finish(tx, outcome).await
    }

    async fn expire_holds(&self, now: OffsetDateTime, limit: i64) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {} FROM holds WHERE status = 'active' AND expires_at <= $1 ORDER BY expires_at LIMIT $2{}",
                hold_columns!(),
                ThisBackend::LOCK_SKIP
            )))
            .bind(to_micros(now))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
            let holds = rows
                .iter()
                .map(hold_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            release(&mut tx, &holds, "expired").await?;
            Ok::<_, StoreError>(holds.len() as u64)
        }
        .await;
        finish(tx, outcome).await
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn begin_order(&self, new: NewOrder) -> StoreResult<BeginOrder> {
        let now = to_micros(new.now);
        let mut tx = self.begin_write().await?;
        let recorded = sqlx::query(
            "INSERT INTO idempotency_keys (user_id, key, fingerprint, order_id, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id, key) DO NOTHING",
        )
        .bind(new.user_id.0)
        .bind(&new.idempotency_key)
        .bind(&new.fingerprint)
        .bind(new.id.0)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if recorded == 0 {
            let row = sqlx::query(
                "SELECT fingerprint, order_id, answered_status FROM idempotency_keys \
                 WHERE user_id = $1 AND key = $2",
            )
            .bind(new.user_id.0)
            .bind(&new.idempotency_key)
            .fetch_one(&mut *tx)
            .await?;
            // Commit, not drop: what it read may be another write of the same SQLite batch,
            // and the reads below see it only once that batch is durable.
            tx.commit().await?;
            let fingerprint: Vec<u8> = row.try_get("fingerprint")?;
            if fingerprint != new.fingerprint {
                return Ok(BeginOrder::KeyReused);
            }
            let answered = row
                .try_get::<Option<String>, _>("answered_status")?
                .map(|status| {
                    OrderStatus::parse(&status)
                        .ok_or_else(|| StoreError::database("stored answer status unreadable"))
                })
                .transpose()?;
            let order: Uuid = row.try_get("order_id")?;
            let order = self.order_by_id(order).await?.ok_or_else(|| {
                StoreError::database("an idempotency key refers to a missing order")
            })?;
            return Ok(match answered {
                Some(answered) => BeginOrder::Answered { order, answered },
                None => BeginOrder::Existing(order),
            });
        }

        let started = self.start_paying(&mut tx, new, now).await;
        finish(tx, started).await
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn settle_order(
        &self,
        draft: &OrderToSettle,
        outcome: PaymentOutcome,
        now: OffsetDateTime,
    ) -> StoreResult<Settled> {
        let id = draft.order.id;
        let at = to_micros(now);
        let mut tx = self.begin_write().await?;
        // The order and the hold it sells, both locked, in one read; the hold's columns keep
        // their names for `hold_from_row`.
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT o.status AS order_status, o.user_id AS buyer_id, o.event_id, o.total_cents, o.currency, \
             o.idempotency_key, h.id, h.user_id, h.session_id, h.section_id, h.kind, h.quantity, h.status, \
             h.expires_at FROM orders o JOIN holds h ON h.id = o.hold_id WHERE o.id = $1{}",
            ThisBackend::LOCK_ROW
        )))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let status = OrderStatus::parse(&row.try_get::<String, _>("order_status")?)
            .ok_or_else(|| StoreError::database("stored order status unreadable"))?;
        if !status.can_become(outcome.status()) {
            // Settled already (the state machine allows no other move from here). Commit, not
            // drop: see `begin_order`.
            tx.commit().await?;
            return Ok(Settled::AlreadySettled(
                self.order_by_id(id.0).await?.ok_or(StoreError::NotFound)?,
            ));
        }
        let total: i64 = row.try_get("total_cents")?;
        let currency: String = row.try_get("currency")?;
        let user: Uuid = row.try_get("buyer_id")?;
        let key: String = row.try_get("idempotency_key")?;
        // The order as it will read once committed: built here rather than read back.
        let mut settled = Order {
            updated_at: from_micros(at),
            ..draft.order.clone()
        };
        let record_charge = |status: &'static str,
                             reference: Option<String>,
                             detail: Option<String>| {
            sqlx::query(
                "INSERT INTO payments (id, order_id, kind, status, reference, amount_cents, currency, detail, created_at) \
                 VALUES ($1, $2, 'charge', $3, $4, $5, $6, $7, $8)",
            )
            .bind(Uuid::now_v7())
            .bind(id.0)
            .bind(status)
            .bind(reference)
            .bind(total)
            .bind(currency.clone())
            .bind(detail)
            .bind(at)
        };
        match outcome {
            PaymentOutcome::Unknown { retry_at } => {
                sqlx::query(
                    "UPDATE orders SET status = 'payment_pending', settle_attempts = settle_attempts + 1, \
                     next_settle_at = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(to_micros(retry_at))
                .bind(at)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                settled.status = OrderStatus::PaymentPending;
                record_answer(&mut tx, user, &key, settled.status).await?;
                tx.commit().await?;
            }
            PaymentOutcome::Declined { code, reference } => {
                record_charge("declined", reference.clone(), Some(code.clone()))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE orders SET status = 'failed', failure_code = $1, payment_reference = $2, next_settle_at = NULL, \
                     updated_at = $3 WHERE id = $4",
                )
                .bind(&code)
                .bind(&reference)
                .bind(at)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                settled.status = OrderStatus::Failed;
                settled.failure_code = Some(code);
                settled.payment_reference = reference;
                record_answer(&mut tx, user, &key, settled.status).await?;
                tx.commit().await?;
            }
            PaymentOutcome::Paid { reference, tickets } => {
                let hold = hold_from_row(&row)?;
                let products = products_of(&draft.order)?;
                // Seats are claimed before their tickets are written (a lost seat must fail the
                // order, not the unique index). The rows many orders update (a product's stock,
                // then a standing section's places, each in slices) come last, with nothing read
                // in between, so that their locks are held only until the commit.
                let mut lost = if hold.seated {
                    claim_for_sale(&mut tx, &hold, at).await?
                } else {
                    None
                };
                if lost.is_none() {
                    let event: Uuid = row.try_get("event_id")?;
                    insert_tickets(&mut tx, (id.0, event), &hold, user, &tickets, at).await?;
                    settled.status = OrderStatus::Paid;
                    settled.payment_reference = Some(reference.clone());
                    settled.tickets = issued_tickets(&draft.order, UserId(user), &tickets);
                    let summary = serde_json::json!({ "status": "paid", "total_cents": total, "currency": currency,
                        "payment_reference": reference, "tickets": tickets.len() });
                    // The `order.paid` audit entry is queued, not chained here: the audit head
                    // would be one more row that every paid order locks until its commit.
                    sqlx::query(ThisBackend::MARK_PAID)
                        .bind(hold.id)
                        .bind(&reference)
                        .bind(at)
                        .bind(id.0)
                        .bind(Uuid::now_v7())
                        .bind(total)
                        .bind(&currency)
                        .bind(OutboxId::new().0)
                        .bind(format!("order_paid:{id}"))
                        .bind(user)
                        .bind(&key)
                        .bind(id.to_string())
                        .bind(AuditEntryId::new().0)
                        .bind(summary.to_string())
                        .execute(&mut *tx)
                        .await?;
                    lost = take_stock(&mut tx, id.0, &products).await?;
                }
                if lost.is_none() && !hold.seated {
                    // Standing holds draw on these slices too: they are held the shortest.
                    lost = claim_for_sale(&mut tx, &hold, at).await?;
                }
                if let Some(code) = lost {
                    // Undo the partial claims, then record the charge that must be given back.
                    tx.rollback().await?;
                    let mut tx = self.begin_write().await?;
                    let still_open = sqlx::query(AssertSqlSafe(format!(
                        "SELECT status FROM orders WHERE id = $1 AND status IN ('awaiting_payment', 'payment_pending'){}",
                        ThisBackend::LOCK_ROW
                    )))
                    .bind(id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if still_open.is_none() {
                        // Commit, not drop: see `begin_order`.
                        tx.commit().await?;
                        let order = self.order_by_id(id.0).await?.ok_or(StoreError::NotFound)?;
                        return Ok(Settled::AlreadySettled(order));
                    }
                    record_charge("succeeded", Some(reference.clone()), None)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "UPDATE orders SET status = 'failed', failure_code = $1, payment_reference = $2, \
                         next_settle_at = $3, updated_at = $3 WHERE id = $4",
                    )
                    .bind(code)
                    .bind(&reference)
                    .bind(at)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    let order = self.order_by_id(id.0).await?.ok_or(StoreError::NotFound)?;
                    return Ok(Settled::MustRefund { order, code });
                }
                tx.commit().await?;
            }
        }
        Ok(Settled::Done(settled))
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
                "SELECT total_cents, currency FROM orders WHERE id = $1 AND status = 'failed'",
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
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT status, session_id, user_id, hold_id, total_cents, currency FROM orders WHERE id = $1{}",
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
        let tickets = sqlx::query("SELECT seat_id, section_id, holder_id FROM tickets WHERE order_id = $1 AND status <> 'cancelled'")
            .bind(id.0)
            .fetch_all(&mut *tx)
            .await?;
        let mut standing: std::collections::BTreeMap<Uuid, i64> = std::collections::BTreeMap::new();
        for ticket in &tickets {
            match ticket.try_get::<Option<Uuid>, _>("seat_id")? {
                Some(seat) => {
                    sqlx::query(
                        "UPDATE session_seats SET status = 'available', hold_id = NULL, held_until = NULL \
                         WHERE session_id = $1 AND seat_id = $2 AND status = 'sold'",
                    )
                    .bind(session)
                    .bind(seat)
                    .execute(&mut *tx)
                    .await?;
                }
                None => *standing.entry(ticket.try_get("section_id")?).or_default() += 1,
            }
            sqlx::query("UPDATE allocations SET tickets = tickets - 1 WHERE user_id = $1 AND session_id = $2")
                .bind(ticket.try_get::<Uuid, _>("holder_id")?)
                .bind(session)
                .execute(&mut *tx)
                .await?;
        }
        for (section, quantity) in standing {
            if !take_from_slices(&mut tx, &UNSELL_PLACES, &[session, section], quantity, id.0)
                .await?
            {
                return Err(corrupt("standing_slices.sold").into());
            }
        }
        sqlx::query("UPDATE tickets SET status = 'cancelled', version = version + 1, updated_at = $1 WHERE order_id = $2 AND status <> 'cancelled'")
            .bind(at)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        restock(&mut tx, id.0).await?;
        let total: i64 = row.try_get("total_cents")?;
        insert_refund(
            &mut tx,
            id.0,
            reference,
            total,
            row.try_get("currency")?,
            at,
        )
        .await?;
        sqlx::query("UPDATE orders SET status = 'refunded', next_settle_at = NULL, updated_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        notify_buyer(&mut tx, "order_refunded", id, row.try_get("user_id")?, at).await?;
        let after = serde_json::json!({"status": "refunded", "refund_reference": reference, "amount_cents": total});
        let before = serde_json::json!({"status": "paid"});
        append_audit(
            &mut tx,
            audit,
            now,
            order_change("order.refunded", id, Some(before), after),
        )
        .await?;
        tx.commit().await?;
        self.order_by_id(id.0).await?.ok_or(StoreError::NotFound)
    }

    async fn request_refund(&self, id: OrderId, retry_at: OffsetDateTime) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let marked =
            sqlx::query("UPDATE orders SET next_settle_at = $1 WHERE id = $2 AND status = 'paid'")
                .bind(to_micros(retry_at))
                .bind(id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        tx.commit().await?;
        if marked == 1 {
            Ok(())
        } else {
            Err(StoreError::Refused(Refusal::OrderNotRefundable))
        }
    }

    async fn order_to_settle(&self, id: OrderId) -> StoreResult<Option<OrderToSettle>> {
        Ok(self.to_settle(id.0).await?)
    }

    async fn record_order_answer(
        &self,
        user: UserId,
        key: &str,
        answered: OrderStatus,
    ) -> StoreResult<()> {
        // The first recorded answer wins; later writers (a recovery path) change nothing.
        self.write_one(
            sqlx::query(RECORD_ANSWER)
                .bind(answered.as_str())
                .bind(user.0)
                .bind(key),
        )
        .await?;
        Ok(())
    }

    async fn get_order(&self, id: OrderId) -> StoreResult<Option<Order>> {
        Ok(self.order_by_id(id.0).await?)
    }

    async fn list_orders(&self, user: UserId, page: &PageRequest) -> StoreResult<Page<Order>> {
        let mut query = QueryBuilder::<Db>::new(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE user_id = "
        ));
        query.push_bind(user.0);
        push_newest_first(&mut query, "id", page)?;
        let rows = query.build().fetch_all(self.reader()).await?;
        let orders = self.complete_orders(&rows).await?;
        Ok(Page::from_rows(orders, page.limit, |order| {
            order.id.to_string()
        }))
    }

    async fn orders_to_settle(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<OrderToSettle>> {
        let mut tx = self.begin_write().await?;
        let ids = sqlx::query(AssertSqlSafe(format!(
            "UPDATE orders SET next_settle_at = $1 WHERE id IN (SELECT id FROM orders WHERE next_settle_at IS NOT NULL \
             AND next_settle_at <= $2 ORDER BY next_settle_at LIMIT $3{}) RETURNING id",
            ThisBackend::LOCK_SKIP
        )))
        .bind(to_micros(lease_until))
        .bind(to_micros(now))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| row.try_get::<Uuid, _>("id"))
        .collect::<Result<Vec<_>, _>>()?;
        tx.commit().await?;
        let mut due = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(order) = self.to_settle(id).await? {
                due.push(order);
            }
        }
        Ok(due)
    }

    async fn get_ticket(&self, id: TicketId) -> StoreResult<Option<Ticket>> {
        let row = sqlx::query(concat!(ticket_select!(), " WHERE t.id = $1"))
            .bind(id.0)
            .fetch_optional(self.reader())
            .await?;
        Ok(row.as_ref().map(ticket_from_row).transpose()?)
    }

    async fn list_tickets(&self, holder: UserId, page: &PageRequest) -> StoreResult<Page<Ticket>> {
        let mut query = QueryBuilder::<Db>::new(concat!(ticket_select!(), " WHERE t.holder_id = "));
        query.push_bind(holder.0);
        push_newest_first(&mut query, "t.id", page)?;
        let rows = query.build().fetch_all(self.reader()).await?;
        let tickets = rows
            .iter()
            .map(ticket_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(tickets, page.limit, |ticket| {
            ticket.id.to_string()
        }))
    }
}

/// An order's products and quantities, in product order (the order their rows are locked in).
async fn ordered_products(tx: &mut Tx, order: Uuid) -> StoreResult<Vec<(Uuid, i64)>> {
    let lines = sqlx::query(
        "SELECT reference_id, quantity FROM order_items WHERE order_id = $1 AND kind = 'product' ORDER BY reference_id",
    )
    .bind(order)
    .fetch_all(&mut **tx)
    .await?;
    lines
        .iter()
        .map(|line| {
            let product = Uuid::parse_str(&line.try_get::<String, _>("reference_id")?)
                .map_err(|_| StoreError::database("stored product reference unreadable"))?;
            Ok((product, line.try_get::<i64, _>("quantity")?))
        })
        .collect()
}

/// An order's products and quantities, in product order, from its items.
fn products_of(order: &Order) -> StoreResult<Vec<(Uuid, i64)>> {
    let mut products = order
        .items
        .iter()
        .filter(|item| item.kind == ItemKind::Product)
        .map(|item| {
            Uuid::parse_str(&item.reference_id)
                .map(|product| (product, item.quantity))
                .map_err(|_| StoreError::database("stored product reference unreadable"))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    products.sort_unstable();
    Ok(products)
}

/// The tickets of a paid order as `insert_tickets` writes them, in the order a read of the
/// order lists them (seat order, then issue order).
fn issued_tickets(order: &Order, holder: UserId, drafts: &[TicketDraft]) -> Vec<Ticket> {
    let mut tickets: Vec<Ticket> = drafts
        .iter()
        .map(|draft| Ticket {
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
        })
        .collect();
    if tickets.iter().all(|ticket| ticket.seat_id.is_none()) {
        tickets.sort_by_key(|ticket| ticket.id.0);
    }
    tickets
}

/// Records the answer to an order's idempotency key; the first recorded answer wins.
async fn record_answer(
    tx: &mut Tx,
    user: Uuid,
    key: &str,
    answered: OrderStatus,
) -> StoreResult<()> {
    sqlx::query(RECORD_ANSWER)
        .bind(answered.as_str())
        .bind(user)
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

const RECORD_ANSWER: &str = "UPDATE idempotency_keys SET answered_status = $1 \
     WHERE user_id = $2 AND key = $3 AND answered_status IS NULL";

/// Takes the products (in id order) out of stock, unless one has run out.
async fn take_stock(
    tx: &mut Tx,
    order: Uuid,
    products: &[(Uuid, i64)],
) -> StoreResult<Option<&'static str>> {
    for (product, quantity) in products {
        if !take_from_slices(tx, &TAKE_STOCK, &[*product], *quantity, order).await? {
            return Ok(Some("out_of_stock"));
        }
    }
    Ok(None)
}

/// One way of moving units through a counter kept in slices (`split_into_slices`): the slices
/// are the rows of `table` under one key, `available` is how many units a slice can give to
/// the move, and `set` moves `$1` of them.
struct SliceMove {
    table: &'static str,
    key: &'static [&'static str],
    available: &'static str,
    set: &'static str,
}

const TAKE_STOCK: SliceMove = SliceMove {
    table: "product_stock",
    key: &["product_id"],
    available: "stock",
    set: "stock = stock - $1",
};

const FREE_PLACES: &str = "capacity - held - sold";

/// A move through a standing section's places (key: session, section).
const fn standing_places(available: &'static str, set: &'static str) -> SliceMove {
    SliceMove {
        table: "standing_slices",
        key: &["session_id", "section_id"],
        available,
        set,
    }
}

const HOLD_PLACES: SliceMove = standing_places(FREE_PLACES, "held = held + $1");
const SELL_HELD_PLACES: SliceMove = standing_places("held", "held = held - $1, sold = sold + $1");
/// For a hold that lapsed before its payment settled.
const SELL_FREE_PLACES: SliceMove = standing_places(FREE_PLACES, "sold = sold + $1");
const RELEASE_HELD_PLACES: SliceMove = standing_places("held", "held = held - $1");
const UNSELL_PLACES: SliceMove = standing_places("sold", "sold = sold - $1");

/// Moves `quantity` units of the counter under `key` (bound in `how.key`'s order); false if
/// its slices have fewer than that available in all.
///
/// The units come from one slice that has them, searched from one picked by `spread` (an id
/// whose last bits are random), skipping slices other transactions hold until they commit
/// (PostgreSQL). When none is free, or none has enough alone (near a sell-out), every slice is
/// locked in slice order and drawn from together. Waits happen only there, and with no slice of
/// that counter already held by this move: a failed update can leave the row it waited for
/// locked (PostgreSQL rechecks after locking), and such a lock out of order could close a cycle.
/// Counters are taken in one order (products by id, then a standing section), so waits across
/// counters cannot form a cycle either.
async fn take_from_slices(
    tx: &mut Tx,
    how: &SliceMove,
    key: &[Uuid],
    quantity: i64,
    spread: Uuid,
) -> Result<bool, sqlx::Error> {
    let SliceMove {
        table,
        available,
        set,
        ..
    } = how;
    let key_sql = |first: usize| {
        how.key
            .iter()
            .zip(first..)
            .map(|(column, n)| format!("{column} = ${n}"))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    // $1 is the quantity, then the key; the next placeholder is the spread (or a slice).
    let (where_key, after_key) = (key_sql(2), key.len() + 2);
    let mut one = sqlx::query(AssertSqlSafe(format!(
        "UPDATE {table} SET {set} WHERE {where_key} AND {available} >= $1 AND slice = \
         (SELECT slice FROM {table} WHERE {where_key} AND {available} >= $1 \
         ORDER BY (slice + ${after_key}) % {MAX_SLICES} LIMIT 1{})",
        ThisBackend::LOCK_SKIP
    )))
    .bind(quantity);
    for part in key {
        one = one.bind(*part);
    }
    let from = i32::try_from(spread.as_u128() % MAX_SLICES as u128).unwrap_or(0);
    if one.bind(from).execute(&mut **tx).await?.rows_affected() == 1 {
        return Ok(true);
    }
    let mut all = sqlx::query(AssertSqlSafe(format!(
        "SELECT slice, {available} AS available FROM {table} WHERE {} ORDER BY slice{}",
        key_sql(1),
        ThisBackend::LOCK_ROW
    )));
    for part in key {
        all = all.bind(*part);
    }
    let slices = all
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get::<i32, _>("slice")?,
                row.try_get::<i64, _>("available")?,
            ))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let available: Vec<i64> = slices.iter().map(|(_, units)| *units).collect();
    let Some(drawn) = units_per_slice(&available, quantity) else {
        return Ok(false);
    };
    for ((slice, _), units) in slices.iter().zip(drawn).filter(|(_, units)| *units > 0) {
        let mut part = sqlx::query(AssertSqlSafe(format!(
            "UPDATE {table} SET {set} WHERE {where_key} AND slice = ${after_key}"
        )))
        .bind(units);
        for part_key in key {
            part = part.bind(*part_key);
        }
        part.bind(slice).execute(&mut **tx).await?;
    }
    Ok(true)
}

/// Puts a refunded order's products back in stock (in the first slice, which every product has).
async fn restock(tx: &mut Tx, order: Uuid) -> StoreResult<()> {
    for (product, quantity) in ordered_products(tx, order).await? {
        sqlx::query(
            "UPDATE product_stock SET stock = stock + $1 WHERE product_id = $2 AND slice = 0",
        )
        .bind(quantity)
        .bind(product)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
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
    tx: &mut Tx,
    (order, event): (Uuid, Uuid),
    hold: &HoldRow,
    holder: Uuid,
    tickets: &[TicketDraft],
    at: i64,
) -> StoreResult<()> {
    if tickets.len() as i64 != hold.quantity {
        return Err(StoreError::database(format!(
            "{} tickets drafted for a hold of {}",
            tickets.len(),
            hold.quantity
        )));
    }
    let mut insert = QueryBuilder::<Db>::new(
        "INSERT INTO tickets (id, order_id, session_id, event_id, section_id, seat_id, holder_id, status, version, \
         code, created_at, updated_at) ",
    );
    insert.push_values(tickets, |mut values, ticket| {
        values
            .push_bind(ticket.id.0)
            .push_bind(order)
            .push_bind(hold.session_id)
            .push_bind(event)
            .push_bind(ticket.unit.section_id.0)
            .push_bind(ticket.unit.seat_id.map(|s| s.0))
            .push_bind(holder)
            .push_bind("valid")
            .push_bind(ticket.version)
            .push_bind(ticket.code.clone())
            .push_bind(at)
            .push_bind(at);
    });
    match insert.build().execute(&mut **tx).await {
        Err(error) if is_unique_violation(&error) => Err(StoreError::database(
            "a seat would have been sold twice; the sale was refused",
        )),
        other => other.map(|_| ()).map_err(StoreError::from),
    }
}
