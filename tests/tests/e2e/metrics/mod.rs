//! OTLP metrics end to end: every kind of point, over OTLP/HTTP (protobuf,
//! JSON, gzip) and OTLP/gRPC, lands in its table with every column as
//! sent; opentelemetry-proto's own example lands field for field; bad
//! points get a partial success naming why, and the rest is stored. The
//! SDK clients (`sdk.rs`), the durability cases (`durability.rs`), the
//! query API and KPIs (`api.rs`) and the `metric` alert rule
//! (`alerting.rs`) are beside this file.

mod alerting;
mod api;
mod durability;
pub mod expect;
mod sdk;

use std::io::Write as _;

use flate2::write::GzEncoder;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    summary_data_point::ValueAtQuantile, Exemplar, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use serde_json::Value;

use crate::harness::{block_on, metric, metrics_text, repo_root, Collector, CollectorOptions};
use crate::payload::{post, string_attribute, RpcStatus};
use expect::assert_points_stored;

const PROTOBUF: Option<&str> = Some("application/x-protobuf");
const JSON: Option<&str> = Some("application/json");
const SECOND: u64 = 1_000_000_000;

pub fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
}

pub fn metrics_url(collector: &Collector) -> String {
    format!("{}/v1/metrics", collector.http_url())
}

fn exemplar_at(time: u64, trace_id: Vec<u8>, span_id: Vec<u8>) -> Exemplar {
    Exemplar {
        filtered_attributes: vec![string_attribute("http.route", "/checkout")],
        time_unix_nano: time,
        value: Some(exemplar::Value::AsDouble(0.375)),
        span_id,
        trace_id,
    }
}

fn random_id(len: usize) -> Vec<u8> {
    (0..len).map(|_| fastrand::u8(1..)).collect()
}

/// The five tables a point lands in, one per kind, each with its own writer.
pub const METRIC_TABLES: [&str; 5] = [
    "otel_metrics_gauge",
    "otel_metrics_sum",
    "otel_metrics_histogram",
    "otel_metrics_exponential_histogram",
    "otel_metrics_summary",
];

