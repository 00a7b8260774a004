//! Buying (U2, U4, S1, S2, C1): hold requests, orders, idempotency keys, the order state machine
//! and money arithmetic.

use crate::catalog::Currency;
use crate::half_price::{Eligibility, HalfPriceClaim, TicketType};
use crate::ids::{
    EventId, HoldId, ListingId, OrderId, ProductId, SeatId, SectionId, SessionId, UserId,
};
use crate::locale::Language;
use crate::pix::PixCharge;
use crate::place::{Bought, Place};
use crate::tickets::Ticket;
use crate::validation::{FieldErrors, FieldProblem, count, in_range, token};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use time::OffsetDateTime;

/// No single hold or product line may ask for more than this, whatever a session's cap.
pub const MAX_UNITS_PER_REQUEST: i64 = 50;
pub const MAX_PRODUCT_LINES: usize = 20;

// ---------------------------------------------------------------------------------------------
// Holds

/// `{seat_ids}` for a seated section, or `{section_id, quantity}` for a standing one; half-price
/// places (meia-entrada) among them with the buyer's ground.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldInput {
    #[schema(schema_with = crate::openapi::seat_ids)]
    pub seat_ids: Option<Vec<SeatId>>,
    /// The standing section to hold places in (with `quantity`).
    pub section_id: Option<SectionId>,
    /// How many standing places, 1 to 50.
    #[schema(minimum = 1, maximum = 50)]
    pub quantity: Option<i64>,
    /// The held seats sold at half price (a subset of `seat_ids`).
    #[serde(default)]
    #[schema(max_items = 50)]
    pub half_price_seat_ids: Option<Vec<SeatId>>,
    /// How many of a standing hold's places are half price (at most `quantity`).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 50)]
    pub half_price_quantity: Option<i64>,
    /// Why the buyer pays half: required with any half-price place.
    #[serde(default)]
    pub eligibility: Option<Eligibility>,
}

/// A valid hold request: its places, and which of them are half price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedHold {
    pub request: HoldRequest,
    pub half_price: HalfPriceClaim,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HoldRequest {
    Seats(Vec<SeatId>),
    Standing {
        section_id: SectionId,
        quantity: i64,
    },
}

impl HoldRequest {
    pub fn units(&self) -> i64 {
        match self {
            HoldRequest::Seats(seats) => seats.len() as i64,
            HoldRequest::Standing { quantity, .. } => *quantity,
        }
    }
}

impl HoldInput {
    /// Validates the request. A half-price place without `eligibility` passes here: the caller
    /// answers it with its own problem (`eligibility_required`).
    pub fn parse(self) -> Result<ParsedHold, FieldErrors> {
        let half_seats = self.half_price_seat_ids.clone();
        let (half_quantity, eligibility) = (self.half_price_quantity, self.eligibility);
        let request = self.places()?;
        let mut errors = FieldErrors::new();
        let half_price = match (&request, half_seats, half_quantity) {
            (HoldRequest::Seats(seats), half, None) => {
                let mut half = half.unwrap_or_default();
                half.sort();
                half.dedup();
                if half.iter().any(|seat| seats.binary_search(seat).is_err()) {
                    errors.add("half_price_seat_ids", FieldProblem::NotAmongSeats);
                }
                HalfPriceClaim {
                    units: half.len() as i64,
                    seats: half,
                    eligibility,
                }
            }
            (HoldRequest::Standing { quantity, .. }, None, half) => {
                let units = errors
                    .check(
                        "half_price_quantity",
                        in_range(half.unwrap_or(0), 0, *quantity),
                    )
                    .unwrap_or(0);
                HalfPriceClaim {
                    seats: Vec::new(),
                    units,
                    eligibility,
                }
            }
            (HoldRequest::Seats(_), _, Some(_)) => {
                errors.add("half_price_quantity", FieldProblem::HalfPriceBySeat);
                HalfPriceClaim::default()
            }
            (HoldRequest::Standing { .. }, Some(_), _) => {
                errors.add("half_price_seat_ids", FieldProblem::HalfPriceByQuantity);
                HalfPriceClaim::default()
            }
        };
        if half_price.units == 0 && eligibility.is_some() {
            errors.add("eligibility", FieldProblem::OnlyForHalfPrice);
        }
        errors.finish(|| {
            Some(ParsedHold {
                request,
                half_price,
            })
        })
    }

