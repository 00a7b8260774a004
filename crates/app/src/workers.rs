//! Background work of every server node: expiring holds, reconciling payments, delivering the
//! outbox, chaining queued audit entries. Each pass is a plain async function (tests call them
//! directly); `spawn` runs them on timers. On PostgreSQL several nodes may run them at once: work
//! is claimed with leases and `FOR UPDATE SKIP LOCKED`.

use crate::App;
use crate::load::SalePace;
use crate::sales;
use std::time::Duration;
use time::OffsetDateTime;

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
    let pace = std::sync::Arc::new(SalePace::new(&state.load));
    every(
        Duration::from_millis(500),
        "outbox",
        state.clone(),
        move |s| {
            let selling = pace.selling(&s.load);
            async move {
                if selling {
                    deliver_overdue_outbox(&s).await.map(drop)
                } else {
                    deliver_outbox(&s).await.map(drop)
                }
            }
        },
    );
    every(
        Duration::from_millis(200),
        "audit",
        state.clone(),
        |s| async move { Ok(s.store.chain_queued_audit().await.map(drop)?) },
    );
    every(
        Duration::from_secs(60),
        "credential limits",
        state.clone(),
        |s| async move {
            s.credential_limits.forget_idle();
            Ok(())
        },
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
    deliver_outbox_due_by(state, state.clock.now()).await
}

/// The outbox's pass while a sale runs at pace: only mail that has waited longer than
/// `mail_defer_while_selling` goes out; the rest waits for the pace to drop.
pub async fn deliver_overdue_outbox(state: &App) -> anyhow::Result<usize> {
    let defer = time::Duration::try_from(state.settings.mail_defer_while_selling)
        .unwrap_or(time::Duration::ZERO);
    deliver_outbox_due_by(state, state.clock.now() - defer).await
}

async fn deliver_outbox_due_by(state: &App, due_by: OffsetDateTime) -> anyhow::Result<usize> {
    let now = state.clock.now();
    metrics::gauge!("outbox_lag_seconds").set(state.store.outbox_lag_seconds(now).await?);
    let messages = state
        .store
        .claim_outbox(due_by, now + time::Duration::seconds(60), 50)
        .await?;
    let mut delivered = Vec::with_capacity(messages.len());
    for message in &messages {
        let sent = match crate::mails::compose(state, message).await {
            Ok(email) => state.mail.send(email).await,
            Err(error) => Err(error),
        };
        match sent {
            Ok(()) => {
                delivered.push(message.id);
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
    // One write for the whole batch; should it be lost, the claim's lease lapses and the
    // messages go again (delivery is at least once, as it always was).
    state
        .store
        .outbox_sent(&delivered, state.clock.now())
        .await?;
    Ok(messages.len())
}
