//! The reference conversion: prost's generated messages turned into the
//! same log records, through the same judgement, with nothing shared but
//! it (and the attribute conversion of the trace reference). No receiver
//! uses it; the one-pass decoders (`protobuf.rs`, `json/`) are held to it
//! by property tests. Compiled for tests, and for benchmarks with the
//! `test-support` feature.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;

use super::judge::{judge_log_record, ConvertedLogs, RawLogRecord};
use super::protobuf::Protobuf;
use crate::ingest::otlp::resource_from;
use crate::ingest::otlp::traces::reference::{convert_attributes, convert_value};
use crate::model::{LayerRules, LogOrigin, Scope, SpanLimits, TimeWindow};

/// Converts every record; those whose ids are malformed, whose severity is
/// outside OTLP's, or whose time `window` refuses are counted as rejected
/// instead. Records, resources and scopes larger than `limits` are cut
/// (and say so).
pub fn convert_request(
    request: ExportLogsServiceRequest,
    layers: &LayerRules,
    window: &TimeWindow,
    limits: &SpanLimits,
) -> ConvertedLogs {
    let mut out = ConvertedLogs::new(limits, 0);
    for resource_logs in request.resource_logs {
        let mut attributes = convert_attributes(
            resource_logs
                .resource
                .map(|r| r.attributes)
                .unwrap_or_default(),
        );
        out.limit_attributes(&mut attributes);
        let resource = Arc::new(resource_from(attributes, layers));
        for scope_logs in resource_logs.scope_logs {
            let scope = scope_logs.scope.unwrap_or_default();
            let mut scope_attributes = convert_attributes(scope.attributes);
            out.limit_attributes(&mut scope_attributes);
            let origin = Arc::new(LogOrigin {
                resource: Arc::clone(&resource),
                resource_schema_url: resource_logs.schema_url.clone(),
                scope: Scope {
                    name: scope.name,
                    version: scope.version,
                },
                scope_attributes,
                scope_schema_url: scope_logs.schema_url,
            });
            for record in scope_logs.log_records {
                let raw = RawLogRecord::<Protobuf<'_>> {
                    time_unix_nano: record.time_unix_nano,
                    observed_time_unix_nano: record.observed_time_unix_nano,
                    severity_number: record.severity_number,
                    severity_text: record.severity_text,
                    body: convert_value(record.body),
                    attributes: convert_attributes(record.attributes),
                    dropped_attributes_count: record.dropped_attributes_count,
                    flags: record.flags,
                    trace_id: &record.trace_id,
                    span_id: &record.span_id,
                    event_name: record.event_name,
                };
                judge_log_record(raw, &origin, window, &mut out);
            }
        }
    }
    out
}
