//! OTLP protobuf log requests (OTLP/HTTP bodies and OTLP/gRPC messages)
//! decoded in one pass, straight into domain log records, as
//! `traces/protobuf.rs` decodes spans: ids read in place, each string
//! allocated once, resources and scopes read before their records (a
//! second look over the message), `prost`'s merging of a repeated singular
//! field, unknown fields skipped, strings checked as UTF-8. Every record
//! ends in `judge::judge_log_record`; a property test holds this decoder
//! to the reference conversion through `prost` (`reference.rs`).

use std::marker::PhantomData;
use std::sync::Arc;

use super::judge::{judge_log_record, ConvertedLogs, LogEncoding, RawLogRecord};
use crate::ingest::otlp::protobuf::{
    any_value, attributes_field, resource_group, scope_group, Reader, WireResult,
};
use crate::ingest::otlp::resource_from;
use crate::ingest::IngestError;
use crate::model::{
    AttributeValue, LayerRules, LogOrigin, Resource, SpanId, SpanLimits, TimeWindow, TraceId,
};

/// Encoded bytes per log record, roughly, in the requests SDKs send:
/// enough to size the record list once instead of growing it by doubling.
const BYTES_PER_RECORD_GUESS: usize = 250;

/// Decodes one `ExportLogsServiceRequest`. A body that is not one is
/// refused whole (400) with the path of the offending field; records that
/// are well-formed but wrong are rejected one by one.
pub fn decode(
    body: &[u8],
    layers: &LayerRules,
    window: &TimeWindow,
    limits: &SpanLimits,
) -> Result<ConvertedLogs, IngestError> {
    let mut decoder = Decoder {
        layers,
        window,
        out: ConvertedLogs::new(limits, body.len() / BYTES_PER_RECORD_GUESS),
    };
    match decoder.request(Reader::new(body)) {
        Ok(()) => Ok(decoder.out),
        Err(error) => Err(IngestError::BadRequest(format!(
            "body is not a valid OTLP protobuf ExportLogsServiceRequest: {error}"
        ))),
    }
}

struct Decoder<'r> {
    layers: &'r LayerRules,
    window: &'r TimeWindow,
    out: ConvertedLogs,
}

impl Decoder<'_> {
    /// `ExportLogsServiceRequest`, depth 0.
    fn request(&mut self, r: Reader<'_>) -> WireResult<()> {
        r.each_message(1, 0, "resource_logs", |m| self.resource_logs(m))
    }

    /// `ResourceLogs`, depth 1: its resource and schema URL first, then its
    /// scopes.
    fn resource_logs(&mut self, message: Reader<'_>) -> WireResult<()> {
        let (mut attributes, schema_url) = resource_group(message)?;
        self.out.limit_attributes(&mut attributes);
        let resource = Arc::new(resource_from(attributes, self.layers));
        message.each_message(2, 1, "scope_logs", |m| {
            self.scope_logs(m, &resource, &schema_url)
        })
    }

    /// `ScopeLogs`, depth 2: its scope and schema URL first, then its
    /// records.
    fn scope_logs(
        &mut self,
        message: Reader<'_>,
        resource: &Arc<Resource>,
        resource_schema_url: &str,
    ) -> WireResult<()> {
        let mut group = scope_group(message)?;
        self.out.limit_attributes(&mut group.attributes);
        let origin = Arc::new(LogOrigin {
            resource: Arc::clone(resource),
            resource_schema_url: resource_schema_url.to_owned(),
            scope: group.scope,
            scope_attributes: group.attributes,
            scope_schema_url: group.schema_url,
        });
        message.each_message(2, 2, "log_records", |m| {
            judge_log_record(log_record(m)?, &origin, self.window, &mut self.out);
            Ok(())
        })
    }
}

/// `LogRecord`, depth 3.
fn log_record(mut r: Reader<'_>) -> WireResult<RawLogRecord<Protobuf<'_>>> {
    let mut record = RawLogRecord::default();
    let mut body = None;
    while !r.is_empty() {
        match r.key()? {
            (1, wt) => record.time_unix_nano = r.fixed64(wt)?,
            (2, wt) => record.severity_number = r.int32(wt)?,
            (3, wt) => {
                record.severity_text = r.string(wt).map_err(|e| e.within("severity_text", None))?
            }
            (5, wt) => {
                any_value(r.message(wt, 4)?, 4, &mut body).map_err(|e| e.within("body", None))?
            }
            (6, wt) => attributes_field(&mut r, wt, 4, &mut record.attributes)?,
            (7, wt) => record.dropped_attributes_count = r.uint32(wt)?,
            (8, wt) => record.flags = r.fixed32(wt)?,
            (9, wt) => record.trace_id = r.bytes(wt)?,
            (10, wt) => record.span_id = r.bytes(wt)?,
            (11, wt) => record.observed_time_unix_nano = r.fixed64(wt)?,
            (12, wt) => {
                record.event_name = r.string(wt).map_err(|e| e.within("event_name", None))?
            }
            (tag, wt) => r.skip(tag, wt, 3)?,
        }
    }
    record.body = body.unwrap_or(AttributeValue::Empty);
    Ok(record)
}

/// Protobuf's ids are bytes of any length (none: no trace), its severity
/// a number; refusals name fields as the .proto does.
pub(crate) struct Protobuf<'a>(PhantomData<&'a [u8]>);

impl<'a> LogEncoding for Protobuf<'a> {
    type TraceId = &'a [u8];
    type SpanId = &'a [u8];
    type Severity = i32;

    fn trace_id(sent: &&'a [u8]) -> Result<Option<TraceId>, ()> {
        match sent.is_empty() {
            true => Ok(None),
            false => TraceId::from_bytes(sent).map(Some).ok_or(()),
        }
    }

    fn span_id(sent: &&'a [u8]) -> Result<Option<SpanId>, ()> {
        match sent.is_empty() {
            true => Ok(None),
            false => SpanId::from_bytes(sent).map(Some).ok_or(()),
        }
    }

    fn severity_number(sent: &i32) -> Option<i64> {
        Some(i64::from(*sent))
    }

    fn shown_severity(sent: &i32) -> String {
        sent.to_string()
    }

    fn bad_trace_id(record: &str, sent: &&'a [u8]) -> String {
        format!(
            "{record}: trace_id must be empty or 16 bytes and not all zero, got {} bytes",
            sent.len()
        )
    }

    fn bad_span_id(record: &str, sent: &&'a [u8]) -> String {
        format!(
            "{record}: span_id must be empty or 8 bytes and not all zero, got {} bytes",
            sent.len()
        )
    }
}
