//! The query API under `/api/`: JSON for on-call engineers, dashboards and
//! the CLI's remote use (traces, layer KPIs, vitals, errors, OTLP metrics,
//! alerts, builds). Handlers are thin: take the path and query string,
//! check every parameter (`params`), call one function of
//! `store::queries` (and `correlate` for a trace), answer; failures become
//! responses in one place (`error`).

mod alerts;
mod browser_share;
mod builds;
mod error;
mod errors;
mod insights;
mod logs;
mod metrics;
pub mod params;
mod sourcemaps;
mod text;
mod traces;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue};
use axum::routing::{delete, get, post};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

pub(crate) use alerts::{active_alerts, ActiveAlert};
pub use error::ApiError;
pub use errors::{group_filter, ErrorWrites, ERROR_PARAMS};
pub use insights::DEFAULT_BUCKETS;
#[cfg(test)]
pub(crate) use logs::attach as attach_logs;
pub use logs::{log_filter_from, LogView, LOG_PARAMS};
pub use text::{trace_list, waterfall};
#[cfg(test)]
pub(crate) use traces::assemble as assemble_trace;
pub use traces::{filter_from, trace_view, LayerMs, SpanView, TraceView, SEARCH_PARAMS};

use tokio::sync::watch;

use crate::alert::service::AlertTables;
use crate::alert::RuleSet;
use crate::store::queries::Queries;

#[derive(Clone)]
pub struct ApiState {
    pub queries: Arc<Queries>,
    /// Alert state and silences; `None` when alerting is off.
    pub alerts: Option<AlertTables>,
    /// The rules being evaluated; `None` when alerting is off.
    pub rules: Option<watch::Receiver<Arc<RuleSet>>>,
    /// Error decisions and source maps are written with this; `None`
    /// where nothing may be written (tests of the pages).
    pub errors: Option<ErrorWrites>,
}

/// Headers on every `/api` answer: JSON is not to be sniffed into
/// anything else, cached, framed, referred from, or run as a page.
const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::CACHE_CONTROL, "no-store"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'",
    ),
    (header::REFERRER_POLICY, "no-referrer"),
];

/// `router` with [`SECURITY_HEADERS`] on every answer, its refusals (401,
/// 429) included when their middleware is inside.
pub fn with_security_headers(router: Router) -> Router {
    SECURITY_HEADERS
        .into_iter()
        .fold(router, |router, (name, value)| {
            router.layer(SetResponseHeaderLayer::overriding(
                name,
                HeaderValue::from_static(value),
            ))
        })
}

pub fn router(state: ApiState) -> Router {
    // A map is taken whole up to its own limit (checked again by the
    // handler, which names it); other bodies keep axum's default.
    let max_map_bytes = state
        .errors
        .as_ref()
        .map_or(0, |writes| writes.max_map_bytes.saturating_add(1));
    Router::new()
        .route("/api/traces", get(traces::search))
        .route("/api/traces/{trace_id}", get(traces::one))
        .route("/api/page-views/{page_view_id}", get(insights::page_view))
        .route("/api/layers", get(insights::layers))
        .route("/api/metrics", get(metrics::metrics))
        .route("/api/vitals", get(insights::vitals))
        .route("/api/vitals/series", get(insights::vitals_series))
        .route("/api/errors", get(errors::list))
        .route("/api/logs", get(logs::search))
        .route("/api/errors/{fingerprint}/state", post(errors::decide))
        .route(
            "/api/sourcemaps",
            get(sourcemaps::list)
                .post(sourcemaps::upload)
                .delete(sourcemaps::delete)
                .layer(DefaultBodyLimit::max(max_map_bytes)),
        )
        .route("/api/alerts", get(alerts::active))
        .route("/api/alerts/history", get(alerts::history))
        .route("/api/rules", get(alerts::rules))
        .route(
            "/api/silences",
            get(alerts::list_silences).post(alerts::create_silence),
        )
        .route("/api/silences/{id}", delete(alerts::expire_silence))
        .route("/api/builds", get(builds::recent))
        .with_state(state)
}
