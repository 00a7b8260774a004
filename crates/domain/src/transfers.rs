//! Transfers (S10): a holder offers a ticket to an email; the recipient accepts or declines; the
//! sender may cancel while it is pending. The rules here are pure: when a session lets tickets
//! move, how long an offer stands, and which decisions a transfer in a given state allows.

use crate::account::Email;
use crate::ids::{EventId, SessionId, TicketId, TransferId, UserId};
use crate::validation::{FieldErrors, FieldProblem, in_range};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// How long an offer stands when the session is far away.
pub const OFFER_LIFETIME: Duration = Duration::hours(72);
/// The largest cutoff an organizer may set: a week before the start.
pub const MAX_CUTOFF_MINUTES: i64 = 7 * 24 * 60;

/// What an organizer decides about a session's tickets changing hands: transfers and
/// face-value resale follow the same on/off and cutoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferSettings {
    /// Whether holders may pass tickets on (default true).
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// Transfers close this many minutes before the session starts (default 0: at the start).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10080)]
    pub cutoff_minutes: i64,
    /// The organizer's share of a resale, in percent of its price (0 to 20, default 0); the
    /// seller is paid the rest.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 20)]
    pub resale_fee_percent: i64,
}

fn enabled_by_default() -> bool {
    true
}

impl Default for TransferSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            cutoff_minutes: 0,
            resale_fee_percent: 0,
        }
    }
}

/// The largest organizer's share of a resale.
pub const MAX_RESALE_FEE_PERCENT: i64 = 20;

impl TransferSettings {
    pub fn validate(self, field: &str, errors: &mut FieldErrors) -> Option<Self> {
        errors.check(
            format!("{field}.cutoff_minutes"),
            in_range(self.cutoff_minutes, 0, MAX_CUTOFF_MINUTES),
        )?;
        errors.check(
            format!("{field}.resale_fee_percent"),
            in_range(self.resale_fee_percent, 0, MAX_RESALE_FEE_PERCENT),
        )?;
        Some(self)
    }

    /// The last instant a ticket of a session starting at `starts_at` may change hands.
    pub fn closes_at(self, starts_at: OffsetDateTime) -> OffsetDateTime {
        starts_at - Duration::minutes(self.cutoff_minutes)
    }

    /// When an offer made at `now` lapses: after [`OFFER_LIFETIME`], or when transfers close,
    /// whichever is first. Refused when the session does not let tickets move now.
    pub fn offer_expiry(
        self,
        starts_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<OffsetDateTime, TransferBlock> {
        if !self.enabled {
            return Err(TransferBlock::Disabled);
        }
        let closes_at = self.closes_at(starts_at);
        if now >= closes_at {
            return Err(TransferBlock::PastCutoff);
        }
        Ok((now + OFFER_LIFETIME).min(closes_at))
    }
}

/// Why a ticket cannot change hands now (`transfer_not_allowed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferBlock {
    /// The organizer turned transfers off for the session.
    Disabled,
    /// Past the session's cutoff (or its start).
    PastCutoff,
    /// The ticket was used or cancelled, or is not the caller's.
    TicketNotValid,
    /// The ticket has a pending transfer already.
    AlreadyPending,
    /// The ticket is listed for resale.
    Listed,
    /// The transfer was decided before (accepted, declined, cancelled) or lapsed.
    NotPending(TransferStatus),
}

impl TransferBlock {
    /// A stable word for the reason, next to the problem's `code`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransferBlock::Disabled => "disabled",
            TransferBlock::PastCutoff => "past_cutoff",
            TransferBlock::TicketNotValid => "ticket_not_valid",
            TransferBlock::AlreadyPending => "already_pending",
            TransferBlock::Listed => "listed_for_resale",
            TransferBlock::NotPending(_) => "not_pending",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    Pending,
    Accepted,
    Declined,
    Cancelled,
    /// Pending past its expiry: nobody decided in time.
    Expired,
}

impl TransferStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Pending => "pending",
            TransferStatus::Accepted => "accepted",
            TransferStatus::Declined => "declined",
            TransferStatus::Cancelled => "cancelled",
            TransferStatus::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            TransferStatus::Pending,
            TransferStatus::Accepted,
            TransferStatus::Declined,
            TransferStatus::Cancelled,
            TransferStatus::Expired,
        ]
        .into_iter()
        .find(|status| status.as_str() == raw)
    }

    /// The status as of `now`: a pending offer past `expires_at` has lapsed even before anything
    /// records it.
    pub fn as_of(self, expires_at: OffsetDateTime, now: OffsetDateTime) -> Self {
        if self == TransferStatus::Pending && now >= expires_at {
            TransferStatus::Expired
        } else {
            self
        }
    }
}

/// What the recipient or the sender decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Decline,
    Cancel,
}

impl Decision {
    pub fn outcome(self) -> TransferStatus {
        match self {
            Decision::Accept => TransferStatus::Accepted,
            Decision::Decline => TransferStatus::Declined,
            Decision::Cancel => TransferStatus::Cancelled,
        }
    }

    /// Whether the sender (cancel) or the recipient (accept, decline) decides.
    pub fn by_sender(self) -> bool {
        self == Decision::Cancel
    }
}

/// Whether a transfer whose status is `current` as of now may be decided.
pub fn may_decide(current: TransferStatus) -> Result<(), TransferBlock> {
    match current {
        TransferStatus::Pending => Ok(()),
        other => Err(TransferBlock::NotPending(other)),
    }
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    /// Who receives the ticket; without an account yet, they are invited to create one.
    #[schema(format = "email", max_length = 254)]
    pub to_email: String,
}

