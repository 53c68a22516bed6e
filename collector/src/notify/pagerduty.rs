//! PagerDuty: each alert of a `Notification` as an Events API v2 event,
//! `trigger` while firing and `resolve` once resolved, deduplicated by the
//! alert's fingerprint, so PagerDuty opens one incident per alert and
//! closes it when it resolves. Sending an event twice is harmless: a retry
//! resends the whole group. Its table `[alert.pagerduty]`.

use std::fmt;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::model::alert::{Alert, AlertStatus, Notification};

use super::config::{check_http_url, hide};
use super::http::HttpClient;
use super::receiver::{Deliver, KeyProblem, Receiver, ReceiverConfig, ReceiverKind, Shared};
use super::render::{format_value, rfc3339_millis, trace_link};
use super::NotifyError;

/// PagerDuty's Events API v2 endpoint.
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// `[alert.pagerduty]`. Unset `routing_key`: no PagerDuty.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PagerDutyConfig {
    /// A PagerDuty Events API v2 integration key.
    #[serde(deserialize_with = "crate::config_values::lenient_string")]
    pub routing_key: Option<String>,
    /// The Events API endpoint (another for tests or a proxy).
    pub url: String,
}

impl Default for PagerDutyConfig {
    fn default() -> Self {
        Self {
            routing_key: None,
            url: PAGERDUTY_EVENTS_URL.into(),
        }
    }
}

impl fmt::Debug for PagerDutyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PagerDutyConfig")
            .field("routing_key", &self.redacted().routing_key)
            .field("url", &self.url)
            .finish()
    }
}

impl PagerDutyConfig {
    /// A copy safe to print: the routing key replaced.
    pub fn redacted(&self) -> Self {
        Self {
            routing_key: hide(&self.routing_key),
            url: self.url.clone(),
        }
    }
}

impl ReceiverConfig for PagerDutyConfig {
    fn kind(&self) -> ReceiverKind {
        ReceiverKind::PagerDuty
    }

    fn is_set(&self) -> bool {
        self.routing_key.is_some()
    }

    fn validate(&self) -> Result<(), KeyProblem> {
        if self
            .routing_key
            .as_deref()
            .is_some_and(|key| key.trim().is_empty())
        {
            return Err((
                "alert.pagerduty.routing_key",
                "must not be empty".to_owned(),
            ));
        }
        check_http_url(&self.url).map_err(|e| ("alert.pagerduty.url", e))
    }

    fn build(&self, shared: &Shared) -> Result<Box<dyn Deliver>, NotifyError> {
        Ok(Box::new(PagerDutyReceiver {
            client: shared.http.clone(),
            url: self.url.clone(),
            routing_key: self.routing_key.clone().unwrap_or_default(),
        }))
    }
}

/// PagerDuty caps `payload.summary` at 1024 characters.
const SUMMARY_CHARS: usize = 1024;

/// One alert's event.
fn event(notification: &Notification, alert: &Alert, routing_key: &str) -> Value {
    if alert.status == AlertStatus::Resolved {
        // A resolve needs only the key: PagerDuty ignores any payload.
        return json!({
            "routing_key": routing_key,
            "event_action": "resolve",
            "dedup_key": alert.fingerprint,
        });
    }
    let mut summary = format!(
        "{}: value {} (threshold {})",
        alert.name(),
        format_value(alert.value),
        alert.threshold
    );
    if let Some(text) = alert.annotations.get("summary") {
        summary = format!("{} — {summary}", text);
    }
    if summary.chars().count() > SUMMARY_CHARS {
        summary = summary.chars().take(SUMMARY_CHARS).collect();
    }
    let links: Vec<Value> = trace_link(notification, alert)
        .map(|href| json!({"href": href, "text": "Example trace in Jamscope"}))
        .into_iter()
        .collect();
    json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert.fingerprint,
        "payload": {
            "summary": summary,
            "source": source(alert),
            "severity": severity(alert),
            "timestamp": rfc3339_millis(alert.starts_at_millis),
            "component": alert.labels.get("layer"),
            "group": notification.group_key,
            "class": alert.name(),
            "custom_details": {
                "value": alert.value,
                "threshold": alert.threshold,
                "labels": alert.labels,
                "annotations": alert.annotations,
                "example_trace_id": alert.example_trace_id,
            },
        },
        "links": links,
    })
}

/// PagerDuty knows critical, error, warning and info; a severity label with
/// one of these is used as is, anything else (or none) is `error`.
fn severity(alert: &Alert) -> &str {
    match alert.labels.get("severity").map(String::as_str) {
        Some(s @ ("critical" | "error" | "warning" | "info")) => s,
        _ => "error",
    }
}

