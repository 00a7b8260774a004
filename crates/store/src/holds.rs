//! Holds, shared by both backends (compiled once inside each backend module): a buyer's claim on
//! seats or standing places, and on the per-session cap (C1), until it expires or is ordered.
//! Every claim is a conditional update inside one short transaction.

use super::shared::{OnTx, corrupt, finish, write_steps};
use super::slices::{
    HOLD_PLACES, PoolSlices, RELEASE_HELD_PLACES, SELL_FREE_PLACES, SELL_HELD_PLACES,
    take_from_slices_in,
};
use super::{ThisBackend, Tx};
use crate::Refusal;
use crate::dialect::Dialect;
use crate::steps::{Arg, Columns, Steps, placeholders};
use crate::{HoldStore, NewHold, Pool, StoreError, StoreResult, TicketUnit};
use async_trait::async_trait;
use bilheteria_domain::clock::{from_micros, to_micros};
use bilheteria_domain::half_price::{Eligibility, TicketType};
use bilheteria_domain::ids::{HoldId, OrderId, SeatId, SectionId, SessionId, UserId};
use bilheteria_domain::sales::{Hold, HoldRequest, OrderFailure};
use sqlx::{AssertSqlSafe, Row};
use time::OffsetDateTime;
use uuid::Uuid;

/// A hold as the tables keep it.
pub(super) struct HoldRow {
    pub(super) id: Uuid,
    pub(super) user_id: Uuid,
    pub(super) session_id: Uuid,
    pub(super) section_id: Uuid,
    pub(super) seated: bool,
    pub(super) quantity: i64,
    pub(super) status: String,
    pub(super) expires_at: i64,
    /// Units drawn from the session's open places and from its half-price reserve.
    pub(super) open_units: i64,
    pub(super) reserve_units: i64,
    /// How many of the units are half price, and on what ground.
    pub(super) half_quantity: i64,
    pub(super) eligibility: Option<Eligibility>,
}

impl HoldRow {
    /// The pools the hold drew from, with their units, reserve last (the order every move
    /// takes them in).
    pub(super) fn pooled(&self) -> impl Iterator<Item = (Pool, i64)> {
        [
            (Pool::Open, self.open_units),
            (Pool::Reserve, self.reserve_units),
        ]
        .into_iter()
        .filter(|(_, units)| *units > 0)
    }

    /// Gives each of the hold's units (all of them, in any fixed order) the pool its place was
    /// drawn from: a half-price place of the quota from the reserve, the others from the open
    /// places as far as the hold drew there, the rest from the opened reserve. None for a hold
    /// made before the pools existed.
    pub(super) fn assign_pools(&self, units: &mut [TicketUnit]) {
        let pooled = self.open_units + self.reserve_units > 0;
        let quota = self.eligibility.is_some_and(Eligibility::in_quota);
        let mut open_left = self.open_units;
        for unit in units {
            unit.pool = if !pooled {
                None
            } else if quota && unit.ticket_type == TicketType::Half {
                Some(Pool::Reserve)
            } else if open_left > 0 {
                open_left -= 1;
                Some(Pool::Open)
            } else {
                Some(Pool::Reserve)
            };
        }
    }

    /// A unit of this hold of `ticket_type`, seat, section and pool aside (a standing unit as
    /// is; `assign_pools` sets the pool).
    pub(super) fn unit(&self, ticket_type: TicketType) -> TicketUnit {
        TicketUnit {
            seat_id: None,
            seat: None,
            section_id: SectionId(self.section_id),
            ticket_type,
            eligibility: self.eligibility.filter(|_| ticket_type == TicketType::Half),
            pool: None,
        }
    }

    /// A standing hold's units, their pools assigned: its half-price ones first.
    pub(super) fn standing_units(&self) -> Vec<TicketUnit> {
        let half = usize::try_from(self.half_quantity).unwrap_or(0);
        let all = usize::try_from(self.quantity).unwrap_or(0);
        let mut units = vec![self.unit(TicketType::Half); half.min(all)];
        units.resize(all, self.unit(TicketType::Full));
        self.assign_pools(&mut units);
        units
    }
}

