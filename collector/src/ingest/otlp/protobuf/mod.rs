//! OTLP protobuf as every signal reads it in one pass: the wire format
//! with prost's checks and limits (`wire`), attribute values (`value`),
//! and the resource and scope every request groups records under
//! (`envelope`). Each signal's decoder (`traces/protobuf.rs`,
//! `logs/protobuf.rs`) walks its own messages with these.

mod envelope;
mod value;
mod wire;

pub use envelope::{instrumentation_scope, resource};
pub use value::{any_value, attributes_field};
pub use wire::{Reader, WireResult, WireType};
