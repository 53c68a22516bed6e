//! A rule file exactly as written: groups of rules, each with a typed
//! `condition`. Unknown fields are refused so a typo is a load error, not
//! a silently ignored setting. Nothing here is checked beyond its shape:
//! `validate.rs` turns a [`WrittenRule`] into a checked [`super::Rule`].

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::alert::duration::Millis;
use crate::model::alert::LabelSet;
use crate::model::metric::Baseline;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct File {
    pub groups: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Group {
    pub name: String,
    pub rules: Vec<WrittenRule>,
}

/// A rule as written, before the checks in `validate.rs`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WrittenRule {
    pub alert: String,
    #[serde(rename = "for", default)]
    pub for_: Millis,
    /// How long a firing alert stays firing once its condition no longer
    /// holds (Prometheus' `keep_firing_for`): a value hovering around a
    /// level, or falling through the warning band, does not notify twice.
    #[serde(default)]
    pub keep_firing_for: Millis,
    #[serde(default)]
    pub labels: LabelSet,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub condition: Condition,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Condition {
    /// A metric over a window compared with warning/critical levels.
    Threshold(Threshold),
    /// A ClickHouse query returning `value` and label columns.
    Sql(Sql),
    /// An error fingerprint seen for the first time.
    NewError(NewError),
    /// N consecutive failed builds or deploys.
    Consecutive(Consecutive),
    /// A metric at least X % worse than its own baseline.
    Regression(Regression),
    /// An OTLP metric (the `otel_metrics_*` tables) aggregated over a
    /// window, compared with warning/critical levels.
    Metric(MetricCondition),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Threshold {
    pub metric: MetricKind,
    /// The span attribute, for `metric: attribute`.
    pub attribute: Option<String>,
    /// LCP, INP, CLS, FCP or TTFB, for `metric: vital_p75`.
    pub vital: Option<String>,
    pub window: Millis,
    #[serde(default)]
    pub filter: Filter,
    pub direction: Direction,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    /// Series labels: one alert per value of these (e.g. `service`).
    #[serde(default)]
    pub group_by: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Sql {
    pub query: String,
    /// The unit of `value` and the levels, for the words (`ms`, `%`).
    #[serde(default)]
    pub unit: Option<String>,
    pub direction: Direction,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewError {
    pub source: ErrorSource,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Consecutive {
    /// With `labels.severity`: one level. Otherwise `warning`/`critical`.
    pub count: Option<u32>,
    pub warning: Option<u32>,
    pub critical: Option<u32>,
    pub kind: PipelineKind,
    pub pipeline: Option<String>,
}

/// A metric worse than its baseline; or, with `source: groups`, an error
/// group seen again in a new release after it was resolved (then without
/// metric, window, baseline or levels).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Regression {
    pub source: Option<ErrorSource>,
    pub metric: Option<MetricKind>,
    pub attribute: Option<String>,
    pub vital: Option<String>,
    pub window: Option<Millis>,
    #[serde(default)]
    pub filter: Filter,
    pub baseline: Option<Baseline>,
    /// With `labels.severity`: one level. Otherwise `warning`/`critical`.
    pub percent: Option<f64>,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    #[serde(default)]
    pub group_by: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MetricCondition {
    pub metric_name: String,
    /// Point attributes and the values they must have.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    pub service: Option<String>,
    pub layer: Option<String>,
    pub aggregation: Aggregation,
    /// For `aggregation: quantile`: which one, 0 to 1.
    pub quantile: Option<f64>,
    pub window: Millis,
    /// Another metric, aggregated the same way: the value is this one as a
    /// percentage of that one (connections used of the pool's maximum).
    pub divided_by: Option<MetricSelector>,
    /// One alert per value of these: `service`, `layer`, attribute keys.
    #[serde(default)]
    pub group_by: Vec<String>,
    /// The unit of the value and the levels, for the words; `%` when
    /// `divided_by` is given.
    pub unit: Option<String>,
    pub direction: Direction,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
}

/// Which points of which OTLP metric (`divided_by`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MetricSelector {
    pub metric_name: String,
    /// Point attributes and the values they must have.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    pub service: Option<String>,
    pub layer: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Aggregation {
    Rate,
    Last,
    Avg,
    Quantile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum MetricKind {
    ErrorRate,
    P50Duration,
    P95Duration,
    P99Duration,
    RequestRate,
    CacheHitRatio,
    Attribute,
    VitalP75,
}

/// Which spans (or page views) a metric is computed over.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Filter {
    pub layer: Option<String>,
    pub service: Option<String>,
    pub route: Option<String>,
    pub page: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Direction {
    Above,
    Below,
}

/// Where a `new_error` rule looks for new error fingerprints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorSource {
    Rum,
    Spans,
    /// The error groups of every layer (`error_groups`): browser errors
    /// and backend exceptions.
    Groups,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum PipelineKind {
    Build,
    Deploy,
}

/// The events a `consecutive` rule counts.
impl From<PipelineKind> for crate::model::build::BuildKind {
    fn from(kind: PipelineKind) -> Self {
        match kind {
            PipelineKind::Build => Self::Build,
            PipelineKind::Deploy => Self::Deploy,
        }
    }
}
