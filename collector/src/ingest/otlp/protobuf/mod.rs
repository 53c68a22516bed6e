//! OTLP protobuf as every signal reads it in one pass: the wire format
//! with prost's checks and limits (`wire`), attribute values (`value`),
//! and the resource and scope every envelope carries (`envelope`). Each
//! signal's decoder (`traces/protobuf.rs`, `metrics/protobuf/`) walks its
//! own messages with these.

mod envelope;
mod value;
mod wire;

pub use envelope::{instrumentation_scope, resource, ScopeFields};
pub use value::attributes_field;
pub use wire::{Reader, WireResult, WireType};
