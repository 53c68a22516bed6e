//! Faro: `POST /collect` takes the Grafana Faro web SDK's payload as it
//! sends it (its `url` pointed at `https://<rum listener>/collect`, the
//! RUM key as `apiKey` or `?key=`): Web Vitals to `rum_vitals`, exceptions
//! to `rum_errors` (grouped by the fingerprint rum.js errors get), logs
//! and events to `otel_logs`, traces (OTLP/JSON) to `otel_traces`; all of
//! it the browser layer, whatever it claims.
//!
//! Behind the same browser edge as beacons (`ingest::rum::Rum::behind_edge`:
//! limits, origins, CORS, the key); the receiver (`handler.rs`) reads the
//! payload (`decode.rs`; a payload of another shape is refused with `400`
//! naming the field), stores vitals and errors through the RUM receiver,
//! logs and events (`logs.rs`) and traces through the OTLP JSON decoders,
//! and answers `202`.

mod decode;
mod handler;
mod logs;
#[cfg(test)]
mod tests;

use axum::routing::post;
use axum::Router;

use super::otlp::Otlp;
use super::receiver::handle;
use super::rum::Rum;
use crate::telemetry::Receiver;
use handler::FaroReceiver;

/// Where Faro's web SDK sends (its transport's `url`).
pub const FARO_PATH: &str = "/collect";

/// The Faro route behind the browser edge. `otlp` must decide every layer
/// as the browser's.
pub fn routes(rum: &Rum, otlp: Otlp) -> Router {
    let routes = Router::new()
        .route(FARO_PATH, post(handle::<FaroReceiver>))
        .with_state(FaroReceiver::new(rum, otlp));
    rum.behind_edge(routes, Receiver::Faro)
}
