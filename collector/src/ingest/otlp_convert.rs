//! OTLP trace messages → domain spans. Strings are moved out of the decoded
//! message, never copied; the resource and scope are shared by their spans.
//! Every span and resource is cut to the configured [`SpanLimits`].

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1 as otlp;

use super::outcome::{RejectReason, Rejections, Signal};
use crate::model::{
    AttributeValue, Attributes, Event, LayerRules, Link, Resource, Scope, SentDropped, Span,
    SpanId, SpanKind, SpanLimits, Status, StatusCode, TimeWindow, TraceId, Truncation,
};

/// The spans that were valid, and an account of those that were not, for
/// OTLP's partial-success response.
#[derive(Debug, Default)]
pub struct ConvertedTraces {
    pub spans: Vec<Span>,
    /// Spans refused, by reason (for the metrics).
    pub rejections: Rejections,
    /// The first reason a span was rejected; OTLP has room for one message.
    pub rejection_reason: Option<String>,
    /// Spans (and resources) the limits cut, and what they lost.
    pub truncated: u64,
    pub truncation: Truncation,
}

impl ConvertedTraces {
    pub fn rejected(&self) -> u64 {
        self.rejections.total()
    }

    fn count_truncation(&mut self, cut: Truncation) {
        if cut.any() {
            self.truncated += 1;
            self.truncation.add(&cut);
        }
    }

    fn reject(&mut self, reason: RejectReason, message: impl FnOnce() -> String) {
        self.rejections.add(Signal::Spans, reason, 1);
        if self.rejection_reason.is_none() {
            self.rejection_reason = Some(message());
        }
    }
}

/// Converts every span; those whose ids are malformed or whose times
/// `window` refuses are counted as rejected instead. Spans and resources
/// larger than `limits` are cut (and say so).
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
    let mut out = ConvertedTraces {
        spans: Vec::with_capacity(span_count),
        ..Default::default()
    };
    for resource_spans in request.resource_spans {
        let resource = Arc::new(convert_resource(
            resource_spans
                .resource
                .map(|r| r.attributes)
                .unwrap_or_default(),
            layers,
            limits,
            &mut out,
        ));
        for scope_spans in resource_spans.scope_spans {
            let scope = Arc::new(scope_spans.scope.map_or_else(Scope::default, |s| Scope {
                name: s.name,
                version: s.version,
            }));
            for span in scope_spans.spans {
                convert_span(span, &resource, &scope, window, limits, &mut out);
            }
        }
    }
    out
}

fn convert_resource(
    attributes: Vec<KeyValue>,
    layers: &LayerRules,
    limits: &SpanLimits,
    out: &mut ConvertedTraces,
) -> Resource {
    let mut attributes = convert_attributes(attributes);
    out.count_truncation(limits.apply_to_resource(&mut attributes));
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

fn convert_span(
    span: otlp::Span,
    resource: &Arc<Resource>,
    scope: &Arc<Scope>,
    window: &TimeWindow,
    limits: &SpanLimits,
    out: &mut ConvertedTraces,
) {
    let Some(trace_id) = TraceId::from_bytes(&span.trace_id) else {
        out.reject(RejectReason::InvalidId, || {
            format!(
                "span '{}': trace_id must be 16 bytes and not all zero, got {} bytes",
                span.name,
                span.trace_id.len()
            )
        });
        return;
    };
    let Some(span_id) = SpanId::from_bytes(&span.span_id) else {
        out.reject(RejectReason::InvalidId, || {
            format!(
                "span '{}': span_id must be 8 bytes and not all zero, got {} bytes",
                span.name,
                span.span_id.len()
            )
        });
        return;
    };
    // An empty parent id means a root span; anything else must be a valid id.
    let parent_span_id = if span.parent_span_id.is_empty() {
        None
    } else {
        match SpanId::from_bytes(&span.parent_span_id) {
            Some(id) => Some(id),
            None if span.parent_span_id.iter().all(|&b| b == 0) => None,
            None => {
                out.reject(RejectReason::InvalidId, || {
                    format!(
                        "span '{}': parent_span_id must be empty or 8 bytes, got {} bytes",
                        span.name,
                        span.parent_span_id.len()
                    )
                });
                return;
            }
        }
    };
    let mut links = Vec::with_capacity(span.links.len());
    for link in span.links {
        // A link to an invalid context carries no information; drop the link,
        // keep the span.
        if let (Some(trace_id), Some(span_id)) = (
            TraceId::from_bytes(&link.trace_id),
            SpanId::from_bytes(&link.span_id),
        ) {
            links.push(Link {
                trace_id,
                span_id,
                trace_state: link.trace_state,
                attributes: convert_attributes(link.attributes),
            });
        }
    }
    let status = span.status.unwrap_or_default();
    let sent_dropped = SentDropped {
        attributes: span.dropped_attributes_count,
        events: span.dropped_events_count,
        links: span.dropped_links_count,
    };
    let mut span = Span {
        trace_id,
        span_id,
        parent_span_id,
        trace_state: span.trace_state,
        name: span.name,
        kind: convert_kind(span.kind),
        start_unix_nanos: span.start_time_unix_nano,
        end_unix_nanos: span.end_time_unix_nano,
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
        links,
        status: Status {
            code: convert_status_code(status.code),
            message: status.message,
        },
        resource: Arc::clone(resource),
        scope: Arc::clone(scope),
    };
    match window.check(&span) {
        Some(message) => out.reject(RejectReason::TimeWindow, || message),
        None => {
            out.count_truncation(limits.apply(&mut span, sent_dropped));
            out.spans.push(span);
        }
    }
}

fn convert_kind(kind: i32) -> SpanKind {
    match otlp::span::SpanKind::try_from(kind) {
        Ok(otlp::span::SpanKind::Internal) => SpanKind::Internal,
        Ok(otlp::span::SpanKind::Server) => SpanKind::Server,
        Ok(otlp::span::SpanKind::Client) => SpanKind::Client,
        Ok(otlp::span::SpanKind::Producer) => SpanKind::Producer,
        Ok(otlp::span::SpanKind::Consumer) => SpanKind::Consumer,
        Ok(otlp::span::SpanKind::Unspecified) | Err(_) => SpanKind::Unspecified,
    }
}

fn convert_status_code(code: i32) -> StatusCode {
    match otlp::status::StatusCode::try_from(code) {
        Ok(otlp::status::StatusCode::Ok) => StatusCode::Ok,
        Ok(otlp::status::StatusCode::Error) => StatusCode::Error,
        Ok(otlp::status::StatusCode::Unset) | Err(_) => StatusCode::Unset,
    }
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
}
