//! The ingest path's handle on the streaming windows: receivers hand it
//! every batch they accept, and it records them under a short lock.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::alert::window::Windows;
use crate::model::rum::{PageContext, RumRecord, Vital};
use crate::model::Span;

use crate::clock::now_millis;

#[derive(Clone)]
pub struct AlertFeed {
    windows: Arc<Mutex<Windows>>,
}

impl AlertFeed {
    pub(super) fn new(windows: Windows) -> Self {
        Self {
            windows: Arc::new(Mutex::new(windows)),
        }
    }

    /// Spans a receiver is about to queue. Recorded before the queue takes
    /// them (it takes them by value); a refused request retried by its
    /// client counts twice, which moves a rate by its own weight only.
    pub fn spans(&self, spans: &[Span]) {
        if !spans.is_empty() {
            self.lock().record_spans(spans, now_millis());
        }
    }

    /// Web Vitals of one beacon (a handful: copied into records).
    pub fn vitals(&self, context: &Arc<PageContext>, vitals: &[Vital]) {
        if vitals.is_empty() {
            return;
        }
        let records: Vec<RumRecord<Vital>> = vitals
            .iter()
            .map(|vital| RumRecord {
                context: Arc::clone(context),
                event: vital.clone(),
            })
            .collect();
        self.lock().record_vitals(&records, now_millis());
    }

    /// A panic while holding the lock leaves the windows usable: they hold
    /// counters, never half-written invariants worth refusing data for.
    pub(super) fn lock(&self) -> MutexGuard<'_, Windows> {
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
