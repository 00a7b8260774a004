//! Rate limits of the waiting room, per address and per account: in process (GCRA), or in Redis
//! (one-minute windows) so that a cluster limits as one.

use crate::ratelimit::KeyedLimiter;
use async_trait::async_trait;
use std::time::Duration;

#[async_trait]
pub trait Limiter: Send + Sync + 'static {
    /// Counts one event for `key`; over the limit, says how long to wait.
    async fn check(&self, key: &str) -> Result<(), Duration>;
}

pub struct LocalLimiter(pub KeyedLimiter);

#[async_trait]
impl Limiter for LocalLimiter {
    async fn check(&self, key: &str) -> Result<(), Duration> {
        self.0.check(key)
    }
}

pub struct RedisLimiter {
    pub connection: redis::aio::ConnectionManager,
    pub prefix: String,
    pub per_minute: u64,
}

#[async_trait]
impl Limiter for RedisLimiter {
    async fn check(&self, key: &str) -> Result<(), Duration> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let window = now / 60;
        let name = format!("{}:{key}:{window}", self.prefix);
        let mut connection = self.connection.clone();
        let counted: Result<(u64, ()), _> = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg(&name)
            .cmd("EXPIRE")
            .arg(&name)
            .arg(120)
            .query_async(&mut connection)
            .await;
        match counted {
            Ok((count, ())) if count > self.per_minute => {
                Err(Duration::from_secs((60 - now % 60).max(1) as u64))
            }
            Ok(_) => Ok(()),
            // Rate limits protect; they must not take the queue down with Redis.
            Err(error) => {
                tracing::warn!(%error, "rate limit unavailable; letting the request through");
                Ok(())
            }
        }
    }
}
