//! Alerts as Jamscope understands them, independent of any rule format or
//! receiver: what fired (or resolved), with which labels and value, and the
//! groups notifications are sent for. Rules produce them; notifiers render
//! them for email, webhooks, Slack and PagerDuty.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Labels and annotations, sorted so a fingerprint is stable.
pub type LabelSet = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
        }
    }
}

/// One alert instance: a rule's condition for one label set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable hash of the labels (which include `alertname` and
    /// `severity`): the identity used for deduplication.
    pub fingerprint: String,
    pub labels: LabelSet,
    /// `summary`, `description`, ... with templates already expanded.
    pub annotations: LabelSet,
    pub status: AlertStatus,
    /// The value that breached (or the last one seen when resolved).
    pub value: f64,
    /// The threshold it was compared with, in words (`> 1 %`).
    pub threshold: String,
    pub starts_at_millis: i64,
    /// Set when resolved.
    pub ends_at_millis: Option<i64>,
    /// A trace from the data that breached, to open first.
    pub example_trace_id: Option<String>,
}

impl Alert {
    pub fn name(&self) -> &str {
        self.labels.get("alertname").map_or("", String::as_str)
    }

    pub fn severity(&self) -> Option<Severity> {
        match self.labels.get("severity").map(String::as_str) {
            Some("critical") => Some(Severity::Critical),
            Some("warning") => Some(Severity::Warning),
            _ => None,
        }
    }

    /// A stable fingerprint of a label set (FNV-1a 64 over `k=v\n`, hex):
    /// the same labels give the same fingerprint on every collector.
    pub fn fingerprint_of(labels: &LabelSet) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for (key, value) in labels {
            for byte in key
                .bytes()
                .chain([b'='])
                .chain(value.bytes())
                .chain([b'\n'])
            {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{hash:016x}")
    }
}

/// What one notification carries: the alerts of one group, as
/// Alertmanager groups them (`group_by` labels).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Identifies the group (its `group_by` label values).
    pub group_key: String,
    /// Firing when any alert of the group fires.
    pub status: AlertStatus,
    pub group_labels: LabelSet,
    pub alerts: Vec<Alert>,
    /// Where a person opens Jamscope (links to traces are built on it).
    pub external_url: String,
}

impl Notification {
    /// Labels every alert of the group shares.
    pub fn common_labels(&self) -> LabelSet {
        common(self.alerts.iter().map(|a| &a.labels))
    }

    pub fn common_annotations(&self) -> LabelSet {
        common(self.alerts.iter().map(|a| &a.annotations))
    }
}

fn common<'a>(mut sets: impl Iterator<Item = &'a LabelSet>) -> LabelSet {
    let Some(first) = sets.next() else {
        return LabelSet::new();
    };
    let mut shared = first.clone();
    for set in sets {
        shared.retain(|k, v| set.get(k) == Some(v));
    }
    shared
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn fingerprints_depend_on_labels_only() {
        let a = labels(&[("alertname", "GatewayErrorRate"), ("severity", "critical")]);
        let b = labels(&[("severity", "critical"), ("alertname", "GatewayErrorRate")]);
        assert_eq!(Alert::fingerprint_of(&a), Alert::fingerprint_of(&b));
        let c = labels(&[("alertname", "GatewayErrorRate"), ("severity", "warning")]);
        assert_ne!(Alert::fingerprint_of(&a), Alert::fingerprint_of(&c));
    }

    #[test]
    fn common_labels_are_those_every_alert_shares() {
        let alert = |severity: &str| Alert {
            fingerprint: String::new(),
            labels: labels(&[("alertname", "X"), ("severity", severity)]),
            annotations: LabelSet::new(),
            status: AlertStatus::Firing,
            value: 1.0,
            threshold: "> 0".into(),
            starts_at_millis: 0,
            ends_at_millis: None,
            example_trace_id: None,
        };
        let n = Notification {
            group_key: "X".into(),
            status: AlertStatus::Firing,
            group_labels: labels(&[("alertname", "X")]),
            alerts: vec![alert("warning"), alert("critical")],
            external_url: String::new(),
        };
        assert_eq!(n.common_labels(), labels(&[("alertname", "X")]));
    }
}
