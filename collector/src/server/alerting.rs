//! Alerting's part of the wiring, unless `alert.enabled = false`: the
//! notifier with every configured receiver, the evaluation loop, and the
//! tap through which receivers feed its streaming windows.

use std::sync::Arc;

use crate::alert::service::{AlertFeed, AlertParts, AlertService, AlertStats};
use crate::config::Config;
use crate::ingest::IngestTap;
use crate::model::rum::{PageContext, Vital};
use crate::model::Span;
use crate::notify::{Notifier, NotifyStats};
use crate::store::alerts::AlertStore;
use crate::store::client::Connection;
use crate::store::queries::Queries;
use crate::telemetry::Metrics;

use super::ServeError;

/// The running alert service and what the API and `/metrics` read of it.
pub(super) struct Alerting {
    pub service: AlertService,
    pub store: AlertStore,
    pub stats: Arc<AlertStats>,
}

impl Alerting {
    /// What receivers hand accepted records to.
    pub(super) fn tap(&self) -> Arc<dyn IngestTap> {
        Arc::new(AlertTap(self.service.feed()))
    }
}

pub(super) fn start(
    config: &Config,
    connection: &Connection,
    queries: &Queries,
    metrics: &Arc<Metrics>,
) -> Result<Option<Alerting>, ServeError> {
    if !config.alert.enabled {
        tracing::info!("alerting is off (alert.enabled = false)");
        return Ok(None);
    }
    let notify_stats = Arc::new(NotifyStats::default());
    metrics.register(|registry| notify_stats.register(registry));
    let notifier = Notifier::start_with_stats(&config.alert.notify(), Arc::clone(&notify_stats))
        .map_err(|e| ServeError::Alerting(e.to_string()))?;
    let instance = format!("{}-{:08x}", std::process::id(), fastrand::u32(..));
    let store = AlertStore::new(connection.client(), instance);
    let stats = Arc::new(AlertStats::default());
    let service = AlertService::start(AlertParts {
        config: config.alert.clone(),
        kpi: config.kpi.clone(),
        store: store.clone(),
        queries: queries.clone(),
        notifier,
        stats: Arc::clone(&stats),
    });
    Ok(Some(Alerting {
        service,
        store,
        stats,
    }))
}

/// The alert windows as the receivers' tap.
struct AlertTap(AlertFeed);

impl IngestTap for AlertTap {
    fn spans(&self, spans: &[Span]) {
        self.0.spans(spans);
    }

    fn vitals(&self, context: &Arc<PageContext>, vitals: &[Vital]) {
        self.0.vitals(context, vitals);
    }
}
