//! Web Vitals over a window: the 75th percentile per metric (what the
//! web-vitals thresholds are defined on), grouped by a page dimension.
//! Every metric id counts once, with its latest report (CLS and INP report
//! again as they grow), whether or not ClickHouse has merged them yet.
//! [`Queries::vitals_series`] gives the same p75 per metric over the whole
//! range and per time bucket (the overview's sparklines).

use serde::{Deserialize, Serialize};

use super::{fetch_json, Queries, QueryError, TimeRange};
use crate::model::rum::{MetricName, Rating};

/// What vitals can be grouped by; each maps to one fixed column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VitalGrouping {
    Page,
    Route,
    Device,
    Browser,
    Country,
    Release,
}

impl VitalGrouping {
    pub const NAMES: &'static str = "page, route, device, browser, country or release";

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "page" => Self::Page,
            "route" => Self::Route,
            "device" => Self::Device,
            "browser" => Self::Browser,
            "country" => Self::Country,
            "release" => Self::Release,
            _ => return None,
        })
    }

    fn column(self) -> &'static str {
        match self {
            Self::Page => "Path",
            Self::Route => "Route",
            Self::Device => "DeviceClass",
            Self::Browser => "Browser",
            Self::Country => "Country",
            Self::Release => "Release",
        }
    }
}

/// One metric in one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VitalGroup {
    pub group: String,
    pub metric: String,
    pub p75: f64,
    /// The web-vitals rating of the p75.
    pub rating: &'static str,
    pub count: u64,
    pub good: u64,
    pub needs_improvement: u64,
    pub poor: u64,
}

#[derive(Deserialize)]
struct Row {
    group: String,
    metric: String,
    p75: f64,
    count: u64,
    good: u64,
    needs_improvement: u64,
    poor: u64,
}

/// One metric over a range: its p75 over all of it, and per time bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VitalSeries {
    pub metric: String,
    pub p75: f64,
    /// The web-vitals rating of the p75.
    pub rating: &'static str,
    pub count: u64,
    /// Buckets with at least one report, oldest first.
    pub points: Vec<VitalPoint>,
}

/// One time bucket of a [`VitalSeries`]: `[start_ms, start_ms + step)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VitalPoint {
    pub start_ms: i64,
    pub p75: f64,
    pub count: u64,
}

/// The buckets a range is cut into: `count` of `step_ms` each, the first
/// starting at the range's start (the last one may reach past its end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Buckets {
    pub count: u32,
    pub step_ms: i64,
}

impl Buckets {
    /// `count` (at least 1) equal buckets covering `range`, ends included.
    pub fn over(range: TimeRange, count: u32) -> Self {
        let count = count.max(1);
        let span = range.to_millis - range.from_millis + 1;
        Self {
            count,
            step_ms: (span + i64::from(count) - 1)
                .div_euclid(i64::from(count))
                .max(1),
        }
    }
}

#[derive(Deserialize)]
struct SeriesRow {
    metric: String,
    p75: f64,
    count: u64,
    starts: Vec<i64>,
    p75s: Vec<f64>,
    counts: Vec<u64>,
}

impl Queries {
    /// Per metric, the p75 over `range` and per bucket of `buckets`; each
    /// metric id counts once, in the bucket of its latest report.
    pub async fn vitals_series(
        &self,
        range: TimeRange,
        buckets: Buckets,
    ) -> Result<Vec<VitalSeries>, QueryError> {
        // The three arrays are aggregated over the same rows in the same
        // order, so their elements line up.
        let rows: Vec<SeriesRow> = fetch_json(
            self.query(
                "SELECT metric, quantileMerge(0.75)(state) AS p75, sum(n) AS count, \
                        groupArray(bucket_ms) AS starts, groupArray(bucket_p75) AS p75s, \
                        groupArray(n) AS counts \
                 FROM ( \
                    SELECT Name AS metric, \
                           {from:Int64} + intDiv(toUnixTimestamp64Milli(reported) - {from:Int64}, {step:Int64}) * {step:Int64} AS bucket_ms, \
                           quantileState(0.75)(value) AS state, quantile(0.75)(value) AS bucket_p75, \
                           count() AS n \
                    FROM ( \
                       SELECT Name, argMax(Value, Timestamp) AS value, max(Timestamp) AS reported \
                       FROM rum_vitals \
                       WHERE Timestamp >= fromUnixTimestamp64Milli({from:Int64}) \
                         AND Timestamp <= fromUnixTimestamp64Milli({to:Int64}) \
                       GROUP BY App, Name, MetricId) \
                    GROUP BY metric, bucket_ms) \
                 GROUP BY metric ORDER BY metric",
            )
            .param("from", range.from_millis)
            .param("to", range.to_millis)
            .param("step", buckets.step_ms),
            "vitals series",
        )
        .await?;
        Ok(rows.into_iter().map(series).collect())
    }

