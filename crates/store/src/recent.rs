//! Catalog rows that every purchase request reads (its session and the session's event), kept
//! for a moment. They change rarely, and this node forgets an entry as soon as it changes it;
//! a change made through another node is seen here within `FRESH_FOR`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

pub(crate) struct Recent<T> {
    entries: Mutex<HashMap<Uuid, (Instant, T)>>,
}

impl<T> Default for Recent<T> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> Recent<T> {
    const FRESH_FOR: Duration = Duration::from_secs(1);
    /// Past this many entries it starts over, which only costs a reload.
    const LIMIT: usize = 4_096;

    pub fn get(&self, id: Uuid) -> Option<T> {
        let entries = self.entries.lock().ok()?;
        let (read_at, value) = entries.get(&id)?;
        (read_at.elapsed() < Self::FRESH_FOR).then(|| value.clone())
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
        let recent = Recent::<String>::default();
        let id = Uuid::now_v7();
        assert_eq!(recent.get(id), None);
        recent.put(id, &"first".to_owned());
        assert_eq!(recent.get(id).as_deref(), Some("first"));
        recent.forget(id);
        assert_eq!(recent.get(id), None);
    }
}
