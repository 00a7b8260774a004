//! Background work of every server node: expiring holds, reconciling payments, delivering the
//! outbox, chaining queued audit entries. Each pass is a plain async function (tests call them
//! directly); `spawn` runs them on timers. On PostgreSQL several nodes may run them at once: work
//! is claimed with leases and `FOR UPDATE SKIP LOCKED`.

use crate::App;
use crate::mail::Email;
use crate::sales;
use bilheteria_domain::locale::DEFAULT_TIME_ZONE;
use bilheteria_domain::sales::Order;
use bilheteria_store::OutboxMessage;
use std::time::Duration;

/// Runs every pass on its timer, for as long as the process lives.
pub fn spawn(state: &App) {
    let period = state.settings.sweep_interval;
    every(period, "holds", state.clone(), |s| async move {
        sweep_holds(&s).await.map(drop)
    });
    every(period, "waitlist", state.clone(), |s| async move {
        Ok(s.store.pass_lapsed_offers(s.clock.now()).await.map(drop)?)
    });
    every(period, "payments", state.clone(), |s| async move {
        sales::reconcile(&s).await.map(drop)
    });
    every(
        Duration::from_millis(500),
        "outbox",
        state.clone(),
        |s| async move { deliver_outbox(&s).await.map(drop) },
    );
    every(
        Duration::from_millis(200),
        "audit",
        state.clone(),
        |s| async move { Ok(s.store.chain_queued_audit().await.map(drop)?) },
    );
    every(
        Duration::from_secs(1),
        "queue",
        state.clone(),
        |s| async move { s.queue.tick(s.store.as_ref(), s.clock.now()).await },
    );
}

fn every<F, Fut>(period: Duration, name: &'static str, state: App, pass: F)
where
    F: Fn(App) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(error) = pass(state.clone()).await {
                tracing::warn!(worker = name, %error, "background pass failed");
            }
        }
    });
}

/// Releases holds past their expiry, in batches.
pub async fn sweep_holds(state: &App) -> anyhow::Result<u64> {
    let mut total = 0;
    loop {
        let released = state.store.expire_holds(state.clock.now(), 500).await?;
        total += released;
        if released < 500 {
            break;
        }
    }
    if total > 0 {
        metrics::counter!("holds_expired_total").increment(total);
    }
    Ok(total)
}

/// Delivers due outbox messages; a failure is retried with exponential backoff, and a message
/// that keeps failing is parked as dead for an admin to see. Mail never blocks a purchase: this
/// runs after the purchase has committed.
pub async fn deliver_outbox(state: &App) -> anyhow::Result<usize> {
    let now = state.clock.now();
    metrics::gauge!("outbox_lag_seconds").set(state.store.outbox_lag_seconds(now).await?);
    let messages = state
        .store
        .claim_outbox(now, now + time::Duration::seconds(60), 50)
        .await?;
    for message in &messages {
        let sent = match compose(state, message).await {
            Ok(email) => state.mail.send(email).await,
            Err(error) => Err(error),
        };
        match sent {
            Ok(()) => {
                state
                    .store
                    .outbox_sent(message.id, state.clock.now())
                    .await?;
                metrics::counter!("outbox_delivered_total", "kind" => message.kind.clone())
                    .increment(1);
            }
            Err(error) => {
                let attempts = u32::try_from(message.attempts).unwrap_or(u32::MAX);
                let retry_at = (attempts < state.settings.outbox_max_attempts).then(|| {
                    let backoff = state.settings.outbox_backoff.as_secs_f64()
                        * 2f64.powi(attempts.min(16) as i32 - 1);
                    state.clock.now() + time::Duration::seconds_f64(backoff.min(3600.0))
                });
                let outcome = if retry_at.is_some() { "retry" } else { "dead" };
                tracing::warn!(message = %message.id, attempts, %error, outcome, "mail delivery failed");
                metrics::counter!("outbox_failures_total", "outcome" => outcome).increment(1);
                state
                    .store
                    .outbox_failed(message.id, &format!("{error:#}"), retry_at)
                    .await?;
            }
        }
    }
    Ok(messages.len())
}

