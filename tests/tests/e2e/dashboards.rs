//! The Grafana dashboards (`dashboards/*.json`) against a real ClickHouse:
//! a collector creates the schema, rows are seeded in every table the
//! dashboards read (the metric tables too), and every panel's SQL, every variable's query and every
//! annotation runs with the ClickHouse plugin's macros expanded as the
//! plugin expands them (`$__timeFilter(c)` → `c >= toDateTime(from) AND c
//! <= toDateTime(to)`, `$__timeInterval(c)` → `toStartOfInterval(toDateTime(c),
//! INTERVAL n second)`, ...). Each answer must have the columns and types
//! its panel type needs, and rows.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::harness::{execute, query_typed, repo_root, Collector};

const TRACE: &str = "5b8efff798038103d269b633813fc60c";
const INTERVAL_SECS: i64 = 60;

struct Range {
    from_secs: i64,
    to_secs: i64,
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// The plugin's macros (names and expansions as its documentation and
/// source give them), then `${var}` / `$var` template variables.
fn expand(sql: &str, range: &Range, variables: &[(&str, &str)]) -> String {
    let mut out = sql.to_owned();
    let single = |name: &str| -> Option<String> {
        match name {
            "fromTime" => Some(format!("toDateTime({})", range.from_secs)),
            "toTime" => Some(format!("toDateTime({})", range.to_secs)),
            "fromTime_ms" => Some(format!(
                "fromUnixTimestamp64Milli({})",
                range.from_secs * 1000
            )),
            "toTime_ms" => Some(format!(
                "fromUnixTimestamp64Milli({})",
                range.to_secs * 1000
            )),
            "interval_s" => Some(INTERVAL_SECS.to_string()),
            _ => None,
        }
    };
    let with_argument = |name: &str, column: &str| -> Option<String> {
        let (f, t) = (range.from_secs, range.to_secs);
        match name {
            "timeFilter" => Some(format!(
                "{column} >= toDateTime({f}) AND {column} <= toDateTime({t})"
            )),
            "timeFilter_ms" => Some(format!(
                "{column} >= fromUnixTimestamp64Milli({}) AND {column} <= fromUnixTimestamp64Milli({})",
                f * 1000,
                t * 1000
            )),
            "timeInterval" => Some(format!(
                "toStartOfInterval(toDateTime({column}), INTERVAL {INTERVAL_SECS} second)"
            )),
            "timeInterval_ms" => Some(format!(
                "toStartOfInterval(toDateTime64({column}, 3), INTERVAL {} millisecond)",
                INTERVAL_SECS * 1000
            )),
            _ => None,
        }
    };
    while let Some(start) = out.find("$__") {
        let rest = &out[start + 3..];
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        let after = &rest[name_len..];
        let (replacement, consumed) = if after.starts_with('(') {
            let close = after.find(')').expect("macro argument closes");
            let argument = after[1..close].trim();
            let expansion = with_argument(name, argument)
                .unwrap_or_else(|| panic!("unknown macro $__{name}({argument})"));
            (expansion, 3 + name_len + close + 1)
        } else {
            let expansion = single(name).unwrap_or_else(|| panic!("unknown macro $__{name}"));
            (expansion, 3 + name_len)
        };
        out.replace_range(start..start + consumed, &replacement);
    }
    for (name, value) in variables {
        out = out
            .replace(&format!("${{{name}}}"), value)
            .replace(&format!("${name}"), value);
    }
    assert!(!out.contains('$'), "unexpanded variable in: {out}");
    out
}

fn seed(collector: &Collector) {
    let db = &collector.database;
    let now = now_secs();
    let at = |ago_secs: i64| format!("toDateTime64({}, 9)", now - ago_secs);
    let at3 = |ago_secs: i64| format!("toDateTime64({}, 3)", now - ago_secs);
    let span = |span_id: &str,
                parent: &str,
                layer: &str,
                service: &str,
                name: &str,
                kind: &str,
                ms: u64,
                status: &str,
                attrs: &str,
                ago: i64| {
        format!(
            "({}, '{TRACE}', '{span_id}', '{parent}', '{name}', '{kind}', '{service}', \
             map('service.name', '{service}'), {attrs}, {}, '{status}', '{layer}')",
            at(ago),
            ms * 1_000_000
        )
    };
    execute(
        &collector.clickhouse_url,
        &format!(
            "INSERT INTO {db}.otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, \
             SpanKind, ServiceName, ResourceAttributes, SpanAttributes, Duration, StatusCode, Layer) VALUES {}",
            [
                span("a000000000000001", "", "browser", "shop-web", "document load", "Client", 900, "Unset", "map()", 600),
                span("a000000000000002", "a000000000000001", "cdn", "edge", "GET /products", "Server", 700, "Unset",
                     "map('cdn.cache_status', 'MISS')", 600),
                span("a000000000000003", "a000000000000002", "gateway", "api-gateway", "GET /api/products", "Server", 500,
                     "Error", "map('http.route', '/api/products', 'http.response.status_code', '502')", 600),
                span("a000000000000004", "a000000000000003", "cms", "strapi", "SELECT products", "Client", 120, "Unset",
                     "map('db.system', 'postgresql', 'db.client.connection.pool.utilization', '0.85')", 600),
                span("a000000000000005", "", "cdn", "edge", "GET /", "Server", 5, "Unset",
                     "map('cdn.cache_status', 'HIT')", 300),
                span("a000000000000006", "", "gateway", "api-gateway", "GET /api/cart", "Server", 40, "Ok",
                     "map('http.route', '/api/cart', 'http.response.status_code', '200')", 300),
            ]
            .join(", ")
        ),
    );
    let vital = |name: &str, value: f64, rating: &str, page: &str, device: &str, ago: i64| {
        format!(
            "({t}, {t}, 'shop', '1.4.2', 'production', 's-1', 'pv-{ago}', '{TRACE}', \
             'https://shop.test{page}', '{page}', '{page}', 'Chrome', 'desktop', \
             '{name}', {value}, '{rating}', 'v5-{ago}-{name}', {t})",
            t = at3(ago),
            page = page,
        )
        .replace("'desktop'", &format!("'{device}'"))
    };
    execute(
        &collector.clickhouse_url,
        &format!(
            "INSERT INTO {db}.rum_vitals (Timestamp, ReceivedAt, App, Release, Environment, \
             SessionId, PageViewId, TraceId, Url, Path, Route, Browser, DeviceClass, Name, Value, \
             Rating, MetricId, PageStartedAt) VALUES {}",
            [
                vital(
                    "LCP",
                    3100.0,
                    "needs-improvement",
                    "/products",
                    "mobile",
                    500
                ),
                vital("LCP", 1900.0, "good", "/", "desktop", 400),
                vital("INP", 180.0, "good", "/products", "mobile", 500),
                vital("CLS", 0.3, "poor", "/products", "mobile", 500),
                vital("FCP", 1500.0, "good", "/", "desktop", 400),
                vital("TTFB", 900.0, "needs-improvement", "/", "desktop", 400),
            ]
            .join(", ")
        ),
    );
    execute(
        &collector.clickhouse_url,
        &format!(
            "INSERT INTO {db}.rum_errors (Timestamp, ReceivedAt, App, Release, SessionId, \
             PageViewId, TraceId, Url, Path, Route, Fingerprint, ErrorType, Message) VALUES \
             ({t}, {t}, 'shop', '1.4.2', 's-1', 'pv-1', '{TRACE}', 'https://shop.test/cart', \
              '/cart', '/cart', 'f00d', 'TypeError', 'price is undefined'), \
             ({t}, {t}, 'shop', '1.4.3', 's-2', 'pv-2', '', 'https://shop.test/', \
              '/', '/', 'beef', 'Error', 'network down')",
            t = at3(200)
        ),
    );
    execute(
        &collector.clickhouse_url,
        &format!(
            "INSERT INTO {db}.builds (Id, Pipeline, Kind, Status, Commit, StartedAt, FinishedAt, \
             Stages, ReceivedAt) VALUES \
             ('b1', 'site', 'build', 'failed', 'abc', {s}, {f}, map('install', 20000, 'build', 90000), {f}), \
             ('d1', 'site', 'deploy', 'success', 'abd', {s}, {f}, map('deploy', 20000), {f})",
            s = at3(900),
            f = at3(800)
        ),
    );
    // The metric panels' metrics: a CMS pool at 85 %, a CDN's request
    // counter by cache status (cumulative, two exports).
    let point = |service: &str, layer: &str, name: &str, attributes: &str, value: f64, ago: i64| {
        format!(
            "('{service}', map('service.name', '{service}'), '{name}', {attributes},              toDateTime({start}), toDateTime({t}), {value}, 2, {monotonic}, '{layer}')",
            start = now - 3000,
            t = now - ago,
            monotonic = name == "cdn.requests",
        )
    };
    execute(
        &collector.clickhouse_url,
        &format!(
            "INSERT INTO {db}.otel_metrics_sum (ServiceName, ResourceAttributes, MetricName,              Attributes, StartTimeUnix, TimeUnix, Value, AggregationTemporality, IsMonotonic,              Layer) VALUES {}",
            [
                point("strapi", "cms", "db.client.connection.count",
                      "map('db.client.connection.state', 'used')", 17.0, 300),
                point("strapi", "cms", "db.client.connection.count",
                      "map('db.client.connection.state', 'idle')", 3.0, 300),
                point("strapi", "cms", "db.client.connection.max", "map()", 20.0, 300),
                point("edge", "cdn", "cdn.requests", "map('cdn.cache_status', 'HIT')", 100.0, 600),
                point("edge", "cdn", "cdn.requests", "map('cdn.cache_status', 'HIT')", 196.0, 300),
                point("edge", "cdn", "cdn.requests", "map('cdn.cache_status', 'MISS')", 10.0, 600),
                point("edge", "cdn", "cdn.requests", "map('cdn.cache_status', 'MISS')", 14.0, 300),
            ]
            .join(", ")
        ),
    );
    execute(
        &collector.clickhouse_url,
        &format!(
            "INSERT INTO {db}.otel_logs (Timestamp, TraceId, SpanId, SeverityText, SeverityNumber, \
             ServiceName, Body, ResourceAttributes, LogAttributes, Layer) VALUES \
             ({e}, '{TRACE}', 'a000000000000004', 'ERROR', 17, 'strapi', \
              'pool exhausted', map('service.name', 'strapi'), map('db.system', 'postgresql'), 'cms'), \
             ({w}, '', '', 'WARN', 13, 'api-gateway', 'slow upstream', \
              map('service.name', 'api-gateway'), map(), 'gateway'), \
             ({w}, '', '', '', 9, 'edge', 'cache warmed', map('service.name', 'edge'), map(), 'cdn')",
            e = at(590),
            w = at(250)
        ),
    );
    execute(
        &collector.clickhouse_url,
        &format!(
            "INSERT INTO {db}.alert_events (Time, Event, Fingerprint, AlertName, Severity, Labels, \
             Annotations, Value, Threshold, StartsAt, ExampleTraceId, Instance) VALUES \
             ({t}, 'firing', 'fp1', 'GatewayErrorRate', 'critical', \
              map('alertname', 'GatewayErrorRate', 'severity', 'critical'), \
              map('summary', 'api-gateway: 2 % fail'), 2, '> 1 %', {t}, '{TRACE}', 'test')",
            t = at3(100)
        ),
    );
}

/// Columns by name → ClickHouse type.
fn type_of<'a>(columns: &'a [(String, String)], name: &str) -> Option<&'a str> {
    columns
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t.as_str())
}

