//! Webhook: a `Notification` as Alertmanager's webhook payload (version
//! "4"), so receivers written for Alertmanager work unchanged, POSTed with
//! an HMAC-SHA256 signature (`crate::signing`, the scheme `POST /v1/builds`
//! checks too); its table `[alert.webhook]`.

use std::fmt;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::model::alert::{Alert, LabelSet, Notification};
use crate::signing::{signature, SIGNATURE_HEADER, TIMESTAMP_HEADER};

use super::config::{check_http_url, hide};
use super::http::HttpClient;
use super::receiver::{Deliver, KeyProblem, Receiver, ReceiverConfig, ReceiverKind, Shared};
use super::render::{rfc3339_millis, trace_link};
use super::NotifyError;

/// `[alert.webhook]`: where the signed payload goes. Unset `url`: no
/// webhook.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// Receives Alertmanager's webhook payload (version 4), signed.
    #[serde(deserialize_with = "crate::config_values::lenient_string")]
    pub url: Option<String>,
    /// Shared secret for `X-Jamscope-Signature`; required with a URL.
    #[serde(deserialize_with = "crate::config_values::lenient_string")]
    pub secret: Option<String>,
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.redacted();
        f.debug_struct("WebhookConfig")
            .field("url", &shown.url)
            .field("secret", &shown.secret)
            .finish()
    }
}

impl WebhookConfig {
    /// A copy safe to print: the secret, and the URL's password, replaced.
    pub fn redacted(&self) -> Self {
        Self {
            url: self.url.as_deref().map(crate::redact::url),
            secret: hide(&self.secret),
        }
    }
}

impl ReceiverConfig for WebhookConfig {
    fn kind(&self) -> ReceiverKind {
        ReceiverKind::Webhook
    }

    fn is_set(&self) -> bool {
        self.url.is_some()
    }

    fn validate(&self) -> Result<(), KeyProblem> {
        let Some(url) = &self.url else {
            return Ok(());
        };
        check_http_url(url).map_err(|e| ("alert.webhook.url", e))?;
        if self.secret.as_deref().unwrap_or("").is_empty() {
            return Err((
                "alert.webhook.secret",
                "is needed with alert.webhook.url: every webhook is signed".to_owned(),
            ));
        }
        Ok(())
    }

    fn build(&self, shared: &Shared) -> Result<Box<dyn Deliver>, NotifyError> {
        Ok(Box::new(WebhookReceiver {
            client: shared.http.clone(),
            url: self.url.clone().unwrap_or_default(),
            secret: self.secret.clone().unwrap_or_default(),
        }))
    }
}

/// Alertmanager's "not resolved" end time (Go's zero `time.Time`).
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";
/// The receiver name in the payload.
const RECEIVER_NAME: &str = "webhook";

/// Alertmanager's webhook payload, version 4.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload<'a> {
    pub version: &'static str,
    pub group_key: &'a str,
    pub truncated_alerts: u64,
    pub status: &'static str,
    pub receiver: &'static str,
    pub group_labels: &'a LabelSet,
    pub common_labels: LabelSet,
    pub common_annotations: LabelSet,
    #[serde(rename = "externalURL")]
    pub external_url: &'a str,
    pub alerts: Vec<PayloadAlert<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PayloadAlert<'a> {
    pub status: &'static str,
    pub labels: &'a LabelSet,
    /// The alert's annotations, plus `example_trace_id` when it has one:
    /// annotations are free-form strings, so the schema holds.
    pub annotations: LabelSet,
    pub starts_at: String,
    pub ends_at: String,
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
    pub fingerprint: &'a str,
}

/// The payload for `notification`.
pub fn payload(notification: &Notification) -> Payload<'_> {
    Payload {
        version: "4",
        group_key: &notification.group_key,
        truncated_alerts: 0,
        status: notification.status.as_str(),
        receiver: RECEIVER_NAME,
        group_labels: &notification.group_labels,
        common_labels: notification.common_labels(),
        common_annotations: notification.common_annotations(),
        external_url: &notification.external_url,
        alerts: notification
            .alerts
            .iter()
            .map(|alert| payload_alert(notification, alert))
            .collect(),
    }
}

fn payload_alert<'a>(notification: &Notification, alert: &'a Alert) -> PayloadAlert<'a> {
    let mut annotations = alert.annotations.clone();
    if let Some(id) = &alert.example_trace_id {
        annotations.insert("example_trace_id".into(), id.clone());
    }
    PayloadAlert {
        status: alert.status.as_str(),
        labels: &alert.labels,
        annotations,
        starts_at: rfc3339_millis(alert.starts_at_millis),
        ends_at: alert
            .ends_at_millis
            .map_or_else(|| ZERO_TIME.to_owned(), rfc3339_millis),
        // Where a person starts: the example trace, else Jamscope itself.
        generator_url: trace_link(notification, alert)
            .unwrap_or_else(|| notification.external_url.clone()),
        fingerprint: &alert.fingerprint,
    }
}

pub struct WebhookReceiver {
    client: HttpClient,
    url: String,
    secret: String,
}