    fn places(&self) -> Result<HoldRequest, FieldErrors> {
        match (self.seat_ids.clone(), self.section_id, self.quantity) {
            (Some(seats), None, None) => {
                if seats.is_empty() || seats.len() as i64 > MAX_UNITS_PER_REQUEST {
                    return Err(FieldErrors::single(
                        "seat_ids",
                        FieldProblem::CountOutOfRange {
                            min: 1,
                            max: MAX_UNITS_PER_REQUEST,
                        },
                    ));
                }
                let mut seen = HashSet::new();
                let mut errors = FieldErrors::new();
                for (i, seat) in seats.iter().enumerate() {
                    if !seen.insert(*seat) {
                        errors.add(format!("seat_ids[{i}]"), FieldProblem::Duplicate);
                    }
                }
                let mut sorted = seats;
                // A fixed order makes concurrent claims lock rows in the same order.
                sorted.sort();
                errors.finish(|| Some(HoldRequest::Seats(sorted)))
            }
            (None, Some(section_id), Some(quantity)) => {
                let mut errors = FieldErrors::new();
                let quantity =
                    errors.check("quantity", in_range(quantity, 1, MAX_UNITS_PER_REQUEST));
                errors.finish(|| {
                    Some(HoldRequest::Standing {
                        section_id,
                        quantity: quantity?,
                    })
                })
            }
            _ => Err(FieldErrors::single("body", FieldProblem::SeatsOrStanding)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Hold {
    pub id: HoldId,
    pub session_id: SessionId,
    pub user_id: UserId,
    /// The seats held (empty for a standing hold).
    pub seat_ids: Vec<SeatId>,
    /// The section of the hold: the standing section, or the first seat's section.
    pub section_id: SectionId,
    pub quantity: i64,
    /// The held seats sold at half price (meia-entrada).
    pub half_price_seat_ids: Vec<SeatId>,
    /// How many of the held places are half price.
    pub half_price_quantity: i64,
    pub eligibility: Option<Eligibility>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

// ---------------------------------------------------------------------------------------------
// Orders

/// The client's unique identifier of one purchase attempt (S2).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        token(raw, 8, 64).map(|key| Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    /// The hold to buy; or, instead, `listing_id`.
    #[serde(default)]
    pub hold_id: Option<HoldId>,
    /// A face-value resale listing to buy (no products with it).
    #[serde(default)]
    pub listing_id: Option<ListingId>,
    /// Up to 20 product lines, each product once.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub products: Vec<ProductLineInput>,
    pub payment: PaymentInput,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductLineInput {
    pub product_id: ProductId,
    /// 1 to 50.
    #[schema(minimum = 1, maximum = 50)]
    pub quantity: i64,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    #[schema(schema_with = crate::openapi::payment_method)]
    pub method: String,
    /// For a card, required: a token from the payment provider (card numbers never reach
    /// us), up to 255 printable ASCII characters. A Pix takes none.
    #[serde(default)]
    #[schema(max_length = 255, pattern = "^[!-~]+$")]
    pub token: Option<String>,
    /// Card installments (parcelas), 1 to 12 (default 1); a Pix is paid at once.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 12)]
    pub installments: Option<i64>,
}

/// Why an order failed, as its `failure_code` records it: the places or products it bought
/// were lost before its payment settled (the charge is given back), its Pix expired, or the
/// provider declined the payment (any other code is the provider's own decline code). One
/// enum, so that the store, the API and the pages cannot drift apart on what a code means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderFailure {
    SeatsUnavailable,
    SoldOut,
    HalfPriceSoldOut,
    PurchaseLimitExceeded,
    OutOfStock,
    /// A resale listing sold or withdrawn under the buyer.
    ListingUnavailable,
    PixExpired,
    /// The provider declined the payment; the hold stays, so the buyer may try again.
    Declined,
    /// Its event was cancelled before the payment settled: a payment that came is refunded.
    EventCancelled,
}

impl OrderFailure {
    pub const ALL: [OrderFailure; 9] = [
        OrderFailure::SeatsUnavailable,
        OrderFailure::SoldOut,
        OrderFailure::HalfPriceSoldOut,
        OrderFailure::PurchaseLimitExceeded,
        OrderFailure::OutOfStock,
        OrderFailure::ListingUnavailable,
        OrderFailure::PixExpired,
        OrderFailure::Declined,
        OrderFailure::EventCancelled,
    ];

    /// The code recorded for it (a decline records the provider's code instead).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderFailure::SeatsUnavailable => "seats_unavailable",
            OrderFailure::SoldOut => "sold_out",
            OrderFailure::HalfPriceSoldOut => "half_price_sold_out",
            OrderFailure::PurchaseLimitExceeded => "purchase_limit_exceeded",
            OrderFailure::OutOfStock => "out_of_stock",
            OrderFailure::ListingUnavailable => "listing_unavailable",
            OrderFailure::PixExpired => crate::pix::PIX_EXPIRED_CODE,
            OrderFailure::Declined => "card_declined",
            OrderFailure::EventCancelled => "event_cancelled",
        }
    }

    /// What a recorded `failure_code` means: one of ours, else a provider's decline.
    pub fn of(code: &str) -> Self {
        OrderFailure::ALL
            .into_iter()
            .find(|failure| failure.as_str() == code)
            .unwrap_or(OrderFailure::Declined)
    }

    /// Whether the payment was declined (what was held stays held) rather than what it bought
    /// lost or its Pix expired.
    pub fn is_decline(self) -> bool {
        self == OrderFailure::Declined
    }
}

/// The most installments a card payment may be split into.
pub const MAX_INSTALLMENTS: i64 = 12;

/// A total paid in `count` installments (parcelas) without interest, in whole centavos that add
/// up to the total exactly: every parcel is the total divided by the count, rounded down, and
/// the first one also carries the centavos left over (R$ 180,00 in 7: one of R$ 25,74, then six
/// of R$ 25,71).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Installments {
    pub count: i64,
    pub first_cents: i64,
    /// Each of the other `count - 1` parcels (equal to the first when nothing is left over).
    pub others_cents: i64,
}

impl Installments {
    /// `total_cents` (at least 0) in `count` parcels, `count` clamped to 1..=`MAX_INSTALLMENTS`.
    pub fn split(total_cents: i64, count: i64) -> Self {
        let count = count.clamp(1, MAX_INSTALLMENTS);
        let total = total_cents.max(0);
        let others_cents = total / count;
        Installments {
            count,
            first_cents: others_cents + total % count,
            others_cents,
        }
    }

