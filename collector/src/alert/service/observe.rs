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
use crate::store::queries::{GroupEvent, NewError, Queries, QueryError};

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
        QueryKind::RegressedErrors => regressed_groups(queries, rule, now_millis).await,
        QueryKind::Metric(query) => metric_rule::observe(queries, rule, query, now_millis).await,
    }
}

/// An observation of `rule` for one series.
fn observation(rule: &Rule, labels: LabelSet, value: f64) -> Observation {
    Observation {
        rule: rule.name.clone(),
        labels,
        value: Some(value),
        details: LabelSet::new(),
        example_trace_id: None,
    }
}

/// An error's message as an alert tells it: its first 200 characters.
fn short_message(message: &str) -> String {
    message.chars().take(200).collect()
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
    let found = match source {
        ErrorSource::Rum => queries.new_rum_errors(since, from).await?,
        ErrorSource::Spans => queries.new_span_errors(since, from).await?,
        ErrorSource::Groups => {
            let found = queries.new_error_groups(since, from).await?;
            return Ok(found
                .into_iter()
                .map(|group| group_observation(rule, group, true))
                .collect());
        }
    };
    Ok(found
        .into_iter()
        .map(|error| new_error_observation(rule, source, error))
        .collect())
}

/// One alert per new fingerprint, valued 1 (the rule fires at 1). Its
/// identity is the fingerprint (with the service, which spans'
/// fingerprints hash): the message and the page are those of the earliest
/// occurrence, which a late batch can change, so they are details.
fn new_error_observation(rule: &Rule, source: ErrorSource, error: NewError) -> Observation {
    let mut labels = LabelSet::from([("fingerprint".to_owned(), error.fingerprint)]);
    let mut details = LabelSet::from([("message".to_owned(), short_message(&error.message))]);
    match source {
        ErrorSource::Spans => labels.insert("service".to_owned(), error.place),
        ErrorSource::Rum | ErrorSource::Groups => details.insert("page".to_owned(), error.place),
    };
    Observation {
        details,
        example_trace_id: Some(error.example_trace_id).filter(|t| !t.is_empty()),
        ..observation(rule, labels, 1.0)
    }
}

/// Groups that regressed within the last [`NEW_ERROR_FOR_MILLIS`]: each
/// fires once and resolves after that.
async fn regressed_groups(
    queries: &Queries,
    rule: &Rule,
    now_millis: i64,
) -> Result<Vec<Observation>, QueryError> {
    let found = queries
        .regressed_error_groups(now_millis - NEW_ERROR_FOR_MILLIS)
        .await?;
    Ok(found
        .into_iter()
        .map(|group| group_observation(rule, group, false))
        .collect())
}

