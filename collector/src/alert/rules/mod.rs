//! Alert rule files: `alert-rules/*.yaml`, Prometheus-like groups of rules,
//! each with a typed `condition`. Loading reads every file of a directory
//! and reports each problem as `file:line: what is wrong`; a loaded
//! [`Rule`] is checked and ready for the engine.

mod condition;
mod describe;
mod load;
mod metric;
mod validate;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use condition::{
    Baseline, Condition, Consecutive, Direction, ErrorSource, Filter, MetricKind, NewError,
    PipelineKind, Regression, Sql, Threshold,
};
pub use load::{load_dir, load_str, RuleError, RuleSet};
pub use metric::Metric;

use crate::alert::duration::Millis;
use crate::alert::template::{format_value, Template};
use crate::model::alert::{LabelSet, Severity};

/// How an observed value is compared with a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Above,
    Below,
    /// Counts: `>=` (two consecutive failures, one new error).
    AtLeast,
}

impl Comparison {
    pub fn holds(self, value: f64, level: f64) -> bool {
        match self {
            Comparison::Above => value > level,
            Comparison::Below => value < level,
            Comparison::AtLeast => value >= level,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Above => ">",
            Comparison::Below => "<",
            Comparison::AtLeast => ">=",
        }
    }
}

/// One severity of a rule and the level that triggers it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    pub severity: Severity,
    pub threshold: f64,
}

/// A checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    /// The `groups[].name` it was written under.
    pub group: String,
    pub file: PathBuf,
    pub line: usize,
    /// How long a breach must last before the alert fires.
    pub for_: Millis,
    /// How long a firing alert stays firing after its last breach.
    pub keep_firing_for: Millis,
    /// Extra labels (never `alertname`; `severity` is set per level).
    pub labels: LabelSet,
    pub annotations: BTreeMap<String, Template>,
    pub condition: Condition,
    /// The metric of a threshold or regression rule.
    pub metric: Option<Metric>,
    pub comparison: Comparison,
    /// Critical first; at least one.
    pub levels: Vec<Level>,
}

impl Rule {
    /// The severities `value` breaches, most severe first.
    pub fn breached(&self, value: f64) -> Vec<Severity> {
        self.levels
            .iter()
            .filter(|level| value.is_finite() && self.comparison.holds(value, level.threshold))
            .map(|level| level.severity)
            .collect()
    }

    pub fn level(&self, severity: Severity) -> Option<Level> {
        self.levels.iter().copied().find(|l| l.severity == severity)
    }

    /// The unit values and levels are given in (`%`, `ms`, ...).
    pub fn unit(&self) -> &str {
        match (&self.condition, &self.metric) {
            (Condition::Regression(_), _) => "%",
            (Condition::Sql(sql), _) => sql.unit.as_deref().unwrap_or(""),
            (_, Some(metric)) => metric.unit(),
            _ => "",
        }
    }

    /// `> 1 %`: what `Alert::threshold` carries.
    pub fn threshold_words(&self, severity: Severity) -> String {
        self.level(severity).map_or_else(String::new, |level| {
            let unit = self.unit();
            let space = if unit.is_empty() || unit == "/s" {
                ""
            } else {
                " "
            };
            format!(
                "{} {}{space}{unit}",
                self.comparison.symbol(),
                format_value(level.threshold)
            )
        })
    }

    /// The labels of one alert instance: the rule's, the series', then
    /// `alertname` and `severity`, which nothing overrides.
    pub fn alert_labels(&self, series: &LabelSet, severity: Severity) -> LabelSet {
        let mut labels = self.labels.clone();
        labels.extend(series.iter().map(|(k, v)| (k.clone(), v.clone())));
        labels.insert("alertname".into(), self.name.clone());
        labels.insert("severity".into(), severity.as_str().into());
        labels
    }

    pub fn expand_annotations(&self, labels: &LabelSet, value: f64) -> LabelSet {
        self.annotations
            .iter()
            .map(|(key, template)| (key.clone(), template.expand(labels, value)))
            .collect()
    }

    /// The rule in one line of words, as `jamscope rules check` prints it.
    pub fn describe(&self) -> String {
        describe::describe(self)
    }
}
