//! The OTLP receiver: `POST /v1/traces`, `/v1/logs` and `/v1/metrics` over
//! OTLP/HTTP (protobuf or JSON, gzip), `TraceService/Export`,
//! `LogsService/Export` and `MetricsService/Export` over OTLP/gRPC,
//! answered as the OTLP specification says (partial success naming why
//! records were rejected).
//!
//! Files: `handler.rs` (OTLP/HTTP, as every receiver: `ingest::receiver`),
//! `decode.rs` (which decoder a body goes to), `tests.rs` (the transport's
//! answers),
//! `grpc.rs` (OTLP/gRPC: a tonic service per signal), `signal.rs` (what a
//! signal brings: paths, decoders, acceptance, answer); the signals,
//! `traces/`, `logs/` and `metrics/` (each its protobuf and JSON decoders
//! and their one judgement); what every signal's decoders share,
//! `protobuf/`, `json/` and `resource.rs`. Settings: `[ingest]`
//! (`ingest::config`) and `[span_limits]`.

mod decode;
mod grpc;
mod handler;
pub mod json;
pub mod logs;
pub mod metrics;
pub mod protobuf;
mod resource;
mod signal;
#[cfg(test)]
mod tests;
pub mod traces;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::post;
use axum::Router;

pub use grpc::{service, OtlpCodes, SignalService};
pub use handler::OtlpHttp;
pub use logs::Logs;
pub use metrics::{MetricQueues, Metrics};
pub(crate) use resource::resource_from;
pub use signal::{Accepted, Signal};
pub use traces::{SpanRules, Traces};

use super::receiver::handle;
use super::tap::Tap;
use super::IngestConfig;
use crate::clock::now_nanos;
use crate::model::{LayerRules, LogRecord, Span, TimeWindow};
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
    pub logs: Queue<LogRecord>,
    pub metric_points: MetricQueues,
    pub layers: LayerRules,
    pub config: IngestConfig,
    /// How much of a span (and of a log record) is stored, and how old or
    /// new a span may be.
    pub span_rules: SpanRules,
    /// How old a log record may be: the logs' retention.
    pub logs_max_age: Duration,
    /// How old a metric point may be: the metric tables' retention.
    pub metrics_max_age: Duration,
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

    /// The span times storable now.
    fn time_window(&self) -> TimeWindow {
        self.shared.span_rules.window(now_nanos())
    }

    /// The log record times storable now: as spans, reaching back the logs'
    /// retention.
    fn log_time_window(&self) -> TimeWindow {
        let rules = &self.shared.span_rules;
        rules.window_reaching_back(now_nanos(), self.shared.logs_max_age)
    }

    /// The metric point times storable now: as spans, reaching back the
    /// metric tables' retention.
    fn metric_time_window(&self) -> TimeWindow {
        let rules = &self.shared.span_rules;
        rules.window_reaching_back(now_nanos(), self.shared.metrics_max_age)
    }
}

/// OTLP/HTTP's routes (`POST /v1/traces`, `/v1/logs`, `/v1/metrics`).
pub fn routes(otlp: Otlp) -> Router {
    Router::new()
        .route(Traces::HTTP_PATH, post(handle::<OtlpHttp<Traces>>))
        .with_state(OtlpHttp::<Traces>::new(otlp.clone()))
        .merge(
            Router::new()
                .route(Logs::HTTP_PATH, post(handle::<OtlpHttp<Logs>>))
                .with_state(OtlpHttp::<Logs>::new(otlp.clone())),
        )
        .merge(
            Router::new()
                .route(Metrics::HTTP_PATH, post(handle::<OtlpHttp<Metrics>>))
                .with_state(OtlpHttp::<Metrics>::new(otlp)),
        )
}
