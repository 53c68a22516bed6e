//! Scalar fields as the proto3 JSON mapping writes them, read leniently:
//! every integer as a number or a decimal string, doubles also as
//! `"NaN"` / `"Infinity"` / `"-Infinity"` or numeric strings, bytes in
//! either base64 alphabet with or without padding, `null` as the default.
//! Nothing here allocates more than the text it reads.

use std::fmt;
use std::marker::PhantomData;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde::de::{DeserializeSeed, Deserializer, Error, Visitor};

/// An integer type a field may hold, with its name for messages.
pub(crate) trait Int:
    Sized + Default + std::str::FromStr + TryFrom<i64> + TryFrom<u64>
{
    const WHAT: &'static str;
}

impl Int for u64 {
    const WHAT: &'static str = "an unsigned 64-bit integer";
}
impl Int for i64 {
    const WHAT: &'static str = "a signed 64-bit integer";
}
impl Int for u32 {
    const WHAT: &'static str = "an unsigned 32-bit integer";
}
impl Int for i32 {
    const WHAT: &'static str = "a signed 32-bit integer";
}

/// An integer field: a JSON number, a decimal string, or `null` (0).
pub(crate) struct Integer<T>(PhantomData<T>);

impl<T> Clone for Integer<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Integer<T> {}

impl<T> Integer<T> {
    pub(crate) fn new() -> Self {
        Self(PhantomData)
    }
}

/// Below 2^53 every integer is exact in an f64, so `1e3` or `2.0` is an
/// integer there; beyond, the text did not say which integer it meant.
const EXACT_F64_INTEGER: f64 = 9_007_199_254_740_992.0;

impl<'de, T: Int> DeserializeSeed<'de> for Integer<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T: Int> Visitor<'de> for Integer<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} (a JSON number or a decimal string)", T::WHAT)
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("{v} is out of range for {}", T::WHAT)))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("{v} is out of range for {}", T::WHAT)))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<T, E> {
        if v.fract() == 0.0 && v.abs() < EXACT_F64_INTEGER {
            // Exact by the check above.
            self.visit_i64(v as i64)
        } else {
            Err(E::custom(format!("{v} is not {}", T::WHAT)))
        }
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(|_| {
            E::custom(format!(
                "\"{}\" is not {}",
                v.chars().take(40).collect::<String>(),
                T::WHAT
            ))
        })
    }

    fn visit_unit<E>(self) -> Result<T, E> {
        Ok(T::default())
    }
}

/// A double: a number, a numeric string, `"NaN"`, `"Infinity"`,
/// `"-Infinity"`, or `null` (0).
#[derive(Clone, Copy)]
pub(crate) struct Double;

impl<'de> DeserializeSeed<'de> for Double {
    type Value = f64;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<f64, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Double {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "a double (a JSON number, a numeric string, \"NaN\", \"Infinity\" or \"-Infinity\")",
        )
    }

    fn visit_f64<E>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }

    fn visit_u64<E>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_i64<E>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<f64, E> {
        match v {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => v.parse().map_err(|_| {
                E::custom(format!(
                    "\"{}\" is not a double",
                    v.chars().take(40).collect::<String>()
                ))
            }),
        }
    }

    fn visit_unit<E>(self) -> Result<f64, E> {
        Ok(0.0)
    }
}

/// A field proto3 marks `optional`: what `E` reads, or `None` for `null`
/// (not set, as protobuf says of a field that is absent).
#[derive(Clone, Copy)]
pub(crate) struct Optional<E>(pub(crate) E);

impl<'de, E: DeserializeSeed<'de>> DeserializeSeed<'de> for Optional<E> {
    type Value = Option<E::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, E: DeserializeSeed<'de>> Visitor<'de> for Optional<E> {
    type Value = Option<E::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value or null")
    }

    fn visit_none<E2>(self) -> Result<Self::Value, E2> {
        Ok(None)
    }

    fn visit_unit<E2>(self) -> Result<Self::Value, E2> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(deserializer).map(Some)
    }
}

/// A repeated scalar field: an array of what `E` reads, or `null` (empty).
#[derive(Clone, Copy)]
pub(crate) struct Array<E>(pub(crate) E);

impl<'de, E: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for Array<E> {
    type Value = Vec<E::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, E: DeserializeSeed<'de> + Copy> Visitor<'de> for Array<E> {
    type Value = Vec<E::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of numbers or null")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Grown by what is read, never by a size hint a sender chose.
        let mut out = Vec::new();
        while let Some(value) = seq.next_element_seed(self.0)? {
            out.push(value);
        }
        Ok(out)
    }

    fn visit_unit<E2>(self) -> Result<Self::Value, E2> {
        Ok(Vec::new())
    }
}

/// A bool: `true`, `false` or `null` (false).
pub(crate) struct Bool;

impl<'de> DeserializeSeed<'de> for Bool {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bool {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("true, false or null")
    }

