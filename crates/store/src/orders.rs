//! Orders, shared by both backends (compiled once inside each backend module): one order per
//! idempotency key, created from a hold awaiting its payment; no transaction is open while the
//! payment provider is called (the caller does that between `begin_order` and `settle_order`).

use super::holds::{hold_columns, hold_from_row, must_retry};
use super::shared::{Change, DbRow, OnTx, corrupt, enqueue, finish, product_stock, write_steps};
use super::tickets::{eligibility_from_row, seat_unit_from_row, ticket_from_row, ticket_select};
use super::{Db, ThisBackend, Tx};
use crate::Refusal;
use crate::dialect::Dialect;
use crate::steps::{Arg, Columns, Steps, placeholders};
use crate::{
    BeginOrder, NewOrder, OrderStore, OrderToSettle, StoreError, StoreResult, TicketUnit,
    is_unique_violation,
};
use async_trait::async_trait;
use bilheteria_domain::catalog::Currency;
use bilheteria_domain::clock::{from_micros, to_micros};
use bilheteria_domain::half_price::{Eligibility, TicketType};
use bilheteria_domain::ids::{EventId, HoldId, OrderId, SessionId, UserId};
use bilheteria_domain::page::{Page, PageRequest};
use bilheteria_domain::pix::PixCharge;
use bilheteria_domain::place::{Bought, Place};
use bilheteria_domain::sales::{
    Buys, ItemKind, Order, OrderItem, OrderStatus, PaymentMethod, order_total,
};
use bilheteria_domain::tickets::Ticket;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// What an idempotency key recorded of its first request.
struct EarlierRequest {
    fingerprint: Vec<u8>,
    order: Uuid,
    answered: Option<String>,
}

macro_rules! order_columns {
    () => {
        "id, user_id, session_id, event_id, hold_id, status, total_cents, currency, installments, \
         payment_reference, failure_code, client_ip, created_at, updated_at, payment_method, pix_copy_paste, \
         pix_expires_at, refunded_cents"
    };
}
pub(super) use order_columns;

