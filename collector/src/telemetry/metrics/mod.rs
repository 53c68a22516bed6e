//! The collector's counters, gauges and insert latency: one
//! `prometheus-client` registry rendered at `/metrics` and read by the OTLP
//! export. [`Metrics`] owns the registry and hands each part the narrow
//! handle it counts with: receivers an [`IngestStats`], `access` an
//! [`AccessStats`], each writer its table's [`TableStats`]; alerting and
//! the notifier register their own families through [`Metrics::register`].
//!
//! Names are fixed: dashboards, alert rules and the end-to-end tests read
//! them. prometheus-client appends `_total` to counters itself (and a `.`
//! to help texts), so counters are registered without the suffix.

mod access;
mod ingest;
mod tables;

use std::sync::{Arc, Mutex};

use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};
use prometheus_client::registry::Registry;

pub use access::{AccessStats, KEYED_ENDPOINTS, LIMIT_KINDS};
pub use ingest::IngestStats;
pub use tables::TableStats;

use super::outcome::{RejectReason, Signal};
use super::readiness::Readiness;
use crate::pipeline::Depth;
use tables::TableFamilies;

/// The media type [`Metrics::render`] produces.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The receiver a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Receiver {
    OtlpHttp,
    OtlpGrpc,
    Rum,
    /// OTLP/HTTP from browser pages (the RUM listener's `/v1/traces`, `/v1/logs`).
    BrowserOtlp,
    /// The Grafana Faro web SDK's `/collect`.
    Faro,
    Builds,
}

impl Receiver {
    pub fn as_str(self) -> &'static str {
        match self {
            Receiver::OtlpHttp => "otlp_http",
            Receiver::OtlpGrpc => "otlp_grpc",
            Receiver::Rum => "rum",
            Receiver::BrowserOtlp => "browser_otlp",
            Receiver::Faro => "faro",
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

/// Every metric the collector keeps.
pub struct Metrics {
    registry: Mutex<Registry>,
    ingest: IngestStats,
    access: AccessStats,
    table_families: TableFamilies,
    readiness: Readiness,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("jamscope");
        let ingest = IngestStats::register(&mut registry);
        let table_families = TableFamilies::register(&mut registry);
        let access = AccessStats::register(&mut registry);
        Self {
            registry: Mutex::new(registry),
            ingest,
            access,
            table_families,
            readiness: Readiness::default(),
        }
    }
}

impl Metrics {
    /// What the receivers count with.
    pub fn ingest(&self) -> IngestStats {
        self.ingest.clone()
    }

    /// What `access` counts with.
    pub fn access(&self) -> AccessStats {
        self.access.clone()
    }

    /// What `/readyz` answers from; it watches every table registered here.
    pub fn readiness(&self) -> Readiness {
        self.readiness.clone()
    }

    /// Registers a table's write path for `/metrics` and readiness.
    pub fn table(&self, table: &'static str, queue: Depth) -> Arc<TableStats> {
        let stats = Arc::new(TableStats::new(table, queue, &self.table_families));
        self.readiness.watch(Arc::clone(&stats));
        stats
    }

    pub fn each_table(&self) -> Vec<Arc<TableStats>> {
        self.readiness.tables()
    }

    /// Adds another part's families (alerting, the notifier) to `/metrics`.
    pub fn register(&self, add: impl FnOnce(&mut Registry)) {
        match self.registry.lock() {
            Ok(mut registry) => add(&mut registry),
            Err(poisoned) => add(&mut poisoned.into_inner()),
        }
    }

    /// The OpenMetrics text exposition ([`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        for table in self.each_table() {
            table.refresh_queue();
        }
        let mut out = String::new();
        let encoded = match self.registry.lock() {
            Ok(registry) => prometheus_client::encoding::text::encode(&mut out, &registry),
            Err(poisoned) => {
                prometheus_client::encoding::text::encode(&mut out, &poisoned.into_inner())
            }
        };
        if let Err(error) = encoded {
            tracing::warn!(%error, "could not render the metrics");
        }
        out
    }
}

#[cfg(test)]
mod tests;
