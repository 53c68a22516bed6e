//! Metrics recorded by real OpenTelemetry SDKs (Python over HTTP and gRPC,
//! Node over HTTP, Rust over HTTP protobuf, HTTP JSON and gRPC), with
//! cumulative and delta temporality: every point each SDK exported lands in
//! its table with every column as exported. Each client reports what it
//! exported as OTLP/JSON requests (tests/clients/README.md).

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{
    Aggregation, Instrument, PeriodicReader, SdkMeterProvider, Stream, Temporality,
};
use opentelemetry_sdk::Resource;
use serde_json::Value;

use super::as_otlp_json;
use super::expect::assert_points_stored;
use crate::harness::{python, repo_root, Collector};

/// What a client printed: the export requests it sent, as OTLP/JSON.
fn requests_of(mut command: Command) -> Vec<Value> {
    let output = command.output().expect("client starts");
    assert!(
        output.status.success(),
        "client failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Value = serde_json::from_slice(&output.stdout).expect("client prints JSON");
    printed["requests"].as_array().cloned().unwrap_or_default()
}

fn python_client(endpoint: &str, protocol: &str, temporality: &str, service: &str) -> Vec<Value> {
    let mut command = Command::new(python());
    command
        .arg(repo_root().join("tests/clients/python/send_metrics.py"))
        .args(["--endpoint", endpoint, "--protocol", protocol])
        .args(["--temporality", temporality, "--service", service]);
    requests_of(command)
}

fn node_client(endpoint: &str, temporality: &str, service: &str) -> Vec<Value> {
    let mut command = Command::new("node");
    command
        .arg(repo_root().join("tests/clients/node/send_metrics.mjs"))
        .args(["--endpoint", endpoint])
        .args(["--temporality", temporality, "--service", service]);
    requests_of(command)
}

fn service_is(service: &str) -> String {
    format!("ServiceName = '{service}'")
}

#[test]
fn python_sdk_metrics_over_http_cumulative_and_delta() {
    let collector = Collector::start();
    for temporality in ["cumulative", "delta"] {
        let service = format!("py-http-{temporality}");
        let sent = python_client(&collector.http_url(), "http", temporality, &service);
        assert_points_stored(&collector, &sent, "cms", &service_is(&service));
    }
}

#[test]
fn python_sdk_metrics_over_grpc_cumulative_and_delta() {
    let collector = Collector::start();
    for temporality in ["cumulative", "delta"] {
        let service = format!("py-grpc-{temporality}");
        let sent = python_client(&collector.grpc_url(), "grpc", temporality, &service);
        assert_points_stored(&collector, &sent, "cms", &service_is(&service));
    }
}

#[test]
fn node_sdk_metrics_over_http_cumulative_and_delta() {
    let collector = Collector::start();
    for temporality in ["cumulative", "delta"] {
        let service = format!("node-{temporality}");
        let sent = node_client(&collector.http_url(), temporality, &service);
        assert_points_stored(&collector, &sent, "cms", &service_is(&service));
    }
}

#[test]
fn rust_sdk_metrics_over_every_transport_cumulative_and_delta() {
    let collector = Collector::start();
    for (transport, temporality) in [
        (Transport::HttpProtobuf, Temporality::Cumulative),
        (Transport::HttpJson, Temporality::Delta),
        (Transport::Grpc, Temporality::Delta),
        (Transport::Grpc, Temporality::Cumulative),
    ] {
        let service = format!("rust-{transport:?}-{temporality:?}").to_lowercase();
        let sent = rust_client(&collector, transport, temporality, &service);
        assert_points_stored(&collector, &sent, "cms", &service_is(&service));
    }
}

#[derive(Clone, Copy, Debug)]
enum Transport {
    HttpProtobuf,
    HttpJson,
    Grpc,
}

/// The Rust SDK's OTLP exporter, remembering what it exported. The
/// periodic reader exports from a thread of its own, outside any runtime,
/// so the exporter (tonic, reqwest) runs on one the recorder owns.
struct Recording {
    inner: opentelemetry_otlp::MetricExporter,
    runtime: Arc<tokio::runtime::Runtime>,
    sent: Arc<Mutex<Vec<ExportMetricsServiceRequest>>>,
}

impl PushMetricExporter for Recording {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        self.sent
            .lock()
            .expect("not poisoned")
            .push(ExportMetricsServiceRequest::from(metrics));
        self.runtime.block_on(self.inner.export(metrics))
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}

/// Every synchronous instrument kind, the body sizes as an exponential
/// histogram; exported once (flush) and again at shutdown.
fn rust_client(
    collector: &Collector,
    transport: Transport,
    temporality: Temporality,
    service: &str,
) -> Vec<Value> {
    let runtime = Arc::new(tokio::runtime::Runtime::new().expect("runtime"));
    let exporter = {
        let _inside = runtime.enter();
        let builder = opentelemetry_otlp::MetricExporter::builder();
        match transport {
            Transport::HttpProtobuf | Transport::HttpJson => builder
                .with_http()
                .with_protocol(match transport {
                    Transport::HttpJson => Protocol::HttpJson,
                    _ => Protocol::HttpBinary,
                })
                .with_endpoint(format!("{}/v1/metrics", collector.http_url()))
                .with_temporality(temporality)
                .build(),
            Transport::Grpc => builder
                .with_tonic()
                .with_endpoint(collector.grpc_url())
                .with_temporality(temporality)
                .build(),
        }
        .expect("exporter")
    };
    let sent = Arc::new(Mutex::new(Vec::new()));
    let reader = PeriodicReader::builder(Recording {
        inner: exporter,
        runtime: Arc::clone(&runtime),
        sent: Arc::clone(&sent),
    })
    .with_interval(Duration::from_secs(3_600))
    .build();
    let provider = SdkMeterProvider::builder()
        .with_resource(
            Resource::builder_empty()
                .with_attributes([
                    KeyValue::new("service.name", service.to_owned()),
                    KeyValue::new("jamstack.layer", "cms"),
                ])
                .build(),
        )
        .with_reader(reader)
        .with_view(|instrument: &Instrument| {
            (instrument.name() == "http.response.body.size").then(|| {
                Stream::builder()
                    .with_aggregation(Aggregation::Base2ExponentialHistogram {
                        max_size: 160,
                        max_scale: 20,
                        record_min_max: true,
                    })
                    .build()
                    .expect("a stream")
            })
        })
        .build();
    record(&provider);
    provider.force_flush().expect("flushed");
    provider.shutdown().expect("shut down");
    let sent = sent.lock().expect("not poisoned");
    sent.iter().map(as_otlp_json).collect()
}

fn record(provider: &SdkMeterProvider) {
    let meter = provider.meter("jamscope-e2e");
    let pool = KeyValue::new("db.client.connection.pool.name", "main");
    let used = [
        pool.clone(),
        KeyValue::new("db.client.connection.state", "used"),
    ];
    let requests = meter
        .u64_counter("http.server.requests")
        .with_unit("{request}")
        .build();
    let connections = meter
        .i64_up_down_counter("db.client.connection.count")
        .with_description("Connections by state")
        .build();
    let cpu = meter
        .f64_gauge("process.cpu.utilization")
        .with_unit("1")
        .build();
    let duration = meter
        .f64_histogram("http.server.request.duration")
        .with_unit("s")
        .build();
    let sizes = meter.u64_histogram("http.response.body.size").build();
    requests.add(3, &[KeyValue::new("http.route", "/checkout")]);
    requests.add(2, &[KeyValue::new("http.route", "/")]);
    connections.add(7, &used);
    connections.add(
        3,
        &[pool, KeyValue::new("db.client.connection.state", "idle")],
    );
    connections.add(-2, &used);
    cpu.record(0.625, &[KeyValue::new("cpu", "0")]);
    for seconds in [0.004, 0.02, 0.3, 1.5, 7.25] {
        duration.record(seconds, &[KeyValue::new("http.route", "/checkout")]);
    }
    for size in [0, 512, 2048, 65_536, 1_000_000] {
        sizes.record(size, &[KeyValue::new("content.type", "image")]);
    }
}
