//! After the sale: the buyer's tickets, a ticket with its QR on screen (rotating when the
//! session wants it), the PDF, transfers (offer, accept, decline, cancel) and resale listing.

use super::buying::{Cursor, list_page, ticket_label};
use super::words;
use super::{
    Chrome, PageError, PageId, PageResult, Visitor, lenient_query, not_found, parse_reais,
    see_other, venue_of,
};
use crate::api::error::ApiError;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use bilheteria_app::{App, AppError, access, gate, printing, resale, transfers};
use bilheteria_domain::FieldProblem;
use bilheteria_domain::half_price::TicketType;
use bilheteria_domain::ids::{TicketId, TransferId};
use bilheteria_domain::resale::{ListingInput, ListingStatus};
use bilheteria_domain::screen::ScreenCodes;
use bilheteria_domain::tickets::TicketStatus;
use bilheteria_domain::transfers::{Decision, TransferInput, TransferStatus};

#[derive(Template)]
#[template(path = "tickets.html")]
struct TicketsPage {
    c: Chrome,
    rows: Vec<(TicketId, String, String)>,
    more: Option<String>,
}

pub(super) fn status_text(w: &words::Words, status: TicketStatus) -> &'static str {
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
    /// The ticket's signed code as a QR, drawn inline so that the page shows it offline; in a
    /// session whose codes rotate, what is shown when the live code cannot be fetched (a
    /// printed code passes there too). None for screen-only sessions.
    static_qr: Option<String>,
    qr_hint: &'static str,
    rotating: bool,
    reference: String,
    printable: bool,
    can_move: bool,
    resale_hint: String,
    /// The ticket on resale: what it is listed for and what the seller gets, and whether it
    /// may still be withdrawn (nobody is paying for it).
    listing: Option<(String, bool)>,
    /// A half-price ticket: its recipient must show the document too.
    transfer_warning: Option<String>,
    typed: Typed,
}

/// What was typed in the ticket's forms, and what went wrong with each, to show them again.
#[derive(Default)]
struct Typed {
    /// The problem to show came from the resale form (else from the transfer's or withdrawal's).
    from_resale: bool,
    price: String,
    price_problems: Vec<String>,
    to_email: String,
    transfer_problems: Vec<String>,
}

/// `GET /tickets/{id}`: the ticket to show at the gate; to whoever passed it on, what became
/// of it.
pub async fn ticket(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<TicketId>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let notice = lenient_query::<Listed>(query)
        .withdrawn
        .map(|_| visitor.w.listing_withdrawn.to_owned());
    ticket_page(&app, &visitor, id, notice, Typed::default(), None).await
}

#[derive(serde::Deserialize, Default)]
pub struct Listed {
    withdrawn: Option<String>,
}

async fn ticket_page(
    app: &App,
    visitor: &Visitor,
    id: TicketId,
    notice: Option<String>,
    mut typed: Typed,
    problem: Option<&ApiError>,
) -> PageResult {
    let holder = visitor.user()?;
    let lang = visitor.lang;
    let w = visitor.w;
    let (ticket, session) = match access::held_ticket(app, id, holder).await {
        Ok(held) => held,
        Err(AppError::NotFound(what)) => return passed_on(app, visitor, holder, id, what).await,
        Err(other) => return Err(other.into()),
    };
    let event = app
        .store
        .get_event(ticket.event_id)
        .await?
        .ok_or_else(not_found)?;
    let venue = venue_of(app, &event).await?;
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
    let listing = resale::seller_listing(app, holder, id)
        .await?
        .filter(|l| {
            matches!(
                l.listing.status,
                ListingStatus::Listed | ListingStatus::Reserved
            )
        })
        .map(|l| {
            let text = words::listed_for(
                lang,
                &lang.money(l.listing.price_cents),
                &lang.money(l.payout_cents),
            );
            (text, l.listing.status == ListingStatus::Listed)
        });
    if typed.price.is_empty() {
        typed.price = format!("{},{:02}", paid / 100, paid % 100);
    }
    if let Some(problem) = problem {
        let lines = super::problem_lines(lang, problem);
        if typed.from_resale {
            typed.price_problems = lines;
        } else {
            typed.transfer_problems = lines;
        }
    }
    let page = TicketPage {
        c: visitor.chrome(notice),
        ticket_id: id,
        title: event.title,
        when: lang.local_time(session.starts_at, &venue.time_zone),
        venue: format!("{} · {}", venue.name, venue.city),
        place: ticket_label(lang, &ticket),
        transfer_warning: (ticket.ticket_type == TicketType::Half).then(|| {
            words::transfer_half_warning(
                lang,
                &ticket.eligibility.map_or_else(
                    || w.half_price.to_owned(),
                    |ground| words::document(lang, ground),
                ),
            )
        }),
        kind,
        state: status_text(w, ticket.status),
        show_qr: valid,
        static_qr: ticket
            .code
            .as_deref()
            .filter(|_| valid && session.screen_codes != ScreenCodes::ScreenOnly)
            .and_then(bilheteria_domain::pix::qr_svg),
        qr_hint,
        rotating,
        reference: printing::reference(id),
        printable: valid && session.screen_codes != ScreenCodes::ScreenOnly,
        can_move: valid && listing.is_none(),
        listing,
        resale_hint: words::resale_hint(lang, &lang.money(paid)),
        typed,
    };
    Ok(match problem {
        Some(problem) => super::shown_again(visitor, &page, problem),
        None => visitor.page(&page),
    })
}

