//! The wallet link: the tickets of an order shown without logging in, from the link mailed
//! with it. One login session per account means that buying on a laptop ends the phone's; at
//! the gate the phone still opens the link (and, once opened, keeps it offline).
//!
//! The link is signed (`domain::wallet`), so nothing secret is stored and the outbox makes it
//! when the mail is sent; the buyer revokes every link made so far by asking for a new one.
//! It shows only the tickets the buyer still holds (a ticket passed on leaves it), without the
//! money, the buyer's name or anything that moves a ticket.

use crate::App;
use crate::error::{AppError, AppResult};
use bilheteria_domain::account::User;
use bilheteria_domain::catalog::{Event, EventSession, Venue};
use bilheteria_domain::ids::{OrderId, TicketId};
use bilheteria_domain::sales::Order;
use bilheteria_domain::tickets::Ticket;
use bilheteria_domain::wallet;

/// An order's wallet, as its link shows it.
pub struct Wallet {
    /// The order with only the tickets its buyer still holds.
    pub order: Order,
    pub session: EventSession,
    pub event: Event,
    pub venue: Venue,
}

impl Wallet {
    /// The tickets the link shows: those the buyer still holds.
    pub fn shown_tickets(&self) -> impl Iterator<Item = &Ticket> {
        self.order
            .tickets
            .iter()
            .filter(|ticket| ticket.holder_id == self.order.user_id)
    }
}

/// The path of the order's current wallet link, for its buyer.
#[tracing::instrument(skip_all, fields(order = %order))]
pub async fn link(app: &App, buyer: &User, order: OrderId) -> AppResult<String> {
    let generation = own_generation(app, buyer, order).await?;
    Ok(wallet::path(&app.wallet_secret, order, generation))
}

/// Revokes every wallet link of the order made so far and answers the path of the new one.
#[tracing::instrument(skip_all, fields(order = %order))]
pub async fn renew_link(app: &App, buyer: &User, order: OrderId) -> AppResult<String> {
    own_generation(app, buyer, order).await?;
    let generation = app
        .store
        .next_wallet_generation(order)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    tracing::info!(generation, "wallet links of the order revoked");
    Ok(wallet::path(&app.wallet_secret, order, generation))
}

/// The path of the order's current wallet link, for a caller that has already checked who may
/// see it (the purchase mail goes to the buyer; the order page shows it to the buyer only).
pub async fn current_link(app: &App, order: OrderId) -> AppResult<String> {
    let generation = app
        .store
        .wallet_generation(order)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    Ok(wallet::path(&app.wallet_secret, order, generation))
}

/// The wallet behind a link; a wrong, revoked or made-up link is not found, alike.
#[tracing::instrument(skip_all, fields(order = %order))]
pub async fn open(app: &App, order: OrderId, tag: &str) -> AppResult<Wallet> {
    let generation = app.store.wallet_generation(order).await?;
    let opens = generation.is_some_and(|g| wallet::verify(&app.wallet_secret, order, g, tag));
    if !opens {
        return Err(AppError::NotFound("wallet"));
    }
    let order = app
        .store
        .get_order(order)
        .await?
        .ok_or(AppError::NotFound("wallet"))?;
    let (session, event, venue) =
        crate::access::session_event_venue(app, order.session_id, order.event_id).await?;
    Ok(Wallet {
        order,
        session,
        event,
        venue,
    })
}

/// The live on-screen code of one of the wallet's tickets (for a session whose codes rotate).
pub async fn screen_code(
    app: &App,
    order: OrderId,
    tag: &str,
    ticket: TicketId,
) -> AppResult<crate::gate::ScreenCode> {
    let wallet = open(app, order, tag).await?;
    let ticket = wallet
        .shown_tickets()
        .find(|shown| shown.id == ticket)
        .ok_or(AppError::NotFound("ticket"))?;
    crate::gate::screen_code_of(app, ticket, &wallet.session).await
}

async fn own_generation(app: &App, buyer: &User, order: OrderId) -> AppResult<i64> {
    let found = app.store.get_order(order).await?;
    if found.is_none_or(|found| found.user_id != buyer.id) {
        return Err(AppError::NotFound("order"));
    }
    app.store
        .wallet_generation(order)
        .await?
        .ok_or(AppError::NotFound("order"))
}
