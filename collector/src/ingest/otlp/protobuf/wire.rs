//! The protobuf wire format, read in place: varints, field keys, lengths,
//! and skipping what is not needed. Each check is the one `prost` makes,
//! with its limits (a varint of ten bytes at most, tags from 1, nesting 100
//! messages deep), so a body decodes here exactly when it decodes there.

use std::fmt;

/// How deep messages may nest, counting the request as 0: `prost`'s limit.
pub const RECURSION_LIMIT: u32 = 100;

/// What is wrong with a body, and where (innermost field last).
#[derive(Debug, PartialEq, Eq)]
pub struct WireError {
    problem: Problem,
    /// Fields from the innermost out, with the index of repeated ones.
    path: Vec<(&'static str, Option<usize>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Truncated,
    BadVarint,
    BadKey,
    BadWireType,
    UnexpectedWireType,
    UnexpectedEndGroup,
    NotUtf8,
    TooDeep,
}

impl WireError {
    pub fn new(problem: Problem) -> Self {
        Self {
            problem,
            path: Vec::new(),
        }
    }

    /// Adds the field the error happened in, on its way out.
    pub fn within(mut self, field: &'static str, index: Option<usize>) -> Self {
        self.path.push((field, index));
        self
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (field, index)) in self.path.iter().rev().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(field)?;
            if let Some(index) = index {
                write!(f, "[{index}]")?;
            }
        }
        if !self.path.is_empty() {
            f.write_str(": ")?;
        }
        f.write_str(match self.problem {
            Problem::Truncated => "the message ends inside a field",
            Problem::BadVarint => "invalid varint",
            Problem::BadKey => "invalid field key",
            Problem::BadWireType => "invalid wire type",
            Problem::UnexpectedWireType => "wire type does not match the field's type",
            Problem::UnexpectedEndGroup => "unexpected end-group tag",
            Problem::NotUtf8 => "string is not UTF-8",
            Problem::TooDeep => "messages nested more than 100 deep",
        })
    }
}

pub type WireResult<T> = Result<T, WireError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireType {
    Varint,
    SixtyFourBit,
    LengthDelimited,
    StartGroup,
    EndGroup,
    ThirtyTwoBit,
}

