//! The back office's reports of a session: the borderô (JSON and PDF) and the CSV exports,
//! streamed: rows are read from the store a page at a time and written to the body as they
//! come, so an export of any size holds one page in memory.

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiQuery, ClientIp, CurrentUser, PathId, RequestLanguage};
use super::{API_PREFIX, audit_context};
use crate::report_words as words;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bilheteria_app::App;
use bilheteria_app::reports::{self, ExportPages, ExportRows};
use bilheteria_domain::bordero::{Bordero, ExportDialect, ExportKind};
use bilheteria_domain::ids::SessionId;
use bilheteria_domain::locale::Language;
use bilheteria_domain::{FieldErrors, FieldProblem};
use bytes::Bytes;
use futures_util::StreamExt;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `excel-br` (the default: UTF-8 with a BOM, `;` between fields, money with a decimal
    /// comma, times `dd/mm/aaaa HH:MM` in the venue's zone) or `rfc4180` (`,`, a decimal
    /// point, ISO 8601 times in UTC).
    #[param(schema_with = dialect_schema)]
    pub dialect: Option<String>,
    /// The language of the column headings and words: `pt-BR` or `en` (default: the
    /// request's `Accept-Language`).
    #[param(schema_with = language_schema)]
    pub lang: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PdfQuery {
    /// `pt-BR` or `en` (default: the request's `Accept-Language`).
    #[param(schema_with = language_schema)]
    pub lang: Option<String>,
}

fn dialect_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(ExportDialect::CODES.iter().copied()))
        .build()
}

fn language_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["pt-BR", "en"]))
        .build()
}

/// The language named by `?lang=` (exactly `pt-BR` or `en`), or else the request's.
pub fn chosen_language(named: Option<&str>, request: Language) -> Result<Language, FieldProblem> {
    match named {
        None => Ok(request),
        Some(tag) => {
            Language::ALL
                .into_iter()
                .find(|l| l.as_str() == tag)
                .ok_or(FieldProblem::NotOneOf {
                    choices: &["pt-BR", "en"],
                })
        }
    }
}

/// The dialect named by `?dialect=` (default `excel-br`).
pub fn chosen_dialect(named: Option<&str>) -> Result<ExportDialect, FieldProblem> {
    named
        .map(ExportDialect::parse)
        .transpose()
        .map(Option::unwrap_or_default)
}

#[utoipa::path(get, path = "/sessions/{id}/bordero", tag = "reports", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "the session's settlement sheet: tickets still sold by sector, category, type and ground; money charged, given back (refunds and resale payouts) and kept, by payment method and installments; products; resale fees; the meia-entrada quota", body = Bordero),
        (status = 403, description = "a member whose role may not see sales (`checkin`, `viewer`)", body = Problem),
        (status = 404, description = "no such session, or not of the caller's organization", body = Problem),
    ))]
pub async fn bordero(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<SessionId>,
) -> ApiResult<Json<Bordero>> {
    Ok(Json(
        reports::bordero(&state, &caller.user, id).await?.bordero,
    ))
}

#[utoipa::path(get, path = "/sessions/{id}/bordero.pdf", tag = "reports", security(("bearer" = [])), params(("id" = String, Path, format = Uuid), PdfQuery),
    responses(
        (status = 200, description = "the borderô as a printable A4 PDF (`application/pdf`)"),
        (status = 403, description = "a member whose role may not see sales", body = Problem),
        (status = 404, description = "no such session, or not of the caller's organization", body = Problem),
    ))]
pub async fn bordero_pdf(
    State(state): State<App>,
    caller: CurrentUser,
    PathId(id): PathId<SessionId>,
    RequestLanguage(request_lang): RequestLanguage,
    ApiQuery(query): ApiQuery<PdfQuery>,
) -> ApiResult<Response> {
    let lang = chosen_language(query.lang.as_deref(), request_lang)
        .map_err(|problem| ApiError::validation(FieldErrors::single("lang", problem)))?;
    let printed = reports::bordero_pdf(&state, &caller.user, id, lang).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}\"", printed.file_name),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        printed.pdf,
    )
        .into_response())
}

macro_rules! export_handler {
    ($name:ident, $path:literal, $kind:expr, $what:literal) => {
        #[utoipa::path(get, path = $path, tag = "reports", security(("bearer" = [])), params(("id" = String, Path, format = Uuid), ExportQuery),
            responses(
                (status = 200, description = $what),
                (status = 403, description = "a member whose role may not export personal data (`checkin`, `viewer`)", body = Problem),
                (status = 404, description = "no such session, or not of the caller's organization", body = Problem),
            ))]
        pub async fn $name(
            State(state): State<App>,
            caller: CurrentUser,
            client_ip: ClientIp,
            PathId(id): PathId<SessionId>,
            RequestLanguage(request_lang): RequestLanguage,
            ApiQuery(query): ApiQuery<ExportQuery>,
        ) -> ApiResult<Response> {
            export(state, caller, client_ip, id, request_lang, query, $kind).await
        }
    };
}

export_handler!(
    export_orders,
    "/sessions/{id}/exports/orders.csv",
    ExportKind::Orders,
    "`text/csv; charset=utf-8`: the session's orders, one a line (audited); streamed"
);
export_handler!(
    export_attendees,
    "/sessions/{id}/exports/attendees.csv",
    ExportKind::Attendees,
    "`text/csv; charset=utf-8`: the door list: every ticket with its holder, place, category, inteira or meia-entrada with its ground and the document to show, and status (audited); streamed"
);
export_handler!(
    export_checkins,
    "/sessions/{id}/exports/checkins.csv",
    ExportKind::Checkins,
    "`text/csv; charset=utf-8`: every scan at the session's gates (audited); streamed"
);

