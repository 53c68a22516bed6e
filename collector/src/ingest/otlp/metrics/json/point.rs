//! Data points of every kind, with their exemplars, exponential buckets
//! and quantiles, read into [`RawPoint`]s as sent: one message for the
//! fields every point has, its kind's value read by a [`PointValue`].
//! How JSON sends exemplar ids (hex, or base64) becomes a [`SentId`].

use std::marker::PhantomData;

use serde::de::{IgnoredAny, MapAccess};

use crate::ingest::otlp::json::{
    attributes, fields, read, Array, Ctx, Double, Id, Integer, Key, List, Message, Msg, Optional,
    RawId,
};
use crate::ingest::otlp::metrics::judge::{
    RawExemplar, RawExponentialHistogram, RawHistogram, RawNumber, RawPoint, SentId,
};
use crate::model::datapoint::{
    ExponentialBuckets, HistogramTotals, Number, SummaryValue, ValueAtQuantile,
};

fields!(PointField {
    Attributes = "attributes",
    Start = "startTimeUnixNano" | "start_time_unix_nano",
    Time = "timeUnixNano" | "time_unix_nano",
    Exemplars = "exemplars",
    Flags = "flags",
    AsDouble = "asDouble" | "as_double",
    AsInt = "asInt" | "as_int",
    Count = "count",
    Sum = "sum",
    BucketCounts = "bucketCounts" | "bucket_counts",
    ExplicitBounds = "explicitBounds" | "explicit_bounds",
    Min = "min",
    Max = "max",
    Scale = "scale",
    ZeroCount = "zeroCount" | "zero_count",
    ZeroThreshold = "zeroThreshold" | "zero_threshold",
    Positive = "positive",
    Negative = "negative",
    QuantileValues = "quantileValues" | "quantile_values",
});

/// A kind's value in its point's message: which of the point fields it
/// reads (the others are ignored, as unknown fields are).
pub(super) trait PointValue: Default {
    const WHAT: &'static str;
    /// A summary has no exemplars.
    const EXEMPLARS: bool = true;

    /// Reads `field` when it is this kind's; `Ok(false)` when it is not.
    fn read<'de, S, A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx<S>,
        map: &mut A,
        field: PointField,
    ) -> Result<bool, A::Error>;
}

/// A point message of value `V`.
pub(super) struct Point<V>(PhantomData<V>);

pub(super) type NumberPointMessage = Point<RawNumber>;
pub(super) type HistogramPointMessage = Point<RawHistogram>;
pub(super) type ExponentialPointMessage = Point<RawExponentialHistogram>;
pub(super) type SummaryPointMessage = Point<SummaryValue>;

/// What a kind's message needs of its point message.
pub(super) trait PointMessage {
    type Value;
}

impl<V> PointMessage for Point<V> {
    type Value = V;
}

