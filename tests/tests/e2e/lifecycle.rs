//! The collector's life: the embedded ClickHouse path `make run` takes,
//! configuration errors, migrations, backpressure and recovery, and a
//! shutdown that writes everything it acknowledged.

use std::process::Command;

use jamscope::store::schema::{statements_through, SchemaOptions};
use serde_json::{json, Value};

use crate::expect::assert_spans_stored;
use crate::harness::{
    clickhouse_url, execute, metric, metrics_text, python, query_json, repo_root, run_jamscope,
    unique_database, Collector, CollectorOptions,
};
use crate::payload::{post, protobuf_spans};

const PROTOBUF: Option<&str> = Some("application/x-protobuf");

#[test]
fn embedded_clickhouse_stores_a_python_sdk_span_exactly() {
    let collector = Collector::start_with(CollectorOptions {
        shared_clickhouse: false,
        ..Default::default()
    });
    assert!(
        collector.output().contains("embedded"),
        "banner names the embedded ClickHouse:\n{}",
        collector.output()
    );
    let output = Command::new(python())
        .arg(repo_root().join("tests/clients/python/send_spans.py"))
        .args(["--endpoint", &collector.http_url()])
        .output()
        .expect("python client");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let sent: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_spans_stored(&collector, &sent, "gateway");

    // The trace index answers "where is this trace" with one row.
    let trace_id = sent["spans"][0]["trace_id"].as_str().expect("trace id");
    let rows = collector.query(&format!(
        "SELECT sum(SpanCount) AS spans, sum(ErrorCount) AS errors, \
         groupUniqArrayArray(Services) AS services, groupUniqArrayArray(Layers) AS layers, \
         toUnixTimestamp64Nano(min(Start)) AS start_ns, toUnixTimestamp64Nano(max(End)) AS end_ns \
         FROM trace_index WHERE TraceId = '{trace_id}' GROUP BY TraceId"
    ));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["spans"], 2);
    assert_eq!(rows[0]["errors"], 1);
    assert_eq!(rows[0]["services"], serde_json::json!(["py-checkout"]));
    assert_eq!(rows[0]["layers"], serde_json::json!(["gateway"]));
    let starts: Vec<u64> = sent["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start_ns"].as_u64().unwrap())
        .collect();
    let ends: Vec<u64> = sent["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["end_ns"].as_u64().unwrap())
        .collect();
    assert_eq!(rows[0]["start_ns"], *starts.iter().min().unwrap());
    assert_eq!(rows[0]["end_ns"], *ends.iter().max().unwrap());
}

#[test]
fn config_errors_name_the_key() {
    let unknown = run_jamscope(
        &["config", "check"],
        &[("JAMSCOPE_CLICKHOUSE_URLL", "http://x")],
    );
    assert!(!unknown.status.success());
    let stderr = String::from_utf8_lossy(&unknown.stderr).to_lowercase();
    assert!(
        stderr.contains("unknown field") && stderr.contains("urll"),
        "{stderr}"
    );

    let bad_value = run_jamscope(
        &["config", "check"],
        &[("JAMSCOPE_HTTP_ADDR", "everywhere")],
    );
    assert!(!bad_value.status.success());
    let stderr = String::from_utf8_lossy(&bad_value.stderr).to_lowercase();
    assert!(
        stderr.contains("http_addr") && stderr.contains("socket address"),
        "{stderr}"
    );

    let missing_file = run_jamscope(
        &["--config", "/nonexistent/jamscope.toml", "config", "check"],
        &[],
    );
    assert!(!missing_file.status.success());
    assert!(String::from_utf8_lossy(&missing_file.stderr).contains("does not exist"));

    let good = run_jamscope(
        &["config", "check"],
        &[("JAMSCOPE_CLICKHOUSE_DATABASE", "checked")],
    );
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(String::from_utf8_lossy(&good.stdout).contains("checked"));
}

