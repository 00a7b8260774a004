//! Face-value resale's part of the storage interface (listings and sellers' payouts; buying a
//! listing is an order, in `OrderStore` and `SettlementStore`).

use crate::StoreResult;
use async_trait::async_trait;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::ids::{ListingId, OrderId, SessionId, TicketId, UserId};
use bilheteria_domain::page::{Page, PageRequest};
use bilheteria_domain::resale::WaitlistEntry;
use bilheteria_domain::resale::{Listing, ListingInput};
use time::OffsetDateTime;

#[derive(Clone, Debug)]
pub struct NewListing {
    pub id: ListingId,
    pub ticket_id: TicketId,
    pub seller_id: UserId,
    /// Its price is checked against the ticket's face value, which the store knows.
    pub asking: ListingInput,
    pub fee_percent: i64,
    pub at: OffsetDateTime,
}

/// A seller to pay back: `amount_cents` of the charge `reference` of their order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutDue {
    pub listing_id: ListingId,
    pub order_id: OrderId,
    pub charge_reference: String,
    pub amount_cents: i64,
}

/// A listing as its seller sees it: with what they are paid back once it sells, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SellerListing {
    pub listing: Listing,
    pub payout_cents: i64,
    /// When it sold, was withdrawn or cancelled.
    pub closed_at: Option<OffsetDateTime>,
    /// When the seller's payout went through.
    pub paid_out_at: Option<OffsetDateTime>,
}

#[async_trait]
pub trait ResaleStore {
    /// The latest listing of `ticket` by `seller`, whatever became of it.
    async fn seller_listing(
        &self,
        ticket: TicketId,
        seller: UserId,
    ) -> StoreResult<Option<SellerListing>>;
    /// Lists the seller's valid ticket at no more than its face value (what its order paid for
    /// it), unless it is pending a transfer or listed already.
    async fn list_ticket(&self, new: NewListing, audit: &AuditContext) -> StoreResult<Listing>;
    /// The seller takes back a listing nobody is paying for (`ListingUnavailable` otherwise).
    async fn withdraw_listing(
        &self,
        id: ListingId,
        seller: UserId,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<()>;
    async fn get_listing(&self, id: ListingId) -> StoreResult<Option<Listing>>;
    /// A session's listings on sale to `viewer` at `now` (not those offered to another buyer of
    /// the waitlist), cheapest first.
    async fn session_listings(
        &self,
        session: SessionId,
        viewer: Option<UserId>,
        now: OffsetDateTime,
        page: &PageRequest,
    ) -> StoreResult<Page<Listing>>;
    /// Per section, the listings on sale to `viewer` at `now`: how many, and the cheapest.
    async fn resale_by_section(
        &self,
        session: SessionId,
        viewer: Option<UserId>,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<(bilheteria_domain::ids::SectionId, i64, i64)>>;
    /// Puts `user` in the session's waitlist (or answers their place in it): the entry, and
    /// whether it is new. A listing on sale to everyone is offered to them at once if they are
    /// first in line.
    async fn join_waitlist(
        &self,
        session: SessionId,
        user: UserId,
        at: OffsetDateTime,
    ) -> StoreResult<(WaitlistEntry, bool)>;
    async fn waitlist_entry(
        &self,
        session: SessionId,
        user: UserId,
    ) -> StoreResult<Option<WaitlistEntry>>;
    /// False if the user was not waiting.
    async fn leave_waitlist(
        &self,
        session: SessionId,
        user: UserId,
        at: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Offers whose time passed lapse; their listings go to the next in line (or to everyone).
    async fn pass_lapsed_offers(&self, now: OffsetDateTime) -> StoreResult<u64>;
    /// The face value of the tickets resold from `order` (a refund of it gives back the rest).
    async fn resold_face_value_cents(&self, order: OrderId) -> StoreResult<i64>;
    /// Sold listings whose sellers are not paid back yet (of `listing` alone, if given).
    async fn payouts_due(
        &self,
        listing: Option<ListingId>,
        limit: i64,
    ) -> StoreResult<Vec<PayoutDue>>;
    async fn record_payout(
        &self,
        listing: ListingId,
        reference: &str,
        at: OffsetDateTime,
    ) -> StoreResult<()>;
}
