//! The `[alert]` configuration section: which rules are evaluated and how
//! often, how alerts are grouped, where notifications go (SMTP, webhook,
//! Slack, PagerDuty), how they are retried, and the `[[alert.routes]]`
//! choosing receivers by labels. One section because people configure
//! alerting as one thing (`JAMSCOPE_ALERT_*`); the evaluation keys are
//! read by `alert::service`, the rest by the notifier. Secrets (the SMTP
//! password, the webhook secret, the Slack URL, the routing key) are never
//! shown: `Debug` and [`AlertConfig::redacted`] hide them.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use serde::{Deserialize, Serialize};

use crate::alert::duration::Millis;
use crate::alert::engine::EngineSettings;
use crate::model::alert::LabelSet;

use super::email::SmtpTarget;
use super::{NotifyError, ReceiverKind, RetryPolicy};

/// PagerDuty's Events API v2 endpoint.
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

use crate::redact::REDACTED;

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertConfig {
    /// Evaluate rules at all (on by default; the default rules need no
    /// receiver to be useful: `/api/alerts` shows what fires).
    pub enabled: bool,
    /// The rule files (`*.yaml`), reloaded on change and on SIGHUP.
    pub rules_dir: PathBuf,
    /// How often the streaming windows are evaluated.
    pub evaluation_interval_ms: u64,
    /// How often rules that query ClickHouse (sql, new_error,
    /// consecutive, regression) run.
    pub query_interval_ms: u64,
    /// Series kept by the streaming windows, across all rules.
    pub max_series: usize,
    /// A collector whose heartbeat is older than this is gone; another
    /// takes over evaluation.
    pub peer_lease_ms: u64,
    /// Alertmanager's grouping: alerts with the same values of these
    /// labels notify together.
    pub group_by: Vec<String>,
    /// A new group's first notification waits this long for more alerts.
    pub group_wait: Millis,
    /// Changes in a group are told at most this often.
    pub group_interval: Millis,
    /// A group still firing is told again after this long.
    pub repeat_interval: Millis,
    /// `smtp://user:pass@host:587?tls=starttls` (`tls` = `starttls`, `tls`
    /// or `none`; the port defaults to 587, 465 or 25 accordingly). Unset:
    /// no email.
    #[serde(deserialize_with = "crate::config_values::lenient_string")]
    pub smtp_url: Option<String>,
    #[serde(deserialize_with = "crate::config_values::lenient_string")]
    pub email_from: Option<String>,
    /// Recipients: a TOML array or one comma-separated string.
    #[serde(deserialize_with = "crate::config_values::string_list")]
    pub email_to: Vec<String>,
    /// Receives Alertmanager's webhook payload (version 4), signed.
    #[serde(deserialize_with = "crate::config_values::lenient_string")]
    pub webhook_url: Option<String>,
    /// Shared secret for `X-Jamscope-Signature`; required with a webhook.
    #[serde(deserialize_with = "crate::config_values::lenient_string")]
    pub webhook_secret: Option<String>,
    /// A Slack incoming-webhook URL (itself a secret).
    #[serde(deserialize_with = "crate::config_values::lenient_string")]
    pub slack_webhook_url: Option<String>,
    /// A PagerDuty Events API v2 integration key.
    #[serde(deserialize_with = "crate::config_values::lenient_string")]
    pub pagerduty_routing_key: Option<String>,
    pub pagerduty_url: String,
    /// Where people open Jamscope; trace links are built on it.
    #[serde(deserialize_with = "crate::config_values::lenient_string")]
    pub external_url: Option<String>,
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
    pub routes: Vec<RouteConfig>,
}

/// One `[[alert.routes]]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Label → value, all equal for an alert to match; empty matches all.
    #[serde(rename = "match", default)]
    pub matchers: LabelSet,
    pub receivers: Vec<ReceiverKind>,
}

