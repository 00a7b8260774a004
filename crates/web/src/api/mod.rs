//! The HTTP API of ../shared/API.md: routes, the OpenAPI document generated from the handlers,
//! and the small helpers the handlers share. Handlers stay thin: parse, authorise, call the
//! store, answer.

pub mod accounts;
pub mod admin;
pub mod back_office;
pub mod buying;
pub mod catalog;
pub mod error;
pub mod extract;
pub mod gate;
pub mod ops;
pub mod organizations;
pub mod problem_code;
pub mod queue;
pub mod reports;
pub mod tickets;
pub mod transfers;

use axum::Router;
use bilheteria_app::App;
use bilheteria_domain::FieldProblem;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::page::PageRequest;
use error::{ApiError, ApiResult};
use extract::{ClientIp, CurrentUser};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::openapi::OpenApi as OpenApiDocument;
use utoipa::openapi::content::{Content, ContentBuilder};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

pub const API_PREFIX: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(title = "bilheteria", description = "The bilheteria box office API. Errors are RFC 9457 problem details with a stable `code`."),
    modifiers(&BearerAuth),
    tags(
        (name = "accounts", description = "Registration, login and sessions (one per user and per device)"),
        (name = "organizations", description = "Organizations (producers) and their teams: members' roles, optionally limited to some events"),
        (name = "catalog", description = "Venues, events, sessions, seat maps and products"),
        (name = "buying", description = "Holds, orders, payments and refunds"),
        (name = "tickets", description = "Tickets and the keys that verify them"),
        (name = "gate", description = "Check-in: staff assigned to events, and scans"),
        (name = "reports", description = "The back office's reports of a session: the borderô and the exports"),
        (name = "queue", description = "The waiting room of big on-sales"),
        (name = "admin", description = "Users, roles, the audit log and the outbox"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

fn api_routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(accounts::register))
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::logout))
        .routes(routes!(accounts::me, accounts::update_me))
        .routes(routes!(accounts::my_sessions))
        .routes(routes!(accounts::change_password))
        .routes(routes!(accounts::request_password_reset))
        .routes(routes!(accounts::reset_password))
        .routes(routes!(accounts::resend_verification))
        .routes(routes!(accounts::verify_email))
        .routes(routes!(admin::set_roles))
        .routes(routes!(admin::list_users))
        .routes(routes!(admin::list_audit))
        .routes(routes!(admin::verify_audit))
        .routes(routes!(admin::rehearsal_buyers))
        .routes(routes!(admin::suspend_organization))
        .routes(routes!(admin::unsuspend_organization))
        .routes(routes!(
            organizations::create_organization,
            organizations::list_organizations
        ))
        .routes(routes!(organizations::organization_events))
        .routes(routes!(organizations::organization_venues))
        .routes(routes!(organizations::organization_products))
        .routes(routes!(
            organizations::list_members,
            organizations::add_member
        ))
        .routes(routes!(organizations::remove_member))
        .routes(routes!(catalog::create_venue))
        .routes(routes!(catalog::get_venue, catalog::update_venue))
        .routes(routes!(catalog::duplicate_venue))
        .routes(routes!(catalog::generate_venue))
        .routes(routes!(catalog::create_event, catalog::list_events))
        .routes(routes!(catalog::get_event, catalog::update_event))
        .routes(routes!(catalog::cancel_event))
        .routes(routes!(catalog::create_session))
        .routes(routes!(catalog::get_session, catalog::update_session))
        .routes(routes!(catalog::seat_map))
        .routes(routes!(catalog::create_product))
        .routes(routes!(catalog::get_product, catalog::update_product))
        .routes(routes!(catalog::list_event_products))
        .routes(routes!(
            catalog::set_event_poster,
            catalog::remove_event_poster
        ))
        .routes(routes!(
            catalog::set_product_image,
            catalog::remove_product_image
        ))
        .routes(routes!(buying::create_hold))
        .routes(routes!(buying::release_hold))
        .routes(routes!(buying::create_order, buying::list_orders))
        .routes(routes!(buying::get_order))
        .routes(routes!(buying::refund_order))
        .routes(routes!(back_office::session_orders))
        .routes(routes!(back_office::order_detail))
        .routes(routes!(back_office::resend_tickets))
        .routes(routes!(buying::pay_pix))
        .routes(routes!(buying::payment_webhook))
        .routes(routes!(buying::list_outbox))
        .routes(routes!(buying::sales_integrity))
        .routes(routes!(reports::bordero))
        .routes(routes!(reports::bordero_pdf))
        .routes(routes!(reports::export_orders))
        .routes(routes!(reports::export_attendees))
        .routes(routes!(reports::export_checkins))
        .routes(routes!(tickets::list_tickets))
        .routes(routes!(tickets::get_ticket))
        .routes(routes!(tickets::checkin_keys))
        .routes(routes!(tickets::ticket_pdf))
        .routes(routes!(tickets::order_pdf))
        .routes(routes!(
            tickets::get_wallet_link,
            tickets::renew_wallet_link
        ))
        .routes(routes!(tickets::screen_code))
        .routes(routes!(transfers::offer_transfer))
        .routes(routes!(transfers::list_transfers))
        .routes(routes!(transfers::get_transfer))
        .routes(routes!(transfers::accept_transfer))
        .routes(routes!(transfers::decline_transfer))
        .routes(routes!(transfers::cancel_transfer))
        .routes(routes!(transfers::list_for_resale))
        .routes(routes!(transfers::withdraw_listing, transfers::get_listing))
        .routes(routes!(transfers::session_listings))
        .routes(routes!(
            transfers::join_waitlist,
            transfers::my_waitlist_entry,
            transfers::leave_waitlist
        ))
        .routes(routes!(gate::assign_staff, gate::list_staff))
        .routes(routes!(gate::remove_staff))
        .routes(routes!(gate::checkin))
        .routes(routes!(gate::bundle))
        .routes(routes!(gate::sync))
        .routes(routes!(queue::join, queue::poll, queue::update))
        .routes(routes!(queue::events))
        .routes(routes!(queue::challenge))
        .routes(routes!(queue::stats))
}

