//! Parsed maps kept between errors, within a bound on the memory they
//! hold (each map's [`ParsedMap::bytes`]): the least recently used go
//! first. A map larger than the whole bound is used and not kept. Keys
//! without a usable map are remembered too, with the reason, for a while
//! (a flood of errors from a release without maps asks the store once).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::parsed::ParsedMap;

/// Which bundle of which build.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MapKey {
    pub app: String,
    pub release: String,
    pub bundle_url: String,
}

/// What the cache knows of a key.
#[derive(Clone)]
pub enum Known {
    Map(Arc<ParsedMap>),
    /// No usable map, and why (until the entry expires).
    Missing(Arc<str>),
}

struct Entry {
    known: Known,
    bytes: usize,
    last_used: u64,
    /// Missing entries expire; maps stay until evicted or forgotten.
    expires: Option<Instant>,
}

pub struct MapCache {
    capacity: usize,
    held: usize,
    clock: u64,
    entries: HashMap<MapKey, Entry>,
}

/// What a remembered missing map costs: its key and reason.
const MISSING_BYTES: usize = 256;

impl MapCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            held: 0,
            clock: 0,
            entries: HashMap::new(),
        }
    }

    /// Bytes the kept maps hold.
    pub fn held(&self) -> usize {
        self.held
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn get(&mut self, key: &MapKey, now: Instant) -> Option<Known> {
        let expired = self
            .entries
            .get(key)
            .is_some_and(|entry| entry.expires.is_some_and(|at| at <= now));
        if expired {
            self.remove(key);
            return None;
        }
        self.clock += 1;
        let entry = self.entries.get_mut(key)?;
        entry.last_used = self.clock;
        Some(entry.known.clone())
    }

    /// Keeps a parsed map, evicting the least recently used to make room.
    pub fn keep_map(&mut self, key: MapKey, map: Arc<ParsedMap>) {
        let bytes = map.bytes();
        self.insert(key, Known::Map(map), bytes, None);
    }

    /// Remembers that `key` has no usable map, until `now + for_how_long`.
    pub fn keep_missing(&mut self, key: MapKey, reason: &str, until: Instant) {
        self.insert(
            key,
            Known::Missing(reason.into()),
            MISSING_BYTES,
            Some(until),
        );
    }

    /// Drops everything known of one release (its maps were uploaded or
    /// deleted).
    pub fn forget_release(&mut self, app: &str, release: &str) {
        let keys: Vec<MapKey> = self
            .entries
            .keys()
            .filter(|key| key.app == app && key.release == release)
            .cloned()
            .collect();
        for key in keys {
            self.remove(&key);
        }
    }

    fn insert(&mut self, key: MapKey, known: Known, bytes: usize, expires: Option<Instant>) {
        self.remove(&key);
        if bytes > self.capacity {
            return;
        }
        while self.held + bytes > self.capacity {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, entry)| entry.last_used)
                .map(|(key, _)| key.clone())
            else {
                break;
            };
            self.remove(&oldest);
        }
        self.clock += 1;
        self.held += bytes;
        self.entries.insert(
            key,
            Entry {
                known,
                bytes,
                last_used: self.clock,
                expires,
            },
        );
    }

    fn remove(&mut self, key: &MapKey) {
        if let Some(entry) = self.entries.remove(key) {
            self.held -= entry.bytes;
        }
    }
}

/// How long a missing map is remembered before the store is asked again.
pub const MISSING_FOR: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::super::parsed::tests::{BUNDLE, MAP};
    use super::*;

    fn key(release: &str, url: &str) -> MapKey {
        MapKey {
            app: "shop".into(),
            release: release.into(),
            bundle_url: url.into(),
        }
    }

    fn map() -> Arc<ParsedMap> {
        Arc::new(ParsedMap::parse(MAP.as_bytes(), BUNDLE.into()).unwrap())
    }

    #[test]
    fn the_least_recently_used_map_goes_first_and_the_bound_holds() {
        let size = map().bytes();
        let mut cache = MapCache::new(size * 2 + size / 2);
        let now = Instant::now();
        cache.keep_map(key("1", "a.js"), map());
        cache.keep_map(key("1", "b.js"), map());
        assert!(cache.get(&key("1", "a.js"), now).is_some());
        cache.keep_map(key("1", "c.js"), map());
        assert!(
            cache.get(&key("1", "b.js"), now).is_none(),
            "least recently used"
        );
        assert!(cache.get(&key("1", "a.js"), now).is_some());
        assert!(cache.get(&key("1", "c.js"), now).is_some());
        assert_eq!(cache.held(), size * 2);
        assert!(cache.held() <= size * 2 + size / 2);
    }

    #[test]
    fn a_map_larger_than_the_bound_is_not_kept() {
        let mut cache = MapCache::new(10);
        cache.keep_map(key("1", "a.js"), map());
        assert_eq!((cache.len(), cache.held()), (0, 0));
    }

    #[test]
    fn missing_maps_expire_and_releases_are_forgotten_whole() {
        let mut cache = MapCache::new(1 << 20);
        let now = Instant::now();
        cache.keep_missing(key("1", "a.js"), "no map", now + MISSING_FOR);
        assert!(matches!(
            cache.get(&key("1", "a.js"), now),
            Some(Known::Missing(reason)) if &*reason == "no map"
        ));
        assert!(cache.get(&key("1", "a.js"), now + MISSING_FOR).is_none());
        cache.keep_map(key("2", "a.js"), map());
        cache.keep_map(key("3", "a.js"), map());
        cache.forget_release("shop", "2");
        assert!(cache.get(&key("2", "a.js"), now).is_none());
        assert!(cache.get(&key("3", "a.js"), now).is_some());
        assert_eq!(cache.held(), map().bytes());
    }
}