impl TransferInput {
    /// The recipient's address, normalized; never the sender's own.
    pub fn parse(self, sender_email: &str) -> Result<String, FieldErrors> {
        let email = Email::parse(&self.to_email)
            .map_err(|message| FieldErrors::single("to_email", message))?;
        if email.normalized() == Email::normalize(sender_email) {
            return Err(FieldErrors::single("to_email", FieldProblem::OwnAddress));
        }
        Ok(email.normalized().to_owned())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Transfer {
    pub id: TransferId,
    pub ticket_id: TicketId,
    pub session_id: SessionId,
    pub event_id: EventId,
    pub from_user_id: UserId,
    pub to_email: String,
    /// The recipient's account once known (at once if they had one, or when they accept).
    pub to_user_id: Option<UserId>,
    pub status: TransferStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
}

/// A cancelled offer younger than this is not mailed to its recipient: the offer's own mail has
/// hardly been read, and mailing both would give anyone two mails per offer to any address.
pub const CANCEL_UNMAILED_WITHIN: Duration = Duration::minutes(5);

impl Transfer {
    /// Whether cancelling this offer at `at` is mailed to its recipient.
    pub fn cancel_is_mailed(&self, at: OffsetDateTime) -> bool {
        at - self.created_at >= CANCEL_UNMAILED_WITHIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const START: OffsetDateTime = datetime!(2027-03-01 20:00 UTC);

    #[test]
    fn only_a_cancel_of_an_offer_minutes_old_is_mailed() {
        let offer = Transfer {
            id: TransferId::new(),
            ticket_id: TicketId::new(),
            session_id: SessionId::new(),
            event_id: EventId::new(),
            from_user_id: UserId::new(),
            to_email: "bia@example.com".into(),
            to_user_id: None,
            status: TransferStatus::Pending,
            expires_at: START,
            created_at: START - Duration::hours(3),
            decided_at: None,
        };
        assert!(!offer.cancel_is_mailed(offer.created_at + Duration::seconds(5)));
        assert!(!offer.cancel_is_mailed(offer.created_at + Duration::seconds(299)));
        assert!(offer.cancel_is_mailed(offer.created_at + CANCEL_UNMAILED_WITHIN));
    }

    #[test]
    fn an_offer_lapses_after_its_lifetime_or_at_the_cutoff_whichever_is_first() {
        let settings = TransferSettings {
            cutoff_minutes: 120,
            ..TransferSettings::default()
        };
        let early = datetime!(2027-02-01 10:00 UTC);
        assert_eq!(
            settings.offer_expiry(START, early),
            Ok(early + OFFER_LIFETIME)
        );
        let late = datetime!(2027-03-01 12:00 UTC);
        assert_eq!(
            settings.offer_expiry(START, late),
            Ok(datetime!(2027-03-01 18:00 UTC))
        );
        assert_eq!(
            settings.offer_expiry(START, datetime!(2027-03-01 18:00 UTC)),
            Err(TransferBlock::PastCutoff)
        );
    }

    #[test]
    fn a_session_without_transfers_refuses_every_offer() {
        let off = TransferSettings {
            enabled: false,
            ..TransferSettings::default()
        };
        assert_eq!(
            off.offer_expiry(START, datetime!(2027-01-01 0:00 UTC)),
            Err(TransferBlock::Disabled)
        );
    }

    #[test]
    fn a_pending_offer_past_its_expiry_reads_as_expired() {
        let expires = datetime!(2027-02-01 10:00 UTC);
        let before = expires - Duration::seconds(1);
        assert_eq!(
            TransferStatus::Pending.as_of(expires, before),
            TransferStatus::Pending
        );
        assert_eq!(
            TransferStatus::Pending.as_of(expires, expires),
            TransferStatus::Expired
        );
        assert_eq!(
            TransferStatus::Accepted.as_of(expires, expires),
            TransferStatus::Accepted
        );
        assert_eq!(
            may_decide(TransferStatus::Expired),
            Err(TransferBlock::NotPending(TransferStatus::Expired))
        );
        assert_eq!(may_decide(TransferStatus::Pending), Ok(()));
    }

    #[test]
    fn a_transfer_to_oneself_or_to_no_address_is_refused() {
        let to = |raw: &str| TransferInput {
            to_email: raw.to_owned(),
        };
        assert!(to(" Ana@Example.com").parse("ana@example.com").is_err());
        assert!(to("not an address").parse("ana@example.com").is_err());
        assert_eq!(
            to("Bia@Example.com").parse("ana@example.com").unwrap(),
            "bia@example.com"
        );
    }

    #[test]
    fn the_cutoff_is_bounded() {
        let mut errors = FieldErrors::new();
        let too_far = TransferSettings {
            cutoff_minutes: MAX_CUTOFF_MINUTES + 1,
            ..TransferSettings::default()
        };
        assert_eq!(too_far.validate("transfers", &mut errors), None);
        assert_eq!(errors.0[0].field, "transfers.cutoff_minutes");
        let negative = TransferSettings {
            cutoff_minutes: -1,
            ..TransferSettings::default()
        };
        assert_eq!(
            negative.validate("transfers", &mut FieldErrors::new()),
            None
        );
        let greedy = TransferSettings {
            resale_fee_percent: 21,
            ..TransferSettings::default()
        };
        assert_eq!(greedy.validate("transfers", &mut FieldErrors::new()), None);
    }
}
