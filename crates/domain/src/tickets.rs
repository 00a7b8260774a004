//! Tickets (S4) and their codes: a compact binary payload (format, key id, ticket, session, seat,
//! version) signed with Ed25519 and encoded base64url for the QR. A gate holding the public keys
//! verifies a code offline; a transfer or cancellation bumps the version, which revokes old codes.

use crate::half_price::{Eligibility, TicketType};
use crate::ids::{EventId, OrderId, SeatId, SectionId, SessionId, TicketId, UserId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const FORMAT: u8 = 1;
const PAYLOAD_LEN: usize = 1 + 2 + 16 + 16 + 16 + 4;
const CODE_LEN: usize = PAYLOAD_LEN + 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TicketClaims {
    pub key_id: u16,
    pub ticket_id: TicketId,
    pub session_id: SessionId,
    /// `None` for a standing ticket.
    pub seat_id: Option<SeatId>,
    pub version: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("not a ticket code")]
    Malformed,
    #[error("signed with an unknown key")]
    UnknownKey,
    #[error("the signature does not match")]
    BadSignature,
}

/// The id a key is known by: the first two bytes of the SHA-256 of its public half.
pub fn key_id(key: &VerifyingKey) -> u16 {
    let digest = Sha256::digest(key.as_bytes());
    u16::from_be_bytes([digest[0], digest[1]])
}

fn payload(claims: &TicketClaims) -> [u8; PAYLOAD_LEN] {
    let mut out = [0u8; PAYLOAD_LEN];
    out[0] = FORMAT;
    out[1..3].copy_from_slice(&claims.key_id.to_be_bytes());
    out[3..19].copy_from_slice(claims.ticket_id.0.as_bytes());
    out[19..35].copy_from_slice(claims.session_id.0.as_bytes());
    out[35..51].copy_from_slice(claims.seat_id.map_or(Uuid::nil(), |s| s.0).as_bytes());
    out[51..55].copy_from_slice(&claims.version.to_be_bytes());
    out
}

/// Signs the claims with `key` (whose id is written into the code).
pub fn sign_code(
    ticket_id: TicketId,
    session_id: SessionId,
    seat_id: Option<SeatId>,
    version: u32,
    key: &SigningKey,
) -> String {
    let claims = TicketClaims {
        key_id: key_id(&key.verifying_key()),
        ticket_id,
        session_id,
        seat_id,
        version,
    };
    let payload = payload(&claims);
    let signature = key.sign(&payload);
    let mut code = Vec::with_capacity(CODE_LEN);
    code.extend_from_slice(&payload);
    code.extend_from_slice(&signature.to_bytes());
    URL_SAFE_NO_PAD.encode(code)
}

