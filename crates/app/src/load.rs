//! Overload, refused at the door. The purchase path's database work in flight (holds being
//! made, orders being begun or settled) is counted; past the configured line a *new* buyer's
//! hold is refused at once (`overloaded`, 503 with `Retry-After`), before any other work, while
//! buyers who already hold places or have paid go on: their orders and settlements are counted
//! but never refused. So a stampede past what the machine can serve keeps the sale at the pace
//! the machine can keep, with its latency, instead of queueing everyone into time-outs.

use crate::error::{AppError, AppResult};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub struct Load {
    in_flight: AtomicUsize,
    /// Every piece of work ever begun, refused ones included: how fast buyers are coming.
    begun: AtomicU64,
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
            begun: AtomicU64::new(0),
            limit,
        }
    }

    /// Work that must be done whatever the load: an order for a hold, a settlement.
    pub fn work(&self) -> Working<'_> {
        self.begun.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        Working(self)
    }

    /// A new buyer's first claim on places: refused when the line is reached.
    pub fn admit_new_work(&self) -> AppResult<Working<'_>> {
        self.begun.fetch_add(1, Ordering::Relaxed);
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

/// Purchase steps (holds, orders, settlements) begun per second from which the box office is
/// selling at pace: about ten purchases a second, far above an ordinary day and far below an
/// on-sale.
pub const SELLING_STEPS_PER_SECOND: f64 = 30.0;

/// Whether a sale is running at pace, judged from the steps begun between two looks: work that
/// can wait (composing mail) asks before each pass, so that it yields the processor to buyers.
pub struct SalePace {
    last_look: Mutex<(u64, Instant)>,
}

impl SalePace {
    pub fn new(load: &Load) -> Self {
        Self {
            last_look: Mutex::new((load.begun.load(Ordering::Relaxed), Instant::now())),
        }
    }

    /// Whether purchase steps were begun at pace since the last look.
    pub fn selling(&self, load: &Load) -> bool {
        let begun = load.begun.load(Ordering::Relaxed);
        let now = Instant::now();
        let mut last = self.last_look.lock().unwrap_or_else(|e| e.into_inner());
        let (steps, elapsed) = (begun.saturating_sub(last.0), now.duration_since(last.1));
        *last = (begun, now);
        at_pace(steps, elapsed)
    }
}

fn at_pace(steps: u64, elapsed: Duration) -> bool {
    steps as f64 >= SELLING_STEPS_PER_SECOND * elapsed.as_secs_f64().max(0.001)
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
    fn a_sale_is_at_pace_from_thirty_steps_a_second() {
        let half_a_second = Duration::from_millis(500);
        assert!(!at_pace(0, half_a_second));
        assert!(!at_pace(14, half_a_second));
        assert!(at_pace(15, half_a_second));
        assert!(at_pace(600, Duration::from_secs(1)));
        assert!(!at_pace(29, Duration::from_secs(1)));
    }

    #[test]
    fn the_pace_counts_the_steps_begun_since_the_last_look() {
        let load = Load::new(1);
        let pace = SalePace::new(&load);
        assert!(!pace.selling(&load), "nothing begun");
        // Refused buyers are coming too: they count.
        let _held = load.admit_new_work().unwrap();
        let refused: Vec<_> = (0..1000).map(|_| load.admit_new_work()).collect();
        assert!(refused.iter().all(Result::is_err));
        assert!(pace.selling(&load), "a thousand steps at once");
    }

    #[test]
    fn no_line_admits_everything() {
        let load = Load::new(0);
        let all: Vec<_> = (0..100).map(|_| load.admit_new_work().unwrap()).collect();
        assert_eq!(load.in_flight(), 100);
        drop(all);
    }
}
