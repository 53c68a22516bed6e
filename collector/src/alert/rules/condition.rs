//! What a rule watches, exactly as rule files spell it (`condition:` with a
//! `type`). Unknown fields are refused so a typo is a load error, not a
//! silently ignored setting. Checks that need more than one field live in
//! `validate.rs`.

use serde::{Deserialize, Serialize};

use crate::alert::duration::Millis;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Condition {
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sql {
    pub query: String,
    /// The unit of `value` and the levels, for the words (`ms`, `%`).
    #[serde(default)]
    pub unit: Option<String>,
    pub direction: Direction,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewError {
    pub source: ErrorSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consecutive {
    /// With `labels.severity`: one level. Otherwise `warning`/`critical`.
    pub count: Option<u32>,
    pub warning: Option<u32>,
    pub critical: Option<u32>,
    pub kind: PipelineKind,
    pub pipeline: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regression {
    pub metric: MetricKind,
    pub attribute: Option<String>,
    pub vital: Option<String>,
    pub window: Millis,
    #[serde(default)]
    pub filter: Filter,
    pub baseline: Baseline,
    /// With `labels.severity`: one level. Otherwise `warning`/`critical`.
    pub percent: Option<f64>,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    #[serde(default)]
    pub group_by: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub layer: Option<String>,
    pub service: Option<String>,
    pub route: Option<String>,
    pub page: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Above,
    Below,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorSource {
    Rum,
    Spans,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PipelineKind {
    Build,
    Deploy,
}

/// The events a `consecutive` rule counts (`Queries::consecutive_failures`).
impl From<PipelineKind> for crate::model::build::BuildKind {
    fn from(kind: PipelineKind) -> Self {
        match kind {
            PipelineKind::Build => Self::Build,
            PipelineKind::Deploy => Self::Deploy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Baseline {
    SameHourYesterday,
    BeforeLastDeploy,
}
