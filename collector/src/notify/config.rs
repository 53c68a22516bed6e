//! What the notifier is started with: one table per receiver kind (each
//! defined beside its receiver: `email.rs`, `webhook.rs`, ...), the
//! delivery settings (`[alert.delivery]`), the `[[alert.routes]]` and the
//! URL links are built on. The tables live under `[alert]` (the section
//! `alert::AlertConfig` owns), so every key named here starts `alert.`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::email::EmailConfig;
use super::pagerduty::PagerDutyConfig;
use super::receiver::{KeyProblem, ReceiverConfig, ReceiverKind};
use super::retry::RetryPolicy;
use super::route::RouteConfig;
use super::slack::SlackConfig;
use super::webhook::WebhookConfig;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NotifyConfig {
    pub email: EmailConfig,
    pub webhook: WebhookConfig,
    pub slack: SlackConfig,
    pub pagerduty: PagerDutyConfig,
    pub delivery: DeliveryConfig,
    pub routes: Vec<RouteConfig>,
    /// Where people open Jamscope (`alert.external_url`): trace links of a
    /// notification that brings no URL of its own are built on it.
    pub external_url: Option<String>,
}

/// `[alert.delivery]`: how hard each notification is tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryConfig {
    /// One attempt's limit (connect, send, answer).
    pub send_timeout_ms: u64,
    /// Attempts per notification and receiver, the first included.
    pub retry_max_attempts: u32,
    pub retry_initial_ms: u64,
    pub retry_max_ms: u64,
    /// No new attempt after this long.
    pub retry_budget_secs: u64,
    /// Notifications waiting per receiver; beyond it they are dropped.
    pub queue_capacity: usize,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            send_timeout_ms: 10_000,
            retry_max_attempts: 5,
            retry_initial_ms: 500,
            retry_max_ms: 30_000,
            retry_budget_secs: 120,
            queue_capacity: 256,
        }
    }
}

impl DeliveryConfig {
    pub fn send_timeout(&self) -> Duration {
        Duration::from_millis(self.send_timeout_ms)
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.retry_max_attempts,
            initial_backoff: Duration::from_millis(self.retry_initial_ms),
            max_backoff: Duration::from_millis(self.retry_max_ms),
            budget: Duration::from_secs(self.retry_budget_secs),
        }
    }

    pub fn validate(&self) -> Result<(), KeyProblem> {
        let problem = |key, text: &str| Err((key, text.to_owned()));
        if self.send_timeout_ms == 0 {
            return problem("alert.delivery.send_timeout_ms", "must be above 0");
        }
        if self.retry_max_attempts == 0 {
            return problem("alert.delivery.retry_max_attempts", "must be at least 1");
        }
        if self.retry_initial_ms == 0 || self.retry_max_ms < self.retry_initial_ms {
            return problem(
                "alert.delivery.retry_max_ms",
                "must be at least alert.delivery.retry_initial_ms, which must be above 0",
            );
        }
        if self.queue_capacity == 0 {
            return problem("alert.delivery.queue_capacity", "must be at least 1");
        }
        Ok(())
    }
}

impl NotifyConfig {
    /// Every receiver kind's table, in [`ReceiverKind::ALL`]'s order: the
    /// one list a new receiver is added to.
    pub fn receivers(&self) -> [&dyn ReceiverConfig; 4] {
        [&self.email, &self.webhook, &self.slack, &self.pagerduty]
    }

    /// The receivers whose tables are set.
    pub fn configured(&self) -> Vec<ReceiverKind> {
        self.receivers()
            .iter()
            .filter(|table| table.is_set())
            .map(|table| table.kind())
            .collect()
    }

    /// Checks every key; the problem names the one at fault.
    pub fn validate(&self) -> Result<(), KeyProblem> {
        for table in self.receivers() {
            table.validate()?;
        }
        if let Some(url) = &self.external_url {
            check_http_url(url).map_err(|e| ("alert.external_url", e))?;
        }
        self.delivery.validate()?;
        let configured = self.configured();
        for (index, route) in self.routes.iter().enumerate() {
            route.validate(index, &configured)?;
        }
        Ok(())
    }
}