fn is_numeric(clickhouse_type: &str) -> bool {
    let inner = clickhouse_type
        .trim_start_matches("Nullable(")
        .trim_end_matches(')');
    ["Int", "UInt", "Float", "Decimal"]
        .iter()
        .any(|prefix| inner.starts_with(prefix))
}

fn is_time(clickhouse_type: &str) -> bool {
    clickhouse_type.starts_with("DateTime")
}

fn is_text(clickhouse_type: &str) -> bool {
    clickhouse_type.contains("String")
}

/// What a panel type needs from its query's answer.
fn check_shape(what: &str, kind: &str, columns: &[(String, String)]) {
    let numeric = columns.iter().filter(|(_, t)| is_numeric(t)).count();
    match kind {
        "timeseries" => {
            let (first, first_type) = &columns[0];
            assert!(
                first == "time" && is_time(first_type),
                "{what}: a time series starts with a `time` DateTime column: {columns:?}"
            );
            assert!(numeric >= 1, "{what}: no numeric column: {columns:?}");
        }
        "stat" => assert!(numeric >= 1, "{what}: a stat needs a number: {columns:?}"),
        "barchart" | "piechart" => {
            assert!(
                columns.iter().any(|(_, t)| is_text(t)),
                "{what}: needs a category column: {columns:?}"
            );
            assert!(numeric >= 1, "{what}: needs a number: {columns:?}");
        }
        "traces" => {
            for column in [
                "traceID",
                "spanID",
                "parentSpanID",
                "serviceName",
                "operationName",
                "tags",
                "serviceTags",
            ] {
                assert!(type_of(columns, column).is_some(), "{what}: no {column}");
            }
            for column in ["startTime", "duration"] {
                assert!(
                    type_of(columns, column).is_some_and(is_numeric),
                    "{what}: {column} must be a number: {columns:?}"
                );
            }
        }
        "logs" => {
            assert!(
                columns.first().is_some_and(|(_, t)| is_time(t)),
                "{what}: logs start with their time: {columns:?}"
            );
            assert!(
                type_of(columns, "body").is_some_and(is_text),
                "{what}: logs need a body: {columns:?}"
            );
        }
        "table" => assert!(!columns.is_empty(), "{what}: no columns"),
        other => panic!("{what}: no check for panel type {other}"),
    }
}

