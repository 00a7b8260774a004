//! The SQL of face-value resale, shared by both backends (compiled once inside each backend
//! module): listings, the start and the sale of an order that buys one, and sellers' payouts.
//! Every step locks the listing's row, then the ticket's, so a listing is sold at most once.

use super::holds::{allocate, purchase_limit_exceeded};
use super::orders::{pix_deadline, record_order_items, started};
use super::shared::{Change, DbRow, OnTx, append_audit, corrupt, enqueue, finish};
use super::tickets::{
    TicketRow, eligibility_from_row, lock_ticket, seat_label_from_row, ticket_type_from_row,
};
use super::{Db, ThisBackend, Tx};
use crate::dialect::Dialect;
use crate::{
    BeginOrder, CatalogStore, ListingSale, NewListing, NewOrder, PayoutDue, Pool, Refusal,
    ResaleStore, SellerListing, StoreError, StoreResult, TicketDraft, TicketUnit,
    is_unique_violation,
};
use async_trait::async_trait;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::clock::{from_micros, to_micros};
use bilheteria_domain::half_price::{Eligibility, TicketType};
use bilheteria_domain::ids::{
    EventId, HoldId, ListingId, OrderId, SeatId, SectionId, SessionId, TicketId, UserId, WaitlistId,
};
use bilheteria_domain::page::{Page, PageRequest};
use bilheteria_domain::place::{Bought, Place};
use bilheteria_domain::resale::{
    Listing, ListingStatus, PriceProblem, WAITLIST_OFFER, WaitlistEntry, WaitlistStatus,
    payout_cents,
};
use bilheteria_domain::sales::{ItemKind, Order, OrderFailure, OrderItem};
use bilheteria_domain::tickets::SeatLabel;
use bilheteria_domain::transfers::TransferBlock;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use time::OffsetDateTime;
use uuid::Uuid;

const LISTING_SELECT: &str = "SELECT l.id, l.ticket_id, l.session_id, l.event_id, l.seller_id, l.price_cents, \
     l.face_value_cents, l.currency, l.status, l.offered_until, l.created_at, t.section_id, t.seat_id, sec.name AS section_name, \
     st.row_label, st.number FROM resale_listings l JOIN tickets t ON t.id = l.ticket_id \
     JOIN sections sec ON sec.id = t.section_id LEFT JOIN seats st ON st.id = t.seat_id";

fn listing_from_row(row: &DbRow) -> Result<Listing, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let seat = seat_label_from_row(row)?;
    Ok(Listing {
        id: ListingId(row.try_get("id")?),
        ticket_id: TicketId(row.try_get("ticket_id")?),
        session_id: SessionId(row.try_get("session_id")?),
        event_id: EventId(row.try_get("event_id")?),
        seller_id: UserId(row.try_get("seller_id")?),
        seat,
        section_id: SectionId(row.try_get("section_id")?),
        price_cents: row.try_get("price_cents")?,
        face_value_cents: row.try_get("face_value_cents")?,
        currency: row.try_get("currency")?,
        status: ListingStatus::parse(&status).ok_or_else(|| corrupt("resale_listings.status"))?,
        offered_until: row
            .try_get::<Option<i64>, _>("offered_until")?
            .map(from_micros),
        created_at: from_micros(row.try_get("created_at")?),
    })
}

fn unavailable() -> StoreError {
    StoreError::Refused(Refusal::ListingUnavailable)
}

/// The kind and reference of the order line a ticket of `ticket`'s place is sold as.
fn bought_as(ticket: &TicketRow) -> (ItemKind, String) {
    match ticket.seat {
        Some(seat) => (ItemKind::Seat, SeatId(seat).to_string()),
        None => (ItemKind::Standing, SectionId(ticket.section).to_string()),
    }
}

