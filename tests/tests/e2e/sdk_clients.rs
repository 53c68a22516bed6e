//! Spans sent by real OpenTelemetry SDK exporters (Rust, Python, Node) over
//! every transport land in `otel_traces` with every field exact.

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{
    Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Array, InstrumentationScope, KeyValue, Value as OtelValue};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter as _, SpanLinks};
use opentelemetry_sdk::Resource;
use serde_json::{json, Value};

use crate::expect::assert_spans_stored;
use crate::harness::{python, repo_root, Collector, CollectorOptions};

pub(crate) fn run_client(mut command: Command) -> Value {
    let output = command.output().expect("client starts");
    assert!(
        output.status.success(),
        "client failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("client prints JSON")
}

fn python_client(endpoint: &str, protocol: &str, compression: &str) -> Value {
    let mut command = Command::new(python());
    command
        .arg(repo_root().join("tests/clients/python/send_spans.py"))
        .args([
            "--endpoint",
            endpoint,
            "--protocol",
            protocol,
            "--compression",
            compression,
        ]);
    run_client(command)
}

#[test]
fn python_sdk_over_http_protobuf() {
    let collector = Collector::start();
    let sent = python_client(&collector.http_url(), "http", "none");
    assert_spans_stored(&collector, &sent, "gateway");
}

#[test]
fn python_sdk_over_http_gzip() {
    let collector = Collector::start();
    let sent = python_client(&collector.http_url(), "http", "gzip");
    assert_spans_stored(&collector, &sent, "gateway");
}

/// Also the one path where INSERTs go LZ4-compressed: every other test's
/// ClickHouse is on loopback, where `compression = "auto"` sends them plain.
#[test]
fn python_sdk_over_grpc_stored_through_lz4_inserts() {
    let collector = Collector::start_with(
        CollectorOptions::default().env("JAMSCOPE_CLICKHOUSE_COMPRESSION", "lz4"),
    );
    let sent = python_client(&collector.grpc_url(), "grpc", "gzip");
    assert_spans_stored(&collector, &sent, "gateway");
}

#[test]
fn node_sdk_over_http_protobuf_chunked() {
    let collector = Collector::start();
    let mut command = Command::new("node");
    command
        .arg(repo_root().join("tests/clients/node/send_spans.mjs"))
        .args(["--endpoint", &collector.http_url()]);
    let sent = run_client(command);
    assert_spans_stored(&collector, &sent, "cms");
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

/// How a Rust SDK exporter sends (the log tests use it too).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Transport {
    HttpProtobuf,
    HttpJson,
    Grpc,
}

fn rust_sdk_round_trip(transport: Transport) {
    let collector = Collector::start();
    let (spans, expected) = rust_trace();
    let resource = Resource::builder_empty()
        .with_attributes([
            KeyValue::new("service.name", "rust-edge"),
            KeyValue::new("jamstack.layer", "cdn"),
            KeyValue::new("cloud.region", "eu-west-1"),
        ])
        .build();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let builder = opentelemetry_otlp::SpanExporter::builder();
        let mut exporter = match transport {
            Transport::HttpProtobuf | Transport::HttpJson => builder
                .with_http()
                .with_protocol(match transport {
                    Transport::HttpJson => Protocol::HttpJson,
                    _ => Protocol::HttpBinary,
                })
                .with_endpoint(format!("{}/v1/traces", collector.http_url()))
                .build(),
            Transport::Grpc => builder
                .with_tonic()
                .with_endpoint(collector.grpc_url())
                .build(),
        }
        .expect("exporter");
        exporter.set_resource(&resource);
        exporter.export(spans).await.expect("export accepted");
    });
    drop(runtime);
    assert_spans_stored(&collector, &expected, "cdn");
}