/// A cursor over one message's bytes.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn varint(&mut self) -> WireResult<u64> {
        let mut value = 0u64;
        for (i, &byte) in self.buf.iter().take(10).enumerate() {
            // The tenth byte holds bit 63 only.
            if i == 9 && byte > 1 {
                return Err(WireError::new(Problem::BadVarint));
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                self.buf = &self.buf[i + 1..];
                return Ok(value);
            }
        }
        Err(WireError::new(match self.buf.len() < 10 {
            true => Problem::Truncated,
            false => Problem::BadVarint,
        }))
    }

    /// The next field's tag and wire type.
    pub fn key(&mut self) -> WireResult<(u32, WireType)> {
        let key = self.varint()?;
        let key = u32::try_from(key).map_err(|_| WireError::new(Problem::BadKey))?;
        let wire_type = match key & 7 {
            0 => WireType::Varint,
            1 => WireType::SixtyFourBit,
            2 => WireType::LengthDelimited,
            3 => WireType::StartGroup,
            4 => WireType::EndGroup,
            5 => WireType::ThirtyTwoBit,
            _ => return Err(WireError::new(Problem::BadWireType)),
        };
        let tag = key >> 3;
        if tag == 0 {
            return Err(WireError::new(Problem::BadKey));
        }
        Ok((tag, wire_type))
    }

    fn take(&mut self, len: usize) -> WireResult<&'a [u8]> {
        if len > self.buf.len() {
            return Err(WireError::new(Problem::Truncated));
        }
        let (head, rest) = self.buf.split_at(len);
        self.buf = rest;
        Ok(head)
    }

    /// A length-delimited field's bytes.
    pub fn bytes(&mut self, wire_type: WireType) -> WireResult<&'a [u8]> {
        expect(wire_type, WireType::LengthDelimited)?;
        let len = self.varint()?;
        if len > self.buf.len() as u64 {
            return Err(WireError::new(Problem::Truncated));
        }
        self.take(len as usize)
    }

    pub fn str(&mut self, wire_type: WireType) -> WireResult<&'a str> {
        std::str::from_utf8(self.bytes(wire_type)?).map_err(|_| WireError::new(Problem::NotUtf8))
    }

    pub fn string(&mut self, wire_type: WireType) -> WireResult<String> {
        self.str(wire_type).map(str::to_owned)
    }

    /// An embedded message at nesting `depth` (its parent is one less):
    /// its bytes, to read with their own `Reader`.
    pub fn message(&mut self, wire_type: WireType, depth: u32) -> WireResult<Reader<'a>> {
        expect(wire_type, WireType::LengthDelimited)?;
        if depth > RECURSION_LIMIT {
            return Err(WireError::new(Problem::TooDeep));
        }
        let len = self.varint()?;
        if len > self.buf.len() as u64 {
            return Err(WireError::new(Problem::Truncated));
        }
        self.take(len as usize).map(Reader::new)
    }

    pub fn uint64(&mut self, wire_type: WireType) -> WireResult<u64> {
        expect(wire_type, WireType::Varint)?;
        self.varint()
    }

    /// `int32`, `uint32` and enums: the varint cut to 32 bits, as `prost`
    /// does.
    pub fn int32(&mut self, wire_type: WireType) -> WireResult<i32> {
        self.uint64(wire_type).map(|v| v as i32)
    }

    pub fn uint32(&mut self, wire_type: WireType) -> WireResult<u32> {
        self.uint64(wire_type).map(|v| v as u32)
    }

    pub fn fixed64(&mut self, wire_type: WireType) -> WireResult<u64> {
        expect(wire_type, WireType::SixtyFourBit)?;
        let bytes = self.take(8)?;
        let mut array = [0; 8];
        array.copy_from_slice(bytes);
        Ok(u64::from_le_bytes(array))
    }

    pub fn fixed32(&mut self, wire_type: WireType) -> WireResult<u32> {
        expect(wire_type, WireType::ThirtyTwoBit)?;
        let bytes = self.take(4)?;
        let mut array = [0; 4];
        array.copy_from_slice(bytes);
        Ok(u32::from_le_bytes(array))
    }

    /// `sint32`: the varint cut to 32 bits, then zigzag-decoded, as `prost`
    /// does.
    pub fn sint32(&mut self, wire_type: WireType) -> WireResult<i32> {
        let value = self.uint64(wire_type)? as u32;
        Ok(((value >> 1) as i32) ^ -((value & 1) as i32))
    }

    pub fn bool(&mut self, wire_type: WireType) -> WireResult<bool> {
        self.uint64(wire_type).map(|v| v != 0)
    }

    pub fn double(&mut self, wire_type: WireType) -> WireResult<f64> {
        self.fixed64(wire_type).map(f64::from_bits)
    }

    /// `sfixed64`.
    pub fn sfixed64(&mut self, wire_type: WireType) -> WireResult<i64> {
        self.fixed64(wire_type).map(|v| v as i64)
    }

    /// One occurrence of a repeated `fixed64` (or, with `map`, `double`)
    /// field, appended to `values`: packed (a length-delimited run) or a
    /// single value, as `prost` accepts both.
    pub fn repeated_fixed64<T>(
        &mut self,
        wire_type: WireType,
        values: &mut Vec<T>,
        map: fn(u64) -> T,
    ) -> WireResult<()> {
        if wire_type != WireType::LengthDelimited {
            values.push(map(self.fixed64(wire_type)?));
            return Ok(());
        }
        let run = self.bytes(wire_type)?;
        if run.len() % 8 != 0 {
            return Err(WireError::new(Problem::Truncated));
        }
        values.extend(run.chunks_exact(8).map(|bytes| {
            let mut array = [0; 8];
            array.copy_from_slice(bytes);
            map(u64::from_le_bytes(array))
        }));
        Ok(())
    }

    /// One occurrence of a repeated `uint64` field, packed or not.
    pub fn repeated_uint64(
        &mut self,
        wire_type: WireType,
        values: &mut Vec<u64>,
    ) -> WireResult<()> {
        if wire_type != WireType::LengthDelimited {
            values.push(self.uint64(wire_type)?);
            return Ok(());
        }
        let mut run = Reader::new(self.bytes(wire_type)?);
        while !run.is_empty() {
            values.push(run.varint()?);
        }
        Ok(())
    }

    /// Hands each occurrence of the repeated message field `tag` of this
    /// message (at `depth`) to `each`, in order, and skips every other
    /// field: the second look a decoder takes over a message for its
    /// records, once it has read what they share. An error inside the
    /// `i`th occurrence is named `field[i]`.
    pub fn each_message(
        mut self,
        tag: u32,
        depth: u32,
        field: &'static str,
        mut each: impl FnMut(Reader<'a>) -> WireResult<()>,
    ) -> WireResult<()> {
        let mut index = 0;
        while !self.is_empty() {
            match self.key()? {
                (found, wire_type) if found == tag => {
                    let message = self.message(wire_type, depth + 1)?;
                    each(message).map_err(|e| e.within(field, Some(index)))?;
                    index += 1;
                }
                (other, wire_type) => self.skip(other, wire_type, depth)?,
            }
        }
        Ok(())
    }

    /// Skips a field this decoder does not read, in a message at `depth`;
    /// groups (a proto2 relic) nest one deeper per level, as in `prost`.
    pub fn skip(&mut self, tag: u32, wire_type: WireType, depth: u32) -> WireResult<()> {
        if depth >= RECURSION_LIMIT {
            return Err(WireError::new(Problem::TooDeep));
        }
        match wire_type {
            WireType::Varint => self.varint().map(drop),
            WireType::SixtyFourBit => self.take(8).map(drop),
            WireType::ThirtyTwoBit => self.take(4).map(drop),
            WireType::LengthDelimited => self.bytes(wire_type).map(drop),
            WireType::StartGroup => loop {
                let (inner_tag, inner_type) = self.key()?;
                if inner_type == WireType::EndGroup {
                    if inner_tag != tag {
                        return Err(WireError::new(Problem::UnexpectedEndGroup));
                    }
                    return Ok(());
                }
                self.skip(inner_tag, inner_type, depth + 1)?;
            },
            WireType::EndGroup => Err(WireError::new(Problem::UnexpectedEndGroup)),
        }
    }
}

