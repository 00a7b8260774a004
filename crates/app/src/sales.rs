//! The purchase path, orchestrated (DESIGN.md, "The purchase path"): record the idempotency key
//! and the order, call the payment provider with no transaction open, then settle the order in
//! one short transaction. Handlers, the reconciliation worker and the webhook all settle orders
//! through [`settle`], which is safe to run more than once for the same order.

use crate::App;
use crate::access;
use crate::error::{AppError, AppResult};
use bilheteria_domain::account::User;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::catalog::SaleWindow;
use bilheteria_domain::ids::{HoldId, OrderId, SessionId, TicketId, UserId};
use bilheteria_domain::sales::{
    Hold, HoldInput, IdempotencyKey, Order, OrderFailure, OrderRequest, OrderStatus,
};
use bilheteria_payments::{Cancelled, ChargeRequest, ChargeResult, GatewayError};
use bilheteria_store::{
    BeginOrder, NewHold, NewOrder, OrderToSettle, PaymentOutcome, Refusal, SalesIntegrity, Settled,
    StoreError, TicketDraft,
};
use futures_util::StreamExt;
use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Instant;
use time::{Duration, OffsetDateTime};

/// The metrics label of a refused hold or order.
pub fn refusal_label(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::PurchaseLimitExceeded { .. } => "purchase_limit_exceeded",
        Refusal::SeatNotOnSale { .. }
        | Refusal::NotAStandingSection
        | Refusal::ProductNotOffered { .. }
        | Refusal::TotalTooLarge
        | Refusal::SectionNotOfVenue { .. } => "invalid",
        Refusal::SoldOut | Refusal::OpenPlacesSoldOut => "sold_out",
        Refusal::HalfPriceSoldOut => "half_price_sold_out",
        Refusal::HoldNotFound => "hold_not_found",
        Refusal::HoldExpired => "hold_expired",
        Refusal::HoldInUse => "hold_in_use",
        Refusal::OutOfStock { .. } => "out_of_stock",
        Refusal::OrderNotRefundable => "order_not_refundable",
        Refusal::EventHasSessions => "event_has_sessions",
        Refusal::VenueHasSales => "venue_has_sales",
        Refusal::SectionsOnSale => "invalid",
        Refusal::TransferNotAllowed(_) => "transfer_not_allowed",
        Refusal::ResaleAboveFaceValue { .. } => "resale_above_face_value",
        Refusal::ListingUnavailable => "listing_unavailable",
        Refusal::LastOwner => "last_owner",
        Refusal::PricesLocked => "prices_locked",
        Refusal::EventNotOfOrganization { .. } | Refusal::TicketNotInOrder { .. } => "invalid",
        Refusal::TicketAlreadyRefunded { .. } => "ticket_already_refunded",
    }
}

/// Refuses a buyer on a blocked address, or over their purchase rate (holds and orders).
pub fn admit_buyer(state: &App, user: UserId, ip: Option<IpAddr>) -> AppResult<()> {
    if let Some(ip) = ip
        && state
            .settings
            .blocked_ips
            .iter()
            .any(|net| net.contains(&ip))
    {
        return Err(AppError::IpBlocked);
    }
    state
        .purchase_limits
        .check(&user.to_string(), ip.map(|ip| ip.to_string()).as_deref())
        .map_err(|wait| AppError::RateLimited {
            retry_after_secs: wait.as_secs() + 1,
        })
}

