//! A cluster without Keeper, for real: `../shared/cluster` starts four
//! ClickHouse nodes as cluster `c` (2 shards × 2 replicas,
//! `internal_replication=false`). Two collectors, each writing through a
//! node of a different shard, get spans from the OpenTelemetry Rust SDK's
//! exporter; a collector on one node (the shared embedded ClickHouse) gets
//! the same spans. Every span must land once on each replica of one shard,
//! a trace's rows on one shard, the index and the query API must answer as
//! on one node, a replica killed during ingest must lose nothing, and the
//! two collectors must elect one alert leader through the cluster.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter as _, SpanLinks};
use opentelemetry_sdk::Resource;
use serde_json::{json, Value};

use crate::harness::{
    block_on, execute, post_beacon, python, query_json, repo_root, unique_database, Collector,
    CollectorOptions,
};

/// The four nodes: n1, n2 are shard 1; n3, n4 shard 2 (the scripts' ports).
const NODES: [u8; 4] = [1, 2, 3, 4];

fn node_url(node: u8) -> String {
    format!("http://127.0.0.1:200{node}1")
}

/// A running cluster under its own root; stopped and wiped when dropped,
/// pass or fail.
struct ShardedClickHouse {
    scripts: PathBuf,
    root: PathBuf,
}

impl ShardedClickHouse {
    fn start() -> Self {
        let scripts = repo_root().join("../shared/cluster");
        assert!(
            scripts.join("start_cluster.sh").exists(),
            "the sharded-cluster test needs ../shared/cluster beside the repository \
             (start_cluster.sh not found at {})",
            scripts.display()
        );
        let root = tempfile::tempdir().expect("temp dir").keep();
        let cluster = Self { scripts, root };
        cluster.run_start();
        cluster
    }

