//! Face-value resale (the "troca"): a holder lists a ticket at no more than was paid for it;
//! another buyer buys the listing through the normal order path; the seller is paid back the
//! price less the organizer's share.

use crate::ids::{EventId, ListingId, SectionId, SessionId, TicketId, UserId, WaitlistId};
use crate::tickets::SeatLabel;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingInput {
    /// At least 1 and at most what was paid for the ticket (its face value).
    #[schema(minimum = 1)]
    pub price_cents: i64,
}

/// Why a price cannot be asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceProblem {
    NotPositive,
    AboveFaceValue { face_value_cents: i64 },
}

impl ListingInput {
    pub fn check(&self, face_value_cents: i64) -> Result<i64, PriceProblem> {
        if self.price_cents < 1 {
            Err(PriceProblem::NotPositive)
        } else if self.price_cents > face_value_cents {
            Err(PriceProblem::AboveFaceValue { face_value_cents })
        } else {
            Ok(self.price_cents)
        }
    }
}

/// What the seller is paid for a sale at `price_cents`: the price less the organizer's share,
/// rounded in the seller's favour.
pub fn payout_cents(price_cents: i64, fee_percent: i64) -> i64 {
    let fee = price_cents.saturating_mul(fee_percent.clamp(0, 100)) / 100;
    price_cents - fee
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    /// On sale.
    Listed,
    /// A buyer's payment is under way.
    Reserved,
    Sold,
    /// Taken back by the seller.
    Withdrawn,
    /// The ticket was used, refunded or cancelled while listed.
    Cancelled,
}

impl ListingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ListingStatus::Listed => "listed",
            ListingStatus::Reserved => "reserved",
            ListingStatus::Sold => "sold",
            ListingStatus::Withdrawn => "withdrawn",
            ListingStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            ListingStatus::Listed,
            ListingStatus::Reserved,
            ListingStatus::Sold,
            ListingStatus::Withdrawn,
            ListingStatus::Cancelled,
        ]
        .into_iter()
        .find(|status| status.as_str() == raw)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Listing {
    pub id: ListingId,
    pub ticket_id: TicketId,
    pub session_id: SessionId,
    pub event_id: EventId,
    pub seller_id: UserId,
    /// `null` for a standing ticket.
    pub seat: Option<SeatLabel>,
    pub section_id: SectionId,
    pub price_cents: i64,
    pub face_value_cents: i64,
    pub currency: String,
    pub status: ListingStatus,
    /// While set, the listing is offered only to the buyer at the head of the session's
    /// waitlist (who sees it); everyone else sees it once this passes.
    #[serde(with = "time::serde::rfc3339::option")]
    pub offered_until: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// How long the head of a waitlist has to buy the listing offered to them.
pub const WAITLIST_OFFER: time::Duration = time::Duration::minutes(15);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaitlistStatus {
    Waiting,
    /// A listing is offered to this buyer alone until `offer_expires_at`.
    Offered,
    /// Bought the listing offered.
    Served,
    /// Let an offer pass.
    Lapsed,
    Left,
}

impl WaitlistStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitlistStatus::Waiting => "waiting",
            WaitlistStatus::Offered => "offered",
            WaitlistStatus::Served => "served",
            WaitlistStatus::Lapsed => "lapsed",
            WaitlistStatus::Left => "left",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            WaitlistStatus::Waiting,
            WaitlistStatus::Offered,
            WaitlistStatus::Served,
            WaitlistStatus::Lapsed,
            WaitlistStatus::Left,
        ]
        .into_iter()
        .find(|status| status.as_str() == raw)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WaitlistEntry {
    pub id: WaitlistId,
    pub session_id: SessionId,
    pub user_id: UserId,
    pub status: WaitlistStatus,
    /// 1 for the next buyer served, while waiting.
    pub position: Option<i64>,
    /// The listing offered, while offered.
    pub listing_id: Option<ListingId>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub offer_expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_asks_at_most_the_face_value_and_more_than_nothing() {
        let asking = |price_cents| ListingInput { price_cents };
        assert_eq!(asking(12_000).check(12_000), Ok(12_000));
        assert_eq!(asking(1).check(12_000), Ok(1));
        assert_eq!(asking(0).check(12_000), Err(PriceProblem::NotPositive));
        assert_eq!(asking(-5).check(12_000), Err(PriceProblem::NotPositive));
        assert_eq!(
            asking(12_001).check(12_000),
            Err(PriceProblem::AboveFaceValue {
                face_value_cents: 12_000
            })
        );
    }

    #[test]
    fn the_seller_is_paid_the_price_less_the_organizers_share() {
        assert_eq!(payout_cents(12_000, 0), 12_000);
        assert_eq!(payout_cents(12_000, 10), 10_800);
        // 5 % of 999 is 49.95: the organizer takes 49, the seller 950.
        assert_eq!(payout_cents(999, 5), 950);
    }
}
