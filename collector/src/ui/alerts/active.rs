//! What is pending or firing, one panel per alert: its value, labels and
//! example trace, and a "silence 1h" button carrying matchers for exactly
//! its labels.

use maud::{html, Markup};

use crate::api::ActiveAlert;
use crate::model::alert::LabelSet;
use crate::ui::format;
use crate::ui::layout::empty;
use crate::ui::link::trace_page;

/// An alert's rule name (`alertname`), empty when it has none.
pub fn alert_name(alert: &ActiveAlert) -> &str {
    alert.labels.get("alertname").map_or("", String::as_str)
}

/// An alert's `summary` annotation, empty when it has none.
pub fn alert_summary(alert: &ActiveAlert) -> &str {
    alert.annotations.get("summary").map_or("", String::as_str)
}

/// Matchers selecting exactly this alert's labels (a value that starts
/// with `~` would read as a regex: it is matched as an escaped one).
pub fn matchers_for(labels: &LabelSet) -> Vec<String> {
    labels
        .iter()
        .map(|(label, value)| {
            if value.starts_with('~') {
                format!("{label}=~{}", regex::escape(value))
            } else {
                format!("{label}={value}")
            }
        })
        .collect()
}

/// The active alerts, or that nothing is pending or firing.
pub fn render(alerts: &[ActiveAlert]) -> Markup {
    if alerts.is_empty() {
        return empty("Nothing is pending or firing.");
    }
    html! {
        div class="stack-list" id="active" {
            @for alert in alerts {
                article class="panel" data-fingerprint=(alert.fingerprint) {
                    h3 {
                        span class={ "badge " (alert.state) } { (alert.state) }
                        " " (alert_name(alert))
                        @if alert.silenced {
                            " " span class="badge silenced" { "silenced" }
                        }
                    }
                    p { (alert_summary(alert)) }
                    div class="facts" {
                        span { "value " (format::number(alert.value)) }
                        span { "threshold " (alert.threshold) }
                        span { "since " (format::time(alert.starts_at_millis)) }
                        @if let Some(id) = example_trace(alert) {
                            a class="trace-link" href=(trace_page(id)) { "example trace" }
                        }
                    }
                    p {
                        @for (label, value) in &alert.labels {
                            @if label != "alertname" {
                                span class="chip plain" { (label) "=" (value) }
                            }
                        }
                    }
                    @if !alert.silenced {
                        button type="button" data-action="silence"
                            data-matchers=(silence_matchers(alert)) { "Silence 1h" }
                    }
                }
            }
        }
    }
}

/// The alert's example trace, when it has one.
fn example_trace(alert: &ActiveAlert) -> Option<&str> {
    alert
        .example_trace_id
        .as_deref()
        .filter(|id| !id.is_empty())
}

/// What the "silence 1h" button posts: [`matchers_for`] as a JSON array.
fn silence_matchers(alert: &ActiveAlert) -> String {
    serde_json::to_string(&matchers_for(&alert.labels)).unwrap_or_else(|_| "[]".to_owned())
}
