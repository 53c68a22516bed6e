//! Alerting's memory: `alert_events` (one row per change: pending,
//! cleared, firing, resolved, notified), `alert_state` (the engine's whole
//! state after a change, as alerting encodes it) and `alert_silences` (one
//! row per version of a silence). The rows are the store's own: alerting
//! converts its types into them, so the store knows columns, not rules.
//! Written by [`crate::store::writer::insert_now`] while the evaluation
//! (or the API call) waits; read back in `store::queries`.

use serde::Deserialize;

use super::Table;
use crate::model::alert::LabelSet;
use crate::store::rowbinary::{
    put_datetime64_millis, put_f64, put_nullable, put_str, put_str_array, put_str_map,
};

pub struct AlertEventTable;

/// One change of one alert, or one notification of a group.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEventRow {
    pub at_millis: i64,
    /// `pending`, `cleared`, `firing`, `resolved`, `notified_firing` or
    /// `notified_resolved`.
    pub event: &'static str,
    pub fingerprint: String,
    pub alert_name: String,
    pub severity: String,
    /// The alert's labels, or a notified group's.
    pub labels: LabelSet,
    pub annotations: LabelSet,
    pub value: f64,
    pub threshold: String,
    pub starts_at_millis: i64,
    pub ends_at_millis: Option<i64>,
    pub example_trace_id: String,
    pub group_key: String,
    /// The alerts a notification told of.
    pub fingerprints: Vec<String>,
    /// The collector that recorded it.
    pub instance: String,
}

impl Table for AlertEventTable {
    type Record = AlertEventRow;

    const NAME: &'static str = "alert_events";

    const COLUMNS: &'static [&'static str] = &[
        "Time",
        "Event",
        "Fingerprint",
        "AlertName",
        "Severity",
        "Labels",
        "Annotations",
        "Value",
        "Threshold",
        "StartsAt",
        "EndsAt",
        "ExampleTraceId",
        "GroupKey",
        "Fingerprints",
        "Instance",
    ];

    fn encode(row: &AlertEventRow, buf: &mut Vec<u8>) {
        put_datetime64_millis(buf, row.at_millis);
        for text in [row.event, &row.fingerprint, &row.alert_name, &row.severity] {
            put_str(buf, text.as_bytes());
        }
        put_str_map(buf, &row.labels);
        put_str_map(buf, &row.annotations);
        put_f64(buf, row.value);
        put_str(buf, row.threshold.as_bytes());
        put_datetime64_millis(buf, row.starts_at_millis);
        put_nullable(buf, row.ends_at_millis, put_datetime64_millis);
        put_str(buf, row.example_trace_id.as_bytes());
        put_str(buf, row.group_key.as_bytes());
        put_str_array(buf, &row.fingerprints);
        put_str(buf, row.instance.as_bytes());
    }
}

pub struct AlertStateTable;

/// The engine's state as saved after a change.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedState {
    pub saved_at_millis: i64,
    pub instance: String,
    /// As alerting encodes it (JSON); the store keeps it as text.
    pub state: String,
}

impl Table for AlertStateTable {
    type Record = SavedState;

    const NAME: &'static str = "alert_state";

    const COLUMNS: &'static [&'static str] = &["SavedAt", "Instance", "State"];

    fn encode(saved: &SavedState, buf: &mut Vec<u8>) {
        put_datetime64_millis(buf, saved.saved_at_millis);
        put_str(buf, saved.instance.as_bytes());
        put_str(buf, saved.state.as_bytes());
    }
}

pub struct SilenceTable;

/// One version of a silence (created, then expired early by a newer
/// version); the newest version of an id counts. Read back as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SilenceVersion {
    pub id: String,
    /// `label=value` or `label=~regex`, as alerting writes them.
    pub matchers: Vec<String>,
    pub starts_at_millis: i64,
    /// Exclusive.
    pub ends_at_millis: i64,
    pub comment: String,
    pub created_by: String,
    pub updated_at_millis: i64,
}

impl Table for SilenceTable {
    type Record = SilenceVersion;

    const NAME: &'static str = "alert_silences";

    const COLUMNS: &'static [&'static str] = &[
        "Id",
        "Matchers",
        "StartsAt",
        "EndsAt",
        "Comment",
        "CreatedBy",
        "UpdatedAt",
    ];

    fn encode(silence: &SilenceVersion, buf: &mut Vec<u8>) {
        put_str(buf, silence.id.as_bytes());
        put_str_array(buf, &silence.matchers);
        put_datetime64_millis(buf, silence.starts_at_millis);
        put_datetime64_millis(buf, silence.ends_at_millis);
        put_str(buf, silence.comment.as_bytes());
        put_str(buf, silence.created_by.as_bytes());
        put_datetime64_millis(buf, silence.updated_at_millis);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_row_is_its_columns_in_order() {
        let row = AlertEventRow {
            at_millis: 1,
            event: "firing",
            fingerprint: "f".into(),
            alert_name: "A".into(),
            severity: "critical".into(),
            labels: LabelSet::from([("k".to_owned(), "v".to_owned())]),
            annotations: LabelSet::new(),
            value: 2.5,
            threshold: "> 1".into(),
            starts_at_millis: 3,
            ends_at_millis: None,
            example_trace_id: String::new(),
            group_key: String::new(),
            fingerprints: vec!["x".into()],
            instance: "i".into(),
        };
        let mut buf = Vec::new();
        AlertEventTable::encode(&row, &mut buf);
        let mut expected = 1i64.to_le_bytes().to_vec();
        expected.push(6);
        expected.extend(b"firing");
        expected.extend([1, b'f', 1, b'A', 8]);
        expected.extend(b"critical");
        expected.extend([1, 1, b'k', 1, b'v', 0]);
        expected.extend(2.5f64.to_le_bytes());
        expected.push(3);
        expected.extend(b"> 1");
        expected.extend(3i64.to_le_bytes());
        expected.extend([1, 0, 0, 1, 1, b'x', 1, b'i']);
        assert_eq!(buf, expected);
        let ended = AlertEventRow {
            ends_at_millis: Some(4),
            ..row
        };
        let mut buf = Vec::new();
        AlertEventTable::encode(&ended, &mut buf);
        let mut end = vec![0];
        end.extend(4i64.to_le_bytes());
        assert!(buf.windows(end.len()).any(|w| w == end.as_slice()));
    }

    #[test]
    fn every_table_names_its_columns() {
        assert_eq!(
            AlertStateTable::insert_sql(),
            "INSERT INTO alert_state (SavedAt, Instance, State) FORMAT RowBinary"
        );
        assert_eq!(
            SilenceTable::insert_sql(),
            "INSERT INTO alert_silences (Id, Matchers, StartsAt, EndsAt, Comment, CreatedBy, UpdatedAt) FORMAT RowBinary"
        );
    }
}
