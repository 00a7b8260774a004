//! The station's own SQLite file: the last bundle (keys, tickets, the delta cursor) and every
//! scan made here, with whether the server has it yet. It survives a restart, so a station that
//! loses power and network keeps its count and its scans.

use bilheteria_client::{GateBundle, OfflineScan, PublicKey};
use bilheteria_domain::ids::{SessionId, TicketId};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Row, SqliteConnection};
use std::path::Path;
use std::str::FromStr;

const SCHEMA: [&str; 4] = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS keys (key_id INTEGER PRIMARY KEY, algorithm TEXT NOT NULL, public_key TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tickets (id TEXT PRIMARY KEY, version INTEGER NOT NULL, status TEXT NOT NULL, \
     place TEXT NOT NULL, admitted_gate TEXT, admitted_at TEXT)",
    // `verdict` is the station's; `server_result` what the sync answered (admitted scans only).
    "CREATE TABLE IF NOT EXISTS scans (nonce TEXT PRIMARY KEY, ticket_id TEXT, code TEXT NOT NULL, gate TEXT, \
     scanned_at TEXT NOT NULL, verdict TEXT NOT NULL, synced INTEGER NOT NULL, server_result TEXT)",
];

/// A ticket as the last bundle had it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownTicket {
    pub version: i64,
    pub status: String,
    pub place: String,
    pub admitted_gate: Option<String>,
    pub admitted_at: Option<String>,
}

pub struct Local {
    pool: SqlitePool,
}

async fn meta(conn: &mut SqliteConnection, key: &str, value: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(())
}

