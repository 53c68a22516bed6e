//! Build and deploy events: `POST /v1/builds`, signed by the CI system.
//!
//! Checks run cheapest first: the feature is on (404 naming
//! `builds.webhook_secret` when no secret is configured), the timestamp
//! header is within `builds.max_clock_skew_secs` of the collector's clock
//! (401 "stale timestamp"), the body fits 64 KiB (413), the signature
//! matches (401; `crate::signing`, the scheme the alert webhook signs
//! with), it was not accepted before (409 "replayed"), the JSON is a valid
//! event (400, `decode`). Then the event is written to ClickHouse at once
//! and the answer (202 `{"id": ...}`) waits for ClickHouse to confirm: builds
//! are few, and a CI system that got 202 must be able to forget the event.
//! ClickHouse unreachable: 503 with `Retry-After`, nothing remembered, so
//! the same request may be sent again.
//!
//! Receivers do not talk to ClickHouse: the write goes through
//! [`BuildSink`], which `serve` implements with the store.

mod config;
mod decode;
mod replay;

use crate::clock::now_millis;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

pub use config::BuildsConfig;
use replay::{Refusal, ReplayGuard};

use super::body::read_body;
use super::IngestError;
use crate::config::IngestConfig;
use crate::model::build::Build;
use crate::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::telemetry::{Metrics, Receiver};

pub const BUILDS_PATH: &str = "/v1/builds";

/// Largest body accepted: an event is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 64 << 10;

/// Where accepted events are written, synchronously. The error is the
/// store's reason, for the log and the 503's message.
pub trait BuildSink: Send + Sync + 'static {
    fn insert<'a>(
        &'a self,
        build: &'a Build,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;
}

/// What the route shares.
#[derive(Clone)]
pub struct BuildsState {
    secret: Option<Arc<str>>,
    max_skew_secs: i64,
    /// How long rows are kept (`clickhouse.ttl_days`), in ms.
    retention_millis: i64,
    replays: Arc<ReplayGuard>,
    sink: Arc<dyn BuildSink>,
    metrics: Arc<Metrics>,
}

impl BuildsState {
    pub fn new(
        config: &BuildsConfig,
        retention_days: u32,
        sink: Arc<dyn BuildSink>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            secret: config.webhook_secret.as_deref().map(Arc::from),
            max_skew_secs: i64::try_from(config.max_clock_skew_secs).unwrap_or(i64::MAX / 2),
            retention_millis: i64::from(retention_days) * 86_400_000,
            replays: ReplayGuard::new(replay::DEFAULT_CAPACITY),
            sink,
            metrics,
        }
    }
}

pub fn router(state: BuildsState) -> Router {
    Router::new()
        .route(BUILDS_PATH, post(receive))
        .with_state(state)
}

async fn receive(State(state): State<BuildsState>, headers: HeaderMap, body: Body) -> Response {
    match accept(&state, &headers, body, now_millis()).await {
        Ok(id) => (StatusCode::ACCEPTED, Json(serde_json::json!({ "id": id }))).into_response(),
        Err(error) => error_response(&state.metrics, error),
    }
}

/// The domain call: authenticate, decode, store; the event's id once
/// ClickHouse has it.
async fn accept(
    state: &BuildsState,
    headers: &HeaderMap,
    body: Body,
    now_millis: i64,
) -> Result<String, IngestError> {
    let secret = state.secret.as_deref().ok_or_else(|| {
        IngestError::NotFound(
            "build events are off: set builds.webhook_secret (JAMSCOPE_BUILD_WEBHOOK_SECRET)"
                .into(),
        )
    })?;
    let now_secs = now_millis.div_euclid(1_000);
    let timestamp = header_text(headers, TIMESTAMP_HEADER)?;
    let sent_secs: i64 = timestamp.parse().map_err(|_| {
        IngestError::Unauthorized(format!("{TIMESTAMP_HEADER} must be Unix seconds"))
    })?;
    if now_secs.abs_diff(sent_secs) > state.max_skew_secs.unsigned_abs() {
        return Err(IngestError::Unauthorized(format!(
            "stale timestamp: {TIMESTAMP_HEADER} is more than {} s from the collector's clock",
            state.max_skew_secs
        )));
    }
    // Lowercased: hex digits in either case verify, and one signature must
    // not pass the replay check twice by changing case.
    let signature = header_text(headers, SIGNATURE_HEADER)?.to_ascii_lowercase();
    check_encoding(headers)?;
    let limits = IngestConfig {
        max_body_bytes: MAX_BODY_BYTES,
        max_decompressed_bytes: MAX_BODY_BYTES,
        ..IngestConfig::default()
    };
    let bytes = read_body(headers, body, &limits).await?;
    if !signing::verify(secret.as_bytes(), timestamp, &bytes, &signature) {
        return Err(IngestError::Unauthorized(format!(
            "bad signature: {SIGNATURE_HEADER} must be sha256=<hex HMAC-SHA256 of \"<timestamp>.<body>\"> with builds.webhook_secret"
        )));
    }
    let reservation = state
        .replays
        .reserve(&signature, sent_secs + state.max_skew_secs, now_secs)
        .map_err(|refusal| match refusal {
            Refusal::Replayed => {
                IngestError::Conflict("replayed: this signed request was already accepted".into())
            }
            Refusal::Full => IngestError::Unavailable(
                "too many build events in the clock-skew window; retry later".into(),
            ),
        })?;
    let build = decode::decode(&bytes, now_millis, now_millis - state.retention_millis)
        .map_err(IngestError::BadRequest)?;
    state.sink.insert(&build).await.map_err(|reason| {
        tracing::warn!(%reason, id = %build.id, "build event not stored");
        IngestError::Unavailable(format!("ClickHouse did not store the event: {reason}"))
    })?;
    // Remembered only now: a request that failed above may come again.
    reservation.keep();
    tracing::info!(
        id = %build.id,
        pipeline = %build.pipeline,
        kind = build.kind.as_str(),
        status = build.status.as_str(),
        "build event stored"
    );
    Ok(build.id)
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, IngestError> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| IngestError::Unauthorized(format!("missing {name} header")))
}

/// The signature covers the body as sent; a compressed body would leave it
/// unclear which bytes were signed, so none is accepted.
fn check_encoding(headers: &HeaderMap) -> Result<(), IngestError> {
    match headers
        .get(header::CONTENT_ENCODING)
        .map(HeaderValue::to_str)
    {
        None => Ok(()),
        Some(Ok(value)) if value.trim().eq_ignore_ascii_case("identity") => Ok(()),
        Some(_) => Err(IngestError::UnsupportedMediaType(
            "build events are not compressed: send the signed JSON as it is".into(),
        )),
    }
}

fn error_response(metrics: &Metrics, error: IngestError) -> Response {
    let status = error.http_status();
    metrics.request_refused(Receiver::Builds, status);
    if status.is_server_error() {
        tracing::warn!(%error, status = status.as_u16(), "build event refused");
    } else {
        tracing::debug!(%error, status = status.as_u16(), "build event refused");
    }
    error.json_response()
}

#[cfg(test)]
mod tests;
