//! The waiting room (S3, DESIGN.md "Waiting room"). A join takes a number from the shared
//! counter and gets a signed queue token carrying it. When sales open the line waiting so far is
//! frozen and shuffled (uniformly, from a secure seed kept in the database); later arrivals queue
//! first come, first served. An admission watermark advances at the session's rate, never past
//! the cap on active buyers; a poll compares the token's rank with it, from memory or Redis only,
//! and hands out an admission token bound to account, device and session for a window.

pub mod limits;
pub mod state;

use crate::error::{AdmissionProblem, AppError};
use bilheteria_domain::ids::{SessionId, UserId};
use bilheteria_domain::queue::{
    self, AdvanceInput, QueueClaims, TokenKey, TokenKind, Watermark, device_fingerprint,
    eta_seconds, poll_after_seconds,
};
use bilheteria_store::{QueueSnapshot, QueuedSession, Store};
use limits::Limiter;
use serde::Serialize;
use state::{LineStatus, QueueError, QueueState};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use time::OffsetDateTime;

/// Where a buyer in line stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinePlace {
    Waiting,
    /// May buy now, with the admission token.
    Admitted,
}

/// What a buyer in line is told.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QueueView {
    pub status: LinePlace,
    /// Place in the line still ahead of the buyer, counting the buyer (1 = next); `null` until
    /// sales open and the line is shuffled.
    pub position: Option<u64>,
    pub eta_seconds: Option<u64>,
    pub queue_token: String,
    /// Send as `X-Admission-Token` with holds; `null` until admitted.
    pub admission_token: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub admission_expires_at: Option<OffsetDateTime>,
    /// Ask again after this many seconds (also in `Retry-After`).
    pub poll_after_seconds: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub sales_start_at: OffsetDateTime,
}

/// What organizers see of a line.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QueueStats {
    pub joined: u64,
    /// How many were waiting when sales opened (shuffled); `null` before.
    pub presale: Option<u64>,
    pub admitted: u64,
    pub active: u64,
    pub waiting: u64,
    pub admit_per_minute: i64,
    pub paused: bool,
    pub max_active: i64,
    pub proof_of_work_bits: i64,
    pub state: &'static str,
}

pub struct RoomLimits {
    pub joins_per_ip: Arc<dyn Limiter>,
    pub joins_per_account: Arc<dyn Limiter>,
    pub polls_per_ip: Arc<dyn Limiter>,
    pub polls_per_account: Arc<dyn Limiter>,
}

impl RoomLimits {
    /// In-process limits: joins per address and per account, polls per address and per account,
    /// each per minute.
    pub fn local(per_minute: [u32; 4]) -> Self {
        let limiter = |n: u32| {
            Arc::new(limits::LocalLimiter(
                crate::ratelimit::KeyedLimiter::per_minute(n),
            )) as Arc<dyn Limiter>
        };
        Self {
            joins_per_ip: limiter(per_minute[0]),
            joins_per_account: limiter(per_minute[1]),
            polls_per_ip: limiter(per_minute[2]),
            polls_per_account: limiter(per_minute[3]),
        }
    }
}

struct Ranks {
    presale: u64,
    seed: [u8; 32],
    ranks: Vec<u32>,
}

pub struct WaitingRoom {
    pub state: Arc<dyn QueueState>,
    key: TokenKey,
    pub admission_window: time::Duration,
    pub limits: RoomLimits,
    registry: RwLock<HashMap<SessionId, QueuedSession>>,
    ranks: Mutex<HashMap<SessionId, Arc<Ranks>>>,
    saved: Mutex<HashMap<SessionId, QueueSnapshot>>,
}

fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

async fn limited(limiter: &Arc<dyn Limiter>, key: &str) -> Result<(), AppError> {
    limiter
        .check(key)
        .await
        .map_err(|wait| AppError::RateLimited {
            retry_after_secs: wait.as_secs() + 1,
        })
}

impl WaitingRoom {
    pub fn new(
        state: Arc<dyn QueueState>,
        secret: [u8; 32],
        admission_window: time::Duration,
        limits: RoomLimits,
    ) -> Self {
        Self {
            state,
            key: TokenKey::new(secret),
            admission_window,
            limits,
            registry: RwLock::new(HashMap::new()),
            ranks: Mutex::new(HashMap::new()),
            saved: Mutex::new(HashMap::new()),
        }
    }

    pub fn sign(&self, claims: &QueueClaims) -> String {
        self.key.sign(claims)
    }

