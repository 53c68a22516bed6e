//! Notifiers: tell on-call engineers about a `Notification` the rule engine
//! produced, by email, signed webhook, Slack and PagerDuty.
//!
//! Every receiver kind is one file implementing the two traits of
//! `receiver.rs`: its `[alert.<kind>]` table ([`ReceiverConfig`]) and the
//! receiver ([`Receiver`]: a pure `message`, one `send`). This file holds
//! what they share, written once: the [`Notifier`] the engine calls
//! (routing by labels, one bounded queue and one task per receiver, so
//! `dispatch` never waits on a slow SMTP server). Retries are `retry.rs`'s,
//! counters `stats.rs`'s, renderers every message uses `render.rs`'s.

pub mod config;
pub mod email;
mod error;
#[cfg(test)]
mod fixtures;
mod http;
pub mod pagerduty;
pub mod receiver;
pub mod render;
pub mod retry;
pub mod route;
pub mod slack;
mod stats;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::model::alert::Notification;

pub use config::{DeliveryConfig, NotifyConfig};
pub use email::EmailConfig;
pub use error::NotifyError;
pub use pagerduty::PagerDutyConfig;
pub use receiver::{Attempts, Deliver, Receiver, ReceiverConfig, ReceiverKind, Shared};
pub use retry::RetryPolicy;
pub use route::{RouteConfig, Routes};
pub use slack::SlackConfig;
pub use stats::NotifyStats;
pub use webhook::WebhookConfig;

/// What `dispatch` did with one notification.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Dispatched {
    /// Receivers whose queue took it.
    pub queued: Vec<ReceiverKind>,
    /// Receivers whose queue was full (or closed): dropped and counted.
    pub dropped: Vec<ReceiverKind>,
}

struct Queue {
    kind: ReceiverKind,
    sender: mpsc::Sender<Notification>,
}

/// The engine's handle: route a notification and queue it for each
/// receiver, never waiting. Created inside a tokio runtime.
pub struct Notifier {
    queues: Vec<Queue>,
    routes: Routes,
    external_url: Option<String>,
    stats: Arc<NotifyStats>,
    tasks: Vec<JoinHandle<()>>,
}

impl Notifier {
    /// Validates `config`, builds every configured receiver and spawns one
    /// task per receiver. With no receiver configured it accepts and drops
    /// nothing: `dispatch` queues nowhere.
    pub fn start(config: &NotifyConfig) -> Result<Self, NotifyError> {
        Self::start_with_stats(config, Arc::new(NotifyStats::default()))
    }

    /// As [`Notifier::start`], counting into `stats` (e.g. the ones
    /// `/metrics` renders).
    pub fn start_with_stats(
        config: &NotifyConfig,
        stats: Arc<NotifyStats>,
    ) -> Result<Self, NotifyError> {
        config.validate().map_err(NotifyError::config)?;
        let shared = Shared::new(config.delivery.send_timeout())?;
        let policy = config.delivery.retry_policy();
        let configured = config.configured();
        let mut queues = Vec::new();
        let mut tasks = Vec::new();
        for table in config.receivers().into_iter().filter(|t| t.is_set()) {
            let kind = table.kind();
            let receiver = table.build(&shared)?;
            let (sender, queue) = mpsc::channel(config.delivery.queue_capacity.max(1));
            queues.push(Queue { kind, sender });
            tasks.push(tokio::spawn(run_receiver(
                kind,
                receiver,
                queue,
                policy,
                Arc::clone(&stats),
            )));
        }
        Ok(Self {
            queues,
            routes: Routes::new(&config.routes, &configured),
            external_url: config.external_url.clone(),
            stats,
            tasks,
        })
    }

    /// Routes `notification` by its alerts' labels and queues, for each
    /// receiver, the alerts routed to it. Returns at once: a full queue
    /// drops the notification for that receiver (logged and counted).
    pub fn dispatch(&self, mut notification: Notification) -> Dispatched {
        if notification.external_url.is_empty() {
            if let Some(url) = &self.external_url {
                notification.external_url = url.clone();
            }
        }
        let mut outcome = Dispatched::default();
        for queue in &self.queues {
            let Some(part) = self.routes.for_receiver(&notification, queue.kind) else {
                continue;
            };
            match queue.sender.try_send(part) {
                Ok(()) => outcome.queued.push(queue.kind),
                Err(error) => {
                    let reason = match error {
                        mpsc::error::TrySendError::Full(_) => "queue full",
                        mpsc::error::TrySendError::Closed(_) => "receiver stopped",
                    };
                    tracing::error!(
                        receiver = queue.kind.as_str(),
                        group_key = %notification.group_key,
                        reason,
                        "notification dropped"
                    );
                    self.stats.add_dropped(queue.kind);
                    outcome.dropped.push(queue.kind);
                }
            }
        }
        outcome
    }

    pub fn stats(&self) -> Arc<NotifyStats> {
        Arc::clone(&self.stats)
    }

    /// The receivers configured, in a fixed order.
    pub fn receivers(&self) -> Vec<ReceiverKind> {
        self.queues.iter().map(|q| q.kind).collect()
    }

    /// Stops taking notifications and gives the queued ones until
    /// `deadline` to be delivered; what is left is abandoned.
    pub async fn shutdown(self, deadline: Duration) {
        drop(self.queues);
        let all = futures_util::future::join_all(self.tasks);
        if tokio::time::timeout(deadline, all).await.is_err() {
            tracing::warn!("notifications still pending at shutdown were abandoned");
        }
    }
}

/// One receiver's task: its queue, one notification at a time, each with
/// the retry policy. A slow receiver only delays its own queue.
async fn run_receiver(
    kind: ReceiverKind,
    receiver: Box<dyn Deliver>,
    mut queue: mpsc::Receiver<Notification>,
    policy: RetryPolicy,
    stats: Arc<NotifyStats>,
) {
    while let Some(notification) = queue.recv().await {
        let attempts = Attempts {
            kind,
            policy: &policy,
            stats: &stats,
        };
        match receiver.deliver(&notification, attempts).await {
            Ok(()) => {
                stats.add_sent(kind);
                tracing::info!(
                    receiver = kind.as_str(),
                    group_key = %notification.group_key,
                    status = notification.status.as_str(),
                    alerts = notification.alerts.len(),
                    "notification sent"
                );
            }
            Err(error) => {
                stats.add_failed(kind);
                tracing::error!(
                    receiver = kind.as_str(),
                    group_key = %notification.group_key,
                    %error,
                    "notification failed"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::notification;
    use super::*;
    use crate::model::alert::AlertStatus;

    #[tokio::test]
    async fn a_notifier_without_receivers_queues_nowhere() {
        let notifier = Notifier::start(&NotifyConfig::default()).expect("valid");
        let outcome = notifier.dispatch(notification(AlertStatus::Firing));
        assert!(outcome.queued.is_empty() && outcome.dropped.is_empty());
        notifier.shutdown(Duration::from_secs(1)).await;
    }
}
