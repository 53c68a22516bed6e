//! A metric's data on the wire: the kind (`Gauge`, `Sum`, `Histogram`,
//! `ExponentialHistogram`, `Summary`, depth 4), its data points (depth 5)
//! and what they hold (exemplars, exponential buckets, quantiles: depth
//! 6), read into the raw shapes the judgement takes.

use super::super::judge::{
    RawData, RawExemplar, RawExponentialHistogram, RawHistogram, RawNumber, RawPoint, SentId,
};
use crate::ingest::otlp::protobuf::{attributes_field, Reader, WireResult, WireType};
use crate::model::datapoint::{
    ExponentialBuckets, HistogramTotals, Number, SummaryValue, ValueAtQuantile,
};

/// One occurrence of the metric's `data` oneof (field `tag`) merged into
/// `data` as `prost` merges it: into the data already there when it is
/// of the same kind, replacing it otherwise.
pub(super) fn data(tag: u32, r: Reader<'_>, data: &mut Option<RawData>) -> WireResult<()> {
    let field = match tag {
        5 => "gauge",
        7 => "sum",
        9 => "histogram",
        10 => "exponential_histogram",
        _ => "summary",
    };
    let same_kind = matches!(
        (tag, &*data),
        (5, Some(RawData::Gauge(_)))
            | (7, Some(RawData::Sum { .. }))
            | (9, Some(RawData::Histogram { .. }))
            | (10, Some(RawData::ExponentialHistogram { .. }))
            | (11, Some(RawData::Summary(_)))
    );
    if !same_kind {
        *data = Some(match tag {
            5 => RawData::Gauge(Vec::new()),
            7 => RawData::Sum {
                points: Vec::new(),
                temporality: Ok(0),
                monotonic: false,
            },
            9 => RawData::Histogram {
                points: Vec::new(),
                temporality: Ok(0),
            },
            10 => RawData::ExponentialHistogram {
                points: Vec::new(),
                temporality: Ok(0),
            },
            _ => RawData::Summary(Vec::new()),
        });
    }
    let read = match data {
        Some(RawData::Gauge(points)) => kind(r, points, number_point, &mut |_, _| Ok(false)),
        Some(RawData::Sum {
            points,
            temporality,
            monotonic,
        }) => kind(r, points, number_point, &mut |tag, r| match tag {
            (2, wt) => r
                .int32(wt)
                .map(|t| *temporality = Ok(i64::from(t)))
                .map(|_| true),
            (3, wt) => r.bool(wt).map(|m| *monotonic = m).map(|_| true),
            _ => Ok(false),
        }),
        Some(RawData::Histogram {
            points,
            temporality,
        }) => kind(r, points, histogram_point, &mut |tag, r| {
            temporality_field(tag, r, temporality)
        }),
        Some(RawData::ExponentialHistogram {
            points,
            temporality,
        }) => kind(r, points, exponential_point, &mut |tag, r| {
            temporality_field(tag, r, temporality)
        }),
        Some(RawData::Summary(points)) => kind(r, points, summary_point, &mut |_, _| Ok(false)),
        None => Ok(()),
    };
    read.map_err(|e| e.within(field, None))
}

/// Reads field 2, `aggregation_temporality`, the last one sent winning.
fn temporality_field(
    tag: (u32, WireType),
    r: &mut Reader<'_>,
    temporality: &mut Result<i64, String>,
) -> WireResult<bool> {
    match tag {
        (2, wt) => {
            *temporality = Ok(i64::from(r.int32(wt)?));
            Ok(true)
        }
        _ => Ok(false),
    }
}

type FieldReader<'f> = dyn FnMut((u32, WireType), &mut Reader<'_>) -> WireResult<bool> + 'f;

