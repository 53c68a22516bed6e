//! Jamscope: an OpenTelemetry and RUM collector for Jamstack sites.
//!
//! A byte's way: a receiver in [`ingest`] decodes a request into [`model`]
//! records and hands them to a [`pipeline`] queue; the [`store`] writer
//! encodes them as RowBinary and inserts them into ClickHouse. [`serve`]
//! wires these together and shuts them down in order. [`correlate`] works
//! the other way: it turns one stored trace back into the time each layer
//! took; [`api`] answers questions as JSON and [`ui`] as web pages. See
//! ARCHITECTURE.md.

pub mod access;
pub mod alert;
pub mod api;
pub mod clock;
pub mod config;
pub mod config_values;
pub mod correlate;
pub mod errors;
#[cfg(test)]
mod fuzz;
pub mod hangup;
pub mod ingest;
pub mod listen;
pub mod model;
pub mod notify;
pub mod pipeline;
pub mod redact;
mod server;
pub mod signing;
pub mod store;
pub mod telemetry;
pub mod tls_trust;
pub mod ui;

pub use server::{serve, ServeError};
