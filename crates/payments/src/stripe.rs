//! A client for a Stripe-compatible PaymentIntents subset: form-encoded requests, amounts in minor
//! units, an `Idempotency-Key` header on every write, errors as `{"error": {...}}`.

use super::{Cancelled, Charge, ChargeRequest, ChargeResult, GatewayError, PaymentGateway};
use async_trait::async_trait;
use bilheteria_domain::sales::PaymentMethod;
use reqwest::StatusCode;
use serde::Deserialize;
use std::time::Duration;

pub struct StripeGateway {
    client: reqwest::Client,
    base_url: String,
    secret_key: String,
}

impl StripeGateway {
    pub fn new(base_url: &str, secret_key: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(256)
            .build()?;
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            secret_key: secret_key.to_owned(),
        })
    }
}

#[derive(Deserialize)]
struct IntentBody {
    id: String,
    status: String,
    amount: i64,
    currency: String,
    #[serde(default)]
    metadata: std::collections::HashMap<String, String>,
    last_payment_error: Option<ErrorDetail>,
    next_action: Option<NextAction>,
}

/// Stripe's `next_action` of a Pix payment: `{type: "pix_display_qr_code", pix_display_qr_code:
/// {data, expires_at, image_url_svg, …}}`.
#[derive(Deserialize)]
struct NextAction {
    pix_display_qr_code: Option<PixDisplay>,
}

#[derive(Deserialize)]
struct PixDisplay {
    data: String,
    expires_at: i64,
}

