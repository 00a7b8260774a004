//! Group commit for SQLite's single writer connection.
//!
//! Every write transaction of the store becomes a savepoint inside one shared transaction (a
//! batch), and one `COMMIT` ends the batch: the writes queued while the previous commit was
//! syncing to disk share the next sync instead of paying one each. A caller hears that its write
//! committed only after the batch's `COMMIT` succeeded; if that fails, every write of the batch
//! is rolled back and each of its callers gets the error, so nobody is told "saved" for data
//! that is not.
//!
//! Writes of one batch see each other before they are durable. A write that answers from what
//! it read (and then reads more through the reader pool) must therefore `commit`, not drop, its
//! transaction: committing waits until what it saw is durable and visible to readers.
//!
//! The writer connection sits behind a FIFO mutex. A transaction (`GroupTx`) holds it from its
//! `SAVEPOINT` to its commit; the batch's commit runs on a spawned task that queues for the
//! same mutex, so it commits after the transactions already waiting and before later ones.
//!
//! Every statement is a round trip to the connection's thread, the writer's main cost under
//! load, so a committed transaction's `RELEASE` is not sent on its own: it goes with the next
//! transaction's `SAVEPOINT`, or is left to the batch's `COMMIT`, which releases it.

use sqlx::{Executor, SqliteConnection};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

/// What a batch's waiters hear: `None` until the batch ends, then its commit's outcome.
type Outcome = Option<Result<(), String>>;

pub struct GroupCommit {
    writer: Arc<Mutex<Writer>>,
}

struct Writer {
    conn: SqliteConnection,
    /// The batch whose transaction is open on the connection, if any.
    batch: Option<Batch>,
    savepoint: Savepoint,
}

/// The savepoint of the latest transaction on the connection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Savepoint {
    None,
    /// Not committed: if its holder lets go of the writer so (it gave up, failed or was
    /// cancelled), it is rolled back before the connection is used again.
    Open,
    /// Committed into the batch and not yet released: released with the next statement.
    Kept,
}

struct Batch {
    done: watch::Sender<Outcome>,
    commit_scheduled: bool,
}

impl GroupCommit {
    pub fn new(conn: SqliteConnection) -> Self {
        Self {
            writer: Arc::new(Mutex::new(Writer {
                conn,
                batch: None,
                savepoint: Savepoint::None,
            })),
        }
    }

    /// Opens a write transaction: a savepoint in the current batch (opening one if needed).
    pub async fn begin(&self) -> Result<GroupTx, sqlx::Error> {
        // On a task of its own, so that a cancelled caller cannot stop it between a statement
        // and the bookkeeping of what that statement did.
        let group = self.writer.clone();
        tokio::spawn(async move {
            let asked = Instant::now();
            let mut writer = group.clone().lock_owned().await;
            let taken = Instant::now();
            metrics::histogram!("sqlite_writer_wait_seconds").record(taken - asked);
            writer.undo_uncommitted_savepoint().await;
            if writer.batch.is_none() {
                // BEGIN IMMEDIATE takes the database's write lock up front.
                writer.conn.execute("BEGIN IMMEDIATE").await?;
                writer.batch = Some(Batch {
                    done: watch::Sender::new(None),
                    commit_scheduled: false,
                });
            }
            if writer.savepoint == Savepoint::Kept {
                let opened = writer
                    .conn
                    .execute("RELEASE SAVEPOINT write; SAVEPOINT write")
                    .await;
                if let Err(error) = opened {
                    // Whether the kept write was released is unknown: its batch fails whole.
                    writer.end_batch(Err(error.to_string())).await;
                    return Err(error);
                }
            } else if let Err(error) = writer.conn.execute("SAVEPOINT write").await {
                schedule_commit(&mut writer, &group);
                return Err(error);
            }
            writer.savepoint = Savepoint::Open;
            Ok(GroupTx {
                writer,
                group,
                taken,
            })
        })
        .await
        .map_err(|_| sqlx::Error::WorkerCrashed)?
    }
}

