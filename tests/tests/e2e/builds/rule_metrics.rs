//! The rule metrics and regressions (`Queries::metric_over`,
//! `Queries::regression`) over spans and vitals seeded with plain SQL, with
//! values known by construction; the deploy baseline comes from a signed
//! deploy event.

use jamscope::model::metric::{Baseline, Metric, MetricFilter as Filter, SeriesLabel};
use jamscope::model::rum::MetricName;
use jamscope::model::Layer;

use super::{event, now_millis, post_signed, queries, MINUTE};
use crate::harness::{block_on, execute, Collector};

/// One span row: `(ms, service, layer, kind, status, duration ms, attributes)`.
type SpanRow<'a> = (
    i64,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    u64,
    &'a [(&'a str, &'a str)],
);

fn insert_spans(collector: &Collector, rows: &[SpanRow]) {
    let values: Vec<String> = rows
        .iter()
        .enumerate()
        .map(
            |(i, (ms, service, layer, kind, status, duration_ms, attributes))| {
                let map: Vec<String> = attributes
                    .iter()
                    .map(|(k, v)| format!("'{k}', '{v}'"))
                    .collect();
                format!(
                    "(fromUnixTimestamp64Milli(toInt64({ms})), '{i:032x}', '{i:016x}', 'op', \
                 '{kind}', '{service}', map({}), {}, '{status}', '{layer}')",
                    map.join(", "),
                    duration_ms * 1_000_000
                )
            },
        )
        .collect();
    execute(
        &collector.clickhouse_url,
        &format!(
        "INSERT INTO `{}`.otel_traces (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName, \
         SpanAttributes, Duration, StatusCode, Layer) VALUES {}",
        collector.database,
        values.join(", ")
    ));
}

