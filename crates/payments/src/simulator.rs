//! A simulated payment provider: the in-process gateway of the embedded default, and the core of
//! `bilheteria paysim`. Tokens decide the outcome:
//! `tok_visa` (and any other `tok_…`) approves, `tok_chargeDeclined` and
//! `tok_chargeDeclinedInsufficientFunds` decline, `tok_timeout` approves but loses the answer.
//! Requests are idempotent by key: a repeated key returns the first outcome, and the lost answer
//! of `tok_timeout` is found on the second ask, as with a real provider's idempotent API.
//! A Pix charge waits (`requires_action`) with its BR Code until `pay_pix` pays it or it is
//! cancelled; a Pix past its expiry cannot be paid.

use super::{Cancelled, Charge, ChargeRequest, ChargeResult, GatewayError, PaymentGateway};
use async_trait::async_trait;
use bilheteria_domain::sales::PaymentMethod;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Intent {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    /// `succeeded`, `requires_action` (a Pix waiting), `requires_confirmation` (made without
    /// `confirm`), `requires_payment_method` (declined, or made without a card) or `canceled`.
    pub status: String,
    pub order_id: String,
    pub method: Method,
    /// The card's token, once given (at creation or at confirmation).
    pub token: Option<String>,
    pub decline_code: Option<String>,
    pub refunded: i64,
    /// How many refunds were made of it (a request repeated with its key makes none).
    pub refunds: i64,
    /// The card installments asked for (1: at once).
    pub installments: i64,
    /// A Pix charge's "copia e cola" (once confirmed) and expiry (seconds since the epoch).
    pub pix_copy_paste: Option<String>,
    pub pix_expires_at: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Card,
    Pix,
}

impl Intent {
    pub fn charge(&self) -> Charge {
        Charge {
            reference: self.id.clone(),
            amount_cents: self.amount,
            currency: self.currency.clone(),
            order_id: Some(self.order_id.clone()),
        }
    }
}

/// A payment intent to make, confirmed at once (as the app asks) or later (`confirm`).
#[derive(Clone, Debug)]
pub struct NewIntent<'a> {
    pub amount: i64,
    pub currency: &'a str,
    pub order_id: &'a str,
    pub method: Method,
    /// A card's token; without one a card intent waits for a payment method.
    pub token: Option<&'a str>,
    pub installments: i64,
    /// When a Pix charge expires (seconds since the epoch).
    pub pix_expires_at: Option<i64>,
    pub confirm: bool,
}

/// What the provider did with a request, before any answer is (or is not) delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Succeeded(Intent),
    Declined(Intent),
    /// Approved, but the answer to this request is lost.
    AnswerLost(Intent),
    /// A Pix charge awaiting the buyer's bank.
    PixPending(Intent),
    /// Made without `confirm`: waiting for its confirmation (or for a payment method).
    Unconfirmed(Intent),
}

/// An idempotency key sent again with other parameters than its first request's: refused, as
/// Stripe refuses it, rather than answering the first request's result for a different one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "keys for idempotent requests can only be used with the same parameters they were first used with"
)]
pub struct KeyReused;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PayPixError {
    #[error("no such Pix charge")]
    UnknownPayment,
    #[error("the Pix charge is {0}")]
    NotPayable(String),
    #[error("the Pix charge has expired")]
    Expired,
}

/// How long a Pix charge waits when no expiry is asked for (Stripe's default).
pub const PIX_DEFAULT_SECONDS: i64 = 86_400;

