//! What every OTLP decoder shares, and the reference decoder they are held
//! to.
//!
//! What is decided here holds for every encoding (`otlp_protobuf` and
//! `otlp_json`, both one pass, end in `judge_span` and
//! [`ConvertedTraces`]): which spans are rejected and why, which links are
//! dropped, what the sender is told, and how every span and resource is cut
//! to the configured [`SpanLimits`].
//!
//! [`convert_request`] turns prost's generated messages into the same
//! spans (strings moved, not copied; the resource and scope shared by
//! their spans). No receiver uses it any more: it is what the one-pass
//! decoders are compared with in tests and benchmarks.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1 as otlp;

use crate::model::{
    AttributeValue, Attributes, Event, LayerRules, Link, Resource, Scope, SentDropped, Span,
    SpanId, SpanKind, SpanLimits, Status, StatusCode, TimeWindow, TraceId, Truncation,
};
use crate::telemetry::outcome::{RejectReason, Rejections, Signal};

/// The spans that were valid, and an account of those that were not, for
/// OTLP's partial-success response.
#[derive(Debug, Default)]
pub struct ConvertedTraces {
    pub spans: Vec<Span>,
    /// Spans refused, by reason (for the metrics).
    pub rejections: Rejections,
    /// The first reason a span was rejected; OTLP has room for one message.
    pub rejection_reason: Option<String>,
    /// Links dropped from spans that were kept (their ids were invalid).
    pub dropped_links: u64,
    /// Why the first of them was dropped.
    pub link_warning: Option<String>,
    /// Spans (and resources) the limits cut, and what they lost.
    pub truncated: u64,
    pub truncation: Truncation,
    /// What every kept span and resource is cut to.
    limits: SpanLimits,
}

impl ConvertedTraces {
    /// Nothing converted yet; spans and resources will be cut to `limits`.
    pub fn new(limits: &SpanLimits, span_capacity: usize) -> Self {
        Self {
            spans: Vec::with_capacity(span_capacity),
            limits: *limits,
            ..Default::default()
        }
    }

    pub fn rejected(&self) -> u64 {
        self.rejections.total()
    }

    pub(super) fn reject(&mut self, reason: RejectReason, message: impl FnOnce() -> String) {
        self.rejections.add(Signal::Spans, reason, 1);
        if self.rejection_reason.is_none() {
            self.rejection_reason = Some(message());
        }
    }

    /// A link that carries no usable context is dropped and its span kept:
    /// the span itself is valid, and refusing it would lose more than the
    /// link holds. The sender still hears of it (`message`).
    pub(super) fn drop_link(&mut self, message: impl FnOnce() -> String) {
        self.dropped_links += 1;
        if self.link_warning.is_none() {
            self.link_warning = Some(message());
        }
    }

    /// Keeps `span` when its times can be stored, cut to the limits (the
    /// sender's own dropped counts added to ours); rejects it otherwise.
    pub(super) fn push(&mut self, mut span: Span, window: &TimeWindow, sent: SentDropped) {
        match window.check(&span) {
            Some(message) => self.reject(RejectReason::TimeWindow, || message),
            None => {
                let cut = self.limits.apply(&mut span, sent);
                self.count_truncation(cut);
                self.spans.push(span);
            }
        }
    }

    /// A resource's attributes cut to the limits.
    pub(super) fn limit_resource(&mut self, attributes: &mut Attributes) {
        let cut = self.limits.apply_to_resource(attributes);
        self.count_truncation(cut);
    }

    fn count_truncation(&mut self, cut: Truncation) {
        if cut.any() {
            self.truncated += 1;
            self.truncation.add(&cut);
        }
    }

    /// What the partial-success response says: the first rejection and,
    /// when links were dropped, how many and why. OTLP lets a server warn
    /// with `rejected_spans` 0 and a message, which is what dropped links
    /// alone produce.
    pub fn message(&self) -> Option<String> {
        let links = self.link_warning.as_ref().map(|first| {
            let n = self.dropped_links;
            let s = if n == 1 { "" } else { "s" };
            format!(
                "{n} link{s} with an invalid trace or span id dropped, spans kept (first: {first})"
            )
        });
        match (&self.rejection_reason, links) {
            (Some(reason), Some(links)) => Some(format!("{reason}; {links}")),
            (Some(reason), None) => Some(reason.clone()),
            (None, links) => links,
        }
    }
}

