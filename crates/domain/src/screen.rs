//! Rotating on-screen codes: a ticket shown on a phone carries its signed code plus a part that
//! changes every 15 seconds, so a screenshot stops working within a minute, while a gate with no
//! network still verifies it.
//!
//! The time part is an HMAC of the 15-second window under a per-ticket key; the per-ticket key
//! is an HMAC of the ticket (id and version) under a per-session secret that only the gate
//! bundle carries. The holder's device gets its ticket's key alone: it can show its own codes,
//! and learns nothing of any other ticket's.

use crate::ids::TicketId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;

/// Seconds a window lasts.
pub const WINDOW_SECONDS: i64 = 15;
/// Windows either side of the gate's own that still pass: clocks of phones and gates drift.
pub const TOLERANCE_WINDOWS: i64 = 2;
const TAG_LEN: usize = 8;

/// What an organizer decides about codes shown on screens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScreenCodes {
    /// One code per ticket version, printed or shown (default).
    #[default]
    Static,
    /// Phones show a rotating code; a printed code (static) still passes.
    Rotating,
    /// Only a rotating code passes; tickets are not printed.
    ScreenOnly,
}

impl ScreenCodes {
    pub fn as_str(self) -> &'static str {
        match self {
            ScreenCodes::Static => "static",
            ScreenCodes::Rotating => "rotating",
            ScreenCodes::ScreenOnly => "screen_only",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            ScreenCodes::Static,
            ScreenCodes::Rotating,
            ScreenCodes::ScreenOnly,
        ]
        .into_iter()
        .find(|mode| mode.as_str() == raw)
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The key a ticket's holder gets to show rotating codes of this version of the ticket.
pub fn ticket_key(session_secret: &[u8], ticket: TicketId, version: u32) -> [u8; 32] {
    hmac(
        session_secret,
        &[
            b"bilheteria-screen-v1",
            ticket.0.as_bytes(),
            &version.to_be_bytes(),
        ],
    )
}

/// The window `at` falls in.
pub fn window(at: OffsetDateTime) -> i64 {
    at.unix_timestamp().div_euclid(WINDOW_SECONDS)
}

fn tag(ticket_key: &[u8; 32], window: i64) -> String {
    URL_SAFE_NO_PAD.encode(&hmac(ticket_key, &[&window.to_be_bytes()])[..TAG_LEN])
}

/// What a phone shows at `at`: the signed code, the window, and the window's tag.
pub fn rotating_code(static_code: &str, ticket_key: &[u8; 32], at: OffsetDateTime) -> String {
    let window = window(at);
    format!("{static_code}.{window}.{}", tag(ticket_key, window))
}

/// A scanned code split into its signed part and, if it has one, its time part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scanned<'a> {
    pub signed: &'a str,
    pub time_part: Option<(i64, &'a str)>,
}

/// Splits what a gate read; a malformed time part is `Err`.
pub fn split(code: &str) -> Result<Scanned<'_>, ScreenError> {
    let Some((signed, rest)) = code.split_once('.') else {
        return Ok(Scanned {
            signed: code,
            time_part: None,
        });
    };
    let (window, tag) = rest.split_once('.').ok_or(ScreenError::Malformed)?;
    let window = window.parse::<i64>().map_err(|_| ScreenError::Malformed)?;
    Ok(Scanned {
        signed,
        time_part: Some((window, tag)),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScreenError {
    #[error("the code's time part is malformed")]
    Malformed,
    /// The session takes only rotating codes, and this one is static (printed, or copied).
    #[error("a code from the ticket's screen is required")]
    Required,
    /// Its window is not near the gate's: a screenshot, or a clock far off.
    #[error("the on-screen code has expired")]
    Expired,
    #[error("the on-screen code does not match the ticket")]
    BadTag,
}

/// Whether a scanned code's time part lets it in at `at`, for a session in `mode` whose secret
/// is `session_secret` (the ticket and version come from the verified signed part).
pub fn check(
    scanned: &Scanned<'_>,
    mode: ScreenCodes,
    session_secret: &[u8],
    ticket: TicketId,
    version: u32,
    at: OffsetDateTime,
) -> Result<(), ScreenError> {
    let Some((window_seen, tag_seen)) = scanned.time_part else {
        return match mode {
            ScreenCodes::ScreenOnly => Err(ScreenError::Required),
            _ => Ok(()),
        };
    };
    if (window_seen - window(at)).abs() > TOLERANCE_WINDOWS {
        return Err(ScreenError::Expired);
    }
    let key = ticket_key(session_secret, ticket, version);
    if tag(&key, window_seen) != tag_seen {
        return Err(ScreenError::BadTag);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use time::macros::datetime;

    const SECRET: [u8; 32] = [7; 32];
    const AT: OffsetDateTime = datetime!(2027-03-06 23:30:07 UTC);

    fn shown(at: OffsetDateTime) -> String {
        let ticket = TicketId(uuid::Uuid::from_u128(42));
        rotating_code("signed", &ticket_key(&SECRET, ticket, 1), at)
    }

    fn checked(code: &str, mode: ScreenCodes, at: OffsetDateTime) -> Result<(), ScreenError> {
        let ticket = TicketId(uuid::Uuid::from_u128(42));
        check(&split(code)?, mode, &SECRET, ticket, 1, at)
    }

    #[test]
    fn a_fresh_screen_code_passes_and_a_screenshot_stops_within_a_minute() {
        let code = shown(AT);
        assert_eq!(split(&code).unwrap().signed, "signed");
        assert_eq!(checked(&code, ScreenCodes::Rotating, AT), Ok(()));
        // Clocks a little apart still agree.
        assert_eq!(
            checked(&code, ScreenCodes::ScreenOnly, AT + Duration::seconds(25)),
            Ok(())
        );
        assert_eq!(
            checked(&code, ScreenCodes::ScreenOnly, AT + Duration::seconds(50)),
            Err(ScreenError::Expired)
        );
    }

    #[test]
    fn another_tickets_key_or_version_does_not_make_the_tag() {
        let other = TicketId(uuid::Uuid::from_u128(43));
        let forged = rotating_code("signed", &ticket_key(&SECRET, other, 1), AT);
        assert_eq!(
            checked(&forged, ScreenCodes::Rotating, AT),
            Err(ScreenError::BadTag)
        );
        let ticket = TicketId(uuid::Uuid::from_u128(42));
        let old_version = rotating_code("signed", &ticket_key(&SECRET, ticket, 0), AT);
        assert_eq!(
            checked(&old_version, ScreenCodes::Rotating, AT),
            Err(ScreenError::BadTag)
        );
    }

    #[test]
    fn a_static_code_passes_unless_the_session_is_screen_only() {
        assert_eq!(checked("signed", ScreenCodes::Rotating, AT), Ok(()));
        assert_eq!(checked("signed", ScreenCodes::Static, AT), Ok(()));
        assert_eq!(
            checked("signed", ScreenCodes::ScreenOnly, AT),
            Err(ScreenError::Required)
        );
        assert_eq!(split("signed.x.y"), Err(ScreenError::Malformed));
        assert_eq!(split("signed.12"), Err(ScreenError::Malformed));
    }
}
