//! Look-ups that apply the visibility and ownership rules of [`crate::authz`]: each answers the
//! object, or `NotFound` when the caller may not even know it exists (a draft, someone else's
//! order), or `Forbidden` when they may see it but not change it. Every channel reads objects
//! through these, so the rules hold the same on every endpoint.

use crate::App;
use crate::authz::{Acting, can_see_event, decide};
use crate::error::{AppError, AppResult, Denied};
use bilheteria_domain::account::{Role, User};
use bilheteria_domain::catalog::{Event, EventSession, Product, ProductFields, Venue};
use bilheteria_domain::ids::{
    EventId, OrderId, OrganizationId, ProductId, SessionId, TicketId, VenueId,
};
use bilheteria_domain::organization::Capability;
use bilheteria_domain::page::PageRequest;
use bilheteria_domain::sales::Order;
use bilheteria_domain::tickets::Ticket;
use bilheteria_domain::{FieldErrors, FieldProblem};

/// The one access rule of everything an organization owns: whether `user` may do
/// `capability` in `organization`, on `event` of it (or, with `None`, across it). A member
/// allowed by their role is answered with their membership, an admin who is not with
/// `Acting::Admin`; a member whose role may not is `Forbidden`, anyone else `NotFound(what)`.
pub async fn organization_access(
    app: &App,
    user: &User,
    organization: OrganizationId,
    capability: Capability,
    event: Option<EventId>,
    what: &'static str,
) -> AppResult<Acting> {
    let membership = app.store.membership(organization, user.id).await?;
    decide(user, membership, capability, event, what)
}

/// The organization a new venue, event or product goes to: the one named, which the caller
/// must be allowed to `EditCatalog` in, or else the only one they belong to.
pub async fn catalog_organization(
    app: &App,
    user: &User,
    named: Option<OrganizationId>,
) -> AppResult<OrganizationId> {
    let organization = match named {
        Some(id) => {
            if app.store.get_organization(id).await?.is_none() {
                return Err(unknown_organization());
            }
            id
        }
        None => {
            let mine = app
                .store
                .user_organizations(
                    user.id,
                    &PageRequest {
                        limit: 2,
                        after: None,
                    },
                )
                .await?;
            match mine.items.as_slice() {
                [only] => only.organization.id,
                [] if !user.has_role(Role::Admin) => {
                    return Err(AppError::Forbidden(Denied::NoOrganization));
                }
                _ => {
                    return Err(AppError::Invalid(FieldErrors::single(
                        "organization_id",
                        FieldProblem::Empty,
                    )));
                }
            }
        }
    };
    organization_access(
        app,
        user,
        organization,
        Capability::EditCatalog,
        None,
        "organization",
    )
    .await
    .map_err(|error| match error {
        // Named in a body, an organization one is not in does not exist for them.
        AppError::NotFound(_) => unknown_organization(),
        other => other,
    })?;
    Ok(organization)
}

fn unknown_organization() -> AppError {
    AppError::Invalid(FieldErrors::single(
        "organization_id",
        FieldProblem::Unknown,
    ))
}

/// A published event, or a draft its viewer may `View` (a member of its organization, for
/// its events, or an admin).
pub async fn visible_event(app: &App, id: EventId, viewer: Option<&User>) -> AppResult<Event> {
    let Some(event) = app.store.get_event(id).await? else {
        return Err(AppError::NotFound("event"));
    };
    if can_see_event(&event, false) {
        return Ok(event);
    }
    let may_view = match viewer {
        Some(user) => organization_access(
            app,
            user,
            event.organization_id,
            Capability::View,
            Some(event.id),
            "event",
        )
        .await
        .is_ok(),
        None => false,
    };
    if can_see_event(&event, may_view) {
        Ok(event)
    } else {
        Err(AppError::NotFound("event"))
    }
}