impl Writer {
    /// Rolls back a transaction that ended without committing. If that cannot be done (SQLite
    /// may already have rolled the whole batch back after an I/O error), the batch fails.
    async fn undo_uncommitted_savepoint(&mut self) {
        if self.savepoint != Savepoint::Open {
            return;
        }
        self.savepoint = Savepoint::None;
        let undone = self
            .conn
            .execute("ROLLBACK TO SAVEPOINT write; RELEASE SAVEPOINT write")
            .await;
        if let Err(error) = undone {
            tracing::error!(%error, "could not roll back a write; its whole batch is rolled back");
            self.end_batch(Err(error.to_string())).await;
        }
    }

    async fn end_batch(&mut self, outcome: Result<(), String>) {
        let Some(batch) = self.batch.take() else {
            return;
        };
        // COMMIT releases a kept savepoint; ROLLBACK undoes it.
        self.savepoint = Savepoint::None;
        let started = Instant::now();
        let outcome = match outcome {
            Ok(()) => self
                .conn
                .execute("COMMIT")
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(error) => Err(error),
        };
        if outcome.is_err() {
            // Leave the connection outside any transaction, whatever state the failure left.
            let _ = self.conn.execute("ROLLBACK").await;
        }
        metrics::histogram!("sqlite_commit_seconds").record(started.elapsed());
        batch.done.send_replace(Some(outcome));
    }
}

async fn commit_batch(group: &Mutex<Writer>) {
    let mut writer = group.lock().await;
    writer.undo_uncommitted_savepoint().await;
    writer.end_batch(Ok(())).await;
}

/// Makes sure the current batch gets committed (once), from a task of its own, so that no
/// caller's cancellation can leave a batch open with others waiting on it.
fn schedule_commit(writer: &mut Writer, group: &Arc<Mutex<Writer>>) {
    let Some(batch) = writer.batch.as_mut() else {
        return;
    };
    if batch.commit_scheduled {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    batch.commit_scheduled = true;
    let group = group.clone();
    runtime.spawn(async move { commit_batch(&group).await });
}

/// A write transaction of the SQLite store. Dropping it without `commit` rolls it back.
pub struct GroupTx {
    writer: OwnedMutexGuard<Writer>,
    group: Arc<Mutex<Writer>>,
    /// When it took the writer, which every other write then waits for.
    taken: Instant,
}

impl GroupTx {
    /// Answers once the transaction's batch is durably committed (or failed as a whole).
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let mut done = self.keep()?;
        let outcome = done
            .wait_for(Option::is_some)
            .await
            .map_err(|_| sqlx::Error::WorkerCrashed)?
            .clone();
        match outcome {
            Some(Ok(())) => Ok(()),
            Some(Err(message)) => Err(sqlx::Error::Protocol(format!(
                "the write's batch could not be committed: {message}"
            ))),
            None => Err(sqlx::Error::WorkerCrashed),
        }
    }

    /// Rolls the write back: the same as dropping it, since the savepoint is rolled back before
    /// the next write begins (the writer is this transaction's alone until then).
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        drop(self);
        Ok(())
    }

    /// Keeps the savepoint in the batch and answers where the batch's outcome will appear.
    /// Nothing is sent to the connection, so a cancelled caller cannot leave this half done.
    fn keep(mut self) -> Result<watch::Receiver<Outcome>, sqlx::Error> {
        let done = match self.writer.batch.as_ref() {
            Some(batch) => batch.done.subscribe(),
            None => return Err(sqlx::Error::WorkerCrashed),
        };
        self.writer.savepoint = Savepoint::Kept;
        // Dropping the transaction lets the next writer in and schedules the batch's commit.
        drop(self);
        Ok(done)
    }
}

impl Drop for GroupTx {
    fn drop(&mut self) {
        // A savepoint left open is rolled back before the batch commits; scheduling the commit
        // here makes sure a batch never stays open, whether or not another write comes.
        schedule_commit(&mut self.writer, &self.group);
        metrics::histogram!("sqlite_writer_held_seconds").record(self.taken.elapsed());
    }
}

impl Deref for GroupTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.writer.conn
    }
}

