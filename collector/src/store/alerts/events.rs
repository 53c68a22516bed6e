//! `alert_events` (one row per change: pending, cleared, firing, resolved,
//! notified) and `alert_state` (the engine's whole state after a change;
//! the newest row is what a collector continues from).

use serde::{Deserialize, Serialize};

use super::{clickhouse_time, AlertStore};
use crate::alert::engine::{AlertEvent, EngineState};
use crate::model::alert::{Alert, AlertStatus, LabelSet};
use crate::store::queries::QueryError;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EventRow {
    time: String,
    event: &'static str,
    fingerprint: String,
    alert_name: String,
    severity: String,
    labels: LabelSet,
    annotations: LabelSet,
    value: f64,
    threshold: String,
    starts_at: String,
    ends_at: Option<String>,
    example_trace_id: String,
    group_key: String,
    fingerprints: Vec<String>,
    instance: String,
}

/// One row of `GET /api/alerts/history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub time_millis: i64,
    pub event: String,
    pub fingerprint: String,
    pub alertname: String,
    pub severity: String,
    pub labels: LabelSet,
    pub annotations: LabelSet,
    pub value: f64,
    pub threshold: String,
    pub starts_at_millis: i64,
    pub ends_at_millis: Option<i64>,
    pub example_trace_id: String,
    pub group_key: String,
    pub fingerprints: Vec<String>,
}

#[derive(Deserialize)]
struct StateRow {
    state: String,
}

impl AlertStore {
    /// Records `events`, then `state`: a collector taking over reads the
    /// state, and the history never lacks what led to it.
    pub async fn save(
        &self,
        now_millis: i64,
        state: &EngineState,
        events: &[AlertEvent],
    ) -> Result<(), QueryError> {
        let rows: Vec<EventRow> = events.iter().map(|e| self.event_row(e)).collect();
        self.insert_json("alert_events", &rows, "recording alert events")
            .await?;
        let state = serde_json::to_string(state).map_err(|e| QueryError::Decode {
            what: "saving the alert state",
            message: e.to_string(),
        })?;
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Row<'a> {
            saved_at: String,
            instance: &'a str,
            state: String,
        }
        self.insert_json(
            "alert_state",
            &[Row {
                saved_at: clickhouse_time(now_millis),
                instance: &self.instance,
                state,
            }],
            "saving the alert state",
        )
        .await
    }

    /// The newest saved state, if any was saved.
    pub async fn load_state(&self) -> Result<Option<EngineState>, QueryError> {
        let what = "reading the alert state";
        let rows: Vec<StateRow> = crate::store::queries::fetch_json(
            self.query("SELECT State AS state FROM alert_state ORDER BY SavedAt DESC LIMIT 1"),
            what,
        )
        .await?;
        rows.into_iter()
            .next()
            .map(|row| {
                serde_json::from_str(&row.state).map_err(|e| QueryError::Decode {
                    what,
                    message: e.to_string(),
                })
            })
            .transpose()
    }

    /// The newest events first, at most `limit`, optionally of one alert.
    pub async fn history(
        &self,
        limit: u32,
        alertname: Option<&str>,
    ) -> Result<Vec<HistoryEntry>, QueryError> {
        crate::store::queries::fetch_json(
            self.query(
                "SELECT toUnixTimestamp64Milli(Time) AS time_millis, Event AS event, \
                        Fingerprint AS fingerprint, AlertName AS alertname, Severity AS severity, \
                        Labels AS labels, Annotations AS annotations, Value AS value, \
                        Threshold AS threshold, toUnixTimestamp64Milli(StartsAt) AS starts_at_millis, \
                        toUnixTimestamp64Milli(EndsAt) AS ends_at_millis, \
                        ExampleTraceId AS example_trace_id, GroupKey AS group_key, \
                        Fingerprints AS fingerprints \
                 FROM alert_events \
                 WHERE {name:String} = '' OR AlertName = {name:String} \
                 ORDER BY Time DESC LIMIT {limit:UInt32}",
            )
            .param("name", alertname.unwrap_or(""))
            .param("limit", limit),
            "reading the alert history",
        )
        .await
    }

    fn event_row(&self, event: &AlertEvent) -> EventRow {
        let mut row = EventRow {
            time: String::new(),
            event: "",
            fingerprint: String::new(),
            alert_name: String::new(),
            severity: String::new(),
            labels: LabelSet::new(),
            annotations: LabelSet::new(),
            value: 0.0,
            threshold: String::new(),
            starts_at: String::new(),
            ends_at: None,
            example_trace_id: String::new(),
            group_key: String::new(),
            fingerprints: Vec::new(),
            instance: self.instance.clone(),
        };
        let at = match event {
            AlertEvent::Pending {
                at_millis,
                fingerprint,
                labels,
            } => {
                row.event = "pending";
                row.fingerprint = fingerprint.clone();
                row.labels = labels.clone();
                *at_millis
            }
            AlertEvent::Cleared {
                at_millis,
                fingerprint,
            } => {
                row.event = "cleared";
                row.fingerprint = fingerprint.clone();
                *at_millis
            }
            AlertEvent::Firing { at_millis, alert } => {
                row.event = "firing";
                fill_alert(&mut row, alert);
                *at_millis
            }
            AlertEvent::Resolved { at_millis, alert } => {
                row.event = "resolved";
                fill_alert(&mut row, alert);
                *at_millis
            }
            AlertEvent::Notified {
                at_millis,
                group_key,
                group_labels,
                status,
                fingerprints,
            } => {
                row.labels = group_labels.clone();
                row.event = match status {
                    AlertStatus::Firing => "notified_firing",
                    AlertStatus::Resolved => "notified_resolved",
                };
                row.group_key = group_key.clone();
                row.fingerprints = fingerprints.clone();
                *at_millis
            }
        };
        row.alert_name = row.labels.get("alertname").cloned().unwrap_or_default();
        row.severity = row.labels.get("severity").cloned().unwrap_or_default();
        row.time = clickhouse_time(at);
        if row.starts_at.is_empty() {
            row.starts_at = row.time.clone();
        }
        row
    }
}

fn fill_alert(row: &mut EventRow, alert: &Alert) {
    row.fingerprint = alert.fingerprint.clone();
    row.labels = alert.labels.clone();
    row.annotations = alert.annotations.clone();
    row.value = if alert.value.is_finite() {
        alert.value
    } else {
        0.0
    };
    row.threshold = alert.threshold.clone();
    row.starts_at = clickhouse_time(alert.starts_at_millis);
    row.ends_at = alert.ends_at_millis.map(clickhouse_time);
    row.example_trace_id = alert.example_trace_id.clone().unwrap_or_default();
}
