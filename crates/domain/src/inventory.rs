//! Inventory held in slices: a counter that many buyers take from at the same moment (a product's
//! stock, a standing section's places) is kept in several rows, so that they do not all wait for
//! one. How a counter is split, and how a quantity is taken from its slices, are decided here;
//! the store applies them to its rows.

/// At most this many slices hold a counter that many buyers draw from at once: a product's
/// stock, a standing section's places.
pub const MAX_SLICES: i64 = 16;

/// How a counter of `units` is split into slices (rows), so that buyers drawing from it at the
/// same moment do not all wait for one row: about one slice per 64 units, at most `MAX_SLICES`,
/// as even as can be (the first slices take the remainder), and always at least one slice.
pub fn split_into_slices(units: i64) -> Vec<i64> {
    let units = units.max(0);
    let count = (units / 64).clamp(1, MAX_SLICES);
    (0..count)
        .map(|slice| units / count + i64::from(slice < units % count))
        .collect()
}

/// How many units to take from each of `slices` (their stock, in slice order) to take
/// `quantity` in all, first slices first; `None` if they hold fewer than that together.
pub fn units_per_slice(slices: &[i64], quantity: i64) -> Option<Vec<i64>> {
    let mut left = quantity.max(0);
    let drawn = slices
        .iter()
        .map(|&stock| {
            let take = stock.clamp(0, left);
            left -= take;
            take
        })
        .collect();
    (left == 0).then_some(drawn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_sliced_evenly_and_keep_every_unit() {
        assert_eq!(
            split_into_slices(0),
            vec![0],
            "a counter always has one slice"
        );
        assert_eq!(split_into_slices(63), vec![63]);
        assert_eq!(split_into_slices(130), vec![65, 65]);
        assert_eq!(split_into_slices(131), vec![66, 65]);
        assert_eq!(
            split_into_slices(crate::catalog::MAX_STOCK).len() as i64,
            MAX_SLICES
        );
        for stock in (0..5_000).chain([crate::catalog::MAX_STOCK - 1, crate::catalog::MAX_STOCK]) {
            let slices = split_into_slices(stock);
            assert_eq!(slices.iter().sum::<i64>(), stock, "stock {stock}");
            assert!(!slices.is_empty() && slices.len() as i64 <= MAX_SLICES);
            let (min, max) = (slices.iter().min().unwrap(), slices.iter().max().unwrap());
            assert!(max - min <= 1, "stock {stock}: {slices:?}");
        }
    }

    #[test]
    fn taking_units_empties_the_first_slices_first_and_never_more_than_they_hold() {
        assert_eq!(units_per_slice(&[3, 0, 5], 6), Some(vec![3, 0, 3]));
        assert_eq!(units_per_slice(&[3, 0, 5], 8), Some(vec![3, 0, 5]));
        assert_eq!(units_per_slice(&[3, 0, 5], 9), None);
        assert_eq!(units_per_slice(&[2, 2], 0), Some(vec![0, 0]));
        assert_eq!(units_per_slice(&[], 1), None);
    }
}
