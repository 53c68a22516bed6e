//! Alerting's own numbers for `/metrics`: whether this collector leads,
//! how many series the windows hold and how many were refused, and the
//! evaluations run.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct AlertStats {
    leader: AtomicU64,
    series: AtomicU64,
    dropped_series: AtomicU64,
    evaluations: AtomicU64,
}

impl AlertStats {
    pub(super) fn set_leader(&self, leads: bool) {
        self.leader.store(u64::from(leads), Ordering::Relaxed);
    }

    pub(super) fn set_series(&self, series: usize, dropped: u64) {
        self.series.store(series as u64, Ordering::Relaxed);
        self.dropped_series.store(dropped, Ordering::Relaxed);
    }

    pub(super) fn evaluated(&self) {
        self.evaluations.fetch_add(1, Ordering::Relaxed);
    }

    /// OpenMetrics text lines.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, kind, help, value) in [
            (
                "jamscope_alert_leader",
                "gauge",
                "1 while this collector evaluates alerts for all.",
                &self.leader,
            ),
            (
                "jamscope_alert_series",
                "gauge",
                "Series held by the streaming alert windows.",
                &self.series,
            ),
            (
                "jamscope_alert_series_dropped",
                "counter",
                "Series not tracked because alert.max_series was reached.",
                &self.dropped_series,
            ),
            (
                "jamscope_alert_evaluations",
                "counter",
                "Evaluations of the alert rules by this collector.",
                &self.evaluations,
            ),
        ] {
            let suffix = if kind == "counter" { "_total" } else { "" };
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name}{suffix} {}", value.load(Ordering::Relaxed));
        }
        out
    }
}
