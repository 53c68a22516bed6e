//! What a checked rule watches, one variant per kind, each carrying exactly
//! what evaluating it needs, already resolved: a metric with its argument,
//! a filter with its layer parsed, series labels that fit the metric, a
//! window above zero. Evaluation matches on these and never re-checks.
//!
//! The first split is how a kind is evaluated: [`RuleKind::Window`] kinds
//! are counted from what the ingest path accepts (`alert::window`), within
//! a second of the data arriving; [`RuleKind::Query`] kinds read ClickHouse
//! every `alert.query_interval_ms` (`alert::service::observe`).

use crate::alert::duration::Millis;
use crate::model::build::BuildKind;
use crate::model::metric::{Baseline, Metric, MetricFilter, SeriesLabel};
use crate::model::series::{Aggregation, GroupBy, Selector};

pub use super::written::ErrorSource;

#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    /// Counted from the ingest path into streaming windows.
    Window(WindowKind),
    /// Read from ClickHouse.
    Query(QueryKind),
}

#[derive(Debug, Clone, PartialEq)]
pub enum WindowKind {
    /// A metric over a window compared with warning/critical levels.
    Threshold(MetricWindow),
}

#[derive(Debug, Clone, PartialEq)]
pub enum QueryKind {
    /// A ClickHouse query returning `value` and label columns.
    Sql(SqlQuery),
    /// An error fingerprint seen for the first time.
    NewError(ErrorSource),
    /// N failed builds or deploys in a row.
    Consecutive(FailedInARow),
    /// A metric at least X % worse than its own baseline.
    Regression(Regression),
    /// An error group of any layer resolved, then seen again in a release
    /// it had not been seen in (`type: regression, source: groups`).
    RegressedErrors,
    /// An OTLP metric aggregated over a window.
    Metric(MetricQuery),
}

/// An OTLP metric's points over the last `window`, aggregated per series
/// and combined per group (`model::series`), one alert per group.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricQuery {
    pub selector: Selector,
    pub aggregation: Aggregation,
    /// Above zero.
    pub window: Millis,
    /// The value is the selected metric as a percentage of this one's.
    pub divided_by: Option<Selector>,
    pub group_by: Vec<GroupBy>,
    pub unit: String,
}

/// A metric over the last `window`, one series per value of `group_by`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricWindow {
    pub metric: Metric,
    pub filter: MetricFilter,
    /// Above zero.
    pub window: Millis,
    /// Only labels the metric can be split by, in the rule's order.
    pub group_by: Vec<SeriesLabel>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SqlQuery {
    /// A SELECT (or WITH … SELECT) returning a `value` column.
    pub query: String,
    /// The unit of `value` and the levels, for the words (`ms`, `%`).
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FailedInARow {
    pub kind: BuildKind,
    /// One pipeline, or every pipeline (one series each).
    pub pipeline: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    pub watched: MetricWindow,
    pub baseline: Baseline,
}

impl RuleKind {
    /// The unit values and levels are given in (`%`, `ms`, ...).
    pub fn unit(&self) -> &str {
        match self {
            RuleKind::Window(WindowKind::Threshold(watched)) => watched.metric.unit(),
            RuleKind::Query(QueryKind::Sql(sql)) => &sql.unit,
            RuleKind::Query(QueryKind::Metric(query)) => &query.unit,
            RuleKind::Query(QueryKind::Regression(_)) => "%",
            RuleKind::Query(
                QueryKind::NewError(_) | QueryKind::Consecutive(_) | QueryKind::RegressedErrors,
            ) => "",
        }
    }

    /// The labels each series of this kind carries; `None` when they are
    /// whatever the kind's query returns (`sql`).
    pub fn series_labels(&self) -> Option<Vec<&str>> {
        // An error group's key (`service` only where it is part of it).
        const ERROR_GROUP_LABELS: &[&str] = &["fingerprint", "layer", "service"];
        const PIPELINE_LABELS: &[&str] = &["pipeline", "kind"];
        let group_by = |watched: &MetricWindow| {
            let labels = watched.group_by.iter().map(|label| label.as_str());
            Some(labels.collect())
        };
        match self {
            RuleKind::Window(WindowKind::Threshold(watched)) => group_by(watched),
            RuleKind::Query(QueryKind::Regression(regression)) => group_by(&regression.watched),
            RuleKind::Query(QueryKind::Sql(_)) => None,
            RuleKind::Query(QueryKind::NewError(_) | QueryKind::RegressedErrors) => {
                Some(ERROR_GROUP_LABELS.to_vec())
            }
            RuleKind::Query(QueryKind::Metric(query)) => {
                Some(query.group_by.iter().map(|g| g.label()).collect())
            }
            RuleKind::Query(QueryKind::Consecutive(_)) => Some(PIPELINE_LABELS.to_vec()),
        }
    }

    /// The details each series of this kind carries beside its labels
    /// (`alert::engine::Observation::details`): what an alert says but is
    /// not identified by.
    pub fn series_details(&self) -> &'static [&'static str] {
        const ERROR_DETAILS: &[&str] = &["message", "error_type", "release", "page", "operation"];
        match self {
            RuleKind::Query(QueryKind::NewError(_) | QueryKind::RegressedErrors) => ERROR_DETAILS,
            RuleKind::Window(_)
            | RuleKind::Query(
                QueryKind::Sql(_)
                | QueryKind::Consecutive(_)
                | QueryKind::Regression(_)
                | QueryKind::Metric(_),
            ) => &[],
        }
    }
}
