//! What the outbox's messages say, in the recipient's language (B3): Brazilian Portuguese
//! unless their account says English; an address without an account (a transfer's invitation)
//! is written to in Portuguese. Amounts and times are written as that language writes them, in
//! the venue's time zone.
//!
//! Each mail is gathered (facts read from the store), worded (a pure function from facts to a
//! [`Letter`]) and laid out once for all kinds: HTML by the askama template `mail.html`
//! (escaped), plain text by [`Letter::text`]. The purchase mail attaches the tickets' PDF and
//! shows each ticket's QR as an inline PNG.

use crate::App;
use crate::mail::{Email, FileAttachment, InlineImage};
use askama::Template;
use bilheteria_domain::account::Email as Address;
use bilheteria_domain::half_price::{Eligibility, TicketType};
use bilheteria_domain::ids::EventId;
use bilheteria_domain::locale::{DEFAULT_TIME_ZONE, Language};
use bilheteria_domain::place::Place;
use bilheteria_domain::sales::OrderItem;
use bilheteria_domain::screen::ScreenCodes;
use bilheteria_domain::tickets::TicketStatus;
use bilheteria_store::OutboxMessage;

/// A mail, worded: what the shared layout lays out as HTML and as text.
#[derive(Clone, Debug, Default)]
pub struct Letter {
    pub language: Language,
    pub subject: String,
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub summary: Option<Summary>,
    pub tickets_heading: String,
    pub tickets: Vec<TicketCard>,
    pub action: Option<Action>,
    /// A second, plainer link after the action.
    pub also: Option<Action>,
    /// Said after the action.
    pub after: Vec<String>,
    pub closing: String,
}

#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub heading: String,
    pub lines: Vec<Line>,
    pub total: Line,
}

#[derive(Clone, Debug, Default)]
pub struct Line {
    pub label: String,
    pub amount: String,
}

#[derive(Clone, Debug, Default)]
pub struct TicketCard {
    pub place: String,
    /// "Ingresso 7F3A-91C2-0B44".
    pub reference: String,
    pub note: Option<String>,
    pub code_label: String,
    pub code: Option<String>,
    /// The inline image's content id, when the QR is shown.
    pub qr_cid: Option<String>,
    pub qr_alt: String,
}

#[derive(Clone, Debug, Default)]
pub struct Action {
    pub label: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "mail.html")]
struct HtmlMail<'a> {
    lang: &'a str,
    letter: &'a Letter,
}

impl Letter {
    fn new(language: Language) -> Self {
        Self {
            language,
            closing: say(
                language,
                "Mensagem automática da bilheteria; respostas a este endereço não são lidas.",
                "An automatic message from bilheteria; replies to this address are not read.",
            )
            .to_owned(),
            ..Self::default()
        }
    }

    pub fn html(&self) -> anyhow::Result<String> {
        Ok(HtmlMail {
            lang: self.language.as_str(),
            letter: self,
        }
        .render()?)
    }

    /// The plain-text part: the same content, in the same order, as the HTML.
    pub fn text(&self) -> String {
        let mut text = format!("{}\n\n", self.heading);
        for paragraph in &self.paragraphs {
            text.push_str(&format!("{paragraph}\n\n"));
        }
        if let Some(summary) = &self.summary {
            text.push_str(&format!("{}\n", summary.heading));
            for line in &summary.lines {
                text.push_str(&format!("  {}  {}\n", line.label, line.amount));
            }
            text.push_str(&format!(
                "  {}: {}\n\n",
                summary.total.label, summary.total.amount
            ));
        }
        if !self.tickets.is_empty() {
            text.push_str(&format!("{}\n", self.tickets_heading));
            for ticket in &self.tickets {
                text.push_str(&format!("  {}\n    {}\n", ticket.place, ticket.reference));
                if let Some(note) = &ticket.note {
                    text.push_str(&format!("    {note}\n"));
                }
                if let Some(code) = &ticket.code {
                    text.push_str(&format!("    {}: {code}\n", ticket.code_label));
                }
            }
            text.push('\n');
        }
        for action in self.action.iter().chain(&self.also) {
            text.push_str(&format!("{}: {}\n\n", action.label, action.url));
        }
        for paragraph in &self.after {
            text.push_str(&format!("{paragraph}\n\n"));
        }
        text.push_str(&format!("-- \n{}\n", self.closing));
        text
    }

    pub(crate) fn into_email(self, to: String, dedupe_key: String) -> anyhow::Result<Email> {
        Ok(Email {
            html: self.html()?,
            text: self.text(),
            to,
            language: self.language.as_str(),
            subject: self.subject,
            inline_images: Vec::new(),
            attachments: Vec::new(),
            dedupe_key,
        })
    }
}

