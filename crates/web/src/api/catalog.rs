//! The catalog (U1, U3, S6, S7): venues, events, sessions, seat maps and products. Organizers
//! manage their own; admins manage all; published events and their sessions are public.

use super::error::{ApiError, ApiResult, Problem, ProblemCode};
use super::extract::{ApiJson, ApiQuery, ClientIp, CurrentUser, PathId, parse_json};
use super::{audit_context, page_request, parse_instant};
use crate::conditional;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bilheteria_app::App;
use bilheteria_app::access::visible_event;
use bilheteria_app::{AppError, catalog, images, seat_maps};
use bilheteria_domain::catalog::{
    CancelEventInput, Category, Event, EventInput, EventPatch, EventQuery, EventSession, Product,
    ProductInput, ProductPatch, SeatMap, SessionInput, SessionPatch, Venue, VenueInput,
    search_terms,
};
use bilheteria_domain::ids::{EventId, ProductId, SectionId, SessionId, VenueId};
use bilheteria_domain::images::{ImageRefusal, MAX_IMAGE_BYTES};
use bilheteria_domain::page::Page;
use bilheteria_domain::seating::VenueGenerator;
use bilheteria_domain::{FieldErrors, FieldProblem};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

#[utoipa::path(post, path = "/venues", tag = "catalog", security(("bearer" = [])), request_body = VenueInput,
    responses((status = 201, body = Venue), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_venue(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    ApiJson(body): ApiJson<VenueInput>,
) -> ApiResult<(StatusCode, Json<Venue>)> {
    let audit = audit_context(&caller, client_ip);
    let created = catalog::create_venue(&state, &caller.user, body, &audit).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/venues/{id}", tag = "catalog", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Venue), (status = 404, body = Problem)))]
pub async fn get_venue(
    State(state): State<App>,
    PathId(id): PathId<VenueId>,
) -> ApiResult<Json<Venue>> {
    let venue = state
        .store
        .get_venue(id)
        .await?
        .ok_or_else(|| ApiError::not_found("venue"))?;
    Ok(Json(venue))
}

#[utoipa::path(put, path = "/venues/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = VenueInput,
    description = "Writes the venue over with the body, as `POST /venues` takes it. Its name, city \
    and stage may always change. Its seat map (sections, rows and their layouts) and time zone may \
    change until a place of one of its sessions is held or sold; the sections then get new ids, \
    and sessions not yet selling are laid out again on the new map, each selling the section at \
    the same place in the list (sections sold by a session cannot be taken away).",
    responses((status = 200, body = Venue), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "`venue_has_sales`: a session of it has held or sold places; its seat map and time zone stay", body = Problem),
        (status = 422, body = Problem)))]
pub async fn update_venue(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<VenueId>,
    ApiJson(body): ApiJson<VenueInput>,
) -> ApiResult<Json<Venue>> {
    let audit = audit_context(&caller, client_ip);
    let updated = catalog::update_venue(&state, &caller.user, id, body, &audit).await?;
    Ok(Json(updated))
}

/// What a copy of a venue is called.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DuplicateInput {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
}

