//! The shared state of the waiting room: one contract, run on the in-process implementation and
//! on Redis (when `BILHETERIA_TEST_REDIS_URL` is set at build time; ignored otherwise).

use bilheteria_app::queue::state::{LineStatus, QueueError, QueueState, RedisQueue};
use bilheteria_domain::ids::{SessionId, UserId};
use bilheteria_domain::queue::Watermark;
use std::sync::Arc;

async fn redis_state() -> Arc<dyn QueueState> {
    let url = std::env::var("BILHETERIA_TEST_REDIS_URL")
        .expect("set BILHETERIA_TEST_REDIS_URL to run the Redis tests");
    // A fresh key prefix per test keeps tests apart on one server.
    let prefix = format!("bilheteria-test:{}", uuid::Uuid::now_v7().simple());
    Arc::new(RedisQueue::connect(&url, &prefix).await.expect("redis"))
}

macro_rules! on_both_states {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(std::sync::Arc::new(bilheteria_app::queue::state::MemoryQueue::default())).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test]
                #[cfg_attr(not(bilheteria_redis_tests), ignore = "Redis: set BILHETERIA_TEST_REDIS_URL to run")]
                async fn $name() {
                    super::$name(super::redis_state().await).await;
                }
            )*
        }
    };
}

on_both_states!(
    joining_is_idempotent_per_account_and_one_entry_per_device,
    concurrent_joins_get_distinct_numbers,
    the_line_freezes_once,
    the_watermark_moves_only_from_the_expected_value,
    admission_is_recorded_once_and_leaving_frees_an_active_place,
    restoring_never_moves_counters_back,
);

fn device(n: u8) -> [u8; 8] {
    [n; 8]
}

async fn joining_is_idempotent_per_account_and_one_entry_per_device(state: Arc<dyn QueueState>) {
    let session = SessionId::new();
    let (ana, bia) = (UserId::new(), UserId::new());
    let first = state.join(session, ana, device(1), 0).await.unwrap();
    assert_eq!((first.seq, first.new), (1, true));
    let again = state.join(session, ana, device(1), 0).await.unwrap();
    assert_eq!((again.seq, again.new), (1, false), "the same number again");
    assert!(matches!(
        state.join(session, bia, device(1), 0).await,
        Err(QueueError::DeviceTaken)
    ));
    assert_eq!(state.join(session, bia, device(2), 0).await.unwrap().seq, 2);
    // A new login of the same account on another device keeps its place.
    assert_eq!(state.join(session, ana, device(3), 0).await.unwrap().seq, 1);
    assert_eq!(state.status(session).await.unwrap().joined, 2);
    // Lines are per session.
    assert_eq!(
        state
            .join(SessionId::new(), ana, device(1), 0)
            .await
            .unwrap()
            .seq,
        1
    );
}

