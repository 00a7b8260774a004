//! In-process rate limits keyed by account or address (GCRA, through `governor`).

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::num::NonZeroU32;
use std::time::Duration;

pub struct KeyedLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl KeyedLimiter {
    /// Allows `per_minute` events per key, all of them at once if they come in a burst.
    pub fn per_minute(per_minute: u32) -> Self {
        Self::with(Quota::per_minute(at_least_one(per_minute)))
    }

    /// Allows `per_hour` events per key, all of them at once if they come in a burst.
    pub fn per_hour(per_hour: u32) -> Self {
        Self::with(Quota::per_hour(at_least_one(per_hour)))
    }

    fn with(quota: Quota) -> Self {
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one event for `key`; when over the limit, says how long to wait.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets keys whose limit has fully recovered, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

/// Login attempts are limited per account from one address (against password guessing) and per
/// address (against credential stuffing across accounts); sign-ups per address (against
/// mass-made accounts), `None` meaning unlimited. An account is never limited as a whole, so
/// that guesses from elsewhere cannot lock its owner out.
pub struct LoginLimits {
    pub per_account_and_ip: KeyedLimiter,
    pub per_ip: KeyedLimiter,
    pub registrations_per_ip: Option<KeyedLimiter>,
}

impl LoginLimits {
    pub fn check(&self, account: &str, ip: Option<&str>) -> Result<(), Duration> {
        if let Some(ip) = ip {
            self.per_ip.check(ip)?;
        }
        // An address cannot appear in a normalized email, so the pair's key is unambiguous.
        self.per_account_and_ip
            .check(&format!("{account} {}", ip.unwrap_or_default()))
    }

    pub fn check_registration(&self, ip: Option<&str>) -> Result<(), Duration> {
        match (&self.registrations_per_ip, ip) {
            (Some(limiter), Some(ip)) => limiter.check(ip),
            _ => Ok(()),
        }
    }

    pub fn forget_idle(&self) {
        self.per_account_and_ip.forget_idle();
        self.per_ip.forget_idle();
        if let Some(limiter) = &self.registrations_per_ip {
            limiter.forget_idle();
        }
    }
}

/// Two limits counted together, each `None` when unlimited: holds and orders per buyer and per
/// address (S2, `PurchaseLimits`); transfer offers per holder and per ticket (`OfferLimits`:
/// each offer mails an address its sender chose, so unlimited offers would make the box office
/// a mail relay).
pub struct LimitPair {
    pub per_key: Option<KeyedLimiter>,
    /// Checked first; its key may be unknown (a request without a client address).
    pub per_other_key: Option<KeyedLimiter>,
}

pub type PurchaseLimits = LimitPair;
pub type OfferLimits = LimitPair;

impl LimitPair {
    /// Counts one event for `key` and `other_key`; when over either limit, says how long to
    /// wait.
    pub fn check(&self, key: &str, other_key: Option<&str>) -> Result<(), Duration> {
        if let (Some(limiter), Some(other)) = (&self.per_other_key, other_key) {
            limiter.check(other)?;
        }
        match &self.per_key {
            Some(limiter) => limiter.check(key),
            None => Ok(()),
        }
    }

    pub fn forget_idle(&self) {
        self.per_key
            .iter()
            .chain(&self.per_other_key)
            .for_each(KeyedLimiter::forget_idle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_limited_independently_of_others() {
        let limiter = KeyedLimiter::per_minute(3);
        for _ in 0..3 {
            assert!(limiter.check("a").is_ok());
        }
        let wait = limiter.check("a").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(limiter.check("b").is_ok());
    }

    #[test]
    fn guesses_from_one_address_do_not_lock_the_account_out_elsewhere() {
        let limits = LoginLimits {
            per_account_and_ip: KeyedLimiter::per_minute(3),
            per_ip: KeyedLimiter::per_minute(100),
            registrations_per_ip: None,
        };
        for _ in 0..3 {
            assert!(
                limits
                    .check("ana@example.com", Some("198.51.100.7"))
                    .is_ok()
            );
        }
        assert!(
            limits
                .check("ana@example.com", Some("198.51.100.7"))
                .is_err()
        );
        assert!(limits.check("ana@example.com", Some("203.0.113.5")).is_ok());
    }
}
