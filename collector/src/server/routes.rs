//! What each listener serves, built from the running parts: the main HTTP
//! listener (OTLP/HTTP, build events, `/api`, `/ui`, `/metrics`, health,
//! and what pages send unless it has a listener of its own), the public
//! RUM listener (beacons, the script, OTLP and Faro from pages), and the
//! gRPC services. Who may call what is the edge's
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
use crate::errors::sourcemaps::Symbolicator;
use crate::ingest::edge::{self, GrpcGuard, ServiceGuard};
use crate::ingest::otlp::{self, Logs, Otlp, OtlpParts, Signal, SignalService, SpanRules, Traces};
use crate::ingest::rum::{self, Rum, RumParts};
use crate::ingest::{browser_otlp, builds, faro, IngestError};
use crate::model::{Layer, LayerRules};
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
    /// Told when an upload changes a release's maps.
    pub symbolicator: Arc<Symbolicator>,
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
        symbolicator,
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
    let rum = Rum::new(RumParts {
        config: &config.rum,
        queues: queues.rum,
        spans: queues.spans.clone(),
        span_rules,
        queue_wait: config.ingest.queue_wait(),
        access: Arc::clone(access),
        stats: stats.clone(),
        tap: tap.clone(),
    });
    let otlp_parts = |layers| OtlpParts {
        spans: queues.spans.clone(),
        logs: queues.logs.clone(),
        metric_points: queues.metric_points.clone(),
        layers,
        config: config.ingest.clone(),
        span_rules,
        logs_max_age: config.max_log_age(),
        metrics_max_age: config.max_metric_age(),
        stats: stats.clone(),
        tap: tap.clone(),
    };
    let otlp = Otlp::new(otlp_parts(config.layer_rules()));
    // What pages send is the browser layer's, whatever it claims.
    let from_pages = Otlp::new(otlp_parts(LayerRules::only(Layer::Browser)));
    let api = crate::api::ApiState {
        queries: Arc::new(queries),
        alerts: alerting.map(|a| a.tables.clone()),
        rules: alerting.map(|a| a.service.rules()),
        errors: Some(super::errors::writes(config, connection, symbolicator)),
    };
    let health = telemetry::health_routes(metrics.readiness());
    let pages = rum.routes().merge(faro::routes(&rum, from_pages.clone()));
    let browser_otlp = browser_otlp::routes(&rum, from_pages);
    let services_otlp = edge::for_services(
        otlp::routes(otlp.clone()),
        service_guard(Endpoint::OtlpHttp),
    );
    let (main_rum, main_otlp, rum_listener) = match config.rum_addr {
        Some(_) => {
            // The public listener takes OTLP from pages only: a service
            // (no `Origin`) is told its exports go to the main listener.
            let services_elsewhere = Router::new()
                .route(Traces::HTTP_PATH, any(rum_only))
                .route(Logs::HTTP_PATH, any(rum_only));
            let otlp_from_pages = edge::by_audience(services_elsewhere, browser_otlp);
            let listener = health.clone().merge(pages).merge(otlp_from_pages);
            (None, services_otlp, Some(listener.fallback(rum_only)))
        }
        // One listener for both: pages' OTLP told from services' by `Origin`.
        None => (
            Some(pages),
            edge::by_audience(services_otlp, browser_otlp),
            None,
        ),
    };
    let rum_here = main_rum.unwrap_or_else(|| {
        Router::new()
            .route(rum::RUM_PATH, any(rum_elsewhere))
            .route(rum::SCRIPT_PATH, any(rum_elsewhere))
            .route(faro::FARO_PATH, any(rum_elsewhere))
    });
    // The web UI reads what the API reads, behind the same key (a browser
    // signs in once; the key then rides in a cookie).
    let ui_pages = crate::ui::router(api.clone()).route_layer(middleware::from_fn_with_state(
        Arc::clone(access),
        crate::ui::require_key_or_sign_in,
    ));
    let http = health
        .merge(main_otlp)
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
        "{} is not served here: this listener serves only RUM, what pages send (POST {}, {} and {} with an Origin, {}; GET {})",
        request.uri().path().chars().take(200).collect::<String>(),
        rum::RUM_PATH,
        Traces::HTTP_PATH,
        Logs::HTTP_PATH,
        faro::FARO_PATH,
        rum::SCRIPT_PATH
    ))
    .json_response()
}

async fn rum_elsewhere() -> Response {
    IngestError::NotFound("RUM is served on its own listener (rum_addr), not on this one".into())
        .json_response()
}