async fn concurrent_joins_get_distinct_numbers(state: Arc<dyn QueueState>) {
    let session = SessionId::new();
    let joins: Vec<_> = (0..64u8)
        .map(|i| {
            let state = state.clone();
            tokio::spawn(async move {
                state
                    .join(session, UserId::new(), device(i), 0)
                    .await
                    .unwrap()
                    .seq
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for join in joins {
        numbers.push(join.await.unwrap());
    }
    numbers.sort();
    assert_eq!(numbers, (1..=64).collect::<Vec<u64>>());
}

async fn the_line_freezes_once(state: Arc<dyn QueueState>) {
    let session = SessionId::new();
    for i in 0..3 {
        state
            .join(session, UserId::new(), device(i), 0)
            .await
            .unwrap();
    }
    assert_eq!(state.status(session).await.unwrap().presale, None);
    let (presale, seed) = state.freeze(session, [7; 32]).await.unwrap();
    assert_eq!((presale, seed), (3, [7; 32]));
    state
        .join(session, UserId::new(), device(9), 0)
        .await
        .unwrap();
    assert_eq!(
        state.freeze(session, [8; 32]).await.unwrap(),
        (3, [7; 32]),
        "a second freeze changes nothing"
    );
    let status = state.status(session).await.unwrap();
    assert_eq!(
        (status.joined, status.presale, status.seed),
        (4, Some(3), Some([7; 32]))
    );
}

async fn the_watermark_moves_only_from_the_expected_value(state: Arc<dyn QueueState>) {
    let session = SessionId::new();
    let start = Watermark::default();
    let first = Watermark {
        admitted: 5,
        at_ms: 1_000,
        carry: 0.5,
    };
    assert!(
        state
            .move_watermark(session, start, first, 0)
            .await
            .unwrap()
    );
    assert!(
        !state
            .move_watermark(
                session,
                start,
                Watermark {
                    admitted: 9,
                    ..first
                },
                0,
            )
            .await
            .unwrap(),
        "a stale node loses"
    );
    assert_eq!(state.status(session).await.unwrap().watermark, first);
}

async fn admission_is_recorded_once_and_leaving_frees_an_active_place(state: Arc<dyn QueueState>) {
    let session = SessionId::new();
    let (ana, bia) = (UserId::new(), UserId::new());
    assert_eq!(state.admitted_at(session, ana, 1_000).await.unwrap(), 1_000);
    assert_eq!(
        state.admitted_at(session, ana, 5_000).await.unwrap(),
        1_000,
        "the first admission counts"
    );
    state.leave(session, bia, 2_000).await.unwrap();
    state.leave(session, bia, 9_000).await.unwrap();
    assert_eq!(
        state.left_since(session, 0).await.unwrap(),
        1,
        "leaving counts once"
    );
    assert_eq!(state.left_since(session, 2_001).await.unwrap(), 0);
    // The watermark's history answers how far admission had gone at a past moment.
    let mut mark = Watermark::default();
    for (at, admitted) in [(1_000, 2), (2_000, 5), (3_000, 9)] {
        let next = Watermark {
            admitted,
            at_ms: at,
            carry: 0.0,
        };
        assert!(state.move_watermark(session, mark, next, 0).await.unwrap());
        mark = next;
    }
    assert_eq!(state.admitted_as_of(session, 500).await.unwrap(), 0);
    assert_eq!(state.admitted_as_of(session, 2_500).await.unwrap(), 5);
    assert_eq!(state.admitted_as_of(session, 10_000).await.unwrap(), 9);
    // Old history is forgotten by time, keeping the last point before the cut-off.
    let later = Watermark {
        admitted: 12,
        at_ms: 20_000,
        carry: 0.0,
    };
    assert!(
        state
            .move_watermark(session, mark, later, 15_000)
            .await
            .unwrap()
    );
    assert_eq!(
        state.admitted_as_of(session, 16_000).await.unwrap(),
        9,
        "the last point before the cut-off stays"
    );
    assert_eq!(
        state.admitted_as_of(session, 2_500).await.unwrap(),
        0,
        "older points are gone"
    );
}

async fn restoring_never_moves_counters_back(state: Arc<dyn QueueState>) {
    let session = SessionId::new();
    for i in 0..5 {
        state
            .join(session, UserId::new(), device(i), 0)
            .await
            .unwrap();
    }
    let lost = LineStatus {
        joined: 3,
        presale: Some(2),
        seed: Some([4; 32]),
        watermark: Watermark {
            admitted: 1,
            at_ms: 10,
            carry: 0.0,
        },
    };
    state.restore(session, lost).await.unwrap();
    let status = state.status(session).await.unwrap();
    assert_eq!(status.joined, 5, "never below what was handed out");
    assert_eq!((status.presale, status.seed), (Some(2), Some([4; 32])));
    assert_eq!(status.watermark.admitted, 1);
    // A join never numbers below the floor it is given (the snapshot's count after a loss).
    let floored = SessionId::new();
    assert_eq!(
        state
            .join(floored, UserId::new(), device(1), 70)
            .await
            .unwrap()
            .seq,
        71
    );
    assert_eq!(
        state
            .join(floored, UserId::new(), device(2), 10)
            .await
            .unwrap()
            .seq,
        72
    );
    // After a loss (a fresh line), the snapshot brings it back.
    let fresh = SessionId::new();
    state
        .restore(fresh, LineStatus { joined: 40, ..lost })
        .await
        .unwrap();
    assert_eq!(
        state
            .join(fresh, UserId::new(), device(1), 0)
            .await
            .unwrap()
            .seq,
        41,
        "new numbers continue after the old"
    );
}

/// The join and poll limits, in process and in Redis, count the same way.
async fn limiter_allows_the_quota_then_refuses(
    limiter: Arc<dyn bilheteria_app::queue::limits::Limiter>,
) {
    for _ in 0..3 {
        assert!(limiter.check("203.0.113.5").await.is_ok());
    }
    let wait = limiter.check("203.0.113.5").await.unwrap_err();
    assert!(wait.as_secs() >= 1 && wait.as_secs() <= 60, "{wait:?}");
    assert!(
        limiter.check("203.0.113.6").await.is_ok(),
        "keys are limited apart"
    );
}

#[tokio::test]
async fn the_in_process_limiter_allows_the_quota_then_refuses() {
    let limiter = bilheteria_app::queue::limits::LocalLimiter(
        bilheteria_app::ratelimit::KeyedLimiter::per_minute(3),
    );
    limiter_allows_the_quota_then_refuses(Arc::new(limiter)).await;
}

#[tokio::test]
#[cfg_attr(
    not(bilheteria_redis_tests),
    ignore = "Redis: set BILHETERIA_TEST_REDIS_URL to run"
)]
async fn the_redis_limiter_allows_the_quota_then_refuses() {
    let url = std::env::var("BILHETERIA_TEST_REDIS_URL").unwrap();
    let connection = ::redis::aio::ConnectionManager::new(::redis::Client::open(url).unwrap())
        .await
        .unwrap();
    let limiter = bilheteria_app::queue::limits::RedisLimiter {
        connection,
        prefix: format!("bilheteria-test:limit:{}", uuid::Uuid::now_v7().simple()),
        per_minute: 3,
    };
    limiter_allows_the_quota_then_refuses(Arc::new(limiter)).await;
}
