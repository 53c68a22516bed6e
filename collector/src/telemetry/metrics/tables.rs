//! The write path's metrics, one series per table: its queue, inserts,
//! dead letters and spool. Each writer holds its table's [`TableStats`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::pipeline::Depth;
use crate::telemetry::{FailureClass, SpoolStats};

/// Upper bounds (seconds) of the insert latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Where rows ClickHouse refused for good were kept, as the writer names it.
const DEAD_LETTER_PLACES: [&str; 3] = ["rejected_rows", "file", "nowhere"];

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

/// Every metric family of the write path, one series per table.
pub(super) struct TableFamilies {
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

impl TableFamilies {
    pub(super) fn register(registry: &mut Registry) -> Self {
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
    pub(super) fn new(table: &'static str, queue: Depth, f: &TableFamilies) -> Self {
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
    pub(super) fn refresh_queue(&self) {
        self.queue_records.set(gauge_value(self.queued()));
        self.queue_bytes.set(gauge_value(self.queued_bytes()));
    }
}

fn gauge_value(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
