//! `bilheteria paysim`: a standalone payment provider speaking the Stripe-compatible subset that
//! [`bilheteria_payments::stripe::StripeGateway`] uses, for load tests and cluster tests. Latency
//! follows a log-normal distribution (a median and a long tail); some approvals can be turned
//! into declines at random; `tok_timeout` approves but answers only after the client has given
//! up; and every outcome can be sent as a signed webhook. Pix charges wait with their BR Code:
//! a share of them is paid by the simulated buyer after a delay (`--pix-paid-share`,
//! `--pix-pay-after-ms`), the rest never, and `POST /v1/test_helpers/pix/{id}/pay` pays one by
//! hand.

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bilheteria_payments::simulator::{
    CancelError, ConfirmError, Intent, Method, NewIntent, Outcome, PIX_DEFAULT_SECONDS,
    PayPixError, RefundError, SimulatedProvider, unix_now,
};
use bilheteria_payments::webhook;
use rand::Rng;
use rand_distr::{Distribution, LogNormal};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Clone, Debug, clap::Args)]
pub struct PaysimArgs {
    #[arg(long, env = "PAYSIM_ADDR", default_value = "127.0.0.1:12111")]
    pub addr: std::net::SocketAddr,
    /// Median answer time.
    #[arg(long, env = "PAYSIM_LATENCY_MEDIAN_MS", default_value_t = 150.0)]
    pub latency_median_ms: f64,
    /// Spread of the log-normal latency; 0.5 puts the 99th percentile near 3.2 × the median.
    #[arg(long, env = "PAYSIM_LATENCY_SIGMA", default_value_t = 0.5)]
    pub latency_sigma: f64,
    /// Share (0..1) of approvable charges declined anyway.
    #[arg(long, env = "PAYSIM_DECLINE_RATE", default_value_t = 0.0)]
    pub decline_rate: f64,
    /// How long the lost answer of `tok_timeout` takes (longer than clients wait).
    #[arg(long, env = "PAYSIM_LOST_ANSWER_MS", default_value_t = 30_000)]
    pub lost_answer_ms: u64,
    /// Where to send webhooks, e.g. http://127.0.0.1:8080/api/v1/payments/webhook.
    #[arg(long, env = "PAYSIM_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    #[arg(long, env = "PAYSIM_WEBHOOK_SECRET", default_value = "whsec_paysim")]
    pub webhook_secret: String,
    /// How long after the outcome a webhook is sent.
    #[arg(long, env = "PAYSIM_WEBHOOK_DELAY_MS", default_value_t = 0)]
    pub webhook_delay_ms: u64,
    /// Share (0..1) of Pix charges the simulated buyers pay by themselves; the rest are never
    /// paid (unless by `POST /v1/test_helpers/pix/{id}/pay`) and expire.
    #[arg(long, env = "PAYSIM_PIX_PAID_SHARE", default_value_t = 0.0)]
    pub pix_paid_share: f64,
    /// Median time a simulated buyer takes to pay a Pix (log-normal, the latency's spread).
    #[arg(long, env = "PAYSIM_PIX_PAY_AFTER_MS", default_value_t = 5_000.0)]
    pub pix_pay_after_ms: f64,
}

struct Paysim {
    provider: SimulatedProvider,
    latency: Option<LogNormal<f64>>,
    decline_rate: f64,
    lost_answer: Duration,
    webhook_url: Option<String>,
    webhook_secret: String,
    webhook_delay: Duration,
    client: reqwest::Client,
    events: AtomicU64,
    pix_paid_share: f64,
    pix_delay: Option<LogNormal<f64>>,
}

