//! The checks serde cannot make, turning a written rule into a checked
//! [`Rule`] of one [`RuleKind`]: levels present and in the right order for
//! their direction, a metric's argument and filter, known template labels,
//! positive windows. Each returns the message `load.rs` prefixes with
//! `file:line: rule NAME:`.

use std::collections::BTreeMap;
use std::path::Path;

use super::kind::{FailedInARow, QueryKind, Regression, RuleKind, SqlQuery, WindowKind};
use super::levels::{levels, Comparison, Level};
use super::metric::{self, WrittenMetric};
use super::otlp_metric;
use super::written::{Condition, Direction, ErrorSource, WrittenRule};
use super::Rule;
use crate::alert::template::{is_label_name, Template};
use crate::model::alert::Severity;

pub(super) fn rule(
    written: WrittenRule,
    group: &str,
    file: &Path,
    line: usize,
) -> Result<Rule, String> {
    if !is_label_name(&written.alert) {
        return Err(
            "`alert` must be a name of letters, digits and _ (like GatewayErrorRate)".into(),
        );
    }
    for key in written.labels.keys() {
        if !is_label_name(key) {
            return Err(format!("label name '{key}' is not valid"));
        }
    }
    if written.labels.contains_key("alertname") {
        return Err("`alertname` is set from `alert`; remove it from labels".into());
    }
    let label_severity = match written.labels.get("severity").map(String::as_str) {
        None => None,
        Some("warning") => Some(Severity::Warning),
        Some("critical") => Some(Severity::Critical),
        Some(other) => {
            return Err(format!(
                "labels.severity '{other}' is not warning or critical"
            ))
        }
    };
    let (kind, comparison, levels) = condition(&written.condition, label_severity)?;
    let annotations = annotations(&written, &kind)?;
    Ok(Rule {
        name: written.alert,
        group: group.to_owned(),
        file: file.to_owned(),
        line,
        for_: written.for_,
        keep_firing_for: written.keep_firing_for,
        labels: written
            .labels
            .into_iter()
            .filter(|(k, _)| k != "severity")
            .collect(),
        annotations,
        kind,
        comparison,
        levels,
    })
}

/// The checked kind of a condition, with how its values compare with its
/// levels and the levels themselves.
fn condition(
    condition: &Condition,
    label_severity: Option<Severity>,
) -> Result<(RuleKind, Comparison, Vec<Level>), String> {
    Ok(match condition {
        Condition::Threshold(t) => {
            let watched = metric::check(WrittenMetric {
                kind: t.metric,
                attribute: t.attribute.as_deref(),
                vital: t.vital.as_deref(),
                window: t.window,
                filter: &t.filter,
                group_by: &t.group_by,
            })?;
            let comparison = comparison_of(t.direction);
            let levels = levels(t.warning, t.critical, None, label_severity, comparison)?;
            if watched.metric.is_percent() {
                for level in &levels {
                    if !(0.0..=100.0).contains(&level.threshold) {
                        return Err(format!(
                            "{} level {} is outside 0–100 (ratios are given in percent)",
                            level.severity.as_str(),
                            level.threshold
                        ));
                    }
                }
            }
            let kind = RuleKind::Window(WindowKind::Threshold(watched));
            (kind, comparison, levels)
        }
        Condition::Sql(s) => {
            let query = s.query.trim_start().to_ascii_lowercase();
            if !(query.starts_with("select") || query.starts_with("with")) {
                return Err(
                    "`query` must be a SELECT (or WITH … SELECT) returning a `value` column".into(),
                );
            }
            let comparison = comparison_of(s.direction);
            let levels = levels(s.warning, s.critical, None, label_severity, comparison)?;
            let kind = QueryKind::Sql(SqlQuery {
                query: s.query.clone(),
                unit: s.unit.clone().unwrap_or_default(),
            });
            (RuleKind::Query(kind), comparison, levels)
        }
        Condition::NewError(n) => {
            let severity = label_severity
                .ok_or("a new_error rule needs labels.severity (warning or critical)")?;
            let levels = vec![Level {
                severity,
                threshold: 1.0,
            }];
            let kind = QueryKind::NewError(n.source);
            (RuleKind::Query(kind), Comparison::AtLeast, levels)
        }
        Condition::Consecutive(c) => {
            let as_f64 = |n: Option<u32>| n.map(f64::from);
            let single = c.count.map(|n| ("count", f64::from(n)));
            let levels = levels(
                as_f64(c.warning),
                as_f64(c.critical),
                single,
                label_severity,
                Comparison::AtLeast,
            )?;
            if levels.iter().any(|l| l.threshold < 1.0) {
                return Err("consecutive counts start at 1".into());
            }
            let kind = QueryKind::Consecutive(FailedInARow {
                kind: c.kind.into(),
                pipeline: c.pipeline.clone(),
            });
            (RuleKind::Query(kind), Comparison::AtLeast, levels)
        }
        Condition::Regression(r) if r.source.is_some() => regressed_errors(r, label_severity)?,
        Condition::Metric(m) => {
            let query = otlp_metric::check(m)?;
            let comparison = comparison_of(m.direction);
            let levels = levels(m.warning, m.critical, None, label_severity, comparison)?;
            (
                RuleKind::Query(QueryKind::Metric(query)),
                comparison,
                levels,
            )
        }
        Condition::Regression(r) => {
            let (Some(kind), Some(window), Some(baseline)) = (r.metric, r.window, r.baseline)
            else {
                return Err(
                    "a regression needs `metric`, `window` and `baseline` (or `source: groups` for error groups)"
                        .into(),
                );
            };
            let watched = metric::check(WrittenMetric {
                kind,
                attribute: r.attribute.as_deref(),
                vital: r.vital.as_deref(),
                window,
                filter: &r.filter,
                group_by: &r.group_by,
            })?;
            let single = r.percent.map(|p| ("percent", p));
            let levels = levels(
                r.warning,
                r.critical,
                single,
                label_severity,
                Comparison::AtLeast,
            )?;
            if levels.iter().any(|l| l.threshold <= 0.0) {
                return Err("a regression percent must be above 0".into());
            }
            let kind = QueryKind::Regression(Regression { watched, baseline });
            (RuleKind::Query(kind), Comparison::AtLeast, levels)
        }
    })
}