async fn list(tx: &mut Tx, new: &NewListing, audit: &AuditContext) -> StoreResult<Uuid> {
    let ticket = lock_ticket(tx, new.ticket_id.0).await?;
    if ticket.holder != new.seller_id.0 || !ticket.valid {
        return Err(StoreError::Refused(Refusal::TransferNotAllowed(
            TransferBlock::TicketNotValid,
        )));
    }
    let now = to_micros(new.at);
    let pending = sqlx::query(
        "SELECT 1 FROM transfers WHERE ticket_id = $1 AND status = 'pending' AND expires_at > $2",
    )
    .bind(new.ticket_id.0)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    if pending.is_some() {
        return Err(StoreError::Refused(Refusal::TransferNotAllowed(
            TransferBlock::AlreadyPending,
        )));
    }
    let face_value = ticket.face_value_cents;
    let price = match new.asking.check(face_value) {
        Ok(price) => price,
        Err(PriceProblem::AboveFaceValue { face_value_cents }) => {
            return Err(StoreError::Refused(Refusal::ResaleAboveFaceValue {
                face_value_cents,
            }));
        }
        Err(PriceProblem::NotPositive) => {
            return Err(StoreError::database(
                "a listing price below 1 reached the store",
            ));
        }
    };
    let currency: String = sqlx::query("SELECT currency FROM orders WHERE id = $1")
        .bind(ticket.order)
        .fetch_one(&mut **tx)
        .await?
        .try_get("currency")?;
    let inserted = sqlx::query(
        "INSERT INTO resale_listings (id, ticket_id, session_id, event_id, seller_id, source_order_id, price_cents, \
         face_value_cents, payout_cents, currency, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'listed', $11)",
    )
    .bind(new.id.0)
    .bind(new.ticket_id.0)
    .bind(ticket.session)
    .bind(ticket.event)
    .bind(new.seller_id.0)
    .bind(ticket.order)
    .bind(price)
    .bind(face_value)
    .bind(payout_cents(price, new.fee_percent))
    .bind(&currency)
    .bind(now)
    .execute(&mut **tx)
    .await;
    match inserted {
        Err(error) if is_unique_violation(&error) => {
            return Err(StoreError::Refused(Refusal::TransferNotAllowed(
                TransferBlock::Listed,
            )));
        }
        other => other?,
    };
    offer_to_next(tx, new.id.0, ticket.session, now).await?;
    append_audit(
        tx,
        audit,
        new.at,
        Change {
            action: "ticket.listed",
            target_type: "ticket",
            target_id: new.ticket_id.to_string(),
            before: None,
            after: Some(
                serde_json::json!({"listing_id": new.id, "price_cents": price, "face_value_cents": face_value})
                    .to_string(),
            ),
        },
    )
    .await?;
    Ok(new.id.0)
}

/// The listing's row, locked: status, seller, ticket, buyer's order.
struct ListingRow {
    id: Uuid,
    status: String,
    /// The waitlist's buyer it is offered to alone, until when.
    offered: Option<(Uuid, i64)>,
    seller: Uuid,
    ticket: Uuid,
    price: i64,
    buyer_order: Option<Uuid>,
}

async fn lock_listing(tx: &mut Tx, id: Uuid) -> StoreResult<Option<ListingRow>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT id, status, seller_id, ticket_id, price_cents, buyer_order_id, offered_to, offered_until \
         FROM resale_listings WHERE id = $1{}",
        ThisBackend::LOCK_ROW
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| {
        Ok(ListingRow {
            id: row.try_get("id")?,
            status: row.try_get("status")?,
            offered: row
                .try_get::<Option<Uuid>, _>("offered_to")?
                .zip(row.try_get::<Option<i64>, _>("offered_until")?),
            seller: row.try_get("seller_id")?,
            ticket: row.try_get("ticket_id")?,
            price: row.try_get("price_cents")?,
            buyer_order: row.try_get("buyer_order_id")?,
        })
    })
    .transpose()
}

