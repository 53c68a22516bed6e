//! Logs: OTLP log records, decoded in one pass from protobuf
//! (`protobuf.rs`) or JSON (`json/`), each ending in the same judgement
//! (`judge.rs`: ids, severity, time, limits), then queued for `otel_logs`.
//! `reference.rs` (tests only) converts prost's generated types through
//! the same judgement: what the one-pass decoders are held to.

pub mod json;
pub(crate) mod judge;
pub mod protobuf;
#[cfg(any(test, feature = "test-support"))]
pub mod reference;
#[cfg(test)]
mod tests;

use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceResponse,
};

pub use judge::ConvertedLogs;

use super::signal::{self, Accepted, Signal};
use super::Otlp;
use crate::ingest::IngestError;
use crate::telemetry::outcome::Signal as Records;

/// The log signal.
pub struct Logs;

impl Signal for Logs {
    const HTTP_PATH: &'static str = "/v1/logs";
    const GRPC_SERVICE: &'static str = "opentelemetry.proto.collector.logs.v1.LogsService";
    const REQUEST: &'static str = "ExportLogsServiceRequest";
    const REJECTED_FIELD: &'static str = "rejectedLogRecords";
    type Judged = ConvertedLogs;
    type Response = ExportLogsServiceResponse;

    fn decode_protobuf(otlp: &Otlp, body: &[u8]) -> Result<ConvertedLogs, IngestError> {
        let shared = &otlp.shared;
        protobuf::decode(
            body,
            &shared.layers,
            &otlp.log_time_window(),
            &shared.span_rules.limits,
        )
    }

    fn decode_json(otlp: &Otlp, body: &[u8]) -> Result<ConvertedLogs, IngestError> {
        let shared = &otlp.shared;
        json::decode(
            body,
            &shared.layers,
            &otlp.log_time_window(),
            &shared.span_rules.limits,
        )
    }

    async fn wait_for_room(otlp: &Otlp) -> Result<(), IngestError> {
        signal::wait_for_room(otlp, &otlp.shared.logs).await
    }

    /// Invalid records are counted (OTLP partial success); the valid ones
    /// are queued whole or not at all (`signal::queue_records`).
    async fn accept(otlp: &Otlp, converted: ConvertedLogs) -> Result<Accepted, IngestError> {
        let shared = &otlp.shared;
        let message = converted.message();
        shared
            .stats
            .log_records_truncated(converted.truncated, &converted.truncation);
        let rejected = signal::queue_records(
            otlp,
            &shared.logs,
            Records::LogRecords,
            converted.records,
            converted.rejections,
        )
        .await?;
        Ok(Accepted { rejected, message })
    }

    fn response(accepted: Accepted) -> ExportLogsServiceResponse {
        ExportLogsServiceResponse {
            partial_success: accepted.partial().then(|| ExportLogsPartialSuccess {
                rejected_log_records: i64::try_from(accepted.rejected).unwrap_or(i64::MAX),
                error_message: accepted.message.unwrap_or_default(),
            }),
        }
    }
}
