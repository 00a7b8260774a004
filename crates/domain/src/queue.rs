//! The waiting room's arithmetic (S3), pure: queue and admission tokens, the shuffle of everyone
//! who was waiting when sales opened, ranks, the admission watermark, waiting-time estimates and
//! the proof-of-work check. State and I/O live elsewhere; everything here is testable alone.

use crate::ids::{SessionId, UserId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Tokens

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// Proof of a place in the queue: carries the sequence number.
    Queue = 1,
    /// Permission to buy for a while: checked by holds.
    Admission = 2,
    /// A proof-of-work challenge handed to one account for one session.
    Challenge = 3,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueClaims {
    pub kind: TokenKind,
    pub session: SessionId,
    pub user: UserId,
    /// First 8 bytes of SHA-256 of the device id: binds the token to the device.
    pub device: [u8; 8],
    pub seq: u64,
    /// Milliseconds since the epoch: when a queue token was issued, when an admission ends.
    pub time_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a token of this waiting room")]
    Malformed,
    #[error("the token's signature does not match")]
    BadSignature,
    #[error("a token of another kind")]
    WrongKind,
}

pub fn device_fingerprint(device_id: &str) -> [u8; 8] {
    let digest = Sha256::digest(device_id.as_bytes());
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

const CLAIMS_LEN: usize = 1 + 16 + 16 + 8 + 8 + 8;
const MAC_LEN: usize = 16;

/// Signs and checks tokens with a server secret (HMAC-SHA256, truncated to 128 bits).
#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl TokenKey {
    pub fn new(secret: [u8; 32]) -> Self {
        Self(secret)
    }

    fn mac(&self, payload: &[u8]) -> [u8; MAC_LEN] {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(b"bilheteria-queue-v1");
        mac.update(payload);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    pub fn sign(&self, claims: &QueueClaims) -> String {
        let mut payload = Vec::with_capacity(CLAIMS_LEN + MAC_LEN);
        payload.push(claims.kind as u8);
        payload.extend_from_slice(claims.session.0.as_bytes());
        payload.extend_from_slice(claims.user.0.as_bytes());
        payload.extend_from_slice(&claims.device);
        payload.extend_from_slice(&claims.seq.to_be_bytes());
        payload.extend_from_slice(&claims.time_ms.to_be_bytes());
        let mac = self.mac(&payload);
        payload.extend_from_slice(&mac);
        URL_SAFE_NO_PAD.encode(payload)
    }

    pub fn verify(&self, token: &str, kind: TokenKind) -> Result<QueueClaims, TokenError> {
        if token.len() > 200 {
            return Err(TokenError::Malformed);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| TokenError::Malformed)?;
        if bytes.len() != CLAIMS_LEN + MAC_LEN {
            return Err(TokenError::Malformed);
        }
        let (payload, mac) = bytes.split_at(CLAIMS_LEN);
        let expected = self.mac(payload);
        // Constant-time comparison of the MAC.
        let differs = expected
            .iter()
            .zip(mac)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if differs != 0 {
            return Err(TokenError::BadSignature);
        }
        let found = match payload[0] {
            1 => TokenKind::Queue,
            2 => TokenKind::Admission,
            3 => TokenKind::Challenge,
            _ => return Err(TokenError::Malformed),
        };
        if found != kind {
            return Err(TokenError::WrongKind);
        }
        let uuid =
            |at: usize| Uuid::from_slice(&payload[at..at + 16]).map_err(|_| TokenError::Malformed);
        let mut device = [0u8; 8];
        device.copy_from_slice(&payload[33..41]);
        let number = |at: usize| {
            let mut raw = [0u8; 8];
            raw.copy_from_slice(&payload[at..at + 8]);
            raw
        };
        Ok(QueueClaims {
            kind,
            session: SessionId(uuid(1)?),
            user: UserId(uuid(17)?),
            device,
            seq: u64::from_be_bytes(number(41)),
            time_ms: i64::from_be_bytes(number(49)),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The shuffle and ranks

/// The rank (0-based) of each of the `n` buyers who were waiting when sales opened, indexed by
/// their sequence number minus one: a uniformly random permutation (Fisher–Yates driven by
/// ChaCha20 from `seed`). Production seeds come from the operating system's secure source; the
/// seed is kept so that any node can recompute the same permutation.
pub fn shuffled_ranks(n: usize, seed: [u8; 32]) -> Vec<u32> {
    let mut rng = ChaCha20Rng::from_seed(seed);
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(&mut rng);
    let mut ranks = vec![0u32; n];
    for (rank, seq_index) in order.iter().enumerate() {
        ranks[*seq_index as usize] = rank as u32;
    }
    ranks
}

/// A buyer's place in line (1-based), if known yet: before sales open, early arrivals have no
/// rank (they will be shuffled); later arrivals queue first come, first served after all of them.
pub fn rank(seq: u64, presale: Option<u64>, ranks: Option<&[u32]>) -> Option<u64> {
    match presale {
        None => None,
        Some(presale) if seq <= presale => ranks
            .and_then(|ranks| ranks.get(usize::try_from(seq).ok()?.checked_sub(1)?))
            .map(|r| u64::from(*r) + 1),
        Some(_) => Some(seq),
    }
}

// ---------------------------------------------------------------------------------------------
// Admission

/// How far admission has gone: everyone ranked at or below `admitted` may buy.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Watermark {
    pub admitted: u64,
    /// When it last moved (ms since the epoch); 0 before sales open.
    pub at_ms: i64,
    /// Fraction of a buyer carried over to the next step, so slow rates are exact.
    pub carry: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdvanceInput {
    pub now_ms: i64,
    pub admit_per_minute: i64,
    pub paused: bool,
    /// Everyone who ever joined.
    pub joined: u64,
    /// Admitted buyers still inside their admission window and not yet done.
    pub active: u64,
    /// At most this many admitted buyers at once, so the purchase path is never overwhelmed.
    pub max_active: u64,
}

/// Moves the watermark for the time elapsed: at `admit_per_minute`, never past the number of
/// buyers who joined, and never beyond `max_active` buyers admitted at once. Paused, it stays.
pub fn advance(previous: Watermark, input: AdvanceInput) -> Watermark {
    if previous.at_ms == 0 {
        return Watermark {
            admitted: previous.admitted,
            at_ms: input.now_ms,
            carry: 0.0,
        };
    }
    let elapsed_ms = (input.now_ms - previous.at_ms).max(0);
    // A node whose clock lags must not move time backwards (the next node would count the lag
    // twice).
    let now_ms = input.now_ms.max(previous.at_ms);
    if input.paused {
        return Watermark {
            at_ms: now_ms,
            carry: 0.0,
            ..previous
        };
    }
    let budget =
        previous.carry + input.admit_per_minute.max(0) as f64 * elapsed_ms as f64 / 60_000.0;
    let whole = budget.floor();
    let room = input.max_active.saturating_sub(input.active);
    let waiting = input.joined.saturating_sub(previous.admitted);
    let step = (whole as u64).min(room).min(waiting);
    // What could not be used (nobody waiting, or too many active) is not banked for later bursts.
    let carry = if step == whole as u64 {
        budget - whole
    } else {
        0.0
    };
    Watermark {
        admitted: previous.admitted + step,
        at_ms: now_ms,
        carry,
    }
}

/// Seconds until a buyer `ahead` places from the front is admitted at `admit_per_minute`.
pub fn eta_seconds(ahead: u64, admit_per_minute: i64) -> u64 {
    if ahead == 0 {
        return 0;
    }
    let rate = admit_per_minute.max(1) as u64;
    (ahead * 60).div_ceil(rate)
}

/// When a client should ask again: soon near the front, rarely far back (2..30 s).
pub fn poll_after_seconds(eta_seconds: u64) -> u64 {
    (eta_seconds / 10).clamp(2, 30)
}

// ---------------------------------------------------------------------------------------------
// Proof of work

/// Whether SHA-256(challenge ":" nonce) starts with `bits` zero bits.
pub fn proof_of_work_ok(challenge: &str, nonce: &str, bits: u8) -> bool {
    if nonce.is_empty() || nonce.len() > 64 {
        return false;
    }
    let digest = Sha256::new()
        .chain_update(challenge.as_bytes())
        .chain_update(b":")
        .chain_update(nonce.as_bytes())
        .finalize();
    leading_zero_bits(&digest) >= u32::from(bits)
}

fn leading_zero_bits(bytes: &[u8]) -> u32 {
    let mut count = 0;
    for byte in bytes {
        if *byte == 0 {
            count += 8;
        } else {
            return count + byte.leading_zeros();
        }
    }
    count
}

/// Finds a nonce for a challenge (what a client does; used by tests and the load test).
pub fn solve_proof_of_work(challenge: &str, bits: u8) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|nonce| proof_of_work_ok(challenge, nonce, bits))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
