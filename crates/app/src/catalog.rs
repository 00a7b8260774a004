//! The catalog's changes (U1, U3, S6, S7): who may make each, the checks across objects (a venue
//! of the event's organization, products offered only with its events), then the store.
//! Each belongs to an organization; `access` decides who in it may make and change them.

use crate::App;
use crate::access::{
    catalog_organization, check_product_events, managed_event, managed_product, managed_venue,
    not_cancelled, usable_venue,
};
use crate::error::{AppError, AppResult};
use bilheteria_domain::account::User;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::catalog::{
    CancelEventInput, CancellationProgress, Event, EventInput, EventPatch, EventSession, Product,
    ProductInput, ProductPatch, SessionInput, SessionPatch, Venue, VenueInput,
};
use bilheteria_domain::ids::{EventId, ProductId, SessionId, VenueId};
use bilheteria_domain::organization::Capability;
use bilheteria_domain::seating::VenueGenerator;
use bilheteria_domain::{FieldErrors, FieldProblem};

pub async fn create_venue(
    app: &App,
    author: &User,
    input: VenueInput,
    audit: &AuditContext,
) -> AppResult<Venue> {
    let organization = catalog_organization(app, author, input.organization_id).await?;
    let venue = input.parse()?;
    Ok(app
        .store
        .create_venue(organization, author.id, venue, app.clock.now(), audit)
        .await?)
}

/// A venue made from a few numbers (`VenueGenerator`): a stadium's alike sections.
pub async fn generate_venue(
    app: &App,
    author: &User,
    generator: VenueGenerator,
    audit: &AuditContext,
) -> AppResult<Venue> {
    let input = generator.venue_input()?;
    create_venue(app, author, input, audit).await
}

/// Writes the venue over with `input`. Its name, city and stage may always change; its seat
/// map and time zone until a place of one of its sessions is held or sold (`VenueHasSales`).
/// Sessions not yet selling are laid out again on the new seat map.
pub async fn update_venue(
    app: &App,
    manager: &User,
    id: VenueId,
    input: VenueInput,
    audit: &AuditContext,
) -> AppResult<Venue> {
    let before = managed_venue(app, id, manager).await?;
    if input
        .organization_id
        .is_some_and(|named| named != before.organization_id)
    {
        return Err(AppError::Invalid(FieldErrors::single(
            "organization_id",
            FieldProblem::Unknown,
        )));
    }
    let venue = input.parse()?;
    Ok(app
        .store
        .update_venue(&before, venue, app.clock.now(), audit)
        .await?)
}

/// A copy of the venue in the same organization, under `name` or its own; the copy has no
/// sessions, so its seat map may change freely.
pub async fn duplicate_venue(
    app: &App,
    manager: &User,
    id: VenueId,
    name: Option<String>,
    audit: &AuditContext,
) -> AppResult<Venue> {
    let original = managed_venue(app, id, manager).await?;
    let mut input = original.to_input();
    if let Some(name) = name {
        input.name = name;
    }
    let venue = input.parse()?;
    Ok(app
        .store
        .create_venue(
            original.organization_id,
            manager.id,
            venue,
            app.clock.now(),
            audit,
        )
        .await?)
}

pub async fn create_event(
    app: &App,
    author: &User,
    input: EventInput,
    audit: &AuditContext,
) -> AppResult<Event> {
    let organization = catalog_organization(app, author, input.organization_id).await?;
    let fields = input.parse()?;
    usable_venue(app, fields.venue_id, organization, "venue_id").await?;
    Ok(app
        .store
        .create_event(organization, author.id, fields, app.clock.now(), audit)
        .await?)
}

pub async fn update_event(
    app: &App,
    manager: &User,
    id: EventId,
    patch: EventPatch,
    audit: &AuditContext,
) -> AppResult<Event> {
    let current = managed_event(app, id, manager, Capability::EditCatalog).await?;
    not_cancelled(&current)?;
    let fields = patch.apply_to(&current)?;
    if fields.venue_id != current.venue_id {
        usable_venue(app, fields.venue_id, current.organization_id, "venue_id").await?;
    }
    Ok(app
        .store
        .update_event(id, fields, app.clock.now(), audit)
        .await?)
}

pub async fn create_session(
    app: &App,
    manager: &User,
    event: EventId,
    input: SessionInput,
    audit: &AuditContext,
) -> AppResult<EventSession> {
    let event = managed_event(app, event, manager, Capability::EditCatalog).await?;
    not_cancelled(&event)?;
    let venue = app
        .store
        .get_venue(event.venue_id)
        .await?
        .ok_or_else(|| AppError::internal("an event refers to a missing venue"))?;
    let now = app.clock.now();
    let mut session = input.parse(now, &venue)?;
    getrandom::fill(&mut session.screen_secret).map_err(AppError::internal)?;
    let mut created = app
        .store
        .create_session(event.id, session, now, audit)
        .await?;
    created.half_price = Some(app.store.half_price_availability(created.id).await?);
    Ok(created)
}

