//! The OTLP receiver: `POST /v1/traces` and `/v1/metrics` over OTLP/HTTP
//! (protobuf or JSON, gzip) and `TraceService/Export` and
//! `MetricsService/Export` over OTLP/gRPC, answered as the OTLP
//! specification says (partial success naming why records were rejected).
//!
//! Files: `handler.rs` (OTLP/HTTP, as every receiver: `ingest::receiver`),
//! `grpc.rs` (OTLP/gRPC: a tonic service per signal), `signal.rs` (what a
//! signal brings: paths, decoders, acceptance, answer); the signals,
//! `traces/` and `metrics/` (each its protobuf and JSON decoders and their
//! one judgement);
//! what every signal's decoders share, `protobuf/` and `json/`. Settings:
//! `[ingest]` (`ingest::config`) and `[span_limits]`.

mod grpc;
mod handler;
pub mod json;
pub mod metrics;
pub mod protobuf;
mod signal;
pub mod traces;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::post;
use axum::Router;

pub use grpc::{service, OtlpCodes, SignalService};
pub use handler::OtlpHttp;
pub use metrics::{MetricQueues, Metrics};
pub use signal::{Accepted, Signal};
pub use traces::Traces;

use super::receiver::handle;
use super::tap::Tap;
use super::IngestConfig;
use crate::clock::now_nanos;
use crate::model::{LayerRules, Span, SpanLimits, TimeWindow};
use crate::pipeline::Queue;
use crate::telemetry::IngestStats;

/// What the OTLP receiver shares over both transports and every signal.
/// A cheap clone.
#[derive(Clone)]
pub struct Otlp {
    shared: Arc<Shared>,
}

/// What an [`Otlp`] is built from.
pub struct OtlpParts {
    pub spans: Queue<Span>,
    pub metric_points: MetricQueues,
    pub layers: LayerRules,
    pub config: IngestConfig,
    pub span_limits: SpanLimits,
    /// How old a record may be: the storage retention unless configured.
    pub max_age: Duration,
    /// How old a metric point may be: the metric tables' retention.
    pub metric_max_age: Duration,
    pub stats: IngestStats,
    pub tap: Tap,
}

struct Shared {
    spans: Queue<Span>,
    metric_points: MetricQueues,
    layers: LayerRules,
    config: IngestConfig,
    span_limits: SpanLimits,
    max_age: Duration,
    metric_max_age: Duration,
    stats: IngestStats,
    tap: Tap,
}

impl Otlp {
    pub fn new(parts: OtlpParts) -> Self {
        let OtlpParts {
            spans,
            metric_points,
            layers,
            config,
            span_limits,
            max_age,
            metric_max_age,
            stats,
            tap,
        } = parts;
        Self {
            shared: Arc::new(Shared {
                spans,
                metric_points,
                layers,
                config,
                span_limits,
                max_age,
                metric_max_age,
                stats,
                tap,
            }),
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
        self.window_back_to(self.shared.max_age)
    }

    /// The metric point times storable now.
    fn metric_time_window(&self) -> TimeWindow {
        self.window_back_to(self.shared.metric_max_age)
    }

    fn window_back_to(&self, max_age: Duration) -> TimeWindow {
        let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        TimeWindow::around(
            now_nanos(),
            nanos(max_age),
            nanos(Duration::from_secs(self.shared.config.max_span_ahead_secs)),
        )
    }
}

/// OTLP/HTTP's routes (`POST /v1/traces`, `POST /v1/metrics`).
pub fn routes(otlp: Otlp) -> Router {
    let traces = Router::new()
        .route(Traces::HTTP_PATH, post(handle::<OtlpHttp<Traces>>))
        .with_state(OtlpHttp::<Traces>::new(otlp.clone()));
    let metrics = Router::new()
        .route(Metrics::HTTP_PATH, post(handle::<OtlpHttp<Metrics>>))
        .with_state(OtlpHttp::<Metrics>::new(otlp));
    traces.merge(metrics)
}