impl ThisBackend {
    /// `begin_order` of a listing, once its key is recorded as new: reserves the listing for
    /// this order, moves one unit of the buyer's cap (C1), and writes the order (with a hold that
    /// records the one place it buys) awaiting payment.
    pub(super) async fn start_resale(
        &self,
        tx: &mut Tx,
        new: NewOrder,
        listing: ListingId,
        now: i64,
    ) -> StoreResult<BeginOrder> {
        let listed = lock_listing(tx, listing.0)
            .await?
            .ok_or(StoreError::NotFound)?;
        if listed.status != "listed" || listed.seller == new.user_id.0 {
            return Err(unavailable());
        }
        if let Some((offered_to, until)) = listed.offered
            && offered_to != new.user_id.0
            && until > now
        {
            // Offered to the head of the waitlist for now.
            return Err(unavailable());
        }
        let ticket = lock_ticket(tx, listed.ticket).await?;
        if !ticket.valid || ticket.holder != listed.seller {
            return Err(unavailable());
        }
        let session = self
            .get_session(SessionId(ticket.session))
            .await?
            .ok_or_else(|| StoreError::database("a listing's session is missing"))?;
        // Tickets change hands only while the session's rules allow it.
        session
            .transfers
            .offer_expiry(session.starts_at, from_micros(now))
            .map_err(|block| StoreError::Refused(Refusal::TransferNotAllowed(block)))?;
        let cap = session.max_tickets_per_user;
        if !allocate(tx, new.user_id.0, ticket.session, 1, cap).await? {
            return Err(purchase_limit_exceeded(cap));
        }
        let hold = HoldId::new();
        sqlx::query(
            "INSERT INTO holds (id, user_id, session_id, section_id, kind, quantity, status, expires_at, created_at, \
             half_quantity, eligibility) VALUES ($1, $2, $3, $4, $5, 1, 'ordered', $6, $7, $8, $9)",
        )
        .bind(hold.0)
        .bind(new.user_id.0)
        .bind(ticket.session)
        .bind(ticket.section)
        .bind(if ticket.seat.is_some() { "seats" } else { "standing" })
        .bind(to_micros(new.settle_after))
        .bind(now)
        .bind(i64::from(ticket.ticket_type == TicketType::Half))
        .bind(ticket.eligibility.map(Eligibility::as_str))
        .execute(&mut **tx)
        .await?;
        let currency = session.currency.as_str().to_owned();
        let pix_expires_at = pix_deadline(&new, session.pix_expires_after_seconds, now);
        sqlx::query(
            "INSERT INTO orders (id, user_id, session_id, event_id, hold_id, status, total_cents, currency, payment_token, \
             client_ip, idempotency_key, next_settle_at, created_at, updated_at, listing_id, installments, payment_method, \
             pix_expires_at) VALUES ($1, $2, $3, $4, $5, 'awaiting_payment', $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16)",
        )
        .bind(new.id.0)
        .bind(new.user_id.0)
        .bind(ticket.session)
        .bind(ticket.event)
        .bind(hold.0)
        .bind(listed.price)
        .bind(&currency)
        .bind(&new.payment_token)
        .bind(&new.client_ip)
        .bind(&new.idempotency_key)
        .bind(to_micros(new.settle_after))
        .bind(now)
        .bind(listing.0)
        .bind(new.installments)
        .bind(new.payment_method.as_str())
        .bind(pix_expires_at)
        .execute(&mut **tx)
        .await?;
        let (kind, reference) = bought_as(&ticket);
        let unit = self.ticket_unit(tx, &ticket).await?;
        let place = match &unit.seat {
            Some(seat) => Place::of(Some(seat), None),
            None => Place::Standing {
                section: Some(
                    sqlx::query("SELECT name FROM sections WHERE id = $1")
                        .bind(ticket.section)
                        .fetch_one(&mut **tx)
                        .await?
                        .try_get("name")?,
                ),
            },
        };
        let items = vec![OrderItem {
            kind,
            reference_id: reference,
            description: String::new(),
            bought: Bought::Place {
                place,
                resale: true,
            },
            quantity: 1,
            unit_price_cents: listed.price,
            ticket_type: Some(ticket.ticket_type),
            eligibility: ticket.eligibility,
        }];
        record_order_items(&mut OnTx(tx), new.id, &items).await?;
        sqlx::query(
            "UPDATE resale_listings SET status = 'reserved', buyer_order_id = $1 WHERE id = $2",
        )
        .bind(new.id.0)
        .bind(listed.id)
        .execute(&mut **tx)
        .await?;
        let places = (SessionId(ticket.session), EventId(ticket.event), hold);
        let sale = ListingSale {
            listing_id: listing,
            ticket_id: TicketId(listed.ticket),
            seller_id: UserId(listed.seller),
            version: ticket.version,
        };
        let total = (listed.price, currency.as_str());
        let paying = (Some(sale), pix_expires_at);
        started(new, places, total, items, vec![unit], paying, now)
    }

