//! The API's requests and answers as a client writes and reads them (`API.md`). Answers keep
//! the fields a client of today reads; the rest of a body is ignored.

use serde::{Deserialize, Serialize};

/// A page of a listing.
#[derive(Clone, Debug, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Health {
    pub status: String,
    /// `sqlite` or `postgres`.
    pub storage: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LoginSession {
    /// Sent as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct VenueInput {
    /// The organization it goes to (optional when the caller belongs to exactly one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    pub name: String,
    pub city: String,
    pub sections: Vec<SectionInput>,
}

/// `POST /organizations`: a producer, with a CPF or CNPJ whose check digits are right.
#[derive(Clone, Debug, Serialize)]
pub struct OrganizationInput {
    pub name: String,
    pub document: String,
    pub contact_email: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

/// A seated section (rows of seats) or a standing one (a capacity).
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum SectionInput {
    Seated { name: String, rows: Vec<RowInput> },
    Standing { name: String, capacity: u64 },
}

#[derive(Clone, Debug, Serialize)]
pub struct RowInput {
    pub label: String,
    pub seats: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Venue {
    pub id: String,
    pub name: String,
    pub sections: Vec<VenueSection>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct VenueSection {
    pub id: String,
    pub name: String,
    /// `seated` or `standing`.
    pub kind: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct EventInput {
    /// The organization it goes to (optional when the caller belongs to exactly one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    pub title: String,
    pub category: String,
    pub venue_id: String,
    /// `draft` or `published`.
    pub status: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Event {
    pub id: String,
    pub title: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SessionInput {
    /// RFC 3339.
    pub starts_at: String,
    /// RFC 3339.
    pub sales_start_at: String,
    pub categories: Vec<CategoryInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueInput>,
    /// How long a Pix waits for the buyer's bank (60 s and more).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pix_expires_after_seconds: Option<i64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CategoryInput {
    pub name: String,
    pub price_cents: i64,
    pub section_ids: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct QueueInput {
    pub enabled: bool,
    pub admit_per_minute: i64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct EventSession {
    pub id: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProductInput {
    /// The organization it goes to (optional when the caller belongs to exactly one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    pub name: String,
    pub price_cents: i64,
    pub stock: i64,
    pub event_ids: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Product {
    pub id: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct RehearsalBuyer {
    pub id: String,
    /// A bearer token of the buyer's login session.
    pub token: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct QueueView {
    /// `waiting` or `admitted`.
    pub status: String,
    pub position: Option<u64>,
    pub queue_token: String,
    pub admission_token: Option<String>,
    pub poll_after_seconds: u64,
}

/// A session's seat map (the sections asked for), read in place: only each seat's id and
/// status (`available`, `held` or `sold`), borrowed from the answer.
#[derive(Debug, Deserialize)]
pub struct SeatMapView<'a> {
    #[serde(borrow)]
    pub sections: Vec<SectionView<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct SectionView<'a> {
    /// The seats of a seated section; none for a standing one.
    #[serde(default, borrow)]
    pub seats: Vec<SeatView<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct SeatView<'a> {
    #[serde(borrow)]
    pub id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    pub status: std::borrow::Cow<'a, str>,
}

impl SectionView<'_> {
    pub fn available_ids(self) -> Vec<String> {
        self.seats
            .into_iter()
            .filter(|seat| seat.status == "available")
            .map(|seat| seat.id.into_owned())
            .collect()
    }
}

/// Seats by id, or places of a standing section; some of them at half price (meia-entrada)
/// with the buyer's ground.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum HoldInput {
    Seats {
        seat_ids: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        half_price_seat_ids: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        eligibility: Option<String>,
    },
    Standing {
        section_id: String,
        quantity: u64,
        #[serde(skip_serializing_if = "is_zero")]
        half_price_quantity: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        eligibility: Option<String>,
    },
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Clone, Debug, Deserialize)]
pub struct Hold {
    pub id: String,
    pub expires_at: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct OrderInput {
    pub hold_id: String,
    pub products: Vec<ProductLine>,
    pub payment: Payment,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProductLine {
    pub product_id: String,
    pub quantity: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Payment {
    /// `card` or `pix`.
    pub method: String,
    /// A card's token (none for Pix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Order {
    pub id: String,
    pub status: String,
    pub total_cents: i64,
    pub currency: String,
    #[serde(default)]
    pub tickets: Vec<Ticket>,
    #[serde(default)]
    pub failure_code: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Ticket {
    pub id: String,
    pub session_id: String,
    /// `valid`, `used` or `cancelled`.
    pub status: String,
    /// The signed code of the QR; none once cancelled.
    pub code: Option<String>,
}

/// A session's sales invariants, as the server counts them (every count should be 0).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Integrity {
    pub seats_sold_twice: i64,
    pub seat_status_mismatches: i64,
    pub standing_oversold_sections: i64,
    pub standing_count_mismatches: i64,
    pub checkins_mismatched: i64,
    pub users_over_cap: i64,
    #[serde(default)]
    pub allocations_mismatched: i64,
    #[serde(default)]
    pub transfers_mismatched: i64,
    #[serde(default)]
    pub listings_mismatched: i64,
    #[serde(default)]
    pub pools_mismatched: i64,
    #[serde(default)]
    pub half_price_quota_exceeded: i64,
    #[serde(default)]
    pub reserve_taken_before_release: i64,
    #[serde(default)]
    pub half_price_quota: i64,
    #[serde(default)]
    pub half_price_sold: i64,
    #[serde(default)]
    pub pix_orders: i64,
    #[serde(default)]
    pub pix_orders_paid: i64,
    #[serde(default)]
    pub pix_orders_expired: i64,
    pub paid_orders_without_charge: i64,
    pub paid_orders_with_wrong_ticket_count: i64,
    pub charges_without_paid_order_or_refund: i64,
    pub double_charges: i64,
    pub paid_orders_unconfirmed: i64,
    pub settled_ok: bool,
    pub orders_pending: i64,
    pub paid_orders: i64,
    pub tickets_valid: i64,
    pub charged_cents: i64,
    pub refunded_cents: i64,
    pub paid_order_total_cents: i64,
    #[serde(default)]
    pub paid_out_cents: i64,
    #[serde(default)]
    pub resale_adjustment_cents: i64,
}

/// What a gate needs to check a session's tickets offline.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct GateBundle {
    pub session: GateSession,
    pub keys: Vec<PublicKey>,
    #[serde(default)]
    pub screen: ScreenRule,
    pub tickets: Vec<GateTicket>,
    pub revoked: Vec<RevokedCodes>,
    pub next_since: String,
    pub complete: bool,
}

/// How a session's on-screen codes are checked.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ScreenRule {
    /// `static`, `rotating` or `screen_only`.
    pub codes: String,
    /// base64url.
    pub secret: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct GateSession {
    pub id: String,
    pub event_id: String,
    pub event_title: String,
    pub starts_at: String,
    pub venue: String,
    #[serde(default)]
    pub time_zone: String,
}

/// An Ed25519 key that verifies ticket codes.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct PublicKey {
    pub key_id: u16,
    pub algorithm: String,
    /// The raw 32-byte key, base64url.
    pub public_key: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct GateTicket {
    pub ticket_id: String,
    pub version: i64,
    /// `valid`, `used` or `cancelled`.
    pub status: String,
    pub place: String,
    pub ticket_type: String,
    pub admitted_gate: Option<String>,
    pub admitted_at: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct RevokedCodes {
    pub ticket_id: String,
    pub up_to_version: i64,
}

/// A scan made offline, as sent to `POST /checkin/sync`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct OfflineScan {
    pub code: String,
    pub gate: String,
    pub nonce: String,
    /// RFC 3339.
    pub scanned_at: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SyncAnswer {
    pub results: Vec<SyncResult>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SyncResult {
    pub nonce: String,
    pub ticket_id: Option<String>,
    /// `admitted`, `duplicate`, `ticket_revoked`, `invalid_ticket` or `forbidden`.
    pub result: String,
    pub gate: String,
    pub scanned_at: String,
    pub first_gate: Option<String>,
    pub first_scan_at: Option<String>,
    pub displaced_gate: Option<String>,
    pub displaced_at: Option<String>,
}
