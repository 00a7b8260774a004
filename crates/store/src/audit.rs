//! The SQL of reading and verifying the audit chain, and chaining queued entries. Compiled twice,
//! like `shared.rs`.

use super::shared::*;
use super::{Db, ThisBackend};
use crate::AuditStore;
use crate::dialect::Dialect;
use crate::{StoreError, StoreResult};
use async_trait::async_trait;
use bilheteria_domain::audit::{AuditEntry, AuditQuery, AuditVerification, ChainVerifier};
use bilheteria_domain::clock::to_micros;
use bilheteria_domain::page::{Page, PageRequest};
use sqlx::{QueryBuilder, Row};

#[async_trait]
impl AuditStore for ThisBackend {
    async fn list_audit(
        &self,
        filter: &AuditQuery,
        page: &PageRequest,
    ) -> StoreResult<Page<AuditEntry>> {
        self.chain_queued_audit().await?;
        let before_seq = page
            .after
            .as_deref()
            .map(|key| key.parse::<i64>().map_err(|_| StoreError::InvalidCursor))
            .transpose()?;
        let mut query = QueryBuilder::<Db>::new("SELECT * FROM audit_log WHERE 1 = 1");
        if let Some(actor) = filter.actor_id {
            query.push(" AND actor_id = ");
            query.push_bind(actor.0);
        }
        if let Some(action) = &filter.action {
            query.push(" AND action = ");
            query.push_bind(action.clone());
        }
        if let Some(target) = &filter.target_id {
            query.push(" AND target_id = ");
            query.push_bind(target.clone());
        }
        if let Some(from) = filter.from {
            query.push(" AND at >= ");
            query.push_bind(to_micros(from));
        }
        if let Some(to) = filter.to {
            query.push(" AND at < ");
            query.push_bind(to_micros(to));
        }
        if let Some(seq) = before_seq {
            query.push(" AND seq < ");
            query.push_bind(seq);
        }
        query.push(" ORDER BY seq DESC LIMIT ");
        query.push_bind(page.limit + 1);
        let rows = query.build().fetch_all(self.reader()).await?;
        let records = rows
            .iter()
            .map(audit_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let page = Page::from_rows(records, page.limit, |record| record.seq.to_string());
        Ok(Page {
            items: page.items.iter().map(AuditEntry::from).collect(),
            next_cursor: page.next_cursor,
        })
    }

    async fn verify_audit(&self) -> StoreResult<AuditVerification> {
        self.chain_queued_audit().await?;
        let pool = self.reader();
        // The head is read first: entries appended during the walk lie beyond it and are ignored.
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(pool)
            .await?;
        let head_seq: i64 = head.try_get("seq")?;
        let head_hash: Vec<u8> = head.try_get("hash")?;
        let mut verifier = ChainVerifier::default();
        let mut last = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT * FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 1000",
            )
            .bind(last)
            .bind(head_seq)
            .fetch_all(pool)
            .await?;
            let Some(tail) = rows.last() else { break };
            last = tail.try_get("seq")?;
            for row in &rows {
                verifier.check(&audit_from_row(row)?);
            }
        }
        Ok(verifier.finish(head_seq, &head_hash))
    }

    async fn chain_queued_audit(&self) -> StoreResult<u64> {
        let mut total = 0;
        loop {
            let chained = self.chain_audit_batch(500).await?;
            total += chained;
            if chained < 500 {
                return Ok(total);
            }
        }
    }
}
