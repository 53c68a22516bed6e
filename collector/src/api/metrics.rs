//! `GET /api/metrics`: the OTLP metrics stored (name, type, unit) or, with
//! `name=`, one metric's value over time, per group: the same aggregation
//! (`model::series`) a `metric` alert rule evaluates, step after step.
//!
//! Parameters: `window` or `from`/`to`; `service`, `layer`; with `name`:
//! `attr.<key>=<value>` (point attributes, any number), `aggregation`
//! (`rate`, `last`, `avg`, `quantile`; by default `rate` for counters,
//! `last` for other numbers, `quantile` of histograms), `quantile` (0.95
//! by default), `group_by` (`service`, `layer`, attribute keys, comma
//! separated; by default each series apart), `step` (a duration; the range
//! in 60 steps by default, at most 1,000).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::Json;
use serde_json::{json, Value};

use super::params::Params;
use super::{ApiError, ApiState};
use crate::model::series::{by_group, Aggregation, GroupBy, Selector, Series, Window};
use crate::model::Layer;
use crate::store::queries::TimeRange;

const HOUR: Duration = Duration::from_secs(3600);
const ATTRIBUTE_PREFIX: &str = "attr.";
const DEFAULT_STEPS: i64 = 60;
const MAX_STEPS: i64 = 1_000;
const DEFAULT_QUANTILE: f64 = 0.95;

const KNOWN: &[&str] = &[
    "window",
    "from",
    "to",
    "name",
    "service",
    "layer",
    "aggregation",
    "quantile",
    "group_by",
    "step",
];