    fn visit_bool<E>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// A string, or `null` ("").
pub(crate) struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or null")
    }

    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_unit<E>(self) -> Result<String, E> {
        Ok(String::new())
    }
}

/// Base64 as proto3 JSON parsers read it: padding optional, stray bits in
/// the last character ignored (as Go's and Java's decoders do).
const fn lenient(alphabet: &base64::alphabet::Alphabet) -> GeneralPurpose {
    GeneralPurpose::new(
        alphabet,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    )
}

const STANDARD: GeneralPurpose = lenient(&base64::alphabet::STANDARD);
const URL_SAFE: GeneralPurpose = lenient(&base64::alphabet::URL_SAFE);

/// Decodes base64 in whichever alphabet the text uses.
pub(crate) fn base64(text: &str) -> Option<Vec<u8>> {
    let engine = if text.bytes().any(|b| b == b'-' || b == b'_') {
        &URL_SAFE
    } else {
        &STANDARD
    };
    engine.decode(text).ok()
}

/// A bytes field: base64, or `null` (empty).
pub(crate) struct Bytes;

impl<'de> DeserializeSeed<'de> for Bytes {
    type Value = Vec<u8>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<u8>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bytes {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("base64 text or null")
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Vec<u8>, E> {
        base64(v).ok_or_else(|| E::custom("not base64 (standard or URL-safe, padded or not)"))
    }

    fn visit_unit<E>(self) -> Result<Vec<u8>, E> {
        Ok(Vec::new())
    }
}

/// An id field as sent: the bytes when they decode, the problem when not.
/// Judged by the span (a bad id rejects the span, not the request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawId<const N: usize> {
    /// Absent, `null` or `""`.
    Empty,
    Bytes([u8; N]),
    /// Neither N bytes of hex nor of base64.
    Invalid {
        /// What was sent, cut short.
        shown: String,
        /// Every digit was `0` (a parent id of that kind means "none").
        zero: bool,
    },
}

impl<const N: usize> RawId<N> {
    /// OTLP's hex (any case); base64 of N bytes when the text is not all
    /// hex digits. Text that is all hex is never read as base64, even when
    /// it would decode to N bytes (22 hex digits do, to 16): it is a hex id
    /// of the wrong length. A real base64 id is all hex digits with odds of
    /// about (22/64)^22.
    fn parse(text: &str) -> Self {
        if text.is_empty() {
            return RawId::Empty;
        }
        let digits = text.as_bytes();
        if digits.iter().all(u8::is_ascii_hexdigit) {
            if digits.len() == 2 * N {
                let mut bytes = [0u8; N];
                for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
                    *byte = hex_value(pair[0]) << 4 | hex_value(pair[1]);
                }
                return RawId::Bytes(bytes);
            }
        } else if text.len() <= 4 * N.div_ceil(3) {
            // Longer text cannot be base64 of N bytes; it is not decoded.
            if let Some(decoded) = base64(text) {
                if let Ok(array) = <[u8; N]>::try_from(decoded.as_slice()) {
                    return RawId::Bytes(array);
                }
            }
        }
        RawId::Invalid {
            shown: text.chars().take(40).collect(),
            zero: digits.iter().all(|&b| b == b'0'),
        }
    }
}

/// The value of an ASCII hex digit (checked by the caller).
fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Reads a [`RawId`] of N bytes.
pub(crate) struct Id<const N: usize>;

impl<'de, const N: usize> DeserializeSeed<'de> for Id<N> {
    type Value = RawId<N>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawId<N>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for Id<N> {
    type Value = RawId<N>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an id of {N} bytes as a hex string, or null")
    }

    fn visit_str<E>(self, v: &str) -> Result<RawId<N>, E> {
        Ok(RawId::parse(v))
    }

    fn visit_unit<E>(self) -> Result<RawId<N>, E> {
        Ok(RawId::Empty)
    }
}

/// An enum field as sent: its number, or the text that named no value.
pub(crate) type RawEnum = Result<i64, String>;

/// Reads an enum: a number, a numeric string, a value's name (proto3 JSON
/// allows names; OTLP asks for numbers), or `null` (0).
pub(crate) struct Enum(pub(crate) fn(&str) -> Option<i64>);

impl<'de> DeserializeSeed<'de> for Enum {
    type Value = RawEnum;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawEnum, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Enum {
    type Value = RawEnum;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an enum value (a number or its name) or null")
    }

    fn visit_u64<E>(self, v: u64) -> Result<RawEnum, E> {
        Ok(i64::try_from(v).map_err(|_| v.to_string()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<RawEnum, E> {
        Ok(Ok(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<RawEnum, E> {
        Ok(v.parse()
            .ok()
            .or_else(|| (self.0)(v))
            .ok_or_else(|| format!("'{}'", v.chars().take(40).collect::<String>())))
    }

    fn visit_unit<E>(self) -> Result<RawEnum, E> {
        Ok(Ok(0))
    }
}
