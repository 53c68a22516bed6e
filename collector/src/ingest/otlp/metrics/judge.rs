//! The judgement every OTLP metric data point gets, whatever its
//! encoding: the protobuf and JSON decoders (`protobuf/`, `json/`) read a
//! metric into a [`RawMetric`] as sent and end in [`judge_metric`], which
//! keeps each point (in the table of its kind) or rejects it with the
//! reason the sender is told. Exemplars whose ids cannot be used are
//! dropped from a kept point, and the sender hears of that too (as of a
//! span's dropped links).
//!
//! A point is rejected for: a metric without a name; a temporality that is
//! neither delta nor cumulative; a time outside what storage keeps or a
//! start after it; a value that is not finite where a number is meant
//! (unless the point is flagged as having no recorded value); a histogram
//! whose bucket counts do not fit its bounds (one more count than bounds,
//! bounds ascending and finite) or do not add up to its count; an
//! exponential histogram of an impossible scale or whose buckets do not
//! add up; a summary quantile outside 0–1.

use std::sync::Arc;

use crate::ingest::otlp::protobuf::ScopeGroup;
use crate::ingest::otlp::resource_from;
use crate::ingest::otlp::traces::judge::quoted_name;
use crate::model::datapoint::{
    DataPoint, Exemplar, ExponentialBuckets, ExponentialHistogramValue, GaugeValue,
    HistogramTotals, HistogramValue, MetricDescriptor, MetricPoints, Number, Producer, SumValue,
    SummaryValue, Temporality, ValueAtQuantile, NO_RECORDED_VALUE,
};
use crate::model::{Attributes, LayerRules, SpanId, TimeWindow, TraceId};
use crate::telemetry::outcome::{RejectReason, Rejections, Signal};

/// The points that were valid, by kind, and an account of those that were
/// not, for OTLP's partial-success response.
#[derive(Debug, Default)]
pub struct ConvertedMetrics {
    pub points: MetricPoints,
    /// Points refused, by reason (for the metrics).
    pub rejections: Rejections,
    /// The first reason a point was rejected; OTLP has room for one message.
    pub rejection_reason: Option<String>,
    /// Exemplars dropped from points that were kept.
    pub dropped_exemplars: u64,
    /// Why the first of them was dropped.
    pub exemplar_warning: Option<String>,
}

impl ConvertedMetrics {
    pub fn rejected(&self) -> u64 {
        self.rejections.total()
    }

    fn reject(&mut self, reason: RejectReason, count: u64, message: impl FnOnce() -> String) {
        if count == 0 {
            return;
        }
        self.rejections.add(Signal::MetricPoints, reason, count);
        if self.rejection_reason.is_none() {
            self.rejection_reason = Some(message());
        }
    }

    fn drop_exemplar(&mut self, message: impl FnOnce() -> String) {
        self.dropped_exemplars += 1;
        if self.exemplar_warning.is_none() {
            self.exemplar_warning = Some(message());
        }
    }

    /// What the partial-success response says: the first rejection and,
    /// when exemplars were dropped, how many and why (alone, a warning with
    /// nothing rejected).
    pub fn message(&self) -> Option<String> {
        let exemplars = self.exemplar_warning.as_ref().map(|first| {
            let n = self.dropped_exemplars;
            let s = if n == 1 { "" } else { "s" };
            format!("{n} exemplar{s} dropped, points kept (first: {first})")
        });
        match (&self.rejection_reason, exemplars) {
            (Some(reason), Some(exemplars)) => Some(format!("{reason}; {exemplars}")),
            (Some(reason), None) => Some(reason.clone()),
            (None, exemplars) => exemplars,
        }
    }
}

/// An enum as sent: its number, or the name that named none.
pub(crate) type SentEnum = Result<i64, String>;

/// A trace or span id as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum SentId<const N: usize> {
    /// Not sent, or empty: the exemplar has no such id.
    #[default]
    Absent,
    Bytes([u8; N]),
    /// Neither empty nor N bytes: how it was sent, for the message.
    Invalid(String),
}

