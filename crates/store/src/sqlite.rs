//! The SQLite backend: the embedded default, a real box office for a single node.
//!
//! SQLite allows one writer at a time, so writes go through one connection, as savepoints of a
//! shared `BEGIN IMMEDIATE` transaction that commits them in groups (`group_commit.rs`): the
//! write lock is taken up front, and one sync to disk serves every write queued behind it.
//! Reads use a separate pool and see the last committed state through WAL.

use crate::group_commit::{GroupCommit, GroupTx};
use crate::kept::Kept;
use crate::{Backend, ConnectOptions, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

type Db = Sqlite;
type Own = SqliteStore;
type Tx = GroupTx;
type OneStatement<'q> = sqlx::query::Query<'q, Db, sqlx::sqlite::SqliteArguments>;

// The shared SQL, compiled once per backend on purpose.
#[allow(clippy::duplicate_mod)]
#[path = "sales.rs"]
mod sales;
#[allow(clippy::duplicate_mod)]
#[path = "shared.rs"]
mod shared;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    writer: GroupCommit,
    readers: SqlitePool,
    kept: Kept,
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
        let mut writer = SqliteConnection::connect_with(&connect).await?;
        MIGRATOR.run(&mut writer).await?;
        let writer = GroupCommit::new(writer);
        let readers = SqlitePoolOptions::new()
            .max_connections(options.max_connections.clamp(1, 8))
            .connect_with(connect.read_only(true))
            .await?;
        Ok(Self {
            writer,
            readers,
            kept: Kept::default(),
        })
    }

    /// Appended to a SELECT that reads a row the transaction is about to change.
    // BEGIN IMMEDIATE already holds the database write lock.
    const LOCK_ROW: &str = "";

    /// Writes an audit entry ($1..$12) and moves the head's hash to it ($12): two statements
    /// sent as one (numbered parameters bind across them), one hand-off to the connection.
    const APPEND_AUDIT_ENTRY: &str = "INSERT INTO audit_log (seq, id, at, actor_id, action, \
        target_type, target_id, ip, before, after, prev_hash, hash) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12); \
        UPDATE audit_head SET hash = $12 WHERE id = 1";

    /// Appended to a SELECT that claims work rows several workers may race for.
    const LOCK_SKIP: &str = "";

    fn backend() -> Backend {
        Backend::Sqlite
    }

    fn reader(&self) -> &SqlitePool {
        &self.readers
    }

    async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        self.writer.begin().await
    }

    /// Runs one statement as a write of its own, in the current batch.
    async fn write_one(&self, query: OneStatement<'_>) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        query.execute(&mut *tx).await?;
        tx.commit().await
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
