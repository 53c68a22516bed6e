//! OTLP protobuf as every signal reads it in one pass: the wire format
//! with prost's checks and limits (`wire`), attribute values (`value`),
//! and the resource and scope every request groups records under
//! (`envelope`). Each signal's decoder (`traces/protobuf.rs`,
//! `logs/protobuf.rs`, `metrics/protobuf/`) walks its own messages with
//! these.

mod envelope;
mod value;
mod wire;

pub use envelope::{resource_group, scope_group, ScopeGroup};
pub use value::{any_value, attributes_field};
pub use wire::{Reader, WireResult, WireType};

/// Field `tag` sent with every wire type (and a length-delimited value that
/// is not UTF-8), for tests holding a decoder to `prost` field by field.
#[cfg(test)]
pub(crate) fn every_wire_type(tag: u32) -> [Vec<u8>; 6] {
    let key = |wire_type: u32| {
        let mut out = Vec::new();
        prost::encoding::encode_varint(u64::from(tag << 3 | wire_type), &mut out);
        out
    };
    [
        [key(0), vec![0x01]].concat(),
        [key(1), vec![0x11; 8]].concat(),
        [key(2), vec![0x02, b'o', b'k']].concat(),
        [key(2), vec![0x02, 0xff, 0xfe]].concat(),
        [key(3), key(4)].concat(),
        [key(5), vec![0x22; 4]].concat(),
    ]
}
