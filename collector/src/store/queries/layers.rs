//! Per-layer KPIs over a window, with the targets operators expect
//! (CDN cache hit ratio > 95 %, CDN origin latency p95 < 200 ms, gateway
//! error rate < 0.1 %, CMS query p95 < 100 ms, CMS pool utilisation < 80 %).
//! Percentiles are computed in ClickHouse. Which span attribute carries the
//! CDN cache status, and which of its values mean a hit, are configurable.
//!
//! CMS pool utilisation comes from the semantic-convention connection
//! metrics when CMS services export them (`db.client.connection.count`
//! with `db.client.connection.state` = `used`, over
//! `db.client.connection.max`: the newest of each series in the window,
//! summed over the layer's series); from the spans' pool attribute
//! otherwise.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use super::{fetch_json, Queries, QueryError, TimeRange};
use crate::model::series::{by_group, Aggregation, Selector, Series, Window};
use crate::model::Layer;

/// The semantic conventions' connection pool metrics and the attribute
/// telling used connections from idle ones.
const POOL_CONNECTIONS: &str = "db.client.connection.count";
const POOL_MAX: &str = "db.client.connection.max";
const POOL_STATE: &str = "db.client.connection.state";

/// One KPI: its value over the window (`None`: no data), its target and
/// whether the target is met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    pub layer: &'static str,
    pub name: &'static str,
    pub value: Option<f64>,
    pub unit: &'static str,
    /// `<` or `>`: the value must stay below or above the target.
    pub target: String,
    pub met: Option<bool>,
    /// Spans (or metric points) the value is computed from.
    pub samples: u64,
    /// What it is computed from: `spans` or `metrics`.
    pub source: &'static str,
}

#[derive(Deserialize)]
struct Row {
    cdn_status_spans: u64,
    cdn_hits: u64,
    origin_spans: u64,
    origin_p95_ms: Option<f64>,
    gateway_spans: u64,
    gateway_errors: u64,
    cms_db_spans: u64,
    cms_db_p95_ms: Option<f64>,
    pool_samples: u64,
    pool_utilization: Option<f64>,
}

impl Queries {
    pub async fn layer_kpis(&self, range: TimeRange) -> Result<Vec<Kpi>, QueryError> {
        let settings = &self.kpi;
        let hits: Vec<String> = settings
            .cache_hit_values
            .iter()
            .map(|v| v.to_ascii_lowercase())
            .collect();
        let rows: Vec<Row> = fetch_json(
            self.query(
                "WITH SpanAttributes[{cache_attr:String}] AS cache_status, \
                      lower(cache_status) IN {hits:Array(String)} AS hit, \
                      Layer = 'gateway' AND SpanKind IN ('Server', 'Unspecified') AS gateway_request, \
                      toFloat64OrNull(SpanAttributes[{pool_attr:String}]) AS pool \
                 SELECT countIf(Layer = 'cdn' AND cache_status != '') AS cdn_status_spans, \
                        countIf(Layer = 'cdn' AND cache_status != '' AND hit) AS cdn_hits, \
                        countIf(Layer = 'cdn' AND cache_status != '' AND NOT hit) AS origin_spans, \
                        quantileIf(0.95)(Duration / 1e6, Layer = 'cdn' AND cache_status != '' AND NOT hit) AS origin_p95_ms, \
                        countIf(gateway_request) AS gateway_spans, \
                        countIf(gateway_request AND (StatusCode = 'Error' \
                            OR toUInt16OrZero(SpanAttributes['http.response.status_code']) >= 500)) AS gateway_errors, \
                        countIf(Layer = 'cms' AND SpanAttributes['db.system'] != '') AS cms_db_spans, \
                        quantileIf(0.95)(Duration / 1e6, Layer = 'cms' AND SpanAttributes['db.system'] != '') AS cms_db_p95_ms, \
                        countIf(Layer = 'cms' AND pool IS NOT NULL) AS pool_samples, \
                        avgIf(if(pool > 1, pool / 100, pool), Layer = 'cms' AND pool IS NOT NULL) AS pool_utilization \
                 FROM otel_traces \
                 WHERE Timestamp >= fromUnixTimestamp64Milli({from:Int64}) \
                   AND Timestamp <= fromUnixTimestamp64Milli({to:Int64}) \
                 SETTINGS output_format_json_named_tuples_as_objects = 1",
            )
            .param("cache_attr", settings.cache_status_attribute.clone())
            .param("hits", hits)
            .param("pool_attr", settings.pool_utilization_attribute.clone())
            .param("from", range.from_millis)
            .param("to", range.to_millis),
            "layer KPIs",
        )
        .await?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(Vec::new());
        };
        let mut kpis = kpis(&row, range);
        if let Some(from_metrics) = self.pool_from_metrics(range).await? {
            if let Some(pool) = kpis.iter_mut().find(|k| k.name == "pool_utilization") {
                *pool = from_metrics;
            }
        }
        Ok(kpis)
    }

    /// CMS pool utilisation from the connection metrics, when CMS services
    /// export both: `None` otherwise (the spans' value stands).
    async fn pool_from_metrics(&self, range: TimeRange) -> Result<Option<Kpi>, QueryError> {
        let secs = |millis: i64| u64::try_from(millis / 1000).unwrap_or(0);
        let window = Window {
            from_secs: secs(range.from_millis),
            to_secs: secs(range.to_millis),
        };
        let cms = |name: &str, attributes: BTreeMap<String, String>| Selector {
            metric_name: name.to_owned(),
            attributes,
            service: None,
            layer: Some(Layer::Cms),
        };
        let used = cms(
            POOL_CONNECTIONS,
            BTreeMap::from([(POOL_STATE.to_owned(), "used".to_owned())]),
        );
        let used = self
            .metric_series(&used, false, window.from_secs, window.to_secs)
            .await?;
        if used.is_empty() {
            return Ok(None);
        }
        let max = self
            .metric_series(
                &cms(POOL_MAX, BTreeMap::new()),
                false,
                window.from_secs,
                window.to_secs,
            )
            .await?;
        let total = |series: &[Series]| {
            by_group(series, Aggregation::Last, window, Some(&[]))
                .first()
                .map(|(_, value)| *value)
        };
        let (Some(used_now), Some(max_now)) = (total(&used), total(&max)) else {
            return Ok(None);
        };
        let points = [&used, &max]
            .iter()
            .flat_map(|series| series.iter())
            .map(|s| s.points.len() as u64)
            .sum();
        let value = (max_now > 0.0).then(|| used_now / max_now * 100.0);
        Ok(Some(Kpi {
            source: "metrics",
            ..below_or_above("cms", "pool_utilization", value, "%", '<', 80.0, points)
        }))
    }
}

