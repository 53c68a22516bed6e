//! The table: every endpoint, what is sent, the status (HTTP, or the gRPC
//! code for `Grpc` requests) and the words the answer must hold. Rows that
//! are not errors (OTLP spellings other writers use, empty requests) are
//! here too: each was refused or silently dropped once, and `stores` says
//! how many spans must land for them.

use serde_json::{json, Value};

use super::bodies::*;
use super::send::Request;
use crate::payload::protobuf_spans;

pub struct Case {
    pub what: &'static str,
    pub request: Request,
    pub status: u16,
    /// Words the message holds; `None`: the answer says nothing (a clean
    /// success: no partial success, no error).
    pub says: Option<&'static str>,
    /// Spans this request stores.
    pub stores: u64,
}

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";
pub const SITE: &str = "http://shop.test";
/// gRPC codes.
const OK: u16 = 0;
const INVALID_ARGUMENT: u16 = 3;
const UNIMPLEMENTED: u16 = 12;
const RESOURCE_EXHAUSTED: u16 = 8;
/// The collector's `ingest.max_decompressed_bytes` in this test.
pub const MAX_DECOMPRESSED: usize = 2 << 20;

fn otlp(content_type: Option<&str>, encoding: Option<&str>, body: Vec<u8>) -> Request {
    let mut headers = Vec::new();
    if let Some(content_type) = content_type {
        headers.push(("content-type", content_type.to_owned()));
    }
    if let Some(encoding) = encoding {
        headers.push(("content-encoding", encoding.to_owned()));
    }
    Request::Http {
        method: "POST",
        path: "/v1/traces".into(),
        headers,
        body,
    }
}

fn protobuf(body: Vec<u8>) -> Request {
    otlp(Some(PROTOBUF), None, body)
}

fn json(body: Vec<u8>) -> Request {
    otlp(Some(JSON), None, body)
}

