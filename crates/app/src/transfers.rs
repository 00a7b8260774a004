//! Transfers (S10): offer a ticket to an email, accept, decline or cancel. The session's rules
//! (on or off, the cutoff) are checked here with the domain's pure rules; the store moves the
//! ticket, the cap and the code in one transaction.

use crate::App;
use crate::access::held_ticket;
use crate::error::{AppError, AppResult};
use bilheteria_domain::account::{Email, User};
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::catalog::EventSession;
use bilheteria_domain::ids::{TicketId, TransferId};
use bilheteria_domain::page::{Page, PageRequest};
use bilheteria_domain::tickets::{Ticket, TicketStatus};
use bilheteria_domain::transfers::{Decision, Transfer, TransferBlock, TransferInput};
use bilheteria_store::{NewTransfer, TransferDecision};

/// `POST /tickets/{id}/transfers`: the holder offers the ticket to `input.to_email`, within the
/// offers a holder and a ticket may make per hour (each offer mails that address).
pub async fn offer(
    app: &App,
    sender: &User,
    ticket: TicketId,
    input: TransferInput,
    audit: &AuditContext,
) -> AppResult<Transfer> {
    let to_email = input.parse(&sender.email)?;
    let (ticket, _, expires_at) = ticket_to_pass_on(app, sender, ticket).await?;
    if let Err(wait) = app
        .offer_limits
        .check(&sender.id.to_string(), Some(&ticket.id.to_string()))
    {
        metrics::counter!("transfers_total", "step" => "rate_limited").increment(1);
        return Err(AppError::RateLimited {
            retry_after_secs: wait.as_secs() + 1,
        });
    }
    let now = app.clock.now();
    let transfer = app
        .store
        .offer_transfer(
            NewTransfer {
                id: TransferId::new(),
                ticket_id: ticket.id,
                from_user_id: sender.id,
                to_email,
                expires_at,
                at: now,
            },
            audit,
        )
        .await?;
    metrics::counter!("transfers_total", "step" => "offered").increment(1);
    Ok(transfer)
}

/// The holder's valid ticket, if its session lets tickets change hands now (by transfer or
/// resale): with when an offer made now would lapse.
pub(crate) async fn ticket_to_pass_on(
    app: &App,
    holder: &User,
    id: TicketId,
) -> AppResult<(Ticket, EventSession, time::OffsetDateTime)> {
    let (ticket, session) = held_ticket(app, id, holder).await?;
    if ticket.status != TicketStatus::Valid {
        return Err(AppError::TransferNotAllowed(TransferBlock::TicketNotValid));
    }
    let expires_at = session
        .transfers
        .offer_expiry(session.starts_at, app.clock.now())
        .map_err(AppError::TransferNotAllowed)?;
    Ok((ticket, session, expires_at))
}

/// Whether `user` is the transfer's sender or its recipient (by email: the recipient may have
/// signed up after the offer).
fn is_party(transfer: &Transfer, user: &User, as_sender: bool) -> bool {
    if as_sender {
        transfer.from_user_id == user.id
    } else {
        transfer.to_email == Email::normalize(&user.email)
    }
}

/// A transfer its sender or recipient may see, as of now.
pub async fn visible(app: &App, id: TransferId, user: &User) -> AppResult<Transfer> {
    let transfer = app
        .store
        .get_transfer(id)
        .await?
        .filter(|t| is_party(t, user, true) || is_party(t, user, false))
        .ok_or(AppError::NotFound("transfer"))?;
    Ok(as_of_now(app, transfer))
}

fn as_of_now(app: &App, mut transfer: Transfer) -> Transfer {
    transfer.status = transfer.status.as_of(transfer.expires_at, app.clock.now());
    transfer
}

/// `GET /transfers`: the caller's incoming and outgoing transfers, newest first.
pub async fn list(app: &App, user: &User, page: &PageRequest) -> AppResult<Page<Transfer>> {
    let mut listed = app
        .store
        .list_transfers(user.id, &Email::normalize(&user.email), page)
        .await?;
    listed.items = listed
        .items
        .into_iter()
        .map(|transfer| as_of_now(app, transfer))
        .collect();
    Ok(listed)
}

/// The accepted transfer by which `user` gave `ticket` away, if they did: what their old page
/// of the ticket tells them.
pub async fn handed_over(app: &App, user: &User, ticket: TicketId) -> AppResult<Option<Transfer>> {
    Ok(app.store.handed_over(ticket, user.id).await?)
}

/// `POST /transfers/{id}/accept`, `/decline` (the recipient) and `/cancel` (the sender).
pub async fn decide(
    app: &App,
    user: &User,
    id: TransferId,
    decision: Decision,
    audit: &AuditContext,
) -> AppResult<Transfer> {
    let transfer = visible(app, id, user).await?;
    if !is_party(&transfer, user, decision.by_sender()) {
        return Err(AppError::Forbidden(if decision.by_sender() {
            crate::error::Denied::OnlySenderCancels
        } else {
            crate::error::Denied::OnlyRecipientDecides
        }));
    }
    let store_decision = match decision {
        Decision::Accept => {
            // Whoever registered an address first is not yet its owner: its owner confirmed it.
            if !user.email_verified {
                return Err(AppError::EmailNotVerified);
            }
            let ticket = app
                .store
                .get_ticket(transfer.ticket_id)
                .await?
                .ok_or(AppError::NotFound("ticket"))?;
            let next = u32::try_from(ticket.version + 1)
                .map_err(|_| AppError::internal("ticket version out of range"))?;
            TransferDecision::Accept {
                recipient: user.id,
                expected_version: ticket.version,
                new_code: app
                    .ticket_keys
                    .sign(ticket.id, ticket.session_id, ticket.seat_id, next),
            }
        }
        Decision::Decline => TransferDecision::Decline,
        Decision::Cancel => TransferDecision::Cancel,
    };
    let decided = app
        .store
        .decide_transfer(id, store_decision, app.clock.now(), audit)
        .await?;
    metrics::counter!("transfers_total", "step" => decided.status.as_str()).increment(1);
    Ok(decided)
}
