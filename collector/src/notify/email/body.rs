//! The email's words: the subject, a plain-text part and an HTML part
//! (a maud template, every value escaped), built from the same facts so
//! they never disagree. Pure functions.

use std::fmt::Write as _;

use maud::{html, DOCTYPE};

use crate::model::alert::{Alert, AlertStatus, Notification};
use crate::notify::render::{format_value, human_utc, severity_of, title, trace_link};

/// The subject: `[FIRING:1] GatewayErrorRate critical`.
pub fn subject(notification: &Notification) -> String {
    title(notification)
}

/// The plain-text part: per alert its status, value, threshold, start (and
/// end) in UTC, annotations, labels and the example trace's link.
pub fn text_body(notification: &Notification) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", title(notification));
    for alert in &notification.alerts {
        let _ = writeln!(
            out,
            "[{}] {} ({})",
            alert.status.as_str().to_ascii_uppercase(),
            alert.name(),
            severity_of(alert)
        );
        for (label, value) in facts(notification, alert) {
            let _ = writeln!(out, "  {label}: {value}");
        }
        out.push('\n');
    }
    if !notification.external_url.is_empty() {
        let _ = writeln!(out, "Jamscope: {}", notification.external_url);
    }
    out
}

/// The HTML part: the same facts as the text, as a table per alert.
/// Every value is escaped by the template.
pub fn html_body(notification: &Notification) -> String {
    html! {
        (DOCTYPE)
        html {
            body style="font-family:sans-serif" {
                h2 { (title(notification)) }
                @for alert in &notification.alerts {
                    h3 {
                        span style={ "color:" (status_colour(alert.status)) } {
                            "[" (alert.status.as_str().to_ascii_uppercase()) "]"
                        }
                        " " (alert.name()) " (" (severity_of(alert)) ")"
                    }
                    table cellpadding="4" {
                        @for (label, value) in facts(notification, alert) {
                            tr {
                                th align="left" { (label) }
                                td {
                                    @if label == EXAMPLE_TRACE {
                                        a href=(value) { (value) }
                                    } @else {
                                        (value)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    .into_string()
}

fn status_colour(status: AlertStatus) -> &'static str {
    match status {
        AlertStatus::Firing => "#c0392b",
        AlertStatus::Resolved => "#27ae60",
    }
}

/// The fact whose value is a link.
const EXAMPLE_TRACE: &str = "Example trace";

/// (label, value) lines shared by both parts, so they never disagree.
fn facts(notification: &Notification, alert: &Alert) -> Vec<(&'static str, String)> {
    let mut facts = vec![
        ("Status", alert.status.as_str().to_owned()),
        ("Severity", severity_of(alert).to_owned()),
        ("Value", format_value(alert.value)),
        ("Threshold", alert.threshold.clone()),
        ("Started", human_utc(alert.starts_at_millis)),
    ];
    if let Some(ends) = alert.ends_at_millis {
        facts.push(("Ended", human_utc(ends)));
    }
    if let Some(summary) = alert.annotations.get("summary") {
        facts.push(("Summary", summary.clone()));
    }
    if let Some(description) = alert.annotations.get("description") {
        facts.push(("Description", description.clone()));
    }
    let labels: Vec<String> = alert
        .labels
        .iter()
        .filter(|(k, _)| k.as_str() != "alertname" && k.as_str() != "severity")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if !labels.is_empty() {
        facts.push(("Labels", labels.join(", ")));
    }
    if let Some(link) = trace_link(notification, alert) {
        facts.push((EXAMPLE_TRACE, link));
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::fixtures::{notification, TRACE_ID};

    #[test]
    fn firing_email_has_every_fact_in_both_parts() {
        let n = notification(AlertStatus::Firing);
        assert_eq!(subject(&n), "[FIRING:1] GatewayErrorRate critical");
        let link = format!("https://jamscope.example/api/traces/{TRACE_ID}");
        let text = text_body(&n);
        let html = html_body(&n);
        for expected in [
            "GatewayErrorRate",
            "critical",
            "0.034",
            "2026-11-23 10:00:00 UTC",
            "Gateway error rate above 1 %",
            link.as_str(),
        ] {
            assert!(text.contains(expected), "text lacks {expected}: {text}");
            assert!(html.contains(expected), "html lacks {expected}: {html}");
        }
        assert!(text.contains("> 0.01"), "{text}");
        assert!(html.contains("&gt; 0.01"), "{html}");
        // Annotations are escaped in HTML, kept as written in text.
        assert!(text.contains("<b>rose</b>"));
        assert!(html.contains("&lt;b&gt;rose&lt;/b&gt;"));
        assert!(html.contains(&format!("<a href=\"{link}\">")));
        assert!(!text.contains("Ended"));
    }

    #[test]
    fn resolved_email_says_so_and_when() {
        let n = notification(AlertStatus::Resolved);
        assert_eq!(subject(&n), "[RESOLVED] GatewayErrorRate critical");
        let text = text_body(&n);
        assert!(
            text.contains("[RESOLVED] GatewayErrorRate (critical)"),
            "{text}"
        );
        assert!(text.contains("Ended: 2026-11-23 10:10:00 UTC"), "{text}");
    }
}