async fn compose(state: &App, message: &OutboxMessage) -> anyhow::Result<Email> {
    let to = message.payload["to"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (subject, body) = match message.kind.as_str() {
        "order_paid" | "order_refunded" => order_mail(state, message).await?,
        "waitlist_offer" => waitlist_mail(state, message).await?,
        _ => transfer_mail(state, message).await?,
    };
    Ok(Email {
        to,
        subject,
        body,
        dedupe_key: message.dedupe_key.clone(),
    })
}

/// The event's title and its venue's time zone, as a mail words them.
async fn event_facts(
    state: &App,
    event: bilheteria_domain::ids::EventId,
) -> anyhow::Result<(String, String)> {
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

async fn order_mail(state: &App, message: &OutboxMessage) -> anyhow::Result<(String, String)> {
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
            format!("Your tickets for {title}"),
            purchase_text(&title, &order),
        )
    } else {
        (
            format!("Refund of your order for {title}"),
            format!(
                "Your order {} for {title} was refunded: {} {}.\nIts tickets are cancelled.\n",
                order.id,
                money(order.total_cents),
                order.currency.as_str()
            ),
        )
    })
}

/// The head of a waitlist is offered a listing, for a while.
async fn waitlist_mail(state: &App, message: &OutboxMessage) -> anyhow::Result<(String, String)> {
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
        .map(|at| bilheteria_domain::locale::session_time_pt(at, &zone))
        .unwrap_or_default();
    Ok((
        format!("A ticket for {title} is yours to buy"),
        format!(
            "You were first in line for {title}: a ticket is offered to you alone at {} until {until}. \
             Buy it from the session's resale listings (listing {}).\n",
            bilheteria_domain::locale::brl(listing.price_cents),
            listing.id
        ),
    ))
}

/// The mails of a transfer (S10): the offer to the recipient (an invitation to sign up with that
/// address if they have no account), and each decision to the other party.
async fn transfer_mail(state: &App, message: &OutboxMessage) -> anyhow::Result<(String, String)> {
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
    Ok(match message.kind.as_str() {
        "transfer_offered" => (
            format!("{sender} is sending you a ticket for {title}"),
            format!(
                "{sender} wants to give you a ticket for {title}.\n\n\
                 Sign in (or create an account with this email address, {to}) and accept it under \
                 your transfers before {expires}. Transfer {id}.\n",
                to = transfer.to_email,
                expires = bilheteria_domain::locale::session_time_pt(transfer.expires_at, &zone),
                id = transfer.id,
            ),
        ),
        "transfer_accepted" => (
            format!("Your ticket for {title} was accepted"),
            format!(
                "{} accepted the ticket you sent for {title}. It is theirs now, with a new code; \
                 yours no longer opens the gate.\n",
                transfer.to_email
            ),
        ),
        "ticket_received" => (
            format!("Your ticket for {title}"),
            format!(
                "The ticket {sender} sent you for {title} is yours. Download it from your tickets: \
                 ticket {}.\n",
                transfer.ticket_id
            ),
        ),
        "transfer_declined" => (
            format!("Your ticket for {title} was declined"),
            format!(
                "{} declined the ticket you offered for {title}. It is still yours.\n",
                transfer.to_email
            ),
        ),
        "transfer_cancelled" => (
            format!("The ticket for {title} is no longer offered to you"),
            format!("{sender} cancelled the ticket they offered you for {title}.\n"),
        ),
        other => anyhow::bail!("unknown outbox message kind {other}"),
    })
}

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn purchase_text(title: &str, order: &Order) -> String {
    let mut text = format!(
        "Thank you! Your order {} for {title} is paid.\n\nOrder summary\n",
        order.id
    );
    for item in &order.items {
        text.push_str(&format!(
            "  {} x {}  {} {}\n",
            item.quantity,
            item.description,
            money(item.unit_price_cents * item.quantity),
            order.currency.as_str()
        ));
    }
    text.push_str(&format!(
        "  Total: {} {}\n\nYour tickets\n",
        money(order.total_cents),
        order.currency.as_str()
    ));
    for ticket in &order.tickets {
        let place = match &ticket.seat {
            Some(seat) => format!("{}, row {}, seat {}", seat.section, seat.row, seat.number),
            None => "standing".to_owned(),
        };
        let code = ticket.code.as_deref().unwrap_or("(cancelled)");
        text.push_str(&format!(
            "  {place}\n    ticket {}\n    code {code}\n",
            ticket.id
        ));
    }
    text.push_str("\nShow the code (or its QR) at the gate.\n");
    text
}
