//! The `[alert]` section: which rules are evaluated and how often, how
//! alerts are grouped, where people open Jamscope (trace links), and,
//! as tables the notifier owns, where notifications go: `[alert.email]`,
//! `[alert.webhook]`, `[alert.slack]`, `[alert.pagerduty]`,
//! `[alert.delivery]` (timeouts, retries, queues) and `[[alert.routes]]`.
//! One section because people configure alerting as one thing
//! (`JAMSCOPE_ALERT_*`). Secrets live in the notifier's tables, whose
//! `Debug` and `redacted` hide them.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::alert::duration::Millis;
use crate::alert::engine::EngineSettings;
use crate::notify::{
    DeliveryConfig, EmailConfig, NotifyConfig, PagerDutyConfig, RouteConfig, SlackConfig,
    WebhookConfig,
};

/// Keys of `[alert]` that moved into the notifier's tables: the old name
/// is refused with the new one (`config.rs`), and its environment
/// variable (`JAMSCOPE_ALERT_SMTP_URL`, ...) keeps working.
pub const MOVED_KEYS: &[(&str, &str)] = &[
    ("alert.smtp_url", "alert.email.smtp_url"),
    ("alert.email_from", "alert.email.from"),
    ("alert.email_to", "alert.email.to"),
    ("alert.webhook_url", "alert.webhook.url"),
    ("alert.webhook_secret", "alert.webhook.secret"),
    ("alert.slack_webhook_url", "alert.slack.webhook_url"),
    ("alert.pagerduty_routing_key", "alert.pagerduty.routing_key"),
    ("alert.pagerduty_url", "alert.pagerduty.url"),
    ("alert.send_timeout_ms", "alert.delivery.send_timeout_ms"),
    (
        "alert.retry_max_attempts",
        "alert.delivery.retry_max_attempts",
    ),
    ("alert.retry_initial_ms", "alert.delivery.retry_initial_ms"),
    ("alert.retry_max_ms", "alert.delivery.retry_max_ms"),
    (
        "alert.retry_budget_secs",
        "alert.delivery.retry_budget_secs",
    ),
    ("alert.queue_capacity", "alert.delivery.queue_capacity"),
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Where people open Jamscope; trace links in notifications are built
    /// on it.
    #[serde(deserialize_with = "crate::config_values::lenient_string")]
    pub external_url: Option<String>,
    pub email: EmailConfig,
    pub webhook: WebhookConfig,
    pub slack: SlackConfig,
    pub pagerduty: PagerDutyConfig,
    pub delivery: DeliveryConfig,
    pub routes: Vec<RouteConfig>,
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
            external_url: None,
            email: EmailConfig::default(),
            webhook: WebhookConfig::default(),
            slack: SlackConfig::default(),
            pagerduty: PagerDutyConfig::default(),
            delivery: DeliveryConfig::default(),
            routes: Vec::new(),
        }
    }
}

impl AlertConfig {
    /// What the notifier is started with.
    pub fn notify(&self) -> NotifyConfig {
        NotifyConfig {
            email: self.email.clone(),
            webhook: self.webhook.clone(),
            slack: self.slack.clone(),
            pagerduty: self.pagerduty.clone(),
            delivery: self.delivery.clone(),
            routes: self.routes.clone(),
            external_url: self.external_url.clone(),
        }
    }

    /// A copy safe to print: the notifier's secrets replaced.
    pub fn redacted(&self) -> Self {
        Self {
            email: self.email.redacted(),
            webhook: self.webhook.redacted(),
            slack: self.slack.redacted(),
            pagerduty: self.pagerduty.redacted(),
            ..self.clone()
        }
    }

    /// Checks every key; the problem names the one at fault.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let problem = |key, text: &str| Err((key, text.to_owned()));
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
        self.notify().validate()
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(AlertConfig::default().validate(), Ok(()));
    }

    #[test]
    fn evaluation_keys_are_checked() {
        let config = AlertConfig {
            peer_lease_ms: 1_000,
            ..AlertConfig::default()
        };
        assert_eq!(
            config.validate().expect_err("short lease").0,
            "alert.peer_lease_ms"
        );
        let config = AlertConfig {
            query_interval_ms: 0,
            ..AlertConfig::default()
        };
        assert_eq!(
            config.validate().expect_err("zero").0,
            "alert.evaluation_interval_ms"
        );
    }

    #[test]
    fn the_notifier_tables_are_checked_and_hidden() {
        let config = AlertConfig {
            webhook: WebhookConfig {
                url: Some("https://hooks.example/a".into()),
                secret: None,
            },
            ..AlertConfig::default()
        };
        assert_eq!(
            config.validate().expect_err("unsigned").0,
            "alert.webhook.secret"
        );
        let config = AlertConfig {
            pagerduty: PagerDutyConfig {
                routing_key: Some("routing-key-123".into()),
                ..PagerDutyConfig::default()
            },
            ..AlertConfig::default()
        };
        for shown in [format!("{config:?}"), format!("{:?}", config.redacted())] {
            assert!(!shown.contains("routing-key-123"), "{shown}");
        }
        assert_eq!(
            config.notify().configured(),
            [crate::notify::ReceiverKind::PagerDuty]
        );
    }

    #[test]
    fn every_moved_key_names_a_key_of_a_table() {
        let tables = serde_json::to_value(AlertConfig::default()).expect("json");
        for (old, new) in MOVED_KEYS {
            let path: Vec<&str> = new.split('.').skip(1).collect();
            let found = path.iter().try_fold(&tables, |value, key| value.get(key));
            assert!(found.is_some(), "{old} → {new}: no such key");
            let old_key = old.trim_start_matches("alert.");
            assert!(tables.get(old_key).is_none(), "{old} is still a key");
        }
    }
}
