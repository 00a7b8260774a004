//! The SQL of transfers (S10), shared by both backends (compiled once inside each backend
//! module). The ticket's row is locked by every change of hands, so an offer, a decision, a
//! refund and a scan of one ticket take turns.

use super::holds::{allocate, purchase_limit_exceeded};
use super::orders::push_newest_first;
use super::shared::{Change, DbRow, append_audit, corrupt, enqueue, finish};
use super::tickets::lock_ticket;
use super::{Db, ThisBackend, Tx};
use crate::dialect::Dialect;
use crate::{
    NewTransfer, Refusal, StoreError, StoreResult, TransferDecision, TransferStore,
    is_unique_violation,
};
use async_trait::async_trait;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::clock::{from_micros, to_micros};
use bilheteria_domain::ids::{EventId, SessionId, TicketId, TransferId, UserId};
use bilheteria_domain::page::{Page, PageRequest};
use bilheteria_domain::transfers::{Transfer, TransferBlock, TransferStatus, may_decide};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use time::OffsetDateTime;
use uuid::Uuid;

const TRANSFER_SELECT: &str = "SELECT id, ticket_id, session_id, event_id, from_user_id, to_email, to_user_id, status, \
     expires_at, created_at, decided_at FROM transfers";

fn transfer_from_row(row: &DbRow) -> Result<Transfer, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(Transfer {
        id: TransferId(row.try_get("id")?),
        ticket_id: TicketId(row.try_get("ticket_id")?),
        session_id: SessionId(row.try_get("session_id")?),
        event_id: EventId(row.try_get("event_id")?),
        from_user_id: UserId(row.try_get("from_user_id")?),
        to_email: row.try_get("to_email")?,
        to_user_id: row.try_get::<Option<Uuid>, _>("to_user_id")?.map(UserId),
        status: TransferStatus::parse(&status).ok_or_else(|| corrupt("transfers.status"))?,
        expires_at: from_micros(row.try_get("expires_at")?),
        created_at: from_micros(row.try_get("created_at")?),
        decided_at: row
            .try_get::<Option<i64>, _>("decided_at")?
            .map(from_micros),
    })
}

fn not_allowed(block: TransferBlock) -> StoreError {
    StoreError::Refused(Refusal::TransferNotAllowed(block))
}

