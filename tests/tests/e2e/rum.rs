//! RUM beacons over real HTTP into a real ClickHouse: the three body
//! shapes, deduplicated vitals, bad input, ingest keys, CORS and the
//! served SDK script.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use serde_json::{json, Value};

use crate::harness::{Collector, CollectorOptions};

pub(crate) const SITE: &str = "http://shop.test:8080";
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
pub(crate) const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// One blocking request with any method and headers.
pub(crate) fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> Reply {
    crate::harness::block_on(async {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = reqwest::Client::new().request(method, url).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("collector answers");
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    })
}

/// A beacon as `navigator.sendBeacon(url, string)` sends it from `SITE`.
pub(crate) fn beacon(url: &str, body: impl Into<reqwest::Body>) -> Reply {
    request(
        "POST",
        url,
        &[
            ("content-type", "text/plain;charset=UTF-8"),
            ("origin", SITE),
            ("user-agent", CHROME),
            ("cf-ipcountry", "de"),
        ],
        body,
    )
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

pub(crate) fn start(env: &[(&str, &str)]) -> Collector {
    let mut options = CollectorOptions::default().env("JAMSCOPE_RUM_ALLOWED_ORIGINS", SITE);
    for (key, value) in env {
        options = options.env(key, *value);
    }
    Collector::start_with(options)
}

pub(crate) fn rum_url(collector: &Collector) -> String {
    format!("{}/v1/rum", collector.http_url())
}

pub(crate) fn sdk_batch(page_view_id: &str, events: Value) -> String {
    json!({
        "app": "shop", "release": "1.4.2", "environment": "production",
        "sessionId": "s-0123456789abcdef", "pageViewId": page_view_id,
        "traceId": TRACE,
        "page": {"url": "https://shop.test/products/7?a=1", "path": "/products/7", "route": "/products/:id", "referrer": ""},
        "connection": "4g", "device": "desktop",
        "events": events
    })
    .to_string()
}

/// Waits until the collector has written `rows` rows in all. Counting a
/// table's rows cannot tell: `rum_vitals` merges reports of one metric away.
pub(crate) fn wait_for_written(collector: &Collector, rows: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let metrics = request("GET", &format!("{}/metrics", collector.http_url()), &[], "").body;
        let written: u64 = metrics
            .lines()
            .filter(|line| line.starts_with("jamscope_rows_written_total{"))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum();
        if written >= rows {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{written} of {rows} rows written:\n{}",
            collector.output()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn count(collector: &Collector, sql: &str) -> u64 {
    collector.query(sql)[0]["n"].as_u64().expect("a count")
}

#[test]
fn the_hand_written_one_metric_beacon_lands_as_is() {
    let collector = start(&[]);
    // Exactly what web.dev's snippet sends: one metric, page as a path.
    let body = r#"{"name":"LCP","value":1840.2,"delta":1840.2,"id":"v5-1732380000000-111","page":"/blog/hello","connection":"4g"}"#;
    let reply = beacon(&rum_url(&collector), body);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"accepted": 1, "rejected": 0, "errors": []})
    );
    assert_eq!(collector.wait_for_rows("rum_vitals", 1), 1);
    let row = &collector.query(
        "SELECT Name, Value, Rating, Path, Connection, App, Browser, BrowserVersion, DeviceClass, Country, ClientIp, \
         abs(dateDiff('second', Timestamp, ReceivedAt)) AS skew FROM rum_vitals",
    )[0];
    assert_eq!(row["Name"], "LCP");
    assert_eq!(row["Value"], 1840.2);
    assert_eq!(row["Rating"], "good", "computed from the thresholds");
    assert_eq!(row["Path"], "/blog/hello");
    assert_eq!(row["Connection"], "4g");
    assert_eq!(row["App"], "shop.test:8080", "named after the sending site");
    assert_eq!(
        (row["Browser"].as_str(), row["BrowserVersion"].as_str()),
        (Some("Chrome"), Some("131"))
    );
    assert_eq!(row["DeviceClass"], "desktop");
    assert_eq!(
        row["Country"], "",
        "CF-IPCountry from a sender that is no trusted proxy is ignored"
    );
    assert_eq!(row["ClientIp"], "127.0.0.0", "anonymised");
    assert_eq!(row["skew"], 0, "no ts: stored at the receive time");
}

