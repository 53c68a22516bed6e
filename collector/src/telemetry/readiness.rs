//! `/readyz`: the collector is ready while it serves and no table's
//! inserts are failing (a load balancer then sends traffic elsewhere
//! rather than into a spool).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::TableStats;

/// Serving or not, and the tables whose inserts it watches. A cheap clone.
#[derive(Clone, Default)]
pub struct Readiness {
    serving: Arc<AtomicBool>,
    tables: Arc<Mutex<Vec<Arc<TableStats>>>>,
}

impl Readiness {
    pub fn set_serving(&self, serving: bool) {
        self.serving.store(serving, Ordering::SeqCst);
    }

    /// Serving, and no table's inserts are failing right now.
    pub fn is_ready(&self) -> bool {
        self.serving.load(Ordering::SeqCst) && !self.tables().iter().any(|t| t.is_failing())
    }

    pub(super) fn watch(&self, table: Arc<TableStats>) {
        if let Ok(mut tables) = self.tables.lock() {
            tables.push(table);
        }
    }

    pub(super) fn tables(&self) -> Vec<Arc<TableStats>> {
        self.tables.lock().map(|t| t.clone()).unwrap_or_default()
    }
}
