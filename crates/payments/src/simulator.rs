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
    /// `succeeded` or `requires_payment_method` (declined).
    pub status: String,
    pub order_id: String,
    pub decline_code: Option<String>,
    pub refunded: i64,
    /// The card installments asked for (1: at once).
    pub installments: i64,
    /// A Pix charge's "copia e cola" and expiry (seconds since the epoch).
    pub pix_copy_paste: Option<String>,
    pub pix_expires_at: Option<i64>,
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

/// What the provider did with a request, before any answer is (or is not) delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Succeeded(Intent),
    Declined(Intent),
    /// Approved, but the answer to this request is lost.
    AnswerLost(Intent),
    /// A Pix charge awaiting the buyer's bank.
    PixPending(Intent),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PayPixError {
    #[error("no such Pix charge")]
    UnknownPayment,
    #[error("the Pix charge is {0}")]
    NotPayable(String),
    #[error("the Pix charge has expired")]
    Expired,
}

/// The simulated receiver of Pix payments.
pub const PIX_KEY: &str = "pix@bilheteria.dev";

fn unix_now() -> i64 {
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
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CancelError {
    #[error("no such payment_intent")]
    UnknownPayment,
    #[error("a payment_intent that succeeded cannot be canceled; refund it")]
    Succeeded,
}

#[derive(Default)]
struct Ledger {
    /// Intents by id.
    intents: HashMap<String, Intent>,
    /// The intent id each idempotency key made.
    by_key: HashMap<String, String>,
    /// Each refund's id and amount, by its idempotency key.
    refunds_by_key: HashMap<String, (String, i64)>,
    next: u64,
}

impl Ledger {
    /// A new intent of `key`, made by `make` from the next id.
    fn insert(&mut self, key: &str, make: impl FnOnce(String) -> Intent) -> Intent {
        self.next += 1;
        let intent = make(format!("pi_sim_{:012}", self.next));
        self.by_key.insert(key.to_owned(), intent.id.clone());
        self.intents.insert(intent.id.clone(), intent.clone());
        intent
    }
}

impl Intent {
    /// An intent of `amount` for `order_id`: a card's that succeeded unless changed.
    fn new(id: String, amount: i64, currency: &str, order_id: &str) -> Self {
        Intent {
            id,
            amount,
            currency: currency.to_ascii_lowercase(),
            status: "succeeded".to_owned(),
            order_id: order_id.to_owned(),
            decline_code: None,
            refunded: 0,
            installments: 1,
            pix_copy_paste: None,
            pix_expires_at: None,
        }
    }
}

#[derive(Default)]
pub struct SimulatedProvider {
    ledger: Mutex<Ledger>,
}

fn decline_code(token: &str) -> Option<&'static str> {
    match token {
        "tok_chargeDeclined" => Some("generic_decline"),
        "tok_chargeDeclinedInsufficientFunds" => Some("insufficient_funds"),
        _ => None,
    }
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

    pub fn create_intent(
        &self,
        key: &str,
        amount: i64,
        currency: &str,
        token: &str,
        order_id: &str,
    ) -> Outcome {
        self.create_intent_in(key, amount, currency, token, order_id, 1)
    }

    /// `create_intent` of a card payment split into `installments`.
    pub fn create_intent_in(
        &self,
        key: &str,
        amount: i64,
        currency: &str,
        token: &str,
        order_id: &str,
        installments: i64,
    ) -> Outcome {
        let mut ledger = self.ledger();
        if let Some(existing) = ledger.by_key.get(key).and_then(|id| ledger.intents.get(id)) {
            return replay(existing);
        }
        let decline = decline_code(token);
        let status = match decline {
            Some(_) => "requires_payment_method",
            None => "succeeded",
        };
        let intent = ledger.insert(key, |id| Intent {
            status: status.to_owned(),
            decline_code: decline.map(str::to_owned),
            installments,
            ..Intent::new(id, amount, currency, order_id)
        });
        match (decline, token) {
            (Some(_), _) => Outcome::Declined(intent),
            (None, "tok_timeout") => Outcome::AnswerLost(intent),
            (None, _) => Outcome::Succeeded(intent),
        }
    }

    /// A Pix charge of `amount` (in reais) that expires `expires_after_seconds` from now; a
    /// repeated key answers the charge as it stands.
    pub fn create_pix_intent(
        &self,
        key: &str,
        amount: i64,
        currency: &str,
        order_id: &str,
        expires_after_seconds: i64,
    ) -> Outcome {
        let mut ledger = self.ledger();
        if let Some(existing) = ledger.by_key.get(key).and_then(|id| ledger.intents.get(id)) {
            return replay(existing);
        }
        let intent = ledger.insert(key, |id| {
            let copy_paste = bilheteria_domain::pix::br_code(&bilheteria_domain::pix::PixRequest {
                key: PIX_KEY,
                merchant_name: "Bilheteria",
                merchant_city: "Sao Paulo",
                amount_cents: amount,
                txid: &id,
            });
            Intent {
                status: "requires_action".to_owned(),
                pix_copy_paste: Some(copy_paste),
                pix_expires_at: Some(unix_now() + expires_after_seconds),
                ..Intent::new(id, amount, currency, order_id)
            }
        });
        Outcome::PixPending(intent)
    }

    /// The buyer's bank pays a Pix charge that still waits (not after its expiry).
    pub fn pay_pix(&self, id: &str) -> Result<Intent, PayPixError> {
        let mut ledger = self.ledger();
        let intent = ledger
            .intents
            .get_mut(id)
            .filter(|i| i.pix_copy_paste.is_some())
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
    /// the refund's id and amount.
    pub fn refund(
        &self,
        key: &str,
        intent_id: &str,
        amount: Option<i64>,
    ) -> Result<(String, i64), RefundError> {
        let mut ledger = self.ledger();
        if let Some(existing) = ledger.refunds_by_key.get(key) {
            return Ok(existing.clone());
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
        ledger.next += 1;
        let id = format!("re_sim_{:012}", ledger.next);
        ledger
            .refunds_by_key
            .insert(key.to_owned(), (id.clone(), amount));
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
        let outcome = match request.method {
            PaymentMethod::Card => self.provider.create_intent_in(
                &request.idempotency_key,
                request.amount_cents,
                &request.currency,
                &request.token,
                &request.order_id.to_string(),
                request.installments,
            ),
            PaymentMethod::Pix => self.provider.create_pix_intent(
                &request.idempotency_key,
                request.amount_cents,
                &request.currency,
                &request.order_id.to_string(),
                request.pix_expires_after_seconds,
            ),
        };
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
        self.provider
            .refund(idempotency_key, reference, Some(amount_cents))
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
        let (first, amount) = provider.refund("r1", &intent.id, Some(300)).unwrap();
        assert_eq!(amount, 300);
        assert_eq!(
            provider.refund("r1", &intent.id, Some(300)).unwrap().0,
            first
        );
        assert_eq!(
            provider.refund("r2", &intent.id, Some(300)),
            Err(RefundError::TooLarge)
        );
        assert_eq!(
            provider.refund("r3", "pi_nope", Some(1)),
            Err(RefundError::UnknownPayment)
        );
        // Without an amount, what remains is refunded; then nothing remains.
        assert_eq!(provider.refund("r4", &intent.id, None).unwrap().1, 200);
        assert_eq!(provider.intent(&intent.id).unwrap().refunded, 500);
        assert_eq!(
            provider.refund("r5", &intent.id, None),
            Err(RefundError::TooLarge)
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