async fn export(
    state: App,
    caller: CurrentUser,
    client_ip: ClientIp,
    id: SessionId,
    request_lang: Language,
    query: ExportQuery,
    kind: ExportKind,
) -> ApiResult<Response> {
    let mut errors = FieldErrors::new();
    let dialect = errors.check("dialect", chosen_dialect(query.dialect.as_deref()));
    let lang = errors.check("lang", chosen_language(query.lang.as_deref(), request_lang));
    let (Some(dialect), Some(lang)) = (dialect, lang) else {
        return Err(ApiError::validation(errors));
    };
    let audit = audit_context(&caller, client_ip);
    let pages = reports::start_export(&state, &caller.user, id, kind, dialect, &audit).await?;
    Ok(csv_response(
        pages,
        lang,
        &format!("{}-{id}", kind.as_str()),
    ))
}

/// The answer of an export: its headers now, its body as the pages are read.
pub fn csv_response(pages: ExportPages, lang: Language, file_stem: &str) -> Response {
    let body = Body::from_stream(csv_stream(pages, lang));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_stem}.csv\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// The CSV of an export as chunks: the preamble and headings first, then a chunk per page.
/// A failure after the first chunk can only cut the body short (the status is sent): it is
/// logged and the stream ends in an error, so the client sees an incomplete transfer.
pub fn csv_stream(
    pages: ExportPages,
    lang: Language,
) -> impl futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::unfold(Some((pages, false)), move |state| async move {
        let (mut pages, started) = state?;
        if !started {
            let mut chunk = pages.dialect.preamble().to_vec();
            let mut writer = writer(pages.dialect, &mut chunk);
            let written = writer.write_record(words::headings(pages.kind, lang));
            drop(writer);
            return Some((
                written
                    .map(|()| Bytes::from(chunk))
                    .map_err(std::io::Error::other),
                Some((pages, true)),
            ));
        }
        match pages.next_page().await {
            Ok(Some(rows)) => {
                let chunk = write_rows(&pages, &rows, lang);
                Some((chunk.map(Bytes::from), Some((pages, true))))
            }
            Ok(None) => None,
            Err(error) => {
                tracing::error!(%error, kind = pages.kind.as_str(), "an export stopped part way");
                Some((Err(std::io::Error::other(error.to_string())), None))
            }
        }
    })
    // A layer may poll a body again after its end (gzip does): a fused stream answers the end
    // again, where `unfold` alone panics.
    .fuse()
}

fn writer(dialect: ExportDialect, out: &mut Vec<u8>) -> csv::Writer<&mut Vec<u8>> {
    csv::WriterBuilder::new()
        .delimiter(dialect.delimiter())
        .terminator(csv::Terminator::CRLF)
        .has_headers(false)
        .from_writer(out)
}

fn write_rows(pages: &ExportPages, rows: &ExportRows, lang: Language) -> std::io::Result<Vec<u8>> {
    let dialect = pages.dialect;
    let zone = pages.time_zone.as_str();
    let mut out = Vec::with_capacity(rows.len() * 160);
    let mut writer = writer(dialect, &mut out);
    let result: csv::Result<()> = (|| {
        match rows {
            ExportRows::Orders(rows) => {
                for o in rows {
                    writer.write_record([
                        o.id.to_string().as_str(),
                        &dialect.time(o.created_at, zone),
                        &o.buyer_name,
                        &o.buyer_email,
                        words::order_status(o.status, lang),
                        words::payment(o.payment_method, lang),
                        &o.installments.to_string(),
                        &o.tickets.to_string(),
                        &o.products.to_string(),
                        &dialect.money(o.total_cents),
                        &dialect.money(o.refunded_cents),
                        &o.currency,
                        words::yes_no(o.resale, lang),
                    ])?;
                }
            }
            ExportRows::Attendees(rows) => {
                for t in rows {
                    writer.write_record([
                        t.ticket_id.to_string().as_str(),
                        &t.order_id.to_string(),
                        &t.holder_name,
                        &t.holder_email,
                        &t.section,
                        t.row_label.as_deref().unwrap_or(""),
                        &t.seat_number.map(|n| n.to_string()).unwrap_or_default(),
                        t.category.as_deref().unwrap_or(""),
                        words::ticket_type(t.ticket_type, lang),
                        t.eligibility.map_or("", |g| words::eligibility(g, lang)),
                        t.eligibility.map_or("", |g| words::document(g, lang)),
                        words::ticket_status(t.status, lang),
                        &dialect.money(t.face_value_cents),
                    ])?;
                }
            }
            ExportRows::Checkins(rows) => {
                for c in rows {
                    writer.write_record([
                        dialect.time(c.scanned_at, zone).as_str(),
                        &c.ticket_id.to_string(),
                        &c.holder_name,
                        &c.gate,
                        words::scan_result(c.result, lang),
                        &c.staff_name,
                    ])?;
                }
            }
        }
        writer.flush()?;
        Ok(())
    })();
    drop(writer);
    result.map(|()| out).map_err(std::io::Error::other)
}

/// The path of an export, for links.
pub fn export_path(session: SessionId, kind: ExportKind, dialect: ExportDialect) -> String {
    format!(
        "{API_PREFIX}/sessions/{session}/exports/{}?dialect={}",
        kind.file_name(),
        dialect.as_str()
    )
}
