//! Field-by-field comparison of what a client sent (in the JSON shape the
//! client scripts print, see tests/clients/README.md) with the stored row.

use serde_json::{Map, Value};

use crate::harness::Collector;

/// The text ClickHouse should hold for an attribute value sent as `value`
/// with OTLP type `kind` (e.g. "string", "int", "double", "bytes", "array<int>").
pub fn stored_text(value: &Value, kind: Option<&str>) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if kind == Some("double") || (kind.is_none() && n.is_f64()) => {
            n.as_f64().map(|f| f.to_string()).unwrap_or_default()
        }
        Value::Number(n) => n.to_string(),
        // Arrays and maps are stored as compact JSON.
        other => other.to_string(),
    }
}

pub fn expected_map(values: &Value, types: Option<&Value>) -> Map<String, Value> {
    values
        .as_object()
        .map(|object| {
            object
                .iter()
                .map(|(key, value)| {
                    let kind = types.and_then(|t| t[key].as_str());
                    (key.clone(), Value::String(stored_text(value, kind)))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn otlp_kind(kind: &str) -> &'static str {
    match kind {
        "SPAN_KIND_INTERNAL" => "Internal",
        "SPAN_KIND_SERVER" => "Server",
        "SPAN_KIND_CLIENT" => "Client",
        "SPAN_KIND_PRODUCER" => "Producer",
        "SPAN_KIND_CONSUMER" => "Consumer",
        _ => "Unspecified",
    }
}

fn otlp_status(code: &str) -> &'static str {
    match code {
        "STATUS_CODE_OK" => "Ok",
        "STATUS_CODE_ERROR" => "Error",
        _ => "Unset",
    }
}

const SPAN_QUERY: &str = "SELECT TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, \
    ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, \
    StatusCode, StatusMessage, Layer, toUnixTimestamp64Nano(Timestamp) AS start_ns, \
    arrayMap(t -> toUnixTimestamp64Nano(t), `Events.Timestamp`) AS event_ns, \
    `Events.Name` AS event_names, `Events.Attributes` AS event_attributes, \
    `Links.TraceId` AS link_trace_ids, `Links.SpanId` AS link_span_ids, \
    `Links.TraceState` AS link_trace_states, `Links.Attributes` AS link_attributes \
    FROM otel_traces";

/// Waits for every span in `sent` (`{"spans": [...]}`) and compares each
/// stored row with it, field by field. `layer` is the expected Layer.
pub fn assert_spans_stored(collector: &Collector, sent: &Value, layer: &str) {
    let spans = sent["spans"].as_array().expect("spans array");
    assert!(!spans.is_empty(), "the client sent no spans");
    let ids: Vec<String> = spans
        .iter()
        .map(|s| format!("'{}'", s["span_id"].as_str().expect("span_id")))
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let rows = loop {
        let rows = collector.query(&format!("{SPAN_QUERY} WHERE SpanId IN ({})", ids.join(",")));
        if rows.len() >= spans.len() || std::time::Instant::now() > deadline {
            break rows;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(rows.len(), spans.len(), "every span stored exactly once");
    for span in spans {
        let row = rows
            .iter()
            .find(|r| r["SpanId"] == span["span_id"])
            .expect("row for span");
        assert_span_row(span, row, layer);
    }
}

fn assert_span_row(span: &Value, row: &Value, layer: &str) {
    let name = span["name"].as_str().unwrap_or_default();
    let check = |column: &str, expected: Value| {
        assert_eq!(row[column], expected, "span '{name}', column {column}");
    };
    check("TraceId", span["trace_id"].clone());
    check("ParentSpanId", span["parent_span_id"].clone());
    check("TraceState", span["trace_state"].clone());
    check("SpanName", span["name"].clone());
    check(
        "SpanKind",
        otlp_kind(span["kind"].as_str().unwrap_or("")).into(),
    );
    check(
        "StatusCode",
        otlp_status(span["status_code"].as_str().unwrap_or("")).into(),
    );
    check("StatusMessage", span["status_message"].clone());
    check("ScopeName", span["scope_name"].clone());
    check("ScopeVersion", span["scope_version"].clone());
    check("Layer", layer.into());
    check("ServiceName", span["resource"]["service.name"].clone());
    let start = span["start_ns"].as_u64().expect("start_ns");
    let end = span["end_ns"].as_u64().expect("end_ns");
    check("start_ns", start.into());
    check("Duration", (end - start).into());
    check(
        "SpanAttributes",
        Value::Object(expected_map(
            &span["attributes"],
            span.get("attribute_types"),
        )),
    );
    check(
        "ResourceAttributes",
        Value::Object(expected_map(&span["resource"], span.get("resource_types"))),
    );

    let events = span["events"].as_array().cloned().unwrap_or_default();
    check(
        "event_ns",
        events.iter().map(|e| e["time_ns"].clone()).collect(),
    );
    check(
        "event_names",
        events.iter().map(|e| e["name"].clone()).collect(),
    );
    check(
        "event_attributes",
        events
            .iter()
            .map(|e| Value::Object(expected_map(&e["attributes"], e.get("attribute_types"))))
            .collect(),
    );
    let links = span["links"].as_array().cloned().unwrap_or_default();
    check(
        "link_trace_ids",
        links.iter().map(|l| l["trace_id"].clone()).collect(),
    );
    check(
        "link_span_ids",
        links.iter().map(|l| l["span_id"].clone()).collect(),
    );
    check(
        "link_trace_states",
        links.iter().map(|l| l["trace_state"].clone()).collect(),
    );
    check(
        "link_attributes",
        links
            .iter()
            .map(|l| Value::Object(expected_map(&l["attributes"], l.get("attribute_types"))))
            .collect(),
    );
}