#[test]
fn an_sdk_batch_lands_in_all_three_tables() {
    let collector = start(&[]);
    let ts = now_millis();
    let events = json!([
        {"type": "page_view", "ts": ts},
        {"type": "vital", "ts": ts + 1, "name": "LCP", "value": 1234.5, "rating": "good", "delta": 1234.5,
         "id": "v5-lcp-1", "navigationType": "navigate",
         "attribution": {"element": "#hero", "url": "https://shop.test/img.jpg", "timeToFirstByte": 100}},
        {"type": "vital", "ts": ts + 2, "name": "INP", "value": 320, "rating": "needs-improvement", "delta": 320,
         "id": "v5-inp-1", "navigationType": "navigate", "attribution": {"interactionTarget": "#buy"}},
        {"type": "error", "ts": ts + 3, "message": "Cannot read properties of undefined (reading 'x')",
         "errorType": "TypeError",
         "stack": [{"file": "https://shop.test/app.js", "function": "onClick", "line": 10, "column": 5},
                   {"file": "https://shop.test/vendor.js", "function": "", "line": 1, "column": 999}]}
    ]);
    let reply = beacon(
        &rum_url(&collector),
        sdk_batch("p-0000000000000001", events),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["accepted"], 4);
    assert_eq!(collector.wait_for_rows("rum_page_views", 1), 1);
    assert_eq!(collector.wait_for_rows("rum_vitals", 2), 2);
    assert_eq!(collector.wait_for_rows("rum_errors", 1), 1);

    let view = &collector.query(
        "SELECT App, Release, Environment, SessionId, PageViewId, TraceId, Url, Path, Route, DeviceClass, \
         toUnixTimestamp64Milli(Timestamp) AS ts FROM rum_page_views",
    )[0];
    assert_eq!(
        view,
        &json!({"App": "shop", "Release": "1.4.2", "Environment": "production",
                "SessionId": "s-0123456789abcdef", "PageViewId": "p-0000000000000001", "TraceId": TRACE,
                "Url": "https://shop.test/products/7", "Path": "/products/7", "Route": "/products/:id",
                "DeviceClass": "desktop", "ts": ts})
    );
    let lcp = &collector
        .query("SELECT Value, NavigationType, Attribution FROM rum_vitals WHERE Name = 'LCP'")[0];
    assert_eq!(lcp["Value"], 1234.5);
    assert_eq!(lcp["NavigationType"], "navigate");
    assert_eq!(
        lcp["Attribution"],
        json!({"element": "#hero", "url": "https://shop.test/img.jpg", "timeToFirstByte": "100"})
    );
    let error = &collector.query(
        "SELECT ErrorType, Message, Fingerprint, `Stack.File` AS files, `Stack.Function` AS functions, \
         `Stack.Line` AS lines, TraceId FROM rum_errors",
    )[0];
    assert_eq!(error["ErrorType"], "TypeError");
    assert_eq!(
        error["Message"],
        "Cannot read properties of undefined (reading 'x')"
    );
    assert_eq!(error["Fingerprint"].as_str().map(str::len), Some(16));
    assert_eq!(
        error["files"],
        json!(["https://shop.test/app.js", "https://shop.test/vendor.js"])
    );
    assert_eq!(error["functions"], json!(["onClick", ""]));
    assert_eq!(error["lines"], json!([10, 1]));
    assert_eq!(error["TraceId"], TRACE);
}