macro_rules! hold_columns {
    () => {
        "id, user_id, session_id, section_id, kind, quantity, status, expires_at, open_units, reserve_units, \
         half_quantity, eligibility"
    };
}
pub(super) use hold_columns;

pub(super) fn hold_from_row(row: &impl Columns) -> Result<HoldRow, sqlx::Error> {
    Ok(HoldRow {
        id: row.uuid("id")?,
        user_id: row.uuid("user_id")?,
        session_id: row.uuid("session_id")?,
        section_id: row.uuid("section_id")?,
        seated: row.text("kind")? == "seats",
        quantity: row.int("quantity")?,
        status: row.text("status")?,
        expires_at: row.int("expires_at")?,
        open_units: row.int("open_units")?,
        reserve_units: row.int("reserve_units")?,
        half_quantity: row.int("half_quantity")?,
        eligibility: row
            .opt_text("eligibility")?
            .map(|raw| Eligibility::parse(&raw).ok_or_else(|| corrupt("holds.eligibility")))
            .transpose()?,
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
pub(super) async fn release(
    tx: &mut Tx,
    holds: &[HoldRow],
    status: &str,
) -> Result<(), sqlx::Error> {
    release_in(&mut OnTx(tx), holds, status).await
}

/// [`release`] in a transaction of either kind (`crate::steps`).
pub(super) async fn release_in(
    tx: &mut impl Steps,
    holds: &[HoldRow],
    status: &str,
) -> Result<(), sqlx::Error> {
    let mut seated: Vec<Uuid> = holds.iter().filter(|h| h.seated).map(|h| h.id).collect();
    seated.sort();
    for hold in seated {
        tx.execute(
            "UPDATE session_seats SET status = 'available', hold_id = NULL, held_until = NULL \
             WHERE hold_id = $1 AND status = 'held'",
            &[Arg::Uuid(hold)],
        )
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
        if !take_from_slices_in(tx, &RELEASE_HELD_PLACES, &places, quantity, Uuid::now_v7()).await?
        {
            return Err(corrupt("standing_slices.held"));
        }
    }
    let mut pooled: std::collections::BTreeMap<(Uuid, bool), (Pool, i64)> =
        std::collections::BTreeMap::new();
    for hold in holds {
        for (pool, units) in hold.pooled() {
            pooled
                .entry((hold.session_id, pool == Pool::Reserve))
                .or_insert((pool, 0))
                .1 += units;
        }
    }
    for ((session, _), (pool, units)) in pooled {
        if !take_from_slices_in(tx, pool.release_held(), &[session], units, Uuid::now_v7()).await? {
            return Err(corrupt("pool slices held"));
        }
    }
    for ((user, session), quantity) in allocations {
        tx.execute(
            "UPDATE allocations SET tickets = tickets - $1 WHERE user_id = $2 AND session_id = $3",
            &[Arg::Int(quantity), Arg::Uuid(user), Arg::Uuid(session)],
        )
        .await?;
    }
    for hold in holds {
        tx.execute(
            "UPDATE holds SET status = $1 WHERE id = $2",
            &[Arg::Text(status), Arg::Uuid(hold.id)],
        )
        .await?;
    }
    Ok(())
}

/// Whether a failed transaction lost a race PostgreSQL resolved by aborting it (deadlock or
/// serialization failure): running it again is the cure.
pub(super) fn must_retry(error: &StoreError) -> bool {
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
pub(super) async fn allocate(
    tx: &mut Tx,
    user: Uuid,
    session: Uuid,
    units: i64,
    cap: i64,
) -> Result<bool, sqlx::Error> {
    allocate_in(&mut OnTx(tx), user, session, units, cap).await
}

/// [`allocate`] in a transaction of either kind (`crate::steps`).
async fn allocate_in(
    tx: &mut impl Steps,
    user: Uuid,
    session: Uuid,
    units: i64,
    cap: i64,
) -> Result<bool, sqlx::Error> {
    if units > cap {
        return Ok(false);
    }
    let moved = tx
        .execute(
            "INSERT INTO allocations (user_id, session_id, tickets, cap) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, session_id) DO UPDATE SET tickets = allocations.tickets + excluded.tickets, \
             cap = excluded.cap WHERE allocations.tickets + excluded.tickets <= excluded.cap",
            &[
                Arg::Uuid(user),
                Arg::Uuid(session),
                Arg::Int(units),
                Arg::Int(cap),
            ],
        )
        .await?;
    Ok(moved == 1)
}

pub(super) fn purchase_limit_exceeded(cap: i64) -> StoreError {
    StoreError::Refused(Refusal::PurchaseLimitExceeded { cap })
}

/// Claims the listed seats for `hold` unless someone else holds or bought them. Answers the
/// seats' section, or the seats that could not be claimed (the claim is then incomplete and must
/// be rolled back).
async fn claim_seats(
    tx: &mut impl Steps,
    session: Uuid,
    hold: Uuid,
    seats: &[SeatId],
    until: i64,
    now: i64,
    new_status: &str,
) -> StoreResult<Result<Uuid, Vec<SeatId>>> {
    let listed = seats.iter().map(|seat| Arg::Uuid(seat.0));
    let update = format!(
        "UPDATE session_seats SET status = $1, hold_id = $2, held_until = $3 WHERE session_id = $4 \
         AND (status = 'available' OR (status = 'held' AND held_until <= $5) OR (status = 'held' AND hold_id = $2)) \
         AND seat_id IN ({}) RETURNING section_id",
        placeholders(6, seats.len())
    );
    let mut args = vec![
        Arg::Text(new_status),
        Arg::Uuid(hold),
        Arg::Int(until),
        Arg::Uuid(session),
        Arg::Int(now),
    ];
    args.extend(listed.clone());
    let claimed = tx.fetch_all(&update, &args).await?;
    if claimed.len() == seats.len()
        && let Some(row) = claimed.first()
    {
        return Ok(Ok(row.uuid("section_id")?));
    }
    let query = format!(
        "SELECT seat_id, hold_id FROM session_seats WHERE session_id = $1 AND seat_id IN ({})",
        placeholders(2, seats.len())
    );
    let args: Vec<Arg> = std::iter::once(Arg::Uuid(session)).chain(listed).collect();
    let rows = tx.fetch_all(&query, &args).await?;
    let mut ours = std::collections::HashSet::new();
    let mut known = std::collections::HashSet::new();
    for row in &rows {
        let seat = row.uuid("seat_id")?;
        if row.opt_uuid("hold_id")? == Some(hold) {
            ours.insert(seat);
        }
        known.insert(seat);
    }
    if rows.len() < seats.len() {
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
    tx: &mut impl Steps,
    sql: &str,
    binds: (Uuid, Uuid, i64),
) -> Result<Vec<HoldRow>, sqlx::Error> {
    let query = format!(
        "SELECT {} FROM holds WHERE {sql} AND status = 'active' AND expires_at <= $3{}",
        hold_columns!(),
        ThisBackend::LOCK_ROW
    );
    let args = [Arg::Uuid(binds.0), Arg::Uuid(binds.1), Arg::Int(binds.2)];
    let rows = tx.fetch_all(&query, &args).await?;
    rows.iter().map(hold_from_row).collect()
}

/// Makes the hold's pool units sold (after every other row of the sale: the pools are the rows
/// all of a session's buyers draw on). A hold that ended before its payment settled draws them
/// again. Returns the code of what could not be kept.
pub(super) async fn sell_pooled(
    tx: &mut impl Steps,
    hold: &HoldRow,
) -> StoreResult<Option<&'static str>> {
    let session = [hold.session_id];
    for (pool, units) in hold.pooled() {
        if hold.status == "active" {
            if !take_from_slices_in(tx, pool.sell_held(), &session, units, hold.id).await? {
                return Err(corrupt("pool slices held").into());
            }
        } else if !take_from_slices_in(tx, pool.sell_free(), &session, units, hold.id).await? {
            return Ok(Some(match pool {
                Pool::Reserve => OrderFailure::HalfPriceSoldOut.as_str(),
                Pool::Open => OrderFailure::SoldOut.as_str(),
            }));
        }
    }
    Ok(None)
}

/// Makes the hold's units sold for `order`. Returns the code of what could not be kept.
pub(super) async fn claim_for_sale(
    tx: &mut impl Steps,
    hold: &HoldRow,
    now: i64,
) -> StoreResult<Option<&'static str>> {
    let session = hold.session_id;
    if hold.status == "active" {
        if hold.seated {
            let sold = tx
                .execute(
                    "UPDATE session_seats SET status = 'sold', held_until = NULL WHERE hold_id = $1 AND status = 'held'",
                    &[Arg::Uuid(hold.id)],
                )
                .await?;
            return Ok(
                (sold != hold.quantity as u64).then_some(OrderFailure::SeatsUnavailable.as_str())
            );
        }
        let places = [session, hold.section_id];
        if !take_from_slices_in(tx, &SELL_HELD_PLACES, &places, hold.quantity, hold.id).await? {
            return Err(corrupt("standing_slices.held").into());
        }
        return Ok(None);
    }
    // The hold ended before the payment settled: take the units again if they are still free
    // (inventory first, then the allocation, as everywhere).
    let lost = if hold.seated {
        let seats = tx
            .fetch_all(
                "SELECT seat_id FROM hold_seats WHERE hold_id = $1 ORDER BY seat_id",
                &[Arg::Uuid(hold.id)],
            )
            .await?
            .iter()
            .map(|row| row.uuid("seat_id").map(SeatId))
            .collect::<Result<Vec<_>, _>>()?;
        let claimed = claim_seats(tx, session, hold.id, &seats, now, now, "sold").await?;
        claimed
            .is_err()
            .then_some(OrderFailure::SeatsUnavailable.as_str())
    } else {
        let places = [session, hold.section_id];
        let claimed =
            take_from_slices_in(tx, &SELL_FREE_PLACES, &places, hold.quantity, hold.id).await?;
        (!claimed).then_some(OrderFailure::SoldOut.as_str())
    };
    if lost.is_some() {
        return Ok(lost);
    }
    let cap = tx
        .fetch_one(
            "SELECT max_tickets_per_user FROM event_sessions WHERE id = $1",
            &[Arg::Uuid(session)],
        )
        .await?
        .int("max_tickets_per_user")?;
    let allocated = allocate_in(tx, hold.user_id, session, hold.quantity, cap).await?;
    Ok((!allocated).then_some(OrderFailure::PurchaseLimitExceeded.as_str()))
}

/// Draws a new hold's units from the session's pools, last of all its rows (every buyer of the
/// session draws on them), open places before the reserve as every move takes them: the
/// half-price places of the quota come from the reserve, the others from the open places, and,
/// once the organizer has opened the reserve, what the open places lack from it. If a pool looks
/// full, lapsed holds of the session are ended and the draw tried once more.
async fn draw_from_pools(
    tx: &mut impl Steps,
    new: &NewHold,
    hold: Uuid,
    (open_units, reserve_units): (i64, i64),
) -> StoreResult<()> {
    let session = [new.session_id.0];
    let now = to_micros(new.now);
    let (mut open_left, mut quota_left, mut from_reserve) = (open_units, reserve_units, 0);
    let mut swept = false;
    loop {
        if open_left > 0
            && take_from_slices_in(tx, Pool::Open.hold(), &session, open_left, hold).await?
        {
            open_left = 0;
        }
        if open_left > 0 && new.reserve_open {
            let free = tx
                .fetch_one(
                    "SELECT CAST(COALESCE(SUM(capacity - held - sold), 0) AS BIGINT) AS free \
                     FROM open_slices WHERE session_id = $1",
                    &[Arg::Uuid(new.session_id.0)],
                )
                .await?
                .int("free")?;
            let free = free.clamp(0, open_left - 1);
            if free > 0 && take_from_slices_in(tx, Pool::Open.hold(), &session, free, hold).await? {
                open_left -= free;
            }
            if take_from_slices_in(tx, Pool::Reserve.hold(), &session, open_left, hold).await? {
                from_reserve += open_left;
                open_left = 0;
            }
        }
        if open_left == 0
            && quota_left > 0
            && take_from_slices_in(tx, Pool::Reserve.hold(), &session, quota_left, hold).await?
        {
            quota_left = 0;
        }
        if open_left == 0 && quota_left == 0 {
            break;
        }
        if swept || !release_lapsed_of_session(tx, new.session_id.0, now).await? {
            // What was drawn is rolled back with the whole hold.
            return Err(StoreError::Refused(if open_left == 0 {
                Refusal::HalfPriceSoldOut
            } else {
                Refusal::OpenPlacesSoldOut
            }));
        }
        swept = true;
    }
    if from_reserve > 0 {
        tx.execute(
            "UPDATE holds SET open_units = open_units - $1, reserve_units = reserve_units + $1 WHERE id = $2",
            &[Arg::Int(from_reserve), Arg::Uuid(hold)],
        )
        .await?;
    }
    Ok(())
}

/// Ends up to 100 lapsed holds of a session (the sweeper ends the rest); whether there were any.
async fn release_lapsed_of_session(
    tx: &mut impl Steps,
    session: Uuid,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let query = format!(
        "SELECT {} FROM holds WHERE session_id = $1 AND status = 'active' AND expires_at <= $2 \
         ORDER BY expires_at LIMIT 100{}",
        hold_columns!(),
        ThisBackend::LOCK_SKIP
    );
    let rows = tx
        .fetch_all(&query, &[Arg::Uuid(session), Arg::Int(now)])
        .await?;
    let lapsed = rows
        .iter()
        .map(hold_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    release_in(tx, &lapsed, "expired").await?;
    Ok(!lapsed.is_empty())
}

/// Ends up to `limit` lapsed holds, the oldest first; how many.
async fn expire_lapsed(tx: &mut impl Steps, now: i64, limit: i64) -> StoreResult<u64> {
    let query = format!(
        "SELECT {} FROM holds WHERE status = 'active' AND expires_at <= $1 ORDER BY expires_at LIMIT $2{}",
        hold_columns!(),
        ThisBackend::LOCK_SKIP
    );
    let rows = tx
        .fetch_all(&query, &[Arg::Int(now), Arg::Int(limit)])
        .await?;
    let holds = rows
        .iter()
        .map(hold_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    release_in(tx, &holds, "expired").await?;
    Ok(holds.len() as u64)
}

impl ThisBackend {
    async fn create_hold_once(&self, new: &NewHold) -> StoreResult<Hold> {
        write_steps!(self, |tx| claim_hold(tx, new))
    }
}

/// `create_hold_once` inside its transaction, which the caller ends.
async fn claim_hold(tx: &mut impl Steps, new: &NewHold) -> StoreResult<Hold> {
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
            let kind = tx
                    .fetch_optional(
                        "SELECT sec.kind FROM session_sections ss JOIN sections sec ON sec.id = ss.section_id \
                         WHERE ss.session_id = $1 AND ss.section_id = $2",
                        &[Arg::Uuid(session), Arg::Uuid(section_id.0)],
                    )
                    .await?
                    .map(|row| row.text("kind"))
                    .transpose()?;
            if kind.as_deref() != Some("standing") {
                return Err(StoreError::Refused(Refusal::NotAStandingSection));
            }
            (*section_id, Vec::new())
        }
    };
    // Seats were locked first; the allocation row comes after, and a standing section's
    // places last of all (below).
    if !allocate_in(tx, new.user_id.0, session, units, new.cap).await? {
        // Lazy expiry: the buyer's own lapsed holds stop counting against the cap. They are
        // looked for only when the cap is reached; the sweeper ends them otherwise.
        let lapsed = expired_holds_where(
            tx,
            "user_id = $1 AND session_id = $2",
            (new.user_id.0, session, now),
        )
        .await?;
        release_in(tx, &lapsed, "expired").await?;
        if lapsed.is_empty() || !allocate_in(tx, new.user_id.0, session, units, new.cap).await? {
            return Err(purchase_limit_exceeded(new.cap));
        }
    }
    let half = &new.half_price;
    let reserve_units = half.quota_units();
    // Recorded as drawn from the open places; changed below if the opened reserve gives them.
    let open_units = units - reserve_units;
    tx.execute(
            "INSERT INTO holds (id, user_id, session_id, section_id, kind, quantity, status, expires_at, created_at, \
             open_units, reserve_units, half_quantity, eligibility) \
             VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, $11, $12)",
            &[
                Arg::Uuid(id.0),
                Arg::Uuid(new.user_id.0),
                Arg::Uuid(session),
                Arg::Uuid(section_id.0),
                Arg::Text(if seat_ids.is_empty() { "standing" } else { "seats" }),
                Arg::Int(units),
                Arg::Int(until),
                Arg::Int(now),
                Arg::Int(open_units),
                Arg::Int(reserve_units),
                Arg::Int(half.units),
                Arg::OptText(half.eligibility.map(Eligibility::as_str)),
            ],
        )
        .await?;
    if seat_ids.is_empty() {
        // The section's places are rows every standing buyer updates: they are claimed
        // last, so that a slice's lock is held for one statement and the commit.
        let places = [session, section_id.0];
        let mut claimed = take_from_slices_in(tx, &HOLD_PLACES, &places, units, id.0).await?;
        if !claimed {
            // Lapsed holds of other buyers may still occupy the section.
            let lapsed = expired_holds_where(
                tx,
                "session_id = $1 AND section_id = $2",
                (session, section_id.0, now),
            )
            .await?;
            if !lapsed.is_empty() {
                release_in(tx, &lapsed, "expired").await?;
                claimed = take_from_slices_in(tx, &HOLD_PLACES, &places, units, id.0).await?;
            }
        }
        if !claimed {
            return Err(StoreError::Refused(Refusal::SoldOut));
        }
    } else {
        let rows = (0..seat_ids.len())
            .map(|n| format!("(${}, ${}, ${})", 3 * n + 1, 3 * n + 2, 3 * n + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let mut args = Vec::with_capacity(3 * seat_ids.len());
        for seat in &seat_ids {
            let ticket_type = if half.seats.binary_search(seat).is_ok() {
                TicketType::Half
            } else {
                TicketType::Full
            };
            args.extend([
                Arg::Uuid(id.0),
                Arg::Uuid(seat.0),
                Arg::Text(ticket_type.as_str()),
            ]);
        }
        let insert =
            format!("INSERT INTO hold_seats (hold_id, seat_id, ticket_type) VALUES {rows}");
        tx.execute(&insert, &args).await?;
    }
    draw_from_pools(tx, new, id.0, (open_units, reserve_units)).await?;
    Ok(Hold {
        id,
        session_id: new.session_id,
        user_id: new.user_id,
        seat_ids,
        section_id,
        quantity: units,
        half_price_seat_ids: half.seats.clone(),
        half_price_quantity: half.units,
        eligibility: half.eligibility,
        expires_at: from_micros(until),
    })
}

#[async_trait]
impl HoldStore for ThisBackend {
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
        let units = self.hold_units(hold.id).await?;
        let seats_of = |half: bool| -> Vec<SeatId> {
            units
                .iter()
                .filter(|unit| !half || unit.ticket_type == TicketType::Half)
                .filter_map(|unit| unit.seat_id)
                .collect()
        };
        Ok(Some((
            Hold {
                id,
                session_id: SessionId(hold.session_id),
                user_id: UserId(hold.user_id),
                seat_ids: seats_of(false),
                half_price_seat_ids: seats_of(true),
                half_price_quantity: hold.half_quantity,
                eligibility: hold.eligibility,
                section_id: SectionId(hold.section_id),
                quantity: hold.quantity,
                expires_at: from_micros(hold.expires_at),
            },
            hold.status,
        )))
    }

    async fn live_order_of_hold(&self, id: HoldId) -> StoreResult<Option<OrderId>> {
        let row = sqlx::query(
            "SELECT id FROM orders WHERE hold_id = $1 AND status IN ('awaiting_payment', 'payment_pending', 'paid')",
        )
        .bind(id.0)
        .fetch_optional(self.reader())
        .await?;
        Ok(row
            .map(|row| row.try_get::<Uuid, _>("id"))
            .transpose()?
            .map(OrderId))
    }

    async fn allocated_places(&self, user: UserId, session: SessionId) -> StoreResult<i64> {
        let row =
            sqlx::query("SELECT tickets FROM allocations WHERE user_id = $1 AND session_id = $2")
                .bind(user.0)
                .bind(session.0)
                .fetch_optional(self.reader())
                .await?;
        Ok(row
            .map(|row| row.try_get("tickets"))
            .transpose()?
            .unwrap_or(0))
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
        write_steps!(self, |tx| expire_lapsed(tx, to_micros(now), limit))
    }
}
