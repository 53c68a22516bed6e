//! The bodies the table sends: OTLP requests with one thing wrong (or one
//! thing spelled the way another writer spells it), beacons, build events.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use opentelemetry_proto::tonic::trace::v1::{span::Link, Span, Status};
use prost::Message;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::payload::{request, span};

pub const BUILD_SECRET: &str = "bad-input build secret";

pub fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
}

pub fn now_secs() -> u64 {
    now_nanos() / 1_000_000_000
}

fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", fastrand::u8(1..)))
        .collect()
}

/// One protobuf span changed by `change`, in a request of its own.
pub fn protobuf_with(change: impl FnOnce(&mut Span)) -> Vec<u8> {
    let mut one = span("bad-input-protobuf");
    change(&mut one);
    request("bad-input", vec![one]).encode_to_vec()
}

pub fn set_kind(kind: i32) -> impl FnOnce(&mut Span) {
    move |span| span.kind = kind
}

pub fn set_status(code: i32) -> impl FnOnce(&mut Span) {
    move |span| {
        span.status = Some(Status {
            code,
            ..Default::default()
        })
    }
}

pub fn broken_link(span: &mut Span) {
    span.links = vec![Link {
        trace_id: vec![1; 5],
        span_id: vec![2; 8],
        ..Default::default()
    }];
}

/// A valid OTLP/JSON span dated now, with `extra` fields set or replaced.
pub fn json_span(extra: Value) -> Value {
    let start = now_nanos() - 50_000_000;
    let mut span = json!({
        "traceId": random_hex(16), "spanId": random_hex(8), "name": "bad-input-json", "kind": 2,
        "startTimeUnixNano": start.to_string(), "endTimeUnixNano": (start + 1_000_000).to_string()
    });
    if let (Some(span), Some(extra)) = (span.as_object_mut(), extra.as_object()) {
        for (key, value) in extra {
            span.insert(key.clone(), value.clone());
        }
    }
    span
}

/// An OTLP/JSON request holding `spans`.
pub fn json_request(spans: Vec<Value>) -> Vec<u8> {
    json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "bad-input-json"}}]},
        "scopeSpans": [{"scope": {"name": "bad-input"}, "spans": spans}]
    }]})
    .to_string()
    .into_bytes()
}

/// One span whose single attribute has `value`.
pub fn json_attribute(value: Value) -> Vec<u8> {
    json_request(vec![json_span(
        json!({"attributes": [{"key": "a", "value": value}]}),
    )])
}

/// The same request with the .proto's own field names throughout.
pub fn json_snake_case() -> Vec<u8> {
    let start = now_nanos() - 50_000_000;
    json!({"resource_spans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"string_value": "bad-input-snake"}}]},
        "scope_spans": [{"spans": [{
            "trace_id": random_hex(16), "span_id": random_hex(8), "name": "snake", "kind": 2,
            "start_time_unix_nano": start.to_string(), "end_time_unix_nano": (start + 1_000).to_string(),
            "attributes": [{"key": "n", "value": {"int_value": "1"}}]
        }]}]
    }]})
    .to_string()
    .into_bytes()
}

/// Attribute values nested deeper than anyone needs.
pub fn json_deep_value(depth: usize) -> Vec<u8> {
    let mut value = json!({"stringValue": "leaf"});
    for _ in 0..depth {
        value = json!({"arrayValue": {"values": [value]}});
    }
    json_attribute(value)
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

/// A build event as CI sends it; `finished_ms` before the start is wrong.
pub fn build_event(id: &str, started_ms: i64, finished_ms: i64) -> String {
    json!({"id": id, "pipeline": "bad-input", "status": "success", "commit": "abc",
        "started_at": started_ms, "finished_at": finished_ms})
    .to_string()
}

/// `sha256=<hex HMAC-SHA256(secret, timestamp.body)>`, computed here, not
/// with the collector's own code.
pub fn sign(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}