fn kpis(row: &Row, range: TimeRange) -> Vec<Kpi> {
    let seconds = ((range.to_millis - range.from_millis).max(1)) as f64 / 1000.0;
    let ratio = |part: u64, whole: u64| (whole > 0).then(|| part as f64 / whole as f64 * 100.0);
    let nonzero = |value: Option<f64>, samples: u64| value.filter(|_| samples > 0);
    vec![
        below_or_above(
            "cdn",
            "cache_hit_ratio",
            ratio(row.cdn_hits, row.cdn_status_spans),
            "%",
            '>',
            95.0,
            row.cdn_status_spans,
        ),
        below_or_above(
            "cdn",
            "origin_latency_p95",
            nonzero(row.origin_p95_ms, row.origin_spans),
            "ms",
            '<',
            200.0,
            row.origin_spans,
        ),
        Kpi {
            layer: "gateway",
            name: "request_rate",
            value: Some(row.gateway_spans as f64 / seconds),
            unit: "req/s",
            target: "tracked".into(),
            met: None,
            samples: row.gateway_spans,
            source: "spans",
        },
        below_or_above(
            "gateway",
            "error_rate",
            ratio(row.gateway_errors, row.gateway_spans),
            "%",
            '<',
            0.1,
            row.gateway_spans,
        ),
        below_or_above(
            "cms",
            "query_duration_p95",
            nonzero(row.cms_db_p95_ms, row.cms_db_spans),
            "ms",
            '<',
            100.0,
            row.cms_db_spans,
        ),
        below_or_above(
            "cms",
            "pool_utilization",
            nonzero(row.pool_utilization.map(|u| u * 100.0), row.pool_samples),
            "%",
            '<',
            80.0,
            row.pool_samples,
        ),
    ]
}

fn below_or_above(
    layer: &'static str,
    name: &'static str,
    value: Option<f64>,
    unit: &'static str,
    direction: char,
    target: f64,
    samples: u64,
) -> Kpi {
    Kpi {
        layer,
        name,
        value,
        unit,
        target: format!("{direction} {target}"),
        source: "spans",
        met: value.map(|v| {
            if direction == '<' {
                v < target
            } else {
                v > target
            }
        }),
        samples,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_judged_in_their_direction_and_no_data_is_no_verdict() {
        let row = Row {
            cdn_status_spans: 100,
            cdn_hits: 90,
            origin_spans: 10,
            origin_p95_ms: Some(150.0),
            gateway_spans: 600,
            gateway_errors: 3,
            cms_db_spans: 0,
            cms_db_p95_ms: Some(0.0),
            pool_samples: 0,
            pool_utilization: None,
        };
        let kpis = kpis(
            &row,
            TimeRange {
                from_millis: 0,
                to_millis: 60_000,
            },
        );
        let by = |name: &str| kpis.iter().find(|k| k.name == name).unwrap().clone();
        assert_eq!(by("cache_hit_ratio").value, Some(90.0));
        assert_eq!(by("cache_hit_ratio").met, Some(false));
        assert_eq!(by("origin_latency_p95").met, Some(true));
        assert_eq!(by("request_rate").value, Some(10.0));
        assert_eq!(by("error_rate").value, Some(0.5));
        assert_eq!(by("error_rate").met, Some(false));
        assert_eq!(by("query_duration_p95").value, None);
        assert_eq!(by("query_duration_p95").met, None);
        assert_eq!(by("pool_utilization").met, None);
    }
}