/// Checks a code against the known public keys and returns what it claims. Pure: no database,
/// so a gate can run it offline; whether the ticket is still valid (version, status) is then a
/// look-up.
pub fn verify_code(
    code: &str,
    key_for: impl Fn(u16) -> Option<VerifyingKey>,
) -> Result<TicketClaims, CodeError> {
    if code.len() != (CODE_LEN * 4).div_ceil(3) {
        return Err(CodeError::Malformed);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(code)
        .map_err(|_| CodeError::Malformed)?;
    if bytes.len() != CODE_LEN || bytes[0] != FORMAT {
        return Err(CodeError::Malformed);
    }
    let (payload, signature) = bytes.split_at(PAYLOAD_LEN);
    let uuid_at =
        |at: usize| Uuid::from_slice(&payload[at..at + 16]).map_err(|_| CodeError::Malformed);
    let key_id = u16::from_be_bytes([payload[1], payload[2]]);
    let key = key_for(key_id).ok_or(CodeError::UnknownKey)?;
    let signature = Signature::from_slice(signature).map_err(|_| CodeError::Malformed)?;
    key.verify_strict(payload, &signature)
        .map_err(|_| CodeError::BadSignature)?;
    let seat = uuid_at(35)?;
    Ok(TicketClaims {
        key_id,
        ticket_id: TicketId(uuid_at(3)?),
        session_id: SessionId(uuid_at(19)?),
        seat_id: (!seat.is_nil()).then_some(SeatId(seat)),
        version: u32::from_be_bytes([payload[51], payload[52], payload[53], payload[54]]),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Valid,
    Used,
    Cancelled,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Valid => "valid",
            TicketStatus::Used => "used",
            TicketStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "valid" => Some(TicketStatus::Valid),
            "used" => Some(TicketStatus::Used),
            "cancelled" => Some(TicketStatus::Cancelled),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SeatLabel {
    pub section: String,
    pub row: String,
    pub number: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Ticket {
    pub id: TicketId,
    pub order_id: OrderId,
    pub session_id: SessionId,
    pub event_id: EventId,
    /// `null` for a standing ticket.
    pub seat: Option<SeatLabel>,
    pub seat_id: Option<SeatId>,
    pub section_id: SectionId,
    pub holder_id: UserId,
    pub status: TicketStatus,
    pub version: i64,
    /// What the QR code encodes; `null` once the ticket is cancelled (its last code is revoked,
    /// and a gate that sees it finds the newer version in its bundle).
    pub code: Option<String>,
    /// Full price or half (meia-entrada): a half-price ticket's holder shows `eligibility`'s
    /// document at the gate.
    pub ticket_type: TicketType,
    pub eligibility: Option<Eligibility>,
    /// What the holder's order paid for this place (half of the category's price for a half
    /// ticket; a resold ticket's is its resale price): resale's cap and refunds use it.
    pub face_value_cents: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn keys(signing: &SigningKey) -> impl Fn(u16) -> Option<VerifyingKey> + '_ {
        move |id| (id == key_id(&signing.verifying_key())).then(|| signing.verifying_key())
    }

    #[test]
    fn a_signed_code_verifies_and_carries_its_claims() {
        let signing = key(7);
        let (ticket, session, seat) = (TicketId::new(), SessionId::new(), SeatId::new());
        let code = sign_code(ticket, session, Some(seat), 3, &signing);
        assert!(code.len() < 200, "fits a small QR code: {}", code.len());
        let claims = verify_code(&code, keys(&signing)).unwrap();
        assert_eq!(claims.ticket_id, ticket);
        assert_eq!(claims.session_id, session);
        assert_eq!(claims.seat_id, Some(seat));
        assert_eq!(claims.version, 3);
        let standing = sign_code(ticket, session, None, 1, &signing);
        assert_eq!(
            verify_code(&standing, keys(&signing)).unwrap().seat_id,
            None
        );
    }

    #[test]
    fn another_key_is_unknown_and_a_forged_key_id_fails() {
        let code = sign_code(TicketId::new(), SessionId::new(), None, 1, &key(1));
        assert_eq!(
            verify_code(&code, keys(&key(2))),
            Err(CodeError::UnknownKey)
        );
        // A verifier that answers every id with the wrong key still refuses the signature.
        assert_eq!(
            verify_code(&code, |_| Some(key(2).verifying_key())),
            Err(CodeError::BadSignature)
        );
    }

    proptest! {
        #[test]
        fn random_strings_are_rejected(code in ".{0,200}") {
            let signing = key(9);
            prop_assert!(verify_code(&code, keys(&signing)).is_err());
        }

        #[test]
        fn random_bytes_of_the_right_length_are_rejected(bytes in proptest::collection::vec(any::<u8>(), CODE_LEN)) {
            let signing = key(9);
            let code = URL_SAFE_NO_PAD.encode(bytes);
            prop_assert!(verify_code(&code, keys(&signing)).is_err());
        }

        #[test]
        fn any_mutation_of_a_valid_code_is_rejected(position in 0usize..CODE_LEN, flip in 1u8..=255) {
            let signing = key(5);
            let code = sign_code(TicketId::new(), SessionId::new(), Some(SeatId::new()), 1, &signing);
            let mut bytes = URL_SAFE_NO_PAD.decode(&code).unwrap();
            bytes[position] ^= flip;
            let mutated = URL_SAFE_NO_PAD.encode(bytes);
            prop_assert!(verify_code(&mutated, keys(&signing)).is_err());
        }
    }
}
