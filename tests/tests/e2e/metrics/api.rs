//! `GET /api/metrics` and the CMS pool KPI of `/api/layers` on stored
//! metrics: names with their type and unit; a counter's rate with a reset
//! in it, cumulative and delta alike; a histogram's quantile; the pool
//! utilisation from the connection metrics.

use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, Histogram, HistogramDataPoint, Metric, NumberDataPoint, Sum,
};
use prost::Message;
use serde_json::Value;

use super::{every_kind, metrics_url, now_nanos, request_of, METRIC_TABLES};
use crate::harness::{block_on, Collector};
use crate::payload::{post, string_attribute};

const SECOND: u64 = 1_000_000_000;

fn get(collector: &Collector, path_and_query: &str) -> (u16, Value) {
    block_on(async {
        let response = reqwest::get(format!("{}{path_and_query}", collector.http_url()))
            .await
            .expect("an answer");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    })
}

fn export(collector: &Collector, metrics: Vec<Metric>) {
    let request = request_of("api-metrics", metrics).encode_to_vec();
    let (status, _, _) = post(
        &metrics_url(collector),
        Some("application/x-protobuf"),
        None,
        request,
    );
    assert_eq!(status, 200);
}

fn sum(name: &str, temporality: i32, points: Vec<(u64, u64, i64)>) -> Metric {
    Metric {
        name: name.into(),
        unit: "{request}".into(),
        data: Some(Data::Sum(Sum {
            data_points: points
                .into_iter()
                .map(|(start, time, value)| NumberDataPoint {
                    attributes: vec![string_attribute("http.route", "/checkout")],
                    start_time_unix_nano: start * SECOND,
                    time_unix_nano: time * SECOND,
                    value: Some(number_data_point::Value::AsInt(value)),
                    ..Default::default()
                })
                .collect(),
            aggregation_temporality: temporality,
            is_monotonic: true,
        })),
        ..Default::default()
    }
}

/// The value of the one series `path` answers.
fn only_value(collector: &Collector, path: &str) -> f64 {
    let (status, body) = get(collector, path);
    assert_eq!(status, 200, "{body}");
    let series = body["series"].as_array().expect("series");
    assert_eq!(series.len(), 1, "{body}");
    let points = series[0]["points"].as_array().expect("points");
    assert_eq!(points.len(), 1, "{body}");
    points[0][1].as_f64().expect("a value")
}