/// What is affected: the `service` or `instance` label, else Jamscope.
fn source(alert: &Alert) -> &str {
    alert
        .labels
        .get("service")
        .or_else(|| alert.labels.get("instance"))
        .map_or("jamscope", String::as_str)
}

pub struct PagerDutyReceiver {
    client: HttpClient,
    url: String,
    routing_key: String,
}

impl Receiver for PagerDutyReceiver {
    /// One event per alert, each a JSON body as sent.
    type Message = Vec<Bytes>;

    fn message(&self, notification: &Notification) -> Result<Vec<Bytes>, NotifyError> {
        notification
            .alerts
            .iter()
            .map(|alert| {
                serde_json::to_vec(&event(notification, alert, &self.routing_key))
                    .map(Bytes::from)
                    .map_err(|e| NotifyError::Build(e.to_string()))
            })
            .collect()
    }

    /// One attempt: every alert's event in turn; the first failure ends it.
    async fn send(&self, events: &Vec<Bytes>) -> Result<(), NotifyError> {
        for body in events {
            self.client.post_json(&self.url, &[], body.clone()).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{notification, shared, TRACE_ID};
    use super::*;

    /// The events the receiver sends for `n` with `routing_key`, parsed back.
    fn events(n: &Notification, routing_key: &str) -> Vec<Value> {
        let receiver = PagerDutyReceiver {
            client: shared().http,
            url: String::new(),
            routing_key: routing_key.into(),
        };
        receiver
            .message(n)
            .expect("json")
            .iter()
            .map(|body| serde_json::from_slice(body).expect("parse"))
            .collect()
    }

    #[test]
    fn the_key_is_checked_and_hidden() {
        let mut config = PagerDutyConfig {
            routing_key: Some(" ".into()),
            ..PagerDutyConfig::default()
        };
        assert_eq!(
            config.validate().expect_err("blank").0,
            "alert.pagerduty.routing_key"
        );
        config.routing_key = Some("routing-key-123".into());
        assert_eq!(config.validate(), Ok(()));
        assert!(!format!("{config:?}").contains("routing-key-123"));
        config.url = "events.example".into();
        assert_eq!(
            config.validate().expect_err("no scheme").0,
            "alert.pagerduty.url"
        );
    }

    #[test]
    fn firing_alerts_trigger() {
        let n = notification(AlertStatus::Firing);
        let events = events(&n, "R0UTING");
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e["routing_key"], "R0UTING");
        assert_eq!(e["event_action"], "trigger");
        assert_eq!(e["dedup_key"], n.alerts[0].fingerprint.as_str());
        let p = &e["payload"];
        assert_eq!(
            p["summary"],
            "Gateway error rate above 1 % — GatewayErrorRate: value 0.034 (threshold > 0.01)"
        );
        assert_eq!(p["source"], "api-gateway");
        assert_eq!(p["severity"], "critical");
        assert_eq!(p["timestamp"], "2026-11-23T10:00:00.000Z");
        assert_eq!(p["custom_details"]["value"], 0.034);
        assert_eq!(p["custom_details"]["threshold"], "> 0.01");
        assert_eq!(
            p["custom_details"]["labels"]["alertname"],
            "GatewayErrorRate"
        );
        assert_eq!(p["custom_details"]["example_trace_id"], TRACE_ID);
        assert_eq!(
            e["links"],
            json!([{"href": format!("https://jamscope.example/api/traces/{TRACE_ID}"), "text": "Example trace in Jamscope"}])
        );
    }

    #[test]
    fn resolved_alerts_resolve_by_the_same_key() {
        let firing = notification(AlertStatus::Firing);
        let resolved = notification(AlertStatus::Resolved);
        let trigger = &events(&firing, "K")[0];
        let resolve = &events(&resolved, "K")[0];
        assert_eq!(resolve["event_action"], "resolve");
        assert_eq!(resolve["dedup_key"], trigger["dedup_key"]);
        assert!(resolve.get("payload").is_none());
    }

    #[test]
    fn severities_map_to_pagerduty_levels() {
        let mut n = notification(AlertStatus::Firing);
        for (label, expected) in [("warning", "warning"), ("info", "info"), ("page", "error")] {
            n.alerts[0].labels.insert("severity".into(), label.into());
            assert_eq!(events(&n, "K")[0]["payload"]["severity"], expected);
        }
        n.alerts[0].labels.remove("severity");
        assert_eq!(events(&n, "K")[0]["payload"]["severity"], "error");
    }
}
