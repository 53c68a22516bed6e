//! The two steps errors take between a queue and its writer
//! (`pipeline::through`): browser errors are symbolicated before they are
//! written; spans and log records are read for exceptions, which go to
//! their own queue.
//!
//! Why at ingest and not on first read: the fingerprint that groups an
//! error comes from its symbolicated frames, and `error_groups` is kept
//! by views as rows land; grouping on read would aggregate raw rows per
//! request. The cost is paid here, off the request: about 1 ms a frame
//! with the map cached, a parse of the map when not (BENCHMARKS.md,
//! "Errors").

use std::sync::Arc;
use std::time::Duration;

use super::exceptions;
use super::sourcemaps::Symbolicator;
use crate::model::error::BackendError;
use crate::model::rum::{RumError, RumRecord};
use crate::model::{LogRecord, Span};
use crate::pipeline::{Queue, Step};

/// Symbolicates each browser error for its page's app and release.
pub struct Symbolicate(pub Arc<Symbolicator>);

impl Step<RumRecord<RumError>> for Symbolicate {
    async fn run(&mut self, records: &mut Vec<RumRecord<RumError>>) {
        for record in records.iter_mut() {
            let page = &record.context.page;
            self.0
                .symbolicate(&page.app, &page.release, &mut record.event)
                .await;
        }
    }
}

/// Queues the exceptions spans and log records carry for `error_events`.
pub struct RecordExceptions {
    pub queue: Queue<BackendError>,
}

impl RecordExceptions {
    async fn queue(&mut self, found: Vec<BackendError>) {
        if found.is_empty() {
            return;
        }
        let count = found.len();
        // The records are already acknowledged: a full queue loses the
        // exceptions (and says so) rather than holding the records back.
        if let Err(error) = self.queue.submit_within(found, Duration::ZERO).await {
            tracing::warn!(%error, exceptions = count, "exceptions of stored records were not queued");
        }
    }
}

impl Step<Span> for RecordExceptions {
    async fn run(&mut self, spans: &mut Vec<Span>) {
        self.queue(exceptions::from_spans(spans)).await;
    }
}

impl Step<LogRecord> for RecordExceptions {
    async fn run(&mut self, records: &mut Vec<LogRecord>) {
        self.queue(exceptions::from_logs(records)).await;
    }
}
