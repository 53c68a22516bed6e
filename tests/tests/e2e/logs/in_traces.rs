//! A record written inside a span: stored field-exact (Python's `logging`
//! over OTLP/HTTP protobuf), shown under that span by `/api/traces/{id}`,
//! found by a word of its body through `/api/logs`.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::sdk_clients::python_logs;
use super::{api, assert_logs_stored};
use crate::harness::Collector;

/// The trace as the API shows it, once its span is stored.
fn trace_view(collector: &Collector, trace_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, view) = api(collector, &format!("/api/traces/{trace_id}"));
        if status == 200 || Instant::now() > deadline {
            assert_eq!(status, 200, "{view}");
            return view;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn bodies(logs: &Value) -> Vec<&str> {
    logs.as_array()
        .map(|logs| logs.iter().filter_map(|l| l["body"].as_str()).collect())
        .unwrap_or_default()
}

#[test]
fn python_logging_inside_a_span_shows_under_it_and_is_found_by_a_word() {
    let collector = Collector::start();
    let sent = python_logs(&collector.http_url(), "http", "none");
    assert_logs_stored(&collector, &sent, "function");

    let trace_id = sent["span"]["trace_id"].as_str().expect("trace id");
    let span_id = sent["span"]["span_id"].as_str().expect("span id");
    let view = trace_view(&collector, trace_id);
    let spans = view["spans"].as_array().expect("spans");
    let span = spans
        .iter()
        .find(|s| s["span_id"] == span_id)
        .expect("the span");
    assert_eq!(
        bodies(&span["logs"]),
        [
            "payment declined for order A-1001",
            r#"{"event":"cart.updated","gift":true,"items":3,"total":42.5}"#,
            "charge failed"
        ],
        "the span's records, oldest first"
    );
    let declined = &span["logs"][0];
    assert_eq!(declined["severity"], "ERROR");
    assert_eq!(declined["severity_number"], 17);
    assert_eq!(declined["attributes"]["order.id"], "A-1001");
    assert_eq!(
        span["logs"][2]["attributes"]["exception.type"],
        "ValueError"
    );
    assert_eq!(
        view["logs"],
        Value::Array(Vec::new()),
        "the record outside the span has no trace"
    );

    let (status, found) = api(&collector, "/api/logs?q=DECLINED&service=py-payments");
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        bodies(&found["logs"]),
        ["payment declined for order A-1001"]
    );
    assert_eq!(found["logs"][0]["trace_id"], trace_id);
    assert_eq!(found["logs"][0]["span_id"], span_id);
    assert_eq!(found["logs"][0]["layer"], "function");

    let (_, in_trace) = api(
        &collector,
        &format!("/api/logs?trace_id={trace_id}&severity=error&window=1h"),
    );
    assert_eq!(
        bodies(&in_trace["logs"]),
        ["charge failed", "payment declined for order A-1001"],
        "the trace's errors, newest first"
    );
    let (_, everything) = api(&collector, "/api/logs?layer=function&limit=10");
    assert_eq!(everything["logs"].as_array().map(Vec::len), Some(4));
    let (status, refused) = api(&collector, "/api/logs?q=declined&level=error");
    assert_eq!(status, 400);
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.contains("unknown parameter 'level'")),
        "{refused}"
    );
}
