//! Wires the running system from a [`Config`], in the order the
//! architecture reads: the store (ClickHouse, migrations, a writer per
//! table), alerting, access, the receivers and the read side on their
//! listeners; and takes it down again in one [`Shutdown`] sequence.
//! Nothing here decides anything a component could decide itself: each
//! step is one builder in its own file.

mod alerting;
mod banner;
mod errors;
mod listeners;
mod routes;
mod shutdown;
mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::access::{self, Access};
use crate::config::Config;
use crate::ingest::bounds::DecodeBudget;
use crate::listen::TlsError;
use crate::store::client::Connection;
use crate::store::embedded::EmbeddedClickHouse;
use crate::store::queries::Queries;
use crate::store::StoreError;
use crate::telemetry::{Metrics, SelfTelemetry, SelfTelemetryError};
use listeners::Listeners;
use shutdown::Shutdown;

/// The longest shutdown waits for the self telemetry to be sent.
const SELF_TELEMETRY_FLUSH: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr} ({what}): {source}")]
    Bind {
        what: &'static str,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} server failed: {message}")]
    Server { what: &'static str, message: String },
    #[error(transparent)]
    SelfTelemetry(#[from] SelfTelemetryError),
    #[error("alerting: {0}")]
    Alerting(String),
    #[error("auth.api_keys_file: {0}")]
    Keys(#[from] access::KeyFileError),
    #[error("TLS on the {what} listener: {source}")]
    Tls {
        what: &'static str,
        #[source]
        source: Box<TlsError>,
    },
}

/// Runs the collector until `shutdown` completes, then drains and stops.
pub async fn serve(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
    let (embedded, connection) = store::connect(&config).await?;
    let result = serve_with(&config, &connection, embedded.as_ref(), shutdown).await;
    if let Some(embedded) = embedded {
        if let Err(error) = embedded.stop(Duration::from_secs(30)).await {
            tracing::warn!(%error, "embedded ClickHouse did not stop cleanly");
        }
    }
    result
}

async fn serve_with(
    config: &Config,
    connection: &Connection,
    embedded: Option<&EmbeddedClickHouse>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    // Bound before anything else: a busy port fails the start at once, and
    // self telemetry pointed at this collector can be told so.
    let listeners = Listeners::bind(config).await?;
    let metrics = Arc::new(Metrics::default());
    let self_telemetry = SelfTelemetry::start_with_key(
        &config.self_telemetry,
        listeners.http_addr(),
        Arc::clone(&metrics),
        access::own_key(&config.auth).as_deref(),
    )
    .await?;
    let result = run(
        config,
        connection,
        embedded,
        listeners,
        &metrics,
        self_telemetry.as_ref(),
        shutdown,
    )
    .await;
    if let Some(self_telemetry) = &self_telemetry {
        self_telemetry.shutdown(SELF_TELEMETRY_FLUSH).await;
    }
    result
}

async fn run(
    config: &Config,
    connection: &Connection,
    embedded: Option<&EmbeddedClickHouse>,
    listeners: Listeners,
    metrics: &Arc<Metrics>,
    self_telemetry: Option<&SelfTelemetry>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let tracer = self_telemetry
        .map(SelfTelemetry::tracer)
        .unwrap_or_default();
    store::migrate(config, connection, &tracer).await?;
    // One budget for the bodies all requests decode at once.
    DecodeBudget::install(
        config.requests.max_decoding_bytes,
        config.requests.decoding_wait(),
    );
    let queries = Queries::new(connection.client(), config.kpi.clone());
    let symbolicator = errors::symbolicator(config, &queries);
    let (writers, queues) =
        store::Writers::start(config, connection, metrics, &tracer, &symbolicator)?;
    let alerting = alerting::start(config, connection, &queries, metrics)?;
    let access = Arc::new(Access::new(
        &config.auth,
        &config.rum.keys,
        &config.limits,
        metrics.access(),
    )?);
    log_keys(&access);
    let routes = routes::build(routes::Parts {
        config,
        connection,
        queues,
        queries,
        alerting: alerting.as_ref(),
        access: &access,
        metrics,
        symbolicator,
    });
    let servers = listeners.serve(config, routes, metrics)?;
    let maintenance = tokio::spawn(Arc::clone(&access).maintain(servers.stopped()));
    metrics.readiness().set_serving(true);
    banner::print(&banner::Banner {
        listeners: servers.addresses(),
        tls: &config.tls,
        builds_on: config.builds.webhook_secret.is_some(),
        keys: access.keys().count(),
        connection,
        embedded,
    });

    shutdown.await;
    Shutdown {
        grace: Duration::from_secs(config.writer.shutdown_timeout_secs),
        metrics,
        self_telemetry,
        servers,
        maintenance,
        alerting,
        writers,
    }
    .run()
    .await
}

fn log_keys(access: &Access) {
    if access.keys().is_open() {
        tracing::warn!(
            "no API keys configured (auth.api_keys, auth.api_keys_file): OTLP, /api and /metrics are open to anyone who can reach them"
        );
    } else {
        tracing::info!(
            keys = access.keys().count(),
            "API keys required on OTLP, /api and /metrics"
        );
    }
}