/// Converts every span; those whose ids are malformed, whose kind or status
/// is outside OTLP's enums, or whose times `window` refuses are counted as
/// rejected instead. Spans and resources larger than `limits` are cut (and
/// say so).
pub fn convert_request(
    request: ExportTraceServiceRequest,
    layers: &LayerRules,
    window: &TimeWindow,
    limits: &SpanLimits,
) -> ConvertedTraces {
    let span_count = request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum();
    let mut out = ConvertedTraces::new(limits, span_count);
    for resource_spans in request.resource_spans {
        let mut attributes = convert_attributes(
            resource_spans
                .resource
                .map(|r| r.attributes)
                .unwrap_or_default(),
        );
        out.limit_resource(&mut attributes);
        let resource = Arc::new(resource_from(attributes, layers));
        for scope_spans in resource_spans.scope_spans {
            let scope = Arc::new(scope_spans.scope.map_or_else(Scope::default, |s| Scope {
                name: s.name,
                version: s.version,
            }));
            for span in scope_spans.spans {
                convert_span(span, &resource, &scope, window, &mut out);
            }
        }
    }
    out
}

/// The resource of a group of spans: its service name and layer come from
/// its attributes.
pub(super) fn resource_from(attributes: Attributes, layers: &LayerRules) -> Resource {
    let string_attribute = |key: &str| {
        attributes.iter().find_map(|(k, v)| match v {
            AttributeValue::String(s) if k == key => Some(s.as_str()),
            _ => None,
        })
    };
    // OpenTelemetry's documented default when a service does not name itself.
    let service_name = string_attribute("service.name")
        .unwrap_or("unknown_service")
        .to_owned();
    let layer = layers.resolve(
        string_attribute(crate::model::Layer::RESOURCE_ATTRIBUTE),
        &service_name,
    );
    Resource {
        service_name,
        layer,
        attributes,
    }
}

/// A span's name as quoted in messages: cut short, so a hostile name does
/// not become a hostile response.
pub(super) fn quoted_name(name: &str) -> String {
    name.chars().take(100).collect()
}

/// OTLP's `Span.SpanKind`; `None` for a value outside the enum.
pub(super) fn span_kind(kind: i64) -> Option<SpanKind> {
    Some(match kind {
        0 => SpanKind::Unspecified,
        1 => SpanKind::Internal,
        2 => SpanKind::Server,
        3 => SpanKind::Client,
        4 => SpanKind::Producer,
        5 => SpanKind::Consumer,
        _ => return None,
    })
}

/// OTLP's `Status.StatusCode`; `None` for a value outside the enum.
pub(super) fn status_code(code: i64) -> Option<StatusCode> {
    Some(match code {
        0 => StatusCode::Unset,
        1 => StatusCode::Ok,
        2 => StatusCode::Error,
        _ => return None,
    })
}

/// Why a span is refused for an enum value outside OTLP's: storing it as
/// `Unspecified` or `Unset` would misreport it (a status meant as an error
/// would count as fine), so the sender is told instead.
pub(super) fn enum_refusal(
    name: &str,
    field: &str,
    value: &dyn std::fmt::Display,
    range: &str,
) -> String {
    format!(
        "span '{}': {field} {value} is outside the OTLP enum ({range})",
        quoted_name(name)
    )
}

pub(super) const KIND_RANGE: &str = "0 to 5";
pub(super) const STATUS_RANGE: &str = "0 to 2";

/// A span as decoded from protobuf, before it is judged: ids still raw
/// bytes (borrowed from the message or the body), enums still numbers.
/// Both protobuf decoders (the generated types, and `otlp_protobuf` in one
/// pass) end in [`judge_span`], so they keep and refuse the same spans.
#[derive(Debug, Default)]
pub(super) struct RawSpan<'a> {
    pub trace_id: &'a [u8],
    pub span_id: &'a [u8],
    pub parent_span_id: &'a [u8],
    pub trace_state: String,
    pub name: String,
    pub kind: i32,
    pub start_time_unix_nano: u64,
    pub end_time_unix_nano: u64,
    pub attributes: Attributes,
    pub events: Vec<Event>,
    pub links: Vec<RawLink<'a>>,
    pub status_code: i32,
    pub status_message: String,
    pub sent: SentDropped,
}

#[derive(Debug, Default)]
pub(super) struct RawLink<'a> {
    pub trace_id: &'a [u8],
    pub span_id: &'a [u8],
    pub trace_state: String,
    pub attributes: Attributes,
}

