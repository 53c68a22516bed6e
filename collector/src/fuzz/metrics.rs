//! OTLP metrics, protobuf and JSON: any bytes decode or are refused
//! without a panic and within a bound on memory; the one-pass protobuf
//! decoder agrees with prost and the reference conversion on generated and
//! damaged requests; every point of a decodable request is kept or counted
//! as rejected; JSON reaches the points protobuf reaches.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    summary_data_point::ValueAtQuantile, Exemplar, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use proptest::collection::vec;
use proptest::prelude::*;
use prost::Message;

use super::meter::peak_bytes;
// As for traces: linear, with a generous factor (a point is a few hundred
// bytes of structs and `Arc`s however few bytes it was sent in).
use super::otlp::bound;
use super::strategies::{attributes, damaged, id, json_with_keys, text, time};
use super::{config, MAX_INPUT};
use crate::ingest::otlp::metrics::reference::convert_request;
use crate::ingest::otlp::metrics::{
    json as otlp_json, protobuf as otlp_protobuf, ConvertedMetrics,
};
use crate::model::{LayerRules, TimeWindow};

fn protobuf(body: &[u8]) -> Option<ConvertedMetrics> {
    let request = ExportMetricsServiceRequest::decode(body).ok()?;
    Some(convert_request(
        request,
        &LayerRules::default(),
        &TimeWindow::UNBOUNDED,
    ))
}

fn protobuf_one_pass(body: &[u8]) -> Option<ConvertedMetrics> {
    otlp_protobuf::decode(body, &LayerRules::default(), &TimeWindow::UNBOUNDED).ok()
}

fn json(body: &[u8]) -> Option<ConvertedMetrics> {
    otlp_json::decode(body, &LayerRules::default(), &TimeWindow::UNBOUNDED).ok()
}

/// The points as text (NaN equal to NaN), with what was refused and why.
fn outcome(converted: &ConvertedMetrics) -> (String, u64, u64, Option<String>) {
    (
        format!("{:?}", converted.points),
        converted.rejected(),
        converted.dropped_exemplars,
        converted.message(),
    )
}

fn assert_protobuf_decoders_agree(body: &[u8]) -> Result<(), TestCaseError> {
    let generated = protobuf(body);
    let one_pass = protobuf_one_pass(body);
    prop_assert_eq!(
        generated.is_some(),
        one_pass.is_some(),
        "decodes either way"
    );
    if let (Some(generated), Some(one_pass)) = (generated, one_pass) {
        prop_assert_eq!(outcome(&one_pass), outcome(&generated));
    }
    Ok(())
}

/// Finite doubles, for JSON's sake (it writes NaN as null); the
/// judgement's refusal of the others is unit-tested.
fn double() -> impl Strategy<Value = f64> {
    prop_oneof![4 => -1e12f64..1e12, 1 => Just(0.0), 1 => Just(1.0)]
}

fn exemplars() -> impl Strategy<Value = Vec<Exemplar>> {
    vec(
        (attributes(), time(), double(), id(8), id(16)).prop_map(
            |(filtered_attributes, time_unix_nano, value, span_id, trace_id)| Exemplar {
                filtered_attributes,
                time_unix_nano,
                value: Some(exemplar::Value::AsDouble(value)),
                span_id,
                trace_id,
            },
        ),
        0..2,
    )
}

/// The fields every point has: attributes, start, time, flags.
fn common() -> impl Strategy<
    Value = (
        Vec<opentelemetry_proto::tonic::common::v1::KeyValue>,
        u64,
        u64,
        u32,
    ),
> {
    (
        attributes(),
        time(),
        time(),
        prop_oneof![4 => Just(0u32), 1 => any::<u32>()],
    )
}

fn counts() -> impl Strategy<Value = Vec<u64>> {
    vec(prop_oneof![4 => 0u64..100, 1 => any::<u64>()], 0..5)
}

fn number_points() -> impl Strategy<Value = Vec<NumberDataPoint>> {
    vec(
        (
            common(),
            exemplars(),
            proptest::option::weighted(
                0.9,
                prop_oneof![
                    double().prop_map(number_data_point::Value::AsDouble),
                    any::<i64>().prop_map(number_data_point::Value::AsInt),
                ],
            ),
        )
            .prop_map(|((attributes, start, time, flags), exemplars, value)| {
                NumberDataPoint {
                    attributes,
                    start_time_unix_nano: start,
                    time_unix_nano: time,
                    exemplars,
                    flags,
                    value,
                }
            }),
        0..3,
    )
}

