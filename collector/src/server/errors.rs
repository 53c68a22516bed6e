//! The error tracker's part of the wiring: the symbolicator (the store's
//! maps, a cache within `sourcemaps.cache_mb`, fetching where
//! `sourcemaps.fetch_origins` allows) and what the API writes decisions
//! and maps with.

use std::sync::Arc;
use std::time::Duration;

use crate::api::ErrorWrites;
use crate::config::Config;
use crate::errors::sourcemaps::{Fetcher, Symbolicator};
use crate::store::client::Connection;
use crate::store::queries::Queries;
use crate::store::writer::InsertTarget;

/// The longest an upload's INSERT may take to send and be answered: its
/// sender waits, and a map may be tens of MiB.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(60);

pub(super) fn symbolicator(config: &Config, queries: &Queries) -> Arc<Symbolicator> {
    let maps = &config.sourcemaps;
    let fetcher = Fetcher::new(
        &maps.fetch_origins,
        Duration::from_millis(maps.fetch_timeout_ms),
        maps.max_map_bytes(),
    );
    Arc::new(Symbolicator::new(
        Arc::new(queries.clone()),
        maps.cache_bytes(),
        fetcher,
    ))
}

pub(super) fn writes(
    config: &Config,
    connection: &Connection,
    symbolicator: Arc<Symbolicator>,
) -> ErrorWrites {
    ErrorWrites {
        target: InsertTarget {
            client: connection.client(),
            send_timeout: UPLOAD_TIMEOUT,
            response_timeout: UPLOAD_TIMEOUT,
        },
        symbolicator: Some(symbolicator),
        max_map_bytes: config.sourcemaps.max_map_bytes(),
        keep_releases: config.sourcemaps.keep_releases,
    }
}