/// The page of a ticket `user` no longer holds: given away by a transfer, or sold on resale
/// (with their payout); anything else is not found.
async fn passed_on(
    app: &App,
    visitor: &Visitor,
    user: &bilheteria_domain::account::User,
    id: TicketId,
    what: &'static str,
) -> PageResult {
    let lang = visitor.lang;
    let w = visitor.w;
    let when = |at: time::OffsetDateTime| {
        lang.local_time(at, bilheteria_domain::locale::DEFAULT_TIME_ZONE)
    };
    let gone = if let Some(transfer) = transfers::handed_over(app, user, id).await? {
        let at = transfer.decided_at.unwrap_or(transfer.created_at);
        Some((
            w.ticket_transferred,
            words::transferred_to(lang, &transfer.to_email, &when(at)),
        ))
    } else if let Some(sold) = resale::seller_listing(app, user, id)
        .await?
        .filter(|l| l.listing.status == ListingStatus::Sold)
    {
        let at = sold.closed_at.unwrap_or(sold.listing.created_at);
        let payout = lang.money(sold.payout_cents);
        let paid_out = sold.paid_out_at.map(when);
        Some((
            w.ticket_resold,
            words::resold(
                lang,
                &lang.money(sold.listing.price_cents),
                &when(at),
                &payout,
                paid_out.as_deref(),
            ),
        ))
    } else {
        None
    };
    let Some((heading, text)) = gone else {
        return Err(AppError::NotFound(what).into());
    };
    let mut response = visitor.page(&super::MovedPage {
        c: visitor.chrome(None),
        heading,
        text,
        link: "/tickets".to_owned(),
        link_label: w.see_my_tickets,
    });
    *response.status_mut() = axum::http::StatusCode::GONE;
    Ok(response)
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
    let to_email = form.get("to_email").unwrap_or_default().to_owned();
    let input = TransferInput {
        to_email: to_email.clone(),
    };
    match transfers::offer(&app, holder, id, input, &visitor.audit()).await {
        Ok(_) => Ok(see_other("/transfers?sent=1")),
        Err(error) => {
            let typed = Typed {
                to_email,
                ..Typed::default()
            };
            shown_again(&app, &visitor, id, typed, error.into()).await
        }
    }
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
    let typed = Typed {
        from_resale: true,
        price: form
            .get("price")
            .unwrap_or_default()
            .chars()
            .take(40)
            .collect(),
        ..Typed::default()
    };
    let listed = match parse_reais(&typed.price) {
        None => Err(ApiError::invalid_field("price", FieldProblem::NotAnAmount)),
        Some(price_cents) => resale::list(
            &app,
            holder,
            id,
            ListingInput { price_cents },
            &visitor.audit(),
        )
        .await
        .map_err(ApiError::from),
    };
    match listed {
        Ok(_) => Ok(see_other(&format!("/tickets/{id}?listed=1"))),
        Err(problem) => shown_again(&app, &visitor, id, typed, problem).await,
    }
}

/// The ticket's page again with what was typed in its form and the problem beside it; the
/// friendly problem page when the ticket itself cannot be shown.
async fn shown_again(
    app: &App,
    visitor: &Visitor,
    id: TicketId,
    typed: Typed,
    problem: ApiError,
) -> PageResult {
    ticket_page(app, visitor, id, None, typed, Some(&problem))
        .await
        .or(Err(PageError::Problem(problem)))
}

/// `POST /tickets/{id}/resale/withdraw`: the seller takes the ticket off resale.
pub async fn withdraw_listing(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<TicketId>,
    body: Bytes,
) -> PageResult {
    visitor.form(&body)?;
    let seller = visitor.user()?;
    let listing = resale::seller_listing(&app, seller, id)
        .await?
        .ok_or_else(not_found)?;
    if let Err(error) = resale::withdraw(&app, seller, listing.listing.id, &visitor.audit()).await {
        return shown_again(&app, &visitor, id, Typed::default(), error.into()).await;
    }
    Ok(see_other(&format!("/tickets/{id}?withdrawn=1")))
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
    /// An acceptance was refused because the buyer's address is not confirmed yet.
    unverified: bool,
}

/// `GET /transfers`: transfers the buyer sent or was offered, with what they may do with each.
pub async fn transfers(
    State(app): State<App>,
    visitor: Visitor,
    RawQuery(query): RawQuery,
) -> PageResult {
    let notice = lenient_query::<Sent>(query)
        .sent
        .map(|_| visitor.w.transfer_sent.to_owned());
    let page = transfers_page(&app, &visitor, notice).await?;
    Ok(visitor.page(&page))
}

async fn transfers_page(
    app: &App,
    visitor: &Visitor,
    notice: Option<String>,
) -> PageResult<TransfersPage> {
    let user = visitor.user()?;
    let w = visitor.w;
    let lang = visitor.lang;
    let page = transfers::list(app, user, &list_page(None)).await?;
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
    Ok(TransfersPage {
        c: visitor.chrome(notice),
        rows,
        unverified: false,
    })
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
    let decided = match transfers::decide(&app, user, id, decision, &visitor.audit()).await {
        Err(AppError::EmailNotVerified) => {
            let problem = ApiError::from(AppError::EmailNotVerified);
            let mut page = transfers_page(&app, &visitor, None).await?;
            page.unverified = true;
            return Ok(super::shown_again(&visitor, &page, &problem));
        }
        decided => decided?,
    };
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