#[test]
fn rule_metrics_and_regressions_over_seeded_rows() {
    let collector = super::start();
    let queries = queries(&collector);
    let now = now_millis();
    let ago = |minutes: i64| now - minutes * MINUTE;
    let route: &[(&str, &str)] = &[("http.route", "/api/items")];
    let error_503: &[(&str, &str)] = &[
        ("http.route", "/api/items"),
        ("http.response.status_code", "503"),
    ];
    let mut rows: Vec<SpanRow> = vec![
        // Now: 4 gateway requests of 200 ms, one failed by status, one by HTTP 503.
        (ago(5), "api", "gateway", "Server", "Error", 200, route),
        (ago(5), "api", "gateway", "Server", "Ok", 200, error_503),
        (ago(4), "api", "gateway", "Server", "Ok", 200, route),
        (ago(3), "api", "gateway", "Unspecified", "Unset", 200, route),
        // Not a request: left out of the rate, errors and durations.
        (ago(3), "api", "gateway", "Client", "Error", 9_000, route),
    ];
    // CDN: 3 hits of 4 (values compared case-insensitively); CMS pool
    // utilisation 0.5 and 0.7.
    let cache: [&[(&str, &str)]; 4] = [
        &[("cdn.cache_status", "HIT")],
        &[("cdn.cache_status", "hit")],
        &[("cdn.cache_status", "stale")],
        &[("cdn.cache_status", "MISS")],
    ];
    for attributes in cache {
        rows.push((ago(2), "edge", "cdn", "Server", "Unset", 10, attributes));
    }
    rows.push((
        ago(2),
        "strapi",
        "cms",
        "Client",
        "Unset",
        5,
        &[("db.client.connection.pool.utilization", "0.5")],
    ));
    rows.push((
        ago(2),
        "strapi",
        "cms",
        "Client",
        "Unset",
        5,
        &[("db.client.connection.pool.utilization", "0.7")],
    ));
    // Yesterday, the same window: gateway requests of 100 ms.
    for _ in 0..2 {
        rows.push((
            ago(24 * 60 + 5),
            "api",
            "gateway",
            "Server",
            "Ok",
            100,
            route,
        ));
    }
    // Before the deploy below (an hour ago): gateway requests of 80 ms.
    rows.push((ago(120), "api", "gateway", "Server", "Ok", 80, route));
    rows.push((ago(150), "api", "gateway", "Server", "Ok", 80, route));
    insert_spans(&collector, &rows);

    let gateway = Filter {
        layer: Some(Layer::Gateway),
        ..Filter::default()
    };
    let over = |metric: &Metric, filter: &Filter, group_by: &[&str]| {
        let group_by: Vec<SeriesLabel> = group_by
            .iter()
            .map(|s| SeriesLabel::parse(s).expect("a series label"))
            .collect();
        block_on(queries.metric_over(metric, filter, &group_by, ago(15), now)).expect("query")
    };
    let value = |metric: &Metric, filter: &Filter| {
        let points = over(metric, filter, &[]);
        assert_eq!(points.len(), 1, "{points:?}");
        assert!(points[0].0.is_empty());
        points[0].1
    };
    assert_eq!(value(&Metric::ErrorRate, &gateway), 50.0);
    assert_eq!(value(&Metric::Duration { percentile: 95 }, &gateway), 200.0);
    assert!((value(&Metric::RequestRate, &gateway) - 4.0 / 900.0).abs() < 1e-9);
    let cdn = Filter {
        layer: Some(Layer::Cdn),
        ..Filter::default()
    };
    assert_eq!(value(&Metric::CacheHitRatio, &cdn), 75.0);
    let pool = Metric::Attribute("db.client.connection.pool.utilization".into());
    assert!((value(&pool, &Filter::default()) - 0.6).abs() < 1e-9);

    let by_layer = over(
        &Metric::Duration { percentile: 50 },
        &Filter::default(),
        &["layer", "route"],
    );
    let shown: Vec<(String, String, f64)> = by_layer
        .iter()
        .map(|(labels, v)| (labels["layer"].clone(), labels["route"].clone(), *v))
        .collect();
    assert_eq!(
        shown,
        [
            ("cdn".to_owned(), String::new(), 10.0),
            ("gateway".to_owned(), "/api/items".to_owned(), 200.0)
        ]
    );
    // No requests of this service: no value, not 0.
    let nobody = Filter {
        service: Some("nobody' OR 1=1 --".into()),
        ..Filter::default()
    };
    assert!(over(&Metric::ErrorRate, &nobody, &["service"]).is_empty());

    // Regressions: 200 ms now against 100 ms yesterday; none before a
    // deploy until there is one, then 200 against the 80-100 ms before it.
    let group = vec![SeriesLabel::Service];
    let p95 = Metric::Duration { percentile: 95 };
    let regression = |baseline| {
        block_on(queries.regression(&p95, &gateway, &group, 15 * MINUTE, baseline, now))
            .expect("query")
    };
    let yesterday = regression(Baseline::SameHourYesterday);
    assert_eq!(yesterday.len(), 1, "{yesterday:?}");
    assert_eq!(yesterday[0].labels["service"], "api");
    assert_eq!(
        (yesterday[0].current, yesterday[0].baseline),
        (200.0, 100.0)
    );
    assert_eq!(yesterday[0].percent_worse, 100.0);
    assert!(regression(Baseline::BeforeLastDeploy).is_empty());
    let (status, _) = post_signed(
        &collector,
        &event("d1", "site", "deploy", "success", ago(60)),
    );
    assert_eq!(status, 202);
    let deploy = regression(Baseline::BeforeLastDeploy);
    assert_eq!(deploy.len(), 1, "{deploy:?}");
    assert!(
        deploy[0].baseline >= 80.0 && deploy[0].baseline <= 100.0,
        "{deploy:?}"
    );
    assert!(deploy[0].percent_worse >= 100.0, "{deploy:?}");

    // Vitals: the page is the route, else the path; a re-report replaces.
    execute(
        &collector.clickhouse_url,
        &format!(
        "INSERT INTO `{db}`.rum_vitals (Timestamp, ReceivedAt, App, Name, Value, MetricId, Path, Route) VALUES \
         (fromUnixTimestamp64Milli(toInt64({t})), now64(3), 'shop', 'LCP', 900, 'm1', '/p/1', '/p/:id'), \
         (fromUnixTimestamp64Milli(toInt64({t2})), now64(3), 'shop', 'LCP', 2500, 'm1', '/p/1', '/p/:id'), \
         (fromUnixTimestamp64Milli(toInt64({t})), now64(3), 'shop', 'LCP', 2500, 'm2', '/p/2', '/p/:id'), \
         (fromUnixTimestamp64Milli(toInt64({t})), now64(3), 'shop', 'LCP', 1200, 'm3', '/about', ''), \
         (fromUnixTimestamp64Milli(toInt64({t})), now64(3), 'shop', 'INP', 90, 'm4', '/about', '')",
        db = collector.database,
        t = ago(10),
        t2 = ago(9)
    ));
    let lcp = Metric::VitalP75(MetricName::Lcp);
    let pages = over(&lcp, &Filter::default(), &["page"]);
    let shown: Vec<(&str, f64)> = pages
        .iter()
        .map(|(labels, v)| (labels["page"].as_str(), *v))
        .collect();
    assert_eq!(shown, [("/about", 1200.0), ("/p/:id", 2500.0)]);
    let about = Filter {
        page: Some("/about".into()),
        ..Filter::default()
    };
    assert_eq!(value(&lcp, &about), 1200.0);
}
