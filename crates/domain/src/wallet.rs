//! The wallet link: a link mailed with an order that shows its tickets' codes without logging
//! in, for the phone at the gate whose login session has ended (one session per account).
//!
//! The link is `/wallet/{order}/{tag}`, where the tag is an HMAC of the order and the link's
//! generation under the box office's wallet secret: nothing is stored but the generation, so a
//! mail sent from the outbox makes its link when it is sent, and the buyer revokes every link
//! sent so far by moving the generation on.

use crate::ids::OrderId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Bytes of the HMAC kept in a link: 128 bits, beyond guessing.
const TAG_LEN: usize = 16;

fn mac(secret: &[u8; 32], order: OrderId, generation: i64) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(b"bilheteria-wallet-v1");
    mac.update(order.0.as_bytes());
    mac.update(&generation.to_be_bytes());
    mac
}

/// The tag of `order`'s link of this generation.
pub fn tag(secret: &[u8; 32], order: OrderId, generation: i64) -> String {
    URL_SAFE_NO_PAD.encode(&mac(secret, order, generation).finalize().into_bytes()[..TAG_LEN])
}

/// Whether `tag` is the tag of `order`'s link of this generation (compared in constant time).
pub fn verify(secret: &[u8; 32], order: OrderId, generation: i64, tag: &str) -> bool {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(tag) else {
        return false;
    };
    bytes.len() == TAG_LEN
        && mac(secret, order, generation)
            .verify_truncated_left(&bytes)
            .is_ok()
}

/// The path of `order`'s link of this generation.
pub fn path(secret: &[u8; 32], order: OrderId, generation: i64) -> String {
    format!("/wallet/{order}/{}", tag(secret, order, generation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_opens_only_its_order_and_generation() {
        let secret = [7u8; 32];
        let order = OrderId::new();
        let other = OrderId::new();
        let tag = tag(&secret, order, 0);
        assert_eq!(tag.len(), 22);
        assert!(verify(&secret, order, 0, &tag));
        assert!(!verify(&secret, order, 1, &tag), "a revoked generation");
        assert!(!verify(&secret, other, 0, &tag), "another order");
        assert!(!verify(&[8u8; 32], order, 0, &tag), "another box office");
        assert!(!verify(&secret, order, 0, &tag[..21]), "a shortened tag");
        assert!(!verify(&secret, order, 0, "not base64!"));
        assert!(!verify(&secret, order, 0, ""));
        assert_eq!(path(&secret, order, 0), format!("/wallet/{order}/{tag}"));
    }
}
