//! The reference conversion: prost's generated metric messages turned into
//! the same points, through the same judgement, with nothing shared but it
//! (and the attribute conversion of the trace reference). No receiver uses
//! it; the one-pass decoders (`protobuf/`, `json/`) are held to it by
//! property tests. Compiled for tests, and for benchmarks with the
//! `test-support` feature.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1 as otlp;
use otlp::exemplar::Value as ExemplarValue;
use otlp::metric::Data;
use otlp::number_data_point::Value as PointValue;

use super::judge::{
    judge_metric, producer, ConvertedMetrics, RawData, RawExemplar, RawExponentialHistogram,
    RawHistogram, RawMetric, RawNumber, RawPoint, SentId,
};
use crate::ingest::otlp::protobuf::ScopeGroup;
use crate::ingest::otlp::traces::reference::convert_attributes;
use crate::model::datapoint::{
    ExponentialBuckets, HistogramTotals, Number, SummaryValue, ValueAtQuantile,
};
use crate::model::{LayerRules, Scope, TimeWindow};

/// Converts every point; those the judgement refuses are counted as
/// rejected instead, and exemplars without usable ids dropped.
pub fn convert_request(
    request: ExportMetricsServiceRequest,
    layers: &LayerRules,
    window: &TimeWindow,
) -> ConvertedMetrics {
    let mut out = ConvertedMetrics::default();
    for resource_metrics in request.resource_metrics {
        let resource = convert_attributes(
            resource_metrics
                .resource
                .map(|r| r.attributes)
                .unwrap_or_default(),
        );
        for scope_metrics in resource_metrics.scope_metrics {
            let mut scope = scope_metrics
                .scope
                .map_or_else(ScopeGroup::default, |s| ScopeGroup {
                    scope: Scope {
                        name: s.name,
                        version: s.version,
                    },
                    attributes: convert_attributes(s.attributes),
                    dropped_attributes: s.dropped_attributes_count,
                    schema_url: String::new(),
                });
            scope.schema_url = scope_metrics.schema_url;
            let producer = producer(
                resource.clone(),
                resource_metrics.schema_url.clone(),
                scope,
                layers,
            );
            for metric in scope_metrics.metrics {
                let raw = RawMetric {
                    name: metric.name,
                    description: metric.description,
                    unit: metric.unit,
                    data: metric.data.map(convert_data),
                };
                judge_metric(raw, &producer, window, &mut out);
            }
        }
    }
    out
}

fn convert_data(data: Data) -> RawData {
    match data {
        Data::Gauge(gauge) => RawData::Gauge(numbers(gauge.data_points)),
        Data::Sum(sum) => RawData::Sum {
            points: numbers(sum.data_points),
            temporality: Ok(i64::from(sum.aggregation_temporality)),
            monotonic: sum.is_monotonic,
        },
        Data::Histogram(histogram) => RawData::Histogram {
            points: histogram
                .data_points
                .into_iter()
                .map(|p| RawPoint {
                    attributes: convert_attributes(p.attributes),
                    start_time_unix_nano: p.start_time_unix_nano,
                    time_unix_nano: p.time_unix_nano,
                    flags: p.flags,
                    exemplars: exemplars(p.exemplars),
                    value: RawHistogram {
                        totals: totals(p.count, p.sum, p.min, p.max),
                        bucket_counts: p.bucket_counts,
                        explicit_bounds: p.explicit_bounds,
                    },
                })
                .collect(),
            temporality: Ok(i64::from(histogram.aggregation_temporality)),
        },
        Data::ExponentialHistogram(histogram) => RawData::ExponentialHistogram {
            points: histogram
                .data_points
                .into_iter()
                .map(|p| RawPoint {
                    attributes: convert_attributes(p.attributes),
                    start_time_unix_nano: p.start_time_unix_nano,
                    time_unix_nano: p.time_unix_nano,
                    flags: p.flags,
                    exemplars: exemplars(p.exemplars),
                    value: RawExponentialHistogram {
                        totals: totals(p.count, p.sum, p.min, p.max),
                        scale: p.scale,
                        zero_count: p.zero_count,
                        zero_threshold: p.zero_threshold,
                        positive: buckets(p.positive),
                        negative: buckets(p.negative),
                    },
                })
                .collect(),
            temporality: Ok(i64::from(histogram.aggregation_temporality)),
        },
        Data::Summary(summary) => RawData::Summary(
            summary
                .data_points
                .into_iter()
                .map(|p| RawPoint {
                    attributes: convert_attributes(p.attributes),
                    start_time_unix_nano: p.start_time_unix_nano,
                    time_unix_nano: p.time_unix_nano,
                    flags: p.flags,
                    exemplars: Vec::new(),
                    value: SummaryValue {
                        count: p.count,
                        sum: p.sum,
                        quantiles: p
                            .quantile_values
                            .into_iter()
                            .map(|q| ValueAtQuantile {
                                quantile: q.quantile,
                                value: q.value,
                            })
                            .collect(),
                    },
                })
                .collect(),
        ),
    }
}

fn totals(count: u64, sum: Option<f64>, min: Option<f64>, max: Option<f64>) -> HistogramTotals {
    HistogramTotals {
        count,
        sum,
        min,
        max,
    }
}

fn numbers(points: Vec<otlp::NumberDataPoint>) -> Vec<RawPoint<RawNumber>> {
    points
        .into_iter()
        .map(|p| RawPoint {
            attributes: convert_attributes(p.attributes),
            start_time_unix_nano: p.start_time_unix_nano,
            time_unix_nano: p.time_unix_nano,
            flags: p.flags,
            exemplars: exemplars(p.exemplars),
            value: p.value.map(|v| match v {
                PointValue::AsDouble(d) => Number::Double(d),
                PointValue::AsInt(i) => Number::Int(i),
            }),
        })
        .collect()
}

fn buckets(buckets: Option<otlp::exponential_histogram_data_point::Buckets>) -> ExponentialBuckets {
    buckets.map_or_else(ExponentialBuckets::default, |b| ExponentialBuckets {
        offset: b.offset,
        bucket_counts: b.bucket_counts,
    })
}

fn exemplars(exemplars: Vec<otlp::Exemplar>) -> Vec<RawExemplar> {
    exemplars
        .into_iter()
        .map(|e| RawExemplar {
            filtered_attributes: convert_attributes(e.filtered_attributes),
            time_unix_nano: e.time_unix_nano,
            value: e.value.map(|v| match v {
                ExemplarValue::AsDouble(d) => Number::Double(d),
                ExemplarValue::AsInt(i) => Number::Int(i),
            }),
            trace_id: id(&e.trace_id),
            span_id: id(&e.span_id),
        })
        .collect()
}

fn id<const N: usize>(bytes: &[u8]) -> SentId<N> {
    match (bytes.is_empty(), <[u8; N]>::try_from(bytes)) {
        (true, _) => SentId::Absent,
        (false, Ok(array)) => SentId::Bytes(array),
        (false, Err(_)) => SentId::Invalid(format!("{} bytes", bytes.len())),
    }
}
