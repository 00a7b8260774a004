//! What the store keeps in memory, each entry for as long as it stays true:
//! - seat layouts (id, row, number in seat order) per section, for good: seats never change once
//!   their venue is created, so a seat map reads only its seats' statuses from the database, as
//!   one short string per section instead of a row per seat;
//! - sessions and events, for one second: every seat map and hold of an on-sale reads them. This
//!   node forgets an entry as soon as it changes it; a change made through another node shows
//!   here within that second.

use bilheteria_domain::catalog::{Event, EventSession};
use bilheteria_domain::ids::SeatId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// One seat of a section, in the section's seat order (row, then number).
#[derive(Clone, Debug)]
pub(crate) struct LaidOutSeat {
    pub id: SeatId,
    pub row: String,
    pub number: i64,
}

pub(crate) type Layout = Arc<Vec<LaidOutSeat>>;

pub(crate) struct Kept {
    pub layouts: Recent<Layout>,
    pub sessions: Recent<EventSession>,
    pub events: Recent<Event>,
}

impl Default for Kept {
    fn default() -> Self {
        let catalog_rows = Duration::from_secs(1);
        Self {
            layouts: Recent::fresh_for(Duration::MAX),
            sessions: Recent::fresh_for(catalog_rows),
            events: Recent::fresh_for(catalog_rows),
        }
    }
}

/// Values by id, served while younger than `fresh_for`.
pub(crate) struct Recent<T> {
    entries: Mutex<HashMap<Uuid, (Instant, T)>>,
    fresh_for: Duration,
}

impl<T: Clone> Recent<T> {
    /// Past this many entries it starts over, which only costs a reload.
    const LIMIT: usize = 4_096;

    pub fn fresh_for(fresh_for: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            fresh_for,
        }
    }

    pub fn get(&self, id: Uuid) -> Option<T> {
        let entries = self.entries.lock().ok()?;
        let (read_at, value) = entries.get(&id)?;
        (read_at.elapsed() < self.fresh_for).then(|| value.clone())
    }

    pub fn put(&self, id: Uuid, value: &T) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= Self::LIMIT {
                entries.clear();
            }
            entries.insert(id, (Instant::now(), value.clone()));
        }
    }

    pub fn forget(&self, id: Uuid) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_served_until_forgotten() {
        let recent = Recent::<String>::fresh_for(Duration::from_secs(60));
        let id = Uuid::now_v7();
        assert_eq!(recent.get(id), None);
        recent.put(id, &"first".to_owned());
        assert_eq!(recent.get(id).as_deref(), Some("first"));
        recent.forget(id);
        assert_eq!(recent.get(id), None);
    }
}
