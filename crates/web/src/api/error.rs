//! Every error the API returns, as RFC 9457 problem details with a stable `code`. Application,
//! domain and storage errors become HTTP errors here and nowhere else: status, `code` (one
//! [`ProblemCode`]) and the API's English `detail`; the pages word the code for people. A
//! validation problem's field errors carry the domain's facts ([`FieldProblem`]) and are worded
//! at the last moment, in the request's language ([`in_request_language`]).

use crate::field_words;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bilheteria_app::error::{AdmissionProblem, AppError, Denied, NotAuthenticated};
use bilheteria_app::queue::state::QueueError;
use bilheteria_domain::images::{ImageRefusal, MAX_PIXELS, MAX_SIDE, MIN_SIDE};
use bilheteria_domain::locale::{Language, brl_en};
use bilheteria_domain::transfers::TransferBlock;
use bilheteria_domain::{FieldError, FieldErrors, FieldProblem};
use bilheteria_store::{Refusal, StoreError};

pub use super::problem_code::ProblemCode;
use serde::Serialize;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `session_replaced`.
    pub code: String,
    /// Field errors of a `validation_failed` problem.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<WordedFieldError>,
    /// Members particular to a problem, e.g. `seat_ids` of `seat_unavailable` or `order_id`.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

/// One field's error as the API sends it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = FieldError)]
pub struct WordedFieldError {
    /// Path of the offending field, e.g. `sections[2].rows[0].label`.
    pub field: String,
    /// What is wrong, for people, in the request's language: `Accept-Language` (`pt-BR` or
    /// `en`), Portuguese when it names neither.
    pub message: String,
    /// What is wrong as a stable snake_case word, the same in every language.
    #[schema(schema_with = field_problem_code)]
    pub code: &'static str,
    /// The facts the message is made of, by name, when it has any: `{"max": 100}` for
    /// `too_long`, `{"min": 0, "max": 2}` for `out_of_range`, `{"min_cents": 0, "max_cents":
    /// 100000000}` for `amount_out_of_range`, `{"choices": ["card", "pix"]}` for `not_one_of`.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// The schema of a field error's `code`: every [`FieldProblem`]'s, listed from the enum itself.
fn field_problem_code() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "What is wrong as a stable snake_case word, the same in every language, e.g. \
             `too_long` (with `max`), `out_of_range` (`min`, `max`), `amount_out_of_range` \
             (`min_cents`, `max_cents`), `not_one_of` (`choices`), `missing_field` (`name`).",
        ))
        .enum_values(Some(
            FieldProblem::examples()
                .iter()
                .map(FieldProblem::code)
                .collect::<Vec<_>>(),
        ))
        .examples(["too_long"])
        .build()
}

impl WordedFieldError {
    pub fn new(lang: Language, error: &FieldError) -> Self {
        Self {
            field: error.field.clone(),
            message: field_words::message(lang, &error.problem),
            code: error.problem.code(),
            params: error.problem.params(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ProblemCode,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after_secs: Option<u64>,
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    /// A cookie-authenticated write without the page's CSRF proof.
    pub fn csrf_failed() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ProblemCode::CsrfFailed,
            "this form or request is missing its CSRF proof: reload the page and try again",
        )
    }

    pub fn new(status: StatusCode, code: ProblemCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_secs: None,
            extensions: serde_json::Map::new(),
        }
    }

    /// Adds a member to the problem document.
    pub fn with(mut self, name: &str, value: impl Serialize) -> Self {
        self.extensions.insert(
            name.to_owned(),
            serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
        );
        self
    }

