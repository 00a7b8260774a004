//! Buying (U2, U4, S1, S2, S8, C1): holds, orders with idempotency, refunds, and the payment
//! provider's webhook. The purchase flow itself lives in `bilheteria_app::sales`.

use super::error::{ApiError, ApiResult, Problem, ProblemCode};
use super::extract::{
    ApiJson, ApiQuery, ClientIp, CurrentUser, OptionalJson, PathId, RequestLanguage, parse_json,
};
use super::{audit_context, page_request};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bilheteria_app::App;
use bilheteria_app::access;
use bilheteria_app::back_office;
use bilheteria_app::sales;
use bilheteria_domain::back_office::RefundInput;
use bilheteria_domain::ids::{HoldId, OrderId, SessionId};
use bilheteria_domain::organization::Capability;
use bilheteria_domain::page::Page;
use bilheteria_domain::sales::{
    Hold, HoldInput, IdempotencyKey, Order, OrderFailure, OrderInput, OrderStatus,
    request_fingerprint,
};
use bilheteria_domain::{FieldErrors, FieldProblem};
use bilheteria_payments::webhook;
use serde::Deserialize;

#[utoipa::path(post, path = "/sessions/{id}/holds", tag = "buying", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("X-Admission-Token" = Option<String>, Header, max_length = 1024, description = "required when the session has a waiting room")),
    request_body = HoldInput,
    responses(
        (status = 201, body = Hold),
        (status = 403, description = "`admission_required` or `ip_blocked`", body = Problem),
        (status = 409, description = "`seat_unavailable` (lists `seat_ids`), `sold_out`, `sales_not_open`, `sales_closed`, `sales_paused`, `organization_suspended`", body = Problem),
        (status = 410, description = "`event_cancelled`: its organizer cancelled the event", body = Problem),
        (status = 422, description = "`purchase_limit_exceeded` (C1) or `validation_failed`", body = Problem),
        (status = 429, description = "`rate_limited`: too many holds and orders from this buyer or address", body = Problem),
    ))]
pub async fn create_hold(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    headers: HeaderMap,
    PathId(session_id): PathId<SessionId>,
    ApiJson(body): ApiJson<HoldInput>,
) -> ApiResult<(StatusCode, Json<Hold>)> {
    let admission = headers.get(ADMISSION_HEADER).and_then(|v| v.to_str().ok());
    let held = sales::hold_places(
        &state,
        &caller.user,
        &caller.device_id,
        client_ip.0,
        session_id,
        body,
        admission,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(held)))
}

#[utoipa::path(delete, path = "/holds/{id}", tag = "buying", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 204, description = "released"), (status = 404, body = Problem), (status = 409, description = "`hold_in_use`", body = Problem)))]
pub async fn release_hold(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<HoldId>,
) -> ApiResult<StatusCode> {
    sales::release_hold(&state, &caller.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a buyer is told about an order in the status it was answered with: the order itself
/// once paid, or a problem document. A retry with the same key is told the same.
pub fn order_answer(order: &Order) -> Response {
    let error = match order.status {
        OrderStatus::Paid | OrderStatus::Refunded => {
            return (StatusCode::CREATED, Json(order)).into_response();
        }
        OrderStatus::PaymentPending => match &order.pix {
            Some(pix) => ApiError::new(
                StatusCode::ACCEPTED,
                ProblemCode::PaymentPending,
                "pay the Pix from your bank (scan the QR or copy and paste the code) before it \
                 expires; the order is paid when the bank confirms",
            )
            .with("order_id", order.id)
            .with("pix", pix)
            .with("order", order),
            None => ApiError::new(
                StatusCode::ACCEPTED,
                ProblemCode::PaymentPending,
                "the payment provider's answer is not known yet; the order will settle shortly",
            )
            .with("order_id", order.id),
        },
        OrderStatus::AwaitingPayment => ApiError::new(
            StatusCode::CONFLICT,
            ProblemCode::IdempotencyInProgress,
            "a request with this Idempotency-Key is still running",
        ),
        OrderStatus::Failed => {
            let code = order.failure_code.as_deref().unwrap_or("card_declined");
            let error = match OrderFailure::of(code) {
                OrderFailure::SeatsUnavailable
                | OrderFailure::SoldOut
                | OrderFailure::HalfPriceSoldOut
                | OrderFailure::PurchaseLimitExceeded => ApiError::new(
                    StatusCode::GONE,
                    ProblemCode::HoldExpired,
                    "the hold expired and its seats were taken before the payment settled; the charge was refunded",
                ),
                OrderFailure::ListingUnavailable => ApiError::new(
                    StatusCode::CONFLICT,
                    ProblemCode::ListingUnavailable,
                    "the ticket on resale was sold or withdrawn before the payment settled; the charge was refunded",
                ),
                OrderFailure::PixExpired => ApiError::new(
                    StatusCode::GONE,
                    ProblemCode::PixExpired,
                    "the Pix expired before it was paid; its places were released",
                ),
                OrderFailure::OutOfStock => ApiError::new(
                    StatusCode::CONFLICT,
                    ProblemCode::OutOfStock,
                    "a product sold out before the payment settled; the charge was refunded",
                ),
                OrderFailure::EventCancelled => ApiError::new(
                    StatusCode::GONE,
                    ProblemCode::EventCancelled,
                    "the event was cancelled before the payment settled; the charge was refunded",
                ),
                OrderFailure::Declined => ApiError::new(
                    StatusCode::PAYMENT_REQUIRED,
                    ProblemCode::PaymentDeclined,
                    "the payment was declined; the hold stays until it expires, so you can try again",
                )
                .with("decline_code", code),
            };
            error.with("order_id", order.id)
        }
    };
    error.into_response()
}

pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
pub const ADMISSION_HEADER: &str = "x-admission-token";

#[utoipa::path(post, path = "/orders", tag = "buying", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, min_length = 8, max_length = 64, pattern = "^[A-Za-z0-9_.:-]{8,64}$", description = "8..64 characters, unique per purchase attempt")),
    request_body = OrderInput,
    responses(
        (status = 201, description = "paid, with its tickets", body = Order),
        (status = 202, description = "`payment_pending`: the provider's answer is unknown; the order settles later", body = Problem),
        (status = 400, description = "`idempotency_key_required`", body = Problem),
        (status = 402, description = "`payment_declined`: the hold stays until it expires", body = Problem),
        (status = 403, description = "`ip_blocked`", body = Problem),
        (status = 404, description = "`not_found`: no such hold or listing (a hold is the caller's own)", body = Problem),
        (status = 409, description = "`idempotency_in_progress`, `out_of_stock`, `hold_in_use`", body = Problem),
        (status = 410, description = "`hold_expired`; or `event_cancelled`: the event was cancelled before the payment settled, and the payment was given back", body = Problem),
        (status = 422, description = "`idempotency_key_reused` or `validation_failed`", body = Problem),
        (status = 429, description = "`rate_limited`: too many holds and orders from this buyer or address", body = Problem),
    ))]
