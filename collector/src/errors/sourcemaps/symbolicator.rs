//! Symbolication of browser errors: each frame of the page's own code is
//! resolved through the map of its bundle for the page's app and release
//! (stored by upload, or fetched where allowed), parsed once and kept in
//! the [`MapCache`]. A frame no map resolves stays as sent, with a note
//! saying why; the error is then grouped by its resolved frames.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::cache::{Known, MapCache, MapKey, MISSING_FOR};
use super::fetch::Fetcher;
use super::parsed::ParsedMap;
use crate::model::error::{is_page_code, Frame};
use crate::model::rum::RumError;
use crate::store::queries::{Queries, StoredSourceMap};

/// How long a failed read of the store is remembered: shorter than a
/// missing map, since it is the store's trouble, not the release's.
const STORE_TROUBLE_FOR: Duration = Duration::from_secs(5);

/// Where stored maps come from: the store, or (in tests and benchmarks)
/// memory. The newest row of the first of `urls` that has one.
pub trait MapStore: Send + Sync + 'static {
    fn load<'a>(
        &'a self,
        app: &'a str,
        release: &'a str,
        urls: &'a [String],
    ) -> Pin<Box<dyn Future<Output = Result<Option<StoredSourceMap>, String>> + Send + 'a>>;
}

/// Maps from `sourcemaps`, through the read side of the store.
impl MapStore for Queries {
    fn load<'a>(
        &'a self,
        app: &'a str,
        release: &'a str,
        urls: &'a [String],
    ) -> Pin<Box<dyn Future<Output = Result<Option<StoredSourceMap>, String>> + Send + 'a>> {
        Box::pin(async move {
            self.source_map(app, release, urls)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

pub struct Symbolicator {
    cache: Mutex<MapCache>,
    store: Arc<dyn MapStore>,
    fetcher: Option<Fetcher>,
}

impl Symbolicator {
    pub fn new(store: Arc<dyn MapStore>, cache_bytes: usize, fetcher: Option<Fetcher>) -> Self {
        Self {
            cache: Mutex::new(MapCache::new(cache_bytes)),
            store,
            fetcher,
        }
    }

    /// Bytes the cached maps hold, and how many entries there are.
    pub fn cache_size(&self) -> (usize, usize) {
        let cache = self.cache();
        (cache.held(), cache.len())
    }

    /// Forgets what is known of a release, after its maps changed.
    pub fn forget(&self, app: &str, release: &str) {
        self.cache().forget_release(app, release);
    }

    /// Resolves `error`'s frames for the page's `app` and `release`, and
    /// groups it by them.
    pub async fn symbolicate(&self, app: &str, release: &str, error: &mut RumError) {
        let page_frames = error.stack.iter().filter(|f| is_page_code(&f.file)).count();
        if page_frames == 0 {
            return;
        }
        let mut maps: HashMap<String, Known> = HashMap::new();
        let mut frames = Vec::with_capacity(error.stack.len());
        let mut resolved = 0;
        let mut first_reason = None;
        for raw in &error.stack {
            if !is_page_code(&raw.file) {
                frames.push(Frame::as_sent(raw));
                continue;
            }
            let url = bundle_url(&raw.file);
            let known = match maps.get(url) {
                Some(known) => known.clone(),
                None => {
                    let known = self.map_for(app, release, url).await;
                    maps.insert(url.to_owned(), known.clone());
                    known
                }
            };
            let outcome = match &known {
                Known::Map(map) => map.resolve(raw),
                Known::Missing(reason) => Err(reason.to_string()),
            };
            frames.push(match outcome {
                Ok(frame) => {
                    resolved += 1;
                    frame
                }
                Err(reason) => {
                    first_reason.get_or_insert_with(|| reason.clone());
                    Frame {
                        note: reason,
                        ..Frame::as_sent(raw)
                    }
                }
            });
        }
        let summary = match (resolved, first_reason) {
            (_, None) => "symbolicated".to_owned(),
            (0, Some(reason)) => reason,
            (n, Some(_)) => format!("symbolicated {n} of {page_frames} frames"),
        };
        error.resolved(frames, summary);
    }

    async fn map_for(&self, app: &str, release: &str, url: &str) -> Known {
        if release.is_empty() {
            return Known::Missing("the page sent no release: maps are kept per release".into());
        }
        let key = MapKey {
            app: app.to_owned(),
            release: release.to_owned(),
            bundle_url: url.to_owned(),
        };
        let now = Instant::now();
        if let Some(known) = self.cache().get(&key, now) {
            return known;
        }
        let (known, for_how_long) = match self.load(&key).await {
            Ok(map) => (Known::Map(Arc::new(map)), None),
            Err(Trouble::Map(reason)) => (Known::Missing(reason.into()), Some(MISSING_FOR)),
            Err(Trouble::Store(reason)) => (Known::Missing(reason.into()), Some(STORE_TROUBLE_FOR)),
        };
        let mut cache = self.cache();
        match (&known, for_how_long) {
            (Known::Map(map), _) => cache.keep_map(key, Arc::clone(map)),
            (Known::Missing(reason), Some(duration)) => {
                cache.keep_missing(key, reason, now + duration)
            }
            (Known::Missing(_), None) => {}
        }
        known
    }

    /// The map of `key`: stored, else fetched where allowed.
    async fn load(&self, key: &MapKey) -> Result<ParsedMap, Trouble> {
        let MapKey {
            app,
            release,
            bundle_url,
        } = key;
        let urls = [bundle_url.clone(), any_host(bundle_url)];
        let stored = self
            .store
            .load(app, release, &urls)
            .await
            .map_err(|e| Trouble::Store(format!("source maps could not be read: {e}")))?;
        match stored {
            Some(stored) if !stored.deleted => {
                // Parsing a large map takes milliseconds: off the async workers.
                let parsed = tokio::task::spawn_blocking(move || {
                    ParsedMap::parse(stored.map.as_bytes(), stored.bundle)
                })
                .await
                .map_err(|e| Trouble::Store(format!("parsing stopped: {e}")))?;
                parsed.map_err(|e| {
                    tracing::warn!(%app, %release, url = %bundle_url, error = %e, "a stored source map is broken");
                    Trouble::Map(format!(
                        "the source map of {bundle_url} for release {release} is broken: {e}"
                    ))
                })
            }
            _ => match &self.fetcher {
                Some(fetcher) if fetcher.allows(bundle_url) => {
                    fetcher.fetch(bundle_url).await.map_err(Trouble::Map)
                }
                _ => Err(Trouble::Map(format!(
                    "no source map uploaded for release {release} of {bundle_url}"
                ))),
            },
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, MapCache> {
        // A panic while holding the lock left a consistent cache: keep it.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

enum Trouble {
    /// No usable map for the key.
    Map(String),
    /// The store could not be asked.
    Store(String),
}

/// A frame's file as a bundle URL: without query or fragment.
pub fn bundle_url(file: &str) -> &str {
    file.split(['?', '#']).next().unwrap_or(file)
}

/// `~/path`: the key of a map uploaded for any host (`--url-prefix ~/…`).
pub fn any_host(url: &str) -> String {
    let path = match url.find("://") {
        Some(at) => url[at + 3..]
            .find('/')
            .map_or("/", |slash| &url[at + 3 + slash..]),
        None => url,
    };
    format!("~{path}")
}

#[cfg(test)]
mod tests {
    use super::super::parsed::tests::{BUNDLE, MAP};
    use super::*;
    use crate::model::rum::StackFrame;

    /// Maps in memory, counting the loads.
    #[derive(Default)]
    pub(crate) struct Memory {
        maps: HashMap<(String, String, String), StoredSourceMap>,
        loads: Mutex<usize>,
    }

    impl MapStore for Memory {
        fn load<'a>(
            &'a self,
            app: &'a str,
            release: &'a str,
            urls: &'a [String],
        ) -> Pin<Box<dyn Future<Output = Result<Option<StoredSourceMap>, String>> + Send + 'a>>
        {
            *self.loads.lock().unwrap() += 1;
            let found = urls.iter().find_map(|url| {
                self.maps
                    .get(&(app.to_owned(), release.to_owned(), url.clone()))
                    .cloned()
            });
            Box::pin(async move { Ok(found) })
        }
    }

    fn stored(url: &str, map: &str) -> StoredSourceMap {
        StoredSourceMap {
            bundle_url: url.into(),
            map: map.into(),
            bundle: BUNDLE.into(),
            deleted: false,
        }
    }

    fn error(file: &str) -> RumError {
        let frame = |function: &str, column| StackFrame {
            file: file.into(),
            function: function.into(),
            line: 1,
            column,
        };
        RumError::new(
            "x1".into(),
            "Error".into(),
            vec![frame("r", 21), frame("HTMLButtonElement.n", 57)],
            1,
        )
    }

    fn symbolicator(maps: &[(&str, StoredSourceMap)]) -> (Arc<Memory>, Symbolicator) {
        let mut memory = Memory::default();
        for (release, map) in maps {
            let key = (
                "shop".to_owned(),
                release.to_string(),
                map.bundle_url.clone(),
            );
            memory.maps.insert(key, map.clone());
        }
        let memory = Arc::new(memory);
        let symbolicator = Symbolicator::new(memory.clone(), 1 << 20, None);
        (memory, symbolicator)
    }

    #[tokio::test]
    async fn frames_are_symbolicated_and_grouped_by_the_original_code() {
        let url = "https://shop.test/assets/app.js";
        let (memory, symbolicator) = symbolicator(&[("1.0", stored(url, MAP))]);
        let mut first = error(&format!("{url}?v=3"));
        let minified_fingerprint = first.fingerprint;
        symbolicator.symbolicate("shop", "1.0", &mut first).await;
        assert_eq!(first.symbolication, "symbolicated");
        assert_eq!(first.frames[0].function, "checkTotal");
        assert_eq!(first.frames[1].function, "submitOrder");
        assert_ne!(first.fingerprint, minified_fingerprint);
        // The second error is served from the cache: one load in all.
        let mut second = error(url);
        symbolicator.symbolicate("shop", "1.0", &mut second).await;
        assert_eq!(second.fingerprint, first.fingerprint);
        assert_eq!(*memory.loads.lock().unwrap(), 1);
    }

    #[tokio::test]
    async fn a_map_for_any_host_serves_every_host() {
        let (_, symbolicator) = symbolicator(&[("1.0", stored("~/assets/app.js", MAP))]);
        let mut error = error("https://cdn.shop.test/assets/app.js");
        symbolicator.symbolicate("shop", "1.0", &mut error).await;
        assert_eq!(error.frames[0].file, "src/cart.ts");
    }

    #[tokio::test]
    async fn missing_and_broken_maps_leave_the_frames_as_sent_and_say_why() {
        let url = "https://shop.test/assets/app.js";
        let (memory, symbolicator) = symbolicator(&[("2.0", stored(url, "{broken"))]);
        let mut unknown = error(url);
        let sent = unknown.fingerprint;
        symbolicator.symbolicate("shop", "1.0", &mut unknown).await;
        assert_eq!(
            unknown.symbolication,
            "no source map uploaded for release 1.0 of https://shop.test/assets/app.js"
        );
        assert_eq!(unknown.frames[0].function, "r");
        assert_eq!(unknown.frames[0].note, unknown.symbolication);
        assert_eq!(unknown.fingerprint, sent, "grouped as before");
        let mut broken = error(url);
        symbolicator.symbolicate("shop", "2.0", &mut broken).await;
        assert!(
            broken.symbolication.contains("is broken: not a source map"),
            "{}",
            broken.symbolication
        );
        // Both are remembered: no second load for either.
        symbolicator
            .symbolicate("shop", "2.0", &mut error(url))
            .await;
        symbolicator
            .symbolicate("shop", "1.0", &mut error(url))
            .await;
        assert_eq!(*memory.loads.lock().unwrap(), 2);
        let mut no_release = error(url);
        symbolicator.symbolicate("shop", "", &mut no_release).await;
        assert!(no_release.symbolication.contains("no release"));
    }

    #[test]
    fn bundle_urls_lose_queries_and_any_host_keeps_the_path() {
        assert_eq!(
            bundle_url("https://x.test/a.js?v=1#z"),
            "https://x.test/a.js"
        );
        assert_eq!(any_host("https://x.test/assets/a.js"), "~/assets/a.js");
        assert_eq!(any_host("https://x.test"), "~/");
    }
}
