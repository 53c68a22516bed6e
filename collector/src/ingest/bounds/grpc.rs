//! The gRPC listener's bounds, the same `[requests]` as HTTP's: past
//! `max_in_flight` calls, `RESOURCE_EXHAUSTED` at once (tonic's load
//! shedding, which OTLP clients retry); a call (its message read, decoded
//! and handled) has the body deadline. Bytes being decoded are charged to
//! the shared budget as they arrive (`charged_body.rs`).

use tower::layer::util::{Identity, Stack};
use tower::limit::GlobalConcurrencyLimitLayer;

use super::RequestsConfig;

/// A tonic server builder bounded by `requests`.
pub fn grpc_server(
    requests: &RequestsConfig,
) -> tonic::transport::Server<Stack<GlobalConcurrencyLimitLayer, Identity>> {
    tonic::transport::Server::builder()
        .load_shed(true)
        .timeout(requests.body_read_timeout())
        .layer(GlobalConcurrencyLimitLayer::new(requests.max_in_flight))
}
