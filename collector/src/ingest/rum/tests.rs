//! The beacon endpoint behind its browser edge, as a page reaches it.

use super::*;
use crate::access::{AuthConfig, LimitsConfig};
use crate::model::{AttributeValue, Layer, SpanLimits, StatusCode as SpanStatus};
use crate::pipeline::{queue, Batch, INITIAL_BYTES_PER_RECORD};
use crate::telemetry::outcome::{RejectReason, Signal};
use crate::telemetry::{Metrics, Receiver};
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request as HttpRequest, StatusCode};
use tokio::sync::mpsc::UnboundedReceiver;
use tower::ServiceExt as _;

const SITE: &str = "https://shop.example";
const LCP: &str =
    r#"{"name":"LCP","value":1200,"delta":1200,"id":"v5-1-1","page":"/","connection":"4g"}"#;

struct Harness {
    router: Router,
    vitals: UnboundedReceiver<Batch<RumRecord<Vital>>>,
    metrics: Metrics,
    // Held so the queues stay open.
    _errors: UnboundedReceiver<Batch<RumRecord<RumError>>>,
    page_views: UnboundedReceiver<Batch<RumRecord<PageView>>>,
    spans: UnboundedReceiver<Batch<Span>>,
}

/// Queues with room for `records` (no writer settles their size, so
/// each holds the initial estimate).
fn harness(config: RumConfig, records: usize) -> Harness {
    let capacity = records * INITIAL_BYTES_PER_RECORD;
    let (vitals, vitals_rx) = queue(capacity);
    let (errors, errors_rx) = queue(capacity);
    let (page_views, page_views_rx) = queue(capacity);
    let (spans, spans_rx) = queue(capacity);
    let metrics = Metrics::default();
    let access = Access::new(
        &AuthConfig::default(),
        &config.keys,
        &LimitsConfig::default(),
        metrics.access(),
    )
    .expect("access");
    let queues = RumQueues {
        vitals,
        errors,
        page_views,
    };
    Harness {
        // A short wait keeps the full-queue test fast.
        router: Rum::new(RumParts {
            config: &config,
            queues,
            spans,
            span_rules: SpanRules {
                limits: SpanLimits::default(),
                max_age: Duration::from_secs(30 * 24 * 3600),
                max_ahead: Duration::from_secs(3600),
            },
            queue_wait: Duration::from_millis(50),
            access: Arc::new(access),
            stats: metrics.ingest(),
            tap: None,
        })
        .routes(),
        vitals: vitals_rx,
        metrics,
        _errors: errors_rx,
        page_views: page_views_rx,
        spans: spans_rx,
    }
}

fn config(origins: &[&str], keys: &[&str]) -> RumConfig {
    RumConfig {
        allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
        keys: keys.iter().map(|k| k.to_string()).collect(),
        ..RumConfig::default()
    }
}

fn beacon(uri: &str, origin: Option<&str>, body: impl Into<Body>) -> HttpRequest<Body> {
    let mut request =
        HttpRequest::post(uri).header(header::CONTENT_TYPE, "text/plain;charset=UTF-8");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    request.body(body.into()).unwrap()
}

async fn send(
    router: &Router,
    request: HttpRequest<Body>,
) -> (StatusCode, HeaderMap, serde_json::Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (parts.status, parts.headers, json)
}

#[tokio::test]
async fn an_allowed_origin_gets_its_beacon_stored_and_cors_headers() {
    let mut h = harness(config(&[SITE], &[]), 100);
    let (status, headers, body) = send(&h.router, beacon(RUM_PATH, Some(SITE), LCP)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        serde_json::json!({"accepted": 1, "rejected": 0, "errors": []})
    );
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], SITE);
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS));
    let record = h.vitals.try_recv().unwrap().into_parts().0.remove(0);
    assert_eq!(
        record.context.page.app, "shop.example",
        "app from the origin"
    );
    assert_eq!(record.context.page.path, "/");
    assert_eq!(
        h.metrics.ingest().records_accepted_count(Signal::RumVitals),
        1
    );
    assert!(h
        .metrics
        .render()
        .contains("jamscope_rum_events_accepted_total 1\n"));
}

