//! Who may send and read, and how much: API keys on OTLP (HTTP and gRPC),
//! `/api` and `/metrics`; rate limits per beacon client, per key, and for
//! all ingest together. `/healthz`, `/readyz` and `/v1/builds` (signed
//! requests of its own) are not guarded.
//!
//! [`Access`] takes each decision once; [`require_key`],
//! [`limit_beacons`] (axum middleware) and [`GrpcGuard`] (a tonic
//! interceptor) only carry it to their transport. Refusals are
//! [`IngestError`]s, so their statuses (401 / `UNAUTHENTICATED`, 429 with
//! `Retry-After` / `RESOURCE_EXHAUSTED`) come from `ingest::error` like
//! every other refusal. Order: the key (401), then its limit, then the
//! global one (429).

mod config;
mod keys;
mod limits;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;

pub use config::{AuthConfig, LimitsConfig};
pub use keys::{ApiKeys, KeyCheck, KeyFileError};
pub use limits::{LimitKind, Limits, Refusal};

use crate::ingest::IngestError;
use crate::telemetry::{Metrics, Receiver};

/// How often idle per-client and per-key state is forgotten.
const FORGET_IDLE_EVERY: Duration = Duration::from_secs(10);

/// The header an API key may come in besides `Authorization: Bearer`.
pub const API_KEY_HEADER: &str = "x-api-key";

/// What a guarded request is for: its label in the metrics, and whether
/// it counts against the global ingest limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    OtlpHttp,
    OtlpGrpc,
    Api,
    Metrics,
}

impl Endpoint {
    pub const ALL: [Endpoint; 4] = [
        Endpoint::OtlpHttp,
        Endpoint::OtlpGrpc,
        Endpoint::Api,
        Endpoint::Metrics,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::OtlpHttp => "otlp_http",
            Endpoint::OtlpGrpc => "otlp_grpc",
            Endpoint::Api => "api",
            Endpoint::Metrics => "metrics",
        }
    }

    fn receiver(self) -> Option<Receiver> {
        match self {
            Endpoint::OtlpHttp => Some(Receiver::OtlpHttp),
            Endpoint::OtlpGrpc => Some(Receiver::OtlpGrpc),
            Endpoint::Api | Endpoint::Metrics => None,
        }
    }

    fn is_ingest(self) -> bool {
        matches!(self, Endpoint::OtlpHttp | Endpoint::OtlpGrpc)
    }
}

/// The keys, the limits, and the counters of what they refused.
pub struct Access {
    keys: ApiKeys,
    limits: Limits,
    metrics: Arc<Metrics>,
}

