//! The durability cases for the metric tables (their writers share the
//! code path of every table's, so one case each): rows ClickHouse refuses
//! for good go to `rejected_rows` and the rest lands; an outage loses and
//! doubles nothing; SIGKILL in durable mode loses nothing acknowledged.
//! Every point carries a unique `point.id` attribute to count it by.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use prost::Message;

use super::{every_kind, metrics_url, now_nanos, METRIC_TABLES};
use crate::durability::{
    assert_landed_once, behind, durable_options, killed_while_durable, outage_options,
    outage_under_load, restart_behind, segment_files, stored_once_each, try_post,
};
use crate::fault_proxy::{FaultProxy, Mode};
use crate::harness::{clickhouse_url, execute, metric, metrics_text, query_json};
use crate::payload::string_attribute;

/// A request of one point of every kind, each with a fresh `point.id`:
/// its body and the ids.
fn identified_points(service: &str, refused: bool) -> (Vec<u8>, Vec<String>) {
    let mut request = every_kind(service, now_nanos() - 1_000_000_000);
    let mut ids = Vec::new();
    for metric in &mut request.resource_metrics[0].scope_metrics[0].metrics {
        if refused && metric.name == "process.cpu.utilization" {
            metric.name = "refused".into();
        }
        let id = format!("{:016x}", fastrand::u64(..));
        let attribute = string_attribute("point.id", &id);
        use opentelemetry_proto::tonic::metrics::v1::metric::Data;
        match &mut metric.data {
            Some(Data::Gauge(g)) => g.data_points[0].attributes.push(attribute),
            Some(Data::Sum(s)) => s.data_points[0].attributes.push(attribute),
            Some(Data::Histogram(h)) => h.data_points[0].attributes.push(attribute),
            Some(Data::ExponentialHistogram(e)) => e.data_points[0].attributes.push(attribute),
            Some(Data::Summary(s)) => s.data_points[0].attributes.push(attribute),
            None => continue,
        }
        if metric.name != "refused" {
            ids.push(id);
        }
    }
    (request.encode_to_vec(), ids)
}

/// Every point's id over the five tables: a subquery to count ids in.
fn point_ids() -> String {
    let union = METRIC_TABLES
        .iter()
        .map(|table| format!("SELECT Attributes['point.id'] AS id FROM {table}"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    format!("({union})")
}

/// How many times each point id is stored, over the five tables.
fn stored(database: &str) -> HashMap<String, u64> {
    stored_once_each(database, &point_ids(), "id")
}

fn assert_exactly_once(database: &str, acknowledged: &[String], within: Duration) {
    assert_landed_once(database, (&point_ids(), "id"), acknowledged, within);
}

/// The sum over the metric tables of one of the writer's counters.
fn over_tables(text: &str, counter: &str) -> u64 {
    METRIC_TABLES
        .iter()
        .map(|table| metric(text, &format!("{counter}{{table=\"{table}\"}}")).unwrap_or(0))
        .sum()
}

#[test]
fn metric_rows_refused_for_good_go_to_rejected_rows_and_the_rest_lands() {
    let collector = crate::harness::Collector::start();
    execute(
        clickhouse_url(),
        &format!(
            "ALTER TABLE `{}`.otel_metrics_gauge ADD CONSTRAINT no_refused CHECK MetricName != 'refused'",
            collector.database
        ),
    );
    let url = metrics_url(&collector);
    let mut acknowledged = Vec::new();
    for refused in [false, true, false] {
        let (body, ids) = identified_points("poison", refused);
        let (status, _, _) = try_post(&url, body).expect("an answer");
        assert_eq!(status, 200);
        acknowledged.extend(ids);
    }
    assert_exactly_once(&collector.database, &acknowledged, Duration::from_secs(30));
    let deadline = Instant::now() + Duration::from_secs(30);
    let rejected = loop {
        let rows = query_json(
            clickhouse_url(),
            &collector.database,
            "SELECT SourceTable, ErrorCode, Reason FROM rejected_rows",
        );
        if !rows.is_empty() || Instant::now() > deadline {
            break rows;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0]["SourceTable"], "otel_metrics_gauge");
    assert_eq!(rejected[0]["ErrorCode"], 469);
    assert_eq!(stored(&collector.database).len(), 14);
}

#[test]
fn clickhouse_down_loses_and_doubles_no_metric_point() {
    let proxy = FaultProxy::start(clickhouse_url());
    let collector = behind(&proxy, outage_options());
    let outage = outage_under_load(
        &proxy,
        &collector,
        metrics_url(&collector),
        client_points,
        Duration::from_secs(2),
        Duration::from_secs(12),
    );
    assert!(
        outage.acknowledged.len() > 200,
        "clients kept being served: {}",
        outage.acknowledged.len()
    );
    assert!(
        outage.saw_not_ready,
        "/readyz said 503 while inserts failed"
    );
    assert_exactly_once(
        &collector.database,
        &outage.acknowledged,
        Duration::from_secs(60),
    );
    let text = metrics_text(&collector);
    assert!(
        over_tables(&text, "jamscope_rows_spilled_total") > 0,
        "{text}"
    );
    assert!(over_tables(&text, "jamscope_rows_replayed_total") > 0);
    assert!(
        outage.refused.iter().all(|s| *s == 429),
        "only 429s: {:?}",
        outage.refused
    );
}

fn client_points(client: usize) -> (Vec<u8>, Vec<String>) {
    identified_points(&format!("client-{client}"), false)
}

#[test]
fn sigkill_in_durable_mode_loses_no_acknowledged_metric_point() {
    let proxy = FaultProxy::start(clickhouse_url());
    let (acknowledged, collector) = killed_while_durable(&proxy, metrics_url, client_points);
    assert!(acknowledged.len() > 50, "{}", acknowledged.len());
    for table in METRIC_TABLES {
        assert!(
            !segment_files(&collector.data_dir.join("spool").join(table)).is_empty(),
            "{table} spooled what was acknowledged"
        );
    }
    proxy.set(Mode::Pass);
    let restarted = restart_behind(&proxy, &collector, durable_options());
    assert_exactly_once(&restarted.database, &acknowledged, Duration::from_secs(60));
    assert!(
        over_tables(&metrics_text(&restarted), "jamscope_rows_replayed_total") > 0,
        "the restart wrote points from the spool"
    );
}
