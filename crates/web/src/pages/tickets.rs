//! After the sale: the buyer's tickets, a ticket with its QR on screen (rotating when the
//! session wants it), the PDF, transfers (offer, accept, decline, cancel) and resale listing.

use super::buying::{Cursor, list_page, ticket_label};
use super::words;
use super::{Chrome, PageId, PageResult, Visitor, lenient_query, not_found, see_other, venue_of};
use crate::api::error::ApiError;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use bilheteria_app::{App, access, gate, printing, resale, transfers};
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::half_price::TicketType;
use bilheteria_domain::ids::{TicketId, TransferId};
use bilheteria_domain::resale::ListingInput;
use bilheteria_domain::screen::ScreenCodes;
use bilheteria_domain::tickets::TicketStatus;
use bilheteria_domain::transfers::{Decision, TransferInput, TransferStatus};

fn audit(visitor: &Visitor) -> AuditContext {
    AuditContext {
        actor_id: visitor.user.as_ref().map(|u| u.id),
        ip: visitor.ip.to_option_string(),
    }
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct TicketsPage {
    c: Chrome,
    rows: Vec<(TicketId, String, String)>,
    more: Option<String>,
}

fn status_text(w: &words::Words, status: TicketStatus) -> &'static str {
    match status {
        TicketStatus::Valid => w.ticket_valid,
        TicketStatus::Used => w.ticket_used,
        TicketStatus::Cancelled => w.ticket_cancelled,
    }
}

/// `GET /tickets`: the buyer's tickets.
pub async fn list(
    State(app): State<App>,
    visitor: Visitor,
    RawQuery(query): RawQuery,
) -> PageResult {
    let holder = visitor.user()?;
    let cursor = lenient_query::<Cursor>(query).cursor;
    let page = app
        .store
        .list_tickets(holder.id, &list_page(cursor.as_deref()))
        .await?;
    let mut titles = std::collections::HashMap::new();
    let mut rows = Vec::with_capacity(page.items.len());
    for ticket in &page.items {
        if !titles.contains_key(&ticket.event_id)
            && let Some(event) = app.store.get_event(ticket.event_id).await?
        {
            titles.insert(ticket.event_id, event.title);
        }
        let title = titles.get(&ticket.event_id).cloned().unwrap_or_default();
        rows.push((
            ticket.id,
            format!("{title} — {}", ticket_label(visitor.lang, ticket)),
            status_text(visitor.w, ticket.status).to_owned(),
        ));
    }
    Ok(visitor.page(&TicketsPage {
        c: visitor.chrome(None),
        rows,
        more: page
            .next_cursor
            .map(|c| format!("/tickets?cursor={}", super::encode(&c))),
    }))
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    c: Chrome,
    ticket_id: TicketId,
    title: String,
    when: String,
    venue: String,
    place: String,
    kind: String,
    state: &'static str,
    show_qr: bool,
    qr_hint: &'static str,
    rotating: bool,
    reference: String,
    printable: bool,
    can_move: bool,
    resale_hint: String,
    face_value: String,
}

/// `GET /tickets/{id}`: the ticket to show at the gate.
pub async fn ticket(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<TicketId>,
) -> PageResult {
    let holder = visitor.user()?;
    let (ticket, session) = access::held_ticket(&app, id, holder).await?;
    let lang = visitor.lang;
    let w = visitor.w;
    let event = app
        .store
        .get_event(ticket.event_id)
        .await?
        .ok_or_else(not_found)?;
    let venue = venue_of(&app, &event).await?;
    let valid = ticket.status == TicketStatus::Valid;
    let rotating = valid && session.screen_codes != ScreenCodes::Static;
    let kind = match (ticket.ticket_type, ticket.eligibility) {
        (TicketType::Half, Some(ground)) => words::document(lang, ground),
        (TicketType::Half, None) => w.half_price.to_owned(),
        (TicketType::Full, _) => w.full_ticket.to_owned(),
    };
    let paid = ticket.face_value_cents;
    let qr_hint = if rotating {
        w.qr_hint_rotating
    } else {
        w.qr_hint_static
    };
    Ok(visitor.page(&TicketPage {
        c: visitor.chrome(None),
        ticket_id: id,
        title: event.title,
        when: lang.session_time(session.starts_at, &venue.time_zone),
        venue: format!("{} · {}", venue.name, venue.city),
        place: ticket_label(lang, &ticket),
        kind,
        state: status_text(w, ticket.status),
        show_qr: valid,
        qr_hint,
        rotating,
        reference: printing::reference(id),
        printable: valid && session.screen_codes != ScreenCodes::ScreenOnly,
        can_move: valid,
        resale_hint: words::resale_hint(lang, &lang.money(paid)),
        face_value: format!("{},{:02}", paid / 100, paid % 100),
    }))
}

