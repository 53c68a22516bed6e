//! `Span`, with its events, links and status. A span's fields are gathered
//! as its object is read and judged when it closes (its name, needed by
//! every message, may come last); the rules are `otlp_convert`'s.

use std::sync::Arc;

use serde::de::{IgnoredAny, MapAccess};

use super::fields::{fields, read, Key, List, Message, Msg};
use super::scalar::{Enum, Id, Integer, RawEnum, RawId, Text};
use super::value::attributes;
use super::Ctx;
use crate::ingest::otlp_convert::{
    enum_refusal, quoted_name, span_kind, status_code, KIND_RANGE, STATUS_RANGE,
};
use crate::model::{Attributes, Event, Link, SentDropped, Span, SpanId, Status, TraceId};
use crate::telemetry::outcome::RejectReason;

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

/// A span's fields as read, before they are judged.
#[derive(Default)]
struct Parts {
    trace_id: Option<RawId<16>>,
    span_id: Option<RawId<8>>,
    parent_span_id: Option<RawId<8>>,
    trace_state: String,
    name: String,
    kind: Option<RawEnum>,
    start: u64,
    end: u64,
    attributes: Attributes,
    events: Vec<Event>,
    links: Vec<LinkParts>,
    status: Option<StatusParts>,
}

/// One span, decoded and then kept or rejected into `ctx.out`.
pub(super) struct SpanMessage;

impl Message for SpanMessage {
    type Out = ();
    const WHAT: &'static str = "a Span";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut Ctx<'_>, mut map: A) -> Result<(), A::Error> {
        let mut parts = Parts::default();
        while let Some(field) = map.next_key_seed(Key::<SpanField>::new())? {
            let Some(field) = field else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match field {
                SpanField::TraceId => parts.trace_id = Some(read!(ctx, map, field, Id::<16>)),
                SpanField::SpanId => parts.span_id = Some(read!(ctx, map, field, Id::<8>)),
                SpanField::ParentSpanId => {
                    parts.parent_span_id = Some(read!(ctx, map, field, Id::<8>))
                }
                SpanField::TraceState => parts.trace_state = read!(ctx, map, field, Text),
                SpanField::Name => parts.name = read!(ctx, map, field, Text),
                SpanField::Kind => parts.kind = Some(read!(ctx, map, field, Enum(kind_name))),
                SpanField::Start => parts.start = read!(ctx, map, field, Integer::<u64>::new()),
                SpanField::End => parts.end = read!(ctx, map, field, Integer::<u64>::new()),
                SpanField::Attributes => parts.attributes = read!(ctx, map, field, attributes(ctx)),
                SpanField::Events => {
                    parts.events = read!(ctx, map, field, List::<EventMessage>::new(ctx))
                }
                SpanField::Links => {
                    parts.links = read!(ctx, map, field, List::<LinkMessage>::new(ctx))
                }
                SpanField::Status => {
                    parts.status = Some(read!(ctx, map, field, Msg::<StatusMessage>::new(ctx)))
                }
            }
        }
        judge(ctx, parts);
        Ok(())
    }

    /// A `null` span has no ids: rejected like any span without them.
    fn null(ctx: &mut Ctx<'_>) {
        judge(ctx, Parts::default());
    }
}

