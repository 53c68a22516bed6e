//! Beacon spans decoded and judged: what a page traced becomes spans of
//! the browser layer, and what cannot be stored is refused with a reason
//! naming the event and the field.

use std::time::Duration;

use serde_json::{json, Value};

use super::*;
use crate::ingest::rum::decode::decode;
use crate::model::rum::ClientInfo;
use crate::model::{SpanKind, SpanLimits, StatusCode, TRUNCATED_ATTRIBUTE};

/// When the beacons of these tests arrive, in Unix ms.
const NOW: i64 = 1_764_000_000_000;
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn rules() -> SpanRules {
    SpanRules {
        limits: SpanLimits::default(),
        max_age: Duration::from_secs(24 * 3600),
        max_ahead: Duration::from_secs(3600),
    }
}

/// A batch of `events` from the shop's product page.
fn batch(events: Vec<Value>) -> Value {
    json!({
        "app": "shop", "release": "1.4.2", "environment": "production",
        "sessionId": "s-0123456789abcdef", "pageViewId": "p-0123456789abcdef", "traceId": TRACE,
        "page": {"url": "https://shop.example/products/7", "path": "/products/7", "route": "/products/:id"},
        "events": events
    })
}

/// A fetch span as rum.js sends it, `from`–`to` ms before NOW.
fn fetch_span(from: f64, to: f64) -> Value {
    json!({
        "type": "span", "traceId": TRACE, "spanId": "00f067aa0ba902b7",
        "name": "GET /api/products/7", "kind": 3,
        "start": NOW as f64 - from, "end": NOW as f64 - to, "status": 0,
        "attributes": {"http.request.method": "GET", "url.full": "https://shop.example/api/products/7",
                       "http.response.status_code": 200},
        "events": [{"name": "requestStart", "ts": NOW as f64 - from + 2.5}]
    })
}

/// Decodes and judges `body` as the receiver does.
fn judged(body: &Value) -> Decoded {
    let mut decoded = decode(body.to_string().as_bytes(), 100, NOW).expect("decodes");
    let context = PageContext {
        page: std::mem::take(&mut decoded.page),
        client: ClientInfo {
            browser: "Chrome".into(),
            browser_version: "131".into(),
            os: "Linux".into(),
            country: "DE".into(),
            ..ClientInfo::default()
        },
        received_at_millis: NOW,
    };
    judge(&mut decoded, &context, &rules());
    decoded
}

fn attribute(attributes: &Attributes, key: &str) -> Option<AttributeValue> {
    attributes
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

fn text(value: &str) -> Option<AttributeValue> {
    Some(AttributeValue::String(value.to_owned()))
}

/// The one reason a batch gave, after asserting there is one.
fn only_reason(decoded: &Decoded) -> &str {
    assert_eq!(decoded.reasons.len(), 1, "{:?}", decoded.reasons);
    &decoded.reasons[0]
}

#[test]
fn a_fetch_span_becomes_a_client_span_of_the_browser_layer() {
    let decoded = judged(&batch(vec![fetch_span(500.25, 400.0)]));
    assert_eq!((decoded.accepted(), decoded.rejected()), (1, 0));
    let span = &decoded.spans.kept[0];
    assert_eq!(span.trace_id.to_string(), TRACE);
    assert_eq!(span.span_id.to_string(), "00f067aa0ba902b7");
    assert_eq!(
        span.parent_span_id, None,
        "a request the page started is a root"
    );
    assert_eq!(span.kind, SpanKind::Client);
    assert_eq!(span.status.code, StatusCode::Unset);
    let ms = 1_000_000;
    assert_eq!(
        span.start_unix_nanos,
        NOW as u64 * ms - 500_250_000,
        "exact to the µs"
    );
    assert_eq!(span.end_unix_nanos, NOW as u64 * ms - 400 * ms);
    assert_eq!(span.events[0].name, "requestStart");
    assert_eq!(
        span.events[0].time_unix_nanos,
        NOW as u64 * ms - 497_750_000
    );

    let resource = &span.resource;
    assert_eq!(
        (resource.service_name.as_str(), resource.layer),
        ("shop", Layer::Browser)
    );
    for (key, value) in [
        ("service.version", "1.4.2"),
        ("deployment.environment.name", "production"),
        ("jamstack.layer", "browser"),
        ("user_agent.name", "Chrome"),
        ("os.name", "Linux"),
        ("geo.country.iso_code", "DE"),
    ] {
        assert_eq!(attribute(&resource.attributes, key), text(value), "{key}");
    }
    assert_eq!(span.scope.name, "jamscope-rum-beacon");

    // The page's attributes come first, then the span's own (as JSON
    // objects are read: by key).
    let keys: Vec<&str> = span.attributes.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "session.id",
            "jamscope.page_view.id",
            "jamscope.page.route",
            "jamscope.page.path",
            "http.request.method",
            "http.response.status_code",
            "url.full"
        ]
    );
    assert_eq!(
        attribute(&span.attributes, "http.response.status_code"),
        Some(AttributeValue::Int(200))
    );
}

