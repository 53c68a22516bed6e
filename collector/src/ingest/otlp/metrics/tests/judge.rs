//! What the judgement refuses, and what it keeps but warns about.

use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, Gauge, Histogram, HistogramDataPoint, Metric, Sum,
};

use super::{every_kind, exemplar_with, metric, number, reference, request_of, SECOND, T};
use crate::model::datapoint::NO_RECORDED_VALUE;
use crate::telemetry::outcome::{RejectReason, Signal};

fn histogram_point(counts: Vec<u64>, bounds: Vec<f64>, count: u64) -> HistogramDataPoint {
    HistogramDataPoint {
        time_unix_nano: T,
        count,
        bucket_counts: counts,
        explicit_bounds: bounds,
        ..Default::default()
    }
}

fn histogram(points: Vec<HistogramDataPoint>, temporality: i32) -> Metric {
    metric(
        "h",
        Data::Histogram(Histogram {
            data_points: points,
            aggregation_temporality: temporality,
        }),
    )
}

/// The first rejection's message, and how many points were refused for
/// `reason`.
fn refused(metrics: Vec<Metric>, reason: RejectReason) -> (String, u64) {
    let converted = reference(request_of(metrics));
    (
        converted.message().unwrap_or_default(),
        converted.rejections.count(Signal::MetricPoints, reason),
    )
}

#[test]
fn histograms_whose_buckets_do_not_fit_their_bounds_are_refused() {
    let (message, n) = refused(
        vec![histogram(
            vec![
                histogram_point(vec![1, 2], vec![1.0, 2.0], 3),
                histogram_point(vec![1, 2, 3], vec![2.0, 1.0], 6),
                histogram_point(vec![1, 2, 3], vec![1.0, f64::INFINITY], 6),
                histogram_point(vec![1, 2, 3], vec![1.0, 2.0], 7),
                // Kept: no buckets at all, and three counts for two bounds.
                histogram_point(vec![], vec![], 9),
                histogram_point(vec![1, 2, 3], vec![1.0, 2.0], 6),
            ],
            1,
        )],
        RejectReason::InvalidValue,
    );
    assert_eq!(n, 4);
    assert!(
        message.contains("metric 'h' point 0: 2 bucket counts for 2 explicit bounds"),
        "{message}"
    );
    let converted = reference(request_of(vec![histogram(
        vec![
            histogram_point(vec![1, 2, 3], vec![2.0, 1.0], 6),
            histogram_point(vec![1, 2, 3], vec![1.0, f64::NAN], 6),
            histogram_point(vec![1, 2, 3], vec![1.0, 2.0], 7),
        ],
        2,
    )]));
    assert_eq!(converted.rejected(), 3);
    assert!(converted.points.histograms.is_empty());
}

#[test]
fn an_unknown_temporality_refuses_every_point_of_its_metric() {
    let (message, n) = refused(
        vec![histogram(
            vec![
                histogram_point(vec![], vec![], 0),
                histogram_point(vec![], vec![], 0),
            ],
            0,
        )],
        RejectReason::InvalidValue,
    );
    assert_eq!(n, 2);
    assert!(
        message
            .contains("metric 'h': aggregation_temporality 0 is not DELTA (1) or CUMULATIVE (2)"),
        "{message}"
    );
}

#[test]
fn non_finite_values_are_refused_unless_no_value_was_recorded() {
    let nan = number(number_data_point::Value::AsDouble(f64::NAN));
    let mut marker = nan.clone();
    marker.flags = NO_RECORDED_VALUE;
    let infinite = number(number_data_point::Value::AsDouble(f64::INFINITY));
    let mut missing = number(number_data_point::Value::AsInt(1));
    missing.value = None;
    let gauge = metric(
        "g",
        Data::Gauge(Gauge {
            data_points: vec![nan, marker, infinite, missing],
        }),
    );
    let converted = reference(request_of(vec![gauge]));
    assert_eq!(
        converted
            .rejections
            .count(Signal::MetricPoints, RejectReason::InvalidValue),
        3
    );
    assert_eq!(converted.points.gauges.len(), 1, "the staleness marker");
    assert!(
        converted
            .message()
            .unwrap()
            .contains("the value NaN is not a finite number"),
        "{:?}",
        converted.message()
    );
}

#[test]
fn times_outside_the_storable_window_are_refused_naming_the_field() {
    let mut old = number(number_data_point::Value::AsInt(1));
    old.time_unix_nano = T - 2 * 3_600 * SECOND;
    old.start_time_unix_nano = 0;
    let mut ahead = number(number_data_point::Value::AsInt(1));
    ahead.time_unix_nano = T + 3_600 * SECOND;
    let mut backwards = number(number_data_point::Value::AsInt(1));
    backwards.start_time_unix_nano = T + SECOND;
    let mut long_running = number(number_data_point::Value::AsInt(1));
    long_running.start_time_unix_nano = 1;
    let sum = metric(
        "s",
        Data::Sum(Sum {
            data_points: vec![old, ahead, backwards, long_running],
            aggregation_temporality: 2,
            is_monotonic: true,
        }),
    );
    let converted = reference(request_of(vec![sum]));
    assert_eq!(
        converted
            .rejections
            .count(Signal::MetricPoints, RejectReason::TimeWindow),
        3
    );
    assert_eq!(
        converted.points.sums.len(),
        1,
        "a start long ago is a counter that has run long"
    );
    let message = converted.message().unwrap();
    assert!(
        message.contains("metric 's' point 0: time_unix_nano")
            && message.contains("older than the retention window"),
        "{message}"
    );
}

#[test]
fn exemplars_with_bad_ids_are_dropped_the_point_kept_and_the_sender_told() {
    let mut point = number(number_data_point::Value::AsInt(3));
    point.exemplars = vec![
        exemplar_with(vec![1; 5], vec![3; 8]),
        exemplar_with(vec![0; 16], vec![3; 8]),
        exemplar_with(vec![7; 16], vec![3; 8]),
        exemplar_with(vec![], vec![]),
    ];
    let gauge = metric(
        "g",
        Data::Gauge(Gauge {
            data_points: vec![point],
        }),
    );
    let converted = reference(request_of(vec![gauge]));
    assert_eq!(converted.rejected(), 0);
    assert_eq!(converted.dropped_exemplars, 2);
    assert_eq!(converted.points.gauges[0].exemplars.len(), 2);
    assert_eq!(
        converted.message().unwrap(),
        "2 exemplars dropped, points kept (first: metric 'g' point 0: exemplars[0]: trace_id must be 16 bytes, got 5 bytes)"
    );
}

#[test]
fn a_metric_without_a_name_is_refused_and_one_without_data_is_nothing() {
    let mut unnamed = every_kind().swap_remove(0);
    unnamed.name.clear();
    let mut empty = every_kind().swap_remove(1);
    empty.data = None;
    let (message, n) = refused(vec![unnamed, empty], RejectReason::InvalidValue);
    assert_eq!(n, 1);
    assert!(message.contains("without a name"), "{message}");
}
