//! The collector's own observability: counters and readiness behind
//! `/metrics` and `/readyz` (`metrics`), spans of its own work (`spans`),
//! and their export over OTLP when `[self_telemetry]` names an endpoint
//! (`export`).

mod config;
mod export;
mod http;
mod metrics;
pub mod outcome;
mod readiness;
mod spans;
mod write_report;

pub use config::SelfTelemetryConfig;
pub use export::{SelfTelemetry, SelfTelemetryError};
pub use http::{health_routes, metrics_routes};
pub use metrics::{
    AccessStats, IngestStats, Metrics, Receiver, TableStats, CONTENT_TYPE, KEYED_ENDPOINTS,
    LIMIT_KINDS,
};
pub use readiness::Readiness;
pub use spans::{WorkOutcome, WorkSpan, WorkTracer};
pub use write_report::{FailureClass, SpoolStats};