#[test]
fn a_page_load_continues_the_documents_server_trace() {
    let decoded = judged(&batch(vec![json!({
        "type": "span", "traceId": TRACE, "spanId": "a1a2a3a4a5a6a7a8", "parentSpanId": "00f067aa0ba902b7",
        "traceState": "vendor=opaque", "name": "page load /products/:id", "kind": 1,
        "start": NOW as f64 - 3000.0, "end": NOW as f64 - 1000.0,
        "attributes": {"url.full": "https://shop.example/products/7", "retried": false, "ratio": 0.5, "nested": {"a": 1}},
        "events": [{"name": "responseStart", "ts": NOW as f64 - 2800.0}, {"name": "loadEventEnd", "ts": NOW as f64 - 1000.0}]
    })]));
    let span = &decoded.spans.kept[0];
    assert_eq!(
        span.parent_span_id.map(|id| id.to_string()).as_deref(),
        Some("00f067aa0ba902b7")
    );
    assert_eq!(
        (span.kind, span.trace_state.as_str()),
        (SpanKind::Internal, "vendor=opaque")
    );
    assert_eq!(span.events.len(), 2);
    assert_eq!(
        attribute(&span.attributes, "retried"),
        Some(AttributeValue::Bool(false))
    );
    assert_eq!(
        attribute(&span.attributes, "ratio"),
        Some(AttributeValue::Double(0.5))
    );
    assert_eq!(
        attribute(&span.attributes, "nested"),
        None,
        "spans' attributes are flat"
    );
}

#[test]
fn the_page_decides_the_layer_and_the_page_view_not_the_span() {
    let mut span = fetch_span(500.0, 400.0);
    span["attributes"]["jamstack.layer"] = json!("cms");
    span["attributes"]["jamscope.page_view.id"] = json!("p-someone-else");
    span["attributes"]["session.id"] = json!("s-someone-else");
    let decoded = judged(&batch(vec![span]));
    let span = &decoded.spans.kept[0];
    assert_eq!(span.resource.layer, Layer::Browser);
    assert_eq!(
        attribute(&span.attributes, "jamscope.page_view.id"),
        text("p-0123456789abcdef")
    );
    assert_eq!(
        attribute(&span.attributes, "session.id"),
        text("s-0123456789abcdef")
    );
    let sessions = span
        .attributes
        .iter()
        .filter(|(k, _)| k == "session.id")
        .count();
    assert_eq!(sessions, 1, "one value per key");

    let mut anonymous = batch(vec![fetch_span(500.0, 400.0)]);
    anonymous["app"] = json!("");
    let decoded = judged(&anonymous);
    assert_eq!(
        decoded.spans.kept[0].resource.service_name,
        "unknown_service"
    );
}

