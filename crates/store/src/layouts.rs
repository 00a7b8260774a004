//! Seat layouts kept in memory. Seats never change once their venue is created, so a seat map
//! needs only the seats' statuses from the database, as one short string per section, instead
//! of a row per seat.

use bilheteria_domain::ids::SeatId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// One seat of a section, in the section's seat order (row, then number).
#[derive(Clone, Debug)]
pub(crate) struct LaidOutSeat {
    pub id: SeatId,
    pub row: String,
    pub number: i64,
}

pub(crate) type Layout = Arc<Vec<LaidOutSeat>>;

/// Layouts by section. Bounded: past `LIMIT` sections it starts over, which only costs a reload.
#[derive(Default)]
pub(crate) struct SeatLayouts(Mutex<HashMap<Uuid, Layout>>);

impl SeatLayouts {
    const LIMIT: usize = 4_096;

    pub fn get(&self, section: Uuid) -> Option<Layout> {
        self.0.lock().ok()?.get(&section).cloned()
    }

    pub fn put(&self, section: Uuid, layout: Layout) {
        if let Ok(mut layouts) = self.0.lock() {
            if layouts.len() >= Self::LIMIT {
                layouts.clear();
            }
            layouts.insert(section, layout);
        }
    }
}