#[tokio::test]
async fn stored_urls_lose_their_query_and_fragment_but_allowed_parameters() {
    let body = r##"{"app":"shop","page":{"url":"https://shop.example/p?token=t&utm_source=news#x","path":"/p","referrer":"https://search.example/?q=me"},"events":[{"type":"page_view"}]}"##;
    let mut h = harness(config(&[SITE], &[]), 100);
    let (status, _, _) = send(&h.router, beacon(RUM_PATH, Some(SITE), body)).await;
    assert_eq!(status, StatusCode::OK);
    let page_view = h.page_views.try_recv().unwrap().into_parts().0.remove(0);
    assert_eq!(page_view.context.page.url, "https://shop.example/p");
    assert_eq!(page_view.context.page.referrer, "https://search.example/");

    let mut keeping = config(&[SITE], &[]);
    keeping.keep_query_params = vec!["utm_source".into()];
    let mut h = harness(keeping, 100);
    send(&h.router, beacon(RUM_PATH, Some(SITE), body)).await;
    let page_view = h.page_views.try_recv().unwrap().into_parts().0.remove(0);
    assert_eq!(
        page_view.context.page.url,
        "https://shop.example/p?utm_source=news"
    );
}

#[tokio::test]
async fn a_preflight_is_answered_with_the_exact_origin() {
    let h = harness(config(&["*"], &[]), 100);
    let preflight = HttpRequest::builder()
        .method(Method::OPTIONS)
        .uri(RUM_PATH)
        .header(header::ORIGIN, SITE)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(&h.router, preflight).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(
        headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        SITE,
        "the exact origin"
    );
    assert!(
        !headers.contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS),
        "beacons never need credentials"
    );
    let allowed_headers = headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .unwrap();
    assert!(
        allowed_headers.contains("content-type"),
        "{allowed_headers}"
    );
    let methods = headers[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .unwrap();
    assert!(
        methods.contains("POST") && methods.contains("OPTIONS"),
        "{methods}"
    );
}