    /// Whether every parcel is the same amount.
    pub fn is_even(&self) -> bool {
        self.first_cents == self.others_cents
    }

    pub fn total_cents(&self) -> i64 {
        self.first_cents + self.others_cents * (self.count - 1)
    }
}

/// How an order is paid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    #[default]
    Card,
    /// Paid from the buyer's bank with a code; the order waits for it until the Pix expires.
    Pix,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Card => "card",
            PaymentMethod::Pix => "pix",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "card" => Some(PaymentMethod::Card),
            "pix" => Some(PaymentMethod::Pix),
            _ => None,
        }
    }
}

/// What an order buys: the places of a hold, or a ticket listed for resale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Buys {
    Hold(HoldId),
    Listing(ListingId),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRequest {
    pub buys: Buys,
    pub products: Vec<(ProductId, i64)>,
    pub method: PaymentMethod,
    /// The card's token; empty for Pix.
    pub payment_token: String,
    pub installments: i64,
}

impl OrderInput {
    pub fn parse(self) -> Result<OrderRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.products.len() > MAX_PRODUCT_LINES {
            errors.add(
                "products",
                FieldProblem::TooMany {
                    max: count(MAX_PRODUCT_LINES),
                },
            );
        }
        let mut seen = HashSet::new();
        let mut products = Vec::with_capacity(self.products.len());
        for (i, line) in self.products.iter().enumerate() {
            if !seen.insert(line.product_id) {
                errors.add(format!("products[{i}].product_id"), FieldProblem::Duplicate);
            }
            if let Some(quantity) = errors.check(
                format!("products[{i}].quantity"),
                in_range(line.quantity, 1, MAX_UNITS_PER_REQUEST),
            ) {
                products.push((line.product_id, quantity));
            }
        }
        let method = PaymentMethod::parse(&self.payment.method);
        if method.is_none() {
            errors.add(
                "payment.method",
                FieldProblem::NotOneOf {
                    choices: &["card", "pix"],
                },
            );
        }
        let installments = errors.check(
            "payment.installments",
            in_range(self.payment.installments.unwrap_or(1), 1, MAX_INSTALLMENTS),
        );
        let token = self.payment.token.as_deref().unwrap_or_default().trim();
        match method {
            Some(PaymentMethod::Pix) => {
                if self.payment.token.is_some() {
                    errors.add("payment.token", FieldProblem::PixTakesNoToken);
                }
                if installments.is_some_and(|n| n > 1) {
                    errors.add("payment.installments", FieldProblem::InstallmentsByCardOnly);
                }
            }
            _ if token.is_empty()
                || token.len() > 255
                || !token.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                errors.add("payment.token", FieldProblem::NotAPaymentToken);
            }
            _ => {}
        }
        let buys = match (self.hold_id, self.listing_id) {
            (Some(hold), None) => Some(Buys::Hold(hold)),
            (None, Some(listing)) => {
                if !products.is_empty() {
                    errors.add("products", FieldProblem::ResaleTicketOnly);
                }
                Some(Buys::Listing(listing))
            }
            _ => {
                errors.add("hold_id", FieldProblem::HoldOrListing);
                None
            }
        };
        // A fixed order makes concurrent orders lock product rows in the same order.
        products.sort();
        errors.finish(|| {
            Some(OrderRequest {
                buys: buys?,
                method: method?,
                installments: installments?,
                products,
                payment_token: token.to_owned(),
            })
        })
    }
}

