//! Reading the metric tables: which metrics there are (name, kind, unit),
//! and a metric's points per series for an aggregation
//! (`model::series`): numbers from the gauge and sum tables, distributions
//! from the histogram tables. A series is a metric's points with one
//! service, resource and set of attributes; its labels are `service`,
//! `layer` and its attributes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{fetch_json, Queries, QueryError};
use crate::model::datapoint::{ExponentialBuckets, Temporality};
use crate::model::series::{
    Distribution, Sample, Selector, Series, SeriesKind, StoredPoint, LAYER_LABEL, SERVICE_LABEL,
};

/// Series one question reads at most: beyond, the filter is too loose to
/// answer (and to hold) at once.
const MAX_SERIES: usize = 10_000;

/// A metric seen in a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    pub name: String,
    /// `gauge`, `sum`, `histogram`, `exponential_histogram` or `summary`.
    #[serde(rename = "type")]
    pub kind: String,
    pub unit: String,
    pub description: String,
    /// For sums: a counter (true) or an up-down counter.
    pub monotonic: Option<bool>,
    /// For sums and histograms: `delta` or `cumulative` (the newest seen).
    pub temporality: Option<String>,
    pub services: Vec<String>,
    pub series: u64,
    pub points: u64,
}

#[derive(Deserialize)]
struct SummaryRow {
    name: String,
    kind: String,
    unit: String,
    description: String,
    temporality: i32,
    monotonic: u8,
    services: Vec<String>,
    series: u64,
    points: u64,
}

/// A series as the tables give it.
#[derive(Deserialize)]
struct SeriesRow {
    service: String,
    layer: String,
    attributes: BTreeMap<String, String>,
    temporality: i32,
    monotonic: u8,
    points: Vec<PointRow>,
}

/// (start, time, value) of a number; for a histogram, (start, time,
/// bounds, counts, scale, zero count, positive offset and counts,
/// negative offset and counts).
#[derive(Deserialize)]
#[serde(untagged)]
enum PointRow {
    Number(u64, u64, f64),
    #[allow(clippy::type_complexity)]
    Histogram(
        u64,
        u64,
        Vec<f64>,
        Vec<u64>,
        i32,
        u64,
        i32,
        Vec<u64>,
        i32,
        Vec<u64>,
    ),
}

#[derive(Deserialize)]
struct BaseRow {
    service: String,
    layer: String,
    attributes: BTreeMap<String, String>,
    base: f64,
}

/// The columns every table gives a series by, and the filters every read
/// takes (with the selector's attributes bound as `k0`/`v0`, ...).
const SERIES_KEY: &str = "ServiceName AS service, Layer AS layer, Attributes AS attributes, \
    cityHash64(ResourceAttributes) AS resource";

fn temporality(number: i32) -> Option<Temporality> {
    match number {
        1 => Some(Temporality::Delta),
        2 => Some(Temporality::Cumulative),
        _ => None,
    }
}

fn temporality_name(number: i32) -> Option<String> {
    temporality(number).map(|t| {
        match t {
            Temporality::Delta => "delta",
            Temporality::Cumulative => "cumulative",
        }
        .to_owned()
    })
}

