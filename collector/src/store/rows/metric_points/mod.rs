//! The five metric tables (`otel_metrics_gauge`, `_sum`, `_histogram`,
//! `_exponential_histogram`, `_summary`): one row per data point, in the
//! OpenTelemetry Collector ClickHouse exporter's columns plus `Layer`. Every
//! row starts with the same columns (what produced the point, the metric,
//! its attributes and times) and ends with `Layer`; `tables.rs` declares
//! what each kind puts between, exemplars included.
//!
//! Times are `DateTime` (whole seconds), as the exporter's tables keep
//! them. Points of one request share their producer (one `Arc`), so its
//! columns are encoded once per run of such points and copied.

mod tables;

use std::sync::Arc;

use super::attributes::put_attributes;
use super::row_end;
use super::span::put_hex;
use crate::model::datapoint::{DataPoint, Exemplar, Number, Producer};
use crate::store::rowbinary::{put_datetime_seconds, put_f64, put_str, put_u32, put_varint};

pub use tables::{ExponentialHistogramTable, GaugeTable, HistogramTable, SumTable, SummaryTable};

/// The columns every metric table starts with, in the order
/// [`encode_points`] writes them.
macro_rules! leading_columns {
    () => {
        [
            "ResourceAttributes",
            "ResourceSchemaUrl",
            "ScopeName",
            "ScopeVersion",
            "ScopeAttributes",
            "ScopeDroppedAttrCount",
            "ScopeSchemaUrl",
            "ServiceName",
            "MetricName",
            "MetricDescription",
            "MetricUnit",
            "Attributes",
            "StartTimeUnix",
            "TimeUnix",
        ]
    };
}
use leading_columns;

/// The `Exemplars` nested columns, where a table has them.
const EXEMPLAR_COLUMNS: [&str; 5] = [
    "`Exemplars.FilteredAttributes`",
    "`Exemplars.TimeUnix`",
    "`Exemplars.Value`",
    "`Exemplars.SpanId`",
    "`Exemplars.TraceId`",
];

/// Rows for `points`: the leading columns, the kind's own (`kind`), then
/// `Layer`; each row's end pushed onto `row_ends`.
fn encode_points<V>(
    points: &[DataPoint<V>],
    buf: &mut Vec<u8>,
    row_ends: &mut Vec<u32>,
    kind: impl Fn(&DataPoint<V>, &mut Vec<u8>, &mut String),
) {
    let mut scratch = String::new();
    let mut producer_columns = Vec::new();
    let mut encoded_for: Option<&Arc<Producer>> = None;
    for point in points {
        if !encoded_for.is_some_and(|p| Arc::ptr_eq(p, &point.producer)) {
            producer_columns.clear();
            put_producer(&mut producer_columns, &point.producer, &mut scratch);
            encoded_for = Some(&point.producer);
        }
        buf.extend_from_slice(&producer_columns);
        let metric = &point.metric;
        put_str(buf, metric.name.as_bytes());
        put_str(buf, metric.description.as_bytes());
        put_str(buf, metric.unit.as_bytes());
        put_attributes(buf, &point.attributes, &mut scratch);
        put_datetime_seconds(buf, point.start_unix_nanos);
        put_datetime_seconds(buf, point.time_unix_nanos);
        kind(point, buf, &mut scratch);
        put_str(buf, point.producer.resource.layer.as_str().as_bytes());
        row_ends.push(row_end(buf));
    }
}

/// `ResourceAttributes` through `ServiceName`.
fn put_producer(buf: &mut Vec<u8>, producer: &Producer, scratch: &mut String) {
    put_attributes(buf, &producer.resource.attributes, scratch);
    put_str(buf, producer.resource_schema_url.as_bytes());
    put_str(buf, producer.scope.name.as_bytes());
    put_str(buf, producer.scope.version.as_bytes());
    put_attributes(buf, &producer.scope_attributes, scratch);
    put_u32(buf, producer.scope_dropped_attributes);
    put_str(buf, producer.scope_schema_url.as_bytes());
    put_str(buf, producer.resource.service_name.as_bytes());
}

/// The five `Exemplars` columns: ids as lowercase hex, `''` when not sent.
fn put_exemplars(buf: &mut Vec<u8>, exemplars: &[Exemplar], scratch: &mut String) {
    let n = exemplars.len() as u64;
    put_varint(buf, n);
    for exemplar in exemplars {
        put_attributes(buf, &exemplar.filtered_attributes, scratch);
    }
    put_varint(buf, n);
    for exemplar in exemplars {
        put_datetime_seconds(buf, exemplar.time_unix_nanos);
    }
    put_varint(buf, n);
    for exemplar in exemplars {
        put_f64(buf, exemplar.value.as_f64());
    }
    put_varint(buf, n);
    for exemplar in exemplars {
        match exemplar.span_id {
            Some(id) => put_hex(buf, |out| id.write_hex(out), 16),
            None => put_str(buf, b""),
        }
    }
    put_varint(buf, n);
    for exemplar in exemplars {
        match exemplar.trace_id {
            Some(id) => put_hex(buf, |out| id.write_hex(out), 32),
            None => put_str(buf, b""),
        }
    }
}

/// A gauge's or sum's value as the `Value Float64` column holds it.
fn put_number(buf: &mut Vec<u8>, number: Number) {
    put_f64(buf, number.as_f64());
}

/// An optional sum, min or max: the exporter's columns are not nullable,
/// so one not sent is 0.
fn put_optional(buf: &mut Vec<u8>, value: Option<f64>) {
    put_f64(buf, value.unwrap_or(0.0));
}
