//! The PostgreSQL backend: the store of record for a cluster of server nodes.

use crate::cache::Caches;
use crate::dialect::Dialect;
use crate::{Backend, ConnectOptions, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::{AssertSqlSafe, PgPool, Postgres, QueryBuilder, Transaction};
use std::str::FromStr;
use std::time::Duration;

type Db = Postgres;
type ThisBackend = PgStore;
pub(crate) type Tx = Transaction<'static, Db>;
type OneStatement<'q> = sqlx::query::Query<'q, Db, sqlx::postgres::PgArguments>;

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

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub struct PgStore {
    /// Write transactions.
    pool: PgPool,
    readers: PgPool,
    caches: Caches,
}

/// Whether to skip TLS with a server on this machine, where it protects nothing: every statement
/// would still be encrypted and decrypted on both sides (on-sale rehearsal over loopback TCP at
/// 500 arrivals/s: 375 purchases/s with TLS, 450 without). Only when neither the URL nor
/// `PGSSLMODE` asks for a mode.
fn tls_is_pointless(host: &str, url: &str, sslmode_in_env: bool) -> bool {
    let loopback = host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    loopback && !sslmode_in_env && !url.contains("sslmode=")
}

impl PgStore {
    pub async fn connect(url: &str, options: &ConnectOptions) -> StoreResult<Self> {
        let mut connect = PgConnectOptions::from_str(url)?;
        if tls_is_pointless(
            connect.get_host(),
            url,
            std::env::var_os("PGSSLMODE").is_some(),
        ) {
            connect = connect.ssl_mode(PgSslMode::Disable);
        }
        Self::connect_with(connect, options).await
    }

    /// Connects with prepared options, e.g. a `search_path` that isolates a test's schema.
    pub async fn connect_with(
        connect: PgConnectOptions,
        options: &ConnectOptions,
    ) -> StoreResult<Self> {
        // Reads get connections of their own: during an on-sale, write transactions queue on
        // a few hot rows, and seat maps, sign-in checks and ticket lists must not queue behind
        // them for a connection. The two pools share the configured budget.
        let writers = options.max_connections.div_ceil(2).max(1);
        let readers = options.max_connections.saturating_sub(writers).max(1);
        let pool = PgPoolOptions::new()
            .max_connections(writers)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(connect.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        let readers = PgPoolOptions::new()
            .max_connections(readers)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(connect)
            .await?;
        let store = Self {
            pool,
            readers,
            caches: Caches::default(),
        };
        store.fold_search_columns().await?;
        Ok(store)
    }
}

impl Dialect for PgStore {
    type Db = Db;
    type Tx = Tx;

    /// Appended to a SELECT that reads a row the transaction is about to change.
    const LOCK_ROW: &str = " FOR UPDATE";

    /// What a foreign key to the row takes: held by a paid order's settlement on its event, so that
    /// cancelling the event (`FOR UPDATE`) waits for settlements in flight, and they for it.
    const LOCK_KEY_SHARE: &str = " FOR KEY SHARE";

    /// Writes an audit entry ($1..$12) and moves the head's hash to it ($12), in one statement.
    const APPEND_AUDIT_ENTRY: &str = include_str!("sql/postgres/append_audit_entry.sql");

    /// Keeps a hold ($2) and its seats until $1 while its order is paid for, and inserts the
    /// order ($3, awaiting payment: buyer $4, session $5, event $6, total $7, currency $8, token
    /// $9, client address $10, idempotency key $11, settle after $12, created at $13).
    const START_PAYING: &str = include_str!("sql/postgres/start_paying.sql");

    /// Marks a paid order's hold ordered ($1) and the order ($4) paid with the provider's
    /// reference ($2) at $3; records the captured charge ($5: its id, $6 amount, $7 currency);
    /// queues the buyer's `order_paid` message ($8: its id, $9 dedupe key, $10 buyer, $12 order
    /// id as text) and the `order.paid` audit entry ($13: its id, $14 its summary; the buyer is
    /// the actor); and records `paid` as the answer to the buyer's key $11 unless one was.
    const MARK_PAID: &str = include_str!("sql/postgres/mark_paid.sql");

    /// A session's seats, read section by section.
    const SEATS_BY_SECTION: &str = "session_seats seat";

    /// Appended to a SELECT that claims work rows several workers may race for.
    const LOCK_SKIP: &str = " FOR UPDATE SKIP LOCKED";

    fn backend() -> Backend {
        Backend::Postgres
    }

    fn reader(&self) -> &sqlx::Pool<Db> {
        &self.readers
    }

    async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        self.pool.begin().await
    }

    fn one_handoff(&self) -> Option<&crate::group_commit::GroupCommit> {
        None
    }

    /// Runs one statement as a write of its own: autocommit, one round trip instead of three.
    async fn write_one(&self, query: OneStatement<'_>) -> Result<(), sqlx::Error> {
        query.execute(&self.pool).await.map(|_| ())
    }

    /// Refreshes the planner's statistics of tables that just grew in bulk (a venue's seats, a
    /// session's inventory), so that an on-sale starting minutes after its session was created
    /// is not planned from empty-table estimates. Autovacuum would get there, but later.
    async fn refresh_statistics(&self, tables: &str) {
        let analyze = sqlx::query(AssertSqlSafe(format!("ANALYZE {tables}")));
        if let Err(error) = analyze.execute(&self.pool).await {
            tracing::warn!(%error, tables, "could not refresh planner statistics");
        }
    }

    /// Every word must match a word of the event's text by prefix.
    fn push_search(query: &mut QueryBuilder<Db>, terms: &[String]) {
        let tsquery = terms
            .iter()
            .map(|term| format!("{term}:*"))
            .collect::<Vec<_>>()
            .join(" & ");
        query.push(" AND e.search @@ to_tsquery('simple', ");
        query.push_bind(tsquery);
        query.push(")");
    }
}

#[cfg(test)]
mod tests {
    use super::tls_is_pointless;

    #[test]
    fn tls_is_skipped_only_on_this_machine_and_when_no_mode_is_asked_for() {
        let url = "postgres://app@127.0.0.1/box";
        assert!(tls_is_pointless("127.0.0.1", url, false));
        assert!(tls_is_pointless("localhost", url, false));
        assert!(tls_is_pointless("::1", url, false));
        assert!(tls_is_pointless("[::1]", url, false));
        assert!(!tls_is_pointless("db.example.com", url, false));
        assert!(!tls_is_pointless("10.0.0.7", url, false));
        assert!(!tls_is_pointless(
            "127.0.0.1",
            "postgres://127.0.0.1/box?sslmode=require",
            false
        ));
        assert!(!tls_is_pointless("127.0.0.1", url, true));
    }
}
