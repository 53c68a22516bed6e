//! A `metric` condition (an OTLP metric from the `otel_metrics_*` tables)
//! checked into a [`MetricQuery`], and its words: the aggregation given its
//! quantile exactly when it needs one, the window above zero, the layer
//! parsed, every name non-empty.

use super::kind::MetricQuery;
use super::written::{Aggregation as WrittenAggregation, MetricCondition, MetricSelector};
use crate::model::series::{Aggregation, GroupBy, Selector};
use crate::model::Layer;

pub(super) fn check(written: &MetricCondition) -> Result<MetricQuery, String> {
    let aggregation = match (written.aggregation, written.quantile) {
        (WrittenAggregation::Quantile, Some(q)) if q > 0.0 && q <= 1.0 => Aggregation::Quantile(q),
        (WrittenAggregation::Quantile, Some(q)) => {
            return Err(format!("`quantile` {q} is not above 0 and at most 1"))
        }
        (WrittenAggregation::Quantile, None) => {
            return Err("`aggregation: quantile` needs `quantile` (e.g. 0.95)".into())
        }
        (_, Some(_)) => return Err("`quantile` is only for `aggregation: quantile`".into()),
        (WrittenAggregation::Rate, None) => Aggregation::Rate,
        (WrittenAggregation::Last, None) => Aggregation::Last,
        (WrittenAggregation::Avg, None) => Aggregation::Avg,
    };
    if written.window.0 <= 0 {
        return Err("`window` must be longer than 0s".into());
    }
    let divided_by = written.divided_by.as_ref().map(selector).transpose()?;
    let group_by = written
        .group_by
        .iter()
        .map(|name| match name.trim().is_empty() {
            true => Err("`group_by` names must not be empty".to_owned()),
            false => Ok(GroupBy::parse(name.trim())),
        })
        .collect::<Result<_, _>>()?;
    let unit = match (&written.unit, &divided_by) {
        (Some(unit), _) => unit.clone(),
        (None, Some(_)) => "%".to_owned(),
        (None, None) => String::new(),
    };
    let own = MetricSelector {
        metric_name: written.metric_name.clone(),
        attributes: written.attributes.clone(),
        service: written.service.clone(),
        layer: written.layer.clone(),
    };
    Ok(MetricQuery {
        selector: selector(&own)?,
        aggregation,
        window: written.window,
        divided_by,
        group_by,
        unit,
    })
}

fn selector(written: &MetricSelector) -> Result<Selector, String> {
    if written.metric_name.trim().is_empty() {
        return Err("`metric_name` must not be empty".into());
    }
    let layer = written
        .layer
        .as_deref()
        .map(|name| name.parse::<Layer>())
        .transpose()?;
    Ok(Selector {
        metric_name: written.metric_name.clone(),
        attributes: written.attributes.clone(),
        service: written.service.clone(),
        layer,
    })
}

/// `the last value of db.client.connection.count (db.client.connection.state
/// = used, layer cms) as a percentage of db.client.connection.max (layer
/// cms) over 5m`.
pub(super) fn words(query: &MetricQuery) -> String {
    let what = match query.aggregation {
        Aggregation::Rate => "the rate per second of".to_owned(),
        Aggregation::Last => "the last value of".to_owned(),
        Aggregation::Avg => "the average of".to_owned(),
        Aggregation::Quantile(q) => format!(
            "the {} quantile of",
            crate::alert::template::format_value(q)
        ),
    };
    let ratio = query.divided_by.as_ref().map_or(String::new(), |d| {
        format!(" as a percentage of {}", selector_words(d))
    });
    format!(
        "{what} {}{ratio} over {}",
        selector_words(&query.selector),
        query.window
    )
}

fn selector_words(selector: &Selector) -> String {
    let mut narrowing: Vec<String> = selector
        .attributes
        .iter()
        .map(|(key, value)| format!("{key} = {value}"))
        .collect();
    if let Some(service) = &selector.service {
        narrowing.push(format!("service {service}"));
    }
    if let Some(layer) = selector.layer {
        narrowing.push(format!("layer {layer}"));
    }
    match narrowing.is_empty() {
        true => selector.metric_name.clone(),
        false => format!("{} ({})", selector.metric_name, narrowing.join(", ")),
    }
}