fn convert_span(
    span: otlp::Span,
    resource: &Arc<Resource>,
    scope: &Arc<Scope>,
    window: &TimeWindow,
    out: &mut ConvertedTraces,
) {
    let status = span.status.unwrap_or_default();
    let mut links = span.links;
    let raw = RawSpan {
        trace_id: &span.trace_id,
        span_id: &span.span_id,
        parent_span_id: &span.parent_span_id,
        trace_state: span.trace_state,
        name: span.name,
        kind: span.kind,
        start_time_unix_nano: span.start_time_unix_nano,
        end_time_unix_nano: span.end_time_unix_nano,
        attributes: convert_attributes(span.attributes),
        events: span
            .events
            .into_iter()
            .map(|event| Event {
                time_unix_nanos: event.time_unix_nano,
                name: event.name,
                attributes: convert_attributes(event.attributes),
            })
            .collect(),
        links: links
            .iter_mut()
            .map(|link| RawLink {
                trace_id: &link.trace_id,
                span_id: &link.span_id,
                trace_state: std::mem::take(&mut link.trace_state),
                attributes: convert_attributes(std::mem::take(&mut link.attributes)),
            })
            .collect(),
        status_code: status.code,
        status_message: status.message,
        sent: SentDropped {
            attributes: span.dropped_attributes_count,
            events: span.dropped_events_count,
            links: span.dropped_links_count,
        },
    };
    judge_span(raw, resource, scope, window, out);
}

/// Keeps `span` (in `out.spans`, cut to the limits) or rejects it with the
/// reason the sender is told: ids of the wrong length or all zero, a kind
/// or status outside OTLP's enums, times `window` refuses. Links without a
/// usable context are dropped from a kept span.
pub(super) fn judge_span(
    span: RawSpan<'_>,
    resource: &Arc<Resource>,
    scope: &Arc<Scope>,
    window: &TimeWindow,
    out: &mut ConvertedTraces,
) {
    let Some(trace_id) = TraceId::from_bytes(span.trace_id) else {
        out.reject(RejectReason::InvalidId, || {
            format!(
                "span '{}': trace_id must be 16 bytes and not all zero, got {} bytes",
                quoted_name(&span.name),
                span.trace_id.len()
            )
        });
        return;
    };
    let Some(span_id) = SpanId::from_bytes(span.span_id) else {
        out.reject(RejectReason::InvalidId, || {
            format!(
                "span '{}': span_id must be 8 bytes and not all zero, got {} bytes",
                quoted_name(&span.name),
                span.span_id.len()
            )
        });
        return;
    };
    // An empty parent id means a root span; anything else must be a valid id.
    let parent_span_id = if span.parent_span_id.is_empty() {
        None
    } else {
        match SpanId::from_bytes(span.parent_span_id) {
            Some(id) => Some(id),
            None if span.parent_span_id.iter().all(|&b| b == 0) => None,
            None => {
                out.reject(RejectReason::InvalidId, || {
                    format!(
                        "span '{}': parent_span_id must be empty or 8 bytes, got {} bytes",
                        quoted_name(&span.name),
                        span.parent_span_id.len()
                    )
                });
                return;
            }
        }
    };
    let Some(kind) = span_kind(i64::from(span.kind)) else {
        out.reject(RejectReason::InvalidValue, || {
            enum_refusal(&span.name, "kind", &span.kind, KIND_RANGE)
        });
        return;
    };
    let Some(code) = status_code(i64::from(span.status_code)) else {
        out.reject(RejectReason::InvalidValue, || {
            enum_refusal(&span.name, "status.code", &span.status_code, STATUS_RANGE)
        });
        return;
    };
    let mut links = Vec::with_capacity(span.links.len());
    for (index, link) in span.links.into_iter().enumerate() {
        match (
            TraceId::from_bytes(link.trace_id),
            SpanId::from_bytes(link.span_id),
        ) {
            (Some(trace_id), Some(span_id)) => links.push(Link {
                trace_id,
                span_id,
                trace_state: link.trace_state,
                attributes: link.attributes,
            }),
            _ => out.drop_link(|| {
                format!(
                    "span '{}': links[{index}] needs a 16-byte trace_id and an 8-byte span_id, not all zero; got {} and {} bytes",
                    quoted_name(&span.name),
                    link.trace_id.len(),
                    link.span_id.len()
                )
            }),
        }
    }
    let sent = span.sent;
    let span = Span {
        trace_id,
        span_id,
        parent_span_id,
        trace_state: span.trace_state,
        name: span.name,
        kind,
        start_unix_nanos: span.start_time_unix_nano,
        end_unix_nanos: span.end_time_unix_nano,
        attributes: span.attributes,
        events: span.events,
        links,
        status: Status {
            code,
            message: span.status_message,
        },
        resource: Arc::clone(resource),
        scope: Arc::clone(scope),
    };
    out.push(span, window, sent);
}