    /// Names the field at fault, as a validation problem does.
    pub fn with_field_error(mut self, field: &str, problem: FieldProblem) -> Self {
        self.errors.push(FieldError {
            field: field.to_owned(),
            problem,
        });
        self
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ProblemCode::Unauthenticated,
            detail,
        )
    }

    pub fn session_replaced() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ProblemCode::SessionReplaced,
            "this session was ended by a newer login of the same account or on the same device",
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ProblemCode::Forbidden, detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ProblemCode::NotFound,
            format!("{what} not found"),
        )
    }

    pub fn validation(errors: FieldErrors) -> Self {
        let detail = match errors.0.as_slice() {
            [only] => format!(
                "{}: {}",
                only.field,
                field_words::message(Language::En, &only.problem)
            ),
            many => format!("{} fields are invalid", many.len()),
        };
        Self {
            errors: errors.0,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::ValidationFailed,
                detail,
            )
        }
    }

    pub fn invalid_field(field: &str, problem: FieldProblem) -> Self {
        Self::validation(FieldErrors::single(field, problem))
    }

    /// A value serde could not read into `field`: its wording (`missing field `name``, `invalid
    /// type: …`) stays in the English `detail`, its kind goes to the field error.
    pub fn unreadable(field: &str, said: &str) -> Self {
        let quoted = |prefix: &str| {
            said.strip_prefix(prefix)
                .and_then(|rest| rest.split('`').nth(1))
                .map(str::to_owned)
        };
        let problem = if let Some(name) = quoted("missing field ") {
            FieldProblem::MissingField { name }
        } else if let Some(name) = quoted("unknown field ") {
            FieldProblem::UnknownField { name }
        } else if said.starts_with("duplicate field") {
            FieldProblem::Duplicate
        } else {
            FieldProblem::Invalid
        };
        Self {
            detail: format!("{field}: {said}"),
            ..Self::invalid_field(field, problem)
        }
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ProblemCode::RateLimited,
                "too many requests; retry later",
            )
        }
    }

    /// `transfer_not_allowed`, with the reason's stable word in `reason`.
    fn transfer_not_allowed(block: TransferBlock) -> Self {
        let detail = match block {
            TransferBlock::Disabled => {
                "the organizer does not allow transfers for this session".to_owned()
            }
            TransferBlock::PastCutoff => {
                "transfers for this session have closed before its start".to_owned()
            }
            TransferBlock::TicketNotValid => {
                "only a valid ticket you hold can change hands (not a used or cancelled one)"
                    .to_owned()
            }
            TransferBlock::AlreadyPending => {
                "this ticket already has a pending transfer; cancel it first".to_owned()
            }
            TransferBlock::Listed => {
                "this ticket is listed for resale; withdraw the listing first".to_owned()
            }
            TransferBlock::NotPending(status) => {
                format!("this transfer is {} already", status.as_str())
            }
        };
        Self::new(
            StatusCode::CONFLICT,
            ProblemCode::TransferNotAllowed,
            detail,
        )
        .with("reason", block.as_str())
    }

    /// An unexpected failure: logged in full, answered without internals.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ProblemCode::Internal,
            "an unexpected error occurred",
        )
    }

    fn title(&self) -> &'static str {
        self.status.canonical_reason().unwrap_or("Error")
    }

    /// The problem document, its field errors worded in `lang`.
    pub fn problem(&self, lang: Language) -> Problem {
        Problem {
            kind: format!(
                "https://bilheteria.dev/problems/{}",
                self.code.as_str().replace('_', "-")
            ),
            title: self.title().to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.as_str().to_owned(),
            errors: self
                .errors
                .iter()
                .map(|error| WordedFieldError::new(lang, error))
                .collect(),
            extensions: self.extensions.clone(),
        }
    }

    /// The answer, its field errors worded in `lang`.
    fn answer(&self, lang: Language) -> Response {
        let body = serde_json::to_vec(&self.problem(lang)).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// A problem with field errors, carried to [`in_request_language`], which knows the request.
#[derive(Clone)]
struct FieldErrorsToWord(ApiError);

impl IntoResponse for ApiError {
    /// Written in the default language; [`in_request_language`] words the field errors again
    /// for a request that asks for another.
    fn into_response(self) -> Response {
        let mut response = self.answer(Language::default());
        if !self.errors.is_empty() {
            response.extensions_mut().insert(FieldErrorsToWord(self));
        }
        response
    }
}

/// The language the API words a request's field errors in: its `Accept-Language`, Portuguese
/// when that names neither of ours (the rule of a sign-up's language too).
pub fn request_language(headers: &HeaderMap) -> Language {
    Language::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
    )
}

