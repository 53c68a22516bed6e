//! Faro's payload read as the web SDK sends it: fields named when the
//! shape is wrong, vitals and errors as rum.js's, logs and events as OTLP.

use serde_json::{json, Value};

use super::decode::{payload, rum_batch};
use super::logs;
use crate::ingest::rum::decode::{WireError, WireFrame};
use crate::ingest::IngestError;
use crate::model::rum::{MetricName, NavigationType, Rating};

const NOW: i64 = 1_764_000_000_000;

fn refused(body: &str) -> String {
    match payload(body.as_bytes()) {
        Err(IngestError::BadRequest(message)) => message,
        Ok(_) => panic!("{body} was taken"),
        Err(other) => panic!("{body}: {other:?}"),
    }
}

#[test]
fn a_payload_of_another_shape_is_refused_naming_the_field() {
    assert!(refused("nope").contains("not valid JSON"));
    assert!(refused(r#"{"logs": []}"#).contains("missing field `meta`"));
    assert!(refused(r#"{"meta": {}, "exceptions": {}}"#).starts_with("exceptions: "));
    assert!(refused(r#"{"meta": {}, "logs": [{"message": 7}]}"#).starts_with("logs[0].message: "));
    assert!(refused(r#"{"meta": {"app": {"name": 1}}}"#).starts_with("meta.app.name: "));
}

fn faro(value: Value) -> super::decode::Payload {
    payload(value.to_string().as_bytes()).expect("a payload")
}

#[test]
fn web_vitals_and_exceptions_become_what_rum_js_sends() {
    let mut sent = faro(json!({
        "meta": {"app": {"name": "shop", "version": "2.0"}, "session": {"id": "s-1"},
                 "page": {"id": "p-1", "url": "https://shop.test/cart?x=1"}},
        "measurements": [
            {"type": "web-vitals", "timestamp": "2025-11-24T16:00:00.000Z",
             "values": {"inp": 350, "delta": 350, "input_delay": 2.5},
             "context": {"id": "v5-1-2", "rating": "needs-improvement", "navigation_type": "back_forward", "interaction_target": "#buy"}},
            {"type": "custom", "values": {"n": 1}}
        ],
        "exceptions": [{"type": "TypeError", "value": "x is undefined",
                        "stacktrace": {"frames": [{"filename": "https://shop.test/app.js", "function": "onClick", "lineno": 3, "colno": 9}]}}]
    }));
    let batch = rum_batch(&mut sent, NOW);
    assert_eq!(
        (batch.page.app.as_str(), batch.page.release.as_str()),
        ("shop", "2.0")
    );
    assert_eq!(
        (
            batch.page.session_id.as_str(),
            batch.page.page_view_id.as_str()
        ),
        ("s-1", "p-1")
    );
    assert_eq!(batch.page.path, "/cart");
    let inp = &batch.vitals[0];
    assert_eq!(
        (inp.name, inp.value, inp.rating),
        (MetricName::Inp, 350.0, Rating::NeedsImprovement)
    );
    assert_eq!(inp.navigation_type, Some(NavigationType::BackForward));
    assert_eq!(inp.timestamp_millis, 1_764_000_000_000);
    assert_eq!(inp.attribution.len(), 2, "the other values and context");
    assert_eq!(batch.rejected(), 1);
    assert!(batch.reasons[0].contains("measurements[1]: measurement type 'custom'"));
    let rum_js = WireError {
        message: "x is undefined".into(),
        error_type: Some("TypeError".into()),
        stack: Some(vec![WireFrame {
            file: Some("https://shop.test/app.js".into()),
            function: Some("onClick".into()),
            line: Some(3.0),
            column: Some(9.0),
        }]),
        ts: None,
    };
    let same = rum_js.validate(NOW).ok().expect("valid");
    assert_eq!(batch.errors[0].fingerprint, same.fingerprint);
}

#[test]
fn logs_and_events_become_one_otlp_logs_request() {
    let sent = faro(json!({
        "meta": {"app": {"name": "shop"}, "sdk": {"name": "faro", "version": "2"}},
        "logs": [{"message": "hi", "level": "error", "timestamp": "2025-11-24T16:00:00.000Z",
                  "context": {"k": "v"}, "trace": {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"}}],
        "events": [{"name": "click", "domain": "ui", "attributes": {"target": "#buy"}}]
    }));
    let request = logs::request(&sent.meta, &sent.logs, &sent.events).expect("a request");
    let request: Value = serde_json::from_slice(&request).expect("JSON");
    let scope = &request["resourceLogs"][0]["scopeLogs"][0];
    assert_eq!(scope["scope"]["name"], "faro");
    let [log, event] = [&scope["logRecords"][0], &scope["logRecords"][1]];
    assert_eq!(
        (log["severityNumber"].as_u64(), log["severityText"].as_str()),
        (Some(17), Some("error"))
    );
    assert_eq!(log["timeUnixNano"], "1764000000000000000");
    assert_eq!(log["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(event["eventName"], "click");
    assert!(event["attributes"].to_string().contains("event.domain"));
    assert!(logs::request(&sent.meta, &[], &[]).is_none());
}
