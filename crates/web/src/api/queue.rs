//! The waiting room (S3): joining, polling (never touching the database), server-sent events,
//! the proof-of-work challenge, and what organizers see and change.

use super::audit_context;
use super::error::{ApiError, ApiResult, Problem, ProblemCode};
use super::extract::{ApiJson, ApiQuery, ClientIp, CurrentUser, PathId};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use bilheteria_app::App;
use bilheteria_app::AppError;
use bilheteria_app::access;
use bilheteria_app::queue::{LinePlace, QueueStats, QueueView};
use bilheteria_domain::account::User;
use bilheteria_domain::catalog::SaleWindow;
use bilheteria_domain::catalog::{QueuePatch, QueueSettings};
use bilheteria_domain::ids::SessionId;
use bilheteria_domain::organization::Capability;
use bilheteria_domain::queue::{QueueClaims, TokenKind, device_fingerprint, proof_of_work_ok};
use bilheteria_store::QueuedSession;
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub const QUEUE_TOKEN_HEADER: &str = "x-queue-token";
const CHALLENGE_HEADER: &str = "x-queue-challenge";
const NONCE_HEADER: &str = "x-queue-nonce";
/// How long a proof-of-work challenge may be used.
const CHALLENGE_MS: i64 = 5 * 60 * 1000;

fn with_retry_after(view: QueueView) -> Response {
    let mut response = Json(&view).into_response();
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(view.poll_after_seconds),
    );
    response
}

/// Who asks about a session's waiting room.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum QueueAccess {
    /// A buyer: the session must still be on sale.
    Buyer,
    /// Its organizer (or an admin): to see and steer the queue.
    Manager,
}

/// The session's waiting room, if the caller may see it (or manage it) and it has one.
pub async fn queued_session(
    state: &App,
    id: SessionId,
    caller: &User,
    asker: QueueAccess,
) -> ApiResult<QueuedSession> {
    let (session, event) = match asker {
        QueueAccess::Buyer => access::visible_session(state, id, Some(caller)).await?,
        QueueAccess::Manager => {
            access::managed_session(state, id, caller, Capability::EditCatalog).await?
        }
    };
    if asker == QueueAccess::Buyer {
        access::not_cancelled(&event)?;
    }
    if !session.queue.enabled {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ProblemCode::QueueNotEnabled,
            "this session has no waiting room",
        ));
    }
    if asker == QueueAccess::Buyer && session.sale_window(state.clock.now()) == SaleWindow::Closed {
        return Err(AppError::SalesClosed.into());
    }
    Ok(QueuedSession {
        id: session.id,
        event_id: session.event_id,
        sales_start_at: session.sales_start_at,
        starts_at: session.starts_at,
        queue: session.queue,
    })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Challenge {
    /// Find a nonce such that SHA-256(challenge ":" nonce) starts with `bits` zero bits, then
    /// join with `X-Queue-Challenge` and `X-Queue-Nonce`.
    pub challenge: String,
    pub bits: i64,
}

#[utoipa::path(get, path = "/sessions/{id}/queue/challenge", tag = "queue", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Challenge), (status = 409, description = "`queue_not_enabled`", body = Problem), (status = 410, description = "`event_cancelled`", body = Problem)))]
pub async fn challenge(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<SessionId>,
) -> ApiResult<Json<Challenge>> {
    let session = queued_session(&state, id, &caller.user, QueueAccess::Buyer).await?;
    let claims = QueueClaims {
        kind: TokenKind::Challenge,
        session: id,
        user: caller.user.id,
        device: device_fingerprint(&caller.device_id),
        seq: 0,
        time_ms: state.clock.now().unix_timestamp() * 1000,
    };
    Ok(Json(Challenge {
        challenge: state.queue.sign(&claims),
        bits: session.queue.proof_of_work_bits,
    }))
}

/// Checks a joiner's proof of work (`challenge`, `nonce`) when the queue asks for one.
pub fn check_proof_of_work(
    state: &App,
    session: &QueuedSession,
    caller: &User,
    proof: Option<(&str, &str)>,
) -> ApiResult<()> {
    let bits = u8::try_from(session.queue.proof_of_work_bits).unwrap_or(0);
    if bits == 0 {
        return Ok(());
    }
    let required = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ProblemCode::ProofOfWorkRequired,
            "this queue asks for a proof of work: GET .../queue/challenge, solve it, join with X-Queue-Challenge and X-Queue-Nonce",
        )
    };
    let Some((challenge, nonce)) = proof else {
        return Err(required());
    };
    let claims = state
        .queue
        .verify(challenge, TokenKind::Challenge)
        .map_err(|_| required())?;
    let now_ms = state.clock.now().unix_timestamp() * 1000;
    let fresh = now_ms - claims.time_ms <= CHALLENGE_MS && claims.time_ms <= now_ms + 1000;
    if claims.session != session.id
        || claims.user != caller.id
        || !fresh
        || !proof_of_work_ok(challenge, nonce, bits)
    {
        return Err(required());
    }
    Ok(())
}

#[utoipa::path(post, path = "/sessions/{id}/queue", tag = "queue", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "in line (idempotent per account and device)", body = QueueView),
        (status = 403, description = "`proof_of_work_required`", body = Problem),
        (status = 409, description = "`queue_not_enabled`, `device_in_queue`, `sales_closed`", body = Problem),
        (status = 410, description = "`event_cancelled`", body = Problem),
        (status = 429, description = "`rate_limited`", body = Problem),
    ))]
