//! Observations of the rules that read ClickHouse rather than the
//! streaming windows: `sql`, `new_error`, `consecutive` and `regression`.
//! Each rule is queried on its own; a rule whose query fails keeps its
//! previous observations, so a slow or failing ClickHouse neither fires
//! nor resolves anything.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::alert::engine::Observation;
use crate::alert::rules::{Condition, ErrorSource, Rule, RuleSet};
use crate::model::alert::LabelSet;
use crate::store::queries::{NewError, Queries, QueryError};

/// How long a new error stays "new" (its alert firing) after its first
/// sighting, and how far back a fingerprint counts as already seen.
pub const NEW_ERROR_FOR_MILLIS: i64 = 3_600_000;
pub const NEW_ERROR_LOOKBACK_MILLIS: i64 = 7 * 24 * 3_600_000;

/// Column names of a `sql` rule's rows that are not labels.
const VALUE_COLUMN: &str = "value";
const TRACE_COLUMNS: [&str; 2] = ["example_trace_id", "trace_id"];

#[derive(Default)]
pub struct QueryRules {
    /// The last good observations, by rule.
    last: BTreeMap<String, Vec<Observation>>,
}

impl QueryRules {
    /// Queries every rule that needs ClickHouse and returns all their
    /// observations (the previous ones for rules whose query failed).
    pub async fn observe(
        &mut self,
        queries: &Queries,
        rules: &RuleSet,
        now_millis: i64,
    ) -> Vec<Observation> {
        self.last
            .retain(|name, _| rules.rules.iter().any(|r| &r.name == name));
        for rule in &rules.rules {
            if matches!(rule.condition, Condition::Threshold(_)) {
                continue;
            }
            match observe_rule(queries, rule, now_millis).await {
                Ok(observations) => {
                    self.last.insert(rule.name.clone(), observations);
                }
                Err(error) => {
                    tracing::warn!(rule = %rule.name, %error, "alert rule query failed; keeping its last result");
                }
            }
        }
        self.last.values().flatten().cloned().collect()
    }
}

/// One rule's observations from stored data. Threshold rules are read
/// from the streaming windows when serving; here (for `jamscope rules
/// test`) their metric is computed by ClickHouse over the same window.
pub async fn observe_rule(
    queries: &Queries,
    rule: &Rule,
    now_millis: i64,
) -> Result<Vec<Observation>, QueryError> {
    match &rule.condition {
        Condition::Threshold(threshold) => {
            let Some(metric) = &rule.metric else {
                return Ok(Vec::new());
            };
            let values = queries
                .metric_over(
                    metric,
                    &threshold.filter,
                    &threshold.group_by,
                    now_millis - threshold.window.0,
                    now_millis,
                )
                .await?;
            Ok(values
                .into_iter()
                .map(|(labels, value)| Observation {
                    rule: rule.name.clone(),
                    labels,
                    value: Some(value),
                    example_trace_id: None,
                })
                .collect())
        }
        Condition::Sql(sql) => sql_rule(queries, rule, &sql.query).await,
        Condition::NewError(new_error) => {
            new_errors(queries, rule, new_error.source, now_millis).await
        }
        Condition::Consecutive(_) | Condition::Regression(_) => {
            super::pipeline_rules::observe(queries, rule, now_millis).await
        }
    }
}

async fn sql_rule(
    queries: &Queries,
    rule: &Rule,
    sql: &str,
) -> Result<Vec<Observation>, QueryError> {
    let rows = queries.rule_rows(sql).await?;
    Ok(rows.into_iter().map(|row| sql_row(rule, row)).collect())
}

/// A row of a `sql` rule: `value` (a number, or a number as text; null
/// means no value), an optional example trace id, and labels from every
/// other column.
fn sql_row(rule: &Rule, row: Map<String, Value>) -> Observation {
    let mut labels = LabelSet::new();
    let mut value = None;
    let mut example_trace_id = None;
    for (column, cell) in row {
        if column == VALUE_COLUMN {
            value = match &cell {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
        } else if TRACE_COLUMNS.contains(&column.as_str()) {
            example_trace_id = cell.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
        } else {
            let text = match cell {
                Value::String(s) => s,
                Value::Null => String::new(),
                other => other.to_string(),
            };
            labels.insert(column, text);
        }
    }
    Observation {
        rule: rule.name.clone(),
        labels,
        value,
        example_trace_id,
    }
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
        rule: rule.name.clone(),
        labels,
        value: Some(1.0),
        example_trace_id: Some(error.example_trace_id).filter(|t| !t.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::rules::load_str;

    #[test]
    fn sql_rows_become_values_labels_and_example_traces() {
        let rules = load_str(
            std::path::Path::new("x.yaml"),
            "groups:\n- name: g\n  rules:\n  - alert: Slow\n    condition:\n      type: sql\n      query: SELECT 1 AS value\n      direction: above\n      warning: 1\n",
        )
        .unwrap();
        let rule = &rules[0];
        let row: Map<String, Value> =
            serde_json::from_str(r#"{"service":"api","value":"12.5","trace_id":"abc","shard":3}"#)
                .unwrap();
        let observation = sql_row(rule, row);
        assert_eq!(observation.value, Some(12.5));
        assert_eq!(observation.example_trace_id.as_deref(), Some("abc"));
        assert_eq!(
            observation.labels,
            LabelSet::from([
                ("service".to_owned(), "api".to_owned()),
                ("shard".to_owned(), "3".to_owned())
            ])
        );
        let null: Map<String, Value> = serde_json::from_str(r#"{"value":null}"#).unwrap();
        assert_eq!(sql_row(rule, null).value, None);
    }
}