impl IntentBody {
    fn charge(mut self) -> Charge {
        Charge {
            order_id: self.metadata.remove("order_id"),
            reference: self.id,
            amount_cents: self.amount,
            currency: self.currency,
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
    decline_code: Option<String>,
    payment_intent: Option<IntentRef>,
}

#[derive(Deserialize)]
struct IntentRef {
    id: String,
}

#[derive(Deserialize)]
struct RefundBody {
    id: String,
}

fn decline_code(detail: &ErrorDetail) -> String {
    detail
        .decline_code
        .clone()
        .or_else(|| detail.code.clone())
        .unwrap_or_else(|| "card_declined".into())
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    fn name(&self) -> &'static str {
        "stripe-compatible"
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeResult, GatewayError> {
        let mut form = vec![
            ("amount", request.amount_cents.to_string()),
            ("currency", request.currency.to_ascii_lowercase()),
            ("confirm", "true".to_owned()),
            ("metadata[order_id]", request.order_id.to_string()),
        ];
        if request.method == PaymentMethod::Pix {
            form.extend([
                ("payment_method_types[0]", "pix".to_owned()),
                ("payment_method_data[type]", "pix".to_owned()),
            ]);
            // A moment rather than a duration: a retry with the same key must send the same
            // parameters, or the provider refuses it.
            if let Some(at) = request.pix_expires_at {
                form.push(("payment_method_options[pix][expires_at]", at.to_string()));
            }
        } else {
            form.push(("payment_method", request.token.clone()));
        }
        if request.installments > 1 {
            // Stripe's shape of a fixed installment plan (parcelamento).
            form.extend([
                (
                    "payment_method_options[card][installments][enabled]",
                    "true".to_owned(),
                ),
                (
                    "payment_method_options[card][installments][plan][count]",
                    request.installments.to_string(),
                ),
                (
                    "payment_method_options[card][installments][plan][interval]",
                    "month".to_owned(),
                ),
                (
                    "payment_method_options[card][installments][plan][type]",
                    "fixed_count".to_owned(),
                ),
            ]);
        }
        let response = self
            .client
            .post(format!("{}/v1/payment_intents", self.base_url))
            .bearer_auth(&self.secret_key)
            .header("Idempotency-Key", &request.idempotency_key)
            .form(&form)
            .send()
            .await
            .map_err(|e| GatewayError::Unknown(e.to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| GatewayError::Unknown(e.to_string()))?;
        match status {
            StatusCode::OK => {
                let intent: IntentBody = serde_json::from_slice(&body)
                    .map_err(|e| GatewayError::Unknown(format!("unreadable answer: {e}")))?;
                match intent.status.as_str() {
                    "succeeded" => Ok(ChargeResult::Succeeded(intent.charge())),
                    "requires_action" => match intent.next_action {
                        Some(NextAction {
                            pix_display_qr_code: Some(pix),
                        }) => Ok(ChargeResult::PixPending {
                            reference: intent.id,
                            copy_paste: pix.data,
                            expires_at: pix.expires_at,
                        }),
                        _ => Err(GatewayError::Unknown(
                            "payment requires an action we do not take".into(),
                        )),
                    },
                    "requires_payment_method" | "canceled" => Ok(ChargeResult::Declined {
                        code: intent
                            .last_payment_error
                            .as_ref()
                            .map_or_else(|| "card_declined".into(), decline_code),
                        reference: Some(intent.id),
                    }),
                    other => Err(GatewayError::Unknown(format!("payment still {other}"))),
                }
            }
            StatusCode::PAYMENT_REQUIRED | StatusCode::BAD_REQUEST => {
                let error: ErrorBody = serde_json::from_slice(&body)
                    .map_err(|e| GatewayError::Unknown(format!("unreadable answer: {e}")))?;
                // A declined card, or a token that does not exist, is final; any other request
                // error (an idempotency conflict, say) says nothing about the charge.
                let final_answer = status == StatusCode::PAYMENT_REQUIRED
                    || error.error.kind.as_deref() == Some("card_error")
                    || error.error.code.as_deref() == Some("resource_missing");
                if !final_answer {
                    return Err(GatewayError::Unknown(format!(
                        "provider refused the request: {}",
                        error.error.code.as_deref().unwrap_or("unknown")
                    )));
                }
                Ok(ChargeResult::Declined {
                    code: decline_code(&error.error),
                    reference: error.error.payment_intent.map(|i| i.id),
                })
            }
            // Authentication, conflicts, rate limits and server errors say nothing final about
            // the charge: ask again later with the same key.
            other => Err(GatewayError::Unknown(format!("provider answered {other}"))),
        }
    }

    async fn succeeded_charge(&self, reference: &str) -> Result<Option<Charge>, GatewayError> {
        let response = self
            .client
            .get(format!("{}/v1/payment_intents/{reference}", self.base_url))
            .bearer_auth(&self.secret_key)
            .send()
            .await
            .map_err(|e| GatewayError::Unknown(e.to_string()))?;
        match response.status() {
            StatusCode::OK => {
                let intent: IntentBody = response
                    .json()
                    .await
                    .map_err(|e| GatewayError::Unknown(format!("unreadable answer: {e}")))?;
                Ok((intent.status == "succeeded").then(|| intent.charge()))
            }
            StatusCode::NOT_FOUND => Ok(None),
            other => Err(GatewayError::Unknown(format!("provider answered {other}"))),
        }
    }

    async fn cancel(&self, reference: &str) -> Result<Cancelled, GatewayError> {
        let response = self
            .client
            .post(format!(
                "{}/v1/payment_intents/{reference}/cancel",
                self.base_url
            ))
            .bearer_auth(&self.secret_key)
            .send()
            .await
            .map_err(|e| GatewayError::Unknown(e.to_string()))?;
        match response.status() {
            StatusCode::OK => Ok(Cancelled::Canceled),
            // Stripe refuses to cancel a payment that succeeded: look it up to be sure.
            StatusCode::BAD_REQUEST => match self.succeeded_charge(reference).await? {
                Some(charge) => Ok(Cancelled::AlreadySucceeded(charge)),
                None => Err(GatewayError::Unknown("cancel refused".into())),
            },
            other => Err(GatewayError::Unknown(format!("cancel answered {other}"))),
        }
    }

    async fn refund(
        &self,
        reference: &str,
        amount_cents: i64,
        idempotency_key: &str,
    ) -> Result<String, GatewayError> {
        let form = [
            ("payment_intent", reference.to_owned()),
            ("amount", amount_cents.to_string()),
        ];
        let response = self
            .client
            .post(format!("{}/v1/refunds", self.base_url))
            .bearer_auth(&self.secret_key)
            .header("Idempotency-Key", idempotency_key)
            .form(&form)
            .send()
            .await
            .map_err(|e| GatewayError::Unknown(e.to_string()))?;
        if response.status() != StatusCode::OK {
            return Err(GatewayError::Unknown(format!(
                "refund answered {}",
                response.status()
            )));
        }
        let refund: RefundBody = response
            .json()
            .await
            .map_err(|e| GatewayError::Unknown(e.to_string()))?;
        Ok(refund.id)
    }
}