pub async fn create_order(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    RequestLanguage(lang): RequestLanguage,
    headers: HeaderMap,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Response> {
    let key = match headers.get(IDEMPOTENCY_HEADER) {
        None => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ProblemCode::IdempotencyKeyRequired,
                "send an Idempotency-Key header (8 to 64 characters) unique to this purchase",
            ));
        }
        Some(value) => IdempotencyKey::parse(value.to_str().unwrap_or_default())
            .map_err(|problem| ApiError::invalid_field("Idempotency-Key", problem))?,
    };
    sales::admit_buyer(&state, caller.user.id, client_ip.0)?;
    let fingerprint = request_fingerprint(&body);
    let input: OrderInput = parse_json(body.to_string().as_bytes())?;
    let request = input.parse()?;
    let answered = sales::place_order(
        &state,
        caller.user.id,
        &key,
        fingerprint,
        request,
        client_ip.to_option_string(),
    )
    .await?;
    Ok(order_answer(&answered.worded(lang)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// How many items, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page, as it was given (an opaque value: any other is
    /// refused with 422 `validation_failed`).
    #[param(max_length = 512, pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/orders", tag = "buying", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "the caller's orders, newest first", body = Page<Order>)))]
pub async fn list_orders(
    State(state): State<App>,
    caller: CurrentUser,
    RequestLanguage(lang): RequestLanguage,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Order>>> {
    let page = page_request(query.limit, query.cursor.as_deref())?;
    let orders = state.store.list_orders(caller.user.id, &page).await?;
    Ok(Json(Page {
        items: orders
            .items
            .into_iter()
            .map(|order| order.worded(lang))
            .collect(),
        next_cursor: orders.next_cursor,
    }))
}

#[utoipa::path(get, path = "/orders/{id}", tag = "buying", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Order), (status = 404, body = Problem)))]
pub async fn get_order(
    State(state): State<App>,
    caller: CurrentUser,
    RequestLanguage(lang): RequestLanguage,
    PathId(id): PathId<OrderId>,
) -> ApiResult<Json<Order>> {
    Ok(Json(
        access::visible_order(&state, id, &caller.user)
            .await?
            .worded(lang),
    ))
}

#[utoipa::path(post, path = "/orders/{id}/pix/pay", tag = "buying", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "with the simulated provider: the Pix paid, the order settled", body = Order),
        (status = 404, description = "`not_found`, or `not_simulated` (a real provider: pay from the bank)", body = Problem),
        (status = 409, description = "`pix_not_pending`", body = Problem),
    ))]
pub async fn pay_pix(
    State(state): State<App>,
    caller: CurrentUser,
    RequestLanguage(lang): RequestLanguage,
    PathId(id): PathId<OrderId>,
) -> ApiResult<Json<Order>> {
    Ok(Json(
        sales::pay_pix_in_simulator(&state, &caller.user, id)
            .await?
            .worded(lang),
    ))
}