async fn email_of(tx: &mut Tx, user: Uuid) -> Result<String, sqlx::Error> {
    sqlx::query("SELECT email FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(&mut **tx)
        .await?
        .try_get("email")
}

/// Queues the mail that tells `to` what became of transfer `id`.
async fn notify(
    tx: &mut Tx,
    kind: &str,
    id: TransferId,
    to: String,
    now: i64,
) -> Result<(), sqlx::Error> {
    let payload = serde_json::json!({ "transfer_id": id, "to": to });
    enqueue(tx, kind, format!("{kind}:{id}"), payload, now).await
}

async fn offer(tx: &mut Tx, new: &NewTransfer, audit: &AuditContext) -> StoreResult<Transfer> {
    let ticket = lock_ticket(tx, new.ticket_id.0).await?;
    if ticket.holder != new.from_user_id.0 || !ticket.valid {
        return Err(not_allowed(TransferBlock::TicketNotValid));
    }
    let now = to_micros(new.at);
    let listed = sqlx::query(
        "SELECT 1 FROM resale_listings WHERE ticket_id = $1 AND status IN ('listed', 'reserved')",
    )
    .bind(new.ticket_id.0)
    .fetch_optional(&mut **tx)
    .await?;
    if listed.is_some() {
        return Err(not_allowed(TransferBlock::Listed));
    }
    // An offer nobody decided in time gives way to the new one.
    sqlx::query(
        "UPDATE transfers SET status = 'expired', decided_at = $1 \
         WHERE ticket_id = $2 AND status = 'pending' AND expires_at <= $1",
    )
    .bind(now)
    .bind(new.ticket_id.0)
    .execute(&mut **tx)
    .await?;
    let to_user: Option<Uuid> = sqlx::query("SELECT id FROM users WHERE email_normalized = $1")
        .bind(&new.to_email)
        .fetch_optional(&mut **tx)
        .await?
        .map(|row| row.try_get("id"))
        .transpose()?;
    let transfer = Transfer {
        id: new.id,
        ticket_id: new.ticket_id,
        session_id: SessionId(ticket.session),
        event_id: EventId(ticket.event),
        from_user_id: new.from_user_id,
        to_email: new.to_email.clone(),
        to_user_id: to_user.map(UserId),
        status: TransferStatus::Pending,
        expires_at: from_micros(to_micros(new.expires_at)),
        created_at: from_micros(now),
        decided_at: None,
    };
    let inserted = sqlx::query(
        "INSERT INTO transfers (id, ticket_id, session_id, event_id, from_user_id, to_email, to_user_id, \
         status, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)",
    )
    .bind(transfer.id.0)
    .bind(transfer.ticket_id.0)
    .bind(ticket.session)
    .bind(ticket.event)
    .bind(transfer.from_user_id.0)
    .bind(&transfer.to_email)
    .bind(to_user)
    .bind(to_micros(transfer.expires_at))
    .bind(now)
    .execute(&mut **tx)
    .await;
    match inserted {
        Err(error) if is_unique_violation(&error) => {
            return Err(not_allowed(TransferBlock::AlreadyPending));
        }
        other => other?,
    };
    append_audit(
        tx,
        audit,
        new.at,
        Change::created(
            "ticket.transfer_offered",
            "ticket",
            new.ticket_id,
            &transfer,
        ),
    )
    .await?;
    notify(
        tx,
        "transfer_offered",
        transfer.id,
        transfer.to_email.clone(),
        now,
    )
    .await?;
    Ok(transfer)
}

/// Moves the ticket to the recipient: the cap (C1) first, then the holder and the code.
async fn hand_over(
    tx: &mut Tx,
    transfer: &Transfer,
    recipient: Uuid,
    expected_version: i64,
    new_code: &str,
    now: i64,
) -> StoreResult<()> {
    let ticket = lock_ticket(tx, transfer.ticket_id.0).await?;
    if !ticket.valid
        || ticket.holder != transfer.from_user_id.0
        || ticket.version != expected_version
    {
        return Err(not_allowed(TransferBlock::TicketNotValid));
    }
    let cap: i64 = sqlx::query("SELECT max_tickets_per_user FROM event_sessions WHERE id = $1")
        .bind(ticket.session)
        .fetch_one(&mut **tx)
        .await?
        .try_get("max_tickets_per_user")?;
    if !allocate(tx, recipient, ticket.session, 1, cap).await? {
        return Err(purchase_limit_exceeded(cap));
    }
    sqlx::query(
        "UPDATE allocations SET tickets = tickets - 1 WHERE user_id = $1 AND session_id = $2",
    )
    .bind(ticket.holder)
    .bind(ticket.session)
    .execute(&mut **tx)
    .await?;
    let moved = sqlx::query(
        "UPDATE tickets SET holder_id = $1, version = $2, code = $3, updated_at = $4 \
         WHERE id = $5 AND version = $6 AND status = 'valid'",
    )
    .bind(recipient)
    .bind(expected_version + 1)
    .bind(new_code)
    .bind(now)
    .bind(transfer.ticket_id.0)
    .bind(expected_version)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(StoreError::database("a locked valid ticket could not move"));
    }
    Ok(())
}