pub async fn join(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    headers: HeaderMap,
    PathId(id): PathId<SessionId>,
) -> ApiResult<Response> {
    let session = queued_session(&state, id, &caller.user, QueueAccess::Buyer).await?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let proof = header(CHALLENGE_HEADER).zip(header(NONCE_HEADER));
    check_proof_of_work(&state, &session, &caller.user, proof)?;
    let ip = client_ip.to_option_string();
    let view = state
        .queue
        .join(
            state.store.as_ref(),
            &session,
            caller.user.id,
            &caller.device_id,
            ip.as_deref(),
            state.clock.now(),
        )
        .await?;
    Ok(with_retry_after(view))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TokenQuery {
    /// The queue token, for clients that cannot set headers (EventSource).
    pub queue_token: Option<String>,
}

fn token_from(headers: &HeaderMap, query: &TokenQuery) -> ApiResult<String> {
    headers
        .get(QUEUE_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| query.queue_token.clone())
        .ok_or_else(|| AppError::InvalidQueueToken.into())
}

#[utoipa::path(get, path = "/sessions/{id}/queue", tag = "queue",
    params(("id" = String, Path, format = Uuid), ("X-Queue-Token" = String, Header), TokenQuery),
    responses(
        (status = 200, description = "position, or the admission token (answered without the database)", body = QueueView),
        (status = 401, description = "`invalid_queue_token`", body = Problem),
        (status = 409, description = "`queue_not_enabled`", body = Problem),
        (status = 410, description = "`admission_expired`", body = Problem),
        (status = 429, description = "`rate_limited`", body = Problem),
    ))]
pub async fn poll(
    State(state): State<App>,
    client_ip: ClientIp,
    headers: HeaderMap,
    PathId(id): PathId<SessionId>,
    ApiQuery(query): ApiQuery<TokenQuery>,
) -> ApiResult<Response> {
    let token = token_from(&headers, &query)?;
    let ip = client_ip.to_option_string();
    Ok(with_retry_after(
        state
            .queue
            .poll(id, &token, ip.as_deref(), state.clock.now())
            .await?,
    ))
}

#[utoipa::path(get, path = "/sessions/{id}/queue/events", tag = "queue",
    params(("id" = String, Path, format = Uuid), ("X-Queue-Token" = Option<String>, Header), TokenQuery),
    responses((status = 200, description = "the same answers as server-sent events, until admitted", content_type = "text/event-stream"), (status = 401, body = Problem)))]
pub async fn events(
    State(state): State<App>,
    client_ip: ClientIp,
    headers: HeaderMap,
    PathId(id): PathId<SessionId>,
    ApiQuery(query): ApiQuery<TokenQuery>,
) -> ApiResult<Sse<impl futures_core::Stream<Item = Result<Event, std::convert::Infallible>>>> {
    let token = token_from(&headers, &query)?;
    let ip = client_ip.to_option_string();
    // The first answer is checked before the stream starts, so a bad token is a plain 401.
    let first = state
        .queue
        .poll(id, &token, ip.as_deref(), state.clock.now())
        .await?;
    let stream = async_stream(state, id, token, ip, first);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Sends the view, waits as long as it says, and polls again; ends once admitted or on error,
/// and after at most an hour.
fn async_stream(
    state: App,
    id: SessionId,
    token: String,
    ip: Option<String>,
    first: QueueView,
) -> impl futures_core::Stream<Item = Result<Event, std::convert::Infallible>> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3600);
    futures_util::stream::unfold(Some(first), move |view| {
        let (state, token, ip) = (state.clone(), token.clone(), ip.clone());
        async move {
            let view = view?;
            let event = Event::default()
                .event("queue")
                .json_data(&view)
                .unwrap_or_default();
            let next =
                if view.status == LinePlace::Admitted || tokio::time::Instant::now() > deadline {
                    None
                } else {
                    tokio::time::sleep(Duration::from_secs(view.poll_after_seconds)).await;
                    state
                        .queue
                        .poll(id, &token, ip.as_deref(), state.clock.now())
                        .await
                        .ok()
                };
            Some((Ok(event), next))
        }
    })
}

#[utoipa::path(get, path = "/sessions/{id}/queue/stats", tag = "queue", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = QueueStats), (status = 403, body = Problem), (status = 409, description = "`queue_not_enabled`: the session sells without a waiting room", body = Problem)))]
pub async fn stats(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<SessionId>,
) -> ApiResult<Json<QueueStats>> {
    let session = queued_session(&state, id, &caller.user, QueueAccess::Manager).await?;
    Ok(Json(state.queue.stats(&session, state.clock.now()).await?))
}

#[utoipa::path(patch, path = "/sessions/{id}/queue", tag = "queue", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = QueuePatch,
    responses((status = 200, description = "the new settings (audited)", body = QueueSettings), (status = 403, body = Problem), (status = 409, description = "`queue_not_enabled`: the session sells without a waiting room", body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<SessionId>,
    ApiJson(patch): ApiJson<QueuePatch>,
) -> ApiResult<Json<QueueSettings>> {
    let mut session = queued_session(&state, id, &caller.user, QueueAccess::Manager).await?;
    let settings = patch.apply_to(&session.queue)?;
    state
        .store
        .update_queue_settings(
            id,
            &settings,
            state.clock.now(),
            &audit_context(&caller, client_ip),
        )
        .await?;
    session.queue = settings;
    // This node applies it at once; the others at their next tick.
    state.queue.remember(session);
    Ok(Json(settings))
}
