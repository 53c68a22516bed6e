//! A `Metric` and its kind's message (`gauge`, `sum`, `histogram`,
//! `exponentialHistogram`, `summary`), read into a [`RawMetric`] as sent.
//! A metric sending more than one kind keeps the last, as a oneof does.

use serde::de::{IgnoredAny, MapAccess};

use super::point::{ExponentialPointMessage, HistogramPointMessage, NumberPointMessage};
use super::point::{PointMessage, SummaryPointMessage};
use crate::ingest::otlp::json::{
    attributes, fields, read, Bool, Ctx, Enum, Key, List, Message, Msg, Text,
};
use crate::ingest::otlp::metrics::judge::{
    temporality_name, RawData, RawMetric, RawPoint, SentEnum,
};

fields!(MetricField {
    Name = "name",
    Description = "description",
    Unit = "unit",
    Gauge = "gauge",
    Sum = "sum",
    Histogram = "histogram",
    ExponentialHistogram = "exponentialHistogram" | "exponential_histogram",
    Summary = "summary",
    Metadata = "metadata",
});

/// One metric, as sent.
pub(super) struct MetricMessage;

impl<S> Message<S> for MetricMessage {
    type Out = RawMetric;
    const WHAT: &'static str = "a Metric";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut Ctx<S>, mut map: A) -> Result<RawMetric, A::Error> {
        let mut metric = RawMetric::default();
        while let Some(field) = map.next_key_seed(Key::<MetricField>::new())? {
            let Some(field) = field else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match field {
                MetricField::Name => metric.name = read!(ctx, map, field, Text),
                MetricField::Description => metric.description = read!(ctx, map, field, Text),
                MetricField::Unit => metric.unit = read!(ctx, map, field, Text),
                MetricField::Gauge => {
                    let kind = read!(
                        ctx,
                        map,
                        field,
                        Msg::<S, Kind<NumberPointMessage, false, false>>::new(ctx)
                    );
                    metric.data = Some(RawData::Gauge(kind.points));
                }
                MetricField::Sum => {
                    let kind = read!(
                        ctx,
                        map,
                        field,
                        Msg::<S, Kind<NumberPointMessage, true, true>>::new(ctx)
                    );
                    metric.data = Some(RawData::Sum {
                        points: kind.points,
                        temporality: kind.temporality,
                        monotonic: kind.monotonic,
                    });
                }
                MetricField::Histogram => {
                    let kind = read!(
                        ctx,
                        map,
                        field,
                        Msg::<S, Kind<HistogramPointMessage, true, false>>::new(ctx)
                    );
                    metric.data = Some(RawData::Histogram {
                        points: kind.points,
                        temporality: kind.temporality,
                    });
                }
                MetricField::ExponentialHistogram => {
                    let kind = read!(
                        ctx,
                        map,
                        field,
                        Msg::<S, Kind<ExponentialPointMessage, true, false>>::new(ctx)
                    );
                    metric.data = Some(RawData::ExponentialHistogram {
                        points: kind.points,
                        temporality: kind.temporality,
                    });
                }
                MetricField::Summary => {
                    let kind = read!(
                        ctx,
                        map,
                        field,
                        Msg::<S, Kind<SummaryPointMessage, false, false>>::new(ctx)
                    );
                    metric.data = Some(RawData::Summary(kind.points));
                }
                // Not stored, but checked like any attribute list.
                MetricField::Metadata => drop(read!(ctx, map, field, attributes(ctx))),
            }
        }
        Ok(metric)
    }

    fn null(_: &mut Ctx<S>) -> RawMetric {
        RawMetric::default()
    }
}

fields!(KindField {
    DataPoints = "dataPoints" | "data_points",
    Temporality = "aggregationTemporality" | "aggregation_temporality",
    Monotonic = "isMonotonic" | "is_monotonic",
});

/// What a kind's message holds.
pub(super) struct KindParts<V> {
    points: Vec<RawPoint<V>>,
    temporality: SentEnum,
    monotonic: bool,
}

/// A kind's message with points read by `P`; with `TEMPORALITY` and
/// `MONOTONIC` it reads those fields (a kind without them ignores them,
/// as any unknown field).
struct Kind<P, const TEMPORALITY: bool, const MONOTONIC: bool>(std::marker::PhantomData<P>);

impl<S, P, const TEMPORALITY: bool, const MONOTONIC: bool> Message<S>
    for Kind<P, TEMPORALITY, MONOTONIC>
where
    P: PointMessage + Message<S, Out = RawPoint<<P as PointMessage>::Value>>,
{
    type Out = KindParts<P::Value>;
    const WHAT: &'static str = "a metric's data (dataPoints and its temporality)";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut Ctx<S>, mut map: A) -> Result<Self::Out, A::Error> {
        let mut parts = Self::null(ctx);
        while let Some(field) = map.next_key_seed(Key::<KindField>::new())? {
            match field {
                Some(f @ KindField::DataPoints) => {
                    parts.points = read!(ctx, map, f, List::<S, P>::new(ctx))
                }
                Some(f @ KindField::Temporality) if TEMPORALITY => {
                    parts.temporality = read!(ctx, map, f, Enum(temporality_name))
                }
                Some(f @ KindField::Monotonic) if MONOTONIC => {
                    parts.monotonic = read!(ctx, map, f, Bool)
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(parts)
    }

    fn null(_: &mut Ctx<S>) -> Self::Out {
        KindParts {
            points: Vec::new(),
            temporality: Ok(0),
            monotonic: false,
        }
    }
}
