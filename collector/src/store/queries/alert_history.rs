//! Alerting's memory read back: the event history (`alert_events`, newest
//! first, for the API and the web UI) and the newest saved engine state
//! (`alert_state`, what a collector continues from and what is active).

use serde::{Deserialize, Serialize};

use super::{fetch_json, Queries, QueryError};
use crate::model::alert::LabelSet;

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

impl Queries {
    /// The newest saved engine state, as alerting encoded it; `None` when
    /// none was saved.
    pub async fn saved_alert_state(&self) -> Result<Option<String>, QueryError> {
        let rows: Vec<StateRow> = fetch_json(
            self.query("SELECT State AS state FROM alert_state ORDER BY SavedAt DESC LIMIT 1"),
            "reading the alert state",
        )
        .await?;
        Ok(rows.into_iter().next().map(|row| row.state))
    }

    /// The newest events first, at most `limit`, optionally of one alert.
    pub async fn alert_history(
        &self,
        limit: u32,
        alertname: Option<&str>,
    ) -> Result<Vec<HistoryEntry>, QueryError> {
        fetch_json(
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
}
