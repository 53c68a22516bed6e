//! Durability holds for `otel_logs` as for spans (the same writer, spool
//! and dead letter; one case each): rows ClickHouse refuses for good go to
//! `rejected_rows` and the rest lands; an outage under load loses and
//! doubles nothing; SIGKILL in durable mode loses nothing acknowledged.
//! Poison times are refused before they are acknowledged (`bad_input`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use prost::Message;

use super::bad_input::{record, request};
use crate::durability::{
    assert_landed_once, behind, load, outage_options, restart_behind, stored_once_each, try_post,
};
use crate::fault_proxy::{FaultProxy, Mode};
use crate::harness::{
    clickhouse_url, execute, metric, metrics_text, query_json, Collector, CollectorOptions,
};

/// Every body posted is new: a counter across the test process.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// `n` records with fresh bodies, encoded, and their bodies.
fn fresh(service: &str, n: usize, bodies: impl Fn(u64) -> String) -> (Vec<u8>, Vec<String>) {
    let texts: Vec<String> = (0..n)
        .map(|_| bodies(NEXT.fetch_add(1, Ordering::SeqCst)))
        .collect();
    let records = texts.iter().map(|body| record(body)).collect();
    (request(service, records).encode_to_vec(), texts)
}

/// How many times each body is stored.
fn stored(database: &str) -> HashMap<String, u64> {
    stored_once_each(database, "otel_logs", "Body")
}

/// Waits until every acknowledged record is stored, then checks none is
/// stored twice.
fn assert_exactly_once(database: &str, acknowledged: &[String], within: Duration) {
    assert_landed_once(database, ("otel_logs", "Body"), acknowledged, within);
}

fn logs_url(collector: &Collector) -> String {
    format!("{}/v1/logs", collector.http_url())
}

/// A load client's request: 20 new records.
fn record_load(client: usize) -> (Vec<u8>, Vec<String>) {
    fresh("load", 20, |n| format!("load {client} {n}"))
}

#[test]
fn log_rows_refused_for_good_go_to_rejected_rows_and_the_rest_lands() {
    let collector = Collector::start();
    execute(
        clickhouse_url(),
        &format!(
            "ALTER TABLE `{}`.otel_logs ADD CONSTRAINT no_refused CHECK Body != 'refused'",
            collector.database
        ),
    );
    let mut good = Vec::new();
    let mut records = Vec::new();
    for i in 0..12 {
        let body = match i {
            3 | 11 => "refused".to_owned(),
            _ => format!("good {}", NEXT.fetch_add(1, Ordering::SeqCst)),
        };
        if body != "refused" {
            good.push(body.clone());
        }
        records.push(record(&body));
    }
    let body = request("mixed", records).encode_to_vec();
    assert_eq!(
        try_post(&logs_url(&collector), body).map(|(status, ..)| status),
        Some(200)
    );
    assert_exactly_once(&collector.database, &good, Duration::from_secs(30));
    let deadline = Instant::now() + Duration::from_secs(30);
    let rejected = loop {
        let rows = query_json(
            clickhouse_url(),
            &collector.database,
            "SELECT SourceTable, ErrorCode, RowHex FROM rejected_rows",
        );
        if rows.len() >= 2 || Instant::now() > deadline {
            break rows;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    for row in &rejected {
        assert_eq!(row["SourceTable"], "otel_logs");
        assert_eq!(row["ErrorCode"], 469, "{row}");
    }
    assert_eq!(stored(&collector.database).len(), 10);
    let text = metrics_text(&collector);
    assert_eq!(
        metric(
            &text,
            "jamscope_rows_dead_lettered_total{table=\"otel_logs\",kept_in=\"rejected_rows\"}"
        ),
        Some(2),
        "{text}"
    );
}

#[test]
fn clickhouse_down_under_log_load_loses_and_doubles_nothing() {
    let proxy = FaultProxy::start(clickhouse_url());
    let collector = behind(&proxy, outage_options());
    let stop = Arc::new(AtomicBool::new(false));
    let (acknowledged, _, clients) = load(logs_url(&collector), 2, Arc::clone(&stop), record_load);
    std::thread::sleep(Duration::from_secs(2));
    proxy.set(Mode::Down);
    std::thread::sleep(Duration::from_secs(10));
    proxy.set(Mode::Pass);
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().expect("client thread");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 200, "{}", acknowledged.len());
    assert_exactly_once(&collector.database, &acknowledged, Duration::from_secs(60));
    let text = metrics_text(&collector);
    assert!(
        metric(&text, "jamscope_rows_spilled_total{table=\"otel_logs\"}") > Some(0),
        "{text}"
    );
    assert!(metric(&text, "jamscope_rows_replayed_total{table=\"otel_logs\"}") > Some(0));
}

#[test]
fn sigkill_in_durable_mode_loses_no_acknowledged_log_record() {
    let proxy = FaultProxy::start(clickhouse_url());
    let options = || {
        CollectorOptions::default()
            .env("JAMSCOPE_SPOOL_DURABLE", "true")
            .env("JAMSCOPE_WRITER_RETRY_BUDGET_SECS", "1")
            .env("JAMSCOPE_WRITER_RETRY_MAX_MS", "300")
    };
    let mut collector = behind(&proxy, options());
    let stop = Arc::new(AtomicBool::new(false));
    let (acknowledged, _, clients) = load(logs_url(&collector), 2, Arc::clone(&stop), record_load);
    std::thread::sleep(Duration::from_secs(2));
    // ClickHouse goes away, so acknowledged rows are only on disk, and the
    // collector dies mid-load.
    proxy.set(Mode::Down);
    std::thread::sleep(Duration::from_secs(2));
    collector.kill();
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().expect("client thread");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 50, "{}", acknowledged.len());

    proxy.set(Mode::Pass);
    let restarted = restart_behind(&proxy, &collector, options());
    assert_exactly_once(&restarted.database, &acknowledged, Duration::from_secs(60));
    assert!(
        metric(
            &metrics_text(&restarted),
            "jamscope_rows_replayed_total{table=\"otel_logs\"}"
        ) > Some(0),
        "the restart wrote rows from the spool"
    );
}