/// SHA-256 of the request body in canonical form (keys sorted, no spacing), so that a retry is
/// recognised whatever its formatting, and a different body under the same key is not.
pub fn request_fingerprint(body: &serde_json::Value) -> Vec<u8> {
    // serde_json's map is ordered by key, so serialising a Value is canonical.
    Sha256::digest(body.to_string().as_bytes()).to_vec()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Created; the provider has not been asked yet, or its answer is awaited.
    AwaitingPayment,
    /// The provider's answer was lost; reconciliation will settle the order.
    PaymentPending,
    Paid,
    /// Declined, or the seats could not be kept; nothing was charged (or it was refunded).
    Failed,
    Refunded,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::AwaitingPayment => "awaiting_payment",
            OrderStatus::PaymentPending => "payment_pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Failed => "failed",
            OrderStatus::Refunded => "refunded",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            OrderStatus::AwaitingPayment,
            OrderStatus::PaymentPending,
            OrderStatus::Paid,
            OrderStatus::Failed,
            OrderStatus::Refunded,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }

    /// The order state machine: the only moves an order may make. An order whose outcome is
    /// unknown may be found unknown again (reconciliation asked, the provider still cannot say).
    pub fn can_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (AwaitingPayment, PaymentPending | Paid | Failed)
                | (PaymentPending, PaymentPending | Paid | Failed)
                | (Paid, Refunded)
        )
    }

    /// Whether the outcome is final as far as payment goes.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            OrderStatus::Paid | OrderStatus::Failed | OrderStatus::Refunded
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Seat,
    Standing,
    Product,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Seat => "seat",
            ItemKind::Standing => "standing",
            ItemKind::Product => "product",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "seat" => Some(ItemKind::Seat),
            "standing" => Some(ItemKind::Standing),
            "product" => Some(ItemKind::Product),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OrderItem {
    pub kind: ItemKind,
    /// The seat, the standing section or the product.
    pub reference_id: String,
    /// The line for people ("Plateia, fila A, assento 1 (meia-entrada)"), worded from what it
    /// bought in the reader's language: in the API, the request's `Accept-Language` (`pt-BR`
    /// or `en`), Portuguese when it names neither.
    pub description: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    /// For places: full price or half (meia-entrada); absent for products.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_type: Option<TicketType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligibility: Option<Eligibility>,
    /// What the line bought, as facts: `description` is worded from them.
    #[serde(skip)]
    pub bought: Bought,
}

impl OrderItem {
    pub fn line_total(&self) -> Option<i64> {
        self.unit_price_cents.checked_mul(self.quantity)
    }

    /// The line as people read it in `lang`.
    pub fn words(&self, lang: Language) -> String {
        self.bought.words(lang, self.ticket_type)
    }
}