/// The simulated receiver of Pix payments.
pub const PIX_KEY: &str = "pix@bilheteria.dev";

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    #[error("no such payment")]
    UnknownPayment,
    #[error("refund larger than what remains of the charge")]
    TooLarge,
    #[error(transparent)]
    KeyReused(#[from] KeyReused),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CancelError {
    #[error("no such payment_intent")]
    UnknownPayment,
    #[error("a payment_intent that succeeded cannot be canceled; refund it")]
    Succeeded,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmError {
    #[error("no such payment_intent")]
    UnknownPayment,
    #[error("a payment_intent that is {0} cannot be confirmed")]
    UnexpectedState(String),
    #[error("a payment_intent without a payment method cannot be confirmed")]
    NoPaymentMethod,
}

/// What an idempotency key made.
#[derive(Clone, Debug)]
enum Made {
    Intent(String),
    Refund(String, i64),
}

#[derive(Default)]
struct Ledger {
    /// Intents by id.
    intents: HashMap<String, Intent>,
    /// Each idempotency key's request fingerprint and what it made (one namespace for every
    /// request, as Stripe's keys are).
    keys: HashMap<String, (String, Made)>,
    next: u64,
}

impl Ledger {
    /// What `key` made, when it was used before with the same `fingerprint`.
    fn replayed(&self, key: &str, fingerprint: &str) -> Result<Option<Made>, KeyReused> {
        match self.keys.get(key) {
            None => Ok(None),
            Some((first, made)) if first == fingerprint => Ok(Some(made.clone())),
            Some(_) => Err(KeyReused),
        }
    }

    fn next_id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}_sim_{:012}", self.next)
    }
}

fn decline_code(token: &str) -> Option<&'static str> {
    match token {
        "tok_chargeDeclined" => Some("generic_decline"),
        "tok_chargeDeclinedInsufficientFunds" => Some("insufficient_funds"),
        _ => None,
    }
}

/// Confirms `intent` in place: a card is charged (its token decides), a Pix shows its code.
fn confirm_in_place(intent: &mut Intent) -> Result<Outcome, ConfirmError> {
    match intent.method {
        Method::Pix => {
            intent.pix_copy_paste = Some(bilheteria_domain::pix::br_code(
                &bilheteria_domain::pix::PixRequest {
                    key: PIX_KEY,
                    merchant_name: "Bilheteria",
                    merchant_city: "Sao Paulo",
                    amount_cents: intent.amount,
                    txid: &intent.id,
                },
            ));
            intent.status = "requires_action".to_owned();
            Ok(Outcome::PixPending(intent.clone()))
        }
        Method::Card => {
            let token = intent.token.clone().ok_or(ConfirmError::NoPaymentMethod)?;
            let decline = decline_code(&token);
            intent.decline_code = decline.map(str::to_owned);
            intent.status = match decline {
                Some(_) => "requires_payment_method",
                None => "succeeded",
            }
            .to_owned();
            Ok(match (decline, token.as_str()) {
                (Some(_), _) => Outcome::Declined(intent.clone()),
                (None, "tok_timeout") => Outcome::AnswerLost(intent.clone()),
                (None, _) => Outcome::Succeeded(intent.clone()),
            })
        }
    }
}

#[derive(Default)]
pub struct SimulatedProvider {
    ledger: Mutex<Ledger>,
}

