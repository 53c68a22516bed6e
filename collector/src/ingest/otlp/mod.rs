//! The OTLP receiver: `POST /v1/traces` over OTLP/HTTP (protobuf or JSON,
//! gzip) and `TraceService/Export` over OTLP/gRPC, answered as the OTLP
//! specification says (partial success naming why records were rejected).
//!
//! Files: `handler.rs` (OTLP/HTTP, as every receiver: `ingest::receiver`),
//! `decode.rs` (which decoder a body goes to), `tests.rs` (the transport's
//! answers),
//! `grpc.rs` (OTLP/gRPC: a tonic service per signal), `signal.rs` (what a
//! signal brings: paths, decoders, acceptance, answer); the signals,
//! `traces/` (its protobuf and JSON decoders and their one judgement);
//! what every signal's decoders share, `protobuf/` and `json/`. Settings:
//! `[ingest]` (`ingest::config`) and `[span_limits]`.

mod decode;
mod grpc;
mod handler;
pub mod json;
pub mod protobuf;
mod signal;
#[cfg(test)]
mod tests;
pub mod traces;

use std::sync::Arc;

use axum::routing::post;
use axum::Router;

pub use grpc::{service, OtlpCodes, SignalService};
pub use handler::OtlpHttp;
pub use signal::{Accepted, Signal};
pub use traces::{SpanRules, Traces};

use super::receiver::handle;
use super::tap::Tap;
use super::IngestConfig;
use crate::clock::now_nanos;
use crate::model::{LayerRules, Span, TimeWindow};
use crate::pipeline::Queue;
use crate::telemetry::IngestStats;

/// What the OTLP receiver shares over both transports and every signal.
/// A cheap clone.
#[derive(Clone)]
pub struct Otlp {
    shared: Arc<OtlpParts>,
}

/// What an [`Otlp`] is built from.
pub struct OtlpParts {
    pub spans: Queue<Span>,
    pub layers: LayerRules,
    pub config: IngestConfig,
    /// How much of a span is stored, and how old or new it may be.
    pub span_rules: SpanRules,
    pub stats: IngestStats,
    pub tap: Tap,
}

impl Otlp {
    pub fn new(parts: OtlpParts) -> Self {
        Self {
            shared: Arc::new(parts),
        }
    }

    pub fn config(&self) -> &IngestConfig {
        &self.shared.config
    }

    pub fn stats(&self) -> &IngestStats {
        &self.shared.stats
    }

    /// The record times storable now.
    fn time_window(&self) -> TimeWindow {
        self.shared.span_rules.window(now_nanos())
    }
}

/// OTLP/HTTP's routes (`POST /v1/traces`).
pub fn routes(otlp: Otlp) -> Router {
    Router::new()
        .route(Traces::HTTP_PATH, post(handle::<OtlpHttp<Traces>>))
        .with_state(OtlpHttp::<Traces>::new(otlp))
}