impl Default for AlertConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            rules_dir: PathBuf::from("alert-rules"),
            evaluation_interval_ms: 1000,
            query_interval_ms: 15_000,
            max_series: 10_000,
            peer_lease_ms: 5_000,
            group_by: vec!["alertname".into()],
            // Woken fast: alerts breaching in the same evaluation are
            // grouped anyway; later changes wait for `group_interval`.
            group_wait: Millis(0),
            group_interval: Millis::from_secs(300),
            repeat_interval: Millis::from_secs(4 * 3600),
            smtp_url: None,
            email_from: None,
            email_to: Vec::new(),
            webhook_url: None,
            webhook_secret: None,
            slack_webhook_url: None,
            pagerduty_routing_key: None,
            pagerduty_url: PAGERDUTY_EVENTS_URL.into(),
            external_url: None,
            send_timeout_ms: 10_000,
            retry_max_attempts: 5,
            retry_initial_ms: 500,
            retry_max_ms: 30_000,
            retry_budget_secs: 120,
            queue_capacity: 256,
            routes: Vec::new(),
        }
    }
}

impl fmt::Debug for AlertConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.redacted();
        f.debug_struct("AlertConfig")
            .field("smtp_url", &shown.smtp_url)
            .field("email_from", &shown.email_from)
            .field("email_to", &shown.email_to)
            .field("webhook_url", &shown.webhook_url)
            .field("webhook_secret", &shown.webhook_secret)
            .field("slack_webhook_url", &shown.slack_webhook_url)
            .field("pagerduty_routing_key", &shown.pagerduty_routing_key)
            .field("pagerduty_url", &shown.pagerduty_url)
            .field("external_url", &shown.external_url)
            .field("routes", &shown.routes)
            .finish_non_exhaustive()
    }
}

impl AlertConfig {
    /// A copy safe to print: the SMTP password, webhook secret, Slack URL
    /// and routing key replaced by `<redacted>`.
    pub fn redacted(&self) -> Self {
        let hide = |value: &Option<String>| value.as_ref().map(|_| REDACTED.to_owned());
        Self {
            smtp_url: self.smtp_url.as_deref().map(crate::redact::url),
            webhook_url: self.webhook_url.as_deref().map(crate::redact::url),
            webhook_secret: hide(&self.webhook_secret),
            slack_webhook_url: hide(&self.slack_webhook_url),
            pagerduty_routing_key: hide(&self.pagerduty_routing_key),
            ..self.clone()
        }
    }

