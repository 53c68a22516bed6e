//! `[self_telemetry]`: the collector's own spans and metrics sent over
//! OTLP/HTTP (protobuf) to `self_telemetry.endpoint`, which may be the
//! collector itself.
//!
//! The SDK exports from its own threads (batch span processor, periodic
//! metric reader) and blocks on each export there; the HTTP client below
//! runs the request on the collector's tokio runtime, reusing the hyper
//! and rustls stack ClickHouse is reached with. Metrics are observed from
//! [`Metrics`] at each export, so they are the values `/metrics` shows.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::Uri;
use bytes::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use opentelemetry::metrics::{AsyncInstrument, Meter, MeterProvider as _};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_http::hyper::HyperClient;
use opentelemetry_http::{HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider};
use opentelemetry_sdk::Resource;

use super::metrics::{IngestStats, Metrics, TableStats};
use super::outcome::{RejectReason, Signal};
use super::spans::WorkTracer;
use super::FailureClass;
use super::SelfTelemetryConfig;

/// The longest a finished span waits for its batch to be sent.
const MAX_SPAN_DELAY: Duration = Duration::from_secs(5);
/// One export request at most this long.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);
/// Export failures are logged at most this often.
const FAILURE_LOG_INTERVAL: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum SelfTelemetryError {
    #[error("self_telemetry: cannot set up the OTLP exporter: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
    #[error("self_telemetry: {0}")]
    Tls(#[from] crate::tls_trust::TlsSetupError),
}

/// The running exporters. [`SelfTelemetry::shutdown`] flushes them.
pub struct SelfTelemetry {
    tracer_provider: SdkTracerProvider,
    meter_provider: Option<SdkMeterProvider>,
    tracer: WorkTracer,
    to_self: bool,
    shut_down: AtomicBool,
}

impl SelfTelemetry {
    /// Starts exporting, or returns `None` when no endpoint is configured.
    /// `http_addr` is where this collector listens: an endpoint pointing
    /// there gets spans only, as the collector takes no metrics.
    pub async fn start(
        config: &SelfTelemetryConfig,
        http_addr: SocketAddr,
        metrics: Arc<Metrics>,
    ) -> Result<Option<Self>, SelfTelemetryError> {
        Self::start_with_key(config, http_addr, metrics, None).await
    }

    /// [`SelfTelemetry::start`], sending `api_key` as
    /// `Authorization: Bearer` (the collector's own key, when `[auth]`
    /// has keys).
    pub async fn start_with_key(
        config: &SelfTelemetryConfig,
        http_addr: SocketAddr,
        metrics: Arc<Metrics>,
        api_key: Option<&str>,
    ) -> Result<Option<Self>, SelfTelemetryError> {
        let headers: std::collections::HashMap<String, String> = api_key
            .map(|key| ("authorization".to_owned(), format!("Bearer {key}")))
            .into_iter()
            .collect();
        let Some(endpoint) = config.endpoint.as_deref() else {
            return Ok(None);
        };
        let base = endpoint.trim_end_matches('/');
        let client = ExportClient::new()?;
        let resource = Resource::builder_empty()
            .with_service_name(config.service_name.clone())
            .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        let scope = InstrumentationScope::builder("jamscope")
            .with_version(env!("CARGO_PKG_VERSION"))
            .build();
        let interval = Duration::from_secs(config.interval_secs);

        let span_exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(client.clone())
            .with_protocol(Protocol::HttpBinary)
            .with_headers(headers.clone())
            .with_endpoint(format!("{base}/v1/traces"))
            .build()?;
        let processor = BatchSpanProcessor::builder(span_exporter)
            .with_batch_config(
                BatchConfigBuilder::default()
                    .with_scheduled_delay(interval.min(MAX_SPAN_DELAY))
                    .build(),
            )
            .build();
        let tracer_provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_resource(resource.clone())
            .build();
        let tracer = WorkTracer::new(
            tracer_provider.tracer_with_scope(scope.clone()),
            config.service_name.clone(),
        );

        let to_self = points_at(endpoint, http_addr).await;
        // Logged without its password, if the URL carries one.
        let shown_endpoint = crate::redact::url(endpoint);
        let meter_provider = if to_self {
            tracing::info!(
                endpoint = %shown_endpoint,
                "self_telemetry.endpoint is this collector: exporting spans only (it receives no metrics; they stay on /metrics)"
            );
            None
        } else {
            let metric_exporter = opentelemetry_otlp::MetricExporter::builder()
                .with_http()
                .with_http_client(client)
                .with_protocol(Protocol::HttpBinary)
                .with_headers(headers)
                .with_endpoint(format!("{base}/v1/metrics"))
                .build()?;
            let provider = SdkMeterProvider::builder()
                .with_reader(
                    PeriodicReader::builder(metric_exporter)
                        .with_interval(interval)
                        .build(),
                )
                .with_resource(resource)
                .build();
            register_instruments(&provider.meter_with_scope(scope), &metrics);
            Some(provider)
        };
        tracing::info!(
            endpoint = %shown_endpoint,
            interval_secs = config.interval_secs,
            service_name = config.service_name,
            "exporting the collector's own telemetry over OTLP/HTTP"
        );
        Ok(Some(Self {
            tracer_provider,
            meter_provider,
            tracer,
            to_self,
            shut_down: AtomicBool::new(false),
        }))
    }

    pub fn tracer(&self) -> WorkTracer {
        self.tracer.clone()
    }

    /// The endpoint is this collector: its spans must be flushed while it
    /// still accepts requests.
    pub fn points_at_self(&self) -> bool {
        self.to_self
    }

    /// Sends what is pending and stops, waiting at most `limit`. Spans
    /// started afterwards are dropped; a second call does nothing.
    pub async fn shutdown(&self, limit: Duration) {
        if self.shut_down.swap(true, Ordering::SeqCst) {
            return;
        }
        let tracer_provider = self.tracer_provider.clone();
        let meter_provider = self.meter_provider.clone();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        // The SDK blocks while it exports, and its exports run on this
        // runtime: block a thread of our own, not a runtime worker. A
        // thread that outlives `limit` is left behind, not waited for.
        let spawned = std::thread::Builder::new()
            .name("self-telemetry-shutdown".into())
            .spawn(move || {
                let traces = tracer_provider.shutdown_with_timeout(limit);
                let metrics = meter_provider.map(|p| p.shutdown_with_timeout(limit));
                let _ = done_tx.send((traces, metrics));
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "could not flush the self telemetry");
            return;
        }
        match tokio::time::timeout(limit, done_rx).await {
            Ok(Ok((traces, metrics))) => {
                if let Err(error) = traces {
                    tracing::debug!(%error, "self telemetry spans not all sent at shutdown");
                }
                if let Some(Err(error)) = metrics {
                    tracing::debug!(%error, "self telemetry metrics not sent at shutdown");
                }
            }
            _ => tracing::warn!(
                limit_secs = limit.as_secs(),
                "self telemetry not flushed within its time limit"
            ),
        }
    }
}

/// Whether `endpoint` names `http_addr`, this collector's HTTP listener.
async fn points_at(endpoint: &str, http_addr: SocketAddr) -> bool {
    let Ok(uri) = endpoint.parse::<Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else {
        return false;
    };
    let default_port = if uri.scheme_str() == Some("https") {
        443
    } else {
        80
    };
    // `host` keeps an IPv6 address's brackets, as `lookup_host` wants them.
    let target = format!("{host}:{}", uri.port_u16().unwrap_or(default_port));
    let lookup = tokio::net::lookup_host(target);
    let Ok(Ok(mut addresses)) = tokio::time::timeout(Duration::from_secs(2), lookup).await else {
        return false;
    };
    addresses.any(|address| {
        address == http_addr
            || (http_addr.ip().is_unspecified()
                && address.port() == http_addr.port()
                && address.ip().is_loopback())
    })
}

/// The OTLP exporter's HTTP client: hyper on the collector's runtime, so
/// the SDK's export threads can use it.
#[derive(Debug, Clone)]
struct ExportClient {
    inner: HyperClient<HttpsConnector<HttpConnector>>,
    runtime: tokio::runtime::Handle,
    last_failure_logged: Arc<Mutex<Option<Instant>>>,
}

impl ExportClient {
    /// Needs to be called on the runtime it will send on.
    fn new() -> Result<Self, SelfTelemetryError> {
        let tls = crate::tls_trust::client_config(None, false)?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Self {
            inner: HyperClient::new(connector, EXPORT_TIMEOUT, None),
            runtime: tokio::runtime::Handle::current(),
            last_failure_logged: Arc::new(Mutex::new(None)),
        })
    }

    /// Logs a failed export, at most once per [`FAILURE_LOG_INTERVAL`]: a
    /// dead endpoint must not flood the log.
    fn log_failure(&self, uri: &Uri, problem: &str) {
        let Ok(mut last) = self.last_failure_logged.lock() else {
            return;
        };
        if last.is_some_and(|at| at.elapsed() < FAILURE_LOG_INTERVAL) {
            return;
        }
        *last = Some(Instant::now());
        let uri = crate::redact::url(&uri.to_string());
        tracing::warn!(%uri, problem, "self telemetry export failed (logged at most once a minute)");
    }
}

