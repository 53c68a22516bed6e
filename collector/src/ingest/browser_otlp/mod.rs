//! OTLP from browsers: `POST /v1/traces` and `/v1/logs` sent by pages (the
//! OpenTelemetry JS web SDK's OTLP/HTTP exporters, JSON or protobuf) to the
//! listener that serves RUM.
//!
//! Behind the same browser edge as beacons (`ingest::rum::Rum::behind_edge`:
//! client, per-client and global limits, `rum.allowed_origins`, CORS with
//! the origin echoed, `Access-Control-Max-Age` and `Retry-After` exposed,
//! the RUM key as `?key=` or `x-api-key`), the receiver (`handler.rs`) is
//! OTLP/HTTP's own (`ingest::otlp::OtlpHttp`, the same decoders and
//! answers) with four differences: bodies are bounded by
//! `rum.max_sdk_body_bytes`; URLs in span, event and log record
//! attributes are kept as a beacon's are (no fragment, only
//! `rum.keep_query_params`); every record is stored as the browser layer,
//! whatever its resource claims (the `Otlp` it is given decides layers
//! with `LayerRules::only(Layer::Browser)`; a claim of another layer is
//! counted in `jamscope_browser_layer_overridden`); and OpenTelemetry's
//! `browser.web_vital` log events become Web Vitals in `rum_vitals`
//! (`vitals.rs`), stored through the RUM receiver like the SDK's.
//!
//! Only requests with an `Origin` header come here
//! (`ingest::edge::by_audience`): on the main listener any other takes the
//! service path, on `rum_addr` it is told to go to the main listener.

mod handler;
#[cfg(test)]
mod tests;
mod vitals;

use axum::routing::post;
use axum::Router;

use super::otlp::{Logs, Otlp, Signal, Traces};
use super::receiver::handle;
use super::rum::Rum;
use crate::telemetry::Receiver;
use handler::BrowserOtlp;
pub(crate) use handler::FromPages;

/// The browser OTLP routes behind the browser edge. `otlp` must decide
/// every layer as the browser's.
pub fn routes(rum: &Rum, otlp: Otlp) -> Router {
    let routes = Router::new()
        .route(Traces::HTTP_PATH, post(handle::<BrowserOtlp<Traces>>))
        .with_state(BrowserOtlp::<Traces>::new(otlp.clone(), rum))
        .merge(
            Router::new()
                .route(Logs::HTTP_PATH, post(handle::<BrowserOtlp<Logs>>))
                .with_state(BrowserOtlp::<Logs>::new(otlp, rum)),
        );
    rum.behind_edge(routes, Receiver::BrowserOtlp)
}
