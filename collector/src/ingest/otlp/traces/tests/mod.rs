//! The one-pass decoders held to the reference conversion, and each shape
//! OTLP/JSON allows.

mod json;
mod protobuf;