impl Queries {
    /// Every metric with points in `(from, to]` (Unix seconds), one entry
    /// per name and kind, of one service if given.
    pub async fn metric_summaries(
        &self,
        from_secs: u64,
        to_secs: u64,
        service: Option<&str>,
    ) -> Result<Vec<MetricSummary>, QueryError> {
        let part = |table: &str, kind: &str, temporality: &str, monotonic: &str| {
            format!(
                "SELECT MetricName, '{kind}' AS kind, MetricUnit, MetricDescription, ServiceName, \
                 {temporality} AS temporality, {monotonic} AS monotonic, TimeUnix, \
                 cityHash64(ResourceAttributes, Attributes) AS series_key \
                 FROM {table} WHERE TimeUnix > toDateTime({{from:UInt64}}) \
                 AND TimeUnix <= toDateTime({{to:UInt64}}) \
                 AND ({{service:String}} = '' OR ServiceName = {{service:String}})"
            )
        };
        let union = [
            part("otel_metrics_gauge", "gauge", "0", "0"),
            part(
                "otel_metrics_sum",
                "sum",
                "AggregationTemporality",
                "toUInt8(IsMonotonic)",
            ),
            part(
                "otel_metrics_histogram",
                "histogram",
                "AggregationTemporality",
                "0",
            ),
            part(
                "otel_metrics_exponential_histogram",
                "exponential_histogram",
                "AggregationTemporality",
                "0",
            ),
            part("otel_metrics_summary", "summary", "0", "0"),
        ]
        .join(" UNION ALL ");
        let rows: Vec<SummaryRow> = fetch_json(
            self.query(&format!(
                "SELECT MetricName AS name, kind, argMax(MetricUnit, TimeUnix) AS unit, \
                        argMax(MetricDescription, TimeUnix) AS description, \
                        argMax(temporality, TimeUnix) AS temporality, \
                        argMax(monotonic, TimeUnix) AS monotonic, \
                        arraySort(groupUniqArray(toString(ServiceName))) AS services, \
                        uniqExact(series_key) AS series, count() AS points \
                 FROM ({union}) GROUP BY name, kind ORDER BY name, kind LIMIT 1000"
            ))
            .param("from", from_secs)
            .param("to", to_secs)
            .param("service", service.unwrap_or_default()),
            "metric names",
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| MetricSummary {
                monotonic: (row.kind == "sum").then_some(row.monotonic != 0),
                temporality: temporality_name(row.temporality),
                name: row.name,
                kind: row.kind,
                unit: row.unit,
                description: row.description,
                services: row.services,
                series: row.series,
                points: row.points,
            })
            .collect())
    }

    /// The series of `selector` with their points in `(from, to]` (Unix
    /// seconds): numbers (gauges, sums) or, with `histograms`,
    /// distributions (explicit and exponential histograms), oldest first.
    pub async fn metric_series(
        &self,
        selector: &Selector,
        histograms: bool,
        from_secs: u64,
        to_secs: u64,
    ) -> Result<Vec<Series>, QueryError> {
        let filter = filter(selector);
        let parts = match histograms {
            false => [
                format!(
                    "SELECT {SERIES_KEY}, 0 AS temporality, 0 AS monotonic, \
                     (toUnixTimestamp(StartTimeUnix), toUnixTimestamp(TimeUnix), Value) AS point \
                     FROM otel_metrics_gauge WHERE {filter}"
                ),
                format!(
                    "SELECT {SERIES_KEY}, AggregationTemporality AS temporality, \
                     toUInt8(IsMonotonic) AS monotonic, \
                     (toUnixTimestamp(StartTimeUnix), toUnixTimestamp(TimeUnix), Value) AS point \
                     FROM otel_metrics_sum WHERE {filter}"
                ),
            ],
            true => [
                format!(
                    "SELECT {SERIES_KEY}, AggregationTemporality AS temporality, 0 AS monotonic, \
                     (toUnixTimestamp(StartTimeUnix), toUnixTimestamp(TimeUnix), ExplicitBounds, \
                      BucketCounts, toInt32(0), toUInt64(0), toInt32(0), CAST([] AS Array(UInt64)), \
                      toInt32(0), CAST([] AS Array(UInt64))) AS point \
                     FROM otel_metrics_histogram WHERE {filter}"
                ),
                format!(
                    "SELECT {SERIES_KEY}, AggregationTemporality AS temporality, 0 AS monotonic, \
                     (toUnixTimestamp(StartTimeUnix), toUnixTimestamp(TimeUnix), \
                      CAST([] AS Array(Float64)), CAST([] AS Array(UInt64)), Scale, ZeroCount, \
                      PositiveOffset, PositiveBucketCounts, NegativeOffset, NegativeBucketCounts) AS point \
                     FROM otel_metrics_exponential_histogram WHERE {filter}"
                ),
            ],
        };
        let sql = format!(
            "SELECT service, layer, attributes, resource, temporality, monotonic, \
                    arraySort(p -> p.2, groupArray(point)) AS points \
             FROM ({}) \
             GROUP BY service, layer, attributes, resource, temporality, monotonic \
             LIMIT {MAX_SERIES}",
            parts.join(" UNION ALL ")
        );
        let rows: Vec<SeriesRow> = fetch_json(
            bind(self.query(&sql), selector)
                .param("from", from_secs)
                .param("to", to_secs),
            "metric series",
        )
        .await?;
        let mut series: Vec<Series> = rows.into_iter().map(into_series).collect();
        let running = |s: &Series| {
            s.kind.temporality == Some(Temporality::Delta) && !s.kind.monotonic && !histograms
        };
        if series.iter().any(running) {
            self.add_delta_bases(selector, from_secs, &mut series)
                .await?;
        }
        Ok(series)
    }

    /// A delta up-down counter's level is the sum of all its deltas: what
    /// the series summed to before `from` becomes its `base`.
    async fn add_delta_bases(
        &self,
        selector: &Selector,
        from_secs: u64,
        series: &mut [Series],
    ) -> Result<(), QueryError> {
        let rows: Vec<BaseRow> = fetch_json(
            bind(
                self.query(&format!(
                    "SELECT {SERIES_KEY}, sum(Value) AS base FROM otel_metrics_sum \
                     WHERE MetricName = {{name:String}} AND AggregationTemporality = 1 \
                       AND NOT IsMonotonic AND TimeUnix <= toDateTime({{from:UInt64}}) {} \
                     GROUP BY service, layer, attributes, resource LIMIT {MAX_SERIES}",
                    narrowing(selector)
                )),
                selector,
            )
            .param("from", from_secs),
            "metric series bases",
        )
        .await?;
        for row in rows {
            let labels = labels(row.service, row.layer, row.attributes);
            for one in series.iter_mut().filter(|s| s.labels == labels) {
                one.base = row.base;
            }
        }
        Ok(())
    }
}

