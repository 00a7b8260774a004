//! Webhook signatures in the Stripe style: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
//! A signature is refused when it does not match, or when its timestamp is outside the tolerance
//! (a replayed or stale delivery). An event, even signed, is only a hint of which order to look
//! at: what is true is what the provider answers when asked (`bilheteria::sales::settle_on_hint`).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "stripe-signature";

/// The part of a provider's event that bilheteria reads: its type and the order it names.
#[derive(serde::Deserialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    data: EventData,
}

#[derive(serde::Deserialize)]
struct EventData {
    object: EventObject,
}

#[derive(serde::Deserialize)]
struct EventObject {
    #[serde(default)]
    metadata: std::collections::HashMap<String, String>,
}

impl Event {
    /// The order a payment event is about; `None` for other events, or none named.
    pub fn order_id(&self) -> Option<bilheteria_domain::ids::OrderId> {
        if !self.kind.starts_with("payment_intent.") {
            return None;
        }
        self.data.object.metadata.get("order_id")?.parse().ok()
    }
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing or malformed")]
    Malformed,
    #[error("the signature's timestamp is too old or in the future")]
    Stale,
    #[error("the signature does not match the body")]
    Mismatch,
}

pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > tolerance_secs {
        return Err(SignatureError::Stale);
    }
    let matches = signatures.iter().any(|hex| {
        decode_hex(hex)
            .is_some_and(|bytes| mac(secret, timestamp, body).verify_slice(&bytes).is_ok())
    });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_signature_verifies() {
        let header = sign("whsec_test", 1_000, b"{\"a\":1}");
        assert_eq!(
            verify("whsec_test", &header, b"{\"a\":1}", 1_010, 300),
            Ok(())
        );
    }

    #[test]
    fn tampering_staleness_and_garbage_are_refused() {
        let header = sign("whsec_test", 1_000, b"{\"a\":1}");
        assert_eq!(
            verify("whsec_test", &header, b"{\"a\":2}", 1_000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("other", &header, b"{\"a\":1}", 1_000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("whsec_test", &header, b"{\"a\":1}", 2_000, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify("whsec_test", "nonsense", b"", 1_000, 300),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify("whsec_test", "t=1000,v1=zz", b"", 1_000, 300),
            Err(SignatureError::Mismatch)
        );
    }
}
