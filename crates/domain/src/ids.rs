//! Opaque identifiers. Every id is a UUIDv7 (time-ordered, so indexes stay compact) wrapped in a
//! type of its own so that a venue id can never be passed where an event id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

id_type!(
    UserId,
    LoginSessionId,
    VenueId,
    SectionId,
    SeatId,
    EventId,
    SessionId,
    CategoryId,
    ProductId,
    AuditEntryId,
    HoldId,
    OrderId,
    TicketId,
    OutboxId,
    TransferId,
    ListingId,
    WaitlistId,
    OrganizationId,
);