fn dashboards() -> Vec<(String, Value)> {
    let dir = repo_root().join("dashboards");
    let mut found: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .expect("dashboards/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read");
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, serde_json::from_str(&text).expect("dashboard JSON"))
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

#[test]
fn every_dashboard_panel_query_runs_on_seeded_data_with_the_columns_its_panel_needs() {
    let collector = Collector::start();
    seed(&collector);
    let range = Range {
        from_secs: now_secs() - 3600,
        to_secs: now_secs() + 60,
    };
    let run = |sql: &str| query_typed(&collector.clickhouse_url, &collector.database, sql);
    let all = dashboards();
    assert_eq!(all.len(), 6, "six dashboards");
    let mut panels_checked = 0;
    for (file, dashboard) in &all {
        // The data source is a variable: no panel names a fixed uid.
        let text = dashboard.to_string();
        assert!(!text.contains("\"uid\":\"jamscope-clickhouse\""), "{file}");
        let variables = dashboard["templating"]["list"]
            .as_array()
            .expect("templating");
        assert_eq!(variables[0]["type"], "datasource", "{file}");
        assert_eq!(
            variables[0]["query"], "grafana-clickhouse-datasource",
            "{file}"
        );
        // Each query variable's query runs; its first value is tried too.
        // Text boxes: a trace id, and a search word every seeded log has.
        let mut all_values: Vec<(&str, String)> =
            vec![("trace_id", TRACE.to_owned()), ("search", String::new())];
        let mut first_values: Vec<(&str, String)> = all_values.clone();
        first_values[1].1 = "o".to_owned();
        for variable in variables.iter().filter(|v| v["type"] == "query") {
            let name = variable["name"].as_str().expect("name");
            let sql = expand(variable["query"].as_str().expect("query"), &range, &[]);
            let (columns, rows) = run(&sql);
            assert_eq!(
                columns.len(),
                1,
                "{file}: variable {name} returns one column"
            );
            assert!(!rows.is_empty(), "{file}: variable {name} has no values");
            all_values.push((
                name,
                variable["allValue"].as_str().expect("allValue").to_owned(),
            ));
            first_values.push((name, rows[0][0].as_str().unwrap_or_default().to_owned()));
        }
        for annotation in dashboard["annotations"]["list"]
            .as_array()
            .expect("annotations")
        {
            let vars: Vec<(&str, &str)> =
                all_values.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let sql = expand(
                annotation["target"]["rawSql"].as_str().expect("rawSql"),
                &range,
                &vars,
            );
            let (columns, rows) = run(&sql);
            assert!(
                type_of(&columns, "time").is_some_and(is_time),
                "{file}: annotation time"
            );
            assert!(
                type_of(&columns, "text").is_some_and(is_text),
                "{file}: annotation text"
            );
            assert!(
                !rows.is_empty(),
                "{file}: the seeded deploy is not annotated"
            );
        }
        for panel in dashboard["panels"].as_array().expect("panels") {
            let title = panel["title"].as_str().unwrap_or_default();
            let kind = panel["type"].as_str().expect("type");
            let what = format!("{file} / {title}");
            assert_eq!(panel["datasource"]["uid"], "${datasource}", "{what}");
            for values in [&all_values, &first_values] {
                let vars: Vec<(&str, &str)> =
                    values.iter().map(|(n, v)| (*n, v.as_str())).collect();
                for target in panel["targets"].as_array().expect("targets") {
                    let sql = expand(target["rawSql"].as_str().expect("rawSql"), &range, &vars);
                    let (columns, rows) = run(&sql);
                    check_shape(&what, kind, &columns);
                    if std::ptr::eq(values, &all_values) {
                        assert!(!rows.is_empty(), "{what}: no rows on seeded data\n{sql}");
                    }
                }
            }
            panels_checked += 1;
        }
    }
    assert!(panels_checked >= 30, "{panels_checked} panels");
}

#[test]
fn macros_expand_as_the_plugin_does() {
    let range = Range {
        from_secs: 1_700_000_000,
        to_secs: 1_700_003_600,
    };
    assert_eq!(
        expand(
            "SELECT $__timeInterval(Timestamp) AS time FROM t WHERE $__timeFilter(Timestamp) AND x = '${v}' AND y < $__toTime - $__interval_s",
            &range,
            &[("v", "a")]
        ),
        "SELECT toStartOfInterval(toDateTime(Timestamp), INTERVAL 60 second) AS time FROM t \
         WHERE Timestamp >= toDateTime(1700000000) AND Timestamp <= toDateTime(1700003600) \
         AND x = 'a' AND y < toDateTime(1700003600) - 60"
    );
}

#[test]
fn the_committed_json_is_what_the_generator_writes() {
    let output = std::process::Command::new(crate::harness::python())
        .arg(repo_root().join("dashboards/build.py"))
        .arg("--check")
        .output()
        .expect("run dashboards/build.py");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
