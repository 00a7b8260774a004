//! What each backend gives the SQL the two share (`shared.rs`, `accounts.rs`, `catalog.rs`,
//! `audit.rs`, `sales.rs`). Those files are compiled once per backend, inside `postgres` and
//! inside `sqlite`, where `Db`, `Tx` and `ThisBackend` name that backend's types; this trait is
//! what `ThisBackend` must provide, checked by the compiler for both.

use crate::Backend;
use sqlx::QueryBuilder;

pub(crate) trait Dialect {
    type Db: sqlx::Database;
    /// A write transaction: PostgreSQL's own, or a savepoint of SQLite's group commit.
    type Tx;

    /// Appended to a SELECT that reads a row the transaction is about to change.
    const LOCK_ROW: &'static str;
    /// Appended to a SELECT that reads a row which must not change until the transaction ends,
    /// sharing it with other readers (the event a paid order is settled for).
    const LOCK_KEY_SHARE: &'static str;
    /// Appended to a SELECT that claims work rows several workers may race for.
    const LOCK_SKIP: &'static str;
    /// Writes an audit entry ($1..$12) and moves the head's hash to it ($12), in one round trip.
    const APPEND_AUDIT_ENTRY: &'static str;
    /// Keeps a hold and its seats while its order is paid for, and inserts the order, in one
    /// round trip (parameters: `sql/<backend>/start_paying.sql` and `sales.rs`).
    const START_PAYING: &'static str;
    /// Marks a paid order's hold, order, charge, mail, audit entry and answer, in one round trip.
    const MARK_PAID: &'static str;
    /// The `FROM` item of a session's seats read section by section.
    const SEATS_BY_SECTION: &'static str;

    fn backend() -> Backend;
    /// The connections that read.
    fn reader(&self) -> &sqlx::Pool<Self::Db>;
    async fn begin_write(&self) -> Result<Self::Tx, sqlx::Error>;
    /// SQLite's writer, which runs a whole write transaction in one hand-off; `None` where
    /// each statement goes to the database on its own anyway (PostgreSQL).
    fn one_handoff(&self) -> Option<&crate::group_commit::GroupCommit>;
    /// Runs one statement as a write of its own.
    async fn write_one(
        &self,
        query: sqlx::query::Query<'_, Self::Db, <Self::Db as sqlx::Database>::Arguments>,
    ) -> Result<(), sqlx::Error>;
    /// Refreshes the planner's statistics of tables that just grew in bulk (a no-op where the
    /// planner needs none).
    async fn refresh_statistics(&self, tables: &str);
    /// Adds the condition that every word of `terms` matches the event's text by prefix.
    fn push_search(query: &mut QueryBuilder<Self::Db>, terms: &[String]);
}
