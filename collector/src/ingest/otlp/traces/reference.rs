//! The reference conversion: prost's generated messages turned into the
//! same spans, through the same judgement, with nothing shared but it. No
//! receiver uses it; the one-pass decoders (`protobuf.rs`, `json/`) are held
//! to it by property tests, and benchmarks compare against it. Compiled
//! for tests, and for benchmarks with the `test-support` feature.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1 as otlp;

use super::judge::{judge_span, ConvertedTraces, RawLink, RawSpan};
use super::protobuf::Protobuf;
use crate::ingest::otlp::resource_from;
use crate::model::{
    AttributeValue, Attributes, Event, LayerRules, Resource, Scope, SentDropped, SpanLimits,
    TimeWindow,
};

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

fn convert_span(
    span: otlp::Span,
    resource: &Arc<Resource>,
    scope: &Arc<Scope>,
    window: &TimeWindow,
    out: &mut ConvertedTraces,
) {
    let status = span.status.unwrap_or_default();
    let mut links = span.links;
    let raw = RawSpan::<Protobuf<'_>> {
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
            .map(|link| RawLink::<Protobuf<'_>> {
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

pub fn convert_attributes(attributes: Vec<KeyValue>) -> Attributes {
    attributes
        .into_iter()
        .map(|kv| (kv.key, convert_value(kv.value)))
        .collect()
}

pub fn convert_value(value: Option<AnyValue>) -> AttributeValue {
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
    use crate::telemetry::outcome::{RejectReason, Signal};
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
