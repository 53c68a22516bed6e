//! The collector's own health: counters behind `/metrics` (Prometheus text
//! format) and the liveness/readiness answers behind `/healthz` and `/readyz`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Every counter the collector keeps. Fields are named like their metrics.
#[derive(Default)]
pub struct Metrics {
    pub spans_accepted: AtomicU64,
    pub spans_rejected: AtomicU64,
    pub requests_refused_overload: AtomicU64,
    pub requests_invalid: AtomicU64,
    pub rows_written: AtomicU64,
    pub rows_lost: AtomicU64,
    pub insert_attempts_failed: AtomicU64,
    pub inserts: AtomicU64,
    pub rum_events_accepted: AtomicU64,
    pub rum_events_rejected: AtomicU64,
    ready: AtomicBool,
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// Renders the Prometheus text exposition format.
    pub fn render(&self, queued_spans: usize, queue_capacity: usize) -> String {
        let counters: [(&str, &str, &AtomicU64); 10] = [
            ("jamscope_spans_accepted_total", "Spans acknowledged to clients.", &self.spans_accepted),
            ("jamscope_spans_rejected_total", "Spans refused as invalid (partial success).", &self.spans_rejected),
            ("jamscope_requests_refused_overload_total", "Requests answered 429/503 because the write queue was full.", &self.requests_refused_overload),
            ("jamscope_requests_invalid_total", "Requests answered 4xx for bad input.", &self.requests_invalid),
            ("jamscope_rows_written_total", "Rows inserted into ClickHouse.", &self.rows_written),
            ("jamscope_rows_lost_total", "Acknowledged rows given up on (ClickHouse unreachable past the shutdown deadline).", &self.rows_lost),
            ("jamscope_insert_attempts_failed_total", "Insert attempts that failed and were retried.", &self.insert_attempts_failed),
            ("jamscope_inserts_total", "Successful INSERT statements.", &self.inserts),
            ("jamscope_rum_events_accepted_total", "RUM events (vitals, errors, page views) queued for storage.", &self.rum_events_accepted),
            ("jamscope_rum_events_rejected_total", "RUM events dropped as invalid, past the batch limit, or for a full queue.", &self.rum_events_rejected),
        ];
        let mut out = String::new();
        for (name, help, counter) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(out, "# HELP jamscope_queue_spans Spans accepted and not yet written.\n# TYPE jamscope_queue_spans gauge\njamscope_queue_spans {queued_spans}");
        let _ = writeln!(out, "# HELP jamscope_queue_capacity_spans Capacity of the write queue.\n# TYPE jamscope_queue_capacity_spans gauge\njamscope_queue_capacity_spans {queue_capacity}");
        out
    }
}
