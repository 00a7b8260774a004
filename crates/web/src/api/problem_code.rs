//! Every `code` a problem document of the API can carry, as one enum: the wire strings are
//! written here once (they are binding, see the shared API.md), and the pages word each of them
//! for people by matching on the enum, so that a new code without wording does not compile.

macro_rules! problem_codes {
    ($($(#[$doc:meta])* $variant:ident = $wire:literal,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ProblemCode {
            $($(#[$doc])* $variant,)*
        }

        impl ProblemCode {
            /// Every code, made from the same list as the enum, so it cannot miss one.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant,)*];

            /// The code as it is sent in a problem document.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $wire,)*
                }
            }
        }
    };
}

problem_codes! {
    // Any request.
    Unauthenticated = "unauthenticated",
    SessionReplaced = "session_replaced",
    Forbidden = "forbidden",
    NotFound = "not_found",
    ValidationFailed = "validation_failed",
    RateLimited = "rate_limited",
    /// A cookie-authenticated write without the page's CSRF proof.
    CsrfFailed = "csrf_failed",
    BadRequest = "bad_request",
    MethodNotAllowed = "method_not_allowed",
    PayloadTooLarge = "payload_too_large",
    UnsupportedMediaType = "unsupported_media_type",
    MalformedBody = "malformed_body",
    MalformedJson = "malformed_json",
    RequestTimeout = "request_timeout",
    Overloaded = "overloaded",
    StorageUnavailable = "storage_unavailable",
    NotReady = "not_ready",
    Internal = "internal",
    // Accounts.
    EmailTaken = "email_taken",
    InvalidCredentials = "invalid_credentials",
    DeviceIdRequired = "device_id_required",
    CannotDemoteSelf = "cannot_demote_self",
    /// A password-reset or address-confirmation link used, expired or unknown.
    InvalidToken = "invalid_token",
    EmailNotVerified = "email_not_verified",
    // The waiting room.
    QueueNotEnabled = "queue_not_enabled",
    InvalidQueueToken = "invalid_queue_token",
    ProofOfWorkRequired = "proof_of_work_required",
    DeviceInQueue = "device_in_queue",
    QueueUnavailable = "queue_unavailable",
    AdmissionRequired = "admission_required",
    AdmissionExpired = "admission_expired",
    // Holding and buying.
    SalesNotOpen = "sales_not_open",
    SalesClosed = "sales_closed",
    IpBlocked = "ip_blocked",
    SeatUnavailable = "seat_unavailable",
    SoldOut = "sold_out",
    HalfPriceSoldOut = "half_price_sold_out",
    EligibilityRequired = "eligibility_required",
    PurchaseLimitExceeded = "purchase_limit_exceeded",
    HoldExpired = "hold_expired",
    HoldInUse = "hold_in_use",
    OutOfStock = "out_of_stock",
    IdempotencyKeyRequired = "idempotency_key_required",
    IdempotencyKeyReused = "idempotency_key_reused",
    IdempotencyInProgress = "idempotency_in_progress",
    PaymentDeclined = "payment_declined",
    PaymentPending = "payment_pending",
    PixExpired = "pix_expired",
    PixNotPending = "pix_not_pending",
    NotSimulated = "not_simulated",
    InvalidSignature = "invalid_signature",
    NotSoldOut = "not_sold_out",
    // Orders and events, for organizers and admins.
    OrderNotRefundable = "order_not_refundable",
    /// A refund of tickets naming one refunded before (or whose refund is under way).
    TicketAlreadyRefunded = "ticket_already_refunded",
    /// The tickets' mail sent again for an order that is not paid.
    OrderNotPaid = "order_not_paid",
    PaymentProviderError = "payment_provider_error",
    EventHasSessions = "event_has_sessions",
    /// A venue's seat map changed after a session of it held or sold places.
    VenueHasSales = "venue_has_sales",
    /// A change that would leave an organization without an owner.
    LastOwner = "last_owner",
    /// A price change to a session that has sold.
    PricesLocked = "prices_locked",
    /// A hold on a session whose organizer paused its sales.
    SalesPaused = "sales_paused",
    EventCancelled = "event_cancelled",
    /// A hold on a session of an organization an admin suspended.
    OrganizationSuspended = "organization_suspended",
    DemoAlreadySeeded = "demo_already_seeded",
    /// An upload for a poster or a product's image that is no picture at all.
    NotAnImage = "not_an_image",
    /// A picture of a format not taken (GIF, BMP, …): JPEG, PNG and WebP are.
    ImageFormatUnsupported = "image_format_unsupported",
    /// A picture heavier than the limit (5 MiB).
    ImageTooLarge = "image_too_large",
    /// A picture too small, too large on a side, or of too many pixels.
    ImageDimensionsOutOfRange = "image_dimensions_out_of_range",
    // Tickets: the gate, transfers, resale.
    InvalidTicket = "invalid_ticket",
    TicketWrongSession = "ticket_wrong_session",
    TicketUsed = "ticket_used",
    TicketRevoked = "ticket_revoked",
    TicketScreenOnly = "ticket_screen_only",
    ScreenCodeRequired = "screen_code_required",
    ScreenCodeExpired = "screen_code_expired",
    TransferNotAllowed = "transfer_not_allowed",
    ResaleAboveFaceValue = "resale_above_face_value",
    ListingUnavailable = "listing_unavailable",
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ProblemCode;
    use std::collections::HashSet;

    #[test]
    fn wire_codes_are_unique_and_snake_case() {
        let codes: HashSet<_> = ProblemCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            codes.len(),
            ProblemCode::ALL.len(),
            "a wire code is used twice"
        );
        for code in codes {
            let snake = !code.is_empty()
                && code.starts_with(|c: char| c.is_ascii_lowercase())
                && !code.ends_with('_')
                && !code.contains("__")
                && code.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            assert!(snake, "{code} is not snake_case");
        }
    }
}