    async fn ticket_unit(&self, tx: &mut Tx, ticket: &TicketRow) -> StoreResult<TicketUnit> {
        let seat = match ticket.seat {
            Some(seat) => {
                let row = sqlx::query(
                    "SELECT sec.name AS section_name, st.row_label, st.number FROM seats st \
                     JOIN sections sec ON sec.id = st.section_id WHERE st.id = $1",
                )
                .bind(seat)
                .fetch_one(&mut **tx)
                .await?;
                Some(SeatLabel {
                    section: row.try_get("section_name")?,
                    row: row.try_get("row_label")?,
                    number: row.try_get("number")?,
                })
            }
            None => None,
        };
        Ok(TicketUnit {
            seat_id: ticket.seat.map(SeatId),
            seat,
            section_id: SectionId(ticket.section),
            ticket_type: ticket.ticket_type,
            eligibility: ticket.eligibility,
            pool: ticket.pool,
        })
    }

    /// What a resale order hands over, for settling it again (reconciliation, webhooks).
    pub(super) async fn listing_sale(
        &self,
        listing: Uuid,
    ) -> Result<Option<(ListingSale, TicketUnit)>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT l.id, l.ticket_id, l.seller_id, t.version, t.section_id, t.seat_id, t.ticket_type, t.eligibility, \
             t.pool, sec.name AS section_name, \
             st.row_label, st.number FROM resale_listings l JOIN tickets t ON t.id = l.ticket_id \
             JOIN sections sec ON sec.id = t.section_id LEFT JOIN seats st ON st.id = t.seat_id WHERE l.id = $1",
        )
        .bind(listing)
        .fetch_optional(self.reader())
        .await?;
        row.map(|row| {
            let seat_id: Option<Uuid> = row.try_get("seat_id")?;
            let seat = seat_label_from_row(&row)?;
            Ok((
                ListingSale {
                    listing_id: ListingId(row.try_get("id")?),
                    ticket_id: TicketId(row.try_get("ticket_id")?),
                    seller_id: UserId(row.try_get("seller_id")?),
                    version: row.try_get("version")?,
                },
                TicketUnit {
                    seat_id: seat_id.map(SeatId),
                    seat,
                    section_id: SectionId(row.try_get("section_id")?),
                    ticket_type: ticket_type_from_row(&row)?,
                    eligibility: eligibility_from_row(&row)?,
                    pool: row
                        .try_get::<Option<String>, _>("pool")?
                        .and_then(|raw| Pool::parse(&raw)),
                },
            ))
        })
        .transpose()
    }
}

/// Offers a listing on sale to the first buyer waiting for its session, alone, for
/// `WAITLIST_OFFER`; with nobody waiting, it stays on sale to everyone.
async fn offer_to_next(tx: &mut Tx, listing: Uuid, session: Uuid, now: i64) -> StoreResult<()> {
    let next = sqlx::query(AssertSqlSafe(format!(
        "SELECT id, user_id FROM waitlist WHERE session_id = $1 AND status = 'waiting' \
         ORDER BY joined_at, id LIMIT 1{}",
        ThisBackend::LOCK_ROW
    )))
    .bind(session)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(next) = next else {
        sqlx::query(
            "UPDATE resale_listings SET offered_to = NULL, offered_until = NULL WHERE id = $1",
        )
        .bind(listing)
        .execute(&mut **tx)
        .await?;
        return Ok(());
    };
    let until = now + WAITLIST_OFFER.whole_microseconds() as i64;
    let user: Uuid = next.try_get("user_id")?;
    sqlx::query(
        "UPDATE waitlist SET status = 'offered', listing_id = $1, offer_expires_at = $2 WHERE id = $3",
    )
    .bind(listing)
    .bind(until)
    .bind(next.try_get::<Uuid, _>("id")?)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE resale_listings SET offered_to = $1, offered_until = $2 WHERE id = $3")
        .bind(user)
        .bind(until)
        .bind(listing)
        .execute(&mut **tx)
        .await?;
    let email: String = sqlx::query("SELECT email FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(&mut **tx)
        .await?
        .try_get("email")?;
    let payload = serde_json::json!({ "listing_id": ListingId(listing), "to": email });
    enqueue(
        tx,
        "waitlist_offer",
        format!("waitlist_offer:{listing}:{user}"),
        payload,
        now,
    )
    .await?;
    Ok(())
}

fn waitlist_from_row(row: &DbRow) -> Result<WaitlistEntry, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let status = WaitlistStatus::parse(&status).ok_or_else(|| corrupt("waitlist.status"))?;
    Ok(WaitlistEntry {
        id: WaitlistId(row.try_get("id")?),
        session_id: SessionId(row.try_get("session_id")?),
        user_id: UserId(row.try_get("user_id")?),
        status,
        position: (status == WaitlistStatus::Waiting)
            .then(|| row.try_get::<i64, _>("ahead").map(|ahead| ahead + 1))
            .transpose()?,
        listing_id: row.try_get::<Option<Uuid>, _>("listing_id")?.map(ListingId),
        offer_expires_at: row
            .try_get::<Option<i64>, _>("offer_expires_at")?
            .map(from_micros),
        joined_at: from_micros(row.try_get("joined_at")?),
    })
}

