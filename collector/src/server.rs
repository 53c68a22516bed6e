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

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::serve::ListenerExt as _;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::access::{self, Access, BeaconGuard, Endpoint, GrpcGuard, KeyGuard};
use crate::alert::service::{AlertParts, AlertService, AlertStats, AlertTables};
use crate::config::Config;
use crate::ingest::bounds::{self, DecodeBudget, RequestsConfig};
use crate::ingest::builds::{BuildSink, BuildsState};
use crate::ingest::rum::{RumQueues, RumState};
use crate::ingest::{self, IngestError, IngestState};
use crate::listen::{ListenerKind, TlsError, TlsListener};
use crate::model::build::Build;
use crate::notify::{Notifier, NotifyStats};
use crate::pipeline::Queue;
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
    let rum_listener = match config.rum_addr {
        Some(addr) => Some(bind("RUM", addr).await?),
        None => None,
    };
    let http_addr = local_addr(&http_listener, config.http_addr);
    let grpc_addr = local_addr(&grpc_listener, config.grpc_addr);
    let rum_addr = rum_listener
        .as_ref()
        .zip(config.rum_addr)
        .map(|(listener, configured)| local_addr(listener, configured));

    let metrics = Arc::new(Metrics::default());
    let own_key = access::own_key(&config.auth);
    let self_telemetry = SelfTelemetry::start_with_key(
        &config.self_telemetry,
        http_addr,
        Arc::clone(&metrics),
        own_key.as_deref(),
    )
    .await?;
    let listeners = Listeners {
        http: http_listener,
        grpc: grpc_listener,
        rum: rum_listener,
        http_addr,
        grpc_addr,
        rum_addr,
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
    /// The RUM-only listener, when `rum_addr` is set.
    rum: Option<TcpListener>,
    http_addr: SocketAddr,
    grpc_addr: SocketAddr,
    rum_addr: Option<SocketAddr>,
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
    match schema::migrate(connection, &config.schema_options()).await {
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
        rum: rum_listener,
        http_addr,
        grpc_addr,
        rum_addr,
    } = listeners;

    let access = Arc::new(Access::new(
        &config.auth,
        &config.limits,
        Arc::clone(metrics),
    )?);
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
    let tls = |kind, what| {
        config.tls.acceptor(kind).map_err(|source| ServeError::Tls {
            what,
            source: Box::new(source),
        })
    };
    let http_tls = tls(ListenerKind::Http, "HTTP")?;
    let grpc_tls = tls(ListenerKind::Grpc, "gRPC")?;
    let rum_tls = tls(ListenerKind::Rum, "RUM")?;

    // Every server stops when `shutdown` completes.
    let (stop_tx, stop_rx) = watch::channel(false);
    let wait_stop = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let maintenance = tokio::spawn(Arc::clone(&access).maintain(wait_stop(stop_rx.clone())));
    let api = crate::api::ApiState {
        queries: Arc::new(queries),
        alerts: alerting.as_ref().map(|a| a.tables.clone()),
        rules: alerting.as_ref().map(|a| a.service.rules()),
    };
    let exposition = Exposition {
        metrics: Arc::clone(metrics),
        alert_stats: alerting.as_ref().map(|a| Arc::clone(&a.stats)),
        notify_stats: alerting.as_ref().map(|a| Arc::clone(&a.notify_stats)),
    };
    let beacons = BeaconGuard {
        access: Arc::clone(&access),
        client: {
            let rum = rum_state.clone();
            Arc::new(move |headers, peer| rum.client_address(headers, peer))
        },
    };
    let rum_routes = ingest::rum::router(rum_state.clone()).route_layer(
        middleware::from_fn_with_state(beacons, access::limit_beacons),
    );
    let (main_rum, rum_server) = match rum_listener {
        Some(listener) => {
            let router = rum_router(state.clone(), rum_routes);
            let bounds = HttpBounds {
                listener: "rum",
                requests,
                metrics,
            };
            let server = spawn_http(
                listener,
                rum_tls,
                router,
                bounds,
                wait_stop(stop_rx.clone()),
            )?;
            (None, Some(server))
        }
        None => (Some(rum_routes), None),
    };
    let router = http_router(HttpRoutes {
        state: state.clone(),
        rum: main_rum,
        builds: builds_state,
        api,
        exposition,
        access: Arc::clone(&access),
    });
    let bounds = HttpBounds {
        listener: "http",
        requests,
        metrics,
    };
    let http = spawn_http(
        http_listener,
        http_tls,
        router,
        bounds,
        wait_stop(stop_rx.clone()),
    )?;
    let grpc_server = tonic::transport::Server::builder()
        // Past max_in_flight calls, RESOURCE_EXHAUSTED at once; a call (its
        // message read, decoded and handled) has the body timeout.
        .load_shed(true)
        .timeout(requests.body_read_timeout())
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            requests.max_in_flight,
        ))
        .layer(tonic::service::InterceptorLayer::new(GrpcGuard(
            Arc::clone(&access),
        )))
        .add_service(ingest::otlp_grpc::service(state.clone()));
    let grpc = match grpc_tls {
        None => tokio::spawn(grpc_server.serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(grpc_listener),
            wait_stop(stop_rx),
        )),
        Some(acceptor) => {
            let incoming =
                TlsListener::start(grpc_listener, acceptor).map_err(|source| ServeError::Bind {
                    what: "OTLP/gRPC",
                    addr: grpc_addr,
                    source,
                })?;
            tokio::spawn(
                grpc_server
                    .serve_with_incoming_shutdown(incoming.into_stream(), wait_stop(stop_rx)),
            )
        }
    };
    metrics.set_ready(true);
    print_banner(&Banner {
        http: http_addr,
        grpc: grpc_addr,
        rum: rum_addr,
        tls: &config.tls,
        builds_on: config.builds.webhook_secret.is_some(),
        keys: access.keys().count(),
        connection,
        embedded,
    });

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
    let rum_result = match rum_server {
        Some(server) => Some(server.await),
        None => None,
    };
    let _ = maintenance.await;
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
    if let Some(rum_result) = rum_result {
        server_outcome("RUM", rum_result)?;
    }
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
            config.writer.queue_bytes,
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
    tables: AlertTables,
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
    let target = InsertTarget {
        client: connection.client(),
        send_timeout: Duration::from_millis(config.writer.send_timeout_ms),
        response_timeout: Duration::from_millis(config.writer.response_timeout_ms),
    };
    let tables = AlertTables::new(target, queries.clone(), instance);
    let stats = Arc::new(AlertStats::default());
    let service = AlertService::start(AlertParts {
        config: config.alert.clone(),
        kpi: config.kpi.clone(),
        tables: tables.clone(),
        queries: queries.clone(),
        notifier,
        stats: Arc::clone(&stats),
    });
    Ok(Some(Alerting {
        service,
        tables,
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
            writer::insert_now::<BuildTable>(&self.0, std::slice::from_ref(build))
                .await
                .map_err(|failure| failure.message)
        })
    }
}

