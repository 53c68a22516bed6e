//! A `sql` rule: its query's rows, run read-only, become observations.

use serde_json::{Map, Value};

use crate::alert::engine::Observation;
use crate::alert::rules::Rule;
use crate::model::alert::LabelSet;
use crate::store::queries::{Queries, QueryError};

/// Column names of a `sql` rule's rows that are not labels.
const VALUE_COLUMN: &str = "value";
const TRACE_COLUMNS: [&str; 2] = ["example_trace_id", "trace_id"];

pub(super) async fn observe(
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
        details: LabelSet::new(),
        example_trace_id,
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