#[test]
fn bad_ids_are_refused_naming_the_field_and_the_event() {
    let with = |field: &str, value: Value| {
        let mut span = fetch_span(500.0, 400.0);
        span[field] = value;
        judged(&batch(vec![json!({"type": "page_view"}), span]))
    };
    let cases = [
        ("traceId", json!("4bf92f35"), "event 1: span 'GET /api/products/7': traceId must be 32 hex digits, not all zero; got '4bf92f35'"),
        ("traceId", json!("0".repeat(32)), "traceId must be 32 hex digits, not all zero; got '00000000000000000000000000000000'"),
        ("traceId", Value::Null, "traceId must be 32 hex digits, not all zero; got nothing"),
        ("spanId", json!("zz0f067aa0ba902b"), "spanId must be 16 hex digits, not all zero; got 'zz0f067aa0ba902b'"),
        ("parentSpanId", json!("123"), "parentSpanId must be absent, empty or 16 hex digits, not all zero; got '123'"),
        ("parentSpanId", json!("0000000000000000"), "parentSpanId must be absent, empty or 16 hex digits"),
    ];
    for (field, value, reason) in cases {
        let decoded = with(field, value);
        assert_eq!((decoded.accepted(), decoded.rejected()), (1, 1), "{field}");
        assert_eq!(
            decoded
                .rejections
                .count(Signal::Spans, RejectReason::InvalidId),
            1
        );
        assert!(
            only_reason(&decoded).contains(reason),
            "{field}: {:?}",
            decoded.reasons
        );
    }
}

#[test]
fn enums_outside_otlps_are_refused() {
    let mut kind = fetch_span(500.0, 400.0);
    kind["kind"] = json!(9);
    let mut status = fetch_span(500.0, 400.0);
    status["status"] = json!(-1);
    let decoded = judged(&batch(vec![kind, status]));
    assert_eq!(
        decoded
            .rejections
            .count(Signal::Spans, RejectReason::InvalidValue),
        2
    );
    assert!(decoded.reasons[0]
        .contains("event 0: span 'GET /api/products/7': kind 9 is outside the OTLP enum (0 to 5)"));
    assert!(decoded.reasons[1].contains(
        "event 1: span 'GET /api/products/7': status.code -1 is outside the OTLP enum (0 to 2)"
    ));
}

#[test]
fn times_outside_the_storable_window_are_refused() {
    let day = 24.0 * 3600.0 * 1000.0;
    let old = fetch_span(2.0 * day, 2.0 * day - 10.0);
    let future = fetch_span(-2.0 * 3600.0 * 1000.0, -2.0 * 3600.0 * 1000.0 - 10.0);
    let backwards = fetch_span(400.0, 500.0);
    let mut negative = fetch_span(0.0, 0.0);
    negative["start"] = json!(-5);
    let decoded = judged(&batch(vec![old, future, backwards, negative]));
    assert_eq!((decoded.accepted(), decoded.rejected()), (0, 4));
    assert_eq!(
        decoded
            .rejections
            .count(Signal::Spans, RejectReason::TimeWindow),
        4
    );
    let reasons = decoded.reasons.join("\n");
    for expected in [
        "event 0: span 'GET /api/products/7': start_time_unix_nano 1763827200000000000 is older than the retention window",
        "event 1: span 'GET /api/products/7': start_time_unix_nano 1764007200000000000 is too far in the future",
        "event 2: span 'GET /api/products/7': end_time_unix_nano 1763999999500000000 is before start_time_unix_nano 1763999999600000000",
        "event 3: span 'GET /api/products/7': start_time_unix_nano 0 is older than the retention window",
    ] {
        assert!(reasons.contains(expected), "{expected}\n{reasons}");
    }
}

#[test]
fn malformed_span_events_are_refused_with_serdes_words() {
    let mut no_start = fetch_span(500.0, 400.0);
    no_start.as_object_mut().unwrap().remove("start");
    let mut numeric_id = fetch_span(500.0, 400.0);
    numeric_id["traceId"] = json!(42);
    let mut fractional_kind = fetch_span(500.0, 400.0);
    fractional_kind["kind"] = json!(1.5);
    let decoded = judged(&batch(vec![no_start, numeric_id, fractional_kind]));
    assert_eq!(
        decoded
            .rejections
            .count(Signal::Spans, RejectReason::Malformed),
        3
    );
    assert!(
        decoded.reasons[0].contains("event 0: missing field `start`"),
        "{:?}",
        decoded.reasons
    );
    assert!(decoded.reasons[1].contains("event 1: invalid type: integer `42`, expected a string"));
    assert!(
        decoded.reasons[2].contains("event 2: invalid type: floating point `1.5`, expected i64")
    );
}

