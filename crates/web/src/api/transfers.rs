//! Transfers (S10): `POST /tickets/{id}/transfers`, `GET /transfers` and the three decisions.

use super::audit_context;
use super::buying::PageQuery;
use super::error::{ApiResult, Problem};
use super::extract::{ApiJson, ApiQuery, ClientIp, CurrentUser, PathId};
use super::page_request;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use bilheteria_app::App;
use bilheteria_app::transfers;
use bilheteria_domain::ids::{TicketId, TransferId};
use bilheteria_domain::page::Page;
use bilheteria_domain::transfers::{Decision, Transfer, TransferInput};

#[utoipa::path(post, path = "/tickets/{id}/transfers", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body = TransferInput,
    responses(
        (status = 201, description = "offered: the recipient is emailed (and invited to sign up if they have no account)", body = Transfer),
        (status = 404, description = "no such ticket of the caller's", body = Problem),
        (status = 409, description = "`transfer_not_allowed`, with `reason`: `disabled`, `past_cutoff`, `ticket_not_valid`, `already_pending`, `listed_for_resale`", body = Problem),
        (status = 422, description = "`validation_failed` (not an email, or the caller's own)", body = Problem),
    ))]
pub async fn offer_transfer(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(ticket): PathId<TicketId>,
    ApiJson(input): ApiJson<TransferInput>,
) -> ApiResult<(StatusCode, Json<Transfer>)> {
    let audit = audit_context(&caller, client_ip);
    let transfer = transfers::offer(&state, &caller.user, ticket, input, &audit).await?;
    Ok((StatusCode::CREATED, Json(transfer)))
}

#[utoipa::path(get, path = "/transfers", tag = "tickets", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "transfers the caller sent or was offered (by email), newest first", body = Page<Transfer>)))]
pub async fn list_transfers(
    State(state): State<App>,
    caller: CurrentUser,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Transfer>>> {
    let page = page_request(query.limit, query.cursor.as_deref())?;
    Ok(Json(transfers::list(&state, &caller.user, &page).await?))
}

#[utoipa::path(get, path = "/transfers/{id}", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Transfer), (status = 404, body = Problem)))]
pub async fn get_transfer(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<TransferId>,
) -> ApiResult<Json<Transfer>> {
    Ok(Json(transfers::visible(&state, id, &caller.user).await?))
}

async fn decide(
    state: App,
    caller: CurrentUser,
    client_ip: ClientIp,
    id: TransferId,
    decision: Decision,
) -> ApiResult<Json<Transfer>> {
    let audit = audit_context(&caller, client_ip);
    let transfer = transfers::decide(&state, &caller.user, id, decision, &audit).await?;
    Ok(Json(transfer))
}

#[utoipa::path(post, path = "/transfers/{id}/accept", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "the ticket is the caller's, with a new code; the old one is revoked", body = Transfer),
        (status = 403, description = "the caller is the sender", body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`transfer_not_allowed` (no longer pending, or the ticket was used or cancelled)", body = Problem),
        (status = 422, description = "`purchase_limit_exceeded`: the ticket would take the caller past the session's cap", body = Problem),
    ))]
pub async fn accept_transfer(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<TransferId>,
) -> ApiResult<Json<Transfer>> {
    decide(state, caller, client_ip, id, Decision::Accept).await
}

#[utoipa::path(post, path = "/transfers/{id}/decline", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Transfer), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn decline_transfer(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<TransferId>,
) -> ApiResult<Json<Transfer>> {
    decide(state, caller, client_ip, id, Decision::Decline).await
}

#[utoipa::path(post, path = "/transfers/{id}/cancel", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Transfer), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel_transfer(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<TransferId>,
) -> ApiResult<Json<Transfer>> {
    decide(state, caller, client_ip, id, Decision::Cancel).await
}