/// A two-span trace using every attribute type the Rust API has, events,
/// a link with trace state, and nanosecond timestamps; plus the same trace
/// in the client scripts' JSON shape, to compare with the rows.
fn rust_trace() -> (Vec<SpanData>, Value) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        - 30;
    let start = now * 1_000_000_000 + 123_456_789;
    let at = |ns: u64| UNIX_EPOCH + Duration::from_nanos(ns);
    let trace_id = TraceId::from_bytes(fastrand_bytes());
    let root_id = SpanId::from_bytes(fastrand_bytes());
    let child_id = SpanId::from_bytes(fastrand_bytes());
    let linked = SpanContext::new(
        TraceId::from_bytes(fastrand_bytes()),
        SpanId::from_bytes(fastrand_bytes()),
        TraceFlags::SAMPLED,
        true,
        TraceState::from_key_value([("vendor", "opaque")]).expect("trace state"),
    );
    let scope = InstrumentationScope::builder("jamscope-e2e-rust")
        .with_version("0.9.1")
        .build();
    let state = TraceState::from_key_value([("rojo", "00f067aa0ba902b7")]).expect("trace state");

    let mut events = SpanEvents::default();
    events.events.push(Event::new(
        "cache.miss",
        at(start + 1_001),
        vec![
            KeyValue::new("cache.key", "page:/"),
            KeyValue::new("cache.ttl_ms", 1500i64),
        ],
        0,
    ));
    let mut links = SpanLinks::default();
    links.links.push(Link::new(
        linked.clone(),
        vec![KeyValue::new("link.reason", "purge")],
        0,
    ));

    let root = SpanData {
        span_context: SpanContext::new(
            trace_id,
            root_id,
            TraceFlags::SAMPLED,
            false,
            state.clone(),
        ),
        parent_span_id: SpanId::INVALID,
        parent_span_is_remote: false,
        span_kind: SpanKind::Server,
        name: "GET /products/:id".into(),
        start_time: at(start),
        end_time: at(start + 45_000_017),
        attributes: vec![
            KeyValue::new("http.route", "/products/:id"),
            KeyValue::new("http.response.status_code", 200i64),
            KeyValue::new("cache.hit", true),
            KeyValue::new("cache.age_ratio", 0.375),
            KeyValue::new(
                "edge.pops",
                OtelValue::Array(Array::String(vec!["fra".into(), "ams".into()])),
            ),
            KeyValue::new("edge.tiers", OtelValue::Array(Array::I64(vec![1, 2]))),
            KeyValue::new(
                "edge.flags",
                OtelValue::Array(Array::Bool(vec![true, false])),
            ),
            KeyValue::new(
                "edge.weights",
                OtelValue::Array(Array::F64(vec![0.5, 1.25])),
            ),
        ],
        dropped_attributes_count: 0,
        events,
        links,
        status: Status::Ok,
        instrumentation_scope: scope.clone(),
    };
    let child = SpanData {
        span_context: SpanContext::new(
            trace_id,
            child_id,
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        ),
        parent_span_id: root_id,
        parent_span_is_remote: false,
        span_kind: SpanKind::Client,
        name: "fetch origin".into(),
        start_time: at(start + 5_000_003),
        end_time: at(start + 40_000_009),
        attributes: vec![KeyValue::new("server.address", "origin.example.test")],
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::error("origin timeout"),
        instrumentation_scope: scope,
    };
    let resource =
        json!({"service.name": "rust-edge", "jamstack.layer": "cdn", "cloud.region": "eu-west-1"});
    let expected = json!({"spans": [
        {
            "trace_id": trace_id.to_string(), "span_id": root_id.to_string(), "parent_span_id": "",
            "trace_state": "rojo=00f067aa0ba902b7", "name": "GET /products/:id", "kind": "SPAN_KIND_SERVER",
            "start_ns": start, "end_ns": start + 45_000_017,
            "status_code": "STATUS_CODE_OK", "status_message": "",
            "attributes": {
                "http.route": "/products/:id", "http.response.status_code": 200, "cache.hit": true,
                "cache.age_ratio": 0.375, "edge.pops": ["fra", "ams"], "edge.tiers": [1, 2],
                "edge.flags": [true, false], "edge.weights": [0.5, 1.25]
            },
            "resource": resource.clone(), "scope_name": "jamscope-e2e-rust", "scope_version": "0.9.1",
            "events": [{"name": "cache.miss", "time_ns": start + 1_001,
                        "attributes": {"cache.key": "page:/", "cache.ttl_ms": 1500}}],
            "links": [{"trace_id": linked.trace_id().to_string(), "span_id": linked.span_id().to_string(),
                       "trace_state": "vendor=opaque", "attributes": {"link.reason": "purge"}}]
        },
        {
            "trace_id": trace_id.to_string(), "span_id": child_id.to_string(), "parent_span_id": root_id.to_string(),
            "trace_state": "", "name": "fetch origin", "kind": "SPAN_KIND_CLIENT",
            "start_ns": start + 5_000_003, "end_ns": start + 40_000_009,
            "status_code": "STATUS_CODE_ERROR", "status_message": "origin timeout",
            "attributes": {"server.address": "origin.example.test"},
            "resource": resource, "scope_name": "jamscope-e2e-rust", "scope_version": "0.9.1",
            "events": [], "links": []
        }
    ]});
    (vec![root, child], expected)
}

/// Random non-zero id bytes (a zero id would be invalid).
pub(crate) fn fastrand_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    for byte in bytes.iter_mut() {
        *byte = fastrand::u8(1..);
    }
    bytes
}
