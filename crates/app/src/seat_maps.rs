//! Seat maps served from snapshots: at an on-sale thousands of buyers look at the same map, so
//! a map (of a session, or one of its sections) is read from the database at most once per
//! `Settings::seat_map_max_age` and shared, with an ETag so that an unchanged map costs a 304.
//! Holds are decided by the store, never by a snapshot: a seat shown free a moment too long is
//! refused as taken when held.

use crate::{App, AppError, AppResult};
use bilheteria_domain::catalog::{ResaleAvailability, SeatMap};
use bilheteria_domain::ids::{SectionId, SessionId};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One map as it stood when read, with its JSON (plain and gzipped) and ETag made once.
pub struct Snapshot {
    pub map: SeatMap,
    /// Shared buffers: every viewer's answer is the same bytes, never a copy.
    pub json: Bytes,
    /// `json` gzipped, for the browsers that ask: compressed once, not once per viewer.
    pub gzipped: Bytes,
    /// A strong ETag (quoted), the hash of `json`.
    pub etag: String,
    taken_at: Instant,
}

type Key = (SessionId, Option<SectionId>);
/// A map's latest snapshot, locked while it is being rebuilt.
type Slot = Arc<tokio::sync::Mutex<Option<Arc<Snapshot>>>>;

/// The snapshots of the maps viewed lately; a map being rebuilt is rebuilt once, its other
/// viewers waiting for that read rather than making their own.
#[derive(Default)]
pub struct SeatMaps {
    slots: Mutex<HashMap<Key, Slot>>,
}

/// Snapshots not viewed for this long are dropped when the table grows.
const FORGET_AFTER: Duration = Duration::from_secs(60);
const TABLE_SIZE: usize = 4096;

impl SeatMaps {
    fn slot(&self, key: Key) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() >= TABLE_SIZE {
            slots.retain(|_, slot| match slot.try_lock() {
                Ok(held) => held
                    .as_ref()
                    .is_some_and(|s| s.taken_at.elapsed() < FORGET_AFTER),
                // Being rebuilt: viewed right now.
                Err(_) => true,
            });
        }
        slots.entry(key).or_default().clone()
    }
}

/// The map of `session` (or of one of its sections) as buyers see it, with each section's
/// face-value resale, no older than the configured age. Only published sessions (or the
/// viewer's own) are shown.
pub async fn seat_map(
    app: &App,
    viewer: Option<&bilheteria_domain::account::User>,
    session: SessionId,
    section: Option<SectionId>,
) -> AppResult<Arc<Snapshot>> {
    crate::access::visible_session(app, session, viewer).await?;
    let slot = app.seat_maps.slot((session, section));
    let mut current = slot.lock().await;
    if let Some(snapshot) = current.as_ref()
        && snapshot.taken_at.elapsed() < app.settings.seat_map_max_age
    {
        return Ok(snapshot.clone());
    }
    let snapshot = Arc::new(read(app, session, section).await?);
    *current = Some(snapshot.clone());
    Ok(snapshot)
}

async fn read(app: &App, session: SessionId, section: Option<SectionId>) -> AppResult<Snapshot> {
    let now = app.clock.now();
    let mut map = app
        .store
        .seat_map(session, section, now)
        .await?
        .ok_or(AppError::NotFound("session"))?;
    let resale = app.store.resale_by_section(session, None, now).await?;
    for section in &mut map.sections {
        if let Some((_, listed, cheapest)) = resale.iter().find(|(id, _, _)| *id == section.id) {
            section.resale = ResaleAvailability {
                listed: *listed,
                from_price_cents: Some(*cheapest),
            };
        }
    }
    let json = serde_json::to_vec(&map).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(&json)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let gzipped = gzip
        .finish()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let digest = Sha256::digest(&json);
    let etag = format!(
        "\"{}\"",
        digest[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    Ok(Snapshot {
        map,
        json: json.into(),
        gzipped: gzipped.into(),
        etag,
        taken_at: Instant::now(),
    })
}
