//! RUM: `POST /v1/rum` takes beacons from browsers (the SDK's batches,
//! one-metric beacons, web-vitals JSON), `GET /rum.js` serves the SDK that
//! sends them. A batch's spans (the page load, the page's requests) go to
//! `otel_traces` as the browser layer (`spans.rs`).
//!
//! Behind the browser edge (`ingest::edge::for_browsers`: client, limits,
//! origin, CORS, ingest key), the receiver (`handler.rs`) checks the
//! content type (415), the body size (413) and its JSON shape (400); each
//! event is then validated on its own (`decode.rs`; spans as every span
//! is, `spans.rs`) and the valid ones are queued, one queue per table. `sendBeacon` ignores the answer;
//! people debugging a page read it:
//! `{"accepted": n, "rejected": m, "errors": [...]}`.
//!
//! What is kept of a visitor is decided here, before anything is queued:
//! URLs lose their queries and fragments (`urls.rs`, but for
//! `rum.keep_query_params`), the address is cut to /24 or /48 and, like
//! the country, believed from `rum.trusted_proxies` only (`client.rs`).
//! Settings: `[rum]` (`config.rs`).

mod client;
mod config;
pub(crate) mod decode;
pub(crate) mod handler;
mod script;
mod spans;
#[cfg(test)]
mod tests;
mod urls;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;

pub use config::RumConfig;
pub use script::SCRIPT_PATH;

use super::edge::{self, AllowedOrigins, BodyLimits, BrowserGuard, TrustedProxies};
use super::otlp::SpanRules;
use super::receiver::handle;
use super::tap::Tap;
use crate::access::Access;
use crate::model::rum::{PageView, RumError, RumRecord, Vital};
use crate::model::Span;
use crate::pipeline::Queue;
use crate::telemetry::{IngestStats, Receiver};
pub(crate) use handler::RumReceiver;
use urls::QueryAllowlist;

pub const RUM_PATH: &str = "/v1/rum";

/// Where accepted events go: one queue per RUM table (spans go to the
/// span queue, [`RumParts::spans`]).
#[derive(Clone)]
pub struct RumQueues {
    pub vitals: Queue<RumRecord<Vital>>,
    pub errors: Queue<RumRecord<RumError>>,
    pub page_views: Queue<RumRecord<PageView>>,
}

/// What the RUM receiver is built from.
pub struct RumParts<'a> {
    pub config: &'a RumConfig,
    pub queues: RumQueues,
    /// The span queue (`otel_traces`), shared with OTLP.
    pub spans: Queue<Span>,
    /// What beacon spans are judged by, as OTLP's are.
    pub span_rules: SpanRules,
    /// How long events wait for room in a full queue (`ingest.queue_wait_ms`).
    pub queue_wait: Duration,
    pub access: Arc<Access>,
    pub stats: IngestStats,
    pub tap: Tap,
}

/// RUM's receiver and the browser edge it stands behind: shared with the
/// other receivers pages send to (`ingest::faro`, `ingest::browser_otlp`),
/// so every way in from a page takes the same origins, keys and limits,
/// and stores its vitals and errors the same way.
pub struct Rum {
    guard: BrowserGuard,
    receiver: RumReceiver,
    max_sdk_body_bytes: usize,
}

impl Rum {
    pub fn new(parts: RumParts<'_>) -> Self {
        let config = parts.config;
        let guard = BrowserGuard {
            access: parts.access,
            origins: Arc::new(allowed_origins(config)),
            proxies: Arc::new(trusted_proxies(config)),
            stats: parts.stats.clone(),
            receiver: Receiver::Rum,
        };
        let receiver = RumReceiver::new(handler::Settings {
            queues: parts.queues,
            spans: parts.spans,
            span_rules: parts.span_rules,
            max_events: config.max_events_per_batch,
            max_body_bytes: config.max_body_bytes,
            urls: query_allowlist(config),
            queue_wait: parts.queue_wait,
            stats: parts.stats,
            tap: parts.tap,
        });
        Self {
            guard,
            receiver,
            max_sdk_body_bytes: config.max_sdk_body_bytes,
        }
    }

    /// The RUM routes: beacons behind the browser edge; the script, a
    /// public static file, outside it.
    pub fn routes(&self) -> Router {
        let beacons = Router::new()
            .route(RUM_PATH, post(handle::<RumReceiver>))
            .with_state(self.receiver.clone());
        edge::for_browsers(beacons, self.guard.clone())
            .route(SCRIPT_PATH, get(script::serve_script))
    }

    /// `routes` behind the same browser edge as beacons, refusals counted
    /// under `receiver`.
    pub fn behind_edge(&self, routes: Router, receiver: Receiver) -> Router {
        let guard = BrowserGuard {
            receiver,
            ..self.guard.clone()
        };
        edge::for_browsers(routes, guard)
    }

    /// Where vitals and errors from other browser SDKs are stored.
    pub(crate) fn receiver(&self) -> RumReceiver {
        self.receiver.clone()
    }

    /// Largest body a browser SDK may send (`rum.max_sdk_body_bytes`).
    pub(crate) fn sdk_body_limits(&self) -> BodyLimits {
        BodyLimits::both(self.max_sdk_body_bytes)
    }
}

/// Config validation refuses bad origins before this; should one get here
/// anyway, no browser origin is allowed (fail closed).
fn allowed_origins(config: &RumConfig) -> AllowedOrigins {
    AllowedOrigins::parse(&config.allowed_origins).unwrap_or_else(|problem| {
        tracing::error!(%problem, "rum.allowed_origins is invalid; refusing every browser origin");
        AllowedOrigins::default()
    })
}

/// Validated likewise; should they be bad anyway, no proxy is trusted.
fn trusted_proxies(config: &RumConfig) -> TrustedProxies {
    TrustedProxies::parse(&config.trusted_proxies).unwrap_or_else(|problem| {
        tracing::error!(%problem, "rum.trusted_proxies is invalid; trusting no proxy");
        TrustedProxies::default()
    })
}

/// Validated likewise; should they be bad anyway, every parameter is
/// dropped.
fn query_allowlist(config: &RumConfig) -> QueryAllowlist {
    QueryAllowlist::new(&config.keep_query_params).unwrap_or_else(|problem| {
        tracing::error!(%problem, "rum.keep_query_params is invalid; keeping no parameter");
        QueryAllowlist::default()
    })
}
