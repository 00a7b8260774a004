//! Checkout and after: the hold with its countdown, add-on products and the payment (card with
//! installments, or Pix); the order page (paid with its tickets, a Pix to pay with its live
//! status, or why it failed); the buyer's orders. The idempotency key travels with the form, so
//! a double click or a resubmitted form buys once.

use super::words;
use super::{
    Chrome, Form, PageId, PageResult, Visitor, lenient_query, see_other, session_at_venue,
};
use crate::api::error::{ApiError, ProblemCode};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bilheteria_app::sales::HoldNow;
use bilheteria_app::{App, AppError, access, sales, seat_maps, wallet};
use bilheteria_domain::FieldProblem;
use bilheteria_domain::catalog::SeatMap;
use bilheteria_domain::half_price::half_price_cents;
use bilheteria_domain::ids::{HoldId, OrderId};
use bilheteria_domain::locale::Language;
use bilheteria_domain::page::PageRequest;
use bilheteria_domain::place::Place;
use bilheteria_domain::sales::{
    Hold, IdempotencyKey, Installments, MAX_INSTALLMENTS, Order, OrderFailure, OrderInput,
    OrderStatus, PaymentMethod, request_fingerprint,
};
use serde::Deserialize;
use serde_json::json;

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage {
    c: Chrome,
    hold_id: HoldId,
    title: String,
    when: String,
    expires_iso: String,
    expires_text: String,
    lines: Vec<(String, String, String)>,
    total: String,
    ground: Option<String>,
    key: String,
    products: Vec<super::browse::ProductOffer>,
    simulated: bool,
    installments: Vec<(i64, String, bool)>,
    pix_hint: String,
}

/// The buyer's hold while it still holds; otherwise the page that says what became of it: the
/// order it became, or (expired, released, its payment failed) the session again with its
/// places picked anew and the problem beside the form.
async fn active_hold(app: &App, visitor: &Visitor, id: HoldId) -> Result<Hold, Response> {
    let outcome: PageResult<Result<Response, Hold>> = async {
        let buyer = visitor.user()?;
        match sales::hold_now(app, buyer, id).await? {
            HoldNow::Holding(hold) => Ok(Err(hold)),
            HoldNow::Ordered(order) => Ok(Ok(ordered_page(app, visitor, order).await?)),
            HoldNow::Gone(hold) => {
                let problem = ApiError::new(
                    StatusCode::GONE,
                    ProblemCode::HoldExpired,
                    "the hold is no longer active",
                );
                let page = super::browse::session_page(
                    app,
                    visitor,
                    hold.session_id,
                    super::browse::Picks::of_hold(&hold),
                    Some(visitor.w.hold_gone_notice.to_owned()),
                    Some(&problem),
                )
                .await?;
                Ok(Ok(page))
            }
        }
    }
    .await;
    match outcome {
        Ok(Err(hold)) => Ok(hold),
        Ok(Ok(page)) => Err(page),
        Err(error) => Err(IntoResponse::into_response(error)),
    }
}

/// The checkout of a hold that became an order: paid (or being paid), with the way to it.
async fn ordered_page(app: &App, visitor: &Visitor, id: OrderId) -> PageResult {
    let buyer = visitor.user()?;
    let order = access::visible_order(app, id, buyer).await?;
    let w = visitor.w;
    let (heading, text) = if order.status == OrderStatus::Paid {
        (w.hold_paid_title, w.hold_paid_text)
    } else {
        (w.order_pending, w.hold_ordered_text)
    };
    Ok(visitor.page(&super::MovedPage {
        c: visitor.chrome(None),
        heading,
        text: text.to_owned(),
        link: format!("/orders/{id}"),
        link_label: w.see_order,
    }))
}

