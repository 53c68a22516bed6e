//! What the wire allows that encoders rarely do. Agreement with the
//! generated types on generated and damaged bodies is `fuzz::otlp`'s.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource as OtlpResource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span as OtlpSpan};
use prost::Message;

use crate::ingest::otlp::protobuf::every_wire_type;

use crate::ingest::otlp::traces::protobuf::decode;
use crate::model::{AttributeValue, LayerRules, SpanLimits, TimeWindow};

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

fn span(name: &str) -> OtlpSpan {
    OtlpSpan {
        trace_id: vec![7; 16],
        span_id: vec![3; 8],
        name: name.into(),
        kind: 2,
        start_time_unix_nano: 1_000,
        end_time_unix_nano: 2_000,
        ..Default::default()
    }
}

fn decoded(body: &[u8]) -> crate::ingest::otlp::traces::ConvertedTraces {
    decode(
        body,
        &LayerRules::default(),
        &TimeWindow::UNBOUNDED,
        &SpanLimits::default(),
    )
    .expect("decodes")
}

/// A `ResourceSpans` with its fields in the order given.
fn resource_spans_with(fields: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut inner = Vec::new();
    for (tag, bytes) in fields {
        prost::encoding::bytes::encode(*tag, bytes, &mut inner);
    }
    let mut body = Vec::new();
    prost::encoding::bytes::encode(1, &inner, &mut body);
    body
}

#[test]
fn a_resource_sent_after_its_spans_still_names_them() {
    let resource = OtlpResource {
        attributes: vec![kv("service.name", "cms")],
        ..Default::default()
    };
    let scope_spans = ScopeSpans {
        spans: vec![span("late")],
        ..Default::default()
    };
    let body = resource_spans_with(&[
        (2, scope_spans.encode_to_vec()),
        (1, resource.encode_to_vec()),
    ]);
    let out = decoded(&body);
    assert_eq!(out.spans.len(), 1);
    assert_eq!(out.spans[0].resource.service_name, "cms");
}

#[test]
fn a_resource_sent_twice_keeps_the_attributes_of_both() {
    let first = OtlpResource {
        attributes: vec![kv("service.name", "cms")],
        ..Default::default()
    };
    let second = OtlpResource {
        attributes: vec![kv("region", "eu")],
        ..Default::default()
    };
    let scope_spans = ScopeSpans {
        spans: vec![span("a")],
        ..Default::default()
    };
    let body = resource_spans_with(&[
        (1, first.encode_to_vec()),
        (2, scope_spans.encode_to_vec()),
        (1, second.encode_to_vec()),
    ]);
    let generated = ExportTraceServiceRequest::decode(body.as_slice()).expect("prost decodes");
    assert_eq!(
        generated.resource_spans[0]
            .resource
            .as_ref()
            .map(|r| r.attributes.len()),
        Some(2)
    );
    let out = decoded(&body);
    let attributes = &out.spans[0].resource.attributes;
    assert_eq!(
        attributes,
        &vec![
            ("service.name".into(), AttributeValue::String("cms".into())),
            ("region".into(), AttributeValue::String("eu".into())),
        ]
    );
}

#[test]
fn refusals_name_the_field() {
    let mut bad = span("bad");
    bad.name = "x".into();
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![span("good"), bad],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let mut body = request.encode_to_vec();
    // The second span's one-byte name "x" becomes 0xff: not UTF-8.
    let at = body.iter().rposition(|&b| b == b'x').expect("name byte");
    body[at] = 0xff;
    let error = decode(
        &body,
        &LayerRules::default(),
        &TimeWindow::UNBOUNDED,
        &SpanLimits::default(),
    )
    .expect_err("refused");
    assert!(ExportTraceServiceRequest::decode(body.as_slice()).is_err());
    assert_eq!(
        error.to_string(),
        "body is not a valid OTLP protobuf ExportTraceServiceRequest: \
         resource_spans[0].scope_spans[0].spans[1].name: string is not UTF-8"
    );
}

#[test]
fn an_empty_body_is_an_empty_request() {
    let out = decoded(&[]);
    assert!(out.spans.is_empty());
    assert_eq!(out.rejected(), 0);
}

/// `message` with `field` (a tag and value, already encoded) appended,
/// as field `tag` of a parent whose other bytes are `parent`.
fn nest(parent: &[u8], tag: u32, message: &[u8]) -> Vec<u8> {
    let mut out = parent.to_vec();
    prost::encoding::bytes::encode(tag, &message.to_vec(), &mut out);
    out
}