/// A user's current entry in a session's waitlist, with how many wait ahead of them.
const WAITLIST_ENTRY: &str = "SELECT w.id, w.session_id, w.user_id, w.status, w.listing_id, w.offer_expires_at, w.joined_at, \
     (SELECT COUNT(*) FROM waitlist a WHERE a.session_id = w.session_id AND a.status = 'waiting' \
      AND (a.joined_at < w.joined_at OR (a.joined_at = w.joined_at AND a.id < w.id))) AS ahead \
     FROM waitlist w WHERE w.session_id = $1 AND w.user_id = $2 AND w.status IN ('waiting', 'offered')";

/// Hands the listed ticket to the paying buyer: a new holder, version and code, the seller's
/// cap unit given back, the listing sold and the seller's payout queued. The code of what could
/// not be kept (the ticket was used, refunded or cancelled meanwhile), if anything.
pub(super) async fn sell_listing(
    tx: &mut Tx,
    order: &Order,
    sale: &ListingSale,
    ticket: &TicketDraft,
    at: i64,
) -> StoreResult<Option<&'static str>> {
    let Some(listed) = lock_listing(tx, sale.listing_id.0).await? else {
        return Ok(Some(OrderFailure::ListingUnavailable.as_str()));
    };
    if listed.status != "reserved" || listed.buyer_order != Some(order.id.0) {
        return Ok(Some(OrderFailure::ListingUnavailable.as_str()));
    }
    let row = lock_ticket(tx, sale.ticket_id.0).await?;
    if !row.valid || row.holder != sale.seller_id.0 || row.version != sale.version {
        return Ok(Some(OrderFailure::ListingUnavailable.as_str()));
    }
    // The ticket's face value becomes what its new holder's order paid for it: a refund of that
    // order, or a later resale, is measured against it.
    sqlx::query(
        "UPDATE tickets SET holder_id = $1, version = $2, code = $3, order_id = $4, updated_at = $5, \
         face_value_cents = $7 WHERE id = $6",
    )
    .bind(order.user_id.0)
    .bind(ticket.version)
    .bind(&ticket.code)
    .bind(order.id.0)
    .bind(at)
    .bind(sale.ticket_id.0)
    .bind(listed.price)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE allocations SET tickets = tickets - 1 WHERE user_id = $1 AND session_id = $2",
    )
    .bind(sale.seller_id.0)
    .bind(row.session)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE resale_listings SET status = 'sold', closed_at = $1 WHERE id = $2")
        .bind(at)
        .bind(listed.id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE waitlist SET status = 'served' WHERE listing_id = $1 AND user_id = $2 AND status = 'offered'",
    )
    .bind(listed.id)
    .bind(order.user_id.0)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO resale_payouts (listing_id, order_id, amount_cents, currency, status, created_at) \
         SELECT id, source_order_id, payout_cents, currency, 'pending', $1 FROM resale_listings WHERE id = $2",
    )
    .bind(at)
    .bind(listed.id)
    .execute(&mut **tx)
    .await?;
    // The seller hears of the sale and of what they will be paid back.
    let email: String = sqlx::query("SELECT email FROM users WHERE id = $1")
        .bind(sale.seller_id.0)
        .fetch_one(&mut **tx)
        .await?
        .try_get("email")?;
    let payload = serde_json::json!({ "listing_id": ListingId(listed.id), "to": email });
    enqueue(
        tx,
        "listing_sold",
        format!("listing_sold:{}", listed.id),
        payload,
        at,
    )
    .await?;
    Ok(None)
}

