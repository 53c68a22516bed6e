//! Log records sent by real OpenTelemetry SDK exporters (Python's
//! `logging` through `LoggingHandler`, the JS logs SDK, the Rust SDK) over
//! every transport land in `otel_logs` with every field exact.

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::logs::{AnyValue, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::trace::{SpanId, TraceFlags, TraceId};
use opentelemetry::{InstrumentationScope, Key, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::logs::{LogBatch, LogExporter as _, SdkLoggerProvider};
use opentelemetry_sdk::Resource;
use serde_json::{json, Value};

use super::assert_logs_stored;
use crate::harness::{python, repo_root, Collector};
use crate::sdk_clients::{fastrand_bytes, run_client, Transport};

/// `send_logs.py` against `endpoint`.
pub fn python_logs(endpoint: &str, protocol: &str, compression: &str) -> Value {
    let mut command = Command::new(python());
    command
        .arg(repo_root().join("tests/clients/python/send_logs.py"))
        .args(["--endpoint", endpoint, "--protocol", protocol])
        .args(["--compression", compression]);
    run_client(command)
}

#[test]
fn python_logging_over_grpc_gzip() {
    let collector = Collector::start();
    let sent = python_logs(&collector.grpc_url(), "grpc", "gzip");
    assert_logs_stored(&collector, &sent, "function");
}

#[test]
fn node_logs_sdk_over_http_protobuf() {
    let collector = Collector::start();
    let mut command = Command::new("node");
    command
        .arg(repo_root().join("tests/clients/node/send_logs.mjs"))
        .args(["--endpoint", &collector.http_url(), "--compression", "gzip"]);
    let sent = run_client(command);
    assert_logs_stored(&collector, &sent, "cms");
}

#[test]
fn rust_sdk_over_http_protobuf() {
    rust_sdk_round_trip(Transport::HttpProtobuf);
}

#[test]
fn rust_sdk_over_http_json() {
    rust_sdk_round_trip(Transport::HttpJson);
}

#[test]
fn rust_sdk_over_grpc() {
    rust_sdk_round_trip(Transport::Grpc);
}

const RESOURCE_SCHEMA: &str = "https://opentelemetry.io/schemas/1.29.0";
const SCOPE_SCHEMA: &str = "https://opentelemetry.io/schemas/1.30.0";

fn rust_sdk_round_trip(transport: Transport) {
    let collector = Collector::start();
    let resource = Resource::builder_empty()
        .with_schema_url(
            [
                KeyValue::new("service.name", "rust-gateway"),
                KeyValue::new("jamstack.layer", "gateway"),
                KeyValue::new("cloud.region", "eu-west-1"),
            ],
            RESOURCE_SCHEMA,
        )
        .build();
    let scope = InstrumentationScope::builder("jamscope-e2e-rust")
        .with_version("0.9.1")
        .with_schema_url(SCOPE_SCHEMA)
        .with_attributes([KeyValue::new("logger.kind", "bridge")])
        .build();
    // A provider without processors: it only makes the SDK's records,
    // which go to the exporter by hand, as the trace test sends its spans.
    let provider = SdkLoggerProvider::builder().build();
    let logger = provider.logger_with_scope(scope.clone());
    let (records, expected) = rust_records(|| logger.create_log_record());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let builder = opentelemetry_otlp::LogExporter::builder();
        let mut exporter = match transport {
            Transport::HttpProtobuf | Transport::HttpJson => builder
                .with_http()
                .with_protocol(match transport {
                    Transport::HttpJson => Protocol::HttpJson,
                    _ => Protocol::HttpBinary,
                })
                .with_endpoint(format!("{}/v1/logs", collector.http_url()))
                .build(),
            Transport::Grpc => builder
                .with_tonic()
                .with_endpoint(collector.grpc_url())
                .build(),
        }
        .expect("exporter");
        exporter.set_resource(&resource);
        let batch: Vec<_> = records.iter().map(|record| (record, &scope)).collect();
        exporter
            .export(LogBatch::new(&batch))
            .await
            .expect("export accepted");
    });
    drop(runtime);
    assert_logs_stored(&collector, &expected, "gateway");
}

