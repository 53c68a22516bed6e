//! Web Vitals over a window: the 75th percentile per metric (what the
//! web-vitals thresholds are defined on), grouped by a page dimension.
//! Every metric id counts once, with its latest report (CLS and INP report
//! again as they grow), whether or not ClickHouse has merged them yet.

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

impl Queries {
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