/// Words the field errors of a problem answered to `req` in the request's language.
pub async fn in_request_language(req: Request, next: Next) -> Response {
    let lang = request_language(req.headers());
    let mut response = next.run(req).await;
    let Some(FieldErrorsToWord(problem)) = response.extensions_mut().remove() else {
        return response;
    };
    if lang == Language::default() {
        return response;
    }
    let worded = problem.answer(lang);
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, worded.into_body())
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        Self::validation(errors)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::EmailTaken => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::EmailTaken,
                "this email is already registered",
            ),
            StoreError::NotFound => Self::not_found("resource"),
            StoreError::InvalidCursor => Self::invalid_field("cursor", FieldProblem::InvalidCursor),
            StoreError::Refused(refusal) => refusal.into(),
            StoreError::SeatsUnavailable(seats) => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::SeatUnavailable,
                "some of these seats are held or sold; pick others",
            )
            .with("seat_ids", seats),
            StoreError::Database { message, .. } => {
                tracing::error!(%message, "storage failed");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ProblemCode::StorageUnavailable,
                    "storage is unavailable; retry later",
                )
            }
        }
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::NotFound(what) => Self::not_found(what),
            AppError::NotAuthenticated(why) => Self::unauthenticated(match why {
                NotAuthenticated::UnknownToken => "unknown or invalid token",
                NotAuthenticated::LoggedOut => "this session was logged out",
                NotAuthenticated::Expired => "this session has expired; log in again",
            }),
            AppError::SessionReplaced => Self::session_replaced(),
            AppError::InvalidCredentials => Self::new(
                StatusCode::UNAUTHORIZED,
                ProblemCode::InvalidCredentials,
                "wrong email or password",
            ),
            AppError::InvalidToken => Self::new(
                StatusCode::GONE,
                ProblemCode::InvalidToken,
                "this link was used, has expired or is unknown: ask for a new one",
            ),
            AppError::EmailNotVerified => Self::new(
                StatusCode::FORBIDDEN,
                ProblemCode::EmailNotVerified,
                "confirm your email address (the link mailed at sign-up) to accept tickets sent to it",
            ),
            AppError::Forbidden(denied) => Self::forbidden(match denied {
                Denied::NeedsAdmin => "this needs the admin role",
                Denied::NeedsOrganizer => "founding an organization needs the organizer role",
                Denied::RoleMayNot => {
                    "your role in this organization (or the events you are limited to) does not allow this"
                }
                Denied::NoOrganization => {
                    "you belong to no organization: found one (POST /organizations) or ask to be added to one"
                }
                Denied::OthersVenue => "this venue belongs to another organization",
                Denied::ProductWithOthersEvent => {
                    "a product can be offered only with its own organization's events"
                }
                Denied::RefundOfOthersOrder => {
                    "only a member of the event's organization who may refund, or an admin, can refund"
                }
                Denied::NotEventStaff => {
                    "only the door staff of this event's organization (or an admin) can check its tickets in"
                }
                Denied::OnlySenderCancels => {
                    "only the sender can cancel a transfer; the recipient declines it"
                }
                Denied::OnlyRecipientDecides => {
                    "only the recipient can accept or decline a transfer; the sender cancels it"
                }
            }),
            AppError::Invalid(errors) => Self::validation(errors),
            AppError::RateLimited { retry_after_secs } => Self::rate_limited(retry_after_secs),
            AppError::Overloaded { retry_after_secs } => Self {
                retry_after_secs: Some(retry_after_secs.max(1)),
                ..Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ProblemCode::Overloaded,
                    "the box office is at capacity right now; nothing was held; try again shortly",
                )
            },
            AppError::IpBlocked => Self::new(
                StatusCode::FORBIDDEN,
                ProblemCode::IpBlocked,
                "purchases from this address are not allowed",
            ),
            AppError::SalesNotOpen { sales_start_at } => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::SalesNotOpen,
                "sales for this session have not opened yet",
            )
            .with("sales_start_at", sales_start_at.unix_timestamp()),
            AppError::SalesClosed => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::SalesClosed,
                "this session has already started",
            ),
            AppError::SalesPaused => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::SalesPaused,
                "the organizer paused this session's sales: try again later",
            ),
            AppError::EventCancelled => Self::new(
                StatusCode::GONE,
                ProblemCode::EventCancelled,
                "its organizer cancelled this event: it sells nothing, and its paid orders are refunded",
            ),
            AppError::OrganizationSuspended => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::OrganizationSuspended,
                "the organization selling this session is suspended: it sells nothing for now",
            ),
            AppError::AdmissionRequired(problem) => Self::new(
                StatusCode::FORBIDDEN,
                ProblemCode::AdmissionRequired,
                match problem {
                    AdmissionProblem::Missing => {
                        "this session sells through its waiting room: join the queue and send X-Admission-Token"
                    }
                    AdmissionProblem::Malformed => "the admission token is malformed or forged",
                    AdmissionProblem::OtherSession => "the admission token is for another session",
                    AdmissionProblem::OtherHolder => {
                        "the admission token belongs to another account or device"
                    }
                    AdmissionProblem::Expired => "the admission has expired; join the queue again",
                },
            ),
            AppError::InvalidQueueToken => Self::new(
                StatusCode::UNAUTHORIZED,
                ProblemCode::InvalidQueueToken,
                "the queue token is missing, malformed, forged or for another session",
            ),
            AppError::QueueNotEnabled => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::QueueNotEnabled,
                "this session has no waiting room (any more)",
            ),
            AppError::AdmissionExpired => Self::new(
                StatusCode::GONE,
                ProblemCode::AdmissionExpired,
                "your turn to buy has passed: each account gets one turn in this queue",
            ),
            AppError::Queue(QueueError::DeviceTaken) => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::DeviceInQueue,
                "this device is already in the line with another account",
            ),
            AppError::Queue(QueueError::Unavailable(reason)) => {
                tracing::error!(%reason, "queue state unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ProblemCode::QueueUnavailable,
                    "the waiting room is unavailable; retry shortly",
                )
            }
            AppError::IdempotencyKeyReused => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::IdempotencyKeyReused,
                "this Idempotency-Key was used with a different request body",
            ),
            AppError::OrderNotRefundable => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::OrderNotRefundable,
                "only a paid order can be refunded",
            ),
            AppError::OrderNotPaid => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::OrderNotPaid,
                "only a paid order's tickets can be mailed again",
            ),
            AppError::InvalidTicket => Self::new(
                StatusCode::NOT_FOUND,
                ProblemCode::InvalidTicket,
                "this is not a ticket of ours: check the code, or show the ticket again",
            ),
            AppError::TicketWrongSession => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::TicketWrongSession,
                "this ticket is for another session",
            ),
            AppError::TicketUsed {
                first_scan_at,
                gate,
            } => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::TicketUsed,
                format!("this ticket was let in before, at gate {gate}"),
            )
            .with(
                "first_scan_at",
                first_scan_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            )
            .with("gate", gate),
            AppError::TicketRevoked => Self::new(
                StatusCode::GONE,
                ProblemCode::TicketRevoked,
                "this code is no longer valid: the ticket was cancelled, refunded or given a new code",
            ),
            AppError::TransferNotAllowed(block) => Self::transfer_not_allowed(block),
            AppError::ScreenCodeRequired => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::ScreenCodeRequired,
                "this session takes only the code on the ticket's screen, which changes every 15 seconds",
            ),
            AppError::ScreenCodeExpired => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::ScreenCodeExpired,
                "this on-screen code is from another moment (a screenshot?): show the live ticket",
            ),
            AppError::ScreenOnly => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::TicketScreenOnly,
                "the organizer shows this session's tickets on screens only: open the ticket on your phone",
            ),
            AppError::EligibilityRequired => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::EligibilityRequired,
                "half-price places (meia-entrada) need `eligibility`: one of student, pcd, \
                 pcd_companion, youth_low_income, senior",
            ),
            AppError::DemoAlreadySeeded => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::DemoAlreadySeeded,
                "the demo box office is already here",
            ),
            AppError::NotSimulated => Self::new(
                StatusCode::NOT_FOUND,
                ProblemCode::NotSimulated,
                "Pix payments are made from the buyer's bank; only the simulated provider pays them here",
            ),
            AppError::PixNotPending => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::PixNotPending,
                "this order has no Pix waiting to be paid (paid, expired, or paid by card)",
            ),
            AppError::NotSoldOut => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::NotSoldOut,
                "places of this session are still on sale: buy them instead of waiting",
            ),
            AppError::Image(refusal) => Self::image(refusal),
            AppError::Provider(reason) => Self::new(
                StatusCode::BAD_GATEWAY,
                ProblemCode::PaymentProviderError,
                format!("the refund could not be made: {reason}"),
            ),
            AppError::Store(error) => error.into(),
            AppError::Internal(reason) => Self::internal(reason),
        }
    }
}

