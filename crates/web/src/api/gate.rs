//! The gate: staff assigned to an event, and `POST /checkin`.

use super::audit_context;
use super::error::{ApiResult, Problem};
use super::extract::{ApiJson, ApiQuery, ClientIp, CurrentUser, PathId, PathIds};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use bilheteria_app::App;
use bilheteria_app::gate;
use bilheteria_domain::account::User;
use bilheteria_domain::gate::{ScanInput, SyncInput};
use bilheteria_domain::half_price::{Eligibility, TicketType};
use bilheteria_domain::ids::{EventId, SessionId, TicketId, UserId};
use bilheteria_domain::page::Page;
use bilheteria_domain::tickets::SeatLabel;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffInput {
    /// The email of an existing account.
    #[schema(format = "email", max_length = 254)]
    pub email: String,
}

#[utoipa::path(post, path = "/events/{id}/staff", tag = "gate", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = StaffInput,
    responses(
        (status = 201, description = "the account may now check this event's tickets in", body = User),
        (status = 403, body = Problem),
        (status = 404, description = "no such event, or no account with that email", body = Problem),
    ))]
pub async fn assign_staff(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(event): PathId<EventId>,
    ApiJson(input): ApiJson<StaffInput>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let audit = audit_context(&caller, client_ip);
    let staff = gate::assign_staff(&state, &caller.user, event, &input.email, &audit).await?;
    Ok((StatusCode::CREATED, Json(staff)))
}

#[utoipa::path(get, path = "/events/{id}/staff", tag = "gate", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Page<User>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_staff(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(event): PathId<EventId>,
) -> ApiResult<Json<Page<User>>> {
    let staff = gate::event_staff(&state, &caller.user, event).await?;
    Ok(Json(Page::complete(staff)))
}

#[utoipa::path(delete, path = "/events/{id}/staff/{user_id}", tag = "gate", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("user_id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_staff(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathIds(event, staff): PathIds<EventId, UserId>,
) -> ApiResult<StatusCode> {
    let audit = audit_context(&caller, client_ip);
    gate::remove_staff(&state, &caller.user, event, staff, &audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A ticket let in.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CheckinAnswer {
    pub ticket_id: TicketId,
    pub session_id: SessionId,
    /// `admitted`.
    pub status: &'static str,
    /// `full` or `half` (meia-entrada).
    pub ticket_type: TicketType,
    /// Whether the gate must see a document that entitles the holder to the ticket's price:
    /// true for a half-price ticket.
    pub check_document: bool,
    /// The ground of a half-price ticket, and the document to see (in Portuguese).
    pub eligibility: Option<Eligibility>,
    pub document: Option<&'static str>,
    /// `null` for a standing ticket.
    pub seat: Option<SeatLabel>,
    pub gate: String,
    #[serde(with = "time::serde::rfc3339")]
    pub scanned_at: OffsetDateTime,
}

#[utoipa::path(post, path = "/checkin", tag = "gate", security(("bearer" = [])),
    request_body = ScanInput,
    responses(
        (status = 200, description = "admitted (a retried nonce answers the same)", body = CheckinAnswer),
        (status = 403, description = "not staff of the ticket's event", body = Problem),
        (status = 404, description = "`invalid_ticket`", body = Problem),
        (status = 409, description = "`ticket_used` (with `first_scan_at` and `gate`) or `ticket_wrong_session`", body = Problem),
        (status = 410, description = "`ticket_revoked`", body = Problem),
        (status = 422, description = "`validation_failed`", body = Problem),
    ))]
pub async fn checkin(
    State(state): State<App>,
    caller: CurrentUser,
    ApiJson(input): ApiJson<ScanInput>,
) -> ApiResult<Json<CheckinAnswer>> {
    let admitted = gate::check_in(&state, &caller.user, input.parse()?).await?;
    Ok(Json(CheckinAnswer {
        ticket_id: admitted.ticket.id,
        session_id: admitted.ticket.session_id,
        status: "admitted",
        ticket_type: admitted.ticket.ticket_type,
        check_document: admitted.ticket.ticket_type == TicketType::Half,
        eligibility: admitted.ticket.eligibility,
        document: admitted.ticket.eligibility.map(Eligibility::document_pt),
        seat: admitted.ticket.seat,
        gate: admitted.gate,
        scanned_at: admitted.scanned_at,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BundleQuery {
    /// The `next_since` of the previous bundle: only what changed after it (at most
    /// `bilheteria_app::gate::MAX_SINCE_LEN` characters).
    #[param(max_length = 32, pattern = "^[0-9]+$")]
    pub since: Option<String>,
}

#[utoipa::path(get, path = "/checkin/sessions/{id}/bundle", tag = "gate", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), BundleQuery),
    responses(
        (status = 200, description = "keys, the session's tickets (or those changed since `since`) and the codes to refuse", body = gate::Bundle),
        (status = 403, description = "not staff of the session's event", body = Problem),
        (status = 404, body = Problem),
        (status = 422, description = "`since` is not a `next_since`", body = Problem),
    ))]
pub async fn bundle(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(session): PathId<SessionId>,
    ApiQuery(query): ApiQuery<BundleQuery>,
) -> ApiResult<Json<gate::Bundle>> {
    Ok(Json(
        gate::bundle(&state, &caller.user, session, query.since.as_deref()).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SyncAnswer {
    /// One per scan sent, earliest scan first.
    pub results: Vec<gate::SyncResult>,
}

#[utoipa::path(post, path = "/checkin/sync", tag = "gate", security(("bearer" = [])),
    request_body = SyncInput,
    responses(
        (status = 200, description = "what became of each scan: the first scan of a ticket wins; duplicates name both gates", body = SyncAnswer),
        (status = 422, description = "`validation_failed` (1 to 500 scans, none in the future)", body = Problem),
    ))]
pub async fn sync(
    State(state): State<App>,
    caller: CurrentUser,
    ApiJson(input): ApiJson<SyncInput>,
) -> ApiResult<Json<SyncAnswer>> {
    Ok(Json(SyncAnswer {
        results: gate::sync(&state, &caller.user, input).await?,
    }))
}
