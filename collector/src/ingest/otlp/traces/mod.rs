//! Traces: OTLP spans, decoded in one pass from protobuf (`protobuf.rs`)
//! or JSON (`json/`), each ending in the same judgement (`judge.rs`), then
//! queued for `otel_traces`. `reference.rs` (tests and benchmarks only)
//! converts prost's generated types through the same judgement: what the
//! one-pass decoders are held to.

pub mod json;
pub(crate) mod judge;
pub mod protobuf;
#[cfg(any(test, feature = "test-support"))]
pub mod reference;
#[cfg(test)]
mod tests;

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};

pub use judge::{ConvertedTraces, SpanRules};

use super::signal::{self, Accepted, Signal};
use super::Otlp;
use crate::ingest::IngestError;
use crate::telemetry::outcome::Signal as Records;

/// The trace signal.
pub struct Traces;

impl Signal for Traces {
    const HTTP_PATH: &'static str = "/v1/traces";
    const GRPC_SERVICE: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
    const REQUEST: &'static str = "ExportTraceServiceRequest";
    const REJECTED_FIELD: &'static str = "rejectedSpans";
    type Judged = ConvertedTraces;
    type Response = ExportTraceServiceResponse;

    fn decode_protobuf(otlp: &Otlp, body: &[u8]) -> Result<ConvertedTraces, IngestError> {
        let shared = &otlp.shared;
        protobuf::decode(
            body,
            &shared.layers,
            &otlp.time_window(),
            &shared.span_rules.limits,
        )
    }

    fn decode_json(otlp: &Otlp, body: &[u8]) -> Result<ConvertedTraces, IngestError> {
        let shared = &otlp.shared;
        json::decode(
            body,
            &shared.layers,
            &otlp.time_window(),
            &shared.span_rules.limits,
        )
    }

    async fn wait_for_room(otlp: &Otlp) -> Result<(), IngestError> {
        signal::wait_for_room(otlp, &otlp.shared.spans).await
    }

    /// Invalid spans are counted (OTLP partial success); the valid ones are
    /// queued whole or not at all (`signal::queue_records`).
    async fn accept(otlp: &Otlp, converted: ConvertedTraces) -> Result<Accepted, IngestError> {
        let shared = &otlp.shared;
        let stats = &shared.stats;
        let message = converted.message();
        stats.spans_truncated(converted.truncated, &converted.truncation);
        let accepted = converted.spans.len() as u64;
        if let Some(tap) = &shared.tap {
            tap.spans(&converted.spans);
        }
        let rejected = signal::queue_records(
            otlp,
            &shared.spans,
            Records::Spans,
            converted.spans,
            converted.rejections,
        )
        .await?;
        stats.spans_acknowledged(accepted, rejected);
        Ok(Accepted { rejected, message })
    }

    fn response(accepted: Accepted) -> ExportTraceServiceResponse {
        ExportTraceServiceResponse {
            // Set when spans were rejected, or (rejected 0) to warn.
            partial_success: accepted.partial().then(|| ExportTracePartialSuccess {
                rejected_spans: i64::try_from(accepted.rejected).unwrap_or(i64::MAX),
                error_message: accepted.message.unwrap_or_default(),
            }),
        }
    }
}
