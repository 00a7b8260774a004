//! Look-ups that apply the visibility and ownership rules of [`crate::authz`]: each answers the
//! object, or `NotFound` when the caller may not even know it exists (a draft, someone else's
//! order), or `Forbidden` when they may see it but not change it. Every channel reads objects
//! through these, so the rules hold the same on every endpoint.

use crate::App;
use crate::authz::{can_see_event, manages};
use crate::error::{AppError, AppResult, Denied};
use bilheteria_domain::account::{Role, User};
use bilheteria_domain::catalog::{Event, EventSession, Product, ProductFields, Venue};
use bilheteria_domain::ids::{EventId, OrderId, ProductId, SessionId, TicketId, VenueId};
use bilheteria_domain::sales::Order;
use bilheteria_domain::tickets::Ticket;
use bilheteria_domain::{FieldErrors, FieldProblem};

/// A published event, or a draft its manager looks at.
pub async fn visible_event(app: &App, id: EventId, viewer: Option<&User>) -> AppResult<Event> {
    match app.store.get_event(id).await? {
        Some(event) if can_see_event(viewer, &event) => Ok(event),
        _ => Err(AppError::NotFound("event")),
    }
}

/// The event, if `user` may change it.
pub async fn managed_event(app: &App, id: EventId, user: &User) -> AppResult<Event> {
    let event = visible_event(app, id, Some(user)).await?;
    if manages(user, event.owner_id) {
        Ok(event)
    } else {
        Err(AppError::Forbidden(Denied::OthersEvent))
    }
}

/// A session of an event the viewer may see.
pub async fn visible_session(
    app: &App,
    id: SessionId,
    viewer: Option<&User>,
) -> AppResult<(EventSession, Event)> {
    let session = app
        .store
        .get_session(id)
        .await?
        .ok_or(AppError::NotFound("session"))?;
    let event = visible_event(app, session.event_id, viewer)
        .await
        .map_err(|_| AppError::NotFound("session"))?;
    Ok((session, event))
}

/// A session whose event `user` manages; `denied` says what they may not do with another's.
pub async fn managed_session(
    app: &App,
    id: SessionId,
    user: &User,
    denied: Denied,
) -> AppResult<(EventSession, Event)> {
    let (session, event) = visible_session(app, id, Some(user)).await?;
    if manages(user, event.owner_id) {
        Ok((session, event))
    } else {
        Err(AppError::Forbidden(denied))
    }
}

/// A venue `user` may hold an event in; `field` names it in the error when there is none.
pub async fn usable_venue(app: &App, id: VenueId, user: &User, field: &str) -> AppResult<Venue> {
    let venue = app
        .store
        .get_venue(id)
        .await?
        .ok_or_else(|| AppError::Invalid(FieldErrors::single(field, FieldProblem::Unknown)))?;
    if manages(user, venue.owner_id) {
        Ok(venue)
    } else {
        Err(AppError::Forbidden(Denied::OthersVenue))
    }
}

/// A product `user` may change.
pub async fn managed_product(app: &App, id: ProductId, user: &User) -> AppResult<Product> {
    let product = app
        .store
        .get_product(id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    if manages(user, product.owner_id) {
        Ok(product)
    } else {
        Err(AppError::Forbidden(Denied::OthersProduct))
    }
}

/// Products may be offered only with events their author manages.
pub async fn check_product_events(app: &App, fields: &ProductFields, user: &User) -> AppResult<()> {
    for (i, id) in fields.event_ids.iter().enumerate() {
        match app.store.get_event(*id).await? {
            Some(event) if manages(user, event.owner_id) => {}
            Some(event) if can_see_event(Some(user), &event) => {
                return Err(AppError::Forbidden(Denied::ProductWithOthersEvent));
            }
            _ => {
                return Err(AppError::Invalid(FieldErrors::single(
                    format!("event_ids[{i}]"),
                    FieldProblem::Unknown,
                )));
            }
        }
    }
    Ok(())
}

/// The order, if `user` may see it: its buyer, the event's organizer, or an admin. The store
/// lists only the tickets the buyer still holds, so their codes are the buyer's; anyone else
/// sees the tickets without their codes.
pub async fn visible_order(app: &App, id: OrderId, user: &User) -> AppResult<Order> {
    let order = app
        .store
        .get_order(id)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    if order.user_id == user.id {
        return Ok(order);
    }
    let event = app.store.get_event(order.event_id).await?;
    if event.is_some_and(|event| manages(user, event.owner_id)) {
        Ok(order.without_codes())
    } else {
        Err(AppError::NotFound("order"))
    }
}

/// The order, if `user` may refund it: the event's organizer or an admin.
pub async fn refundable_order(app: &App, id: OrderId, user: &User) -> AppResult<Order> {
    let order = visible_order(app, id, user).await?;
    let event = app.store.get_event(order.event_id).await?;
    if event.is_some_and(|event| manages(user, event.owner_id)) {
        Ok(order)
    } else {
        Err(AppError::Forbidden(Denied::RefundOfOthersOrder))
    }
}

/// A session with its event and the event's venue, as printed and shown tickets tell them.
pub async fn session_event_venue(
    app: &App,
    session: SessionId,
    event: EventId,
) -> AppResult<(EventSession, Event, Venue)> {
    let session = app
        .store
        .get_session(session)
        .await?
        .ok_or(AppError::NotFound("session"))?;
    let event = app
        .store
        .get_event(event)
        .await?
        .ok_or(AppError::NotFound("event"))?;
    let venue = app
        .store
        .get_venue(event.venue_id)
        .await?
        .ok_or(AppError::NotFound("venue"))?;
    Ok((session, event, venue))
}

/// A ticket its holder (or an admin) looks at.
pub async fn visible_ticket(app: &App, id: TicketId, user: &User) -> AppResult<Ticket> {
    let ticket = app
        .store
        .get_ticket(id)
        .await?
        .ok_or(AppError::NotFound("ticket"))?;
    if ticket.holder_id == user.id || user.has_role(Role::Admin) {
        Ok(ticket)
    } else {
        Err(AppError::NotFound("ticket"))
    }
}

/// A ticket `holder` holds; anyone else is told it does not exist.
pub async fn holder_ticket(app: &App, id: TicketId, holder: &User) -> AppResult<Ticket> {
    app.store
        .get_ticket(id)
        .await?
        .filter(|ticket| ticket.holder_id == holder.id)
        .ok_or(AppError::NotFound("ticket"))
}

/// A ticket `holder` holds (anyone else is told it does not exist), with its session.
pub async fn held_ticket(
    app: &App,
    id: TicketId,
    holder: &User,
) -> AppResult<(Ticket, EventSession)> {
    let ticket = holder_ticket(app, id, holder).await?;
    let session = app
        .store
        .get_session(ticket.session_id)
        .await?
        .ok_or(AppError::NotFound("session"))?;
    Ok((ticket, session))
}
