//! The SQL of the waiting room's durable part: queued sessions, their settings, snapshots. Compiled
//! twice, like `shared.rs`.

use super::ThisBackend;
use super::shared::DbRow;
use super::shared::{Change, append_audit, finish};
use crate::QueueStore;
use crate::dialect::Dialect;
use crate::{QueueSnapshot, QueuedSession, StoreError, StoreResult};
use async_trait::async_trait;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::catalog::QueueSettings;
use bilheteria_domain::clock::{from_micros, to_micros};
use bilheteria_domain::ids::{EventId, SessionId};
use sqlx::{AssertSqlSafe, Row};
use time::OffsetDateTime;

#[async_trait]
impl QueueStore for ThisBackend {
    async fn queued_sessions(&self, now: OffsetDateTime) -> StoreResult<Vec<QueuedSession>> {
        let rows = sqlx::query(
            "SELECT s.id, s.event_id, s.sales_start_at, s.starts_at, s.queue_enabled, s.admit_per_minute, \
             s.queue_paused, s.queue_max_active, s.queue_pow_bits FROM event_sessions s \
             JOIN events e ON e.id = s.event_id WHERE s.queue_enabled = $1 AND s.starts_at > $2 AND e.status = 'published'",
        )
        .bind(true)
        .bind(to_micros(now))
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|row| {
                Ok(QueuedSession {
                    id: SessionId(row.try_get("id")?),
                    event_id: EventId(row.try_get("event_id")?),
                    sales_start_at: from_micros(row.try_get("sales_start_at")?),
                    starts_at: from_micros(row.try_get("starts_at")?),
                    queue: super::shared::queue_settings_from_row(row)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?)
    }

    async fn update_queue_settings(
        &self,
        session: SessionId,
        settings: &QueueSettings,
        now: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let before = sqlx::query(AssertSqlSafe(format!(
                "SELECT queue_enabled, admit_per_minute, queue_paused, queue_max_active, queue_pow_bits \
                 FROM event_sessions WHERE id = $1{}",
                ThisBackend::LOCK_ROW
            )))
            .bind(session.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let before = super::shared::queue_settings_from_row(&before)?;
            sqlx::query(
                "UPDATE event_sessions SET admit_per_minute = $1, queue_paused = $2, queue_max_active = $3, \
                 queue_pow_bits = $4 WHERE id = $5",
            )
            .bind(settings.admit_per_minute)
            .bind(settings.paused)
            .bind(settings.max_active)
            .bind(settings.proof_of_work_bits)
            .bind(session.0)
            .execute(&mut *tx)
            .await?;
            let change = Change {
                action: "queue.updated",
                target_type: "session",
                target_id: session.to_string(),
                before: serde_json::to_string(&before).ok(),
                after: serde_json::to_string(settings).ok(),
            };
            append_audit(&mut tx, audit, now, change).await?;
            Ok::<_, StoreError>(())
        }
        .await;
        finish(tx, outcome).await?;
        self.caches.sessions.forget(&session.0);
        Ok(())
    }

    async fn save_queue_snapshot(
        &self,
        snapshot: &QueueSnapshot,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            // Counters only grow: a node with a stale view never moves the snapshot back.
            sqlx::query(
                "INSERT INTO queue_snapshots (session_id, joined, presale, seed, admitted, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (session_id) DO UPDATE SET \
                 joined = CASE WHEN excluded.joined > queue_snapshots.joined THEN excluded.joined ELSE queue_snapshots.joined END, \
                 presale = COALESCE(queue_snapshots.presale, excluded.presale), \
                 seed = COALESCE(queue_snapshots.seed, excluded.seed), \
                 admitted = CASE WHEN excluded.admitted > queue_snapshots.admitted THEN excluded.admitted ELSE queue_snapshots.admitted END, \
                 updated_at = excluded.updated_at",
            )
            .bind(snapshot.session.0)
            .bind(to_i64(snapshot.joined))
            .bind(snapshot.presale.map(to_i64))
            .bind(snapshot.seed.map(|seed| seed.to_vec()))
            .bind(to_i64(snapshot.admitted))
            .bind(to_micros(now))
            .execute(&mut *tx)
            .await?;
            Ok::<_, StoreError>(())
        }
        .await;
        finish(tx, outcome).await
    }

    async fn queue_snapshot(&self, session: SessionId) -> StoreResult<Option<QueueSnapshot>> {
        let row = sqlx::query("SELECT * FROM queue_snapshots WHERE session_id = $1")
            .bind(session.0)
            .fetch_optional(self.reader())
            .await?;
        Ok(row.as_ref().map(snapshot_from_row).transpose()?)
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn snapshot_from_row(row: &DbRow) -> Result<QueueSnapshot, sqlx::Error> {
    let seed: Option<Vec<u8>> = row.try_get("seed")?;
    Ok(QueueSnapshot {
        session: SessionId(row.try_get("session_id")?),
        joined: u64::try_from(row.try_get::<i64, _>("joined")?).unwrap_or(0),
        presale: row
            .try_get::<Option<i64>, _>("presale")?
            .and_then(|p| u64::try_from(p).ok()),
        seed: seed.and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok()),
        admitted: u64::try_from(row.try_get::<i64, _>("admitted")?).unwrap_or(0),
    })
}
