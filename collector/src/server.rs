//! Builds the running system from a [`Config`]: ClickHouse (configured or
//! embedded), the listeners, self telemetry, migrations, the write
//! pipeline, the HTTP and gRPC servers; and takes it down in order: stop
//! accepting, drain the queue into ClickHouse, flush the self telemetry,
//! stop the embedded ClickHouse.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::alert::service::{AlertParts, AlertService, AlertStats};
use crate::config::Config;
use crate::ingest::bounds::{self, DecodeBudget};
use crate::ingest::builds::{BuildSink, BuildsState};
use crate::ingest::rum::{RumQueues, RumState};
use crate::ingest::{self, IngestState};
use crate::model::build::Build;
use crate::notify::{Notifier, NotifyStats};
use crate::pipeline::Queue;
use crate::store::alerts::AlertStore;
use crate::store::client::Connection;
use crate::store::embedded::{EmbeddedClickHouse, EmbeddedSettings};
use crate::store::queries::Queries;
use crate::store::rows::{
    BuildTable, RumErrorTable, RumPageViewTable, RumVitalTable, SpanTable, Table,
};
use crate::store::spool::Spool;
use crate::store::writer::{self, InsertTarget, Writer};
use crate::store::{schema, StoreError};
use crate::telemetry::{Metrics, SelfTelemetry, SelfTelemetryError, WorkOutcome, WorkTracer};

/// Tables with a writer (and a spool) of their own.
const TABLES: usize = 4;

/// The longest shutdown waits for the self telemetry to be sent.
const SELF_TELEMETRY_FLUSH: Duration = Duration::from_secs(5);

/// The longest a build event's INSERT may take to send, and to be
/// answered: its sender is waiting.
const BUILD_INSERT_TIMEOUT: Duration = Duration::from_secs(10);

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
}

/// Runs the collector until `shutdown` completes, then drains and stops.
pub async fn serve(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
    let (embedded, connection) = connect(&config).await?;
    let result = serve_with(&config, &connection, embedded.as_ref(), shutdown).await;
    if let Some(embedded) = embedded {
        if let Err(error) = embedded.stop(Duration::from_secs(30)).await {
            tracing::warn!(%error, "embedded ClickHouse did not stop cleanly");
        }
    }
    result
}

/// The configured ClickHouse, or a freshly started embedded one.
async fn connect(config: &Config) -> Result<(Option<EmbeddedClickHouse>, Connection), ServeError> {
    let ch = &config.clickhouse;
    let timeout = Duration::from_secs(ch.start_timeout_secs);
    let (embedded, url) = match &ch.url {
        Some(url) => (None, url.clone()),
        None => {
            let embedded = EmbeddedClickHouse::start(&EmbeddedSettings {
                data_dir: config.data_dir.clone(),
                python: ch.embedded_python.clone(),
                http_port: ch.embedded_http_port,
                tcp_port: ch.embedded_tcp_port,
                start_timeout: timeout,
            })
            .await?;
            tracing::info!(
                url = embedded.url(),
                engine = embedded.engine(),
                "embedded ClickHouse is up"
            );
            let url = embedded.url().to_owned();
            (Some(embedded), url)
        }
    };
    let connection = Connection::open(config.connection_settings(url))?;
    connection.wait_until_ready(timeout).await?;
    Ok((embedded, connection))
}