/// Ends the reservation of a resale order that will not be paid: the listing is on sale again
/// (or cancelled, if its ticket is no longer the seller's valid ticket), and the buyer's cap
/// unit and the order's hold are given back.
pub(super) async fn release_reservation(tx: &mut Tx, order: Uuid, at: i64) -> StoreResult<()> {
    let row = sqlx::query(
        "SELECT l.id, l.ticket_id, l.seller_id, l.session_id, o.user_id, o.hold_id FROM resale_listings l \
         JOIN orders o ON o.id = l.buyer_order_id WHERE l.buyer_order_id = $1 AND l.status = 'reserved'",
    )
    .bind(order)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(()) };
    let ticket = lock_ticket(tx, row.try_get("ticket_id")?).await?;
    let still_on_sale = ticket.valid && ticket.holder == row.try_get::<Uuid, _>("seller_id")?;
    sqlx::query(
        "UPDATE resale_listings SET status = $1, buyer_order_id = NULL, closed_at = $2 WHERE id = $3",
    )
    .bind(if still_on_sale { "listed" } else { "cancelled" })
    .bind((!still_on_sale).then_some(at))
    .bind(row.try_get::<Uuid, _>("id")?)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE allocations SET tickets = tickets - 1 WHERE user_id = $1 AND session_id = $2",
    )
    .bind(row.try_get::<Uuid, _>("user_id")?)
    .bind(row.try_get::<Uuid, _>("session_id")?)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE holds SET status = 'released' WHERE id = $1")
        .bind(row.try_get::<Uuid, _>("hold_id")?)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The face value of the tickets resold from order `$1`.
const RESOLD_FACE_VALUE: &str = "SELECT CAST(COALESCE(SUM(face_value_cents), 0) AS BIGINT) AS resold \
     FROM resale_listings WHERE source_order_id = $1 AND status = 'sold'";

/// What refunding `order` gives back: its total, less the face value of tickets resold from it
/// (their sellers were paid back by the resale).
pub(super) async fn refundable_cents(tx: &mut Tx, order: Uuid, total: i64) -> StoreResult<i64> {
    let resold: i64 = sqlx::query(RESOLD_FACE_VALUE)
        .bind(order)
        .fetch_one(&mut **tx)
        .await?
        .try_get("resold")?;
    Ok(total - resold)
}

