//! Receivers: bytes in, judged domain records out, handed to the pipeline.
//! Receivers never talk to ClickHouse.
//!
//! Every way in has one shape (see ARCHITECTURE.md, "How to add a
//! receiver"): a folder holding `mod.rs` (what it takes, its routes),
//! `handler.rs` (the [`receiver::Receiver`] it implements), its decoding
//! (`decode.rs`, or one file per encoding), `tests.rs`, and `config.rs`
//! when it has a section of its own. [`receiver::handle`] runs the same
//! path for all: the edge's checks (`edge`: bounds, access, origin, CORS),
//! the head, the body within the decoding budget, decode and judge,
//! accept into the pipeline, answer; every refusal is an [`IngestError`],
//! mapped to HTTP and gRPC in one place (`error`).
//!
//! The receivers: `otlp/` (OTLP/HTTP and OTLP/gRPC, one signal a folder:
//! `otlp/traces/`), `rum/` (browser beacons and the SDK), `builds/`
//! (signed CI/CD events, which wait for the store through a sink instead
//! of a queue). Shared: `edge/` (what a request passes before its
//! receiver: limits, keys, origins, CORS, the client address, the body
//! reader, media types), `bounds/` (requests in flight, bytes being
//! decoded, deadlines; HTTP and gRPC alike), `config.rs` (`[ingest]`),
//! `tap.rs` (what alerting sees of accepted records, as a port).

pub mod bounds;
pub mod browser_otlp;
pub mod builds;
mod config;
pub mod edge;
mod error;
pub mod faro;
pub mod otlp;
pub mod receiver;
pub mod rum;
pub mod tap;

pub use config::IngestConfig;
pub use error::IngestError;
pub use tap::{IngestTap, Tap};