    /// Starts the nodes that are down (all of them the first time).
    fn run_start(&self) {
        let output = Command::new("bash")
            .arg(self.scripts.join("start_cluster.sh"))
            .arg(&self.root)
            .env("PY", python())
            .current_dir(repo_root())
            .output()
            .expect("start_cluster.sh runs");
        assert!(
            output.status.success(),
            "start_cluster.sh failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// SIGKILL one node, by the PID the start script recorded.
    fn kill(&self, node: u8) {
        let pid_file = self.root.join(format!("n{node}/pid"));
        let pid = std::fs::read_to_string(&pid_file).expect("node pid");
        let status = Command::new("kill")
            .args(["-KILL", pid.trim()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill n{node} (pid {pid})");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::path::Path::new(&format!("/proc/{}", pid.trim())).exists()
            && std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
                .is_ok_and(|stat| !stat.contains(") Z "))
        {
            assert!(Instant::now() < deadline, "n{node} did not die");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ShardedClickHouse {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(self.scripts.join("stop_cluster.sh"))
            .arg(&self.root)
            .arg("--wipe")
            .output();
    }
}

fn count(node: u8, database: &str, sql: &str) -> u64 {
    let rows = query_json(&node_url(node), database, &format!("SELECT ({sql}) AS n"));
    rows.first().and_then(|r| r["n"].as_u64()).unwrap_or(0)
}

/// Each node's own rows of `table`, by local table.
fn local_counts(database: &str, table: &str) -> Vec<u64> {
    NODES
        .iter()
        .map(|&node| {
            count(
                node,
                database,
                &format!("SELECT count() FROM {table}_local"),
            )
        })
        .collect()
}

/// Pushes the Distributed tables' queues on the collectors' entry nodes
/// and waits until each replica holds what its shard holds and the two
/// shards hold `expected` spans together.
fn wait_until_replicated(database: &str, expected: u64) -> Vec<u64> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for node in [1, 3] {
            execute(
                &node_url(node),
                &format!("SYSTEM FLUSH DISTRIBUTED `{database}`.otel_traces"),
            );
        }
        let counts = local_counts(database, "otel_traces");
        if counts[0] == counts[1] && counts[2] == counts[3] && counts[0] + counts[2] == expected {
            return counts;
        }
        assert!(
            Instant::now() < deadline,
            "replicas never held all {expected} spans: local counts {counts:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Rows n1's Distributed span table holds for replicas it cannot reach,
/// once the collectors' last writes are in (polled briefly).
fn wait_for_queued(database: &str) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let queued = count(
            1,
            "system",
            &format!(
                "SELECT sum(data_files) FROM system.distribution_queue \
                 WHERE database = '{database}' AND table = 'otel_traces'"
            ),
        );
        if queued > 0 || Instant::now() > deadline {
            return queued;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn cluster_collector(database: &str, entry: u8) -> Collector {
    let nodes: Vec<String> = NODES.iter().map(|&n| node_url(n)).collect();
    Collector::start_with(
        CollectorOptions {
            database: Some(database.to_owned()),
            ..CollectorOptions::default()
        }
        .env("JAMSCOPE_CLICKHOUSE_URL", node_url(entry))
        .env("JAMSCOPE_CLICKHOUSE_CLUSTER", "c")
        .env("JAMSCOPE_CLICKHOUSE_CLUSTER_NODES", nodes.join(","))
        // Alerting's shared tables (heartbeats, window deltas, state) go
        // through the Distributed tables too.
        .env("JAMSCOPE_ALERT_ENABLED", "true")
        .env(
            "JAMSCOPE_ALERT_RULES_DIR",
            repo_root().join("alert-rules").display().to_string(),
        )
        .env("JAMSCOPE_ALERT_EVALUATION_INTERVAL_MS", "500")
        .env("JAMSCOPE_ALERT_PEER_LEASE_MS", "2000"),
    )
}

/// Whether a collector says it evaluates alerts for all.
fn leads(collector: &Collector) -> bool {
    block_on(async {
        let response = reqwest::get(format!("{}/metrics", collector.http_url()))
            .await
            .expect("metrics");
        response.text().await.expect("text")
    })
    .contains("\njamscope_alert_leader 1\n")
}

/// Exactly one of the collectors leads, the same one over several
/// evaluations: they see each other's heartbeats through the cluster.
fn one_leader(collectors: [&Collector; 2]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut agreed = 0;
    while agreed < 4 {
        let leading: Vec<bool> = collectors.iter().map(|c| leads(c)).collect();
        agreed = if leading.iter().filter(|&&l| l).count() == 1 {
            agreed + 1
        } else {
            0
        };
        assert!(
            Instant::now() < deadline,
            "never exactly one leader: {leading:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// One service's spans, exported by the SDK's OTLP/HTTP protobuf exporter.
struct Batch {
    service: &'static str,
    layer: &'static str,
    spans: Vec<SpanData>,
}

fn export(collector: &Collector, batch: Batch) {
    let resource = Resource::builder_empty()
        .with_attributes([
            KeyValue::new("service.name", batch.service),
            KeyValue::new("jamstack.layer", batch.layer),
        ])
        .build();
    let endpoint = format!("{}/v1/traces", collector.http_url());
    block_on(async move {
        let mut exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(endpoint)
            .build()
            .expect("exporter");
        exporter.set_resource(&resource);
        exporter.export(batch.spans).await.expect("export accepted");
    });
}

/// A three-layer trace (CDN → gateway → CMS), its spans by service.
struct Trace {
    id: TraceId,
    edge: SpanData,
    gateway: SpanData,
    cms: SpanData,
}

fn trace(number: u64, start_nanos: u64) -> Trace {
    let at = |ns: u64| UNIX_EPOCH + Duration::from_nanos(ns);
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&0x6a61_6d73_636f_7065u64.to_be_bytes());
    id[8..].copy_from_slice(&(number + 1).to_be_bytes());
    let id = TraceId::from_bytes(id);
    let span_id = |layer: u64| SpanId::from_bytes(((number + 1) << 8 | layer).to_be_bytes());
    // What the layer KPIs read: a CDN cache status, a CMS database and
    // its connection pool.
    let kpi_attributes = |layer: u64| match layer {
        1 => vec![KeyValue::new(
            "cdn.cache_status",
            if number.is_multiple_of(3) {
                "miss"
            } else {
                "hit"
            },
        )],
        3 => vec![
            KeyValue::new("db.system", "postgresql"),
            KeyValue::new(
                "db.client.connection.pool.utilization",
                (number % 10) as f64 / 10.0,
            ),
        ],
        _ => Vec::new(),
    };
    let span = |layer: u64, parent: SpanId, name: &str, from: u64, to: u64, status: Status| {
        let mut attributes = vec![
            KeyValue::new("http.route", format!("/products/{}", number % 4)),
            KeyValue::new("http.response.status_code", 200i64),
        ];
        attributes.extend(kpi_attributes(layer));
        SpanData {
            span_context: SpanContext::new(
                id,
                span_id(layer),
                TraceFlags::SAMPLED,
                false,
                TraceState::NONE,
            ),
            parent_span_id: parent,
            parent_span_is_remote: parent != SpanId::INVALID,
            span_kind: SpanKind::Server,
            name: name.to_owned().into(),
            start_time: at(start_nanos + from),
            end_time: at(start_nanos + to),
            attributes,
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status,
            instrumentation_scope: InstrumentationScope::builder("jamscope-e2e-cluster").build(),
        }
    };
    let ms = 1_000_000;
    let failed = number.is_multiple_of(5);
    Trace {
        id,
        edge: span(
            1,
            SpanId::INVALID,
            "GET /products/:id",
            0,
            (30 + number) * ms,
            Status::Ok,
        ),
        gateway: span(
            2,
            span_id(1),
            "proxy",
            2 * ms,
            (25 + number) * ms,
            Status::Ok,
        ),
        cms: span(
            3,
            span_id(2),
            "render",
            5 * ms,
            (20 + number) * ms,
            if failed {
                Status::error("upstream failed")
            } else {
                Status::Ok
            },
        ),
    }
}

fn by_service(traces: &[&Trace]) -> Vec<Batch> {
    vec![
        Batch {
            service: "edge",
            layer: "cdn",
            spans: traces.iter().map(|t| t.edge.clone()).collect(),
        },
        Batch {
            service: "gateway",
            layer: "gateway",
            spans: traces.iter().map(|t| t.gateway.clone()).collect(),
        },
        Batch {
            service: "cms",
            layer: "cms",
            spans: traces.iter().map(|t| t.cms.clone()).collect(),
        },
    ]
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
}

fn fetch(collector: &Collector, path: &str) -> (u16, Value) {
    block_on(async {
        let response = reqwest::get(format!("{}{path}", collector.http_url()))
            .await
            .expect("API answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    })
}

fn api(collector: &Collector, path: &str) -> Value {
    let (status, body) = fetch(collector, path);
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// Each node's local span table holds each span at most once: its
/// distinct spans are all its rows (`counts`, n1 first).
fn assert_no_span_twice(database: &str, counts: &[u64]) {
    for node in NODES {
        let distinct = count(
            node,
            database,
            "SELECT uniqExact(TraceId, SpanId) FROM otel_traces_local",
        );
        assert_eq!(
            distinct,
            counts[usize::from(node) - 1],
            "no span twice on n{node}"
        );
    }
}

fn post_logs(collector: &Collector, body: &Value) {
    let (status, _, answer) = crate::payload::post(
        &format!("{}/v1/logs", collector.http_url()),
        Some("application/json"),
        None,
        body.to_string().into_bytes(),
    );
    assert_eq!((status, answer.as_slice()), (200, &b"{}"[..]));
}

fn beacon(collector: &Collector, body: &Value) {
    assert_eq!(post_beacon(collector, &body.to_string()), 200);
}

/// The cluster collector's answer to `path`, once it equals the single
/// node's (both are polled: rows may still be on their way).
fn same_answer(collector: &Collector, one_node: &Collector, path: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (answer, expected) = (fetch(collector, path), fetch(one_node, path));
        if answer == expected && answer.0 == 200 {
            return answer.1;
        }
        assert!(
            Instant::now() < deadline,
            "{path}\ncluster:  {answer:?}\none node: {expected:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Search results in a stable order (trace id), whatever order ties came in.
fn sorted_search(collector: &Collector, query: &str) -> Vec<Value> {
    let mut found = api(collector, &format!("/api/traces?{query}"))["traces"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    found.sort_by_key(|t| t["trace_id"].as_str().unwrap_or_default().to_owned());
    found
}

/// Trace ids stored in a node's local span table.
fn local_trace_ids(node: u8, database: &str) -> BTreeSet<String> {
    query_json(
        &node_url(node),
        database,
        "SELECT DISTINCT TraceId FROM otel_traces_local",
    )
    .iter()
    .filter_map(|r| r["TraceId"].as_str().map(str::to_owned))
    .collect()
}

/// Spans per trace in a node's local index, merged as queries merge it.
fn local_index(node: u8, database: &str) -> BTreeMap<String, u64> {
    query_json(
        &node_url(node),
        database,
        "SELECT TraceId, sum(SpanCount) AS spans FROM trace_index_local GROUP BY TraceId",
    )
    .iter()
    .filter_map(|r| Some((r["TraceId"].as_str()?.to_owned(), r["spans"].as_u64()?)))
    .collect()
}

#[test]
fn two_collectors_on_a_sharded_cluster_without_keeper_answer_as_one_node() {
    let cluster = ShardedClickHouse::start();
    let database = unique_database("cluster");
    let through_n1 = cluster_collector(&database, 1);
    let through_n3 = cluster_collector(&database, 3);
    let one_node = Collector::start();

    // 24 traces: even ones through n1, odd ones through n3, and every
    // third trace's CMS span through the other collector, so one trace
    // arrives through both entry nodes.
    let start = now_nanos() - 60_000_000_000;
    let traces: Vec<Trace> = (0..24)
        .map(|n| trace(n, start + n * 1_000_000_000))
        .collect();
    let sent_spans = traces.len() as u64 * 3;
    let pick = |n1: bool| -> Vec<&Trace> {
        traces
            .iter()
            .enumerate()
            .filter(|(i, _)| (i % 2 == 0) == n1)
            .map(|(_, t)| t)
            .collect()
    };
    for (collector, own) in [(&through_n1, pick(true)), (&through_n3, pick(false))] {
        let other = if std::ptr::eq(collector, &through_n1) {
            &through_n3
        } else {
            &through_n1
        };
        for batch in by_service(&own) {
            let (moved, kept): (Vec<SpanData>, Vec<SpanData>) =
                batch.spans.into_iter().partition(|span| {
                    batch.service == "cms" && span.span_context.trace_id().to_bytes()[15] % 3 == 0
                });
            export(
                collector,
                Batch {
                    spans: kept,
                    ..batch
                },
            );
            if !moved.is_empty() {
                export(
                    other,
                    Batch {
                        spans: moved,
                        ..batch
                    },
                );
            }
        }
    }
    for batch in by_service(&traces.iter().collect::<Vec<_>>()) {
        export(&one_node, batch);
    }

    // Every span once on each replica of one shard, both shards used.
    let counts = wait_until_replicated(&database, sent_spans);
    assert!(
        counts[0] > 0 && counts[2] > 0,
        "both shards hold spans: {counts:?}"
    );
    assert_no_span_twice(&database, &counts);
    // A trace's rows sit on one shard, and the replicas agree on which.
    let shard_1 = local_trace_ids(1, &database);
    let shard_2 = local_trace_ids(3, &database);
    assert_eq!(shard_1, local_trace_ids(2, &database));
    assert_eq!(shard_2, local_trace_ids(4, &database));
    assert!(shard_1.is_disjoint(&shard_2), "a trace split over shards");
    assert_eq!(shard_1.len() + shard_2.len(), traces.len());
    // Each node's view indexed its own spans: three per trace, on the
    // same shard as the spans.
    for node in NODES {
        let index = local_index(node, &database);
        let spans = if node <= 2 { &shard_1 } else { &shard_2 };
        assert_eq!(
            index.keys().cloned().collect::<BTreeSet<_>>(),
            *spans,
            "n{node}"
        );
        assert!(index.values().all(|&n| n == 3), "n{node}: {index:?}");
    }

    // Page views of the first eight traces, with vitals and errors, half
    // through each collector; one vital re-reported (a larger value, the
    // same id) through the other one: the newest report must win.
    let now_ms = (now_nanos() / 1_000_000) as i64;
    for (i, t) in traces.iter().take(8).enumerate() {
        let mut events = vec![
            json!({"type": "page_view", "ts": now_ms}),
            json!({"type": "vital", "name": "LCP", "value": 1000 + 400 * i, "delta": 1000 + 400 * i,
                   "id": format!("v5-{i}-lcp"), "ts": now_ms}),
            json!({"type": "vital", "name": "CLS", "value": 0.05 * i as f64, "delta": 0.05 * i as f64,
                   "id": format!("v5-{i}-cls"), "ts": now_ms}),
        ];
        if i % 2 == 0 {
            events.push(json!({"type": "error", "message": format!("x{} is undefined", i % 4),
                "errorType": "TypeError", "ts": now_ms,
                "stack": [{"file": "https://shop.test/app.js", "function": "add", "line": 10, "column": 5}]}));
        }
        let page_view = json!({
            "app": "shop", "sessionId": format!("s-{}", i % 3), "pageViewId": format!("p-{i}"),
            "traceId": t.id.to_string(), "page": {"path": format!("/p/{}", i % 4), "route": "/p/:id"},
            "events": events,
        });
        beacon(
            if i % 2 == 0 { &through_n1 } else { &through_n3 },
            &page_view,
        );
        beacon(&one_node, &page_view);
    }
    let re_report = json!({
        "app": "shop", "sessionId": "s-0", "pageViewId": "p-0",
        "traceId": traces[0].id.to_string(), "page": {"path": "/p/0", "route": "/p/:id"},
        "events": [{"type": "vital", "name": "LCP", "value": 4100, "delta": 3100, "id": "v5-0-lcp", "ts": now_ms + 1}],
    });
    beacon(&through_n3, &re_report);
    beacon(&one_node, &re_report);

    // Log records of the first four traces under their CMS spans, and one
    // outside any trace each, half through each collector.
    for (i, t) in traces.iter().take(4).enumerate() {
        let at = start + i as u64 * 1_000_000_000 + 500;
        let cms_span = t.cms.span_context.span_id().to_string();
        let logs = json!({"resourceLogs": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "cms"}}]},
            "scopeLogs": [{"logRecords": [
                {"timeUnixNano": at.to_string(), "severityNumber": 17, "traceId": t.id.to_string(),
                 "spanId": cms_span, "body": {"stringValue": format!("pool exhausted {i}")}},
                {"timeUnixNano": (at + 1).to_string(), "severityNumber": 9,
                 "body": {"stringValue": format!("cache warmed {i}")}}
            ]}]
        }]});
        post_logs(if i % 2 == 0 { &through_n1 } else { &through_n3 }, &logs);
        post_logs(&one_node, &logs);
    }

    // The query API answers as on one node, through either collector.
    one_node.wait_for_rows("otel_traces", sent_spans);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !fetch(&one_node, "/api/page-views/p-0")
        .1
        .to_string()
        .contains("4100")
    {
        assert!(
            Instant::now() < deadline,
            "the re-reported vital never landed"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let range = format!(
        "from={}&to={}",
        start / 1_000_000 - 60_000,
        now_nanos() / 1_000_000 + 60_000
    );
    for collector in [&through_n1, &through_n3] {
        for t in &traces {
            same_answer(collector, &one_node, &format!("/api/traces/{}", t.id));
        }
        for i in 0..8 {
            same_answer(collector, &one_node, &format!("/api/page-views/p-{i}"));
        }
        for path in [
            format!("/api/vitals?{range}"),
            format!("/api/vitals?{range}&group_by=route"),
            format!("/api/vitals/series?{range}&buckets=4"),
            format!("/api/errors?{range}"),
            format!("/api/logs?{range}&limit=1000"),
            format!("/api/logs?{range}&q=exhausted&severity=error"),
        ] {
            let answer = same_answer(collector, &one_node, &path);
            assert!(answer.to_string().len() > 100, "{path}: {answer}");
        }
        for query in [
            "window=1h&limit=1000",
            "window=1h&status=error",
            "window=1h&service=edge&min_duration_ms=40",
            "window=1h&layer=cms&route=/products/1",
        ] {
            let answer = sorted_search(collector, query);
            assert!(!answer.is_empty(), "{query} finds traces");
            assert_eq!(answer, sorted_search(&one_node, query), "{query}");
        }
        {
            let path = format!("/api/layers?{range}");
            let answer = api(collector, &path);
            assert!(
                answer.to_string().contains("\"samples\":24"),
                "{path}: {answer}"
            );
            assert_eq!(answer, api(&one_node, &path), "{path}");
        }
    }

    // A replica killed while both collectors send loses nothing: the
    // Distributed tables keep its share and deliver it once it is back.
    let more: Vec<Trace> = (100..220)
        .map(|n| trace(n, start + (n - 90) * 100_000_000))
        .collect();
    let more_spans = more.len() as u64 * 3;
    for (round, chunk) in more.chunks(10).enumerate() {
        if round == 3 {
            cluster.kill(2);
        }
        if round == 9 {
            // Spans for n2 were accepted meanwhile, waiting in n1's queue.
            let waiting = wait_for_queued(&database);
            assert!(waiting > 0, "nothing queued for the dead replica");
            cluster.run_start();
        }
        let collector = if round % 2 == 0 {
            &through_n1
        } else {
            &through_n3
        };
        for batch in by_service(&chunk.iter().collect::<Vec<_>>()) {
            export(collector, batch);
        }
    }
    // An INSERT sent again with its token (the writer's retry and replay)
    // is stored once through the Distributed table, index included.
    let retried = format!(
        "INSERT INTO `{database}`.otel_traces (Timestamp, TraceId, SpanId, ServiceName, Layer) \
         SETTINGS insert_deduplicate = 1, insert_deduplication_token = 'cluster-retry', \
         deduplicate_blocks_in_dependent_materialized_views = 1 \
         VALUES (now64(9), 'retried', 'a', 'edge', 'cdn'), (now64(9), 'retried', 'b', 'edge', 'cdn')"
    );
    for _ in 0..2 {
        execute(&node_url(1), &retried);
    }
    let counts = wait_until_replicated(&database, sent_spans + more_spans + 2);
    assert_no_span_twice(&database, &counts);
    for node in NODES {
        let indexed = count(
            node,
            &database,
            "SELECT sum(SpanCount) FROM trace_index_local",
        );
        assert_eq!(indexed, counts[usize::from(node) - 1], "n{node}'s index");
    }
    let searched = api(&through_n1, "/api/traces?window=1h&limit=1000")["traces"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(searched, traces.len() + more.len() + 1);
    one_leader([&through_n1, &through_n3]);
}