    /// Checks every key; the error names the one at fault.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let problem = |key, text: &str| Err((key, text.to_owned()));
        if let Some(url) = &self.smtp_url {
            SmtpTarget::parse(url).map_err(|e| ("alert.smtp_url", e))?;
            match &self.email_from {
                None => return problem("alert.email_from", "is needed with alert.smtp_url"),
                Some(from) => {
                    from.parse::<Mailbox>().map_err(|e| {
                        ("alert.email_from", format!("is not an email address: {e}"))
                    })?;
                }
            }
            if self.email_to.is_empty() {
                return problem(
                    "alert.email_to",
                    "needs at least one address with alert.smtp_url",
                );
            }
            for to in &self.email_to {
                to.parse::<Mailbox>().map_err(|e| {
                    (
                        "alert.email_to",
                        format!("`{to}` is not an email address: {e}"),
                    )
                })?;
            }
        } else if self.email_from.is_some() || !self.email_to.is_empty() {
            return problem(
                "alert.smtp_url",
                "is needed to send email (alert.email_from / alert.email_to are set)",
            );
        }
        if let Some(url) = &self.webhook_url {
            check_http_url(url).map_err(|e| ("alert.webhook_url", e))?;
            if self.webhook_secret.as_deref().unwrap_or("").is_empty() {
                return problem(
                    "alert.webhook_secret",
                    "is needed with alert.webhook_url: every webhook is signed",
                );
            }
        }
        if let Some(url) = &self.slack_webhook_url {
            // The URL itself is the secret: never echo it.
            check_http_url(url).map_err(|_| {
                (
                    "alert.slack_webhook_url",
                    "must be an http:// or https:// URL".to_owned(),
                )
            })?;
        }
        if let Some(key) = &self.pagerduty_routing_key {
            if key.trim().is_empty() {
                return problem("alert.pagerduty_routing_key", "must not be empty");
            }
        }
        check_http_url(&self.pagerduty_url).map_err(|e| ("alert.pagerduty_url", e))?;
        if let Some(url) = &self.external_url {
            check_http_url(url).map_err(|e| ("alert.external_url", e))?;
        }
        if self.send_timeout_ms == 0 {
            return problem("alert.send_timeout_ms", "must be above 0");
        }
        if self.retry_max_attempts == 0 {
            return problem("alert.retry_max_attempts", "must be at least 1");
        }
        if self.retry_initial_ms == 0 || self.retry_max_ms < self.retry_initial_ms {
            return problem(
                "alert.retry_max_ms",
                "must be at least alert.retry_initial_ms, which must be above 0",
            );
        }
        if self.queue_capacity == 0 {
            return problem("alert.queue_capacity", "must be at least 1");
        }
        if self.evaluation_interval_ms == 0 || self.query_interval_ms == 0 {
            return problem(
                "alert.evaluation_interval_ms",
                "and alert.query_interval_ms must be above 0",
            );
        }
        if self.peer_lease_ms < 2 * self.evaluation_interval_ms {
            return problem(
                "alert.peer_lease_ms",
                "must be at least twice alert.evaluation_interval_ms (heartbeats are sent every evaluation)",
            );
        }
        let configured = self.configured();
        for (index, route) in self.routes.iter().enumerate() {
            if route.receivers.is_empty() {
                return Err((
                    "alert.routes",
                    format!("[{index}].receivers must name at least one receiver"),
                ));
            }
            if let Some(missing) = route.receivers.iter().find(|r| !configured.contains(r)) {
                return Err((
                    "alert.routes",
                    format!(
                        "[{index}].receivers names `{}`, which is not configured",
                        missing.as_str()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The receivers whose keys are set.
    pub fn configured(&self) -> Vec<ReceiverKind> {
        let mut kinds = Vec::new();
        if self.smtp_url.is_some() {
            kinds.push(ReceiverKind::Email);
        }
        if self.webhook_url.is_some() {
            kinds.push(ReceiverKind::Webhook);
        }
        if self.slack_webhook_url.is_some() {
            kinds.push(ReceiverKind::Slack);
        }
        if self.pagerduty_routing_key.is_some() {
            kinds.push(ReceiverKind::PagerDuty);
        }
        kinds
    }

    /// The engine's grouping settings.
    pub fn engine_settings(&self) -> EngineSettings {
        EngineSettings {
            group_by: self.group_by.clone(),
            group_wait: self.group_wait,
            group_interval: self.group_interval,
            repeat_interval: self.repeat_interval,
            external_url: self.external_url.clone().unwrap_or_default(),
        }
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.retry_max_attempts,
            initial_backoff: Duration::from_millis(self.retry_initial_ms),
            max_backoff: Duration::from_millis(self.retry_max_ms),
            budget: Duration::from_secs(self.retry_budget_secs),
        }
    }

    pub(crate) fn smtp(&self) -> Result<Option<SmtpTarget>, NotifyError> {
        self.smtp_url
            .as_deref()
            .map(|url| {
                SmtpTarget::parse(url).map_err(|problem| config_error("alert.smtp_url", problem))
            })
            .transpose()
    }

    pub(crate) fn email_from_mailbox(&self) -> Result<Mailbox, NotifyError> {
        self.email_from
            .as_deref()
            .unwrap_or("")
            .parse()
            .map_err(|e| config_error("alert.email_from", format!("is not an email address: {e}")))
    }

    pub(crate) fn email_to_mailboxes(&self) -> Result<Vec<Mailbox>, NotifyError> {
        self.email_to
            .iter()
            .map(|to| {
                to.parse().map_err(|e| {
                    config_error(
                        "alert.email_to",
                        format!("`{to}` is not an email address: {e}"),
                    )
                })
            })
            .collect()
    }
}

fn config_error(key: &'static str, problem: String) -> NotifyError {
    NotifyError::Config { key, problem }
}

fn check_http_url(url: &str) -> Result<(), String> {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => Ok(()),
        Ok(_) => Err("must be an http:// or https:// URL".into()),
        Err(e) => Err(format!("is not a URL: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email_config() -> AlertConfig {
        AlertConfig {
            smtp_url: Some("smtp://alerts:s3cret@mail.example:587?tls=starttls".into()),
            email_from: Some("Jamscope <alerts@example.com>".into()),
            email_to: vec!["oncall@example.com".into()],
            ..AlertConfig::default()
        }
    }

    fn error_key(config: &AlertConfig) -> &'static str {
        config.validate().expect_err("invalid").0
    }

    #[test]
    fn defaults_are_valid_and_send_nowhere() {
        let config = AlertConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert!(config.configured().is_empty());
        assert_eq!(config.pagerduty_url, PAGERDUTY_EVENTS_URL);
    }

    #[test]
    fn email_needs_sender_and_recipients() {
        assert_eq!(email_config().validate(), Ok(()));
        let mut config = email_config();
        config.email_from = None;
        assert_eq!(error_key(&config), "alert.email_from");
        let mut config = email_config();
        config.email_to.clear();
        assert_eq!(error_key(&config), "alert.email_to");
        let mut config = email_config();
        config.email_to = vec!["not an address".into()];
        assert_eq!(error_key(&config), "alert.email_to");
        let mut config = email_config();
        config.smtp_url = Some("http://mail.example".into());
        assert_eq!(error_key(&config), "alert.smtp_url");
        let mut config = email_config();
        config.smtp_url = None;
        assert_eq!(error_key(&config), "alert.smtp_url");
    }

    #[test]
    fn webhooks_must_be_signed() {
        let mut config = AlertConfig {
            webhook_url: Some("https://hooks.example/alerts".into()),
            ..AlertConfig::default()
        };
        assert_eq!(error_key(&config), "alert.webhook_secret");
        config.webhook_secret = Some("shared".into());
        assert_eq!(config.validate(), Ok(()));
        config.webhook_url = Some("ftp://x".into());
        assert_eq!(error_key(&config), "alert.webhook_url");
    }

    #[test]
    fn routes_name_configured_receivers() {
        let mut config = email_config();
        config.routes = vec![RouteConfig {
            matchers: LabelSet::from([("severity".into(), "critical".into())]),
            receivers: vec![ReceiverKind::PagerDuty],
        }];
        let (key, problem) = config.validate().expect_err("pagerduty not configured");
        assert_eq!(key, "alert.routes");
        assert!(
            problem.contains("[0].receivers") && problem.contains("pagerduty"),
            "{problem}"
        );
        config.pagerduty_routing_key = Some("R0UT1NG".into());
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn retry_settings_are_checked() {
        let config = AlertConfig {
            retry_max_attempts: 0,
            ..AlertConfig::default()
        };
        assert_eq!(error_key(&config), "alert.retry_max_attempts");
        let config = AlertConfig {
            retry_initial_ms: 1000,
            retry_max_ms: 10,
            ..AlertConfig::default()
        };
        assert_eq!(error_key(&config), "alert.retry_max_ms");
    }

    #[test]
    fn secrets_are_redacted() {
        let mut config = email_config();
        config.webhook_url = Some("https://hooks.example/a".into());
        config.webhook_secret = Some("hook-secret".into());
        config.slack_webhook_url = Some("https://hooks.slack.com/services/T0/B0/XYZ".into());
        config.pagerduty_routing_key = Some("routing-key-123".into());
        let shown = config.redacted();
        let text = format!(
            "{}{:?}",
            serde_json::to_string(&shown).expect("json"),
            config
        );
        for secret in ["s3cret", "hook-secret", "XYZ", "routing-key-123"] {
            assert!(!text.contains(secret), "{secret} shown in {text}");
        }
        assert_eq!(
            shown.smtp_url.as_deref(),
            Some("smtp://alerts:<redacted>@mail.example:587?tls=starttls")
        );
        assert_eq!(shown.webhook_url, config.webhook_url);
    }
}
