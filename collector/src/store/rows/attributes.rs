//! Attribute maps as `Map(LowCardinality(String), String)` (and a log
//! record's body as a `String`): how each typed value is rendered as text,
//! matching what OpenTelemetry's own ClickHouse exporter writes so
//! dashboards built for it read ours unchanged.

use std::fmt::Write as _;

use base64::Engine as _;

use crate::model::{AttributeValue, Attributes};
use crate::store::rowbinary::{put_str, put_varint};

/// Appends a `Map(String, String)` value. `scratch` is reused between calls
/// so non-string values cost no allocation once it has grown.
pub fn put_attributes(buf: &mut Vec<u8>, attributes: &Attributes, scratch: &mut String) {
    put_varint(buf, attributes.len() as u64);
    for (key, value) in attributes {
        put_str(buf, key.as_bytes());
        put_value(buf, value, scratch);
    }
}

/// Appends one value as a `String`, rendered as [`render`] does; a string
/// is written as it is, without a copy.
pub fn put_value(buf: &mut Vec<u8>, value: &AttributeValue, scratch: &mut String) {
    match value {
        AttributeValue::String(s) => put_str(buf, s.as_bytes()),
        other => {
            scratch.clear();
            render(other, scratch);
            put_str(buf, scratch.as_bytes());
        }
    }
}

/// Text for one value: strings as-is, numbers and booleans in their shortest
/// exact form, bytes as base64, arrays and maps as JSON.
pub fn render(value: &AttributeValue, out: &mut String) {
    match value {
        AttributeValue::String(s) => out.push_str(s),
        AttributeValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        AttributeValue::Int(i) => {
            let _ = write!(out, "{i}");
        }
        AttributeValue::Double(d) => {
            let _ = write!(out, "{d}");
        }
        AttributeValue::Bytes(bytes) => {
            base64::engine::general_purpose::STANDARD.encode_string(bytes, out)
        }
        AttributeValue::Array(_) | AttributeValue::Map(_) => {
            out.push_str(&to_json(value).to_string());
        }
        AttributeValue::Empty => {}
    }
}

fn to_json(value: &AttributeValue) -> serde_json::Value {
    use serde_json::Value;
    match value {
        AttributeValue::String(s) => Value::String(s.clone()),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Int(i) => Value::from(*i),
        // JSON has no NaN or infinity; those become their text.
        AttributeValue::Double(d) => serde_json::Number::from_f64(*d)
            .map_or_else(|| Value::String(d.to_string()), Value::Number),
        AttributeValue::Bytes(bytes) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        AttributeValue::Array(values) => Value::Array(values.iter().map(to_json).collect()),
        AttributeValue::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        AttributeValue::Empty => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: AttributeValue) -> String {
        let mut out = String::new();
        render(&value, &mut out);
        out
    }

    #[test]
    fn scalars_render_in_shortest_exact_form() {
        assert_eq!(text(AttributeValue::Bool(false)), "false");
        assert_eq!(text(AttributeValue::Int(-17)), "-17");
        assert_eq!(
            text(AttributeValue::Int(9007199254740993)),
            "9007199254740993"
        );
        assert_eq!(text(AttributeValue::Double(19.99)), "19.99");
        assert_eq!(text(AttributeValue::Double(2.0)), "2");
        assert_eq!(text(AttributeValue::Bytes(vec![0, 1, 0xfe])), "AAH+");
    }

    #[test]
    fn arrays_and_maps_render_as_json() {
        let array = AttributeValue::Array(vec![
            AttributeValue::Int(3),
            AttributeValue::Double(0.5),
            AttributeValue::String("x".into()),
            AttributeValue::Bool(true),
        ]);
        assert_eq!(text(array), r#"[3,0.5,"x",true]"#);
        let map = AttributeValue::Map(vec![("k".into(), AttributeValue::Int(1))]);
        assert_eq!(text(map), r#"{"k":1}"#);
    }
}
