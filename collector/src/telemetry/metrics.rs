//! The collector's counters, gauges and insert latency: one
//! `prometheus-client` registry rendered at `/metrics`, read by the OTLP
//! export too, plus the readiness answer behind `/readyz`.
//!
//! Names are fixed: dashboards, alert rules and the end-to-end tests read
//! them. prometheus-client appends `_total` to counters itself (and a `.`
//! to help texts), so counters are registered without the suffix.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::outcome::{RejectReason, Rejections, Signal};
use super::FailureClass;
use super::SpoolStats;
use crate::pipeline::Depth;

/// The media type [`Metrics::render`] produces.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds (seconds) of the insert latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Where rows ClickHouse refused for good were kept, as the writer names it.
const DEAD_LETTER_PLACES: [&str; 3] = ["rejected_rows", "file", "nowhere"];

/// The receiver a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Receiver {
    OtlpHttp,
    OtlpGrpc,
    Rum,
    Builds,
}

impl Receiver {
    pub fn as_str(self) -> &'static str {
        match self {
            Receiver::OtlpHttp => "otlp_http",
            Receiver::OtlpGrpc => "otlp_grpc",
            Receiver::Rum => "rum",
            Receiver::Builds => "builds",
        }
    }
}

/// A label value from an enum's fixed name.
macro_rules! label_value {
    ($($kind:ty),*) => {$(
        impl EncodeLabelValue for $kind {
            fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
                std::fmt::Write::write_str(encoder, self.as_str())
            }
        }
    )*};
}
label_value!(Signal, RejectReason, Receiver);

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct TableLabels {
    table: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct DeadLetterLabels {
    table: &'static str,
    kept_in: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct FailureLabels {
    table: &'static str,
    class: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct SignalLabels {
    signal: Signal,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RejectionLabels {
    signal: Signal,
    reason: RejectReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct LimitLabels {
    limit: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

/// Label values of `requests_rate_limited` and `requests_unauthenticated`,
/// shown at 0 from the start (`access` names them the same way).
const LIMIT_KINDS: [&str; 3] = ["per_ip", "per_key", "global"];
const KEYED_ENDPOINTS: [&str; 4] = ["otlp_http", "otlp_grpc", "api", "metrics"];

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ListenerLabels {
    listener: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CutLabels {
    part: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RefusalLabels {
    receiver: Receiver,
    status: u16,
}

/// Every metric family of the write path, one series per table.
struct TableFamilies {
    queue_records: Family<TableLabels, Gauge>,
    queue_bytes: Family<TableLabels, Gauge>,
    queue_capacity: Family<TableLabels, Gauge>,
    rows_written: Family<TableLabels, Counter>,
    rows_replayed: Family<TableLabels, Counter>,
    rows_spilled: Family<TableLabels, Counter>,
    rows_lost: Family<TableLabels, Counter>,
    rows_dead_lettered: Family<DeadLetterLabels, Counter>,
    insert_failures: Family<FailureLabels, Counter>,
    insert_failing: Family<TableLabels, Gauge>,
    spool_bytes: Family<TableLabels, Gauge>,
    spool_segments: Family<TableLabels, Gauge>,
    spool_rows: Family<TableLabels, Gauge>,
    spool_damaged_segments: Family<TableLabels, Counter>,
    insert_duration: Family<TableLabels, Histogram>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Every metric the collector keeps, and its readiness.
pub struct Metrics {
    registry: Registry,
    spans_accepted: Counter,
    spans_rejected: Counter,
    requests_refused_overload: Counter,
    requests_invalid: Counter,
    rum_events_accepted: Counter,
    rum_events_rejected: Counter,
    records_received: Family<SignalLabels, Counter>,
    records_accepted: Family<SignalLabels, Counter>,
    records_rejected: Family<RejectionLabels, Counter>,
    requests_refused: Family<RefusalLabels, Counter>,
    requests_rate_limited: Family<LimitLabels, Counter>,
    requests_unauthenticated: Family<EndpointLabels, Counter>,
    requests_shed: Family<ListenerLabels, Counter>,
    spans_truncated: Counter,
    span_limit_cuts: Family<CutLabels, Counter>,
    /// The (receiver, status) pairs refused so far: a family cannot be
    /// listed, and the OTLP export reads every series.
    refusals_seen: Mutex<BTreeSet<(Receiver, u16)>>,
    table_families: TableFamilies,
    ready: AtomicBool,
    tables: Mutex<Vec<Arc<TableStats>>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("jamscope");
        let mut counter = |name: &str, help: &str| {
            let counter = Counter::default();
            registry.register(name, help, counter.clone());
            counter
        };
        let spans_accepted = counter("spans_accepted", "Spans acknowledged to clients");
        let spans_rejected = counter(
            "spans_rejected",
            "Spans refused as invalid (partial success)",
        );
        let requests_refused_overload = counter(
            "requests_refused_overload",
            "Requests answered 429/503 because the write queue or the spool was full",
        );
        let requests_invalid = counter("requests_invalid", "Requests answered 4xx for bad input");
        let rum_events_accepted = counter(
            "rum_events_accepted",
            "RUM events (vitals, errors, page views) queued for storage",
        );
        let rum_events_rejected = counter(
            "rum_events_rejected",
            "RUM events dropped as invalid, past the batch limit, or for a full queue",
        );
        let spans_truncated = counter(
            "spans_truncated",
            "Spans and resources cut to [span_limits] (they carry jamscope.truncated = true)",
        );
        let table_families = TableFamilies::register(&mut registry);
        let records_received = Family::default();
        registry.register(
            "records_received",
            "Records (spans, RUM events) in requests that could be decoded, by signal",
            records_received.clone(),
        );
        let records_accepted = Family::default();
        registry.register(
            "records_accepted",
            "Records queued for storage and acknowledged, by signal",
            records_accepted.clone(),
        );
        let records_rejected = Family::default();
        registry.register(
            "records_rejected",
            "Records not stored, by signal and reason",
            records_rejected.clone(),
        );
        let requests_refused = Family::default();
        registry.register(
            "requests_refused",
            "Requests refused whole, by receiver and HTTP status (gRPC: the status of the same refusal over HTTP)",
            requests_refused.clone(),
        );
        let requests_rate_limited = Family::default();
        registry.register(
            "requests_rate_limited",
            "Requests answered 429 for a rate limit, by limit (per_ip, per_key, global)",
            requests_rate_limited.clone(),
        );
        let requests_unauthenticated = Family::default();
        registry.register(
            "requests_unauthenticated",
            "Requests answered 401 for a missing or unknown API key, by endpoint",
            requests_unauthenticated.clone(),
        );
        let requests_shed = Family::default();
        registry.register(
            "requests_shed",
            "Requests answered 503 at once because requests.max_in_flight were being handled, by listener",
            requests_shed.clone(),
        );
        let span_limit_cuts = Family::default();
        registry.register(
            "span_limit_cuts",
            "What [span_limits] took: attributes, nested (of events, links, maps, arrays), events, links dropped; values cut",
            span_limit_cuts.clone(),
        );
        let metrics = Self {
            registry,
            spans_accepted,
            spans_rejected,
            requests_refused_overload,
            requests_invalid,
            rum_events_accepted,
            rum_events_rejected,
            records_received,
            records_accepted,
            records_rejected,
            requests_refused,
            requests_rate_limited,
            requests_unauthenticated,
            requests_shed,
            spans_truncated,
            span_limit_cuts,
            refusals_seen: Mutex::new(BTreeSet::new()),
            table_families,
            ready: AtomicBool::new(false),
            tables: Mutex::new(Vec::new()),
        };
        // Every signal shows from the start, at 0: a rate over a series
        // that appears only with its first record misses that record.
        for signal in Signal::ALL {
            let labels = SignalLabels { signal };
            let _ = metrics.records_received.get_or_create(&labels);
            let _ = metrics.records_accepted.get_or_create(&labels);
        }
        for limit in LIMIT_KINDS {
            let _ = metrics
                .requests_rate_limited
                .get_or_create(&LimitLabels { limit });
        }
        for endpoint in KEYED_ENDPOINTS {
            let _ = metrics
                .requests_unauthenticated
                .get_or_create(&EndpointLabels { endpoint });
        }
        metrics
    }
}

impl TableFamilies {
    fn register(registry: &mut Registry) -> Self {
        let families = Self {
            queue_records: Family::default(),
            queue_bytes: Family::default(),
            queue_capacity: Family::default(),
            rows_written: Family::default(),
            rows_replayed: Family::default(),
            rows_spilled: Family::default(),
            rows_lost: Family::default(),
            rows_dead_lettered: Family::default(),
            insert_failures: Family::default(),
            insert_failing: Family::default(),
            spool_bytes: Family::default(),
            spool_segments: Family::default(),
            spool_rows: Family::default(),
            spool_damaged_segments: Family::default(),
            insert_duration: Family::new_with_constructor(latency_histogram),
        };
        let f = &families;
        registry.register(
            "queue_records",
            "Records acknowledged and held in memory until ClickHouse confirms them",
            f.queue_records.clone(),
        );
        registry.register(
            "queue_bytes",
            "Bytes of those records as encoded for ClickHouse: what the queue bounds",
            f.queue_bytes.clone(),
        );
        registry.register(
            "queue_capacity_bytes",
            "Capacity of the write queue, in encoded bytes",
            f.queue_capacity.clone(),
        );
        registry.register(
            "rows_written",
            "Rows ClickHouse confirmed",
            f.rows_written.clone(),
        );
        registry.register(
            "rows_replayed",
            "Rows written from the disk spool",
            f.rows_replayed.clone(),
        );
        registry.register(
            "rows_spilled",
            "Rows moved from memory to the disk spool (ClickHouse down or slow, or shutdown)",
            f.rows_spilled.clone(),
        );
        registry.register(
            "rows_lost",
            "Acknowledged rows given up on: neither ClickHouse nor the spool took them",
            f.rows_lost.clone(),
        );
        registry.register(
            "rows_dead_lettered",
            "Rows ClickHouse refused for good, by where they were kept",
            f.rows_dead_lettered.clone(),
        );
        registry.register(
            "insert_failures",
            "Failed insert attempts by class: transient ones are retried, permanent ones split the chunk",
            f.insert_failures.clone(),
        );
        registry.register(
            "insert_failing",
            "1 while the last insert attempt failed (then /readyz answers 503)",
            f.insert_failing.clone(),
        );
        registry.register(
            "spool_bytes",
            "Bytes in the disk spool's segment files",
            f.spool_bytes.clone(),
        );
        registry.register(
            "spool_segments",
            "Segment files in the disk spool",
            f.spool_segments.clone(),
        );
        registry.register(
            "spool_rows",
            "Rows in the disk spool not yet confirmed by ClickHouse",
            f.spool_rows.clone(),
        );
        registry.register(
            "spool_damaged_segments",
            "Spool segments found with a torn or corrupt tail at start (the tail is skipped)",
            f.spool_damaged_segments.clone(),
        );
        registry.register(
            "insert_duration_seconds",
            "Time ClickHouse took to confirm an INSERT",
            f.insert_duration.clone(),
        );
        families
    }
}

/// One table's write path: its queue, inserts, dead letters and spool.
/// Each field is the table's own series of a family (a shared handle).
pub struct TableStats {
    pub table: &'static str,
    queue: Depth,
    queue_records: Gauge,
    queue_bytes: Gauge,
    rows_written: Counter,
    rows_replayed: Counter,
    rows_spilled: Counter,
    rows_lost: Counter,
    /// By [`DEAD_LETTER_PLACES`].
    dead_lettered: [Counter; 3],
    failures_transient: Counter,
    failures_permanent: Counter,
    /// Whether the last insert attempt failed (readiness).
    failing: AtomicBool,
    failing_gauge: Gauge,
    spool_bytes: Gauge,
    spool_segments: Gauge,
    spool_rows: Gauge,
    spool_damaged_segments: Counter,
    insert_duration: Histogram,
}

impl TableStats {
    fn new(table: &'static str, queue: Depth, f: &TableFamilies) -> Self {
        let labels = TableLabels { table };
        let failures = |class| {
            f.insert_failures
                .get_or_create(&FailureLabels { table, class })
                .clone()
        };
        f.queue_capacity
            .get_or_create(&labels)
            .set(gauge_value(queue.capacity_bytes() as u64));
        Self {
            table,
            queue,
            queue_records: f.queue_records.get_or_create(&labels).clone(),
            queue_bytes: f.queue_bytes.get_or_create(&labels).clone(),
            rows_written: f.rows_written.get_or_create(&labels).clone(),
            rows_replayed: f.rows_replayed.get_or_create(&labels).clone(),
            rows_spilled: f.rows_spilled.get_or_create(&labels).clone(),
            rows_lost: f.rows_lost.get_or_create(&labels).clone(),
            dead_lettered: DEAD_LETTER_PLACES.map(|kept_in| {
                f.rows_dead_lettered
                    .get_or_create(&DeadLetterLabels { table, kept_in })
                    .clone()
            }),
            failures_transient: failures("transient"),
            failures_permanent: failures("permanent"),
            failing: AtomicBool::new(false),
            failing_gauge: f.insert_failing.get_or_create(&labels).clone(),
            spool_bytes: f.spool_bytes.get_or_create(&labels).clone(),
            spool_segments: f.spool_segments.get_or_create(&labels).clone(),
            spool_rows: f.spool_rows.get_or_create(&labels).clone(),
            spool_damaged_segments: f.spool_damaged_segments.get_or_create(&labels).clone(),
            insert_duration: f.insert_duration.get_or_create(&labels).clone(),
        }
    }

    pub fn insert_succeeded(&self, rows: u64, took: Duration) {
        self.rows_written.inc_by(rows);
        self.set_failing(false);
        self.insert_duration.observe(took.as_secs_f64());
    }

    /// ClickHouse answered a probe after failing inserts.
    pub fn recovered(&self) {
        self.set_failing(false);
    }

    pub fn insert_failed(&self, class: FailureClass) {
        match class {
            FailureClass::Transient => {
                self.failures_transient.inc();
                self.set_failing(true);
            }
            FailureClass::Permanent => {
                self.failures_permanent.inc();
            }
        }
    }

    fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::Relaxed);
        self.failing_gauge.set(i64::from(failing));
    }

    /// `place`: where the rows went (`rejected_rows`, `file` or `nowhere`).
    pub fn dead_lettered(&self, rows: u64, place: &str) {
        let index = DEAD_LETTER_PLACES
            .iter()
            .position(|&known| known == place)
            .unwrap_or(0);
        self.dead_lettered[index].inc_by(rows);
    }

    pub fn replayed(&self, rows: u64) {
        self.rows_replayed.inc_by(rows);
    }

    pub fn spilled(&self, rows: u64) {
        self.rows_spilled.inc_by(rows);
    }

    pub fn lost(&self, rows: u64) {
        self.rows_lost.inc_by(rows);
    }

    pub fn rows_lost(&self) -> u64 {
        self.rows_lost.get()
    }

    pub fn rows_written(&self) -> u64 {
        self.rows_written.get()
    }

    pub fn rows_spilled(&self) -> u64 {
        self.rows_spilled.get()
    }

    pub fn rows_replayed(&self) -> u64 {
        self.rows_replayed.get()
    }

    /// Rows kept in the dead-letter store, by place ([`DEAD_LETTER_PLACES`]).
    pub fn rows_dead_lettered(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        DEAD_LETTER_PLACES
            .into_iter()
            .zip(self.dead_lettered.iter().map(Counter::get))
    }

    pub fn insert_failures(&self, class: FailureClass) -> u64 {
        match class {
            FailureClass::Transient => self.failures_transient.get(),
            FailureClass::Permanent => self.failures_permanent.get(),
        }
    }

    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed)
    }

    /// Records waiting in memory for ClickHouse.
    pub fn queued(&self) -> u64 {
        self.queue.queued_records() as u64
    }

    /// Their bytes, as encoded for ClickHouse.
    pub fn queued_bytes(&self) -> u64 {
        self.queue.queued_bytes() as u64
    }

    pub fn spool_bytes(&self) -> u64 {
        u64::try_from(self.spool_bytes.get()).unwrap_or(0)
    }

    pub fn set_spool(&self, stats: SpoolStats) {
        self.spool_bytes.set(gauge_value(stats.bytes));
        self.spool_segments.set(gauge_value(stats.segments));
        self.spool_rows.set(gauge_value(stats.rows));
    }

    pub fn spool_damaged(&self, segments: u64) {
        self.spool_damaged_segments.inc_by(segments);
    }

    /// The queue gauge is read from the queue itself when rendering.
    fn refresh_queue(&self) {
        self.queue_records.set(gauge_value(self.queued()));
        self.queue_bytes.set(gauge_value(self.queued_bytes()));
    }
}

fn gauge_value(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Metrics {
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    /// Serving, and no table's inserts are failing right now.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst) && !self.each_table().iter().any(|t| t.is_failing())
    }

    /// Registers a table's write path for `/metrics` and readiness.
    pub fn table(&self, table: &'static str, queue: Depth) -> Arc<TableStats> {
        let stats = Arc::new(TableStats::new(table, queue, &self.table_families));
        if let Ok(mut tables) = self.tables.lock() {
            tables.push(Arc::clone(&stats));
        }
        stats
    }

    pub fn each_table(&self) -> Vec<Arc<TableStats>> {
        self.tables.lock().map(|t| t.clone()).unwrap_or_default()
    }

    /// An OTLP export request answered: `accepted` spans queued, `invalid`
    /// refused in its partial success.
    pub fn spans_acknowledged(&self, accepted: u64, invalid: u64) {
        self.spans_accepted.inc_by(accepted);
        self.spans_rejected.inc_by(invalid);
    }

    /// A beacon answered: events queued and events dropped.
    pub fn rum_events(&self, accepted: u64, rejected: u64) {
        self.rum_events_accepted.inc_by(accepted);
        self.rum_events_rejected.inc_by(rejected);
    }

    /// `count` records of `signal` queued for storage.
    pub fn records_accepted(&self, signal: Signal, count: u64) {
        let labels = SignalLabels { signal };
        self.records_received.get_or_create(&labels).inc_by(count);
        self.records_accepted.get_or_create(&labels).inc_by(count);
    }

    /// Records not stored, by signal and reason.
    pub fn records_rejected(&self, rejections: &Rejections) {
        for (signal, reason, count) in rejections.iter() {
            self.records_received
                .get_or_create(&SignalLabels { signal })
                .inc_by(count);
            self.records_rejected
                .get_or_create(&RejectionLabels { signal, reason })
                .inc_by(count);
        }
    }

    /// A request refused at once because its listener had
    /// `requests.max_in_flight` in hand.
    pub fn request_shed(&self, listener: &'static str) {
        self.requests_refused_overload.inc();
        self.requests_shed
            .get_or_create(&ListenerLabels { listener })
            .inc();
    }

    /// Spans (and resources) cut to the span limits, and what they lost.
    pub fn spans_truncated(&self, count: u64, cut: &crate::model::Truncation) {
        if count == 0 {
            return;
        }
        self.spans_truncated.inc_by(count);
        for (part, n) in [
            ("attributes", cut.attributes),
            ("nested", cut.nested),
            ("events", cut.events),
            ("links", cut.links),
            ("values", cut.values),
        ] {
            if n > 0 {
                self.span_limit_cuts
                    .get_or_create(&CutLabels { part })
                    .inc_by(n);
            }
        }
    }

    /// A request refused whole with `status`.
    pub fn request_refused(&self, receiver: Receiver, status: StatusCode) {
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            self.requests_refused_overload.inc();
        } else {
            self.requests_invalid.inc();
        }
        let status = status.as_u16();
        self.requests_refused
            .get_or_create(&RefusalLabels { receiver, status })
            .inc();
        if let Ok(mut seen) = self.refusals_seen.lock() {
            seen.insert((receiver, status));
        }
    }

    /// A request refused by the rate limit `limit` (`per_ip`, `per_key`,
    /// `global`).
    pub fn rate_limited(&self, limit: &'static str) {
        self.requests_rate_limited
            .get_or_create(&LimitLabels { limit })
            .inc();
    }

    /// A request to `endpoint` without a valid API key.
    pub fn unauthenticated(&self, endpoint: &'static str) {
        self.requests_unauthenticated
            .get_or_create(&EndpointLabels { endpoint })
            .inc();
    }

    pub fn records_received_count(&self, signal: Signal) -> u64 {
        get(&self.records_received, &SignalLabels { signal })
    }

    pub fn records_accepted_count(&self, signal: Signal) -> u64 {
        get(&self.records_accepted, &SignalLabels { signal })
    }

    pub fn records_rejected_count(&self, signal: Signal, reason: RejectReason) -> u64 {
        get(&self.records_rejected, &RejectionLabels { signal, reason })
    }

    /// Requests refused so far, by receiver and status.
    pub fn requests_refused_counts(&self) -> Vec<(Receiver, u16, u64)> {
        let seen = self
            .refusals_seen
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default();
        seen.into_iter()
            .map(|(receiver, status)| {
                let count = get(&self.requests_refused, &RefusalLabels { receiver, status });
                (receiver, status, count)
            })
            .collect()
    }

    /// The OpenMetrics text exposition ([`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        for table in self.each_table() {
            table.refresh_queue();
        }
        let mut out = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::warn!(%error, "could not render the metrics");
        }
        out
    }
}