#[tonic::async_trait]
impl HttpClient for ExportClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let uri = request.uri().clone();
        let inner = self.inner.clone();
        let sent = self
            .runtime
            .spawn(async move { inner.send_bytes(request).await })
            .await;
        let result = match sent {
            Ok(result) => result,
            // The runtime is shutting down.
            Err(error) => Err(Box::new(error) as HttpError),
        };
        match &result {
            Ok(response) if !response.status().is_success() => {
                self.log_failure(&uri, &format!("answered {}", response.status()));
            }
            Ok(_) => {}
            Err(error) => self.log_failure(&uri, &error.to_string()),
        }
        result
    }
}

/// A counter with one series per signal, read by `count` at each export.
fn per_signal(
    meter: &Meter,
    metrics: &Arc<Metrics>,
    name: &'static str,
    description: &'static str,
    count: fn(&IngestStats, Signal) -> u64,
) {
    let m = metrics.ingest();
    meter
        .u64_observable_counter(name)
        .with_description(description)
        .with_unit("{record}")
        .with_callback(move |observer| {
            for signal in Signal::ALL {
                observer.observe(count(&m, signal), &[signal_attr(signal)]);
            }
        })
        .build();
}

/// The metrics exported, observed from [`Metrics`] at each export under
/// OpenTelemetry-style names (the `/metrics` names, dotted, without
/// `_total`).
fn register_instruments(meter: &Meter, metrics: &Arc<Metrics>) {
    per_signal(
        meter,
        metrics,
        "jamscope.records.received",
        "Records (spans, RUM events) in requests that could be decoded",
        IngestStats::records_received_count,
    );
    per_signal(
        meter,
        metrics,
        "jamscope.records.accepted",
        "Records queued for storage and acknowledged",
        IngestStats::records_accepted_count,
    );
    let m = metrics.ingest();
    meter
        .u64_observable_counter("jamscope.records.rejected")
        .with_description("Records not stored, by reason")
        .with_unit("{record}")
        .with_callback(move |observer| {
            for signal in Signal::ALL {
                for reason in RejectReason::ALL {
                    let count = m.records_rejected_count(signal, reason);
                    if count > 0 {
                        observer.observe(
                            count,
                            &[
                                signal_attr(signal),
                                KeyValue::new("reason", reason.as_str()),
                            ],
                        );
                    }
                }
            }
        })
        .build();
    let m = metrics.ingest();
    meter
        .u64_observable_counter("jamscope.requests.refused")
        .with_description("Requests refused whole, by receiver and HTTP status")
        .with_unit("{request}")
        .with_callback(move |observer| {
            for (receiver, status, count) in m.requests_refused_counts() {
                observer.observe(
                    count,
                    &[
                        KeyValue::new("receiver", receiver.as_str()),
                        KeyValue::new("status", i64::from(status)),
                    ],
                );
            }
        })
        .build();
    let tables: [(Kind, &'static str, &'static str, ReadTable); 8] = [
        (
            Kind::Counter,
            "jamscope.rows.written",
            "Rows ClickHouse confirmed",
            |t, observe| observe(t.rows_written(), None),
        ),
        (
            Kind::Counter,
            "jamscope.rows.spilled",
            "Rows moved from memory to the disk spool",
            |t, observe| observe(t.rows_spilled(), None),
        ),
        (
            Kind::Counter,
            "jamscope.rows.replayed",
            "Rows written from the disk spool",
            |t, observe| observe(t.rows_replayed(), None),
        ),
        (
            Kind::Counter,
            "jamscope.rows.lost",
            "Acknowledged rows neither ClickHouse nor the spool took",
            |t, observe| observe(t.rows_lost(), None),
        ),
        (
            Kind::Counter,
            "jamscope.rows.dead_lettered",
            "Rows ClickHouse refused for good, by where they were kept",
            |t, observe| {
                for (place, rows) in t.rows_dead_lettered() {
                    observe(rows, Some(KeyValue::new("kept_in", place)));
                }
            },
        ),
        (
            Kind::Counter,
            "jamscope.insert.failures",
            "Failed insert attempts by class",
            |t, observe| {
                for class in [FailureClass::Transient, FailureClass::Permanent] {
                    let class_attr = KeyValue::new("class", class.as_str());
                    observe(t.insert_failures(class), Some(class_attr));
                }
            },
        ),
        (
            Kind::Gauge,
            "jamscope.queue.records",
            "Records acknowledged and held in memory until ClickHouse confirms them",
            |t, observe| observe(t.queued(), None),
        ),
        (
            Kind::Gauge,
            "jamscope.spool.bytes",
            "Bytes in the disk spool's segment files",
            |t, observe| observe(t.spool_bytes(), None),
        ),
    ];
    for (kind, name, description, read) in tables {
        per_table(meter, metrics, kind, name, description, read);
    }
}

