//! The wallet: an order's tickets from the link mailed with it, without logging in, and the
//! buyer's renewal of that link from the order's page. The service worker (`static/sw.js`)
//! keeps the page once opened, so that it opens again at a gate without signal.

use super::words;
use super::{Chrome, PageId, PageResult, Visitor, not_found, see_other};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use bilheteria_app::{App, printing, wallet};
use bilheteria_domain::half_price::TicketType;
use bilheteria_domain::ids::{OrderId, TicketId};
use bilheteria_domain::screen::ScreenCodes;
use bilheteria_domain::tickets::TicketStatus;

#[derive(Template)]
#[template(path = "wallet.html")]
struct WalletPage {
    c: Chrome,
    title: String,
    when: String,
    venue: String,
    tickets: Vec<ShownTicket>,
    screen_only: bool,
}

struct ShownTicket {
    place: String,
    kind: String,
    state: &'static str,
    reference: String,
    /// The ticket's QR, drawn inline so that the page alone shows it offline.
    qr: Option<String>,
    /// Where a rotating code is fetched every 15 s (screen-only sessions).
    rotating: Option<String>,
}

/// `GET /wallet/{order}/{tag}`.
pub async fn open(
    State(app): State<App>,
    visitor: Visitor,
    Path((order, tag)): Path<(String, String)>,
) -> PageResult {
    let order: OrderId = order.parse().map_err(|_| not_found())?;
    let shown = wallet::open(&app, order, &tag).await?;
    let lang = visitor.lang;
    let w = visitor.w;
    let screen_only = shown.session.screen_codes == ScreenCodes::ScreenOnly;
    let tickets = shown
        .shown_tickets()
        .map(|ticket| {
            let valid = ticket.status == TicketStatus::Valid;
            let code = ticket.code.as_deref().filter(|_| valid && !screen_only);
            ShownTicket {
                place: super::buying::ticket_label(lang, ticket),
                kind: match (ticket.ticket_type, ticket.eligibility) {
                    (TicketType::Half, Some(ground)) => words::document(lang, ground),
                    (TicketType::Half, None) => w.half_price.to_owned(),
                    (TicketType::Full, _) => w.full_ticket.to_owned(),
                },
                state: super::tickets::status_text(w, ticket.status),
                reference: printing::reference(ticket.id),
                qr: code.and_then(bilheteria_domain::pix::qr_svg),
                rotating: (valid && screen_only)
                    .then(|| format!("/wallet/{order}/{tag}/{}/qr", ticket.id)),
            }
        })
        .collect();
    let mut response = visitor.page(&WalletPage {
        c: visitor.chrome(None),
        title: shown.event.title,
        when: lang.local_time(shown.session.starts_at, &shown.venue.time_zone),
        venue: format!("{} · {}", shown.venue.name, shown.venue.city),
        tickets,
        screen_only,
    });
    // The link is the secret: not sent on to other sites, not indexed.
    let headers = response.headers_mut();
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    Ok(response)
}

/// `GET /wallet/{order}/{tag}/{ticket}/qr`: a screen-only ticket's code now, as SVG.
pub async fn rotating_qr(
    State(app): State<App>,
    Path((order, tag, ticket)): Path<(String, String, String)>,
) -> PageResult {
    let order: OrderId = order.parse().map_err(|_| not_found())?;
    let ticket: TicketId = ticket.parse().map_err(|_| not_found())?;
    let code = wallet::screen_code(&app, order, &tag, ticket).await?;
    let svg = bilheteria_domain::pix::qr_svg(&code.code).ok_or_else(not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        svg,
    )
        .into_response())
}

/// `POST /orders/{id}/wallet`: the buyer revokes the order's wallet links and gets a new one.
pub async fn renew(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<OrderId>,
    body: Bytes,
) -> PageResult {
    visitor.form(&body)?;
    let buyer = visitor.user()?;
    wallet::renew_link(&app, buyer, id).await?;
    Ok(see_other(&format!("/orders/{id}?wallet=renewed")))
}