/// The WHERE of a series read: the metric, the time range, the narrowing.
fn filter(selector: &Selector) -> String {
    format!(
        "MetricName = {{name:String}} AND TimeUnix > toDateTime({{from:UInt64}}) \
         AND TimeUnix <= toDateTime({{to:UInt64}}) {}",
        narrowing(selector)
    )
}

/// The selector's service, layer and attributes as conditions on bound
/// parameters (`k0`/`v0`, ... in the attributes' order).
fn narrowing(selector: &Selector) -> String {
    let mut out = String::new();
    if selector.service.is_some() {
        out.push_str(" AND ServiceName = {service:String}");
    }
    if selector.layer.is_some() {
        out.push_str(" AND Layer = {layer:String}");
    }
    for i in 0..selector.attributes.len() {
        out.push_str(&format!(
            " AND Attributes[{{k{i}:String}}] = {{v{i}:String}}"
        ));
    }
    out
}

fn bind(mut query: clickhouse::query::Query, selector: &Selector) -> clickhouse::query::Query {
    query = query.param("name", selector.metric_name.as_str());
    if let Some(service) = &selector.service {
        query = query.param("service", service.as_str());
    }
    if let Some(layer) = selector.layer {
        query = query.param("layer", layer.as_str());
    }
    for (i, (key, value)) in selector.attributes.iter().enumerate() {
        query = query
            .param(&format!("k{i}"), key.as_str())
            .param(&format!("v{i}"), value.as_str());
    }
    query
}

fn labels(
    service: String,
    layer: String,
    mut attributes: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    attributes.insert(SERVICE_LABEL.to_owned(), service);
    attributes.insert(LAYER_LABEL.to_owned(), layer);
    attributes
}

/// The resource (grouped by in SQL) tells two instances' series apart;
/// it is not a label.
fn into_series(row: SeriesRow) -> Series {
    Series {
        labels: labels(row.service, row.layer, row.attributes),
        kind: SeriesKind {
            temporality: temporality(row.temporality),
            monotonic: row.monotonic != 0,
        },
        points: row.points.into_iter().map(into_point).collect(),
        base: 0.0,
    }
}

fn into_point(row: PointRow) -> StoredPoint {
    match row {
        PointRow::Number(start_secs, time_secs, value) => StoredPoint {
            start_secs,
            time_secs,
            sample: Sample::Number(value),
        },
        PointRow::Histogram(start_secs, time_secs, bounds, counts, scale, zero, po, pc, no, nc) => {
            let distribution = match counts.is_empty() && bounds.is_empty() {
                false => Distribution::explicit(&bounds, &counts),
                true => Distribution::exponential(
                    scale,
                    zero,
                    &ExponentialBuckets {
                        offset: po,
                        bucket_counts: pc,
                    },
                    &ExponentialBuckets {
                        offset: no,
                        bucket_counts: nc,
                    },
                ),
            };
            StoredPoint {
                start_secs,
                time_secs,
                sample: Sample::Distribution(distribution),
            }
        }
    }
}