/// An exemplar as sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawExemplar {
    pub filtered_attributes: Attributes,
    pub time_unix_nano: u64,
    pub value: Option<Number>,
    pub trace_id: SentId<16>,
    pub span_id: SentId<8>,
}

/// A data point as sent, with its kind's value `V`.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawPoint<V> {
    pub attributes: Attributes,
    pub start_time_unix_nano: u64,
    pub time_unix_nano: u64,
    pub flags: u32,
    pub exemplars: Vec<RawExemplar>,
    pub value: V,
}

/// A histogram point's values as sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawHistogram {
    pub totals: HistogramTotals,
    pub bucket_counts: Vec<u64>,
    pub explicit_bounds: Vec<f64>,
}

/// An exponential histogram point's values as sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawExponentialHistogram {
    pub totals: HistogramTotals,
    pub scale: i32,
    pub zero_count: u64,
    pub zero_threshold: f64,
    pub positive: ExponentialBuckets,
    pub negative: ExponentialBuckets,
}

/// A gauge or sum point's value: `None` when neither `as_double` nor
/// `as_int` was sent.
pub(crate) type RawNumber = Option<Number>;

/// A metric's data as sent: its kind, its points, and what the kind says
/// of all of them.
#[derive(Debug, Clone)]
pub(crate) enum RawData {
    Gauge(Vec<RawPoint<RawNumber>>),
    Sum {
        points: Vec<RawPoint<RawNumber>>,
        temporality: SentEnum,
        monotonic: bool,
    },
    Histogram {
        points: Vec<RawPoint<RawHistogram>>,
        temporality: SentEnum,
    },
    ExponentialHistogram {
        points: Vec<RawPoint<RawExponentialHistogram>>,
        temporality: SentEnum,
    },
    Summary(Vec<RawPoint<SummaryValue>>),
}

impl RawData {
    fn len(&self) -> usize {
        match self {
            RawData::Gauge(points) => points.len(),
            RawData::Sum { points, .. } => points.len(),
            RawData::Histogram { points, .. } => points.len(),
            RawData::ExponentialHistogram { points, .. } => points.len(),
            RawData::Summary(points) => points.len(),
        }
    }
}

/// A metric as sent: `data` is `None` when it carried none (nothing to
/// store, nothing to reject).
#[derive(Debug, Clone, Default)]
pub(crate) struct RawMetric {
    pub name: String,
    pub description: String,
    pub unit: String,
    pub data: Option<RawData>,
}

/// What produced a group of points, from its resource's attributes and
/// schema URL and its scope: the service and layer decided as for spans.
pub(crate) fn producer(
    resource: Attributes,
    resource_schema_url: String,
    scope: ScopeGroup,
    layers: &LayerRules,
) -> Arc<Producer> {
    Arc::new(Producer {
        resource: Arc::new(resource_from(resource, layers)),
        resource_schema_url,
        scope: scope.scope,
        scope_attributes: scope.attributes,
        scope_dropped_attributes: scope.dropped_attributes,
        scope_schema_url: scope.schema_url,
    })
}

/// OTLP's `AggregationTemporality`; `None` for unspecified or unknown.
fn temporality(sent: &SentEnum) -> Option<Temporality> {
    match sent {
        Ok(1) => Some(Temporality::Delta),
        Ok(2) => Some(Temporality::Cumulative),
        _ => None,
    }
}

/// A temporality's number as JSON may name it.
pub(crate) fn temporality_name(name: &str) -> Option<i64> {
    Some(match name {
        "AGGREGATION_TEMPORALITY_UNSPECIFIED" => 0,
        "AGGREGATION_TEMPORALITY_DELTA" => 1,
        "AGGREGATION_TEMPORALITY_CUMULATIVE" => 2,
        _ => return None,
    })
}

