//! A checked rule and the set of them a directory holds. The set is where
//! rules part by how they are evaluated: [`RuleSet::window_rules`] for the
//! streaming windows, [`RuleSet::query_rules`] for the ones that read
//! ClickHouse. No other code chooses an evaluator by a rule's kind.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::kind::{QueryKind, RuleKind, WindowKind};
use super::levels::{Comparison, Level};
use crate::alert::duration::Millis;
use crate::alert::template::{format_value, Template};
use crate::model::alert::{LabelSet, Severity};

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
    /// What it watches, and so how it is evaluated.
    pub kind: RuleKind,
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
        self.kind.unit()
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

    /// The alert's annotations: the series' details under their own names
    /// (so a receiver reads them without a template), then the rule's
    /// annotations expanded (a rule's own key wins).
    pub fn expand_annotations(
        &self,
        labels: &LabelSet,
        details: &LabelSet,
        value: f64,
    ) -> LabelSet {
        let mut annotations = details.clone();
        annotations.extend(
            self.annotations
                .iter()
                .map(|(key, template)| (key.clone(), template.expand(labels, details, value))),
        );
        annotations
    }
}

/// Every rule of a directory, in file order.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub files: Vec<PathBuf>,
    pub rules: Vec<Rule>,
}

impl RuleSet {
    pub fn get(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// The rules counted from the ingest path (`alert::window`).
    pub fn window_rules(&self) -> impl Iterator<Item = (&Rule, &WindowKind)> {
        self.rules.iter().filter_map(|rule| match &rule.kind {
            RuleKind::Window(kind) => Some((rule, kind)),
            RuleKind::Query(_) => None,
        })
    }

    /// The rules that read ClickHouse (`alert::service::observe`).
    pub fn query_rules(&self) -> impl Iterator<Item = (&Rule, &QueryKind)> {
        self.rules.iter().filter_map(|rule| match &rule.kind {
            RuleKind::Query(kind) => Some((rule, kind)),
            RuleKind::Window(_) => None,
        })
    }
}
