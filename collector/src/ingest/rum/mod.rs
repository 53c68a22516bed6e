//! RUM: `POST /v1/rum` takes beacons from browsers, `GET /rum.js` serves
//! the SDK that sends them.
//!
//! Checks run cheapest first: the page's origin (403, before CORS, so a
//! foreign page learns nothing), the ingest key (401), the content type
//! (415), the body size (413), the JSON shape (400). Then every event is
//! validated on its own (`decode`) and the valid ones are queued, one
//! queue per table. `sendBeacon` ignores the answer; people debugging a
//! page read it: `{"accepted": n, "rejected": m, "errors": [...]}`.
//!
//! What is kept of a visitor is decided here, before anything is queued:
//! URLs lose their queries and fragments (`urls`, but for
//! `rum.keep_query_params`), the address is cut to /24 or /48 and, like
//! the country, believed from `rum.trusted_proxies` only (`client`).

mod client;
mod config;
pub(crate) mod decode;
mod origin;
mod script;
mod urls;

use crate::clock::now_millis;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::body::read_body;
use super::IngestError;
use crate::alert::service::AlertFeed;
use crate::config::IngestConfig;
use crate::ingest::forwarded::TrustedProxies;
use crate::model::rum::{PageContext, PageView, RumError, RumRecord, Vital};
use crate::pipeline::{Queue, SubmitError};
use crate::telemetry::outcome::{RejectReason, Signal};
use crate::telemetry::{Metrics, Receiver};
use client::client_info;
pub use config::RumConfig;
use decode::{cap, decode, Decoded};
use origin::cors_layer;
pub use origin::AllowedOrigins;
use script::serve_script;
pub use script::SCRIPT_PATH;
use urls::QueryAllowlist;

pub const RUM_PATH: &str = "/v1/rum";

/// Where accepted events go: one queue per table.
#[derive(Clone)]
pub struct RumQueues {
    pub vitals: Queue<RumRecord<Vital>>,
    pub errors: Queue<RumRecord<RumError>>,
    pub page_views: Queue<RumRecord<PageView>>,
}

/// What the RUM routes share.
#[derive(Clone)]
pub struct RumState {
    queues: RumQueues,
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
    alerts: Option<AlertFeed>,
}

struct Settings {
    origins: Arc<AllowedOrigins>,
    keys: Vec<String>,
    max_events: usize,
    /// Proxies whose `X-Forwarded-For` and country headers are believed.
    trusted_proxies: TrustedProxies,
    /// The query parameters stored URLs keep.
    urls: QueryAllowlist,
    /// The shared body reader's limits at the beacon's size; a compressed
    /// body may not inflate past it either.
    body_limits: IngestConfig,
    /// How long events wait for room in a full queue (`ingest.queue_wait_ms`).
    queue_wait: Duration,
}

impl RumState {
    pub fn new(
        config: &RumConfig,
        queue_wait: Duration,
        queues: RumQueues,
        metrics: Arc<Metrics>,
    ) -> Self {
        // Config validation refuses bad origins before this; should one get
        // here anyway, no browser origin is allowed (fail closed).
        let origins = AllowedOrigins::parse(&config.allowed_origins).unwrap_or_else(|problem| {
            tracing::error!(%problem, "rum.allowed_origins is invalid; refusing every browser origin");
            AllowedOrigins::default()
        });
        // Validated likewise; should they be bad anyway, no proxy is
        // trusted and every parameter is dropped (fail closed).
        let trusted_proxies =
            TrustedProxies::parse(&config.trusted_proxies).unwrap_or_else(|problem| {
                tracing::error!(%problem, "rum.trusted_proxies is invalid; trusting no proxy");
                TrustedProxies::default()
            });
        let urls = QueryAllowlist::new(&config.keep_query_params).unwrap_or_else(|problem| {
            tracing::error!(%problem, "rum.keep_query_params is invalid; keeping no parameter");
            QueryAllowlist::default()
        });
        let settings = Settings {
            origins: Arc::new(origins),
            keys: config.keys.clone(),
            max_events: config.max_events_per_batch,
            trusted_proxies,
            urls,
            body_limits: IngestConfig {
                max_body_bytes: config.max_body_bytes,
                max_decompressed_bytes: config.max_body_bytes,
                ..IngestConfig::default()
            },
            queue_wait,
        };
        Self {
            queues,
            settings: Arc::new(settings),
            metrics,
            alerts: None,
        }
    }