/// A whole request in which one kind of message carries `extra` after
/// its own fields; one builder per message the decoder reads.
fn with_extra_in(level: &str, extra: &[u8]) -> Vec<u8> {
    let plus = |message: Vec<u8>| [message, extra.to_vec()].concat();
    let span_bytes = span("s").encode_to_vec();
    let span_with = |tag: u32, message: Vec<u8>| nest(&span_bytes, tag, &message);
    let key_value = |value: Vec<u8>| nest(&kv("k", "").encode_to_vec()[..3], 2, &value);
    let resource = OtlpResource {
        attributes: vec![kv("service.name", "cms")],
        ..Default::default()
    }
    .encode_to_vec();
    let span = match level {
        "span" => plus(span_bytes.clone()),
        "event" => span_with(11, plus(vec![0x12, 0x01, b'e'])),
        "link" => span_with(
            13,
            plus([vec![0x0a, 16], vec![1; 16], vec![0x12, 8], vec![2; 8]].concat()),
        ),
        "status" => span_with(15, plus(vec![0x18, 0x01])),
        "key_value" => span_with(9, plus(kv("k", "v").encode_to_vec())),
        "any_value" => span_with(9, key_value(plus(vec![0x0a, 0x01, b'v']))),
        "array_value" => span_with(
            9,
            key_value(nest(&[], 5, &plus(nest(&[], 1, &[0x18, 0x05])))),
        ),
        "kvlist_value" => span_with(
            9,
            key_value(nest(&[], 6, &plus(kv("n", "m").encode_to_vec()))),
        ),
        _ => span_bytes.clone(),
    };
    let scope = match level {
        "scope" => plus(vec![0x0a, 0x01, b'l']),
        _ => vec![0x0a, 0x01, b'l'],
    };
    let scope_spans = nest(&nest(&[], 1, &scope), 2, &span);
    let scope_spans = match level {
        "scope_spans" => plus(scope_spans),
        _ => scope_spans,
    };
    let resource = match level {
        "resource" => plus(resource),
        "entity_ref" => nest(&resource, 3, &plus(vec![0x12, 0x01, b't'])),
        _ => resource,
    };
    let resource_spans = nest(&nest(&[], 1, &resource), 2, &scope_spans);
    let resource_spans = match level {
        "resource_spans" => plus(resource_spans),
        _ => resource_spans,
    };
    let request = nest(&[], 1, &resource_spans);
    match level {
        "request" => plus(request),
        _ => request,
    }
}

/// Every field number up to 17 of every message the decoder reads, sent
/// with every wire type (and a length-delimited one that is not UTF-8),
/// is refused or kept exactly as the generated types do it.
#[test]
fn every_field_with_every_wire_type_is_judged_as_prost_judges_it() {
    let levels = [
        "request",
        "resource_spans",
        "resource",
        "entity_ref",
        "scope_spans",
        "scope",
        "span",
        "event",
        "link",
        "status",
        "key_value",
        "any_value",
        "array_value",
        "kvlist_value",
    ];
    let mut compared = 0;
    for level in levels {
        for tag in 1..=17u32 {
            for extra in every_wire_type(tag) {
                let body = with_extra_in(level, &extra);
                let generated = ExportTraceServiceRequest::decode(body.as_slice());
                let one_pass = decode(
                    &body,
                    &LayerRules::default(),
                    &TimeWindow::UNBOUNDED,
                    &SpanLimits::default(),
                );
                assert_eq!(
                    one_pass.is_ok(),
                    generated.is_ok(),
                    "{level}, field {tag}, bytes {extra:02x?}: one pass {:?}, prost {:?}",
                    one_pass.as_ref().err().map(ToString::to_string),
                    generated.as_ref().err()
                );
                if let (Ok(one_pass), Ok(generated)) = (one_pass, generated) {
                    let generated = crate::ingest::otlp::traces::reference::convert_request(
                        generated,
                        &LayerRules::default(),
                        &TimeWindow::UNBOUNDED,
                        &SpanLimits::default(),
                    );
                    assert_eq!(one_pass.spans, generated.spans, "{level}, field {tag}");
                    assert_eq!(
                        one_pass.message(),
                        generated.message(),
                        "{level}, field {tag}"
                    );
                }
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 14 * 17 * 6);
}
