//! Slack: a `Notification` as an incoming-webhook message: `text` (the
//! fallback shown in notifications) and Block Kit `blocks` (a header, then
//! per alert a section with its summary and fields), within Slack's
//! documented limits (header 150 characters, section text 3000, 10 fields
//! of 2000, 50 blocks). Its table `[alert.slack]`.

use std::fmt;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::model::alert::{Alert, Notification};

use super::config::{check_http_url, hide};
use super::http::HttpClient;
use super::receiver::{Deliver, KeyProblem, Receiver, ReceiverConfig, ReceiverKind, Shared};
use super::render::{format_value, human_utc, severity_of, title, trace_link};
use super::NotifyError;

/// `[alert.slack]`. Unset `webhook_url`: no Slack.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlackConfig {
    /// A Slack incoming-webhook URL (itself a secret).
    #[serde(deserialize_with = "crate::config_values::lenient_string")]
    pub webhook_url: Option<String>,
}

impl fmt::Debug for SlackConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackConfig")
            .field("webhook_url", &self.redacted().webhook_url)
            .finish()
    }
}

impl SlackConfig {
    /// A copy safe to print: the URL, a secret as a whole, replaced.
    pub fn redacted(&self) -> Self {
        Self {
            webhook_url: hide(&self.webhook_url),
        }
    }
}

impl ReceiverConfig for SlackConfig {
    fn kind(&self) -> ReceiverKind {
        ReceiverKind::Slack
    }

    fn is_set(&self) -> bool {
        self.webhook_url.is_some()
    }

    fn validate(&self) -> Result<(), KeyProblem> {
        let Some(url) = &self.webhook_url else {
            return Ok(());
        };
        // The URL itself is the secret: never echo it.
        check_http_url(url).map_err(|_| {
            (
                "alert.slack.webhook_url",
                "must be an http:// or https:// URL".to_owned(),
            )
        })
    }

    fn build(&self, shared: &Shared) -> Result<Box<dyn Deliver>, NotifyError> {
        Ok(Box::new(SlackReceiver {
            client: shared.http.clone(),
            url: self.webhook_url.clone().unwrap_or_default(),
        }))
    }
}

const HEADER_CHARS: usize = 150;
const SECTION_CHARS: usize = 3000;
const FIELD_CHARS: usize = 2000;
/// Alerts shown as sections: a header, these, and a context line stay well
/// under Slack's 50 blocks.
const MAX_ALERT_SECTIONS: usize = 20;

/// The incoming-webhook JSON.
fn blocks(notification: &Notification) -> Value {
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
        field("Severity", severity_of(alert)),
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

impl Receiver for SlackReceiver {
    /// The incoming-webhook JSON, as sent.
    type Message = Bytes;

    fn message(&self, notification: &Notification) -> Result<Bytes, NotifyError> {
        serde_json::to_vec(&blocks(notification))
            .map(Bytes::from)
            .map_err(|e| NotifyError::Build(e.to_string()))
    }

    async fn send(&self, body: &Bytes) -> Result<(), NotifyError> {
        self.client.post_json(&self.url, &[], body.clone()).await
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{alert, notification, shared, TRACE_ID};
    use super::*;
    use crate::model::alert::AlertStatus;

    /// The message the receiver sends for `n`, parsed back.
    fn message(n: &Notification) -> Value {
        let receiver = SlackReceiver {
            client: shared().http,
            url: String::new(),
        };
        serde_json::from_slice(&receiver.message(n).expect("json")).expect("parse")
    }

    #[test]
    fn the_url_is_checked_and_hidden() {
        let config = SlackConfig {
            webhook_url: Some("hooks.slack.com/services/T0/B0/XYZ".into()),
        };
        let (key, problem) = config.validate().expect_err("no scheme");
        assert_eq!(key, "alert.slack.webhook_url");
        assert!(!problem.contains("XYZ") && !format!("{config:?}").contains("XYZ"));
    }

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