#[async_trait]
impl ResaleStore for ThisBackend {
    async fn seller_listing(
        &self,
        ticket: TicketId,
        seller: UserId,
    ) -> StoreResult<Option<SellerListing>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{LISTING_SELECT} WHERE l.ticket_id = $1 AND l.seller_id = $2 ORDER BY l.created_at DESC, l.id DESC LIMIT 1"
        )))
        .bind(ticket.0)
        .bind(seller.0)
        .fetch_optional(self.reader())
        .await?;
        let Some(listing) = row.as_ref().map(listing_from_row).transpose()? else {
            return Ok(None);
        };
        let money = sqlx::query(
            "SELECT l.payout_cents, l.closed_at, p.paid_at FROM resale_listings l \
             LEFT JOIN resale_payouts p ON p.listing_id = l.id AND p.status = 'succeeded' WHERE l.id = $1",
        )
        .bind(listing.id.0)
        .fetch_one(self.reader())
        .await?;
        let instant = |column: &str| -> Result<Option<OffsetDateTime>, sqlx::Error> {
            Ok(money.try_get::<Option<i64>, _>(column)?.map(from_micros))
        };
        Ok(Some(SellerListing {
            payout_cents: money.try_get("payout_cents")?,
            closed_at: instant("closed_at")?,
            paid_out_at: instant("paid_at")?,
            listing,
        }))
    }

    async fn list_ticket(&self, new: NewListing, audit: &AuditContext) -> StoreResult<Listing> {
        let mut tx = self.begin_write().await?;
        let outcome = list(&mut tx, &new, audit).await;
        let id = finish(tx, outcome).await?;
        self.get_listing(ListingId(id))
            .await?
            .ok_or_else(|| StoreError::database("a listing just written is missing"))
    }

    async fn withdraw_listing(
        &self,
        id: ListingId,
        seller: UserId,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let listed = lock_listing(&mut tx, id.0)
                .await?
                .filter(|listed| listed.seller == seller.0)
                .ok_or(StoreError::NotFound)?;
            if listed.status != "listed" {
                return Err(unavailable());
            }
            sqlx::query(
                "UPDATE resale_listings SET status = 'withdrawn', closed_at = $1 WHERE id = $2",
            )
            .bind(to_micros(at))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            // Whoever it was offered to keeps their place in line.
            sqlx::query(
                "UPDATE waitlist SET status = 'waiting', listing_id = NULL, offer_expires_at = NULL \
                 WHERE listing_id = $1 AND status = 'offered'",
            )
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            append_audit(
                &mut tx,
                audit,
                at,
                Change {
                    action: "ticket.listing_withdrawn",
                    target_type: "ticket",
                    target_id: TicketId(listed.ticket).to_string(),
                    before: Some(serde_json::json!({"listing_id": id}).to_string()),
                    after: None,
                },
            )
            .await?;
            Ok(())
        }
        .await;
        finish(tx, outcome).await
    }

    async fn get_listing(&self, id: ListingId) -> StoreResult<Option<Listing>> {
        let row = sqlx::query(AssertSqlSafe(format!("{LISTING_SELECT} WHERE l.id = $1")))
            .bind(id.0)
            .fetch_optional(self.reader())
            .await?;
        Ok(row.as_ref().map(listing_from_row).transpose()?)
    }

    async fn session_listings(
        &self,
        session: SessionId,
        viewer: Option<UserId>,
        now: OffsetDateTime,
        page: &PageRequest,
    ) -> StoreResult<Page<Listing>> {
        // Cheapest first; the cursor is "price:id" so pages neither skip nor repeat.
        let mut query = QueryBuilder::<Db>::new(LISTING_SELECT);
        query.push(" WHERE l.session_id = ");
        query.push_bind(session.0);
        query.push(" AND l.status = 'listed' AND (l.offered_to IS NULL OR l.offered_until <= ");
        query.push_bind(to_micros(now));
        if let Some(viewer) = viewer {
            query.push(" OR l.offered_to = ");
            query.push_bind(viewer.0);
        }
        query.push(")");
        if let Some(cursor) = &page.after {
            let (price, id) = cursor
                .split_once(':')
                .and_then(|(price, id)| {
                    Some((price.parse::<i64>().ok()?, id.parse::<Uuid>().ok()?))
                })
                .ok_or(StoreError::InvalidCursor)?;
            query.push(" AND (l.price_cents > ");
            query.push_bind(price);
            query.push(" OR (l.price_cents = ");
            query.push_bind(price);
            query.push(" AND l.id > ");
            query.push_bind(id);
            query.push("))");
        }
        query.push(" ORDER BY l.price_cents, l.id LIMIT ");
        query.push_bind(page.limit + 1);
        let rows = query.build().fetch_all(self.reader()).await?;
        let listings = rows
            .iter()
            .map(listing_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(listings, page.limit, |listing| {
            format!("{}:{}", listing.price_cents, listing.id)
        }))
    }

    async fn resale_by_section(
        &self,
        session: SessionId,
        viewer: Option<UserId>,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<(SectionId, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT t.section_id, COUNT(*) AS listed, MIN(l.price_cents) AS cheapest FROM resale_listings l \
             JOIN tickets t ON t.id = l.ticket_id WHERE l.session_id = $1 AND l.status = 'listed' \
             AND (l.offered_to IS NULL OR l.offered_until <= $2 OR l.offered_to = $3) GROUP BY t.section_id",
        )
        .bind(session.0)
        .bind(to_micros(now))
        .bind(viewer.map(|v| v.0))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    SectionId(row.try_get("section_id")?),
                    row.try_get("listed")?,
                    row.try_get("cheapest")?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    async fn join_waitlist(
        &self,
        session: SessionId,
        user: UserId,
        at: OffsetDateTime,
    ) -> StoreResult<(WaitlistEntry, bool)> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let now = to_micros(at);
            let inserted = sqlx::query(
                "INSERT INTO waitlist (id, session_id, user_id, status, joined_at) VALUES ($1, $2, $3, 'waiting', $4) \
                 ON CONFLICT (session_id, user_id) WHERE status IN ('waiting', 'offered') DO NOTHING",
            )
            .bind(WaitlistId::new().0)
            .bind(session.0)
            .bind(user.0)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if inserted {
                // A listing on sale to everyone goes to the head of the line, which may be them.
                let open = sqlx::query(
                    "SELECT id FROM resale_listings WHERE session_id = $1 AND status = 'listed' \
                     AND (offered_to IS NULL OR offered_until <= $2) ORDER BY price_cents, id LIMIT 1",
                )
                .bind(session.0)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(open) = open {
                    offer_to_next(&mut tx, open.try_get("id")?, session.0, now).await?;
                }
            }
            let entry = sqlx::query(WAITLIST_ENTRY)
                .bind(session.0)
                .bind(user.0)
                .fetch_one(&mut *tx)
                .await?;
            Ok::<_, StoreError>((waitlist_from_row(&entry)?, inserted))
        }
        .await;
        finish(tx, outcome).await
    }

    async fn waitlist_entry(
        &self,
        session: SessionId,
        user: UserId,
    ) -> StoreResult<Option<WaitlistEntry>> {
        let row = sqlx::query(WAITLIST_ENTRY)
            .bind(session.0)
            .bind(user.0)
            .fetch_optional(self.reader())
            .await?;
        Ok(row.as_ref().map(waitlist_from_row).transpose()?)
    }

    async fn leave_waitlist(
        &self,
        session: SessionId,
        user: UserId,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let left = sqlx::query(
                "UPDATE waitlist SET status = 'left' WHERE session_id = $1 AND user_id = $2 \
                 AND status IN ('waiting', 'offered') RETURNING listing_id",
            )
            .bind(session.0)
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(left) = left else { return Ok(false) };
            if let Some(listing) = left.try_get::<Option<Uuid>, _>("listing_id")? {
                // What was offered to them goes to the next in line.
                offer_to_next(&mut tx, listing, session.0, to_micros(at)).await?;
            }
            Ok::<_, StoreError>(true)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn pass_lapsed_offers(&self, now: OffsetDateTime) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let now = to_micros(now);
            let lapsed = sqlx::query(AssertSqlSafe(format!(
                "SELECT id, session_id FROM resale_listings WHERE status = 'listed' AND offered_to IS NOT NULL \
                 AND offered_until <= $1 LIMIT 100{}",
                ThisBackend::LOCK_SKIP
            )))
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
            for listing in &lapsed {
                let id: Uuid = listing.try_get("id")?;
                sqlx::query(
                    "UPDATE waitlist SET status = 'lapsed' WHERE listing_id = $1 AND status = 'offered'",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
                offer_to_next(&mut tx, id, listing.try_get("session_id")?, now).await?;
            }
            Ok::<_, StoreError>(lapsed.len() as u64)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn resold_face_value_cents(&self, order: OrderId) -> StoreResult<i64> {
        let resold: i64 = sqlx::query(RESOLD_FACE_VALUE)
            .bind(order.0)
            .fetch_one(self.reader())
            .await?
            .try_get("resold")?;
        Ok(resold)
    }

    async fn payouts_due(
        &self,
        listing: Option<ListingId>,
        limit: i64,
    ) -> StoreResult<Vec<PayoutDue>> {
        let mut query = QueryBuilder::<Db>::new(
            "SELECT p.listing_id, p.order_id, p.amount_cents, o.payment_reference FROM resale_payouts p \
             JOIN orders o ON o.id = p.order_id WHERE p.status = 'pending'",
        );
        if let Some(listing) = listing {
            query.push(" AND p.listing_id = ").push_bind(listing.0);
        }
        query.push(" ORDER BY p.created_at LIMIT ").push_bind(limit);
        let rows = query.build().fetch_all(self.reader()).await?;
        rows.iter()
            .map(|row| {
                Ok(PayoutDue {
                    listing_id: ListingId(row.try_get("listing_id")?),
                    order_id: OrderId(row.try_get("order_id")?),
                    charge_reference: row
                        .try_get::<Option<String>, _>("payment_reference")?
                        .unwrap_or_default(),
                    amount_cents: row.try_get("amount_cents")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    async fn record_payout(
        &self,
        listing: ListingId,
        reference: &str,
        at: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            sqlx::query(
                "UPDATE resale_payouts SET status = 'succeeded', reference = $1, paid_at = $2 \
                 WHERE listing_id = $3 AND status = 'pending'",
            )
            .bind(reference)
            .bind(to_micros(at))
            .bind(listing.0)
            .execute(&mut *tx)
            .await?;
            Ok::<_, StoreError>(())
        }
        .await;
        finish(tx, outcome).await
    }
}
