//! Faro's logs and events as one OTLP/JSON `ExportLogsServiceRequest`, so
//! the OTLP JSON decoder and its judgement (ids, times, limits) store them
//! in `otel_logs` like any log record: the resource is the app
//! (`service.name`, version, environment, the session and browser from
//! `meta`), the scope Faro's SDK. A log keeps its level (as OpenTelemetry's
//! severity) and message (the body), its context as attributes. An event
//! is a log record named by the event, as OpenTelemetry models events
//! (`EventName`), its attributes as attributes and its domain as
//! `event.domain`. Items carry Faro's span context, so they join their
//! trace.

use serde_json::{json, Map, Value};

use super::decode::{millis, FaroEvent, Log, Meta, TraceContext};

/// The request, or `None` when the payload holds neither logs nor events.
pub(super) fn request(meta: &Meta, logs: &[Log], events: &[FaroEvent]) -> Option<Vec<u8>> {
    if logs.is_empty() && events.is_empty() {
        return None;
    }
    let records: Vec<Value> = logs
        .iter()
        .map(log)
        .chain(events.iter().map(event))
        .collect();
    let sdk = meta.sdk.as_ref();
    let request = json!({
        "resourceLogs": [{
            "resource": { "attributes": resource(meta) },
            "scopeLogs": [{
                "scope": {
                    "name": sdk.and_then(|s| s.name.clone()).unwrap_or_else(|| "faro".into()),
                    "version": sdk.and_then(|s| s.version.clone()).unwrap_or_default(),
                },
                "logRecords": records,
            }],
        }],
    });
    Some(request.to_string().into_bytes())
}

fn log(log: &Log) -> Value {
    let level = log.level.as_deref().unwrap_or("info");
    let mut record = record(&log.timestamp, log.context.as_ref(), log.trace.as_ref());
    record.insert("severityText".into(), level.into());
    record.insert("severityNumber".into(), severity_number(level).into());
    record.insert("body".into(), json!({ "stringValue": log.message }));
    Value::Object(record)
}

fn event(event: &FaroEvent) -> Value {
    let mut record = record(
        &event.timestamp,
        event.attributes.as_ref(),
        event.trace.as_ref(),
    );
    record.insert("eventName".into(), event.name.clone().into());
    if let Some(domain) = &event.domain {
        if let Some(Value::Array(attributes)) = record.get_mut("attributes") {
            attributes.push(key_value("event.domain", domain));
        }
    }
    Value::Object(record)
}

/// What logs and events share: time, attributes, span context.
fn record(
    timestamp: &Option<String>,
    attributes: Option<&Map<String, Value>>,
    trace: Option<&TraceContext>,
) -> Map<String, Value> {
    let mut record = Map::new();
    if let Some(millis) = millis(timestamp) {
        let nanos = (millis as u64).saturating_mul(1_000_000);
        record.insert("timeUnixNano".into(), nanos.to_string().into());
    }
    let attributes = attributes.into_iter().flatten();
    let attributes = attributes.filter_map(|(key, value)| match value {
        Value::String(text) => Some(key_value(key, text)),
        Value::Number(_) | Value::Bool(_) => Some(key_value(key, &value.to_string())),
        _ => None,
    });
    record.insert("attributes".into(), Value::Array(attributes.collect()));
    if let Some(trace) = trace {
        record.insert("traceId".into(), trace.trace_id.clone().into());
        record.insert("spanId".into(), trace.span_id.clone().into());
    }
    record
}

/// OpenTelemetry's severity number for a console level (the first of its
/// range: TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17).
fn severity_number(level: &str) -> u8 {
    match level {
        "trace" => 1,
        "debug" => 5,
        "warn" => 13,
        "error" => 17,
        _ => 9,
    }
}

/// The resource of a page's records: its app, session and browser.
fn resource(meta: &Meta) -> Vec<Value> {
    let app = meta.app.as_ref();
    let browser = meta.browser.as_ref();
    let session = meta.session.as_ref();
    [
        ("service.name", app.and_then(|a| a.name.clone())),
        ("service.version", app.and_then(|a| a.version.clone())),
        ("service.namespace", app.and_then(|a| a.namespace.clone())),
        (
            "deployment.environment.name",
            app.and_then(|a| a.environment.clone()),
        ),
        ("session.id", session.and_then(|s| s.id.clone())),
        ("browser.name", browser.and_then(|b| b.name.clone())),
        ("browser.version", browser.and_then(|b| b.version.clone())),
        ("os.name", browser.and_then(|b| b.os.clone())),
        (
            "browser.mobile",
            browser.and_then(|b| b.mobile).map(|m| m.to_string()),
        ),
        (
            "jamscope.page.view",
            meta.view.as_ref().and_then(|v| v.name.clone()),
        ),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.map(|value| key_value(key, &value)))
    .collect()
}

fn key_value(key: &str, value: &str) -> Value {
    json!({ "key": key, "value": { "stringValue": value } })
}