    /// The address a beacon comes from, as its stored client info is
    /// computed (before anonymisation): what the per-client rate limit
    /// counts by.
    pub fn client_address(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<IpAddr> {
        peer.map(|peer| {
            crate::ingest::forwarded::client_ip(peer.ip(), headers, &self.settings.trusted_proxies)
        })
    }

    /// Feeds accepted Web Vitals to the alert windows too.
    pub fn with_alerts(mut self, alerts: Option<AlertFeed>) -> Self {
        self.alerts = alerts;
        self
    }
}

/// The RUM routes. CORS and the origin check cover the beacon endpoint
/// only: the script is a public static file.
pub fn router(state: RumState) -> Router {
    let origins = Arc::clone(&state.settings.origins);
    Router::new()
        .route(RUM_PATH, post(ingest))
        // Layers wrap the routes above them; the last added runs first.
        .layer(cors_layer(origins))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_foreign_origins,
        ))
        .route(SCRIPT_PATH, get(serve_script))
        .with_state(state)
}

/// Answers 403 to a page whose origin is not allowed, preflight or not, so
/// nothing it sends is stored. Requests without `Origin` (servers, curl)
/// are not browsers' cross-site requests and pass.
async fn refuse_foreign_origins(
    State(state): State<RumState>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("<not text>");
        if !state.settings.origins.allows(origin) {
            let shown: String = origin.chars().take(200).collect();
            let error = IngestError::Forbidden(format!(
                "origin '{shown}' may not send beacons here: it is not in rum.allowed_origins"
            ));
            return error_response(&state.metrics, error);
        }
    }
    next.run(request).await
}

#[derive(Deserialize, Default)]
struct RumQuery {
    /// The ingest key: `sendBeacon` cannot set headers, so it is in the URL.
    key: Option<String>,
    /// Names the app for beacons whose body does not (the hand-written one).
    app: Option<String>,
}

#[derive(Debug, Serialize, PartialEq)]
struct Outcome {
    accepted: u64,
    rejected: u64,
    errors: Vec<String>,
}

async fn ingest(State(state): State<RumState>, request: Request) -> Response {
    let received_at = now_millis();
    let (parts, body) = request.into_parts();
    match accept(&state, &parts, body, received_at).await {
        Ok(outcome) => (StatusCode::OK, Json(outcome)).into_response(),
        Err(error) => error_response(&state.metrics, error),
    }
}

async fn accept(
    state: &RumState,
    parts: &Parts,
    body: Body,
    received_at: i64,
) -> Result<Outcome, IngestError> {
    let settings = &state.settings;
    let query = Query::<RumQuery>::try_from_uri(&parts.uri)
        .map(|query| query.0)
        .map_err(|e| IngestError::BadRequest(format!("invalid query string: {e}")))?;
    check_key(&settings.keys, query.key.as_deref())?;
    check_content_type(&parts.headers)?;
    let bytes = read_body(&parts.headers, body, &settings.body_limits).await?;
    let mut decoded = decode(&bytes, settings.max_events, received_at)?;
    settings.urls.scrub(&mut decoded);
    if decoded.accepted() == 0 {
        state.metrics.rum_events(0, decoded.rejected());
        state.metrics.records_rejected(&decoded.rejections);
        return Err(IngestError::BadRequest(format!(
            "no valid event ({} rejected): {}",
            decoded.rejected(),
            decoded.reasons.join("; ")
        )));
    }
    let context = Arc::new(page_context(
        &mut decoded,
        parts,
        &query,
        settings,
        received_at,
    ));
    if let Some(alerts) = &state.alerts {
        alerts.vitals(&context, &decoded.vitals);
    }
    let (queued, refused) = state
        .queues
        .submit(&mut decoded, &context, state.settings.queue_wait)
        .await;
    let accepted = queued.iter().map(|(_, count)| count).sum();
    for (signal, count) in queued {
        state.metrics.records_accepted(signal, count);
    }
    state.metrics.records_rejected(&decoded.rejections);
    state.metrics.rum_events(accepted, decoded.rejected());
    match refused {
        // Nothing fit: a client that can retry (fetch) is told to.
        Some(error) if accepted == 0 => Err(error.into()),
        _ => Ok(Outcome {
            accepted,
            rejected: decoded.rejected(),
            errors: decoded.reasons,
        }),
    }
}

