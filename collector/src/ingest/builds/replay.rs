//! Which signatures were accepted recently, so a captured request sent
//! again within the clock-skew tolerance is refused (409). Past the
//! tolerance its timestamp is stale and refused anyway, so an entry is
//! forgotten then: memory stays bounded by the requests of one tolerance
//! window, and by a hard cap beyond which new requests are told to retry.
//!
//! A signature is reserved while its request is being stored and kept
//! only once ClickHouse confirmed it: a request that failed (ClickHouse
//! down, a bad body) may be sent again unchanged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Signatures remembered at most. Builds are low volume: this is 33 a
/// second for five minutes.
pub const DEFAULT_CAPACITY: usize = 10_000;

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Accepted before, or being stored right now.
    Replayed,
    /// The memory is full of signatures that have not expired yet.
    Full,
}

pub struct ReplayGuard {
    /// Signature → Unix second after which it is forgotten.
    seen: Mutex<HashMap<String, i64>>,
    capacity: usize,
}

impl ReplayGuard {
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            seen: Mutex::new(HashMap::new()),
            capacity,
        })
    }

    /// Reserves `signature` until `expires_at_secs`; dropping the
    /// reservation without [`Reservation::keep`] forgets it again.
    pub fn reserve(
        self: &Arc<Self>,
        signature: &str,
        expires_at_secs: i64,
        now_secs: i64,
    ) -> Result<Reservation, Refusal> {
        let mut seen = self.lock();
        if seen.get(signature).is_some_and(|&until| until >= now_secs) {
            return Err(Refusal::Replayed);
        }
        if seen.len() >= self.capacity {
            seen.retain(|_, until| *until >= now_secs);
            if seen.len() >= self.capacity {
                return Err(Refusal::Full);
            }
        }
        seen.insert(signature.to_owned(), expires_at_secs);
        Ok(Reservation {
            guard: Arc::clone(self),
            signature: Some(signature.to_owned()),
        })
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }

    /// A panic elsewhere while holding the lock leaves a map that is still
    /// consistent (every change is one insert or remove), so it is used.
    fn lock(&self) -> MutexGuard<'_, HashMap<String, i64>> {
        self.seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A signature held for one request.
pub struct Reservation {
    guard: Arc<ReplayGuard>,
    signature: Option<String>,
}

impl Reservation {
    /// The request was stored: remember its signature until it expires.
    pub fn keep(mut self) {
        self.signature = None;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(signature) = self.signature.take() {
            self.guard.lock().remove(&signature);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_signature_is_refused_until_it_expires() {
        let guard = ReplayGuard::new(10);
        guard.reserve("a", 1_300, 1_000).expect("first").keep();
        assert_eq!(
            guard.reserve("a", 1_300, 1_100).err(),
            Some(Refusal::Replayed)
        );
        // Past its expiry the timestamp check refuses it; the memory may
        // take it again.
        assert!(guard.reserve("a", 1_700, 1_301).is_ok());
    }

    #[test]
    fn a_failed_request_releases_its_signature() {
        let guard = ReplayGuard::new(10);
        let pending = guard.reserve("a", 1_300, 1_000).expect("first");
        // The same request while the first is being stored.
        assert_eq!(
            guard.reserve("a", 1_300, 1_000).err(),
            Some(Refusal::Replayed)
        );
        drop(pending);
        assert_eq!(guard.len(), 0);
        assert!(guard.reserve("a", 1_300, 1_000).is_ok());
    }

    #[test]
    fn memory_is_bounded_and_expired_entries_make_room() {
        let guard = ReplayGuard::new(2);
        guard.reserve("a", 1_010, 1_000).expect("a").keep();
        guard.reserve("b", 1_300, 1_000).expect("b").keep();
        assert_eq!(guard.reserve("c", 1_300, 1_005).err(), Some(Refusal::Full));
        guard.reserve("c", 1_300, 1_020).expect("a expired").keep();
        assert_eq!(guard.len(), 2);
    }
}