/// `GET /api/metrics?window=1h` (what there is) or
/// `GET /api/metrics?name=db.client.connection.count&attr.db.client.connection.state=used`
/// (a metric over time).
pub async fn metrics(
    State(state): State<ApiState>,
    Query(mut query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let attributes: BTreeMap<String, String> = query
        .keys()
        .filter(|k| k.starts_with(ATTRIBUTE_PREFIX))
        .cloned()
        .collect::<Vec<_>>()
        .into_iter()
        .filter_map(|k| {
            let value = query.remove(&k)?;
            Some((k[ATTRIBUTE_PREFIX.len()..].to_owned(), value))
        })
        .collect();
    let params = Params::new(query, KNOWN)?;
    let range = params.range(HOUR)?;
    let service = params.text("service")?;
    let Some(name) = params.text("name")? else {
        if !attributes.is_empty() {
            return Err(ApiError::BadParameter(
                "attr.* filters need a metric: give 'name'".into(),
            ));
        }
        let (from, to) = seconds(range);
        let metrics = state
            .queries
            .metric_summaries(from, to, service.as_deref())
            .await?;
        return Ok(Json(
            json!({ "from_ms": range.from_millis, "to_ms": range.to_millis, "metrics": metrics }),
        ));
    };
    let layer = params
        .text("layer")?
        .map(|text| text.parse::<Layer>())
        .transpose()
        .map_err(ApiError::BadParameter)?;
    let selector = Selector {
        metric_name: name,
        attributes,
        service,
        layer,
    };
    let asked = aggregation(&params)?;
    let group_by: Option<Vec<GroupBy>> = params.text("group_by")?.map(|text| {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(GroupBy::parse)
            .collect()
    });
    let step = step(&params, range)?;
    let (series, aggregation) = read(&state, &selector, asked, range, step).await?;
    let mut groups: BTreeMap<BTreeMap<String, String>, Vec<Value>> = BTreeMap::new();
    let (from, to) = seconds(range);
    let mut end = from + step;
    while end <= to.max(from + step) {
        let window = Window {
            from_secs: end - step,
            to_secs: end,
        };
        for (labels, value) in by_group(&series, aggregation, window, group_by.as_deref()) {
            let at = i64::try_from(end).unwrap_or(i64::MAX).saturating_mul(1000);
            groups.entry(labels).or_default().push(json!([at, value]));
        }
        end += step;
    }
    let series: Vec<Value> = groups
        .into_iter()
        .map(|(labels, points)| json!({ "labels": labels, "points": points }))
        .collect();
    Ok(Json(json!({
        "from_ms": range.from_millis,
        "to_ms": range.to_millis,
        "name": selector.metric_name,
        "aggregation": aggregation.name(),
        "quantile": match aggregation { Aggregation::Quantile(q) => Some(q), _ => None },
        "step_ms": step * 1000,
        "series": series,
    })))
}

/// The aggregation asked for, if any.
fn aggregation(params: &Params) -> Result<Option<Aggregation>, ApiError> {
    let quantile = match params.text("quantile")? {
        None => None,
        Some(text) => match text.parse::<f64>() {
            Ok(q) if q > 0.0 && q <= 1.0 => Some(q),
            _ => {
                return Err(ApiError::BadParameter(format!(
                    "parameter 'quantile' must be above 0 and at most 1, got '{}'",
                    text.chars().take(40).collect::<String>()
                )))
            }
        },
    };
    let named = params.text("aggregation")?;
    Ok(match (named.as_deref(), quantile) {
        (None, None) => None,
        (None | Some("quantile"), q) => Some(Aggregation::Quantile(q.unwrap_or(DEFAULT_QUANTILE))),
        (Some(_), Some(_)) => {
            return Err(ApiError::BadParameter(
                "parameter 'quantile' is only for aggregation=quantile".into(),
            ))
        }
        (Some("rate"), None) => Some(Aggregation::Rate),
        (Some("last"), None) => Some(Aggregation::Last),
        (Some("avg"), None) => Some(Aggregation::Avg),
        (Some(other), None) => {
            return Err(ApiError::BadParameter(format!(
                "parameter 'aggregation' must be rate, last, avg or quantile, got '{}'",
                other.chars().take(40).collect::<String>()
            )))
        }
    })
}

/// The step in whole seconds: given, or the range in [`DEFAULT_STEPS`].
fn step(params: &Params, range: TimeRange) -> Result<u64, ApiError> {
    let span_secs = ((range.to_millis - range.from_millis) / 1000).max(1);
    let step = match params.text("step")? {
        Some(text) => {
            let step = humantime::parse_duration(&text).map_err(|_| {
                ApiError::BadParameter(format!(
                    "parameter 'step' must be a duration such as 30s or 5m, got '{}'",
                    text.chars().take(40).collect::<String>()
                ))
            })?;
            i64::try_from(step.as_secs()).unwrap_or(i64::MAX).max(1)
        }
        None => (span_secs / DEFAULT_STEPS).max(1),
    };
    if span_secs / step > MAX_STEPS {
        return Err(ApiError::BadParameter(format!(
            "parameter 'step' cuts the range into more than {MAX_STEPS} steps"
        )));
    }
    Ok(u64::try_from(step).unwrap_or(1))
}

fn seconds(range: TimeRange) -> (u64, u64) {
    let secs = |millis: i64| u64::try_from(millis / 1000).unwrap_or(0);
    (secs(range.from_millis), secs(range.to_millis))
}

/// The metric's series over the range and one step before it (a
/// cumulative series' first difference), with the aggregation to apply:
/// the one asked, or by what the metric is.
async fn read(
    state: &ApiState,
    selector: &Selector,
    asked: Option<Aggregation>,
    range: TimeRange,
    step: u64,
) -> Result<(Vec<Series>, Aggregation), ApiError> {
    let (from, to) = seconds(range);
    let from = from.saturating_sub(step);
    let read = |histograms| state.queries.metric_series(selector, histograms, from, to);
    if let Some(aggregation) = asked {
        return Ok((read(aggregation.reads_histograms()).await?, aggregation));
    }
    let numbers = read(false).await?;
    if numbers.is_empty() {
        let histograms = read(true).await?;
        return Ok((histograms, Aggregation::Quantile(DEFAULT_QUANTILE)));
    }
    let counters = numbers
        .iter()
        .all(|s| s.kind.monotonic && s.kind.temporality.is_some());
    let aggregation = match counters {
        true => Aggregation::Rate,
        false => Aggregation::Last,
    };
    Ok((numbers, aggregation))
}
