//! Domain types. No I/O and no wire formats live here: receivers decode into
//! these types, the store encodes them into rows, rules read them.

pub mod alert;
pub mod build;
pub mod datapoint;
pub mod error;
pub mod kpi;
mod layer;
mod log;
pub mod metric;
mod number;
pub mod rum;
pub mod series;
mod span;
mod span_limits;
mod time_window;

pub use layer::{Layer, LayerRule, LayerRules};
pub use log::{severity_label, LogOrigin, LogRecord, Severity, MAX_SEVERITY_NUMBER};
pub use number::{format_number, Precision};
pub use span::{
    AttributeValue, Attributes, Event, Link, Resource, Scope, Span, SpanId, SpanKind, Status,
    StatusCode, TraceId,
};
pub use span_limits::{SentDropped, SpanLimits, Truncation, TRUNCATED_ATTRIBUTE};
pub use time_window::{TimeWindow, LATEST_STORABLE_NANOS};