pub async fn compose(state: &App, message: &OutboxMessage) -> anyhow::Result<Email> {
    let to = message.payload["to"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let language = language_of(state, &to).await?;
    let dedupe_key = message.dedupe_key.clone();
    match message.kind.as_str() {
        "order_paid" => paid_mail(state, message, language, to).await,
        "order_refunded" => refund_mail(state, message, language)
            .await?
            .into_email(to, dedupe_key),
        "tickets_refunded" => tickets_refund_mail(state, message, language)
            .await?
            .into_email(to, dedupe_key),
        "event_cancelled" => cancellation_mail(state, message, language)
            .await?
            .into_email(to, dedupe_key),
        "waitlist_offer" => waitlist_mail(state, message, language)
            .await?
            .into_email(to, dedupe_key),
        "listing_sold" => sale_mail(state, message, language)
            .await?
            .into_email(to, dedupe_key),
        _ => transfer_mail(state, message, language)
            .await?
            .into_email(to, dedupe_key),
    }
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

/// The address of one of the box office's pages, for a mail.
fn page(state: &App, path: &str) -> String {
    format!("{}{path}", state.settings.public_url)
}

async fn order_of(
    state: &App,
    message: &OutboxMessage,
) -> anyhow::Result<bilheteria_domain::sales::Order> {
    let order_id = message.payload["order_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("outbox message without an order"))?;
    state
        .store
        .get_order(order_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("order {order_id} not found"))
}

/// What a purchase mail tells, gathered.
#[derive(Clone, Debug, Default)]
pub struct PaidFacts {
    pub title: String,
    /// The session's start, worded.
    pub when: String,
    pub order_id: String,
    /// The order's lines, worded in the reader's language from what each bought.
    pub lines: Vec<OrderItem>,
    pub total_cents: i64,
    pub tickets: Vec<TicketFacts>,
    /// Whether the tickets are printed (PDF attached, QR shown): not for screen-only sessions.
    pub printable: bool,
    pub order_url: String,
    /// The order's wallet link: its tickets without logging in.
    pub wallet_url: String,
}

#[derive(Clone, Debug)]
pub struct TicketFacts {
    pub place: Place,
    pub reference: String,
    pub code: Option<String>,
    pub half_price: Option<Eligibility>,
}

/// The content id of a ticket's QR in its mail.
fn qr_cid(reference: &str) -> String {
    format!("qr-{reference}@bilheteria")
}

pub fn paid_letter(facts: &PaidFacts, language: Language) -> Letter {
    let title = &facts.title;
    let mut letter = Letter::new(language);
    letter.subject = say(
        language,
        format!("Seus ingressos para {title}"),
        format!("Your tickets for {title}"),
    );
    letter.heading = say(language, "Obrigado! Pedido pago", "Thank you! Order paid").to_owned();
    letter.paragraphs.push(say(
        language,
        format!(
            "Seu pedido {} para {title} ({}) está pago.",
            facts.order_id, facts.when
        ),
        format!(
            "Your order {} for {title} ({}) is paid.",
            facts.order_id, facts.when
        ),
    ));
    letter.summary = Some(Summary {
        heading: say(language, "Resumo do pedido", "Order summary").to_owned(),
        lines: facts
            .lines
            .iter()
            .map(|item| Line {
                label: format!("{} x {}", item.quantity, item.words(language)),
                amount: language.money(item.line_total().unwrap_or(0)),
            })
            .collect(),
        total: Line {
            label: "Total".to_owned(),
            amount: language.money(facts.total_cents),
        },
    });
    letter.tickets_heading = say(language, "Seus ingressos", "Your tickets").to_owned();
    letter.tickets = facts
        .tickets
        .iter()
        .map(|ticket| ticket_card(ticket, facts.printable, language))
        .collect();
    letter.action = Some(Action {
        label: say(
            language,
            "Abrir os ingressos, sem precisar entrar na conta",
            "Open the tickets, no login needed",
        )
        .to_owned(),
        url: facts.wallet_url.clone(),
    });
    letter.also = Some(Action {
        label: say(
            language,
            "O pedido, o PDF e a transferência",
            "The order, its PDF and transfers",
        )
        .to_owned(),
        url: facts.order_url.clone(),
    });
    letter.after.push(if facts.printable {
        say(
            language,
            "Na entrada, mostre o QR de cada ingresso: nesta mensagem, no PDF anexo ou no link acima, que continua abrindo sem internet depois da primeira vez.",
            "At the gate, show each ticket's QR: in this mail, in the attached PDF or at the link above, which keeps opening offline after the first time.",
        )
        .to_owned()
    } else {
        say(
            language,
            "Nesta sessão o código muda na tela: na entrada, abra seus ingressos pelo link acima ou no site.",
            "This session's code changes on screen: at the gate, open your tickets at the link above or on the site.",
        )
        .to_owned()
    });
    letter.after.push(
        say(
            language,
            "Quem tiver esse link vê os códigos dos seus ingressos: não o repasse. Se ele vazar, gere um novo na página do pedido e o antigo deixa de funcionar.",
            "Whoever has that link sees your tickets' codes: do not pass it on. If it leaks, make a new one on the order's page and the old one stops working.",
        )
        .to_owned(),
    );
    letter
}

fn ticket_card(ticket: &TicketFacts, printable: bool, language: Language) -> TicketCard {
    let place = ticket.place.words(language);
    let note = ticket.half_price.map(|ground| {
        say(
            language,
            format!(
                "MEIA-ENTRADA ({}): apresente na entrada {}",
                ground.label_pt(),
                ground.document_pt()
            ),
            format!(
                "HALF PRICE ({}): show at the gate {}",
                ground.label_en(),
                ground.document_en()
            ),
        )
    });
    let code = match &ticket.code {
        Some(code) => Some(code.clone()),
        None => Some(say(language, "(cancelado)", "(cancelled)").to_owned()),
    };
    TicketCard {
        reference: format!(
            "{} {}",
            say(language, "Ingresso", "Ticket"),
            ticket.reference
        ),
        note,
        code_label: say(language, "código", "code").to_owned(),
        qr_cid: (printable && ticket.code.is_some()).then(|| qr_cid(&ticket.reference)),
        qr_alt: say(
            language,
            format!("QR do ingresso {place}"),
            format!("QR of the ticket {place}"),
        ),
        place,
        code,
    }
}

/// The purchase mail: its tickets (those the buyer still holds) with their QR inline and their
/// PDF attached.
async fn paid_mail(
    state: &App,
    message: &OutboxMessage,
    language: Language,
    to: String,
) -> anyhow::Result<Email> {
    let order = order_of(state, message).await?;
    let (title, zone) = event_facts(state, order.event_id).await?;
    let session = state.store.get_session(order.session_id).await?;
    let when = session
        .as_ref()
        .map(|session| language.session_time(session.starts_at, &zone))
        .unwrap_or_default();
    let printable = session
        .as_ref()
        .is_some_and(|session| session.screen_codes != ScreenCodes::ScreenOnly);
    let held: Vec<_> = order
        .tickets
        .iter()
        .filter(|ticket| ticket.holder_id == order.user_id)
        .collect();
    let facts = PaidFacts {
        title,
        when,
        order_id: order.id.to_string(),
        lines: order.items.clone(),
        total_cents: order.total_cents,
        tickets: held
            .iter()
            .map(|ticket| TicketFacts {
                place: order.place_of(ticket),
                reference: crate::printing::reference(ticket.id),
                code: ticket
                    .code
                    .clone()
                    .filter(|_| ticket.status != TicketStatus::Cancelled),
                half_price: match ticket.ticket_type {
                    TicketType::Half => ticket.eligibility,
                    TicketType::Full => None,
                },
            })
            .collect(),
        printable,
        order_url: page(state, &format!("/orders/{}", order.id)),
        wallet_url: page(
            state,
            &crate::wallet::current_link(state, order.id)
                .await
                .map_err(|error| anyhow::anyhow!("the order's wallet link: {error:?}"))?,
        ),
    };
    let letter = paid_letter(&facts, language);
    let mut email = letter.into_email(to, message.dedupe_key.clone())?;
    for ticket in &facts.tickets {
        if let (true, Some(code)) = (printable, &ticket.code) {
            email.inline_images.push(InlineImage {
                content_id: qr_cid(&ticket.reference),
                png: bilheteria_print::qr_png(code, 6)?,
            });
        }
    }
    if printable && !email.inline_images.is_empty() {
        let buyer = state
            .store
            .get_user(order.user_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the buyer of order {} is gone", order.id))?;
        let printed = crate::printing::order_pdf(state, &buyer, order.id)
            .await
            .map_err(|error| anyhow::anyhow!("the order's PDF: {error:?}"))?;
        email.attachments.push(FileAttachment {
            file_name: printed.file_name,
            content_type: "application/pdf",
            bytes: printed.pdf,
        });
    }
    Ok(email)
}

pub fn refund_letter(
    title: &str,
    order_id: &str,
    total: i64,
    order_url: String,
    language: Language,
) -> Letter {
    let total = language.money(total);
    let mut letter = Letter::new(language);
    letter.subject = say(
        language,
        format!("Reembolso do seu pedido para {title}"),
        format!("Refund of your order for {title}"),
    );
    letter.heading = say(language, "Pedido reembolsado", "Order refunded").to_owned();
    letter.paragraphs = vec![
        say(
            language,
            format!("Seu pedido {order_id} para {title} foi reembolsado: {total}."),
            format!("Your order {order_id} for {title} was refunded: {total}."),
        ),
        tickets_cancelled(language),
    ];
    letter.action = Some(see_order(language, order_url));
    letter
}

/// What a refund does to an order's tickets, said to their buyer.
fn tickets_cancelled(language: Language) -> String {
    say(
        language,
        "Seus ingressos foram cancelados e não abrem mais a entrada.",
        "Its tickets are cancelled and no longer open the gate.",
    )
    .to_owned()
}

fn see_order(language: Language, order_url: String) -> Action {
    Action {
        label: say(language, "Ver o pedido", "See the order").to_owned(),
        url: order_url,
    }
}

async fn refund_mail(
    state: &App,
    message: &OutboxMessage,
    language: Language,
) -> anyhow::Result<Letter> {
    let order = order_of(state, message).await?;
    let (title, _) = event_facts(state, order.event_id).await?;
    Ok(refund_letter(
        &title,
        &order.id.to_string(),
        order.total_cents,
        page(state, &format!("/orders/{}", order.id)),
        language,
    ))
}

/// Some tickets of an order refunded: how much comes back, for which places; the rest of the
/// order stays valid.
pub fn tickets_refund_letter(
    title: &str,
    order_id: &str,
    amount: i64,
    places: &[String],
    order_url: String,
    language: Language,
) -> Letter {
    let amount = language.money(amount);
    let mut letter = Letter::new(language);
    letter.subject = say(
        language,
        format!("Reembolso de ingressos do seu pedido para {title}"),
        format!("Refund of tickets of your order for {title}"),
    );
    letter.heading = say(language, "Ingressos reembolsados", "Tickets refunded").to_owned();
    letter.paragraphs = vec![say(
        language,
        format!(
            "Reembolsamos {amount} do seu pedido {order_id} para {title}, pelo mesmo meio de pagamento, por {}:",
            if places.len() == 1 {
                "este ingresso"
            } else {
                "estes ingressos"
            }
        ),
        format!(
            "We refunded {amount} of your order {order_id} for {title}, through the same means of payment, for {}:",
            if places.len() == 1 {
                "this ticket"
            } else {
                "these tickets"
            }
        ),
    )];
    letter
        .paragraphs
        .extend(places.iter().map(|place| format!("• {place}")));
    letter.paragraphs.push(say(
        language,
        "Os ingressos reembolsados foram cancelados e não abrem mais a entrada. Os demais ingressos do pedido continuam válidos.",
        "The refunded tickets are cancelled and no longer open the gate. The order's other tickets stay valid.",
    ).to_owned());
    letter.action = Some(see_order(language, order_url));
    letter
}

async fn tickets_refund_mail(
    state: &App,
    message: &OutboxMessage,
    language: Language,
) -> anyhow::Result<Letter> {
    let order_id = message.payload["order_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("outbox message without an order"))?;
    let refund_id = message.payload["refund_id"]
        .as_str()
        .and_then(|id| id.parse::<uuid::Uuid>().ok())
        .ok_or_else(|| anyhow::anyhow!("outbox message without a refund"))?;
    let detail = state
        .store
        .order_detail(order_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("order {order_id} not found"))?;
    let refund = detail
        .ticket_refunds
        .iter()
        .find(|refund| refund.id == refund_id)
        .ok_or_else(|| anyhow::anyhow!("refund {refund_id} not found"))?;
    let places: Vec<String> = detail
        .order
        .tickets
        .iter()
        .filter(|ticket| refund.ticket_ids.contains(&ticket.id))
        .map(|ticket| {
            bilheteria_domain::place::Bought::Place {
                place: detail.order.place_of(ticket),
                resale: false,
            }
            .words(language, Some(ticket.ticket_type))
        })
        .collect();
    let (title, _) = event_facts(state, detail.order.event_id).await?;
    Ok(tickets_refund_letter(
        &title,
        &order_id.to_string(),
        refund.amount_cents,
        &places,
        page(state, &format!("/orders/{order_id}")),
        language,
    ))
}

/// A cancelled event's buyer: the event will not happen, and what they paid comes back.
pub fn cancellation_letter(
    title: &str,
    order_id: &str,
    total: i64,
    reason: Option<&str>,
    order_url: String,
    language: Language,
) -> Letter {
    let total = language.money(total);
    let mut letter = Letter::new(language);
    letter.subject = say(
        language,
        format!("{title} foi cancelado: seu dinheiro volta"),
        format!("{title} is cancelled: your money comes back"),
    );
    letter.heading = say(language, "Evento cancelado", "Event cancelled").to_owned();
    letter.paragraphs = vec![say(
        language,
        format!("O organizador cancelou {title}."),
        format!("The organizer cancelled {title}."),
    )];
    if let Some(reason) = reason {
        letter.paragraphs.push(say(
            language,
            format!("Motivo: {reason}"),
            format!("Reason: {reason}"),
        ));
    }
    letter.paragraphs.push(say(
        language,
        format!("Seu pedido {order_id} foi reembolsado pelo mesmo meio de pagamento: {total}."),
        format!("Your order {order_id} was refunded through the same means of payment: {total}."),
    ));
    letter.paragraphs.push(tickets_cancelled(language));
    letter.action = Some(see_order(language, order_url));
    letter
}

async fn cancellation_mail(
    state: &App,
    message: &OutboxMessage,
    language: Language,
) -> anyhow::Result<Letter> {
    let order = order_of(state, message).await?;
    let event = state
        .store
        .get_event(order.event_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("event {} not found", order.event_id))?;
    Ok(cancellation_letter(
        &event.title,
        &order.id.to_string(),
        order.total_cents,
        event.cancel_reason.as_deref(),
        page(state, &format!("/orders/{}", order.id)),
        language,
    ))
}

/// The link to choose a new password (`credentials`), for one hour.
pub fn password_reset_letter(link: &str, language: Language) -> Letter {
    let mut letter = Letter::new(language);
    letter.subject = say(
        language,
        "Redefinir sua senha da bilheteria",
        "Reset your bilheteria password",
    )
    .to_owned();
    letter.heading = say(language, "Redefinir a senha", "Reset your password").to_owned();
    letter.paragraphs.push(
        say(
            language,
            "Alguém (talvez você) pediu para redefinir a senha da conta deste e-mail. O link abaixo \
             vale por uma hora e uma única vez; ao usá-lo, todas as sessões da conta terminam.",
            "Someone (perhaps you) asked to reset the password of this address's account. The link \
             below works for one hour, once; using it ends every session of the account.",
        )
        .to_owned(),
    );
    letter.action = Some(Action {
        label: say(language, "Escolher uma nova senha", "Choose a new password").to_owned(),
        url: link.to_owned(),
    });
    letter.after.push(
        say(
            language,
            "Se não foi você, ignore esta mensagem: sua senha continua a mesma.",
            "If it was not you, ignore this mail: your password stays as it is.",
        )
        .to_owned(),
    );
    letter
}

/// The link that confirms an address (`credentials`), mailed at sign-up.
pub fn verify_email_letter(link: &str, name: &str, language: Language) -> Letter {
    let mut letter = Letter::new(language);
    letter.subject = say(
        language,
        "Confirme seu e-mail na bilheteria",
        "Confirm your email address at bilheteria",
    )
    .to_owned();
    letter.heading = say(
        language,
        format!("Olá, {name}! Confirme seu e-mail"),
        format!("Hello, {name}! Confirm your email address"),
    );
    letter.paragraphs.push(
        say(
            language,
            "Confirme que este e-mail é seu para receber ingressos transferidos para ele. O link \
             vale por sete dias.",
            "Confirm that this address is yours to receive tickets transferred to it. The link \
             works for seven days.",
        )
        .to_owned(),
    );
    letter.action = Some(Action {
        label: say(language, "Confirmar meu e-mail", "Confirm my email address").to_owned(),
        url: link.to_owned(),
    });
    letter.after.push(
        say(
            language,
            "Se você não criou uma conta, ignore esta mensagem.",
            "If you did not sign up, ignore this mail.",
        )
        .to_owned(),
    );
    letter
}

/// What an invitation to a team tells someone with no account yet.
#[derive(Clone, Debug)]
pub struct InvitationFacts {
    pub organization: String,
    pub inviter: String,
    pub role: bilheteria_domain::organization::MemberRole,
    /// The sign-up page, which goes on to the console once the account is made.
    pub link: String,
}

/// An address with no account invited to an organization's team (`organizations`): the link
/// to sign up with this address; confirming the address makes them a member.
pub fn invitation_letter(facts: &InvitationFacts, language: Language) -> Letter {
    use bilheteria_domain::organization::MemberRole;
    let (organization, inviter) = (&facts.organization, &facts.inviter);
    let mut letter = Letter::new(language);
    letter.subject = say(
        language,
        format!("Convite para a equipe de {organization} na bilheteria"),
        format!("An invitation to the {organization} team at bilheteria"),
    );
    letter.heading = say(
        language,
        format!("{inviter} convidou você para a equipe de {organization}"),
        format!("{inviter} invited you to the {organization} team"),
    );
    let role = match (language, facts.role) {
        (Language::PtBr, MemberRole::Owner) => "dona ou dono da organização",
        (Language::PtBr, MemberRole::Manager) => "gestão de eventos",
        (Language::PtBr, MemberRole::Finance) => "financeiro",
        (Language::PtBr, MemberRole::Checkin) => {
            "portaria: conferir ingressos na entrada com o celular"
        }
        (Language::PtBr, MemberRole::Viewer) => "consulta",
        (Language::En, MemberRole::Owner) => "owner of the organization",
        (Language::En, MemberRole::Manager) => "event management",
        (Language::En, MemberRole::Finance) => "finance",
        (Language::En, MemberRole::Checkin) => {
            "the door: checking tickets at the entrance with a phone"
        }
        (Language::En, MemberRole::Viewer) => "viewing",
    };
    letter.paragraphs.push(say(
        language,
        format!("Sua função: {role}."),
        format!("Your role: {role}."),
    ));
    letter.paragraphs.push(
        say(
            language,
            "Crie sua conta na bilheteria com este mesmo e-mail e confirme o endereço pelo link \
             que enviaremos em seguida: a partir daí você faz parte da equipe.",
            "Sign up at bilheteria with this same address and confirm it with the link we send \
             next: from then on you are on the team.",
        )
        .to_owned(),
    );
    letter.action = Some(Action {
        label: say(language, "Criar minha conta", "Sign up").to_owned(),
        url: facts.link.clone(),
    });
    letter.after.push(
        say(
            language,
            "Se você não esperava este convite, ignore esta mensagem.",
            "If you did not expect this invitation, ignore this mail.",
        )
        .to_owned(),
    );
    letter
}

/// What a waitlist offer tells.
#[derive(Clone, Debug, Default)]
pub struct WaitlistFacts {
    pub title: String,
    pub price_cents: i64,
    /// Until when the offer is the reader's alone, worded.
    pub until: String,
    pub listing_id: String,
    pub resale_url: String,
}

pub fn waitlist_letter(facts: &WaitlistFacts, language: Language) -> Letter {
    let (title, until) = (&facts.title, &facts.until);
    let price = language.money(facts.price_cents);
    let mut letter = Letter::new(language);
    letter.subject = say(
        language,
        format!("Um ingresso para {title} está reservado para você"),
        format!("A ticket for {title} is yours to buy"),
    );
    letter.heading = say(
        language,
        "Sua vez na fila de espera",
        "Your turn on the waitlist",
    )
    .to_owned();
    letter.paragraphs.push(say(
        language,
        format!(
            "Você era o primeiro da fila de espera de {title}: um ingresso é oferecido só a \
             você por {price} até {until}. Compre-o na revenda da sessão (anúncio {}).",
            facts.listing_id
        ),
        format!(
            "You were first in line for {title}: a ticket is offered to you alone at {price} \
             until {until}. Buy it from the session's resale listings (listing {}).",
            facts.listing_id
        ),
    ));
    letter.action = Some(Action {
        label: say(language, "Ver a revenda", "See the resale").to_owned(),
        url: facts.resale_url.clone(),
    });
    letter
}

/// The head of a waitlist is offered a listing, for a while.
async fn waitlist_mail(
    state: &App,
    message: &OutboxMessage,
    language: Language,
) -> anyhow::Result<Letter> {
    let listing = listing_of(state, message).await?;
    let (title, zone) = event_facts(state, listing.event_id).await?;
    Ok(waitlist_letter(
        &WaitlistFacts {
            title,
            price_cents: listing.price_cents,
            until: listing
                .offered_until
                .map(|at| language.session_time(at, &zone))
                .unwrap_or_default(),
            listing_id: listing.id.to_string(),
            resale_url: page(state, &format!("/sessions/{}/resale", listing.session_id)),
        },
        language,
    ))
}

/// The listing a message is about.
async fn listing_of(
    state: &App,
    message: &OutboxMessage,
) -> anyhow::Result<bilheteria_domain::resale::Listing> {
    let listing_id = message.payload["listing_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("outbox message without a listing"))?;
    let listing = state
        .store
        .get_listing(listing_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("listing {listing_id} not found"))?;
    Ok(listing)
}

/// What the seller's mail of a ticket sold on resale tells.
#[derive(Clone, Debug, Default)]
pub struct SaleFacts {
    pub title: String,
    pub price_cents: i64,
    pub payout_cents: i64,
    pub ticket_url: String,
}

/// The seller's mail of a ticket sold on resale: for how much, and what they are paid back.
pub fn sale_letter(facts: &SaleFacts, language: Language) -> Letter {
    let title = &facts.title;
    let (price, payout) = (
        language.money(facts.price_cents),
        language.money(facts.payout_cents),
    );
    let mut letter = Letter::new(language);
    letter.subject = say(
        language,
        format!("Seu ingresso para {title} foi vendido"),
        format!("Your ticket for {title} was sold"),
    );
    letter.heading = say(
        language,
        "Ingresso vendido na revenda",
        "Ticket sold on resale",
    )
    .to_owned();
    letter.paragraphs.push(say(
        language,
        format!(
            "Seu ingresso para {title} foi vendido na revenda por {price}. Você vai receber \
             {payout}, devolvidos no meio de pagamento da sua compra."
        ),
        format!(
            "Your ticket for {title} was sold on resale for {price}. You will receive {payout}, \
             paid back to how you paid for it."
        ),
    ));
    letter.action = Some(Action {
        label: say(language, "Ver o ingresso", "See the ticket").to_owned(),
        url: facts.ticket_url.clone(),
    });
    letter
}

async fn sale_mail(
    state: &App,
    message: &OutboxMessage,
    language: Language,
) -> anyhow::Result<Letter> {
    let listing = listing_of(state, message).await?;
    let payout_cents = state
        .store
        .seller_listing(listing.ticket_id, listing.seller_id)
        .await?
        .map_or(0, |sold| sold.payout_cents);
    let (title, _) = event_facts(state, listing.event_id).await?;
    Ok(sale_letter(
        &SaleFacts {
            title,
            price_cents: listing.price_cents,
            payout_cents,
            ticket_url: page(state, &format!("/tickets/{}", listing.ticket_id)),
        },
        language,
    ))
}

/// What a transfer's mails tell.
#[derive(Clone, Debug, Default)]
pub struct TransferFacts {
    pub sender: String,
    pub title: String,
    pub to: String,
    pub transfer_id: String,
    pub ticket_id: String,
    /// When the offer lapses, worded.
    pub expires: String,
    pub transfers_url: String,
    pub tickets_url: String,
}

/// The mails of a transfer (S10): the offer to the recipient (an invitation to sign up with that
/// address if they have no account), and each decision to the other party.
pub fn transfer_letter(
    kind: &str,
    facts: &TransferFacts,
    language: Language,
) -> anyhow::Result<Letter> {
    let TransferFacts {
        sender,
        title,
        to,
        transfer_id: id,
        ticket_id: ticket,
        expires,
        ..
    } = facts;
    let mut letter = Letter::new(language);
    let (subject, heading, paragraph, action) = match kind {
        "transfer_offered" => (
            // The sender's name is free text: kept out of the subject, where it would read as
            // the box office's own words.
            say(
                language,
                format!("Um ingresso para {title} está sendo enviado para você"),
                format!("A ticket for {title} is being sent to you"),
            ),
            say(language, "Um ingresso para você", "A ticket for you"),
            say(
                language,
                format!(
                    "{sender} quer passar para você um ingresso para {title}. Entre (ou crie uma \
                     conta com este e-mail, {to}, e confirme-o) e aceite-o nas suas \
                     transferências até {expires}. Transferência {id}."
                ),
                format!(
                    "{sender} wants to give you a ticket for {title}. Sign in (or create an \
                     account with this email address, {to}, and confirm it) and accept it under \
                     your transfers before {expires}. Transfer {id}."
                ),
            ),
            Some((
                say(language, "Ver suas transferências", "See your transfers"),
                &facts.transfers_url,
            )),
        ),
        "transfer_accepted" => (
            say(
                language,
                format!("Seu ingresso para {title} foi aceito"),
                format!("Your ticket for {title} was accepted"),
            ),
            say(language, "Transferência aceita", "Transfer accepted"),
            say(
                language,
                format!(
                    "{to} aceitou o ingresso que você enviou para {title}. Agora ele é dessa \
                     pessoa, com um novo código; o seu não abre mais a entrada."
                ),
                format!(
                    "{to} accepted the ticket you sent for {title}. It is theirs now, with a new \
                     code; yours no longer opens the gate."
                ),
            ),
            None,
        ),
        "ticket_received" => (
            say(
                language,
                format!("Seu ingresso para {title}"),
                format!("Your ticket for {title}"),
            ),
            say(language, "O ingresso é seu", "The ticket is yours"),
            say(
                language,
                format!(
                    "O ingresso que {sender} enviou para {title} é seu. Baixe-o em seus \
                     ingressos: ingresso {ticket}."
                ),
                format!(
                    "The ticket {sender} sent you for {title} is yours. Download it from your \
                     tickets: ticket {ticket}."
                ),
            ),
            Some((
                say(language, "Ver seus ingressos", "See your tickets"),
                &facts.tickets_url,
            )),
        ),
        "transfer_declined" => (
            say(
                language,
                format!("Seu ingresso para {title} foi recusado"),
                format!("Your ticket for {title} was declined"),
            ),
            say(language, "Transferência recusada", "Transfer declined"),
            say(
                language,
                format!(
                    "{to} recusou o ingresso que você ofereceu para {title}. Ele continua seu."
                ),
                format!("{to} declined the ticket you offered for {title}. It is still yours."),
            ),
            None,
        ),
        "transfer_cancelled" => (
            say(
                language,
                format!("O ingresso para {title} não está mais oferecido a você"),
                format!("The ticket for {title} is no longer offered to you"),
            ),
            say(language, "Transferência cancelada", "Transfer cancelled"),
            say(
                language,
                format!("{sender} cancelou o ingresso que havia oferecido a você para {title}."),
                format!("{sender} cancelled the ticket they offered you for {title}."),
            ),
            None,
        ),
        other => anyhow::bail!("unknown outbox message kind {other}"),
    };
    letter.subject = subject;
    letter.heading = heading.to_owned();
    letter.paragraphs.push(paragraph);
    letter.action = action.map(|(label, url)| Action {
        label: label.to_owned(),
        url: url.clone(),
    });
    Ok(letter)
}

async fn transfer_mail(
    state: &App,
    message: &OutboxMessage,
    language: Language,
) -> anyhow::Result<Letter> {
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
    let facts = TransferFacts {
        sender,
        title,
        to: transfer.to_email.clone(),
        transfer_id: transfer.id.to_string(),
        ticket_id: transfer.ticket_id.to_string(),
        expires: language.session_time(transfer.expires_at, &zone),
        transfers_url: page(state, "/transfers"),
        tickets_url: page(state, "/tickets"),
    };
    transfer_letter(&message.kind, &facts, language)
}

#[cfg(test)]
mod tests {
    //! Snapshots of every mail, in both languages: the subject, the text part and the HTML part
    //! as the reader gets them, compared with the files under `snapshots/mails/`. After a wanted
    //! change, `BILHETERIA_BLESS=1 cargo test -p bilheteria-app mails::` writes them anew.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use bilheteria_domain::place::Bought;
    use bilheteria_domain::sales::ItemKind;

    fn place(number: i64) -> Place {
        Place::Seat {
            section: "Plateia".into(),
            row: "A".into(),
            number,
        }
    }

    fn seat(number: i64) -> Bought {
        Bought::Place {
            place: place(number),
            resale: false,
        }
    }

    fn line(
        quantity: i64,
        bought: Bought,
        ticket_type: Option<TicketType>,
        unit_price_cents: i64,
    ) -> OrderItem {
        OrderItem {
            kind: ItemKind::Seat,
            reference_id: String::new(),
            description: String::new(),
            quantity,
            unit_price_cents,
            ticket_type,
            eligibility: None,
            bought,
        }
    }

    fn paid() -> PaidFacts {
        PaidFacts {
            title: "Música & Código <ao vivo>".into(),
            when: "sábado, 6 de março de 2027, 20:00 (UTC−03:00)".into(),
            order_id: "0190a0a0-0000-7000-8000-000000000001".into(),
            lines: vec![
                line(1, seat(1), Some(TicketType::Full), 12_000),
                line(1, seat(2), Some(TicketType::Half), 6_000),
                line(
                    1,
                    Bought::Place {
                        place: Place::Standing {
                            section: Some("Pista".into()),
                        },
                        resale: true,
                    },
                    Some(TicketType::Full),
                    9_000,
                ),
                line(
                    2,
                    Bought::Product {
                        name: "Água".into(),
                    },
                    None,
                    500,
                ),
            ],
            total_cents: 28_000,
            tickets: vec![
                TicketFacts {
                    place: place(1),
                    reference: "7F3A-91C2-0B44".into(),
                    code: Some("BH1.AAAA-signed-code".into()),
                    half_price: None,
                },
                TicketFacts {
                    place: place(2),
                    reference: "1C2D-3E4F-5A6B".into(),
                    code: Some("BH1.BBBB-signed-code".into()),
                    half_price: Some(Eligibility::Student),
                },
            ],
            printable: true,
            order_url: "https://bilheteria.example/orders/0190a0a0-0000-7000-8000-000000000001"
                .into(),
            wallet_url: "https://bilheteria.example/wallet/0190a0a0-0000-7000-8000-000000000001/c2lnbmVkLXRhZy1oZXJl"
                .into(),
        }
    }

    fn transfer() -> TransferFacts {
        TransferFacts {
            sender: "Zé <script>".into(),
            title: "Música ao vivo".into(),
            to: "ana@example.com".into(),
            transfer_id: "0190a0a0-0000-7000-8000-000000000002".into(),
            ticket_id: "0190a0a0-0000-7000-8000-000000000003".into(),
            expires: "9 de março de 2027, 20:00".into(),
            transfers_url: "https://bilheteria.example/transfers".into(),
            tickets_url: "https://bilheteria.example/tickets".into(),
        }
    }

    /// Every kind of mail, worded in `language`.
    fn letters(language: Language) -> Vec<(&'static str, Letter)> {
        let mut letters = vec![
            ("order_paid", paid_letter(&paid(), language)),
            (
                "order_paid_screen_only",
                paid_letter(
                    &PaidFacts {
                        printable: false,
                        ..paid()
                    },
                    language,
                ),
            ),
            (
                "order_refunded",
                refund_letter(
                    "Música ao vivo",
                    "0190a0a0-0000-7000-8000-000000000001",
                    19_000,
                    "https://bilheteria.example/orders/1".into(),
                    language,
                ),
            ),
            (
                "tickets_refunded",
                tickets_refund_letter(
                    "Música ao vivo",
                    "0190a0a0-0000-7000-8000-000000000001",
                    4_750,
                    &[
                        "Plateia, fila A, assento 2 (meia-entrada)".into(),
                        "Pista (em pé)".into(),
                    ],
                    "https://bilheteria.example/orders/1".into(),
                    language,
                ),
            ),
            (
                "event_cancelled",
                cancellation_letter(
                    "Música ao vivo",
                    "0190a0a0-0000-7000-8000-000000000001",
                    19_000,
                    Some("Chuva forte <no estádio>"),
                    "https://bilheteria.example/orders/1".into(),
                    language,
                ),
            ),
            (
                "waitlist_offer",
                waitlist_letter(
                    &WaitlistFacts {
                        title: "Música ao vivo".into(),
                        price_cents: 9_000,
                        until: "6 de março de 2027, 18:15".into(),
                        listing_id: "0190a0a0-0000-7000-8000-000000000004".into(),
                        resale_url: "https://bilheteria.example/sessions/5/resale".into(),
                    },
                    language,
                ),
            ),
        ];
        letters.push((
            "listing_sold",
            sale_letter(
                &SaleFacts {
                    title: "Música ao vivo".into(),
                    price_cents: 9_000,
                    payout_cents: 8_550,
                    ticket_url: "https://bilheteria.example/tickets/3".into(),
                },
                language,
            ),
        ));
        letters.push((
            "team_invitation",
            invitation_letter(
                &InvitationFacts {
                    organization: "Casa de Shows Aurora".into(),
                    inviter: "Zoë".into(),
                    role: bilheteria_domain::organization::MemberRole::Checkin,
                    link: "https://bilheteria.example/register?next=/organizer/1/door".into(),
                },
                language,
            ),
        ));
        letters.push((
            "password_reset",
            password_reset_letter("https://bilheteria.example/password-reset/TOKEN", language),
        ));
        letters.push((
            "verify_email",
            verify_email_letter(
                "https://bilheteria.example/verify-email/TOKEN",
                "Zoë",
                language,
            ),
        ));
        for kind in [
            "transfer_offered",
            "transfer_accepted",
            "ticket_received",
            "transfer_declined",
            "transfer_cancelled",
        ] {
            letters.push((kind, transfer_letter(kind, &transfer(), language).unwrap()));
        }
        letters
    }

    fn rendered(letter: &Letter) -> String {
        format!(
            "Subject: {}\n\n===== text/plain =====\n{}\n===== text/html =====\n{}\n",
            letter.subject,
            letter.text(),
            letter.html().unwrap()
        )
    }

    #[test]
    fn every_mail_matches_its_snapshot_in_both_languages() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/mails");
        let bless = std::env::var_os("BILHETERIA_BLESS").is_some();
        let mut differ = Vec::new();
        for language in [Language::PtBr, Language::En] {
            for (kind, letter) in letters(language) {
                let path = dir.join(format!("{kind}.{}.txt", language.as_str()));
                let now = rendered(&letter);
                if bless {
                    std::fs::create_dir_all(&dir).unwrap();
                    std::fs::write(&path, &now).unwrap();
                } else if std::fs::read_to_string(&path).ok().as_deref() != Some(now.as_str()) {
                    differ.push(path.display().to_string());
                }
            }
        }
        assert!(
            differ.is_empty(),
            "mails differ from their snapshots (BILHETERIA_BLESS=1 to accept): {differ:?}"
        );
    }

    #[test]
    fn the_html_part_escapes_what_people_typed() {
        let html = transfer_letter("transfer_cancelled", &transfer(), Language::PtBr)
            .unwrap()
            .html()
            .unwrap();
        assert!(html.contains("Zé &#60;script&#62;") || html.contains("Zé &lt;script&gt;"));
        assert!(!html.contains("<script>"));
        let paid_html = paid_letter(&paid(), Language::En).html().unwrap();
        assert!(paid_html.contains("<html lang=\"en\">"));
        assert!(paid_html.contains("src=\"cid:qr-7F3A-91C2-0B44@bilheteria\""));
        assert!(!paid_html.contains("<ao vivo>"));
    }

    #[test]
    fn screen_only_tickets_show_no_qr() {
        let letter = paid_letter(
            &PaidFacts {
                printable: false,
                ..paid()
            },
            Language::PtBr,
        );
        assert!(letter.tickets.iter().all(|card| card.qr_cid.is_none()));
        assert!(!letter.html().unwrap().contains("cid:"));
    }
}
