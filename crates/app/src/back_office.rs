//! Orders and buyers for an organization's back office: a session's orders found by their
//! buyer, one order in full, refunds of the whole order or of some of its tickets, and the
//! tickets' mail sent again. Who may: members whose role may see sales (owners, managers,
//! finance; refunds: those whose role may refund), on the events they are limited to; admins.

use crate::App;
use crate::access;
use crate::error::{AppError, AppResult};
use crate::sales::refund_paid_order;
use bilheteria_domain::account::User;
use bilheteria_domain::audit::{AuditContext, AuditQuery};
use bilheteria_domain::back_office::{OrderDetail, OrderQuery, RefundScope, SessionOrder};
use bilheteria_domain::ids::{OrderId, SessionId, TicketId};
use bilheteria_domain::organization::Capability;
use bilheteria_domain::page::{Page, PageRequest};
use bilheteria_domain::sales::{Order, OrderStatus};
use bilheteria_store::RequestedRefund;

/// A session's orders with their buyers, for a member who may see its sales.
#[tracing::instrument(skip_all, fields(session = %session))]
pub async fn session_orders(
    app: &App,
    user: &User,
    session: SessionId,
    query: &OrderQuery,
    page: &PageRequest,
) -> AppResult<Page<SessionOrder>> {
    access::managed_session(app, session, user, Capability::SeeSales).await?;
    Ok(app.store.session_orders(session, query, page).await?)
}

/// One order (of `session`, when given) in full, for a member who may see its sales: its tickets with their
/// status (no codes), payments, refunds, transfers, resale, check-ins and audit trail.
#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn order_detail(
    app: &App,
    user: &User,
    session: Option<SessionId>,
    id: OrderId,
) -> AppResult<OrderDetail> {
    let mut detail = app
        .store
        .order_detail(id)
        .await?
        .filter(|detail| session.is_none_or(|session| detail.order.session_id == session))
        .ok_or(AppError::NotFound("order"))?;
    access::managed_session(app, detail.order.session_id, user, Capability::SeeSales)
        .await
        .map_err(|error| match error {
            AppError::NotFound(_) => AppError::NotFound("order"),
            other => other,
        })?;
    let filter = AuditQuery {
        target_id: Some(id.to_string()),
        ..AuditQuery::default()
    };
    let mut page = PageRequest {
        limit: 200,
        after: None,
    };
    loop {
        let entries = app.store.list_audit(&filter, &page).await?;
        detail.audit.extend(entries.items);
        match entries.next_cursor {
            Some(cursor) if detail.audit.len() < 1000 => page.after = Some(cursor),
            _ => break,
        }
    }
    // Oldest first, as the trail reads.
    detail.audit.reverse();
    Ok(detail)
}

/// `POST /orders/{id}/refund`: the whole order, or only `tickets` of it.
#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn refund(
    app: &App,
    user: &User,
    id: OrderId,
    scope: RefundScope,
    audit: &AuditContext,
) -> AppResult<Order> {
    let order = access::refundable_order(app, id, user).await?;
    match scope {
        RefundScope::Order => refund_paid_order(app, &order, audit).await,
        RefundScope::Tickets(tickets) => refund_tickets(app, &order, &tickets, audit).await,
    }
}

/// Refunds some tickets of a paid order: claimed first (so a second refund of them is
/// refused), then given back through the provider under the refund's own key, then recorded.
/// If the provider cannot be reached the claim stays, and reconciliation finishes it.
async fn refund_tickets(
    app: &App,
    order: &Order,
    tickets: &[TicketId],
    audit: &AuditContext,
) -> AppResult<Order> {
    if order.status != OrderStatus::Paid {
        return Err(AppError::OrderNotRefundable);
    }
    let claimed = app
        .store
        .request_ticket_refund(order.id, tickets, app.clock.now())
        .await?;
    finish_ticket_refund(app, &claimed, audit).await
}

/// Asks the provider for a claimed refund (again, after a crash: its key makes that safe)
/// and records it.
pub(crate) async fn finish_ticket_refund(
    app: &App,
    claimed: &RequestedRefund,
    audit: &AuditContext,
) -> AppResult<Order> {
    let reference = if claimed.amount_cents > 0 {
        let charge = claimed
            .payment_reference
            .as_deref()
            .ok_or_else(|| AppError::internal("a paid order without a payment reference"))?;
        app.gateway
            .refund(
                charge,
                claimed.amount_cents,
                &format!("refund-{}", claimed.id),
            )
            .await
            .map_err(|e| AppError::Provider(e.to_string()))?
    } else {
        format!("nothing-to-give-back-{}", claimed.id)
    };
    Ok(app
        .store
        .complete_ticket_refund(claimed.id, &reference, app.clock.now(), audit)
        .await?)
}

/// Sends the purchase mail of a paid order again, with its tickets, to its buyer.
#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn resend_tickets(
    app: &App,
    user: &User,
    session: SessionId,
    id: OrderId,
) -> AppResult<()> {
    access::managed_session(app, session, user, Capability::SeeSales).await?;
    let order = app
        .store
        .get_order(id)
        .await?
        .filter(|order| order.session_id == session)
        .ok_or(AppError::NotFound("order"))?;
    if order.status != OrderStatus::Paid {
        return Err(AppError::OrderNotPaid);
    }
    let now = app.clock.now();
    let key = format!("order_paid:{id}:again:{}", now.unix_timestamp_nanos());
    app.store.queue_tickets_mail(id, key, now).await?;
    tracing::info!(order = %id, by = %user.id, "tickets mail queued again");
    Ok(())
}
