//! Attributes: `KeyValue` and `AnyValue`, with arrays and maps of them,
//! read straight into [`AttributeValue`]s.

use super::wire::{Reader, WireResult, WireType};
use crate::model::{AttributeValue, Attributes};

/// A `KeyValue` field at nesting `depth`, appended to `attributes`.
pub fn attributes_field(
    r: &mut Reader<'_>,
    wire_type: WireType,
    depth: u32,
    attributes: &mut Attributes,
) -> WireResult<()> {
    let index = attributes.len();
    let message = r.message(wire_type, depth)?;
    let pair = key_value(message, depth).map_err(|e| e.within("attributes", Some(index)))?;
    attributes.push(pair);
    Ok(())
}

fn key_value(mut r: Reader<'_>, depth: u32) -> WireResult<(String, AttributeValue)> {
    let mut key = String::new();
    let mut value = None;
    while !r.is_empty() {
        match r.key()? {
            (1, wt) => key = r.string(wt)?,
            (2, wt) => any_value(r.message(wt, depth + 1)?, depth + 1, &mut value)?,
            (3, wt) => drop(r.int32(wt)?),
            (tag, wt) => r.skip(tag, wt, depth)?,
        }
    }
    Ok((key, value.unwrap_or(AttributeValue::Empty)))
}

/// An `AnyValue` at `depth`, merged into `value` as `prost` merges a
/// message field sent twice: a scalar replaces what was there, an array
/// or map sent again extends an array or map already there.
pub fn any_value(
    mut r: Reader<'_>,
    depth: u32,
    value: &mut Option<AttributeValue>,
) -> WireResult<()> {
    while !r.is_empty() {
        match r.key()? {
            (1, wt) => *value = Some(AttributeValue::String(r.string(wt)?)),
            (2, wt) => *value = Some(AttributeValue::Bool(r.uint64(wt)? != 0)),
            (3, wt) => *value = Some(AttributeValue::Int(r.uint64(wt)? as i64)),
            (4, wt) => *value = Some(AttributeValue::Double(f64::from_bits(r.fixed64(wt)?))),
            (5, wt) => {
                let message = r.message(wt, depth + 1)?;
                let mut values = match value.take() {
                    Some(AttributeValue::Array(values)) => values,
                    _ => Vec::new(),
                };
                array_value(message, depth + 1, &mut values)?;
                *value = Some(AttributeValue::Array(values));
            }
            (6, wt) => {
                let message = r.message(wt, depth + 1)?;
                let mut entries = match value.take() {
                    Some(AttributeValue::Map(entries)) => entries,
                    _ => Attributes::new(),
                };
                kvlist_value(message, depth + 1, &mut entries)?;
                *value = Some(AttributeValue::Map(entries));
            }
            (7, wt) => *value = Some(AttributeValue::Bytes(r.bytes(wt)?.to_vec())),
            // A string-table index only means something in the profiling
            // signal: the value is there, but empty.
            (8, wt) => {
                r.int32(wt)?;
                *value = Some(AttributeValue::Empty);
            }
            (tag, wt) => r.skip(tag, wt, depth)?,
        }
    }
    Ok(())
}

/// `ArrayValue` at `depth`: its values appended.
fn array_value(mut r: Reader<'_>, depth: u32, values: &mut Vec<AttributeValue>) -> WireResult<()> {
    while !r.is_empty() {
        match r.key()? {
            (1, wt) => {
                let mut item = None;
                any_value(r.message(wt, depth + 1)?, depth + 1, &mut item)?;
                values.push(item.unwrap_or(AttributeValue::Empty));
            }
            (tag, wt) => r.skip(tag, wt, depth)?,
        }
    }
    Ok(())
}

/// `KeyValueList` at `depth`: its pairs appended.
fn kvlist_value(mut r: Reader<'_>, depth: u32, entries: &mut Attributes) -> WireResult<()> {
    while !r.is_empty() {
        match r.key()? {
            (1, wt) => attributes_field(&mut r, wt, depth + 1, entries)?,
            (tag, wt) => r.skip(tag, wt, depth)?,
        }
    }
    Ok(())
}
