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

use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::{Connection as _, Executor, SqliteConnection};
use std::borrow::Cow;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

/// What a batch's waiters hear: `None` until the batch ends, then its commit's outcome.
type Outcome = Option<Result<(), String>>;

pub struct GroupCommit {
    writer: Arc<Mutex<Writer>>,
}

/// How many prepared statements the writer's handle keeps (`Writer::raw`).
const STATEMENT_CACHE: usize = 512;

struct Writer {
    /// The connection's handle seen through rusqlite, made on first use and kept for its
    /// cached statements. Used only while the handle is locked away from sqlx's thread
    /// (`on_handle`). Declared before `conn` so that its statements are finalized before the
    /// connection closes (the connection is serialized, so that is safe from any thread).
    raw: Option<rusqlite::Connection>,
    conn: SqliteConnection,
    state: State,
    /// Whether sqlx's thread may still have a request to give the handle up queued from a
    /// hand-off that did not need it (see `on_handle`).
    behind: bool,
}

/// The writer's transaction, as the statements on the connection left it.
struct State {
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
    /// Takes the writer connection. Open it serialized (`SqliteConnectOptions::serialized`):
    /// write transactions run on its handle from the caller's thread as well as sqlx's.
    pub fn new(conn: SqliteConnection) -> Self {
        Self {
            writer: Arc::new(Mutex::new(Writer {
                raw: None,
                conn,
                behind: false,
                state: State {
                    batch: None,
                    savepoint: Savepoint::None,
                },
            })),
        }
    }

    /// Waits for the writer; the transaction has no savepoint yet. `kind` names the write in
    /// the writer's metrics.
    async fn take(&self, kind: &'static str) -> GroupTx {
        let asked = Instant::now();
        let writer = self.writer.clone().lock_owned().await;
        let taken = Instant::now();
        metrics::histogram!("sqlite_writer_wait_seconds", "kind" => kind).record(taken - asked);
        GroupTx {
            writer,
            group: self.writer.clone(),
            taken,
            kind,
        }
    }

    /// Opens a write transaction: a savepoint in the current batch (opening one if needed).
    /// Its statements go one by one through sqlx; see [`GroupCommit::write`] for the cheaper way.
    pub async fn begin(&self) -> Result<GroupTx, sqlx::Error> {
        // On a task of its own, so that a cancelled caller cannot stop it between a statement
        // and the bookkeeping of what that statement did.
        let group = GroupCommit {
            writer: self.writer.clone(),
        };
        let kind = write_kind();
        tokio::spawn(async move {
            let mut tx = group.take(kind).await;
            tx.writer.on_handle(|db, state| state.open(db)).await??;
            Ok(tx)
        })
        .await
        .map_err(|_| sqlx::Error::WorkerCrashed)?
    }

    /// Runs a whole write transaction in one hand-off: the writer connection's handle is taken
    /// from sqlx's thread once, and `body` runs on it, synchronously, between the write's
    /// savepoint and its release, with `rusqlite`'s cached statements. Answers `body`'s value
    /// once the batch is durably committed; an error from `body` rolls the write back.
    ///
    /// `body` runs on the calling task's thread while every other write waits: keep it to the
    /// transaction's statements and the decisions between them.
    pub async fn write<T, E, Body>(&self, body: Body) -> Result<T, E>
    where
        E: From<sqlx::Error>,
        Body: FnOnce(&rusqlite::Connection) -> Result<T, E>,
    {
        let kind = match write_kind() {
            OTHER => written_in::<Body>(),
            kind => kind,
        };
        let mut tx = self.take(kind).await;
        let ran = tx.run(body).await?;
        let value = ran?;
        tx.commit().await?;
        Ok(value)
    }
}

