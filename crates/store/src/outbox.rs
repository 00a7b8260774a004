//! The SQL of the notification outbox: claiming due messages, recording deliveries. Compiled twice,
//! like `shared.rs`.

use super::orders::push_newest_first;
use super::shared::{DbRow, finish};
use super::{Db, ThisBackend};
use crate::OutboxStore;
use crate::dialect::Dialect;
use crate::{OutboxMessage, StoreError, StoreResult};
use async_trait::async_trait;
use bilheteria_domain::clock::{from_micros, to_micros};
use bilheteria_domain::ids::OutboxId;
use bilheteria_domain::page::{Page, PageRequest};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use time::OffsetDateTime;

#[async_trait]
impl OutboxStore for ThisBackend {
    async fn claim_outbox(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "UPDATE outbox SET next_attempt_at = $1, attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox \
                 WHERE status = 'pending' AND next_attempt_at <= $2 ORDER BY next_attempt_at LIMIT $3{}) RETURNING *",
                ThisBackend::LOCK_SKIP
            )))
            .bind(to_micros(lease_until))
            .bind(to_micros(now))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
            Ok::<_, StoreError>(rows.iter().map(outbox_from_row).collect::<Result<_, _>>()?)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn outbox_sent(&self, ids: &[OutboxId], now: OffsetDateTime) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut update = QueryBuilder::<Db>::new(
            "UPDATE outbox SET status = 'sent', last_error = NULL, sent_at = ",
        );
        update.push_bind(to_micros(now)).push(" WHERE id IN (");
        let mut listed = update.separated(", ");
        for id in ids {
            listed.push_bind(id.0);
        }
        update.push(")");
        self.write_one(update.build()).await?;
        Ok(())
    }

    async fn outbox_failed(
        &self,
        id: OutboxId,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> StoreResult<()> {
        let error: String = error.chars().take(1000).collect();
        let update = match retry_at {
            Some(at) => {
                sqlx::query("UPDATE outbox SET last_error = $1, next_attempt_at = $2 WHERE id = $3")
                    .bind(error)
                    .bind(to_micros(at))
                    .bind(id.0)
            }
            None => sqlx::query("UPDATE outbox SET last_error = $1, status = 'dead' WHERE id = $2")
                .bind(error)
                .bind(id.0),
        };
        self.write_one(update).await?;
        Ok(())
    }

    async fn list_outbox(
        &self,
        status: &str,
        page: &PageRequest,
    ) -> StoreResult<Page<OutboxMessage>> {
        let mut query = QueryBuilder::<Db>::new("SELECT * FROM outbox WHERE status = ");
        query.push_bind(status.to_owned());
        push_newest_first(&mut query, "id", page)?;
        let rows = query.build().fetch_all(self.reader()).await?;
        let messages = rows
            .iter()
            .map(outbox_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(messages, page.limit, |m| m.id.to_string()))
    }

    async fn outbox_lag_seconds(&self, now: OffsetDateTime) -> StoreResult<f64> {
        let oldest: Option<i64> =
            sqlx::query("SELECT MIN(created_at) AS oldest FROM outbox WHERE status = 'pending'")
                .fetch_one(self.reader())
                .await?
                .try_get("oldest")?;
        Ok(oldest.map_or(0.0, |oldest| (to_micros(now) - oldest).max(0) as f64 / 1e6))
    }
}

fn outbox_from_row(row: &DbRow) -> Result<OutboxMessage, sqlx::Error> {
    let payload: String = row.try_get("payload")?;
    Ok(OutboxMessage {
        id: OutboxId(row.try_get("id")?),
        kind: row.try_get("kind")?,
        dedupe_key: row.try_get("dedupe_key")?,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        created_at: from_micros(row.try_get("created_at")?),
    })
}
