//! What one hand-off per transaction would buy the SQLite backend (BENCHMARKS.md, "Speed").
//!
//! The store's SQLite writer runs on sqlx, which keeps each connection on a thread of its own
//! and sends it every statement: a write transaction of N statements is N round trips between
//! the async task and that thread. This measures the same write transaction (a hold's shape:
//! claim two seats, move the buyer's allocation, insert the hold and its seats), in the same
//! group commit (each transaction a savepoint; a commit, synchronous=FULL, ends each batch of
//! what queued meanwhile), driven by the same many concurrent tasks, two ways:
//! - `sqlx`: the statements one by one through sqlx's SQLite driver, as the store does today;
//! - `one hand-off`: the whole transaction sent once to a rusqlite connection on a dedicated
//!   thread, which answers once.
//!
//! ```sh
//! cargo run --release -p bilheteria-store --example sqlite_handoff [TRANSACTIONS] [TASKS]
//! ```

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Executor, SqliteConnection};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, mpsc};

mod common;

const SCHEMA: &str = "
    CREATE TABLE seats (id INTEGER PRIMARY KEY, status TEXT NOT NULL, hold_id BLOB);
    CREATE TABLE allocations (user_id INTEGER PRIMARY KEY, tickets INTEGER NOT NULL CHECK (tickets <= 4));
    CREATE TABLE holds (id BLOB PRIMARY KEY, user_id INTEGER NOT NULL, quantity INTEGER NOT NULL);
    CREATE TABLE hold_seats (hold_id BLOB NOT NULL, seat_id INTEGER NOT NULL, PRIMARY KEY (hold_id, seat_id));
";
const CLAIM: &str =
    "UPDATE seats SET status = 'held', hold_id = ?1 WHERE id IN (?2, ?3) AND status = 'available'";
const ALLOCATE: &str = "INSERT INTO allocations (user_id, tickets) VALUES (?1, 2) \
    ON CONFLICT (user_id) DO UPDATE SET tickets = tickets + 2";
const HOLD: &str = "INSERT INTO holds (id, user_id, quantity) VALUES (?1, ?2, 2)";
const HOLD_SEATS: &str = "INSERT INTO hold_seats (hold_id, seat_id) VALUES (?1, ?2), (?1, ?3)";

/// The i-th transaction's hold: its id, its buyer and its two seats.
fn hold_of(i: u64) -> (Vec<u8>, i64, i64, i64) {
    (
        uuid::Uuid::now_v7().as_bytes().to_vec(),
        i as i64,
        2 * i as i64,
        2 * i as i64 + 1,
    )
}

fn database(dir: &tempfile::TempDir, name: &str, seats: u64) -> anyhow::Result<String> {
    let path = dir.path().join(name);
    let connection = rusqlite::Connection::open(&path)?;
    connection.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
    connection.execute_batch(SCHEMA)?;
    connection.execute_batch("BEGIN")?;
    for id in 0..seats {
        connection.execute(
            "INSERT INTO seats (id, status) VALUES (?1, 'available')",
            [id as i64],
        )?;
    }
    connection.execute_batch("COMMIT")?;
    Ok(path.to_string_lossy().into_owned())
}

/// Today's shape: a FIFO mutex over one sqlx connection; each transaction a savepoint of the
/// open batch; a committer ends the batch when nobody is queued behind it.
async fn through_sqlx(path: &str, transactions: u64, tasks: u64) -> anyhow::Result<Duration> {
    let options = SqliteConnectOptions::from_str(&format!("sqlite:{path}"))?
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let writer = Arc::new(Mutex::new((
        SqliteConnection::connect_with(&options).await?,
        0u32,
    )));
    let queued = Arc::new(AtomicUsize::new(0));
    let last = writer.clone();
    let took = common::from_tasks(transactions, tasks, move |i| {
        let (writer, queued) = (writer.clone(), queued.clone());
        async move {
            let (hold, user, first, second) = hold_of(i);
            queued.fetch_add(1, Ordering::AcqRel);
            let mut guard = writer.lock().await;
            queued.fetch_sub(1, Ordering::AcqRel);
            let (conn, open) = &mut *guard;
            if *open == 0 {
                conn.execute("BEGIN IMMEDIATE").await?;
            }
            *open += 1;
            conn.execute("SAVEPOINT write").await?;
            sqlx::query(CLAIM)
                .bind(&hold)
                .bind(first)
                .bind(second)
                .execute(&mut *conn)
                .await?;
            sqlx::query(ALLOCATE).bind(user).execute(&mut *conn).await?;
            sqlx::query(HOLD)
                .bind(&hold)
                .bind(user)
                .execute(&mut *conn)
                .await?;
            sqlx::query(HOLD_SEATS)
                .bind(&hold)
                .bind(first)
                .bind(second)
                .execute(&mut *conn)
                .await?;
            conn.execute("RELEASE write").await?;
            // The last of a burst commits the batch, as the thread below does (the store's
            // committer does it on a task of its own; the number of syncs is what matters).
            if queued.load(Ordering::Acquire) == 0 || *open >= 64 {
                conn.execute("COMMIT").await?;
                *open = 0;
            }
            Ok(())
        }
    })
    .await?;
    let mut guard = last.lock().await;
    if guard.1 > 0 {
        guard.0.execute("COMMIT").await?;
    }
    Ok(took)
}

