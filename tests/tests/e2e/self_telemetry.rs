//! The collector observing itself: its own spans exported over OTLP to
//! itself land in `otel_traces` without feeding back, `/metrics` counts
//! records per signal and reason, and `log_format = "json"` logs JSON.

use std::time::{Duration, Instant};

use prost::Message as _;
use serde_json::Value;

use crate::harness::{
    metric, metrics_text, post_beacon, run_jamscope, Collector, CollectorOptions,
};
use crate::payload::{post, request, span};

const PROTOBUF: Option<&str> = Some("application/x-protobuf");

/// Client requests sent; each is written in a chunk of its own.
const CLIENT_REQUESTS: u64 = 3;
const VALID_PER_REQUEST: u64 = 5;

fn count(collector: &Collector, sql: &str) -> u64 {
    collector.query(sql)[0]["n"].as_u64().expect("a count")
}

fn own_spans(collector: &Collector) -> u64 {
    count(
        collector,
        "SELECT count() AS n FROM otel_traces WHERE ServiceName = 'jamscope'",
    )
}

/// Polls `check` until it holds or 30 s pass; returns whether it held.
fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    false
}

#[test]
fn own_spans_land_in_otel_traces_bounded_by_client_traffic() {
    let collector = Collector::start_with(
        CollectorOptions {
            self_telemetry_to_self: true,
            ..Default::default()
        }
        .env("JAMSCOPE_SELF_TELEMETRY_INTERVAL_SECS", "1"),
    );
    assert!(
        collector
            .output()
            .contains("self_telemetry.endpoint is this collector"),
        "{}",
        collector.output()
    );

    let url = format!("{}/v1/traces", collector.http_url());
    for _ in 0..CLIENT_REQUESTS {
        let mut spans: Vec<_> = (0..VALID_PER_REQUEST).map(|_| span("checkout")).collect();
        let mut bad = span("bad-id");
        bad.trace_id = vec![1; 8];
        spans.push(bad);
        let (status, _, _) = post(
            &url,
            PROTOBUF,
            None,
            request("shop-api", spans).encode_to_vec(),
        );
        assert_eq!(status, 200);
        // Past the 200 ms flush interval: the next request is another chunk.
        std::thread::sleep(Duration::from_millis(500));
    }
    let rum = r#"{"app":"shop","events":[{"type":"page_view"},{"type":"vital","name":"LCP","value":-1,"id":"v1"},{"type":"click"}]}"#;
    assert_eq!(post_beacon(&collector, rum), 200);
    let (status, _, _) = post(&url, Some("text/xml"), None, b"<spans/>".to_vec());
    assert_eq!(status, 415);

    // Their spans name the table each insert went to.
    let spans_named = |name: &str| {
        count(
            &collector,
            &format!(
                "SELECT count() AS n FROM otel_traces WHERE ServiceName = 'jamscope' AND SpanName = '{name}'"
            ),
        )
    };
    assert!(
        eventually(
            || spans_named("INSERT otel_traces") > 0 && spans_named("INSERT rum_page_views") > 0
        ),
        "no insert spans of the collector's own:\n{}",
        collector.output()
    );
    assert_eq!(spans_named("migrate"), 1, "one migration run, one span");

    // Feedback: once the client stops, the count stops. Wait until it
    // stood still for 3 s, then 5 s more must add nothing.
    let mut last = (own_spans(&collector), Instant::now());
    assert!(
        eventually(|| {
            let now = own_spans(&collector);
            if now != last.0 {
                last = (now, Instant::now());
            }
            last.1.elapsed() > Duration::from_secs(3)
        }),
        "the collector's own spans kept growing: {}",
        last.0
    );
    std::thread::sleep(Duration::from_secs(5));
    let own = own_spans(&collector);
    assert_eq!(own, last.0, "own spans grew without client traffic");

    // One written insert per chunk holding client rows, and those inserts
    // together wrote every client span.
    let inserts = collector.query(
        "SELECT count() AS n, sum(toUInt64(SpanAttributes['jamscope.rows'])) AS rows \
         FROM otel_traces WHERE ServiceName = 'jamscope' AND SpanName = 'INSERT otel_traces' \
         AND SpanAttributes['jamscope.outcome'] = 'written' \
         AND SpanAttributes['db.collection.name'] = 'otel_traces'",
    );
    let written_inserts = inserts[0]["n"].as_u64().unwrap();
    assert!(
        (1..=CLIENT_REQUESTS).contains(&written_inserts),
        "{written_inserts} insert spans for {CLIENT_REQUESTS} client chunks"
    );
    assert!(
        inserts[0]["rows"].as_u64().unwrap() >= CLIENT_REQUESTS * VALID_PER_REQUEST,
        "{inserts:?}"
    );

    // /metrics counts per signal; the collector's own spans are spans
    // received too.
    let text = metrics_text(&collector);
    let valid = CLIENT_REQUESTS * VALID_PER_REQUEST;
    let expect = [
        (
            "jamscope_records_received_total{signal=\"spans\"}",
            valid + CLIENT_REQUESTS + own,
        ),
        (
            "jamscope_records_accepted_total{signal=\"spans\"}",
            valid + own,
        ),
        (
            "jamscope_records_rejected_total{signal=\"spans\",reason=\"invalid_id\"}",
            CLIENT_REQUESTS,
        ),
        ("jamscope_spans_accepted_total", valid + own),
        (
            "jamscope_records_accepted_total{signal=\"rum_page_views\"}",
            1,
        ),
        ("jamscope_records_received_total{signal=\"rum_vitals\"}", 1),
        (
            "jamscope_records_rejected_total{signal=\"rum_vitals\",reason=\"invalid_value\"}",
            1,
        ),
        (
            "jamscope_records_rejected_total{signal=\"rum_unknown\",reason=\"invalid_value\"}",
            1,
        ),
        (
            "jamscope_requests_refused_total{receiver=\"otlp_http\",status=\"415\"}",
            1,
        ),
        ("jamscope_rum_events_rejected_total", 2),
    ];
    for (series, value) in expect {
        assert_eq!(metric(&text, series), Some(value), "{series}:\n{text}");
    }
}

/// Lines of the collector's output that are logs, not the banner.
fn log_lines(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|line| *line != "Jamscope is ready." && !line.starts_with("  "))
        .collect()
}

#[test]
fn json_log_format_writes_one_json_object_per_line() {
    let mut collector =
        Collector::start_with(CollectorOptions::default().env("JAMSCOPE_LOG_FORMAT", "json"));
    let status = collector.stop();
    assert!(status.success(), "{}", collector.output());
    let output = collector.output();
    let logs: Vec<Value> = log_lines(&output)
        .into_iter()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {line}\n{output}"))
        })
        .collect();
    assert!(
        logs.iter()
            .all(|log| log["level"].is_string() && log["fields"]["message"].is_string()),
        "{output}"
    );
    let stopped = logs
        .iter()
        .find(|log| log["fields"]["message"] == "stopped")
        .unwrap_or_else(|| panic!("no `stopped` line:\n{output}"));
    assert_eq!(stopped["fields"]["rows_lost"], 0, "{output}");
}

#[test]
fn configuration_errors_are_printed_whatever_the_log_format() {
    let output = run_jamscope(
        &["config", "check"],
        &[
            ("JAMSCOPE_LOG_FORMAT", "json"),
            ("JAMSCOPE_CLICKHOUSE_URL", "ftp://nowhere"),
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("clickhouse.url"), "{stderr}");

    let output = run_jamscope(&["config", "check"], &[("JAMSCOPE_LOG_FORMAT", "yaml")]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("LOG_FORMAT"), "{stderr}");
}