/// The event, if `user` may do `capability` on it.
pub async fn managed_event(
    app: &App,
    id: EventId,
    user: &User,
    capability: Capability,
) -> AppResult<Event> {
    let event = app
        .store
        .get_event(id)
        .await?
        .ok_or(AppError::NotFound("event"))?;
    organization_access(
        app,
        user,
        event.organization_id,
        capability,
        Some(event.id),
        "event",
    )
    .await?;
    Ok(event)
}

/// Refuses what an event cancelled by its organizer can no longer do: sell, or change.
pub fn not_cancelled(event: &Event) -> AppResult<()> {
    if event.is_cancelled() {
        Err(AppError::EventCancelled)
    } else {
        Ok(())
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

/// A session whose event `user` may do `capability` on.
pub async fn managed_session(
    app: &App,
    id: SessionId,
    user: &User,
    capability: Capability,
) -> AppResult<(EventSession, Event)> {
    let session = app
        .store
        .get_session(id)
        .await?
        .ok_or(AppError::NotFound("session"))?;
    let event = managed_event(app, session.event_id, user, capability)
        .await
        .map_err(|error| match error {
            AppError::NotFound(_) => AppError::NotFound("session"),
            other => other,
        })?;
    Ok((session, event))
}

/// A venue an event of `organization` may be held in (one of its own); `field` names it in
/// the error when there is no such venue.
pub async fn usable_venue(
    app: &App,
    id: VenueId,
    organization: OrganizationId,
    field: &str,
) -> AppResult<Venue> {
    let venue = app
        .store
        .get_venue(id)
        .await?
        .ok_or_else(|| AppError::Invalid(FieldErrors::single(field, FieldProblem::Unknown)))?;
    if venue.organization_id == organization {
        Ok(venue)
    } else {
        Err(AppError::Forbidden(Denied::OthersVenue))
    }
}

/// A venue `user` may change (`EditCatalog` across its organization); outside it, not found.
pub async fn managed_venue(app: &App, id: VenueId, user: &User) -> AppResult<Venue> {
    let venue = app
        .store
        .get_venue(id)
        .await?
        .ok_or(AppError::NotFound("venue"))?;
    organization_access(
        app,
        user,
        venue.organization_id,
        Capability::EditCatalog,
        None,
        "venue",
    )
    .await?;
    Ok(venue)
}

/// A product `user` may change (`EditCatalog` across its organization).
pub async fn managed_product(app: &App, id: ProductId, user: &User) -> AppResult<Product> {
    let product = app
        .store
        .get_product(id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    organization_access(
        app,
        user,
        product.organization_id,
        Capability::EditCatalog,
        None,
        "product",
    )
    .await?;
    Ok(product)
}

/// Products may be offered only with events of their own organization.
pub async fn check_product_events(
    app: &App,
    fields: &ProductFields,
    organization: OrganizationId,
) -> AppResult<()> {
    for (i, id) in fields.event_ids.iter().enumerate() {
        match app.store.get_event(*id).await? {
            Some(event) if event.organization_id == organization => {}
            Some(event) if can_see_event(&event, false) => {
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

/// The order, if `user` may see it: its buyer, or whoever may see the sales of its event (a
/// member whose role allows it, an admin). The store lists only the tickets the buyer still
/// holds, so their codes are the buyer's; anyone else sees the tickets without their codes.
pub async fn visible_order(app: &App, id: OrderId, user: &User) -> AppResult<Order> {
    let order = app
        .store
        .get_order(id)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    if order.user_id == user.id {
        return Ok(order);
    }
    managed_event(app, order.event_id, user, Capability::SeeSales)
        .await
        .map_err(|error| match error {
            AppError::NotFound(_) => AppError::NotFound("order"),
            other => other,
        })?;
    Ok(order.without_codes())
}

/// The order, if `user` may refund it: a member whose role may refund, or an admin.
pub async fn refundable_order(app: &App, id: OrderId, user: &User) -> AppResult<Order> {
    let order = visible_order(app, id, user).await?;
    managed_event(app, order.event_id, user, Capability::Refund)
        .await
        .map_err(|error| match error {
            AppError::NotFound(_) => AppError::Forbidden(Denied::RefundOfOthersOrder),
            other => other,
        })?;
    Ok(order)
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
