//! Overload, refused at the door. The purchase path's database work in flight (holds being
//! made, orders being begun or settled) is counted; past the configured line a *new* buyer's
//! hold is refused at once (`overloaded`, 503 with `Retry-After`), before any other work, while
//! buyers who already hold places or have paid go on: their orders and settlements are counted
//! but never refused. So a stampede past what the machine can serve keeps the sale at the pace
//! the machine can keep, with its latency, instead of queueing everyone into time-outs.

use crate::error::{AppError, AppResult};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Load {
    in_flight: AtomicUsize,
    /// New buyers are refused while this much work is in flight (0: never).
    limit: usize,
}

/// One piece of work in flight; it ends when dropped.
#[must_use = "the work is counted until this is dropped"]
pub struct Working<'a>(&'a Load);

impl Drop for Working<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How long a refused buyer is asked to wait: long enough for the work in flight to drain.
pub const RETRY_AFTER_SECS: u64 = 1;

impl Load {
    pub fn new(limit: usize) -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            limit,
        }
    }

    /// Work that must be done whatever the load: an order for a hold, a settlement.
    pub fn work(&self) -> Working<'_> {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        Working(self)
    }

    /// A new buyer's first claim on places: refused when the line is reached.
    pub fn admit_new_work(&self) -> AppResult<Working<'_>> {
        let before = self.in_flight.fetch_add(1, Ordering::AcqRel);
        let working = Working(self);
        if self.limit > 0 && before >= self.limit {
            return Err(AppError::Overloaded {
                retry_after_secs: RETRY_AFTER_SECS,
            });
        }
        Ok(working)
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_work_is_refused_past_the_line_and_admitted_again_when_work_ends() {
        let load = Load::new(2);
        let first = load.admit_new_work().unwrap();
        let order = load.work();
        assert!(matches!(
            load.admit_new_work(),
            Err(AppError::Overloaded {
                retry_after_secs: 1
            })
        ));
        // Work already promised is never refused, even past the line.
        let settlement = load.work();
        assert_eq!(load.in_flight(), 3);
        drop((first, order, settlement));
        assert_eq!(load.in_flight(), 0, "a refusal leaves nothing counted");
        let _again = load.admit_new_work().unwrap();
    }

    #[test]
    fn no_line_admits_everything() {
        let load = Load::new(0);
        let all: Vec<_> = (0..100).map(|_| load.admit_new_work().unwrap()).collect();
        assert_eq!(load.in_flight(), 100);
        drop(all);
    }
}