/// A kind's message, depth 4: `data_points` (field 1) appended to
/// `points` by `point`; its other fields read by `other`, which says
/// whether it knew the field.
fn kind<V>(
    mut r: Reader<'_>,
    points: &mut Vec<RawPoint<V>>,
    point: fn(Reader<'_>) -> WireResult<RawPoint<V>>,
    other: &mut FieldReader<'_>,
) -> WireResult<()> {
    while !r.is_empty() {
        match r.key()? {
            (1, wt) => {
                let index = points.len();
                let raw =
                    point(r.message(wt, 5)?).map_err(|e| e.within("data_points", Some(index)))?;
                points.push(raw);
            }
            (tag, wt) => {
                if !other((tag, wt), &mut r)? {
                    r.skip(tag, wt, 4)?;
                }
            }
        }
    }
    Ok(())
}

/// The fields every point has, at their tags in this point's message:
/// attributes, times, exemplars and flags. `Ok(false)`: not one of them.
fn common<V>(
    (tag, wt): (u32, WireType),
    r: &mut Reader<'_>,
    tags: CommonTags,
    point: &mut RawPoint<V>,
) -> WireResult<bool> {
    match tag {
        2 => point.start_time_unix_nano = r.fixed64(wt)?,
        3 => point.time_unix_nano = r.fixed64(wt)?,
        t if t == tags.attributes => attributes_field(r, wt, 6, &mut point.attributes)?,
        t if t == tags.exemplars => {
            let index = point.exemplars.len();
            let exemplar =
                exemplar(r.message(wt, 6)?).map_err(|e| e.within("exemplars", Some(index)))?;
            point.exemplars.push(exemplar);
        }
        t if t == tags.flags => point.flags = r.uint32(wt)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// Where a point message keeps the fields every point has.
#[derive(Clone, Copy)]
struct CommonTags {
    attributes: u32,
    exemplars: u32,
    flags: u32,
}

/// `NumberDataPoint`, depth 5.
fn number_point(mut r: Reader<'_>) -> WireResult<RawPoint<RawNumber>> {
    const TAGS: CommonTags = CommonTags {
        attributes: 7,
        exemplars: 5,
        flags: 8,
    };
    let mut point = RawPoint::default();
    while !r.is_empty() {
        let key = r.key()?;
        if common(key, &mut r, TAGS, &mut point)? {
            continue;
        }
        match key {
            (4, wt) => point.value = Some(Number::Double(r.double(wt)?)),
            (6, wt) => point.value = Some(Number::Int(r.sfixed64(wt)?)),
            (tag, wt) => r.skip(tag, wt, 5)?,
        }
    }
    Ok(point)
}

/// `HistogramDataPoint`, depth 5.
fn histogram_point(mut r: Reader<'_>) -> WireResult<RawPoint<RawHistogram>> {
    const TAGS: CommonTags = CommonTags {
        attributes: 9,
        exemplars: 8,
        flags: 10,
    };
    let mut point = RawPoint::<RawHistogram>::default();
    while !r.is_empty() {
        let key = r.key()?;
        if common(key, &mut r, TAGS, &mut point)? {
            continue;
        }
        let value = &mut point.value;
        if totals(key, &mut r, 11, &mut value.totals)? {
            continue;
        }
        match key {
            (6, wt) => r.repeated_fixed64(wt, &mut value.bucket_counts, |v| v)?,
            (7, wt) => r.repeated_fixed64(wt, &mut value.explicit_bounds, f64::from_bits)?,
            (tag, wt) => r.skip(tag, wt, 5)?,
        }
    }
    Ok(point)
}

/// `ExponentialHistogramDataPoint`, depth 5.
fn exponential_point(mut r: Reader<'_>) -> WireResult<RawPoint<RawExponentialHistogram>> {
    const TAGS: CommonTags = CommonTags {
        attributes: 1,
        exemplars: 11,
        flags: 10,
    };
    let mut point = RawPoint::<RawExponentialHistogram>::default();
    while !r.is_empty() {
        let key = r.key()?;
        if common(key, &mut r, TAGS, &mut point)? {
            continue;
        }
        let value = &mut point.value;
        if totals(key, &mut r, 12, &mut value.totals)? {
            continue;
        }
        match key {
            (6, wt) => value.scale = r.sint32(wt)?,
            (7, wt) => value.zero_count = r.fixed64(wt)?,
            (8, wt) => buckets(r.message(wt, 6)?, &mut value.positive)
                .map_err(|e| e.within("positive", None))?,
            (9, wt) => buckets(r.message(wt, 6)?, &mut value.negative)
                .map_err(|e| e.within("negative", None))?,
            (14, wt) => value.zero_threshold = r.double(wt)?,
            (tag, wt) => r.skip(tag, wt, 5)?,
        }
    }
    Ok(point)
}

/// A histogram's `count` (4), `sum` (5), `min` (`min_tag`) and `max` (the
/// tag after it), when `key` is one of them.
fn totals(
    (tag, wt): (u32, WireType),
    r: &mut Reader<'_>,
    min_tag: u32,
    totals: &mut HistogramTotals,
) -> WireResult<bool> {
    match tag {
        4 => totals.count = r.fixed64(wt)?,
        5 => totals.sum = Some(r.double(wt)?),
        t if t == min_tag => totals.min = Some(r.double(wt)?),
        t if t == min_tag + 1 => totals.max = Some(r.double(wt)?),
        _ => return Ok(false),
    }
    Ok(true)
}

/// `ExponentialHistogramDataPoint.Buckets`, depth 6, merged into what an
/// earlier occurrence set.
fn buckets(mut r: Reader<'_>, buckets: &mut ExponentialBuckets) -> WireResult<()> {
    while !r.is_empty() {
        match r.key()? {
            (1, wt) => buckets.offset = r.sint32(wt)?,
            (2, wt) => r.repeated_uint64(wt, &mut buckets.bucket_counts)?,
            (tag, wt) => r.skip(tag, wt, 6)?,
        }
    }
    Ok(())
}

/// `SummaryDataPoint`, depth 5.
fn summary_point(mut r: Reader<'_>) -> WireResult<RawPoint<SummaryValue>> {
    const TAGS: CommonTags = CommonTags {
        attributes: 7,
        // A summary has no exemplars: a tag no field has.
        exemplars: 0,
        flags: 8,
    };
    let mut point = RawPoint {
        value: SummaryValue {
            count: 0,
            sum: 0.0,
            quantiles: Vec::new(),
        },
        ..RawPoint::default()
    };
    while !r.is_empty() {
        let key = r.key()?;
        if common(key, &mut r, TAGS, &mut point)? {
            continue;
        }
        let value = &mut point.value;
        match key {
            (4, wt) => value.count = r.fixed64(wt)?,
            (5, wt) => value.sum = r.double(wt)?,
            (6, wt) => {
                let index = value.quantiles.len();
                let quantile = value_at_quantile(r.message(wt, 6)?)
                    .map_err(|e| e.within("quantile_values", Some(index)))?;
                value.quantiles.push(quantile);
            }
            (tag, wt) => r.skip(tag, wt, 5)?,
        }
    }
    Ok(point)
}

/// `SummaryDataPoint.ValueAtQuantile`, depth 6.
fn value_at_quantile(mut r: Reader<'_>) -> WireResult<ValueAtQuantile> {
    let mut out = ValueAtQuantile {
        quantile: 0.0,
        value: 0.0,
    };
    while !r.is_empty() {
        match r.key()? {
            (1, wt) => out.quantile = r.double(wt)?,
            (2, wt) => out.value = r.double(wt)?,
            (tag, wt) => r.skip(tag, wt, 6)?,
        }
    }
    Ok(out)
}

/// `Exemplar`, depth 6.
fn exemplar(mut r: Reader<'_>) -> WireResult<RawExemplar> {
    let mut out = RawExemplar::default();
    while !r.is_empty() {
        match r.key()? {
            (7, wt) => attributes_field(&mut r, wt, 7, &mut out.filtered_attributes)?,
            (2, wt) => out.time_unix_nano = r.fixed64(wt)?,
            (3, wt) => out.value = Some(Number::Double(r.double(wt)?)),
            (6, wt) => out.value = Some(Number::Int(r.sfixed64(wt)?)),
            (4, wt) => out.span_id = sent_id(r.bytes(wt)?),
            (5, wt) => out.trace_id = sent_id(r.bytes(wt)?),
            (tag, wt) => r.skip(tag, wt, 6)?,
        }
    }
    Ok(out)
}

/// Protobuf ids are bytes of any length: empty is no id.
fn sent_id<const N: usize>(bytes: &[u8]) -> SentId<N> {
    if bytes.is_empty() {
        return SentId::Absent;
    }
    match <[u8; N]>::try_from(bytes) {
        Ok(array) => SentId::Bytes(array),
        Err(_) => SentId::Invalid(format!("{} bytes", bytes.len())),
    }
}
