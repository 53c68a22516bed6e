//! Alerting's part of the wiring, unless `alert.enabled = false`: the
//! notifier with every configured receiver, the evaluation loop, and the
//! tap through which receivers feed its streaming windows.

use std::sync::Arc;
use std::time::Duration;

use crate::alert::service::{AlertFeed, AlertParts, AlertService, AlertStats, AlertTables};
use crate::config::Config;
use crate::ingest::IngestTap;
use crate::model::rum::{PageContext, Vital};
use crate::model::Span;
use crate::notify::{Notifier, NotifyStats};
use crate::store::client::Connection;
use crate::store::queries::Queries;
use crate::store::writer::InsertTarget;
use crate::telemetry::Metrics;

use super::ServeError;

/// The running alert service and what the API and `/metrics` read of it.
pub(super) struct Alerting {
    pub service: AlertService,
    pub tables: AlertTables,
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
    // Alerting's rows are few and waited for: written at once, with the
    // writers' timeouts.
    let target = InsertTarget {
        client: connection.client(),
        send_timeout: Duration::from_millis(config.writer.send_timeout_ms),
        response_timeout: Duration::from_millis(config.writer.response_timeout_ms),
    };
    let tables = AlertTables::new(target, queries.clone(), instance);
    let stats = Arc::new(AlertStats::default());
    metrics.register(|registry| stats.register(registry));
    let service = AlertService::start(AlertParts {
        config: config.alert.clone(),
        kpi: config.kpi.clone(),
        tables: tables.clone(),
        queries: queries.clone(),
        notifier,
        stats: Arc::clone(&stats),
    });
    Ok(Some(Alerting { service, tables }))
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