/// One metric of every kind, with exemplars on each kind that has them,
/// times `t` (ns), from service `service`.
pub fn every_kind(service: &str, t: u64) -> ExportMetricsServiceRequest {
    let start = t - 60 * SECOND + 123_456_789;
    let exemplars = || vec![exemplar_at(t - SECOND, random_id(16), random_id(8))];
    let number = |value| NumberDataPoint {
        attributes: vec![
            string_attribute("db.client.connection.pool.name", "main"),
            string_attribute("db.client.connection.state", "used"),
        ],
        start_time_unix_nano: start,
        time_unix_nano: t,
        exemplars: exemplars(),
        value: Some(value),
        flags: 0,
    };
    let metric = |name: &str, unit: &str, data| Metric {
        name: name.into(),
        description: format!("What {name} measures"),
        unit: unit.into(),
        data: Some(data),
        ..Default::default()
    };
    let metrics = vec![
        metric(
            "process.cpu.utilization",
            "1",
            Data::Gauge(Gauge {
                data_points: vec![number(number_data_point::Value::AsDouble(0.625))],
            }),
        ),
        metric(
            "db.client.connection.count",
            "{connection}",
            Data::Sum(Sum {
                data_points: vec![number(number_data_point::Value::AsInt(17))],
                aggregation_temporality: 2,
                is_monotonic: false,
            }),
        ),
        metric(
            "http.server.request.duration",
            "s",
            Data::Histogram(Histogram {
                data_points: vec![HistogramDataPoint {
                    attributes: vec![string_attribute("http.route", "/api/products/:id")],
                    start_time_unix_nano: start,
                    time_unix_nano: t,
                    count: 10,
                    sum: Some(4.75),
                    bucket_counts: vec![2, 5, 3, 0],
                    explicit_bounds: vec![0.1, 0.5, 2.5],
                    exemplars: exemplars(),
                    flags: 0,
                    min: Some(0.015625),
                    max: Some(1.5),
                }],
                aggregation_temporality: 1,
            }),
        ),
        metric(
            "http.response.body.size",
            "By",
            Data::ExponentialHistogram(ExponentialHistogram {
                data_points: vec![ExponentialHistogramDataPoint {
                    attributes: vec![string_attribute("content.type", "image")],
                    start_time_unix_nano: start,
                    time_unix_nano: t,
                    count: 9,
                    sum: Some(18_432.5),
                    scale: 3,
                    zero_count: 1,
                    positive: Some(Buckets {
                        offset: 80,
                        bucket_counts: vec![1, 0, 4, 2],
                    }),
                    negative: Some(Buckets {
                        offset: -2,
                        bucket_counts: vec![1],
                    }),
                    flags: 0,
                    exemplars: exemplars(),
                    min: Some(-0.5),
                    max: Some(8_000.0),
                    zero_threshold: 0.0,
                }],
                aggregation_temporality: 2,
            }),
        ),
        metric(
            "rpc.server.duration",
            "ms",
            Data::Summary(Summary {
                data_points: vec![SummaryDataPoint {
                    attributes: vec![string_attribute("rpc.method", "Get")],
                    start_time_unix_nano: start,
                    time_unix_nano: t,
                    count: 40,
                    sum: 1_234.5,
                    quantile_values: vec![
                        ValueAtQuantile {
                            quantile: 0.5,
                            value: 21.25,
                        },
                        ValueAtQuantile {
                            quantile: 0.99,
                            value: 190.0,
                        },
                    ],
                    flags: 0,
                }],
            }),
        ),
    ];
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![
                    string_attribute("service.name", service),
                    string_attribute("jamstack.layer", "cms"),
                ],
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "jamscope-e2e".into(),
                    version: "4.5.6".into(),
                    attributes: vec![string_attribute("library.kind", "db")],
                    dropped_attributes_count: 2,
                }),
                metrics,
                schema_url: "https://opentelemetry.io/schemas/1.30.0".into(),
            }],
            schema_url: "https://opentelemetry.io/schemas/1.29.0".into(),
        }],
    }
}

/// The request as OTLP/JSON (hex ids), for the expected rows.
pub fn as_otlp_json(request: &ExportMetricsServiceRequest) -> Value {
    serde_json::to_value(request).expect("serializes")
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(body).expect("gzip");
    encoder.finish().expect("gzip")
}

fn grpc_export(
    collector: &Collector,
    request: ExportMetricsServiceRequest,
) -> Result<ExportMetricsServiceResponse, tonic::Status> {
    block_on(async {
        let mut client = MetricsServiceClient::connect(collector.grpc_url())
            .await
            .expect("gRPC connects");
        client.export(request).await.map(|r| r.into_inner())
    })
}

#[test]
fn every_kind_lands_exact_over_every_transport() {
    let collector = Collector::start();
    let url = metrics_url(&collector);
    let t = now_nanos() - 5 * SECOND;
    let sent = [
        ("over-protobuf", PROTOBUF, None::<&str>),
        ("over-json", JSON, None),
        ("over-gzip", PROTOBUF, Some("gzip")),
    ];
    for (service, content_type, encoding) in sent {
        let request = every_kind(service, t);
        let body = match content_type {
            Some("application/json") => as_otlp_json(&request).to_string().into_bytes(),
            _ => request.encode_to_vec(),
        };
        let body = match encoding {
            Some(_) => gzip(&body),
            None => body,
        };
        let (status, _, answer) = post(&url, content_type, encoding, body);
        assert_eq!(
            status,
            200,
            "{service}: {}",
            String::from_utf8_lossy(&answer)
        );
        assert_points_stored(
            &collector,
            &[as_otlp_json(&request)],
            "cms",
            &format!("ServiceName = '{service}'"),
        );
    }
    let request = every_kind("over-grpc", t);
    let answer = grpc_export(&collector, request.clone()).expect("exported");
    assert_eq!(answer.partial_success, None);
    assert_points_stored(
        &collector,
        &[as_otlp_json(&request)],
        "cms",
        "ServiceName = 'over-grpc'",
    );
    let text = metrics_text(&collector);
    assert_eq!(
        metric(
            &text,
            "jamscope_records_accepted_total{signal=\"metric_points\"}"
        ),
        Some(20)
    );
}

