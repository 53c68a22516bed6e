//! The one-pass decoders held to the reference conversion, the judgement's
//! refusals, and the shapes OTLP/JSON allows. Agreement on generated and
//! damaged bodies is `fuzz::otlp_metrics`'.

mod json;
mod judge;
mod protobuf;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    summary_data_point::ValueAtQuantile, Exemplar, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use opentelemetry_proto::tonic::resource::v1::Resource;

use super::reference::convert_request;
use super::ConvertedMetrics;
use crate::model::{LayerRules, TimeWindow};

/// A second in nanoseconds, and a time every window takes.
const SECOND: u64 = 1_000_000_000;
const T: u64 = 1_765_000_000 * SECOND;

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

fn exemplar_with(trace_id: Vec<u8>, span_id: Vec<u8>) -> Exemplar {
    Exemplar {
        filtered_attributes: vec![kv("http.route", "/checkout")],
        time_unix_nano: T - SECOND,
        value: Some(exemplar::Value::AsDouble(0.25)),
        span_id,
        trace_id,
    }
}

fn number(value: number_data_point::Value) -> NumberDataPoint {
    NumberDataPoint {
        attributes: vec![kv("pool", "main")],
        start_time_unix_nano: T - 60 * SECOND,
        time_unix_nano: T,
        exemplars: vec![exemplar_with(vec![7; 16], vec![3; 8])],
        value: Some(value),
        ..Default::default()
    }
}

fn metric(name: &str, data: Data) -> Metric {
    Metric {
        name: name.into(),
        description: format!("{name} described"),
        unit: "1".into(),
        data: Some(data),
        ..Default::default()
    }
}

/// One metric of every kind, with exemplars, scope attributes and schema
/// URLs: what the decoders must all read alike.
fn every_kind() -> Vec<Metric> {
    vec![
        metric(
            "pool.usage",
            Data::Gauge(Gauge {
                data_points: vec![number(number_data_point::Value::AsDouble(0.5))],
            }),
        ),
        metric(
            "requests",
            Data::Sum(Sum {
                data_points: vec![number(number_data_point::Value::AsInt(42))],
                aggregation_temporality: 2,
                is_monotonic: true,
            }),
        ),
        metric(
            "latency",
            Data::Histogram(Histogram {
                data_points: vec![HistogramDataPoint {
                    attributes: vec![kv("route", "/")],
                    start_time_unix_nano: T - 60 * SECOND,
                    time_unix_nano: T,
                    count: 6,
                    sum: Some(12.5),
                    bucket_counts: vec![1, 2, 3],
                    explicit_bounds: vec![1.0, 5.0],
                    exemplars: vec![exemplar_with(vec![9; 16], vec![])],
                    flags: 0,
                    min: Some(0.5),
                    max: Some(7.0),
                }],
                aggregation_temporality: 1,
            }),
        ),
        metric(
            "size",
            Data::ExponentialHistogram(ExponentialHistogram {
                data_points: vec![ExponentialHistogramDataPoint {
                    attributes: vec![kv("kind", "image")],
                    start_time_unix_nano: T - 60 * SECOND,
                    time_unix_nano: T,
                    count: 7,
                    sum: Some(99.0),
                    scale: -2,
                    zero_count: 1,
                    positive: Some(Buckets {
                        offset: -3,
                        bucket_counts: vec![1, 4],
                    }),
                    negative: Some(Buckets {
                        offset: 2,
                        bucket_counts: vec![1],
                    }),
                    flags: 0,
                    exemplars: Vec::new(),
                    min: Some(-5.0),
                    max: Some(40.0),
                    zero_threshold: 0.001,
                }],
                aggregation_temporality: 2,
            }),
        ),
        metric(
            "rpc.duration",
            Data::Summary(Summary {
                data_points: vec![SummaryDataPoint {
                    attributes: Vec::new(),
                    start_time_unix_nano: T - 60 * SECOND,
                    time_unix_nano: T,
                    count: 10,
                    sum: 3.5,
                    quantile_values: vec![
                        ValueAtQuantile {
                            quantile: 0.5,
                            value: 0.3,
                        },
                        ValueAtQuantile {
                            quantile: 0.99,
                            value: 0.9,
                        },
                    ],
                    flags: 0,
                }],
            }),
        ),
    ]
}

fn request_of(metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![kv("service.name", "cms"), kv("jamstack.layer", "cms")],
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "db.pool".into(),
                    version: "1.2".into(),
                    attributes: vec![kv("lib", "x")],
                    dropped_attributes_count: 3,
                }),
                metrics,
                schema_url: "https://opentelemetry.io/schemas/1.30.0".into(),
            }],
            schema_url: "https://opentelemetry.io/schemas/1.29.0".into(),
        }],
    }
}

/// Through the generated types and the reference conversion.
fn reference(request: ExportMetricsServiceRequest) -> ConvertedMetrics {
    convert_request(request, &LayerRules::default(), &window())
}

/// A window around `T`: an hour back, a minute ahead.
fn window() -> TimeWindow {
    TimeWindow::around(T, 3_600 * SECOND, 60 * SECOND)
}

/// The points as text: NaN equals NaN there, as it does for the tests.
fn shown(converted: &ConvertedMetrics) -> String {
    format!("{:?}", converted.points)
}
