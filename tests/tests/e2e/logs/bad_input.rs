//! Bad log input gets a clear answer: records that are wrong (ids,
//! severity, times) are refused one by one with OTLP's partial success and
//! the reason, over OTLP/HTTP protobuf and JSON and OTLP/gRPC; bodies that
//! are not a request at all are refused whole; the valid records land,
//! and `/metrics` counts both by signal and reason.

use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use serde_json::{json, Value};

use super::stored_logs;
use crate::harness::{block_on, metric, metrics_text, Collector};
use crate::payload::{post, string_attribute, RpcStatus};

const DAY_NANOS: u64 = 86_400_000_000_000;

pub fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
}

/// A valid record with `body`, written a second ago.
pub fn record(body: &str) -> LogRecord {
    LogRecord {
        time_unix_nano: now_nanos() - 1_000_000_000,
        severity_number: 9,
        severity_text: "INFO".into(),
        body: Some(AnyValue {
            value: Some(any_value::Value::StringValue(body.into())),
        }),
        attributes: vec![string_attribute("code.function", "checkout")],
        trace_id: (0..16).map(|_| fastrand::u8(1..)).collect(),
        span_id: (0..8).map(|_| fastrand::u8(1..)).collect(),
        ..Default::default()
    }
}

pub fn request(service: &str, records: Vec<LogRecord>) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![string_attribute("service.name", service)],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// One good record and four wrong ones: a short trace id, a severity past
/// FATAL4, a time before retention, a time past the year 2262.
fn mixed(service: &str) -> ExportLogsServiceRequest {
    let mut short_id = record("short id");
    short_id.trace_id.truncate(5);
    let mut loud = record("loud");
    loud.severity_number = 30;
    let mut old = record("old");
    old.time_unix_nano = now_nanos() - 40 * DAY_NANOS;
    let mut far = record("far");
    far.time_unix_nano = u64::MAX;
    request(service, vec![record("kept"), short_id, loud, old, far])
}

fn logs_url(collector: &Collector) -> String {
    format!("{}/v1/logs", collector.http_url())
}

#[test]
fn wrong_records_are_refused_one_by_one_on_every_transport_with_the_reason() {
    let collector = Collector::start();
    let url = logs_url(&collector);

    let (status, _, body) = post(
        &url,
        Some("application/x-protobuf"),
        None,
        mixed("over-protobuf").encode_to_vec(),
    );
    assert_eq!(status, 200);
    let partial = ExportLogsServiceResponse::decode(body.as_slice())
        .expect("an export response")
        .partial_success
        .expect("a partial success");
    assert_eq!(partial.rejected_log_records, 4);
    assert_eq!(
        partial.error_message,
        "log record 'short id': trace_id must be empty or 16 bytes and not all zero, got 5 bytes"
    );

    let json_body = serde_json::to_vec(&mixed("over-json")).expect("OTLP JSON");
    let (status, _, body) = post(&url, Some("application/json"), None, json_body);
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_slice(&body).expect("JSON answer");
    assert_eq!(answer["partialSuccess"]["rejectedLogRecords"], "4");
    assert!(
        answer["partialSuccess"]["errorMessage"]
            .as_str()
            .is_some_and(
                |m| m.starts_with("log record 'short id': traceId must be empty or 32 hex digits")
            ),
        "{answer}"
    );

    let grpc_answer = block_on(async {
        let mut client = LogsServiceClient::connect(collector.grpc_url())
            .await
            .expect("gRPC connects");
        client
            .export(mixed("over-grpc"))
            .await
            .expect("exported")
            .into_inner()
    });
    let partial = grpc_answer.partial_success.expect("a partial success");
    assert_eq!(partial.rejected_log_records, 4);

    for service in ["over-protobuf", "over-json", "over-grpc"] {
        let rows = stored_logs(&collector, service, 1);
        assert_eq!(rows.len(), 1, "{service}");
        assert_eq!(rows[0]["Body"], "kept");
    }
    let text = metrics_text(&collector);
    for (series, count) in [
        ("jamscope_records_accepted_total{signal=\"log_records\"}", 3),
        (
            "jamscope_records_rejected_total{signal=\"log_records\",reason=\"invalid_id\"}",
            3,
        ),
        (
            "jamscope_records_rejected_total{signal=\"log_records\",reason=\"invalid_value\"}",
            3,
        ),
        (
            "jamscope_records_rejected_total{signal=\"log_records\",reason=\"time_window\"}",
            6,
        ),
    ] {
        assert_eq!(metric(&text, series), Some(count), "{series}\n{text}");
    }
}

#[test]
fn bodies_that_are_not_a_log_request_are_refused_whole_and_say_why() {
    let collector = Collector::start();
    let url = logs_url(&collector);
    // A record whose severity text is not UTF-8.
    let mut bad = request("bad", vec![record("x")]).encode_to_vec();
    let at = bad
        .windows(4)
        .position(|w| w == b"INFO")
        .expect("severity text");
    bad[at] = 0xff;
    let (status, _, body) = post(&url, Some("application/x-protobuf"), None, bad);
    assert_eq!(status, 400);
    let refusal = RpcStatus::decode(body.as_slice()).expect("a google.rpc.Status");
    assert_eq!(
        refusal.message,
        "body is not a valid OTLP protobuf ExportLogsServiceRequest: \
         resource_logs[0].scope_logs[0].log_records[0].severity_text: string is not UTF-8"
    );

    let (status, _, body) = post(
        &url,
        Some("application/json"),
        None,
        json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [{"severityNumber": [9]}]}]}]})
            .to_string()
            .into_bytes(),
    );
    assert_eq!(status, 400);
    let refusal: Value = serde_json::from_slice(&body).expect("JSON refusal");
    assert!(
        refusal["message"].as_str().is_some_and(|m| m.starts_with(
            "body is not valid OTLP JSON: resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber:"
        )),
        "{refusal}"
    );

    let (status, _, body) = post(&url, Some("text/plain"), None, b"hello".to_vec());
    assert_eq!(status, 415, "{}", String::from_utf8_lossy(&body));

    // And the collector still takes good records.
    let (status, _, body) = post(
        &url,
        Some("application/x-protobuf"),
        None,
        request("after", vec![record("still served")]).encode_to_vec(),
    );
    assert_eq!((status, body.as_slice()), (200, &[][..]));
    assert_eq!(stored_logs(&collector, "after", 1).len(), 1);
}