pub(super) fn order_from_row(
    row: &DbRow,
    items: Vec<OrderItem>,
    tickets: Vec<Ticket>,
) -> Result<Order, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let status = OrderStatus::parse(&status).ok_or_else(|| corrupt("orders.status"))?;
    let currency: String = row.try_get("currency")?;
    let method: String = row.try_get("payment_method")?;
    // The code is shown while the order waits for it.
    let pix = match (
        row.try_get::<Option<String>, _>("pix_copy_paste")?,
        row.try_get::<Option<i64>, _>("pix_expires_at")?,
    ) {
        (Some(copy_paste), Some(expires_at)) if !status.is_settled() => Some(PixCharge {
            copy_paste,
            expires_at: from_micros(expires_at),
        }),
        _ => None,
    };
    Ok(Order {
        id: OrderId(row.try_get("id")?),
        user_id: UserId(row.try_get("user_id")?),
        session_id: SessionId(row.try_get("session_id")?),
        event_id: EventId(row.try_get("event_id")?),
        hold_id: HoldId(row.try_get("hold_id")?),
        status,
        total_cents: row.try_get("total_cents")?,
        refunded_cents: row.try_get("refunded_cents")?,
        currency: Currency::parse(&currency).map_err(|_| corrupt("orders.currency"))?,
        installments: row.try_get("installments")?,
        payment_method: PaymentMethod::parse(&method)
            .ok_or_else(|| corrupt("orders.payment_method"))?,
        pix,
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
    /// Orders with their items and the tickets their buyers hold, three queries whatever their
    /// number.
    pub(super) async fn complete_orders(&self, rows: &[DbRow]) -> Result<Vec<Order>, sqlx::Error> {
        let ids = rows
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<Vec<Uuid>, _>>()?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut items_query = QueryBuilder::<Db>::new(
            "SELECT order_id, kind, reference_id, description, quantity, unit_price_cents, ticket_type, eligibility, \
             section_name, row_label, seat_number, resale FROM order_items WHERE order_id IN ",
        );
        push_id_list(&mut items_query, &ids);
        items_query.push(" ORDER BY order_id, position");
        let mut items: HashMap<Uuid, Vec<OrderItem>> = HashMap::new();
        for row in items_query.build().fetch_all(self.reader()).await? {
            let kind: String = row.try_get("kind")?;
            let kind = ItemKind::parse(&kind).ok_or_else(|| corrupt("order_items.kind"))?;
            items
                .entry(row.try_get("order_id")?)
                .or_default()
                .push(OrderItem {
                    bought: bought_from_row(kind, &row)?,
                    kind,
                    reference_id: row.try_get("reference_id")?,
                    description: String::new(),
                    quantity: row.try_get("quantity")?,
                    unit_price_cents: row.try_get("unit_price_cents")?,
                    ticket_type: row
                        .try_get::<Option<String>, _>("ticket_type")?
                        .map(|raw| {
                            TicketType::parse(&raw)
                                .ok_or_else(|| corrupt("order_items.ticket_type"))
                        })
                        .transpose()?,
                    eligibility: eligibility_from_row(&row)?,
                });
        }
        // An order lists only the tickets its buyer still holds: one passed on by a transfer
        // keeps its `order_id`, but its new code is its new holder's alone.
        let mut tickets_query = QueryBuilder::<Db>::new(concat!(
            ticket_select!(),
            " JOIN orders o ON o.id = t.order_id AND o.user_id = t.holder_id WHERE t.order_id IN "
        ));
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

    pub(super) async fn order_by_id(&self, id: Uuid) -> Result<Option<Order>, sqlx::Error> {
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
    pub(super) async fn hold_units(&self, hold: Uuid) -> Result<Vec<TicketUnit>, sqlx::Error> {
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
            return Ok(hold.standing_units());
        }
        let rows = sqlx::query(
            "SELECT hs.seat_id, hs.ticket_type, st.section_id, st.row_label, st.number, sec.name AS section_name \
             FROM hold_seats hs JOIN seats st ON st.id = hs.seat_id JOIN sections sec ON sec.id = st.section_id \
             WHERE hs.hold_id = $1 ORDER BY st.row_position, st.number",
        )
        .bind(hold.id)
        .fetch_all(self.reader())
        .await?;
        let mut units = rows
            .iter()
            .map(|row| seat_unit_from_row(row, &hold))
            .collect::<Result<Vec<_>, _>>()?;
        hold.assign_pools(&mut units);
        Ok(units)
    }

    pub(super) async fn to_settle(
        &self,
        order: Uuid,
    ) -> Result<Option<OrderToSettle>, sqlx::Error> {
        // One read of the order's row: what is settled is what is due (a webhook may settle
        // the order as reconciliation leases it).
        let row = sqlx::query(concat!(
            "SELECT ",
            order_columns!(),
            ", payment_token, listing_id, next_settle_at FROM orders WHERE id = $1"
        ))
        .bind(order)
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let Some(full) = self
            .complete_orders(std::slice::from_ref(&row))
            .await?
            .pop()
        else {
            return Ok(None);
        };
        let (units, listing) = match row.try_get::<Option<Uuid>, _>("listing_id")? {
            Some(listing) => match self.listing_sale(listing).await? {
                Some((sale, unit)) => (vec![unit], Some(sale)),
                None => return Ok(None),
            },
            None => (self.hold_units(row.try_get("hold_id")?).await?, None),
        };
        Ok(Some(OrderToSettle {
            order: full,
            payment_token: row.try_get("payment_token")?,
            units,
            listing,
            pix_expires_at: row
                .try_get::<Option<i64>, _>("pix_expires_at")?
                .map(from_micros),
            settle_due: row.try_get::<Option<i64>, _>("next_settle_at")?.is_some(),
        }))
    }
}

pub(super) fn order_change(
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
pub(super) async fn notify_buyer(
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

/// What a line bought, from its row: a product by its name, a place from its facts, or, for a
/// place's line written before lines kept them and whose place was not found again, its words.
fn bought_from_row(kind: ItemKind, row: &DbRow) -> Result<Bought, sqlx::Error> {
    let description: String = row.try_get("description")?;
    let section: Option<String> = row.try_get("section_name")?;
    let place = match (kind, section) {
        (ItemKind::Product, _) => return Ok(Bought::Product { name: description }),
        (_, None) => return Ok(Bought::Written(description)),
        (ItemKind::Standing, section) => Place::Standing { section },
        (ItemKind::Seat, Some(section)) => {
            match (row.try_get("row_label")?, row.try_get("seat_number")?) {
                (Some(row), Some(number)) => Place::Seat {
                    section,
                    row,
                    number,
                },
                _ => return Ok(Bought::Written(description)),
            }
        }
    };
    Ok(Bought::Place {
        place,
        resale: row.try_get("resale")?,
    })
}

/// Writes an order's items, in their order, with the facts of what each bought.
pub(super) async fn record_order_items(
    tx: &mut impl Steps,
    order: OrderId,
    items: &[OrderItem],
) -> Result<(), sqlx::Error> {
    const COLUMNS: usize = 13;
    let mut rows = Vec::with_capacity(items.len());
    let mut args = Vec::with_capacity(COLUMNS * items.len());
    for (position, item) in items.iter().enumerate() {
        let (written, section, seat, resale) = match &item.bought {
            Bought::Product { name } => (name.as_str(), None, None, false),
            Bought::Written(words) => (words.as_str(), None, None, false),
            Bought::Place {
                place:
                    Place::Seat {
                        section,
                        row,
                        number,
                    },
                resale,
            } => ("", Some(section), Some((row, *number)), *resale),
            Bought::Place {
                place: Place::Standing { section },
                resale,
            } => ("", section.as_ref(), None, *resale),
        };
        rows.push(format!("({})", placeholders(args.len() + 1, COLUMNS)));
        args.extend([
            Arg::Uuid(order.0),
            Arg::Int(position as i64),
            Arg::Text(item.kind.as_str()),
            Arg::Text(&item.reference_id),
            Arg::Text(written),
            Arg::Int(item.quantity),
            Arg::Int(item.unit_price_cents),
            Arg::OptText(item.ticket_type.map(TicketType::as_str)),
            Arg::OptText(item.eligibility.map(Eligibility::as_str)),
            Arg::OptText(section.map(String::as_str)),
            Arg::OptText(seat.map(|(row, _)| row.as_str())),
            Arg::OptInt(seat.map(|(_, number)| number)),
            Arg::Bool(resale),
        ]);
    }
    let insert = format!(
        "INSERT INTO order_items (order_id, position, kind, reference_id, description, quantity, unit_price_cents, \
         ticket_type, eligibility, section_name, row_label, seat_number, resale) VALUES {}",
        rows.join(", ")
    );
    tx.execute(&insert, &args).await?;
    Ok(())
}

/// `begin_order` of a hold, once its key is recorded as new: checks the hold, prices the order
/// and writes it, awaiting payment. The caller commits, or rolls back what this refused.
async fn start_paying(
    tx: &mut impl Steps,
    new: NewOrder,
    hold_id: HoldId,
    now: i64,
) -> StoreResult<BeginOrder> {
    // The hold's session's facts come with it, in the same statement: its event never changes,
    // and its currency not during a sale.
    let query = format!(
        "SELECT {}, \
         (SELECT s.event_id FROM event_sessions s WHERE s.id = holds.session_id) AS event_id, \
         (SELECT s.currency FROM event_sessions s WHERE s.id = holds.session_id) AS currency, \
         (SELECT s.pix_expires_after_seconds FROM event_sessions s WHERE s.id = holds.session_id) \
         AS pix_expires_after_seconds \
         FROM holds WHERE id = $1 AND user_id = $2{}",
        hold_columns!(),
        ThisBackend::LOCK_ROW
    );
    let row = tx
        .fetch_optional(&query, &[Arg::Uuid(hold_id.0), Arg::Uuid(new.user_id.0)])
        .await?
        .ok_or(StoreError::Refused(Refusal::HoldNotFound))?;
    let hold = hold_from_row(&row)?;
    let expired = || StoreError::Refused(Refusal::HoldExpired);
    if hold.status != "active" || hold.expires_at <= now {
        return Err(expired());
    }
    let event_id = row
        .opt_uuid("event_id")?
        .ok_or_else(|| StoreError::database("a hold's session is missing"))?;
    let currency = row.text("currency")?;
    let pix_expires_after_seconds = row.int("pix_expires_after_seconds")?;

    let mut items = Vec::new();
    let mut units = Vec::new();
    if hold.seated {
        let rows = tx
            .fetch_all(
                "SELECT ss.seat_id, ss.hold_id, ss.status, hs.ticket_type, st.section_id, st.row_label, st.number, sec.name AS section_name, \
                 c.price_cents FROM hold_seats hs \
                 JOIN session_seats ss ON ss.session_id = $2 AND ss.seat_id = hs.seat_id \
                 JOIN seats st ON st.id = hs.seat_id JOIN sections sec ON sec.id = st.section_id \
                 JOIN session_sections sse ON sse.session_id = $2 AND sse.section_id = st.section_id \
                 JOIN seat_categories c ON c.id = sse.category_id \
                 WHERE hs.hold_id = $1 ORDER BY sec.position, st.row_position, st.number",
                &[Arg::Uuid(hold.id), Arg::Uuid(hold.session_id)],
            )
            .await?;
        for row in &rows {
            let still_ours =
                row.opt_uuid("hold_id")? == Some(hold.id) && row.text("status")? == "held";
            if !still_ours {
                return Err(expired());
            }
            let unit = seat_unit_from_row(row, &hold)?;
            let (Some(seat), Some(label)) = (unit.seat_id, &unit.seat) else {
                return Err(StoreError::database("a held seat without its label"));
            };
            items.push(place_item(
                ItemKind::Seat,
                seat.to_string(),
                Place::of(Some(label), None),
                (&unit, 1),
                row.int("price_cents")?,
            ));
            units.push(unit);
        }
        hold.assign_pools(&mut units);
    } else {
        let row = tx
            .fetch_one(
                "SELECT sec.name AS section_name, c.price_cents FROM session_sections ss \
                 JOIN sections sec ON sec.id = ss.section_id JOIN seat_categories c ON c.id = ss.category_id \
                 WHERE ss.session_id = $1 AND ss.section_id = $2",
                &[Arg::Uuid(hold.session_id), Arg::Uuid(hold.section_id)],
            )
            .await?;
        let standing = hold.standing_units();
        for ticket_type in [TicketType::Full, TicketType::Half] {
            let of_type = standing.iter().filter(|u| u.ticket_type == ticket_type);
            if let Some(unit) = of_type.clone().next() {
                items.push(place_item(
                    ItemKind::Standing,
                    hold.section_id.to_string(),
                    Place::Standing {
                        section: Some(row.text("section_name")?),
                    },
                    (unit, of_type.count() as i64),
                    row.int("price_cents")?,
                ));
            }
        }
        units.extend(standing);
    }
    for (i, (product, quantity)) in new.products.iter().enumerate() {
        let row = tx
            .fetch_optional(
                concat!(
                    "SELECT p.name, p.price_cents, p.currency, ",
                    product_stock!(),
                    " AS stock, \
                     (SELECT COUNT(*) FROM product_events pe WHERE pe.product_id = p.id AND pe.event_id = $2) AS offered \
                     FROM products p WHERE p.id = $1"
                ),
                &[Arg::Uuid(product.0), Arg::Uuid(event_id)],
            )
            .await?;
        let offered = match &row {
            Some(row) => row.int("offered")? > 0 && row.text("currency")? == currency,
            None => false,
        };
        let Some(row) = row.filter(|_| offered) else {
            return Err(StoreError::Refused(Refusal::ProductNotOffered { index: i }));
        };
        if row.int("stock")? < *quantity {
            return Err(StoreError::Refused(Refusal::OutOfStock {
                product: *product,
            }));
        }
        items.push(OrderItem {
            kind: ItemKind::Product,
            reference_id: product.to_string(),
            description: String::new(),
            bought: Bought::Product {
                name: row.text("name")?,
            },
            quantity: *quantity,
            unit_price_cents: row.int("price_cents")?,
            ticket_type: None,
            eligibility: None,
        });
    }
    let total = order_total(&items).ok_or(StoreError::Refused(Refusal::TotalTooLarge))?;
    // While the provider is asked, the hold must not lapse and hand its seats to another
    // buyer: it lasts at least until reconciliation would look at the order, and a Pix
    // order's until its Pix expires.
    let pix_expires_at = pix_deadline(&new, pix_expires_after_seconds, now);
    let paying_until = to_micros(new.settle_after)
        .max(hold.expires_at)
        .max(pix_expires_at.unwrap_or(0));
    let inserted = tx
        .execute(
            ThisBackend::START_PAYING,
            &[
                Arg::Int(paying_until),
                Arg::Uuid(hold.id),
                Arg::Uuid(new.id.0),
                Arg::Uuid(new.user_id.0),
                Arg::Uuid(hold.session_id),
                Arg::Uuid(event_id),
                Arg::Int(total),
                Arg::Text(&currency),
                Arg::Text(&new.payment_token),
                Arg::OptText(new.client_ip.as_deref()),
                Arg::Text(&new.idempotency_key),
                Arg::Int(to_micros(new.settle_after)),
                Arg::Int(now),
                Arg::Int(new.installments),
                Arg::Text(new.payment_method.as_str()),
                Arg::OptInt(pix_expires_at),
            ],
        )
        .await;
    match inserted {
        // Another order of this hold is live (`orders_one_live_per_hold`).
        Err(error) if is_unique_violation(&error) => {
            return Err(StoreError::Refused(Refusal::HoldInUse));
        }
        other => other?,
    };
    record_order_items(tx, new.id, &items).await?;
    let places = (
        SessionId(hold.session_id),
        EventId(event_id),
        HoldId(hold.id),
    );
    let paying = (None, pix_expires_at);
    started(new, places, (total, &currency), items, units, paying, now)
}

/// When a Pix order's code expires (the session's `pix_expires_after_seconds` from now); none
/// for a card.
pub(super) fn pix_deadline(new: &NewOrder, expires_after_seconds: i64, now: i64) -> Option<i64> {
    (new.payment_method == PaymentMethod::Pix).then(|| now + expires_after_seconds * 1_000_000)
}

/// The order line of `quantity` places like `unit` at `place`, bought new, in a category priced
/// `full_price_cents`: half price for a half-price place (meia-entrada).
pub(super) fn place_item(
    kind: ItemKind,
    reference_id: String,
    place: Place,
    (unit, quantity): (&TicketUnit, i64),
    full_price_cents: i64,
) -> OrderItem {
    OrderItem {
        kind,
        reference_id,
        description: String::new(),
        bought: Bought::Place {
            place,
            resale: false,
        },
        quantity,
        unit_price_cents: unit.ticket_type.price_cents(full_price_cents),
        ticket_type: Some(unit.ticket_type),
        eligibility: unit.eligibility,
    }
}

/// The answer of `begin_order` for an order just written, awaiting payment.
pub(super) fn started(
    new: NewOrder,
    (session_id, event_id, hold_id): (SessionId, EventId, HoldId),
    (total_cents, currency): (i64, &str),
    items: Vec<OrderItem>,
    units: Vec<TicketUnit>,
    (listing, pix_expires_at): (Option<crate::ListingSale>, Option<i64>),
    now: i64,
) -> StoreResult<BeginOrder> {
    let order = Order {
        id: new.id,
        user_id: new.user_id,
        session_id,
        event_id,
        hold_id,
        status: OrderStatus::AwaitingPayment,
        total_cents,
        refunded_cents: 0,
        currency: Currency::parse(currency)
            .map_err(|_| StoreError::database("stored currency unreadable"))?,
        installments: new.installments,
        payment_method: new.payment_method,
        pix: None,
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
        listing,
        pix_expires_at: pix_expires_at.map(from_micros),
        settle_due: true,
    }))
}

/// Records an order's idempotency key as new (answers `None`), or answers what the key's first
/// request recorded.
async fn record_key(
    tx: &mut impl Steps,
    new: &NewOrder,
    now: i64,
) -> Result<Option<EarlierRequest>, sqlx::Error> {
    let recorded = tx
        .execute(
            "INSERT INTO idempotency_keys (user_id, key, fingerprint, order_id, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id, key) DO NOTHING",
            &[
                Arg::Uuid(new.user_id.0),
                Arg::Text(&new.idempotency_key),
                Arg::Bytes(&new.fingerprint),
                Arg::Uuid(new.id.0),
                Arg::Int(now),
            ],
        )
        .await?;
    if recorded == 1 {
        return Ok(None);
    }
    let row = tx
        .fetch_one(
            "SELECT fingerprint, order_id, answered_status FROM idempotency_keys \
             WHERE user_id = $1 AND key = $2",
            &[Arg::Uuid(new.user_id.0), Arg::Text(&new.idempotency_key)],
        )
        .await?;
    Ok(Some(EarlierRequest {
        fingerprint: row.bytes("fingerprint")?,
        order: row.uuid("order_id")?,
        answered: row.opt_text("answered_status")?,
    }))
}

/// `begin_order` of a hold inside its transaction, which the caller ends: the order started, or
/// what its key's first request recorded.
async fn begin_hold_order(
    tx: &mut impl Steps,
    new: NewOrder,
    hold: HoldId,
    now: i64,
) -> StoreResult<Result<BeginOrder, EarlierRequest>> {
    if let Some(earlier) = record_key(tx, &new, now).await? {
        return Ok(Err(earlier));
    }
    start_paying(tx, new, hold, now).await.map(Ok)
}

impl ThisBackend {
    async fn begin_order_once(&self, new: NewOrder) -> StoreResult<BeginOrder> {
        let now = to_micros(new.now);
        let fingerprint = new.fingerprint.clone();
        // Committed, not rolled back, when the key was used before: what it read may be another
        // write of the same SQLite batch, and the reads below see it only once that batch is
        // durable.
        let begun = match new.buys {
            // In one hand-off to SQLite's writer.
            Buys::Hold(hold) => write_steps!(self, |tx| begin_hold_order(tx, new, hold, now))?,
            // Statement by statement through sqlx on both backends.
            Buys::Listing(listing) => {
                let mut tx = self.begin_write().await?;
                let begun = async {
                    if let Some(earlier) = record_key(&mut OnTx(&mut tx), &new, now).await? {
                        return Ok(Err(earlier));
                    }
                    self.start_resale(&mut tx, new, listing, now).await.map(Ok)
                }
                .await;
                finish(tx, begun).await?
            }
        };
        let earlier = match begun {
            Ok(started) => return Ok(started),
            Err(earlier) => earlier,
        };
        if earlier.fingerprint != fingerprint {
            return Ok(BeginOrder::KeyReused);
        }
        let answered = earlier
            .answered
            .map(|status| {
                OrderStatus::parse(&status)
                    .ok_or_else(|| StoreError::database("stored answer status unreadable"))
            })
            .transpose()?;
        let order = self
            .order_by_id(earlier.order)
            .await?
            .ok_or_else(|| StoreError::database("an idempotency key refers to a missing order"))?;
        Ok(match answered {
            Some(answered) => BeginOrder::Answered { order, answered },
            None => BeginOrder::Existing(order),
        })
    }
}

#[async_trait]
impl OrderStore for ThisBackend {
    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn begin_order(&self, new: NewOrder) -> StoreResult<BeginOrder> {
        // A deadlock or serialization failure aborted the whole transaction: run it again.
        let mut attempt = 0;
        loop {
            match self.begin_order_once(new.clone()).await {
                Err(error) if must_retry(&error) && attempt < 3 => attempt += 1,
                other => return other,
            }
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

    async fn wallet_generation(&self, id: OrderId) -> StoreResult<Option<i64>> {
        let row = sqlx::query("SELECT wallet_generation FROM orders WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.reader())
            .await?;
        Ok(row
            .map(|row| row.try_get("wallet_generation"))
            .transpose()?)
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn next_wallet_generation(&self, id: OrderId) -> StoreResult<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let row = sqlx::query(
                "UPDATE orders SET wallet_generation = wallet_generation + 1 WHERE id = $1 \
                 RETURNING wallet_generation",
            )
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            Ok::<_, StoreError>(
                row.map(|row| row.try_get("wallet_generation"))
                    .transpose()?,
            )
        }
        .await;
        finish(tx, outcome).await
    }

    async fn orders_to_settle(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<OrderToSettle>> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
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
            Ok::<_, StoreError>(ids)
        }
        .await;
        let ids = finish(tx, outcome).await?;
        let mut due = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(order) = self.to_settle(id).await? {
                due.push(order);
            }
        }
        Ok(due)
    }
}

/// An order's products and quantities, in product order (the order their rows are locked in).
pub(super) async fn ordered_products(tx: &mut Tx, order: Uuid) -> StoreResult<Vec<(Uuid, i64)>> {
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
pub(super) fn products_of(order: &Order) -> StoreResult<Vec<(Uuid, i64)>> {
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

/// Records the answer to an order's idempotency key; the first recorded answer wins.
pub(super) async fn record_answer(
    tx: &mut impl Steps,
    user: Uuid,
    key: &str,
    answered: OrderStatus,
) -> StoreResult<()> {
    tx.execute(
        RECORD_ANSWER,
        &[
            Arg::Text(answered.as_str()),
            Arg::Uuid(user),
            Arg::Text(key),
        ],
    )
    .await?;
    Ok(())
}

const RECORD_ANSWER: &str = "UPDATE idempotency_keys SET answered_status = $1 \
     WHERE user_id = $2 AND key = $3 AND answered_status IS NULL";