/// Anonymous beacons are accepted until a key is configured; then one of
/// the keys (several are valid during a rotation) must be given.
fn check_key(keys: &[String], given: Option<&str>) -> Result<(), IngestError> {
    if keys.is_empty() {
        return Ok(());
    }
    match given.filter(|key| !key.is_empty()) {
        None => Err(IngestError::Unauthorized(
            "missing ingest key: add ?key=<key> to the beacon URL (data-key on the script tag)"
                .into(),
        )),
        Some(key) if keys.iter().any(|known| known == key) => Ok(()),
        Some(_) => Err(IngestError::Unauthorized("unknown ingest key".into())),
    }
}

/// `sendBeacon` sends a string as `text/plain` (which needs no CORS
/// preflight), so JSON arrives as text/plain, application/json or untyped.
fn check_content_type(headers: &HeaderMap) -> Result<(), IngestError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map_or("", |v| v.to_str().unwrap_or("<not text>"));
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media_type.as_str() {
        "" | "text/plain" | "application/json" => Ok(()),
        other => Err(IngestError::UnsupportedMediaType(format!(
            "Content-Type '{other}' is not supported: send JSON as text/plain (what sendBeacon sends for a string) or application/json"
        ))),
    }
}

fn page_context(
    decoded: &mut Decoded,
    parts: &Parts,
    query: &RumQuery,
    settings: &Settings,
    received_at: i64,
) -> PageContext {
    let mut page = std::mem::take(&mut decoded.page);
    if page.app.is_empty() {
        page.app = fallback_app(query, &parts.headers);
    }
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    PageContext {
        page,
        client: client_info(&parts.headers, peer, &settings.trusted_proxies),
        received_at_millis: received_at,
    }
}

/// A beacon that does not name its app is attributed to `?app=`, else to
/// the site that sent it, so hand-written beacons of two sites stay apart.
fn fallback_app(query: &RumQuery, headers: &HeaderMap) -> String {
    let from_origin = || {
        headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .and_then(|origin| origin.split_once("://"))
            .map(|(_, host)| host.to_owned())
    };
    cap(query
        .app
        .clone()
        .filter(|app| !app.is_empty())
        .or_else(from_origin)
        .unwrap_or_default())
}

