//! What browser SDKs send besides beacons, over real HTTP into a real
//! ClickHouse: OTLP/HTTP from pages (CORS, keys, limits, the browser layer
//! whatever a page claims, `browser.web_vital` events as vitals) next to
//! server-side OTLP on the same listener, unchanged; and Faro's `/collect`
//! (vitals, exceptions grouped like rum.js errors, logs, events, traces,
//! gzip, malformed payloads named by field).

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::harness::{metric, metrics_text, Collector};
use crate::rum::{request, start, wait_for_written, Reply, CHROME, SITE};

const KEY: &str = "page-key";
const TRACE: &str = "5bf92f3577b34da6a3ce929d0e0e4736";

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
}

/// A POST as a page's `fetch` sends it from `origin`.
fn from_page(url: &str, origin: &str, content_type: &str, body: impl Into<reqwest::Body>) -> Reply {
    request(
        "POST",
        url,
        &[
            ("content-type", content_type),
            ("origin", origin),
            ("user-agent", CHROME),
            ("x-api-key", KEY),
        ],
        body,
    )
}

/// One OTLP/JSON span of `service`, claiming `layer`.
fn spans(service: &str, layer: &str, span_id: &str) -> String {
    let start = now_nanos() - 50_000_000;
    json!({"resourceSpans": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": service}},
            {"key": "jamstack.layer", "value": {"stringValue": layer}}
        ]},
        "scopeSpans": [{"scope": {"name": "@opentelemetry/instrumentation-fetch"}, "spans": [{
            "traceId": TRACE, "spanId": span_id, "name": "HTTP GET", "kind": 3,
            "attributes": [{"key": "url.full", "value": {"stringValue": "https://shop.test/api/cart?key=page-key#top"}}],
            "startTimeUnixNano": start.to_string(), "endTimeUnixNano": (start + 20_000_000).to_string()
        }]}]
    }]})
    .to_string()
}

fn layer_of(collector: &Collector, span_id: &str) -> String {
    let rows = collector.query(&format!(
        "SELECT Layer, ServiceName FROM otel_traces WHERE SpanId = '{span_id}'"
    ));
    rows.first().map_or_else(String::new, |row| {
        row["Layer"].as_str().unwrap_or("").to_owned()
    })
}

