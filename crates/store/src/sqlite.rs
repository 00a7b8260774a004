//! The SQLite backend: the embedded default, a real box office for a single node.
//!
//! SQLite allows one writer at a time, so writes go through one connection, as savepoints of a
//! shared `BEGIN IMMEDIATE` transaction that commits them in groups (`group_commit.rs`): the
//! write lock is taken up front, and one sync to disk serves every write queued behind it.
//! Reads use a separate pool and see the last committed state through WAL.

use crate::cache::Caches;
use crate::dialect::Dialect;
use crate::group_commit::{GroupCommit, GroupTx};
use crate::{Backend, ConnectOptions, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

type Db = Sqlite;
type ThisBackend = SqliteStore;
pub(crate) type Tx = GroupTx;
type OneStatement<'q> = sqlx::query::Query<'q, Db, sqlx::sqlite::SqliteArguments>;

// The shared SQL, compiled once per backend on purpose.
#[allow(clippy::duplicate_mod)]
#[path = "accounts.rs"]
mod accounts;
#[allow(clippy::duplicate_mod)]
#[path = "audit.rs"]
mod audit;
#[allow(clippy::duplicate_mod)]
#[path = "back_office.rs"]
mod back_office;
#[allow(clippy::duplicate_mod)]
#[path = "catalog.rs"]
mod catalog;
#[allow(clippy::duplicate_mod)]
#[path = "gate.rs"]
mod gate;

#[allow(clippy::duplicate_mod)]
#[path = "holds.rs"]
mod holds;
#[allow(clippy::duplicate_mod)]
#[path = "integrity.rs"]
mod integrity;
#[allow(clippy::duplicate_mod)]
#[path = "organizations.rs"]
mod organizations;
#[allow(clippy::duplicate_mod)]
#[path = "outbox.rs"]
mod outbox;
#[allow(clippy::duplicate_mod)]
#[path = "queue.rs"]
mod queue;

#[allow(clippy::duplicate_mod)]
#[path = "reports.rs"]
mod reports;

#[allow(clippy::duplicate_mod)]
#[path = "orders.rs"]
mod orders;

#[allow(clippy::duplicate_mod)]
#[path = "resale.rs"]
mod resale;

#[allow(clippy::duplicate_mod)]
#[path = "settlement.rs"]
mod settlement;

#[allow(clippy::duplicate_mod)]
#[path = "slices.rs"]
mod slices;

#[allow(clippy::duplicate_mod)]
#[path = "shared.rs"]
mod shared;
#[allow(clippy::duplicate_mod)]
#[path = "tickets.rs"]
mod tickets;
#[allow(clippy::duplicate_mod)]
#[path = "transfers.rs"]
mod transfers;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    writer: GroupCommit,
    readers: SqlitePool,
    caches: Caches,
}

impl SqliteStore {
    pub async fn connect(url: &str, options: &ConnectOptions) -> StoreResult<Self> {
        let connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(if options.sqlite_synchronous_full {
                SqliteSynchronous::Full
            } else {
                SqliteSynchronous::Normal
            })
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        // Serialized: write transactions also run on its handle from the runtime's threads.
        let mut writer = SqliteConnection::connect_with(&connect.clone().serialized(true)).await?;
        MIGRATOR.run(&mut writer).await?;
        let writer = GroupCommit::new(writer);
        let readers = SqlitePoolOptions::new()
            .max_connections(options.max_connections.clamp(1, 8))
            .connect_with(connect.read_only(true))
            .await?;
        let store = Self {
            writer,
            readers,
            caches: Caches::default(),
        };
        store.fold_search_columns().await?;
        Ok(store)
    }
}

impl Dialect for SqliteStore {
    type Db = Db;
    type Tx = Tx;

    /// Appended to a SELECT that reads a row the transaction is about to change.
    // BEGIN IMMEDIATE already holds the database write lock.
    const LOCK_ROW: &str = "";

    // BEGIN IMMEDIATE already holds the database write lock.
    const LOCK_KEY_SHARE: &str = "";

    /// Writes an audit entry ($1..$12) and moves the head's hash to it ($12): two statements
    /// sent as one (numbered parameters bind across them), one hand-off to the connection.
    const APPEND_AUDIT_ENTRY: &str = include_str!("sql/sqlite/append_audit_entry.sql");

    /// Keeps a hold ($2) and its seats until $1 while its order is paid for, and inserts the
    /// order ($3, awaiting payment: buyer $4, session $5, event $6, total $7, currency $8, token
    /// $9, client address $10, idempotency key $11, settle after $12, created at $13).
    const START_PAYING: &str = include_str!("sql/sqlite/start_paying.sql");

    /// Marks a paid order's hold ordered ($1) and the order ($4) paid with the provider's
    /// reference ($2) at $3; records the captured charge ($5: its id, $6 amount, $7 currency);
    /// queues the buyer's `order_paid` message ($8: its id, $9 dedupe key, $10 buyer, $12 order
    /// id as text) and the `order.paid` audit entry ($13: its id, $14 its summary; the buyer is
    /// the actor); and records `paid` as the answer to the buyer's key $11 unless one was.
    const MARK_PAID: &str = include_str!("sql/sqlite/mark_paid.sql");

    /// Appended to a SELECT that claims work rows several workers may race for.
    const LOCK_SKIP: &str = "";

    /// A session's seats, read section by section. Without statistics SQLite prefers the
    /// primary key (session, seat), which holds every column, and reads the whole session's
    /// seats for one section's map (0.75 ms against 0.19 ms at 20,000 seats).
    const SEATS_BY_SECTION: &str = "session_seats seat INDEXED BY session_seats_by_section";

    fn backend() -> Backend {
        Backend::Sqlite
    }

    fn reader(&self) -> &sqlx::Pool<Db> {
        &self.readers
    }

    async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        self.writer.begin().await
    }

    fn one_handoff(&self) -> Option<&GroupCommit> {
        Some(&self.writer)
    }

    /// Runs one statement as a write of its own, in the current batch.
    async fn write_one(&self, query: OneStatement<'_>) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        match query.execute(&mut *tx).await {
            Ok(_) => tx.commit().await,
            Err(error) => {
                tx.rollback().await?;
                Err(error)
            }
        }
    }

    /// SQLite plans these look-ups well without statistics.
    async fn refresh_statistics(&self, _tables: &str) {}

    /// Every word must match a word of the event's text by prefix. The words are letters and
    /// digits only (see `search_terms`), so quoting them is enough to keep FTS syntax out.
    fn push_search(query: &mut QueryBuilder<Db>, terms: &[String]) {
        let fts_query = terms
            .iter()
            .map(|term| format!("\"{term}\"*"))
            .collect::<Vec<_>>()
            .join(" ");
        query.push(
            " AND e.search_rowid IN (SELECT rowid FROM event_search WHERE event_search MATCH ",
        );
        query.push_bind(fts_query);
        query.push(")");
    }
}
