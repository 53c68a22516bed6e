//! What differs for OTLP from pages: Web Vitals events leave the log
//! records as vitals, and every record is the browser layer.

use serde_json::json;

use super::vitals::take_vitals;
use crate::ingest::otlp::logs::json::decode;
use crate::model::rum::MetricName;
use crate::model::{Layer, LayerRules, SpanLimits, TimeWindow};

#[test]
fn web_vital_events_become_vitals_and_leave_the_log_records() {
    let now = 1_764_000_000_000_000_000_u64;
    let attribute = |key: &str, value: serde_json::Value| json!({"key": key, "value": value});
    let body = json!({"resourceLogs": [{
        "resource": {"attributes": [attribute("service.name", json!({"stringValue": "shop"})),
                                    attribute("jamstack.layer", json!({"stringValue": "cms"}))]},
        "scopeLogs": [{"logRecords": [
            {"timeUnixNano": now.to_string(), "eventName": "browser.web_vital", "attributes": [
                attribute("browser.web_vital.name", json!({"stringValue": "CLS"})),
                attribute("browser.web_vital.value", json!({"doubleValue": 0.3})),
                attribute("browser.web_vital.id", json!({"stringValue": "v5-1-1"})),
                attribute("session.id", json!({"stringValue": "s-9"}))]},
            {"timeUnixNano": now.to_string(), "eventName": "browser.web_vital", "attributes": [
                attribute("browser.web_vital.name", json!({"stringValue": "TBT"}))]},
            {"timeUnixNano": now.to_string(), "body": {"stringValue": "kept"}}
        ]}]
    }]})
    .to_string();
    let window = TimeWindow::around(now, u64::MAX / 4, u64::MAX / 4);
    let mut logs = decode(
        body.as_bytes(),
        &LayerRules::only(Layer::Browser),
        &window,
        &SpanLimits::default(),
    )
    .expect("decodes");
    assert_eq!(logs.records[0].origin.resource.layer, Layer::Browser);
    let vitals = take_vitals(&mut logs.records, 1_764_000_000_000).expect("vitals");
    assert_eq!(
        logs.records.len(),
        1,
        "only the plain record is a log record"
    );
    assert_eq!(
        (vitals.page.app.as_str(), vitals.page.session_id.as_str()),
        ("shop", "s-9")
    );
    assert_eq!(vitals.vitals[0].name, MetricName::Cls);
    assert_eq!(vitals.rejected(), 1);
    assert!(vitals.reasons[0].contains("browser.web_vital 1: unknown metric name 'TBT'"));
    assert!(take_vitals(&mut logs.records, 0).is_none());
}
