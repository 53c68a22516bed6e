//! The middleware that carries `access`'s decisions, and the origin
//! allowlist's, to HTTP requests and gRPC calls. Each refusal is an
//! `IngestError`, answered and counted in one place ([`refuse`]).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;

use super::forwarded::{Client, TrustedProxies};
use super::origin::AllowedOrigins;
use crate::access::{self, Access, Endpoint};
use crate::ingest::IngestError;
use crate::telemetry::{IngestStats, Receiver};

/// The answer to a request refused at the edge: `{"error": ...}`, with
/// `Retry-After` on 429 and `WWW-Authenticate` on 401; counted under the
/// receiver it was meant for, when it was meant for one.
pub(super) fn refuse(
    stats: &IngestStats,
    receiver: Option<Receiver>,
    error: IngestError,
) -> Response {
    if let Some(receiver) = receiver {
        stats.request_refused(receiver, error.http_status());
    }
    let mut response = error.json_response();
    if matches!(error, IngestError::Unauthorized(_)) {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"jamscope\""),
        );
    }
    response
}

/// What [`require_key`] guards.
#[derive(Clone)]
pub struct ServiceGuard {
    pub access: Arc<Access>,
    pub endpoint: Endpoint,
    pub stats: IngestStats,
}

impl ServiceGuard {
    fn receiver(&self) -> Option<Receiver> {
        match self.endpoint {
            Endpoint::OtlpHttp => Some(Receiver::OtlpHttp),
            Endpoint::OtlpGrpc => Some(Receiver::OtlpGrpc),
            Endpoint::Api | Endpoint::Metrics => None,
        }
    }
}

/// The request's API key is valid and within its limit (and, for ingest,
/// within the global one), else 401 or 429.
pub async fn require_key(
    State(guard): State<ServiceGuard>,
    request: Request,
    next: Next,
) -> Response {
    let key = access::from_headers(request.headers());
    match guard.access.admit(guard.endpoint, key.as_deref()) {
        Ok(()) => next.run(request).await,
        Err(denial) => refuse(&guard.stats, guard.receiver(), denial.into()),
    }
}

/// What the browser stack's steps share.
#[derive(Clone)]
pub struct BrowserGuard {
    pub access: Arc<Access>,
    pub origins: Arc<AllowedOrigins>,
    pub proxies: Arc<TrustedProxies>,
    pub stats: IngestStats,
    pub receiver: Receiver,
}

/// Finds who sent the request (behind trusted proxies), once, and keeps
/// it with the request for the steps and the receiver after it.
pub(super) async fn find_client(
    State(guard): State<BrowserGuard>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let client = Client::of(request.headers(), peer, &guard.proxies);
    request.extensions_mut().insert(client);
    next.run(request).await
}

/// What a browser sends (`POST`) stays within the per-client and global
/// limits, else 429; preflights pass.
pub(super) async fn limit_browsers(
    State(guard): State<BrowserGuard>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let client = request.extensions().get::<Client>().and_then(|c| c.ip);
    match guard.access.admit_browser(client) {
        Ok(()) => next.run(request).await,
        Err(denial) => refuse(&guard.stats, Some(guard.receiver), denial.into()),
    }
}

/// Answers 403 to a page whose origin is not allowed, preflight or not, so
/// nothing it sends is stored and it learns nothing (no CORS headers).
/// Requests without `Origin` (servers, curl) are not browsers' cross-site
/// requests and pass.
pub(super) async fn refuse_foreign_origins(
    State(guard): State<BrowserGuard>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("<not text>");
        if !guard.origins.allows(origin) {
            let shown: String = origin.chars().take(200).collect();
            let error = IngestError::Forbidden(format!(
                "origin '{shown}' may not send beacons here: it is not in rum.allowed_origins"
            ));
            return refuse(&guard.stats, Some(guard.receiver), error);
        }
    }
    next.run(request).await
}

/// The page's ingest key (`?key=` or `x-api-key`), once `rum.keys` names
/// any, else 401. Inside CORS, so a page can read why.
pub(super) async fn require_browser_key(
    State(guard): State<BrowserGuard>,
    request: Request,
    next: Next,
) -> Response {
    let key = access::from_url_or_header(request.uri(), request.headers());
    match guard.access.admit_browser_key(key.as_deref()) {
        Ok(()) => next.run(request).await,
        Err(denial) => refuse(&guard.stats, Some(guard.receiver), denial.into()),
    }
}

/// The tonic interceptor doing [`require_key`]'s work for OTLP/gRPC.
#[derive(Clone)]
pub struct GrpcGuard {
    pub access: Arc<Access>,
    pub stats: IngestStats,
}

impl tonic::service::Interceptor for GrpcGuard {
    fn call(&mut self, request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let metadata = request.metadata();
        let bytes = |name: &str| metadata.get(name).map(|value| value.as_bytes());
        let key = access::presented_key(
            bytes(header::AUTHORIZATION.as_str()),
            bytes(access::API_KEY_HEADER),
        );
        match self.access.admit(Endpoint::OtlpGrpc, key) {
            Ok(()) => Ok(request),
            Err(denial) => {
                let error = IngestError::from(denial);
                self.stats
                    .request_refused(Receiver::OtlpGrpc, error.http_status());
                Err(error.grpc_status())
            }
        }
    }
}