pub fn router(args: &PaysimArgs) -> anyhow::Result<Router> {
    let latency = (args.latency_median_ms > 0.0)
        .then(|| LogNormal::new(args.latency_median_ms.ln(), args.latency_sigma.max(0.0)))
        .transpose()?;
    let state = Arc::new(Paysim {
        provider: SimulatedProvider::new(),
        latency,
        decline_rate: args.decline_rate.clamp(0.0, 1.0),
        lost_answer: Duration::from_millis(args.lost_answer_ms),
        webhook_url: args.webhook_url.clone(),
        webhook_secret: args.webhook_secret.clone(),
        webhook_delay: Duration::from_millis(args.webhook_delay_ms),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?,
        events: AtomicU64::new(0),
        pix_paid_share: args.pix_paid_share.clamp(0.0, 1.0),
        pix_delay: (args.pix_pay_after_ms > 0.0)
            .then(|| LogNormal::new(args.pix_pay_after_ms.ln(), args.latency_sigma.max(0.0)))
            .transpose()?,
    });
    Ok(Router::new()
        .route("/v1/payment_intents", post(create_intent).get(list_intents))
        .route("/v1/payment_intents/{id}", get(get_intent))
        .route("/v1/payment_intents/{id}/cancel", post(cancel_intent))
        .route("/v1/payment_intents/{id}/confirm", post(confirm_intent))
        .route("/v1/refunds", post(create_refund))
        .route("/v1/test_helpers/pix/{id}/pay", post(pay_pix))
        .route("/v1/charges/summary", get(summary))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(not_simulated)
        .method_not_allowed_fallback(not_simulated)
        .with_state(state))
}

pub async fn run(args: PaysimArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    tracing::info!(
        addr = %listener.local_addr()?,
        median_ms = args.latency_median_ms,
        sigma = args.latency_sigma,
        decline_rate = args.decline_rate,
        "paysim serving a Stripe-compatible API"
    );
    axum::serve(listener, router(&args)?).await?;
    Ok(())
}

fn intent_json(intent: &Intent) -> Value {
    json!({
        "id": intent.id,
        "object": "payment_intent",
        "amount": intent.amount,
        "amount_refunded": intent.refunded,
        "currency": intent.currency,
        "status": intent.status,
        "metadata": { "order_id": intent.order_id },
        "payment_method_options": { "card": { "installments": { "plan": (intent.installments > 1).then(|| json!({"count": intent.installments, "interval": "month", "type": "fixed_count"})) } } },
        "last_payment_error": intent.decline_code.as_ref().map(|code| json!({"code": "card_declined", "decline_code": code})),
        "payment_method_types": [intent.method],
        "next_action": (intent.status == "requires_action").then(|| json!({
            "type": "pix_display_qr_code",
            "pix_display_qr_code": {
                "data": intent.pix_copy_paste,
                "expires_at": intent.pix_expires_at,
                "hosted_instructions_url": format!("https://paysim.invalid/pix/{}", intent.id),
            },
        })),
    })
}

fn error(
    status: StatusCode,
    kind: &str,
    code: &str,
    message: &str,
    intent: Option<&Intent>,
) -> Response {
    let mut body = json!({"error": {"type": kind, "code": code, "message": message}});
    if let Some(intent) = intent {
        body["error"]["decline_code"] = json!(intent.decline_code);
        body["error"]["payment_intent"] = intent_json(intent);
    }
    (status, Json(body)).into_response()
}

impl Paysim {
    async fn think(&self) {
        if let Some(latency) = &self.latency {
            let ms = latency.sample(&mut rand::rng()).min(60_000.0);
            tokio::time::sleep(Duration::from_micros((ms * 1000.0) as u64)).await;
        }
    }

    fn send_webhook(self: &Arc<Self>, kind: &str, intent: &Intent) {
        let Some(url) = self.webhook_url.clone() else {
            return;
        };
        let number = self.events.fetch_add(1, Ordering::Relaxed);
        let body = json!({
            "id": format!("evt_sim_{number:012}"),
            "type": kind,
            "created": time::OffsetDateTime::now_utc().unix_timestamp(),
            "data": { "object": intent_json(intent) },
        })
        .to_string();
        let this = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(this.webhook_delay).await;
            for attempt in 0..3u32 {
                let signature = webhook::sign(
                    &this.webhook_secret,
                    time::OffsetDateTime::now_utc().unix_timestamp(),
                    body.as_bytes(),
                );
                let sent = this
                    .client
                    .post(&url)
                    .header(webhook::SIGNATURE_HEADER, signature)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                if sent.is_ok_and(|r| r.status().is_success()) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
            }
        });
    }
}