    pub fn verify(&self, token: &str, kind: TokenKind) -> Result<QueueClaims, queue::TokenError> {
        self.key.verify(token, kind)
    }

    pub fn session(&self, id: SessionId) -> Option<QueuedSession> {
        self.registry
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned()
    }

    pub fn remember(&self, session: QueuedSession) {
        self.registry
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(session.id, session);
    }

    fn ranks_for(&self, session: SessionId, presale: u64, seed: [u8; 32]) -> Arc<Ranks> {
        let mut cache = self.ranks.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ranks) = cache.get(&session)
            && ranks.presale == presale
            && ranks.seed == seed
        {
            return ranks.clone();
        }
        let computed = Arc::new(Ranks {
            presale,
            seed,
            ranks: queue::shuffled_ranks(usize::try_from(presale).unwrap_or(0), seed),
        });
        cache.insert(session, computed.clone());
        computed
    }

    fn rank(&self, session: SessionId, seq: u64, status: &LineStatus) -> Option<u64> {
        let (presale, seed) = (status.presale?, status.seed?);
        let ranks = self.ranks_for(session, presale, seed);
        queue::rank(seq, Some(presale), Some(&ranks.ranks))
    }

    /// Joins (or re-joins) the line; the caller has checked the session and the buyer.
    pub async fn join(
        &self,
        store: &dyn Store,
        session: &QueuedSession,
        user: UserId,
        device_id: &str,
        client_ip: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<QueueView, AppError> {
        if let Some(ip) = client_ip {
            limited(&self.limits.joins_per_ip, ip).await?;
        }
        limited(&self.limits.joins_per_account, &user.to_string()).await?;
        self.remember(session.clone());
        // After a loss of the shared state, numbers must continue after those already handed
        // out: the join itself never numbers below the line's last snapshot (the tick restores
        // the rest of the line).
        let floor = self
            .last_snapshot(store, session.id)
            .await?
            .map_or(0, |s| s.joined);
        let device = device_fingerprint(device_id);
        let joined = self.state.join(session.id, user, device, floor).await?;
        if joined.new {
            metrics::counter!("queue_joins_total").increment(1);
        }
        let claims = QueueClaims {
            kind: TokenKind::Queue,
            session: session.id,
            user,
            device,
            seq: joined.seq,
            time_ms: millis(now),
        };
        self.view(session, &claims, now).await
    }

    /// A poll: from the token and the shared state only, never the database.
    pub async fn poll(
        &self,
        session_id: SessionId,
        token: &str,
        client_ip: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<QueueView, AppError> {
        if let Some(ip) = client_ip {
            limited(&self.limits.polls_per_ip, ip).await?;
        }
        let claims = self
            .key
            .verify(token, TokenKind::Queue)
            .map_err(|_| AppError::InvalidQueueToken)?;
        if claims.session != session_id {
            return Err(AppError::InvalidQueueToken);
        }
        limited(&self.limits.polls_per_account, &claims.user.to_string()).await?;
        let session = self.session(session_id).ok_or(AppError::QueueNotEnabled)?;
        metrics::counter!("queue_polls_total").increment(1);
        self.view(&session, &claims, now).await
    }

    async fn view(
        &self,
        session: &QueuedSession,
        claims: &QueueClaims,
        now: OffsetDateTime,
    ) -> Result<QueueView, AppError> {
        let status = self.state.status(session.id).await?;
        if claims.seq > status.joined {
            // The shared state was lost and rebuilt behind a number already handed out.
            self.state
                .restore(
                    session.id,
                    LineStatus {
                        joined: claims.seq,
                        ..LineStatus::default()
                    },
                )
                .await?;
        }
        let queue_token = self.key.sign(claims);
        let rate = session.queue.admit_per_minute;
        let Some(rank) = self.rank(session.id, claims.seq, &status) else {
            let until_sales = (session.sales_start_at - now).whole_seconds().max(0) as u64;
            return Ok(QueueView {
                status: LinePlace::Waiting,
                position: None,
                eta_seconds: Some(until_sales),
                queue_token,
                admission_token: None,
                admission_expires_at: None,
                poll_after_seconds: poll_after_seconds(until_sales),
                sales_start_at: session.sales_start_at,
            });
        };
        if rank > status.watermark.admitted {
            let position = rank - status.watermark.admitted;
            let eta = eta_seconds(position, rate);
            return Ok(QueueView {
                status: LinePlace::Waiting,
                position: Some(position),
                eta_seconds: Some(eta),
                queue_token,
                admission_token: None,
                admission_expires_at: None,
                poll_after_seconds: poll_after_seconds(eta),
                sales_start_at: session.sales_start_at,
            });
        }
        let admitted_at = self
            .state
            .admitted_at(session.id, claims.user, millis(now))
            .await?;
        if admitted_at == millis(now) {
            metrics::counter!("queue_admissions_total").increment(1);
            metrics::histogram!("queue_wait_seconds").record(
                (now - from_millis(claims.time_ms))
                    .as_seconds_f64()
                    .max(0.0),
            );
        }
        let expires = from_millis(admitted_at) + self.admission_window;
        if now >= expires {
            metrics::counter!("queue_admissions_expired_total").increment(1);
            return Err(AppError::AdmissionExpired);
        }
        let admission = QueueClaims {
            kind: TokenKind::Admission,
            time_ms: millis(expires),
            ..*claims
        };
        Ok(QueueView {
            status: LinePlace::Admitted,
            position: Some(0),
            eta_seconds: Some(0),
            queue_token,
            admission_token: Some(self.key.sign(&admission)),
            admission_expires_at: Some(expires),
            poll_after_seconds: poll_after_seconds((expires - now).whole_seconds().max(0) as u64),
            sales_start_at: session.sales_start_at,
        })
    }

    /// Whether `token` lets `user`, on `device_id`, buy in `session` now.
    pub fn check_admission(
        &self,
        session: SessionId,
        user: UserId,
        device_id: &str,
        token: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), AppError> {
        let refused = |problem| Err(AppError::AdmissionRequired(problem));
        let Some(token) = token else {
            return refused(AdmissionProblem::Missing);
        };
        let Ok(claims) = self.key.verify(token, TokenKind::Admission) else {
            return refused(AdmissionProblem::Malformed);
        };
        if claims.session != session {
            return refused(AdmissionProblem::OtherSession);
        }
        if claims.user != user || claims.device != device_fingerprint(device_id) {
            return refused(AdmissionProblem::OtherHolder);
        }
        if millis(now) >= claims.time_ms {
            return refused(AdmissionProblem::Expired);
        }
        Ok(())
    }

    /// Admitted buyers still within their window and not done: admitted now, less those admitted
    /// a window ago (lapsed), less those who left since.
    async fn active(
        &self,
        session: SessionId,
        status: &LineStatus,
        now: OffsetDateTime,
    ) -> Result<u64, QueueError> {
        let since = millis(now - self.admission_window);
        let lapsed = self.state.admitted_as_of(session, since).await?;
        let left = self.state.left_since(session, since).await?;
        Ok(status
            .watermark
            .admitted
            .saturating_sub(lapsed)
            .saturating_sub(left))
    }

    pub async fn stats(
        &self,
        session: &QueuedSession,
        now: OffsetDateTime,
    ) -> Result<QueueStats, AppError> {
        let status = self.state.status(session.id).await?;
        let active = self.active(session.id, &status, now).await?;
        Ok(QueueStats {
            joined: status.joined,
            presale: status.presale,
            admitted: status.watermark.admitted,
            active,
            waiting: status.joined.saturating_sub(status.watermark.admitted),
            admit_per_minute: session.queue.admit_per_minute,
            paused: session.queue.paused,
            max_active: session.queue.max_active,
            proof_of_work_bits: session.queue.proof_of_work_bits,
            state: self.state.kind(),
        })
    }

    /// One pass of the queue clock, run every second by every node: refresh the sessions with a
    /// waiting room, freeze and shuffle lines whose sales opened, advance admission, and keep
    /// the durable snapshot current.
    pub async fn tick(&self, store: &dyn Store, now: OffsetDateTime) -> anyhow::Result<()> {
        let sessions = store.queued_sessions(now).await?;
        {
            let mut registry = self.registry.write().unwrap_or_else(|p| p.into_inner());
            registry.retain(|id, _| sessions.iter().any(|s| s.id == *id));
            let live = |id: &SessionId| registry.contains_key(id);
            self.ranks
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|id, _| live(id));
            self.saved
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|id, _| live(id));
            for session in &sessions {
                registry.insert(session.id, session.clone());
            }
        }
        for session in &sessions {
            if let Err(error) = self.tick_session(store, session, now).await {
                tracing::warn!(session = %session.id, %error, "queue tick failed");
            }
        }
        Ok(())
    }

    async fn tick_session(
        &self,
        store: &dyn Store,
        session: &QueuedSession,
        now: OffsetDateTime,
    ) -> anyhow::Result<()> {
        let mut status = self.state.status(session.id).await?;
        if let Some(snapshot) = store.queue_snapshot(session.id).await?
            && (status.joined < snapshot.joined
                || (status.presale.is_none() && snapshot.presale.is_some()))
        {
            self.restore_from(session.id, &snapshot, now).await?;
            status = self.state.status(session.id).await?;
        }
        if now >= session.sales_start_at && status.presale.is_none() {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed)
                .map_err(|e| anyhow::anyhow!("no secure random source: {e}"))?;
            let (presale, seed) = self.state.freeze(session.id, seed).await?;
            tracing::info!(session = %session.id, presale, "sales opened: the waiting line is shuffled");
            status = self.state.status(session.id).await?;
            self.save(
                store,
                session.id,
                &LineStatus {
                    presale: Some(presale),
                    seed: Some(seed),
                    ..status
                },
                now,
                true,
            )
            .await?;
        }
        if status.presale.is_some() {
            let active = self.active(session.id, &status, now).await?;
            let max_active = u64::try_from(session.queue.max_active)
                .ok()
                .filter(|m| *m > 0)
                .unwrap_or(u64::MAX);
            let next = queue::advance(
                status.watermark,
                AdvanceInput {
                    now_ms: millis(now),
                    admit_per_minute: session.queue.admit_per_minute,
                    paused: session.queue.paused,
                    joined: status.joined,
                    active,
                    max_active,
                },
            );
            let keep_since = millis(now - self.admission_window - time::Duration::minutes(1));
            if self
                .state
                .move_watermark(session.id, status.watermark, next, keep_since)
                .await?
            {
                status.watermark = next;
            }
            let label = session.id.to_string();
            metrics::gauge!("queue_length", "session" => label.clone())
                .set(status.joined.saturating_sub(status.watermark.admitted) as f64);
            metrics::gauge!("queue_admitted", "session" => label.clone())
                .set(status.watermark.admitted as f64);
            metrics::gauge!("queue_active", "session" => label.clone()).set(active as f64);
            metrics::gauge!("queue_admit_per_minute", "session" => label)
                .set(session.queue.admit_per_minute as f64);
        }
        self.save(store, session.id, &status, now, false).await
    }

    /// The line's latest snapshot this node knows (it writes one every tick), read from the
    /// database only when the node has none yet.
    async fn last_snapshot(
        &self,
        store: &dyn Store,
        session: SessionId,
    ) -> Result<Option<QueueSnapshot>, AppError> {
        if let Some(known) = self
            .saved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&session)
            .cloned()
        {
            return Ok(Some(known));
        }
        // Remembered even when there is none yet (an empty line), so that joins do not keep
        // asking the database; the next tick writes and remembers the real one.
        let stored = store
            .queue_snapshot(session)
            .await?
            .unwrap_or(QueueSnapshot {
                session,
                joined: 0,
                presale: None,
                seed: None,
                admitted: 0,
            });
        self.saved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(session, stored.clone());
        Ok(Some(stored))
    }

    async fn restore_from(
        &self,
        session: SessionId,
        snapshot: &QueueSnapshot,
        now: OffsetDateTime,
    ) -> Result<(), QueueError> {
        tracing::warn!(session = %session, "queue state behind its snapshot: restoring");
        let restored = LineStatus {
            joined: snapshot.joined,
            presale: snapshot.presale,
            seed: snapshot.seed,
            watermark: Watermark {
                admitted: snapshot.admitted,
                at_ms: millis(now),
                carry: 0.0,
            },
        };
        self.state.restore(session, restored).await
    }

    /// Writes the snapshot when it changed (or always, when `force`).
    async fn save(
        &self,
        store: &dyn Store,
        session: SessionId,
        status: &LineStatus,
        now: OffsetDateTime,
        force: bool,
    ) -> anyhow::Result<()> {
        let snapshot = QueueSnapshot {
            session,
            joined: status.joined,
            presale: status.presale,
            seed: status.seed,
            admitted: status.watermark.admitted,
        };
        let unchanged = self
            .saved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&session)
            == Some(&snapshot);
        if force || !unchanged {
            store.save_queue_snapshot(&snapshot, now).await?;
            self.saved
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(session, snapshot);
        }
        Ok(())
    }
}
