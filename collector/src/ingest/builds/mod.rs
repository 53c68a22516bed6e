//! Build and deploy events: `POST /v1/builds`, signed by the CI system.
//!
//! Checks run cheapest first (`handler.rs`): the feature is on (404 naming
//! `builds.webhook_secret` when no secret is configured), the timestamp
//! header is within `builds.max_clock_skew_secs` of the collector's clock
//! (401 "stale timestamp"), the body is not compressed (415) and fits
//! 64 KiB (413), the signature matches (401; `crate::signing`, the scheme
//! the alert webhook signs with), it was not accepted before (409
//! "replayed", `replay.rs`), the JSON is a valid event (400, `decode.rs`).
//! Then the event is written to ClickHouse at once and the answer (202
//! `{"id": ...}`) waits for ClickHouse to confirm: builds are few, and a
//! CI system that got 202 must be able to forget the event. ClickHouse
//! unreachable: 503 with `Retry-After`, nothing remembered, so the same
//! request may be sent again.
//!
//! Receivers do not talk to ClickHouse: the write goes through
//! [`BuildSink`], which `server` implements with the store. Settings:
//! `[builds]` (`config.rs`).

mod config;
mod decode;
mod handler;
mod replay;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::routing::post;
use axum::Router;

pub use config::BuildsConfig;

use super::receiver::handle;
use crate::model::build::Build;
use crate::telemetry::IngestStats;
use handler::BuildsReceiver;

pub const BUILDS_PATH: &str = "/v1/builds";

/// Largest body accepted: an event is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 64 << 10;

/// Where accepted events are written, synchronously. The error is the
/// store's reason, for the log and the 503's message.
pub trait BuildSink: Send + Sync + 'static {
    fn insert<'a>(
        &'a self,
        build: &'a Build,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;
}

/// `POST /v1/builds`, writing through `sink`; events older than
/// `retention_days` (`clickhouse.ttl_days`) are refused.
pub fn routes(
    config: &BuildsConfig,
    retention_days: u32,
    sink: Arc<dyn BuildSink>,
    stats: IngestStats,
) -> Router {
    Router::new()
        .route(BUILDS_PATH, post(handle::<BuildsReceiver>))
        .with_state(BuildsReceiver::new(config, retention_days, sink, stats))
}