impl SimulatedProvider {
    pub fn new() -> Self {
        Self::default()
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes (and, when asked, confirms) a payment intent. A key sent again with the same
    /// `fingerprint` (of the request's parameters) answers the intent as it stands now; with
    /// another, it is refused.
    pub fn create(
        &self,
        key: &str,
        fingerprint: &str,
        new: &NewIntent<'_>,
    ) -> Result<Outcome, KeyReused> {
        let mut ledger = self.ledger();
        if let Some(Made::Intent(id)) = ledger.replayed(key, fingerprint)?
            && let Some(existing) = ledger.intents.get(&id)
        {
            return Ok(replay(existing));
        }
        let id = ledger.next_id("pi");
        let mut intent = Intent {
            id: id.clone(),
            amount: new.amount,
            currency: new.currency.to_ascii_lowercase(),
            status: match (new.method, new.token) {
                (Method::Card, None) => "requires_payment_method",
                _ => "requires_confirmation",
            }
            .to_owned(),
            order_id: new.order_id.to_owned(),
            method: new.method,
            token: new.token.map(str::to_owned),
            decline_code: None,
            refunded: 0,
            refunds: 0,
            installments: new.installments,
            pix_copy_paste: None,
            pix_expires_at: new.pix_expires_at,
        };
        let outcome = if new.confirm {
            // A card without a token stays unconfirmed (paysim refuses that request before).
            confirm_in_place(&mut intent).unwrap_or_else(|_| Outcome::Unconfirmed(intent.clone()))
        } else {
            Outcome::Unconfirmed(intent.clone())
        };
        ledger.keys.insert(
            key.to_owned(),
            (fingerprint.to_owned(), Made::Intent(id.clone())),
        );
        ledger.intents.insert(id, intent);
        Ok(outcome)
    }

    /// A card payment confirmed at once, keyed by its own parameters (tests and tools).
    pub fn create_intent(
        &self,
        key: &str,
        amount: i64,
        currency: &str,
        token: &str,
        order_id: &str,
    ) -> Outcome {
        let fingerprint = format!("card {amount} {currency} {token} {order_id}");
        let new = NewIntent {
            amount,
            currency,
            order_id,
            method: Method::Card,
            token: Some(token),
            installments: 1,
            pix_expires_at: None,
            confirm: true,
        };
        self.create(key, &fingerprint, &new)
            .unwrap_or_else(|_| panic!("key {key} reused with other parameters"))
    }

    /// A Pix charge confirmed at once, expiring `expires_after_seconds` from now (tests).
    pub fn create_pix_intent(
        &self,
        key: &str,
        amount: i64,
        currency: &str,
        order_id: &str,
        expires_after_seconds: i64,
    ) -> Outcome {
        let fingerprint = format!("pix {amount} {currency} {order_id} {expires_after_seconds}");
        let new = NewIntent {
            amount,
            currency,
            order_id,
            method: Method::Pix,
            token: None,
            installments: 1,
            pix_expires_at: Some(unix_now() + expires_after_seconds),
            confirm: true,
        };
        self.create(key, &fingerprint, &new)
            .unwrap_or_else(|_| panic!("key {key} reused with other parameters"))
    }

    /// Confirms an intent made without `confirm`, or one whose card was declined, with the card
    /// `token` when given (else the one it has).
    pub fn confirm(&self, id: &str, token: Option<&str>) -> Result<Outcome, ConfirmError> {
        let mut ledger = self.ledger();
        let intent = ledger
            .intents
            .get_mut(id)
            .ok_or(ConfirmError::UnknownPayment)?;
        if !matches!(
            intent.status.as_str(),
            "requires_confirmation" | "requires_payment_method"
        ) {
            return Err(ConfirmError::UnexpectedState(intent.status.clone()));
        }
        if let Some(token) = token {
            intent.token = Some(token.to_owned());
        }
        confirm_in_place(intent)
    }

    /// The buyer's bank pays a Pix charge that still waits (not after its expiry).
    pub fn pay_pix(&self, id: &str) -> Result<Intent, PayPixError> {
        let mut ledger = self.ledger();
        let intent = ledger
            .intents
            .get_mut(id)
            .filter(|i| i.method == Method::Pix)
            .ok_or(PayPixError::UnknownPayment)?;
        if intent.status != "requires_action" {
            return Err(PayPixError::NotPayable(intent.status.clone()));
        }
        if intent.pix_expires_at.is_some_and(|at| unix_now() >= at) {
            return Err(PayPixError::Expired);
        }
        intent.status = "succeeded".to_owned();
        Ok(intent.clone())
    }

    /// Refunds `amount`, or without it all that remains of the charge (as Stripe does); answers
    /// the refund's id and amount. With a `key` (and the request's fingerprint) a repeated
    /// request answers the first refund; without one every request is a refund of its own.
    pub fn refund(
        &self,
        key: Option<(&str, &str)>,
        intent_id: &str,
        amount: Option<i64>,
    ) -> Result<(String, i64), RefundError> {
        let mut ledger = self.ledger();
        if let Some((key, fingerprint)) = key
            && let Some(Made::Refund(id, amount)) = ledger.replayed(key, fingerprint)?
        {
            return Ok((id, amount));
        }
        let intent = ledger
            .intents
            .get_mut(intent_id)
            .filter(|i| i.status == "succeeded")
            .ok_or(RefundError::UnknownPayment)?;
        let amount = amount.unwrap_or(intent.amount - intent.refunded);
        if amount <= 0 || intent.refunded + amount > intent.amount {
            return Err(RefundError::TooLarge);
        }
        intent.refunded += amount;
        intent.refunds += 1;
        let id = ledger.next_id("re");
        if let Some((key, fingerprint)) = key {
            ledger.keys.insert(
                key.to_owned(),
                (fingerprint.to_owned(), Made::Refund(id.clone(), amount)),
            );
        }
        Ok((id, amount))
    }

    pub fn intent(&self, id: &str) -> Option<Intent> {
        self.ledger().intents.get(id).cloned()
    }

    /// Cancels an intent that has not succeeded; cancelling one again answers it as it is.
    pub fn cancel(&self, id: &str) -> Result<Intent, CancelError> {
        let mut ledger = self.ledger();
        let intent = ledger
            .intents
            .get_mut(id)
            .ok_or(CancelError::UnknownPayment)?;
        if intent.status == "succeeded" {
            return Err(CancelError::Succeeded);
        }
        intent.status = "canceled".to_owned();
        Ok(intent.clone())
    }

    /// Every intent, newest first (ids carry the order they were made in).
    pub fn intents(&self) -> Vec<Intent> {
        let mut intents: Vec<Intent> = self.ledger().intents.values().cloned().collect();
        intents.sort_by(|a, b| b.id.cmp(&a.id));
        intents
    }
}

/// How a repeated request finds its charge: as it stands now.
fn replay(existing: &Intent) -> Outcome {
    match existing.status.as_str() {
        "succeeded" => Outcome::Succeeded(existing.clone()),
        "requires_action" => Outcome::PixPending(existing.clone()),
        "requires_confirmation" => Outcome::Unconfirmed(existing.clone()),
        "requires_payment_method" if existing.decline_code.is_none() => {
            Outcome::Unconfirmed(existing.clone())
        }
        _ => Outcome::Declined(existing.clone()),
    }
}

/// The provider inside the server process (the embedded default).
#[derive(Default)]
pub struct SimulatedGateway {
    pub provider: SimulatedProvider,
}

#[async_trait]
impl PaymentGateway for SimulatedGateway {
    fn name(&self) -> &'static str {
        "simulated"
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeResult, GatewayError> {
        let order_id = request.order_id.to_string();
        let new = NewIntent {
            amount: request.amount_cents,
            currency: &request.currency,
            order_id: &order_id,
            method: match request.method {
                PaymentMethod::Card => Method::Card,
                PaymentMethod::Pix => Method::Pix,
            },
            token: (request.method == PaymentMethod::Card).then_some(request.token.as_str()),
            installments: request.installments,
            pix_expires_at: (request.method == PaymentMethod::Pix).then(|| {
                request
                    .pix_expires_at
                    .unwrap_or_else(|| unix_now() + PIX_DEFAULT_SECONDS)
            }),
            confirm: true,
        };
        // Everything but the key: a retry sends the very same request.
        let fingerprint = format!(
            "{:?}",
            ChargeRequest {
                idempotency_key: String::new(),
                ..request.clone()
            }
        );
        let outcome = self
            .provider
            .create(&request.idempotency_key, &fingerprint, &new)
            .map_err(|e| GatewayError::Unknown(e.to_string()))?;
        match outcome {
            Outcome::PixPending(intent) => Ok(ChargeResult::PixPending {
                copy_paste: intent.pix_copy_paste.unwrap_or_default(),
                expires_at: intent.pix_expires_at.unwrap_or_default(),
                reference: intent.id,
            }),
            Outcome::Succeeded(intent) => Ok(ChargeResult::Succeeded(intent.charge())),
            Outcome::Declined(intent) => Ok(ChargeResult::Declined {
                code: intent
                    .decline_code
                    .unwrap_or_else(|| "card_declined".into()),
                reference: Some(intent.id),
            }),
            Outcome::AnswerLost(_) => Err(GatewayError::Unknown(
                "simulated lost answer (tok_timeout)".into(),
            )),
            Outcome::Unconfirmed(_) => Err(GatewayError::Unknown(
                "the payment was not confirmed".into(),
            )),
        }
    }

