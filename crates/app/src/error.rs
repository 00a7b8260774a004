//! What an operation of the application answers instead of its result. Each case names what went
//! wrong and carries the facts a channel needs to say it; the channel alone chooses how (the
//! JSON API: status, `code` and wording of API.md, in `web::api::error`).

use crate::queue::state::QueueError;
use bilheteria_domain::FieldErrors;
use bilheteria_store::StoreError;
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such object, or none the caller may see: `what` names its kind.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("not authenticated: {0:?}")]
    NotAuthenticated(NotAuthenticated),
    /// The login session was ended by a newer login of its user or on its device (C2).
    #[error("the session was replaced by a newer login")]
    SessionReplaced,
    /// The same answer for an unknown email and a wrong password.
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("forbidden: {0:?}")]
    Forbidden(Denied),
    /// A mailed link's token that is unknown, used or expired.
    #[error("the link is used, expired or unknown")]
    InvalidToken,
    /// Accepting a transfer needs the recipient's address confirmed.
    #[error("the account's email address is not confirmed")]
    EmailNotVerified,
    #[error("invalid input: {0:?}")]
    Invalid(FieldErrors),
    #[error("too many requests; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("purchases from this address are not allowed")]
    IpBlocked,
    /// The box office is at capacity: a new buyer is asked to come back (see `load`).
    #[error("at capacity; retry after {retry_after_secs} s")]
    Overloaded { retry_after_secs: u64 },
    #[error("sales have not opened yet")]
    SalesNotOpen { sales_start_at: OffsetDateTime },
    #[error("the session has started")]
    SalesClosed,
    /// Its organizer paused the session's sales.
    #[error("sales are paused")]
    SalesPaused,
    /// Its organizer cancelled the event: nothing of it sells, and nothing of it changes.
    #[error("the event was cancelled")]
    EventCancelled,
    /// An admin suspended the organization of the session's event: it sells nothing.
    #[error("the organization is suspended")]
    OrganizationSuspended,
    /// A half-price place (meia-entrada) asked for without the buyer's ground.
    #[error("eligibility required for half-price places")]
    EligibilityRequired,
    /// `seed --demo` ran before on this database.
    #[error("the demo box office was seeded before")]
    DemoAlreadySeeded,
    /// Only the in-process simulated provider pays a Pix by hand.
    #[error("the payment provider is not the simulator")]
    NotSimulated,
    /// The order has no Pix waiting to be paid (paid, expired, or a card order).
    #[error("no Pix waiting for this order")]
    PixNotPending,
    /// A waitlist is for sold-out sessions: places are still on sale.
    #[error("the session is not sold out")]
    NotSoldOut,
    /// A queued session's hold without a valid admission.
    #[error("admission required: {0:?}")]
    AdmissionRequired(AdmissionProblem),
    #[error("the queue token is missing, malformed, forged or for another session")]
    InvalidQueueToken,
    #[error("the session has no waiting room")]
    QueueNotEnabled,
    #[error("the buyer's turn has passed")]
    AdmissionExpired,
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("the idempotency key was used with another request")]
    IdempotencyKeyReused,
    #[error("only a paid order can be refunded")]
    OrderNotRefundable,
    /// Only a paid order's tickets can be mailed again.
    #[error("the order is not paid")]
    OrderNotPaid,
    /// Not a code this system signed, or of no ticket.
    #[error("not a ticket code")]
    InvalidTicket,
    #[error("the ticket is for another session")]
    TicketWrongSession,
    #[error("the ticket was let in before")]
    TicketUsed {
        first_scan_at: OffsetDateTime,
        gate: String,
    },
    /// The code is of a cancelled ticket, or of a version replaced since (a transfer, a resale).
    #[error("the ticket's code was revoked")]
    TicketRevoked,
    /// The session lets in only codes shown on the ticket's screen (they change every 15 s).
    #[error("a code from the ticket's screen is required")]
    ScreenCodeRequired,
    /// An on-screen code from another time: a screenshot, or a clock far off.
    #[error("the on-screen code has expired")]
    ScreenCodeExpired,
    /// The session's tickets are shown on screens only: there is nothing to print.
    #[error("the session's tickets are shown on screens only")]
    ScreenOnly,
    /// The ticket cannot change hands now (`transfer_not_allowed`).
    #[error("the transfer is not allowed: {0:?}")]
    TransferNotAllowed(bilheteria_domain::transfers::TransferBlock),
    /// An upload that is not a picture taken (`images`): not one, too large, of another format,
    /// or of dimensions out of bounds.
    #[error("the image is refused: {0:?}")]
    Image(bilheteria_domain::images::ImageRefusal),
    /// The payment provider could not do what was asked.
    #[error("the payment provider failed: {0}")]
    Provider(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something that should not happen; logged in full, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why a token does not authenticate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotAuthenticated {
    UnknownToken,
    LoggedOut,
    Expired,
}

/// Why an authenticated caller may not do something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    NeedsAdmin,
    /// Founding an organization needs the organizer role.
    NeedsOrganizer,
    /// A member of the organization whose role (or whose events) does not allow it.
    RoleMayNot,
    /// Making a venue, event or product without being a member of any organization.
    NoOrganization,
    /// A venue of another organization.
    OthersVenue,
    /// A product offered with an event of another organization.
    ProductWithOthersEvent,
    RefundOfOthersOrder,
    /// A scan at an event the caller is not staff of.
    NotEventStaff,
    /// The recipient of a transfer may cancel it only by declining.
    OnlySenderCancels,
    /// The sender may not accept or decline their own offer.
    OnlyRecipientDecides,
}

/// What is wrong with a hold's admission to a queued session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdmissionProblem {
    Missing,
    Malformed,
    OtherSession,
    OtherHolder,
    Expired,
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        Self::Invalid(errors)
    }
}

impl AppError {
    pub fn internal(error: impl std::fmt::Display) -> Self {
        Self::Internal(error.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;
