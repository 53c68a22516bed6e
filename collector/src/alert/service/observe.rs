//! The one place a rule's kind meets its evaluator, with exhaustive
//! matches: a kind added to `alert::rules::RuleKind` does not compile
//! until it is evaluated here. Window kinds are counted by the streaming
//! windows while serving; here, for `jamscope rules test`, ClickHouse
//! computes the same metric over the same window. Query kinds read
//! ClickHouse, while serving (through `query_rules.rs`) and in tests alike;
//! `sql_rule.rs` and `metric_rule.rs` hold the kinds that need more than a
//! query.

use crate::alert::engine::Observation;
use crate::alert::rules::{
    ErrorSource, FailedInARow, MetricWindow, QueryKind, Regression, Rule, RuleKind, WindowKind,
};
use crate::model::alert::LabelSet;
use crate::store::queries::{NewError, Queries, QueryError};

use super::{metric_rule, sql_rule};

/// How long a new error stays "new" (its alert firing) after its first
/// sighting, and how far back a fingerprint counts as already seen.
const NEW_ERROR_FOR_MILLIS: i64 = 3_600_000;
const NEW_ERROR_LOOKBACK_MILLIS: i64 = 7 * 24 * 3_600_000;

/// One rule's observations from stored data, whatever its kind.
pub async fn observe_rule(
    queries: &Queries,
    rule: &Rule,
    now_millis: i64,
) -> Result<Vec<Observation>, QueryError> {
    match &rule.kind {
        RuleKind::Window(WindowKind::Threshold(watched)) => {
            metric_now(queries, rule, watched, now_millis).await
        }
        RuleKind::Query(kind) => observe_query(queries, rule, kind, now_millis).await,
    }
}

/// The observations of a rule that reads ClickHouse.
pub async fn observe_query(
    queries: &Queries,
    rule: &Rule,
    kind: &QueryKind,
    now_millis: i64,
) -> Result<Vec<Observation>, QueryError> {
    match kind {
        QueryKind::Sql(sql) => sql_rule::observe(queries, rule, &sql.query).await,
        QueryKind::NewError(source) => new_errors(queries, rule, *source, now_millis).await,
        QueryKind::Consecutive(failed) => failed_in_a_row(queries, rule, failed).await,
        QueryKind::Regression(regression) => {
            regressions(queries, rule, regression, now_millis).await
        }
        QueryKind::Metric(query) => metric_rule::observe(queries, rule, query, now_millis).await,
    }
}

/// An observation of `rule` for one series.
fn observation(rule: &Rule, labels: LabelSet, value: f64) -> Observation {
    Observation {
        rule: rule.name.clone(),
        labels,
        value: Some(value),
        example_trace_id: None,
    }
}

/// A window kind's metric over its window ending now, computed in SQL.
async fn metric_now(
    queries: &Queries,
    rule: &Rule,
    watched: &MetricWindow,
    now_millis: i64,
) -> Result<Vec<Observation>, QueryError> {
    let values = queries
        .metric_over(
            &watched.metric,
            &watched.filter,
            &watched.group_by,
            now_millis - watched.window.0,
            now_millis,
        )
        .await?;
    Ok(values
        .into_iter()
        .map(|(labels, value)| observation(rule, labels, value))
        .collect())
}

async fn new_errors(
    queries: &Queries,
    rule: &Rule,
    source: ErrorSource,
    now_millis: i64,
) -> Result<Vec<Observation>, QueryError> {
    let since = now_millis - NEW_ERROR_FOR_MILLIS;
    let from = now_millis - NEW_ERROR_LOOKBACK_MILLIS;
    let (found, place) = match source {
        ErrorSource::Rum => (queries.new_rum_errors(since, from).await?, "page"),
        ErrorSource::Spans => (queries.new_span_errors(since, from).await?, "service"),
    };
    Ok(found
        .into_iter()
        .map(|error| new_error_observation(rule, place, error))
        .collect())
}

/// One alert per new fingerprint, valued 1 (the rule fires at 1).
fn new_error_observation(rule: &Rule, place: &str, error: NewError) -> Observation {
    let message: String = error.message.chars().take(200).collect();
    let labels = LabelSet::from([
        ("fingerprint".to_owned(), error.fingerprint),
        ("message".to_owned(), message),
        (place.to_owned(), error.place),
    ]);
    Observation {
        example_trace_id: Some(error.example_trace_id).filter(|t| !t.is_empty()),
        ..observation(rule, labels, 1.0)
    }
}

/// Failed builds or deploys in a row, per pipeline.
async fn failed_in_a_row(
    queries: &Queries,
    rule: &Rule,
    failed: &FailedInARow,
) -> Result<Vec<Observation>, QueryError> {
    let streaks = queries
        .consecutive_failures(failed.kind, failed.pipeline.as_deref())
        .await?;
    Ok(streaks
        .into_iter()
        .map(|streak| {
            let labels = LabelSet::from([
                ("pipeline".to_owned(), streak.pipeline),
                ("kind".to_owned(), failed.kind.as_str().to_owned()),
            ]);
            observation(rule, labels, f64::from(streak.failed))
        })
        .collect())
}

/// How much worse than its baseline each series of a metric is, in percent.
async fn regressions(
    queries: &Queries,
    rule: &Rule,
    regression: &Regression,
    now_millis: i64,
) -> Result<Vec<Observation>, QueryError> {
    let watched = &regression.watched;
    let points = queries
        .regression(
            &watched.metric,
            &watched.filter,
            &watched.group_by,
            watched.window.0,
            regression.baseline,
            now_millis,
        )
        .await?;
    Ok(points
        .into_iter()
        .map(|point| observation(rule, point.labels, point.percent_worse))
        .collect())
}
