//! The listeners: bound first (a busy port fails the start at once), then
//! serving their routes, plain or TLS, each bounded by `[requests]`
//! (`ingest::bounds`), until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt as _;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::routes::Routes;
use super::ServeError;
use crate::config::Config;
use crate::ingest::bounds::{self, RequestsConfig};
use crate::listen::{ListenerKind, TlsListener};
use crate::telemetry::Metrics;

/// The bound sockets.
pub(super) struct Listeners {
    http: TcpListener,
    grpc: TcpListener,
    /// The RUM-only listener, when `rum_addr` is set.
    rum: Option<TcpListener>,
    addresses: Addresses,
}

/// Where each listener is, as bound (a configured port 0 is resolved).
#[derive(Debug, Clone, Copy)]
pub(super) struct Addresses {
    pub http: SocketAddr,
    pub grpc: SocketAddr,
    pub rum: Option<SocketAddr>,
}

/// The servers running, and how to stop them.
pub(super) struct Servers {
    stop: watch::Sender<bool>,
    http: JoinHandle<std::io::Result<()>>,
    grpc: JoinHandle<Result<(), tonic::transport::Error>>,
    rum: Option<JoinHandle<std::io::Result<()>>>,
    addresses: Addresses,
}

impl Listeners {
    pub(super) async fn bind(config: &Config) -> Result<Self, ServeError> {
        let http = bind("OTLP/HTTP", config.http_addr).await?;
        let grpc = bind("OTLP/gRPC", config.grpc_addr).await?;
        let rum = match config.rum_addr {
            Some(addr) => Some(bind("RUM", addr).await?),
            None => None,
        };
        let addresses = Addresses {
            http: local_addr(&http, config.http_addr),
            grpc: local_addr(&grpc, config.grpc_addr),
            rum: rum
                .as_ref()
                .zip(config.rum_addr)
                .map(|(listener, configured)| local_addr(listener, configured)),
        };
        Ok(Self {
            http,
            grpc,
            rum,
            addresses,
        })
    }

    pub(super) fn http_addr(&self) -> SocketAddr {
        self.addresses.http
    }

    /// Serves `routes` until [`Servers`] is told to stop.
    pub(super) fn serve(
        self,
        config: &Config,
        routes: Routes,
        metrics: &Arc<Metrics>,
    ) -> Result<Servers, ServeError> {
        let tls = |kind, what| {
            config.tls.acceptor(kind).map_err(|source| ServeError::Tls {
                what,
                source: Box::new(source),
            })
        };
        let (stop, stopped) = watch::channel(false);
        let requests = &config.requests;
        let bounded = |listener| HttpBounds {
            listener,
            requests,
            metrics,
        };
        let http = spawn_http(
            self.http,
            tls(ListenerKind::Http, "HTTP")?,
            routes.http,
            bounded("http"),
            until(stopped.clone()),
        )?;
        let rum = match (self.rum, routes.rum) {
            (Some(listener), Some(router)) => Some(spawn_http(
                listener,
                tls(ListenerKind::Rum, "RUM")?,
                router,
                bounded("rum"),
                until(stopped.clone()),
            )?),
            _ => None,
        };
        let grpc_routes = routes.grpc;
        let grpc_server = bounds::grpc_server(requests)
            .layer(tonic::service::InterceptorLayer::new(grpc_routes.guard))
            .add_service(grpc_routes.traces)
            .add_service(grpc_routes.logs)
            .add_service(grpc_routes.metrics);
        let grpc = match tls(ListenerKind::Grpc, "gRPC")? {
            None => tokio::spawn(grpc_server.serve_with_incoming_shutdown(
                tonic::transport::server::TcpIncoming::from(self.grpc),
                until(stopped),
            )),
            Some(acceptor) => {
                let incoming =
                    TlsListener::start(self.grpc, acceptor).map_err(|source| ServeError::Bind {
                        what: "OTLP/gRPC",
                        addr: self.addresses.grpc,
                        source,
                    })?;
                tokio::spawn(
                    grpc_server
                        .serve_with_incoming_shutdown(incoming.into_stream(), until(stopped)),
                )
            }
        };
        Ok(Servers {
            stop,
            http,
            grpc,
            rum,
            addresses: self.addresses,
        })
    }
}

impl Servers {
    pub(super) fn addresses(&self) -> Addresses {
        self.addresses
    }

    /// Completes once the servers are told to stop.
    pub(super) fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        until(self.stop.subscribe())
    }

    /// Stops accepting and waits for every server to finish what it holds.
    pub(super) async fn stop(self) -> Result<(), ServeError> {
        let _ = self.stop.send(true);
        let http = self.http.await;
        let grpc = self.grpc.await;
        let rum = match self.rum {
            Some(server) => Some(server.await),
            None => None,
        };
        outcome("HTTP", http)?;
        if let Some(rum) = rum {
            outcome("RUM", rum)?;
        }
        outcome("gRPC", grpc)
    }
}

/// Completes when `stop` turns true.
async fn until(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// A server task's end: its own error or a panic both become `ServeError`.
fn outcome<E: std::fmt::Display>(
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

/// What every HTTP listener is bounded by (`[requests]`): requests in
/// flight, header, body and idle deadlines.
struct HttpBounds<'a> {
    listener: &'static str,
    requests: &'a RequestsConfig,
    metrics: &'a Arc<Metrics>,
}

/// Serves `router` on `listener`, over TLS when `tls` is set, within
/// `bounds`, until `stop` completes. Connect info gives the edge the
/// client address.
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
            bounds.metrics.ingest(),
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

async fn bind(what: &'static str, addr: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { what, addr, source })
}

fn local_addr(listener: &TcpListener, configured: SocketAddr) -> SocketAddr {
    listener.local_addr().unwrap_or(configured)
}