/// What an order paid for one place: the line of that seat (or standing section) and ticket
/// type. Lines made before meia-entrada have no type and were full price. A ticket's face value
/// is this, fixed when the ticket is issued.
pub fn place_price_cents(
    items: &[OrderItem],
    place: (Option<SeatId>, SectionId),
    ticket_type: TicketType,
) -> Option<i64> {
    let (kind, reference) = match place {
        (Some(seat), _) => (ItemKind::Seat, seat.to_string()),
        (None, section) => (ItemKind::Standing, section.to_string()),
    };
    items
        .iter()
        .find(|item| {
            item.kind == kind
                && item.reference_id == reference
                && item.ticket_type.unwrap_or(TicketType::Full) == ticket_type
        })
        .map(|item| item.unit_price_cents)
}

/// The total of `items`, or `None` if it would overflow.
pub fn order_total(items: &[OrderItem]) -> Option<i64> {
    items
        .iter()
        .try_fold(0i64, |sum, item| sum.checked_add(item.line_total()?))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Order {
    pub id: OrderId,
    pub user_id: UserId,
    pub session_id: SessionId,
    pub event_id: EventId,
    pub hold_id: HoldId,
    pub status: OrderStatus,
    pub total_cents: i64,
    /// What refunds gave back so far: the face value of tickets refunded one by one, or the
    /// whole order's refund.
    #[serde(default)]
    pub refunded_cents: i64,
    pub currency: Currency,
    /// Card installments the total is paid in (1: at once).
    pub installments: i64,
    pub payment_method: PaymentMethod,
    /// A Pix order's code while it awaits the buyer's bank (`copy_paste`, `qr_svg`,
    /// `expires_at`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pix: Option<PixCharge>,
    pub items: Vec<OrderItem>,
    pub tickets: Vec<Ticket>,
    /// The provider's payment reference, once known.
    pub payment_reference: Option<String>,
    /// Why the payment failed, when it did.
    pub failure_code: Option<String>,
    pub client_ip: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Order {
    /// The order with its lines' `description` worded in `lang`.
    pub fn worded(mut self, lang: Language) -> Self {
        for item in &mut self.items {
            item.description = item.words(lang);
        }
        self
    }

    /// Where `ticket`, one of this order's, lets its holder in: its seat, or standing room in
    /// the section its line of the order names.
    pub fn place_of(&self, ticket: &Ticket) -> Place {
        let standing = ticket.section_id.to_string();
        let section = self.items.iter().find_map(|item| match &item.bought {
            Bought::Place {
                place: Place::Standing { section },
                ..
            } if item.kind == ItemKind::Standing && item.reference_id == standing => {
                section.as_deref()
            }
            _ => None,
        });
        Place::of(ticket.seat.as_ref(), section)
    }

    /// The order as someone other than its tickets' holder sees it: the tickets without the
    /// codes that let one in.
    pub fn without_codes(mut self) -> Self {
        for ticket in &mut self.tickets {
            ticket.code = None;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_codes_are_read_back_as_written_and_anything_else_is_a_decline() {
        let codes: HashSet<_> = OrderFailure::ALL.iter().map(|f| f.as_str()).collect();
        assert_eq!(codes.len(), OrderFailure::ALL.len(), "distinct codes");
        for failure in OrderFailure::ALL {
            assert_eq!(OrderFailure::of(failure.as_str()), failure);
        }
        assert_eq!(
            OrderFailure::of("insufficient_funds"),
            OrderFailure::Declined
        );
        assert!(!OrderFailure::of("listing_unavailable").is_decline());
        assert!(!OrderFailure::of("half_price_sold_out").is_decline());
    }

    #[test]
    fn installments_add_up_to_the_total_with_the_first_carrying_the_rest() {
        let seven = Installments::split(18_000, 7);
        assert_eq!(
            (seven.first_cents, seven.others_cents, seven.is_even()),
            (2_574, 2_571, false)
        );
        assert_eq!(Installments::split(3_000, 3).first_cents, 1_000);
        assert!(Installments::split(3_000, 3).is_even());
        assert_eq!(Installments::split(500, 0).count, 1, "at least one parcel");
        for total in [0, 1, 11, 999, 18_000, 123_457, 9_999_999] {
            for count in 1..=MAX_INSTALLMENTS {
                let plan = Installments::split(total, count);
                assert_eq!(plan.total_cents(), total, "{total} in {count}");
                assert!(plan.first_cents - plan.others_cents < count);
            }
        }
    }

    #[test]
    fn seat_holds_reject_duplicates_and_sort() {
        let (a, b) = (SeatId::new(), SeatId::new());
        let input = HoldInput {
            seat_ids: Some(vec![b, a]),
            section_id: None,
            quantity: None,
            ..HoldInput::default()
        };
        assert_eq!(
            input.parse().unwrap().request,
            HoldRequest::Seats(vec![a, b])
        );
        let twice = HoldInput {
            seat_ids: Some(vec![a, b, a]),
            section_id: None,
            quantity: None,
            ..HoldInput::default()
        };
        assert_eq!(twice.parse().unwrap_err().0[0].field, "seat_ids[2]");
        let none = HoldInput {
            seat_ids: Some(vec![]),
            section_id: None,
            quantity: None,
            ..HoldInput::default()
        };
        assert!(none.parse().is_err());
    }

    #[test]
    fn standing_holds_need_a_positive_quantity() {
        let section = SectionId::new();
        for bad in [0, -1, MAX_UNITS_PER_REQUEST + 1] {
            let input = HoldInput {
                seat_ids: None,
                section_id: Some(section),
                quantity: Some(bad),
                ..HoldInput::default()
            };
            assert_eq!(input.parse().unwrap_err().0[0].field, "quantity");
        }
        let good = HoldInput {
            seat_ids: None,
            section_id: Some(section),
            quantity: Some(2),
            ..HoldInput::default()
        };
        assert_eq!(good.parse().unwrap().request.units(), 2);
        let mixed = HoldInput {
            seat_ids: Some(vec![SeatId::new()]),
            section_id: Some(section),
            quantity: Some(1),
            ..HoldInput::default()
        };
        assert_eq!(mixed.parse().unwrap_err().0[0].field, "body");
    }

    #[test]
    fn half_price_places_are_among_the_held_ones() {
        let (a, b, c) = (SeatId::new(), SeatId::new(), SeatId::new());
        let seats = |half: Vec<SeatId>, eligibility| HoldInput {
            seat_ids: Some(vec![a, b]),
            half_price_seat_ids: Some(half),
            eligibility,
            ..HoldInput::default()
        };
        let parsed = seats(vec![b], Some(Eligibility::Student)).parse().unwrap();
        assert_eq!(parsed.half_price.seats, vec![b]);
        assert_eq!(parsed.half_price.quota_units(), 1);
        let stray = seats(vec![c], Some(Eligibility::Student))
            .parse()
            .unwrap_err();
        assert_eq!(stray.0[0].field, "half_price_seat_ids");
        // Without a ground the request parses; the application answers eligibility_required.
        let unproven = seats(vec![a], None).parse().unwrap();
        assert_eq!(unproven.half_price.units, 1);
        assert_eq!(unproven.half_price.eligibility, None);
        let needless = seats(vec![], Some(Eligibility::Pcd)).parse().unwrap_err();
        assert_eq!(needless.0[0].field, "eligibility");
        let standing = |half| HoldInput {
            section_id: Some(SectionId::new()),
            quantity: Some(3),
            half_price_quantity: Some(half),
            eligibility: Some(Eligibility::Senior),
            ..HoldInput::default()
        };
        let parsed = standing(2).parse().unwrap();
        assert_eq!(
            (parsed.half_price.units, parsed.half_price.quota_units()),
            (2, 0)
        );
        assert_eq!(
            standing(4).parse().unwrap_err().0[0].field,
            "half_price_quantity"
        );
        assert_eq!(
            standing(-1).parse().unwrap_err().0[0].field,
            "half_price_quantity"
        );
    }

    #[test]
    fn idempotency_keys_are_bounded_and_plain() {
        assert!(IdempotencyKey::parse("order-2026-0001").is_ok());
        assert!(IdempotencyKey::parse("short").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(65)).is_err());
        assert!(IdempotencyKey::parse("has space in it").is_err());
    }

    #[test]
    fn fingerprints_ignore_formatting_but_not_content() {
        let a: serde_json::Value = serde_json::from_str(r#"{"b": 1, "a": [1, 2]}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{ "a":[1,2],"b":1 }"#).unwrap();
        let c: serde_json::Value = serde_json::from_str(r#"{"a": [2, 1], "b": 1}"#).unwrap();
        assert_eq!(request_fingerprint(&a), request_fingerprint(&b));
        assert_ne!(request_fingerprint(&a), request_fingerprint(&c));
    }

    #[test]
    fn orders_validate_every_line() {
        let product = ProductId::new();
        let input = OrderInput {
            hold_id: Some(HoldId::new()),
            listing_id: None,
            products: vec![
                ProductLineInput {
                    product_id: product,
                    quantity: 0,
                },
                ProductLineInput {
                    product_id: product,
                    quantity: 1,
                },
            ],
            payment: PaymentInput {
                method: "cash".into(),
                token: Some(" ".into()),
                installments: Some(13),
            },
        };
        let fields: Vec<String> = input
            .parse()
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "products[0].quantity",
                "products[1].product_id",
                "payment.method",
                "payment.installments",
                "payment.token"
            ]
        );
    }

    #[test]
    fn pix_takes_no_token_and_no_installments() {
        let pay = |method: &str, token: Option<&str>, installments| OrderInput {
            hold_id: Some(HoldId::new()),
            listing_id: None,
            products: vec![],
            payment: PaymentInput {
                method: method.into(),
                token: token.map(str::to_owned),
                installments,
            },
        };
        assert_eq!(
            pay("pix", None, None).parse().unwrap().method,
            PaymentMethod::Pix
        );
        let fields = |input: OrderInput| -> Vec<String> {
            input
                .parse()
                .unwrap_err()
                .0
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(
            fields(pay("pix", Some("tok_visa"), Some(3))),
            ["payment.token", "payment.installments"]
        );
        assert_eq!(fields(pay("card", None, None)), ["payment.token"]);
    }

    #[test]
    fn an_order_buys_a_hold_or_a_listing_alone() {
        let order = |hold_id, listing_id, products: Vec<ProductLineInput>| OrderInput {
            hold_id,
            listing_id,
            products,
            payment: PaymentInput {
                method: "card".into(),
                token: Some("tok_visa".into()),
                installments: None,
            },
        };
        let listing = ListingId::new();
        assert_eq!(
            order(None, Some(listing), vec![]).parse().unwrap().buys,
            Buys::Listing(listing)
        );
        let fields = |input: OrderInput| -> Vec<String> {
            input
                .parse()
                .unwrap_err()
                .0
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(fields(order(None, None, vec![])), ["hold_id"]);
        assert_eq!(
            fields(order(Some(HoldId::new()), Some(listing), vec![])),
            ["hold_id"]
        );
        let cup = ProductLineInput {
            product_id: ProductId::new(),
            quantity: 1,
        };
        assert_eq!(fields(order(None, Some(listing), vec![cup])), ["products"]);
    }

    #[test]
    fn the_order_state_machine_allows_only_forward_moves() {
        use OrderStatus::*;
        assert!(AwaitingPayment.can_become(Paid));
        assert!(AwaitingPayment.can_become(PaymentPending));
        assert!(PaymentPending.can_become(Failed));
        assert!(Paid.can_become(Refunded));
        assert!(!Paid.can_become(Failed));
        assert!(!Failed.can_become(Paid));
        assert!(!Refunded.can_become(Paid));
        assert!(!PaymentPending.can_become(AwaitingPayment));
        assert!(PaymentPending.can_become(PaymentPending), "still unknown");
        assert!(
            !Paid.can_become(Paid) && !Failed.can_become(Failed),
            "settled once"
        );
        for settled in [Paid, Failed, Refunded] {
            assert!(settled.is_settled());
            for next in [AwaitingPayment, PaymentPending, Paid, Failed] {
                assert!(!settled.can_become(next), "{settled:?} -> {next:?}");
            }
        }
        assert_eq!(OrderStatus::parse("payment_pending"), Some(PaymentPending));
    }

    #[test]
    fn totals_are_exact_and_overflow_is_caught() {
        let item = |price, quantity| OrderItem {
            kind: ItemKind::Product,
            reference_id: String::new(),
            description: String::new(),
            quantity,
            unit_price_cents: price,
            ticket_type: None,
            eligibility: None,
            bought: Bought::Product {
                name: "Camiseta".into(),
            },
        };
        assert_eq!(
            order_total(&[item(12_000, 2), item(7_900, 1)]),
            Some(31_900)
        );
        assert_eq!(order_total(&[]), Some(0));
        assert_eq!(order_total(&[item(i64::MAX, 2)]), None);
        assert_eq!(order_total(&[item(i64::MAX, 1), item(1, 1)]), None);
    }
}
