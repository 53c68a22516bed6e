//! The one way down, in order: stop being ready and give everything
//! pending one deadline; send the self telemetry while requests are still
//! taken (when it points at this collector); stop accepting and let the
//! servers finish what they hold; let alerting say it is leaving; let the
//! writers drain their queues into ClickHouse, spooling what is not
//! confirmed by the deadline.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::alerting::Alerting;
use super::listeners::Servers;
use super::store::Writers;
use super::{ServeError, SELF_TELEMETRY_FLUSH};
use crate::telemetry::{Metrics, SelfTelemetry};

pub(super) struct Shutdown<'a> {
    /// `writer.shutdown_timeout_secs`: everything pending has this long.
    pub grace: Duration,
    pub metrics: &'a Arc<Metrics>,
    pub self_telemetry: Option<&'a SelfTelemetry>,
    pub servers: Servers,
    /// Forgetting idle limiter state, reloading keys.
    pub maintenance: JoinHandle<()>,
    pub alerting: Option<Alerting>,
    pub writers: Writers,
}

impl Shutdown<'_> {
    pub(super) async fn run(self) -> Result<(), ServeError> {
        let grace = self.grace;
        tracing::info!(
            deadline_secs = grace.as_secs(),
            "shutting down: no new requests; writing what was accepted, spooling what ClickHouse has not taken by the deadline"
        );
        // One deadline for everything pending, set before anything waits.
        self.writers.set_deadline(grace);
        self.metrics.readiness().set_serving(false);
        if let Some(to_self) = self.self_telemetry.filter(|t| t.points_at_self()) {
            // Our own spans reach us only while we still accept requests, so
            // they are sent now; what the drain below does is not recorded.
            to_self.shutdown(SELF_TELEMETRY_FLUSH).await;
        }
        // The servers hold the receivers, and with them every queue's
        // senders: once they are gone, the writers see the end.
        let servers = self.servers.stop().await;
        let _ = self.maintenance.await;
        if let Some(alerting) = self.alerting {
            // Its last aggregates and queued notifications, within the grace.
            alerting.service.shutdown(grace).await;
        }
        self.writers.finish().await;
        let tables = self.metrics.each_table();
        tracing::info!(
            rows_written = tables.iter().map(|t| t.rows_written()).sum::<u64>(),
            rows_lost = tables.iter().map(|t| t.rows_lost()).sum::<u64>(),
            "stopped"
        );
        servers
    }
}
