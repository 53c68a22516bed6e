//! Each metric table's columns between the leading ones and `Layer`, and
//! how a point of its kind fills them.

use super::{
    encode_points, leading_columns, put_exemplars, put_number, put_optional, EXEMPLAR_COLUMNS,
};
use crate::model::datapoint::{
    DataPoint, ExponentialHistogramPoint, GaugePoint, HistogramPoint, HistogramTotals, SumPoint,
    SummaryPoint, Temporality,
};
use crate::store::rowbinary::{
    put_f64, put_f64_array, put_i32, put_u32, put_u64, put_u64_array, put_u8, put_varint,
};
use crate::store::rows::Table;

/// Declares a metric table: its record, name and columns (the leading
/// ones, `$columns`, `Layer`), and `encode_all` through `$kind`.
macro_rules! metric_table {
    ($table:ident, $record:ty, $name:literal, [$($column:expr),* $(,)?], $kind:expr) => {
        pub struct $table;

        impl Table for $table {
            type Record = $record;
            const NAME: &'static str = $name;
            const COLUMNS: &'static [&'static str] = &{
                const LEADING: [&str; 14] = leading_columns!();
                const OWN: &[&str] = &[$($column),*];
                const N: usize = LEADING.len() + OWN.len() + 1;
                let mut all = [""; N];
                let mut i = 0;
                while i < LEADING.len() {
                    all[i] = LEADING[i];
                    i += 1;
                }
                while i < N - 1 {
                    all[i] = OWN[i - LEADING.len()];
                    i += 1;
                }
                all[N - 1] = "Layer";
                all
            };

            fn encode(point: &$record, buf: &mut Vec<u8>) {
                Self::encode_all(std::slice::from_ref(point), buf, &mut Vec::new());
            }

            fn encode_all(points: &[$record], buf: &mut Vec<u8>, row_ends: &mut Vec<u32>) {
                encode_points(points, buf, row_ends, $kind);
            }

            /// The collector's own metrics (self telemetry sent to itself)
            /// record no span of their insert, as its own spans do not.
            fn is_from_service(point: &$record, service: &str) -> bool {
                point.service_name() == service
            }
        }
    };
}

metric_table!(
    GaugeTable,
    GaugePoint,
    "otel_metrics_gauge",
    [
        "Value",
        "Flags",
        EXEMPLAR_COLUMNS[0],
        EXEMPLAR_COLUMNS[1],
        EXEMPLAR_COLUMNS[2],
        EXEMPLAR_COLUMNS[3],
        EXEMPLAR_COLUMNS[4],
    ],
    |point: &GaugePoint, buf: &mut Vec<u8>, scratch: &mut String| {
        put_number(buf, point.value.value);
        put_u32(buf, point.flags);
        put_exemplars(buf, &point.exemplars, scratch);
    }
);

metric_table!(
    SumTable,
    SumPoint,
    "otel_metrics_sum",
    [
        "Value",
        "Flags",
        EXEMPLAR_COLUMNS[0],
        EXEMPLAR_COLUMNS[1],
        EXEMPLAR_COLUMNS[2],
        EXEMPLAR_COLUMNS[3],
        EXEMPLAR_COLUMNS[4],
        "AggregationTemporality",
        "IsMonotonic",
    ],
    |point: &SumPoint, buf: &mut Vec<u8>, scratch: &mut String| {
        let sum = &point.value;
        put_number(buf, sum.value);
        put_u32(buf, point.flags);
        put_exemplars(buf, &point.exemplars, scratch);
        put_i32(buf, sum.temporality.number());
        put_u8(buf, u8::from(sum.monotonic));
    }
);

metric_table!(
    HistogramTable,
    HistogramPoint,
    "otel_metrics_histogram",
    [
        "Count",
        "Sum",
        "BucketCounts",
        "ExplicitBounds",
        EXEMPLAR_COLUMNS[0],
        EXEMPLAR_COLUMNS[1],
        EXEMPLAR_COLUMNS[2],
        EXEMPLAR_COLUMNS[3],
        EXEMPLAR_COLUMNS[4],
        "Flags",
        "Min",
        "Max",
        "AggregationTemporality",
    ],
    |point: &HistogramPoint, buf: &mut Vec<u8>, scratch: &mut String| {
        let histogram = &point.value;
        put_count_and_sum(buf, &histogram.totals);
        put_u64_array(buf, &histogram.bucket_counts);
        put_f64_array(buf, &histogram.explicit_bounds);
        put_histogram_tail(
            buf,
            point,
            &histogram.totals,
            histogram.temporality,
            scratch,
        );
    }
);

metric_table!(
    ExponentialHistogramTable,
    ExponentialHistogramPoint,
    "otel_metrics_exponential_histogram",
    [
        "Count",
        "Sum",
        "Scale",
        "ZeroCount",
        "PositiveOffset",
        "PositiveBucketCounts",
        "NegativeOffset",
        "NegativeBucketCounts",
        EXEMPLAR_COLUMNS[0],
        EXEMPLAR_COLUMNS[1],
        EXEMPLAR_COLUMNS[2],
        EXEMPLAR_COLUMNS[3],
        EXEMPLAR_COLUMNS[4],
        "Flags",
        "Min",
        "Max",
        "AggregationTemporality",
    ],
    |point: &ExponentialHistogramPoint, buf: &mut Vec<u8>, scratch: &mut String| {
        let histogram = &point.value;
        put_count_and_sum(buf, &histogram.totals);
        put_i32(buf, histogram.scale);
        put_u64(buf, histogram.zero_count);
        put_i32(buf, histogram.positive.offset);
        put_u64_array(buf, &histogram.positive.bucket_counts);
        put_i32(buf, histogram.negative.offset);
        put_u64_array(buf, &histogram.negative.bucket_counts);
        put_histogram_tail(
            buf,
            point,
            &histogram.totals,
            histogram.temporality,
            scratch,
        );
    }
);

/// `Count`, `Sum`: what both histogram tables start their own columns with.
fn put_count_and_sum(buf: &mut Vec<u8>, totals: &HistogramTotals) {
    put_u64(buf, totals.count);
    put_optional(buf, totals.sum);
}

/// `Exemplars`, `Flags`, `Min`, `Max`, `AggregationTemporality`: what both
/// histogram tables end their own columns with.
fn put_histogram_tail<V>(
    buf: &mut Vec<u8>,
    point: &DataPoint<V>,
    totals: &HistogramTotals,
    temporality: Temporality,
    scratch: &mut String,
) {
    put_exemplars(buf, &point.exemplars, scratch);
    put_u32(buf, point.flags);
    put_optional(buf, totals.min);
    put_optional(buf, totals.max);
    put_i32(buf, temporality.number());
}

metric_table!(
    SummaryTable,
    SummaryPoint,
    "otel_metrics_summary",
    [
        "Count",
        "Sum",
        "`ValueAtQuantiles.Quantile`",
        "`ValueAtQuantiles.Value`",
        "Flags",
    ],
    |point: &SummaryPoint, buf: &mut Vec<u8>, _: &mut String| {
        let summary = &point.value;
        put_u64(buf, summary.count);
        put_f64(buf, summary.sum);
        put_varint(buf, summary.quantiles.len() as u64);
        for quantile in &summary.quantiles {
            put_f64(buf, quantile.quantile);
        }
        put_varint(buf, summary.quantiles.len() as u64);
        for quantile in &summary.quantiles {
            put_f64(buf, quantile.value);
        }
        put_u32(buf, point.flags);
    }
);
