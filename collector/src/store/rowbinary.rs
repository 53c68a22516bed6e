//! ClickHouse's RowBinary encoding, written straight from domain records
//! into a reusable buffer. The store owns encoding so the same bytes can be
//! retried (and later spooled) without re-encoding.

/// Unsigned LEB128, as RowBinary uses for string and array lengths.
pub fn put_varint(buf: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        buf.push((value as u8) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

pub fn put_str(buf: &mut Vec<u8>, value: &[u8]) {
    put_varint(buf, value.len() as u64);
    buf.extend_from_slice(value);
}

pub fn put_u64(buf: &mut Vec<u8>, value: u64) {
    buf.extend_from_slice(&value.to_le_bytes());
}

pub fn put_i64(buf: &mut Vec<u8>, value: i64) {
    buf.extend_from_slice(&value.to_le_bytes());
}

pub fn put_i32(buf: &mut Vec<u8>, value: i32) {
    buf.extend_from_slice(&value.to_le_bytes());
}

pub fn put_u32(buf: &mut Vec<u8>, value: u32) {
    buf.extend_from_slice(&value.to_le_bytes());
}

pub fn put_f64(buf: &mut Vec<u8>, value: f64) {
    buf.extend_from_slice(&value.to_le_bytes());
}

pub fn put_u8(buf: &mut Vec<u8>, value: u8) {
    buf.push(value);
}

/// A `DateTime64(9)` from nanoseconds since the epoch. Values past year 2262
/// do not fit an Int64 and are clamped rather than wrapped into the past.
pub fn put_datetime64_nanos(buf: &mut Vec<u8>, unix_nanos: u64) {
    put_i64(buf, i64::try_from(unix_nanos).unwrap_or(i64::MAX));
}

/// A `DateTime` (whole seconds, a UInt32) from nanoseconds since the
/// epoch: the fraction is dropped, as ClickHouse drops it; past 2106 the
/// value is clamped rather than wrapped into the past.
pub fn put_datetime_seconds(buf: &mut Vec<u8>, unix_nanos: u64) {
    put_u32(
        buf,
        u32::try_from(unix_nanos / 1_000_000_000).unwrap_or(u32::MAX),
    );
}

/// An `Array(UInt64)`.
pub fn put_u64_array(buf: &mut Vec<u8>, values: &[u64]) {
    put_varint(buf, values.len() as u64);
    for &value in values {
        put_u64(buf, value);
    }
}

/// An `Array(Float64)`.
pub fn put_f64_array(buf: &mut Vec<u8>, values: &[f64]) {
    put_varint(buf, values.len() as u64);
    for &value in values {
        put_f64(buf, value);
    }
}

/// A `DateTime64(3)` from milliseconds since the epoch.
pub fn put_datetime64_millis(buf: &mut Vec<u8>, unix_millis: i64) {
    put_i64(buf, unix_millis);
}

/// An `Array(String)`.
pub fn put_str_array<S: AsRef<str>>(buf: &mut Vec<u8>, values: &[S]) {
    put_varint(buf, values.len() as u64);
    for value in values {
        put_str(buf, value.as_ref().as_bytes());
    }
}

/// A `Map(String, String)` (or with `LowCardinality` keys, which RowBinary
/// writes the same), in the map's order.
pub fn put_str_map(buf: &mut Vec<u8>, map: &std::collections::BTreeMap<String, String>) {
    put_varint(buf, map.len() as u64);
    for (key, value) in map {
        put_str(buf, key.as_bytes());
        put_str(buf, value.as_bytes());
    }
}

/// A `Nullable(T)`: a null flag, then the value when there is one.
pub fn put_nullable<T>(buf: &mut Vec<u8>, value: Option<T>, put: impl FnOnce(&mut Vec<u8>, T)) {
    match value {
        Some(value) => {
            put_u8(buf, 0);
            put(buf, value);
        }
        None => put_u8(buf, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_match_leb128() {
        let mut buf = Vec::new();
        put_varint(&mut buf, 0);
        put_varint(&mut buf, 127);
        put_varint(&mut buf, 128);
        put_varint(&mut buf, 300);
        assert_eq!(buf, [0x00, 0x7f, 0x80, 0x01, 0xac, 0x02]);
    }

    #[test]
    fn strings_are_length_prefixed() {
        let mut buf = Vec::new();
        put_str(&mut buf, b"abc");
        assert_eq!(buf, [3, b'a', b'b', b'c']);
    }

    #[test]
    fn timestamps_past_2262_are_clamped() {
        let mut buf = Vec::new();
        put_datetime64_nanos(&mut buf, u64::MAX);
        assert_eq!(buf, i64::MAX.to_le_bytes());
    }
}
