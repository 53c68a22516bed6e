//! What `jamscope rules test` prints: for a rule and what stored data
//! says now, one line per series with its value and what it would fire.

use std::fmt::Write as _;

use crate::alert::engine::Observation;
use crate::alert::rules::Rule;
use crate::alert::template::format_value;

/// What `rules test` prints for a rule and its observations: one line per
/// series with its value and what it would fire, or that there is no data.
pub fn dry_run(rule: &Rule, observations: &[Observation]) -> String {
    let mut out = String::new();
    if observations.is_empty() {
        let _ = writeln!(out, "{}: no data", rule.name);
        return out;
    }
    let unit = rule.unit();
    for observation in observations {
        let series = if observation.labels.is_empty() {
            String::new()
        } else {
            let pairs: Vec<String> = observation
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect();
            format!("{{{}}}", pairs.join(", "))
        };
        let Some(value) = observation.value else {
            let _ = writeln!(out, "{}{series}: no value", rule.name);
            continue;
        };
        let verdict = match rule.breached(value).first() {
            Some(severity) => format!(
                "would fire {} ({})",
                severity.as_str(),
                rule.threshold_words(*severity)
            ),
            None => "would not fire".to_owned(),
        };
        let space = if unit.is_empty() || unit == "/s" {
            ""
        } else {
            " "
        };
        let _ = write!(
            out,
            "{}{series} = {}{space}{unit}: {verdict}",
            rule.name,
            format_value(value)
        );
        if let Some(trace) = &observation.example_trace_id {
            let _ = write!(out, ", example trace {trace}");
        }
        out.push('\n');
    }
    out
}
