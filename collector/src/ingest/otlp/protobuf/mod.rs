//! OTLP protobuf as every signal reads it in one pass: the wire format
//! with prost's checks and limits (`wire`), and attribute values
//! (`value`). Each signal's decoder (`traces/protobuf.rs`) walks its own
//! messages with these.

mod value;
mod wire;

pub use value::{attributes_field, discard_attributes};
pub use wire::{Reader, WireResult, WireType};
