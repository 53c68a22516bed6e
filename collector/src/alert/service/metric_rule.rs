//! A `metric` rule: its OTLP metric's series read over the window, each
//! aggregated and combined per group (`model::series`), and, with
//! `divided_by`, each group's value as a percentage of the other metric's
//! in the same group. A group without the other metric, or with it at 0,
//! has no value.

use crate::alert::engine::Observation;
use crate::alert::rules::{MetricQuery, Rule};
use crate::model::alert::LabelSet;
use crate::model::series::{by_group, Selector, Window};
use crate::store::queries::{Queries, QueryError};

pub(super) async fn observe(
    queries: &Queries,
    rule: &Rule,
    query: &MetricQuery,
    now_millis: i64,
) -> Result<Vec<Observation>, QueryError> {
    let to_secs = u64::try_from(now_millis / 1000).unwrap_or(0);
    let window_secs = u64::try_from(query.window.0 / 1000).unwrap_or(0).max(1);
    let window = Window {
        from_secs: to_secs.saturating_sub(window_secs),
        to_secs,
    };
    let values = groups(queries, query, &query.selector, window).await?;
    let values = match &query.divided_by {
        None => values,
        Some(other) => {
            let whole = groups(queries, query, other, window).await?;
            values
                .into_iter()
                .filter_map(|(labels, part)| {
                    let of = whole.iter().find(|(l, _)| *l == labels)?.1;
                    (of != 0.0).then(|| (labels, part / of * 100.0))
                })
                .collect()
        }
    };
    Ok(values
        .into_iter()
        .map(|(labels, value)| Observation {
            rule: rule.name.clone(),
            labels,
            details: LabelSet::new(),
            value: Some(value),
            example_trace_id: None,
        })
        .collect())
}

/// `selector`'s value per group of `query`. A cumulative series' increase
/// needs the point before the window too: one window more is read.
async fn groups(
    queries: &Queries,
    query: &MetricQuery,
    selector: &Selector,
    window: Window,
) -> Result<Vec<(LabelSet, f64)>, QueryError> {
    let lookback = window.to_secs - window.from_secs;
    let series = queries
        .metric_series(
            selector,
            query.aggregation.reads_histograms(),
            window.from_secs.saturating_sub(lookback),
            window.to_secs,
        )
        .await?;
    Ok(by_group(
        &series,
        query.aggregation,
        window,
        Some(&query.group_by),
    ))
}