impl RumQueues {
    /// Queues each table's events, waiting up to `wait` for room in a full
    /// queue: browsers never retry a beacon, so holding one briefly loses
    /// less than refusing it. A queue that stays full refuses only its own
    /// table's events; whatever fits is kept. Returns how many of each
    /// signal were queued and the first refusal.
    async fn submit(
        &self,
        decoded: &mut Decoded,
        context: &Arc<PageContext>,
        wait: Duration,
    ) -> ([(Signal, u64); 3], Option<SubmitError>) {
        let results = [
            (
                Signal::RumVitals,
                "vitals",
                enqueue(
                    &self.vitals,
                    context,
                    std::mem::take(&mut decoded.vitals),
                    wait,
                )
                .await,
            ),
            (
                Signal::RumErrors,
                "errors",
                enqueue(
                    &self.errors,
                    context,
                    std::mem::take(&mut decoded.errors),
                    wait,
                )
                .await,
            ),
            (
                Signal::RumPageViews,
                "page views",
                enqueue(
                    &self.page_views,
                    context,
                    std::mem::take(&mut decoded.page_views),
                    wait,
                )
                .await,
            ),
        ];
        let mut refused = None;
        let queued = results.map(|(signal, what, result)| match result {
            Ok(count) => (signal, count),
            Err((count, error)) => {
                decoded.reject(
                    signal,
                    RejectReason::from(&error),
                    count,
                    format!("{count} {what} not stored: {error}"),
                );
                refused.get_or_insert(error);
                (signal, 0)
            }
        });
        (queued, refused)
    }
}

async fn enqueue<T>(
    queue: &Queue<RumRecord<T>>,
    context: &Arc<PageContext>,
    events: Vec<T>,
    wait: Duration,
) -> Result<u64, (u64, SubmitError)> {
    let count = events.len() as u64;
    let records = events
        .into_iter()
        .map(|event| RumRecord {
            context: Arc::clone(context),
            event,
        })
        .collect();
    queue
        .submit_within(records, wait)
        .await
        .map(|()| count)
        .map_err(|error| (count, error))
}