#[utoipa::path(post, path = "/orders/{id}/refund", tag = "buying", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body(content = Option<RefundInput>, description = "optional: `ticket_ids` refunds those tickets only (what they were paid; the order's products are not refunded by it); without a body, the whole order"),
    responses(
        (status = 200, description = "refunded: the order (`refunded`, or still `paid` when tickets of it are left), its `refunded_cents`; the refunded tickets cancelled and revoked, their places released", body = Order),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`order_not_refundable`, `ticket_already_refunded`", body = Problem),
        (status = 422, description = "`validation_failed`: `ticket_ids[i]` no ticket of the order, empty, or named twice", body = Problem),
        (status = 502, description = "`payment_provider_error`", body = Problem),
    ))]
pub async fn refund_order(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    RequestLanguage(lang): RequestLanguage,
    PathId(id): PathId<OrderId>,
    OptionalJson(body): OptionalJson<RefundInput>,
) -> ApiResult<Json<Order>> {
    let scope = body
        .unwrap_or_default()
        .parse()
        .map_err(ApiError::validation)?;
    Ok(Json(
        back_office::refund(
            &state,
            &caller.user,
            id,
            scope,
            &audit_context(&caller, client_ip),
        )
        .await?
        .worded(lang),
    ))
}

#[utoipa::path(post, path = "/payments/webhook", tag = "buying",
    request_body(content = Object, content_type = "application/json", description = "a payment_intent event of the provider (`type`, and `data.object.metadata.order_id` naming the order)"),
    params(("Stripe-Signature" = String, Header, pattern = "^t=[0-9]+(,v[0-9]+=[0-9a-fA-F]+)+$", example = "t=1765000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
        description = "t=<unix seconds>,v1=<HMAC-SHA256 hex of \"t.body\">: refused (400 `invalid_signature`) when it does not match or is more than 300 seconds old")),
    responses(
        (status = 200, description = "accepted: a hint to ask the provider about the order it names (or ignored: not an order event)"),
        (status = 400, description = "`invalid_signature`", body = Problem),
        (status = 404, description = "webhooks are not configured", body = Problem),
    ))]
pub async fn payment_webhook(
    State(state): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let Some(secret) = state.settings.webhook_secret.as_deref() else {
        return Err(ApiError::not_found("route"));
    };
    let signature = headers
        .get(webhook::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    webhook::verify(
        secret,
        signature,
        &body,
        state.clock.now().unix_timestamp(),
        300,
    )
    .map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ProblemCode::InvalidSignature,
            e.to_string(),
        )
    })?;
    let event: webhook::Event = parse_json(&body)?;
    if let Some(order_id) = event.order_id() {
        sales::settle_on_hint(&state, order_id).await?;
    }
    metrics::counter!("payment_webhooks_total", "kind" => event.kind).increment(1);
    Ok(StatusCode::OK)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// `pending`, `sent` or `dead` (default `dead`).
    #[param(schema_with = outbox_status)]
    pub status: Option<String>,
    /// How many items, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page, as it was given (an opaque value: any other is
    /// refused with 422 `validation_failed`).
    #[param(max_length = 512, pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

fn outbox_status() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["pending", "sent", "dead"]))
        .build()
}

#[utoipa::path(get, path = "/admin/outbox", tag = "admin", security(("bearer" = [])), params(OutboxQuery),
    responses((status = 200, description = "notification messages by state, newest first", body = Page<bilheteria_store::OutboxMessage>), (status = 403, body = Problem)))]
pub async fn list_outbox(
    State(state): State<App>,
    caller: CurrentUser,
    ApiQuery(query): ApiQuery<OutboxQuery>,
) -> ApiResult<Json<Page<bilheteria_store::OutboxMessage>>> {
    bilheteria_app::authz::require_admin(&caller.user)?;
    let status = query.status.unwrap_or_else(|| "dead".into());
    if !["pending", "sent", "dead"].contains(&status.as_str()) {
        return Err(ApiError::validation(FieldErrors::single(
            "status",
            FieldProblem::NotOneOf {
                choices: &["pending", "sent", "dead"],
            },
        )));
    }
    let page = page_request(query.limit, query.cursor.as_deref())?;
    Ok(Json(state.store.list_outbox(&status, &page).await?))
}

#[utoipa::path(get, path = "/sessions/{id}/integrity", tag = "buying", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, description = "the sales invariants of the session, counted from the database", body = bilheteria_store::SalesIntegrity), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn sales_integrity(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<SessionId>,
) -> ApiResult<Json<bilheteria_store::SalesIntegrity>> {
    access::managed_session(&state, id, &caller.user, Capability::SeeSales).await?;
    Ok(Json(sales::integrity(&state, id).await?))
}