/// Keeps each point of `metric` that can be stored (in `out.points`, by
/// kind) and rejects the others with the reason the sender is told.
pub(crate) fn judge_metric(
    metric: RawMetric,
    producer: &Arc<Producer>,
    window: &TimeWindow,
    out: &mut ConvertedMetrics,
) {
    let Some(data) = metric.data else {
        return;
    };
    let name = quoted_name(&metric.name);
    if metric.name.is_empty() {
        out.reject(RejectReason::InvalidValue, data.len() as u64, || {
            "a metric without a name: its points cannot be stored".into()
        });
        return;
    }
    let judge = Judge {
        name: &name,
        descriptor: Arc::new(MetricDescriptor {
            name: metric.name,
            description: metric.description,
            unit: metric.unit,
        }),
        producer,
        window,
    };
    match data {
        RawData::Gauge(points) => judge.each(
            points,
            out,
            |raw, flags| number_value(raw, flags).map(|value| GaugeValue { value }),
            |kept| &mut kept.gauges,
        ),
        RawData::Sum {
            points,
            temporality: sent,
            monotonic,
        } => {
            let Some(temporality) = judge.temporality(&sent, points.len(), out) else {
                return;
            };
            let sum = |raw, flags| {
                number_value(raw, flags).map(|value| SumValue {
                    value,
                    temporality,
                    monotonic,
                })
            };
            judge.each(points, out, sum, |kept| &mut kept.sums)
        }
        RawData::Histogram {
            points,
            temporality: sent,
        } => {
            let Some(temporality) = judge.temporality(&sent, points.len(), out) else {
                return;
            };
            let histogram = |raw, flags| histogram_value(raw, flags, temporality);
            judge.each(points, out, histogram, |kept| &mut kept.histograms)
        }
        RawData::ExponentialHistogram {
            points,
            temporality: sent,
        } => {
            let Some(temporality) = judge.temporality(&sent, points.len(), out) else {
                return;
            };
            let histogram = |raw, flags| exponential_histogram_value(raw, flags, temporality);
            judge.each(points, out, histogram, |kept| {
                &mut kept.exponential_histograms
            })
        }
        RawData::Summary(points) => {
            judge.each(points, out, summary_value, |kept| &mut kept.summaries)
        }
    }
}

/// What every point of one metric is judged with.
struct Judge<'a> {
    /// The metric's name as quoted in messages.
    name: &'a str,
    descriptor: Arc<MetricDescriptor>,
    producer: &'a Arc<Producer>,
    window: &'a TimeWindow,
}