impl Paysim {
    /// Whether and when the simulated buyer pays a new Pix charge.
    fn buyer_pays_later(self: Arc<Self>, intent: &Intent) {
        let pays = self.pix_paid_share > 0.0 && rand::rng().random::<f64>() < self.pix_paid_share;
        if !pays {
            return;
        }
        let delay = self
            .pix_delay
            .map_or(0.0, |delay| delay.sample(&mut rand::rng()).min(3_600_000.0));
        let id = intent.id.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_micros((delay * 1000.0) as u64)).await;
            if let Ok(paid) = self.provider.pay_pix(&id) {
                self.send_webhook("payment_intent.succeeded", &paid);
            }
        });
    }
}

/// `POST /v1/test_helpers/pix/{id}/pay`: the buyer's bank pays a Pix charge still waiting.
async fn pay_pix(
    State(sim): State<Arc<Paysim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    match sim.provider.pay_pix(&id) {
        Ok(intent) => {
            sim.send_webhook("payment_intent.succeeded", &intent);
            Json(intent_json(&intent)).into_response()
        }
        Err(PayPixError::UnknownPayment) => no_such_intent(),
        Err(e) => unexpected_state(&sim, &id, e),
    }
}

fn authorised(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer ") && v.len() > 7)
}

/// A form as Stripe's clients send it, pairs in order: arrays as `name[]` or `name[0]`,
/// `name[1]`…, nested objects as `a[b][c]`.
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The items of the array `name`, in their indexes' order.
    fn list(&self, name: &str) -> Vec<&str> {
        let mut items: Vec<(Option<u64>, &str)> = self
            .0
            .iter()
            .filter_map(|(key, value)| {
                let index = key
                    .strip_prefix(name)?
                    .strip_prefix('[')?
                    .strip_suffix(']')?;
                match index {
                    "" => Some((None, value.as_str())),
                    digits => digits.parse().ok().map(|i| (Some(i), value.as_str())),
                }
            })
            .collect();
        items.sort_by_key(|(index, _)| *index);
        items.into_iter().map(|(_, value)| value).collect()
    }

    /// What the request asked, whatever the order of its parameters: a key sent again must
    /// come with the same.
    fn fingerprint(&self, path: &str) -> String {
        let mut pairs: Vec<String> = self
            .0
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        pairs.sort();
        format!("{path}?{}", pairs.join("&"))
    }
}

/// The smallest charge in each currency paysim takes, in minor units (Stripe's minimums, about
/// half a US dollar); a currency not listed is refused as an unknown one.
const CURRENCIES: &[(&str, i64)] = &[
    ("brl", 50),
    ("usd", 50),
    ("eur", 50),
    ("gbp", 30),
    ("cad", 50),
    ("aud", 50),
    ("chf", 50),
    ("mxn", 1_000),
    ("jpy", 50),
    ("ars", 50),
    ("clp", 50),
    ("cop", 50),
    ("pen", 50),
    ("uyu", 50),
];

/// The largest amount Stripe takes (eight digits of minor units).
const MAX_AMOUNT: i64 = 99_999_999;

/// An invalid parameter, answered as Stripe's `invalid_request_error` naming it.
struct Invalid {
    param: &'static str,
    code: Option<&'static str>,
    message: String,
}

impl IntoResponse for Invalid {
    fn into_response(self) -> Response {
        let body = json!({"error": {
            "type": "invalid_request_error",
            "code": self.code,
            "param": self.param,
            "message": self.message,
        }});
        (StatusCode::BAD_REQUEST, Json(body)).into_response()
    }
}

fn invalid(param: &'static str, code: Option<&'static str>, message: &str) -> Invalid {
    Invalid {
        param,
        code,
        message: message.to_owned(),
    }
}

