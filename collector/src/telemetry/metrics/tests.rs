//! The exposition keeps every name, label and value it has always had.

use std::time::Duration;

use axum::http::StatusCode;

use super::*;
use crate::pipeline::queue;
use crate::telemetry::outcome::Rejections;
use crate::telemetry::{FailureClass, SpoolStats};

/// The value on the line that starts with `series` followed by a space.
fn value(text: &str, series: &str) -> Option<String> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(str::to_owned)
}

#[test]
fn existing_names_and_labels_render_as_before() {
    let metrics = Metrics::default();
    let (spans, _receiver) = queue::<u8>(100);
    let stats = metrics.table("otel_traces", spans.depth());
    metrics.ingest().spans_acknowledged(7, 2);
    metrics.ingest().rum_events(101, 15);
    metrics
        .ingest()
        .request_refused(Receiver::OtlpHttp, StatusCode::TOO_MANY_REQUESTS);
    metrics
        .ingest()
        .request_refused(Receiver::Rum, StatusCode::BAD_REQUEST);
    stats.insert_succeeded(7, Duration::from_millis(30));
    stats.insert_failed(FailureClass::Transient);
    stats.insert_failed(FailureClass::Permanent);
    stats.dead_lettered(3, "rejected_rows");
    stats.dead_lettered(1, "nowhere");
    stats.spilled(5);
    stats.replayed(4);
    stats.lost(1);
    stats.spool_damaged(2);
    stats.set_spool(SpoolStats {
        bytes: 4096,
        segments: 1,
        chunks: 1,
        rows: 5,
    });
    let text = metrics.render();
    let expect = [
        ("jamscope_spans_accepted_total", "7"),
        ("jamscope_spans_rejected_total", "2"),
        ("jamscope_requests_refused_overload_total", "1"),
        ("jamscope_requests_invalid_total", "1"),
        ("jamscope_rum_events_accepted_total", "101"),
        ("jamscope_rum_events_rejected_total", "15"),
        ("jamscope_queue_records{table=\"otel_traces\"}", "0"),
        ("jamscope_queue_bytes{table=\"otel_traces\"}", "0"),
        (
            "jamscope_queue_capacity_bytes{table=\"otel_traces\"}",
            "100",
        ),
        ("jamscope_rows_written_total{table=\"otel_traces\"}", "7"),
        ("jamscope_rows_replayed_total{table=\"otel_traces\"}", "4"),
        ("jamscope_rows_spilled_total{table=\"otel_traces\"}", "5"),
        ("jamscope_rows_lost_total{table=\"otel_traces\"}", "1"),
        (
            "jamscope_rows_dead_lettered_total{table=\"otel_traces\",kept_in=\"rejected_rows\"}",
            "3",
        ),
        (
            "jamscope_rows_dead_lettered_total{table=\"otel_traces\",kept_in=\"file\"}",
            "0",
        ),
        (
            "jamscope_rows_dead_lettered_total{table=\"otel_traces\",kept_in=\"nowhere\"}",
            "1",
        ),
        (
            "jamscope_insert_failures_total{table=\"otel_traces\",class=\"transient\"}",
            "1",
        ),
        (
            "jamscope_insert_failures_total{table=\"otel_traces\",class=\"permanent\"}",
            "1",
        ),
        ("jamscope_insert_failing{table=\"otel_traces\"}", "1"),
        ("jamscope_spool_bytes{table=\"otel_traces\"}", "4096"),
        ("jamscope_spool_segments{table=\"otel_traces\"}", "1"),
        ("jamscope_spool_rows{table=\"otel_traces\"}", "5"),
        (
            "jamscope_spool_damaged_segments_total{table=\"otel_traces\"}",
            "2",
        ),
        (
            "jamscope_insert_duration_seconds_count{table=\"otel_traces\"}",
            "1",
        ),
        (
            "jamscope_insert_duration_seconds_bucket{le=\"0.05\",table=\"otel_traces\"}",
            "1",
        ),
        (
            "jamscope_insert_duration_seconds_bucket{le=\"0.025\",table=\"otel_traces\"}",
            "0",
        ),
        (
            "jamscope_insert_duration_seconds_bucket{le=\"+Inf\",table=\"otel_traces\"}",
            "1",
        ),
    ];
    // The one change from the hand-written rendering: OpenMetrics
    // histograms put `le` first and write bounds as floats (`1.0`).
    for (series, expected) in expect {
        assert_eq!(
            value(&text, series).as_deref(),
            Some(expected),
            "{series} in:\n{text}"
        );
    }
    assert!(
        text.contains("# HELP jamscope_rows_written Rows ClickHouse confirmed.\n# TYPE jamscope_rows_written counter\n"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE jamscope_insert_duration_seconds histogram\n"),
        "{text}"
    );
    assert!(!text.contains("_total_total"), "{text}");
}

#[test]
fn per_signal_counters_move_with_their_reasons() {
    let metrics = Metrics::default();
    let text = metrics.render();
    for signal in ["spans", "rum_vitals", "rum_errors", "rum_page_views"] {
        assert_eq!(
            value(
                &text,
                &format!("jamscope_records_received_total{{signal=\"{signal}\"}}")
            )
            .as_deref(),
            Some("0"),
            "{text}"
        );
    }

    metrics.ingest().records_accepted(Signal::Spans, 5);
    let mut rejections = Rejections::default();
    rejections.add(Signal::Spans, RejectReason::InvalidId, 2);
    rejections.add(Signal::RumVitals, RejectReason::BatchLimit, 3);
    metrics.ingest().records_rejected(&rejections);
    metrics
        .ingest()
        .request_refused(Receiver::OtlpGrpc, StatusCode::TOO_MANY_REQUESTS);
    metrics
        .ingest()
        .request_refused(Receiver::OtlpGrpc, StatusCode::TOO_MANY_REQUESTS);

    let text = metrics.render();
    let expect = [
        ("jamscope_records_received_total{signal=\"spans\"}", "7"),
        ("jamscope_records_accepted_total{signal=\"spans\"}", "5"),
        (
            "jamscope_records_rejected_total{signal=\"spans\",reason=\"invalid_id\"}",
            "2",
        ),
        (
            "jamscope_records_received_total{signal=\"rum_vitals\"}",
            "3",
        ),
        (
            "jamscope_records_accepted_total{signal=\"rum_vitals\"}",
            "0",
        ),
        (
            "jamscope_records_rejected_total{signal=\"rum_vitals\",reason=\"batch_limit\"}",
            "3",
        ),
        (
            "jamscope_requests_refused_total{receiver=\"otlp_grpc\",status=\"429\"}",
            "2",
        ),
        ("jamscope_requests_refused_overload_total", "2"),
    ];
    for (series, expected) in expect {
        assert_eq!(
            value(&text, series).as_deref(),
            Some(expected),
            "{series} in:\n{text}"
        );
    }
    assert_eq!(metrics.ingest().records_received_count(Signal::Spans), 7);
    assert_eq!(
        metrics
            .ingest()
            .records_rejected_count(Signal::RumVitals, RejectReason::BatchLimit),
        3
    );
    assert_eq!(
        metrics.ingest().requests_refused_counts(),
        [(Receiver::OtlpGrpc, 429, 2)]
    );
}

#[test]
fn readiness_follows_the_last_insert() {
    let metrics = Metrics::default();
    let (spans, _receiver) = queue::<u8>(10);
    let stats = metrics.table("otel_traces", spans.depth());
    assert!(!metrics.readiness().is_ready(), "not ready before serving");
    metrics.readiness().set_serving(true);
    assert!(metrics.readiness().is_ready());
    stats.insert_failed(FailureClass::Transient);
    assert!(!metrics.readiness().is_ready());
    stats.insert_failed(FailureClass::Permanent);
    assert!(
        !metrics.readiness().is_ready(),
        "a permanent failure says nothing new"
    );
    stats.insert_succeeded(1, Duration::from_millis(1));
    assert!(metrics.readiness().is_ready());
}
