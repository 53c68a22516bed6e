//! Unit tests of the log decoders: what each encoding accepts, refuses and stores.

mod json;
mod protobuf;