fn key_reused(e: impl std::fmt::Display) -> Response {
    let body = json!({"error": {"type": "idempotency_error", "message": e.to_string()}});
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// `amount` and `currency` as Stripe checks them: an integer of minor units at least the
/// currency's minimum, and a currency it knows.
fn amount_and_currency(params: &Params) -> Result<(i64, String), Invalid> {
    let (Some(amount), Some(currency)) = (params.get("amount"), params.get("currency")) else {
        let missing = if params.get("amount").is_none() {
            "amount"
        } else {
            "currency"
        };
        return Err(invalid(
            missing,
            Some("parameter_missing"),
            &format!("Missing required param: {missing}."),
        ));
    };
    let currency = currency.to_ascii_lowercase();
    let Some((_, minimum)) = CURRENCIES.iter().find(|(code, _)| *code == currency) else {
        return Err(invalid(
            "currency",
            None,
            &format!(
                "Invalid currency: {currency}. paysim takes these currencies: {}.",
                CURRENCIES
                    .iter()
                    .map(|(code, _)| *code)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    let Ok(amount) = amount.parse::<i64>() else {
        return Err(invalid(
            "amount",
            Some("parameter_invalid_integer"),
            "Invalid integer: amount must be a whole number of minor units.",
        ));
    };
    if amount < *minimum {
        return Err(invalid(
            "amount",
            Some("amount_too_small"),
            &format!("Amount must be at least {minimum} {currency} minor units."),
        ));
    }
    if amount > MAX_AMOUNT {
        return Err(invalid(
            "amount",
            Some("amount_too_large"),
            &format!("Amount must be no more than {MAX_AMOUNT} minor units."),
        ));
    }
    Ok((amount, currency))
}

/// The card installments asked for (`payment_method_options[card][installments][plan][count]`).
fn installments(params: &Params) -> Result<i64, Invalid> {
    match params.get("payment_method_options[card][installments][plan][count]") {
        None => Ok(1),
        Some(count) => match count.parse::<i64>() {
            Ok(count @ 2..=12) => Ok(count),
            _ => Err(invalid(
                "payment_method_options[card][installments][plan][count]",
                Some("parameter_invalid_integer"),
                "installments plan count must be 2 to 12",
            )),
        },
    }
}

/// When a Pix charge expires: `expires_at` (a moment) or `expires_after_seconds` (10 s to 14
/// days, a day by default), not both.
fn pix_expiry(params: &Params) -> Result<i64, Invalid> {
    const AFTER: &str = "payment_method_options[pix][expires_after_seconds]";
    const AT: &str = "payment_method_options[pix][expires_at]";
    match (params.get(AFTER), params.get(AT)) {
        (Some(_), Some(_)) => Err(invalid(
            AT,
            None,
            "expires_at and expires_after_seconds cannot both be given",
        )),
        (None, Some(at)) => at.parse::<i64>().map_err(|_| {
            invalid(
                AT,
                Some("parameter_invalid_integer"),
                "expires_at must be a Unix timestamp",
            )
        }),
        (after, None) => match after.map_or(Ok(PIX_DEFAULT_SECONDS), str::parse::<i64>) {
            Ok(seconds @ 10..=1_209_600) => Ok(unix_now() + seconds),
            _ => Err(invalid(
                AFTER,
                Some("parameter_invalid_integer"),
                "expires_after_seconds must be 10 to 1209600",
            )),
        },
    }
}

/// The card `payment_method`, when given: paysim knows test tokens (`tok_…`) only.
fn card_token(params: &Params) -> Result<Option<&str>, Invalid> {
    match params.get("payment_method") {
        Some(token) if !token.starts_with("tok_") => Err(invalid(
            "payment_method",
            Some("resource_missing"),
            &format!("No such PaymentMethod: '{token}'"),
        )),
        token => Ok(token),
    }
}

fn idempotency_key(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty())
}

async fn create_intent(
    State(sim): State<Arc<Paysim>>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    let Some(key) = idempotency_key(&headers) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "idempotency_key_required",
            "send an Idempotency-Key",
            None,
        );
    };
    let params = Params(form);
    let (amount, currency) = match amount_and_currency(&params) {
        Ok(checked) => checked,
        Err(refused) => return refused.into_response(),
    };
    let types = params.list("payment_method_types");
    let method = match types.as_slice() {
        [] | ["card"] => Method::Card,
        ["pix"] => Method::Pix,
        _ => {
            return invalid(
                "payment_method_types",
                Some("payment_method_unactivated"),
                "paysim takes one payment method type: card or pix",
            )
            .into_response();
        }
    };
    if method == Method::Pix && currency != "brl" {
        return invalid(
            "currency",
            Some("payment_intent_invalid_currency"),
            "a Pix charge is in brl",
        )
        .into_response();
    }
    let confirm = params.get("confirm") == Some("true");
    let token = match card_token(&params) {
        Ok(token) => token,
        Err(refused) => return refused.into_response(),
    };
    if method == Method::Card && confirm && token.is_none() {
        return invalid(
            "payment_method",
            Some("parameter_missing"),
            "confirm needs a payment_method",
        )
        .into_response();
    }
    let installments = match installments(&params) {
        Ok(count) => count,
        Err(refused) => return refused.into_response(),
    };
    let pix_expires_at = match method {
        Method::Pix => match pix_expiry(&params) {
            Ok(at) => Some(at),
            Err(refused) => return refused.into_response(),
        },
        Method::Card => None,
    };
    let order = params.get("metadata[order_id]").unwrap_or_default();
    sim.think().await;
    let token = token.map(|token| sim.maybe_decline(token));
    let new = NewIntent {
        amount,
        currency: &currency,
        order_id: order,
        method,
        token,
        installments,
        pix_expires_at,
        confirm,
    };
    match sim
        .provider
        .create(key, &params.fingerprint("/v1/payment_intents"), &new)
    {
        Ok(outcome) => sim.answer(outcome).await,
        Err(reused) => key_reused(reused),
    }
}

/// `POST /v1/payment_intents/{id}/confirm`: confirms an intent made without `confirm` (or one
/// declined), with the card `payment_method` when given.
async fn confirm_intent(
    State(sim): State<Arc<Paysim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    let params = Params(form);
    let token = match card_token(&params) {
        Ok(token) => token,
        Err(refused) => return refused.into_response(),
    };
    sim.think().await;
    let token = token.map(|token| sim.maybe_decline(token));
    match sim.provider.confirm(&id, token) {
        Ok(outcome) => sim.answer(outcome).await,
        Err(ConfirmError::UnknownPayment) => no_such_intent(),
        Err(e) => unexpected_state(&sim, &id, e),
    }
}

impl Paysim {
    /// `token`, or a decline in its place for the share of approvals declined anyway.
    fn maybe_decline<'a>(&self, token: &'a str) -> &'a str {
        let declined_by_chance =
            self.decline_rate > 0.0 && rand::rng().random::<f64>() < self.decline_rate;
        if declined_by_chance && token != "tok_timeout" {
            "tok_chargeDeclined"
        } else {
            token
        }
    }

    /// The answer to a create or confirm (or a replay of either), with its webhook.
    async fn answer(self: &Arc<Self>, outcome: Outcome) -> Response {
        match outcome {
            Outcome::PixPending(intent) => {
                self.clone().buyer_pays_later(&intent);
                Json(intent_json(&intent)).into_response()
            }
            Outcome::Unconfirmed(intent) => Json(intent_json(&intent)).into_response(),
            Outcome::Succeeded(intent) => {
                self.send_webhook("payment_intent.succeeded", &intent);
                Json(intent_json(&intent)).into_response()
            }
            Outcome::Declined(intent) => {
                self.send_webhook("payment_intent.payment_failed", &intent);
                error(
                    StatusCode::PAYMENT_REQUIRED,
                    "card_error",
                    "card_declined",
                    "your card was declined",
                    Some(&intent),
                )
            }
            Outcome::AnswerLost(intent) => {
                self.send_webhook("payment_intent.succeeded", &intent);
                tokio::time::sleep(self.lost_answer).await;
                error(
                    StatusCode::GATEWAY_TIMEOUT,
                    "api_error",
                    "timeout",
                    "the answer was lost",
                    None,
                )
            }
        }
    }
}