/// The places of a hold as lines of (place, type, price), and their total.
fn hold_lines(lang: Language, hold: &Hold, map: &SeatMap) -> (Vec<(String, String, String)>, i64) {
    let w = words::of(lang);
    let mut lines = Vec::new();
    let mut total = 0;
    let mut line = |place: String, half: bool, full_price: i64| {
        let price = if half {
            half_price_cents(full_price)
        } else {
            full_price
        };
        total += price;
        let kind = if half { w.half_price } else { w.full_ticket };
        lines.push((place, kind.to_owned(), lang.money(price)));
    };
    if hold.seat_ids.is_empty() {
        let section = map.sections.iter().find(|s| s.id == hold.section_id);
        let (name, price) = section.map_or((String::new(), 0), |s| (s.name.clone(), s.price_cents));
        let place = Place::Standing {
            section: Some(name),
        }
        .words(lang);
        for i in 0..hold.quantity {
            line(place.clone(), i < hold.half_price_quantity, price);
        }
    } else {
        for seat_id in &hold.seat_ids {
            let found = map.sections.iter().find_map(|section| {
                section
                    .seats
                    .iter()
                    .flatten()
                    .find(|seat| seat.id == *seat_id)
                    .map(|seat| (section, seat))
            });
            if let Some((section, seat)) = found {
                let place = Place::Seat {
                    section: section.name.clone(),
                    row: seat.row.clone(),
                    number: seat.number,
                };
                line(
                    place.words(lang),
                    hold.half_price_seat_ids.contains(seat_id),
                    section.price_cents,
                );
            }
        }
    }
    (lines, total)
}

/// `GET /checkout/{hold}`: what is held and until when, the products, the payment.
pub async fn checkout(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<HoldId>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let hold = match active_hold(&app, &visitor, id).await {
        Ok(hold) => hold,
        Err(page) => return Ok(page),
    };
    let lang = visitor.lang;
    let (session, event, venue) =
        session_at_venue(&app, hold.session_id, visitor.user.as_ref()).await?;
    let map = seat_maps::seat_map(&app, visitor.user.as_ref(), hold.session_id, None).await?;
    let (lines, total) = hold_lines(lang, &hold, &map.map);
    let products = super::browse::product_offers(&app, lang, event.id).await?;
    let retry = after_decline(&visitor, query);
    let key = new_key();
    Ok(visitor.page(&CheckoutPage {
        c: visitor.chrome(retry.notice),
        hold_id: hold.id,
        title: event.title,
        when: lang.local_time(session.starts_at, &venue.time_zone),
        expires_iso: rfc3339(hold.expires_at),
        expires_text: words::expires_at(lang, &clock_time(hold.expires_at, &venue.time_zone)),
        lines,
        total: lang.money(total),
        ground: hold.eligibility.map(|e| words::document(lang, e)),
        key,
        products,
        simulated: app.gateway.simulator().is_some(),
        installments: installments(lang, total, retry.installments),
        pix_hint: words::pix_hint(lang, (session.pix_expires_after_seconds + 59) / 60),
    }))
}

/// A checkout shown again after a decline: what went wrong, and the installments the buyer had
/// chosen (kept selected).
#[derive(Deserialize, Default)]
pub struct Declined {
    declined: Option<String>,
    installments: Option<i64>,
}

