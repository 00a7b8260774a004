//! Counters kept in slices, shared by both backends (compiled once inside each backend module):
//! a product's stock and a standing section's places are spread over several rows so that
//! concurrent buyers rarely wait for the same one (`bilheteria_domain::inventory`).

use super::orders::ordered_products;
use super::shared::OnTx;
use super::{ThisBackend, Tx};
use crate::dialect::Dialect;
use crate::steps::{Arg, Columns, Steps};
use crate::{Pool, StoreResult};
use bilheteria_domain::inventory::{MAX_SLICES, units_per_slice};
use bilheteria_domain::sales::OrderFailure;
use uuid::Uuid;

/// Takes the products (in id order) out of stock, unless one has run out.
pub(super) async fn take_stock(
    tx: &mut impl Steps,
    order: Uuid,
    products: &[(Uuid, i64)],
) -> StoreResult<Option<&'static str>> {
    for (product, quantity) in products {
        if !take_from_slices_in(tx, &TAKE_STOCK, &[*product], *quantity, order).await? {
            return Ok(Some(OrderFailure::OutOfStock.as_str()));
        }
    }
    Ok(None)
}

/// One way of moving units through a counter kept in slices (`split_into_slices`): the slices
/// are the rows of `table` under one key, `available` is how many units a slice can give to
/// the move, and `set` moves `$1` of them.
pub(super) struct SliceMove {
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

pub(super) const HOLD_PLACES: SliceMove = standing_places(FREE_PLACES, "held = held + $1");
pub(super) const SELL_HELD_PLACES: SliceMove =
    standing_places("held", "held = held - $1, sold = sold + $1");
/// For a hold that lapsed before its payment settled.
pub(super) const SELL_FREE_PLACES: SliceMove = standing_places(FREE_PLACES, "sold = sold + $1");
pub(super) const RELEASE_HELD_PLACES: SliceMove = standing_places("held", "held = held - $1");
pub(super) const UNSELL_PLACES: SliceMove = standing_places("sold", "sold = sold - $1");

/// The moves through a session's pools of places (`crate::Pool`).
pub(super) trait PoolSlices {
    fn hold(self) -> &'static SliceMove;
    fn sell_held(self) -> &'static SliceMove;
    fn sell_free(self) -> &'static SliceMove;
    fn release_held(self) -> &'static SliceMove;
    fn unsell(self) -> &'static SliceMove;
}

impl PoolSlices for Pool {
    fn hold(self) -> &'static SliceMove {
        &moves(self).hold
    }
    fn sell_held(self) -> &'static SliceMove {
        &moves(self).sell_held
    }
    fn sell_free(self) -> &'static SliceMove {
        &moves(self).sell_free
    }
    fn release_held(self) -> &'static SliceMove {
        &moves(self).release_held
    }
    fn unsell(self) -> &'static SliceMove {
        &moves(self).unsell
    }
}

fn moves(pool: Pool) -> &'static PoolMoves {
    match pool {
        Pool::Open => &OPEN_MOVES,
        Pool::Reserve => &RESERVE_MOVES,
    }
}

struct PoolMoves {
    hold: SliceMove,
    sell_held: SliceMove,
    sell_free: SliceMove,
    release_held: SliceMove,
    unsell: SliceMove,
}

const fn pool_moves(table: &'static str) -> PoolMoves {
    const fn on(table: &'static str, available: &'static str, set: &'static str) -> SliceMove {
        SliceMove {
            table,
            key: &["session_id"],
            available,
            set,
        }
    }
    PoolMoves {
        hold: on(table, FREE_PLACES, "held = held + $1"),
        sell_held: on(table, "held", "held = held - $1, sold = sold + $1"),
        sell_free: on(table, FREE_PLACES, "sold = sold + $1"),
        release_held: on(table, "held", "held = held - $1"),
        unsell: on(table, "sold", "sold = sold - $1"),
    }
}

static OPEN_MOVES: PoolMoves = pool_moves("open_slices");
static RESERVE_MOVES: PoolMoves = pool_moves("reserve_slices");

/// Lays out a new session's pools: `reserve` places for half-price buyers, the rest open.
pub(super) async fn lay_out_pools(
    tx: &mut Tx,
    session: Uuid,
    places: i64,
    reserve: i64,
) -> Result<(), sqlx::Error> {
    for (table, units) in [
        ("open_slices", places - reserve),
        ("reserve_slices", reserve),
    ] {
        let mut insert = sqlx::QueryBuilder::<super::Db>::new(format!(
            "INSERT INTO {table} (session_id, slice, capacity) "
        ));
        insert.push_values(
            bilheteria_domain::inventory::split_into_slices(units)
                .into_iter()
                .zip(0i32..),
            |mut values, (units, slice)| {
                values.push_bind(session).push_bind(slice).push_bind(units);
            },
        );
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

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
pub(super) async fn take_from_slices(
    tx: &mut Tx,
    how: &SliceMove,
    key: &[Uuid],
    quantity: i64,
    spread: Uuid,
) -> Result<bool, sqlx::Error> {
    take_from_slices_in(&mut OnTx(tx), how, key, quantity, spread).await
}

/// [`take_from_slices`] in a transaction of either kind (`crate::steps`).
pub(super) async fn take_from_slices_in(
    tx: &mut impl Steps,
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
    let keyed = |first: Arg<'static>, last: Option<Arg<'static>>| {
        std::iter::once(first)
            .chain(key.iter().map(|part| Arg::Uuid(*part)))
            .chain(last)
            .collect::<Vec<_>>()
    };
    let from = i32::try_from(spread.as_u128() % MAX_SLICES as u128).unwrap_or(0);
    let one = format!(
        "UPDATE {table} SET {set} WHERE {where_key} AND {available} >= $1 AND slice = \
         (SELECT slice FROM {table} WHERE {where_key} AND {available} >= $1 \
         ORDER BY (slice + ${after_key}) % {MAX_SLICES} LIMIT 1{})",
        ThisBackend::LOCK_SKIP
    );
    if tx
        .execute(&one, &keyed(Arg::Int(quantity), Some(Arg::Int32(from))))
        .await?
        == 1
    {
        return Ok(true);
    }
    let all = format!(
        "SELECT slice, {available} AS available FROM {table} WHERE {} ORDER BY slice{}",
        key_sql(1),
        ThisBackend::LOCK_ROW
    );
    let key_args: Vec<Arg> = key.iter().map(|part| Arg::Uuid(*part)).collect();
    let slices = tx
        .fetch_all(&all, &key_args)
        .await?
        .iter()
        .map(|row| Ok((row.int32("slice")?, row.int("available")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let available: Vec<i64> = slices.iter().map(|(_, units)| *units).collect();
    let Some(drawn) = units_per_slice(&available, quantity) else {
        return Ok(false);
    };
    let part = format!("UPDATE {table} SET {set} WHERE {where_key} AND slice = ${after_key}");
    for ((slice, _), units) in slices.iter().zip(drawn).filter(|(_, units)| *units > 0) {
        tx.execute(&part, &keyed(Arg::Int(units), Some(Arg::Int32(*slice))))
            .await?;
    }
    Ok(true)
}

/// Puts a refunded order's products back in stock (in the first slice, which every product has).
pub(super) async fn restock(tx: &mut Tx, order: Uuid) -> StoreResult<()> {
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