/// What the main HTTP listener serves.
struct HttpRoutes {
    state: IngestState,
    /// The RUM routes, unless they have a listener of their own.
    rum: Option<Router>,
    builds: BuildsState,
    api: crate::api::ApiState,
    exposition: Exposition,
    access: Arc<Access>,
}

/// OTLP/HTTP, `/api` and `/metrics` behind the API keys; health, build
/// events (signed) and, unless moved to `rum_addr`, RUM.
fn http_router(routes: HttpRoutes) -> Router {
    let keyed = |endpoint| {
        middleware::from_fn_with_state(
            KeyGuard {
                access: Arc::clone(&routes.access),
                endpoint,
            },
            access::require_key,
        )
    };
    let otlp = Router::new()
        .route(
            ingest::otlp_http::TRACES_PATH,
            post(ingest::otlp_http::export_traces),
        )
        .route_layer(keyed(Endpoint::OtlpHttp))
        .with_state(routes.state.clone());
    let metrics = Router::new()
        .route("/metrics", get(metrics))
        .route_layer(keyed(Endpoint::Metrics))
        .with_state(routes.exposition);
    // The web UI reads what the API reads, behind the same key (a browser
    // signs in once; the key then rides in a cookie).
    let ui_pages =
        crate::ui::router(routes.api.clone()).route_layer(middleware::from_fn_with_state(
            KeyGuard {
                access: Arc::clone(&routes.access),
                endpoint: Endpoint::Api,
            },
            access::require_key_or_sign_in,
        ));
    let api = crate::api::with_security_headers(
        crate::api::router(routes.api).route_layer(keyed(Endpoint::Api)),
    );
    let rum = routes.rum.unwrap_or_else(|| {
        Router::new()
            .route(ingest::rum::RUM_PATH, any(rum_elsewhere))
            .route(ingest::rum::SCRIPT_PATH, any(rum_elsewhere))
    });
    health(routes.state)
        .merge(otlp)
        .merge(metrics)
        .merge(rum)
        .merge(ingest::builds::router(routes.builds))
        .merge(api)
        .merge(ui_pages)
        .merge(crate::ui::public_router())
}

fn health(state: IngestState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(state)
}

