//! `Span`, with its events, links and status, read into a [`RawSpan`] as
//! sent; its resource's group judges it (`judge::judge_span`) once the
//! resource is known. How JSON sends ids and enums, and how refusals name
//! them, is the [`Json`] encoding.

use serde::de::{IgnoredAny, MapAccess};

use super::TraceState;
use crate::ingest::otlp::json::{
    attributes, fields, read, Ctx, Enum, Id, Integer, Key, List, Message, Msg, RawEnum, RawId, Text,
};
use crate::ingest::otlp::traces::judge::{RawLink, RawSpan, SpanEncoding};
use crate::model::{Event, SpanId, TraceId};

fields!(SpanField {
    TraceId = "traceId" | "trace_id",
    SpanId = "spanId" | "span_id",
    ParentSpanId = "parentSpanId" | "parent_span_id",
    TraceState = "traceState" | "trace_state",
    Name = "name",
    Kind = "kind",
    Start = "startTimeUnixNano" | "start_time_unix_nano",
    End = "endTimeUnixNano" | "end_time_unix_nano",
    Attributes = "attributes",
    Events = "events",
    Links = "links",
    Status = "status",
});

/// One span, as sent.
pub(super) struct SpanMessage;

impl<'a> Message<TraceState<'a>> for SpanMessage {
    type Out = RawSpan<Json>;
    const WHAT: &'static str = "a Span";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut Ctx<TraceState<'a>>,
        mut map: A,
    ) -> Result<RawSpan<Json>, A::Error> {
        let mut span = RawSpan::<Json>::default();
        while let Some(field) = map.next_key_seed(Key::<SpanField>::new())? {
            let Some(field) = field else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match field {
                SpanField::TraceId => span.trace_id = Some(read!(ctx, map, field, Id::<16>)),
                SpanField::SpanId => span.span_id = Some(read!(ctx, map, field, Id::<8>)),
                SpanField::ParentSpanId => {
                    span.parent_span_id = Some(read!(ctx, map, field, Id::<8>))
                }
                SpanField::TraceState => span.trace_state = read!(ctx, map, field, Text),
                SpanField::Name => span.name = read!(ctx, map, field, Text),
                SpanField::Kind => span.kind = Some(read!(ctx, map, field, Enum(kind_name))),
                SpanField::Start => {
                    span.start_time_unix_nano = read!(ctx, map, field, Integer::<u64>::new())
                }
                SpanField::End => {
                    span.end_time_unix_nano = read!(ctx, map, field, Integer::<u64>::new())
                }
                SpanField::Attributes => span.attributes = read!(ctx, map, field, attributes(ctx)),
                SpanField::Events => {
                    span.events = read!(ctx, map, field, List::<_, EventMessage>::new(ctx))
                }
                SpanField::Links => {
                    span.links = read!(ctx, map, field, List::<_, LinkMessage>::new(ctx))
                }
                SpanField::Status => {
                    let status = read!(ctx, map, field, Msg::<_, StatusMessage>::new(ctx));
                    span.status_code = status.code;
                    span.status_message = status.message;
                }
            }
        }
        // OTLP/JSON's own dropped counts are not read: the sender's side of
        // `otel.dropped_*` is zero for JSON spans.
        Ok(span)
    }

    /// A `null` span has no ids: rejected like any span without them.
    fn null(_: &mut Ctx<TraceState<'a>>) -> RawSpan<Json> {
        RawSpan::default()
    }
}

/// JSON's ids are hex (or base64) text, absent, or unreadable (quoted back
/// as sent); its enums numbers or names; messages name fields in
/// lowerCamelCase.
pub(crate) struct Json;

impl SpanEncoding for Json {
    type TraceId = Option<RawId<16>>;
    type SpanId = Option<RawId<8>>;
    type Enum = Option<RawEnum>;

    fn trace_id(sent: &Option<RawId<16>>) -> Option<TraceId> {
        match sent {
            Some(RawId::Bytes(bytes)) => TraceId::from_bytes(bytes),
            _ => None,
        }
    }

    fn span_id(sent: &Option<RawId<8>>) -> Option<SpanId> {
        match sent {
            Some(RawId::Bytes(bytes)) => SpanId::from_bytes(bytes),
            _ => None,
        }
    }

    /// No parent, an empty one or all zeros (of any length, as in the
    /// protobuf path): a root span.
    fn parent_span_id(sent: &Option<RawId<8>>) -> Result<Option<SpanId>, ()> {
        match sent {
            None | Some(RawId::Empty) | Some(RawId::Invalid { zero: true, .. }) => Ok(None),
            Some(RawId::Bytes(bytes)) => Ok(SpanId::from_bytes(bytes)),
            Some(RawId::Invalid { .. }) => Err(()),
        }
    }

    fn number(sent: &Option<RawEnum>) -> Option<i64> {
        match sent {
            None => Some(0),
            Some(Ok(number)) => Some(*number),
            Some(Err(_)) => None,
        }
    }

    fn shown(sent: &Option<RawEnum>) -> String {
        match sent {
            None => "0".to_owned(),
            Some(Ok(number)) => number.to_string(),
            Some(Err(text)) => text.clone(),
        }
    }

    fn bad_trace_id(span: &str, sent: &Option<RawId<16>>) -> String {
        invalid_id(span, "traceId", shown(sent), "32 hex digits (16 bytes)")
    }

