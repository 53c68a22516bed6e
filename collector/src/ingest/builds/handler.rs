//! The build-event receiver: `POST /v1/builds` as every receiver takes a
//! request (`ingest::receiver`), with the checks of a signed webhook.

use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::replay::{self, Refusal, ReplayGuard, Reservation};
use super::{decode, BuildSink, BuildsConfig, MAX_BODY_BYTES};
use crate::ingest::edge::BodyLimits;
use crate::ingest::receiver::{Incoming, Receiver};
use crate::ingest::IngestError;
use crate::model::build::Build;
use crate::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::telemetry::{IngestStats, Receiver as ReceiverName};

/// What the route shares; a cheap clone.
#[derive(Clone)]
pub(super) struct BuildsReceiver(Arc<Settings>);

struct Settings {
    secret: Option<Arc<str>>,
    max_skew_secs: i64,
    /// How long rows are kept (`clickhouse.ttl_days`), in ms.
    retention_millis: i64,
    replays: Arc<ReplayGuard>,
    sink: Arc<dyn BuildSink>,
    stats: IngestStats,
}

impl BuildsReceiver {
    pub(super) fn new(
        config: &BuildsConfig,
        retention_days: u32,
        sink: Arc<dyn BuildSink>,
        stats: IngestStats,
    ) -> Self {
        Self(Arc::new(Settings {
            secret: config.webhook_secret.as_deref().map(Arc::from),
            max_skew_secs: i64::try_from(config.max_clock_skew_secs).unwrap_or(i64::MAX / 2),
            retention_millis: i64::from(retention_days) * 86_400_000,
            replays: ReplayGuard::new(replay::DEFAULT_CAPACITY),
            sink,
            stats,
        }))
    }

    fn secret(&self) -> Result<&str, IngestError> {
        self.0.secret.as_deref().ok_or_else(|| {
            IngestError::NotFound(
                "build events are off: set builds.webhook_secret (JAMSCOPE_BUILD_WEBHOOK_SECRET)"
                    .into(),
            )
        })
    }
}

/// What a signed request's headers say.
struct Signed<'h> {
    timestamp: &'h str,
    sent_secs: i64,
    /// Lowercased: hex digits in either case verify, and one signature must
    /// not pass the replay check twice by changing case.
    signature: String,
}

impl<'h> Signed<'h> {
    /// The signing headers, the timestamp within `max_skew_secs` of now.
    fn of(headers: &'h HeaderMap, now_secs: i64, max_skew_secs: i64) -> Result<Self, IngestError> {
        let timestamp = header_text(headers, TIMESTAMP_HEADER)?;
        let sent_secs: i64 = timestamp.parse().map_err(|_| {
            IngestError::Unauthorized(format!("{TIMESTAMP_HEADER} must be Unix seconds"))
        })?;
        if now_secs.abs_diff(sent_secs) > max_skew_secs.unsigned_abs() {
            return Err(IngestError::Unauthorized(format!(
                "stale timestamp: {TIMESTAMP_HEADER} is more than {max_skew_secs} s from the collector's clock"
            )));
        }
        let signature = header_text(headers, SIGNATURE_HEADER)?.to_ascii_lowercase();
        Ok(Self {
            timestamp,
            sent_secs,
            signature,
        })
    }
}

impl Receiver for BuildsReceiver {
    const NAME: ReceiverName = ReceiverName::Builds;
    type Format = ();
    /// The event, and its signature held against replays until stored.
    type Decoded = (Build, Reservation);
    type Accepted = String;

    fn stats(&self) -> &IngestStats {
        &self.0.stats
    }

    fn body_limits(&self) -> BodyLimits {
        BodyLimits::both(MAX_BODY_BYTES)
    }

    fn admit(&self, incoming: &Incoming) -> Result<(), IngestError> {
        self.secret()?;
        let headers = &incoming.parts.headers;
        let now_secs = incoming.received_at_millis.div_euclid(1_000);
        Signed::of(headers, now_secs, self.0.max_skew_secs)?;
        check_encoding(headers)
    }

    fn decode(
        &self,
        incoming: &Incoming,
        (): (),
        body: &[u8],
    ) -> Result<(Build, Reservation), IngestError> {
        let settings = &self.0;
        let now_millis = incoming.received_at_millis;
        let now_secs = now_millis.div_euclid(1_000);
        let signed = Signed::of(&incoming.parts.headers, now_secs, settings.max_skew_secs)?;
        if !signing::verify(
            self.secret()?.as_bytes(),
            signed.timestamp,
            body,
            &signed.signature,
        ) {
            return Err(IngestError::Unauthorized(format!(
                "bad signature: {SIGNATURE_HEADER} must be sha256=<hex HMAC-SHA256 of \"<timestamp>.<body>\"> with builds.webhook_secret"
            )));
        }
        let reservation = settings
            .replays
            .reserve(
                &signed.signature,
                signed.sent_secs + settings.max_skew_secs,
                now_secs,
            )
            .map_err(|refusal| match refusal {
                Refusal::Replayed => IngestError::Conflict(
                    "replayed: this signed request was already accepted".into(),
                ),
                Refusal::Full => IngestError::Unavailable(
                    "too many build events in the clock-skew window; retry later".into(),
                ),
            })?;
        let build = decode::decode(body, now_millis, now_millis - settings.retention_millis)
            .map_err(IngestError::BadRequest)?;
        Ok((build, reservation))
    }

    async fn accept(
        &self,
        _: &Incoming,
        (build, reservation): (Build, Reservation),
    ) -> Result<String, IngestError> {
        self.0.sink.insert(&build).await.map_err(|reason| {
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

    fn answer(&self, (): (), id: String) -> Response {
        (StatusCode::ACCEPTED, Json(serde_json::json!({ "id": id }))).into_response()
    }
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