impl<S, V: PointValue> Message<S> for Point<V> {
    type Out = RawPoint<V>;
    const WHAT: &'static str = V::WHAT;

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut Ctx<S>,
        mut map: A,
    ) -> Result<RawPoint<V>, A::Error> {
        let mut point = RawPoint::<V>::default();
        while let Some(field) = map.next_key_seed(Key::<PointField>::new())? {
            let Some(field) = field else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match field {
                PointField::Attributes => {
                    point.attributes = read!(ctx, map, field, attributes(ctx))
                }
                PointField::Start => {
                    point.start_time_unix_nano = read!(ctx, map, field, Integer::<u64>::new())
                }
                PointField::Time => {
                    point.time_unix_nano = read!(ctx, map, field, Integer::<u64>::new())
                }
                PointField::Flags => point.flags = read!(ctx, map, field, Integer::<u32>::new()),
                PointField::Exemplars if V::EXEMPLARS => {
                    point.exemplars = read!(ctx, map, field, List::<S, ExemplarMessage>::new(ctx))
                }
                other => {
                    if !point.value.read(ctx, &mut map, other)? {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
        }
        Ok(point)
    }

    fn null(_: &mut Ctx<S>) -> RawPoint<V> {
        RawPoint::default()
    }
}

impl PointValue for RawNumber {
    const WHAT: &'static str = "a NumberDataPoint";

    fn read<'de, S, A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx<S>,
        map: &mut A,
        field: PointField,
    ) -> Result<bool, A::Error> {
        match field {
            PointField::AsDouble => *self = Some(Number::Double(read!(ctx, map, field, Double))),
            PointField::AsInt => {
                *self = Some(Number::Int(read!(ctx, map, field, Integer::<i64>::new())))
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl PointValue for RawHistogram {
    const WHAT: &'static str = "a HistogramDataPoint";

    fn read<'de, S, A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx<S>,
        map: &mut A,
        field: PointField,
    ) -> Result<bool, A::Error> {
        if read_totals(&mut self.totals, ctx, map, field)? {
            return Ok(true);
        }
        match field {
            PointField::BucketCounts => {
                self.bucket_counts = read!(ctx, map, field, Array(Integer::<u64>::new()))
            }
            PointField::ExplicitBounds => {
                self.explicit_bounds = read!(ctx, map, field, Array(Double))
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl PointValue for RawExponentialHistogram {
    const WHAT: &'static str = "an ExponentialHistogramDataPoint";

    fn read<'de, S, A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx<S>,
        map: &mut A,
        field: PointField,
    ) -> Result<bool, A::Error> {
        if read_totals(&mut self.totals, ctx, map, field)? {
            return Ok(true);
        }
        match field {
            PointField::Scale => self.scale = read!(ctx, map, field, Integer::<i32>::new()),
            PointField::ZeroCount => {
                self.zero_count = read!(ctx, map, field, Integer::<u64>::new())
            }
            PointField::ZeroThreshold => self.zero_threshold = read!(ctx, map, field, Double),
            PointField::Positive => {
                self.positive = read!(ctx, map, field, Msg::<S, BucketsMessage>::new(ctx))
            }
            PointField::Negative => {
                self.negative = read!(ctx, map, field, Msg::<S, BucketsMessage>::new(ctx))
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// A histogram's `count`, `sum`, `min` and `max`, when `field` is one.
fn read_totals<'de, S, A: MapAccess<'de>>(
    totals: &mut HistogramTotals,
    ctx: &mut Ctx<S>,
    map: &mut A,
    field: PointField,
) -> Result<bool, A::Error> {
    match field {
        PointField::Count => totals.count = read!(ctx, map, field, Integer::<u64>::new()),
        PointField::Sum => totals.sum = read!(ctx, map, field, Optional(Double)),
        PointField::Min => totals.min = read!(ctx, map, field, Optional(Double)),
        PointField::Max => totals.max = read!(ctx, map, field, Optional(Double)),
        _ => return Ok(false),
    }
    Ok(true)
}

impl PointValue for SummaryValue {
    const WHAT: &'static str = "a SummaryDataPoint";
    const EXEMPLARS: bool = false;

    fn read<'de, S, A: MapAccess<'de>>(
        &mut self,
        ctx: &mut Ctx<S>,
        map: &mut A,
        field: PointField,
    ) -> Result<bool, A::Error> {
        match field {
            PointField::Count => self.count = read!(ctx, map, field, Integer::<u64>::new()),
            PointField::Sum => self.sum = read!(ctx, map, field, Double),
            PointField::QuantileValues => {
                self.quantiles = read!(ctx, map, field, List::<S, QuantileMessage>::new(ctx))
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fields!(BucketsField {
    Offset = "offset",
    BucketCounts = "bucketCounts" | "bucket_counts",
});

struct BucketsMessage;

impl<S> Message<S> for BucketsMessage {
    type Out = ExponentialBuckets;
    const WHAT: &'static str = "an ExponentialHistogramDataPoint.Buckets";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut Ctx<S>,
        mut map: A,
    ) -> Result<ExponentialBuckets, A::Error> {
        let mut out = ExponentialBuckets::default();
        while let Some(field) = map.next_key_seed(Key::<BucketsField>::new())? {
            match field {
                Some(f @ BucketsField::Offset) => {
                    out.offset = read!(ctx, map, f, Integer::<i32>::new())
                }
                Some(f @ BucketsField::BucketCounts) => {
                    out.bucket_counts = read!(ctx, map, f, Array(Integer::<u64>::new()))
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }

    fn null(_: &mut Ctx<S>) -> ExponentialBuckets {
        ExponentialBuckets::default()
    }
}

fields!(QuantileField {
    Quantile = "quantile",
    Value = "value",
});

struct QuantileMessage;

impl<S> Message<S> for QuantileMessage {
    type Out = ValueAtQuantile;
    const WHAT: &'static str = "a SummaryDataPoint.ValueAtQuantile";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut Ctx<S>,
        mut map: A,
    ) -> Result<ValueAtQuantile, A::Error> {
        let mut out = Self::null(ctx);
        while let Some(field) = map.next_key_seed(Key::<QuantileField>::new())? {
            match field {
                Some(f @ QuantileField::Quantile) => out.quantile = read!(ctx, map, f, Double),
                Some(f @ QuantileField::Value) => out.value = read!(ctx, map, f, Double),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }

    fn null(_: &mut Ctx<S>) -> ValueAtQuantile {
        ValueAtQuantile {
            quantile: 0.0,
            value: 0.0,
        }
    }
}

fields!(ExemplarField {
    FilteredAttributes = "filteredAttributes" | "filtered_attributes",
    Time = "timeUnixNano" | "time_unix_nano",
    AsDouble = "asDouble" | "as_double",
    AsInt = "asInt" | "as_int",
    SpanId = "spanId" | "span_id",
    TraceId = "traceId" | "trace_id",
});

struct ExemplarMessage;

impl<S> Message<S> for ExemplarMessage {
    type Out = RawExemplar;
    const WHAT: &'static str = "an Exemplar";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut Ctx<S>,
        mut map: A,
    ) -> Result<RawExemplar, A::Error> {
        let mut out = RawExemplar::default();
        while let Some(field) = map.next_key_seed(Key::<ExemplarField>::new())? {
            let Some(field) = field else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match field {
                ExemplarField::FilteredAttributes => {
                    out.filtered_attributes = read!(ctx, map, field, attributes(ctx))
                }
                ExemplarField::Time => {
                    out.time_unix_nano = read!(ctx, map, field, Integer::<u64>::new())
                }
                ExemplarField::AsDouble => {
                    out.value = Some(Number::Double(read!(ctx, map, field, Double)))
                }
                ExemplarField::AsInt => {
                    out.value = Some(Number::Int(read!(ctx, map, field, Integer::<i64>::new())))
                }
                ExemplarField::SpanId => out.span_id = sent_id(read!(ctx, map, field, Id::<8>)),
                ExemplarField::TraceId => out.trace_id = sent_id(read!(ctx, map, field, Id::<16>)),
            }
        }
        Ok(out)
    }

    fn null(_: &mut Ctx<S>) -> RawExemplar {
        RawExemplar::default()
    }
}

/// JSON ids are hex (or base64) text; empty is no id.
fn sent_id<const N: usize>(raw: RawId<N>) -> SentId<N> {
    match raw {
        RawId::Empty => SentId::Absent,
        RawId::Bytes(bytes) => SentId::Bytes(bytes),
        RawId::Invalid { shown, .. } => SentId::Invalid(format!("'{shown}'")),
    }
}
