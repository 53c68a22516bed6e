//! Metric data points as Jamscope understands them, independent of OTLP's
//! encoding: one point of one metric (a gauge, a sum, a histogram, an
//! exponential histogram or a summary), with what produced it and the
//! exemplars that link it to traces. One point is one stored row; the
//! point's kind decides its table, so each kind is its own type
//! ([`DataPoint<V>`]) and nothing downstream matches on a kind it cannot
//! hold. (`model::metric` is something else: what an alert rule computes
//! over spans.)

use std::sync::Arc;

use super::{Attributes, Resource, Scope, SpanId, TraceId};

/// What a metric is called and measured in; shared by all its points.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricDescriptor {
    pub name: String,
    pub description: String,
    pub unit: String,
}

/// What produced a group of points: the resource (its service and layer)
/// and the instrumentation scope, with the schema URLs and scope
/// attributes the metric tables keep. Shared by every point of one OTLP
/// `ScopeMetrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct Producer {
    pub resource: Arc<Resource>,
    pub resource_schema_url: String,
    pub scope: Scope,
    pub scope_attributes: Attributes,
    pub scope_dropped_attributes: u32,
    pub scope_schema_url: String,
}

/// How a sum or histogram accumulates: each point covers only its own
/// interval (delta) or everything since its start time (cumulative).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporality {
    Delta,
    Cumulative,
}

impl Temporality {
    /// OTLP's enum number, which the tables store.
    pub fn number(self) -> i32 {
        match self {
            Temporality::Delta => 1,
            Temporality::Cumulative => 2,
        }
    }
}

/// A measured number as sent: integers stay integers until stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    Double(f64),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Double(d) => d,
        }
    }
}

/// A measurement kept with a point because it was recorded inside a
/// trace: the link from a metric to a trace. Ids that were not sent are
/// `None`; ids that were sent but unusable dropped the exemplar.
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar {
    pub filtered_attributes: Attributes,
    pub time_unix_nanos: u64,
    pub value: Number,
    pub trace_id: Option<TraceId>,
    pub span_id: Option<SpanId>,
}

/// OTLP's `DataPointFlags.NO_RECORDED_VALUE`: the series has no value at
/// this time (a staleness marker), whatever the value fields say.
pub const NO_RECORDED_VALUE: u32 = 1;

/// One data point of one metric, of value type `V`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataPoint<V> {
    pub metric: Arc<MetricDescriptor>,
    pub producer: Arc<Producer>,
    pub attributes: Attributes,
    /// 0 when not sent (gauges have none).
    pub start_unix_nanos: u64,
    pub time_unix_nanos: u64,
    pub flags: u32,
    pub exemplars: Vec<Exemplar>,
    pub value: V,
}

impl<V> DataPoint<V> {
    pub fn service_name(&self) -> &str {
        &self.producer.resource.service_name
    }
}

/// A gauge's value: the last sampled value of something.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaugeValue {
    pub value: Number,
}

/// A sum's value: a counter (monotonic) or an up-down counter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SumValue {
    pub value: Number,
    pub temporality: Temporality,
    pub monotonic: bool,
}

/// What a histogram point (explicit or exponential) says of all its
/// observations; the sum, min and max only when they were sent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HistogramTotals {
    pub count: u64,
    pub sum: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// An explicit-bucket histogram: `bucket_counts` has one more entry than
/// `explicit_bounds` (ascending), or none at all.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramValue {
    pub totals: HistogramTotals,
    pub bucket_counts: Vec<u64>,
    pub explicit_bounds: Vec<f64>,
    pub temporality: Temporality,
}

/// One side (positive or negative) of an exponential histogram: bucket
/// `offset + i` holds `bucket_counts[i]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExponentialBuckets {
    pub offset: i32,
    pub bucket_counts: Vec<u64>,
}

/// A base-2 exponential histogram: bucket `i` of scale `s` covers
/// `(base^i, base^(i+1)]` with `base = 2^(2^-s)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExponentialHistogramValue {
    pub totals: HistogramTotals,
    pub scale: i32,
    pub zero_count: u64,
    pub zero_threshold: f64,
    pub positive: ExponentialBuckets,
    pub negative: ExponentialBuckets,
    pub temporality: Temporality,
}

/// A quantile a summary reports, and its value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueAtQuantile {
    pub quantile: f64,
    pub value: f64,
}

/// A summary (a Prometheus-style client's precomputed quantiles).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SummaryValue {
    pub count: u64,
    pub sum: f64,
    pub quantiles: Vec<ValueAtQuantile>,
}

pub type GaugePoint = DataPoint<GaugeValue>;
pub type SumPoint = DataPoint<SumValue>;
pub type HistogramPoint = DataPoint<HistogramValue>;
pub type ExponentialHistogramPoint = DataPoint<ExponentialHistogramValue>;
pub type SummaryPoint = DataPoint<SummaryValue>;

/// The points of one request, by kind: each kind is one table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricPoints {
    pub gauges: Vec<GaugePoint>,
    pub sums: Vec<SumPoint>,
    pub histograms: Vec<HistogramPoint>,
    pub exponential_histograms: Vec<ExponentialHistogramPoint>,
    pub summaries: Vec<SummaryPoint>,
}

impl MetricPoints {
    pub fn len(&self) -> usize {
        self.gauges.len()
            + self.sums.len()
            + self.histograms.len()
            + self.exponential_histograms.len()
            + self.summaries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