/// Three records using every body and attribute type the Rust API has, a
/// trace context, an event name and nanosecond times; plus the same in
/// the client scripts' JSON shape, to compare with the rows.
fn rust_records<R: opentelemetry::logs::LogRecord>(new: impl Fn() -> R) -> (Vec<R>, Value) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        - 30;
    let t0 = now * 1_000_000_000 + 123_456_789;
    let at = |ns: u64| UNIX_EPOCH + Duration::from_nanos(ns);
    let trace_id = TraceId::from_bytes(fastrand_bytes());
    let span_id = SpanId::from_bytes(fastrand_bytes());

    let mut warning = new();
    warning.set_timestamp(at(t0));
    warning.set_observed_timestamp(at(t0 + 17));
    warning.set_severity_number(Severity::Warn);
    warning.set_severity_text("WARN");
    warning.set_body(AnyValue::from("upstream slow: 1.2 s for /products"));
    warning.add_attributes([
        ("http.route", AnyValue::from("/products")),
        ("upstream.latency_ms", AnyValue::Int(1200)),
        ("upstream.ratio", AnyValue::Double(0.375)),
        ("upstream.retried", AnyValue::Boolean(true)),
        (
            "upstream.digest",
            AnyValue::Bytes(Box::new(vec![0, 1, 0xfe])),
        ),
        (
            "upstream.hops",
            AnyValue::ListAny(Box::new(vec![AnyValue::from("fra"), AnyValue::from("ams")])),
        ),
    ]);

    let mut error = new();
    error.set_timestamp(at(t0 + 5_000_003));
    error.set_observed_timestamp(at(t0 + 5_000_003));
    error.set_severity_number(Severity::Error2);
    error.set_severity_text("ERROR");
    error.set_body(AnyValue::from("origin refused the connection"));
    error.set_trace_context(trace_id, span_id, Some(TraceFlags::SAMPLED));
    error.add_attribute("server.address", "origin.example.test");

    let mut event = new();
    // No time of its own: the observed time is the record's.
    event.set_observed_timestamp(at(t0 + 9_000_009));
    event.set_severity_number(Severity::Info);
    event.set_event_name("gateway.route_changed");
    event.set_body(AnyValue::Map(Box::new(
        [
            (Key::new("route"), AnyValue::from("/products/:id")),
            (Key::new("weight"), AnyValue::Int(3)),
        ]
        .into(),
    )));

    let resource = json!({"service.name": "rust-gateway", "jamstack.layer": "gateway", "cloud.region": "eu-west-1"});
    let record = |fields: Value| {
        let mut record = json!({
            "observed_ns": 0, "flags": 0, "trace_id": "", "span_id": "", "event_name": "",
            "severity_text": "", "attributes": {}, "attribute_types": {},
            "resource": resource.clone(), "resource_schema_url": RESOURCE_SCHEMA,
            "scope_name": "jamscope-e2e-rust", "scope_version": "0.9.1",
            "scope_attributes": {"logger.kind": "bridge"}, "scope_schema_url": SCOPE_SCHEMA,
        });
        if let (Some(record), Some(fields)) = (record.as_object_mut(), fields.as_object()) {
            record.extend(fields.clone());
        }
        record
    };
    let expected = json!({"logs": [
        record(json!({
            "time_ns": t0, "observed_ns": t0 + 17, "severity_number": 13, "severity_text": "WARN",
            "body": "upstream slow: 1.2 s for /products", "body_type": "string",
            "attributes": {
                "http.route": "/products", "upstream.latency_ms": 1200, "upstream.ratio": 0.375,
                "upstream.retried": true, "upstream.digest": "AAH+", "upstream.hops": ["fra", "ams"]
            },
            "attribute_types": {"upstream.digest": "bytes", "upstream.ratio": "double"}
        })),
        record(json!({
            "time_ns": t0 + 5_000_003, "observed_ns": t0 + 5_000_003, "severity_number": 18,
            "severity_text": "ERROR", "body": "origin refused the connection", "body_type": "string",
            "trace_id": trace_id.to_string(), "span_id": span_id.to_string(), "flags": 1,
            "attributes": {"server.address": "origin.example.test"}
        })),
        record(json!({
            "time_ns": 0, "observed_ns": t0 + 9_000_009, "severity_number": 9,
            "event_name": "gateway.route_changed",
            "body": {"route": "/products/:id", "weight": 3}, "body_type": "map"
        })),
    ]});
    (vec![warning, error, event], expected)
}