impl ApiError {
    /// An upload refused as a picture, with the facts that say why.
    fn image(refusal: ImageRefusal) -> Self {
        match refusal {
            ImageRefusal::NotAnImage => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::NotAnImage,
                "this is not a picture: send a JPEG, PNG or WebP image",
            ),
            ImageRefusal::UnsupportedFormat { found } => {
                let problem = Self::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    ProblemCode::ImageFormatUnsupported,
                    match &found {
                        Some(format) => {
                            format!("a {format} picture is not taken: send a JPEG, PNG or WebP image")
                        }
                        None => "this picture's format is not taken: send a JPEG, PNG or WebP image"
                            .to_owned(),
                    },
                );
                match found {
                    Some(format) => problem.with("found", format),
                    None => problem,
                }
            }
            ImageRefusal::TooLarge { max_bytes } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ProblemCode::ImageTooLarge,
                format!("the picture weighs more than {} MiB", max_bytes / (1024 * 1024)),
            )
            .with("max_bytes", max_bytes),
            ImageRefusal::Dimensions { width, height } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::ImageDimensionsOutOfRange,
                format!(
                    "a picture of {width} × {height} pixels is not taken: each side from {MIN_SIDE} \
                     to {MAX_SIDE} pixels, at most {} megapixels",
                    MAX_PIXELS / 1_000_000
                ),
            )
            .with("width", width)
            .with("height", height),
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::PurchaseLimitExceeded { cap } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::PurchaseLimitExceeded,
                format!(
                    "at most {cap} tickets per buyer for this session, counting holds and purchases"
                ),
            ),
            Refusal::SeatNotOnSale { seat } => Self::invalid_field(
                "seat_ids",
                FieldProblem::SeatNotOnSale {
                    seat: seat.to_string(),
                },
            ),
            Refusal::NotAStandingSection => {
                Self::invalid_field("section_id", FieldProblem::NotAStandingSection)
            }
            Refusal::SoldOut => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::SoldOut,
                "not enough places left in this section",
            ),
            Refusal::OpenPlacesSoldOut => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::SoldOut,
                "no full-price places left: the remaining ones are reserved for half-price buyers (meia-entrada)",
            ),
            Refusal::HalfPriceSoldOut => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::HalfPriceSoldOut,
                "no half-price places (meia-entrada) left in this session's quota",
            ),
            Refusal::HoldNotFound => Self::not_found("hold"),
            Refusal::HoldExpired => Self::new(
                StatusCode::GONE,
                ProblemCode::HoldExpired,
                "the hold has expired; hold the seats again",
            ),
            Refusal::HoldInUse => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::HoldInUse,
                "this hold is already being paid for or was bought",
            ),
            Refusal::ProductNotOffered { index } => Self::invalid_field(
                &format!("products[{index}].product_id"),
                FieldProblem::NotOffered,
            ),
            Refusal::OutOfStock { product } => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::OutOfStock,
                format!("not enough stock of product {product}"),
            ),
            Refusal::TotalTooLarge => Self::invalid_field("body", FieldProblem::TotalTooLarge),
            Refusal::OrderNotRefundable => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::OrderNotRefundable,
                "only a paid order can be refunded",
            ),
            Refusal::EventHasSessions => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::EventHasSessions,
                "an event with sessions cannot move to another venue",
            ),
            Refusal::VenueHasSales => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::VenueHasSales,
                "a session of this venue has held or sold places: its seat map and time zone \
                 can no longer change (its name, city and stage still can)",
            ),
            Refusal::SectionsOnSale => {
                Self::invalid_field("sections", FieldProblem::SectionsOnSale)
            }
            Refusal::SectionNotOfVenue { section } => Self::invalid_field(
                "categories",
                FieldProblem::SectionNotOfVenue {
                    section: section.to_string(),
                },
            ),
            Refusal::TransferNotAllowed(block) => Self::transfer_not_allowed(block),
            Refusal::ResaleAboveFaceValue { face_value_cents } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::ResaleAboveFaceValue,
                format!(
                    "a ticket is resold at no more than was paid for it: at most {}",
                    brl_en(face_value_cents)
                ),
            )
            .with("face_value_cents", face_value_cents),
            Refusal::ListingUnavailable => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::ListingUnavailable,
                "this listing is sold, withdrawn, being bought by someone else, or your own",
            ),
            Refusal::LastOwner => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::LastOwner,
                "an organization keeps at least one owner: make another member owner first",
            ),
            Refusal::PricesLocked => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::PricesLocked,
                "the session has sold: its prices no longer change",
            ),
            Refusal::EventNotOfOrganization { index } => {
                Self::invalid_field(&format!("event_ids[{index}]"), FieldProblem::Unknown)
            }
            Refusal::TicketNotInOrder { index } => {
                Self::invalid_field(&format!("ticket_ids[{index}]"), FieldProblem::Unknown)
            }
            Refusal::TicketAlreadyRefunded { ticket } => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::TicketAlreadyRefunded,
                format!("ticket {ticket} was refunded already, or its refund is under way"),
            ),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_field_error_code_and_its_members() {
        let document = serde_json::to_value(super::super::openapi()).unwrap();
        let schema = &document["components"]["schemas"]["FieldError"];
        let codes: Vec<&str> = FieldProblem::examples()
            .iter()
            .map(FieldProblem::code)
            .collect();
        assert_eq!(
            schema["properties"]["code"]["enum"],
            serde_json::json!(codes)
        );
        assert_eq!(
            schema["required"],
            serde_json::json!(["field", "message", "code"]),
            "{schema}"
        );
        assert!(schema["properties"]["params"].is_object(), "{schema}");
    }

    #[test]
    fn a_field_error_is_sent_with_its_code_facts_and_words() {
        let error = ApiError::invalid_field(
            "half_price_quantity",
            FieldProblem::OutOfRange { min: 0, max: 2 },
        );
        assert_eq!(error.detail, "half_price_quantity: must be between 0 and 2");
        let sent = |lang| serde_json::to_value(error.problem(lang)).unwrap()["errors"].clone();
        assert_eq!(
            sent(Language::PtBr),
            serde_json::json!([{"field": "half_price_quantity", "code": "out_of_range",
                "params": {"min": 0, "max": 2}, "message": "deve estar entre 0 e 2"}])
        );
        assert_eq!(sent(Language::En)[0]["message"], "must be between 0 and 2");
        let unread = ApiError::unreadable("body", "missing field `payment`");
        assert_eq!(unread.detail, "body: missing field `payment`");
        assert_eq!(
            unread.errors[0].problem,
            FieldProblem::MissingField {
                name: "payment".to_owned()
            }
        );
    }
}