/// `POST /sessions/{id}/holds`: claims seats or standing places for the buyer while the
/// session is on sale, through its waiting room's admission when it has one, within the cap.
pub async fn hold_places(
    state: &App,
    buyer: &User,
    device_id: &str,
    ip: Option<IpAddr>,
    session_id: SessionId,
    input: HoldInput,
    admission_token: Option<&str>,
) -> AppResult<Hold> {
    let started = Instant::now();
    let _working = state.load.admit_new_work().inspect_err(|_| {
        metrics::counter!("holds_total", "outcome" => "overloaded").increment(1);
    })?;
    admit_buyer(state, buyer.id, ip)?;
    let (session, event) = access::visible_session(state, session_id, Some(buyer)).await?;
    access::not_cancelled(&event)?;
    if event.organization_suspended {
        return Err(AppError::OrganizationSuspended);
    }
    let parsed = input.parse()?;
    if parsed.half_price.units > 0 && parsed.half_price.eligibility.is_none() {
        return Err(AppError::EligibilityRequired);
    }
    let now = state.clock.now();
    match session.sale_window(now) {
        SaleWindow::Open => {}
        SaleWindow::NotOpen => {
            return Err(AppError::SalesNotOpen {
                sales_start_at: session.sales_start_at,
            });
        }
        SaleWindow::Paused => return Err(AppError::SalesPaused),
        SaleWindow::Closed => return Err(AppError::SalesClosed),
    }
    if session.queue.enabled {
        state
            .queue
            .check_admission(session_id, buyer.id, device_id, admission_token, now)?;
    }
    let result = state
        .store
        .create_hold(NewHold {
            user_id: buyer.id,
            session_id,
            request: parsed.request,
            half_price: parsed.half_price,
            reserve_open: session.half_price_settings().reserve_open_at(now),
            cap: session.max_tickets_per_user,
            now,
            expires_at: now + Duration::seconds(session.hold_seconds),
        })
        .await;
    let outcome = match &result {
        Ok(_) => "held",
        Err(StoreError::SeatsUnavailable(_)) => "seat_unavailable",
        Err(StoreError::Refused(refusal)) => refusal_label(refusal),
        Err(_) => "error",
    };
    metrics::counter!("holds_total", "outcome" => outcome).increment(1);
    metrics::histogram!("hold_duration_seconds").record(started.elapsed().as_secs_f64());
    Ok(result?)
}

/// `DELETE /holds/{id}`: the buyer lets an active hold of theirs go.
pub async fn release_hold(state: &App, buyer: &User, id: HoldId) -> AppResult<()> {
    match state
        .store
        .release_hold(id, buyer.id, state.clock.now())
        .await
    {
        Err(StoreError::NotFound) => Err(AppError::NotFound("hold")),
        other => Ok(other?),
    }
}

/// What a buyer's hold is now: still holding, become an order (paid or being paid), or gone
/// (expired, released, or its order failed) with the places it had.
pub enum HoldNow {
    Holding(Hold),
    Ordered(OrderId),
    Gone(Hold),
}

/// The buyer's own hold as it stands; anyone else's is not found.
pub async fn hold_now(state: &App, buyer: &User, id: HoldId) -> AppResult<HoldNow> {
    let Some((hold, status)) = state.store.get_hold(id).await? else {
        return Err(AppError::NotFound("hold"));
    };
    if hold.user_id != buyer.id {
        return Err(AppError::NotFound("hold"));
    }
    if status == "active" && hold.expires_at > state.clock.now() {
        return Ok(HoldNow::Holding(hold));
    }
    Ok(match state.store.live_order_of_hold(id).await? {
        Some(order) => HoldNow::Ordered(order),
        None => HoldNow::Gone(hold),
    })
}

/// The places of a session the buyer already has against its cap (C1): their tickets and the
/// places they hold.
pub async fn places_taken(state: &App, buyer: &User, session: SessionId) -> AppResult<i64> {
    Ok(state.store.allocated_places(buyer.id, session).await?)
}

/// `POST /orders`: the first run of a key, or the replay of its first answer. Either way it
/// answers the order as its first answer told it: in the status it had then (a retry after a
/// `payment_pending` answer is told `payment_pending` again), with its tickets as they are now.
/// The channel that took the request words it.
pub async fn place_order(
    state: &App,
    user: UserId,
    key: &IdempotencyKey,
    fingerprint: Vec<u8>,
    request: OrderRequest,
    client_ip: Option<String>,
) -> AppResult<Order> {
    let started = Instant::now();
    let now = state.clock.now();
    let working = state.load.work();
    let begun = state
        .store
        .begin_order(NewOrder {
            id: OrderId::new(),
            user_id: user,
            idempotency_key: key.as_str().to_owned(),
            fingerprint,
            buys: request.buys,
            products: request.products,
            payment_method: request.method,
            payment_token: request.payment_token,
            installments: request.installments,
            client_ip,
            now,
            settle_after: now + state.settings.reconcile_after,
        })
        .await
        .inspect_err(|e| {
            let outcome = match e {
                StoreError::Refused(refusal) => refusal_label(refusal),
                _ => "error",
            };
            metrics::counter!("orders_total", "outcome" => outcome).increment(1);
        })?;
    drop(working);
    let answered = match begun {
        BeginOrder::KeyReused => return Err(AppError::IdempotencyKeyReused),
        BeginOrder::Answered { order, answered } => {
            metrics::counter!("orders_total", "outcome" => "replayed").increment(1);
            Order {
                status: answered,
                ..order
            }
        }
        BeginOrder::Existing(order) => {
            if order.status != OrderStatus::AwaitingPayment {
                // The first run settled but died before recording its answer.
                record_answer(state, user, key, &order).await?;
            }
            order
        }
        BeginOrder::Started(draft) => match charge_and_settle(state, &draft).await? {
            // The settlement recorded its outcome as the key's answer.
            Settled::Done(order) => finish_order(state, user, order, started).await,
            Settled::AlreadySettled(order) | Settled::MustRefund { order, .. } => {
                record_answer(state, user, key, &order).await?;
                finish_order(state, user, order, started).await
            }
        },
    };
    Ok(answered)
}