impl Judge<'_> {
    /// The metric's temporality, or every one of its `points` rejected.
    fn temporality(
        &self,
        sent: &SentEnum,
        points: usize,
        out: &mut ConvertedMetrics,
    ) -> Option<Temporality> {
        let found = temporality(sent);
        if found.is_none() {
            let shown = match sent {
                Ok(number) => number.to_string(),
                Err(text) => text.clone(),
            };
            out.reject(RejectReason::InvalidValue, points as u64, || {
                format!(
                    "metric '{}': aggregation_temporality {shown} is not DELTA (1) or CUMULATIVE (2)",
                    self.name
                )
            });
        }
        found
    }

    /// Each of `points`, judged by [`Judge::point`] with `value`, kept in
    /// the `table` of `out.points` its kind goes to.
    fn each<R, V>(
        &self,
        points: Vec<RawPoint<R>>,
        out: &mut ConvertedMetrics,
        value: impl Fn(R, u32) -> Result<V, String>,
        table: fn(&mut MetricPoints) -> &mut Vec<DataPoint<V>>,
    ) {
        for (index, raw) in points.into_iter().enumerate() {
            if let Some(kept) = self.point(index, raw, out, &value) {
                table(&mut out.points).push(kept);
            }
        }
    }

    /// Point `index`, kept when its times can be stored and `value` finds
    /// its value sound (or says why not); its exemplars without usable ids
    /// or times are dropped.
    fn point<R, V>(
        &self,
        index: usize,
        raw: RawPoint<R>,
        out: &mut ConvertedMetrics,
        value: impl FnOnce(R, u32) -> Result<V, String>,
    ) -> Option<DataPoint<V>> {
        let here = || format!("metric '{}' point {index}", self.name);
        let (start, time) = (raw.start_time_unix_nano, raw.time_unix_nano);
        if let Some(problem) = self.window.problem(time) {
            out.reject(RejectReason::TimeWindow, 1, || {
                format!("{}: time_unix_nano {time} {problem}", here())
            });
            return None;
        }
        if start > time {
            out.reject(RejectReason::TimeWindow, 1, || {
                format!(
                    "{}: start_time_unix_nano {start} is after time_unix_nano {time}",
                    here()
                )
            });
            return None;
        }
        let value = match value(raw.value, raw.flags) {
            Ok(value) => value,
            Err(problem) => {
                out.reject(RejectReason::InvalidValue, 1, || {
                    format!("{}: {problem}", here())
                });
                return None;
            }
        };
        let mut exemplars = Vec::with_capacity(raw.exemplars.len());
        for (i, exemplar) in raw.exemplars.into_iter().enumerate() {
            match self.exemplar(exemplar) {
                Ok(kept) => exemplars.push(kept),
                Err(problem) => {
                    out.drop_exemplar(|| format!("{}: exemplars[{i}]: {problem}", here()))
                }
            }
        }
        Some(DataPoint {
            metric: Arc::clone(&self.descriptor),
            producer: Arc::clone(self.producer),
            attributes: raw.attributes,
            start_unix_nanos: start,
            time_unix_nanos: time,
            flags: raw.flags,
            exemplars,
            value,
        })
    }

    /// An exemplar kept, or why it is dropped: an id sent but unusable, or
    /// a time past what storage keeps.
    fn exemplar(&self, raw: RawExemplar) -> Result<Exemplar, String> {
        let trace_id = id(&raw.trace_id, "trace_id", TraceId::from_bytes)?;
        let span_id = id(&raw.span_id, "span_id", SpanId::from_bytes)?;
        let time = raw.time_unix_nano;
        if time > self.window.newest_unix_nanos {
            return Err(format!(
                "time_unix_nano {time} is too far in the future (latest accepted: {})",
                self.window.newest_unix_nanos
            ));
        }
        Ok(Exemplar {
            filtered_attributes: raw.filtered_attributes,
            time_unix_nanos: time,
            value: raw.value.unwrap_or(Number::Double(0.0)),
            trace_id,
            span_id,
        })
    }
}

/// An exemplar's id: absent, usable, or why not.
fn id<const N: usize, T>(
    sent: &SentId<N>,
    field: &str,
    parse: fn(&[u8]) -> Option<T>,
) -> Result<Option<T>, String> {
    match sent {
        SentId::Absent => Ok(None),
        SentId::Bytes(bytes) => parse(bytes)
            .map(Some)
            .ok_or_else(|| format!("{field} is all zero")),
        SentId::Invalid(shown) => Err(format!("{field} must be {N} bytes, got {shown}")),
    }
}

fn no_recorded_value(flags: u32) -> bool {
    flags & NO_RECORDED_VALUE != 0
}

/// A number where a finite one is meant (anything goes when the point
/// says it has no recorded value).
fn finite(what: &str, value: f64, flags: u32) -> Result<(), String> {
    match value.is_finite() || no_recorded_value(flags) {
        true => Ok(()),
        false => Err(format!("{what} {value} is not a finite number")),
    }
}

/// A histogram's sum, min and max, finite when sent.
fn finite_totals(totals: &HistogramTotals, flags: u32) -> Result<(), String> {
    for (what, value) in [
        ("sum", totals.sum),
        ("min", totals.min),
        ("max", totals.max),
    ] {
        value.map_or(Ok(()), |v| finite(what, v, flags))?;
    }
    Ok(())
}

