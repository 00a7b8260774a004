//! Tickets changing hands (S10): transfers (`POST /tickets/{id}/transfers`, `GET /transfers`
//! and the three decisions) and face-value resale listings (buying one is `POST /orders`).

use super::audit_context;
use super::buying::PageQuery;
use super::error::{ApiResult, Problem};
use super::extract::{ApiJson, ApiQuery, ClientIp, CurrentUser, PathId};
use super::page_request;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use bilheteria_app::App;
use bilheteria_app::{resale, transfers};
use bilheteria_domain::ids::{ListingId, SessionId, TicketId, TransferId};
use bilheteria_domain::page::Page;
use bilheteria_domain::resale::{Listing, ListingInput, WaitlistEntry};
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
        (status = 403, description = "the caller is the sender; `email_not_verified`: the caller's address is not confirmed", body = Problem),
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

#[utoipa::path(post, path = "/tickets/{id}/resale", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body = ListingInput,
    responses(
        (status = 201, description = "listed: on sale to other buyers at this price", body = Listing),
        (status = 404, description = "no such ticket of the caller's", body = Problem),
        (status = 409, description = "`transfer_not_allowed` (used or cancelled, pending a transfer, listed already, resale closed for the session)", body = Problem),
        (status = 422, description = "`resale_above_face_value` (with `face_value_cents`), or `validation_failed` (a price below 1)", body = Problem),
    ))]
pub async fn list_for_resale(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(ticket): PathId<TicketId>,
    ApiJson(input): ApiJson<ListingInput>,
) -> ApiResult<(StatusCode, Json<Listing>)> {
    let audit = audit_context(&caller, client_ip);
    let listing = resale::list(&state, &caller.user, ticket, input, &audit).await?;
    Ok((StatusCode::CREATED, Json(listing)))
}

#[utoipa::path(delete, path = "/resale/{id}", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 204, description = "withdrawn"),
        (status = 404, description = "no such listing of the caller's", body = Problem),
        (status = 409, description = "`listing_unavailable`: sold, or a buyer is paying for it", body = Problem),
    ))]
pub async fn withdraw_listing(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<ListingId>,
) -> ApiResult<StatusCode> {
    let audit = audit_context(&caller, client_ip);
    resale::withdraw(&state, &caller.user, id, &audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/resale/{id}", tag = "tickets", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Listing), (status = 404, body = Problem)))]
pub async fn get_listing(
    State(state): State<App>,
    caller: Option<CurrentUser>,
    PathId(id): PathId<ListingId>,
) -> ApiResult<Json<Listing>> {
    Ok(Json(
        resale::get(&state, caller.as_ref().map(|c| &c.user), id).await?,
    ))
}

#[utoipa::path(get, path = "/sessions/{id}/resale", tag = "tickets", params(("id" = String, Path, format = Uuid), PageQuery),
    responses((status = 200, description = "listings on sale, cheapest first; buy one with `POST /orders` and `listing_id`", body = Page<Listing>), (status = 404, body = Problem)))]
pub async fn session_listings(
    State(state): State<App>,
    caller: Option<CurrentUser>,
    PathId(session): PathId<SessionId>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Listing>>> {
    let page = page_request(query.limit, query.cursor.as_deref())?;
    Ok(Json(
        resale::on_sale(&state, caller.as_ref().map(|c| &c.user), session, &page).await?,
    ))
}

#[utoipa::path(post, path = "/sessions/{id}/waitlist", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 201, description = "in line: listings are offered to the line in order, each to one buyer alone for 15 minutes", body = WaitlistEntry),
        (status = 200, description = "already in line: the place held", body = WaitlistEntry),
        (status = 404, body = Problem),
        (status = 409, description = "`not_sold_out`: places are still on sale; or `sales_closed`", body = Problem),
        (status = 410, description = "`event_cancelled`", body = Problem),
    ))]
pub async fn join_waitlist(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(session): PathId<SessionId>,
) -> ApiResult<(StatusCode, Json<WaitlistEntry>)> {
    let (entry, new) = resale::join_waitlist(&state, &caller.user, session).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(entry)))
}

#[utoipa::path(get, path = "/sessions/{id}/waitlist", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, description = "the caller's place in line, or the listing offered to them", body = WaitlistEntry), (status = 404, body = Problem)))]
pub async fn my_waitlist_entry(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(session): PathId<SessionId>,
) -> ApiResult<Json<WaitlistEntry>> {
    Ok(Json(
        resale::waitlist_entry(&state, &caller.user, session).await?,
    ))
}

#[utoipa::path(delete, path = "/sessions/{id}/waitlist", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204, description = "out of line (an offer goes to the next)"), (status = 404, body = Problem)))]
pub async fn leave_waitlist(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(session): PathId<SessionId>,
) -> ApiResult<StatusCode> {
    resale::leave_waitlist(&state, &caller.user, session).await?;
    Ok(StatusCode::NO_CONTENT)
}