async fn record_answer(
    state: &App,
    user: UserId,
    key: &IdempotencyKey,
    order: &Order,
) -> AppResult<()> {
    Ok(state
        .store
        .record_order_answer(user, key.as_str(), order.status)
        .await?)
}

/// The first run of an order's key, once the order settled.
async fn finish_order(state: &App, user: UserId, order: Order, started: Instant) -> Order {
    if order.status == OrderStatus::Paid && state.queue.session(order.session_id).is_some() {
        // Done buying: a place among the active buyers of a queued session frees up.
        let left = state
            .queue
            .state
            .leave(
                order.session_id,
                user,
                state.clock.now().unix_timestamp() * 1000,
            )
            .await;
        if let Err(error) = left {
            tracing::warn!(%error, "could not record leaving the queue");
        }
    }
    metrics::histogram!("order_duration_seconds").record(started.elapsed().as_secs_f64());
    order
}

fn charge_request(draft: &OrderToSettle) -> ChargeRequest {
    ChargeRequest {
        // The order id is the provider-side idempotency key: one order, at most one charge.
        idempotency_key: format!("order-{}", draft.order.id),
        order_id: draft.order.id,
        amount_cents: draft.order.total_cents,
        currency: draft.order.currency.as_str().to_owned(),
        token: draft.payment_token.clone(),
        installments: draft.order.installments,
        method: draft.order.payment_method,
        // The order's own expiry, never one counted from now: a retry sends the same request.
        pix_expires_at: draft.pix_expires_at.map(OffsetDateTime::unix_timestamp),
    }
}

/// Asks the provider (again, with the same key) and settles the order with its answer.
pub async fn charge_and_settle(state: &App, draft: &OrderToSettle) -> AppResult<Settled> {
    let _charging = state.settled_here.charging(draft.order.id);
    let started = Instant::now();
    let now = state.clock.now();
    let mut result = state.gateway.charge(&charge_request(draft)).await;
    if let (Ok(ChargeResult::PixPending { reference, .. }), Some(deadline)) =
        (&result, draft.pix_expires_at)
        && let Some(code) = pix_to_cancel(state, draft, now, deadline).await?
    {
        // The Pix expired unpaid on our side, or its event was cancelled: cancel it at the
        // provider, so that it can no longer be paid, unless the buyer's bank paid it first
        // (then the settlement refuses a cancelled event's payment and gives it back).
        result = match state.gateway.cancel(reference).await {
            Ok(Cancelled::Canceled) => Ok(ChargeResult::Declined {
                code: code.into(),
                reference: Some(reference.clone()),
            }),
            Ok(Cancelled::AlreadySucceeded(charge)) => Ok(ChargeResult::Succeeded(charge)),
            Err(error) => Err(error),
        };
    }
    metrics::histogram!("payment_provider_duration_seconds")
        .record(started.elapsed().as_secs_f64());
    settle(state, draft, result).await
}

/// Why a Pix still waiting must be cancelled now, if it must: it expired, or its event was
/// cancelled.
async fn pix_to_cancel(
    state: &App,
    draft: &OrderToSettle,
    now: OffsetDateTime,
    deadline: OffsetDateTime,
) -> AppResult<Option<&'static str>> {
    if now >= deadline {
        return Ok(Some(bilheteria_domain::pix::PIX_EXPIRED_CODE));
    }
    let cancelled = state
        .store
        .get_event(draft.order.event_id)
        .await?
        .is_some_and(|event| event.is_cancelled());
    Ok(cancelled.then_some(OrderFailure::EventCancelled.as_str()))
}