#[test]
fn pages_export_otlp_through_cors_as_the_browser_layer_and_services_are_unchanged() {
    let collector = start(&[
        ("JAMSCOPE_RUM_KEYS", KEY),
        ("JAMSCOPE_RUM_MAX_SDK_BODY_BYTES", "16384"),
    ]);
    let traces = format!("{}/v1/traces", collector.http_url());

    // The preflight a page's exporter sends before its first export.
    let preflight = request(
        "OPTIONS",
        &traces,
        &[
            ("origin", SITE),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type,x-api-key"),
        ],
        "",
    );
    assert_eq!(preflight.status, 200, "{}", preflight.body);
    let header = |name: &str| {
        preflight
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    assert_eq!(header("access-control-allow-origin"), SITE);
    assert!(header("access-control-allow-headers").contains("x-api-key"));
    assert_eq!(header("access-control-max-age"), "7200");

    // A page claiming to be the CMS is stored as the browser, and counted.
    let reply = from_page(
        &traces,
        SITE,
        "application/json",
        spans("shop-web", "cms", "00f067aa0ba902b7"),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply
        .headers
        .get("access-control-expose-headers")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("retry-after")));
    // The same body from a service (no Origin): as today, the CMS layer.
    let service = request(
        "POST",
        &traces,
        &[("content-type", "application/json")],
        spans("cms-strapi", "cms", "10f067aa0ba902b7"),
    );
    assert_eq!(service.status, 200, "{}", service.body);
    assert_eq!(service.headers.get("access-control-allow-origin"), None);

    // A web vital as OpenTelemetry's browser instrumentation reports it,
    // and a plain log record, in one export.
    let logs = format!("{}/v1/logs?key={KEY}", collector.http_url());
    let time = now_nanos().to_string();
    let attribute = |key: &str, value: Value| json!({"key": key, "value": value});
    let body = json!({"resourceLogs": [{
        "resource": {"attributes": [attribute("service.name", json!({"stringValue": "shop-web"})),
                                    attribute("session.id", json!({"stringValue": "s-otel-1"}))]},
        "scopeLogs": [{"scope": {"name": "web-vitals"}, "logRecords": [
            {"timeUnixNano": time, "eventName": "browser.web_vital", "attributes": [
                attribute("browser.web_vital.name", json!({"stringValue": "LCP"})),
                attribute("browser.web_vital.value", json!({"doubleValue": 1234.5})),
                attribute("browser.web_vital.delta", json!({"doubleValue": 1234.5})),
                attribute("browser.web_vital.id", json!({"stringValue": "v5-1-otel"})),
                attribute("browser.web_vital.rating", json!({"stringValue": "good"}))]},
            {"timeUnixNano": time, "severityNumber": 9, "body": {"stringValue": "cart opened"}}
        ]}]
    }]});
    let reply = request(
        "POST",
        &logs,
        &[("content-type", "application/json"), ("origin", SITE)],
        body.to_string(),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);

    wait_for_written(&collector, 4);
    assert_eq!(layer_of(&collector, "00f067aa0ba902b7"), "browser");
    assert_eq!(layer_of(&collector, "10f067aa0ba902b7"), "cms");
    let url = |span_id: &str| {
        let rows = collector.query(&format!(
            "SELECT SpanAttributes['url.full'] AS url FROM otel_traces WHERE SpanId = '{span_id}'"
        ));
        rows[0]["url"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(
        url("00f067aa0ba902b7"),
        "https://shop.test/api/cart",
        "a page's URLs are kept as a beacon's"
    );
    assert_eq!(
        url("10f067aa0ba902b7"),
        "https://shop.test/api/cart?key=page-key#top",
        "a service's as sent"
    );
    let vital = collector.query("SELECT Name, Value, App, SessionId FROM rum_vitals");
    assert_eq!(vital.len(), 1, "{vital:?}");
    assert_eq!(vital[0]["Name"], "LCP");
    assert_eq!(vital[0]["SessionId"], "s-otel-1");
    let log = collector.query("SELECT Body, Layer FROM otel_logs");
    assert_eq!(log.len(), 1, "the vital is not a log record too: {log:?}");
    assert_eq!(
        (log[0]["Body"].as_str(), log[0]["Layer"].as_str()),
        (Some("cart opened"), Some("browser"))
    );
    let metrics = metrics_text(&collector);
    assert_eq!(
        metric(
            &metrics,
            "jamscope_browser_layer_overridden_total{signal=\"spans\"}"
        ),
        Some(1)
    );

    // Bad input: a foreign origin, a wrong key, a body past the bound.
    let foreign = from_page(
        &traces,
        "https://evil.test",
        "application/json",
        spans("x", "browser", "20f067aa0ba902b7"),
    );
    assert_eq!(foreign.status, 403, "{}", foreign.body);
    assert_eq!(foreign.headers.get("access-control-allow-origin"), None);
    let wrong_key = request(
        "POST",
        &format!("{traces}?key=nope"),
        &[("content-type", "application/json"), ("origin", SITE)],
        spans("x", "browser", "30f067aa0ba902b7"),
    );
    assert_eq!(wrong_key.status, 401, "{}", wrong_key.body);
    let oversized = from_page(&traces, SITE, "application/json", "x".repeat(20_000));
    assert_eq!(oversized.status, 413, "{}", oversized.body);
}

/// A payload as Faro's web SDK sends it: meta, a Web Vital, an exception,
/// a log, an event and a span.
fn faro_payload() -> Value {
    let now = jamscope::clock::format_rfc3339_millis(jamscope::clock::now_millis());
    let start = now_nanos() - 30_000_000;
    json!({
        "meta": {
            "sdk": {"name": "@grafana/faro-core", "version": "2.12.1"},
            "app": {"name": "shop-faro", "version": "1.0.0", "environment": "production"},
            "session": {"id": "faro-session-1", "attributes": {}},
            "page": {"id": "faro-page-1", "url": "https://shop.test/cart?coupon=x"},
            "browser": {"name": "Chrome", "version": "131", "os": "Linux", "mobile": false},
            "view": {"name": "default"}
        },
        "measurements": [{"type": "web-vitals", "timestamp": now,
                          "values": {"cls": 0.31, "delta": 0.31, "largest_shift_value": 0.2},
                          "context": {"id": "v5-1-faro", "rating": "poor", "navigation_type": "navigate"}}],
        "exceptions": [{"type": "TypeError", "value": "Cannot read properties of undefined (reading 'sku')", "timestamp": now,
                        "stacktrace": {"frames": [{"filename": "https://shop.test/assets/app.9e8d7c6b.js", "function": "onClick", "lineno": 212, "colno": 17}]}}],
        "logs": [{"message": "cart opened", "level": "warn", "timestamp": now, "context": {"items": "3"},
                  "trace": {"trace_id": TRACE, "span_id": "40f067aa0ba902b7"}}],
        "events": [{"name": "add_to_cart", "domain": "shop", "timestamp": now, "attributes": {"sku": "7"}}],
        "traces": {"resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop-faro"}},
                                        {"key": "jamstack.layer", "value": {"stringValue": "gateway"}}]},
            "scopeSpans": [{"scope": {"name": "@grafana/faro-web-tracing"}, "spans": [{
                "traceId": TRACE, "spanId": "40f067aa0ba902b7", "name": "documentLoad", "kind": 1,
                "startTimeUnixNano": start.to_string(), "endTimeUnixNano": (start + 10_000_000).to_string()}]}]
        }]}
    })
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body).expect("gzip");
    encoder.finish().expect("gzip")
}

