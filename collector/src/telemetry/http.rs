//! The collector's own endpoints: `/healthz` (alive), `/readyz` (ready to
//! take traffic: [`Readiness`]) and `/metrics` (the OpenMetrics exposition
//! of every registered family, alerting's and the notifier's included).
//! `server` puts `/metrics` behind the API key.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::{Metrics, Readiness, CONTENT_TYPE};

/// `/healthz` and `/readyz`, served on every HTTP listener.
pub fn health_routes(readiness: Readiness) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(readiness)
}

/// `GET /metrics`.
pub fn metrics_routes(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/metrics", get(exposition))
        .with_state(metrics)
}

async fn readyz(State(readiness): State<Readiness>) -> (StatusCode, &'static str) {
    if readiness.is_ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

async fn exposition(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], metrics.render())
}