type Job = common::Job<(Vec<u8>, i64, i64, i64)>;

/// The lever: one rusqlite connection on a thread of its own runs each whole transaction as a
/// savepoint of the batch and commits when its queue is empty (or the batch is 64 long).
fn writer_thread(path: String, mut jobs: mpsc::Receiver<Job>) -> anyhow::Result<()> {
    let mut connection = rusqlite::Connection::open(path)?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    while let Some(first) = jobs.blocking_recv() {
        let mut batch =
            connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut answers = Vec::new();
        let mut next = Some(first);
        while let Some(((hold, user, first, second), answer)) = next.take() {
            let mut run = || -> rusqlite::Result<()> {
                let savepoint = batch.savepoint()?;
                savepoint
                    .prepare_cached(CLAIM)?
                    .execute(rusqlite::params![hold, first, second])?;
                savepoint.prepare_cached(ALLOCATE)?.execute([user])?;
                savepoint
                    .prepare_cached(HOLD)?
                    .execute(rusqlite::params![hold, user])?;
                savepoint
                    .prepare_cached(HOLD_SEATS)?
                    .execute(rusqlite::params![hold, first, second])?;
                savepoint.commit()
            };
            answers.push((answer, run().map_err(|e| e.to_string())));
            if answers.len() < 64 {
                next = jobs.try_recv().ok();
            }
        }
        let committed = batch.commit().map_err(|e| e.to_string());
        for (answer, result) in answers {
            let _ = answer.send(committed.clone().and(result));
        }
    }
    Ok(())
}

async fn through_one_handoff(
    path: &str,
    transactions: u64,
    tasks: u64,
) -> anyhow::Result<Duration> {
    let (send, jobs) = mpsc::channel::<Job>(1024);
    let path = path.to_owned();
    let thread = std::thread::spawn(move || writer_thread(path, jobs));
    let writer = send.clone();
    let elapsed = common::from_tasks(transactions, tasks, move |i| {
        let writer = writer.clone();
        async move { common::ask(&writer, hold_of(i)).await }
    })
    .await?;
    drop(send);
    thread
        .join()
        .map_err(|_| anyhow::anyhow!("the writer thread panicked"))??;
    Ok(elapsed)
}

/// Every transaction held its two seats, once.
fn check(path: &str, transactions: u64) -> anyhow::Result<()> {
    let connection = rusqlite::Connection::open(path)?;
    let held: i64 = connection.query_row(
        "SELECT COUNT(*) FROM seats WHERE status = 'held'",
        [],
        |r| r.get(0),
    )?;
    let holds: i64 = connection.query_row("SELECT COUNT(*) FROM holds", [], |r| r.get(0))?;
    anyhow::ensure!(
        held == 2 * transactions as i64 && holds == transactions as i64,
        "{held} seats held by {holds} holds for {transactions} transactions"
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let transactions: u64 = args.next().map_or(Ok(20_000), |a| a.parse())?;
    let tasks: u64 = args.next().map_or(Ok(64), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    println!(
        "{transactions} hold-shaped write transactions from {tasks} tasks, WAL, synchronous=FULL, group commit"
    );
    let mut rates = Vec::new();
    for (name, file) in [
        ("sqlx, a hand-off per statement", "a.db"),
        ("rusqlite thread, one hand-off", "b.db"),
    ] {
        let path = database(&dir, file, 2 * transactions)?;
        let took = if file == "a.db" {
            through_sqlx(&path, transactions, tasks).await?
        } else {
            through_one_handoff(&path, transactions, tasks).await?
        };
        check(&path, transactions)?;
        let rate = transactions as f64 / took.as_secs_f64();
        println!(
            "{name:<32} {rate:>9.0} transactions/s ({:.1} s)",
            took.as_secs_f64()
        );
        rates.push(rate);
    }
    println!("ratio {:.2}x", rates[1] / rates[0]);
    Ok(())
}
