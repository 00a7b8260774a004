//! Every error the API returns, as RFC 9457 problem details with a stable `code`. Application,
//! domain and storage errors become HTTP errors here and nowhere else: status, `code` (one
//! [`ProblemCode`]) and the API's English `detail`; the pages word the code for people.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bilheteria_app::error::{AdmissionProblem, AppError, Denied, NotAuthenticated};
use bilheteria_app::queue::state::QueueError;
use bilheteria_domain::transfers::TransferBlock;
use bilheteria_domain::{FieldError, FieldErrors};
use bilheteria_store::{Refusal, StoreError};

pub use super::problem_code::ProblemCode;
use serde::Serialize;

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
    pub errors: Vec<FieldError>,
    /// Members particular to a problem, e.g. `seat_ids` of `seat_unavailable` or `order_id`.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
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
    pub fn with_field_error(mut self, field: &str, message: impl Into<String>) -> Self {
        self.errors.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
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
            [only] => format!("{}: {}", only.field, only.message),
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

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(FieldErrors::single(field, message))
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

    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!(
                "https://bilheteria.dev/problems/{}",
                self.code.as_str().replace('_', "-")
            ),
            title: self.title().to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.as_str().to_owned(),
            errors: self.errors.clone(),
            extensions: self.extensions.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
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
            StoreError::InvalidCursor => Self::invalid_field("cursor", "is not a valid cursor"),
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
                Denied::NeedsOrganizer => "this needs the organizer role",
                Denied::OthersEvent => "this event belongs to another organizer",
                Denied::OthersVenue => "this venue belongs to another organizer",
                Denied::OthersProduct => "this product belongs to another organizer",
                Denied::ProductWithOthersEvent => {
                    "a product can be offered only with your own events"
                }
                Denied::RefundOfOthersOrder => "only the event's organizer or an admin can refund",
                Denied::OthersSalesAudit => {
                    "only the event's organizer or an admin can audit its sales"
                }
                Denied::OthersQueue => {
                    "only the event's organizer or an admin can see or steer its queue"
                }
                Denied::NotEventStaff => {
                    "only staff assigned to this event, its organizer or an admin can check its tickets in"
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
                format!("seat {seat} is not on sale in this session"),
            ),
            Refusal::NotAStandingSection => Self::invalid_field(
                "section_id",
                "is not a standing section on sale in this session",
            ),
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
                "is not offered with this event",
            ),
            Refusal::OutOfStock { product } => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::OutOfStock,
                format!("not enough stock of product {product}"),
            ),
            Refusal::TotalTooLarge => Self::invalid_field("body", "the total is too large"),
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
            Refusal::SectionNotOfVenue { section } => Self::invalid_field(
                "categories",
                format!("section {section} is not a section of the event's venue"),
            ),
            Refusal::TransferNotAllowed(block) => Self::transfer_not_allowed(block),
            Refusal::ResaleAboveFaceValue { face_value_cents } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::ResaleAboveFaceValue,
                format!(
                    "a ticket is resold at no more than was paid for it: at most {face_value_cents} cents"
                ),
            )
            .with("face_value_cents", face_value_cents),
            Refusal::ListingUnavailable => Self::new(
                StatusCode::CONFLICT,
                ProblemCode::ListingUnavailable,
                "this listing is sold, withdrawn, being bought by someone else, or your own",
            ),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