fn beacon(origin: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Request {
    Request::Http {
        method: "POST",
        path: "/v1/rum".into(),
        headers: vec![
            ("origin", origin.to_owned()),
            ("content-type", content_type.to_owned()),
        ],
        body: body.into(),
    }
}

/// A build event with its timestamp and signature headers as given.
fn build(timestamp: Option<String>, signature: Option<String>, body: &str) -> Request {
    let mut headers = vec![("content-type", JSON.to_owned())];
    headers.extend(timestamp.map(|t| ("x-jamscope-timestamp", t)));
    headers.extend(signature.map(|s| ("x-jamscope-signature", s)));
    Request::Http {
        method: "POST",
        path: "/v1/builds".into(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

/// Signed now with the collector's secret.
fn signed_build(body: &str) -> Request {
    let timestamp = now_secs().to_string();
    let signature = sign(BUILD_SECRET, &timestamp, body);
    build(Some(timestamp), Some(signature), body)
}

fn get(path: &str) -> Request {
    Request::Http {
        method: "GET",
        path: path.into(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

fn silence(body: Value) -> Request {
    Request::Http {
        method: "POST",
        path: "/api/silences".into(),
        headers: vec![("content-type", JSON.to_owned())],
        body: body.to_string().into_bytes(),
    }
}

fn case(what: &'static str, request: Request, status: u16, says: &'static str) -> Case {
    Case {
        what,
        request,
        status,
        says: Some(says),
        stores: 0,
    }
}

/// A request that is accepted whole and says nothing back.
fn clean(what: &'static str, request: Request, status: u16, stores: u64) -> Case {
    Case {
        what,
        request,
        status,
        says: None,
        stores,
    }
}

/// One row per case, kept on one line each so the table reads as one.
#[rustfmt::skip]
pub fn cases() -> Vec<Case> {
    let valid = protobuf_spans("bad-input", 3);
    let mut cut_gzip = gzip(&[b'x'; 64]);
    cut_gzip.truncate(cut_gzip.len() / 2);
    let hour_ms = 3_600_000i64;
    let now_ms = (now_nanos() / 1_000_000) as i64;
    let event = build_event("bad-input-1", now_ms - hour_ms, now_ms);
    let far_future = now_nanos() + 24 * 3_600_000_000_000;
    vec![
        // OTLP/HTTP, protobuf: the transport.
        case("truncated protobuf", protobuf(valid[..valid.len() / 2].to_vec()), 400, "not a valid OTLP protobuf"),
        case("wrong content type", otlp(Some("text/csv"), None, valid.clone()), 415, "Content-Type 'text/csv' is not supported"),
        case("missing content type", otlp(None, None, valid.clone()), 415, "missing Content-Type"),
        case("invalid gzip", otlp(Some(PROTOBUF), Some("gzip"), b"this is not gzip".to_vec()), 400, "invalid gzip body"),
        case("truncated gzip", otlp(Some(PROTOBUF), Some("gzip"), cut_gzip), 400, "invalid gzip body"),
        case("unknown content encoding", otlp(Some(PROTOBUF), Some("br"), valid.clone()), 415, "Content-Encoding 'br' is not supported"),
        case("2 MB body", protobuf(vec![0u8; 2 << 20]), 413, "exceeds 1048576 bytes"),
        case("gzip bomb", otlp(Some(PROTOBUF), Some("gzip"), gzip(&vec![0u8; MAX_DECOMPRESSED + 1])), 413, "decompresses to more than 2097152 bytes"),
        clean("empty protobuf body (an empty request)", protobuf(Vec::new()), 200, 0),
        clean("empty gzip body", otlp(Some(PROTOBUF), Some("gzip"), gzip(b"")), 200, 0),
        // OTLP/HTTP, protobuf: spans rejected one by one, links dropped.
        case("trace id of 8 bytes", protobuf(protobuf_with(|s| s.trace_id = vec![1; 8])), 200, "trace_id must be 16 bytes"),
        case("span kind 9", protobuf(protobuf_with(set_kind(9))), 200, "kind 9 is outside the OTLP enum (0 to 5)"),
        case("status code 7", protobuf(protobuf_with(set_status(7))), 200, "status.code 7 is outside the OTLP enum (0 to 2)"),
        case("end before start", protobuf(protobuf_with(|s| s.end_time_unix_nano = s.start_time_unix_nano - 1)), 200, "end_time_unix_nano"),
        case("a day in the future", protobuf(protobuf_with(|s| { s.start_time_unix_nano = far_future; s.end_time_unix_nano = far_future + 1 })), 200, "is too far in the future"),
        Case { stores: 1, ..case("link with a 5-byte trace id (span kept)", protobuf(protobuf_with(broken_link)), 200, "1 link with an invalid trace or span id dropped") },
        // OTLP/HTTP, JSON: refused whole, with the path of what is wrong.
        case("not JSON at all", json(b"<xml/>".to_vec()), 400, "not valid OTLP JSON: expected value at line 1 column 1"),
        case("name is a number", json(json_request(vec![json_span(json!({"name": 5}))])), 400, "resourceSpans[0].scopeSpans[0].spans[0].name: invalid type: integer `5`"),
        case("time is a word", json(json_request(vec![json_span(json!({"startTimeUnixNano": "soon"}))])), 400, "spans[0].startTimeUnixNano: \"soon\" is not an unsigned 64-bit integer"),
        case("attribute value is not an AnyValue", json(json_attribute(json!("plain"))), 400, "attributes[0].value: invalid type: string \"plain\", expected an AnyValue"),
        case("bytesValue is not base64", json(json_attribute(json!({"bytesValue": "!!"}))), 400, "value.bytesValue: not base64"),
        case("intValue past int64", json(json_attribute(json!({"intValue": "9223372036854775808"}))), 400, "is not a signed 64-bit integer"),
        case("trailing garbage", json(b"{} x".to_vec()), 400, "trailing characters"),
        case("values nested 40 deep", json(json_deep_value(40)), 400, "attribute values nest deeper than 32 levels"),
        // OTLP/HTTP, JSON: spans rejected one by one.
        case("trace id not hex", json(json_request(vec![json_span(json!({"traceId": "not-hex!"}))])), 200, "traceId must be 32 hex digits (16 bytes), not all zero; got 'not-hex!'"),
        case("JSON span kind 9", json(json_request(vec![json_span(json!({"kind": 9}))])), 200, "kind 9 is outside the OTLP enum"),
        case("JSON kind by an unknown name", json(json_request(vec![json_span(json!({"kind": "SPAN_KIND_SIDEWAYS"}))])), 200, "kind 'SPAN_KIND_SIDEWAYS' is outside the OTLP enum"),
        Case { stores: 1, ..case("JSON link with a bad id (span kept)", json(json_request(vec![json_span(json!({"links": [{"traceId": "zz", "spanId": "00f067aa0ba902b7"}]}))])), 200, "links[0] needs a traceId of 32 and a spanId of 16 hex digits") },
        // OTLP/HTTP, JSON: what the proto3 JSON mapping allows is stored.
        clean("empty arrayValue and kvlistValue", json(json_request(vec![json_span(json!({"attributes": [
            {"key": "list", "value": {"arrayValue": {}}}, {"key": "map", "value": {"kvlistValue": {}}}]}))])), 200, 1),
        clean("original (snake_case) field names", json(json_snake_case()), 200, 1),
        clean("doubles as NaN, Infinity, -Infinity, \"1.25\"", json(json_request(vec![json_span(json!({"attributes": [
            {"key": "nan", "value": {"doubleValue": "NaN"}}, {"key": "inf", "value": {"doubleValue": "Infinity"}},
            {"key": "-inf", "value": {"doubleValue": "-Infinity"}}, {"key": "str", "value": {"doubleValue": "1.25"}}]}))])), 200, 1),
        clean("32-bit ints as strings, enums by name", json(json_request(vec![
            json_span(json!({"kind": "3", "status": {"code": "2"}, "droppedAttributesCount": "1", "flags": "256"})),
            json_span(json!({"kind": "SPAN_KIND_CLIENT", "status": {"code": "STATUS_CODE_OK"}}))])), 200, 2),
        clean("null scalars are defaults", json(json_request(vec![json_span(json!({
            "traceState": null, "parentSpanId": null, "status": null, "events": null, "attributes": [{"key": "n", "value": {"stringValue": null}}]}))])), 200, 1),
        clean("URL-safe unpadded base64 bytes", json(json_attribute(json!({"bytesValue": "-_-_-w"}))), 200, 1),
        clean("resource with only some newer fields", json(json!({"resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "entity"}}], "entityRefs": [{"type": "service", "idKeys": ["service.name"]}]},
            "scopeSpans": [{"spans": [json_span(json!({}))]}]}]}).to_string().into_bytes()), 200, 1),
        clean("unknown fields everywhere", json(json!({"futureField": {"x": [1]}, "resourceSpans": [{"futureField": 1,
            "scopeSpans": [{"futureField": null, "spans": [json_span(json!({"futureField": "x", "status": {"code": 1, "futureField": true}}))]}]}]})
            .to_string().into_bytes()), 200, 1),
        clean("empty JSON body (an empty request)", json(Vec::new()), 200, 0),
        // OTLP/gRPC.
        case("gRPC: not a protobuf message", Request::Grpc(vec![0x0a, 0xff, 0xff, 0xff]), INVALID_ARGUMENT, "not a valid OTLP protobuf ExportTraceServiceRequest"),
        case("gRPC: a method the trace service does not have", Request::GrpcMethod("Import", Vec::new()), UNIMPLEMENTED, "it has one, Export"),
        case("gRPC: truncated message", Request::Grpc(valid[..valid.len() - 7].to_vec()), INVALID_ARGUMENT, "not a valid OTLP protobuf ExportTraceServiceRequest"),
        case("gRPC: message over the limit", Request::Grpc(vec![0u8; MAX_DECOMPRESSED + 1]), RESOURCE_EXHAUSTED, "message length too large"),
        case("gRPC: span kind 9", Request::Grpc(protobuf_with(set_kind(9))), OK, "kind 9 is outside the OTLP enum"),
        clean("gRPC: empty message", Request::Grpc(Vec::new()), OK, 0),
        // RUM beacons.
        case("beacon: not JSON", beacon(SITE, "text/plain", "name=LCP&value=1"), 400, "body is not valid JSON"),
        case("beacon: unknown shape", beacon(SITE, "text/plain", r#"{"metric":"LCP"}"#), 400, "expected a JSON object"),
        case("beacon: foreign origin", beacon("http://evil.test", "text/plain", r#"{"name":"LCP","value":1,"id":"a"}"#), 403, "may not send beacons here"),
        case("beacon: XML", beacon(SITE, "application/xml", "<beacon/>"), 415, "Content-Type 'application/xml' is not supported"),
        case("beacon: 100 KB body", beacon(SITE, "text/plain", vec![b' '; 100 << 10]), 413, "exceeds"),
        // Build events.
        case("build: no timestamp", build(None, Some("sha256=00".into()), &event), 401, "missing X-Jamscope-Timestamp header"),
        case("build: stale timestamp", build(Some((now_secs() - 3_600).to_string()), Some("sha256=00".into()), &event), 401, "stale timestamp"),
        case("build: bad signature", build(Some(now_secs().to_string()), Some("sha256=00".into()), &event), 401, "bad signature"),
        case("build: signed, not JSON", signed_build("not json"), 400, "body is not a valid build event"),
        case("build: finished before it started", signed_build(&build_event("bad-input-2", now_ms, now_ms - hour_ms)), 400, "'finished_at' is before 'started_at'"),
        // Query API parameters.
        case("api: unknown parameter", get("/api/traces?servce=shop"), 400, "unknown parameter 'servce'"),
        case("api: limit is a word", get("/api/traces?limit=lots"), 400, "parameter 'limit' must be a whole number from 0 to 1000"),
        case("api: window is a word", get("/api/layers?window=soon"), 400, "parameter 'window' must be a duration"),
        case("api: from is not a time", get("/api/errors?from=yesterday"), 400, "parameter 'from' must be RFC 3339"),
        case("api: window and from", get("/api/vitals?window=1h&from=0"), 400, "give either 'window' or 'from'/'to', not both"),
        case("api: a year", get("/api/traces?window=365d"), 400, "longer than 90 days"),
        case("api: status", get("/api/traces?status=broken"), 400, "parameter 'status' must be 'error' or 'any'"),
        case("api: group_by", get("/api/vitals?group_by=color"), 400, "parameter 'group_by' must be"),
        case("api: trace id", get("/api/traces/not-a-trace"), 400, "trace id must be 32 hex digits"),
        case("api: history limit", get("/api/alerts/history?limit=0"), 400, "must be a whole number from 1 to 10000"),
        // Silences.
        case("silence: not JSON", Request::Http { method: "POST", path: "/api/silences".into(), headers: vec![], body: b"{".to_vec() }, 400, "the silence is not valid JSON"),
        case("silence: no matchers", silence(json!({"matchers": [], "duration": "1h"})), 400, "at least one"),
        case("silence: bad matcher", silence(json!({"matchers": ["nope"], "duration": "1h"})), 400, "label=value"),
        case("silence: unknown field", silence(json!({"matchers": ["a=b"], "duration": "1h", "reason": "x"})), 400, "unknown field `reason`"),
        case("silence: over before now", silence(json!({"matchers": ["a=b"], "ends_at": "2020-01-01T00:00:00Z"})), 400, "must end after it starts and after now"),
        case("silence: end and duration", silence(json!({"matchers": ["a=b"]})), 400, "give exactly one of ends_at"),
    ]
}
