//! The back office's organizations and teams (S5, S13): founding one, the caller's list, an
//! organization's events (drafts included) and its members. Outside an organization each of
//! these answers 404; a member whose role may not, 403.

use super::buying::PageQuery;
use super::error::{ApiResult, Problem};
use super::extract::{ApiJson, ApiQuery, ClientIp, CurrentUser, PathId, PathIds};
use super::{audit_context, page_request};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use bilheteria_app::{App, organizations};
use bilheteria_domain::catalog::{Event, EventQuery, EventStatus, Product, Venue, search_terms};
use bilheteria_domain::ids::{OrganizationId, UserId};
use bilheteria_domain::organization::{
    Member, MemberInput, MyOrganization, Organization, OrganizationInput,
};
use bilheteria_domain::page::Page;
use bilheteria_domain::{FieldErrors, FieldProblem};
use serde::Deserialize;

#[utoipa::path(post, path = "/organizations", tag = "organizations", security(("bearer" = [])),
    request_body = OrganizationInput,
    responses(
        (status = 201, description = "the organization; the caller is its `owner`", body = Organization),
        (status = 403, description = "`forbidden`: founding an organization needs the organizer role", body = Problem),
        (status = 422, description = "`validation_failed`, e.g. a `document` that is not a CPF or CNPJ with valid check digits", body = Problem),
    ))]
pub async fn create_organization(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    ApiJson(body): ApiJson<OrganizationInput>,
) -> ApiResult<(StatusCode, Json<Organization>)> {
    let audit = audit_context(&caller, client_ip);
    let created = organizations::create(&state, &caller.user, body, &audit).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/organizations", tag = "organizations", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "the caller's organizations, with their role in each, in the order they were made", body = Page<MyOrganization>)))]
pub async fn list_organizations(
    State(state): State<App>,
    caller: CurrentUser,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<MyOrganization>>> {
    let page = page_request(query.limit, query.cursor.as_deref())?;
    Ok(Json(
        organizations::mine(&state, &caller.user, &page).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrganizationEventsQuery {
    /// Words to find in the title, description, category or tags (prefixes match).
    #[param(max_length = 500)]
    pub q: Option<String>,
    /// Only events in this status.
    #[param(schema_with = bilheteria_domain::openapi::event_status_filter)]
    pub status: Option<String>,
    /// How many items, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page, as it was given (an opaque value: any other is
    /// refused with 422 `validation_failed`).
    #[param(max_length = 512, pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/organizations/{id}/events", tag = "organizations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), OrganizationEventsQuery),
    responses(
        (status = 200, description = "its events, drafts included, earliest session first; a member limited to some events sees those", body = Page<Event>),
        (status = 403, body = Problem),
        (status = 404, description = "`not_found`: no such organization, or the caller is not in it", body = Problem),
    ))]
pub async fn organization_events(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<OrganizationId>,
    ApiQuery(query): ApiQuery<OrganizationEventsQuery>,
) -> ApiResult<Json<Page<Event>>> {
    let mut errors = FieldErrors::new();
    if query.q.as_ref().is_some_and(|q| q.chars().count() > 500) {
        errors.add("q", FieldProblem::TooLong { max: 500 });
    }
    let status = query.status.as_deref().and_then(|raw| {
        errors.check(
            "status",
            EventStatus::parse(raw).ok_or(FieldProblem::NotOneOf {
                choices: &["draft", "published"],
            }),
        )
    });
    errors.finish(|| Some(()))?;
    let page = page_request(query.limit, query.cursor.as_deref())?;
    let filter = EventQuery {
        terms: query.q.as_deref().map(search_terms).unwrap_or_default(),
        status,
        ..EventQuery::default()
    };
    Ok(Json(
        organizations::events(&state, &caller.user, id, filter, &page).await?,
    ))
}

#[utoipa::path(get, path = "/organizations/{id}/venues", tag = "organizations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageQuery),
    responses(
        (status = 200, description = "its venues with their sections, in the order they were made", body = Page<Venue>),
        (status = 404, description = "`not_found`: no such organization, or the caller is not in it", body = Problem),
    ))]
pub async fn organization_venues(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<OrganizationId>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Venue>>> {
    let page = page_request(query.limit, query.cursor.as_deref())?;
    Ok(Json(
        organizations::venues(&state, &caller.user, id, &page).await?,
    ))
}

#[utoipa::path(get, path = "/organizations/{id}/products", tag = "organizations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageQuery),
    responses(
        (status = 200, description = "its products with their stock and events, in the order they were made", body = Page<Product>),
        (status = 404, description = "`not_found`: no such organization, or the caller is not in it", body = Problem),
    ))]
pub async fn organization_products(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<OrganizationId>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Product>>> {
    let page = page_request(query.limit, query.cursor.as_deref())?;
    Ok(Json(
        organizations::products(&state, &caller.user, id, &page).await?,
    ))
}

#[utoipa::path(get, path = "/organizations/{id}/members", tag = "organizations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageQuery),
    responses(
        (status = 200, description = "its members, with their role and the events they are limited to", body = Page<Member>),
        (status = 403, description = "`forbidden`: only owners (and admins) see and change the team", body = Problem),
        (status = 404, description = "`not_found`: no such organization, or the caller is not in it", body = Problem),
    ))]
pub async fn list_members(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<OrganizationId>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Member>>> {
    let page = page_request(query.limit, query.cursor.as_deref())?;
    Ok(Json(
        organizations::members(&state, &caller.user, id, &page).await?,
    ))
}

#[utoipa::path(post, path = "/organizations/{id}/members", tag = "organizations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = MemberInput,
    responses(
        (status = 201, description = "the member, added, or with the role and events given", body = Member),
        (status = 202, description = "no account has that address: it is invited (a sign-up link mailed) and joins once it confirms the address", body = organizations::Invitation),
        (status = 403, description = "`forbidden`: only owners (and admins) change the team", body = Problem),
        (status = 404, description = "`not_found`: no such organization (or the caller is not in it)", body = Problem),
        (status = 409, description = "`last_owner`: the organization's last owner keeps the role", body = Problem),
        (status = 422, description = "`validation_failed`: e.g. `event_ids` not of the organization", body = Problem),
    ))]
pub async fn add_member(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<OrganizationId>,
    ApiJson(body): ApiJson<MemberInput>,
) -> ApiResult<axum::response::Response> {
    let audit = audit_context(&caller, client_ip);
    Ok(
        match organizations::set_member(&state, &caller.user, id, body, &audit).await? {
            organizations::TeamChange::Member(member) => {
                (StatusCode::CREATED, Json(member)).into_response()
            }
            organizations::TeamChange::Invited(invitation) => {
                (StatusCode::ACCEPTED, Json(invitation)).into_response()
            }
        },
    )
}

#[utoipa::path(delete, path = "/organizations/{id}/members/{user_id}", tag = "organizations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("user_id" = String, Path, format = Uuid)),
    responses(
        (status = 204, description = "the member is out of the organization"),
        (status = 403, description = "`forbidden`: only owners (and admins) change the team", body = Problem),
        (status = 404, description = "`not_found`: no such organization or member", body = Problem),
        (status = 409, description = "`last_owner`: the organization's last owner stays", body = Problem),
    ))]
pub async fn remove_member(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathIds(id, member): PathIds<OrganizationId, UserId>,
) -> ApiResult<StatusCode> {
    let audit = audit_context(&caller, client_ip);
    organizations::remove_member(&state, &caller.user, id, member, &audit).await?;
    Ok(StatusCode::NO_CONTENT)
}
