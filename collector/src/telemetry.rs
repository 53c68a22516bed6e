//! The collector's own health: counters behind `/metrics` (Prometheus text
//! format) and the liveness/readiness answers behind `/healthz` and `/readyz`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::pipeline::Depth;
use crate::store::spool::SpoolStats;
use crate::store::writer::FailureClass;

/// Every counter the collector keeps. Fields are named like their metrics.
#[derive(Default)]
pub struct Metrics {
    pub spans_accepted: AtomicU64,
    pub spans_rejected: AtomicU64,
    pub requests_refused_overload: AtomicU64,
    pub requests_invalid: AtomicU64,
    pub rum_events_accepted: AtomicU64,
    pub rum_events_rejected: AtomicU64,
    ready: AtomicBool,
    tables: Mutex<Vec<Arc<TableStats>>>,
}

/// Upper bounds (seconds) of the insert latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// One table's write path: its queue, inserts, dead letters and spool.
pub struct TableStats {
    pub table: &'static str,
    queue: Depth,
    rows_written: AtomicU64,
    rows_replayed: AtomicU64,
    rows_spilled: AtomicU64,
    rows_lost: AtomicU64,
    dead_lettered_table: AtomicU64,
    dead_lettered_file: AtomicU64,
    dead_lettered_nowhere: AtomicU64,
    failures_transient: AtomicU64,
    failures_permanent: AtomicU64,
    /// Whether the last insert attempt failed (readiness).
    failing: AtomicBool,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    spool: Mutex<SpoolStats>,
    spool_damaged_segments: AtomicU64,
}

impl TableStats {
    fn new(table: &'static str, queue: Depth) -> Self {
        Self {
            table,
            queue,
            rows_written: AtomicU64::new(0),
            rows_replayed: AtomicU64::new(0),
            rows_spilled: AtomicU64::new(0),
            rows_lost: AtomicU64::new(0),
            dead_lettered_table: AtomicU64::new(0),
            dead_lettered_file: AtomicU64::new(0),
            dead_lettered_nowhere: AtomicU64::new(0),
            failures_transient: AtomicU64::new(0),
            failures_permanent: AtomicU64::new(0),
            failing: AtomicBool::new(false),
            latency_buckets: Default::default(),
            latency_count: AtomicU64::new(0),
            latency_sum_micros: AtomicU64::new(0),
            spool: Mutex::new(SpoolStats::default()),
            spool_damaged_segments: AtomicU64::new(0),
        }
    }

    pub fn insert_succeeded(&self, rows: u64, took: Duration) {
        Metrics::add(&self.rows_written, rows);
        self.failing.store(false, Ordering::Relaxed);
        let seconds = took.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|&le| seconds <= le) {
            self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        Metrics::add(&self.latency_count, 1);
        Metrics::add(&self.latency_sum_micros, took.as_micros() as u64);
    }

    /// ClickHouse answered a probe after failing inserts.
    pub fn recovered(&self) {
        self.failing.store(false, Ordering::Relaxed);
    }

    pub fn insert_failed(&self, class: FailureClass) {
        match class {
            FailureClass::Transient => {
                Metrics::add(&self.failures_transient, 1);
                self.failing.store(true, Ordering::Relaxed);
            }
            FailureClass::Permanent => Metrics::add(&self.failures_permanent, 1),
        }
    }

    /// `place`: where the rows went (`rejected_rows`, `file` or `nowhere`).
    pub fn dead_lettered(&self, rows: u64, place: &str) {
        let counter = match place {
            "file" => &self.dead_lettered_file,
            "nowhere" => &self.dead_lettered_nowhere,
            _ => &self.dead_lettered_table,
        };
        Metrics::add(counter, rows);
    }

    pub fn replayed(&self, rows: u64) {
        Metrics::add(&self.rows_replayed, rows);
    }

    pub fn spilled(&self, rows: u64) {
        Metrics::add(&self.rows_spilled, rows);
    }

    pub fn lost(&self, rows: u64) {
        Metrics::add(&self.rows_lost, rows);
    }

    pub fn rows_lost(&self) -> u64 {
        self.rows_lost.load(Ordering::Relaxed)
    }

