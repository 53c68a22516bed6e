//! Shared test data for the receivers' and renderers' unit tests.

use crate::model::alert::{Alert, AlertStatus, LabelSet, Notification};

pub const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
/// 2026-11-23T10:00:00Z
pub const STARTS: i64 = 1_795_428_000_000;

pub fn labels(pairs: &[(&str, &str)]) -> LabelSet {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn alert(status: AlertStatus) -> Alert {
    let labels = labels(&[
        ("alertname", "GatewayErrorRate"),
        ("severity", "critical"),
        ("service", "api-gateway"),
    ]);
    Alert {
        fingerprint: Alert::fingerprint_of(&labels),
        labels,
        annotations: self::labels(&[
            ("summary", "Gateway error rate above 1 %"),
            ("description", "5xx answers from the gateway <b>rose</b>"),
        ]),
        status,
        value: 0.034,
        threshold: "> 0.01".into(),
        starts_at_millis: STARTS,
        ends_at_millis: (status == AlertStatus::Resolved).then_some(STARTS + 600_000),
        example_trace_id: Some(TRACE_ID.into()),
    }
}

pub fn notification(status: AlertStatus) -> Notification {
    Notification {
        group_key: "{}:{alertname=\"GatewayErrorRate\"}".into(),
        status,
        group_labels: labels(&[("alertname", "GatewayErrorRate")]),
        alerts: vec![alert(status)],
        external_url: "https://jamscope.example/".into(),
    }
}

/// What receivers are built with in tests: nothing is sent.
pub fn shared() -> crate::notify::Shared {
    crate::notify::Shared::new(std::time::Duration::from_secs(1)).expect("shared")
}