/// `type: regression, source: groups`: a regressed group fires at once, at
/// the severity its labels name; nothing else is taken.
fn regressed_errors(
    r: &super::written::Regression,
    label_severity: Option<Severity>,
) -> Result<(RuleKind, Comparison, Vec<Level>), String> {
    if r.source != Some(ErrorSource::Groups) {
        return Err("a regression's source can only be `groups` (error groups)".into());
    }
    let metric_keys = r.metric.is_some()
        || r.window.is_some()
        || r.baseline.is_some()
        || r.attribute.is_some()
        || r.vital.is_some()
        || !r.group_by.is_empty();
    let level_keys = r.percent.is_some() || r.warning.is_some() || r.critical.is_some();
    if metric_keys || level_keys {
        return Err(
            "`source: groups` takes no metric, window, baseline, group_by or levels: a regressed group fires at once"
                .into(),
        );
    }
    let severity = label_severity
        .ok_or("a regression of error groups needs labels.severity (warning or critical)")?;
    let levels = vec![Level {
        severity,
        threshold: 1.0,
    }];
    Ok((
        RuleKind::Query(QueryKind::RegressedErrors),
        Comparison::AtLeast,
        levels,
    ))
}

/// The annotations parsed as templates, naming only labels and details
/// the alert has.
fn annotations(
    written: &WrittenRule,
    kind: &RuleKind,
) -> Result<BTreeMap<String, Template>, String> {
    let series_labels = kind.series_labels();
    let mut annotations = BTreeMap::new();
    for (key, text) in &written.annotations {
        let template = Template::parse(text).map_err(|e| format!("annotation {key}: {e}"))?;
        if let Some(series) = &series_labels {
            for label in template.labels() {
                let known = label == "alertname"
                    || label == "severity"
                    || written.labels.contains_key(label)
                    || series.contains(&label);
                if !known {
                    return Err(format!(
                        "annotation {key}: no label '{label}' (known: alertname, severity, {}{})",
                        written
                            .labels
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", "),
                        series.join(", ")
                    ));
                }
            }
        }
        let details = kind.series_details();
        if let Some(detail) = template.details().find(|d| !details.contains(d)) {
            return Err(format!(
                "annotation {key}: no detail '{detail}' (known: {})",
                if details.is_empty() {
                    "none for this kind".to_owned()
                } else {
                    details.join(", ")
                }
            ));
        }
        annotations.insert(key.clone(), template);
    }
    Ok(annotations)
}

fn comparison_of(direction: Direction) -> Comparison {
    match direction {
        Direction::Above => Comparison::Above,
        Direction::Below => Comparison::Below,
    }
}
