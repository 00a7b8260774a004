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
        let per_minute = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)),
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

/// Login attempts are limited per account (against password guessing) and per address
/// (against credential stuffing across accounts); sign-ups per address (against mass-made
/// accounts), `None` meaning unlimited.
pub struct LoginLimits {
    pub per_account: KeyedLimiter,
    pub per_ip: KeyedLimiter,
    pub registrations_per_ip: Option<KeyedLimiter>,
}

impl LoginLimits {
    pub fn check(&self, account: &str, ip: Option<&str>) -> Result<(), Duration> {
        if let Some(ip) = ip {
            self.per_ip.check(ip)?;
        }
        self.per_account.check(account)
    }

    pub fn check_registration(&self, ip: Option<&str>) -> Result<(), Duration> {
        match (&self.registrations_per_ip, ip) {
            (Some(limiter), Some(ip)) => limiter.check(ip),
            _ => Ok(()),
        }
    }

    pub fn forget_idle(&self) {
        self.per_account.forget_idle();
        self.per_ip.forget_idle();
        if let Some(limiter) = &self.registrations_per_ip {
            limiter.forget_idle();
        }
    }
}

/// Holds and orders are limited per buyer and per address (S2); `None` means unlimited.
pub struct PurchaseLimits {
    pub per_user: Option<KeyedLimiter>,
    pub per_ip: Option<KeyedLimiter>,
}

impl PurchaseLimits {
    pub fn check(&self, user: &str, ip: Option<&str>) -> Result<(), Duration> {
        if let (Some(limiter), Some(ip)) = (&self.per_ip, ip) {
            limiter.check(ip)?;
        }
        match &self.per_user {
            Some(limiter) => limiter.check(user),
            None => Ok(()),
        }
    }

    pub fn forget_idle(&self) {
        self.per_user
            .iter()
            .chain(&self.per_ip)
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
}
