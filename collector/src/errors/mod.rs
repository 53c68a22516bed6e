//! Error tracking: errors of every layer become groups of one model
//! (`model::error`). Browser errors are symbolicated through their
//! release's source maps (`sourcemaps/`) on their way to the store;
//! backend exceptions are read off the spans that recorded them
//! (`exceptions.rs`), their stack traces parsed per runtime (`stack/`).
//! Both run as steps of the store's queues (`steps.rs`), so receivers do
//! not wait for them and a request is never answered later for them.

pub mod exceptions;
pub mod sourcemaps;
pub mod stack;
mod steps;

pub use steps::{RecordExceptions, Symbolicate};
