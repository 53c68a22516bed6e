//! `otel_traces`: one row per span, in the OpenTelemetry Collector
//! ClickHouse exporter's shape plus Jamscope's `Layer` column.

use std::sync::Arc;

use super::attributes::put_attributes;
use super::{row_end, Table};
use crate::model::{Resource, Span};
use crate::store::rowbinary::{put_datetime64_nanos, put_str, put_u64, put_varint};

pub struct SpanTable;

impl Table for SpanTable {
    type Record = Span;

    const NAME: &'static str = "otel_traces";

    const COLUMNS: &'static [&'static str] = &[
        "Timestamp",
        "TraceId",
        "SpanId",
        "ParentSpanId",
        "TraceState",
        "SpanName",
        "SpanKind",
        "ServiceName",
        "ResourceAttributes",
        "ScopeName",
        "ScopeVersion",
        "SpanAttributes",
        "Duration",
        "StatusCode",
        "StatusMessage",
        "`Events.Timestamp`",
        "`Events.Name`",
        "`Events.Attributes`",
        "`Links.TraceId`",
        "`Links.SpanId`",
        "`Links.TraceState`",
        "`Links.Attributes`",
        "Layer",
    ];

    fn is_from_service(span: &Span, service: &str) -> bool {
        span.resource.service_name == service
    }

    fn encode(span: &Span, buf: &mut Vec<u8>) {
        let mut scratch = String::new();
        let mut resource_map = Vec::new();
        put_attributes(&mut resource_map, &span.resource.attributes, &mut scratch);
        encode_span(span, &resource_map, buf, &mut scratch);
    }

    /// Spans of one OTLP `ResourceSpans` share their resource (one `Arc`), so
    /// its attribute map is encoded once per run of such spans and copied.
    fn encode_all(spans: &[Span], buf: &mut Vec<u8>, row_ends: &mut Vec<u32>) {
        let mut scratch = String::new();
        let mut resource_map = Vec::new();
        let mut encoded_for: Option<&Arc<Resource>> = None;
        for span in spans {
            if !encoded_for.is_some_and(|r| Arc::ptr_eq(r, &span.resource)) {
                resource_map.clear();
                put_attributes(&mut resource_map, &span.resource.attributes, &mut scratch);
                encoded_for = Some(&span.resource);
            }
            encode_span(span, &resource_map, buf, &mut scratch);
            row_ends.push(row_end(buf));
        }
    }
}

/// One row; `resource_map` is the span's resource attributes, already encoded.
fn encode_span(span: &Span, resource_map: &[u8], buf: &mut Vec<u8>, scratch: &mut String) {
    {
        put_datetime64_nanos(buf, span.start_unix_nanos);
        put_hex(buf, |out| span.trace_id.write_hex(out), 32);
        put_hex(buf, |out| span.span_id.write_hex(out), 16);
        match span.parent_span_id {
            Some(parent) => put_hex(buf, |out| parent.write_hex(out), 16),
            None => put_str(buf, b""),
        }
        put_str(buf, span.trace_state.as_bytes());
        put_str(buf, span.name.as_bytes());
        put_str(buf, span.kind.as_str().as_bytes());
        put_str(buf, span.resource.service_name.as_bytes());
        buf.extend_from_slice(resource_map);
        put_str(buf, span.scope.name.as_bytes());
        put_str(buf, span.scope.version.as_bytes());
        put_attributes(buf, &span.attributes, scratch);
        put_u64(buf, span.duration_nanos());
        put_str(buf, span.status.code.as_str().as_bytes());
        put_str(buf, span.status.message.as_bytes());

        put_varint(buf, span.events.len() as u64);
        for event in &span.events {
            put_datetime64_nanos(buf, event.time_unix_nanos);
        }
        put_varint(buf, span.events.len() as u64);
        for event in &span.events {
            put_str(buf, event.name.as_bytes());
        }
        put_varint(buf, span.events.len() as u64);
        for event in &span.events {
            put_attributes(buf, &event.attributes, scratch);
        }

        put_varint(buf, span.links.len() as u64);
        for link in &span.links {
            put_hex(buf, |out| link.trace_id.write_hex(out), 32);
        }
        put_varint(buf, span.links.len() as u64);
        for link in &span.links {
            put_hex(buf, |out| link.span_id.write_hex(out), 16);
        }
        put_varint(buf, span.links.len() as u64);
        for link in &span.links {
            put_str(buf, link.trace_state.as_bytes());
        }
        put_varint(buf, span.links.len() as u64);
        for link in &span.links {
            put_attributes(buf, &link.attributes, scratch);
        }

        put_str(buf, span.resource.layer.as_str().as_bytes());
    }
}

/// Writes an id as a length-prefixed hex string without a temporary String.
pub(super) fn put_hex(buf: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>), hex_len: u64) {
    put_varint(buf, hex_len);
    write(buf);
}
