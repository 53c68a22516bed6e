//! Per-request bounds, so that no client (slow, large or many) can take
//! the collector's memory or connections from the others:
//!
//! - `in_flight.rs`: at most `requests.max_in_flight` requests handled at
//!   once per listener; past it, 503 with `Retry-After` at once;
//! - `budget.rs`: at most `requests.max_decoding_bytes` of request bodies
//!   held while being read, decompressed, decoded and converted, across
//!   all requests; a request waits briefly for room, then gets 503;
//! - `charged_body.rs`: the budget charged by a body tonic reads (gRPC);
//! - `grpc.rs`: the same bounds on the gRPC listener (calls in flight,
//!   each call's deadline);
//! - `deadline.rs`: a request body must arrive within
//!   `requests.body_read_timeout_ms`;
//! - `serve.rs` and `timed_io.rs`: the HTTP/1 server, with a deadline for
//!   a request's headers (`header_read_timeout_ms`, from its first byte)
//!   and for a connection sitting idle between requests
//!   (`idle_timeout_ms`);
//! - `config.rs`: `[requests]`.
//!
//! Why refuse at once rather than queue past `max_in_flight`: a request
//! waiting in a queue still holds its connection, its headers and soon its
//! body, and makes every client slower while the collector cannot keep up;
//! OTLP exporters retry a 503 after `Retry-After`, so a refusal costs them
//! a second and costs the collector nothing. The byte budget does wait a
//! little (`decoding_wait_ms`), because one large body finishing frees
//! room within milliseconds.

pub mod budget;
mod charged_body;
mod config;
mod deadline;
mod grpc;
mod in_flight;
mod serve;
mod timed_io;

pub use budget::{Charge, DecodeBudget, DECODED_PER_BODY_BYTE};
pub use charged_body::{ChargedBody, SharedCharge};
pub use config::RequestsConfig;
pub use deadline::BodyTimeout;
pub use grpc::grpc_server;
pub use in_flight::{layer, Listener};
pub use serve::serve_http;
