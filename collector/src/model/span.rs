//! A span as Jamscope understands it, independent of OTLP's encoding.

use std::fmt;
use std::sync::Arc;

use super::Layer;

/// A W3C trace id: 16 bytes, never all zero.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId(pub [u8; 16]);

/// A span id: 8 bytes, never all zero.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanId(pub [u8; 8]);

macro_rules! hex_id {
    ($name:ident, $len:expr) => {
        impl $name {
            /// Builds the id from raw bytes; `None` when the length is wrong
            /// or every byte is zero (an invalid id in W3C trace context).
            pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
                let array: [u8; $len] = bytes.try_into().ok()?;
                (array != [0; $len]).then_some(Self(array))
            }

            /// Parses lowercase or uppercase hex of exactly the right length.
            pub fn from_hex(hex: &str) -> Option<Self> {
                if hex.len() != $len * 2 {
                    return None;
                }
                let mut array = [0u8; $len];
                for (i, pair) in hex.as_bytes().chunks_exact(2).enumerate() {
                    let high = (pair[0] as char).to_digit(16)?;
                    let low = (pair[1] as char).to_digit(16)?;
                    array[i] = (high * 16 + low) as u8;
                }
                Self::from_bytes(&array)
            }

            /// Writes lowercase hex into `out` without allocating.
            pub fn write_hex(&self, out: &mut Vec<u8>) {
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                for byte in self.0 {
                    out.push(DIGITS[(byte >> 4) as usize]);
                    out.push(DIGITS[(byte & 0xf) as usize]);
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for byte in self.0 {
                    write!(f, "{byte:02x}")?;
                }
                Ok(())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    };
}

hex_id!(TraceId, 16);
hex_id!(SpanId, 8);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl SpanKind {
    /// The spelling used by the OpenTelemetry Collector's ClickHouse exporter,
    /// which Grafana's trace view expects.
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "Unspecified",
            SpanKind::Internal => "Internal",
            SpanKind::Server => "Server",
            SpanKind::Client => "Client",
            SpanKind::Producer => "Producer",
            SpanKind::Consumer => "Consumer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusCode {
    Unset,
    Ok,
    Error,
}

impl StatusCode {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCode::Unset => "Unset",
            StatusCode::Ok => "Ok",
            StatusCode::Error => "Error",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub code: StatusCode,
    pub message: String,
}

/// An attribute value with its type kept, so the store decides how each type
/// is rendered and rules can compare numbers as numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    String(String),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(Vec<u8>),
    Array(Vec<AttributeValue>),
    Map(Attributes),
    /// An attribute that was sent without a value.
    Empty,
}

/// Ordered key/value pairs, as sent. Keys are not deduplicated here: OTLP
/// forbids duplicates, and checking would cost every span a hash set.
pub type Attributes = Vec<(String, AttributeValue)>;

/// What produced a group of spans: shared by all spans of one OTLP
/// `ResourceSpans`, so it is reference-counted rather than copied per span.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub service_name: String,
    pub layer: Layer,
    pub attributes: Attributes,
}

/// The instrumentation library that recorded a span.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scope {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub time_unix_nanos: u64,
    pub name: String,
    pub attributes: Attributes,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub trace_state: String,
    pub attributes: Attributes,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_span_id: Option<SpanId>,
    pub trace_state: String,
    pub name: String,
    pub kind: SpanKind,
    pub start_unix_nanos: u64,
    pub end_unix_nanos: u64,
    pub attributes: Attributes,
    pub events: Vec<Event>,
    pub links: Vec<Link>,
    pub status: Status,
    pub resource: Arc<Resource>,
    pub scope: Arc<Scope>,
}

impl Span {
    /// Duration in nanoseconds; a span that ends before it starts lasts zero.
    pub fn duration_nanos(&self) -> u64 {
        self.end_unix_nanos.saturating_sub(self.start_unix_nanos)
    }
}

/// A server span `GET /` of service `s` from `start` to `end`, nothing
/// else: what tests of one span's rules start from.
#[cfg(test)]
impl Span {
    pub(crate) fn for_tests(start_unix_nanos: u64, end_unix_nanos: u64) -> Span {
        Span {
            trace_id: TraceId([1; 16]),
            span_id: SpanId([2; 8]),
            parent_span_id: None,
            trace_state: String::new(),
            name: "GET /".into(),
            kind: SpanKind::Server,
            start_unix_nanos,
            end_unix_nanos,
            attributes: Vec::new(),
            events: Vec::new(),
            links: Vec::new(),
            status: Status {
                code: StatusCode::Unset,
                message: String::new(),
            },
            resource: Arc::new(Resource {
                service_name: "s".into(),
                layer: crate::model::Layer::Other,
                attributes: Vec::new(),
            }),
            scope: Arc::new(Scope::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_hex() {
        let id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
        assert_eq!(id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        let mut out = Vec::new();
        id.write_hex(&mut out);
        assert_eq!(out, b"4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(
            SpanId::from_hex("00F067AA0BA902B7").unwrap().to_string(),
            "00f067aa0ba902b7"
        );
    }

    #[test]
    fn invalid_ids_are_refused() {
        assert!(TraceId::from_bytes(&[0; 16]).is_none());
        assert!(TraceId::from_bytes(&[1; 15]).is_none());
        assert!(SpanId::from_hex("00f067aa0ba902").is_none());
        assert!(SpanId::from_hex("zzf067aa0ba902b7").is_none());
        assert!(SpanId::from_hex("0000000000000000").is_none());
    }
}