/// `GET /tickets/{id}/qr`: the QR to show now, as SVG: the rotating code when the session
/// wants one, else the ticket's code.
pub async fn qr(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<TicketId>,
) -> PageResult {
    let holder = visitor.user()?;

    let (ticket, session) = access::held_ticket(&app, id, holder).await?;
    let code = if session.screen_codes == ScreenCodes::Static {
        ticket.code.ok_or_else(not_found)?
    } else {
        gate::screen_code(&app, holder, id).await?.code
    };
    let svg = bilheteria_domain::pix::qr_svg(&code).ok_or_else(not_found)?;
    let mut response = svg.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /tickets/{id}/transfer`: offers the ticket to an email.
pub async fn offer_transfer(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<TicketId>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let holder = visitor.user()?;
    let input = TransferInput {
        to_email: form.get("to_email").unwrap_or_default().to_owned(),
    };
    transfers::offer(&app, holder, id, input, &audit(&visitor)).await?;
    Ok(see_other("/transfers?sent=1"))
}

/// "45,50", "45.50" or "45" reais in centavos.
fn parse_reais(raw: &str) -> Option<i64> {
    let raw = raw.trim().replace("R$", "");
    let raw = raw.trim();
    let (whole, cents) = match raw.rsplit_once([',', '.']) {
        Some((whole, cents)) if cents.len() <= 2 => (whole.replace(['.', ','], ""), cents),
        Some(_) => return None,
        None => (raw.to_owned(), "0"),
    };
    let whole: i64 = whole.parse().ok()?;
    let cents: i64 = format!("{cents:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(cents)
}

/// `POST /tickets/{id}/resale`: lists the ticket at face value or less.
pub async fn list_for_resale(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<TicketId>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let holder = visitor.user()?;
    let price_cents = parse_reais(form.get("price").unwrap_or_default())
        .ok_or_else(|| ApiError::invalid_field("price", "write an amount like 45,50"))?;
    resale::list(
        &app,
        holder,
        id,
        ListingInput { price_cents },
        &audit(&visitor),
    )
    .await?;
    Ok(see_other(&format!("/tickets/{id}?listed=1")))
}

struct TransferRow {
    id: TransferId,
    text: String,
    state: &'static str,
    actions: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "transfers.html")]
struct TransfersPage {
    c: Chrome,
    rows: Vec<TransferRow>,
}

/// `GET /transfers`: transfers the buyer sent or was offered, with what they may do with each.
pub async fn transfers(
    State(app): State<App>,
    visitor: Visitor,
    RawQuery(query): RawQuery,
) -> PageResult {
    let user = visitor.user()?;
    let w = visitor.w;
    let lang = visitor.lang;
    let page = transfers::list(&app, user, &list_page(None)).await?;
    let mut rows = Vec::with_capacity(page.items.len());
    for transfer in page.items {
        let outgoing = transfer.from_user_id == user.id;
        let ticket = app.store.get_ticket(transfer.ticket_id).await?;
        let event = app.store.get_event(transfer.event_id).await?;
        let what = format!(
            "{} — {}",
            event.map(|e| e.title).unwrap_or_default(),
            ticket.map_or_else(String::new, |t| ticket_label(lang, &t))
        );
        let who = if outgoing {
            transfer.to_email.clone()
        } else {
            app.store
                .get_user(transfer.from_user_id)
                .await?
                .map_or_else(String::new, |u| u.name)
        };
        let pending = transfer.status == TransferStatus::Pending;
        let actions = match (pending, outgoing) {
            (false, _) => vec![],
            (true, true) => vec![("cancel", w.cancel)],
            (true, false) => vec![("accept", w.accept), ("decline", w.decline)],
        };
        rows.push(TransferRow {
            id: transfer.id,
            text: words::transfer_line(lang, outgoing, &who, &what),
            state: match transfer.status {
                TransferStatus::Pending => w.pending,
                TransferStatus::Accepted => w.accepted,
                TransferStatus::Declined => w.declined,
                TransferStatus::Cancelled => w.cancelled,
                TransferStatus::Expired => w.expired,
            },
            actions,
        });
    }
    let notice = lenient_query::<Sent>(query)
        .sent
        .map(|_| w.transfer_sent.to_owned());
    Ok(visitor.page(&TransfersPage {
        c: visitor.chrome(notice),
        rows,
    }))
}

#[derive(serde::Deserialize, Default)]
pub struct Sent {
    sent: Option<String>,
}

/// `POST /transfers/{id}/{accept|decline|cancel}`.
pub async fn decide(
    State(app): State<App>,
    visitor: Visitor,
    Path((id, decision)): Path<(String, String)>,
    body: Bytes,
) -> PageResult {
    visitor.form(&body)?;
    let user = visitor.user()?;
    let id: TransferId = id.parse().map_err(|_| not_found())?;
    let decision = match decision.as_str() {
        "accept" => Decision::Accept,
        "decline" => Decision::Decline,
        "cancel" => Decision::Cancel,
        _ => return Err(not_found()),
    };
    let decided = transfers::decide(&app, user, id, decision, &audit(&visitor)).await?;
    if decision == Decision::Accept {
        return Ok(see_other(&format!("/tickets/{}", decided.ticket_id)));
    }
    Ok(see_other("/transfers"))
}

#[cfg(test)]
mod tests {
    use super::parse_reais;

    #[test]
    fn amounts_are_read_as_people_write_them() {
        assert_eq!(parse_reais("45,50"), Some(4550));
        assert_eq!(parse_reais("R$ 45,5"), Some(4550));
        assert_eq!(parse_reais("45.50"), Some(4550));
        assert_eq!(parse_reais("1.234,56"), Some(123_456));
        assert_eq!(parse_reais("45"), Some(4500));
        assert_eq!(parse_reais("abc"), None);
        assert_eq!(parse_reais("4,555"), None);
    }
}