#[utoipa::path(post, path = "/venues/{id}/duplicate", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = DuplicateInput,
    description = "A copy of the venue (its seat map, time zone and stage) in the same organization, \
    with no sessions.",
    responses((status = 201, body = Venue), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn duplicate_venue(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<VenueId>,
    ApiJson(body): ApiJson<DuplicateInput>,
) -> ApiResult<(StatusCode, Json<Venue>)> {
    let audit = audit_context(&caller, client_ip);
    let copy = catalog::duplicate_venue(&state, &caller.user, id, Some(body.name), &audit).await?;
    Ok((StatusCode::CREATED, Json(copy)))
}

#[utoipa::path(post, path = "/venues/generate", tag = "catalog", security(("bearer" = [])),
    request_body = VenueGenerator,
    description = "Makes a large venue from a few numbers: `sections` alike sections named \
    `section_prefix 1`, `section_prefix 2`, … of `rows` rows (labelled A…Z, AA… or 1, 2, …) of \
    `seats` seats, with an aisle after every `aisle_every` seats if given; at most 150,000 seats.",
    responses((status = 201, body = Venue), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn generate_venue(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    ApiJson(body): ApiJson<VenueGenerator>,
) -> ApiResult<(StatusCode, Json<Venue>)> {
    let audit = audit_context(&caller, client_ip);
    let created = catalog::generate_venue(&state, &caller.user, body, &audit).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

// ---------------------------------------------------------------------------------------------
// Events

#[utoipa::path(post, path = "/events", tag = "catalog", security(("bearer" = [])), request_body = EventInput,
    responses((status = 201, body = Event), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_event(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    ApiJson(body): ApiJson<EventInput>,
) -> ApiResult<(StatusCode, Json<Event>)> {
    let audit = audit_context(&caller, client_ip);
    let created = catalog::create_event(&state, &caller.user, body, &audit).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(patch, path = "/events/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = EventPatch,
    responses(
        (status = 200, body = Event),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`event_has_sessions`: the venue of an event with sessions cannot change", body = Problem),
        (status = 410, description = "`event_cancelled`: a cancelled event no longer changes", body = Problem),
        (status = 422, body = Problem),
    ))]
pub async fn update_event(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<EventId>,
    ApiJson(patch): ApiJson<EventPatch>,
) -> ApiResult<Json<Event>> {
    let audit = audit_context(&caller, client_ip);
    Ok(Json(
        catalog::update_event(&state, &caller.user, id, patch, &audit).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventListQuery {
    /// Words to find in the title, description, category or tags (prefixes match).
    pub q: Option<String>,
    /// A category's code (`music`) or its label in Portuguese or English (`Música`), accents
    /// and case ignored; an unknown one is `validation_failed`.
    #[param(schema_with = bilheteria_domain::openapi::category_filter)]
    pub category: Option<String>,
    /// Only events at a venue in this city (accents and case ignored).
    pub city: Option<String>,
    /// RFC 3339: only events with a session starting at or after this instant.
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// RFC 3339: only events with a session starting before this instant.
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// How many items, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page, as it was given (an opaque value: any other is
    /// refused with 422 `validation_failed`).
    #[param(max_length = 512, pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/events", tag = "catalog", params(EventListQuery),
    responses((status = 200, description = "published events, earliest session first", body = Page<Event>), (status = 422, body = Problem)))]
pub async fn list_events(
    State(state): State<App>,
    ApiQuery(query): ApiQuery<EventListQuery>,
) -> ApiResult<Json<Page<Event>>> {
    let mut errors = FieldErrors::new();
    let from = query
        .from
        .as_deref()
        .and_then(|raw| errors.check("from", parse_instant(raw)));
    let to = query
        .to
        .as_deref()
        .and_then(|raw| errors.check("to", parse_instant(raw)));
    if query.q.as_ref().is_some_and(|q| q.len() > 500) {
        errors.add("q", FieldProblem::TooLong { max: 500 });
    }
    let category = query
        .category
        .as_deref()
        .and_then(|raw| errors.check("category", Category::filter(raw)))
        .flatten();
    errors.finish(|| Some(()))?;
    let page = page_request(query.limit, query.cursor.as_deref())?;
    let filter = EventQuery {
        terms: query.q.as_deref().map(search_terms).unwrap_or_default(),
        category,
        city: query
            .city
            .filter(|c| !c.trim().is_empty())
            .map(|c| c.trim().to_owned()),
        from,
        to,
        include_drafts: false,
        ..EventQuery::default()
    };
    Ok(Json(state.store.list_events(&filter, &page).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EventDetail {
    #[serde(flatten)]
    pub event: Event,
    pub sessions: Vec<EventSession>,
}

#[utoipa::path(get, path = "/events/{id}", tag = "catalog", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = EventDetail), (status = 404, body = Problem)))]
pub async fn get_event(
    State(state): State<App>,
    caller: Option<CurrentUser>,
    PathId(id): PathId<EventId>,
) -> ApiResult<Json<EventDetail>> {
    let event = visible_event(&state, id, caller.as_ref().map(|c| &c.user)).await?;
    let sessions = catalog::event_sessions_for_buyers(&state, id).await?;
    Ok(Json(EventDetail { event, sessions }))
}

// ---------------------------------------------------------------------------------------------
// Sessions

#[utoipa::path(post, path = "/events/{id}/sessions", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = SessionInput,
    responses((status = 201, body = EventSession), (status = 403, body = Problem), (status = 404, body = Problem), (status = 410, description = "`event_cancelled`: a cancelled event gets no new session", body = Problem), (status = 422, body = Problem)))]
pub async fn create_session(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<EventId>,
    ApiJson(body): ApiJson<SessionInput>,
) -> ApiResult<(StatusCode, Json<EventSession>)> {
    let audit = audit_context(&caller, client_ip);
    let created = catalog::create_session(&state, &caller.user, id, body, &audit).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/sessions/{id}", tag = "catalog", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = EventSession), (status = 404, body = Problem)))]
pub async fn get_session(
    State(state): State<App>,
    caller: Option<CurrentUser>,
    PathId(id): PathId<SessionId>,
) -> ApiResult<Json<EventSession>> {
    let viewer = caller.as_ref().map(|c| &c.user);
    Ok(Json(catalog::session_for_buyers(&state, viewer, id).await?))
}

#[utoipa::path(patch, path = "/sessions/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = SessionPatch,
    responses(
        (status = 200, description = "the session as it now is (audited); `sales_paused: true` refuses holds at once (`sales_paused`)", body = EventSession),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 410, description = "`event_cancelled`: a cancelled event's sessions no longer change", body = Problem),
        (status = 422, body = Problem),
    ))]
pub async fn update_session(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<SessionId>,
    ApiJson(patch): ApiJson<SessionPatch>,
) -> ApiResult<Json<EventSession>> {
    let audit = audit_context(&caller, client_ip);
    Ok(Json(
        catalog::update_session(&state, &caller.user, id, patch, &audit).await?,
    ))
}

#[utoipa::path(post, path = "/events/{id}/cancel", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(content = CancelEventInput, description = "`{reason}` (optional, at most 500 characters); an empty body is no reason"),
    responses(
        (status = 200, description = "the event with `status: \"cancelled\"` (audited): its sessions sell nothing from now on (holds answer 410 `event_cancelled`), and in the background every paid order is refunded through the provider, its tickets cancelled and their codes revoked, its buyer mailed. Cancelling a cancelled event answers it as it is (its first reason kept), with nothing done again", body = Event),
        (status = 403, description = "a member whose role may not edit the catalog", body = Problem),
        (status = 404, body = Problem),
        (status = 422, body = Problem),
    ))]
pub async fn cancel_event(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<EventId>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Event>> {
    let input: CancelEventInput = if body.iter().all(u8::is_ascii_whitespace) {
        CancelEventInput::default()
    } else {
        parse_json(&body)?
    };
    let audit = audit_context(&caller, client_ip);
    Ok(Json(
        catalog::cancel_event(&state, &caller.user, id, input, &audit).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SeatMapQuery {
    /// Only this section (a buyer browsing a stadium looks at one section at a time).
    #[param(format = Uuid)]
    pub section_id: Option<String>,
}

#[utoipa::path(get, path = "/sessions/{id}/seats", tag = "catalog", params(("id" = String, Path, format = Uuid), SeatMapQuery),
    responses((status = 200, description = "the availability of every section and seat, from a snapshot at most a few hundred milliseconds old, with an `ETag`", body = SeatMap), (status = 304, description = "unchanged since the `If-None-Match` ETag"), (status = 404, body = Problem)))]
pub async fn seat_map(
    State(state): State<App>,
    caller: Option<CurrentUser>,
    PathId(id): PathId<SessionId>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<SeatMapQuery>,
) -> ApiResult<Response> {
    let section = query
        .section_id
        .map(|raw| {
            raw.parse::<SectionId>()
                .map_err(|_| ApiError::invalid_field("section_id", FieldProblem::NotAnId))
        })
        .transpose()?;
    let viewer = caller.as_ref().map(|c| &c.user);
    let snapshot = seat_maps::seat_map(&state, viewer, id, section).await?;
    let gzip = conditional::accepts_gzip(&headers);
    let etag = conditional::etag(&snapshot.etag, gzip);
    let fresh = conditional::not_modified(&headers, &etag);
    let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let body = if gzip {
            &snapshot.gzipped
        } else {
            &snapshot.json
        };
        let mut response = body.clone().into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if gzip {
            // Compressed once with the snapshot (the compression layer leaves it as it is).
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        response
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response.headers_mut().insert(header::ETAG, etag);
    // Shared by every viewer, so a cache may keep it, but must ask again each time.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Products

#[utoipa::path(post, path = "/products", tag = "catalog", security(("bearer" = [])), request_body = ProductInput,
    responses((status = 201, body = Product), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_product(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    ApiJson(body): ApiJson<ProductInput>,
) -> ApiResult<(StatusCode, Json<Product>)> {
    let audit = audit_context(&caller, client_ip);
    let created = catalog::create_product(&state, &caller.user, body, &audit).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(patch, path = "/products/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = ProductPatch,
    responses((status = 200, body = Product), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_product(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<ProductId>,
    ApiJson(patch): ApiJson<ProductPatch>,
) -> ApiResult<Json<Product>> {
    let audit = audit_context(&caller, client_ip);
    Ok(Json(
        catalog::update_product(&state, &caller.user, id, patch, &audit).await?,
    ))
}

#[utoipa::path(get, path = "/products/{id}", tag = "catalog", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Product), (status = 404, body = Problem)))]
pub async fn get_product(
    State(state): State<App>,
    PathId(id): PathId<ProductId>,
) -> ApiResult<Json<Product>> {
    Ok(Json(
        state
            .store
            .get_product(id)
            .await?
            .ok_or_else(|| ApiError::not_found("product"))?,
    ))
}

#[utoipa::path(get, path = "/events/{id}/products", tag = "catalog", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, description = "products offered with the event", body = Page<Product>), (status = 404, body = Problem)))]
pub async fn list_event_products(
    State(state): State<App>,
    caller: Option<CurrentUser>,
    PathId(id): PathId<EventId>,
) -> ApiResult<Json<Page<Product>>> {
    visible_event(&state, id, caller.as_ref().map(|c| &c.user)).await?;
    Ok(Json(Page::complete(
        state.store.list_event_products(id).await?,
    )))
}

// ---------------------------------------------------------------------------------------------
// Pictures: an event's poster, a product's image

/// An upload sent as the request's body, read up to the picture's limit: one byte more is
/// `image_too_large`, whatever the declared length.
async fn upload(body: Body) -> ApiResult<Vec<u8>> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ProblemCode::MalformedBody,
                "the upload could not be read to its end",
            )
        })?;
        if bytes.len() + chunk.len() > MAX_IMAGE_BYTES {
            return Err(AppError::Image(ImageRefusal::TooLarge {
                max_bytes: MAX_IMAGE_BYTES,
            })
            .into());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

#[utoipa::path(put, path = "/events/{id}/poster", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(
        description = "The picture itself as the body (not a form): JPEG, PNG or WebP, judged by its content, at most 5 MiB, each side 32 to 8,000 pixels, at most 40 megapixels. It is made into the sizes the pages use (`poster.card`, `poster.page`, `poster.print`, all JPEG).",
        content(("image/jpeg"), ("image/png"), ("image/webp"))
    ),
    responses(
        (status = 200, description = "the event with its new poster (audited); the poster it replaces is gone", body = Event),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 413, description = "`image_too_large`: over 5 MiB (`max_bytes`)", body = Problem),
        (status = 415, description = "`image_format_unsupported`: a picture, but not JPEG, PNG or WebP (`found`, when known)", body = Problem),
        (status = 422, description = "`not_an_image`: the body is no picture; `image_dimensions_out_of_range`: a side under 32 or over 8,000 pixels, or over 40 megapixels (`width`, `height`)", body = Problem),
    ))]
pub async fn set_event_poster(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<EventId>,
    body: Body,
) -> ApiResult<Json<Event>> {
    let audit = audit_context(&caller, client_ip);
    let upload = upload(body).await?;
    Ok(Json(
        images::set_event_poster(&state, &caller.user, id, upload, &audit).await?,
    ))
}

#[utoipa::path(delete, path = "/events/{id}/poster", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "the event without a poster (one without a poster is answered as it is)", body = Event),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
    ))]
pub async fn remove_event_poster(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<EventId>,
) -> ApiResult<Json<Event>> {
    let audit = audit_context(&caller, client_ip);
    Ok(Json(
        images::remove_event_poster(&state, &caller.user, id, &audit).await?,
    ))
}

#[utoipa::path(put, path = "/products/{id}/image", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(
        description = "The picture itself as the body, as for an event's poster; made into `image.thumb` (240 × 240, JPEG).",
        content(("image/jpeg"), ("image/png"), ("image/webp"))
    ),
    responses(
        (status = 200, description = "the product with its new image (audited)", body = Product),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 413, description = "`image_too_large`", body = Problem),
        (status = 415, description = "`image_format_unsupported`", body = Problem),
        (status = 422, description = "`not_an_image` or `image_dimensions_out_of_range`", body = Problem),
    ))]
