//! What the store keeps in memory, each entry for as long as it stays true:
//! - seat layouts (id, row, number in seat order, and the seats' places in id order) per
//!   section, for good: a section's seats never change (a venue's seat map changed before its
//!   first sale gets sections with new ids), so a seat map reads only its seats' statuses from
//!   the database, as one short string per section in id order instead of a row per seat, and
//!   without reading the seats table;
//! - venues, sessions and events, for one second: every page of a session shows its venue, and
//!   every seat map and hold of an on-sale reads them (a venue may be renamed, and its seat map
//!   changed until its first sale);
//! - login sessions with their user, for one second: every request of a buyer authenticates,
//!   and a purchase is four requests within about a second.
//!
//! This node forgets an entry as soon as it changes it (a logout, a replaced login, a change of
//! roles); a change made through another node shows here within that second. A read that raced
//! with such a change is not kept (see `Cache::stamp`).

use bilheteria_domain::account::{LoginSession, User};
use bilheteria_domain::catalog::{Event, EventSession, Venue};
use bilheteria_domain::ids::SeatId;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// One seat of a section, in the section's seat order (row, then number).
#[derive(Clone, Debug)]
pub(crate) struct LaidOutSeat {
    pub id: SeatId,
    pub row: String,
    pub number: i64,
    /// Its place in its row from the left, gaps counted.
    pub position: i64,
    pub accessibility: Option<bilheteria_domain::seating::Accessibility>,
}

/// A section's seats in seat order, and where each stands in the order of their ids (the order
/// in which the database lists their statuses without reading the seats table).
#[derive(Debug)]
pub(crate) struct SectionSeats {
    pub seats: Vec<LaidOutSeat>,
    pub by_id: Vec<usize>,
}

impl SectionSeats {
    pub fn new(seats: Vec<LaidOutSeat>) -> Self {
        let mut by_id: Vec<usize> = (0..seats.len()).collect();
        by_id.sort_unstable_by_key(|&at| seats[at].id.0);
        Self { seats, by_id }
    }

    /// Status letters listed in id order, rearranged into seat order.
    pub fn in_seat_order(&self, letters_by_id: &[u8]) -> Option<Vec<u8>> {
        if letters_by_id.len() != self.seats.len() {
            return None;
        }
        let mut letters = vec![0; self.seats.len()];
        for (&at, &letter) in self.by_id.iter().zip(letters_by_id) {
            letters[at] = letter;
        }
        Some(letters)
    }
}

pub(crate) type Layout = Arc<SectionSeats>;

pub(crate) struct Caches {
    pub layouts: Cache<Layout>,
    pub venues: Cache<Venue>,
    pub sessions: Cache<EventSession>,
    pub events: Cache<Event>,
    /// A login session and its user, by the SHA-256 of the session's token.
    pub logins: Cache<(LoginSession, User), Vec<u8>>,
}

impl Default for Caches {
    fn default() -> Self {
        let second = Duration::from_secs(1);
        Self {
            layouts: Cache::new(Duration::MAX, 4_096),
            venues: Cache::new(second, 4_096),
            sessions: Cache::new(second, 4_096),
            events: Cache::new(second, 4_096),
            // One per buyer active in the last second: a big on-sale's worth.
            logins: Cache::new(second, 100_000),
        }
    }
}

/// Values by key, served while younger than `fresh_for`.
pub(crate) struct Cache<T, K = Uuid> {
    entries: Mutex<Entries<K, T>>,
    fresh_for: Duration,
    /// Past this many entries it starts over, which only costs reloads.
    limit: usize,
}

struct Entries<K, T> {
    map: HashMap<K, (Instant, T)>,
    /// Counts forgets, so that a value read before a change is not kept after it.
    changes: u64,
}

/// Where a read from the database started, for `Cache::put`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stamp(u64);

