//! The edge: everything an HTTP request passes before its receiver, in the
//! order it runs, declared here once per audience.
//!
//! Every listener first bounds its requests (`ingest::bounds`: requests in
//! flight, header, body and idle deadlines). Then:
//!
//! - **services** (OTLP, `/api`, `/metrics`): [`for_services`] — the API
//!   key (401), its rate limit, then the global one (429);
//! - **browsers** (RUM beacons, OTLP and Faro from pages): [`for_browsers`] — who the client is
//!   (behind trusted proxies, found once and kept with the request); its
//!   rate limit and the global one (429); the origin allowlist (403, before
//!   CORS, so a foreign page learns nothing); CORS (preflights are answered
//!   here); the page's ingest key (401).
//!
//!
//! Where both audiences share a path (`/v1/traces` and `/v1/logs` when RUM
//! is served on the main listener), [`by_audience`] tells them apart: a
//! request with an `Origin` header (preflights included) comes from a
//! page; anything else is a service and takes the service checks exactly
//! as before.
//!
//! Then the receiver (`ingest::receiver`): its content type, the body read
//! within the decoding budget (`body`), decoding, judging, the queue.
//! OTLP/gRPC calls pass the same service checks in [`GrpcGuard`].

pub mod body;
pub mod forwarded;
mod guard;
pub mod media_type;
pub mod origin;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::Router;
use tower::ServiceExt as _;

pub use body::{read_body, BodyLimits, ReadBody};
pub use forwarded::{Client, TrustedProxies};
pub use guard::{require_key, BrowserGuard, GrpcGuard, ServiceGuard};
pub use media_type::MediaType;
pub use origin::AllowedOrigins;

/// `routes` behind the service checks: key, then limits.
pub fn for_services(routes: Router, guard: ServiceGuard) -> Router {
    routes.route_layer(from_fn_with_state(guard, require_key))
}

/// `routes` behind the browser checks, in this order: client, limits,
/// origin, CORS, key. (A layer added later wraps the ones before it, so
/// they are added innermost first.)
pub fn for_browsers(routes: Router, guard: BrowserGuard) -> Router {
    let cors = origin::cors_layer(guard.origins.clone());
    routes
        .layer(from_fn_with_state(
            guard.clone(),
            guard::require_browser_key,
        ))
        .layer(cors)
        .layer(from_fn_with_state(
            guard.clone(),
            guard::refuse_foreign_origins,
        ))
        .layer(from_fn_with_state(guard.clone(), guard::limit_browsers))
        .layer(from_fn_with_state(guard, guard::find_client))
}

/// `services`' routes, with the requests of browsers sent to `browsers`
/// instead: those carrying an `Origin` header, which every browser sends
/// with a cross-origin request, a preflight and any `POST`. Servers send
/// none, so a service's export takes the service checks and receiver
/// unchanged, and no page reaches them.
pub fn by_audience(services: Router, browsers: Router) -> Router {
    services.layer(from_fn_with_state(browsers, send_browsers_to))
}

async fn send_browsers_to(
    State(browsers): State<Router>,
    request: Request,
    next: Next,
) -> Response {
    if !request.headers().contains_key(header::ORIGIN) {
        return next.run(request).await;
    }
    match browsers.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
