//! The metrics of `threshold` and `regression` rules computed in SQL: one
//! value per series (the rule's `group_by` labels) over a time range, and
//! a window compared with its baseline.
//!
//! Semantics, as `/api/layers` has them: requests are spans of kind Server
//! or Unspecified; a request failed when its status is Error or its
//! `http.response.status_code` is 500 or above. `error_rate` (errors per
//! request) and `cache_hit_ratio` (hits among spans carrying the `[kpi]`
//! cache status attribute) are percent; `pNN_duration` is the request
//! duration's quantile in ms; `request_rate` is requests per second
//! (ungrouped, an empty range is 0/s rather than no value, so "traffic
//! stopped" can alert); `attribute` is the average of a span attribute
//! read as a number (spans without a number are left out); `vital_p75` is
//! the 75th percentile of one Web Vital, each metric id counted once with
//! its latest report, its `page` the route when the page had one, else
//! the path. Ranges are `[from, to)`. A series without data has no value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{fetch_json, Queries, QueryError};
use crate::model::alert::LabelSet;
use crate::model::metric::{Baseline, Metric, MetricFilter, SeriesLabel};

const DAY_MILLIS: i64 = 24 * 3_600_000;

/// One series of a regression rule: its value now, its baseline, and how
/// much worse now is, in percent (negative: better).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegressionPoint {
    pub labels: LabelSet,
    pub current: f64,
    pub baseline: f64,
    pub percent_worse: f64,
}

#[derive(Deserialize)]
struct Row {
    labels: Vec<String>,
    value: Option<f64>,
}

/// The column a series label reads, from a fixed table: label names never
/// become SQL themselves. `None` for a label the metric has no column for.
fn label_column(metric: &Metric, label: SeriesLabel) -> Option<&'static str> {
    match (metric.is_rum(), label) {
        (false, SeriesLabel::Service) => Some("toString(ServiceName)"),
        (false, SeriesLabel::Route) => Some("SpanAttributes['http.route']"),
        (false, SeriesLabel::Layer) => Some("toString(Layer)"),
        (true, SeriesLabel::Page) => Some("page"),
        (true, SeriesLabel::Service | SeriesLabel::Route | SeriesLabel::Layer)
        | (false, SeriesLabel::Page) => None,
    }
}