#[test]
fn faro_payloads_land_where_they_belong_and_bad_ones_are_named() {
    let collector = start(&[("JAMSCOPE_RUM_KEYS", KEY)]);
    let collect = format!("{}/collect", collector.http_url());

    let reply = request(
        "POST",
        &collect,
        &[
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
            ("origin", SITE),
            ("user-agent", CHROME),
            ("x-api-key", KEY),
            ("x-faro-session-id", "faro-session-1"),
        ],
        gzip(faro_payload().to_string().as_bytes()),
    );
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(reply.json()["accepted"], 5, "{}", reply.body);

    // The same error from rum.js, for its fingerprint.
    let rum_js = crate::rum::sdk_batch(
        "p-rumjs",
        json!([{"type": "error", "message": "Cannot read properties of undefined (reading 'price')",
        "errorType": "TypeError", "stack": [{"file": "https://cdn.shop.test/assets/app.3f9a2c1b.js", "function": "HTMLButtonElement.onClick", "line": 10, "column": 5}]}]),
    );
    let beacon = crate::rum::beacon(
        &format!("{}/v1/rum?key={KEY}", collector.http_url()),
        rum_js,
    );
    assert_eq!(beacon.status, 200, "{}", beacon.body);

    wait_for_written(&collector, 6);
    let vitals = collector.query("SELECT Name, Rating, App, SessionId, Url FROM rum_vitals");
    assert_eq!(vitals.len(), 1, "{vitals:?}");
    assert_eq!(
        (vitals[0]["Name"].as_str(), vitals[0]["Rating"].as_str()),
        (Some("CLS"), Some("poor"))
    );
    assert_eq!(vitals[0]["App"], "shop-faro");
    assert_eq!(
        vitals[0]["Url"], "https://shop.test/cart",
        "the query is dropped like a beacon's"
    );
    let errors = collector.query("SELECT DISTINCT Fingerprint FROM rum_errors");
    assert_eq!(
        errors.len(),
        1,
        "Faro's and rum.js's error group together: {errors:?}"
    );
    let logs = collector.query("SELECT Body, SeverityText, EventName, Layer, ServiceName, TraceId FROM otel_logs ORDER BY EventName");
    assert_eq!(logs.len(), 2, "{logs:?}");
    assert_eq!(
        (logs[0]["Body"].as_str(), logs[0]["SeverityText"].as_str()),
        (Some("cart opened"), Some("warn"))
    );
    assert_eq!(logs[0]["TraceId"], TRACE);
    assert_eq!(logs[1]["EventName"], "add_to_cart");
    assert!(logs
        .iter()
        .all(|log| log["Layer"] == "browser" && log["ServiceName"] == "shop-faro"));
    assert_eq!(layer_of(&collector, "40f067aa0ba902b7"), "browser");

    // Malformed payloads: 400 naming the field.
    let post = |body: &str| from_page(&collect, SITE, "application/json", body.to_owned());
    let missing_meta = post(r#"{"logs": []}"#);
    assert_eq!(missing_meta.status, 400);
    assert!(missing_meta.body.contains("meta"), "{}", missing_meta.body);
    let bad_list = post(r#"{"meta": {}, "exceptions": {"type": "Error"}}"#);
    assert_eq!(bad_list.status, 400);
    assert!(bad_list.body.contains("exceptions"), "{}", bad_list.body);
    let bad_item = post(r#"{"meta": {}, "logs": [{"message": 7}]}"#);
    assert_eq!(bad_item.status, 400);
    assert!(
        bad_item.body.contains("logs[0].message"),
        "{}",
        bad_item.body
    );
    let not_json = post("nope");
    assert_eq!(not_json.status, 400);
    // Faro's own origin and key rules are the beacons'.
    assert_eq!(
        from_page(
            &collect,
            "https://evil.test",
            "application/json",
            faro_payload().to_string()
        )
        .status,
        403
    );
    let keyless = request(
        "POST",
        &collect,
        &[("content-type", "application/json"), ("origin", SITE)],
        faro_payload().to_string(),
    );
    assert_eq!(keyless.status, 401, "{}", keyless.body);
}

#[test]
fn on_a_listener_of_its_own_pages_send_otlp_and_faro_there_and_services_go_to_the_main_one() {
    let port = crate::harness::free_port();
    let collector = start(&[("JAMSCOPE_RUM_ADDR", format!("127.0.0.1:{port}").as_str())]);
    let rum = format!("http://127.0.0.1:{port}");
    let page = request(
        "POST",
        &format!("{rum}/v1/traces"),
        &[("content-type", "application/json"), ("origin", SITE)],
        spans("shop-web", "browser", "50f067aa0ba902b7"),
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let service = request(
        "POST",
        &format!("{rum}/v1/traces"),
        &[("content-type", "application/json")],
        spans("cms-strapi", "cms", "60f067aa0ba902b7"),
    );
    assert_eq!(service.status, 404, "{}", service.body);
    let faro_here = from_page(
        &format!("{rum}/collect"),
        SITE,
        "application/json",
        faro_payload().to_string(),
    );
    assert_eq!(faro_here.status, 202, "{}", faro_here.body);
    let faro_main = from_page(
        &format!("{}/collect", collector.http_url()),
        SITE,
        "application/json",
        "{}",
    );
    assert_eq!(faro_main.status, 404);
    assert!(faro_main.body.contains("rum_addr"), "{}", faro_main.body);
    wait_for_written(&collector, 1);
    assert_eq!(layer_of(&collector, "50f067aa0ba902b7"), "browser");
}