#[tokio::test]
async fn a_foreign_origin_is_refused_and_nothing_is_stored() {
    let mut h = harness(config(&[SITE], &[]), 100);
    let (status, headers, body) = send(
        &h.router,
        beacon(RUM_PATH, Some("https://evil.example"), LCP),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("https://evil.example"),
        "{body}"
    );
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    assert!(h.vitals.try_recv().is_err());
    let preflight = HttpRequest::builder()
        .method(Method::OPTIONS)
        .uri(RUM_PATH)
        .header(header::ORIGIN, "https://evil.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&h.router, preflight).await.0, StatusCode::FORBIDDEN);
    // Servers send no Origin and are not browsers' cross-site requests.
    assert_eq!(
        send(&h.router, beacon(RUM_PATH, None, LCP)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn keys_are_required_once_configured_and_rotate() {
    let h = harness(config(&["*"], &["old", "new"]), 100);
    let (status, _, body) = send(&h.router, beacon(RUM_PATH, None, LCP)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("missing ingest key"),
        "{body}"
    );
    let (status, _, body) = send(&h.router, beacon("/v1/rum?key=wrong", None, LCP)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unknown ingest key");
    for key in ["old", "new"] {
        let uri = format!("/v1/rum?key={key}");
        assert_eq!(
            send(&h.router, beacon(&uri, None, LCP)).await.0,
            StatusCode::OK
        );
    }
    // Without keys, anonymous beacons are fine.
    let open = harness(config(&["*"], &[]), 100);
    assert_eq!(
        send(&open.router, beacon(RUM_PATH, None, LCP)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn content_types_sizes_and_bodies_get_their_statuses() {
    let h = harness(config(&["*"], &[]), 100);
    let mut json = beacon(RUM_PATH, None, LCP);
    json.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    assert_eq!(send(&h.router, json).await.0, StatusCode::OK);
    let mut untyped = beacon(RUM_PATH, None, LCP);
    untyped.headers_mut().remove(header::CONTENT_TYPE);
    assert_eq!(send(&h.router, untyped).await.0, StatusCode::OK);
    let mut form = beacon(RUM_PATH, None, LCP);
    form.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("multipart/form-data"),
    );
    assert_eq!(
        send(&h.router, form).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );

    let (status, _, body) = send(&h.router, beacon(RUM_PATH, None, vec![b' '; 100 * 1024])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let (status, _, body) = send(&h.router, beacon(RUM_PATH, None, "hello")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("not valid JSON"),
        "{body}"
    );
    let bad = r#"{"name":"LCP","value":-1,"id":"x"}"#;
    let (status, _, body) = send(&h.router, beacon(RUM_PATH, None, bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("no valid event (1 rejected): LCP value -1"),
        "{body}"
    );
}

#[tokio::test]
async fn a_full_queue_refuses_with_retry_after() {
    let h = harness(config(&["*"], &[]), 1);
    assert_eq!(
        send(&h.router, beacon(RUM_PATH, None, LCP)).await.0,
        StatusCode::OK
    );
    let (status, headers, _) = send(&h.router, beacon(RUM_PATH, None, LCP)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers[header::RETRY_AFTER], "1");
    let metrics = &h.metrics;
    assert_eq!(
        metrics.ingest().records_received_count(Signal::RumVitals),
        2
    );
    assert_eq!(
        metrics.ingest().records_accepted_count(Signal::RumVitals),
        1
    );
    assert_eq!(
        metrics
            .ingest()
            .records_rejected_count(Signal::RumVitals, RejectReason::QueueFull),
        1
    );
    assert_eq!(
        metrics.ingest().requests_refused_counts(),
        [(Receiver::Rum, 429, 1)]
    );
}

#[tokio::test]
async fn partly_valid_batches_report_what_was_dropped() {
    let h = harness(config(&["*"], &[]), 100);
    let body = r#"{"app":"shop","events":[{"type":"page_view"},{"type":"vital","name":"XYZ","value":1,"id":"a"}]}"#;
    let (status, _, body) = send(&h.router, beacon(RUM_PATH, None, body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["accepted"].as_u64(), body["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(
        body["errors"][0]
            .as_str()
            .unwrap()
            .contains("unknown metric name 'XYZ'"),
        "{body}"
    );
}

#[tokio::test]
async fn the_script_is_served_to_any_origin() {
    let h = harness(config(&[SITE], &["secret"]), 100);
    let request = HttpRequest::get(SCRIPT_PATH)
        .header(header::ORIGIN, "https://elsewhere.example")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&h.router, request).await.0, StatusCode::OK);
}

#[tokio::test]
async fn spans_of_a_batch_go_to_the_span_queue_as_the_browser_layer() {
    let mut h = harness(config(&[SITE], &[]), 100);
    let now = crate::clock::now_millis() as f64;
    let body = serde_json::json!({
        "app": "shop", "release": "1.4.2", "sessionId": "s-1", "pageViewId": "p-1",
        "page": {"url": "https://shop.example/products/7", "path": "/products/7", "route": "/products/:id"},
        "events": [
            {"type": "page_view", "ts": now - 900.0},
            {"type": "span", "traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "00f067aa0ba902b7",
             "name": "GET /api/products/7", "kind": 3, "start": now - 500.0, "end": now - 400.0, "status": 2,
             "attributes": {"url.full": "https://shop.example/api/products/7?token=secret",
                            "jamstack.layer": "cms", "jamscope.page_view.id": "p-spoofed",
                            "http.response.status_code": 503}},
            {"type": "span", "traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "00f067aa0ba902b8",
             "name": "GET /late", "start": now + 7_200_000.0, "end": now + 7_200_001.0}
        ]
    });
    let (status, _, answer) = send(&h.router, beacon(RUM_PATH, Some(SITE), body.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (answer["accepted"].as_u64(), answer["rejected"].as_u64()),
        (Some(2), Some(1)),
        "{answer}"
    );
    let reason = answer["errors"][0].as_str().unwrap();
    assert!(
        reason.starts_with("event 2: span 'GET /late': start_time_unix_nano")
            && reason.contains("too far in the future"),
        "{reason}"
    );

    let span = h.spans.try_recv().unwrap().into_parts().0.remove(0);
    assert_eq!(
        span.resource.layer,
        Layer::Browser,
        "whatever the span claims"
    );
    assert_eq!(span.resource.service_name, "shop");
    assert_eq!(span.status.code, SpanStatus::Error);
    let attribute = |key: &str| {
        span.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let text = |value: &str| Some(AttributeValue::String(value.into()));
    assert_eq!(attribute("jamscope.page_view.id"), text("p-1"));
    assert_eq!(attribute("session.id"), text("s-1"));
    assert_eq!(attribute("jamscope.page.route"), text("/products/:id"));
    assert_eq!(
        attribute("url.full"),
        text("https://shop.example/api/products/7"),
        "scrubbed like page URLs"
    );
    let ingest = h.metrics.ingest();
    assert_eq!(ingest.records_accepted_count(Signal::Spans), 1);
    assert_eq!(
        ingest.records_rejected_count(Signal::Spans, RejectReason::TimeWindow),
        1
    );
    assert!(h
        .metrics
        .render()
        .contains("jamscope_spans_accepted_total 1\n"));
}

#[tokio::test]
async fn a_batch_of_only_bad_spans_is_a_bad_request_naming_them() {
    let h = harness(config(&["*"], &[]), 100);
    let body = r#"{"app":"shop","events":[{"type":"span","traceId":"xyz","spanId":"00f067aa0ba902b7","name":"GET /","start":1,"end":2}]}"#;
    let (status, _, body) = send(&h.router, beacon(RUM_PATH, None, body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("no valid event (1 rejected): event 0: span 'GET /': traceId must be 32 hex digits, not all zero; got 'xyz'"),
        "{message}"
    );
}