#[test]
fn migrate_applies_once_and_then_has_nothing_to_do() {
    let database = unique_database("migrate");
    let env = [
        ("JAMSCOPE_CLICKHOUSE_URL", clickhouse_url()),
        ("JAMSCOPE_CLICKHOUSE_DATABASE", database.as_str()),
    ];
    let first = run_jamscope(&["migrate"], &env);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains(
        "applied: otel_traces, trace_index, rum_tables, deduplication, rum_vitals_by_page_start, trace_search, builds, alert_tables, drop_attribute_key_indexes, wider_span_merges, otel_logs, metric_tables"
    ));
    let second = run_jamscope(&["migrate"], &env);
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("schema is up to date"));
    // Every table the writer fills remembers recent insert tokens, so
    // retries store once (alerting's tables are written once, unretried).
    let windows = query_json(
        clickhouse_url(),
        &database,
        "SELECT name FROM system.tables WHERE database = currentDatabase() \
         AND engine LIKE '%MergeTree' AND name != 'schema_migrations' \
         AND name NOT LIKE 'alert\\_%' \
         AND position(create_table_query, 'non_replicated_deduplication_window = 1000') = 0",
    );
    assert_eq!(
        windows,
        Vec::<serde_json::Value>::new(),
        "tables without a token window"
    );
    // Spans and log records are merged in wider steps than ClickHouse's
    // default (the embedded engine knows the setting, so the guard lets it
    // through).
    let wide_merges = query_json(
        clickhouse_url(),
        &database,
        "SELECT name FROM system.tables WHERE database = currentDatabase() \
         AND position(create_table_query, 'merge_selector_base = 10') > 0 ORDER BY name",
    );
    assert_eq!(
        wide_merges,
        vec![json!({"name": "otel_logs"}), json!({"name": "otel_traces"})]
    );
    let tables = query_json(
        clickhouse_url(),
        &database,
        "SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name",
    );
    let names: Vec<&str> = tables.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "alert_events",
            "alert_heartbeats",
            "alert_silences",
            "alert_state",
            "alert_window_deltas",
            "builds",
            "error_decisions",
            "error_events",
            "error_groups",
            "error_groups_events_mv",
            "error_groups_rum_mv",
            "otel_logs",
            "otel_metrics_exponential_histogram",
            "otel_metrics_gauge",
            "otel_metrics_histogram",
            "otel_metrics_sum",
            "otel_metrics_summary",
            "otel_traces",
            "rejected_rows",
            "rum_errors",
            "rum_page_views",
            "rum_vitals",
            "schema_migrations",
            "sourcemaps",
            "trace_index",
            "trace_index_mv"
        ]
    );
}

/// A database as schema version 3 left it (migrations 1 to 3 run from
/// their own statements, which never change once released, and recorded),
/// with `rum_vitals` rows as the collector wrote them then: one CLS
/// re-reported across midnight under a web-vitals id, which the old
/// partitioning kept as two rows, an LCP with a custom id, and an FCP whose
/// id holds an absurd time. Returns the database and that midnight (ms).
fn version_3_database_with_vitals(prefix: &str) -> (String, i64) {
    let url = clickhouse_url();
    let database = database_at_version(prefix, 3);
    let midnight = query_json(
        url,
        &database,
        "SELECT toInt64(toUnixTimestamp(toStartOfDay(now()))) * 1000 AS ms",
    )[0]["ms"]
        .as_i64()
        .expect("midnight");
    let row = |ms: i64, name: &str, value: f64, id: &str| {
        format!(
            "(fromUnixTimestamp64Milli(toInt64({ms})), fromUnixTimestamp64Milli(toInt64({ms})), \
             'shop', '{name}', {value}, 'good', {value}, '{id}')"
        )
    };
    let cls = format!("v5-{}-1234567890123", midnight - 20_000);
    let rows = [
        row(midnight - 10_000, "CLS", 0.08, &cls),
        row(midnight + 10_000, "CLS", 0.27, &cls),
        row(midnight - 3_600_000, "LCP", 1500.0, "abc"),
        row(
            midnight - 7_200_000,
            "FCP",
            900.0,
            "v5-4102444800000-1234567890123",
        ),
    ];
    execute(
        url,
        &format!(
            "INSERT INTO `{database}`.rum_vitals \
             (Timestamp, ReceivedAt, App, Name, Value, Rating, Delta, MetricId) VALUES {}",
            rows.join(", ")
        ),
    );
    let split = query_json(
        url,
        &database,
        &format!(
            "SELECT count() AS n FROM rum_vitals FINAL WHERE MetricId = '{cls}' \
             SETTINGS do_not_merge_across_partitions_select_final = 1"
        ),
    );
    assert_eq!(
        split[0]["n"], 2,
        "the old layout keeps the CLS in two partitions"
    );
    (database, midnight)
}