impl<T: Clone, K: Hash + Eq> Cache<T, K> {
    pub fn new(fresh_for: Duration, limit: usize) -> Self {
        Self {
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                changes: 0,
            }),
            fresh_for,
            limit,
        }
    }

    /// The kept value, or the stamp to put the one about to be read with.
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Result<T, Stamp>
    where
        K: Borrow<Q>,
    {
        let Ok(entries) = self.entries.lock() else {
            return Err(Stamp(u64::MAX));
        };
        match entries.map.get(key) {
            Some((read_at, value)) if read_at.elapsed() < self.fresh_for => Ok(value.clone()),
            _ => Err(Stamp(entries.changes)),
        }
    }

    /// Keeps a value read after `stamp`, unless something was forgotten since: that read may
    /// have seen the state from before the change.
    pub fn put(&self, stamp: Stamp, key: K, value: &T) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.changes != stamp.0 {
                return;
            }
            if entries.map.len() >= self.limit {
                entries.map.clear();
            }
            entries.map.insert(key, (Instant::now(), value.clone()));
        }
    }

    /// Called after the change is committed.
    pub fn forget<Q: Hash + Eq + ?Sized>(&self, key: &Q)
    where
        K: Borrow<Q>,
    {
        if let Ok(mut entries) = self.entries.lock() {
            entries.changes += 1;
            entries.map.remove(key);
        }
    }

    pub fn forget_all(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.changes += 1;
            entries.map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_in_id_order_land_on_their_seats() {
        let seat = |number: i64| LaidOutSeat {
            id: SeatId(Uuid::now_v7()),
            row: "A".into(),
            number,
            position: number - 1,
            accessibility: None,
        };
        // Seat order is not id order: the third seat was created first.
        let (third, first, second) = (seat(3), seat(1), seat(2));
        let ids = [third.id, first.id, second.id];
        let layout = SectionSeats::new(vec![first, second, third]);
        assert!(ids.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert_eq!(layout.in_seat_order(b"s"), None, "one letter per seat");
        // By id: third sold, first held, second available.
        assert_eq!(layout.in_seat_order(b"sha").unwrap(), b"has".to_vec());
    }

    #[test]
    fn an_entry_is_served_until_forgotten() {
        let recent = Cache::<String>::new(Duration::from_secs(60), 10);
        let id = Uuid::now_v7();
        let stamp = recent.get(&id).unwrap_err();
        recent.put(stamp, id, &"first".to_owned());
        assert_eq!(recent.get(&id).ok().as_deref(), Some("first"));
        recent.forget(&id);
        assert!(recent.get(&id).is_err());
    }

    #[test]
    fn a_read_that_raced_with_a_change_is_not_kept() {
        let recent = Cache::<String>::new(Duration::from_secs(60), 10);
        let (changed, other) = (Uuid::now_v7(), Uuid::now_v7());
        let stamp = recent.get(&other).unwrap_err();
        // The change commits and is forgotten while the read of `other` is in flight.
        recent.forget(&changed);
        recent.put(stamp, other, &"maybe stale".to_owned());
        assert!(recent.get(&other).is_err());
        let stamp = recent.get(&other).unwrap_err();
        recent.put(stamp, other, &"fresh".to_owned());
        assert_eq!(recent.get(&other).ok().as_deref(), Some("fresh"));
    }

    #[test]
    fn entries_age_out_and_the_limit_starts_over() {
        let recent = Cache::<u32>::new(Duration::ZERO, 10);
        let id = Uuid::now_v7();
        recent.put(recent.get(&id).unwrap_err(), id, &1);
        assert!(recent.get(&id).is_err(), "older than fresh_for");
        let recent = Cache::<u32>::new(Duration::from_secs(60), 2);
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        for (n, id) in ids.iter().enumerate() {
            recent.put(recent.get(id).unwrap_err(), *id, &(n as u32));
        }
        assert!(recent.get(&ids[0]).is_err() && recent.get(&ids[1]).is_err());
        assert_eq!(recent.get(&ids[2]).ok(), Some(2));
    }
}
