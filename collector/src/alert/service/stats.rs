//! Alerting's own numbers for `/metrics`: whether this collector leads,
//! how many series the windows hold and how many were refused, the
//! evaluations run and the rule evaluations that failed. Registered in a
//! `prometheus-client` registry, which writes the exposition text.

use std::sync::atomic::Ordering;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Debug, Default)]
pub struct AlertStats {
    leader: Gauge,
    series: Gauge,
    dropped_series: Counter,
    evaluations: Counter,
    rule_failures: Counter,
}

impl AlertStats {
    /// Adds alerting's families to `registry` (named `alert_*`; the
    /// collector's registry prefixes them with `jamscope_`).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "alert_leader",
            "1 while this collector evaluates alerts for all",
            self.leader.clone(),
        );
        registry.register(
            "alert_series",
            "Series held by the streaming alert windows",
            self.series.clone(),
        );
        registry.register(
            "alert_series_dropped",
            "Series not tracked because alert.max_series was reached",
            self.dropped_series.clone(),
        );
        registry.register(
            "alert_evaluations",
            "Evaluations of the alert rules by this collector",
            self.evaluations.clone(),
        );
        registry.register(
            "alert_rule_failures",
            "Rule evaluations that failed: a query rule's query, or a round of them past alert.query_interval_ms",
            self.rule_failures.clone(),
        );
    }

    pub(super) fn set_leader(&self, leads: bool) {
        self.leader.set(i64::from(leads));
    }

    /// `dropped` is the windows' running total.
    pub(super) fn set_series(&self, series: usize, dropped: u64) {
        self.series.set(i64::try_from(series).unwrap_or(i64::MAX));
        self.dropped_series
            .inner()
            .store(dropped, Ordering::Relaxed);
    }

    pub(super) fn evaluated(&self) {
        self.evaluations.inc();
    }

    pub(super) fn rule_failed(&self) {
        self.rule_failures.inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_keep_their_names_types_and_values() {
        let stats = AlertStats::default();
        stats.set_leader(true);
        stats.set_series(3, 2);
        stats.evaluated();
        let mut registry = Registry::with_prefix("jamscope");
        stats.register(&mut registry);
        let mut text = String::new();
        prometheus_client::encoding::text::encode_registry(&mut text, &registry).unwrap();
        for line in [
            "# HELP jamscope_alert_leader 1 while this collector evaluates alerts for all.\n",
            "# TYPE jamscope_alert_leader gauge\njamscope_alert_leader 1\n",
            "# TYPE jamscope_alert_series gauge\njamscope_alert_series 3\n",
            "# TYPE jamscope_alert_series_dropped counter\njamscope_alert_series_dropped_total 2\n",
            "# TYPE jamscope_alert_evaluations counter\njamscope_alert_evaluations_total 1\n",
            "jamscope_alert_rule_failures_total 0\n",
        ] {
            assert!(text.contains(line), "{line} not in:\n{text}");
        }
    }
}
