//! `consecutive` (failed builds or deploys in a row, per pipeline) and
//! `regression` (a metric at least X % worse than its own baseline) rules:
//! both read stored data, the builds table and the spans or vitals.

use crate::alert::engine::Observation;
use crate::alert::rules::{Condition, Rule};
use crate::model::alert::LabelSet;
use crate::store::queries::{Queries, QueryError};

pub async fn observe(
    queries: &Queries,
    rule: &Rule,
    now_millis: i64,
) -> Result<Vec<Observation>, QueryError> {
    match &rule.condition {
        Condition::Consecutive(consecutive) => {
            let kind = consecutive.kind.into();
            let streaks = queries
                .consecutive_failures(kind, consecutive.pipeline.as_deref())
                .await?;
            Ok(streaks
                .into_iter()
                .map(|streak| Observation {
                    rule: rule.name.clone(),
                    labels: LabelSet::from([
                        ("pipeline".to_owned(), streak.pipeline),
                        ("kind".to_owned(), kind.as_str().to_owned()),
                    ]),
                    value: Some(f64::from(streak.failed)),
                    example_trace_id: None,
                })
                .collect())
        }
        Condition::Regression(regression) => {
            let Some(metric) = &rule.metric else {
                return Ok(Vec::new());
            };
            let points = queries
                .regression(
                    metric,
                    &regression.filter,
                    &regression.group_by,
                    regression.window.0,
                    regression.baseline,
                    now_millis,
                )
                .await?;
            Ok(points
                .into_iter()
                .map(|point| Observation {
                    rule: rule.name.clone(),
                    labels: point.labels,
                    value: Some(point.percent_worse),
                    example_trace_id: None,
                })
                .collect())
        }
        _ => Ok(Vec::new()),
    }
}