async fn get_intent(
    State(sim): State<Arc<Paysim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    match sim.provider.intent(&id) {
        Some(intent) => Json(intent_json(&intent)).into_response(),
        None => no_such_intent(),
    }
}

/// An intent asked for what its state does not allow, answered with the intent as it is.
fn unexpected_state(sim: &Paysim, id: &str, e: impl std::fmt::Display) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        "payment_intent_unexpected_state",
        &e.to_string(),
        sim.provider.intent(id).as_ref(),
    )
}

fn no_such_intent() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        "resource_missing",
        "no such payment_intent",
        None,
    )
}

/// What paysim does not simulate is answered as Stripe answers an unknown request.
async fn not_simulated(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        "resource_missing",
        &format!(
            "Unrecognized request URL ({method}: {}); paysim simulates payment_intents (create, retrieve, list, confirm, cancel), refunds and paying a Pix",
            uri.path()
        ),
        None,
    )
}

fn unauthorised() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "invalid_request_error",
        "missing_api_key",
        "send a bearer key",
        None,
    )
}

/// `GET /v1/payment_intents`: newest first, `limit` (1..100, default 10) after `starting_after`.
async fn list_intents(
    State(sim): State<Arc<Paysim>>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    let limit = match query.get("limit").map(|l| l.parse::<usize>()) {
        None => 10,
        Some(Ok(limit)) if (1..=100).contains(&limit) => limit,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "parameter_invalid_integer",
                "limit must be an integer from 1 to 100",
                None,
            );
        }
    };
    let intents = sim.provider.intents();
    let start = match query.get("starting_after") {
        None => 0,
        Some(after) => match intents.iter().position(|i| &i.id == after) {
            Some(at) => at + 1,
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    "resource_missing",
                    "no such payment_intent in starting_after",
                    None,
                );
            }
        },
    };
    let page: Vec<Value> = intents
        .iter()
        .skip(start)
        .take(limit)
        .map(intent_json)
        .collect();
    let has_more = intents.len() > start + page.len();
    Json(
        json!({"object": "list", "url": "/v1/payment_intents", "has_more": has_more, "data": page}),
    )
    .into_response()
}