/// The tickets a paid order issues: new ones for a hold's places, or, for a resale listing, its
/// ticket again at its next version (a new code, which revokes the seller's).
fn ticket_drafts(state: &App, draft: &OrderToSettle) -> AppResult<Vec<TicketDraft>> {
    let session = draft.order.session_id;
    if let (Some(sale), Some(unit)) = (&draft.listing, draft.units.first()) {
        let version = sale.version + 1;
        let signed = u32::try_from(version)
            .map_err(|_| AppError::internal("ticket version out of range"))?;
        return Ok(vec![TicketDraft {
            id: sale.ticket_id,
            unit: unit.clone(),
            version,
            code: state
                .ticket_keys
                .sign(sale.ticket_id, session, unit.seat_id, signed),
        }]);
    }
    Ok(draft
        .units
        .iter()
        .map(|unit| {
            let id = TicketId::new();
            TicketDraft {
                id,
                unit: unit.clone(),
                version: 1,
                code: state.ticket_keys.sign(id, session, unit.seat_id, 1),
            }
        })
        .collect())
}

/// Applies a provider's answer to an order, recording its outcome as the buyer's answer. Running it
/// twice for the same order changes nothing the second time.
pub async fn settle(
    state: &App,
    draft: &OrderToSettle,
    result: Result<ChargeResult, GatewayError>,
) -> AppResult<Settled> {
    let now = state.clock.now();
    let outcome = match result {
        Ok(ChargeResult::Succeeded(charge)) if !charge.pays(&draft.order) => {
            // Never pay an order from a payment of something else; the order waits, and
            // reconciliation asks again.
            tracing::error!(order = %draft.order.id, ?charge, "the provider's payment does not match the order");
            metrics::counter!("payments_mismatched_total").increment(1);
            PaymentOutcome::Unknown {
                retry_at: now + state.settings.reconcile_retry,
            }
        }
        Ok(ChargeResult::Succeeded(charge)) => PaymentOutcome::Paid {
            reference: charge.reference,
            tickets: ticket_drafts(state, draft)?,
        },
        Ok(ChargeResult::Declined { code, reference }) => {
            PaymentOutcome::Declined { code, reference }
        }
        Ok(ChargeResult::PixPending {
            reference,
            copy_paste,
            ..
        }) => PaymentOutcome::PixPending {
            reference,
            copy_paste,
        },
        Err(GatewayError::Unknown(reason)) => {
            tracing::warn!(order = %draft.order.id, %reason, "payment outcome unknown; will reconcile");
            PaymentOutcome::Unknown {
                retry_at: now + state.settings.reconcile_retry,
            }
        }
    };
    let label = match &outcome {
        PaymentOutcome::Paid { .. } => "paid",
        PaymentOutcome::Declined { .. } => "declined",
        PaymentOutcome::Unknown { .. } => "unknown",
        PaymentOutcome::PixPending { .. } => "pix_pending",
    };
    metrics::counter!("payments_total", "outcome" => label).increment(1);
    let working = state.load.work();
    let settled = state.store.settle_order(draft, outcome, now).await?;
    drop(working);
    if let Settled::Done(order) | Settled::AlreadySettled(order) = &settled
        && !matches!(
            order.status,
            OrderStatus::AwaitingPayment | OrderStatus::PaymentPending
        )
    {
        state.settled_here.remember(order.id);
    }
    match settled {
        Settled::Done(order) if order.status == OrderStatus::Paid && draft.listing.is_some() => {
            // This sale's seller is paid back now; reconciliation retries what the provider
            // refuses, and pays every other payout due.
            let listing = draft.listing.as_ref().map(|sale| sale.listing_id);
            crate::resale::pay_out(state, listing).await;
            Ok(Settled::Done(order))
        }
        Settled::MustRefund { order, code } => {
            tracing::warn!(order = %order.id, code, "paid order could not be honoured; refunding");
            refund_failed_order(state, &order).await;
            let order = state.store.get_order(order.id).await?.unwrap_or(order);
            Ok(Settled::MustRefund { order, code })
        }
        settled => Ok(settled),
    }
}

/// A provider's webhook named `order`: a hint, never proof. An order whose outcome is unknown
/// is settled from what the provider answers when asked again with the order's own idempotency
/// key (the same payment, checked against the order by [`settle`]); an order still awaiting the
/// answer of a charge in flight is left to that charge (or to reconciliation, should its process
/// die); a settled order stays as it is.
pub async fn settle_on_hint(state: &App, order: OrderId) -> AppResult<()> {
    if state.settled_here.knows(order) {
        // Being charged or settled for good by this process: the hint has nothing to add.
        return Ok(());
    }
    let Some(draft) = state.store.order_to_settle(order).await? else {
        return Ok(());
    };
    if draft.order.status == OrderStatus::PaymentPending {
        charge_and_settle(state, &draft).await?;
    }
    Ok(())
}

