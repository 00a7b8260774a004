//! What batching holds across buyers would buy the PostgreSQL backend (BENCHMARKS.md, "Speed").
//!
//! On PostgreSQL the purchase path is limited by the database's processor, which is spent per
//! statement and per commit. This measures the hold's shape of write (claim two seats, move the
//! buyer's allocation, insert the hold and its seats) from many concurrent tasks, two ways:
//! - `one by one`: a transaction per buyer, four statements and a commit, as the store does;
//! - `batched`: collectors take the buyers queued (up to BATCH at a time) and write all of them
//!   in one transaction of four statements over arrays (`unnest`), then answer each.
//!
//! A ceiling, not a design: every buyer's seats are free here, so nobody in a batch fails. A
//! real batch must give each buyer its own outcome without one refusal failing the others.
//! It works in a schema of its own (`hold_batching`), dropped at the start and the end.
//!
//! ```sh
//! cargo run --release -p bilheteria-store --example pg_batching -- \
//!     postgres://postgres@127.0.0.1:5432/postgres [HOLDS] [TASKS] [BATCH]
//! ```

use sqlx::postgres::PgPoolOptions;
use sqlx::{Executor, PgPool};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, mpsc};
use uuid::Uuid;

mod common;

const SCHEMA: &str = "
    DROP SCHEMA IF EXISTS hold_batching CASCADE;
    CREATE SCHEMA hold_batching;
    CREATE TABLE hold_batching.seats (id BIGINT PRIMARY KEY, status TEXT NOT NULL, hold_id UUID);
    CREATE TABLE hold_batching.allocations (user_id BIGINT PRIMARY KEY, tickets INT NOT NULL CHECK (tickets <= 4));
    CREATE TABLE hold_batching.holds (id UUID PRIMARY KEY, user_id BIGINT NOT NULL, quantity INT NOT NULL);
    CREATE TABLE hold_batching.hold_seats (hold_id UUID NOT NULL, seat_id BIGINT NOT NULL, PRIMARY KEY (hold_id, seat_id));
";

const CLAIM: &str = "UPDATE hold_batching.seats SET status = 'held', hold_id = $1 \
    WHERE id IN ($2, $3) AND status = 'available'";
const ALLOCATE: &str = "INSERT INTO hold_batching.allocations (user_id, tickets) VALUES ($1, 2) \
    ON CONFLICT (user_id) DO UPDATE SET tickets = allocations.tickets + 2";
const HOLD: &str = "INSERT INTO hold_batching.holds (id, user_id, quantity) VALUES ($1, $2, 2)";
const HOLD_SEATS: &str =
    "INSERT INTO hold_batching.hold_seats (hold_id, seat_id) VALUES ($1, $2), ($1, $3)";

const CLAIM_MANY: &str = "UPDATE hold_batching.seats s SET status = 'held', hold_id = b.hold \
    FROM unnest($1::bigint[], $2::uuid[]) AS b(seat, hold) \
    WHERE s.id = b.seat AND s.status = 'available'";
const ALLOCATE_MANY: &str = "INSERT INTO hold_batching.allocations (user_id, tickets) \
    SELECT u, 2 FROM unnest($1::bigint[]) AS u \
    ON CONFLICT (user_id) DO UPDATE SET tickets = allocations.tickets + 2";
const HOLD_MANY: &str = "INSERT INTO hold_batching.holds (id, user_id, quantity) \
    SELECT h, u, 2 FROM unnest($1::uuid[], $2::bigint[]) AS b(h, u)";
const HOLD_SEATS_MANY: &str = "INSERT INTO hold_batching.hold_seats (hold_id, seat_id) \
    SELECT h, s FROM unnest($1::uuid[], $2::bigint[]) AS b(h, s)";

/// The i-th buyer's hold: its id, the buyer and two seats.
fn hold_of(i: u64) -> (Uuid, i64, i64, i64) {
    (Uuid::now_v7(), i as i64, 2 * i as i64, 2 * i as i64 + 1)
}

async fn fresh(pool: &PgPool, seats: u64) -> anyhow::Result<()> {
    pool.execute(SCHEMA).await?;
    sqlx::query(
        "INSERT INTO hold_batching.seats (id, status) \
         SELECT g, 'available' FROM generate_series(0, $1 - 1) AS g",
    )
    .bind(seats as i64)
    .execute(pool)
    .await?;
    pool.execute("ANALYZE hold_batching.seats").await?;
    Ok(())
}

