//! Slack: a `Notification` as an incoming-webhook message: `text` (the
//! fallback shown in notifications) and Block Kit `blocks` (a header, then
//! per alert a section with its summary and fields), within Slack's
//! documented limits (header 150 characters, section text 3000, 10 fields
//! of 2000, 50 blocks).

use bytes::Bytes;
use serde_json::{json, Value};

use crate::model::alert::{Alert, Notification};

use super::http::HttpClient;
use super::{format_value, human_utc, title, trace_link, NotifyError};

const HEADER_CHARS: usize = 150;
const SECTION_CHARS: usize = 3000;
const FIELD_CHARS: usize = 2000;
/// Alerts shown as sections: a header, these, and a context line stay well
/// under Slack's 50 blocks.
const MAX_ALERT_SECTIONS: usize = 20;

/// The incoming-webhook JSON.
pub fn message(notification: &Notification) -> Value {
    let title = title(notification);
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(&title, HEADER_CHARS), "emoji": true},
    })];
    for alert in notification.alerts.iter().take(MAX_ALERT_SECTIONS) {
        blocks.push(section(notification, alert));
    }
    let hidden = notification.alerts.len().saturating_sub(MAX_ALERT_SECTIONS);
    if hidden > 0 {
        blocks.push(json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": format!("…and {hidden} more alerts")}],
        }));
    }
    json!({"text": title, "blocks": blocks})
}

fn section(notification: &Notification, alert: &Alert) -> Value {
    let mut text = format!("*{}* is {}", escape(alert.name()), alert.status.as_str());
    if let Some(summary) = alert.annotations.get("summary") {
        text.push_str(&format!(": {}", escape(summary)));
    }
    if let Some(description) = alert.annotations.get("description") {
        text.push_str(&format!("\n{}", escape(description)));
    }
    let mut fields = vec![
        field(
            "Severity",
            alert.labels.get("severity").map_or("none", String::as_str),
        ),
        field("Value", &format_value(alert.value)),
        field("Threshold", &alert.threshold),
        field("Started", &human_utc(alert.starts_at_millis)),
    ];
    if let Some(ends) = alert.ends_at_millis {
        fields.push(field("Ended", &human_utc(ends)));
    }
    if let Some(link) = trace_link(notification, alert) {
        // A link, so not escaped: the id is hex and the base configured.
        fields.push(
            json!({"type": "mrkdwn", "text": format!("*Example trace*\n<{link}|open trace>")}),
        );
    }
    json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(&text, SECTION_CHARS)},
        "fields": fields,
    })
}

fn field(name: &str, value: &str) -> Value {
    json!({"type": "mrkdwn", "text": truncate(&format!("*{name}*\n{}", escape(value)), FIELD_CHARS)})
}

/// Slack reads `&`, `<` and `>` as markup (`<!channel>` would ping
/// everyone), so label and annotation text is escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

pub struct SlackReceiver {
    client: HttpClient,
    /// The incoming-webhook URL: a secret, never logged.
    url: String,
}

impl SlackReceiver {
    pub(crate) fn new(client: HttpClient, url: String) -> Self {
        Self { client, url }
    }

    pub async fn send(&self, notification: &Notification) -> Result<(), NotifyError> {
        let body = serde_json::to_vec(&message(notification))
            .map_err(|e| NotifyError::Build(e.to_string()))?;
        self.client
            .post_json(&self.url, &[], Bytes::from(body))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{alert, notification, TRACE_ID};
    use super::*;
    use crate::model::alert::AlertStatus;

    #[test]
    fn the_message_has_text_a_header_and_fields() {
        let n = notification(AlertStatus::Firing);
        let m = message(&n);
        assert_eq!(m["text"], "[FIRING:1] GatewayErrorRate critical");
        let blocks = m["blocks"].as_array().expect("blocks");
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(blocks[0]["text"]["type"], "plain_text");
        assert_eq!(
            blocks[0]["text"]["text"],
            "[FIRING:1] GatewayErrorRate critical"
        );
        let section = &blocks[1];
        assert_eq!(section["type"], "section");
        assert_eq!(section["text"]["type"], "mrkdwn");
        let text = section["text"]["text"].as_str().expect("text");
        assert!(
            text.starts_with("*GatewayErrorRate* is firing: Gateway error rate above 1 %"),
            "{text}"
        );
        assert!(text.contains("&lt;b&gt;rose&lt;/b&gt;"), "{text}");
        let fields: Vec<&str> = section["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| {
                assert_eq!(f["type"], "mrkdwn");
                f["text"].as_str().expect("text")
            })
            .collect();
        assert_eq!(fields[0], "*Severity*\ncritical");
        assert_eq!(fields[1], "*Value*\n0.034");
        assert_eq!(fields[2], "*Threshold*\n&gt; 0.01");
        assert_eq!(fields[3], "*Started*\n2026-11-23 10:00:00 UTC");
        assert_eq!(
            fields[4],
            format!("*Example trace*\n<https://jamscope.example/api/traces/{TRACE_ID}|open trace>")
        );
        assert!(fields.len() <= 10);
    }

    #[test]
    fn long_groups_stay_within_slack_limits() {
        let mut n = notification(AlertStatus::Resolved);
        n.alerts = (0..30).map(|_| alert(AlertStatus::Resolved)).collect();
        n.alerts[0]
            .annotations
            .insert("summary".into(), "x".repeat(5000));
        let m = message(&n);
        let blocks = m["blocks"].as_array().expect("blocks");
        assert_eq!(blocks.len(), 1 + MAX_ALERT_SECTIONS + 1);
        assert_eq!(blocks.last().expect("context")["type"], "context");
        let first = blocks[1]["text"]["text"].as_str().expect("text");
        assert_eq!(first.chars().count(), SECTION_CHARS);
        assert!(blocks[1]["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .any(|f| f["text"] == "*Ended*\n2026-11-23 10:10:00 UTC"));
    }
}
