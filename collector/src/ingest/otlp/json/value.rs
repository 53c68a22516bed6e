//! Attributes: `KeyValue` lists and `AnyValue`, the typed value of one.

use serde::de::{Error, IgnoredAny, MapAccess};

use super::fields::{fields, read, Key, List, Message, Msg};
use super::scalar::{Bool, Bytes, Double, Integer, Text};
use super::{Ctx, MAX_VALUE_DEPTH};
use crate::model::{AttributeValue, Attributes};

fields!(KeyValueField {
    Key = "key",
    Value = "value",
});

/// `{"key": ..., "value": {...}}` → one attribute.
pub(crate) struct KeyValue;

impl<S> Message<S> for KeyValue {
    type Out = (String, AttributeValue);
    const WHAT: &'static str = "a KeyValue";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut Ctx<S>, mut map: A) -> Result<Self::Out, A::Error> {
        let mut key = String::new();
        let mut value = AttributeValue::Empty;
        while let Some(field) = map.next_key_seed(Key::<KeyValueField>::new())? {
            match field {
                Some(f @ KeyValueField::Key) => key = read!(ctx, map, f, Text),
                Some(f @ KeyValueField::Value) => {
                    value = read!(ctx, map, f, Msg::<S, AnyValue>::new(ctx))
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((key, value))
    }

    fn null(_: &mut Ctx<S>) -> Self::Out {
        (String::new(), AttributeValue::Empty)
    }
}

/// An attribute list (`attributes`, `kvlistValue.values`).
pub(crate) fn attributes<S>(ctx: &mut Ctx<S>) -> List<'_, S, KeyValue> {
    List::new(ctx)
}

fields!(AnyValueField {
    String = "stringValue" | "string_value",
    Bool = "boolValue" | "bool_value",
    Int = "intValue" | "int_value",
    Double = "doubleValue" | "double_value",
    Bytes = "bytesValue" | "bytes_value",
    Array = "arrayValue" | "array_value",
    Kvlist = "kvlistValue" | "kvlist_value",
});

/// `AnyValue`: one of its typed fields; `{}` (or an unknown one, such as
/// profiling's string-table index) is a value-less attribute.
pub(crate) struct AnyValue;

impl<S> Message<S> for AnyValue {
    type Out = AttributeValue;
    const WHAT: &'static str = "an AnyValue such as {\"stringValue\": \"...\"}";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut Ctx<S>, mut map: A) -> Result<Self::Out, A::Error> {
        if ctx.depth >= MAX_VALUE_DEPTH {
            return Err(A::Error::custom(format!(
                "attribute values nest deeper than {MAX_VALUE_DEPTH} levels"
            )));
        }
        ctx.depth += 1;
        // A oneof sent twice keeps the last, as protobuf's binary merge does.
        let mut value = AttributeValue::Empty;
        while let Some(field) = map.next_key_seed(Key::<AnyValueField>::new())? {
            let Some(field) = field else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            value = match field {
                AnyValueField::String => AttributeValue::String(read!(ctx, map, field, Text)),
                AnyValueField::Bool => AttributeValue::Bool(read!(ctx, map, field, Bool)),
                AnyValueField::Int => {
                    AttributeValue::Int(read!(ctx, map, field, Integer::<i64>::new()))
                }
                AnyValueField::Double => AttributeValue::Double(read!(ctx, map, field, Double)),
                AnyValueField::Bytes => AttributeValue::Bytes(read!(ctx, map, field, Bytes)),
                AnyValueField::Array => {
                    AttributeValue::Array(read!(ctx, map, field, Msg::<S, ArrayValue>::new(ctx)))
                }
                AnyValueField::Kvlist => {
                    AttributeValue::Map(read!(ctx, map, field, Msg::<S, KvlistValue>::new(ctx)))
                }
            };
        }
        ctx.depth -= 1;
        Ok(value)
    }

    fn null(_: &mut Ctx<S>) -> Self::Out {
        AttributeValue::Empty
    }
}

fields!(ValuesField { Values = "values" });

/// `{"values": [AnyValue, ...]}`; `{}` is an empty array.
struct ArrayValue;

impl<S> Message<S> for ArrayValue {
    type Out = Vec<AttributeValue>;
    const WHAT: &'static str = "an ArrayValue";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut Ctx<S>, mut map: A) -> Result<Self::Out, A::Error> {
        let mut values = Vec::new();
        while let Some(field) = map.next_key_seed(Key::<ValuesField>::new())? {
            match field {
                Some(f) => values = read!(ctx, map, f, List::<S, AnyValue>::new(ctx)),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(values)
    }

    fn null(_: &mut Ctx<S>) -> Self::Out {
        Vec::new()
    }
}

/// `{"values": [KeyValue, ...]}`; `{}` is an empty map.
struct KvlistValue;

impl<S> Message<S> for KvlistValue {
    type Out = Attributes;
    const WHAT: &'static str = "a KeyValueList";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut Ctx<S>, mut map: A) -> Result<Self::Out, A::Error> {
        let mut values = Vec::new();
        while let Some(field) = map.next_key_seed(Key::<ValuesField>::new())? {
            match field {
                Some(f) => values = read!(ctx, map, f, attributes(ctx)),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(values)
    }

    fn null(_: &mut Ctx<S>) -> Self::Out {
        Vec::new()
    }
}