async fn serve_with(
    config: &Config,
    connection: &Connection,
    embedded: Option<&EmbeddedClickHouse>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    // Bound before anything else: a busy port fails the start at once, and
    // self telemetry pointed at this collector can be told so.
    let http_listener = bind("OTLP/HTTP", config.http_addr).await?;
    let grpc_listener = bind("OTLP/gRPC", config.grpc_addr).await?;
    let http_addr = local_addr(&http_listener, config.http_addr);
    let grpc_addr = local_addr(&grpc_listener, config.grpc_addr);

    let metrics = Arc::new(Metrics::default());
    let self_telemetry =
        SelfTelemetry::start(&config.self_telemetry, http_addr, Arc::clone(&metrics)).await?;
    let listeners = Listeners {
        http: http_listener,
        grpc: grpc_listener,
        http_addr,
        grpc_addr,
    };
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

struct Listeners {
    http: TcpListener,
    grpc: TcpListener,
    http_addr: SocketAddr,
    grpc_addr: SocketAddr,
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
    let span = tracer.migration(connection.database());
    match schema::migrate(&connection.server_client(), &config.schema_options()).await {
        Ok(applied) => span.end_with_count(
            "jamscope.migrations_applied",
            applied.len(),
            WorkOutcome::Done,
        ),
        Err(error) => {
            span.end(WorkOutcome::Error, Some(&error.to_string()));
            return Err(error.into());
        }
    }

    // One budget for the bodies all requests decode at once.
    let requests = &config.requests;
    DecodeBudget::install(requests.max_decoding_bytes, requests.decoding_wait());

    let (deadline_tx, deadline_rx) = watch::channel(None);
    let mut writers = Writers {
        connection,
        config,
        deadline: deadline_rx,
        metrics: Arc::clone(metrics),
        tracer: tracer.clone(),
        handles: Vec::new(),
    };
    let spans = writers.spawn::<SpanTable>()?;
    let rum_queues = RumQueues {
        vitals: writers.spawn::<RumVitalTable>()?,
        errors: writers.spawn::<RumErrorTable>()?,
        page_views: writers.spawn::<RumPageViewTable>()?,
    };
    let queue_wait = Duration::from_millis(config.ingest.queue_wait_ms);
    let rum_state = RumState::new(&config.rum, queue_wait, rum_queues, Arc::clone(metrics));
    let builds_state = BuildsState::new(
        &config.builds,
        config.clickhouse.ttl_days,
        Arc::new(StoreBuilds(InsertTarget {
            client: connection.client(),
            send_timeout: BUILD_INSERT_TIMEOUT,
            response_timeout: BUILD_INSERT_TIMEOUT,
        })),
        Arc::clone(metrics),
    );

    let queries = Queries::new(connection.client(), config.kpi.clone());
    let alerting = start_alerting(config, connection, &queries)?;
    let rum_state = rum_state.with_alerts(alerting.as_ref().map(|a| a.service.feed()));
    let state = IngestState {
        spans,
        layers: Arc::new(config.layer_rules()),
        limits: config.ingest.clone(),
        span_limits: config.span_limits,
        max_span_age: config.max_span_age(),
        metrics: Arc::clone(metrics),
        alerts: alerting.as_ref().map(|a| a.service.feed()),
    };
    let Listeners {
        http: http_listener,
        grpc: grpc_listener,
        http_addr,
        grpc_addr,
    } = listeners;

    // Both servers stop when `shutdown` completes.
    let (stop_tx, stop_rx) = watch::channel(false);
    let wait_stop = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let api = crate::api::ApiState {
        queries: Arc::new(queries),
        alerts: alerting.as_ref().map(|a| a.store.clone()),
        rules: alerting.as_ref().map(|a| a.service.rules()),
    };
    let exposition = Exposition {
        metrics: Arc::clone(metrics),
        alert_stats: alerting.as_ref().map(|a| Arc::clone(&a.stats)),
        notify_stats: alerting.as_ref().map(|a| Arc::clone(&a.notify_stats)),
    };
    let router = http_router(
        state.clone(),
        rum_state.clone(),
        builds_state,
        api,
        exposition,
    );
    let router = bounds::layer(
        router,
        bounds::Listener::new(
            "http",
            requests.max_in_flight,
            requests.body_read_timeout(),
            Arc::clone(metrics),
        ),
    );
    let http = tokio::spawn(bounds::serve_http(
        http_listener,
        router,
        requests.header_read_timeout(),
        requests.idle_timeout(),
        wait_stop(stop_rx.clone()),
    ));
    let grpc = tokio::spawn(
        tonic::transport::Server::builder()
            // Past max_in_flight calls, RESOURCE_EXHAUSTED at once; a
            // call (its message read, decoded and handled) has the body
            // timeout.
            .load_shed(true)
            .timeout(requests.body_read_timeout())
            .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
                requests.max_in_flight,
            ))
            .add_service(ingest::otlp_grpc::service(state.clone()))
            .serve_with_incoming_shutdown(
                tonic::transport::server::TcpIncoming::from(grpc_listener),
                wait_stop(stop_rx),
            ),
    );
    metrics.set_ready(true);
    let builds_on = config.builds.webhook_secret.is_some();
    print_banner(http_addr, grpc_addr, builds_on, connection, embedded);

    shutdown.await;
    let grace = Duration::from_secs(config.writer.shutdown_timeout_secs);
    tracing::info!(
        deadline_secs = grace.as_secs(),
        "shutting down: no new requests; writing what was accepted, spooling what ClickHouse has not taken by the deadline"
    );
    // One deadline for everything pending, set before anything waits.
    let _ = deadline_tx.send(Some(tokio::time::Instant::now() + grace));
    metrics.set_ready(false);
    if let Some(to_self) = self_telemetry.filter(|t| t.points_at_self()) {
        // Our own spans reach us only while we still accept requests, so
        // they are sent now; what the drain below does is not recorded.
        to_self.shutdown(SELF_TELEMETRY_FLUSH).await;
    }
    let _ = stop_tx.send(true);
    let http_result = http.await;
    let grpc_result = grpc.await;
    if let Some(alerting) = alerting {
        // Its last aggregates and queued notifications, within the grace.
        alerting.service.shutdown(grace).await;
    }
    // Every queue sender lives in the states and the servers' copies; with
    // the servers gone, dropping these lets the writers see the end.
    drop(state);
    drop(rum_state);
    for handle in writers.handles {
        let _ = handle.await;
    }
    drop(deadline_tx);
    let tables = metrics.each_table();
    tracing::info!(
        rows_written = tables.iter().map(|t| t.rows_written()).sum::<u64>(),
        rows_lost = tables.iter().map(|t| t.rows_lost()).sum::<u64>(),
        "stopped"
    );

    server_outcome("HTTP", http_result)?;
    server_outcome("gRPC", grpc_result)
}