async fn decide(
    tx: &mut Tx,
    id: TransferId,
    decision: &TransferDecision,
    at: OffsetDateTime,
    audit: &AuditContext,
) -> StoreResult<Transfer> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "{TRANSFER_SELECT} WHERE id = $1{}",
        ThisBackend::LOCK_ROW
    )))
    .bind(id.0)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let before = transfer_from_row(&row)?;
    may_decide(before.status.as_of(before.expires_at, at)).map_err(not_allowed)?;
    let now = to_micros(at);
    let (status, recipient, action) = match decision {
        TransferDecision::Accept {
            recipient,
            expected_version,
            new_code,
        } => {
            hand_over(tx, &before, recipient.0, *expected_version, new_code, now).await?;
            (
                TransferStatus::Accepted,
                Some(*recipient),
                "ticket.transferred",
            )
        }
        TransferDecision::Decline => (
            TransferStatus::Declined,
            before.to_user_id,
            "ticket.transfer_declined",
        ),
        TransferDecision::Cancel => (
            TransferStatus::Cancelled,
            before.to_user_id,
            "ticket.transfer_cancelled",
        ),
    };
    sqlx::query("UPDATE transfers SET status = $1, to_user_id = $2, decided_at = $3 WHERE id = $4")
        .bind(status.as_str())
        .bind(recipient.map(|user| user.0))
        .bind(now)
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    let after = Transfer {
        status,
        to_user_id: recipient,
        decided_at: Some(from_micros(now)),
        ..before.clone()
    };
    append_audit(
        tx,
        audit,
        at,
        Change {
            action,
            target_type: "ticket",
            target_id: before.ticket_id.to_string(),
            before: super::shared::to_json(&before),
            after: super::shared::to_json(&after),
        },
    )
    .await?;
    let sender = email_of(tx, before.from_user_id.0).await?;
    match status {
        TransferStatus::Accepted => {
            notify(tx, "transfer_accepted", id, sender, now).await?;
            notify(tx, "ticket_received", id, before.to_email.clone(), now).await?;
        }
        TransferStatus::Declined => notify(tx, "transfer_declined", id, sender, now).await?,
        _ if before.cancel_is_mailed(at) => {
            notify(tx, "transfer_cancelled", id, before.to_email.clone(), now).await?;
        }
        _ => {}
    }
    Ok(after)
}

#[async_trait]
impl TransferStore for ThisBackend {
    async fn offer_transfer(
        &self,
        new: NewTransfer,
        audit: &AuditContext,
    ) -> StoreResult<Transfer> {
        let mut tx = self.begin_write().await?;
        let outcome = offer(&mut tx, &new, audit).await;
        finish(tx, outcome).await
    }

    async fn get_transfer(&self, id: TransferId) -> StoreResult<Option<Transfer>> {
        let row = sqlx::query(AssertSqlSafe(format!("{TRANSFER_SELECT} WHERE id = $1")))
            .bind(id.0)
            .fetch_optional(self.reader())
            .await?;
        Ok(row.as_ref().map(transfer_from_row).transpose()?)
    }

    async fn handed_over(&self, ticket: TicketId, from: UserId) -> StoreResult<Option<Transfer>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{TRANSFER_SELECT} WHERE ticket_id = $1 AND from_user_id = $2 AND status = 'accepted' \
             ORDER BY decided_at DESC LIMIT 1"
        )))
        .bind(ticket.0)
        .bind(from.0)
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(transfer_from_row).transpose()?)
    }

    async fn list_transfers(
        &self,
        user: UserId,
        email: &str,
        page: &PageRequest,
    ) -> StoreResult<Page<Transfer>> {
        let mut query = QueryBuilder::<Db>::new(TRANSFER_SELECT);
        query.push(" WHERE (from_user_id = ");
        query.push_bind(user.0);
        query.push(" OR to_email = ");
        query.push_bind(email.to_owned());
        query.push(")");
        push_newest_first(&mut query, "id", page)?;
        let rows = query.build().fetch_all(self.reader()).await?;
        let transfers = rows
            .iter()
            .map(transfer_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(transfers, page.limit, |transfer| {
            transfer.id.to_string()
        }))
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn decide_transfer(
        &self,
        id: TransferId,
        decision: TransferDecision,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Transfer> {
        let mut tx = self.begin_write().await?;
        let outcome = decide(&mut tx, id, &decision, at, audit).await;
        finish(tx, outcome).await
    }
}