async fn one_by_one(pool: &PgPool, holds: u64, tasks: u64) -> anyhow::Result<Duration> {
    let pool = pool.clone();
    common::from_tasks(holds, tasks, move |i| {
        let pool = pool.clone();
        async move {
            let (hold, user, first, second) = hold_of(i);
            let mut tx = pool.begin().await?;
            let claimed = sqlx::query(CLAIM)
                .bind(hold)
                .bind(first)
                .bind(second)
                .execute(&mut *tx)
                .await?;
            anyhow::ensure!(claimed.rows_affected() == 2, "seats of hold {i} taken");
            sqlx::query(ALLOCATE).bind(user).execute(&mut *tx).await?;
            sqlx::query(HOLD)
                .bind(hold)
                .bind(user)
                .execute(&mut *tx)
                .await?;
            sqlx::query(HOLD_SEATS)
                .bind(hold)
                .bind(first)
                .bind(second)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }
    })
    .await
}

type Job = common::Job<(Uuid, i64, i64, i64)>;

/// Writes the buyers of one batch in one transaction.
async fn write_batch(pool: &PgPool, batch: &[Job]) -> anyhow::Result<()> {
    let holds: Vec<Uuid> = batch.iter().map(|((h, ..), _)| *h).collect();
    let users: Vec<i64> = batch.iter().map(|((_, u, ..), _)| *u).collect();
    let seats: Vec<i64> = batch
        .iter()
        .flat_map(|((_, _, a, b), _)| [*a, *b])
        .collect();
    let seat_holds: Vec<Uuid> = holds.iter().flat_map(|h| [*h, *h]).collect();
    let mut tx = pool.begin().await?;
    let claimed = sqlx::query(CLAIM_MANY)
        .bind(&seats)
        .bind(&seat_holds)
        .execute(&mut *tx)
        .await?;
    anyhow::ensure!(
        claimed.rows_affected() == seats.len() as u64,
        "seats of a batch taken"
    );
    sqlx::query(ALLOCATE_MANY)
        .bind(&users)
        .execute(&mut *tx)
        .await?;
    sqlx::query(HOLD_MANY)
        .bind(&holds)
        .bind(&users)
        .execute(&mut *tx)
        .await?;
    sqlx::query(HOLD_SEATS_MANY)
        .bind(&seat_holds)
        .bind(&seats)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

async fn batched(
    pool: &PgPool,
    holds: u64,
    tasks: u64,
    batch_size: usize,
) -> anyhow::Result<Duration> {
    let (send, jobs) = mpsc::channel::<Job>(4096);
    let jobs = Arc::new(Mutex::new(jobs));
    // A few collectors, so that one batch is written while the next one gathers.
    let mut collectors = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (pool, jobs) = (pool.clone(), jobs.clone());
        collectors.spawn(async move {
            loop {
                let mut batch = Vec::with_capacity(batch_size);
                {
                    let mut jobs = jobs.lock().await;
                    let Some(first) = jobs.recv().await else {
                        return;
                    };
                    batch.push(first);
                    while batch.len() < batch_size {
                        match jobs.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                }
                let written = write_batch(&pool, &batch).await.map_err(|e| e.to_string());
                for (_, answer) in batch {
                    let _ = answer.send(written.clone());
                }
            }
        });
    }
    let writer = send.clone();
    let elapsed = common::from_tasks(holds, tasks, move |i| {
        let writer = writer.clone();
        async move { common::ask(&writer, hold_of(i)).await }
    })
    .await?;
    drop(send);
    while collectors.join_next().await.is_some() {}
    Ok(elapsed)
}

/// Every buyer holds its two seats, once.
async fn check(pool: &PgPool, holds: u64) -> anyhow::Result<()> {
    let (held, made): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM hold_batching.seats WHERE status = 'held'), \
         (SELECT COUNT(*) FROM hold_batching.holds)",
    )
    .fetch_one(pool)
    .await?;
    anyhow::ensure!(
        held == 2 * holds as i64 && made == holds as i64,
        "{held} seats held by {made} holds for {holds} buyers"
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let holds: u64 = args.next().map_or(Ok(20_000), |a| a.parse())?;
    let tasks: u64 = args.next().map_or(Ok(64), |a| a.parse())?;
    let batch_size: usize = args.next().map_or(Ok(32), |a| a.parse())?;
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .connect(&url)
        .await?;
    println!("{holds} hold-shaped writes from {tasks} tasks, 16 connections");
    let mut rates = Vec::new();
    for mode in ["one by one", "batched"] {
        fresh(&pool, 2 * holds).await?;
        let took = if mode == "one by one" {
            one_by_one(&pool, holds, tasks).await?
        } else {
            batched(&pool, holds, tasks, batch_size).await?
        };
        check(&pool, holds).await?;
        let rate = holds as f64 / took.as_secs_f64();
        let label = if mode == "batched" {
            format!("batched, up to {batch_size} a transaction")
        } else {
            mode.to_owned()
        };
        println!(
            "{label:<32} {rate:>9.0} holds/s ({:.1} s)",
            took.as_secs_f64()
        );
        rates.push(rate);
    }
    pool.execute("DROP SCHEMA hold_batching CASCADE").await?;
    println!("ratio {:.2}x", rates[1] / rates[0]);
    Ok(())
}
