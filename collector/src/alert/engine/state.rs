//! The engine's whole memory, serde-serializable so it can be persisted
//! (ClickHouse `alert_events`, later) and restored without losing or
//! re-sending a firing alert: each alert's phase, and per group what its
//! receivers were last told and when the group may notify next.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::alert::{Alert, AlertStatus, LabelSet};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EngineState {
    /// By fingerprint.
    pub alerts: BTreeMap<String, TrackedAlert>,
    /// By group key.
    pub groups: BTreeMap<String, GroupState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Breaching, but not yet for the rule's `for`.
    Pending,
    Firing,
    /// No longer breaching; kept until its group has told its receivers.
    Resolved,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackedAlert {
    pub phase: Phase,
    /// When the breach began (also the alert's `starts_at`).
    pub active_since_millis: i64,
    /// The last tick it breached at (`keep_firing_for` counts from here).
    #[serde(default)]
    pub last_breach_millis: i64,
    pub group_key: String,
    pub alert: Alert,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupState {
    pub labels: LabelSet,
    /// The group notifies (if anything changed, or to repeat) at the first
    /// tick at or after this time.
    pub next_flush_millis: i64,
    pub last_notified_millis: Option<i64>,
    /// Fingerprints its receivers last heard as firing.
    pub notified_firing: BTreeSet<String>,
}

/// What changed in a tick, one row each for the `alert_events` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum AlertEvent {
    Pending {
        at_millis: i64,
        fingerprint: String,
        labels: LabelSet,
    },
    /// A pending alert stopped breaching before its `for` elapsed.
    Cleared {
        at_millis: i64,
        fingerprint: String,
    },
    Firing {
        at_millis: i64,
        alert: Alert,
    },
    Resolved {
        at_millis: i64,
        alert: Alert,
    },
    Notified {
        at_millis: i64,
        group_key: String,
        /// The group's `group_by` labels (the history is searched by them).
        #[serde(default)]
        group_labels: LabelSet,
        status: AlertStatus,
        fingerprints: Vec<String>,
    },
}
