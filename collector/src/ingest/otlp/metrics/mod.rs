//! Metrics: OTLP data points of every kind (gauge, sum, histogram,
//! exponential histogram, summary), decoded in one pass from protobuf
//! (`protobuf/`) or JSON (`json/`), each ending in the same judgement
//! (`judge.rs`), then queued for the table of their kind
//! (`otel_metrics_gauge`, `_sum`, `_histogram`, `_exponential_histogram`,
//! `_summary`). The five queues share one bound of bytes, so one request's
//! points are admitted together or refused together, and metrics hold no
//! more memory than one table's queue. `reference.rs` (tests only)
//! converts prost's generated types through the same judgement: what the
//! one-pass decoders are held to.

pub mod json;
pub(crate) mod judge;
pub mod protobuf;
#[cfg(any(test, feature = "test-support"))]
pub mod reference;
#[cfg(test)]
mod tests;

use futures_util::future::try_join5;
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceResponse,
};

pub use judge::ConvertedMetrics;

use super::signal::{Accepted, Signal};
use super::Otlp;
use crate::ingest::IngestError;
use crate::model::datapoint::{
    ExponentialHistogramPoint, GaugePoint, HistogramPoint, MetricPoints, SumPoint, SummaryPoint,
};
use crate::pipeline::Queue;
use crate::telemetry::outcome::{RejectReason, Signal as Records};

/// The queues of the five metric tables, siblings on one bound
/// (`pipeline::Queue::sibling`).
#[derive(Clone)]
pub struct MetricQueues {
    pub gauges: Queue<GaugePoint>,
    pub sums: Queue<SumPoint>,
    pub histograms: Queue<HistogramPoint>,
    pub exponential_histograms: Queue<ExponentialHistogramPoint>,
    pub summaries: Queue<SummaryPoint>,
}

/// The metric signal.
pub struct Metrics;

impl Signal for Metrics {
    const HTTP_PATH: &'static str = "/v1/metrics";
    const GRPC_SERVICE: &'static str = "opentelemetry.proto.collector.metrics.v1.MetricsService";
    const REQUEST: &'static str = "ExportMetricsServiceRequest";
    const REJECTED_FIELD: &'static str = "rejectedDataPoints";
    type Judged = ConvertedMetrics;
    type Response = ExportMetricsServiceResponse;

    fn decode_protobuf(otlp: &Otlp, body: &[u8]) -> Result<ConvertedMetrics, IngestError> {
        protobuf::decode(body, &otlp.shared.layers, &otlp.metric_time_window())
    }

    fn decode_json(otlp: &Otlp, body: &[u8]) -> Result<ConvertedMetrics, IngestError> {
        json::decode(body, &otlp.shared.layers, &otlp.metric_time_window())
    }

    async fn wait_for_room(otlp: &Otlp) -> Result<(), IngestError> {
        let shared = &otlp.shared;
        shared
            .metric_points
            .gauges
            .wait_for_room(shared.config.queue_wait())
            .await
            .map_err(IngestError::from)
    }

    /// Invalid points are counted (OTLP partial success); the valid ones
    /// are queued together or, when the queues stay full, the whole
    /// request is refused so the client retries it whole.
    async fn accept(otlp: &Otlp, converted: ConvertedMetrics) -> Result<Accepted, IngestError> {
        let shared = &otlp.shared;
        let stats = &shared.stats;
        let message = converted.message();
        let mut rejections = converted.rejections;
        let accepted = converted.points.len() as u64;
        let queued = queue(
            &shared.metric_points,
            converted.points,
            shared.config.queue_wait(),
        )
        .await;
        if let Err(error) = &queued {
            rejections.add(Records::MetricPoints, RejectReason::from(error), accepted);
        }
        stats.records_rejected(&rejections);
        queued?;
        stats.records_accepted(Records::MetricPoints, accepted);
        Ok(Accepted {
            rejected: rejections.total(),
            message,
        })
    }

    fn response(accepted: Accepted) -> ExportMetricsServiceResponse {
        ExportMetricsServiceResponse {
            partial_success: accepted.partial().then(|| ExportMetricsPartialSuccess {
                rejected_data_points: i64::try_from(accepted.rejected).unwrap_or(i64::MAX),
                error_message: accepted.message.unwrap_or_default(),
            }),
        }
    }
}

/// Reserves room for every point at once, then hands each kind to its
/// table's queue (in durable mode, waiting until all are on disk).
async fn queue(
    queues: &MetricQueues,
    points: MetricPoints,
    wait: std::time::Duration,
) -> Result<(), crate::pipeline::SubmitError> {
    if points.is_empty() {
        return Ok(());
    }
    let mut room = queues.gauges.reserve(points.len(), wait).await?;
    let MetricPoints {
        gauges,
        sums,
        histograms,
        exponential_histograms,
        summaries,
    } = points;
    let rooms = [
        room.take(gauges.len()),
        room.take(sums.len()),
        room.take(histograms.len()),
        room.take(exponential_histograms.len()),
        room.take(summaries.len()),
    ];
    let [gauge_room, sum_room, histogram_room, exponential_room, summary_room] = rooms;
    try_join5(
        queues.gauges.submit_reserved(gauges, gauge_room),
        queues.sums.submit_reserved(sums, sum_room),
        queues
            .histograms
            .submit_reserved(histograms, histogram_room),
        queues
            .exponential_histograms
            .submit_reserved(exponential_histograms, exponential_room),
        queues.summaries.submit_reserved(summaries, summary_room),
    )
    .await
    .map(drop)
}