/// `POST /v1/payment_intents/{id}/cancel`: for an intent that has not succeeded.
async fn cancel_intent(
    State(sim): State<Arc<Paysim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    match sim.provider.cancel(&id) {
        Ok(intent) => Json(intent_json(&intent)).into_response(),
        Err(CancelError::UnknownPayment) => no_such_intent(),
        Err(e @ CancelError::Succeeded) => unexpected_state(&sim, &id, e),
    }
}

async fn create_refund(
    State(sim): State<Arc<Paysim>>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    let params = Params(form);
    let Some(intent) = params.get("payment_intent") else {
        return invalid(
            "payment_intent",
            Some("parameter_missing"),
            "Missing required param: payment_intent.",
        )
        .into_response();
    };
    // Without an amount, Stripe refunds all that remains of the charge.
    let amount = match params.get("amount").map(str::parse::<i64>) {
        None => None,
        Some(Ok(amount)) => Some(amount),
        Some(Err(_)) => {
            return invalid(
                "amount",
                Some("parameter_invalid_integer"),
                "amount must be an integer number of minor units",
            )
            .into_response();
        }
    };
    let fingerprint = params.fingerprint("/v1/refunds");
    // Without a key, each request is a refund of its own.
    let key = idempotency_key(&headers).map(|key| (key, fingerprint.as_str()));
    sim.think().await;
    match sim.provider.refund(key, intent, amount) {
        Ok((id, amount)) => {
            Json(json!({"id": id, "object": "refund", "payment_intent": intent, "amount": amount, "status": "succeeded"})).into_response()
        }
        Err(RefundError::KeyReused(reused)) => key_reused(reused),
        Err(e) => error(StatusCode::BAD_REQUEST, "invalid_request_error", "refund_failed", &e.to_string(), None),
    }
}

/// What was charged and refunded, for audits after a load test.
async fn summary(State(sim): State<Arc<Paysim>>) -> Json<Value> {
    let intents = sim.provider.intents();
    let succeeded: Vec<&Intent> = intents.iter().filter(|i| i.status == "succeeded").collect();
    Json(json!({
        "intents": intents.len(),
        "succeeded": succeeded.len(),
        "captured_cents": succeeded.iter().map(|i| i.amount).sum::<i64>(),
        "refunded_cents": succeeded.iter().map(|i| i.refunded).sum::<i64>(),
    }))
}
