//! A rule in one line of words, so `jamscope rules check` shows what will
//! page someone: `GatewayErrorRate: critical when the error rate of gateway
//! spans over 5m is above 1 % (warning above 0.5 %), for 0s, per service;
//! labels team=web`.

use super::condition::{Baseline, Condition, ErrorSource, PipelineKind};
use super::metric::filter_words;
use super::{Comparison, Rule};
use crate::alert::template::format_value;

pub(super) fn describe(rule: &Rule) -> String {
    let Some(main) = rule.levels.first() else {
        return format!("{}: no levels", rule.name);
    };
    let others = &rule.levels[1..];
    let unit = |value: f64| {
        let unit = rule.unit();
        match unit {
            "" => format_value(value),
            "/s" => format!("{}/s", format_value(value)),
            _ => format!("{} {unit}", format_value(value)),
        }
    };
    let compare = match rule.comparison {
        Comparison::Above => "above",
        Comparison::Below => "below",
        Comparison::AtLeast => "at least",
    };
    let rest = |words: &str| {
        others
            .iter()
            .map(|l| format!(" ({} {words} {})", l.severity.as_str(), unit(l.threshold)))
            .collect::<String>()
    };
    let mut group_by: &[String] = &[];
    let what = match &rule.condition {
        Condition::Threshold(t) => {
            group_by = &t.group_by;
            let metric = rule.metric.as_ref().map_or(String::new(), |m| {
                format!("{} {}", m.words(), filter_words(m, &t.filter))
            });
            format!(
                "{metric} over {} is {compare} {}{}",
                t.window,
                unit(main.threshold),
                rest(compare)
            )
        }
        Condition::Sql(_) => format!(
            "the value of its SQL query is {compare} {}{}",
            unit(main.threshold),
            rest(compare)
        ),
        Condition::NewError(n) => format!(
            "an error fingerprint from {} is seen for the first time",
            match n.source {
                ErrorSource::Rum => "browsers (RUM)",
                ErrorSource::Spans => "spans",
            }
        ),
        Condition::Consecutive(c) => {
            let kind = match c.kind {
                PipelineKind::Build => "build",
                PipelineKind::Deploy => "deploy",
            };
            let pipeline = c
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
        Condition::Regression(r) => {
            group_by = &r.group_by;
            let metric = rule.metric.as_ref().map_or(String::new(), |m| {
                format!("{} {}", m.words(), filter_words(m, &r.filter))
            });
            let baseline = match r.baseline {
                Baseline::SameHourYesterday => "the same hour yesterday",
                Baseline::BeforeLastDeploy => "before the last deploy",
            };
            format!(
                "{metric} over {} is at least {} worse than {baseline}{}",
                r.window,
                unit(main.threshold),
                rest("at least")
            )
        }
    };
    let mut line = format!(
        "{}: {} when {what}, for {}",
        rule.name,
        main.severity.as_str(),
        rule.for_
    );
    if rule.keep_firing_for.0 > 0 {
        line.push_str(&format!(
            ", kept firing {} after it clears",
            rule.keep_firing_for
        ));
    }
    if !group_by.is_empty() {
        line.push_str(&format!(", per {}", group_by.join(" and ")));
    }
    if !rule.labels.is_empty() {
        let labels: Vec<String> = rule
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        line.push_str("; labels ");
        line.push_str(&labels.join(", "));
    }
    line
}
