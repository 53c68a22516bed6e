//! Each metric against hand-computed values, windows sliding and ignoring
//! late data, the series bound, two instances exchanging deltas, reloads.

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::alert::rules::load_str;
use crate::model::rum::{MetricName, PageContext, PageInfo, Rating};
use crate::model::{AttributeValue, Layer, Resource, Scope, SpanId, SpanKind, Status};
use crate::model::{StatusCode, TraceId};

mod distributions;
mod instances;

/// A whole minute, so buckets of every width start here.
const NOW: i64 = 1_763_900_040_000;

/// Threshold rules from (name, condition lines without `type`).
fn rule_set(rules: &[(&str, &str)]) -> RuleSet {
    let mut text = String::from("groups:\n  - name: t\n    rules:\n");
    for (name, condition) in rules {
        text += &format!("      - alert: {name}\n        condition:\n          type: threshold\n");
        text += "          direction: above\n          warning: 1\n";
        for line in condition.split(';') {
            text += &format!("          {}\n", line.trim());
        }
    }
    let rules = load_str(Path::new("t.yaml"), &text).unwrap();
    RuleSet {
        files: Vec::new(),
        rules,
    }
}

fn windows(rules: &[(&str, &str)]) -> Windows {
    Windows::new(&rule_set(rules), &KpiSettings::default(), 1000)
}

fn trace(n: u64) -> TraceId {
    let mut bytes = [1; 16];
    bytes[8..].copy_from_slice(&n.to_be_bytes());
    TraceId(bytes)
}

/// A gateway server span of `service`, traced `n`, ending at `end_ms`.
fn span(n: u64, service: &str, end_ms: i64, micros: u64) -> Span {
    let end = u64::try_from(end_ms).unwrap() * 1_000_000;
    Span {
        trace_id: trace(n),
        span_id: SpanId([2; 8]),
        parent_span_id: None,
        trace_state: String::new(),
        name: "GET /".into(),
        kind: SpanKind::Server,
        start_unix_nanos: end - micros * 1000,
        end_unix_nanos: end,
        attributes: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        status: Status {
            code: StatusCode::Unset,
            message: String::new(),
        },
        resource: Arc::new(Resource {
            service_name: service.into(),
            layer: Layer::Gateway,
            attributes: Vec::new(),
        }),
        scope: Arc::new(Scope::default()),
    }
}

fn with(mut span: Span, key: &str, value: AttributeValue) -> Span {
    span.attributes.push((key.into(), value));
    span
}

fn text(s: &str) -> AttributeValue {
    AttributeValue::String(s.into())
}

fn vital(
    name: MetricName,
    value: f64,
    route: &str,
    path: &str,
    n: Option<u64>,
) -> RumRecord<Vital> {
    let page = PageInfo {
        route: route.into(),
        path: path.into(),
        trace_id: n.map(trace),
        ..PageInfo::default()
    };
    RumRecord {
        context: Arc::new(PageContext {
            page,
            ..PageContext::default()
        }),
        event: Vital {
            name,
            value,
            rating: Rating::of(name, value),
            delta: value,
            metric_id: "v5-1-1".into(),
            navigation_type: None,
            attribution: Vec::new(),
            timestamp_millis: NOW - 1000,
            page_started_at_millis: NOW - 5000,
        },
    }
}

/// (first label value, value, example) of each observation.
fn seen(observations: &[Observation]) -> Vec<(String, Option<f64>, Option<String>)> {
    let first = |o: &Observation| o.labels.values().next().cloned().unwrap_or_default();
    let row = |o: &Observation| (first(o), o.value, o.example_trace_id.clone());
    observations.iter().map(row).collect()
}

fn close(value: Option<f64>, exact: f64) -> bool {
    value.is_some_and(|v| ((v - exact) / exact).abs() < 0.01)
}

/// A deterministic spread of durations, 0.1 ms to about 3 s.
fn durations(count: u64) -> Vec<u64> {
    let mut x: u64 = 42;
    let mut next = || {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        x >> 33
    };
    (0..count).map(|_| 100 + next() % 3_000_000).collect()
}