fn signal_attr(signal: Signal) -> KeyValue {
    KeyValue::new("signal", signal.as_str())
}

/// Reads one table's values, each with an optional attribute of its own.
type ReadTable = fn(&TableStats, &mut dyn FnMut(u64, Option<KeyValue>));

enum Kind {
    Counter,
    Gauge,
}

/// An instrument with one series per table (more with `read`'s own
/// attribute).
fn per_table(
    meter: &Meter,
    metrics: &Arc<Metrics>,
    kind: Kind,
    name: &'static str,
    description: &'static str,
    read: ReadTable,
) {
    let metrics = Arc::clone(metrics);
    let callback = move |observer: &dyn AsyncInstrument<u64>| {
        for table in metrics.each_table() {
            read(&table, &mut |value, extra| {
                let mut attributes = vec![KeyValue::new("table", table.table)];
                attributes.extend(extra);
                observer.observe(value, &attributes);
            });
        }
    };
    match kind {
        Kind::Counter => {
            meter
                .u64_observable_counter(name)
                .with_description(description)
                .with_callback(callback)
                .build();
        }
        Kind::Gauge => {
            meter
                .u64_observable_gauge(name)
                .with_description(description)
                .with_callback(callback)
                .build();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::WorkOutcome;
    use axum::routing::post;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
    use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
    use prost::Message as _;

    #[tokio::test]
    async fn an_endpoint_naming_our_listener_is_ourselves() {
        let ours: SocketAddr = "127.0.0.1:4318".parse().unwrap();
        assert!(points_at("http://127.0.0.1:4318", ours).await);
        assert!(points_at("http://localhost:4318/", ours).await);
        assert!(!points_at("http://127.0.0.1:4319", ours).await);
        assert!(!points_at("http://127.0.0.1", ours).await, "port 80");
        let v6: SocketAddr = "[::1]:4318".parse().unwrap();
        assert!(points_at("http://[::1]:4318", v6).await);
        let anywhere: SocketAddr = "0.0.0.0:4318".parse().unwrap();
        assert!(points_at("http://127.0.0.1:4318", anywhere).await);
    }

    #[test]
    fn bad_settings_name_their_key() {
        let config = |endpoint: &str| SelfTelemetryConfig {
            endpoint: Some(endpoint.into()),
            ..SelfTelemetryConfig::default()
        };
        assert!(config("https://otel.example:4318").validate().is_ok());
        assert_eq!(
            config("otel.example:4318").validate().unwrap_err().0,
            "self_telemetry.endpoint"
        );
        assert_eq!(
            config("ftp://otel.example").validate().unwrap_err().0,
            "self_telemetry.endpoint"
        );
        let never = SelfTelemetryConfig {
            interval_secs: 0,
            ..SelfTelemetryConfig::default()
        };
        assert_eq!(
            never.validate().unwrap_err().0,
            "self_telemetry.interval_secs"
        );
    }

    type Received = Arc<Mutex<Vec<(String, Bytes)>>>;

    /// An OTLP/HTTP receiver keeping each request body with its path.
    async fn receiver() -> (SocketAddr, Received) {
        let received = Received::default();
        let keep = |received: Received, path: &'static str| {
            post(move |body: Bytes| async move {
                received.lock().unwrap().push((path.to_owned(), body));
                ""
            })
        };
        let app = axum::Router::new()
            .route("/v1/traces", keep(Arc::clone(&received), "/v1/traces"))
            .route("/v1/metrics", keep(Arc::clone(&received), "/v1/metrics"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (addr, received)
    }

    // The SDK's export threads send through this runtime: it needs a
    // worker besides the one running the test.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn spans_and_metrics_are_sent_and_flushed_at_shutdown() {
        let (addr, received) = receiver().await;
        let metrics = Arc::new(Metrics::default());
        metrics.ingest().records_accepted(Signal::Spans, 7);
        let config = SelfTelemetryConfig {
            endpoint: Some(format!("http://{addr}/")),
            interval_secs: 60,
            service_name: "jamscope-test".into(),
        };
        let elsewhere: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let telemetry = SelfTelemetry::start(&config, elsewhere, Arc::clone(&metrics))
            .await
            .expect("starts")
            .expect("configured");
        assert!(!telemetry.points_at_self());
        telemetry
            .tracer()
            .insert("rum_vitals", 2, None)
            .end(WorkOutcome::Written, None);
        // Both intervals are far off: only the shutdown sends anything.
        telemetry.shutdown(Duration::from_secs(5)).await;

        let received = received.lock().unwrap().clone();
        let body = |path: &str| {
            received
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, body)| body.clone())
                .unwrap_or_else(|| panic!("nothing sent to {path}"))
        };
        let traces = ExportTraceServiceRequest::decode(body("/v1/traces")).unwrap();
        let resource_spans = &traces.resource_spans[0];
        let service = resource_spans
            .resource
            .as_ref()
            .unwrap()
            .attributes
            .iter()
            .find(|kv| kv.key == "service.name");
        assert_eq!(
            service.and_then(|kv| kv.value.clone()?.value),
            Some(AnyValue::StringValue("jamscope-test".into()))
        );
        assert_eq!(
            resource_spans.scope_spans[0].spans[0].name,
            "INSERT rum_vitals"
        );

        let exported = ExportMetricsServiceRequest::decode(body("/v1/metrics")).unwrap();
        let accepted = exported
            .resource_metrics
            .iter()
            .flat_map(|rm| &rm.scope_metrics)
            .flat_map(|sm| &sm.metrics)
            .find(|m| m.name == "jamscope.records.accepted")
            .expect("jamscope.records.accepted exported");
        let Some(metric::Data::Sum(sum)) = &accepted.data else {
            panic!("a sum: {accepted:?}");
        };
        let spans = sum
            .data_points
            .iter()
            .find(|point| {
                point.attributes.iter().any(|kv| {
                    kv.key == "signal"
                        && kv.value.clone().and_then(|v| v.value)
                            == Some(AnyValue::StringValue("spans".into()))
                })
            })
            .expect("a spans series");
        assert_eq!(spans.value, Some(number_data_point::Value::AsInt(7)));
        assert!(sum.is_monotonic);
    }
}