/// The session's sales invariants: the store's counts, and each paid order's charge confirmed
/// by the provider (a paid order the provider does not confirm breaks the report).
pub async fn integrity(state: &App, session: SessionId) -> AppResult<SalesIntegrity> {
    let mut report = state.store.sales_integrity(session).await?;
    let charges = state.store.paid_order_charges(session).await?;
    let unconfirmed = futures_util::stream::iter(charges)
        .map(|recorded| async move {
            match state.gateway.succeeded_charge(&recorded.reference).await {
                Ok(Some(charge)) => !charge.is_payment_of(
                    recorded.order_id,
                    recorded.amount_cents,
                    &recorded.currency,
                ),
                Ok(None) => true,
                Err(error) => {
                    tracing::warn!(order = %recorded.order_id, %error, "cannot confirm a charge");
                    true
                }
            }
        })
        .buffer_unordered(16)
        .filter(|unconfirmed| std::future::ready(*unconfirmed))
        .count()
        .await;
    report.paid_orders_unconfirmed = i64::try_from(unconfirmed).unwrap_or(i64::MAX);
    report.settled_ok = report.holds();
    Ok(report)
}

/// Gives back the charge of an order that failed after payment. If the provider cannot be
/// reached the order stays due, and reconciliation tries again.
pub async fn refund_failed_order(state: &App, order: &Order) {
    let Some(reference) = order.payment_reference.as_deref() else {
        return;
    };
    let key = format!("refund-{}", order.id);
    match state
        .gateway
        .refund(reference, order.total_cents, &key)
        .await
    {
        Ok(refund) => {
            if let Err(error) = state
                .store
                .record_failed_order_refund(order.id, &refund, state.clock.now())
                .await
            {
                tracing::error!(order = %order.id, %error, "refund made but not recorded; reconciliation will retry");
            }
        }
        Err(error) => {
            tracing::warn!(order = %order.id, %error, "refund failed; reconciliation will retry")
        }
    }
}

/// Organizer or admin refund of a paid order.
pub async fn refund_paid_order(
    state: &App,
    order: &Order,
    audit: &AuditContext,
) -> AppResult<Order> {
    if order.status != OrderStatus::Paid {
        return Err(AppError::OrderNotRefundable);
    }
    let reference = order
        .payment_reference
        .as_deref()
        .ok_or_else(|| AppError::internal("a paid order without a payment reference"))?;
    state
        .store
        .request_refund(order.id, state.clock.now() + state.settings.reconcile_after)
        .await?;
    // Tickets resold from the order were paid back to their seller by the resale, and
    // tickets refunded one by one to the buyer before.
    let amount = order.total_cents
        - order.refunded_cents
        - state.store.resold_face_value_cents(order.id).await?;
    let refund = if amount > 0 {
        state
            .gateway
            .refund(reference, amount, &format!("refund-{}", order.id))
            .await
            .map_err(|e| AppError::Provider(e.to_string()))?
    } else {
        // Every ticket was resold and its seller paid back: nothing is left to give back.
        format!("nothing-left-{}", order.id)
    };
    Ok(state
        .store
        .refund_order(order.id, &refund, state.clock.now(), audit)
        .await?)
}

/// One pass of reconciliation: settles orders whose outcome is unknown and refunds what is owed.
pub async fn reconcile(state: &App) -> anyhow::Result<usize> {
    let now = state.clock.now();
    let due = state
        .store
        .orders_to_settle(now, now + Duration::seconds(60), 100)
        .await?;
    crate::resale::pay_out(state, None).await;
    // Refunds of tickets whose provider's answer was lost (before the whole orders' refunds,
    // which wait for them).
    let claimed = state
        .store
        .ticket_refunds_due(now - state.settings.reconcile_after, 100)
        .await?;
    for refund in &claimed {
        let system = AuditContext::default();
        if let Err(error) = crate::back_office::finish_ticket_refund(state, refund, &system).await {
            tracing::warn!(refund = %refund.id, %error, "refund of tickets still not finished");
        }
    }
    for draft in &due {
        if draft.order.status.is_settled() && !draft.settle_due {
            // Leased while pending, then settled by another path (a webhook, the request):
            // nothing is owed.
            continue;
        }
        match draft.order.status {
            OrderStatus::Failed => {
                refund_failed_order(state, &draft.order).await;
                continue;
            }
            OrderStatus::Paid => {
                // A refund was requested and not finished: finish it (the provider's key makes
                // asking again safe).
                let system = AuditContext::default();
                if let Err(error) = refund_paid_order(state, &draft.order, &system).await {
                    tracing::warn!(order = %draft.order.id, %error, "refund still not finished");
                }
                continue;
            }
            _ => {}
        }
        if let Err(error) = charge_and_settle(state, draft).await {
            tracing::warn!(order = %draft.order.id, %error, "reconciliation could not settle");
        }
    }
    Ok(due.len())
}