#[test]
fn the_error_rate_is_the_percentage_of_failed_requests_per_service() {
    let mut w = windows(&[(
        "Err",
        "metric: error_rate; window: 5m; filter: { layer: gateway }; group_by: [service]",
    )]);
    let mut spans: Vec<Span> = (0..96).map(|n| span(n, "api", NOW - 100, 1000)).collect();
    let mut failed = span(900, "api", NOW - 300, 1000);
    failed.status.code = StatusCode::Error;
    spans.push(failed);
    spans.push(with(
        span(901, "api", NOW - 200, 1000),
        "http.response.status_code",
        AttributeValue::Int(503),
    ));
    spans.push(with(
        span(902, "api", NOW - 100, 1000),
        "http.response.status_code",
        text("404"),
    ));
    spans.push(with(
        span(903, "api", NOW - 100, 1000),
        "http.response.status_code",
        text("oops"),
    ));
    // Not requests, or not gateway spans: they do not count.
    let mut client = span(904, "api", NOW, 1000);
    client.kind = SpanKind::Client;
    client.status.code = StatusCode::Error;
    let mut cms = span(905, "api", NOW, 1000);
    Arc::make_mut(&mut cms.resource).layer = Layer::Cms;
    cms.status.code = StatusCode::Error;
    spans.extend([client, cms, span(906, "web", NOW - 100, 1000)]);
    w.record_spans(&spans, NOW);
    let expected = vec![
        ("api".to_owned(), Some(2.0), Some(trace(901).to_string())),
        ("web".to_owned(), Some(0.0), None),
    ];
    assert_eq!(seen(&w.observations(NOW + 500)), expected);
    assert_eq!(w.series_count(), 2);
}

#[test]
fn request_rate_and_attribute_average() {
    let mut w = windows(&[
        ("Rate", "metric: request_rate; window: 1m"),
        ("Pool", "metric: attribute; attribute: db.pool; window: 1m"),
    ]);
    let spans: Vec<Span> = (0..120).map(|n| span(n, "api", NOW, 10)).collect();
    w.record_spans(&spans, NOW);
    let pool = |n, v| with(span(n, "cms", NOW, 10), "db.pool", v);
    let values = [
        AttributeValue::Int(10),
        AttributeValue::Double(20.0),
        text("30"),
        text("x"),
    ];
    let pooled: Vec<Span> = values
        .into_iter()
        .zip(500..)
        .map(|(v, n)| pool(n, v))
        .collect();
    w.record_spans(&pooled, NOW);
    let observations = w.observations(NOW);
    let rate = (String::new(), Some(124.0 / 60.0), None);
    let pool = (String::new(), Some(20.0), Some(trace(502).to_string()));
    assert_eq!(seen(&observations), vec![rate, pool]);
}

#[test]
fn data_leaves_the_window_and_its_series_goes() {
    let mut w = windows(&[("Err", "metric: error_rate; window: 1m; group_by: [service]")]);
    w.record_spans(&[span(1, "api", NOW, 10)], NOW + 400);
    assert_eq!(
        seen(&w.observations(NOW + 59_000)),
        vec![("api".into(), Some(0.0), None)]
    );
    assert_eq!(w.observations(NOW + 61_000), Vec::new());
    assert_eq!(w.series_count(), 0);
}

#[test]
fn late_spans_and_vitals_are_ignored() {
    let mut w = windows(&[
        ("Rate", "metric: request_rate; window: 1m"),
        ("Lcp", "metric: vital_p75; vital: LCP; window: 1m"),
    ]);
    let spans = [
        span(1, "api", NOW - 61_000, 10),
        span(2, "api", NOW - 59_000, 10),
    ];
    w.record_spans(&spans, NOW);
    let mut late = vital(MetricName::Lcp, 900.0, "/", "/", None);
    late.event.timestamp_millis = NOW - 60_001;
    w.record_vitals(&[late], NOW);
    assert_eq!(
        seen(&w.observations(NOW)),
        vec![(String::new(), Some(1.0 / 60.0), None)]
    );
}

#[test]
fn the_cache_hit_ratio_counts_spans_with_a_cache_status() {
    let mut w = windows(&[(
        "Cache",
        "metric: cache_hit_ratio; window: 15m; filter: { layer: cdn }",
    )]);
    let statuses = [
        "HIT",
        "hit",
        "STALE",
        "tcp_hit",
        "Revalidated",
        "hit",
        "hit",
        "hit",
        "MISS",
        "bypass",
        "",
    ];
    let mut spans: Vec<Span> = statuses
        .iter()
        .zip(0..)
        .map(|(s, n)| {
            with(
                span(n, "edge", NOW - 1000 + n as i64, 10),
                "cdn.cache_status",
                text(s),
            )
        })
        .collect();
    spans.push(span(99, "edge", NOW, 10));
    for span in &mut spans {
        Arc::make_mut(&mut span.resource).layer = Layer::Cdn;
    }
    w.record_spans(&spans, NOW);
    let expected = (String::new(), Some(80.0), Some(trace(9).to_string()));
    assert_eq!(seen(&w.observations(NOW)), vec![expected]);
}