/// Keeps the span or rejects it, with the same reasons as the protobuf
/// path (`otlp_convert`), fields named as they are in JSON.
fn judge(ctx: &mut Ctx<'_>, parts: Parts) {
    let out = &mut ctx.out;
    let name = &parts.name;
    let invalid_id = |field: &str, raw: Option<&str>, want: &str| {
        let got = match raw {
            None => "nothing".to_owned(),
            Some(text) => format!("'{text}'"),
        };
        format!(
            "span '{}': {field} must be {want}, not all zero; got {got}",
            quoted_name(name)
        )
    };
    let trace_id = match &parts.trace_id {
        Some(RawId::Bytes(bytes)) => TraceId::from_bytes(bytes),
        _ => None,
    };
    let Some(trace_id) = trace_id else {
        let raw = shown(&parts.trace_id);
        out.reject(RejectReason::InvalidId, || {
            invalid_id("traceId", raw.as_deref(), "32 hex digits (16 bytes)")
        });
        return;
    };
    let span_id = match &parts.span_id {
        Some(RawId::Bytes(bytes)) => SpanId::from_bytes(bytes),
        _ => None,
    };
    let Some(span_id) = span_id else {
        let raw = shown(&parts.span_id);
        out.reject(RejectReason::InvalidId, || {
            invalid_id("spanId", raw.as_deref(), "16 hex digits (8 bytes)")
        });
        return;
    };
    // No parent, an empty one or all zeros (of any length, as in the
    // protobuf path): a root span.
    let parent_span_id = match &parts.parent_span_id {
        None | Some(RawId::Empty) | Some(RawId::Invalid { zero: true, .. }) => None,
        Some(RawId::Bytes(bytes)) => SpanId::from_bytes(bytes),
        Some(RawId::Invalid { shown: text, .. }) => {
            out.reject(RejectReason::InvalidId, || {
                format!(
                    "span '{}': parentSpanId must be empty or 16 hex digits (8 bytes); got '{text}'",
                    quoted_name(name)
                )
            });
            return;
        }
    };
    let kind = match &parts.kind {
        None => span_kind(0),
        Some(Ok(number)) => span_kind(*number),
        Some(Err(_)) => None,
    };
    let Some(kind) = kind else {
        let value = enum_shown(&parts.kind);
        out.reject(RejectReason::InvalidValue, || {
            enum_refusal(name, "kind", &value, KIND_RANGE)
        });
        return;
    };
    let status = parts.status.unwrap_or_default();
    let code = match &status.code {
        None => status_code(0),
        Some(Ok(number)) => status_code(*number),
        Some(Err(_)) => None,
    };
    let Some(code) = code else {
        let value = enum_shown(&status.code);
        out.reject(RejectReason::InvalidValue, || {
            enum_refusal(name, "status.code", &value, STATUS_RANGE)
        });
        return;
    };
    let mut links = Vec::with_capacity(parts.links.len());
    for (index, link) in parts.links.into_iter().enumerate() {
        match link.into_link() {
            Ok(link) => links.push(link),
            Err(problem) => {
                out.drop_link(|| format!("span '{}': links[{index}] {problem}", quoted_name(name)))
            }
        }
    }
    let span = Span {
        trace_id,
        span_id,
        parent_span_id,
        trace_state: parts.trace_state,
        name: parts.name,
        kind,
        start_unix_nanos: parts.start,
        end_unix_nanos: parts.end,
        attributes: parts.attributes,
        events: parts.events,
        links,
        status: Status {
            code,
            message: status.message,
        },
        // Set by the enclosing scope spans and resource spans, when they close.
        resource: Arc::clone(&ctx.placeholder_resource),
        scope: Arc::clone(&ctx.placeholder_scope),
    };
    // OTLP/JSON's own dropped counts are not read: the sender's side of
    // `otel.dropped_*` is zero for JSON spans.
    out.push(span, ctx.window, SentDropped::default());
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

fn enum_shown(raw: &Option<RawEnum>) -> String {
    match raw {
        None => "0".to_owned(),
        Some(Ok(number)) => number.to_string(),
        Some(Err(text)) => text.clone(),
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

impl Message for EventMessage {
    type Out = Event;
    const WHAT: &'static str = "a Span.Event";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut Ctx<'_>, mut map: A) -> Result<Event, A::Error> {
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

    fn null(_: &mut Ctx<'_>) -> Event {
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

/// A link as read; its ids are judged with its span.
struct LinkParts {
    trace_id: RawId<16>,
    span_id: RawId<8>,
    trace_state: String,
    attributes: Attributes,
}

impl LinkParts {
    /// The link, or why it carries no usable context.
    fn into_link(self) -> Result<Link, String> {
        let trace_id = match &self.trace_id {
            RawId::Bytes(bytes) => TraceId::from_bytes(bytes),
            _ => None,
        };
        let span_id = match &self.span_id {
            RawId::Bytes(bytes) => SpanId::from_bytes(bytes),
            _ => None,
        };
        match (trace_id, span_id) {
            (Some(trace_id), Some(span_id)) => Ok(Link {
                trace_id,
                span_id,
                trace_state: self.trace_state,
                attributes: self.attributes,
            }),
            _ => Err(format!(
                "needs a traceId of 32 and a spanId of 16 hex digits, not all zero; got {} and {}",
                shown(&Some(self.trace_id)).map_or("nothing".into(), |t| format!("'{t}'")),
                shown(&Some(self.span_id)).map_or("nothing".into(), |t| format!("'{t}'")),
            )),
        }
    }
}

struct LinkMessage;

impl Message for LinkMessage {
    type Out = LinkParts;
    const WHAT: &'static str = "a Span.Link";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut Ctx<'_>,
        mut map: A,
    ) -> Result<LinkParts, A::Error> {
        let mut link = Self::null(ctx);
        while let Some(field) = map.next_key_seed(Key::<LinkField>::new())? {
            let Some(field) = field else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match field {
                LinkField::TraceId => link.trace_id = read!(ctx, map, field, Id::<16>),
                LinkField::SpanId => link.span_id = read!(ctx, map, field, Id::<8>),
                LinkField::TraceState => link.trace_state = read!(ctx, map, field, Text),
                LinkField::Attributes => link.attributes = read!(ctx, map, field, attributes(ctx)),
            }
        }
        Ok(link)
    }

    fn null(_: &mut Ctx<'_>) -> LinkParts {
        LinkParts {
            trace_id: RawId::Empty,
            span_id: RawId::Empty,
            trace_state: String::new(),
            attributes: Vec::new(),
        }
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

impl Message for StatusMessage {
    type Out = StatusParts;
    const WHAT: &'static str = "a Status";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut Ctx<'_>,
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

    fn null(_: &mut Ctx<'_>) -> StatusParts {
        StatusParts::default()
    }
}