pub async fn set_product_image(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<ProductId>,
    body: Body,
) -> ApiResult<Json<Product>> {
    let audit = audit_context(&caller, client_ip);
    let upload = upload(body).await?;
    Ok(Json(
        images::set_product_image(&state, &caller.user, id, upload, &audit).await?,
    ))
}

#[utoipa::path(delete, path = "/products/{id}/image", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "the product without an image", body = Product),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
    ))]
pub async fn remove_product_image(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<ProductId>,
) -> ApiResult<Json<Product>> {
    let audit = audit_context(&caller, client_ip);
    Ok(Json(
        images::remove_product_image(&state, &caller.user, id, &audit).await?,
    ))
}

/// `GET /images/{hash}/{variant}.jpg`: one size of a poster or a product's image. The path
/// names the picture by its content, so it never changes: cached for a year, `immutable`, with
/// an ETag for a client that asks again anyway.
pub async fn image(
    State(state): State<App>,
    Path((hash, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (hash, found) = images::variant(&state, &hash, &file).await?;
    let etag = format!("\"{hash}-{}\"", found.variant.as_str());
    let mut response = if conditional::not_modified(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = found.bytes.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(&found.content_type)
                .unwrap_or(HeaderValue::from_static("image/jpeg")),
        );
        response
    };
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(response)
}
