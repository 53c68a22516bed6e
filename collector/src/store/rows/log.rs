//! `otel_logs`: one row per log record, in the OpenTelemetry Collector
//! ClickHouse exporter's shape plus Jamscope's `Layer` column. The body is
//! text as the exporter writes it: a string as it is, any other value
//! rendered like an attribute (JSON for arrays and maps).

use std::sync::Arc;

use super::attributes::{put_attributes, put_value};
use super::{row_end, Table};
use crate::model::{LogOrigin, LogRecord};
use crate::store::rowbinary::{put_datetime64_nanos, put_str, put_u8, put_varint};

pub struct LogTable;

impl Table for LogTable {
    type Record = LogRecord;

    const NAME: &'static str = "otel_logs";

    /// `TimestampTime` is not written: the table computes it.
    const COLUMNS: &'static [&'static str] = &[
        "Timestamp",
        "TraceId",
        "SpanId",
        "TraceFlags",
        "SeverityText",
        "SeverityNumber",
        "ServiceName",
        "Body",
        "ResourceSchemaUrl",
        "ResourceAttributes",
        "ScopeSchemaUrl",
        "ScopeName",
        "ScopeVersion",
        "ScopeAttributes",
        "LogAttributes",
        "EventName",
        "Layer",
    ];

    fn is_from_service(record: &LogRecord, service: &str) -> bool {
        record.service_name() == service
    }

    fn encode(record: &LogRecord, buf: &mut Vec<u8>) {
        let mut scratch = String::new();
        let origin = EncodedOrigin::of(&record.origin, &mut scratch);
        encode_record(record, &origin, buf, &mut scratch);
    }

    /// Records of one OTLP `ScopeLogs` share their origin (one `Arc`), so
    /// its resource and scope attribute maps are encoded once per run of
    /// such records and copied.
    fn encode_all(records: &[LogRecord], buf: &mut Vec<u8>, row_ends: &mut Vec<u32>) {
        let mut scratch = String::new();
        let mut encoded: Option<(&Arc<LogOrigin>, EncodedOrigin)> = None;
        for record in records {
            let origin = match &mut encoded {
                Some((of, origin)) if Arc::ptr_eq(of, &record.origin) => origin,
                slot => {
                    let origin = EncodedOrigin::of(&record.origin, &mut scratch);
                    &slot.insert((&record.origin, origin)).1
                }
            };
            encode_record(record, origin, buf, &mut scratch);
            row_ends.push(row_end(buf));
        }
    }
}

/// A log origin's attribute maps, encoded.
struct EncodedOrigin {
    resource: Vec<u8>,
    scope: Vec<u8>,
}

impl EncodedOrigin {
    fn of(origin: &LogOrigin, scratch: &mut String) -> Self {
        let mut resource = Vec::new();
        put_attributes(&mut resource, &origin.resource.attributes, scratch);
        let mut scope = Vec::new();
        put_attributes(&mut scope, &origin.scope_attributes, scratch);
        Self { resource, scope }
    }
}

/// One row, in [`LogTable::COLUMNS`]' order.
fn encode_record(
    record: &LogRecord,
    origin: &EncodedOrigin,
    buf: &mut Vec<u8>,
    scratch: &mut String,
) {
    let source = &record.origin;
    put_datetime64_nanos(buf, record.time_unix_nanos);
    match record.trace_id {
        Some(id) => {
            put_varint(buf, 32);
            id.write_hex(buf);
        }
        None => put_str(buf, b""),
    }
    match record.span_id {
        Some(id) => {
            put_varint(buf, 16);
            id.write_hex(buf);
        }
        None => put_str(buf, b""),
    }
    put_u8(buf, record.trace_flags);
    put_str(buf, record.severity_text.as_bytes());
    put_u8(buf, record.severity_number);
    put_str(buf, source.resource.service_name.as_bytes());
    put_value(buf, &record.body, scratch);
    put_str(buf, source.resource_schema_url.as_bytes());
    buf.extend_from_slice(&origin.resource);
    put_str(buf, source.scope_schema_url.as_bytes());
    put_str(buf, source.scope.name.as_bytes());
    put_str(buf, source.scope.version.as_bytes());
    buf.extend_from_slice(&origin.scope);
    put_attributes(buf, &record.attributes, scratch);
    put_str(buf, record.event_name.as_bytes());
    put_str(buf, source.resource.layer.as_str().as_bytes());
}