fn expect(found: WireType, wanted: WireType) -> WireResult<()> {
    match found == wanted {
        true => Ok(()),
        false => Err(WireError::new(Problem::UnexpectedWireType)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_read_like_prost_and_refuse_what_it_refuses() {
        for value in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut encoded = Vec::new();
            prost::encoding::encode_varint(value, &mut encoded);
            let mut reader = Reader::new(&encoded);
            assert_eq!(reader.varint(), Ok(value));
            assert!(reader.is_empty());
        }
        let eleven = [0xff; 11];
        assert_eq!(
            Reader::new(&eleven).varint(),
            Err(WireError::new(Problem::BadVarint))
        );
        let tenth_too_big = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(Reader::new(&tenth_too_big).varint().is_err());
        assert_eq!(
            Reader::new(&[0x80]).varint(),
            Err(WireError::new(Problem::Truncated))
        );
    }

    #[test]
    fn repeated_numbers_read_packed_and_unpacked_like_prost() {
        let mut packed = Vec::new();
        prost::encoding::fixed64::encode_packed(1, &[1, u64::MAX], &mut packed);
        prost::encoding::fixed64::encode(1, &7, &mut packed);
        prost::encoding::uint64::encode_packed(2, &[300, 0, 5], &mut packed);
        prost::encoding::uint64::encode(2, &9, &mut packed);
        let mut reader = Reader::new(&packed);
        let (mut fixed, mut varints) = (Vec::new(), Vec::new());
        while !reader.is_empty() {
            match reader.key().unwrap() {
                (1, wt) => reader.repeated_fixed64(wt, &mut fixed, |v| v).unwrap(),
                (_, wt) => reader.repeated_uint64(wt, &mut varints).unwrap(),
            }
        }
        assert_eq!(fixed, [1, u64::MAX, 7]);
        assert_eq!(varints, [300, 0, 5, 9]);
        // A packed run of fixed64s that is not a whole number of them.
        let ragged = [0x0a, 0x03, 1, 2, 3];
        let mut reader = Reader::new(&ragged);
        let (_, wt) = reader.key().unwrap();
        assert!(reader.repeated_fixed64(wt, &mut fixed, |v| v).is_err());
        // A varint cut off at the end of its run.
        let cut = [0x12, 0x01, 0x80];
        let mut reader = Reader::new(&cut);
        let (_, wt) = reader.key().unwrap();
        assert!(reader.repeated_uint64(wt, &mut varints).is_err());
    }

    #[test]
    fn zigzag_integers_read_like_prost() {
        for value in [0i32, -1, 1, i32::MIN, i32::MAX, -10, 20] {
            let mut encoded = Vec::new();
            prost::encoding::sint32::encode(1, &value, &mut encoded);
            let mut reader = Reader::new(&encoded);
            let (_, wt) = reader.key().unwrap();
            assert_eq!(reader.sint32(wt), Ok(value));
        }
    }

    #[test]
    fn keys_need_a_tag_and_a_known_wire_type() {
        assert_eq!(
            Reader::new(&[0x0a]).key(),
            Ok((1, WireType::LengthDelimited))
        );
        assert!(Reader::new(&[0x02]).key().is_err(), "tag 0");
        assert!(Reader::new(&[0x0e]).key().is_err(), "wire type 6");
    }

    #[test]
    fn errors_name_the_field_path_outermost_first() {
        let error = WireError::new(Problem::NotUtf8)
            .within("name", None)
            .within("spans", Some(3))
            .within("resource_spans", Some(0));
        assert_eq!(
            error.to_string(),
            "resource_spans[0].spans[3].name: string is not UTF-8"
        );
    }

    #[test]
    fn groups_are_skipped_to_their_matching_end() {
        // field 2 start-group, field 1 varint 5, field 2 end-group, then 0x08 0x01
        let body = [0x13, 0x08, 0x05, 0x14, 0x08, 0x01];
        let mut reader = Reader::new(&body);
        let (tag, wire_type) = reader.key().unwrap();
        reader.skip(tag, wire_type, 0).unwrap();
        assert_eq!(reader.key(), Ok((1, WireType::Varint)));
        let mismatched = [0x13, 0x1c];
        let mut reader = Reader::new(&mismatched);
        let (tag, wire_type) = reader.key().unwrap();
        assert!(reader.skip(tag, wire_type, 0).is_err());
    }
}
