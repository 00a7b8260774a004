//! The hot state of the waiting rooms, shared by the nodes of a cluster: who is in which line and
//! at what number, the admission watermark, and who is admitted. In-process for a single node,
//! Redis for a cluster; both pass the same test suite. Nothing here is authoritative: losing it
//! slows a queue down (it is rebuilt from the database's snapshot), but can never oversell,
//! because every hold is still checked by the database.

use async_trait::async_trait;
use bilheteria_domain::ids::{SessionId, UserId};
use bilheteria_domain::queue::Watermark;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("this device is already in the line with another account")]
    DeviceTaken,
    #[error("the queue's shared state is unavailable: {0}")]
    Unavailable(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Joined {
    pub seq: u64,
    /// False when the account was already in line (the same number is given back).
    pub new: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LineStatus {
    /// Everyone who ever joined.
    pub joined: u64,
    /// How many were in line when sales opened (set once, when the line is frozen).
    pub presale: Option<u64>,
    pub seed: Option<[u8; 32]>,
    pub watermark: Watermark,
}

#[async_trait]
pub trait QueueState: Send + Sync + 'static {
    fn kind(&self) -> &'static str;
    /// Puts the account in line once; a device in line for another account is refused. A new
    /// number is never below `floor` + 1 (after a loss of state, numbers continue after those
    /// the snapshot knows were handed out).
    async fn join(
        &self,
        session: SessionId,
        user: UserId,
        device: [u8; 8],
        floor: u64,
    ) -> Result<Joined, QueueError>;
    async fn status(&self, session: SessionId) -> Result<LineStatus, QueueError>;
    /// Freezes the pre-sale line at its current length with `seed`, once; answers the values
    /// that were kept (another node may have frozen it first).
    async fn freeze(
        &self,
        session: SessionId,
        seed: [u8; 32],
    ) -> Result<(u64, [u8; 32]), QueueError>;
    /// Moves the watermark from `expected` to `next` if nobody moved it meanwhile, and records
    /// the point in its history, forgetting points older than `keep_since_ms` (but the latest
    /// of those, which still answers `admitted_as_of` for later times).
    async fn move_watermark(
        &self,
        session: SessionId,
        expected: Watermark,
        next: Watermark,
        keep_since_ms: i64,
    ) -> Result<bool, QueueError>;
    /// When the account was first admitted (recording `now_ms` the first time).
    async fn admitted_at(
        &self,
        session: SessionId,
        user: UserId,
        now_ms: i64,
    ) -> Result<i64, QueueError>;
    /// The account is done (it bought): it no longer counts among the active buyers.
    async fn leave(&self, session: SessionId, user: UserId, now_ms: i64) -> Result<(), QueueError>;
    /// How many accounts left at or after `since_ms`.
    async fn left_since(&self, session: SessionId, since_ms: i64) -> Result<u64, QueueError>;
    /// How far admission had gone at `at_ms` (from the watermark's recent history).
    async fn admitted_as_of(&self, session: SessionId, at_ms: i64) -> Result<u64, QueueError>;
    /// After a loss of state: make the counters no lower than the snapshot's (tokens already
    /// issued still carry their numbers), and restore the frozen line and the watermark.
    async fn restore(&self, session: SessionId, status: LineStatus) -> Result<(), QueueError>;
}

// ---------------------------------------------------------------------------------------------
// In process

#[derive(Default)]
struct Line {
    users: HashMap<UserId, u64>,
    devices: HashMap<[u8; 8], UserId>,
    joined: u64,
    presale: Option<u64>,
    seed: Option<[u8; 32]>,
    watermark: Watermark,
    admitted_at: HashMap<UserId, i64>,
    left: HashMap<UserId, i64>,
    /// (when, admitted) after each move of the watermark; the latest points only.
    history: std::collections::VecDeque<(i64, u64)>,
}

#[derive(Default)]
pub struct MemoryQueue {
    lines: Mutex<HashMap<SessionId, Arc<Mutex<Line>>>>,
}

impl MemoryQueue {
    fn line(&self, session: SessionId) -> Arc<Mutex<Line>> {
        let mut lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        lines.entry(session).or_default().clone()
    }

    fn with<T>(&self, session: SessionId, f: impl FnOnce(&mut Line) -> T) -> T {
        let line = self.line(session);
        let mut line = line.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut line)
    }

    /// Forgets everything, as a crashed Redis would; for tests of recovery.
    pub fn forget(&self) {
        self.lines.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[async_trait]
impl QueueState for MemoryQueue {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn join(
        &self,
        session: SessionId,
        user: UserId,
        device: [u8; 8],
        floor: u64,
    ) -> Result<Joined, QueueError> {
        self.with(session, |line| {
            line.joined = line.joined.max(floor);
            if let Some(owner) = line.devices.get(&device)
                && *owner != user
            {
                return Err(QueueError::DeviceTaken);
            }
            line.devices.insert(device, user);
            if let Some(seq) = line.users.get(&user) {
                return Ok(Joined {
                    seq: *seq,
                    new: false,
                });
            }
            line.joined += 1;
            line.users.insert(user, line.joined);
            Ok(Joined {
                seq: line.joined,
                new: true,
            })
        })
    }

    async fn status(&self, session: SessionId) -> Result<LineStatus, QueueError> {
        Ok(self.with(session, |line| LineStatus {
            joined: line.joined,
            presale: line.presale,
            seed: line.seed,
            watermark: line.watermark,
        }))
    }

    async fn freeze(
        &self,
        session: SessionId,
        seed: [u8; 32],
    ) -> Result<(u64, [u8; 32]), QueueError> {
        Ok(self.with(session, |line| {
            let presale = *line.presale.get_or_insert(line.joined);
            (presale, *line.seed.get_or_insert(seed))
        }))
    }

    async fn move_watermark(
        &self,
        session: SessionId,
        expected: Watermark,
        next: Watermark,
        keep_since_ms: i64,
    ) -> Result<bool, QueueError> {
        Ok(self.with(session, |line| {
            if line.watermark != expected {
                return false;
            }
            line.watermark = next;
            line.history.push_back((next.at_ms, next.admitted));
            while line.history.len() > 1
                && line
                    .history
                    .get(1)
                    .is_some_and(|(at, _)| *at < keep_since_ms)
            {
                line.history.pop_front();
            }
            true
        }))
    }

    async fn admitted_at(
        &self,
        session: SessionId,
        user: UserId,
        now_ms: i64,
    ) -> Result<i64, QueueError> {
        Ok(self.with(session, |line| {
            *line.admitted_at.entry(user).or_insert(now_ms)
        }))
    }

    async fn leave(&self, session: SessionId, user: UserId, now_ms: i64) -> Result<(), QueueError> {
        self.with(session, |line| {
            line.left.entry(user).or_insert(now_ms);
        });
        Ok(())
    }

    async fn left_since(&self, session: SessionId, since_ms: i64) -> Result<u64, QueueError> {
        Ok(self.with(session, |line| {
            line.left.values().filter(|at| **at >= since_ms).count() as u64
        }))
    }

    async fn admitted_as_of(&self, session: SessionId, at_ms: i64) -> Result<u64, QueueError> {
        Ok(self.with(session, |line| {
            line.history
                .iter()
                .rev()
                .find(|(at, _)| *at <= at_ms)
                .map_or(0, |(_, admitted)| *admitted)
        }))
    }

    async fn restore(&self, session: SessionId, status: LineStatus) -> Result<(), QueueError> {
        self.with(session, |line| {
            line.joined = line.joined.max(status.joined);
            if line.presale.is_none() {
                line.presale = status.presale;
                line.seed = status.seed;
            }
            if line.watermark.admitted < status.watermark.admitted {
                line.watermark = status.watermark;
                line.history
                    .push_back((status.watermark.at_ms, status.watermark.admitted));
            }
        });
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Redis

/// One hash per line (`<prefix>:<session>:meta`) for the counters, the frozen line and the
/// watermark; hashes for accounts and devices; a sorted set of active admitted accounts. Every
/// change that reads before it writes is one Lua script, so nodes never interleave.
pub struct RedisQueue {
    connection: redis::aio::ConnectionManager,
    prefix: String,
    join_script: redis::Script,
    freeze_script: redis::Script,
    watermark_script: redis::Script,
    restore_script: redis::Script,
}

fn unavailable(error: redis::RedisError) -> QueueError {
    QueueError::Unavailable(error.to_string())
}

fn encode_watermark(mark: &Watermark) -> String {
    format!("{}:{}:{}", mark.admitted, mark.at_ms, mark.carry)
}

fn decode_watermark(raw: Option<String>) -> Watermark {
    let Some(raw) = raw else {
        return Watermark::default();
    };
    let mut parts = raw.split(':');
    let mut next = || parts.next().unwrap_or_default();
    Watermark {
        admitted: next().parse().unwrap_or(0),
        at_ms: next().parse().unwrap_or(0),
        carry: next().parse().unwrap_or(0.0),
    }
}

impl RedisQueue {
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let connection = redis::aio::ConnectionManager::new(client).await?;
        Ok(Self {
            connection,
            prefix: prefix.to_owned(),
            join_script: redis::Script::new(
                r"
                local owner = redis.call('HGET', KEYS[2], ARGV[2])
                if owner and owner ~= ARGV[1] then return {-1, 0} end
                redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
                local existing = redis.call('HGET', KEYS[1], ARGV[1])
                if existing then return {tonumber(existing), 0} end
                if tonumber(redis.call('HGET', KEYS[3], 'joined') or '0') < tonumber(ARGV[3]) then
                  redis.call('HSET', KEYS[3], 'joined', ARGV[3])
                end
                local seq = redis.call('HINCRBY', KEYS[3], 'joined', 1)
                redis.call('HSET', KEYS[1], ARGV[1], seq)
                return {seq, 1}
                ",
            ),
            freeze_script: redis::Script::new(
                r"
                if redis.call('HEXISTS', KEYS[1], 'presale') == 0 then
                  redis.call('HSET', KEYS[1], 'presale', redis.call('HGET', KEYS[1], 'joined') or 0, 'seed', ARGV[1])
                end
                return {redis.call('HGET', KEYS[1], 'presale'), redis.call('HGET', KEYS[1], 'seed')}
                ",
            ),
            watermark_script: redis::Script::new(
                r"
                                local current = redis.call('HGET', KEYS[1], 'watermark') or ''
                if current ~= ARGV[1] then return 0 end
                                redis.call('HSET', KEYS[1], 'watermark', ARGV[2])
                redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
                local older = redis.call('ZCOUNT', KEYS[2], '-inf', '(' .. ARGV[4])
                if older > 1 then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, older - 2) end
                return 1
                ",
            ),
            restore_script: redis::Script::new(
                r"
                local joined = tonumber(redis.call('HGET', KEYS[1], 'joined') or '0')
                if joined < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'joined', ARGV[1]) end
                if ARGV[2] ~= '' and redis.call('HEXISTS', KEYS[1], 'presale') == 0 then
                  redis.call('HSET', KEYS[1], 'presale', ARGV[2], 'seed', ARGV[3])
                end
                local mark = redis.call('HGET', KEYS[1], 'watermark')
                local admitted = 0
                if mark then admitted = tonumber(string.match(mark, '^(%d+)')) end
                                if admitted < tonumber(ARGV[4]) then
                  redis.call('HSET', KEYS[1], 'watermark', ARGV[5])
                  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[5])
                end
                return 1
                ",
            ),
        })
    }

    fn key(&self, session: SessionId, part: &str) -> String {
        format!("{}:{}:{}", self.prefix, session, part)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex_seed(raw: &str) -> Option<[u8; 32]> {
    if raw.len() != 64 {
        return None;
    }
    let mut seed = [0u8; 32];
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = u8::from_str_radix(raw.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(seed)
}

#[async_trait]
impl QueueState for RedisQueue {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn join(
        &self,
        session: SessionId,
        user: UserId,
        device: [u8; 8],
        floor: u64,
    ) -> Result<Joined, QueueError> {
        let mut connection = self.connection.clone();
        let (seq, new): (i64, i64) = self
            .join_script
            .key(self.key(session, "users"))
            .key(self.key(session, "devices"))
            .key(self.key(session, "meta"))
            .arg(user.to_string())
            .arg(hex(&device))
            .arg(floor)
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        if seq < 0 {
            return Err(QueueError::DeviceTaken);
        }
        Ok(Joined {
            seq: seq as u64,
            new: new == 1,
        })
    }

    async fn status(&self, session: SessionId) -> Result<LineStatus, QueueError> {
        let mut connection = self.connection.clone();
        let (joined, presale, seed, watermark): (
            Option<u64>,
            Option<u64>,
            Option<String>,
            Option<String>,
        ) = redis::cmd("HMGET")
            .arg(self.key(session, "meta"))
            .arg(&["joined", "presale", "seed", "watermark"][..])
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(LineStatus {
            joined: joined.unwrap_or(0),
            presale,
            seed: seed.as_deref().and_then(unhex_seed),
            watermark: decode_watermark(watermark),
        })
    }

    async fn freeze(
        &self,
        session: SessionId,
        seed: [u8; 32],
    ) -> Result<(u64, [u8; 32]), QueueError> {
        let mut connection = self.connection.clone();
        let (presale, kept): (u64, String) = self
            .freeze_script
            .key(self.key(session, "meta"))
            .arg(hex(&seed))
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok((presale, unhex_seed(&kept).unwrap_or(seed)))
    }

    async fn move_watermark(
        &self,
        session: SessionId,
        expected: Watermark,
        next: Watermark,
        keep_since_ms: i64,
    ) -> Result<bool, QueueError> {
        let mut connection = self.connection.clone();
        let expected = if expected == Watermark::default() {
            String::new()
        } else {
            encode_watermark(&expected)
        };
        let moved: i64 = self
            .watermark_script
            .key(self.key(session, "meta"))
            .key(self.key(session, "history"))
            .arg(expected)
            .arg(encode_watermark(&next))
            .arg(next.at_ms)
            .arg(keep_since_ms)
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(moved == 1)
    }

    async fn admitted_at(
        &self,
        session: SessionId,
        user: UserId,
        now_ms: i64,
    ) -> Result<i64, QueueError> {
        let mut connection = self.connection.clone();
        let (_, at): (bool, i64) = redis::pipe()
            .atomic()
            .cmd("HSETNX")
            .arg(self.key(session, "admitted"))
            .arg(user.to_string())
            .arg(now_ms)
            .cmd("HGET")
            .arg(self.key(session, "admitted"))
            .arg(user.to_string())
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(at)
    }

    async fn leave(&self, session: SessionId, user: UserId, now_ms: i64) -> Result<(), QueueError> {
        let mut connection = self.connection.clone();
        let _: i64 = redis::cmd("ZADD")
            .arg(self.key(session, "left"))
            .arg("NX")
            .arg(now_ms)
            .arg(user.to_string())
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn left_since(&self, session: SessionId, since_ms: i64) -> Result<u64, QueueError> {
        let mut connection = self.connection.clone();
        redis::cmd("ZCOUNT")
            .arg(self.key(session, "left"))
            .arg(since_ms)
            .arg("+inf")
            .query_async(&mut connection)
            .await
            .map_err(unavailable)
    }

    async fn admitted_as_of(&self, session: SessionId, at_ms: i64) -> Result<u64, QueueError> {
        let mut connection = self.connection.clone();
        let latest: Vec<String> = redis::cmd("ZREVRANGEBYSCORE")
            .arg(self.key(session, "history"))
            .arg(at_ms)
            .arg("-inf")
            .arg("LIMIT")
            .arg(0)
            .arg(1)
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(latest
            .into_iter()
            .next()
            .map_or(0, |point| decode_watermark(Some(point)).admitted))
    }

    async fn restore(&self, session: SessionId, status: LineStatus) -> Result<(), QueueError> {
        let mut connection = self.connection.clone();
        let _: i64 = self
            .restore_script
            .key(self.key(session, "meta"))
            .key(self.key(session, "history"))
            .arg(status.joined)
            .arg(status.presale.map(|p| p.to_string()).unwrap_or_default())
            .arg(status.seed.map(|s| hex(&s)).unwrap_or_default())
            .arg(status.watermark.admitted)
            .arg(encode_watermark(&status.watermark))
            .arg(status.watermark.at_ms)
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermarks_and_seeds_survive_their_encoding() {
        let mark = Watermark {
            admitted: 12,
            at_ms: 1_800_000_000_123,
            carry: 0.25,
        };
        assert_eq!(decode_watermark(Some(encode_watermark(&mark))), mark);
        assert_eq!(decode_watermark(None), Watermark::default());
        let seed = [0xab; 32];
        assert_eq!(unhex_seed(&hex(&seed)), Some(seed));
        assert_eq!(unhex_seed("zz"), None);
    }
}