#[test]
fn oversized_spans_are_cut_to_the_span_limits_and_say_so() {
    let mut span = fetch_span(500.0, 400.0);
    let attributes: serde_json::Map<String, Value> = (0..300)
        .map(|i| (format!("k{i}"), json!("v".repeat(20_000))))
        .collect();
    span["attributes"] = Value::Object(attributes);
    span["events"] = json!((0..200)
        .map(|i| json!({"name": format!("e{i}"), "ts": NOW - 450}))
        .collect::<Vec<_>>());
    let decoded = judged(&batch(vec![span]));
    assert_eq!(decoded.accepted(), 1);
    let span = &decoded.spans.kept[0];
    let limits = SpanLimits::default();
    assert_eq!(span.events.len(), limits.max_events);
    assert!(
        span.attributes.len() <= limits.max_attributes + 4,
        "{}",
        span.attributes.len()
    );
    assert_eq!(
        attribute(&span.attributes, "jamscope.page_view.id"),
        text("p-0123456789abcdef"),
        "kept: it comes first"
    );
    assert_eq!(
        attribute(&span.attributes, TRUNCATED_ATTRIBUTE),
        Some(AttributeValue::Bool(true))
    );
    let longest = span.attributes.iter().filter_map(|(_, v)| match v {
        AttributeValue::String(s) => Some(s.len()),
        _ => None,
    });
    assert!(longest.max().unwrap() <= limits.max_value_bytes);
    assert_eq!(decoded.spans.truncated, 1);
}

#[test]
fn a_clock_far_off_is_corrected_and_a_close_one_left_alone() {
    let ten_minutes = 600_000.0;
    let mut slow = batch(vec![fetch_span(500.0 + ten_minutes, 400.0 + ten_minutes)]);
    slow["sentAt"] = json!(NOW as f64 - ten_minutes - 50.0);
    let decoded = judged(&slow);
    let span = &decoded.spans.kept[0];
    // Moved by the whole difference, the beacon's 50 ms in flight included.
    assert_eq!(span.start_unix_nanos, (NOW as u64 - 450) * 1_000_000);
    assert_eq!(
        attribute(&span.attributes, CLOCK_OFFSET_ATTRIBUTE),
        Some(AttributeValue::Double(ten_minutes + 50.0))
    );
    assert_eq!(
        span.events[0].time_unix_nanos,
        (NOW as u64 - 450) * 1_000_000 + 2_500_000
    );

    let mut close = batch(vec![fetch_span(500.0, 400.0)]);
    close["sentAt"] = json!(NOW as f64 - 800.0);
    let decoded = judged(&close);
    let span = &decoded.spans.kept[0];
    assert_eq!(span.start_unix_nanos, (NOW as u64 - 500) * 1_000_000);
    assert_eq!(attribute(&span.attributes, CLOCK_OFFSET_ATTRIBUTE), None);
}

#[test]
fn spans_count_toward_the_batch_limit_under_their_signal() {
    let events: Vec<Value> = (0..7).map(|_| fetch_span(500.0, 400.0)).collect();
    let decoded = decode(batch(events).to_string().as_bytes(), 5, NOW).unwrap();
    assert_eq!(
        decoded
            .rejections
            .count(Signal::Spans, RejectReason::BatchLimit),
        2
    );
    assert_eq!(decoded.spans.sent.len(), 5);
}

#[test]
fn epoch_milliseconds_become_nanoseconds_exactly() {
    assert_eq!(unix_nanos(1_764_000_000_123.456), 1_764_000_000_123_456_000);
    assert_eq!(unix_nanos(0.5), 500_000);
    assert_eq!(unix_nanos(-1.0), 0);
    assert_eq!(unix_nanos(1e300), u64::MAX);
    assert_eq!(ClockOffset::of(None, NOW), ClockOffset::default());
    assert_eq!(ClockOffset::of(Some(f64::MAX), NOW), ClockOffset::default());
}