/// A gauge's or sum's value: sent, and finite.
fn number_value(raw: RawNumber, flags: u32) -> Result<Number, String> {
    match raw {
        Some(number) => {
            finite("the value", number.as_f64(), flags)?;
            Ok(number)
        }
        None if no_recorded_value(flags) => Ok(Number::Double(f64::NAN)),
        None => Err("has no value (neither as_double nor as_int)".into()),
    }
}

fn histogram_value(
    raw: RawHistogram,
    flags: u32,
    temporality: Temporality,
) -> Result<HistogramValue, String> {
    finite_totals(&raw.totals, flags)?;
    let (counts, bounds) = (raw.bucket_counts.len(), raw.explicit_bounds.len());
    if counts != 0 && counts != bounds + 1 {
        return Err(format!(
            "{counts} bucket counts for {bounds} explicit bounds: there must be one count more than bounds (or none)"
        ));
    }
    if let Some(bad) = raw.explicit_bounds.iter().find(|b| !b.is_finite()) {
        return Err(format!("explicit bound {bad} is not a finite number"));
    }
    if let Some(pair) = raw.explicit_bounds.windows(2).find(|w| w[0] >= w[1]) {
        return Err(format!(
            "explicit bounds must ascend, but {} is followed by {}",
            pair[0], pair[1]
        ));
    }
    if counts != 0 {
        adds_up(
            raw.totals.count,
            &[&raw.bucket_counts],
            0,
            "its bucket counts",
        )?;
    }
    Ok(HistogramValue {
        totals: raw.totals,
        bucket_counts: raw.bucket_counts,
        explicit_bounds: raw.explicit_bounds,
        temporality,
    })
}

/// The scales OTLP allows an exponential histogram.
const SCALES: std::ops::RangeInclusive<i32> = -10..=20;

fn exponential_histogram_value(
    raw: RawExponentialHistogram,
    flags: u32,
    temporality: Temporality,
) -> Result<ExponentialHistogramValue, String> {
    finite_totals(&raw.totals, flags)?;
    if !SCALES.contains(&raw.scale) {
        return Err(format!("scale {} is outside -10 to 20", raw.scale));
    }
    if !(raw.zero_threshold.is_finite() && raw.zero_threshold >= 0.0) {
        return Err(format!(
            "zero_threshold {} is not a finite number of at least 0",
            raw.zero_threshold
        ));
    }
    adds_up(
        raw.totals.count,
        &[&raw.positive.bucket_counts, &raw.negative.bucket_counts],
        raw.zero_count,
        "zero_count and its bucket counts",
    )?;
    Ok(ExponentialHistogramValue {
        totals: raw.totals,
        scale: raw.scale,
        zero_count: raw.zero_count,
        zero_threshold: raw.zero_threshold,
        positive: raw.positive,
        negative: raw.negative,
        temporality,
    })
}

/// Whether `count` is what `extra` and the counts of `buckets` add up to.
fn adds_up(count: u64, buckets: &[&Vec<u64>], extra: u64, what: &str) -> Result<(), String> {
    let total: u128 = buckets
        .iter()
        .flat_map(|counts| counts.iter())
        .map(|&c| u128::from(c))
        .sum::<u128>()
        + u128::from(extra);
    match total == u128::from(count) {
        true => Ok(()),
        false => Err(format!(
            "count {count} is not what {what} add up to ({total})"
        )),
    }
}

fn summary_value(raw: SummaryValue, flags: u32) -> Result<SummaryValue, String> {
    finite("sum", raw.sum, flags)?;
    for ValueAtQuantile { quantile, value } in &raw.quantiles {
        if !(0.0..=1.0).contains(quantile) {
            return Err(format!("quantile {quantile} is outside 0–1"));
        }
        finite(&format!("the value at quantile {quantile}"), *value, flags)?;
    }
    Ok(raw)
}