impl Writer {
    /// Runs `body` on the connection's handle, locked away from sqlx's thread: one hand-off.
    /// Nothing awaits once the handle is taken, so a cancelled caller cannot stop `body` halfway.
    async fn on_handle<T>(
        &mut self,
        body: impl FnOnce(&rusqlite::Connection, &mut State) -> T,
    ) -> Result<T, sqlx::Error> {
        // sqlx's `lock_handle` queues for the handle, then asks its thread (through a channel of
        // 50 requests) to give it up; the thread takes it back right after. If a hand-off comes
        // before the thread has taken the handle back from the previous one, it gets the handle
        // at once and its request stays queued, unneeded; hand-offs in a row can pile such
        // requests up until the channel is full, and then one holds the handle while it waits to
        // queue its request, and the thread waits for the handle: both stop for good. So a
        // hand-off that got the handle at once lets the thread catch up (a ping, answered once
        // the requests before it are done) before the next one.
        if self.behind {
            self.conn.ping().await?;
            self.behind = false;
        }
        let mut locking = std::pin::pin!(self.conn.lock_handle());
        let mut first_poll = true;
        let behind = &mut self.behind;
        let mut handle = std::future::poll_fn(|cx| {
            let locked = locking.as_mut().poll(cx);
            if std::mem::take(&mut first_poll) && locked.is_ready() {
                *behind = true;
            }
            locked
        })
        .await?;
        let db = match &mut self.raw {
            Some(db) => db,
            slot @ None => {
                // SAFETY: the handle is sqlx's open connection, which outlives `raw` (declared
                // first, so dropped first); rusqlite does not close a handle it did not open.
                // `raw` is used only here, while the handle is locked, so no other thread uses
                // the connection meanwhile.
                #[allow(unsafe_code)]
                let db =
                    unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) }
                        .map_err(raw_error)?;
                // rusqlite keeps 16 statements by default, fewer than the hot writes use
                // (holds, orders begun, settlement, expiry, the savepoints): past that each
                // write would prepare again what the one before evicted.
                db.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                slot.insert(db)
            }
        };
        let answer = body(db, &mut self.state);
        drop(handle);
        Ok(answer)
    }

    async fn end_batch(&mut self, outcome: Result<(), String>) {
        let Some(batch) = self.state.batch.take() else {
            return;
        };
        // COMMIT releases a kept savepoint; ROLLBACK undoes it.
        self.state.savepoint = Savepoint::None;
        let started = Instant::now();
        // The commit's sync to disk runs on sqlx's thread, not on the runtime's.
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

impl State {
    /// Opens a write's savepoint (and the batch's transaction if none is open), after rolling
    /// back a write that ended without committing.
    fn open(&mut self, db: &rusqlite::Connection) -> Result<(), sqlx::Error> {
        self.undo_uncommitted_savepoint(db);
        if self.batch.is_none() {
            // BEGIN IMMEDIATE takes the database's write lock up front.
            db.execute_batch("BEGIN IMMEDIATE").map_err(raw_error)?;
            self.batch = Some(Batch {
                done: watch::Sender::new(None),
                commit_scheduled: false,
            });
        }
        let opened = if self.savepoint == Savepoint::Kept {
            db.execute_batch("RELEASE SAVEPOINT write; SAVEPOINT write")
                .map_err(|error| {
                    // Whether the kept write was released is unknown: its batch fails whole.
                    let error = raw_error(error);
                    self.fail_batch(db, &error);
                    error
                })
        } else {
            db.execute_batch("SAVEPOINT write").map_err(raw_error)
        };
        opened?;
        self.savepoint = Savepoint::Open;
        Ok(())
    }

    /// Rolls back a transaction that ended without committing. If that cannot be done (SQLite
    /// may already have rolled the whole batch back after an I/O error), the batch fails.
    fn undo_uncommitted_savepoint(&mut self, db: &rusqlite::Connection) {
        if self.savepoint != Savepoint::Open {
            return;
        }
        self.savepoint = Savepoint::None;
        if let Err(error) = db.execute_batch("ROLLBACK TO SAVEPOINT write; RELEASE SAVEPOINT write")
        {
            tracing::error!(%error, "could not roll back a write; its whole batch is rolled back");
            self.fail_batch(db, &raw_error(error));
        }
    }

    /// Rolls the whole batch back and tells its writes.
    fn fail_batch(&mut self, db: &rusqlite::Connection, error: &sqlx::Error) {
        let Some(batch) = self.batch.take() else {
            return;
        };
        self.savepoint = Savepoint::None;
        // Leave the connection outside any transaction, whatever state the failure left.
        let _ = db.execute_batch("ROLLBACK");
        batch.done.send_replace(Some(Err(error.to_string())));
    }
}

async fn commit_batch(group: &Mutex<Writer>) {
    let mut writer = group.lock().await;
    let undone = writer
        .on_handle(|db, state| state.undo_uncommitted_savepoint(db))
        .await;
    let outcome = undone.map_err(|error| error.to_string());
    writer.end_batch(outcome).await;
}

/// Makes sure the current batch gets committed (once), from a task of its own, so that no
/// caller's cancellation can leave a batch open with others waiting on it.
fn schedule_commit(writer: &mut Writer, group: &Arc<Mutex<Writer>>) {
    let Some(batch) = writer.state.batch.as_mut() else {
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
    /// What the write is (`write_kind`), for the metrics.
    kind: &'static str,
}

/// What a write is, as its metrics name it: the operation it is made for (the innermost span,
/// as each application and store operation has one), or `other` where spans are filtered out.
fn write_kind() -> &'static str {
    tracing::Span::current()
        .metadata()
        .map_or(OTHER, |metadata| metadata.name())
}

const OTHER: &str = "other";

/// The function a write's body was written in (its closure's type names it), for a write whose
/// span is filtered out: `settle_order` for
/// `bilheteria_store::sqlite::settlement::<impl …>::settle_order::{{closure}}::{{closure}}`.
fn written_in<Body>() -> &'static str {
    let path = std::any::type_name::<Body>();
    // The path's segments, split at `::` outside angle brackets: a trait impl's (`<impl A for
    // B>`) and closures' (`{{closure}}`) are no names; a function's own parameters
    // (`settle_order<'_, '_>`) are cut off.
    let (mut depth, mut start, mut named) = (0usize, 0, OTHER);
    let mut name = |segment: &'static str| {
        if !segment.starts_with(['{', '<']) {
            named = segment.split('<').next().unwrap_or(segment);
        }
    };
    let bytes = path.as_bytes();
    for at in 0..bytes.len() {
        match bytes[at] {
            b'<' => depth += 1,
            b'>' => depth = depth.saturating_sub(1),
            b':' if depth == 0 && at > start && bytes[at - 1] == b':' => {
                name(&path[start..at - 1]);
                start = at + 1;
            }
            _ => {}
        }
    }
    name(&path[start..]);
    named
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

    /// Opens the transaction's savepoint, runs `body` and, if it failed, rolls the savepoint
    /// back, all in one hand-off. The outer error is the writer's own.
    async fn run<T, E>(
        &mut self,
        body: impl FnOnce(&rusqlite::Connection) -> Result<T, E>,
    ) -> Result<Result<T, E>, sqlx::Error> {
        self.writer
            .on_handle(|db, state| {
                state.open(db)?;
                let ran = body(db);
                if ran.is_err() {
                    state.undo_uncommitted_savepoint(db);
                }
                Ok(ran)
            })
            .await?
    }

    /// Keeps the savepoint in the batch and answers where the batch's outcome will appear.
    /// Nothing is sent to the connection, so a cancelled caller cannot leave this half done.
    fn keep(mut self) -> Result<watch::Receiver<Outcome>, sqlx::Error> {
        let done = match self.writer.state.batch.as_ref() {
            Some(batch) => batch.done.subscribe(),
            None => return Err(sqlx::Error::WorkerCrashed),
        };
        self.writer.state.savepoint = Savepoint::Kept;
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
        metrics::histogram!("sqlite_writer_held_seconds", "kind" => self.kind)
            .record(self.taken.elapsed());
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

/// An error of a statement run through rusqlite, as sqlx's own SQLite errors read (the same
/// kinds, so that `is_unique_violation` and the like answer alike on both paths).
pub fn raw_error(error: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Database(Box::new(RawError(error)))
}

#[derive(Debug)]
struct RawError(rusqlite::Error);

impl std::fmt::Display for RawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for RawError {}

impl DatabaseError for RawError {
    fn message(&self) -> &str {
        match &self.0 {
            rusqlite::Error::SqliteFailure(_, Some(message)) => message,
            _ => "SQLite failed",
        }
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        self.0
            .sqlite_error()
            .map(|error| error.extended_code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        use rusqlite::ffi;
        match self.0.sqlite_error().map(|error| error.extended_code) {
            Some(ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => {
                ErrorKind::UniqueViolation
            }
            Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => ErrorKind::ForeignKeyViolation,
            Some(ffi::SQLITE_CONSTRAINT_NOTNULL) => ErrorKind::NotNullViolation,
            Some(ffi::SQLITE_CONSTRAINT_CHECK) => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_without_a_span_is_named_by_the_function_it_was_written_in() {
        fn closure_of<F: FnOnce()>(_: &F) -> &'static str {
            written_in::<F>()
        }
        fn generic<T: Default>() -> &'static str {
            closure_of(&|| drop(T::default()))
        }
        let body = || {};
        assert_eq!(
            closure_of(&body),
            "a_write_without_a_span_is_named_by_the_function_it_was_written_in"
        );
        assert_eq!(generic::<Vec<u8>>(), "generic");
    }
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{Connection, Row};

    async fn group() -> (GroupCommit, tempfile::TempDir, SqliteConnectOptions) {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("group.db"))
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let mut conn = SqliteConnection::connect_with(&options.clone().serialized(true))
            .await
            .unwrap();
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

    /// The numbers the tasks say they committed, in order.
    async fn kept(mut tasks: tokio::task::JoinSet<Result<(i64, bool), sqlx::Error>>) -> Vec<i64> {
        let mut committed = Vec::new();
        while let Some(done) = tasks.join_next().await {
            let (n, kept) = done.unwrap().unwrap();
            if kept {
                committed.push(n);
            }
        }
        committed.sort();
        committed
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
        let committed = kept(tasks).await;
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

    /// Inserts `n` in one hand-off, and `n` again if `twice` (which fails).
    async fn insert_raw(group: &GroupCommit, n: i64, twice: bool) -> Result<i64, sqlx::Error> {
        group
            .write(|db| {
                let mut insert = db
                    .prepare_cached("INSERT INTO t (n) VALUES ($1)")
                    .map_err(raw_error)?;
                insert.execute([n]).map_err(raw_error)?;
                if twice {
                    insert.execute([n]).map_err(raw_error)?;
                }
                Ok(n)
            })
            .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_in_one_hand_off_and_through_sqlx_share_batches_and_fail_alone() {
        let (group, _dir, options) = group().await;
        let group = Arc::new(group);
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..300i64 {
            let group = group.clone();
            tasks.spawn(async move {
                if n % 2 == 0 {
                    // A failed statement rolls back the whole write, its first insert too.
                    return match insert_raw(&group, n, n % 3 == 0).await {
                        Ok(_) => Ok((n, true)),
                        Err(error) => {
                            let sqlx::Error::Database(error) = &error else {
                                panic!("{error}");
                            };
                            assert!(error.is_unique_violation(), "{error}");
                            Ok((n, false))
                        }
                    };
                }
                let mut tx = group.begin().await?;
                sqlx::query("INSERT INTO t (n) VALUES ($1)")
                    .bind(n)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>((n, true))
            });
        }
        let committed = kept(tasks).await;
        assert_eq!(committed.len(), 250);
        assert_eq!(stored(&options).await, committed);
    }

    #[tokio::test]
    async fn a_write_in_one_hand_off_answers_once_its_batch_is_durable() {
        let (group, _dir, options) = group().await;
        assert_eq!(insert_raw(&group, 5, false).await.unwrap(), 5);
        // Committed: another connection sees it at once.
        assert_eq!(stored(&options).await, vec![5]);
        assert!(insert_raw(&group, 5, false).await.is_err());
        assert_eq!(insert_raw(&group, 6, false).await.unwrap(), 6);
        assert_eq!(stored(&options).await, vec![5, 6]);
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