fn histogram_points() -> impl Strategy<Value = Vec<HistogramDataPoint>> {
    let point = (
        common(),
        exemplars(),
        (
            any::<u64>(),
            proptest::option::of(double()),
            counts(),
            vec(double(), 0..4),
        ),
        (
            proptest::option::of(double()),
            proptest::option::of(double()),
        ),
    );
    vec(
        point.prop_map(
            |(
                (attributes, start, time, flags),
                exemplars,
                (count, sum, buckets, bounds),
                (min, max),
            )| {
                // Mostly consistent, so points get past the judgement too.
                let count = if count % 3 == 0 {
                    count
                } else {
                    buckets.iter().fold(0u64, |a, b| a.wrapping_add(*b))
                };
                let mut bounds = bounds;
                if count % 2 == 0 {
                    bounds.sort_by(f64::total_cmp);
                    bounds.dedup();
                }
                HistogramDataPoint {
                    attributes,
                    start_time_unix_nano: start,
                    time_unix_nano: time,
                    count,
                    sum,
                    bucket_counts: buckets,
                    explicit_bounds: bounds,
                    exemplars,
                    flags,
                    min,
                    max,
                }
            },
        ),
        0..3,
    )
}

fn exponential_points() -> impl Strategy<Value = Vec<ExponentialHistogramDataPoint>> {
    let point = (
        common(),
        exemplars(),
        (
            any::<u64>(),
            proptest::option::of(double()),
            -12i32..22,
            0u64..10,
            double(),
        ),
        (
            proptest::option::of((any::<i32>(), counts())),
            proptest::option::of((any::<i32>(), counts())),
        ),
    );
    vec(
        point.prop_map(
            |(
                (attributes, start, time, flags),
                exemplars,
                (count, sum, scale, zero_count, zero_threshold),
                (positive, negative),
            )| {
                let buckets = |b: Option<(i32, Vec<u64>)>| {
                    b.map(|(offset, bucket_counts)| Buckets {
                        offset,
                        bucket_counts,
                    })
                };
                ExponentialHistogramDataPoint {
                    attributes,
                    start_time_unix_nano: start,
                    time_unix_nano: time,
                    count,
                    sum,
                    scale,
                    zero_count,
                    positive: buckets(positive),
                    negative: buckets(negative),
                    flags,
                    exemplars,
                    min: None,
                    max: None,
                    zero_threshold,
                }
            },
        ),
        0..3,
    )
}

fn summary_points() -> impl Strategy<Value = Vec<SummaryDataPoint>> {
    vec(
        (
            common(),
            any::<u64>(),
            double(),
            vec((0.0f64..1.2, double()), 0..3),
        )
            .prop_map(
                |((attributes, start, time, flags), count, sum, quantiles)| SummaryDataPoint {
                    attributes,
                    start_time_unix_nano: start,
                    time_unix_nano: time,
                    count,
                    sum,
                    quantile_values: quantiles
                        .into_iter()
                        .map(|(quantile, value)| ValueAtQuantile { quantile, value })
                        .collect(),
                    flags,
                },
            ),
        0..3,
    )
}

fn temporality() -> impl Strategy<Value = i32> {
    prop_oneof![4 => 1..=2, 1 => any::<i32>()]
}

fn data() -> impl Strategy<Value = Data> {
    prop_oneof![
        number_points().prop_map(|data_points| Data::Gauge(Gauge { data_points })),
        (number_points(), temporality(), any::<bool>()).prop_map(|(data_points, t, m)| Data::Sum(
            Sum {
                data_points,
                aggregation_temporality: t,
                is_monotonic: m,
            }
        )),
        (histogram_points(), temporality()).prop_map(|(data_points, t)| Data::Histogram(
            Histogram {
                data_points,
                aggregation_temporality: t,
            }
        )),
        (exponential_points(), temporality()).prop_map(|(data_points, t)| {
            Data::ExponentialHistogram(ExponentialHistogram {
                data_points,
                aggregation_temporality: t,
            })
        }),
        summary_points().prop_map(|data_points| Data::Summary(Summary { data_points })),
    ]
}

/// A request of up to 2 resources × 2 scopes × 3 metrics.
pub fn request() -> impl Strategy<Value = ExportMetricsServiceRequest> {
    let metric = (
        text(),
        text(),
        text(),
        proptest::option::weighted(0.9, data()),
    )
        .prop_map(|(name, description, unit, data)| Metric {
            name,
            description,
            unit,
            data,
            ..Default::default()
        });
    let scope_metrics = (
        proptest::option::of((text(), text(), attributes())),
        vec(metric, 0..3),
        text(),
    )
        .prop_map(|(scope, metrics, schema_url)| ScopeMetrics {
            scope: scope.map(|(name, version, attributes)| InstrumentationScope {
                name,
                version,
                attributes,
                dropped_attributes_count: 0,
            }),
            metrics,
            schema_url,
        });
    let resource_metrics = (
        proptest::option::of(attributes()),
        vec(scope_metrics, 0..2),
        text(),
    )
        .prop_map(|(resource, scope_metrics, schema_url)| ResourceMetrics {
            resource: resource.map(|attributes| Resource {
                attributes,
                ..Default::default()
            }),
            scope_metrics,
            schema_url,
        });
    vec(resource_metrics, 0..2)
        .prop_map(|resource_metrics| ExportMetricsServiceRequest { resource_metrics })
}

