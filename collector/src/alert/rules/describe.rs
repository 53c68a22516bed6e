//! A rule in one line of words, so `jamscope rules check` shows what will
//! page someone: `GatewayErrorRate: critical when the error rate of gateway
//! spans over 5m is above 1 % (warning above 0.5 %), for 0s, per service;
//! labels team=web`.

use super::kind::{ErrorSource, FailedInARow, MetricWindow, QueryKind, RuleKind, WindowKind};
use super::levels::{Comparison, Level};
use super::metric::{filter_words, words};
use super::otlp_metric;
use super::rule::Rule;
use crate::alert::template::format_value;
use crate::model::metric::Baseline;

impl Rule {
    /// The rule in one line of words, as `jamscope rules check` prints it.
    pub fn describe(&self) -> String {
        let Some(main) = self.levels.first() else {
            return format!("{}: no levels", self.name);
        };
        let mut line = format!(
            "{}: {} when {}, for {}",
            self.name,
            main.severity.as_str(),
            self.condition_words(main, &self.levels[1..]),
            self.for_
        );
        if self.keep_firing_for.0 > 0 {
            line.push_str(&format!(
                ", kept firing {} after it clears",
                self.keep_firing_for
            ));
        }
        let group_by = match &self.kind {
            RuleKind::Window(WindowKind::Threshold(watched)) => &watched.group_by[..],
            RuleKind::Query(QueryKind::Regression(regression)) => &regression.watched.group_by,
            RuleKind::Query(
                QueryKind::Sql(_)
                | QueryKind::NewError(_)
                | QueryKind::Consecutive(_)
                | QueryKind::RegressedErrors
                | QueryKind::Metric(_),
            ) => &[],
        };
        let names: Vec<&str> = match &self.kind {
            RuleKind::Query(QueryKind::Metric(query)) => {
                query.group_by.iter().map(|g| g.label()).collect()
            }
            _ => group_by.iter().map(|label| label.as_str()).collect(),
        };
        if !names.is_empty() {
            line.push_str(&format!(", per {}", names.join(" and ")));
        }
        if !self.labels.is_empty() {
            let labels: Vec<String> = self
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            line.push_str("; labels ");
            line.push_str(&labels.join(", "));
        }
        line
    }

    /// What must hold for the `main` level, the `others` in brackets.
    fn condition_words(&self, main: &Level, others: &[Level]) -> String {
        let compare = match self.comparison {
            Comparison::Above => "above",
            Comparison::Below => "below",
            Comparison::AtLeast => "at least",
        };
        let rest = |words: &str| {
            others
                .iter()
                .map(|l| {
                    format!(
                        " ({} {words} {})",
                        l.severity.as_str(),
                        self.with_unit(l.threshold)
                    )
                })
                .collect::<String>()
        };
        let metric = |watched: &MetricWindow| {
            let metric = &watched.metric;
            format!(
                "{} {}",
                words(metric),
                filter_words(metric, &watched.filter)
            )
        };
        match &self.kind {
            RuleKind::Window(WindowKind::Threshold(watched)) => format!(
                "{} over {} is {compare} {}{}",
                metric(watched),
                watched.window,
                self.with_unit(main.threshold),
                rest(compare)
            ),
            RuleKind::Query(QueryKind::Metric(query)) => format!(
                "{} is {compare} {}{}",
                otlp_metric::words(query),
                self.with_unit(main.threshold),
                rest(compare)
            ),
            RuleKind::Query(QueryKind::Sql(_)) => format!(
                "the value of its SQL query is {compare} {}{}",
                self.with_unit(main.threshold),
                rest(compare)
            ),
            RuleKind::Query(QueryKind::NewError(source)) => format!(
                "an error fingerprint from {} is seen for the first time",
                match source {
                    ErrorSource::Rum => "browsers (RUM)",
                    ErrorSource::Spans => "spans",
                    ErrorSource::Groups => "the error groups of every layer",
                }
            ),
            RuleKind::Query(QueryKind::RegressedErrors) => {
                "a resolved error group is seen again in a release it was not seen in".into()
            }
            RuleKind::Query(QueryKind::Consecutive(failed)) => failed_words(failed, main, others),
            RuleKind::Query(QueryKind::Regression(regression)) => {
                let baseline = match regression.baseline {
                    Baseline::SameHourYesterday => "the same hour yesterday",
                    Baseline::BeforeLastDeploy => "before the last deploy",
                };
                format!(
                    "{} over {} is at least {} worse than {baseline}{}",
                    metric(&regression.watched),
                    regression.watched.window,
                    self.with_unit(main.threshold),
                    rest("at least")
                )
            }
        }
    }

    /// `1 %`, `200 ms`, `10/s`, `0.25`.
    fn with_unit(&self, value: f64) -> String {
        match self.unit() {
            "" => format_value(value),
            "/s" => format!("{}/s", format_value(value)),
            unit => format!("{} {unit}", format_value(value)),
        }
    }
}

/// `2 consecutive builds of pipeline site fail (warning when 1 build ...)`.
fn failed_words(failed: &FailedInARow, main: &Level, others: &[Level]) -> String {
    let kind = failed.kind.as_str();
    let pipeline = failed
        .pipeline
        .as_deref()
        .map_or(String::new(), |p| format!(" of pipeline {p}"));
    let times = |n: f64| {
        if n == 1.0 {
            format!("1 {kind}{pipeline} fails")
        } else {
            format!("{} consecutive {kind}s{pipeline} fail", format_value(n))
        }
    };
    let others: String = others
        .iter()
        .map(|l| format!(" ({} when {})", l.severity.as_str(), times(l.threshold)))
        .collect();
    format!("{}{others}", times(main.threshold))
}
