//! Payments (S8): the gateway interface and its implementations. Card data never reaches us:
//! clients send provider tokens. The gateway is always called outside any database transaction.
//!
//! - [`simulator::SimulatedGateway`]: the in-process provider of the embedded default.
//! - [`stripe::StripeGateway`]: an HTTP client for a Stripe-compatible PaymentIntents subset,
//!   used against `bilheteria paysim` or a real provider.

pub mod simulator;
pub mod stripe;
pub mod webhook;

use async_trait::async_trait;
use bilheteria_domain::ids::OrderId;
use bilheteria_domain::sales::{Order, PaymentMethod};

/// One charge, identified by `idempotency_key`: sending it again returns the first outcome and
/// never charges twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeRequest {
    pub idempotency_key: String,
    pub order_id: OrderId,
    pub amount_cents: i64,
    /// ISO 4217, upper case.
    pub currency: String,
    /// A card's token (empty for Pix).
    pub token: String,
    /// Card installments (1: at once).
    pub installments: i64,
    pub method: PaymentMethod,
    /// When a Pix charge stops waiting for the buyer's bank (seconds since the epoch; `None`:
    /// the provider's default, a day): a moment, not a duration, so that asking again sends the
    /// very same request.
    pub pix_expires_at: Option<i64>,
}

/// A succeeded payment as the provider reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The provider's id of the payment (a payment intent).
    pub reference: String,
    pub amount_cents: i64,
    /// ISO 4217, as the provider spells it.
    pub currency: String,
    /// The order named in the payment's metadata.
    pub order_id: Option<String>,
}

impl Charge {
    /// Whether this is the payment of exactly `order`: its id, amount and currency.
    pub fn pays(&self, order: &Order) -> bool {
        self.is_payment_of(order.id, order.total_cents, order.currency.as_str())
    }

    pub fn is_payment_of(&self, order: OrderId, amount_cents: i64, currency: &str) -> bool {
        self.amount_cents == amount_cents
            && self.currency.eq_ignore_ascii_case(currency)
            && self.order_id.as_deref() == Some(order.to_string().as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChargeResult {
    Succeeded(Charge),
    Declined {
        code: String,
        reference: Option<String>,
    },
    /// A Pix charge made and not paid yet: the code the buyer's bank reads, until it expires.
    PixPending {
        reference: String,
        copy_paste: String,
        /// Seconds since the epoch.
        expires_at: i64,
    },
}

/// What cancelling a charge that has not succeeded came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cancelled {
    Canceled,
    /// Too late: it succeeded first.
    AlreadySucceeded(Charge),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The provider may or may not have acted (timeout, connection lost, 5xx): ask again later
    /// with the same idempotency key.
    #[error("the payment provider's answer is unknown: {0}")]
    Unknown(String),
}

#[async_trait]
pub trait PaymentGateway: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeResult, GatewayError>;
    /// The provider's own record of the payment `reference`, if it is a succeeded one.
    async fn succeeded_charge(&self, reference: &str) -> Result<Option<Charge>, GatewayError>;
    /// The in-process simulated provider, when this is it (its Pix charges can be paid by hand).
    fn simulator(&self) -> Option<&simulator::SimulatedProvider> {
        None
    }
    /// Cancels the charge `reference` unless it succeeded (a Pix that expires on our side).
    async fn cancel(&self, reference: &str) -> Result<Cancelled, GatewayError>;
    /// Refunds `amount_cents` of the charge `reference`; returns the refund's reference.
    async fn refund(
        &self,
        reference: &str,
        amount_cents: i64,
        idempotency_key: &str,
    ) -> Result<String, GatewayError>;
}