    async fn succeeded_charge(&self, reference: &str) -> Result<Option<Charge>, GatewayError> {
        Ok(self
            .provider
            .intent(reference)
            .filter(|intent| intent.status == "succeeded")
            .map(|intent| intent.charge()))
    }

    async fn cancel(&self, reference: &str) -> Result<Cancelled, GatewayError> {
        match self.provider.cancel(reference) {
            Ok(_) => Ok(Cancelled::Canceled),
            Err(CancelError::Succeeded) => match self.provider.intent(reference) {
                Some(intent) => Ok(Cancelled::AlreadySucceeded(intent.charge())),
                None => Err(GatewayError::Unknown("no such payment".into())),
            },
            Err(error) => Err(GatewayError::Unknown(error.to_string())),
        }
    }

    fn simulator(&self) -> Option<&SimulatedProvider> {
        Some(&self.provider)
    }

    async fn refund(
        &self,
        reference: &str,
        amount_cents: i64,
        idempotency_key: &str,
    ) -> Result<String, GatewayError> {
        let fingerprint = format!("refund {reference} {amount_cents}");
        self.provider
            .refund(
                Some((idempotency_key, &fingerprint)),
                reference,
                Some(amount_cents),
            )
            .map(|(id, _)| id)
            .map_err(|e| GatewayError::Unknown(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_decide_and_keys_replay() {
        let provider = SimulatedProvider::new();
        assert!(matches!(
            provider.create_intent("k1", 100, "BRL", "tok_visa", "o1"),
            Outcome::Succeeded(_)
        ));
        assert!(matches!(
            provider.create_intent("k2", 100, "BRL", "tok_chargeDeclined", "o2"),
            Outcome::Declined(_)
        ));
        let Outcome::AnswerLost(lost) =
            provider.create_intent("k3", 100, "BRL", "tok_timeout", "o3")
        else {
            panic!("tok_timeout loses its answer")
        };
        let Outcome::Succeeded(found) =
            provider.create_intent("k3", 100, "BRL", "tok_timeout", "o3")
        else {
            panic!("asking again finds the charge")
        };
        assert_eq!(lost.id, found.id, "the same charge, not a second one");
        assert_eq!(provider.intents().len(), 3);
    }

    #[test]
    fn refunds_are_bounded_and_idempotent() {
        let provider = SimulatedProvider::new();
        let Outcome::Succeeded(intent) = provider.create_intent("k", 500, "BRL", "tok_visa", "o")
        else {
            panic!()
        };
        let (first, amount) = provider
            .refund(Some(("r1", "")), &intent.id, Some(300))
            .unwrap();
        assert_eq!(amount, 300);
        assert_eq!(
            provider
                .refund(Some(("r1", "")), &intent.id, Some(300))
                .unwrap()
                .0,
            first
        );
        assert_eq!(
            provider.refund(Some(("r2", "")), &intent.id, Some(300)),
            Err(RefundError::TooLarge)
        );
        assert_eq!(
            provider.refund(Some(("r1", "other")), &intent.id, Some(300)),
            Err(RefundError::KeyReused(KeyReused)),
            "a key sent with other parameters is refused, not replayed"
        );
        assert_eq!(
            provider.refund(Some(("r3", "")), "pi_nope", Some(1)),
            Err(RefundError::UnknownPayment)
        );
        // Without an amount, what remains is refunded; then nothing remains.
        assert_eq!(
            provider
                .refund(Some(("r4", "")), &intent.id, None)
                .unwrap()
                .1,
            200
        );
        assert_eq!(provider.intent(&intent.id).unwrap().refunded, 500);
        assert_eq!(
            provider.refund(Some(("r5", "")), &intent.id, None),
            Err(RefundError::TooLarge)
        );
    }

    #[test]
    fn refunds_without_a_key_are_each_their_own() {
        let provider = SimulatedProvider::new();
        let paid = |key: &str| match provider.create_intent(key, 500, "BRL", "tok_visa", key) {
            Outcome::Succeeded(intent) => intent,
            other => panic!("{other:?}"),
        };
        let (one, two) = (paid("k1"), paid("k2"));
        let first = provider.refund(None, &one.id, Some(100)).unwrap();
        let second = provider.refund(None, &two.id, Some(200)).unwrap();
        let third = provider.refund(None, &one.id, Some(100)).unwrap();
        assert_ne!(first.0, second.0);
        assert_ne!(first.0, third.0);
        assert_eq!(provider.intent(&one.id).unwrap().refunded, 200);
        assert_eq!(provider.intent(&two.id).unwrap().refunded, 200);
    }

    fn card_of_500(token: Option<&str>, confirm: bool) -> NewIntent<'_> {
        NewIntent {
            amount: 500,
            currency: "brl",
            order_id: "o1",
            method: Method::Card,
            token,
            installments: 1,
            pix_expires_at: None,
            confirm,
        }
    }

    #[test]
    fn a_key_reused_with_other_parameters_is_refused() {
        let provider = SimulatedProvider::new();
        let new = card_of_500(Some("tok_visa"), true);
        assert!(matches!(
            provider.create("k", "amount=500", &new),
            Ok(Outcome::Succeeded(_))
        ));
        let other = NewIntent {
            amount: 900,
            ..new.clone()
        };
        assert_eq!(provider.create("k", "amount=900", &other), Err(KeyReused));
        assert!(matches!(
            provider.create("k", "amount=500", &new),
            Ok(Outcome::Succeeded(_))
        ));
        assert_eq!(provider.intents().len(), 1);
        // A key of a payment is not a refund's.
        let paid = provider.intents()[0].id.clone();
        assert_eq!(
            provider.refund(Some(("k", "refund")), &paid, None),
            Err(RefundError::KeyReused(KeyReused))
        );
    }

    #[test]
    fn an_intent_made_without_confirm_waits_and_is_confirmed_later() {
        let provider = SimulatedProvider::new();
        let new = card_of_500(None, false);
        let Ok(Outcome::Unconfirmed(waiting)) = provider.create("k", "", &new) else {
            panic!("made without confirm, it waits")
        };
        assert_eq!(waiting.status, "requires_payment_method");
        assert_eq!(
            provider.confirm(&waiting.id, None),
            Err(ConfirmError::NoPaymentMethod)
        );
        assert!(matches!(
            provider.confirm(&waiting.id, Some("tok_chargeDeclined")),
            Ok(Outcome::Declined(_))
        ));
        // Declined, it can be confirmed again with another card.
        assert!(matches!(
            provider.confirm(&waiting.id, Some("tok_visa")),
            Ok(Outcome::Succeeded(_))
        ));
        assert_eq!(
            provider.confirm(&waiting.id, Some("tok_visa")),
            Err(ConfirmError::UnexpectedState("succeeded".into()))
        );
    }

    #[test]
    fn a_pix_waits_until_paid_and_a_cancelled_one_cannot_be_paid() {
        let provider = SimulatedProvider::new();
        let Outcome::PixPending(pix) = provider.create_pix_intent("k1", 2_500, "BRL", "o1", 900)
        else {
            panic!("a Pix waits")
        };
        let code = pix.pix_copy_paste.clone().unwrap();
        assert!(bilheteria_domain::pix::read_br_code(&code).is_some());
        assert!(matches!(
            provider.create_pix_intent("k1", 2_500, "BRL", "o1", 900),
            Outcome::PixPending(again) if again.id == pix.id
        ));
        assert_eq!(provider.pay_pix(&pix.id).unwrap().status, "succeeded");
        assert!(matches!(
            provider.pay_pix(&pix.id),
            Err(PayPixError::NotPayable(_))
        ));
        assert!(matches!(
            provider.create_pix_intent("k1", 2_500, "BRL", "o1", 900),
            Outcome::Succeeded(_)
        ));
        let Outcome::PixPending(late) = provider.create_pix_intent("k2", 100, "BRL", "o2", 900)
        else {
            panic!()
        };
        provider.cancel(&late.id).unwrap();
        assert!(matches!(
            provider.pay_pix(&late.id),
            Err(PayPixError::NotPayable(_))
        ));
        let Outcome::PixPending(expired) = provider.create_pix_intent("k3", 100, "BRL", "o3", 0)
        else {
            panic!()
        };
        assert_eq!(provider.pay_pix(&expired.id), Err(PayPixError::Expired));
    }

    #[test]
    fn only_intents_that_did_not_succeed_can_be_canceled() {
        let provider = SimulatedProvider::new();
        let Outcome::Succeeded(paid) = provider.create_intent("k1", 500, "BRL", "tok_visa", "o1")
        else {
            panic!()
        };
        let Outcome::Declined(declined) =
            provider.create_intent("k2", 500, "BRL", "tok_chargeDeclined", "o2")
        else {
            panic!()
        };
        assert_eq!(provider.cancel(&paid.id), Err(CancelError::Succeeded));
        assert_eq!(provider.cancel(&declined.id).unwrap().status, "canceled");
        assert_eq!(provider.cancel("pi_nope"), Err(CancelError::UnknownPayment));
        let newest_first: Vec<String> = provider.intents().into_iter().map(|i| i.id).collect();
        assert_eq!(newest_first, [declined.id, paid.id]);
    }
}
