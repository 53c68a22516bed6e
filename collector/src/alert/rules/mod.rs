//! Alert rule files: `alert-rules/*.yaml`, Prometheus-like groups of rules,
//! each with a typed `condition`. Loading reads every file of a directory
//! (`load.rs`), takes each rule as written (`written.rs`) and checks it
//! (`validate.rs`, with `metric.rs`, `otlp_metric.rs` and `levels.rs`) into a [`Rule`] of
//! one [`RuleKind`] (`kind.rs`), reporting each problem as
//! `file:line: what is wrong`. A loaded rule is ready for evaluation.

mod describe;
mod kind;
mod levels;
mod load;
mod metric;
mod otlp_metric;
mod rule;
mod validate;
mod written;

#[cfg(test)]
mod tests;

pub use kind::{
    ErrorSource, FailedInARow, MetricQuery, MetricWindow, QueryKind, Regression, RuleKind,
    SqlQuery, WindowKind,
};
pub use levels::{Comparison, Level};
pub use load::{load_dir, load_str, RuleError};
pub use rule::{Rule, RuleSet};