/// A server task's end: its own error or a panic both become `ServeError`.
fn server_outcome<E: std::fmt::Display>(
    what: &'static str,
    joined: Result<Result<(), E>, tokio::task::JoinError>,
) -> Result<(), ServeError> {
    let message = match joined {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(e)) => e.to_string(),
        Err(e) => e.to_string(),
    };
    Err(ServeError::Server { what, message })
}

/// Starts one store writer per table, each draining its own queue into
/// ClickHouse, with its own spool.
struct Writers<'a> {
    connection: &'a Connection,
    config: &'a Config,
    deadline: writer::Deadline,
    metrics: Arc<Metrics>,
    tracer: WorkTracer,
    handles: Vec<JoinHandle<()>>,
}

impl Writers<'_> {
    fn spawn<T: Table>(&mut self) -> Result<Queue<T::Record>, ServeError> {
        let config = self.config;
        let spool_config = &config.spool;
        let (queue, receiver) = crate::pipeline::queue_with(
            config.writer.queue_capacity,
            spool_config.enabled && spool_config.durable,
        );
        let stats = self.metrics.table(T::NAME, queue.depth());
        let spool = if spool_config.enabled {
            let settings = spool_config.for_table(&config.data_dir, T::NAME, TABLES);
            let (spool, recovery) = Spool::open(settings).map_err(StoreError::from)?;
            if recovery.chunks > 0 || recovery.damaged_segments > 0 {
                tracing::info!(
                    table = T::NAME,
                    chunks = recovery.chunks,
                    rows = recovery.rows,
                    damaged_segments = recovery.damaged_segments,
                    "spool holds rows from an earlier run; replaying them"
                );
            }
            stats.spool_damaged(recovery.damaged_segments);
            Some(spool)
        } else {
            None
        };
        let writer = Writer {
            target: InsertTarget {
                client: self.connection.client(),
                send_timeout: Duration::from_millis(config.writer.send_timeout_ms),
                response_timeout: Duration::from_millis(config.writer.response_timeout_ms),
            },
            settings: config.writer_settings(),
            spool,
            durable: spool_config.durable,
            dead_letter_dir: config.data_dir.join("rejected"),
            stats,
            tracer: self.tracer.clone(),
        };
        self.handles.push(tokio::spawn(writer::run::<T>(
            writer,
            receiver,
            self.deadline.clone(),
        )));
        Ok(queue)
    }
}