    pub async fn vitals(
        &self,
        range: TimeRange,
        grouping: VitalGrouping,
    ) -> Result<Vec<VitalGroup>, QueryError> {
        // The column is chosen from a fixed list, never from request text.
        let sql = format!(
            "SELECT grouped AS group, Name AS metric, quantile(0.75)(value) AS p75, \
                    count() AS count, countIf(rating = 'good') AS good, \
                    countIf(rating = 'needs-improvement') AS needs_improvement, \
                    countIf(rating = 'poor') AS poor \
             FROM ( \
                SELECT Name, argMax({column}, Timestamp) AS grouped, \
                       argMax(Value, Timestamp) AS value, argMax(Rating, Timestamp) AS rating \
                FROM rum_vitals \
                WHERE Timestamp >= fromUnixTimestamp64Milli({{from:Int64}}) \
                  AND Timestamp <= fromUnixTimestamp64Milli({{to:Int64}}) \
                GROUP BY App, Name, MetricId) \
             GROUP BY group, metric ORDER BY group, metric",
            column = grouping.column()
        );
        let rows: Vec<Row> = fetch_json(
            self.query(&sql)
                .param("from", range.from_millis)
                .param("to", range.to_millis),
            "vitals",
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| VitalGroup {
                rating: MetricName::parse(&row.metric)
                    .map_or("", |name| Rating::of(name, row.p75).as_str()),
                group: row.group,
                metric: row.metric,
                p75: row.p75,
                count: row.count,
                good: row.good,
                needs_improvement: row.needs_improvement,
                poor: row.poor,
            })
            .collect())
    }
}

fn series(row: SeriesRow) -> VitalSeries {
    let mut points: Vec<VitalPoint> = row
        .starts
        .iter()
        .zip(&row.p75s)
        .zip(&row.counts)
        .map(|((&start_ms, &p75), &count)| VitalPoint {
            start_ms,
            p75,
            count,
        })
        .collect();
    points.sort_by_key(|point| point.start_ms);
    VitalSeries {
        rating: MetricName::parse(&row.metric)
            .map_or("", |name| Rating::of(name, row.p75).as_str()),
        metric: row.metric,
        p75: row.p75,
        count: row.count,
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_the_range_ends_included() {
        let range = TimeRange {
            from_millis: 1_000,
            to_millis: 3_600_999,
        };
        let buckets = Buckets::over(range, 24);
        assert_eq!(buckets.step_ms, 150_000);
        assert!(range.from_millis + buckets.step_ms * 24 > range.to_millis);
        let tiny = Buckets::over(
            TimeRange {
                from_millis: 5,
                to_millis: 5,
            },
            0,
        );
        assert_eq!((tiny.count, tiny.step_ms), (1, 1));
    }

    #[test]
    fn a_series_is_rated_and_its_points_sorted() {
        let got = series(SeriesRow {
            metric: "LCP".into(),
            p75: 3_000.0,
            count: 3,
            starts: vec![200, 100],
            p75s: vec![3_500.0, 1_000.0],
            counts: vec![2, 1],
        });
        assert_eq!(got.rating, "needs-improvement");
        assert_eq!(
            got.points
                .iter()
                .map(|p| (p.start_ms, p.count))
                .collect::<Vec<_>>(),
            [(100, 1), (200, 2)]
        );
    }
}
