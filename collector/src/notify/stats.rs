//! The notifier's counters, per receiver kind, as prometheus-client
//! families: `jamscope_notifications_total{receiver,outcome}` (sent, failed
//! after retries, dropped on a full queue) and
//! `jamscope_notification_retries_total{receiver}`. Every series exists
//! from the start at 0, so a dashboard sees a receiver before it fails.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use super::receiver::ReceiverKind;

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    receiver: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ReceiverLabels {
    receiver: &'static str,
}

const SENT: &str = "sent";
const FAILED: &str = "failed";
const DROPPED: &str = "dropped";

/// Shared by the notifier's tasks and the `/metrics` registry (the
/// families are handles: registering clones them, counting is seen by
/// both).
#[derive(Debug)]
pub struct NotifyStats {
    notifications: Family<OutcomeLabels, Counter>,
    retries: Family<ReceiverLabels, Counter>,
}

impl Default for NotifyStats {
    fn default() -> Self {
        let stats = Self {
            notifications: Family::default(),
            retries: Family::default(),
        };
        // Created at 0 (the guards are dropped at once).
        for kind in ReceiverKind::ALL {
            for outcome in [SENT, FAILED, DROPPED] {
                let _ = stats
                    .notifications
                    .get_or_create(&outcome_of(kind, outcome));
            }
            let _ = stats.retries.get_or_create(&receiver_of(kind));
        }
        stats
    }
}

impl NotifyStats {
    /// Adds the families to `registry` (the one `/metrics` renders).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "notifications",
            "Notifications per receiver kind: sent, failed after retries, dropped on a full queue",
            self.notifications.clone(),
        );
        registry.register(
            "notification_retries",
            "Attempts beyond the first, per receiver kind",
            self.retries.clone(),
        );
    }

    pub fn sent(&self, kind: ReceiverKind) -> u64 {
        self.count(kind, SENT)
    }

    /// Notifications given up on after every attempt (or a permanent error).
    pub fn failed(&self, kind: ReceiverKind) -> u64 {
        self.count(kind, FAILED)
    }

    /// Notifications not queued because the receiver's queue was full.
    pub fn dropped(&self, kind: ReceiverKind) -> u64 {
        self.count(kind, DROPPED)
    }

    /// Attempts beyond the first.
    pub fn retries(&self, kind: ReceiverKind) -> u64 {
        self.retries.get_or_create(&receiver_of(kind)).get()
    }

    pub(crate) fn add_sent(&self, kind: ReceiverKind) {
        self.add(kind, SENT);
    }

    pub(crate) fn add_failed(&self, kind: ReceiverKind) {
        self.add(kind, FAILED);
    }

    pub(crate) fn add_dropped(&self, kind: ReceiverKind) {
        self.add(kind, DROPPED);
    }

    pub(crate) fn retried(&self, kind: ReceiverKind) {
        self.retries.get_or_create(&receiver_of(kind)).inc();
    }

    fn add(&self, kind: ReceiverKind, outcome: &'static str) {
        self.notifications
            .get_or_create(&outcome_of(kind, outcome))
            .inc();
    }

    fn count(&self, kind: ReceiverKind, outcome: &'static str) -> u64 {
        self.notifications
            .get_or_create(&outcome_of(kind, outcome))
            .get()
    }
}

fn outcome_of(kind: ReceiverKind, outcome: &'static str) -> OutcomeLabels {
    OutcomeLabels {
        receiver: kind.as_str(),
        outcome,
    }
}

fn receiver_of(kind: ReceiverKind) -> ReceiverLabels {
    ReceiverLabels {
        receiver: kind.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposition(stats: &NotifyStats) -> String {
        let mut registry = Registry::with_prefix("jamscope");
        stats.register(&mut registry);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("encoded");
        text
    }

    #[test]
    fn stats_render_as_prometheus_lines() {
        let stats = NotifyStats::default();
        stats.add_sent(ReceiverKind::Email);
        stats.add_failed(ReceiverKind::PagerDuty);
        let text = exposition(&stats);
        assert!(
            text.contains("jamscope_notifications_total{receiver=\"email\",outcome=\"sent\"} 1\n")
        );
        assert!(text.contains(
            "jamscope_notifications_total{receiver=\"pagerduty\",outcome=\"failed\"} 1\n"
        ));
        assert!(text.contains(
            "jamscope_notifications_total{receiver=\"webhook\",outcome=\"dropped\"} 0\n"
        ));
        assert!(text.contains("# TYPE jamscope_notifications counter\n"));
    }

    #[test]
    fn names_help_and_every_series_are_as_before() {
        let stats = NotifyStats::default();
        stats.retried(ReceiverKind::Slack);
        let text = exposition(&stats);
        assert!(text.contains("# HELP jamscope_notifications Notifications per receiver kind: sent, failed after retries, dropped on a full queue.\n"), "{text}");
        assert!(text.contains(
            "# HELP jamscope_notification_retries Attempts beyond the first, per receiver kind.\n"
        ));
        assert!(text.contains("# TYPE jamscope_notification_retries counter\n"));
        assert!(text.contains("jamscope_notification_retries_total{receiver=\"slack\"} 1\n"));
        let series = text
            .lines()
            .filter(|line| line.starts_with("jamscope_notification"))
            .count();
        assert_eq!(series, 4 * 3 + 4, "{text}");
        assert_eq!(stats.retries(ReceiverKind::Slack), 1);
    }
}
