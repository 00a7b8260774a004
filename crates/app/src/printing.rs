//! Printable tickets (S4): the holder's ticket, or every ticket of an order the caller still
//! holds, as a PDF of one A4 page each. The facts are gathered and worded here (the place, the
//! time and the price in the holder's language, in the venue's time zone; the labels and terms
//! in both languages); `bilheteria-print` lays them out.

use crate::App;
use crate::error::{AppError, AppResult};
use bilheteria_domain::account::User;
use bilheteria_domain::catalog::{EventSession, Venue};
use bilheteria_domain::half_price::TicketType;
use bilheteria_domain::ids::{OrderId, TicketId};
use bilheteria_domain::place::Place;

use bilheteria_domain::screen::ScreenCodes;
use bilheteria_domain::tickets::{Ticket, TicketStatus};
use bilheteria_print::{TicketSheet, render};
use std::sync::Arc;

/// A printable document and the name it is offered under.
pub struct Printed {
    pub file_name: String,
    pub pdf: Vec<u8>,
}

/// A short reference people can read out: the last 12 hex digits of the ticket's id (random in
/// a v7 UUID), grouped by four.
pub fn reference(ticket: TicketId) -> String {
    let hex = ticket.0.simple().to_string().to_uppercase();
    let tail = &hex[hex.len() - 12..];
    format!("{}-{}-{}", &tail[..4], &tail[4..8], &tail[8..])
}

const TERMS: [&str; 4] = [
    "Válido para uma única entrada nesta sessão. Não compartilhe este QR: quem o apresentar primeiro entra. Valid for one entry; do not share this code.",
    "Ao transferir ou revender este ingresso, um novo código é emitido e este deixa de valer na entrada. A transfer or resale issues a new code and revokes this one.",
    "Trocas e reembolsos conforme a política do organizador e o Código de Defesa do Consumidor (Lei 8.078/1990).",
    "Guarde este documento até o fim do evento. Keep this document until the end of the event.",
];

fn sheet(
    ticket: &Ticket,
    holder: &User,
    session: &EventSession,
    venue: &Venue,
    title: &str,
    poster: Option<&Arc<Vec<u8>>>,
) -> AppResult<TicketSheet> {
    let code = ticket.code.clone().ok_or(AppError::TicketRevoked)?;
    let category = session
        .categories
        .iter()
        .find(|category| category.section_ids.contains(&ticket.section_id));
    let section = venue
        .sections
        .iter()
        .find(|section| section.id == ticket.section_id)
        .map_or("", |section| section.name.as_str());
    let lang = holder.language;
    Ok(TicketSheet {
        event_title: title.to_owned(),
        when: lang.session_time(session.starts_at, &venue.time_zone),
        venue: format!("{} — {}", venue.name, venue.city),
        place: Place::of(ticket.seat.as_ref(), Some(section)).words(lang),
        category: category.map_or_else(String::new, |c| c.name.clone()),
        ticket_type: match (ticket.ticket_type, ticket.eligibility) {
            (TicketType::Half, Some(ground)) => format!(
                "MEIA-ENTRADA ({}). Apresente na entrada / show at the gate: {}",
                ground.label_pt(),
                ground.document_pt()
            ),
            (TicketType::Half, None) => "MEIA-ENTRADA / Half price".to_owned(),
            (TicketType::Full, _) => "Inteira / Full price".to_owned(),
        },
        holder: holder.name.clone(),
        order_id: ticket.order_id.to_string(),
        price: category.map_or_else(String::new, |c| {
            lang.money(ticket.ticket_type.price_cents(c.price_cents))
        }),
        code,
        reference: reference(ticket.id),
        terms: TERMS.iter().map(|term| (*term).to_owned()).collect(),
        poster: poster.cloned(),
    })
}

/// Renders `tickets` (all of one session) for their holder, off the async workers: a page is a
/// few milliseconds of CPU.
async fn print(
    app: &App,
    holder: &User,
    tickets: Vec<Ticket>,
    file_name: String,
) -> AppResult<Printed> {
    let first = tickets.first().ok_or(AppError::NotFound("ticket"))?;
    let (session, event, venue) =
        crate::access::session_event_venue(app, first.session_id, first.event_id).await?;
    if session.screen_codes == ScreenCodes::ScreenOnly {
        return Err(AppError::ScreenOnly);
    }
    let poster = crate::images::poster_for_print(app, &event)
        .await?
        .map(Arc::new);
    let sheets = tickets
        .iter()
        .map(|ticket| {
            sheet(
                ticket,
                holder,
                &session,
                &venue,
                &event.title,
                poster.as_ref(),
            )
        })
        .collect::<AppResult<Vec<_>>>()?;
    let title = format!("Ingressos — {}", event.title);
    let pdf = tokio::task::spawn_blocking(move || render(&title, &sheets))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    metrics::counter!("tickets_printed_total").increment(tickets.len() as u64);
    Ok(Printed { file_name, pdf })
}

/// `GET /tickets/{id}/pdf`: the holder's ticket; anyone else is told it does not exist.
pub async fn ticket_pdf(app: &App, holder: &User, id: TicketId) -> AppResult<Printed> {
    let ticket = crate::access::holder_ticket(app, id, holder).await?;
    if ticket.status == TicketStatus::Cancelled {
        return Err(AppError::TicketRevoked);
    }
    let name = format!("ingresso-{}.pdf", reference(ticket.id));
    print(app, holder, vec![ticket], name).await
}

/// `GET /orders/{id}/pdf`: the tickets of the caller's order that the caller still holds (not
/// those passed on or cancelled).
pub async fn order_pdf(app: &App, buyer: &User, id: OrderId) -> AppResult<Printed> {
    let order = app
        .store
        .get_order(id)
        .await?
        .filter(|order| order.user_id == buyer.id)
        .ok_or(AppError::NotFound("order"))?;
    let held: Vec<Ticket> = order
        .tickets
        .into_iter()
        .filter(|ticket| ticket.holder_id == buyer.id && ticket.status != TicketStatus::Cancelled)
        .collect();
    if held.is_empty() {
        return Err(AppError::NotFound("ticket"));
    }
    print(app, buyer, held, format!("pedido-{}.pdf", order.id)).await
}