#[test]
fn the_protocols_own_example_lands_field_for_field() {
    // Its points are from 2018: a retention long enough to keep them.
    let collector = Collector::start_with(
        CollectorOptions::default().env("JAMSCOPE_CLICKHOUSE_METRICS_TTL_DAYS", "3650"),
    );
    let example = std::fs::read_to_string(
        repo_root().join("tests/fixtures/opentelemetry-proto/metrics.json"),
    )
    .expect("the fixture");
    let (status, _, answer) = post(
        &metrics_url(&collector),
        JSON,
        None,
        example.clone().into_bytes(),
    );
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8_lossy(&answer), "{}", "no partial success");
    let example: Value = serde_json::from_str(&example).expect("JSON");
    assert_points_stored(&collector, &[example], "other", "1");
}

/// One gauge point at `time` with one exemplar, as a metric named `name`.
fn gauge(name: &str, time: u64, value: f64, exemplar: Option<Exemplar>) -> Metric {
    Metric {
        name: name.into(),
        data: Some(Data::Gauge(Gauge {
            data_points: vec![NumberDataPoint {
                time_unix_nano: time,
                value: Some(number_data_point::Value::AsDouble(value)),
                exemplars: exemplar.into_iter().collect(),
                ..Default::default()
            }],
        })),
        ..Default::default()
    }
}

fn histogram(counts: Vec<u64>, bounds: Vec<f64>, time: u64) -> Metric {
    Metric {
        name: "bad.histogram".into(),
        data: Some(Data::Histogram(Histogram {
            data_points: vec![HistogramDataPoint {
                time_unix_nano: time,
                count: counts.iter().sum(),
                bucket_counts: counts,
                explicit_bounds: bounds,
                ..Default::default()
            }],
            aggregation_temporality: 2,
        })),
        ..Default::default()
    }
}

fn request_of(service: &str, metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    let mut request = every_kind(service, now_nanos());
    request.resource_metrics[0].scope_metrics[0].metrics = metrics;
    request
}

/// Bad points of each kind, two good ones, and an exemplar with a bad id:
/// 5 rejected with the first reason told, the good ones and the point of
/// the dropped exemplar stored.
fn mixed_request(service: &str) -> ExportMetricsServiceRequest {
    let now = now_nanos();
    let unknown_temporality = {
        let mut sum =
            every_kind(service, now).resource_metrics[0].scope_metrics[0].metrics[1].clone();
        if let Some(Data::Sum(sum)) = &mut sum.data {
            sum.aggregation_temporality = 0;
        }
        sum
    };
    request_of(
        service,
        vec![
            histogram(vec![1, 2], vec![1.0, 2.0], now),
            gauge("good.gauge", now, 1.5, None),
            gauge("bad.value", now, f64::INFINITY, None),
            gauge("too.old", now - 40 * 24 * 3_600 * SECOND, 1.0, None),
            unknown_temporality,
            histogram(vec![1, 2, 3], vec![2.0, 1.0], now),
            gauge(
                "kept.without.exemplar",
                now,
                2.5,
                Some(exemplar_at(now, vec![1; 5], random_id(8))),
            ),
        ],
    )
}