/// The API and operations routes, with the OpenAPI document they generate.
fn documented_routes() -> OpenApiRouter<App> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(API_PREFIX, api_routes())
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
}

/// Every route of the server, with the OpenAPI document at `/api/openapi.json` and Swagger UI
/// (bundled into the binary) at `/docs`.
pub fn routes() -> Router<App> {
    let (router, mut openapi) = documented_routes().split_for_parts();
    complete_document(&mut openapi);
    router
        // Pictures' sizes, by content hash: for the pages and API clients alike, outside the
        // API's prefix (an `<img>` sends no token).
        .route("/images/{hash}/{file}", axum::routing::get(catalog::image))
        .merge(SwaggerUi::new("/docs").url("/api/openapi.json", openapi))
}

/// The OpenAPI document, as the server serves it.
pub fn openapi() -> OpenApiDocument {
    let mut openapi = documented_routes().into_openapi();
    complete_document(&mut openapi);
    openapi
}

/// Adds to every operation what the handlers' annotations leave implicit because the shared
/// extractors and layers answer it: problems are `application/problem+json`; an operation
/// behind the bearer scheme may answer 401, one naming an object in its path 404 (a malformed
/// id names nothing either), and one reading a JSON body 400 `malformed_json`, 413
/// `payload_too_large` and, when the body is a typed schema read by `ApiJson`, 415. Query
/// strings and bodies are read strictly (`deny_unknown_fields`, the schema's bounds): an
/// operation with query parameters or a JSON body may answer 422 `validation_failed`.
fn complete_document(openapi: &mut OpenApiDocument) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let names_an_object = path.contains('{');
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            for response in operation.responses.responses.values_mut() {
                if let RefOr::T(response) = response {
                    as_problem_json(response);
                }
            }
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let json_body = match &operation.request_body {
                Some(RefOr::T(body)) => body
                    .content
                    .get("application/json")
                    .map(|content| matches!(content, RefOr::T(c) if matches!(c.schema, Some(RefOr::Ref(_))))),
                _ => None,
            };
            let reads_query = operation.parameters.iter().flatten().any(|parameter| {
                matches!(parameter, RefOr::T(p) if p.parameter_in == utoipa::openapi::path::ParameterIn::Query)
            });
            let mut implied = Vec::new();
            if reads_query || json_body.is_some() {
                implied.push((
                    "422",
                    "`validation_failed`: an unknown query parameter or body field, or a value the schema refuses (each named in `errors`)",
                ));
            }
            if secured {
                implied.push((
                    "401",
                    "`unauthenticated`, or `session_replaced` by a newer login",
                ));
            }
            if names_an_object {
                implied.push((
                    "404",
                    "`not_found`: no such object, or not one the caller may see",
                ));
            }
            if let Some(typed) = json_body {
                implied.push(("400", "`malformed_json`: the body is not JSON"));
                implied.push((
                    "413",
                    "`payload_too_large`: the body is over the size limit",
                ));
                if typed {
                    implied.push((
                        "415",
                        "`unsupported_media_type`: the body is not application/json",
                    ));
                }
            }
            for (status, description) in implied {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::T(problem_response(description)));
            }
        }
    }
}

fn problem_content() -> Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build()
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, problem_content())
        .build()
}

const PROBLEM_JSON: &str = "application/problem+json";

/// A response whose body is the `Problem` schema is sent as `application/problem+json`.
fn as_problem_json(response: &mut Response) {
    let is_problem = |content: &RefOr<Content>| match content {
        RefOr::T(content) => {
            matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"))
        }
        RefOr::Ref(_) => false,
    };
    if let Some(index) = response
        .content
        .iter()
        .position(|(mime, content)| mime == "application/json" && is_problem(content))
    {
        response.content.shift_remove_index(index);
        response
            .content
            .insert(PROBLEM_JSON.to_owned(), RefOr::T(problem_content()));
    }
}

pub fn audit_context(caller: &CurrentUser, client_ip: ClientIp) -> AuditContext {
    AuditContext {
        actor_id: Some(caller.user.id),
        ip: client_ip.to_option_string(),
    }
}

pub fn page_request(limit: Option<i64>, cursor: Option<&str>) -> ApiResult<PageRequest> {
    PageRequest::parse(limit, cursor).map_err(ApiError::validation)
}

pub fn parse_instant(raw: &str) -> Result<OffsetDateTime, FieldProblem> {
    OffsetDateTime::parse(raw, &Rfc3339).map_err(|_| FieldProblem::NotAnInstant)
}