/// Makes the station's file (created empty if missing) readable by its owner alone: it holds
/// the session's screen secret and every scan. SQLite gives its `-wal` and `-shm` files the
/// database file's mode.
fn owner_only(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl Local {
    /// Opens (or creates) the file of the station of `session`; a file of another session is
    /// refused rather than mixed.
    pub async fn open(path: &Path, session: SessionId) -> anyhow::Result<Self> {
        owner_only(path)?;
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        for statement in SCHEMA {
            sqlx::query(statement).execute(&pool).await?;
        }
        let stored: Option<String> = sqlx::query("SELECT value FROM meta WHERE key = 'session'")
            .fetch_optional(&pool)
            .await?
            .map(|row| row.try_get("value"))
            .transpose()?;
        match stored {
            Some(stored) if stored != session.to_string() => anyhow::bail!(
                "{} belongs to the station of session {stored}; give another --data file",
                path.display()
            ),
            Some(_) => {}
            None => {
                let mut conn = pool.acquire().await?;
                meta(&mut conn, "session", &session.to_string()).await?;
            }
        }
        Ok(Self { pool })
    }

    pub async fn since(&self) -> anyhow::Result<Option<String>> {
        self.meta_value("since").await
    }

    pub async fn session_title(&self) -> anyhow::Result<Option<String>> {
        self.meta_value("title").await
    }

    async fn meta_value(&self, key: &str) -> anyhow::Result<Option<String>> {
        Ok(sqlx::query("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| row.try_get("value"))
            .transpose()?)
    }

    /// The venue's time zone, as the last bundle had it.
    pub async fn time_zone(&self) -> anyhow::Result<String> {
        Ok(self
            .meta_value("time_zone")
            .await?
            .filter(|zone| !zone.is_empty())
            .unwrap_or_else(|| bilheteria_domain::locale::DEFAULT_TIME_ZONE.to_owned()))
    }

    /// The session's rule for on-screen codes and its secret, as the last bundle had them.
    pub async fn screen_rule(&self) -> anyhow::Result<(String, String)> {
        Ok((
            self.meta_value("screen_codes").await?.unwrap_or_default(),
            self.meta_value("screen_secret").await?.unwrap_or_default(),
        ))
    }

    /// Keeps a page of a bundle, in one transaction: the keys, the tickets, the next cursor.
    pub async fn store_bundle(&self, bundle: &GateBundle) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        for key in &bundle.keys {
            sqlx::query(
                "INSERT OR REPLACE INTO keys (key_id, algorithm, public_key) VALUES ($1, $2, $3)",
            )
            .bind(i64::from(key.key_id))
            .bind(&key.algorithm)
            .bind(&key.public_key)
            .execute(&mut *tx)
            .await?;
        }
        for ticket in &bundle.tickets {
            sqlx::query(
                "INSERT OR REPLACE INTO tickets (id, version, status, place, admitted_gate, admitted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&ticket.ticket_id)
            .bind(ticket.version)
            .bind(&ticket.status)
            .bind(&ticket.place)
            .bind(&ticket.admitted_gate)
            .bind(&ticket.admitted_at)
            .execute(&mut *tx)
            .await?;
        }
        meta(&mut tx, "since", &bundle.next_since).await?;
        meta(&mut tx, "screen_codes", &bundle.screen.codes).await?;
        meta(&mut tx, "time_zone", &bundle.session.time_zone).await?;
        meta(&mut tx, "screen_secret", &bundle.screen.secret).await?;
        let title = format!("{} · {}", bundle.session.event_title, bundle.session.venue);
        meta(&mut tx, "title", &title).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn cached_keys(&self) -> anyhow::Result<Vec<PublicKey>> {
        let rows = sqlx::query("SELECT key_id, algorithm, public_key FROM keys")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(PublicKey {
                    key_id: u16::try_from(row.try_get::<i64, _>("key_id")?)?,
                    algorithm: row.try_get("algorithm")?,
                    public_key: row.try_get("public_key")?,
                })
            })
            .collect()
    }

    pub async fn ticket(&self, id: TicketId) -> anyhow::Result<Option<KnownTicket>> {
        let row = sqlx::query(
            "SELECT version, status, place, admitted_gate, admitted_at FROM tickets WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(KnownTicket {
                version: row.try_get("version")?,
                status: row.try_get("status")?,
                place: row.try_get("place")?,
                admitted_gate: row.try_get("admitted_gate")?,
                admitted_at: row.try_get("admitted_at")?,
            })
        })
        .transpose()
    }

    /// When this station let the ticket in, if it did.
    pub async fn admitted_here(&self, id: TicketId) -> anyhow::Result<Option<String>> {
        Ok(sqlx::query(
            "SELECT scanned_at FROM scans WHERE ticket_id = $1 AND verdict = 'admitted' ORDER BY scanned_at LIMIT 1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .map(|row| row.try_get("scanned_at"))
        .transpose()?)
    }

    pub async fn record_admission(
        &self,
        scan: &OfflineScan,
        ticket: TicketId,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO scans (nonce, ticket_id, code, gate, scanned_at, verdict, synced) \
             VALUES ($1, $2, $3, $4, $5, 'admitted', 0)",
        )
        .bind(&scan.nonce)
        .bind(ticket.to_string())
        .bind(&scan.code)
        .bind(&scan.gate)
        .bind(&scan.scanned_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A refused scan, kept for the record; the server never needs it.
    pub async fn record_refusal(&self, code: &str, verdict: &str) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO scans (nonce, code, scanned_at, verdict, synced) VALUES ($1, $2, $3, $4, 1)",
        )
        .bind(format!("refused-{}", uuid::Uuid::now_v7().simple()))
        .bind(code.chars().take(512).collect::<String>())
        .bind(time::OffsetDateTime::now_utc().to_string())
        .bind(verdict)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn unsynced(&self, limit: i64) -> anyhow::Result<Vec<OfflineScan>> {
        let rows = sqlx::query(
            "SELECT nonce, code, gate, scanned_at FROM scans WHERE synced = 0 ORDER BY scanned_at LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OfflineScan {
                    nonce: row.try_get("nonce")?,
                    code: row.try_get("code")?,
                    gate: row.try_get("gate")?,
                    scanned_at: row.try_get("scanned_at")?,
                })
            })
            .collect()
    }

    pub async fn mark_synced(&self, nonce: &str, server_result: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE scans SET synced = 1, server_result = $1 WHERE nonce = $2")
            .bind(server_result)
            .bind(nonce)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Admissions made here, and how many of them the server does not have yet.
    pub async fn counts(&self) -> anyhow::Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS admitted, COALESCE(SUM(CASE WHEN synced = 0 THEN 1 ELSE 0 END), 0) AS waiting \
             FROM scans WHERE verdict = 'admitted'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("admitted")?, row.try_get("waiting")?))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[tokio::test]
    async fn the_stations_files_are_its_owners_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gate.sqlite3");
        let session = SessionId::new();
        Local::open(&path, session).await.unwrap();
        // A file left readable by an older station is closed up too.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let local = Local::open(&path, session).await.unwrap();
        assert!(local.since().await.unwrap().is_none());
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let entry = entry.unwrap();
            let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{:?}", entry.file_name());
        }
    }
}