#[test]
fn metrics_are_listed_and_read_as_rates_quantiles_and_levels() {
    let collector = Collector::start();
    let t0 = now_nanos() / SECOND / 60 * 60 - 300;
    // Cumulative: a baseline, +10, +10, a reset (5 counts whole), +10.
    let cumulative = sum(
        "http.server.requests",
        2,
        vec![
            (t0 - 100, t0 + 10, 10),
            (t0 - 100, t0 + 20, 20),
            (t0 - 100, t0 + 30, 30),
            (t0 + 35, t0 + 40, 5),
            (t0 + 35, t0 + 50, 15),
        ],
    );
    let delta = sum(
        "jobs.done",
        1,
        (1..=5)
            .map(|i| (t0 + 10 * i - 10, t0 + 10 * i, 10))
            .collect(),
    );
    let histogram = Metric {
        name: "jobs.duration".into(),
        unit: "s".into(),
        data: Some(Data::Histogram(Histogram {
            data_points: vec![HistogramDataPoint {
                start_time_unix_nano: (t0 + 10) * SECOND,
                time_unix_nano: (t0 + 20) * SECOND,
                count: 10,
                bucket_counts: vec![2, 6, 2],
                explicit_bounds: vec![0.1, 0.2],
                ..Default::default()
            }],
            aggregation_temporality: 1,
        })),
        ..Default::default()
    };
    export(&collector, vec![cumulative, delta, histogram]);
    export(
        &collector,
        every_kind("api-metrics", (t0 + 30) * SECOND).resource_metrics[0].scope_metrics[0]
            .metrics
            .clone(),
    );
    collector.wait_for_rows("otel_metrics_sum", 11);
    // Each kind has its own table and writer: every one must have landed
    // before the list is read.
    for table in METRIC_TABLES {
        collector.wait_for_rows(table, 1);
    }

    let (status, listed) = get(&collector, "/api/metrics?window=1h");
    assert_eq!(status, 200, "{listed}");
    let names: Vec<(String, String, String)> = listed["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .map(|m| {
            let text = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
            (text("name"), text("type"), text("unit"))
        })
        .collect();
    for expected in [
        ("http.server.requests", "sum", "{request}"),
        ("http.server.request.duration", "histogram", "s"),
        ("db.client.connection.count", "sum", "{connection}"),
        ("http.response.body.size", "exponential_histogram", "By"),
        ("rpc.server.duration", "summary", "ms"),
        ("process.cpu.utilization", "gauge", "1"),
    ] {
        let expected = (
            expected.0.to_owned(),
            expected.1.to_owned(),
            expected.2.to_owned(),
        );
        assert!(names.contains(&expected), "{expected:?} in {names:?}");
    }

    let range = format!("from={}&to={}&step=60s", t0 * 1000, (t0 + 60) * 1000);
    let rate = only_value(
        &collector,
        &format!("/api/metrics?name=http.server.requests&{range}"),
    );
    assert!((rate - 35.0 / 60.0).abs() < 1e-9, "{rate}");
    let rate = only_value(&collector, &format!("/api/metrics?name=jobs.done&{range}"));
    assert!((rate - 50.0 / 60.0).abs() < 1e-9, "{rate}");
    // Rank 5 of 10 in (0.1, 0.2], 3 of its 6: 0.15.
    let median = only_value(
        &collector,
        &format!("/api/metrics?name=jobs.duration&quantile=0.5&{range}"),
    );
    assert!((median - 0.15).abs() < 1e-9, "{median}");
    let used = only_value(
        &collector,
        &format!(
            "/api/metrics?name=db.client.connection.count&attr.db.client.connection.state=used&group_by=service&{range}"
        ),
    );
    assert_eq!(used, 17.0);

    let (status, body) = get(&collector, "/api/metrics?name=x&aggregation=median");
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("aggregation"),
        "{body}"
    );
    let (status, _) = get(&collector, "/api/metrics?attr.x=y");
    assert_eq!(status, 400, "attribute filters need a name");
}

#[test]
fn the_cms_pool_kpi_comes_from_the_connection_metrics_when_there_are_some() {
    let collector = Collector::start();
    let pool = |used: i64, max: i64| {
        let point = |value, state: Option<&str>| NumberDataPoint {
            attributes: state
                .map(|s| string_attribute("db.client.connection.state", s))
                .into_iter()
                .collect(),
            time_unix_nano: now_nanos() - 10 * SECOND,
            start_time_unix_nano: now_nanos() - 100 * SECOND,
            value: Some(number_data_point::Value::AsInt(value)),
            ..Default::default()
        };
        let up_down = |name: &str, points| Metric {
            name: name.into(),
            data: Some(Data::Sum(Sum {
                data_points: points,
                aggregation_temporality: 2,
                is_monotonic: false,
            })),
            ..Default::default()
        };
        vec![
            up_down(
                "db.client.connection.count",
                vec![point(used, Some("used")), point(max - used, Some("idle"))],
            ),
            up_down("db.client.connection.max", vec![point(max, None)]),
        ]
    };
    // every_kind's service is in the cms layer.
    export(&collector, pool(17, 20));
    collector.wait_for_rows("otel_metrics_sum", 3);
    let (status, body) = get(&collector, "/api/layers?window=5m");
    assert_eq!(status, 200);
    let kpi = body["kpis"]
        .as_array()
        .expect("kpis")
        .iter()
        .find(|k| k["name"] == "pool_utilization")
        .cloned()
        .expect("the pool KPI");
    assert_eq!(kpi["source"], "metrics", "{kpi}");
    assert_eq!(kpi["value"], 85.0, "{kpi}");
    assert_eq!(kpi["met"], false);
}
