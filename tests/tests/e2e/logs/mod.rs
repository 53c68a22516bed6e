//! Log records end to end: real OpenTelemetry SDKs (Python's `logging`,
//! Node, Rust) over every transport land in `otel_logs` with every field
//! exact (`sdk_clients`), as does the specification's own example
//! (`spec_example`); a record written inside a span shows under it in
//! `/api/traces/{id}` and `/api/logs` finds it by a word (`in_traces`);
//! bad input gets a clear answer and partial success (`bad_input`); and
//! nothing acknowledged is lost or doubled when ClickHouse refuses rows,
//! goes away, or the collector is killed (`durability`).
//!
//! Clients print what they sent in one shape (tests/clients/README.md, "Log
//! records"); [`assert_logs_stored`] compares it with the rows.

mod bad_input;
mod durability;
mod in_traces;
mod sdk_clients;
mod spec_example;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::expect::{expected_map, stored_text};
use crate::harness::Collector;

const LOG_QUERY: &str = "SELECT toUnixTimestamp64Nano(Timestamp) AS time_ns, TraceId, SpanId, \
    TraceFlags, SeverityText, SeverityNumber, ServiceName, Body, ResourceSchemaUrl, \
    ResourceAttributes, ScopeSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, \
    LogAttributes, EventName, Layer FROM otel_logs";

/// Waits until `service` has `count` rows in `otel_logs`; its rows, oldest
/// first.
pub fn stored_logs(collector: &Collector, service: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = collector.query(&format!(
            "{LOG_QUERY} WHERE ServiceName = '{service}' ORDER BY Timestamp, Body"
        ));
        if rows.len() >= count || Instant::now() > deadline {
            return rows;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// When a sent record happened: its time, or its observed time without one.
fn effective_time(record: &Value) -> u64 {
    match record["time_ns"].as_u64() {
        Some(0) | None => record["observed_ns"].as_u64().unwrap_or(0),
        Some(time) => time,
    }
}

/// Waits for every record in `sent` (`{"logs": [...]}`, one service) and
/// compares each stored row with it, field by field; `layer` is the
/// expected Layer.
pub fn assert_logs_stored(collector: &Collector, sent: &Value, layer: &str) {
    let mut records = sent["logs"].as_array().cloned().expect("logs array");
    assert!(!records.is_empty(), "the client sent no records");
    let service = records[0]["resource"]["service.name"]
        .as_str()
        .expect("service.name")
        .to_owned();
    records.sort_by_key(|record| (effective_time(record), expected_body(record)));
    let rows = stored_logs(collector, &service, records.len());
    assert_eq!(
        rows.len(),
        records.len(),
        "every record stored exactly once"
    );
    for (record, row) in records.iter().zip(&rows) {
        assert_log_row(record, row, layer);
    }
}

/// The body as the exporter writes it: a string as it is, anything else as
/// its text (arrays and maps as compact JSON with sorted keys).
fn expected_body(record: &Value) -> String {
    match record["body_type"].as_str() {
        Some("empty") | None => String::new(),
        kind => stored_text(&record["body"], kind),
    }
}

fn assert_log_row(record: &Value, row: &Value, layer: &str) {
    let body = expected_body(record);
    let check = |column: &str, expected: Value| {
        assert_eq!(row[column], expected, "record '{body}', column {column}");
    };
    check("time_ns", effective_time(record).into());
    check("TraceId", record["trace_id"].clone());
    check("SpanId", record["span_id"].clone());
    check(
        "TraceFlags",
        (record["flags"].as_u64().unwrap_or(0) & 0xff).into(),
    );
    check("SeverityText", record["severity_text"].clone());
    check("SeverityNumber", record["severity_number"].clone());
    check("ServiceName", record["resource"]["service.name"].clone());
    check("Body", body.clone().into());
    check("ResourceSchemaUrl", record["resource_schema_url"].clone());
    check(
        "ResourceAttributes",
        Value::Object(expected_map(
            &record["resource"],
            record.get("resource_types"),
        )),
    );
    check("ScopeSchemaUrl", record["scope_schema_url"].clone());
    check("ScopeName", record["scope_name"].clone());
    check("ScopeVersion", record["scope_version"].clone());
    check(
        "ScopeAttributes",
        Value::Object(expected_map(
            &record["scope_attributes"],
            record.get("scope_attribute_types"),
        )),
    );
    check(
        "LogAttributes",
        Value::Object(expected_map(
            &record["attributes"],
            record.get("attribute_types"),
        )),
    );
    check("EventName", record["event_name"].clone());
    check("Layer", layer.into());
}

/// GETs `path` of the collector's API; the status and the JSON answer.
pub fn api(collector: &Collector, path: &str) -> (u16, Value) {
    crate::harness::block_on(async {
        let response = reqwest::get(format!("{}{path}", collector.http_url()))
            .await
            .expect("API answers");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(json!(null));
        (status, body)
    })
}
