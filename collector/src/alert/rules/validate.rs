//! The checks serde cannot make: levels present and in the right order for
//! their direction, a metric's argument and filter, known template labels,
//! positive windows. Each returns the message `load.rs` prefixes with
//! `file:line: rule NAME:`.

use std::collections::BTreeMap;
use std::path::Path;

use super::condition::{Condition, Direction, Filter, MetricKind};
use super::load::RawRule;
use super::metric::Metric;
use super::{Comparison, Level, Rule};
use crate::alert::duration::Millis;
use crate::alert::template::{is_label_name, Template};
use crate::model::alert::Severity;

/// Labels a `new_error` and `consecutive` series carry.
const NEW_ERROR_LABELS: &[&str] = &["fingerprint", "message", "error_type", "service", "page"];
const PIPELINE_LABELS: &[&str] = &["pipeline", "kind"];

pub(super) fn rule(raw: RawRule, group: &str, file: &Path, line: usize) -> Result<Rule, String> {
    if !is_label_name(&raw.alert) {
        return Err(
            "`alert` must be a name of letters, digits and _ (like GatewayErrorRate)".into(),
        );
    }
    for key in raw.labels.keys() {
        if !is_label_name(key) {
            return Err(format!("label name '{key}' is not valid"));
        }
    }
    if raw.labels.contains_key("alertname") {
        return Err("`alertname` is set from `alert`; remove it from labels".into());
    }
    let label_severity = match raw.labels.get("severity").map(String::as_str) {
        None => None,
        Some("warning") => Some(Severity::Warning),
        Some("critical") => Some(Severity::Critical),
        Some(other) => {
            return Err(format!(
                "labels.severity '{other}' is not warning or critical"
            ))
        }
    };
    let (metric, comparison, levels, series_labels) = match &raw.condition {
        Condition::Threshold(t) => {
            let metric = metric_of(
                t.metric,
                &t.attribute,
                &t.vital,
                t.window,
                &t.filter,
                &t.group_by,
            )?;
            let comparison = comparison_of(t.direction);
            let levels = levels(t.warning, t.critical, None, label_severity, comparison)?;
            if metric.is_percent() {
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
            let labels = Some(t.group_by.clone());
            (Some(metric), comparison, levels, labels)
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
            // Label columns are whatever the query returns.
            (None, comparison, levels, None)
        }
        Condition::NewError(_) => {
            let severity = label_severity
                .ok_or("a new_error rule needs labels.severity (warning or critical)")?;
            let levels = vec![Level {
                severity,
                threshold: 1.0,
            }];
            let labels = Some(NEW_ERROR_LABELS.iter().map(|s| s.to_string()).collect());
            (None, Comparison::AtLeast, levels, labels)
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
            let labels = Some(PIPELINE_LABELS.iter().map(|s| s.to_string()).collect());
            (None, Comparison::AtLeast, levels, labels)
        }
        Condition::Regression(r) => {
            let metric = metric_of(
                r.metric,
                &r.attribute,
                &r.vital,
                r.window,
                &r.filter,
                &r.group_by,
            )?;
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
            (
                Some(metric),
                Comparison::AtLeast,
                levels,
                Some(r.group_by.clone()),
            )
        }
    };
    let mut annotations = BTreeMap::new();
    for (key, text) in &raw.annotations {
        let template = Template::parse(text).map_err(|e| format!("annotation {key}: {e}"))?;
        if let Some(series) = &series_labels {
            for label in template.labels() {
                let known = label == "alertname"
                    || label == "severity"
                    || raw.labels.contains_key(label)
                    || series.iter().any(|s| s == label);
                if !known {
                    return Err(format!(
                        "annotation {key}: no label '{label}' (known: alertname, severity, {}{})",
                        raw.labels.keys().cloned().collect::<Vec<_>>().join(", "),
                        series.join(", ")
                    ));
                }
            }
        }
        annotations.insert(key.clone(), template);
    }
    Ok(Rule {
        name: raw.alert,
        group: group.to_owned(),
        file: file.to_owned(),
        line,
        for_: raw.for_,
        keep_firing_for: raw.keep_firing_for,
        labels: raw
            .labels
            .into_iter()
            .filter(|(k, _)| k != "severity")
            .collect(),
        annotations,
        condition: raw.condition,
        metric,
        comparison,
        levels,
    })
}

fn comparison_of(direction: Direction) -> Comparison {
    match direction {
        Direction::Above => Comparison::Above,
        Direction::Below => Comparison::Below,
    }
}

fn metric_of(
    kind: MetricKind,
    attribute: &Option<String>,
    vital: &Option<String>,
    window: Millis,
    filter: &Filter,
    group_by: &[String],
) -> Result<Metric, String> {
    let metric = Metric::resolve(kind, attribute.as_deref(), vital.as_deref())?;
    if window.0 <= 0 {
        return Err("`window` must be longer than 0s".into());
    }
    metric.check_filter(filter)?;
    for label in group_by {
        if !metric.group_labels().contains(&label.as_str()) {
            return Err(format!(
                "cannot group {} by '{label}' (possible: {})",
                metric.words(),
                metric.group_labels().join(", ")
            ));
        }
    }
    Ok(metric)
}

/// The levels of a rule, critical first: `warning`/`critical`, or one
/// `single` level (`count`, `percent`) whose severity is `labels.severity`.
fn levels(
    warning: Option<f64>,
    critical: Option<f64>,
    single: Option<(&str, f64)>,
    label_severity: Option<Severity>,
    comparison: Comparison,
) -> Result<Vec<Level>, String> {
    if let Some((field, threshold)) = single {
        if warning.is_some() || critical.is_some() {
            return Err(format!(
                "give either `{field}` or warning/critical levels, not both"
            ));
        }
        let severity = label_severity
            .ok_or_else(|| format!("`{field}` needs labels.severity (warning or critical)"))?;
        check_finite(threshold)?;
        return Ok(vec![Level {
            severity,
            threshold,
        }]);
    }
    if warning.is_none() && critical.is_none() {
        return Err("missing levels: give `warning`, `critical` or both".into());
    }
    if label_severity.is_some() {
        return Err("labels.severity comes from the warning/critical levels; remove it".into());
    }
    let mut levels = Vec::new();
    if let Some(threshold) = critical {
        check_finite(threshold)?;
        levels.push(Level {
            severity: Severity::Critical,
            threshold,
        });
    }
    if let Some(threshold) = warning {
        check_finite(threshold)?;
        levels.push(Level {
            severity: Severity::Warning,
            threshold,
        });
    }
    if let (Some(w), Some(c)) = (warning, critical) {
        let (ordered, words) = match comparison {
            Comparison::Below => (w > c, "above"),
            Comparison::Above | Comparison::AtLeast => (w < c, "below"),
        };
        if !ordered {
            return Err(format!(
                "warning {w} must be {words} critical {c} for a rule that breaches when the value is {}",
                match comparison {
                    Comparison::Below => "below its level",
                    _ => "above its level",
                }
            ));
        }
    }
    Ok(levels)
}

fn check_finite(threshold: f64) -> Result<(), String> {
    if threshold.is_finite() {
        Ok(())
    } else {
        Err(format!("level {threshold} is not a number"))
    }
}