fn error_response(metrics: &Metrics, error: IngestError) -> Response {
    let status = error.http_status();
    metrics.request_refused(Receiver::Rum, status);
    if error.retry_after_secs().is_none() {
        tracing::debug!(%error, status = status.as_u16(), "RUM beacon refused");
    }
    error.json_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{queue, Batch, INITIAL_BYTES_PER_RECORD};
    use axum::http::{HeaderValue, Method, Request as HttpRequest};
    use tokio::sync::mpsc::UnboundedReceiver;
    use tower::ServiceExt as _;

    const SITE: &str = "https://shop.example";
    const LCP: &str =
        r#"{"name":"LCP","value":1200,"delta":1200,"id":"v5-1-1","page":"/","connection":"4g"}"#;

    struct Harness {
        router: Router,
        vitals: UnboundedReceiver<Batch<RumRecord<Vital>>>,
        metrics: Arc<Metrics>,
        // Held so the queues stay open.
        _errors: UnboundedReceiver<Batch<RumRecord<RumError>>>,
        page_views: UnboundedReceiver<Batch<RumRecord<PageView>>>,
    }

    /// Queues with room for `records` (no writer settles their size, so
    /// each holds the initial estimate).
    fn harness(config: RumConfig, records: usize) -> Harness {
        let capacity = records * INITIAL_BYTES_PER_RECORD;
        let (vitals, vitals_rx) = queue(capacity);
        let (errors, errors_rx) = queue(capacity);
        let (page_views, page_views_rx) = queue(capacity);
        let metrics = Arc::new(Metrics::default());
        let queues = RumQueues {
            vitals,
            errors,
            page_views,
        };
        Harness {
            // A short wait keeps the full-queue test fast.
            router: router(RumState::new(
                &config,
                Duration::from_millis(50),
                queues,
                Arc::clone(&metrics),
            )),
            vitals: vitals_rx,
            metrics,
            _errors: errors_rx,
            page_views: page_views_rx,
        }
    }

    fn config(origins: &[&str], keys: &[&str]) -> RumConfig {
        RumConfig {
            allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            ..RumConfig::default()
        }
    }

    fn beacon(uri: &str, origin: Option<&str>, body: impl Into<Body>) -> HttpRequest<Body> {
        let mut request =
            HttpRequest::post(uri).header(header::CONTENT_TYPE, "text/plain;charset=UTF-8");
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        request.body(body.into()).unwrap()
    }

    async fn send(
        router: &Router,
        request: HttpRequest<Body>,
    ) -> (StatusCode, HeaderMap, serde_json::Value) {
        let response = router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (parts.status, parts.headers, json)
    }

    #[tokio::test]
    async fn an_allowed_origin_gets_its_beacon_stored_and_cors_headers() {
        let mut h = harness(config(&[SITE], &[]), 100);
        let (status, headers, body) = send(&h.router, beacon(RUM_PATH, Some(SITE), LCP)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body,
            serde_json::json!({"accepted": 1, "rejected": 0, "errors": []})
        );
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], SITE);
        assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS));
        let record = h.vitals.try_recv().unwrap().into_parts().0.remove(0);
        assert_eq!(
            record.context.page.app, "shop.example",
            "app from the origin"
        );
        assert_eq!(record.context.page.path, "/");
        assert_eq!(h.metrics.records_accepted_count(Signal::RumVitals), 1);
        assert!(h
            .metrics
            .render()
            .contains("jamscope_rum_events_accepted_total 1\n"));
    }

    #[tokio::test]
    async fn stored_urls_lose_their_query_and_fragment_but_allowed_parameters() {
        let body = r##"{"app":"shop","page":{"url":"https://shop.example/p?token=t&utm_source=news#x","path":"/p","referrer":"https://search.example/?q=me"},"events":[{"type":"page_view"}]}"##;
        let mut h = harness(config(&[SITE], &[]), 100);
        let (status, _, _) = send(&h.router, beacon(RUM_PATH, Some(SITE), body)).await;
        assert_eq!(status, StatusCode::OK);
        let page_view = h.page_views.try_recv().unwrap().into_parts().0.remove(0);
        assert_eq!(page_view.context.page.url, "https://shop.example/p");
        assert_eq!(page_view.context.page.referrer, "https://search.example/");

        let mut keeping = config(&[SITE], &[]);
        keeping.keep_query_params = vec!["utm_source".into()];
        let mut h = harness(keeping, 100);
        send(&h.router, beacon(RUM_PATH, Some(SITE), body)).await;
        let page_view = h.page_views.try_recv().unwrap().into_parts().0.remove(0);
        assert_eq!(
            page_view.context.page.url,
            "https://shop.example/p?utm_source=news"
        );
    }

    #[tokio::test]
    async fn a_preflight_is_answered_with_the_exact_origin() {
        let h = harness(config(&["*"], &[]), 100);
        let preflight = HttpRequest::builder()
            .method(Method::OPTIONS)
            .uri(RUM_PATH)
            .header(header::ORIGIN, SITE)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
            .body(Body::empty())
            .unwrap();
        let (status, headers, _) = send(&h.router, preflight).await;
        assert!(status.is_success(), "{status}");
        assert_eq!(
            headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            SITE,
            "the exact origin"
        );
        assert!(
            !headers.contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS),
            "beacons never need credentials"
        );
        let allowed_headers = headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
            .to_str()
            .unwrap();
        assert!(
            allowed_headers.contains("content-type"),
            "{allowed_headers}"
        );
        let methods = headers[header::ACCESS_CONTROL_ALLOW_METHODS]
            .to_str()
            .unwrap();
        assert!(
            methods.contains("POST") && methods.contains("OPTIONS"),
            "{methods}"
        );
    }

    #[tokio::test]
    async fn a_foreign_origin_is_refused_and_nothing_is_stored() {
        let mut h = harness(config(&[SITE], &[]), 100);
        let (status, headers, body) = send(
            &h.router,
            beacon(RUM_PATH, Some("https://evil.example"), LCP),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("https://evil.example"),
            "{body}"
        );
        assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
        assert!(h.vitals.try_recv().is_err());
        let preflight = HttpRequest::builder()
            .method(Method::OPTIONS)
            .uri(RUM_PATH)
            .header(header::ORIGIN, "https://evil.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .body(Body::empty())
            .unwrap();
        assert_eq!(send(&h.router, preflight).await.0, StatusCode::FORBIDDEN);
        // Servers send no Origin and are not browsers' cross-site requests.
        assert_eq!(
            send(&h.router, beacon(RUM_PATH, None, LCP)).await.0,
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn keys_are_required_once_configured_and_rotate() {
        let h = harness(config(&["*"], &["old", "new"]), 100);
        let (status, _, body) = send(&h.router, beacon(RUM_PATH, None, LCP)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("missing ingest key"),
            "{body}"
        );
        let (status, _, body) = send(&h.router, beacon("/v1/rum?key=wrong", None, LCP)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"], "unknown ingest key");
        for key in ["old", "new"] {
            let uri = format!("/v1/rum?key={key}");
            assert_eq!(
                send(&h.router, beacon(&uri, None, LCP)).await.0,
                StatusCode::OK
            );
        }
        // Without keys, anonymous beacons are fine.
        let open = harness(config(&["*"], &[]), 100);
        assert_eq!(
            send(&open.router, beacon(RUM_PATH, None, LCP)).await.0,
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn content_types_sizes_and_bodies_get_their_statuses() {
        let h = harness(config(&["*"], &[]), 100);
        let mut json = beacon(RUM_PATH, None, LCP);
        json.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert_eq!(send(&h.router, json).await.0, StatusCode::OK);
        let mut untyped = beacon(RUM_PATH, None, LCP);
        untyped.headers_mut().remove(header::CONTENT_TYPE);
        assert_eq!(send(&h.router, untyped).await.0, StatusCode::OK);
        let mut form = beacon(RUM_PATH, None, LCP);
        form.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data"),
        );
        assert_eq!(
            send(&h.router, form).await.0,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );

        let (status, _, body) =
            send(&h.router, beacon(RUM_PATH, None, vec![b' '; 100 * 1024])).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        let (status, _, body) = send(&h.router, beacon(RUM_PATH, None, "hello")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["error"].as_str().unwrap().contains("not valid JSON"),
            "{body}"
        );
        let bad = r#"{"name":"LCP","value":-1,"id":"x"}"#;
        let (status, _, body) = send(&h.router, beacon(RUM_PATH, None, bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("no valid event (1 rejected): LCP value -1"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn a_full_queue_refuses_with_retry_after() {
        let h = harness(config(&["*"], &[]), 1);
        assert_eq!(
            send(&h.router, beacon(RUM_PATH, None, LCP)).await.0,
            StatusCode::OK
        );
        let (status, headers, _) = send(&h.router, beacon(RUM_PATH, None, LCP)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers[header::RETRY_AFTER], "1");
        let metrics = &h.metrics;
        assert_eq!(metrics.records_received_count(Signal::RumVitals), 2);
        assert_eq!(metrics.records_accepted_count(Signal::RumVitals), 1);
        assert_eq!(
            metrics.records_rejected_count(Signal::RumVitals, RejectReason::QueueFull),
            1
        );
        assert_eq!(metrics.requests_refused_counts(), [(Receiver::Rum, 429, 1)]);
    }

    #[tokio::test]
    async fn partly_valid_batches_report_what_was_dropped() {
        let h = harness(config(&["*"], &[]), 100);
        let body = r#"{"app":"shop","events":[{"type":"page_view"},{"type":"vital","name":"XYZ","value":1,"id":"a"}]}"#;
        let (status, _, body) = send(&h.router, beacon(RUM_PATH, None, body)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (body["accepted"].as_u64(), body["rejected"].as_u64()),
            (Some(1), Some(1))
        );
        assert!(
            body["errors"][0]
                .as_str()
                .unwrap()
                .contains("unknown metric name 'XYZ'"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn the_script_is_served_to_any_origin() {
        let h = harness(config(&[SITE], &["secret"]), 100);
        let request = HttpRequest::get(SCRIPT_PATH)
            .header(header::ORIGIN, "https://elsewhere.example")
            .body(Body::empty())
            .unwrap();
        assert_eq!(send(&h.router, request).await.0, StatusCode::OK);
    }
}
