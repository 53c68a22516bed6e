//! Bad input gets its documented status and a message saying what is wrong,
//! on every endpoint (`table`), and the collector keeps serving afterwards.

mod bodies;
mod send;
mod table;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;
use serde_json::json;

use crate::harness::{Collector, CollectorOptions};
use crate::payload::{post, protobuf_spans, request, span};
use bodies::{build_event, json_request, json_span, now_nanos, now_secs, sign, BUILD_SECRET};
use send::{send, Request};
use table::{cases, MAX_DECOMPRESSED, SITE};

const PROTOBUF: Option<&str> = Some("application/x-protobuf");
const JSON: Option<&str> = Some("application/json");

/// The table, against one collector with every endpoint on: after each
/// case a normal request still succeeds, and after all of them every kind
/// of normal request is still stored.
#[test]
fn every_endpoint_answers_bad_input_with_its_status_and_reason_and_serving_goes_on() {
    let rules = tempfile::tempdir().expect("rules dir");
    let collector = Collector::start_with(
        CollectorOptions::default()
            .env("JAMSCOPE_BUILD_WEBHOOK_SECRET", BUILD_SECRET)
            .env("JAMSCOPE_RUM_ALLOWED_ORIGINS", SITE)
            .env("JAMSCOPE_ALERT_ENABLED", "true")
            .env(
                "JAMSCOPE_ALERT_RULES_DIR",
                rules.path().display().to_string(),
            )
            .env(
                "JAMSCOPE_INGEST_MAX_DECOMPRESSED_BYTES",
                MAX_DECOMPRESSED.to_string(),
            ),
    );
    let traces = format!("{}/v1/traces", collector.http_url());
    let mut spans = 0;
    // Every case runs; the failures are reported together.
    let mut failures = Vec::new();
    for case in cases() {
        let reply = send(&collector, &case.request);
        if reply.status != case.status {
            failures.push(format!(
                "{}: status {} instead of {} (message {:?})",
                case.what, reply.status, case.status, reply.message
            ));
        }
        match case.says {
            Some(words) if !reply.message.contains(words) => failures.push(format!(
                "{}: message {:?} should say {words:?}",
                case.what, reply.message
            )),
            None if !reply.message.is_empty() => failures.push(format!(
                "{}: nothing to say, got {:?}",
                case.what, reply.message
            )),
            _ => {}
        }
        spans += case.stores;
        let (status, _, _) = post(
            &traces,
            PROTOBUF,
            None,
            protobuf_spans("after-bad-input", 1),
        );
        assert_eq!(status, 200, "after {}", case.what);
        spans += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(collector.wait_for_rows("otel_traces", spans), spans);

    // Normal requests of every kind, from the same collector.
    let (status, _, _) = post(
        &traces,
        JSON,
        None,
        json_request(vec![json_span(json!({}))]),
    );
    assert_eq!(status, 200);
    assert_eq!(collector.wait_for_rows("otel_traces", spans + 1), spans + 1);
    let beacon = json!({"name": "LCP", "value": 1200, "delta": 1200, "id": "v1-bad-input-after", "page": "/"});
    let reply = send(
        &collector,
        &Request::Http {
            method: "POST",
            path: "/v1/rum".into(),
            headers: vec![
                ("origin", SITE.to_owned()),
                ("content-type", "text/plain".to_owned()),
            ],
            body: beacon.to_string().into_bytes(),
        },
    );
    assert!(
        reply.status < 300,
        "beacon: {} {}",
        reply.status,
        reply.message
    );
    assert_eq!(collector.wait_for_rows("rum_vitals", 1), 1);
    let now_ms = (now_nanos() / 1_000_000) as i64;
    let event = build_event("after-bad-input", now_ms - 60_000, now_ms);
    let timestamp = now_secs().to_string();
    let reply = send(
        &collector,
        &Request::Http {
            method: "POST",
            path: "/v1/builds".into(),
            headers: vec![
                ("content-type", "application/json".to_owned()),
                (
                    "x-jamscope-signature",
                    sign(BUILD_SECRET, &timestamp, &event),
                ),
                ("x-jamscope-timestamp", timestamp),
            ],
            body: event.into_bytes(),
        },
    );
    assert_eq!(reply.status, 202, "build: {}", reply.message);
    assert_eq!(collector.wait_for_rows("builds", 1), 1);
}

#[test]
fn invalid_spans_are_rejected_one_by_one_with_partial_success() {
    let collector = Collector::start();
    let mut bad = span("bad-id");
    bad.trace_id = vec![1; 8];
    let body = request("partial", vec![span("good-1"), bad, span("good-2")]).encode_to_vec();
    let (status, _, body) = post(
        &format!("{}/v1/traces", collector.http_url()),
        PROTOBUF,
        None,
        body,
    );
    assert_eq!(status, 200);
    let response = ExportTraceServiceResponse::decode(&body[..]).expect("response");
    let partial = response.partial_success.expect("partial success");
    assert_eq!(partial.rejected_spans, 1);
    assert!(
        partial.error_message.contains("'bad-id'"),
        "{}",
        partial.error_message
    );
    assert_eq!(collector.wait_for_rows("otel_traces", 2), 2);

    // The same through OTLP JSON, where ids are hex.
    // Dated now: rows far in the past could fall under the table's TTL.
    let start_ns = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        - 60)
        * 1_000_000_000
        + 223_456_791;
    let json = format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"json-partial"}}}}]}},
        "scopeSpans":[{{"spans":[
          {{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"ok","kind":2,
           "startTimeUnixNano":"{start_ns}","endTimeUnixNano":"{}",
           "attributes":[{{"key":"n","value":{{"intValue":"42"}}}}]}},
          {{"traceId":"5b8efff798038103","spanId":"eee19b7ec3c1b175","name":"short-trace-id"}}]}}]}}]}}"#,
        start_ns + 100_000_000
    );
    let (status, _, body) = post(
        &format!("{}/v1/traces", collector.http_url()),
        JSON,
        None,
        json.as_bytes().to_vec(),
    );
    assert_eq!(status, 200);
    let response: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(response["partialSuccess"]["rejectedSpans"], "1");
    assert_eq!(collector.wait_for_rows("otel_traces", 3), 3);
    let rows = collector.query(
        "SELECT SpanAttributes['n'] AS n, toUnixTimestamp64Nano(Timestamp) AS ns, Duration FROM otel_traces WHERE SpanId = 'eee19b7ec3c1b174'",
    );
    assert_eq!(rows[0]["n"], "42");
    assert_eq!(rows[0]["ns"], start_ns);
    assert_eq!(rows[0]["Duration"], 100000000);
}