#[test]
fn bad_points_get_a_partial_success_with_the_reason_and_the_rest_is_stored() {
    let collector = Collector::start();
    let url = metrics_url(&collector);
    let expected_message = "metric 'bad.histogram' point 0: 2 bucket counts for 2 explicit bounds";
    // Protobuf answer.
    let (status, _, body) = post(
        &url,
        PROTOBUF,
        None,
        mixed_request("bad-protobuf").encode_to_vec(),
    );
    assert_eq!(status, 200);
    let answer = ExportMetricsServiceResponse::decode(&body[..]).expect("an export response");
    let partial = answer.partial_success.expect("a partial success");
    assert_eq!(partial.rejected_data_points, 5);
    assert!(
        partial.error_message.starts_with(expected_message),
        "{}",
        partial.error_message
    );
    assert!(
        partial
            .error_message
            .contains("1 exemplar dropped, points kept (first: metric 'kept.without.exemplar' point 0: exemplars[0]: trace_id must be 16 bytes, got 5 bytes)"),
        "{}",
        partial.error_message
    );
    // JSON answer. JSON has no infinity but the proto3 mapping's string.
    let mut json_body = as_otlp_json(&mixed_request("bad-json"));
    json_body["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][2]["gauge"]["dataPoints"][0]
        ["asDouble"] = "Infinity".into();
    let json_body = json_body.to_string();
    let (status, _, body) = post(&url, JSON, None, json_body.into_bytes());
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(answer["partialSuccess"]["rejectedDataPoints"], "5");
    assert!(answer["partialSuccess"]["errorMessage"]
        .as_str()
        .unwrap()
        .starts_with(expected_message));
    // gRPC answer.
    let answer = grpc_export(&collector, mixed_request("bad-grpc")).expect("exported");
    assert_eq!(
        answer
            .partial_success
            .expect("partial")
            .rejected_data_points,
        5
    );
    // Two points of each request stored, the exemplar of one dropped.
    assert_eq!(collector.wait_for_rows("otel_metrics_gauge", 6), 6);
    let rows = collector.query(
        "SELECT MetricName, length(`Exemplars.TraceId`) AS exemplars FROM otel_metrics_gauge \
         WHERE ServiceName = 'bad-grpc' ORDER BY MetricName",
    );
    assert_eq!(
        rows,
        [
            serde_json::json!({"MetricName": "good.gauge", "exemplars": 0}),
            serde_json::json!({"MetricName": "kept.without.exemplar", "exemplars": 0}),
        ]
    );
    let text = metrics_text(&collector);
    for (reason, count) in [("invalid_value", 12), ("time_window", 3)] {
        assert_eq!(
            metric(
                &text,
                &format!("jamscope_records_rejected_total{{signal=\"metric_points\",reason=\"{reason}\"}}")
            ),
            Some(count),
            "{reason}"
        );
    }
}

#[test]
fn a_body_that_is_not_a_metrics_request_is_refused_whole_with_where() {
    let collector = Collector::start();
    let url = metrics_url(&collector);
    let (status, _, body) = post(&url, PROTOBUF, None, vec![0x0a, 0x05, 0x01]);
    assert_eq!(status, 400);
    let status_message = RpcStatus::decode(&body[..])
        .expect("a google.rpc.Status")
        .message;
    assert!(
        status_message.contains("not a valid OTLP protobuf ExportMetricsServiceRequest"),
        "{status_message}"
    );
    let (status, _, body) = post(
        &url,
        JSON,
        None,
        br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","sum":{"dataPoints":[{"asInt":{}}]}}]}]}]}"#.to_vec(),
    );
    assert_eq!(status, 400);
    let answer: Value = serde_json::from_slice(&body).expect("JSON");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asInt"),
        "{answer}"
    );
    let refused = grpc_export(&collector, ExportMetricsServiceRequest::default());
    assert!(refused.is_ok(), "an empty request is fine");
    let (status, _, _) = post(&url, PROTOBUF, None, Vec::new());
    assert_eq!(status, 200, "so is an empty body");
}
