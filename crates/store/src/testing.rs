//! Throw-away databases for tests, on both backends (feature `testing`).
//!
//! SQLite: a file in a fresh temporary directory. PostgreSQL: a fresh schema on the server named
//! by `BILHETERIA_TEST_DATABASE_URL`, selected through the URL's `search_path`, so every test has
//! its own tables and tests run in parallel. Without that variable at build time the PostgreSQL
//! half of each test is compiled as ignored (see the crates' `build.rs`), so it is reported as
//! not run rather than passed.

use crate::{Backend, ConnectOptions, Store, connect};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::OnceCell;

pub const POSTGRES_URL_VAR: &str = "BILHETERIA_TEST_DATABASE_URL";

/// Schemas older than this are left-overs of earlier runs and are dropped.
const STALE_AFTER_SECS: u64 = 6 * 3600;

pub struct TestDatabase {
    pub backend: Backend,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let url = format!("sqlite:{}", dir.path().join("bilheteria.db").display());
        Self {
            backend: Backend::Sqlite,
            url,
            _dir: Some(dir),
        }
    }

    /// A fresh schema on the server named by [`POSTGRES_URL_VAR`].
    pub async fn postgres() -> Self {
        let base = std::env::var(POSTGRES_URL_VAR)
            .ok()
            .filter(|url| !url.trim().is_empty())
            .unwrap_or_else(|| panic!("set {POSTGRES_URL_VAR} to run the PostgreSQL tests"));
        static CLEANED: OnceCell<()> = OnceCell::const_new();
        CLEANED.get_or_init(|| drop_stale_schemas(&base)).await;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let schema = format!("bt_{now}_{}", uuid::Uuid::now_v7().simple());
        let mut admin = admin_connection(&base).await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot create test schema: {e}"));
        let separator = if base.contains('?') { '&' } else { '?' };
        Self {
            backend: Backend::Postgres,
            url: format!("{base}{separator}options[search_path]={schema}"),
            _dir: None,
        }
    }

    pub async fn store(&self) -> Arc<dyn Store> {
        connect(
            &self.url,
            &ConnectOptions {
                max_connections: 8,
                ..ConnectOptions::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("cannot open the {} test store: {e}", self.backend.as_str()))
    }
}

async fn admin_connection(base: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(base).await.unwrap_or_else(|e| {
        panic!("cannot reach the PostgreSQL test server ({POSTGRES_URL_VAR}): {e}")
    })
}

async fn drop_stale_schemas(base: &str) {
    use sqlx::Row;
    let mut admin = admin_connection(base).await;
    let Ok(rows) = sqlx::query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bt\\_%'")
        .fetch_all(&mut admin)
        .await
    else {
        return;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    for row in rows {
        let Ok(name) = row.try_get::<String, _>("nspname") else {
            continue;
        };
        let created = name
            .split('_')
            .nth(1)
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|created| now.saturating_sub(created) > STALE_AFTER_SECS) {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE"
            )))
            .execute(&mut admin)
            .await;
        }
    }
}

/// Defines each listed test twice, as `sqlite::NAME` and `postgres::NAME`. Each listed function
/// takes a [`TestDatabase`] and must be in scope where the macro is invoked.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::TestDatabase::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(
                    not(bilheteria_postgres_tests),
                    ignore = "PostgreSQL: set BILHETERIA_TEST_DATABASE_URL to run"
                )]
                async fn $name() {
                    super::$name($crate::testing::TestDatabase::postgres().await).await;
                }
            )*
        }
    };
}
