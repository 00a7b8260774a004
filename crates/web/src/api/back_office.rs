//! Orders and buyers of a session for its organization: the list found by buyer, one order in
//! full, and its tickets' mail sent again. Outside the organization each answers 404; a member
//! whose role may not see sales, 403.

use super::error::{ApiResult, Problem};
use super::extract::{ApiQuery, CurrentUser, PathIds, RequestLanguage};
use super::page_request;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use bilheteria_app::{App, back_office};
use bilheteria_domain::back_office::{OrderDetail, OrderQuery, SessionOrder};
use bilheteria_domain::ids::{OrderId, SessionId};
use bilheteria_domain::page::Page;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SessionOrdersQuery {
    /// An order id (or a buyer's id), or the start of the buyer's email, name or of a word of
    /// the name (case ignored).
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only orders in this status.
    #[param(schema_with = bilheteria_domain::openapi::order_status_filter)]
    pub status: Option<String>,
    /// How many items, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page, as it was given (an opaque value: any other is
    /// refused with 422 `validation_failed`).
    #[param(max_length = 512, pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/sessions/{id}/orders", tag = "organizations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), SessionOrdersQuery),
    responses(
        (status = 200, description = "the session's orders, newest first, each with its buyer", body = Page<SessionOrder>),
        (status = 403, description = "`forbidden`: the caller's role may not see sales", body = Problem),
        (status = 404, description = "`not_found`: no such session, or the caller is not in its organization", body = Problem),
        (status = 422, description = "`validation_failed`", body = Problem),
    ))]
pub async fn session_orders(
    State(state): State<App>,
    caller: CurrentUser,
    super::extract::PathId(id): super::extract::PathId<SessionId>,
    ApiQuery(query): ApiQuery<SessionOrdersQuery>,
) -> ApiResult<Json<Page<SessionOrder>>> {
    let filter = OrderQuery::parse(query.q.as_deref(), query.status.as_deref())
        .map_err(super::error::ApiError::validation)?;
    let page = page_request(query.limit, query.cursor.as_deref())?;
    Ok(Json(
        back_office::session_orders(&state, &caller.user, id, &filter, &page).await?,
    ))
}

#[utoipa::path(get, path = "/sessions/{id}/orders/{order_id}", tag = "organizations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("order_id" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "the order in full: its lines, every ticket it issued with its status (no codes), its buyer, payments, refunds of tickets, transfers, resale listings, check-ins and audit trail", body = OrderDetail),
        (status = 403, description = "`forbidden`: the caller's role may not see sales", body = Problem),
        (status = 404, description = "`not_found`", body = Problem),
    ))]
pub async fn order_detail(
    State(state): State<App>,
    caller: CurrentUser,
    RequestLanguage(lang): RequestLanguage,
    PathIds(id, order): PathIds<SessionId, OrderId>,
) -> ApiResult<Json<OrderDetail>> {
    let mut detail = back_office::order_detail(&state, &caller.user, Some(id), order).await?;
    detail.order = detail.order.worded(lang);
    Ok(Json(detail))
}

#[utoipa::path(post, path = "/sessions/{id}/orders/{order_id}/resend", tag = "organizations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("order_id" = String, Path, format = Uuid)),
    responses(
        (status = 202, description = "the purchase mail, with the tickets, is queued for the buyer again"),
        (status = 403, description = "`forbidden`: the caller's role may not see sales", body = Problem),
        (status = 404, description = "`not_found`", body = Problem),
        (status = 409, description = "`order_not_paid`", body = Problem),
    ))]
pub async fn resend_tickets(
    State(state): State<App>,
    caller: CurrentUser,
    PathIds(id, order): PathIds<SessionId, OrderId>,
) -> ApiResult<StatusCode> {
    back_office::resend_tickets(&state, &caller.user, id, order).await?;
    Ok(StatusCode::ACCEPTED)
}