/// A series' value, 0 when it does not exist yet.
fn get<S: Clone + Eq + std::hash::Hash>(family: &Family<S, Counter>, labels: &S) -> u64 {
    family.get(labels).map_or(0, |counter| counter.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::queue;

    /// The value on the line that starts with `series` followed by a space.
    fn value(text: &str, series: &str) -> Option<String> {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .map(str::to_owned)
    }

    #[test]
    fn existing_names_and_labels_render_as_before() {
        let metrics = Metrics::default();
        let (spans, _receiver) = queue::<u8>(100);
        let stats = metrics.table("otel_traces", spans.depth());
        metrics.spans_acknowledged(7, 2);
        metrics.rum_events(101, 15);
        metrics.request_refused(Receiver::OtlpHttp, StatusCode::TOO_MANY_REQUESTS);
        metrics.request_refused(Receiver::Rum, StatusCode::BAD_REQUEST);
        stats.insert_succeeded(7, Duration::from_millis(30));
        stats.insert_failed(FailureClass::Transient);
        stats.insert_failed(FailureClass::Permanent);
        stats.dead_lettered(3, "rejected_rows");
        stats.dead_lettered(1, "nowhere");
        stats.spilled(5);
        stats.replayed(4);
        stats.lost(1);
        stats.spool_damaged(2);
        stats.set_spool(SpoolStats {
            bytes: 4096,
            segments: 1,
            chunks: 1,
            rows: 5,
        });
        let text = metrics.render();
        let expect = [
            ("jamscope_spans_accepted_total", "7"),
            ("jamscope_spans_rejected_total", "2"),
            ("jamscope_requests_refused_overload_total", "1"),
            ("jamscope_requests_invalid_total", "1"),
            ("jamscope_rum_events_accepted_total", "101"),
            ("jamscope_rum_events_rejected_total", "15"),
            ("jamscope_queue_records{table=\"otel_traces\"}", "0"),
            ("jamscope_queue_bytes{table=\"otel_traces\"}", "0"),
            ("jamscope_queue_capacity_bytes{table=\"otel_traces\"}", "100"),
            ("jamscope_rows_written_total{table=\"otel_traces\"}", "7"),
            ("jamscope_rows_replayed_total{table=\"otel_traces\"}", "4"),
            ("jamscope_rows_spilled_total{table=\"otel_traces\"}", "5"),
            ("jamscope_rows_lost_total{table=\"otel_traces\"}", "1"),
            (
                "jamscope_rows_dead_lettered_total{table=\"otel_traces\",kept_in=\"rejected_rows\"}",
                "3",
            ),
            (
                "jamscope_rows_dead_lettered_total{table=\"otel_traces\",kept_in=\"file\"}",
                "0",
            ),
            (
                "jamscope_rows_dead_lettered_total{table=\"otel_traces\",kept_in=\"nowhere\"}",
                "1",
            ),
            (
                "jamscope_insert_failures_total{table=\"otel_traces\",class=\"transient\"}",
                "1",
            ),
            (
                "jamscope_insert_failures_total{table=\"otel_traces\",class=\"permanent\"}",
                "1",
            ),
            ("jamscope_insert_failing{table=\"otel_traces\"}", "1"),
            ("jamscope_spool_bytes{table=\"otel_traces\"}", "4096"),
            ("jamscope_spool_segments{table=\"otel_traces\"}", "1"),
            ("jamscope_spool_rows{table=\"otel_traces\"}", "5"),
            (
                "jamscope_spool_damaged_segments_total{table=\"otel_traces\"}",
                "2",
            ),
            (
                "jamscope_insert_duration_seconds_count{table=\"otel_traces\"}",
                "1",
            ),
            (
                "jamscope_insert_duration_seconds_bucket{le=\"0.05\",table=\"otel_traces\"}",
                "1",
            ),
            (
                "jamscope_insert_duration_seconds_bucket{le=\"0.025\",table=\"otel_traces\"}",
                "0",
            ),
            (
                "jamscope_insert_duration_seconds_bucket{le=\"+Inf\",table=\"otel_traces\"}",
                "1",
            ),
        ];
        // The one change from the hand-written rendering: OpenMetrics
        // histograms put `le` first and write bounds as floats (`1.0`).
        for (series, expected) in expect {
            assert_eq!(
                value(&text, series).as_deref(),
                Some(expected),
                "{series} in:\n{text}"
            );
        }
        assert!(
            text.contains("# HELP jamscope_rows_written Rows ClickHouse confirmed.\n# TYPE jamscope_rows_written counter\n"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE jamscope_insert_duration_seconds histogram\n"),
            "{text}"
        );
        assert!(!text.contains("_total_total"), "{text}");
    }

    #[test]
    fn per_signal_counters_move_with_their_reasons() {
        let metrics = Metrics::default();
        let text = metrics.render();
        for signal in ["spans", "rum_vitals", "rum_errors", "rum_page_views"] {
            assert_eq!(
                value(
                    &text,
                    &format!("jamscope_records_received_total{{signal=\"{signal}\"}}")
                )
                .as_deref(),
                Some("0"),
                "{text}"
            );
        }

        metrics.records_accepted(Signal::Spans, 5);
        let mut rejections = Rejections::default();
        rejections.add(Signal::Spans, RejectReason::InvalidId, 2);
        rejections.add(Signal::RumVitals, RejectReason::BatchLimit, 3);
        metrics.records_rejected(&rejections);
        metrics.request_refused(Receiver::OtlpGrpc, StatusCode::TOO_MANY_REQUESTS);
        metrics.request_refused(Receiver::OtlpGrpc, StatusCode::TOO_MANY_REQUESTS);

        let text = metrics.render();
        let expect = [
            ("jamscope_records_received_total{signal=\"spans\"}", "7"),
            ("jamscope_records_accepted_total{signal=\"spans\"}", "5"),
            (
                "jamscope_records_rejected_total{signal=\"spans\",reason=\"invalid_id\"}",
                "2",
            ),
            (
                "jamscope_records_received_total{signal=\"rum_vitals\"}",
                "3",
            ),
            (
                "jamscope_records_accepted_total{signal=\"rum_vitals\"}",
                "0",
            ),
            (
                "jamscope_records_rejected_total{signal=\"rum_vitals\",reason=\"batch_limit\"}",
                "3",
            ),
            (
                "jamscope_requests_refused_total{receiver=\"otlp_grpc\",status=\"429\"}",
                "2",
            ),
            ("jamscope_requests_refused_overload_total", "2"),
        ];
        for (series, expected) in expect {
            assert_eq!(
                value(&text, series).as_deref(),
                Some(expected),
                "{series} in:\n{text}"
            );
        }
        assert_eq!(metrics.records_received_count(Signal::Spans), 7);
        assert_eq!(
            metrics.records_rejected_count(Signal::RumVitals, RejectReason::BatchLimit),
            3
        );
        assert_eq!(
            metrics.requests_refused_counts(),
            [(Receiver::OtlpGrpc, 429, 2)]
        );
    }

    #[test]
    fn readiness_follows_the_last_insert() {
        let metrics = Metrics::default();
        let (spans, _receiver) = queue::<u8>(10);
        let stats = metrics.table("otel_traces", spans.depth());
        assert!(!metrics.is_ready(), "not ready before serving");
        metrics.set_ready(true);
        assert!(metrics.is_ready());
        stats.insert_failed(FailureClass::Transient);
        assert!(!metrics.is_ready());
        stats.insert_failed(FailureClass::Permanent);
        assert!(!metrics.is_ready(), "a permanent failure says nothing new");
        stats.insert_succeeded(1, Duration::from_millis(1));
        assert!(metrics.is_ready());
    }
}
