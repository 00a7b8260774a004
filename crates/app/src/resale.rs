//! Face-value resale (the "troca"): list a ticket at no more than was paid for it, withdraw it,
//! browse a session's listings; buying one is an order (`sales::place_order` with a listing).
//! Sellers are paid back through the provider against their own charge, less the organizer's
//! share.

use crate::App;
use crate::error::{AppError, AppResult};
use bilheteria_domain::account::User;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::ids::{ListingId, SessionId, TicketId};
use bilheteria_domain::page::{Page, PageRequest};
use bilheteria_domain::resale::{Listing, ListingInput, WaitlistEntry};
use bilheteria_domain::{FieldErrors, FieldProblem};
use bilheteria_store::NewListing;

/// `POST /tickets/{id}/resale`: the holder lists the ticket.
pub async fn list(
    app: &App,
    seller: &User,
    ticket: TicketId,
    input: ListingInput,
    audit: &AuditContext,
) -> AppResult<Listing> {
    if input.price_cents < 1 {
        return Err(AppError::Invalid(FieldErrors::single(
            "price_cents",
            FieldProblem::NotForFree,
        )));
    }
    // A listing follows the session's rules for tickets changing hands.
    let (ticket, session, _) = crate::transfers::ticket_to_pass_on(app, seller, ticket).await?;
    let listing = app
        .store
        .list_ticket(
            NewListing {
                id: ListingId::new(),
                ticket_id: ticket.id,
                seller_id: seller.id,
                asking: input,
                fee_percent: session.transfers.resale_fee_percent,
                at: app.clock.now(),
            },
            audit,
        )
        .await?;
    metrics::counter!("resale_total", "step" => "listed").increment(1);
    Ok(listing)
}

/// `DELETE /resale/{id}`: the seller takes back a listing nobody is paying for.
pub async fn withdraw(
    app: &App,
    seller: &User,
    id: ListingId,
    audit: &AuditContext,
) -> AppResult<()> {
    match app
        .store
        .withdraw_listing(id, seller.id, app.clock.now(), audit)
        .await
    {
        Err(bilheteria_store::StoreError::NotFound) => Err(AppError::NotFound("listing")),
        other => Ok(other?),
    }
}

/// The seller's latest listing of their ticket (or of a ticket they sold), with their payout.
pub async fn seller_listing(
    app: &App,
    seller: &User,
    ticket: TicketId,
) -> AppResult<Option<bilheteria_store::SellerListing>> {
    Ok(app.store.seller_listing(ticket, seller.id).await?)
}

/// `GET /sessions/{id}/resale`: listings on sale, cheapest first.
pub async fn on_sale(
    app: &App,
    viewer: Option<&User>,
    session: SessionId,
    page: &PageRequest,
) -> AppResult<Page<Listing>> {
    crate::access::visible_session(app, session, viewer).await?;
    Ok(app
        .store
        .session_listings(session, viewer.map(|v| v.id), app.clock.now(), page)
        .await?)
}

/// Whether nothing of the session is left on sale: every section has no place available.
async fn sold_out(app: &App, session: SessionId) -> AppResult<bool> {
    let map = app
        .store
        .seat_map(session, None, app.clock.now())
        .await?
        .ok_or(AppError::NotFound("session"))?;
    Ok(map.sections.iter().all(|section| section.available == 0))
}

/// `POST /sessions/{id}/waitlist`: a buyer waits for a sold-out session; listings are offered
/// to the line in the order it formed. Answers the entry and whether it is new.
pub async fn join_waitlist(
    app: &App,
    buyer: &User,
    session: SessionId,
) -> AppResult<(WaitlistEntry, bool)> {
    let (found, event) = crate::access::visible_session(app, session, Some(buyer)).await?;
    crate::access::not_cancelled(&event)?;
    if found.sale_window(app.clock.now()) == bilheteria_domain::catalog::SaleWindow::Closed {
        return Err(AppError::SalesClosed);
    }
    if app.store.waitlist_entry(session, buyer.id).await?.is_none()
        && !sold_out(app, session).await?
    {
        return Err(AppError::NotSoldOut);
    }
    Ok(app
        .store
        .join_waitlist(session, buyer.id, app.clock.now())
        .await?)
}

pub async fn waitlist_entry(
    app: &App,
    buyer: &User,
    session: SessionId,
) -> AppResult<WaitlistEntry> {
    crate::access::visible_session(app, session, Some(buyer)).await?;
    app.store
        .waitlist_entry(session, buyer.id)
        .await?
        .ok_or(AppError::NotFound("waitlist entry"))
}

pub async fn leave_waitlist(app: &App, buyer: &User, session: SessionId) -> AppResult<()> {
    if app
        .store
        .leave_waitlist(session, buyer.id, app.clock.now())
        .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound("waitlist entry"))
    }
}

pub async fn get(app: &App, viewer: Option<&User>, id: ListingId) -> AppResult<Listing> {
    let listing = app
        .store
        .get_listing(id)
        .await?
        .ok_or(AppError::NotFound("listing"))?;
    crate::access::visible_session(app, listing.session_id, viewer)
        .await
        .map_err(|_| AppError::NotFound("listing"))?;
    Ok(listing)
}

/// Pays back the sellers of sold listings (of `listing` alone, right after its sale; of all
/// due, from reconciliation): a partial refund of their own charge, keyed by the listing so that
/// asking twice pays once. What the provider refuses waits for the next pass.
pub async fn pay_out(app: &App, listing: Option<ListingId>) {
    let due = match app.store.payouts_due(listing, 50).await {
        Ok(due) => due,
        Err(error) => {
            tracing::warn!(%error, "cannot read the payouts due");
            return;
        }
    };
    for payout in due {
        let key = format!("payout-{}", payout.listing_id);
        let paid = app
            .gateway
            .refund(&payout.charge_reference, payout.amount_cents, &key)
            .await;
        match paid {
            Ok(reference) => {
                if let Err(error) = app
                    .store
                    .record_payout(payout.listing_id, &reference, app.clock.now())
                    .await
                {
                    tracing::error!(listing = %payout.listing_id, %error, "payout made but not recorded; will retry");
                } else {
                    metrics::counter!("resale_total", "step" => "paid_out").increment(1);
                }
            }
            Err(error) => {
                tracing::warn!(listing = %payout.listing_id, %error, "payout failed; will retry")
            }
        }
    }
}