#[test]
fn cls_reported_again_under_one_id_counts_once() {
    let collector = start(&[]);
    let ts = now_millis();
    for (i, value) in [0.05, 0.12, 0.31].into_iter().enumerate() {
        let events = json!([{"type": "vital", "ts": ts + i as i64 * 1000, "name": "CLS", "value": value,
                             "delta": 0.05, "id": "v5-cls-1", "navigationType": "navigate"}]);
        let reply = beacon(
            &rum_url(&collector),
            sdk_batch("p-0000000000000002", events),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    // A second page view's CLS is a metric of its own.
    let other =
        json!([{"type": "vital", "ts": ts, "name": "CLS", "value": 0.01, "id": "v5-cls-2"}]);
    assert_eq!(
        beacon(&rum_url(&collector), sdk_batch("p-0000000000000003", other)).status,
        200
    );
    wait_for_written(&collector, 4);

    let rows =
        collector.query("SELECT MetricId, Value, Rating FROM rum_vitals FINAL ORDER BY MetricId");
    assert_eq!(
        rows,
        vec![
            json!({"MetricId": "v5-cls-1", "Value": 0.31, "Rating": "poor"}),
            json!({"MetricId": "v5-cls-2", "Value": 0.01, "Rating": "good"}),
        ],
        "FINAL keeps the latest report per id"
    );
    let latest = collector.query(
        "SELECT argMax(Value, Timestamp) AS value FROM rum_vitals WHERE MetricId = 'v5-cls-1' GROUP BY MetricId",
    );
    assert_eq!(latest[0]["value"], 0.31);
}

/// A CLS reported at 23:59:50 and re-reported under the same web-vitals id
/// at 00:00:10 (event times set by `ts`, which the receiver keeps when they
/// are within 24 h before or 5 min after the receive time). Before schema
/// version 5, `rum_vitals` was partitioned by `toDate(Timestamp)`: the two
/// reports landed in two partitions, and merges, which never cross a
/// partition, kept both rows for good. A plain `FINAL` hid that (ClickHouse
/// merges across partitions at read time unless
/// `do_not_merge_across_partitions_select_final` is set), but every query
/// without it counted the CLS twice. Run against that build, this test
/// failed at the two assertions after the first (2 rows each). Partitioned
/// by the page view's start, read from the id, the reports meet in one
/// partition and merge into one row.
#[test]
fn cls_re_reported_across_midnight_counts_once() {
    let collector = start(&[]);
    // The day boundary of the server's partitions: the midnight that starts
    // the day a minute from now, so near the end of a day it is the coming
    // one, and every time below stays inside the window the receiver keeps.
    let midnight = collector
        .query("SELECT toInt64(toUnixTimestamp(toStartOfDay(now() + 60))) * 1000 AS ms")[0]["ms"]
        .as_i64()
        .expect("midnight");
    let id = format!("v5-{}-1234567890123", midnight - 20_000);
    for (ts, value) in [(midnight - 10_000, 0.08), (midnight + 10_000, 0.27)] {
        let events = json!([{"type": "vital", "ts": ts, "name": "CLS", "value": value,
                             "delta": 0.05, "id": id, "navigationType": "navigate"}]);
        let reply = beacon(
            &rum_url(&collector),
            sdk_batch("p-0000000000000004", events),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.json()["accepted"], 1);
    }
    wait_for_written(&collector, 2);

    let rows = collector.query(&format!(
        "SELECT count() AS n, any(Value) AS value FROM rum_vitals FINAL WHERE MetricId = '{id}'"
    ));
    assert_eq!(
        rows,
        vec![json!({"n": 1, "value": 0.27})],
        "one row, the later report's"
    );
    let within_partitions = collector.query(&format!(
        "SELECT count() AS n FROM rum_vitals FINAL WHERE MetricId = '{id}' \
         SETTINGS do_not_merge_across_partitions_select_final = 1"
    ));
    assert_eq!(within_partitions[0]["n"], 1, "FINAL within each partition");
    collector.query("OPTIMIZE TABLE rum_vitals FINAL");
    let merged = collector.query(&format!(
        "SELECT count() AS n, any(Value) AS value FROM rum_vitals WHERE MetricId = '{id}'"
    ));
    assert_eq!(
        merged,
        vec![json!({"n": 1, "value": 0.27})],
        "merged into one row: no query double counts"
    );
    let stored = collector.query(&format!(
        "SELECT uniqExact(_partition_id) AS partitions, \
         groupUniqArray(toUnixTimestamp64Milli(PageStartedAt)) AS started \
         FROM rum_vitals WHERE MetricId = '{id}'"
    ));
    assert_eq!(
        stored,
        vec![json!({"partitions": 1, "started": [midnight - 20_000]})],
        "both reports in one partition, that of the page start in the id"
    );
}

#[test]
fn bad_input_gets_its_status_and_message_and_the_server_keeps_serving() {
    let collector = start(&[]);
    let url = rum_url(&collector);
    let ok_event = json!({"type": "page_view"});
    let with = |event: Value| sdk_batch("p-bad", json!([event]));
    let cases: Vec<(&str, String, u16, &str)> = vec![
        (
            "NaN as a string",
            r#"{"name":"LCP","value":"NaN","delta":0,"id":"a"}"#.into(),
            400,
            "invalid type: string \"NaN\", expected f64",
        ),
        (
            "NaN literal",
            r#"{"name":"LCP","value":NaN,"delta":0,"id":"a"}"#.into(),
            400,
            "body is not valid JSON",
        ),
        (
            "negative value",
            r#"{"name":"INP","value":-3,"id":"a"}"#.into(),
            400,
            "INP value -3 is out of range (0 to 600000 ms)",
        ),
        (
            "huge value",
            r#"{"name":"TTFB","value":1e12,"id":"a"}"#.into(),
            400,
            "TTFB value 1000000000000 is out of range",
        ),
        (
            "huge CLS",
            r#"{"name":"CLS","value":250,"id":"a"}"#.into(),
            400,
            "CLS value 250 is out of range (0 to 100)",
        ),
        (
            "unknown metric",
            r#"{"name":"TBT","value":10,"id":"a"}"#.into(),
            400,
            "unknown metric name 'TBT'",
        ),
        (
            "missing id",
            r#"{"name":"LCP","value":10}"#.into(),
            400,
            "missing field `id`",
        ),
        (
            "missing value",
            r#"{"name":"LCP","id":"a"}"#.into(),
            400,
            "missing field `value`",
        ),
        (
            "missing message",
            with(json!({"type": "error", "errorType": "TypeError"})),
            400,
            "missing field `message`",
        ),
        (
            "unknown event",
            with(json!({"type": "click"})),
            400,
            "unknown event type 'click'",
        ),
        (
            "not JSON",
            "name=LCP&value=1".into(),
            400,
            "body is not valid JSON",
        ),
        (
            "unknown shape",
            r#"{"metric":"LCP"}"#.into(),
            400,
            "expected a JSON object",
        ),
        ("empty body", String::new(), 400, "request body is empty"),
        (
            "100 KB body",
            " ".repeat(100 * 1024),
            413,
            "request body exceeds 65536 bytes",
        ),
    ];
    for (what, body, status, message) in cases {
        let reply = beacon(&url, body);
        assert_eq!(reply.status, status, "{what}: {}", reply.body);
        let error = reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            error.contains(message),
            "{what}: expected {message:?} in {error:?}"
        );
    }
    let form = request(
        "POST",
        &url,
        &[("content-type", "application/x-www-form-urlencoded")],
        "x=1",
    );
    assert_eq!(form.status, 415, "{}", form.body);

    // A partly bad batch keeps what is good and says what was dropped.
    let mixed = sdk_batch(
        "p-mixed",
        json!([ok_event, {"type": "vital", "name": "LCP", "value": -1, "id": "z"}]),
    );
    let reply = beacon(&url, mixed);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let outcome = reply.json();
    assert_eq!(
        (outcome["accepted"].as_u64(), outcome["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(
        outcome["errors"][0]
            .as_str()
            .unwrap_or_default()
            .contains("event 1: LCP value -1"),
        "{outcome}"
    );
    // Past the per-request limit, the rest is rejected and counted.
    let many: Vec<Value> = (0..105).map(|_| json!({"type": "page_view"})).collect();
    let reply = beacon(&url, sdk_batch("p-many", Value::Array(many)));
    assert_eq!(
        (
            reply.json()["accepted"].as_u64(),
            reply.json()["rejected"].as_u64()
        ),
        (Some(100), Some(5))
    );

    assert_eq!(
        collector.wait_for_rows("rum_page_views", 101),
        101,
        "the server kept serving"
    );
    assert_eq!(
        count(&collector, "SELECT count() AS n FROM rum_vitals"),
        0,
        "nothing invalid was stored"
    );
    let metrics = request("GET", &format!("{}/metrics", collector.http_url()), &[], "").body;
    assert!(
        metrics.contains("jamscope_rum_events_accepted_total 101"),
        "{metrics}"
    );
    assert!(
        metrics.contains("jamscope_rum_events_rejected_total 15"),
        "{metrics}"
    );
}

#[test]
fn ingest_keys_are_checked_and_two_keys_are_valid_during_rotation() {
    let collector = start(&[("JAMSCOPE_RUM_KEYS", "old-key,new-key")]);
    let body = |id: &str| format!(r#"{{"name":"FCP","value":900,"delta":900,"id":"{id}"}}"#);
    let missing = beacon(&rum_url(&collector), body("v5-none"));
    assert_eq!(missing.status, 401);
    assert!(
        missing.json()["error"]
            .as_str()
            .unwrap_or_default()
            .contains("missing ingest key"),
        "{}",
        missing.body
    );
    let wrong = beacon(
        &format!("{}?key=guess", rum_url(&collector)),
        body("v5-wrong"),
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["error"], "unknown ingest key");
    for key in ["old-key", "new-key"] {
        let reply = beacon(&format!("{}?key={key}", rum_url(&collector)), body(key));
        assert_eq!(reply.status, 200, "{key}: {}", reply.body);
    }
    assert_eq!(collector.wait_for_rows("rum_vitals", 2), 2);
    let ids = collector.query("SELECT MetricId FROM rum_vitals ORDER BY MetricId");
    assert_eq!(
        ids,
        vec![
            json!({"MetricId": "new-key"}),
            json!({"MetricId": "old-key"})
        ]
    );
}

#[test]
fn cors_answers_allowed_origins_exactly_and_refuses_others() {
    let collector = start(&[]);
    let url = rum_url(&collector);
    let preflight = request(
        "OPTIONS",
        &url,
        &[
            ("origin", SITE),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ],
        "",
    );
    assert!(
        preflight.status == 200 || preflight.status == 204,
        "{}",
        preflight.status
    );
    let header = |reply: &Reply, name: &str| {
        reply
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(header(&preflight, "access-control-allow-origin"), SITE);
    assert_eq!(
        header(&preflight, "access-control-allow-credentials"),
        "",
        "beacons never need credentials"
    );
    assert!(header(&preflight, "access-control-allow-headers").contains("content-type"));
    assert!(header(&preflight, "access-control-allow-methods").contains("POST"));

    let foreign = request(
        "POST",
        &url,
        &[
            ("content-type", "text/plain"),
            ("origin", "http://evil.test"),
        ],
        r#"{"name":"LCP","value":1,"id":"v5-evil"}"#,
    );
    assert_eq!(foreign.status, 403);
    assert!(
        foreign.json()["error"]
            .as_str()
            .unwrap_or_default()
            .contains("http://evil.test"),
        "{}",
        foreign.body
    );
    assert!(foreign.headers.get("access-control-allow-origin").is_none());
    let foreign_preflight = request(
        "OPTIONS",
        &url,
        &[
            ("origin", "http://evil.test"),
            ("access-control-request-method", "POST"),
        ],
        "",
    );
    assert_eq!(foreign_preflight.status, 403);

    let allowed = beacon(&url, r#"{"name":"LCP","value":1,"id":"v5-good"}"#);
    assert_eq!(allowed.status, 200);
    assert_eq!(header(&allowed, "access-control-allow-origin"), SITE);
    assert_eq!(collector.wait_for_rows("rum_vitals", 1), 1);
    assert_eq!(
        collector.query("SELECT MetricId FROM rum_vitals"),
        vec![json!({"MetricId": "v5-good"})],
        "nothing from the foreign origin was stored"
    );
}

#[test]
fn the_sdk_script_is_served_with_an_etag_and_revalidates() {
    let collector = start(&[]);
    let url = format!("{}/rum.js", collector.http_url());
    let first = request("GET", &url, &[], "");
    assert_eq!(first.status, 200);
    let shipped =
        std::fs::read_to_string(crate::harness::repo_root().join("rum-beacon/dist/rum.js"))
            .expect("dist/rum.js");
    assert_eq!(first.body, shipped);
    let content_type = first.headers["content-type"].to_str().unwrap_or("");
    assert!(
        content_type.starts_with("application/javascript"),
        "{content_type}"
    );
    assert_eq!(first.headers["cache-control"], "public, max-age=86400");
    let etag = first.headers["etag"].to_str().expect("etag").to_owned();
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "a strong ETag: {etag}"
    );

    let again = request("GET", &url, &[("if-none-match", etag.as_str())], "");
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.headers["etag"], etag.as_str());
}