/// The running alert service and what the API and `/metrics` read of it.
struct Alerting {
    service: AlertService,
    store: AlertStore,
    stats: Arc<AlertStats>,
    notify_stats: Arc<NotifyStats>,
}

/// Alerting, unless `alert.enabled = false`: the notifier with every
/// configured receiver, and the evaluation loop.
fn start_alerting(
    config: &Config,
    connection: &Connection,
    queries: &Queries,
) -> Result<Option<Alerting>, ServeError> {
    if !config.alert.enabled {
        tracing::info!("alerting is off (alert.enabled = false)");
        return Ok(None);
    }
    let notify_stats = Arc::new(NotifyStats::default());
    let notifier = Notifier::start_with_stats(&config.alert, Arc::clone(&notify_stats))
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
        notify_stats,
    }))
}

/// What `/metrics` renders: the registry, then alerting's own counters.
#[derive(Clone)]
struct Exposition {
    metrics: Arc<Metrics>,
    alert_stats: Option<Arc<AlertStats>>,
    notify_stats: Option<Arc<NotifyStats>>,
}

/// Build events are written while their sender waits (`ingest::builds`).
struct StoreBuilds(InsertTarget);

impl BuildSink for StoreBuilds {
    fn insert<'a>(
        &'a self,
        build: &'a Build,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            writer::insert_one::<BuildTable>(&self.0, build)
                .await
                .map_err(|failure| failure.message)
        })
    }
}

fn http_router(
    state: IngestState,
    rum: RumState,
    builds: BuildsState,
    api: crate::api::ApiState,
    exposition: Exposition,
) -> Router {
    Router::new()
        .route(
            ingest::otlp_http::TRACES_PATH,
            post(ingest::otlp_http::export_traces),
        )
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(state)
        .merge(
            Router::new()
                .route("/metrics", get(metrics))
                .with_state(exposition),
        )
        .merge(ingest::rum::router(rum))
        .merge(ingest::builds::router(builds))
        .merge(crate::api::router(api))
}

async fn readyz(State(state): State<IngestState>) -> (StatusCode, &'static str) {
    if state.metrics.is_ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

async fn metrics(State(exposition): State<Exposition>) -> impl IntoResponse {
    let mut text = exposition.metrics.render();
    // OpenMetrics ends with `# EOF`: alerting's families go before it.
    let eof = text.rfind("# EOF").unwrap_or(text.len());
    text.truncate(eof);
    if let Some(stats) = &exposition.alert_stats {
        text.push_str(&stats.render());
    }
    if let Some(stats) = &exposition.notify_stats {
        text.push_str(&stats.render_prometheus());
    }
    text.push_str("# EOF\n");
    (
        [(header::CONTENT_TYPE, crate::telemetry::CONTENT_TYPE)],
        text,
    )
}

async fn bind(what: &'static str, addr: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { what, addr, source })
}

fn local_addr(listener: &TcpListener, configured: SocketAddr) -> SocketAddr {
    listener.local_addr().unwrap_or(configured)
}

/// Where to send data, on stdout: people read it after `make run`, and the
/// end-to-end tests read the ClickHouse line.
fn print_banner(
    http: SocketAddr,
    grpc: SocketAddr,
    builds_on: bool,
    connection: &Connection,
    embedded: Option<&EmbeddedClickHouse>,
) {
    let clickhouse_kind = match embedded {
        Some(e) => format!("embedded, {}", e.engine()),
        None => "configured".to_owned(),
    };
    let builds = if builds_on {
        ""
    } else {
        " (off: set builds.webhook_secret)"
    };
    println!(
        "Jamscope is ready.\n  OTLP/HTTP traces  http://{http}/v1/traces\n  OTLP/gRPC         http://{grpc}\n  RUM beacons       http://{http}/v1/rum (script http://{http}/rum.js)\n  Build events      http://{http}/v1/builds{builds}\n  Metrics           http://{http}/metrics\n  ClickHouse        {} (database {}, {clickhouse_kind})",
        connection.url(),
        connection.database()
    );
}