/// One alert per group, valued 1, linking its sample trace. Its identity
/// (labels) is the group's key, fixed for the group's life: fingerprint,
/// layer, service. What is read from the group's earliest occurrence
/// (type, message, release, and for a new group where it was first seen:
/// a page or an operation) are details: an occurrence arriving late with
/// an earlier timestamp changes them, and must not make a second alert.
fn group_observation(rule: &Rule, group: GroupEvent, with_place: bool) -> Observation {
    let labels = LabelSet::from([
        ("fingerprint".to_owned(), group.fingerprint),
        ("layer".to_owned(), group.layer.clone()),
        ("service".to_owned(), group.service),
    ]);
    let mut details = LabelSet::from([
        ("message".to_owned(), short_message(&group.message)),
        ("error_type".to_owned(), group.error_type),
        ("release".to_owned(), group.release),
    ]);
    if with_place && !group.place.is_empty() {
        let place = match group.layer.as_str() {
            "browser" => "page",
            _ => "operation",
        };
        details.insert(place.to_owned(), group.place);
    }
    Observation {
        details,
        example_trace_id: Some(group.example_trace_id).filter(|t| !t.is_empty()),
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::alert::engine::{AlertEvent, Engine, EngineSettings};
    use crate::alert::rules::{load_str, RuleSet};

    const RULES: &str = r#"
groups:
  - name: errors
    rules:
      - { alert: NewErrorGroup, labels: { severity: warning },
          condition: { type: new_error, source: groups },
          annotations: { summary: "New {{ $details.error_type }} in {{ $labels.service }}: {{ $details.message }} ({{ $details.release }})" } }
      - { alert: ErrorRegressed, labels: { severity: critical },
          condition: { type: regression, source: groups } }
"#;

    fn rules() -> RuleSet {
        RuleSet {
            files: Vec::new(),
            rules: load_str(Path::new("errors.yaml"), RULES).unwrap(),
        }
    }

    /// The group as first seen, and as seen once a late batch brought an
    /// occurrence dated before that one.
    fn group_then_earlier_occurrence() -> [GroupEvent; 2] {
        let first = GroupEvent {
            fingerprint: "f1".into(),
            at_millis: 1_000,
            occurrences: 5,
            layer: "gateway".into(),
            service: "py-checkout".into(),
            error_type: "KeyError".into(),
            message: "order 101 has no price".into(),
            place: "POST /checkout".into(),
            release: "1.0.0".into(),
            example_trace_id: "t1".into(),
        };
        let earlier = GroupEvent {
            at_millis: 500,
            occurrences: 6,
            message: "order 500 has no price".into(),
            place: "POST /checkout/retry".into(),
            release: "0.9.0".into(),
            example_trace_id: "t2".into(),
            ..first.clone()
        };
        [first, earlier]
    }

    #[test]
    fn an_error_groups_alert_is_the_group_whatever_its_first_occurrence_says() {
        let rules = rules();
        let [first, earlier] = group_then_earlier_occurrence();
        for (rule, with_place) in [("NewErrorGroup", true), ("ErrorRegressed", false)] {
            let rule = rules.get(rule).unwrap();
            let before = group_observation(rule, first.clone(), with_place);
            let after = group_observation(rule, earlier.clone(), with_place);
            assert_eq!(before.labels, after.labels, "{}", rule.name);
            assert_eq!(
                before.labels.keys().collect::<Vec<_>>(),
                ["fingerprint", "layer", "service"]
            );
            assert_eq!(after.details["message"], "order 500 has no price");
            assert_eq!(after.details["release"], "0.9.0");
        }
    }

    #[test]
    fn a_late_earlier_occurrence_does_not_alert_again_and_the_alert_tells_the_new_details() {
        let rules = rules();
        let rule = rules.get("NewErrorGroup").unwrap();
        let mut engine = Engine::new(&rules, EngineSettings::default());
        let mut firings = 0;
        let mut summary = String::new();
        for (tick, group) in group_then_earlier_occurrence().into_iter().enumerate() {
            let observed = [group_observation(rule, group, true)];
            let out = engine.tick(tick as i64 * 60_000, &observed, &[]);
            for event in out.events {
                if let AlertEvent::Firing { alert, .. } = event {
                    firings += 1;
                    summary = alert.annotations["summary"].clone();
                }
            }
        }
        assert_eq!(firings, 1);
        assert_eq!(
            summary,
            "New KeyError in py-checkout: order 101 has no price (1.0.0)"
        );
        let tracked: Vec<_> = engine.state().alerts.values().collect();
        assert_eq!(tracked.len(), 1);
        assert_eq!(
            tracked[0].alert.annotations["summary"],
            "New KeyError in py-checkout: order 500 has no price (0.9.0)"
        );
        assert_eq!(
            tracked[0].alert.annotations["operation"],
            "POST /checkout/retry"
        );
    }

    #[test]
    fn a_new_span_error_is_its_fingerprint_and_service_and_a_browser_one_its_fingerprint() {
        let rules = rules();
        let rule = rules.get("NewErrorGroup").unwrap();
        let error = NewError {
            fingerprint: "f2".into(),
            first_seen_millis: 0,
            occurrences: 1,
            message: "upstream failed".into(),
            place: "checkout-api".into(),
            example_trace_id: String::new(),
        };
        let spans = new_error_observation(rule, ErrorSource::Spans, error.clone());
        assert_eq!(
            spans.labels.keys().collect::<Vec<_>>(),
            ["fingerprint", "service"]
        );
        assert_eq!(spans.details["message"], "upstream failed");
        let rum = new_error_observation(rule, ErrorSource::Rum, error);
        assert_eq!(rum.labels.keys().collect::<Vec<_>>(), ["fingerprint"]);
        assert_eq!(rum.details["page"], "checkout-api");
    }
}
