//! The query API and the CLI against ground truth: traces whose layer
//! breakdown is known exactly by construction, sent split over requests in
//! reverse order, through two collectors, duplicated and late; a real
//! multi-service trace (Node edge → Python gateway → Python cms, W3C
//! context over real HTTP); the RUM ↔ trace link; KPIs, vitals, errors;
//! and bad parameters.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::{status, Span, Status};
use prost::Message;
use serde_json::{json, Value};

use crate::harness::{
    block_on, post_beacon, python, repo_root, run_jamscope, unique_database, Collector,
    CollectorOptions,
};
use crate::payload::{request, string_attribute};

const MS: u64 = 1_000_000;

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
}

/// A span of `trace` with `id` and optional `parent` ids (small numbers,
/// spelled as 8-byte ids), from `start` to `end` ms after `base`.
fn span_at(trace: &[u8; 16], id: u8, parent: Option<u8>, base: u64, start: u64, end: u64) -> Span {
    Span {
        trace_id: trace.to_vec(),
        span_id: vec![0, 0, 0, 0, 0, 0, 0, id],
        parent_span_id: parent.map_or(Vec::new(), |p| vec![0, 0, 0, 0, 0, 0, 0, p]),
        name: format!("op-{id}"),
        kind: 2,
        start_time_unix_nano: base + start * MS,
        end_time_unix_nano: base + end * MS,
        ..Default::default()
    }
}

fn body(service: &str, layer: &str, spans: Vec<Span>, attributes: Vec<KeyValue>) -> Vec<u8> {
    let mut request = request(service, spans);
    if let Some(resource) = request.resource_spans[0].resource.as_mut() {
        resource
            .attributes
            .push(string_attribute("jamstack.layer", layer));
    }
    for scope in &mut request.resource_spans[0].scope_spans {
        for span in &mut scope.spans {
            span.attributes.extend(attributes.iter().cloned());
        }
    }
    request.encode_to_vec()
}

fn post_spans(collector: &Collector, body: Vec<u8>) {
    let (status, _, _) = crate::payload::post(
        &format!("{}/v1/traces", collector.http_url()),
        Some("application/x-protobuf"),
        None,
        body,
    );
    assert_eq!(status, 200);
}

