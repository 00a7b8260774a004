//! What the outbox's messages say, in the recipient's language (B3): Brazilian Portuguese
//! unless their account says English; an address without an account (a transfer's invitation)
//! is written to in Portuguese. Amounts and times are written as that language writes them, in
//! the venue's time zone.

use crate::App;
use crate::mail::Email;
use bilheteria_domain::account::Email as Address;
use bilheteria_domain::half_price::TicketType;
use bilheteria_domain::ids::EventId;
use bilheteria_domain::locale::{DEFAULT_TIME_ZONE, Language};
use bilheteria_domain::sales::Order;
use bilheteria_store::OutboxMessage;

pub async fn compose(state: &App, message: &OutboxMessage) -> anyhow::Result<Email> {
    let to = message.payload["to"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let language = language_of(state, &to).await?;
    let (subject, body) = match message.kind.as_str() {
        "order_paid" | "order_refunded" => order_mail(state, message, language).await?,
        "waitlist_offer" => waitlist_mail(state, message, language).await?,
        _ => transfer_mail(state, message, language).await?,
    };
    Ok(Email {
        to,
        subject,
        body,
        dedupe_key: message.dedupe_key.clone(),
    })
}

/// The language of the account at `address`; Portuguese without one.
async fn language_of(state: &App, address: &str) -> anyhow::Result<Language> {
    let Ok(parsed) = Address::parse(address) else {
        return Ok(Language::default());
    };
    Ok(state
        .store
        .find_credentials(parsed.normalized())
        .await?
        .map_or_else(Language::default, |found| found.user.language))
}

/// `pt` or `en`, as `language` reads.
fn say<T>(language: Language, pt: T, en: T) -> T {
    match language {
        Language::PtBr => pt,
        Language::En => en,
    }
}

/// The event's title and its venue's time zone, as a mail words them.
async fn event_facts(state: &App, event: EventId) -> anyhow::Result<(String, String)> {
    let Some(event) = state.store.get_event(event).await? else {
        return Ok((String::new(), DEFAULT_TIME_ZONE.to_owned()));
    };
    let zone = state
        .store
        .get_venue(event.venue_id)
        .await?
        .map_or_else(|| DEFAULT_TIME_ZONE.to_owned(), |venue| venue.time_zone);
    Ok((event.title, zone))
}

async fn order_mail(
    state: &App,
    message: &OutboxMessage,
    language: Language,
) -> anyhow::Result<(String, String)> {
    let order_id = message.payload["order_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("outbox message without an order"))?;
    let order = state
        .store
        .get_order(order_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("order {order_id} not found"))?;
    let (title, _) = event_facts(state, order.event_id).await?;
    Ok(if message.kind == "order_paid" {
        (
            say(
                language,
                format!("Seus ingressos para {title}"),
                format!("Your tickets for {title}"),
            ),
            purchase_text(
                &title,
                &order,
                language,
                &page(state, &format!("/orders/{}", order.id)),
            ),
        )
    } else {
        let total = language.money(order.total_cents);
        (
            say(
                language,
                format!("Reembolso do seu pedido para {title}"),
                format!("Refund of your order for {title}"),
            ),
            say(
                language,
                format!(
                    "Seu pedido {} para {title} foi reembolsado: {total}.\nSeus ingressos foram cancelados.\n{}\n",
                    order.id,
                    page(state, &format!("/orders/{}", order.id))
                ),
                format!(
                    "Your order {} for {title} was refunded: {total}.\nIts tickets are cancelled.\n{}\n",
                    order.id,
                    page(state, &format!("/orders/{}", order.id))
                ),
            ),
        )
    })
}

/// The address of one of the box office's pages, for a mail.
fn page(state: &App, path: &str) -> String {
    format!("{}{path}", state.settings.public_url)
}

fn purchase_text(title: &str, order: &Order, language: Language, link: &str) -> String {
    let mut text = say(
        language,
        format!(
            "Obrigado! Seu pedido {} para {title} está pago.\n\nResumo do pedido\n",
            order.id
        ),
        format!(
            "Thank you! Your order {} for {title} is paid.\n\nOrder summary\n",
            order.id
        ),
    );
    for item in &order.items {
        text.push_str(&format!(
            "  {} x {}  {}\n",
            item.quantity,
            item.description,
            language.money(item.unit_price_cents * item.quantity)
        ));
    }
    text.push_str(&say(
        language,
        format!(
            "  Total: {}\n\nSeus ingressos\n",
            language.money(order.total_cents)
        ),
        format!(
            "  Total: {}\n\nYour tickets\n",
            language.money(order.total_cents)
        ),
    ));
    for ticket in &order.tickets {
        let place = match &ticket.seat {
            Some(seat) => say(
                language,
                format!(
                    "{}, fila {}, assento {}",
                    seat.section, seat.row, seat.number
                ),
                format!("{}, row {}, seat {}", seat.section, seat.row, seat.number),
            ),
            None => say(language, "em pé", "standing").to_owned(),
        };
        let code = ticket
            .code
            .as_deref()
            .unwrap_or(say(language, "(cancelado)", "(cancelled)"));
        text.push_str(&format!(
            "  {place}\n    {} {}\n    {} {code}\n",
            say(language, "ingresso", "ticket"),
            ticket.id,
            say(language, "código", "code"),
        ));
        if let (TicketType::Half, Some(ground)) = (ticket.ticket_type, ticket.eligibility) {
            text.push_str(&say(
                language,
                format!(
                    "    MEIA-ENTRADA ({}): apresente na entrada {}\n",
                    ground.label_pt(),
                    ground.document_pt()
                ),
                format!(
                    "    HALF PRICE ({}): show at the gate {}\n",
                    ground.label_en(),
                    ground.document_en()
                ),
            ));
        }
    }
    text.push_str(&say(
        language,
        format!("\nApresente o código (ou o QR dele) na entrada. Seus ingressos, o PDF e a transferência: {link}\n"),
        format!("\nShow the code (or its QR) at the gate. Your tickets, their PDF and transfers: {link}\n"),
    ));
    text
}

/// The head of a waitlist is offered a listing, for a while.
async fn waitlist_mail(
    state: &App,
    message: &OutboxMessage,
    language: Language,
) -> anyhow::Result<(String, String)> {
    let listing_id = message.payload["listing_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("outbox message without a listing"))?;
    let listing = state
        .store
        .get_listing(listing_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("listing {listing_id} not found"))?;
    let (title, zone) = event_facts(state, listing.event_id).await?;
    let until = listing
        .offered_until
        .map(|at| language.session_time(at, &zone))
        .unwrap_or_default();
    let price = language.money(listing.price_cents);
    Ok((
        say(
            language,
            format!("Um ingresso para {title} está reservado para você"),
            format!("A ticket for {title} is yours to buy"),
        ),
        say(
            language,
            format!(
                "Você era o primeiro da fila de espera de {title}: um ingresso é oferecido só a \
                 você por {price} até {until}. Compre-o na revenda da sessão (anúncio {}).\n",
                listing.id
            ),
            format!(
                "You were first in line for {title}: a ticket is offered to you alone at {price} \
                 until {until}. Buy it from the session's resale listings (listing {}).\n",
                listing.id
            ),
        ),
    ))
}

/// The mails of a transfer (S10): the offer to the recipient (an invitation to sign up with that
/// address if they have no account), and each decision to the other party.
async fn transfer_mail(
    state: &App,
    message: &OutboxMessage,
    language: Language,
) -> anyhow::Result<(String, String)> {
    let transfer_id = message.payload["transfer_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("outbox message {} without a transfer", message.kind))?;
    let transfer = state
        .store
        .get_transfer(transfer_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("transfer {transfer_id} not found"))?;
    let (title, zone) = event_facts(state, transfer.event_id).await?;
    let sender = state
        .store
        .get_user(transfer.from_user_id)
        .await?
        .map(|user| user.name)
        .unwrap_or_default();
    let (to, id, ticket) = (&transfer.to_email, transfer.id, transfer.ticket_id);
    let expires = language.session_time(transfer.expires_at, &zone);
    let transfers = page(state, "/transfers");
    let (pt, en) = match message.kind.as_str() {
        "transfer_offered" => (
            (
                // The sender's name is free text: kept out of the subject, where it would read
                // as the box office's own words.
                format!("Um ingresso para {title} está sendo enviado para você"),
                format!(
                    "{sender} quer passar para você um ingresso para {title}.\n\n\
                     Entre (ou crie uma conta com este e-mail, {to}) e aceite-o nas suas \
                     transferências até {expires}: {transfers}\nTransferência {id}.\n"
                ),
            ),
            (
                format!("A ticket for {title} is being sent to you"),
                format!(
                    "{sender} wants to give you a ticket for {title}.\n\n\
                     Sign in (or create an account with this email address, {to}) and accept it \
                     under your transfers before {expires}: {transfers}\nTransfer {id}.\n"
                ),
            ),
        ),
        "transfer_accepted" => (
            (
                format!("Seu ingresso para {title} foi aceito"),
                format!(
                    "{to} aceitou o ingresso que você enviou para {title}. Agora ele é dessa \
                     pessoa, com um novo código; o seu não abre mais a entrada.\n"
                ),
            ),
            (
                format!("Your ticket for {title} was accepted"),
                format!(
                    "{to} accepted the ticket you sent for {title}. It is theirs now, with a new \
                     code; yours no longer opens the gate.\n"
                ),
            ),
        ),
        "ticket_received" => (
            (
                format!("Seu ingresso para {title}"),
                format!(
                    "O ingresso que {sender} enviou para {title} é seu. Baixe-o em seus \
                     ingressos: ingresso {ticket}.\n"
                ),
            ),
            (
                format!("Your ticket for {title}"),
                format!(
                    "The ticket {sender} sent you for {title} is yours. Download it from your \
                     tickets: ticket {ticket}.\n"
                ),
            ),
        ),
        "transfer_declined" => (
            (
                format!("Seu ingresso para {title} foi recusado"),
                format!(
                    "{to} recusou o ingresso que você ofereceu para {title}. Ele continua seu.\n"
                ),
            ),
            (
                format!("Your ticket for {title} was declined"),
                format!("{to} declined the ticket you offered for {title}. It is still yours.\n"),
            ),
        ),
        "transfer_cancelled" => (
            (
                format!("O ingresso para {title} não está mais oferecido a você"),
                format!("{sender} cancelou o ingresso que havia oferecido a você para {title}.\n"),
            ),
            (
                format!("The ticket for {title} is no longer offered to you"),
                format!("{sender} cancelled the ticket they offered you for {title}.\n"),
            ),
        ),
        other => anyhow::bail!("unknown outbox message kind {other}"),
    };
    Ok(say(language, pt, en))
}