fn point_count(request: &ExportMetricsServiceRequest) -> u64 {
    request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .map(|m| match &m.data {
            Some(Data::Gauge(g)) => g.data_points.len(),
            Some(Data::Sum(s)) => s.data_points.len(),
            Some(Data::Histogram(h)) => h.data_points.len(),
            Some(Data::ExponentialHistogram(e)) => e.data_points.len(),
            Some(Data::Summary(s)) => s.data_points.len(),
            None => 0,
        } as u64)
        .sum()
}

/// The keys the JSON decoder knows, plus a stranger.
const OTLP_KEYS: &[&str] = &[
    "resourceMetrics",
    "resource",
    "attributes",
    "scopeMetrics",
    "scope",
    "metrics",
    "name",
    "description",
    "unit",
    "gauge",
    "sum",
    "histogram",
    "exponentialHistogram",
    "summary",
    "dataPoints",
    "aggregationTemporality",
    "isMonotonic",
    "startTimeUnixNano",
    "timeUnixNano",
    "asDouble",
    "asInt",
    "exemplars",
    "flags",
    "count",
    "bucketCounts",
    "explicitBounds",
    "min",
    "max",
    "scale",
    "zeroCount",
    "zeroThreshold",
    "positive",
    "negative",
    "offset",
    "quantileValues",
    "quantile",
    "value",
    "traceId",
    "spanId",
    "filteredAttributes",
    "key",
    "stringValue",
    "intValue",
    "schemaUrl",
    "unknownField",
];

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn any_bytes_as_metrics_protobuf(body in vec(any::<u8>(), 0..MAX_INPUT)) {
        let (_, peak) = peak_bytes(|| protobuf_one_pass(&body));
        prop_assert!(peak <= bound(body.len()), "{peak} bytes for {} in", body.len());
        assert_protobuf_decoders_agree(&body)?;
    }

    #[test]
    fn any_bytes_as_metrics_json(body in vec(any::<u8>(), 0..MAX_INPUT)) {
        let (_, peak) = peak_bytes(|| json(&body));
        prop_assert!(peak <= bound(body.len()), "{peak} bytes for {} in", body.len());
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn every_point_is_kept_or_counted(request in request()) {
        let total = point_count(&request);
        let converted = protobuf_one_pass(&request.encode_to_vec()).expect("a valid encoding decodes");
        prop_assert_eq!(converted.points.len() as u64 + converted.rejected(), total);
        prop_assert_eq!(
            converted.message().is_some(),
            converted.rejected() > 0 || converted.dropped_exemplars > 0
        );
    }

    #[test]
    fn metric_decoders_agree(request in request()) {
        assert_protobuf_decoders_agree(&request.encode_to_vec())?;
    }

    #[test]
    fn metric_decoders_agree_on_damaged_bodies(body in request().prop_flat_map(|r| damaged(r.encode_to_vec()))) {
        let (_, peak) = peak_bytes(|| protobuf_one_pass(&body));
        prop_assert!(peak <= bound(body.len()));
        assert_protobuf_decoders_agree(&body)?;
    }

    #[test]
    fn metrics_json_decodes_what_protobuf_decodes(request in request()) {
        let body = serde_json::to_vec(&request).expect("serializes");
        let from_protobuf = protobuf_one_pass(&request.encode_to_vec()).expect("decodes");
        let from_json = json(&body).expect("OTLP JSON decodes");
        prop_assert_eq!(format!("{:?}", from_json.points), format!("{:?}", from_protobuf.points));
        prop_assert_eq!(from_json.rejected(), from_protobuf.rejected());
        prop_assert_eq!(from_json.dropped_exemplars, from_protobuf.dropped_exemplars);
    }

    #[test]
    fn damaged_metrics_json(body in request().prop_flat_map(|r| damaged(serde_json::to_vec(&r).unwrap_or_default()))) {
        let (_, peak) = peak_bytes(|| json(&body));
        prop_assert!(peak <= bound(body.len()));
    }

    #[test]
    fn json_in_otlp_metric_words(document in json_with_keys(OTLP_KEYS)) {
        let body = serde_json::to_vec(&document).unwrap_or_default();
        let (_, peak) = peak_bytes(|| json(&body));
        prop_assert!(peak <= bound(body.len()));
    }
}