fn get(collector: &Collector, path: &str) -> (u16, Value) {
    block_on(async {
        let response = reqwest::get(format!("{}{path}", collector.http_url()))
            .await
            .expect("API answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, body)
    })
}

/// Polls a trace until it has `spans` spans.
fn trace_with(collector: &Collector, trace: &str, spans: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = get(collector, &format!("/api/traces/{trace}"));
        if status == 200 && body["spans"].as_array().map_or(0, Vec::len) >= spans {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "trace {trace} never had {spans} spans: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn breakdown(view: &Value) -> Vec<(String, f64)> {
    view["breakdown"]
        .as_array()
        .expect("breakdown")
        .iter()
        .map(|part| {
            (
                part["layer"].as_str().unwrap_or("").to_owned(),
                part["ms"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect()
}

fn expect_breakdown(view: &Value, expected: &[(&str, f64)], total: f64) {
    let got = breakdown(view);
    for (layer, ms) in &got {
        let want = expected
            .iter()
            .find(|(l, _)| l == layer)
            .map_or(0.0, |(_, ms)| *ms);
        assert!(
            (ms - want).abs() < 1e-9,
            "{layer}: {ms} ms, expected {want}: {view}"
        );
    }
    assert_eq!(
        got.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(),
        [
            "browser",
            "cdn",
            "gateway",
            "cms",
            "function",
            "other",
            "unattributed"
        ]
    );
    assert!((view["total_ms"].as_f64().unwrap_or(-1.0) - total).abs() < 1e-9);
    let sum: f64 = got.iter().map(|(_, ms)| ms).sum();
    assert!((sum - total).abs() < 1e-6, "parts add up to the total");
}

#[test]
fn breakdowns_match_ground_truth_however_the_spans_arrive() {
    let database = unique_database("api");
    let first = Collector::start_with(CollectorOptions {
        database: Some(database.clone()),
        ..Default::default()
    });
    let second = Collector::start_with(CollectorOptions {
        database: Some(database.clone()),
        ..Default::default()
    });
    let base = now_nanos() - 10_000 * MS;

    // The DOMAIN example, nested: browser 0–245 ⊃ cdn 25–220 ⊃ gateway
    // 40–205 ⊃ cms 100–145. Deepest span per instant: browser 25+25,
    // cdn 15+15, gateway 60+60, cms 45.
    let nested = [0x11u8; 16];
    let layers = [
        ("site", "browser", span_at(&nested, 1, None, base, 0, 245)),
        ("edge", "cdn", span_at(&nested, 2, Some(1), base, 25, 220)),
        (
            "api",
            "gateway",
            span_at(&nested, 3, Some(2), base, 40, 205),
        ),
        (
            "strapi",
            "cms",
            span_at(&nested, 4, Some(3), base, 100, 145),
        ),
    ];
    // One span a request, in reverse order, alternating collectors; the
    // gateway span is sent twice.
    for (i, (service, layer, span)) in layers.iter().rev().enumerate() {
        let to = if i % 2 == 0 { &first } else { &second };
        post_spans(to, body(service, layer, vec![span.clone()], vec![]));
    }
    post_spans(
        &first,
        body("api", "gateway", vec![layers[2].2.clone()], vec![]),
    );
    assert_eq!(
        first.wait_for_rows(
            "otel_traces WHERE TraceId = '11111111111111111111111111111111'",
            5
        ),
        5,
        "the duplicate is stored"
    );
    let view = trace_with(&first, "11111111111111111111111111111111", 4);
    expect_breakdown(
        &view,
        &[
            ("browser", 50.0),
            ("cdn", 30.0),
            ("gateway", 120.0),
            ("cms", 45.0),
        ],
        245.0,
    );
    assert_eq!(
        view["summary"],
        "browser 50 ms · cdn 30 ms · gateway 120 ms · cms 45 ms · total 245 ms"
    );
    assert_eq!(
        view["spans"].as_array().unwrap().len(),
        4,
        "a duplicate counts once"
    );
    assert_eq!(view["duplicates"], 1);
    assert_eq!(
        view["critical_path"],
        json!([
            "0000000000000001",
            "0000000000000002",
            "0000000000000003",
            "0000000000000004"
        ])
    );

    // Parallel overlapping children, a gap and an orphan whose parent never
    // arrives: gateway 0–100 with cms 10–40 and cms 30–60 (overlapping) and
    // function 70–90; an orphan cdn span 120–150. Gateway 10+10+10 = 30,
    // cms 10–60 = 50, function 20, cdn 30, nothing covers 100–120: 20.
    let parallel = [0x22u8; 16];
    post_spans(
        &second,
        body(
            "api",
            "gateway",
            vec![span_at(&parallel, 1, None, base, 0, 100)],
            vec![],
        ),
    );
    post_spans(
        &first,
        body(
            "strapi",
            "cms",
            vec![
                span_at(&parallel, 2, Some(1), base, 10, 40),
                span_at(&parallel, 3, Some(1), base, 30, 60),
            ],
            vec![],
        ),
    );
    post_spans(
        &second,
        body(
            "fn",
            "function",
            vec![span_at(&parallel, 4, Some(1), base, 70, 90)],
            vec![],
        ),
    );
    post_spans(
        &first,
        body(
            "edge",
            "cdn",
            vec![span_at(&parallel, 5, Some(9), base, 120, 150)],
            vec![],
        ),
    );
    let view = trace_with(&first, "22222222222222222222222222222222", 5);
    expect_breakdown(
        &view,
        &[
            ("gateway", 30.0),
            ("cms", 50.0),
            ("function", 20.0),
            ("cdn", 30.0),
            ("unattributed", 20.0),
        ],
        150.0,
    );
    let orphan = view["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["span_id"] == "0000000000000005")
        .expect("the orphan is kept");
    assert_eq!(orphan["orphan"], true);

    // Skewed clocks: the cms machine's clock runs 10 ms behind, so its span
    // seems to start before the gateway span that called it. It is clamped
    // into its parent and flagged: gateway 60–110 = 50, cms 10–60 = 50.
    let skewed = [0x55u8; 16];
    post_spans(
        &first,
        body(
            "api",
            "gateway",
            vec![span_at(&skewed, 1, None, base, 10, 110)],
            vec![],
        ),
    );
    post_spans(
        &second,
        body(
            "strapi",
            "cms",
            vec![span_at(&skewed, 2, Some(1), base, 0, 60)],
            vec![],
        ),
    );
    let view = trace_with(&first, "55555555555555555555555555555555", 2);
    expect_breakdown(&view, &[("gateway", 50.0), ("cms", 50.0)], 100.0);
    assert_eq!(view["spans"][1]["clamped_ms"], 10.0, "{view}");

    // Late spans: the trace happened two minutes ago; its cms part arrives
    // only after the rest was already indexed and looked at.
    let late = [0x33u8; 16];
    let two_minutes_ago = now_nanos() - 120_000 * MS;
    post_spans(
        &first,
        body(
            "api",
            "gateway",
            vec![span_at(&late, 1, None, two_minutes_ago, 0, 80)],
            vec![string_attribute("http.route", "/late")],
        ),
    );
    let before = trace_with(&second, "33333333333333333333333333333333", 1);
    expect_breakdown(&before, &[("gateway", 80.0)], 80.0);
    post_spans(
        &second,
        body(
            "strapi",
            "cms",
            vec![span_at(&late, 2, Some(1), two_minutes_ago, 20, 60)],
            vec![],
        ),
    );
    let after = trace_with(&second, "33333333333333333333333333333333", 2);
    expect_breakdown(&after, &[("gateway", 40.0), ("cms", 40.0)], 80.0);

    // Search: newest first, filters, durations from the merged index.
    let (status, found) = get(&first, "/api/traces?min_duration_ms=200&limit=10");
    assert_eq!(status, 200, "{found}");
    let ids: Vec<&str> = found["traces"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["trace_id"].as_str())
        .collect();
    assert_eq!(ids, ["11111111111111111111111111111111"]);
    assert_eq!(found["traces"][0]["duration_ms"], 245.0);
    assert_eq!(found["traces"][0]["root_service"], "site");
    let (_, by_route) = get(&first, "/api/traces?route=/late&window=1h");
    assert_eq!(
        by_route["traces"][0]["trace_id"],
        "33333333333333333333333333333333"
    );
    let (_, by_layer) = get(&first, "/api/traces?layer=function");
    assert_eq!(by_layer["traces"].as_array().unwrap().len(), 1);
    let (_, newest) = get(&first, "/api/traces?window=1h");
    let starts: Vec<u64> = newest["traces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["start_unix_nano"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(starts.len(), 4);
    assert!(starts.windows(2).all(|w| w[0] >= w[1]), "newest first");

    // The CLI reads through the same code.
    let env = [
        ("JAMSCOPE_CLICKHOUSE_URL", first.clickhouse_url.as_str()),
        ("JAMSCOPE_CLICKHOUSE_DATABASE", database.as_str()),
    ];
    let printed = run_jamscope(&["trace", "11111111111111111111111111111111"], &env);
    let stdout = String::from_utf8_lossy(&printed.stdout);
    assert!(
        printed.status.success(),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    assert!(
        stdout.contains("browser 50 ms · cdn 30 ms · gateway 120 ms · cms 45 ms · total 245 ms"),
        "{stdout}"
    );
    assert!(stdout.contains("strapi"), "{stdout}");
    let listed = run_jamscope(&["traces", "--slowest", "2", "--window", "1h"], &env);
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains("ms")).collect();
    assert!(
        lines[0].contains("11111111111111111111111111111111"),
        "{stdout}"
    );
    assert!(
        lines[1].contains("22222222222222222222222222222222"),
        "{stdout}"
    );
}

/// Starts a Python service and waits for its port.
fn service(
    collector: &Collector,
    name: &str,
    layer: &str,
    downstream: Option<&str>,
) -> (Child, u16) {
    let mut command = Command::new(python());
    command
        .arg(repo_root().join("tests/clients/python/service.py"))
        .args([
            "--name",
            name,
            "--layer",
            layer,
            "--endpoint",
            &collector.http_url(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(url) = downstream {
        command.args(["--downstream", url]);
    }
    let mut child = command.spawn().expect("python service");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("ready line");
    let port = line
        .trim()
        .strip_prefix("listening ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("service {name} did not start: {line:?}"));
    (child, port)
}

/// Closes a service's stdin (it flushes and exits) and waits for it.
struct Stop(Child);

impl Drop for Stop {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_real_three_service_trace_breaks_down_by_layer() {
    let collector = Collector::start();
    let (cms, cms_port) = service(&collector, "py-cms", "cms", None);
    let _cms = Stop(cms);
    let cms_url = format!("http://127.0.0.1:{cms_port}/content");
    let (gateway, gateway_port) = service(&collector, "py-gateway", "gateway", Some(&cms_url));
    let _gateway = Stop(gateway);
    let edge = Command::new("node")
        .arg(repo_root().join("tests/clients/node/edge.mjs"))
        .args([
            "--endpoint",
            &collector.http_url(),
            "--url",
            &format!("http://127.0.0.1:{gateway_port}/api/page"),
        ])
        .output()
        .expect("node edge");
    assert!(
        edge.status.success(),
        "{}",
        String::from_utf8_lossy(&edge.stderr)
    );
    let printed: Value = serde_json::from_slice(&edge.stdout).expect("JSON");
    let trace = printed["trace_id"].as_str().expect("trace id").to_owned();

    // edge SERVER → gateway SERVER → gateway CLIENT → cms SERVER
    let view = trace_with(&collector, &trace, 4);
    let spans = view["spans"].as_array().unwrap();
    let by_service = |service: &str| -> Vec<&Value> {
        spans.iter().filter(|s| s["service"] == service).collect()
    };
    assert_eq!(by_service("node-edge").len(), 1);
    assert_eq!(by_service("py-gateway").len(), 2);
    assert_eq!(by_service("py-cms").len(), 1);
    let root = by_service("node-edge")[0];
    assert_eq!(root["depth"], 0);
    assert_eq!(
        by_service("py-cms")[0]["depth"],
        3,
        "context crossed two hops"
    );
    let parts = breakdown(&view);
    let ms = |layer: &str| parts.iter().find(|(l, _)| l == layer).map_or(0.0, |p| p.1);
    assert!(
        ms("cdn") > 0.0 && ms("gateway") > 0.0 && ms("cms") > 0.0,
        "{view}"
    );
    assert_eq!(ms("unattributed"), 0.0, "the edge span covers the trace");
    let total: f64 = parts.iter().map(|p| p.1).sum();
    assert!((total - view["total_ms"].as_f64().unwrap()).abs() < 1e-6);
    assert!(
        (view["total_ms"].as_f64().unwrap() - root["duration_ms"].as_f64().unwrap()).abs() < 1e-6
    );
}

#[test]
fn bad_parameters_and_unknown_ids_get_a_status_and_a_message() {
    let collector = Collector::start();
    for (path, status, names) in [
        ("/api/traces/not-a-trace-id", 400, "trace id"),
        (
            "/api/traces/00000000000000000000000000000000",
            400,
            "trace id",
        ),
        (
            "/api/traces/4bf92f3577b34da6a3ce929d0e0e4736",
            404,
            "4bf92f3577b34da6a3ce929d0e0e4736",
        ),
        ("/api/traces?limit=lots", 400, "'limit'"),
        ("/api/traces?servce=x", 400, "'servce'"),
        ("/api/traces?status=maybe", 400, "'status'"),
        ("/api/traces?window=1h&from=0", 400, "'window'"),
        ("/api/vitals?group_by=planet", 400, "'group_by'"),
        ("/api/layers?window=soon", 400, "'window'"),
        ("/api/errors?limit=-1", 400, "'limit'"),
        ("/api/page-views/p-unknown", 404, "p-unknown"),
        ("/api/page-views/bad%20id", 400, "page view id"),
    ] {
        let (got, body) = get(&collector, path);
        assert_eq!(got, status, "{path}: {body}");
        let message = body["error"].as_str().unwrap_or("");
        assert!(message.contains(names), "{path}: {message}");
    }
    // And it keeps serving.
    assert_eq!(get(&collector, "/api/traces").0, 200);
}

fn beacon(collector: &Collector, body: Value) {
    assert_eq!(post_beacon(collector, &body.to_string()), 200);
}

#[test]
fn kpis_vitals_errors_and_the_rum_link_answer_from_stored_data() {
    let collector = Collector::start();
    let base = now_nanos() - 5_000 * MS;
    let trace = [0x44u8; 16];
    let trace_hex = "44444444444444444444444444444444";
    // CDN: 3 hits and 1 miss; gateway: 4 requests, 1 failed; cms: db spans.
    let mut cdn = Vec::new();
    for (i, status) in ["HIT", "hit", "TCP_HIT", "MISS"].iter().enumerate() {
        let mut s = span_at(&trace, 10 + i as u8, None, base, 0, 50 + 100 * i as u64);
        s.attributes
            .push(string_attribute("cdn.cache_status", status));
        cdn.push(s);
    }
    post_spans(&collector, body("edge", "cdn", cdn, vec![]));
    let mut gateway = Vec::new();
    for i in 0..4u8 {
        let mut s = span_at(&trace, 20 + i, None, base, 0, 10);
        if i == 0 {
            s.status = Some(Status {
                code: status::StatusCode::Error as i32,
                ..Default::default()
            });
        }
        gateway.push(s);
    }
    post_spans(&collector, body("api", "gateway", gateway, vec![]));
    let cms: Vec<Span> = (0..20u8)
        .map(|i| span_at(&trace, 40 + i, None, base, 0, 1 + u64::from(i)))
        .collect();
    post_spans(
        &collector,
        body(
            "strapi",
            "cms",
            cms,
            vec![string_attribute("db.system", "postgresql")],
        ),
    );

    // A page view rendered by that trace, with vitals and an error.
    let now_ms = (now_nanos() / MS) as i64;
    beacon(
        &collector,
        json!({
            "app": "shop", "sessionId": "s-1", "pageViewId": "p-linked",
            "traceId": trace_hex, "page": {"path": "/cart", "route": "/cart"},
            "events": [
                {"type": "page_view", "ts": now_ms},
                {"type": "vital", "name": "LCP", "value": 1200, "delta": 1200, "id": "v5-1-1", "ts": now_ms},
                {"type": "vital", "name": "LCP", "value": 4800, "delta": 4800, "id": "v5-1-2", "ts": now_ms},
                {"type": "vital", "name": "LCP", "value": 2000, "delta": 2000, "id": "v5-1-3", "ts": now_ms},
                {"type": "vital", "name": "LCP", "value": 2600, "delta": 2600, "id": "v5-1-4", "ts": now_ms},
                {"type": "error", "message": "x is undefined", "errorType": "TypeError",
                 "stack": [{"file": "https://shop.test/app.js", "function": "add", "line": 10, "column": 5}],
                 "ts": now_ms}
            ]
        }),
    );

    let deadline = Instant::now() + Duration::from_secs(30);
    let kpis = loop {
        let (status, body) = get(&collector, "/api/layers?window=1h");
        assert_eq!(status, 200, "{body}");
        let gateway_samples = body["kpis"]
            .as_array()
            .and_then(|k| k.iter().find(|k| k["name"] == "error_rate"))
            .map_or(0, |k| k["samples"].as_u64().unwrap_or(0));
        let cms_samples = body["kpis"]
            .as_array()
            .and_then(|k| k.iter().find(|k| k["name"] == "query_duration_p95"))
            .map_or(0, |k| k["samples"].as_u64().unwrap_or(0));
        if (gateway_samples == 4 && cms_samples == 20) || Instant::now() > deadline {
            break body;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let kpi = |name: &str| -> Value {
        kpis["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(kpi("cache_hit_ratio")["value"], 75.0, "{kpis}");
    assert_eq!(kpi("cache_hit_ratio")["met"], false);
    assert_eq!(kpi("origin_latency_p95")["value"], 350.0);
    assert_eq!(kpi("error_rate")["value"], 25.0);
    assert_eq!(kpi("error_rate")["met"], false);
    let cms_p95 = kpi("query_duration_p95")["value"].as_f64().unwrap_or(-1.0);
    assert!(
        (19.0..=20.0).contains(&cms_p95),
        "p95 of 1..20 ms: {cms_p95}"
    );
    assert_eq!(kpi("query_duration_p95")["met"], true);
    assert_eq!(kpi("pool_utilization")["value"], Value::Null);

    let (status, vitals) = get(&collector, "/api/vitals?window=1h&group_by=route");
    assert_eq!(status, 200, "{vitals}");
    let lcp = &vitals["vitals"][0];
    assert_eq!(lcp["group"], "/cart");
    assert_eq!(lcp["metric"], "LCP");
    assert_eq!(lcp["count"], 4);
    assert_eq!(lcp["poor"], 1);
    let p75 = lcp["p75"].as_f64().unwrap();
    assert!((2600.0..=3200.0).contains(&p75), "{p75}");
    assert_eq!(lcp["rating"], "needs-improvement");

    let (_, errors) = get(&collector, "/api/errors?window=1h");
    assert_eq!(errors["errors"][0]["count"], 1);
    assert_eq!(errors["errors"][0]["sample_trace_id"], trace_hex);
    assert!(errors["errors"][0]["sample_stack"][0]
        .as_str()
        .unwrap_or("")
        .contains("add (https://shop.test/app.js:10:5)"));

    let view = trace_with(&collector, trace_hex, 28);
    assert_eq!(view["rum"][0]["page_view"]["page_view_id"], "p-linked");
    assert_eq!(view["rum"][0]["vitals"].as_array().unwrap().len(), 4);
    assert_eq!(view["rum"][0]["errors"][0]["error_type"], "TypeError");
    let (status, page_view) = get(&collector, "/api/page-views/p-linked");
    assert_eq!(status, 200);
    assert_eq!(page_view["page_view"]["trace_ids"], json!([trace_hex]));
}