/// `PATCH /sessions/{id}`: changes what may still change of a session; pausing sales takes
/// effect at once on this node (every node within a second).
#[tracing::instrument(skip_all, fields(session = %id))]
pub async fn update_session(
    app: &App,
    manager: &User,
    id: SessionId,
    patch: SessionPatch,
    audit: &AuditContext,
) -> AppResult<EventSession> {
    let (session, event) =
        crate::access::managed_session(app, id, manager, Capability::EditCatalog).await?;
    not_cancelled(&event)?;
    let settings = patch.apply_to(&session, app.clock.now())?;
    app.store
        .update_session(id, &settings, app.clock.now(), audit)
        .await?;
    session_for_buyers(app, Some(manager), id).await
}

/// What an event's team works on when it plans sessions: the event (if `user` may do
/// `capability` on it), its venue and its sessions, earliest first.
#[tracing::instrument(skip_all, fields(event = %id))]
pub async fn event_schedule(
    app: &App,
    user: &User,
    id: EventId,
    capability: Capability,
) -> AppResult<(Event, Venue, Vec<EventSession>)> {
    let event = managed_event(app, id, user, capability).await?;
    let venue = app
        .store
        .get_venue(event.venue_id)
        .await?
        .ok_or_else(|| AppError::internal("an event refers to a missing venue"))?;
    let sessions = app.store.list_event_sessions(event.id).await?;
    Ok((event, venue, sessions))
}

/// A session its event's team may do `capability` on, with its event and venue.
#[tracing::instrument(skip_all, fields(session = %id))]
pub async fn managed_session_venue(
    app: &App,
    user: &User,
    id: SessionId,
    capability: Capability,
) -> AppResult<(EventSession, Event, Venue)> {
    let (session, event) = crate::access::managed_session(app, id, user, capability).await?;
    let venue = app
        .store
        .get_venue(event.venue_id)
        .await?
        .ok_or_else(|| AppError::internal("an event refers to a missing venue"))?;
    Ok((session, event, venue))
}

/// `POST /events/{id}/cancel`: an owner or manager (`EditCatalog`: cancelling is a change of
/// the catalog, not a refund one may choose) cancels the event. At once its sessions sell
/// nothing; reconciliation then refunds each paid order through the provider (once: the
/// provider's key is the order's), cancels its tickets (their codes revoked) and mails its
/// buyer. Cancelling it again answers the event as it is.
#[tracing::instrument(skip_all, fields(event = %id))]
pub async fn cancel_event(
    app: &App,
    manager: &User,
    id: EventId,
    input: CancelEventInput,
    audit: &AuditContext,
) -> AppResult<Event> {
    let event = managed_event(app, id, manager, Capability::EditCatalog).await?;
    let reason = input.parse()?;
    if event.is_cancelled() {
        return Ok(event);
    }
    Ok(app
        .store
        .cancel_event(id, reason.as_deref(), app.clock.now(), audit)
        .await?)
}

/// How far a cancelled event's refunds are, for whoever may `View` it.
pub async fn cancellation_progress(
    app: &App,
    viewer: &User,
    id: EventId,
) -> AppResult<CancellationProgress> {
    managed_event(app, id, viewer, Capability::View).await?;
    Ok(app.store.cancellation_progress(id).await?)
}

pub async fn create_product(
    app: &App,
    author: &User,
    input: ProductInput,
    audit: &AuditContext,
) -> AppResult<Product> {
    let organization = catalog_organization(app, author, input.organization_id).await?;
    let fields = input.parse()?;
    check_product_events(app, &fields, organization).await?;
    Ok(app
        .store
        .create_product(organization, author.id, fields, app.clock.now(), audit)
        .await?)
}

pub async fn update_product(
    app: &App,
    manager: &User,
    id: ProductId,
    patch: ProductPatch,
    audit: &AuditContext,
) -> AppResult<Product> {
    let current = managed_product(app, id, manager).await?;
    let fields = patch.apply_to(&current)?;
    check_product_events(app, &fields, current.organization_id).await?;
    Ok(app
        .store
        .update_product(id, fields, app.clock.now(), audit)
        .await?)
}

/// A session as buyers see it: with its half-price reserve as it stands (meia-entrada), which
/// the law says the public must be shown.
pub async fn session_for_buyers(
    app: &App,
    viewer: Option<&User>,
    id: bilheteria_domain::ids::SessionId,
) -> AppResult<EventSession> {
    let (mut session, _) = crate::access::visible_session(app, id, viewer).await?;
    session.half_price = Some(app.store.half_price_availability(id).await?);
    Ok(session)
}

/// An event's sessions as buyers see them (`session_for_buyers`).
pub async fn event_sessions_for_buyers(app: &App, event: EventId) -> AppResult<Vec<EventSession>> {
    let mut sessions = app.store.list_event_sessions(event).await?;
    for session in &mut sessions {
        session.half_price = Some(app.store.half_price_availability(session.id).await?);
    }
    Ok(sessions)
}

/// The products offered with an event as buyers see them: their stock as it stands, read
/// afresh on every call (no cache), so what a page says is left is what was left when it was
/// made.
pub async fn event_products_for_buyers(app: &App, event: EventId) -> AppResult<Vec<Product>> {
    Ok(app.store.list_event_products(event).await?)
}

/// How many of each of `products` paid orders bought (none: 0), for those who manage them;
/// the products were read through an access check.
pub async fn products_sold(
    app: &App,
    products: &[Product],
) -> AppResult<std::collections::HashMap<ProductId, i64>> {
    let ids: Vec<ProductId> = products.iter().map(|p| p.id).collect();
    Ok(app.store.products_sold(&ids).await?)
}
