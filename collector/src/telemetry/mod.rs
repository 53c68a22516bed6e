//! The collector's own observability: counters and readiness behind
//! `/metrics` and `/readyz` (`metrics`), spans of its own work (`spans`),
//! and their export over OTLP when `[self_telemetry]` names an endpoint
//! (`export`).

mod export;
mod metrics;
pub mod outcome;
mod spans;
mod write_report;

pub use export::{SelfTelemetry, SelfTelemetryConfig, SelfTelemetryError};
pub use metrics::{Metrics, Receiver, TableStats, CONTENT_TYPE};
pub use spans::{WorkOutcome, WorkSpan, WorkTracer};
pub use write_report::{FailureClass, SpoolStats};
