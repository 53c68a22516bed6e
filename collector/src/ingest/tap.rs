//! What the rest of the collector sees of accepted records as they are
//! accepted, without the receivers knowing who looks: alerting's streaming
//! windows implement [`IngestTap`], and `server` hands it to the
//! receivers. A port, so `ingest` does not depend on `alert`.

use std::sync::Arc;

use crate::model::rum::{PageContext, Vital};
use crate::model::Span;

pub trait IngestTap: Send + Sync + 'static {
    /// Spans a receiver is about to queue.
    fn spans(&self, spans: &[Span]);
    /// Web Vitals of one page's beacon, about to be queued.
    fn vitals(&self, context: &Arc<PageContext>, vitals: &[Vital]);
}

/// The tap, when anything listens (alerting may be off).
pub type Tap = Option<Arc<dyn IngestTap>>;
