//! One log record as pages show it, wherever it appears (the logs page,
//! under a span on a trace's page): its severity as a coloured badge, its
//! body as text, its attributes one click away.

use maud::{html, Markup};

use crate::api::LogView;
use crate::model::Severity;
use crate::ui::format;

/// The CSS class of a record's severity: by its number's range, else by
/// its text (`WARNING` from a source that sends no number).
pub fn severity_class(log: &LogView) -> &'static str {
    let severity = Severity::of_number(log.stored.severity_number)
        .or_else(|| log.stored.severity_text.parse().ok());
    match severity {
        Some(Severity::Trace) => "sev-trace",
        Some(Severity::Debug) => "sev-debug",
        Some(Severity::Info) => "sev-info",
        Some(Severity::Warn) => "sev-warn",
        Some(Severity::Error) => "sev-error",
        Some(Severity::Fatal) => "sev-fatal",
        None => "sev-none",
    }
}

/// The severity badge.
pub fn severity_badge(log: &LogView) -> Markup {
    html! {
        span class={ "badge " (severity_class(log)) } {
            @if log.severity.is_empty() { "–" } @else { (log.severity) }
        }
    }
}

/// The body, and its attributes folded under it when it has any.
pub fn body_and_attributes(log: &LogView) -> Markup {
    let stored = &log.stored;
    html! {
        span class="log-body" { (stored.body) }
        @if !stored.attributes.is_empty() || !stored.event_name.is_empty() {
            details class="log-attributes" {
                summary { (format::count(stored.attributes.len() as u64, "attribute", "attributes")) }
                dl class="meta" {
                    @if !stored.event_name.is_empty() {
                        dt { "Event" } dd { (stored.event_name) }
                    }
                    @for (key, value) in &stored.attributes {
                        dt class="mono" { (key) } dd { (value) }
                    }
                }
            }
        }
    }
}