impl Access {
    pub fn new(
        auth: &AuthConfig,
        limits: &LimitsConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Self, KeyFileError> {
        Ok(Self {
            keys: ApiKeys::load(auth)?,
            limits: Limits::new(limits),
            metrics,
        })
    }

    pub fn keys(&self) -> &ApiKeys {
        &self.keys
    }

    /// A request to a keyed endpoint, presenting `authorization` and
    /// `x-api-key` as sent.
    pub fn admit(
        &self,
        endpoint: Endpoint,
        authorization: Option<&[u8]>,
        api_key: Option<&[u8]>,
    ) -> Result<(), IngestError> {
        let outcome = self.decide(endpoint, authorization, api_key);
        if let Err(error) = &outcome {
            if let Some(receiver) = endpoint.receiver() {
                self.metrics.request_refused(receiver, error.http_status());
            }
        }
        outcome
    }

    fn decide(
        &self,
        endpoint: Endpoint,
        authorization: Option<&[u8]>,
        api_key: Option<&[u8]>,
    ) -> Result<(), IngestError> {
        match self.keys.check(keys::presented(authorization, api_key)) {
            KeyCheck::Open => {}
            KeyCheck::Valid(digest) => self.limited(self.limits.check_key(&digest))?,
            KeyCheck::Missing => {
                self.metrics.unauthenticated(endpoint.as_str());
                return Err(IngestError::Unauthorized(
                    "missing API key: send Authorization: Bearer <key> or x-api-key: <key>".into(),
                ));
            }
            KeyCheck::Unknown => {
                self.metrics.unauthenticated(endpoint.as_str());
                return Err(IngestError::Unauthorized("unknown API key".into()));
            }
        }
        if endpoint.is_ingest() {
            self.limited(self.limits.check_global())?;
        }
        Ok(())
    }

    /// A beacon from `client` (unknown: only the global limit applies).
    pub fn admit_beacon(&self, client: Option<IpAddr>) -> Result<(), IngestError> {
        let outcome = client
            .map_or(Ok(()), |ip| self.limited(self.limits.check_ip(ip)))
            .and_then(|()| self.limited(self.limits.check_global()));
        if let Err(error) = &outcome {
            self.metrics
                .request_refused(Receiver::Rum, error.http_status());
        }
        outcome
    }

    fn limited(&self, checked: Result<(), Refusal>) -> Result<(), IngestError> {
        checked.map_err(|refusal| {
            self.metrics.rate_limited(refusal.kind.as_str());
            IngestError::RateLimited {
                message: refusal.message(),
                retry_after_secs: refusal.retry_after_secs,
            }
        })
    }

    /// Re-reads the key file, logging the outcome (never a key).
    pub fn reload_keys(&self) {
        match self.keys.reload() {
            Ok(count) => tracing::info!(keys = count, "API keys reloaded"),
            Err(error) => {
                tracing::error!(%error, "API keys not reloaded; the running keys stay valid")
            }
        }
    }

    /// Until `stop` completes: forgets idle limiter state every few
    /// seconds and, with a key file, re-reads it on SIGHUP. The signal is
    /// taken over at once (before the future first runs), so a SIGHUP
    /// right after the start reloads instead of ending the process.
    pub fn maintain(
        self: Arc<Self>,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let mut hangup = if self.keys.has_file() {
            hangup_signal()
        } else {
            None
        };
        async move {
            let mut every = tokio::time::interval(FORGET_IDLE_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tokio::pin!(stop);
            loop {
                tokio::select! {
                    () = &mut stop => return,
                    _ = every.tick() => self.limits.forget_idle(),
                    Some(()) = recv_hangup(&mut hangup) => self.reload_keys(),
                }
            }
        }
    }
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = Option<()>;

#[cfg(unix)]
fn hangup_signal() -> Hangup {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
}

#[cfg(not(unix))]
fn hangup_signal() -> Hangup {
    None
}

#[cfg(unix)]
async fn recv_hangup(hangup: &mut Hangup) -> Option<()> {
    match hangup {
        Some(signal) => signal.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn recv_hangup(_: &mut Hangup) -> Option<()> {
    std::future::pending().await
}

/// The key the collector's own telemetry sends when it is exported to a
/// collector that asks for keys: the first configured one (the file's
/// first when `api_keys` is empty).
pub fn own_key(auth: &AuthConfig) -> Option<String> {
    auth.api_keys.first().cloned().or_else(|| {
        let path = auth.api_keys_file.as_deref()?;
        keys::read_file(path).ok()?.into_iter().next()
    })
}

/// The answer to a refused HTTP request: `{"error": ...}`, `Retry-After`
/// on 429, `WWW-Authenticate` on 401.
fn refused(error: &IngestError) -> Response {
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
pub struct KeyGuard {
    pub access: Arc<Access>,
    pub endpoint: Endpoint,
}

/// Middleware: the request's API key is valid and within its limit (and,
/// for ingest, within the global one), else 401 or 429.
pub async fn require_key(State(guard): State<KeyGuard>, request: Request, next: Next) -> Response {
    match admit_request(&guard, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(error) => refused(&error),
    }
}

/// The cookie the web UI's sign-in form sets: the API key, read like an
/// `x-api-key` header (HttpOnly, SameSite=Strict), so a browser's pages
/// and its same-origin `fetch` calls to `/api` present it.
pub const KEY_COOKIE: &str = "jamscope_key";

/// Middleware on the web UI's pages: as [`require_key`], but a browser
/// without an accepted key is sent to the sign-in form.
pub async fn require_key_or_sign_in(
    State(guard): State<KeyGuard>,
    request: Request,
    next: Next,
) -> Response {
    match admit_request(&guard, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(IngestError::Unauthorized(_)) => {
            let path = request
                .uri()
                .path_and_query()
                .map_or("/ui/", |p| p.as_str());
            let tried = cookie_key(request.headers()).is_some();
            let next_path: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
            let refused = if tried { "&refused=1" } else { "" };
            axum::response::IntoResponse::into_response(axum::response::Redirect::to(&format!(
                "/ui/login?next={next_path}{refused}"
            )))
        }
        Err(error) => refused(&error),
    }
}

fn admit_request(guard: &KeyGuard, headers: &HeaderMap) -> Result<(), IngestError> {
    let from_cookie = cookie_key(headers);
    guard.access.admit(
        guard.endpoint,
        header_bytes(headers, header::AUTHORIZATION.as_str()),
        header_bytes(headers, API_KEY_HEADER).or(from_cookie.as_deref()),
    )
}

/// The key in the sign-in cookie, percent-decoded.
fn cookie_key(headers: &HeaderMap) -> Option<Vec<u8>> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let value = cookies
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == KEY_COOKIE)
        .map(|(_, value)| value)?;
    let decoded: String = url::form_urlencoded::parse(format!("k={value}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    (!decoded.is_empty()).then(|| decoded.into_bytes())
}

fn header_bytes<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a [u8]> {
    headers.get(name).map(HeaderValue::as_bytes)
}

/// A beacon's client address from its headers and socket peer, as the
/// RUM receiver computes it.
pub type ClientAddress =
    Arc<dyn Fn(&HeaderMap, Option<SocketAddr>) -> Option<IpAddr> + Send + Sync>;

/// What [`limit_beacons`] needs.
#[derive(Clone)]
pub struct BeaconGuard {
    pub access: Arc<Access>,
    pub client: ClientAddress,
}

/// Middleware on the RUM routes: beacons (`POST`) within the per-client
/// and global limits, else 429. The script and CORS preflights pass.
pub async fn limit_beacons(
    State(guard): State<BeaconGuard>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let client = (guard.client)(request.headers(), peer);
    match guard.access.admit_beacon(client) {
        Ok(()) => next.run(request).await,
        Err(error) => refused(&error),
    }
}

/// The tonic interceptor doing [`require_key`]'s work for OTLP/gRPC.
#[derive(Clone)]
pub struct GrpcGuard(pub Arc<Access>);

impl tonic::service::Interceptor for GrpcGuard {
    fn call(&mut self, request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let metadata = request.metadata();
        let bytes = |name: &str| metadata.get(name).map(|value| value.as_bytes());
        self.0
            .admit(
                Endpoint::OtlpGrpc,
                bytes(header::AUTHORIZATION.as_str()),
                bytes(API_KEY_HEADER),
            )
            .map_err(|error| error.grpc_status())?;
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(keys: &[&str], limits: LimitsConfig) -> (Access, Arc<Metrics>) {
        let metrics = Arc::new(Metrics::default());
        let auth = AuthConfig {
            api_keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            api_keys_file: None,
        };
        let access = Access::new(&auth, &limits, Arc::clone(&metrics)).expect("access");
        (access, metrics)
    }

    #[test]
    fn keys_are_checked_before_their_limit_and_the_global_one() {
        let limits = LimitsConfig {
            per_ip_per_minute: 0,
            per_key_per_minute: 2,
            global_per_minute: 3,
        };
        let (access, metrics) = access(&["k-one", "k-two"], limits);
        let missing = access.admit(Endpoint::OtlpHttp, None, None).unwrap_err();
        assert_eq!(missing.http_status(), 401);
        let wrong = access
            .admit(Endpoint::Api, Some(b"Bearer nope"), None)
            .unwrap_err();
        assert_eq!(wrong.to_string(), "unknown API key");
        assert!(access
            .admit(Endpoint::OtlpHttp, Some(b"Bearer k-one"), None)
            .is_ok());
        assert!(access
            .admit(Endpoint::OtlpHttp, None, Some(b"k-one"))
            .is_ok());
        let over_key = access
            .admit(Endpoint::OtlpGrpc, None, Some(b"k-one"))
            .unwrap_err();
        assert_eq!(over_key.http_status(), 429);
        assert!(over_key.to_string().contains("per_key"), "{over_key}");
        assert!(access
            .admit(Endpoint::OtlpHttp, None, Some(b"k-two"))
            .is_ok());
        let over_global = access
            .admit(Endpoint::OtlpHttp, None, Some(b"k-two"))
            .unwrap_err();
        assert!(over_global.to_string().contains("global"), "{over_global}");
        assert!(over_global.retry_after_secs().is_some_and(|s| s >= 1));
        let text = metrics.render();
        assert!(
            text.contains("jamscope_requests_rate_limited_total{limit=\"global\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("jamscope_requests_unauthenticated_total{endpoint=\"api\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn without_keys_only_the_limits_apply() {
        let limits = LimitsConfig {
            per_ip_per_minute: 1,
            per_key_per_minute: 1,
            global_per_minute: 0,
        };
        let (access, _) = access(&[], limits);
        for _ in 0..5 {
            assert!(access.admit(Endpoint::Api, None, None).is_ok());
        }
        let ip = Some("192.0.2.9".parse().expect("ip"));
        assert!(access.admit_beacon(ip).is_ok());
        assert_eq!(access.admit_beacon(ip).unwrap_err().http_status(), 429);
        assert!(access.admit_beacon(None).is_ok());
    }
}