impl Receiver for WebhookReceiver {
    /// The JSON body, as sent and as signed.
    type Message = Bytes;

    fn message(&self, notification: &Notification) -> Result<Bytes, NotifyError> {
        serde_json::to_vec(&payload(notification))
            .map(Bytes::from)
            .map_err(|e| NotifyError::Build(e.to_string()))
    }

    /// One signed POST. The timestamp is taken per attempt, so a retry is
    /// not refused as a replay.
    async fn send(&self, body: &Bytes) -> Result<(), NotifyError> {
        let timestamp = crate::clock::now_millis().div_euclid(1000).to_string();
        let signature = signature(self.secret.as_bytes(), &timestamp, body);
        self.client
            .post_json(
                &self.url,
                &[(SIGNATURE_HEADER, signature), (TIMESTAMP_HEADER, timestamp)],
                body.clone(),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{notification, shared, TRACE_ID};
    use super::*;
    use crate::model::alert::AlertStatus;
    use serde_json::{json, Value};

    fn config() -> WebhookConfig {
        WebhookConfig {
            url: Some("https://hooks.example/alerts".into()),
            secret: Some("shared".into()),
        }
    }

    /// The body the receiver sends for `n`, parsed back.
    fn body(n: &Notification) -> Value {
        let receiver = WebhookReceiver {
            client: shared().http,
            url: String::new(),
            secret: String::new(),
        };
        serde_json::from_slice(&receiver.message(n).expect("json")).expect("parse")
    }

    #[test]
    fn webhooks_must_be_signed() {
        let mut config = WebhookConfig {
            secret: None,
            ..config()
        };
        assert_eq!(
            config.validate().expect_err("unsigned").0,
            "alert.webhook.secret"
        );
        config.secret = Some("shared".into());
        assert_eq!(config.validate(), Ok(()));
        config.url = Some("ftp://x".into());
        assert_eq!(config.validate().expect_err("ftp").0, "alert.webhook.url");
    }

    #[test]
    fn the_secret_is_hidden() {
        let config = WebhookConfig {
            url: Some("https://hook:hook-pass@hooks.example/x".into()),
            ..config()
        };
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("shared") && !shown.contains("hook-pass"),
            "{shown}"
        );
    }

    #[test]
    fn the_payload_is_alertmanager_v4_field_by_field() {
        let n = notification(AlertStatus::Firing);
        let value = body(&n);
        let top: Vec<&str> = value
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected_top = vec![
            "version",
            "groupKey",
            "truncatedAlerts",
            "status",
            "receiver",
            "groupLabels",
            "commonLabels",
            "commonAnnotations",
            "externalURL",
            "alerts",
        ];
        expected_top.sort_unstable();
        let mut top_sorted = top.clone();
        top_sorted.sort_unstable();
        assert_eq!(top_sorted, expected_top);
        assert_eq!(value["version"], "4");
        assert_eq!(value["groupKey"], n.group_key.as_str());
        assert_eq!(value["truncatedAlerts"], 0);
        assert_eq!(value["status"], "firing");
        assert_eq!(value["receiver"], "webhook");
        assert_eq!(
            value["groupLabels"],
            json!({"alertname": "GatewayErrorRate"})
        );
        assert_eq!(
            value["commonLabels"],
            json!({"alertname": "GatewayErrorRate", "severity": "critical", "service": "api-gateway"})
        );
        assert_eq!(
            value["commonAnnotations"]["summary"],
            "Gateway error rate above 1 %"
        );
        assert_eq!(value["externalURL"], "https://jamscope.example/");

        let alert = &value["alerts"][0];
        let mut keys: Vec<&str> = alert
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "annotations",
                "endsAt",
                "fingerprint",
                "generatorURL",
                "labels",
                "startsAt",
                "status"
            ]
        );
        assert_eq!(alert["status"], "firing");
        assert_eq!(alert["labels"]["alertname"], "GatewayErrorRate");
        assert_eq!(alert["annotations"]["example_trace_id"], TRACE_ID);
        assert_eq!(alert["startsAt"], "2026-11-23T10:00:00.000Z");
        assert_eq!(alert["endsAt"], ZERO_TIME);
        assert_eq!(
            alert["generatorURL"],
            format!("https://jamscope.example/api/traces/{TRACE_ID}")
        );
        assert_eq!(alert["fingerprint"], n.alerts[0].fingerprint.as_str());
        // Annotations stay string → string, as Alertmanager's.
        assert!(alert["annotations"]
            .as_object()
            .expect("object")
            .values()
            .all(Value::is_string));
    }

    #[test]
    fn resolved_alerts_carry_their_end() {
        let mut n = notification(AlertStatus::Resolved);
        n.alerts[0].example_trace_id = None;
        let value = body(&n);
        assert_eq!(value["status"], "resolved");
        assert_eq!(value["alerts"][0]["endsAt"], "2026-11-23T10:10:00.000Z");
        assert!(value["alerts"][0]["annotations"]
            .get("example_trace_id")
            .is_none());
        assert_eq!(
            value["alerts"][0]["generatorURL"],
            "https://jamscope.example/"
        );
    }
}
