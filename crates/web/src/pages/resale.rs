//! Face-value resale for buyers: a session's tickets on resale, and buying one (the same
//! payment as checkout; the seller is paid back by the application).

use super::buying::{after_decline, after_payment, installments, new_key, payment_of, place};
use super::words;
use super::{Chrome, PageId, PageResult, Visitor, session_at_venue};
use crate::api::error::{ApiError, ProblemCode};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use bilheteria_app::{App, resale};
use bilheteria_domain::ids::{ListingId, SessionId};
use bilheteria_domain::page::PageRequest;
use bilheteria_domain::place::Place;
use bilheteria_domain::resale::{Listing, ListingStatus};
use serde_json::json;

/// "Plateia, fila A, assento 3", or standing room.
fn place_of(visitor: &Visitor, listing: &Listing) -> String {
    Place::of(listing.seat.as_ref(), None).words(visitor.lang)
}

#[derive(Template)]
#[template(path = "resale.html")]
struct ResalePage {
    c: Chrome,
    session_id: SessionId,
    title: String,
    when: String,
    rows: Vec<(ListingId, String, String, String)>,
}

/// `GET /sessions/{id}/resale`: the session's tickets on resale, cheapest first.
pub async fn listings(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<SessionId>,
) -> PageResult {
    let lang = visitor.lang;
    let (session, event, venue) = session_at_venue(&app, id, visitor.user.as_ref()).await?;
    let page = PageRequest {
        limit: 100,
        after: None,
    };
    let listed = resale::on_sale(&app, visitor.user.as_ref(), id, &page).await?;
    let rows = listed
        .items
        .iter()
        .map(|l| {
            (
                l.id,
                place_of(&visitor, l),
                lang.money(l.price_cents),
                lang.money(l.face_value_cents),
            )
        })
        .collect();
    Ok(visitor.page(&ResalePage {
        c: visitor.chrome(None),
        session_id: id,
        title: event.title,
        when: lang.local_time(session.starts_at, &venue.time_zone),
        rows,
    }))
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    c: Chrome,
    listing_id: ListingId,
    session_id: SessionId,
    title: String,
    when: String,
    place: String,
    price: String,
    face: String,
    key: String,
    simulated: bool,
    installments: Vec<(i64, String, bool)>,
    pix_hint: String,
}

/// `GET /listings/{id}`: one ticket on resale and its payment.
pub async fn listing(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<ListingId>,
    RawQuery(query): RawQuery,
) -> PageResult {
    visitor.user()?;
    let lang = visitor.lang;
    let listing = resale::get(&app, visitor.user.as_ref(), id).await?;
    if listing.status != ListingStatus::Listed {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ProblemCode::ListingUnavailable,
            "this ticket is no longer on resale",
        )
        .into());
    }
    let (session, event, venue) =
        session_at_venue(&app, listing.session_id, visitor.user.as_ref()).await?;
    let retry = after_decline(&visitor, query);
    Ok(visitor.page(&ListingPage {
        c: visitor.chrome(retry.notice),
        listing_id: id,
        session_id: listing.session_id,
        title: event.title,
        when: lang.local_time(session.starts_at, &venue.time_zone),
        place: place_of(&visitor, &listing),
        price: lang.money(listing.price_cents),
        face: lang.money(listing.face_value_cents),
        key: new_key(),
        simulated: app.gateway.simulator().is_some(),
        installments: installments(lang, listing.price_cents, retry.installments),
        pix_hint: words::pix_hint(lang, (session.pix_expires_after_seconds + 59) / 60),
    }))
}

/// `POST /listings/{id}`: buys the ticket on resale with the form's payment and key.
pub async fn buy(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<ListingId>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let body = json!({"listing_id": id, "payment": payment_of(&form)?});
    let order = place(&app, &visitor, &form, body).await?;
    Ok(after_payment(&order, &format!("/listings/{id}")))
}