impl Queries {
    /// `metric` over the spans (or page views) `filter` selects from
    /// `from_millis` to `to_millis`, one value per value of `group_by`.
    /// A filter or label the metric does not have is refused, not ignored.
    pub async fn metric_over(
        &self,
        metric: &Metric,
        filter: &MetricFilter,
        group_by: &[SeriesLabel],
        from_millis: i64,
        to_millis: i64,
    ) -> Result<Vec<(LabelSet, f64)>, QueryError> {
        filter.fits(metric).map_err(QueryError::Invalid)?;
        let columns = group_by
            .iter()
            .map(|label| {
                label_column(metric, *label).ok_or_else(|| {
                    QueryError::Invalid(format!("the metric has no label '{label}'"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let labels = format!("CAST([{}], 'Array(String)')", columns.join(", "));
        let group = if columns.is_empty() {
            ""
        } else {
            "GROUP BY labels"
        };
        let sql = format!(
            "{} ORDER BY labels",
            metric_sql(metric, filter, &labels, group, columns.is_empty())
        );
        let seconds = ((to_millis - from_millis).max(1)) as f64 / 1_000.0;
        let mut query = self
            .query(&sql)
            .param("from", from_millis)
            .param("to", to_millis)
            .param("seconds", seconds)
            .param("cache_attr", self.kpi.cache_status_attribute.as_str())
            .param(
                "hits",
                self.kpi
                    .cache_hit_values
                    .iter()
                    .map(|v| v.to_ascii_lowercase())
                    .collect::<Vec<_>>(),
            );
        // Bound whether the SQL uses them or not: ClickHouse ignores the
        // extra ones, and refuses a placeholder without a value.
        let (attribute, vital) = match metric {
            Metric::Attribute(name) => (name.as_str(), ""),
            Metric::VitalP75(name) => ("", name.as_str()),
            Metric::ErrorRate
            | Metric::Duration { .. }
            | Metric::RequestRate
            | Metric::CacheHitRatio => ("", ""),
        };
        query = query.param("attribute", attribute).param("vital", vital);
        if let Some(layer) = filter.layer {
            query = query.param("layer", layer.as_str());
        }
        for (name, value) in [
            ("service", &filter.service),
            ("route", &filter.route),
            ("page", &filter.page),
        ] {
            if let Some(value) = value {
                query = query.param(name, value.as_str());
            }
        }
        let rows: Vec<Row> = fetch_json(query, "rule metric").await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let value = row.value.filter(|v| v.is_finite())?;
                let names = group_by.iter().map(|label| label.as_str().to_owned());
                let labels = names.zip(row.labels).collect();
                Some((labels, value))
            })
            .collect())
    }

    /// `metric` over the last `window_millis` before `now_millis`, per
    /// series, against its `baseline`: the same window 24 h earlier, or
    /// the 24 h before the last successful deploy (no deploy: no points).
    /// Series missing on either side, or with a baseline of 0, have no
    /// point.
    pub async fn regression(
        &self,
        metric: &Metric,
        filter: &MetricFilter,
        group_by: &[SeriesLabel],
        window_millis: i64,
        baseline: Baseline,
        now_millis: i64,
    ) -> Result<Vec<RegressionPoint>, QueryError> {
        let (from, to) = match baseline {
            Baseline::SameHourYesterday => (
                now_millis - window_millis - DAY_MILLIS,
                now_millis - DAY_MILLIS,
            ),
            Baseline::BeforeLastDeploy => match self.last_deploy_millis(Some(now_millis)).await? {
                Some(deploy) => (deploy - DAY_MILLIS, deploy),
                None => return Ok(Vec::new()),
            },
        };
        let before = self.metric_over(metric, filter, group_by, from, to).await?;
        let now = self
            .metric_over(
                metric,
                filter,
                group_by,
                now_millis - window_millis,
                now_millis,
            )
            .await?;
        Ok(compare(metric, now, before))
    }
}

const WINDOW: &str = "Timestamp >= fromUnixTimestamp64Milli({from:Int64}) \
                      AND Timestamp < fromUnixTimestamp64Milli({to:Int64})";

fn metric_sql(
    metric: &Metric,
    filter: &MetricFilter,
    labels: &str,
    group: &str,
    ungrouped: bool,
) -> String {
    const REQUEST: &str = "SpanKind IN ('Server', 'Unspecified')";
    let (value, mut conditions, having) = match metric {
        Metric::ErrorRate => (
            "countIf(StatusCode = 'Error' \
             OR toUInt16OrZero(SpanAttributes['http.response.status_code']) >= 500) * 100 / count()"
                .to_owned(),
            vec![REQUEST],
            "count() > 0",
        ),
        Metric::Duration { percentile } => (
            // A u8 from the rule's kind (50, 95, 99), not text.
            format!(
                "quantile({})(Duration / 1e6)",
                f64::from(*percentile) / 100.0
            ),
            vec![REQUEST],
            "count() > 0",
        ),
        Metric::RequestRate => (
            "count() / {seconds:Float64}".to_owned(),
            vec![REQUEST],
            if ungrouped { "1" } else { "count() > 0" },
        ),
        Metric::CacheHitRatio => (
            "countIf(lower(cache_status) IN {hits:Array(String)}) * 100 / count()".to_owned(),
            vec!["cache_status != ''"],
            "count() > 0",
        ),
        Metric::Attribute(_) => (
            "avg(attribute_value)".to_owned(),
            vec!["attribute_value IS NOT NULL"],
            "count() > 0",
        ),
        Metric::VitalP75(_) => return vital_sql(filter, labels, group),
    };
    conditions.push(WINDOW);
    if filter.layer.is_some() {
        conditions.push("Layer = {layer:String}");
    }
    if filter.service.is_some() {
        conditions.push("ServiceName = {service:String}");
    }
    if filter.route.is_some() {
        conditions.push("SpanAttributes['http.route'] = {route:String}");
    }
    format!(
        "WITH SpanAttributes[{{cache_attr:String}}] AS cache_status, \
              toFloat64OrNull(SpanAttributes[{{attribute:String}}]) AS attribute_value \
         SELECT {labels} AS labels, toFloat64({value}) AS value \
         FROM otel_traces WHERE {} {group} HAVING {having}",
        conditions.join(" AND ")
    )
}

fn vital_sql(filter: &MetricFilter, labels: &str, group: &str) -> String {
    let page = match filter.page {
        Some(_) => "WHERE page = {page:String}",
        None => "",
    };
    format!(
        "SELECT {labels} AS labels, toFloat64(quantile(0.75)(value)) AS value \
         FROM ( \
            SELECT argMax(if(Route != '', toString(Route), Path), Timestamp) AS page, \
                   argMax(Value, Timestamp) AS value \
            FROM rum_vitals \
            WHERE Name = {{vital:String}} AND {WINDOW} \
            GROUP BY App, Name, MetricId) \
         {page} {group} HAVING count() > 0"
    )
}

/// Pairs each series with its baseline. Worse is higher for most metrics;
/// for the cache hit ratio and the request rate a fall is worse.
fn compare(
    metric: &Metric,
    current: Vec<(LabelSet, f64)>,
    baseline: Vec<(LabelSet, f64)>,
) -> Vec<RegressionPoint> {
    let baseline: BTreeMap<LabelSet, f64> = baseline.into_iter().collect();
    current
        .into_iter()
        .filter_map(|(labels, current)| {
            let before = *baseline.get(&labels)?;
            if before == 0.0 || !before.is_finite() {
                return None;
            }
            let change = (current - before) / before * 100.0;
            Some(RegressionPoint {
                labels,
                current,
                baseline: before,
                percent_worse: if metric.higher_is_worse() {
                    change
                } else {
                    -change
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