/// `POST /orders/{id}/pix/pay`: with the in-process simulated provider only (the embedded
/// default, tests and demos), the buyer's bank pays the order's waiting Pix; the order settles
/// as a provider's webhook would have it.
pub async fn pay_pix_in_simulator(state: &App, buyer: &User, id: OrderId) -> AppResult<Order> {
    let order = access::visible_order(state, id, buyer).await?;
    let simulator = state.gateway.simulator().ok_or(AppError::NotSimulated)?;
    let reference = order
        .payment_reference
        .as_deref()
        .filter(|_| order.pix.is_some())
        .ok_or(AppError::PixNotPending)?;
    simulator
        .pay_pix(reference)
        .map_err(|_| AppError::PixNotPending)?;
    settle_on_hint(state, id).await?;
    access::visible_order(state, id, buyer).await
}

/// The orders this process is charging now, and those it settled for good (paid, failed,
/// refunded) most recently: the provider's webhook that follows each charge is then answered
/// without reading the order, as reading it would change nothing (a charge in flight settles
/// the order itself, or leaves it to reconciliation). Bounded; an order forgotten is simply
/// read, as any other hint.
pub struct SettledHere {
    recent: std::sync::Mutex<(std::collections::VecDeque<OrderId>, HashSet<OrderId>)>,
    charging: std::sync::Mutex<HashSet<OrderId>>,
    capacity: usize,
}

/// An order being charged by this process; forgotten when dropped.
pub struct Charging<'a>(&'a SettledHere, OrderId);

impl Drop for Charging<'_> {
    fn drop(&mut self) {
        let mut charging = self.0.charging.lock().unwrap_or_else(|p| p.into_inner());
        charging.remove(&self.1);
    }
}

impl Default for SettledHere {
    fn default() -> Self {
        Self::new(65_536)
    }
}

impl SettledHere {
    pub fn new(capacity: usize) -> Self {
        Self {
            recent: Default::default(),
            charging: Default::default(),
            capacity: capacity.max(1),
        }
    }

    pub fn remember(&self, order: OrderId) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let (order_of_arrival, set) = &mut *recent;
        if set.insert(order) {
            order_of_arrival.push_back(order);
            if order_of_arrival.len() > self.capacity
                && let Some(oldest) = order_of_arrival.pop_front()
            {
                set.remove(&oldest);
            }
        }
    }

    pub fn charging(&self, order: OrderId) -> Charging<'_> {
        let mut charging = self.charging.lock().unwrap_or_else(|p| p.into_inner());
        charging.insert(order);
        Charging(self, order)
    }

    /// Whether the order is being charged here, or was settled for good here lately.
    pub fn knows(&self, order: OrderId) -> bool {
        let charging = self.charging.lock().unwrap_or_else(|p| p.into_inner());
        if charging.contains(&order) {
            return true;
        }
        drop(charging);
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.1.contains(&order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_settled_order_is_forgotten_first() {
        let settled = SettledHere::new(2);
        let (a, b, c) = (OrderId::new(), OrderId::new(), OrderId::new());
        settled.remember(a);
        settled.remember(b);
        settled.remember(a);
        assert!(settled.knows(a) && settled.knows(b));
        settled.remember(c);
        assert!(!settled.knows(a), "the oldest goes");
        assert!(settled.knows(b) && settled.knows(c));
    }

    #[test]
    fn an_order_is_known_while_it_is_being_charged() {
        let settled = SettledHere::new(2);
        let order = OrderId::new();
        let charging = settled.charging(order);
        assert!(settled.knows(order));
        drop(charging);
        assert!(
            !settled.knows(order),
            "a Pix left pending is read on the next hint"
        );
    }
}
