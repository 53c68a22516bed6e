//! Durability: every acknowledged span lands in ClickHouse exactly once,
//! whatever a client or ClickHouse does. Poison spans are refused before
//! they are acknowledged; rows ClickHouse refuses for good go to
//! `rejected_rows`; lost answers, stalls, outages, SIGTERM and SIGKILL
//! lose and double nothing; a full spool answers 429.
//!
//! ClickHouse's misbehaviour comes from a fault-injecting proxy
//! (`fault_proxy`) between the collector and the real ClickHouse; the tests
//! read through the real ClickHouse directly.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

use crate::fault_proxy::{FaultProxy, Mode};
use crate::harness::{
    block_on, clickhouse_url, execute, metrics_text, query_json, Collector, CollectorOptions,
};
use crate::payload::{request, span};

const DAY_NANOS: u64 = 86_400_000_000_000;
const HOUR_NANOS: u64 = 3_600_000_000_000;

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A request of `spans`, and their span ids as stored (hex).
fn encode(service: &str, spans: Vec<Span>) -> (Vec<u8>, Vec<String>) {
    let ids = spans.iter().map(|s| hex(&s.span_id)).collect();
    (request(service, spans).encode_to_vec(), ids)
}

fn fresh_spans(name: &str, n: usize) -> Vec<Span> {
    (0..n).map(|i| span(&format!("{name}-{i}"))).collect()
}

/// A POST that tolerates no answer (the collector being killed).
pub(crate) fn try_post(
    url: &str,
    body: Vec<u8>,
) -> Option<(u16, reqwest::header::HeaderMap, Vec<u8>)> {
    block_on(async {
        let response = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/x-protobuf")
            .timeout(Duration::from_secs(20))
            .body(body)
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.ok()?.to_vec();
        Some((status, headers, body))
    })
}

fn traces_url(collector: &Collector) -> String {
    format!("{}/v1/traces", collector.http_url())
}

/// A collector writing through `proxy`.
pub(crate) fn behind(proxy: &FaultProxy, options: CollectorOptions) -> Collector {
    Collector::start_with(options.env("JAMSCOPE_CLICKHOUSE_URL", proxy.url()))
}

/// A stopped collector started again on its data directory and database.
pub(crate) fn restart_behind(
    proxy: &FaultProxy,
    stopped: &Collector,
    options: CollectorOptions,
) -> Collector {
    behind(
        proxy,
        CollectorOptions {
            data_dir: Some(stopped.data_dir.clone()),
            database: Some(stopped.database.clone()),
            ..options
        },
    )
}

fn query(database: &str, sql: &str) -> Vec<serde_json::Value> {
    query_json(clickhouse_url(), database, sql)
}

fn number(value: &serde_json::Value) -> u64 {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0)
}

/// How many times each span id is stored.
fn stored(database: &str) -> HashMap<String, u64> {
    stored_once_each(database, "otel_traces", "SpanId")
}

/// How many rows of `table` hold each value of `column`.
pub(crate) fn stored_once_each(database: &str, table: &str, column: &str) -> HashMap<String, u64> {
    query(
        database,
        &format!("SELECT {column} AS id, count() AS n FROM {table} GROUP BY id"),
    )
    .into_iter()
    .map(|row| {
        (
            row["id"].as_str().unwrap_or("").to_owned(),
            number(&row["n"]),
        )
    })
    .collect()
}

/// Waits until every acknowledged id is stored in `table` (`column`),
/// then checks none is stored twice; how many rows they are.
pub(crate) fn assert_landed_once(
    database: &str,
    (table, column): (&str, &str),
    acknowledged: &[String],
    within: Duration,
) -> u64 {
    let deadline = Instant::now() + within;
    let counts = loop {
        let counts = stored_once_each(database, table, column);
        let missing = acknowledged
            .iter()
            .filter(|id| !counts.contains_key(*id))
            .count();
        if missing == 0 {
            break counts;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} of {} acknowledged rows never landed in {table}",
            acknowledged.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let doubled: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "stored more than once: {doubled:?}");
    counts.values().sum()
}

