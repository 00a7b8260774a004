//! Tickets (S4): the holder's tickets and the public keys that verify their codes offline.

use super::buying::PageQuery;
use super::error::{ApiResult, Problem};
use super::extract::{ApiQuery, CurrentUser, PathId};
use super::page_request;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bilheteria_app::App;
use bilheteria_app::access;
use bilheteria_app::gate;
use bilheteria_app::printing::{self, Printed};
use bilheteria_app::ticket_keys::PublicKey;
use bilheteria_app::wallet;
use bilheteria_domain::ids::{OrderId, TicketId};
use bilheteria_domain::page::Page;
use bilheteria_domain::tickets::Ticket;

#[utoipa::path(get, path = "/tickets", tag = "tickets", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "the caller's tickets, newest first", body = Page<Ticket>)))]
pub async fn list_tickets(
    State(state): State<App>,
    caller: CurrentUser,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Ticket>>> {
    let page = page_request(query.limit, query.cursor.as_deref())?;
    Ok(Json(state.store.list_tickets(caller.user.id, &page).await?))
}

#[utoipa::path(get, path = "/tickets/{id}", tag = "tickets", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Ticket), (status = 404, body = Problem)))]
pub async fn get_ticket(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<TicketId>,
) -> ApiResult<Json<Ticket>> {
    Ok(Json(
        access::visible_ticket(&state, id, &caller.user).await?,
    ))
}

#[utoipa::path(get, path = "/checkin/keys", tag = "tickets",
    responses((status = 200, description = "Ed25519 public keys that verify ticket codes offline", body = Page<PublicKey>)))]
pub async fn checkin_keys(State(state): State<App>) -> Json<Page<PublicKey>> {
    Json(Page::complete(state.ticket_keys.public_keys()))
}

fn pdf_response(printed: Printed) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}\"", printed.file_name),
            ),
            // A ticket is a bearer credential: no shared cache keeps it.
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        printed.pdf,
    )
        .into_response()
}

#[utoipa::path(get, path = "/tickets/{id}/pdf", tag = "tickets", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "an A4 page with the QR code, to print or show on a phone", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, description = "no such ticket of the caller's", body = Problem),
        (status = 410, description = "`ticket_revoked`: the ticket was cancelled", body = Problem),
    ))]
pub async fn ticket_pdf(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<TicketId>,
) -> ApiResult<Response> {
    Ok(pdf_response(
        printing::ticket_pdf(&state, &caller.user, id).await?,
    ))
}

#[utoipa::path(get, path = "/orders/{id}/pdf", tag = "tickets", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "a page per ticket of the order that the caller still holds", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, description = "no such order of the caller's, or none of its tickets is still theirs", body = Problem),
    ))]
pub async fn order_pdf(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<OrderId>,
) -> ApiResult<Response> {
    Ok(pdf_response(
        printing::order_pdf(&state, &caller.user, id).await?,
    ))
}

/// An order's wallet link: its tickets' codes shown without logging in.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct WalletLink {
    /// The link, whole (the box office's public address and the path).
    pub url: String,
}

fn wallet_link(state: &App, path: &str) -> Json<WalletLink> {
    Json(WalletLink {
        url: format!("{}{path}", state.settings.public_url),
    })
}

#[utoipa::path(get, path = "/orders/{id}/wallet-link", tag = "tickets", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "the order's current wallet link (the one its purchase mail carries): a page with the tickets the buyer still holds and their QR, without logging in", body = WalletLink),
        (status = 404, description = "no such order of the caller's", body = Problem),
    ))]
pub async fn get_wallet_link(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<OrderId>,
) -> ApiResult<Json<WalletLink>> {
    let path = wallet::link(&state, &caller.user, id).await?;
    Ok(wallet_link(&state, &path))
}

#[utoipa::path(post, path = "/orders/{id}/wallet-link", tag = "tickets", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "a new wallet link; every earlier one of the order stops working (404)", body = WalletLink),
        (status = 404, description = "no such order of the caller's", body = Problem),
    ))]
pub async fn renew_wallet_link(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<OrderId>,
) -> ApiResult<Json<WalletLink>> {
    let path = wallet::renew_link(&state, &caller.user, id).await?;
    Ok(wallet_link(&state, &path))
}

#[utoipa::path(get, path = "/tickets/{id}/screen", tag = "tickets", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "the code to show on a phone now, and the ticket's key to make the next ones", body = gate::ScreenCode),
        (status = 404, description = "no such ticket of the caller's", body = Problem),
        (status = 410, description = "`ticket_revoked`", body = Problem),
    ))]
pub async fn screen_code(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<TicketId>,
) -> ApiResult<Json<gate::ScreenCode>> {
    Ok(Json(gate::screen_code(&state, &caller.user, id).await?))
}