/// The public RUM listener: beacons, the script, health; nothing else.
fn rum_router(state: IngestState, rum: Router) -> Router {
    health(state).merge(rum).fallback(rum_only)
}

async fn rum_only(request: Request) -> Response {
    IngestError::NotFound(format!(
        "{} is not served here: this listener serves only RUM (POST {}, GET {})",
        request.uri().path().chars().take(200).collect::<String>(),
        ingest::rum::RUM_PATH,
        ingest::rum::SCRIPT_PATH
    ))
    .json_response()
}

async fn rum_elsewhere() -> Response {
    IngestError::NotFound("RUM is served on its own listener (rum_addr), not on this one".into())
        .json_response()
}

/// What every HTTP listener is bounded by (`[requests]`): requests in
/// flight, header, body and idle deadlines.
struct HttpBounds<'a> {
    listener: &'static str,
    requests: &'a RequestsConfig,
    metrics: &'a Arc<Metrics>,
}

/// Serves `router` on `listener`, over TLS when `tls` is set, within
/// `bounds`, until `stop` completes. Connect info gives the RUM receiver
/// the client address.
fn spawn_http(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    router: Router,
    bounds: HttpBounds<'_>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<JoinHandle<std::io::Result<()>>, ServeError> {
    let requests = bounds.requests;
    let router = bounds::layer(
        router,
        bounds::Listener::new(
            bounds.listener,
            requests.max_in_flight,
            requests.body_read_timeout(),
            Arc::clone(bounds.metrics),
        ),
    );
    let (header, idle) = (requests.header_read_timeout(), requests.idle_timeout());
    Ok(match tls {
        None => {
            // Small answers go out at once instead of waiting for Nagle.
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            tokio::spawn(bounds::serve_http(listener, router, header, idle, stop))
        }
        Some(acceptor) => {
            let addr = local_addr(&listener, SocketAddr::from(([0, 0, 0, 0], 0)));
            let listener =
                TlsListener::start(listener, acceptor).map_err(|source| ServeError::Bind {
                    what: "HTTP (TLS)",
                    addr,
                    source,
                })?;
            tokio::spawn(bounds::serve_http(listener, router, header, idle, stop))
        }
    })
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
        let mut registry = prometheus_client::registry::Registry::with_prefix("jamscope");
        stats.register(&mut registry);
        let _ = prometheus_client::encoding::text::encode_registry(&mut text, &registry);
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

/// What the banner shows.
struct Banner<'a> {
    http: SocketAddr,
    grpc: SocketAddr,
    rum: Option<SocketAddr>,
    tls: &'a crate::listen::TlsConfig,
    builds_on: bool,
    /// API keys valid now; 0: open.
    keys: usize,
    connection: &'a Connection,
    embedded: Option<&'a EmbeddedClickHouse>,
}

/// Where to send data, on stdout: people read it after `make run`, and the
/// end-to-end tests read the ClickHouse line (which stays last).
fn print_banner(banner: &Banner<'_>) {
    let scheme = |kind| {
        if banner.tls.enabled(kind) {
            "https"
        } else {
            "http"
        }
    };
    let http = format!("{}://{}", scheme(ListenerKind::Http), banner.http);
    let grpc = format!("{}://{}", scheme(ListenerKind::Grpc), banner.grpc);
    let (rum, rum_note) = match banner.rum {
        Some(addr) => (
            format!("{}://{addr}", scheme(ListenerKind::Rum)),
            " (public listener: RUM only)",
        ),
        None => (http.clone(), ""),
    };
    let clickhouse_kind = match banner.embedded {
        Some(e) => format!("embedded, {}", e.engine()),
        None => "configured".to_owned(),
    };
    let builds = if banner.builds_on {
        ""
    } else {
        " (off: set builds.webhook_secret)"
    };
    let keys = match banner.keys {
        0 => {
            "OFF: no API keys, OTLP, /api, /ui and /metrics are open (set auth.api_keys)".to_owned()
        }
        1 => "1 API key required on OTLP, /api, /ui, /metrics".to_owned(),
        n => format!("{n} API keys valid on OTLP, /api, /ui, /metrics"),
    };
    println!(
        "Jamscope is ready.\n  OTLP/HTTP traces  {http}/v1/traces\n  OTLP/gRPC         {grpc}\n  RUM beacons       {rum}/v1/rum (script {rum}/rum.js){rum_note}\n  Build events      {http}/v1/builds{builds}\n  Query API         {http}/api/\n  Web UI            {http}/ui/\n  Metrics           {http}/metrics\n  Auth              {keys}\n  ClickHouse        {} (database {}, {clickhouse_kind})",
        banner.connection.url(),
        banner.connection.database()
    );
}