/// Waits until every acknowledged span is stored, then checks none is
/// stored twice, and that the trace index counts each span once.
fn assert_exactly_once(database: &str, acknowledged: &[String], within: Duration) {
    let deadline = Instant::now() + within;
    let rows = assert_landed_once(database, ("otel_traces", "SpanId"), acknowledged, within);
    // The view's rows become visible a moment after the table's.
    let indexed = loop {
        let indexed =
            number(&query(database, "SELECT sum(SpanCount) AS n FROM trace_index")[0]["n"]);
        if indexed >= rows || Instant::now() > deadline {
            break indexed;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(indexed, rows, "trace_index counts every span once");
}

/// The value of one metric line, e.g. `name{table="otel_traces"}`; 0 when
/// the series is not there yet.
fn metric(text: &str, series: &str) -> u64 {
    crate::harness::metric(text, series).unwrap_or(0)
}

fn partial_success(body: &[u8]) -> (i64, String) {
    let response = ExportTraceServiceResponse::decode(body).expect("OTLP response");
    response
        .partial_success
        .map(|p| (p.rejected_spans, p.error_message))
        .unwrap_or_default()
}

#[test]
fn poison_spans_are_refused_and_never_stall_ingest() {
    let mut collector = Collector::start();
    let url = traces_url(&collector);
    let now = now_nanos();
    type Poison = (&'static str, fn(u64) -> Vec<Span>, i64, &'static str);
    let cases: [Poison; 3] = [
        (
            "end time u64::MAX",
            |_| {
                let mut s = span("poison-end");
                s.end_time_unix_nano = u64::MAX;
                vec![s]
            },
            1,
            "end_time_unix_nano 18446744073709551615 is too far in the future",
        ),
        (
            "start in year 2300",
            |_| {
                let mut s = span("poison-2300");
                s.start_time_unix_nano = 10_413_792_000_000_000_000;
                s.end_time_unix_nano = 10_413_792_000_000_000_001;
                vec![s]
            },
            1,
            "start_time_unix_nano 10413792000000000000 is too far in the future",
        ),
        (
            "150 days in one request",
            |now| {
                (0..150u64)
                    .map(|d| {
                        let mut s = span("poison-days");
                        s.start_time_unix_nano = now - d * DAY_NANOS - HOUR_NANOS;
                        s.end_time_unix_nano = s.start_time_unix_nano + 1_000;
                        s
                    })
                    .collect()
            },
            // 30 days of retention keep days 0..=29.
            120,
            "older than the retention window",
        ),
    ];
    let mut acknowledged = Vec::new();
    for (what, make, rejected, reason) in cases {
        for _ in 0..2 {
            let spans = make(now);
            let kept: Vec<String> = spans
                .iter()
                .filter(|s| {
                    s.end_time_unix_nano < now + HOUR_NANOS
                        && s.start_time_unix_nano > now - 30 * DAY_NANOS
                })
                .map(|s| hex(&s.span_id))
                .collect();
            let (body, _) = encode("poison", spans);
            let (status, _, body) = try_post(&url, body).expect("an answer");
            assert_eq!(status, 200, "{what}");
            let (count, message) = partial_success(&body);
            assert_eq!(count, rejected, "{what}: {message}");
            assert!(message.contains(reason), "{what}: {message}");
            acknowledged.extend(kept);
        }
    }
    // Another client's ordinary spans land promptly behind the poison.
    let (body, ids) = encode("ordinary", fresh_spans("ordinary", 50));
    let (status, _, _) = try_post(&url, body).expect("an answer");
    assert_eq!(status, 200);
    let sent = Instant::now();
    while ids
        .iter()
        .any(|id| !stored(&collector.database).contains_key(id))
    {
        assert!(
            sent.elapsed() < Duration::from_secs(2),
            "ordinary spans did not land within 2 s behind poison requests"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    acknowledged.extend(ids);
    assert_exactly_once(&collector.database, &acknowledged, Duration::from_secs(10));
    assert_eq!(stored(&collector.database).len(), acknowledged.len());

    let stopping = Instant::now();
    assert!(collector.stop().success());
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        stopping.elapsed()
    );
}

#[test]
fn a_request_spanning_150_partitions_is_split_until_it_fits() {
    // A year of retention accepts 150 days; ClickHouse refuses one INSERT
    // touching more than 100 partitions, for good: the chunk is split.
    let collector = Collector::start_with(
        CollectorOptions::default().env("JAMSCOPE_CLICKHOUSE_TTL_DAYS", "365"),
    );
    let now = now_nanos();
    let spans: Vec<Span> = (0..150u64)
        .map(|d| {
            let mut s = span("spread");
            s.start_time_unix_nano = now - d * DAY_NANOS - HOUR_NANOS;
            s.end_time_unix_nano = s.start_time_unix_nano + 1_000;
            s
        })
        .collect();
    let (body, ids) = encode("spread", spans);
    let (status, _, body) = try_post(&traces_url(&collector), body).expect("an answer");
    assert_eq!(status, 200);
    assert_eq!(partial_success(&body).0, 0);
    assert_exactly_once(&collector.database, &ids, Duration::from_secs(30));
    let text = metrics_text(&collector);
    assert!(
        metric(
            &text,
            "jamscope_insert_failures_total{table=\"otel_traces\",class=\"permanent\"}"
        ) >= 1,
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            "jamscope_rows_dead_lettered_total{table=\"otel_traces\",kept_in=\"rejected_rows\"}"
        ),
        0
    );
}

#[test]
fn rows_refused_for_good_go_to_rejected_rows_and_the_rest_lands() {
    let collector = Collector::start();
    // From now on ClickHouse refuses spans named "refused" for good.
    execute(
        clickhouse_url(),
        &format!(
            "ALTER TABLE `{}`.otel_traces ADD CONSTRAINT no_refused CHECK SpanName != 'refused'",
            collector.database
        ),
    );
    let mut spans = fresh_spans("good", 10);
    spans.insert(3, span("refused"));
    spans.push(span("refused"));
    let (body, ids) = encode("mixed", spans);
    let good: Vec<String> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 11)
        .map(|(_, id)| id.clone())
        .collect();
    let (status, _, _) = try_post(&traces_url(&collector), body).expect("an answer");
    assert_eq!(status, 200);
    assert_exactly_once(&collector.database, &good, Duration::from_secs(30));
    let deadline = Instant::now() + Duration::from_secs(30);
    let rejected = loop {
        let rows = query(
            &collector.database,
            "SELECT SourceTable, Reason, ErrorCode, RowHex FROM rejected_rows",
        );
        if rows.len() >= 2 || Instant::now() > deadline {
            break rows;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    for row in &rejected {
        assert_eq!(row["SourceTable"], "otel_traces");
        assert_eq!(row["ErrorCode"], 469, "{row}");
        assert!(row["Reason"].as_str().unwrap_or("").contains("no_refused"));
        // The row itself is kept: its span name is in its bytes.
        assert!(row["RowHex"]
            .as_str()
            .unwrap_or("")
            .contains(&hex(b"refused")));
    }
    assert_eq!(stored(&collector.database).len(), 10);
    let text = metrics_text(&collector);
    assert_eq!(
        metric(
            &text,
            "jamscope_rows_dead_lettered_total{table=\"otel_traces\",kept_in=\"rejected_rows\"}"
        ),
        2,
        "{text}"
    );
    assert_eq!(
        metric(&text, "jamscope_rows_written_total{table=\"otel_traces\"}"),
        10
    );
}

#[test]
fn a_lost_answer_and_a_stalled_connection_store_each_span_once() {
    let proxy = FaultProxy::start(clickhouse_url());
    let collector = behind(
        &proxy,
        CollectorOptions::default()
            .env("JAMSCOPE_WRITER_SEND_TIMEOUT_MS", "1000")
            .env("JAMSCOPE_WRITER_RESPONSE_TIMEOUT_MS", "1000")
            .env("JAMSCOPE_WRITER_RETRY_MAX_MS", "300"),
    );
    let url = traces_url(&collector);
    let mut acknowledged = Vec::new();

    // ClickHouse commits the insert, its answer never arrives.
    proxy.set(Mode::DropNextResponse);
    let (body, ids) = encode("lost-answer", fresh_spans("lost", 40));
    assert_eq!(try_post(&url, body).expect("an answer").0, 200);
    acknowledged.extend(ids);
    assert_exactly_once(&collector.database, &acknowledged, Duration::from_secs(30));
    assert_eq!(proxy.dropped_responses(), 1, "an answer was dropped");

    // A half-open connection: nothing moves until the insert times out.
    proxy.set(Mode::Stall);
    let (body, ids) = encode("stalled", fresh_spans("stalled", 40));
    assert_eq!(try_post(&url, body).expect("an answer").0, 200);
    acknowledged.extend(ids);
    std::thread::sleep(Duration::from_secs(3));
    let text = metrics_text(&collector);
    assert!(
        metric(
            &text,
            "jamscope_insert_failures_total{table=\"otel_traces\",class=\"transient\"}"
        ) >= 2,
        "both the lost answer and the stall failed an attempt: {text}"
    );
    proxy.set(Mode::Pass);
    assert_exactly_once(&collector.database, &acknowledged, Duration::from_secs(30));
    assert_eq!(stored(&collector.database).len(), 80);
}

/// What the load clients saw: acknowledged ids, refused statuses
/// (0: no answer), and the client threads.
pub(crate) type Load = (
    Arc<Mutex<Vec<String>>>,
    Arc<Mutex<Vec<u16>>>,
    Vec<std::thread::JoinHandle<()>>,
);

/// Posts requests made by `request` (client number → body and its ids)
/// to `url` from `clients` threads until `stop`, collecting the ids of
/// every acknowledged request; the rest are counted.
pub(crate) fn load(
    url: String,
    clients: usize,
    stop: Arc<AtomicBool>,
    request: fn(usize) -> (Vec<u8>, Vec<String>),
) -> Load {
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let refused = Arc::new(Mutex::new(Vec::new()));
    let handles = (0..clients)
        .map(|client| {
            let (url, stop) = (url.clone(), Arc::clone(&stop));
            let (acknowledged, refused) = (Arc::clone(&acknowledged), Arc::clone(&refused));
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let (body, ids) = request(client);
                    match try_post(&url, body) {
                        Some((200, _, _)) => acknowledged.lock().unwrap().extend(ids),
                        Some((status, _, _)) => refused.lock().unwrap().push(status),
                        None => refused.lock().unwrap().push(0),
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        })
        .collect();
    (acknowledged, refused, handles)
}

/// A load client's request: 20 new spans.
fn span_load(client: usize) -> (Vec<u8>, Vec<String>) {
    encode(&format!("client-{client}"), fresh_spans("load", 20))
}

pub(crate) fn readyz(collector: &Collector) -> u16 {
    block_on(async {
        reqwest::get(format!("{}/readyz", collector.http_url()))
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    })
}

/// What an outage under load left: the ids acknowledged, the statuses of
/// the requests refused, whether `/readyz` said 503 meanwhile.
pub(crate) struct Outage {
    pub acknowledged: Vec<String>,
    pub refused: Vec<u16>,
    pub saw_not_ready: bool,
}

/// `request`s from 3 clients to `url` while ClickHouse (behind `proxy`) is
/// down for `down`, with `settle` of load before and after it.
pub(crate) fn outage_under_load(
    proxy: &FaultProxy,
    collector: &Collector,
    url: String,
    request: fn(usize) -> (Vec<u8>, Vec<String>),
    settle: Duration,
    down: Duration,
) -> Outage {
    let stop = Arc::new(AtomicBool::new(false));
    let (acknowledged, refused, clients) = load(url, 3, Arc::clone(&stop), request);
    std::thread::sleep(settle);
    proxy.set(Mode::Down);
    let outage = Instant::now();
    let mut saw_not_ready = false;
    while outage.elapsed() < down {
        saw_not_ready |= readyz(collector) == 503;
        std::thread::sleep(Duration::from_millis(500));
    }
    proxy.set(Mode::Pass);
    std::thread::sleep(settle);
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().expect("client thread");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let refused = refused.lock().unwrap().clone();
    Outage {
        acknowledged,
        refused,
        saw_not_ready,
    }
}

#[test]
fn clickhouse_down_for_30_seconds_loses_and_doubles_nothing() {
    let proxy = FaultProxy::start(clickhouse_url());
    let collector = behind(&proxy, outage_options());
    let Outage {
        acknowledged,
        refused,
        saw_not_ready,
    } = outage_under_load(
        &proxy,
        &collector,
        traces_url(&collector),
        span_load,
        Duration::from_secs(3),
        Duration::from_secs(30),
    );
    assert!(
        acknowledged.len() > 1000,
        "clients kept being served: {}",
        acknowledged.len()
    );
    assert!(saw_not_ready, "/readyz said 503 while inserts failed");
    assert_exactly_once(&collector.database, &acknowledged, Duration::from_secs(60));
    let text = metrics_text(&collector);
    assert!(
        metric(&text, "jamscope_rows_spilled_total{table=\"otel_traces\"}") > 0,
        "{text}"
    );
    assert!(metric(&text, "jamscope_rows_replayed_total{table=\"otel_traces\"}") > 0);
    assert_eq!(readyz(&collector), 200, "ready again");
    assert!(
        refused.iter().all(|s| *s == 429),
        "only 429s, never a drop or an error: {refused:?}"
    );
}

pub(crate) fn segment_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "seg"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// A durable-mode collector behind `proxy`, under load of `request`s to
/// the path `url_of` gives, killed while ClickHouse is down (so what it
/// acknowledged is only on disk): the ids acknowledged, and the dead
/// collector (its data directory and database) to restart with
/// [`durable_options`] once ClickHouse is back (`Mode::Pass`).
pub(crate) fn killed_while_durable(
    proxy: &FaultProxy,
    url_of: fn(&Collector) -> String,
    request: fn(usize) -> (Vec<u8>, Vec<String>),
) -> (Vec<String>, Collector) {
    let mut collector = behind(proxy, durable_options());
    let stop = Arc::new(AtomicBool::new(false));
    let (acknowledged, _, clients) = load(url_of(&collector), 3, Arc::clone(&stop), request);
    std::thread::sleep(Duration::from_secs(2));
    // ClickHouse goes away, so acknowledged rows are only on disk...
    proxy.set(Mode::Down);
    std::thread::sleep(Duration::from_secs(2));
    // ...and the collector dies mid-load.
    collector.kill();
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().expect("client thread");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    (acknowledged, collector)
}

/// Retrying briefly, so an outage spills to the spool soon.
pub(crate) fn outage_options() -> CollectorOptions {
    CollectorOptions::default()
        .env("JAMSCOPE_WRITER_RETRY_BUDGET_SECS", "2")
        .env("JAMSCOPE_WRITER_RETRY_MAX_MS", "500")
}

/// Durable mode, retrying briefly.
pub(crate) fn durable_options() -> CollectorOptions {
    CollectorOptions::default()
        .env("JAMSCOPE_SPOOL_DURABLE", "true")
        .env("JAMSCOPE_WRITER_RETRY_BUDGET_SECS", "1")
        .env("JAMSCOPE_WRITER_RETRY_MAX_MS", "300")
}

#[test]
fn sigkill_in_durable_mode_loses_nothing_acknowledged() {
    let proxy = FaultProxy::start(clickhouse_url());
    let (acknowledged, collector) = killed_while_durable(&proxy, traces_url, span_load);
    assert!(acknowledged.len() > 100, "{}", acknowledged.len());
    let spool = collector.data_dir.join("spool/otel_traces");
    let newest = segment_files(&spool).pop().expect("a spool segment");
    // A write cut short by a crash: half a record header at the end.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&newest)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &[1, 200, 0, 0]))
        .expect("tear the tail");

    proxy.set(Mode::Pass);
    let restarted = restart_behind(&proxy, &collector, durable_options());
    assert_exactly_once(&restarted.database, &acknowledged, Duration::from_secs(60));
    let text = metrics_text(&restarted);
    assert_eq!(
        metric(
            &text,
            "jamscope_spool_damaged_segments_total{table=\"otel_traces\"}"
        ),
        1,
        "{text}"
    );
    assert!(
        metric(&text, "jamscope_rows_replayed_total{table=\"otel_traces\"}") > 0,
        "the restart wrote rows from the spool: {text}"
    );
}

#[test]
fn sigterm_while_clickhouse_is_down_spools_and_the_next_start_writes_it() {
    let proxy = FaultProxy::start(clickhouse_url());
    let options = || {
        CollectorOptions::default()
            .env("JAMSCOPE_WRITER_SHUTDOWN_TIMEOUT_SECS", "3")
            .env("JAMSCOPE_WRITER_RETRY_MAX_MS", "300")
    };
    let mut collector = behind(&proxy, options());
    proxy.set(Mode::Down);
    let mut acknowledged = Vec::new();
    for i in 0..5 {
        let (body, ids) = encode("sigterm", fresh_spans(&format!("term-{i}"), 100));
        assert_eq!(
            try_post(&traces_url(&collector), body)
                .expect("an answer")
                .0,
            200
        );
        acknowledged.extend(ids);
    }
    let stopping = Instant::now();
    let status = collector.stop();
    assert!(status.success(), "{}", collector.output());
    assert!(
        stopping.elapsed() < Duration::from_secs(8),
        "exit within the 3 s deadline (took {:?})",
        stopping.elapsed()
    );
    let spool = collector.data_dir.join("spool/otel_traces");
    let spooled: u64 = segment_files(&spool)
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    assert!(spooled > 0, "the spool holds what ClickHouse did not take");
    assert!(stored(&collector.database).is_empty());

    proxy.set(Mode::Pass);
    let restarted = restart_behind(&proxy, &collector, options());
    assert_exactly_once(&restarted.database, &acknowledged, Duration::from_secs(30));
    assert_eq!(
        metric(
            &metrics_text(&restarted),
            "jamscope_rows_replayed_total{table=\"otel_traces\"}"
        ),
        500
    );
}

#[test]
fn a_full_spool_answers_429_and_loses_nothing_acknowledged() {
    let proxy = FaultProxy::start(clickhouse_url());
    let collector = behind(
        &proxy,
        CollectorOptions::default()
            .env("JAMSCOPE_SPOOL_MAX_BYTES", "262144")
            .env("JAMSCOPE_SPOOL_SEGMENT_BYTES", "16384")
            .env("JAMSCOPE_WRITER_QUEUE_BYTES", "100000")
            .env("JAMSCOPE_WRITER_BATCH_BYTES", "100000")
            .env("JAMSCOPE_WRITER_BATCH_ROWS", "100")
            .env("JAMSCOPE_WRITER_RETRY_BUDGET_SECS", "1")
            .env("JAMSCOPE_WRITER_RETRY_MAX_MS", "300")
            .env("JAMSCOPE_INGEST_QUEUE_WAIT_MS", "500"),
    );
    proxy.set(Mode::Down);
    let mut acknowledged = Vec::new();
    let mut retry_after = None;
    for i in 0..300 {
        let (body, ids) = encode("spool-full", fresh_spans(&format!("full-{i}"), 100));
        let (status, headers, _) = try_post(&traces_url(&collector), body).expect("an answer");
        match status {
            200 => acknowledged.extend(ids),
            429 => {
                retry_after = headers
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                break;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(
        retry_after.is_some(),
        "429 with Retry-After once memory and disk are full"
    );
    let text = metrics_text(&collector);
    let in_memory = metric(&text, "jamscope_queue_records{table=\"otel_traces\"}");
    let spooled = metric(&text, "jamscope_spool_rows{table=\"otel_traces\"}");
    assert!(
        spooled > 0 && acknowledged.len() as u64 > in_memory,
        "the spool took what the memory queue could not: {} acknowledged, {in_memory} in memory, {spooled} spooled",
        acknowledged.len()
    );
    proxy.set(Mode::Pass);
    assert_exactly_once(&collector.database, &acknowledged, Duration::from_secs(60));
}