/// What a checkout shown (again) says and keeps: the notice of a decline, the installments
/// chosen before it (1 otherwise).
pub struct Retry {
    pub notice: Option<String>,
    pub installments: i64,
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// "20:15:30" in the venue's zone.
fn clock_time(at: time::OffsetDateTime, zone: &str) -> String {
    let local = at.to_offset(bilheteria_domain::locale::offset_in(zone, at));
    format!(
        "{:02}:{:02}:{:02}",
        local.hour(),
        local.minute(),
        local.second()
    )
}

/// `POST /checkout/{hold}`: places the order with the form's idempotency key and shows how it
/// went: the order page, or the checkout again after a decline (the hold is kept).
pub async fn pay(
    State(app): State<App>,
    visitor: Visitor,
    PageId(hold): PageId<HoldId>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    if let Err(page) = active_hold(&app, &visitor, hold).await {
        return Ok(page);
    }
    let mut products = Vec::new();
    for (name, value) in form.pairs() {
        let Some(product) = name.strip_prefix("product:") else {
            continue;
        };
        let quantity: i64 = value
            .trim()
            .parse()
            .map_err(|_| ApiError::invalid_field(name, FieldProblem::NotAWholeNumber))?;
        if quantity > 0 {
            products.push(json!({"product_id": product, "quantity": quantity}));
        }
    }
    let body = json!({"hold_id": hold, "products": products, "payment": payment_of(&form)?});
    let order = place(&app, &visitor, &form, body).await?;
    Ok(after_payment(&order, &format!("/checkout/{hold}")))
}

/// The payment a form chose, as the API's `payment` takes it.
pub fn payment_of(form: &Form) -> PageResult<serde_json::Value> {
    let method = form.get("method").unwrap_or("card");
    if method == "pix" {
        return Ok(json!({"method": "pix"}));
    }
    let installments: i64 = form
        .get("installments")
        .unwrap_or("1")
        .parse()
        .map_err(|_| ApiError::invalid_field("installments", FieldProblem::NotAWholeNumber))?;
    Ok(
        json!({"method": method, "token": form.get("token").unwrap_or_default(), "installments": installments}),
    )
}

/// Places the order `body` (the API's body, so that a resubmitted form is the same request to
/// its key) under the form's idempotency key.
pub async fn place(
    app: &App,
    visitor: &Visitor,
    form: &Form,
    body: serde_json::Value,
) -> PageResult<Order> {
    let buyer = visitor.user()?;
    let key = IdempotencyKey::parse(form.get("key").unwrap_or_default())
        .map_err(|problem| ApiError::invalid_field("key", problem))?;
    sales::admit_buyer(app, buyer.id, visitor.ip.0)?;
    let input: OrderInput = serde_json::from_value(body.clone())
        .map_err(|e| ApiError::unreadable("body", &e.to_string()))?;
    Ok(sales::place_order(
        app,
        buyer.id,
        &key,
        request_fingerprint(&body),
        input.parse()?,
        visitor.ip.to_option_string(),
    )
    .await?)
}

/// Where a placed order sends the buyer: back to `retry` after a card decline (what was held
/// stays), else to the order's page.
pub fn after_payment(order: &Order, retry: &str) -> axum::response::Response {
    match (order.status, order.failure_code.as_deref()) {
        (OrderStatus::Failed, Some(code)) if OrderFailure::of(code).is_decline() => see_other(
            &format!("{retry}?declined=card&installments={}", order.installments),
        ),
        _ => see_other(&format!("/orders/{}", order.id)),
    }
}

/// The installment choices of a checkout for `total` (each priced, the `chosen` one
/// selected), in `lang`.
pub fn installments(lang: Language, total: i64, chosen: i64) -> Vec<(i64, String, bool)> {
    (1..=MAX_INSTALLMENTS)
        .map(|n| {
            let plan = Installments::split(total, n);
            (n, words::installment(lang, plan), n == chosen)
        })
        .collect()
}

/// The checkout's idempotency key: one per page shown, sent back with its form.
pub fn new_key() -> String {
    format!("web-{}", uuid::Uuid::new_v4().simple())
}

/// The notice and kept choices of a checkout shown again after a decline.
pub fn after_decline(visitor: &Visitor, query: Option<String>) -> Retry {
    let declined: Declined = lenient_query(query);
    Retry {
        notice: declined.declined.map(|kind| match kind.as_str() {
            "pix" => visitor.w.pix_expired_text.to_owned(),
            _ => visitor.w.declined_text.to_owned(),
        }),
        installments: declined.installments.unwrap_or(1),
    }
}

/// `POST /checkout/{hold}/release`: the buyer gives the places back.
pub async fn release(
    State(app): State<App>,
    visitor: Visitor,
    PageId(hold): PageId<HoldId>,
    body: Bytes,
) -> PageResult {
    visitor.form(&body)?;
    let buyer = visitor.user()?;
    let session = app.store.get_hold(hold).await?.map(|(h, _)| h.session_id);
    sales::release_hold(&app, buyer, hold).await?;
    Ok(see_other(
        &session.map_or("/".to_owned(), |s| format!("/sessions/{s}")),
    ))
}

struct PixView {
    /// Shared with every other view of the same code (`pix::shared_qr_svg`).
    qr: std::sync::Arc<str>,
    code: String,
    expires_iso: String,
    expires_text: String,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    c: Chrome,
    order_id: OrderId,
    heading: &'static str,
    title: String,
    when: String,
    status_class: &'static str,
    explanation: &'static str,
    refresh: bool,
    pix: Option<PixView>,
    simulated: bool,
    lines: Vec<(String, String)>,
    total: String,
    tickets: Vec<(String, String)>,
    /// Only a paid order's tickets print; a refunded one says why there is no PDF.
    printable: bool,
    refunded: bool,
    purchased_at: String,
    paid_with: String,
    retry: Option<String>,
    /// The buyer's wallet link of a paid order, whole, to copy or renew.
    wallet_url: Option<String>,
}

/// `GET /orders/{id}`: the order as it stands.
#[derive(Deserialize, Default)]
pub struct WalletNotice {
    wallet: Option<String>,
}

pub async fn order(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<OrderId>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let buyer = visitor.user()?;
    let order = access::visible_order(&app, id, buyer).await?;
    let lang = visitor.lang;
    let w = visitor.w;
    let (session, event, venue) = session_at_venue(&app, order.session_id, Some(buyer)).await?;
    let pending = matches!(
        order.status,
        OrderStatus::AwaitingPayment | OrderStatus::PaymentPending
    );
    let (heading, status_class, explanation) = match order.status {
        OrderStatus::Paid => (w.order_paid, "ok", w.paid_text),
        OrderStatus::Refunded => (w.order_refunded, "muted", w.refunded_text),
        _ if pending && order.payment_method == PaymentMethod::Pix => {
            (w.order_pending, "wait", w.pending_pix_text)
        }
        _ if pending => (w.order_pending, "wait", w.pending_card_text),
        _ => (
            w.order_failed,
            "bad",
            match order.failure_code.as_deref().map(OrderFailure::of) {
                Some(OrderFailure::PixExpired) => w.pix_expired_text,
                Some(OrderFailure::Declined) => w.declined_text,
                Some(OrderFailure::EventCancelled) => w.event_cancelled_order_text,
                _ => w.hold_lost_text,
            },
        ),
    };
    let pix = order.pix.as_ref().filter(|_| pending).map(|pix| PixView {
        qr: bilheteria_domain::pix::shared_qr_svg(&pix.copy_paste).unwrap_or_default(),
        code: pix.copy_paste.clone(),
        expires_iso: rfc3339(pix.expires_at),
        expires_text: words::pix_expires_at(lang, &clock_time(pix.expires_at, &venue.time_zone)),
    });
    let lines = order
        .items
        .iter()
        .map(|item| {
            let mut text = item.words(lang);
            if item.quantity > 1 {
                text = format!("{} × {text}", item.quantity);
            }
            if let Some(e) = item.eligibility {
                text = format!("{text} · {}", words::eligibility(lang, e));
            }
            (text, lang.money(item.line_total().unwrap_or(0)))
        })
        .collect();
    let tickets = order
        .tickets
        .iter()
        .map(|t| (t.id.to_string(), order.place_of(t).words(lang)))
        .collect();
    let failed = order.status == OrderStatus::Failed;
    let wallet_url = if order.status == OrderStatus::Paid && order.user_id == buyer.id {
        // The order is the buyer's own (checked just above): no second read of it.
        let path = wallet::current_link(&app, order.id).await?;
        Some(format!("{}{path}", app.settings.public_url))
    } else {
        None
    };
    let renewed = lenient_query::<WalletNotice>(query).wallet.as_deref() == Some("renewed");
    Ok(visitor.page(&OrderPage {
        c: visitor.chrome(renewed.then(|| w.wallet_renewed.to_owned())),
        order_id: order.id,
        heading,
        title: event.title,
        when: lang.local_time(session.starts_at, &venue.time_zone),
        status_class,
        explanation,
        refresh: pending,
        pix,
        simulated: app.gateway.simulator().is_some(),
        lines,
        total: lang.money(order.total_cents),
        tickets,
        printable: order.status == OrderStatus::Paid,
        refunded: order.status == OrderStatus::Refunded,
        purchased_at: lang.local_time(
            order.created_at,
            bilheteria_domain::locale::DEFAULT_TIME_ZONE,
        ),
        paid_with: match order.payment_method {
            PaymentMethod::Pix => w.pay_pix.to_owned(),
            _ if order.installments > 1 => format!("{} · {}x", w.pay_card, order.installments),
            _ => w.pay_card.to_owned(),
        },
        retry: failed.then(|| format!("/sessions/{}", order.session_id)),
        wallet_url,
    }))
}

/// "Plateia, fila A, assento 3", or standing room.
pub fn ticket_label(lang: Language, ticket: &bilheteria_domain::tickets::Ticket) -> String {
    Place::of(ticket.seat.as_ref(), None).words(lang)
}

/// `POST /orders/{id}/pix`: with the simulated provider, plays the buyer's bank paying the Pix.
pub async fn pay_pix(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<OrderId>,
    body: Bytes,
) -> PageResult {
    visitor.form(&body)?;
    let buyer = visitor.user()?;
    match sales::pay_pix_in_simulator(&app, buyer, id).await {
        // Paid meanwhile, or expired: the order page tells which.
        Ok(_) | Err(AppError::PixNotPending) => Ok(see_other(&format!("/orders/{id}"))),
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    c: Chrome,
    rows: Vec<(OrderId, String, String)>,
    more: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Cursor {
    pub cursor: Option<String>,
}

/// The page of a list a cursor asks for (a bad cursor starts over).
pub fn list_page(cursor: Option<&str>) -> PageRequest {
    PageRequest::parse(Some(20), cursor).unwrap_or(PageRequest {
        limit: 20,
        after: None,
    })
}

/// "Grande Show · sáb., 6 de março de 2027, 20:00": what an order is for, as a list names it.
async fn session_name(app: &App, lang: Language, order: &Order) -> PageResult<String> {
    let event = app.store.get_event(order.event_id).await?;
    let session = app.store.get_session(order.session_id).await?;
    let Some(event) = event else {
        return Ok(String::new());
    };
    let venue = super::venue_of(app, &event).await?;
    Ok(match session {
        Some(session) => format!(
            "{} · {}",
            event.title,
            lang.list_time(session.starts_at, &venue.time_zone)
        ),
        None => event.title,
    })
}

/// `GET /orders`: the buyer's orders, newest first.
pub async fn orders(
    State(app): State<App>,
    visitor: Visitor,
    RawQuery(query): RawQuery,
) -> PageResult {
    let buyer = visitor.user()?;
    let cursor = lenient_query::<Cursor>(query).cursor;
    let page = app
        .store
        .list_orders(buyer.id, &list_page(cursor.as_deref()))
        .await?;
    let lang = visitor.lang;
    let w = visitor.w;
    let mut named = std::collections::HashMap::new();
    let mut rows = Vec::with_capacity(page.items.len());
    for order in &page.items {
        if let std::collections::hash_map::Entry::Vacant(slot) = named.entry(order.session_id) {
            slot.insert(session_name(&app, lang, order).await?);
        }
        let status = match order.status {
            OrderStatus::Paid => w.order_paid,
            OrderStatus::Refunded => w.order_refunded,
            OrderStatus::Failed => w.order_failed,
            _ => w.order_pending,
        };
        let what = named.get(&order.session_id).cloned().unwrap_or_default();
        rows.push((
            order.id,
            format!("{what} — {}", lang.money(order.total_cents)),
            status.to_owned(),
        ));
    }
    Ok(visitor.page(&OrdersPage {
        c: visitor.chrome(None),
        rows,
        more: page
            .next_cursor
            .map(|c| format!("/orders?cursor={}", super::encode(&c))),
    }))
}