pub(crate) fn convert_attributes(attributes: Vec<KeyValue>) -> Attributes {
    attributes
        .into_iter()
        .map(|kv| (kv.key, convert_value(kv.value)))
        .collect()
}

fn convert_value(value: Option<AnyValue>) -> AttributeValue {
    match value.and_then(|v| v.value) {
        Some(any_value::Value::StringValue(s)) => AttributeValue::String(s),
        Some(any_value::Value::BoolValue(b)) => AttributeValue::Bool(b),
        Some(any_value::Value::IntValue(i)) => AttributeValue::Int(i),
        Some(any_value::Value::DoubleValue(d)) => AttributeValue::Double(d),
        Some(any_value::Value::BytesValue(b)) => AttributeValue::Bytes(b),
        Some(any_value::Value::ArrayValue(array)) => AttributeValue::Array(
            array
                .values
                .into_iter()
                .map(|v| convert_value(Some(v)))
                .collect(),
        ),
        Some(any_value::Value::KvlistValue(list)) => {
            AttributeValue::Map(convert_attributes(list.values))
        }
        // A string-table index only means something in the profiling signal.
        Some(any_value::Value::StringValueStrindex(_)) | None => AttributeValue::Empty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Layer, LayerRule};
    use opentelemetry_proto::tonic::resource::v1::Resource as OtlpResource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};

    fn kv(key: &str, value: any_value::Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        }
    }

    fn request(resource: Vec<KeyValue>, spans: Vec<otlp::Span>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(OtlpResource {
                    attributes: resource,
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    fn valid_span(name: &str) -> otlp::Span {
        otlp::Span {
            trace_id: vec![7; 16],
            span_id: vec![3; 8],
            name: name.into(),
            kind: otlp::span::SpanKind::Server as i32,
            start_time_unix_nano: 1_000_000_001,
            end_time_unix_nano: 1_000_000_501,
            ..Default::default()
        }
    }

    #[test]
    fn converts_values_of_every_type_and_keeps_order() {
        let mut span = valid_span("typed");
        span.attributes = vec![
            kv("s", any_value::Value::StringValue("x".into())),
            kv("b", any_value::Value::BoolValue(true)),
            kv("i", any_value::Value::IntValue(-3)),
            kv("d", any_value::Value::DoubleValue(0.5)),
            kv("y", any_value::Value::BytesValue(vec![1, 2])),
        ];
        let converted = convert_request(
            request(vec![], vec![span]),
            &LayerRules::default(),
            &TimeWindow::UNBOUNDED,
            &SpanLimits::default(),
        );
        let attributes = &converted.spans[0].attributes;
        assert_eq!(
            attributes[0],
            ("s".into(), AttributeValue::String("x".into()))
        );
        assert_eq!(attributes[1].1, AttributeValue::Bool(true));
        assert_eq!(attributes[2].1, AttributeValue::Int(-3));
        assert_eq!(attributes[3].1, AttributeValue::Double(0.5));
        assert_eq!(attributes[4].1, AttributeValue::Bytes(vec![1, 2]));
    }

    #[test]
    fn oversized_spans_are_cut_marked_and_counted() {
        let mut span = valid_span("big");
        span.attributes = vec![kv(
            "payload",
            any_value::Value::StringValue("x".repeat(100_000)),
        )];
        span.dropped_attributes_count = 2;
        let limits = SpanLimits {
            max_value_bytes: 1000,
            ..SpanLimits::default()
        };
        let converted = convert_request(
            request(vec![], vec![span, valid_span("small")]),
            &LayerRules::default(),
            &TimeWindow::UNBOUNDED,
            &limits,
        );
        let big = &converted.spans[0].attributes;
        assert_eq!(big[0].1, AttributeValue::String("x".repeat(1000)));
        assert!(big.contains(&(
            crate::model::TRUNCATED_ATTRIBUTE.into(),
            AttributeValue::Bool(true)
        )));
        assert!(big.contains(&(
            "otel.dropped_attributes_count".into(),
            AttributeValue::Int(2)
        )));
        assert!(converted.spans[1].attributes.is_empty());
        assert_eq!((converted.truncated, converted.truncation.values), (1, 1));
    }

    #[test]
    fn invalid_ids_are_rejected_one_by_one() {
        let mut bad = valid_span("bad");
        bad.trace_id = vec![1; 8];
        let converted = convert_request(
            request(vec![], vec![valid_span("good"), bad]),
            &LayerRules::default(),
            &TimeWindow::UNBOUNDED,
            &SpanLimits::default(),
        );
        assert_eq!(converted.spans.len(), 1);
        assert_eq!(converted.rejected(), 1);
        assert_eq!(
            converted
                .rejections
                .count(Signal::Spans, RejectReason::InvalidId),
            1
        );
        assert!(converted.rejection_reason.unwrap().contains("'bad'"));
    }

    #[test]
    fn rejections_are_counted_by_reason() {
        let mut backwards = valid_span("backwards");
        backwards.end_time_unix_nano = backwards.start_time_unix_nano - 1;
        let mut no_parent = valid_span("orphan");
        no_parent.parent_span_id = vec![1; 3];
        let converted = convert_request(
            request(vec![], vec![backwards, no_parent, valid_span("good")]),
            &LayerRules::default(),
            &TimeWindow::UNBOUNDED,
            &SpanLimits::default(),
        );
        assert_eq!(converted.spans.len(), 1);
        let count = |reason| converted.rejections.count(Signal::Spans, reason);
        assert_eq!(count(RejectReason::TimeWindow), 1);
        assert_eq!(count(RejectReason::InvalidId), 1);
        assert!(converted
            .rejection_reason
            .unwrap()
            .contains("'backwards': end_time_unix_nano"));
    }

    #[test]
    fn service_name_and_layer_come_from_the_resource() {
        let rules = LayerRules::new(vec![LayerRule {
            service: "strapi*".into(),
            layer: Layer::Cms,
        }]);
        let converted = convert_request(
            request(
                vec![kv(
                    "service.name",
                    any_value::Value::StringValue("strapi-eu".into()),
                )],
                vec![valid_span("a")],
            ),
            &rules,
            &TimeWindow::UNBOUNDED,
            &SpanLimits::default(),
        );
        let resource = &converted.spans[0].resource;
        assert_eq!(resource.service_name, "strapi-eu");
        assert_eq!(resource.layer, Layer::Cms);

        let unnamed = convert_request(
            request(vec![], vec![valid_span("a")]),
            &rules,
            &TimeWindow::UNBOUNDED,
            &SpanLimits::default(),
        );
        assert_eq!(unnamed.spans[0].resource.service_name, "unknown_service");
        assert_eq!(unnamed.spans[0].resource.layer, Layer::Other);
    }

    #[test]
    fn out_of_range_enums_reject_the_span_naming_the_field() {
        let mut kind = valid_span("kind-9");
        kind.kind = 9;
        let mut status = valid_span("status-7");
        status.status = Some(otlp::Status {
            code: 7,
            ..Default::default()
        });
        let converted = convert_request(
            request(vec![], vec![kind, status, valid_span("good")]),
            &LayerRules::default(),
            &TimeWindow::UNBOUNDED,
            &SpanLimits::default(),
        );
        assert_eq!(converted.spans.len(), 1);
        assert_eq!(
            converted
                .rejections
                .count(Signal::Spans, RejectReason::InvalidValue),
            2
        );
        let message = converted.message().unwrap();
        assert!(
            message.contains("span 'kind-9': kind 9 is outside the OTLP enum"),
            "{message}"
        );
    }

    #[test]
    fn links_with_invalid_ids_are_dropped_counted_and_told() {
        let mut span = valid_span("linked");
        span.links = vec![
            otlp::span::Link {
                trace_id: vec![1; 16],
                span_id: vec![2; 8],
                ..Default::default()
            },
            otlp::span::Link {
                trace_id: vec![1; 3],
                span_id: vec![2; 8],
                ..Default::default()
            },
        ];
        let converted = convert_request(
            request(vec![], vec![span]),
            &LayerRules::default(),
            &TimeWindow::UNBOUNDED,
            &SpanLimits::default(),
        );
        assert_eq!(converted.spans[0].links.len(), 1);
        assert_eq!((converted.rejected(), converted.dropped_links), (0, 1));
        let message = converted.message().unwrap();
        assert!(
            message.contains("1 link with an invalid trace or span id dropped")
                && message.contains("links[1]"),
            "{message}"
        );
    }
}