impl DerefMut for GroupTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.writer.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{Connection, Row};

    async fn group() -> (GroupCommit, tempfile::TempDir, SqliteConnectOptions) {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("group.db"))
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
        conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")
            .await
            .unwrap();
        (GroupCommit::new(conn), dir, options)
    }

    async fn stored(options: &SqliteConnectOptions) -> Vec<i64> {
        let mut conn = SqliteConnection::connect_with(options).await.unwrap();
        sqlx::query("SELECT n FROM t ORDER BY n")
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_commit_together_and_failed_ones_leave_nothing() {
        let (group, _dir, options) = group().await;
        let group = Arc::new(group);
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..200i64 {
            let group = group.clone();
            tasks.spawn(async move {
                let mut tx = group.begin().await?;
                sqlx::query("INSERT INTO t (n) VALUES ($1)")
                    .bind(n)
                    .execute(&mut *tx)
                    .await?;
                if n % 3 == 0 {
                    // A failed statement in the middle of a write, then the write gives up.
                    let duplicate = sqlx::query("INSERT INTO t (n) VALUES ($1)")
                        .bind(n)
                        .execute(&mut *tx)
                        .await;
                    assert!(duplicate.is_err());
                    return Ok::<_, sqlx::Error>((n, false));
                }
                tx.commit().await?;
                Ok((n, true))
            });
        }
        let mut committed = Vec::new();
        while let Some(done) = tasks.join_next().await {
            let (n, kept) = done.unwrap().unwrap();
            if kept {
                committed.push(n);
            }
        }
        committed.sort();
        assert_eq!(committed.len(), 133);
        assert_eq!(stored(&options).await, committed);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_write_is_rolled_back_and_the_writer_stays_usable() {
        let (group, _dir, options) = group().await;
        let group = Arc::new(group);
        let (inserted, wait) = tokio::sync::oneshot::channel::<()>();
        let cancelled = {
            let group = group.clone();
            tokio::spawn(async move {
                let mut tx = group.begin().await.unwrap();
                sqlx::query("INSERT INTO t (n) VALUES (1)")
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                inserted.send(()).unwrap();
                std::future::pending::<()>().await;
                tx.commit().await
            })
        };
        wait.await.unwrap();
        cancelled.abort();
        let _ = cancelled.await;
        let mut tx = group.begin().await.unwrap();
        sqlx::query("INSERT INTO t (n) VALUES (2)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(stored(&options).await, vec![2]);
    }

    #[tokio::test]
    async fn a_write_given_up_after_a_committed_one_undoes_only_itself() {
        let (group, _dir, options) = group().await;
        // On one thread the first write's commit runs before the second write begins, and the
        // batch's commit after it: the second write's savepoint follows the first one's, kept
        // but not yet released.
        let committed = {
            let mut tx = group.begin().await.unwrap();
            sqlx::query("INSERT INTO t (n) VALUES (1)")
                .execute(&mut *tx)
                .await
                .unwrap();
            tokio::spawn(tx.commit())
        };
        let mut given_up = group.begin().await.unwrap();
        sqlx::query("INSERT INTO t (n) VALUES (2)")
            .execute(&mut *given_up)
            .await
            .unwrap();
        drop(given_up);
        let mut last = group.begin().await.unwrap();
        sqlx::query("INSERT INTO t (n) VALUES (3)")
            .execute(&mut *last)
            .await
            .unwrap();
        last.commit().await.unwrap();
        committed.await.unwrap().unwrap();
        assert_eq!(stored(&options).await, vec![1, 3]);
    }

    #[tokio::test]
    async fn a_write_abandoned_with_no_other_write_after_it_does_not_keep_the_database_locked() {
        let (group, _dir, options) = group().await;
        {
            let mut tx = group.begin().await.unwrap();
            sqlx::query("INSERT INTO t (n) VALUES (7)")
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        // Another connection can write: the abandoned write's batch was closed.
        let mut other = SqliteConnection::connect_with(
            &options
                .clone()
                .busy_timeout(std::time::Duration::from_secs(5)),
        )
        .await
        .unwrap();
        sqlx::query("INSERT INTO t (n) VALUES (8)")
            .execute(&mut other)
            .await
            .unwrap();
        assert_eq!(stored(&options).await, vec![8]);
    }
}