    fn bad_span_id(span: &str, sent: &Option<RawId<8>>) -> String {
        invalid_id(span, "spanId", shown(sent), "16 hex digits (8 bytes)")
    }

    fn bad_parent_span_id(span: &str, sent: &Option<RawId<8>>) -> String {
        format!(
            "span '{span}': parentSpanId must be empty or 16 hex digits (8 bytes); got '{}'",
            shown(sent).unwrap_or_default()
        )
    }

    fn bad_link(
        span: &str,
        index: usize,
        trace_id: &Option<RawId<16>>,
        span_id: &Option<RawId<8>>,
    ) -> String {
        let quoted = |text: Option<String>| text.map_or("nothing".into(), |t| format!("'{t}'"));
        format!(
            "span '{span}': links[{index}] needs a traceId of 32 and a spanId of 16 hex digits, not all zero; got {} and {}",
            quoted(shown(trace_id)),
            quoted(shown(span_id)),
        )
    }
}

fn invalid_id(span: &str, field: &str, sent: Option<String>, want: &str) -> String {
    let got = match sent {
        None => "nothing".to_owned(),
        Some(text) => format!("'{text}'"),
    };
    format!("span '{span}': {field} must be {want}, not all zero; got {got}")
}

/// An id as quoted in a message.
fn shown<const N: usize>(raw: &Option<RawId<N>>) -> Option<String> {
    match raw {
        None | Some(RawId::Empty) => None,
        Some(RawId::Invalid { shown, .. }) => Some(shown.clone()),
        // The right length, so all zero.
        Some(RawId::Bytes(bytes)) => Some(bytes.iter().map(|b| format!("{b:02x}")).collect()),
    }
}

fn kind_name(name: &str) -> Option<i64> {
    Some(match name {
        "SPAN_KIND_UNSPECIFIED" => 0,
        "SPAN_KIND_INTERNAL" => 1,
        "SPAN_KIND_SERVER" => 2,
        "SPAN_KIND_CLIENT" => 3,
        "SPAN_KIND_PRODUCER" => 4,
        "SPAN_KIND_CONSUMER" => 5,
        _ => return None,
    })
}

fn status_name(name: &str) -> Option<i64> {
    Some(match name {
        "STATUS_CODE_UNSET" => 0,
        "STATUS_CODE_OK" => 1,
        "STATUS_CODE_ERROR" => 2,
        _ => return None,
    })
}

fields!(EventField {
    Time = "timeUnixNano" | "time_unix_nano",
    Name = "name",
    Attributes = "attributes",
});

struct EventMessage;

impl<S> Message<S> for EventMessage {
    type Out = Event;
    const WHAT: &'static str = "a Span.Event";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut Ctx<S>, mut map: A) -> Result<Event, A::Error> {
        let mut event = Self::null(ctx);
        while let Some(field) = map.next_key_seed(Key::<EventField>::new())? {
            let Some(field) = field else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match field {
                EventField::Time => {
                    event.time_unix_nanos = read!(ctx, map, field, Integer::<u64>::new())
                }
                EventField::Name => event.name = read!(ctx, map, field, Text),
                EventField::Attributes => {
                    event.attributes = read!(ctx, map, field, attributes(ctx))
                }
            }
        }
        Ok(event)
    }

    fn null(_: &mut Ctx<S>) -> Event {
        Event {
            time_unix_nanos: 0,
            name: String::new(),
            attributes: Vec::new(),
        }
    }
}

fields!(LinkField {
    TraceId = "traceId" | "trace_id",
    SpanId = "spanId" | "span_id",
    TraceState = "traceState" | "trace_state",
    Attributes = "attributes",
});

struct LinkMessage;

impl<S> Message<S> for LinkMessage {
    type Out = RawLink<Json>;
    const WHAT: &'static str = "a Span.Link";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut Ctx<S>,
        mut map: A,
    ) -> Result<RawLink<Json>, A::Error> {
        let mut link = RawLink::<Json>::default();
        while let Some(field) = map.next_key_seed(Key::<LinkField>::new())? {
            let Some(field) = field else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match field {
                LinkField::TraceId => link.trace_id = Some(read!(ctx, map, field, Id::<16>)),
                LinkField::SpanId => link.span_id = Some(read!(ctx, map, field, Id::<8>)),
                LinkField::TraceState => link.trace_state = read!(ctx, map, field, Text),
                LinkField::Attributes => link.attributes = read!(ctx, map, field, attributes(ctx)),
            }
        }
        Ok(link)
    }

    fn null(_: &mut Ctx<S>) -> RawLink<Json> {
        RawLink::default()
    }
}

fields!(StatusField {
    Code = "code",
    Message = "message",
});

#[derive(Default)]
struct StatusParts {
    code: Option<RawEnum>,
    message: String,
}

struct StatusMessage;

impl<S> Message<S> for StatusMessage {
    type Out = StatusParts;
    const WHAT: &'static str = "a Status";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut Ctx<S>,
        mut map: A,
    ) -> Result<StatusParts, A::Error> {
        let mut status = StatusParts::default();
        while let Some(field) = map.next_key_seed(Key::<StatusField>::new())? {
            match field {
                Some(f @ StatusField::Code) => {
                    status.code = Some(read!(ctx, map, f, Enum(status_name)))
                }
                Some(f @ StatusField::Message) => status.message = read!(ctx, map, f, Text),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(status)
    }

    fn null(_: &mut Ctx<S>) -> StatusParts {
        StatusParts::default()
    }
}
