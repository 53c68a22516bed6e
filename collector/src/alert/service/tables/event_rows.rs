//! How alerting's events are recorded: each [`AlertEvent`] as one row of
//! `alert_events`, the event named as the history shows it.

use crate::alert::engine::AlertEvent;
use crate::model::alert::{Alert, AlertStatus, LabelSet};
use crate::store::rows::AlertEventRow;

/// `event` as recorded by the collector `instance`.
pub(super) fn event_row(event: &AlertEvent, instance: &str) -> AlertEventRow {
    let mut row = AlertEventRow {
        at_millis: 0,
        event: "",
        fingerprint: String::new(),
        alert_name: String::new(),
        severity: String::new(),
        labels: LabelSet::new(),
        annotations: LabelSet::new(),
        value: 0.0,
        threshold: String::new(),
        starts_at_millis: 0,
        ends_at_millis: None,
        example_trace_id: String::new(),
        group_key: String::new(),
        fingerprints: Vec::new(),
        instance: instance.to_owned(),
    };
    // Events without an alert start when they happen.
    let mut starts_at = None;
    row.at_millis = match event {
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
            starts_at = Some(fill_alert(&mut row, alert));
            *at_millis
        }
        AlertEvent::Resolved { at_millis, alert } => {
            row.event = "resolved";
            starts_at = Some(fill_alert(&mut row, alert));
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
    row.starts_at_millis = starts_at.unwrap_or(row.at_millis);
    row.alert_name = row.labels.get("alertname").cloned().unwrap_or_default();
    row.severity = row.labels.get("severity").cloned().unwrap_or_default();
    row
}

/// Copies what `alert` says into `row`; returns when the alert started.
fn fill_alert(row: &mut AlertEventRow, alert: &Alert) -> i64 {
    row.fingerprint = alert.fingerprint.clone();
    row.labels = alert.labels.clone();
    row.annotations = alert.annotations.clone();
    row.value = if alert.value.is_finite() {
        alert.value
    } else {
        0.0
    };
    row.threshold = alert.threshold.clone();
    row.ends_at_millis = alert.ends_at_millis;
    row.example_trace_id = alert.example_trace_id.clone().unwrap_or_default();
    alert.starts_at_millis
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_name_their_alert_and_start() {
        let labels = LabelSet::from([
            ("alertname".to_owned(), "Slow".to_owned()),
            ("severity".to_owned(), "warning".to_owned()),
        ]);
        let pending = event_row(
            &AlertEvent::Pending {
                at_millis: 5,
                fingerprint: "f".into(),
                labels: labels.clone(),
            },
            "me",
        );
        assert_eq!(
            (
                pending.event,
                pending.alert_name.as_str(),
                pending.severity.as_str()
            ),
            ("pending", "Slow", "warning")
        );
        assert_eq!(
            (pending.starts_at_millis, pending.instance.as_str()),
            (5, "me")
        );
        let alert = Alert {
            fingerprint: "f".into(),
            labels,
            annotations: LabelSet::new(),
            status: AlertStatus::Resolved,
            value: f64::NAN,
            threshold: "> 1".into(),
            starts_at_millis: 2,
            ends_at_millis: Some(9),
            example_trace_id: None,
        };
        let resolved = event_row(
            &AlertEvent::Resolved {
                at_millis: 9,
                alert,
            },
            "me",
        );
        assert_eq!(resolved.event, "resolved");
        assert_eq!(
            (resolved.starts_at_millis, resolved.ends_at_millis),
            (2, Some(9))
        );
        assert_eq!(resolved.value, 0.0);
        let notified = event_row(
            &AlertEvent::Notified {
                at_millis: 10,
                group_key: "g".into(),
                group_labels: LabelSet::new(),
                status: AlertStatus::Firing,
                fingerprints: vec!["f".into()],
            },
            "me",
        );
        assert_eq!(
            (notified.event, notified.starts_at_millis),
            ("notified_firing", 10)
        );
    }
}
