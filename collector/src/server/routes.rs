//! What each listener serves, built from the running parts: the main HTTP
//! listener (OTLP/HTTP, build events, `/api`, `/ui`, `/metrics`, health,
//! and RUM unless it has a listener of its own), the public RUM listener,
//! and the gRPC services. Who may call what is the edge's
//! (`ingest::edge`), declared there in the order it runs; this only says
//! which routes stand behind which guard.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::middleware;
use axum::response::Response;
use axum::routing::any;
use axum::Router;

use super::alerting::Alerting;
use super::store::{Queues, StoreBuilds};
use crate::access::{Access, Endpoint};
use crate::config::Config;
use crate::ingest::edge::{self, GrpcGuard, ServiceGuard};
use crate::ingest::otlp::{self, Logs, Otlp, OtlpParts, SignalService, SpanRules, Traces};
use crate::ingest::rum::{self, RumParts};
use crate::ingest::{builds, IngestError};
use crate::store::client::Connection;
use crate::store::queries::Queries;
use crate::telemetry::{self, Metrics};

/// What the routes are built from.
pub(super) struct Parts<'a> {
    pub config: &'a Config,
    pub connection: &'a Connection,
    pub queues: Queues,
    pub queries: Queries,
    pub alerting: Option<&'a Alerting>,
    pub access: &'a Arc<Access>,
    pub metrics: &'a Arc<Metrics>,
}

/// Every listener's routes.
pub(super) struct Routes {
    pub http: Router,
    /// The public RUM listener's, when `rum_addr` is set.
    pub rum: Option<Router>,
    pub grpc: GrpcRoutes,
}

/// The gRPC services, each behind the API key.
pub(super) struct GrpcRoutes {
    pub traces: otlp::OtlpCodes<SignalService<Traces>>,
    pub logs: otlp::OtlpCodes<SignalService<Logs>>,
    pub metrics: otlp::OtlpCodes<SignalService<otlp::Metrics>>,
    pub guard: GrpcGuard,
}

pub(super) fn build(parts: Parts<'_>) -> Routes {
    let Parts {
        config,
        connection,
        queues,
        queries,
        alerting,
        access,
        metrics,
    } = parts;
    let stats = metrics.ingest();
    let tap = alerting.map(Alerting::tap);
    let service_guard = |endpoint| ServiceGuard {
        access: Arc::clone(access),
        endpoint,
        stats: stats.clone(),
    };
    let span_rules = SpanRules {
        limits: config.span_limits,
        max_age: config.max_span_age(),
        max_ahead: Duration::from_secs(config.ingest.max_span_ahead_secs),
    };
    let rum = rum::routes(RumParts {
        config: &config.rum,
        queues: queues.rum,
        spans: queues.spans.clone(),
        span_rules,
        queue_wait: config.ingest.queue_wait(),
        access: Arc::clone(access),
        stats: stats.clone(),
        tap: tap.clone(),
    });
    let otlp = Otlp::new(OtlpParts {
        spans: queues.spans,
        logs: queues.logs,
        metric_points: queues.metric_points,
        layers: config.layer_rules(),
        config: config.ingest.clone(),
        span_rules,
        logs_max_age: config.max_log_age(),
        metrics_max_age: config.max_metric_age(),
        stats: stats.clone(),
        tap,
    });
    let api = crate::api::ApiState {
        queries: Arc::new(queries),
        alerts: alerting.map(|a| a.tables.clone()),
        rules: alerting.map(|a| a.service.rules()),
    };
    let health = telemetry::health_routes(metrics.readiness());
    let (main_rum, rum_listener) = match config.rum_addr {
        Some(_) => (None, Some(health.clone().merge(rum).fallback(rum_only))),
        None => (Some(rum), None),
    };
    let rum_here = main_rum.unwrap_or_else(|| {
        Router::new()
            .route(rum::RUM_PATH, any(rum_elsewhere))
            .route(rum::SCRIPT_PATH, any(rum_elsewhere))
    });
    // The web UI reads what the API reads, behind the same key (a browser
    // signs in once; the key then rides in a cookie).
    let ui_pages = crate::ui::router(api.clone()).route_layer(middleware::from_fn_with_state(
        Arc::clone(access),
        crate::ui::require_key_or_sign_in,
    ));
    let http = health
        .merge(edge::for_services(
            otlp::routes(otlp.clone()),
            service_guard(Endpoint::OtlpHttp),
        ))
        .merge(edge::for_services(
            telemetry::metrics_routes(Arc::clone(metrics)),
            service_guard(Endpoint::Metrics),
        ))
        .merge(rum_here)
        .merge(builds::routes(
            &config.builds,
            config.clickhouse.ttl_days,
            Arc::new(StoreBuilds::new(connection)),
            stats.clone(),
        ))
        .merge(crate::api::with_security_headers(edge::for_services(
            crate::api::router(api),
            service_guard(Endpoint::Api),
        )))
        .merge(ui_pages)
        .merge(crate::ui::public_router());
    Routes {
        http,
        rum: rum_listener,
        grpc: GrpcRoutes {
            traces: otlp::service::<Traces>(otlp.clone()),
            logs: otlp::service::<Logs>(otlp.clone()),
            metrics: otlp::service::<otlp::Metrics>(otlp),
            guard: GrpcGuard {
                access: Arc::clone(access),
                stats,
            },
        },
    }
}

async fn rum_only(request: Request) -> Response {
    IngestError::NotFound(format!(
        "{} is not served here: this listener serves only RUM (POST {}, GET {})",
        request.uri().path().chars().take(200).collect::<String>(),
        rum::RUM_PATH,
        rum::SCRIPT_PATH
    ))
    .json_response()
}

async fn rum_elsewhere() -> Response {
    IngestError::NotFound("RUM is served on its own listener (rum_addr), not on this one".into())
        .json_response()
}