/// A secret as shown: [`crate::redact::REDACTED`] when set.
pub(crate) fn hide(secret: &Option<String>) -> Option<String> {
    secret.as_ref().map(|_| crate::redact::REDACTED.to_owned())
}

/// An `http://` or `https://` URL with a host.
pub(crate) fn check_http_url(url: &str) -> Result<(), String> {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => Ok(()),
        Ok(_) => Err("must be an http:// or https:// URL".into()),
        Err(e) => Err(format!("is not a URL: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::labels;
    use super::*;

    fn email_config() -> NotifyConfig {
        NotifyConfig {
            email: EmailConfig {
                smtp_url: Some("smtp://alerts:s3cret@mail.example:587?tls=starttls".into()),
                from: Some("Jamscope <alerts@example.com>".into()),
                to: vec!["oncall@example.com".into()],
            },
            ..NotifyConfig::default()
        }
    }

    fn error_key(config: &NotifyConfig) -> &'static str {
        config.validate().expect_err("invalid").0
    }

    #[test]
    fn defaults_are_valid_and_send_nowhere() {
        let config = NotifyConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert!(config.configured().is_empty());
        assert_eq!(
            config.pagerduty.url,
            super::super::pagerduty::PAGERDUTY_EVENTS_URL
        );
    }

    #[test]
    fn the_receiver_list_follows_the_kinds() {
        let config = NotifyConfig::default();
        let kinds: Vec<ReceiverKind> = config.receivers().iter().map(|t| t.kind()).collect();
        assert_eq!(kinds, ReceiverKind::ALL);
    }

    #[test]
    fn routes_name_configured_receivers() {
        let mut config = email_config();
        config.routes = vec![RouteConfig {
            matchers: labels(&[("severity", "critical")]),
            receivers: vec![ReceiverKind::PagerDuty],
        }];
        let (key, problem) = config.validate().expect_err("pagerduty not configured");
        assert_eq!(key, "alert.routes");
        assert!(
            problem.contains("[0].receivers") && problem.contains("pagerduty"),
            "{problem}"
        );
        config.pagerduty.routing_key = Some("R0UT1NG".into());
        assert_eq!(config.validate(), Ok(()));
        config.routes[0].receivers.clear();
        assert_eq!(error_key(&config), "alert.routes");
    }

    #[test]
    fn retry_settings_are_checked() {
        let config = NotifyConfig {
            delivery: DeliveryConfig {
                retry_max_attempts: 0,
                ..DeliveryConfig::default()
            },
            ..NotifyConfig::default()
        };
        assert_eq!(error_key(&config), "alert.delivery.retry_max_attempts");
        let config = NotifyConfig {
            delivery: DeliveryConfig {
                retry_initial_ms: 1000,
                retry_max_ms: 10,
                ..DeliveryConfig::default()
            },
            ..NotifyConfig::default()
        };
        assert_eq!(error_key(&config), "alert.delivery.retry_max_ms");
        let config = NotifyConfig {
            external_url: Some("jamscope.example".into()),
            ..NotifyConfig::default()
        };
        assert_eq!(error_key(&config), "alert.external_url");
    }

    #[test]
    fn secrets_are_redacted() {
        let mut config = email_config();
        config.webhook.url = Some("https://hooks.example/a".into());
        config.webhook.secret = Some("hook-secret".into());
        config.slack.webhook_url = Some("https://hooks.slack.com/services/T0/B0/XYZ".into());
        config.pagerduty.routing_key = Some("routing-key-123".into());
        let text = format!(
            "{}{}{}{}{:?}",
            serde_json::to_string(&config.email.redacted()).expect("json"),
            serde_json::to_string(&config.webhook.redacted()).expect("json"),
            serde_json::to_string(&config.slack.redacted()).expect("json"),
            serde_json::to_string(&config.pagerduty.redacted()).expect("json"),
            config
        );
        for secret in ["s3cret", "hook-secret", "XYZ", "routing-key-123"] {
            assert!(!text.contains(secret), "{secret} shown in {text}");
        }
        assert_eq!(
            config.email.redacted().smtp_url.as_deref(),
            Some("smtp://alerts:<redacted>@mail.example:587?tls=starttls")
        );
        assert_eq!(config.webhook.redacted().url, config.webhook.url);
    }
}