    pub fn rows_written(&self) -> u64 {
        self.rows_written.load(Ordering::Relaxed)
    }

    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed)
    }

    pub fn set_spool(&self, stats: SpoolStats) {
        if let Ok(mut spool) = self.spool.lock() {
            *spool = stats;
        }
    }

    pub fn spool_damaged(&self, segments: u64) {
        Metrics::add(&self.spool_damaged_segments, segments);
    }
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    /// Serving, and no table's inserts are failing right now.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst) && !self.each_table().iter().any(|t| t.is_failing())
    }

    /// Registers a table's write path for `/metrics` and readiness.
    pub fn table(&self, table: &'static str, queue: Depth) -> Arc<TableStats> {
        let stats = Arc::new(TableStats::new(table, queue));
        if let Ok(mut tables) = self.tables.lock() {
            tables.push(Arc::clone(&stats));
        }
        stats
    }

    pub fn each_table(&self) -> Vec<Arc<TableStats>> {
        self.tables.lock().map(|t| t.clone()).unwrap_or_default()
    }

    /// Renders the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let counters: [(&str, &str, &AtomicU64); 6] = [
            (
                "jamscope_spans_accepted_total",
                "Spans acknowledged to clients.",
                &self.spans_accepted,
            ),
            (
                "jamscope_spans_rejected_total",
                "Spans refused as invalid (partial success).",
                &self.spans_rejected,
            ),
            (
                "jamscope_requests_refused_overload_total",
                "Requests answered 429/503 because the write queue or the spool was full.",
                &self.requests_refused_overload,
            ),
            (
                "jamscope_requests_invalid_total",
                "Requests answered 4xx for bad input.",
                &self.requests_invalid,
            ),
            (
                "jamscope_rum_events_accepted_total",
                "RUM events (vitals, errors, page views) queued for storage.",
                &self.rum_events_accepted,
            ),
            (
                "jamscope_rum_events_rejected_total",
                "RUM events dropped as invalid, past the batch limit, or for a full queue.",
                &self.rum_events_rejected,
            ),
        ];
        let mut out = String::new();
        for (name, help, counter) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        self.render_tables(&mut out);
        out
    }

    fn render_tables(&self, out: &mut String) {
        let tables = self.each_table();
        let family = |out: &mut String,
                      name: &str,
                      kind: &str,
                      help: &str,
                      value: &dyn Fn(&TableStats) -> String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for t in &tables {
                let _ = writeln!(out, "{name}{{table=\"{}\"}} {}", t.table, value(t));
            }
        };
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed).to_string();
        let spool = |t: &TableStats| t.spool.lock().map(|s| *s).unwrap_or_default();
        family(
            out,
            "jamscope_queue_records",
            "gauge",
            "Records acknowledged and held in memory until ClickHouse confirms them.",
            &|t| t.queue.queued().to_string(),
        );
        family(
            out,
            "jamscope_queue_capacity_records",
            "gauge",
            "Capacity of the write queue.",
            &|t| t.queue.capacity().to_string(),
        );
        family(
            out,
            "jamscope_rows_written_total",
            "counter",
            "Rows ClickHouse confirmed.",
            &|t| load(&t.rows_written),
        );
        family(
            out,
            "jamscope_rows_replayed_total",
            "counter",
            "Rows written from the disk spool.",
            &|t| load(&t.rows_replayed),
        );
        family(
            out,
            "jamscope_rows_spilled_total",
            "counter",
            "Rows moved from memory to the disk spool (ClickHouse down or slow, or shutdown).",
            &|t| load(&t.rows_spilled),
        );
        family(
            out,
            "jamscope_rows_lost_total",
            "counter",
            "Acknowledged rows given up on: neither ClickHouse nor the spool took them.",
            &|t| load(&t.rows_lost),
        );
        let _ = writeln!(out, "# HELP jamscope_rows_dead_lettered_total Rows ClickHouse refused for good, by where they were kept.\n# TYPE jamscope_rows_dead_lettered_total counter");
        for t in &tables {
            for (place, counter) in [
                ("rejected_rows", &t.dead_lettered_table),
                ("file", &t.dead_lettered_file),
                ("nowhere", &t.dead_lettered_nowhere),
            ] {
                let _ = writeln!(
                    out,
                    "jamscope_rows_dead_lettered_total{{table=\"{}\",kept_in=\"{place}\"}} {}",
                    t.table,
                    load(counter)
                );
            }
        }
        let _ = writeln!(out, "# HELP jamscope_insert_failures_total Failed insert attempts by class: transient ones are retried, permanent ones split the chunk.\n# TYPE jamscope_insert_failures_total counter");
        for t in &tables {
            for (class, counter) in [
                ("transient", &t.failures_transient),
                ("permanent", &t.failures_permanent),
            ] {
                let _ = writeln!(
                    out,
                    "jamscope_insert_failures_total{{table=\"{}\",class=\"{class}\"}} {}",
                    t.table,
                    load(counter)
                );
            }
        }
        family(
            out,
            "jamscope_insert_failing",
            "gauge",
            "1 while the last insert attempt failed (then /readyz answers 503).",
            &|t| u8::from(t.is_failing()).to_string(),
        );
        family(
            out,
            "jamscope_spool_bytes",
            "gauge",
            "Bytes in the disk spool's segment files.",
            &|t| spool(t).bytes.to_string(),
        );
        family(
            out,
            "jamscope_spool_segments",
            "gauge",
            "Segment files in the disk spool.",
            &|t| spool(t).segments.to_string(),
        );
        family(
            out,
            "jamscope_spool_rows",
            "gauge",
            "Rows in the disk spool not yet confirmed by ClickHouse.",
            &|t| spool(t).rows.to_string(),
        );
        family(
            out,
            "jamscope_spool_damaged_segments_total",
            "counter",
            "Spool segments found with a torn or corrupt tail at start (the tail is skipped).",
            &|t| load(&t.spool_damaged_segments),
        );
        let _ = writeln!(out, "# HELP jamscope_insert_duration_seconds Time ClickHouse took to confirm an INSERT.\n# TYPE jamscope_insert_duration_seconds histogram");
        for t in &tables {
            let mut cumulative = 0;
            for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
                cumulative += t.latency_buckets[i].load(Ordering::Relaxed);
                let _ = writeln!(out, "jamscope_insert_duration_seconds_bucket{{table=\"{}\",le=\"{le}\"}} {cumulative}", t.table);
            }
            let count = t.latency_count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "jamscope_insert_duration_seconds_bucket{{table=\"{}\",le=\"+Inf\"}} {count}",
                t.table
            );
            let _ = writeln!(
                out,
                "jamscope_insert_duration_seconds_sum{{table=\"{}\"}} {}",
                t.table,
                t.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "jamscope_insert_duration_seconds_count{{table=\"{}\"}} {count}",
                t.table
            );
        }
    }
}