/// `rum_vitals` as a reader sees it: the latest report per id, replacing
/// only within a partition, as merges do.
fn vitals_final(database: &str) -> Vec<Value> {
    query_json(
        clickhouse_url(),
        database,
        "SELECT MetricId, Value, toUnixTimestamp64Milli(Timestamp) AS ts, \
         toUnixTimestamp64Milli(PageStartedAt) AS started FROM rum_vitals FINAL ORDER BY MetricId \
         SETTINGS do_not_merge_across_partitions_select_final = 1",
    )
}

/// The rows `version_3_database_with_vitals` wrote, after the rebuild: the
/// CLS once, its page start from the id; the others at their own time.
fn expected_vitals(midnight: i64) -> Vec<Value> {
    vec![
        json!({"MetricId": "abc", "Value": 1500, "ts": midnight - 3_600_000, "started": midnight - 3_600_000}),
        json!({"MetricId": format!("v5-{}-1234567890123", midnight - 20_000), "Value": 0.27,
               "ts": midnight + 10_000, "started": midnight - 20_000}),
        json!({"MetricId": "v5-4102444800000-1234567890123", "Value": 900,
               "ts": midnight - 7_200_000, "started": midnight - 7_200_000}),
    ]
}

fn migrate(database: &str) -> String {
    let output = run_jamscope(
        &["migrate"],
        &[
            ("JAMSCOPE_CLICKHOUSE_URL", clickhouse_url()),
            ("JAMSCOPE_CLICKHOUSE_DATABASE", database),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn table_names(database: &str) -> Vec<String> {
    query_json(
        clickhouse_url(),
        database,
        "SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name",
    )
    .iter()
    .filter_map(|t| t["name"].as_str().map(str::to_owned))
    .collect()
}

/// A database as schema version 8 left it, with two traces' spans in it
/// (and their `trace_index` rows, filled by the view as then defined).
fn version_8_database_with_spans(prefix: &str) -> String {
    let database = database_at_version(prefix, 8);
    insert_spans(&database, "old");
    database
}

/// The names of the released migrations, by version.
const RELEASED: [&str; 8] = [
    "otel_traces",
    "trace_index",
    "rum_tables",
    "deduplication",
    "rum_vitals_by_page_start",
    "trace_search",
    "builds",
    "alert_tables",
];

/// A new database brought to schema `version` by the migrations' own
/// statements (released ones never change, so this is what it was) and
/// recorded as such.
fn database_at_version(prefix: &str, version: u32) -> String {
    let url = clickhouse_url();
    let database = unique_database(prefix);
    let options = SchemaOptions {
        database: database.clone(),
        cluster: None,
        ttl_days: 30,
        logs_ttl_days: 30,
        metrics_ttl_days: 30,
    };
    for statement in statements_through(&options, version) {
        execute(url, &statement);
    }
    let recorded: Vec<String> = (1..=version)
        .zip(RELEASED)
        .map(|(v, name)| format!("({v}, '{name}')"))
        .collect();
    execute(
        url,
        &format!(
            "INSERT INTO `{database}`.schema_migrations (version, name) VALUES {}",
            recorded.join(", ")
        ),
    );
    database
}

/// Three spans of trace `{prefix}-1` (a browser root, two gateway spans
/// with routes, one failed) and one of `{prefix}-2`.
fn insert_spans(database: &str, prefix: &str) {
    execute(
        clickhouse_url(),
        &format!(
            "INSERT INTO `{database}`.otel_traces \
             (Timestamp, TraceId, SpanId, ParentSpanId, ServiceName, SpanName, Duration, \
              StatusCode, Layer, SpanAttributes, ResourceAttributes) VALUES \
             (now64(9), '{prefix}-1', 'a', '', 'web', 'GET /', 100, 'Ok', 'browser', {{}}, {{'service.name': 'web'}}), \
             (now64(9), '{prefix}-1', 'b', 'a', 'gw', 'route', 50, 'Error', 'gateway', {{'http.route': '/a'}}, {{}}), \
             (now64(9), '{prefix}-1', 'c', 'b', 'gw', 'r2', 7, 'Ok', 'gateway', {{'http.route': '/b'}}, {{}}), \
             (now64(9), '{prefix}-2', 'd', '', 'cms', 'x', 5, 'Ok', 'cms', {{}}, {{}})"
        ),
    );
}

/// `trace_index` as the search query reads it, per trace.
fn trace_index_rows(database: &str) -> Vec<Value> {
    query_json(
        clickhouse_url(),
        database,
        "SELECT TraceId, sum(SpanCount) AS spans, sum(ErrorCount) AS errors, \
                arraySort(groupUniqArrayArray(Services)) AS services, \
                arraySort(groupUniqArrayArray(Layers)) AS layers, \
                max(RootService) AS root_service, max(RootName) AS root_name, \
                arraySort(groupUniqArrayArray(Routes)) AS routes, \
                CAST(sumMap(LayerTime), 'Map(String, UInt64)') AS layer_time \
         FROM trace_index GROUP BY TraceId ORDER BY TraceId",
    )
}

fn expected_index(prefix: &str) -> Vec<Value> {
    vec![
        json!({"TraceId": format!("{prefix}-1"), "spans": 3, "errors": 1,
               "services": ["gw", "web"], "layers": ["browser", "gateway"],
               "root_service": "web", "root_name": "GET /", "routes": ["/a", "/b"],
               "layer_time": {"browser": 100, "gateway": 57}}),
        json!({"TraceId": format!("{prefix}-2"), "spans": 1, "errors": 0,
               "services": ["cms"], "layers": ["cms"], "root_service": "cms",
               "root_name": "x", "routes": [], "layer_time": {"cms": 5}}),
    ]
}

#[test]
fn migrating_a_version_8_database_keeps_every_span_and_the_trace_index() {
    let database = version_8_database_with_spans("cheaper_rows");
    assert_eq!(trace_index_rows(&database), expected_index("old"));
    let applied = migrate(&database);
    assert!(
        applied.contains("drop_attribute_key_indexes") && !applied.contains("alert_tables"),
        "{applied}"
    );
    let spans = query_json(
        clickhouse_url(),
        &database,
        "SELECT count() AS n FROM otel_traces",
    );
    assert_eq!(spans, vec![json!({"n": 4})]);
    let indexes = query_json(
        clickhouse_url(),
        &database,
        "SELECT name FROM system.data_skipping_indices \
         WHERE database = currentDatabase() AND table = 'otel_traces' ORDER BY name",
    );
    assert_eq!(
        indexes,
        vec![
            json!({"name": "idx_duration"}),
            json!({"name": "idx_trace_id"})
        ]
    );
    // Spans written after the upgrade are indexed as before.
    insert_spans(&database, "new");
    let mut expected = expected_index("new");
    expected.extend(expected_index("old"));
    assert_eq!(trace_index_rows(&database), expected);
}

#[test]
fn migrate_rebuilds_rum_vitals_by_page_start_keeping_every_row() {
    let (database, midnight) = version_3_database_with_vitals("rum_rebuild");
    let applied = migrate(&database);
    assert!(
        applied.contains("rum_vitals_by_page_start") && !applied.contains("rum_tables"),
        "{applied}"
    );
    assert_eq!(vitals_final(&database), expected_vitals(midnight));
    let layout = query_json(
        clickhouse_url(),
        &database,
        "SELECT partition_key, sorting_key, engine FROM system.tables \
         WHERE database = currentDatabase() AND name = 'rum_vitals'",
    );
    assert_eq!(
        layout,
        vec![json!({"partition_key": "toDate(PageStartedAt)",
                    "sorting_key": "App, Name, MetricId", "engine": "ReplacingMergeTree"})]
    );
    assert!(
        !table_names(&database)
            .iter()
            .any(|t| t.starts_with("rum_vitals_")),
        "the old table is gone: {:?}",
        table_names(&database)
    );
    let rows_before = query_json(
        clickhouse_url(),
        &database,
        "SELECT count() AS n FROM rum_vitals",
    );

    let again = migrate(&database);
    assert!(again.contains("schema is up to date"), "{again}");
    assert_eq!(vitals_final(&database), expected_vitals(midnight));
    let rows_after = query_json(
        clickhouse_url(),
        &database,
        "SELECT count() AS n FROM rum_vitals",
    );
    assert_eq!(rows_after, rows_before, "nothing copied twice");
}

/// A rebuild stopped after the exchange and part of the copy (here: the
/// LCP row copied, the rest not) is finished by the next `migrate` without
/// losing or doubling a row.
#[test]
fn an_interrupted_rum_vitals_rebuild_is_finished_by_the_next_migrate() {
    let (database, midnight) = version_3_database_with_vitals("rum_resume");
    let url = clickhouse_url();
    let options = SchemaOptions {
        database: database.clone(),
        cluster: None,
        ttl_days: 30,
        logs_ttl_days: 30,
        metrics_ttl_days: 30,
    };
    // The rebuild's own first statements: create the new table, exchange it in.
    let mut rebuild = statements_through(&options, 5);
    let rebuild = rebuild.split_off(statements_through(&options, 4).len());
    assert!(rebuild[1].contains("EXCHANGE TABLES"), "{}", rebuild[1]);
    execute(url, &rebuild[0]);
    execute(url, &rebuild[1]);
    // Parts stay as inserted, so a row copied twice would show.
    execute(url, &format!("SYSTEM STOP MERGES `{database}`.rum_vitals"));
    execute(
        url,
        &format!(
            "INSERT INTO `{database}`.rum_vitals SELECT *, Timestamp FROM `{database}`.rum_vitals_v5 \
             WHERE MetricId = 'abc'"
        ),
    );

    let applied = migrate(&database);
    assert!(applied.contains("rum_vitals_by_page_start"), "{applied}");
    assert_eq!(vitals_final(&database), expected_vitals(midnight));
    let lcp = query_json(
        url,
        &database,
        "SELECT count() AS n FROM rum_vitals WHERE MetricId = 'abc'",
    );
    assert_eq!(
        lcp[0]["n"], 1,
        "the row copied before the stop is not copied again"
    );
    assert!(!table_names(&database).contains(&"rum_vitals_v5".to_owned()));
}

#[test]
fn a_full_queue_answers_429_and_nothing_acknowledged_is_lost() {
    let collector = Collector::start_with(
        CollectorOptions::default()
            // Without the spool, memory is all there is: the queue fills.
            .env("JAMSCOPE_SPOOL_ENABLED", "false")
            .env("JAMSCOPE_WRITER_QUEUE_BYTES", "100000")
            .env("JAMSCOPE_WRITER_BATCH_BYTES", "100000")
            .env("JAMSCOPE_WRITER_BATCH_ROWS", "100")
            .env("JAMSCOPE_WRITER_RETRY_MAX_MS", "300")
            .env("JAMSCOPE_INGEST_QUEUE_WAIT_MS", "3000"),
    );
    let table = format!("`{}`.otel_traces", collector.database);
    // ClickHouse "loses" the table: every insert fails until it is back.
    execute(
        &collector.clickhouse_url,
        &format!("RENAME TABLE {table} TO {table}_parked"),
    );
    let url = format!("{}/v1/traces", collector.http_url());
    let mut accepted = 0u64;
    let mut refused = None;
    for _ in 0..30 {
        let (status, headers, _) = post(&url, PROTOBUF, None, protobuf_spans("backpressure", 100));
        match status {
            200 => accepted += 100,
            429 => {
                refused = Some(headers);
                break;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    let headers = refused.expect("the queue filled up and the collector said 429");
    assert_eq!(
        headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("1")
    );
    // The queue is bounded in encoded bytes: it held close to all of its
    // room when it refused, never more, and exactly what was accepted.
    let metrics = metrics_text(&collector);
    let gauge = |name: &str| {
        metric(&metrics, &format!("{name}{{table=\"otel_traces\"}}"))
            .unwrap_or_else(|| panic!("{name} in {metrics}")) as f64
    };
    let queued_bytes = gauge("jamscope_queue_bytes");
    assert_eq!(gauge("jamscope_queue_records"), accepted as f64);
    assert!(accepted >= 200, "several requests fit: {accepted}");
    assert!(
        queued_bytes <= 100_000.0
            && queued_bytes > 100_000.0 * accepted as f64 / (accepted + 100) as f64 - 1.0,
        "{queued_bytes} bytes queued for {accepted} spans; the next 100 did not fit"
    );

    execute(
        &collector.clickhouse_url,
        &format!("RENAME TABLE {table}_parked TO {table}"),
    );
    assert_eq!(collector.wait_for_rows("otel_traces", accepted), accepted);
    // Room is back once the rows are written.
    let (status, _, _) = post(&url, PROTOBUF, None, protobuf_spans("backpressure", 100));
    assert_eq!(status, 200);
    let metrics = metrics_text(&collector);
    assert!(
        metrics.contains("jamscope_requests_refused_overload_total 1"),
        "{metrics}"
    );
    assert!(
        !metrics.contains(
            "jamscope_insert_failures_total{table=\"otel_traces\",class=\"transient\"} 0\n"
        ),
        "{metrics}"
    );
}

#[test]
fn sigterm_writes_everything_accepted_before_exiting() {
    let mut collector = Collector::start_with(
        CollectorOptions::default()
            // Nothing would be flushed by time or size before the signal.
            .env("JAMSCOPE_WRITER_FLUSH_INTERVAL_MS", "600000")
            .env("JAMSCOPE_WRITER_BATCH_ROWS", "50000"),
    );
    let url = format!("{}/v1/traces", collector.http_url());
    for _ in 0..5 {
        let (status, _, _) = post(&url, PROTOBUF, None, protobuf_spans("shutdown", 200));
        assert_eq!(status, 200);
    }
    let status = collector.stop();
    assert!(status.success(), "clean exit:\n{}", collector.output());
    let rows = query_json(
        &collector.clickhouse_url,
        &collector.database,
        "SELECT count() AS n FROM otel_traces",
    );
    assert_eq!(rows[0]["n"], 1000);
}

#[test]
fn health_and_metrics_endpoints_answer() {
    let collector = Collector::start();
    let get = |path: &str| {
        crate::harness::block_on(async {
            let response = reqwest::get(format!("{}{path}", collector.http_url()))
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    };
    assert_eq!(get("/healthz").0, 200);
    assert_eq!(get("/readyz"), (200, "ready\n".to_owned()));
    let (status, _, _) = post(
        &format!("{}/v1/traces", collector.http_url()),
        PROTOBUF,
        None,
        protobuf_spans("metrics", 7),
    );
    assert_eq!(status, 200);
    assert_eq!(collector.wait_for_rows("otel_traces", 7), 7);
    // The counter moves just after ClickHouse confirms the insert.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let metrics = loop {
        let metrics = metrics_text(&collector);
        if metrics.contains("jamscope_rows_written_total{table=\"otel_traces\"} 7")
            || std::time::Instant::now() > deadline
        {
            break metrics;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(
        metrics.contains("jamscope_spans_accepted_total 7"),
        "{metrics}"
    );
    assert!(
        metrics.contains("jamscope_rows_written_total{table=\"otel_traces\"} 7"),
        "{metrics}"
    );
}
